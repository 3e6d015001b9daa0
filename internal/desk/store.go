package desk

import (
	"context"
	"time"
)

// Store is Threadesk's persistence. The Redis implementation documents its key schema in one
// file; every method that finds nothing returns an error wrapping ErrNotFound.
type Store interface {
	// Enqueue records ev durably in the given queue shard unless an event with the same
	// platform and ID was recorded before. It reports whether ev was new. Dedup and record are
	// one atomic step: a crash never leaves an event marked seen but not recorded.
	Enqueue(ctx context.Context, shard int, ev Event) (bool, error)
	// ReadQueue returns up to count events of a shard. With after set, the ones read before
	// but never acknowledged (after a crash) whose entry comes after it ("0": from the first),
	// so that a reader can page past entries it leaves unacknowledged; with after empty, new
	// ones, waiting up to block for some.
	ReadQueue(ctx context.Context, shard int, after string, count int, block time.Duration) ([]Queued, error)
	// QueueDepth counts the events recorded and not yet acknowledged, over all shards.
	QueueDepth(ctx context.Context) (int64, error)

	// OpenTicket returns the customer's active ticket on t.Platform, or, when they have none,
	// creates t with the next ticket number (linking the customer's closed ticket as
	// Previous) and reports created. It is atomic: two calls never create two tickets.
	OpenTicket(ctx context.Context, t Ticket) (Ticket, bool, error)
	// Ticket returns a ticket by number.
	Ticket(ctx context.Context, id TicketID) (Ticket, error)
	// CustomerTicket returns the customer's latest ticket on a platform, whatever its status.
	CustomerTicket(ctx context.Context, platform, userID string) (Ticket, error)
	// ThreadTicket returns the ticket whose thread is rooted at threadID.
	ThreadTicket(ctx context.Context, platform, threadID string) (Ticket, error)
	// Tickets returns the tickets in the given statuses, oldest first, at most limit (0 = all).
	Tickets(ctx context.Context, statuses []Status, limit int) ([]Ticket, error)
	// TicketsByID returns the tickets with the given numbers that exist, in the same order.
	TicketsByID(ctx context.Context, ids []TicketID) ([]Ticket, error)
	// CountByStatus counts all tickets by status.
	CountByStatus(ctx context.Context) (map[Status]int64, error)
	// Facts returns the statistics facts of a kind recorded between from and to.
	Facts(ctx context.Context, kind FactKind, from, to time.Time) ([]Fact, error)
	// Link returns what a message was mirrored to.
	Link(ctx context.Context, platform string, src MessageRef) (Link, error)
	// Transcript returns a ticket's history, oldest first.
	Transcript(ctx context.Context, id TicketID) ([]Entry, error)

	// Secret returns the installation's secret of that name (32 random bytes), made the first
	// time it is asked for and the same for every process sharing the store.
	Secret(ctx context.Context, name string) ([]byte, error)
	// Cursor returns a named high-water mark (0 if never saved); SaveCursor moves it forward,
	// never back.
	Cursor(ctx context.Context, name string) (int64, error)
	SaveCursor(ctx context.Context, name string, v int64) error

	// Apply makes all changes at once (one transaction).
	Apply(ctx context.Context, changes ...Change) error
	// Ping checks that the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store's connections.
	Close() error
}

// Queued is an event read from the queue, with what is needed to acknowledge it.
type Queued struct {
	Shard int
	Entry string // the queue's own ID of the entry
	Event Event
	// Redelivered is set for events read again after a crash: their deliveries may have
	// happened already and must be looked up before sending.
	Redelivered bool
}

// LinkKind says what a mirrored message was.
type LinkKind string

// The kinds of mirrored messages.
const (
	LinkCustomer LinkKind = "customer" // a customer's DM message mirrored into the thread
	LinkAgent    LinkKind = "agent"    // an agent's thread reply mirrored into the DM
	LinkNote     LinkKind = "note"     // an internal note: mirrored nowhere
)

// Link maps one source message to the message(s) it was mirrored as: one per part of a split
// text, and one per file.
type Link struct {
	Ticket TicketID
	Kind   LinkKind
	Source MessageRef
	Parts  []MessageRef // the text, in order
	Files  []MessageRef // the files, in order
}

// Entry is one line of a ticket's history: a message either way, a note, or a status change.
type Entry struct {
	At     time.Time
	Kind   string // "customer", "agent", "note", "status", "edit", "delete", "system"
	Author string // user ID
	Name   string // author's display name at the time
	Text   string
}

// Change is one write in a Store.Apply transaction. The concrete types below are all the
// changes there are.
type Change interface{ change() }

// SaveTicket writes a ticket and its indexes (customer, thread).
type SaveTicket struct{ Ticket Ticket }

// TouchTicket records activity on a ticket whose state did not otherwise change: a cheaper
// write than SaveTicket on the path every message takes.
type TouchTicket struct {
	Ticket TicketID
	At     time.Time
}

// PutLink records a mirrored message.
type PutLink struct {
	Platform string
	Link     Link
}

// DropLink forgets a mirrored message (after it was deleted).
type DropLink struct {
	Platform string
	Source   MessageRef
}

// AppendEntry adds a line to a ticket's history.
type AppendEntry struct {
	Ticket TicketID
	Entry  Entry
}

// FactKind names a kind of statistics fact.
type FactKind string

// The facts the statistics are computed from; each is recorded once when it happens.
const (
	FactCreated       FactKind = "created"        // a ticket was opened
	FactFirstResponse FactKind = "first_response" // Value: seconds from creation to first response
	FactResolved      FactKind = "resolved"       // Value: seconds from creation to resolution
	FactRating        FactKind = "rating"         // Value: the score, 1–5
)

// Fact is one statistics fact: small, kept in time order, so that statistics over a period
// read only that period's facts however many tickets there are.
type Fact struct {
	Kind   FactKind
	At     time.Time
	Ticket TicketID
	Agent  string // the agent it is credited to, if any
	Value  int64
}

// RecordFact records a statistics fact.
type RecordFact struct{ Fact Fact }

// AckEvent marks a queued event handled and removes it from the queue.
type AckEvent struct {
	Shard int
	Entry string
}

func (SaveTicket) change()  {}
func (PutLink) change()     {}
func (DropLink) change()    {}
func (AppendEntry) change() {}
func (AckEvent) change()    {}
func (RecordFact) change()  {}
func (TouchTicket) change() {}

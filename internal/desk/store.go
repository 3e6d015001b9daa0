package desk

import (
	"context"
	"strings"
	"time"
)

// Store is Threadesk's persistence. The Redis implementation documents its key schema in one
// file; every method that finds nothing returns an error wrapping ErrNotFound.
type Store interface {
	// Enqueue records ev durably in the given queue shard unless an event with the same
	// platform and ID was recorded before. It returns how many events the shard holds not yet
	// handled, ev included, or 0 when ev was recorded before. Dedup and record are one atomic
	// step: a crash never leaves an event marked seen but not recorded.
	Enqueue(ctx context.Context, shard int, ev Event) (int64, error)
	// ShardDepth counts the events a shard holds not yet handled.
	ShardDepth(ctx context.Context, shard int) (int64, error)
	// ReadQueue returns up to count events of a shard. With after set, the ones read before
	// but never acknowledged (after a crash) whose entry comes after it ("0": from the first),
	// so that a reader can page past entries it leaves unacknowledged; with after empty, new
	// ones, waiting up to block for some.
	ReadQueue(ctx context.Context, shard int, after string, count int, block time.Duration) ([]Queued, error)
	// QueueDepth counts the events recorded and not yet fully handled, over all shards: not
	// acknowledged yet, or with outbox tasks still to carry out.
	QueueDepth(ctx context.Context) (int64, error)

	// Several processes may share a store; each queue shard is handled by one at a time, the
	// holder of its lease. TakeShard takes or renews this process's lease of a shard for ttl
	// and reports whether it holds it (a lease another process holds must lapse first) and
	// whether it held it already (renewed: not taken anew after it lapsed or was free);
	// ReleaseShard gives it up; ShardHolders returns the holder of each shard's lease, in the
	// shards' order ("" for none). ClaimShard makes the entries of the shard that another process
	// read and never acknowledged this one's, for ReadQueue's read of pending entries; the new
	// holder of a lease calls it before reading. Replicas records this process as alive for ttl
	// and returns the names of those alive, sorted, with this one's index; LeaveReplicas
	// removes it as it stops.
	TakeShard(ctx context.Context, shard int, ttl time.Duration) (held, renewed bool, err error)
	ReleaseShard(ctx context.Context, shard int) error
	ShardHolders(ctx context.Context) ([]string, error)
	ClaimShard(ctx context.Context, shard int) (int, error)
	Replicas(ctx context.Context, ttl time.Duration) ([]string, int, error)
	LeaveReplicas(ctx context.Context) error
	// ExpireClosed forgets what was written on up to limit tickets closed before cutoff
	// (RETENTION): transcript, links, held messages, search words and the ticket's own texts;
	// numbers, times and statistics stay. It returns how many it expired (fewer than limit:
	// none is left).
	ExpireClosed(ctx context.Context, cutoff time.Time, limit int) (int, error)
	// CustomerData returns everything stored about a customer on a platform: their tickets
	// (the latest and the closed ones before it) with transcripts, links, held messages and
	// statistics facts. ErrNotFound when the customer has no ticket.
	CustomerData(ctx context.Context, platform, userID string) (CustomerData, error)
	// Forget erases a customer's data in one atomic step: for each of their tickets what
	// ExpireClosed forgets and also the customer's ID and DM channel, and the customer
	// pointer; the ticket keeps its number, times, agents and statistics, and its history one
	// entry (EntryForgotten) by lead at at. It refuses (ECONFLICT) while a ticket is active,
	// and returns ErrNotFound when the customer has no ticket.
	Forget(ctx context.Context, platform, userID string, lead User, at time.Time) (ForgetReport, error)
	// Pace takes one post's turn in a channel for every process posting there: 0 when the post
	// may go now, else how long to wait before asking again, so that the replicas together
	// post at perSecond (bursts of burst).
	Pace(ctx context.Context, platform, channel string, perSecond float64, burst int) (time.Duration, error)
	// HoldPace stops every process's posts into a channel for d, as a platform's Retry-After
	// asks; PaceHeld is the time the hold has left (0: none). A longer hold already there stays.
	HoldPace(ctx context.Context, platform, channel string, d time.Duration) error
	PaceHeld(ctx context.Context, platform, channel string) (time.Duration, error)

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
	// FindTickets returns one page of the tickets that match f, in number order.
	FindTickets(ctx context.Context, f TicketFilter) (TicketPage, error)
	// QueryTickets returns one page of the tickets that match every filter of q, in q's
	// order, with how many match in all. It reads indexes kept as tickets change, never every
	// ticket: a page costs about the same at 100 tickets and at 100,000.
	QueryTickets(ctx context.Context, q TicketQuery) (TicketResult, error)
	// TicketsByID returns the tickets with the given numbers that exist, in the same order.
	TicketsByID(ctx context.Context, ids []TicketID) ([]Ticket, error)
	// CountByStatus counts all tickets by status.
	CountByStatus(ctx context.Context) (map[Status]int64, error)
	// Facts returns the statistics facts of a kind recorded between from and to.
	Facts(ctx context.Context, kind FactKind, from, to time.Time) ([]Fact, error)
	// Link returns what a message was mirrored to.
	Link(ctx context.Context, platform string, src MessageRef) (Link, error)
	// Join returns the record of a joined post by its ID (Link.Join).
	Join(ctx context.Context, platform, id string) (Join, error)
	// Transcript returns a ticket's history, oldest first.
	Transcript(ctx context.Context, id TicketID) ([]Entry, error)

	// Secret returns the installation's secret of that name (32 random bytes), made the first
	// time it is asked for and the same for every process sharing the store.
	Secret(ctx context.Context, name string) ([]byte, error)
	// Cursor returns a named high-water mark (0 if never saved); SaveCursor moves it forward,
	// never back.
	Cursor(ctx context.Context, name string) (int64, error)
	SaveCursor(ctx context.Context, name string, v int64) error

	// Outbox returns the outbox records of a queue shard whose tasks are not all done yet,
	// oldest first.
	Outbox(ctx context.Context, shard int) ([]Outbox, error)
	// FireDue moves every timer due at now (at most limit) into its queue shard as the event
	// it carries, a shard's in the order they came due: a timer's event is recorded once,
	// however many processes call FireDue at the same time, and a timer is removed only once
	// its event is recorded. It returns how many timers this call removed, also with an
	// error for those it could not record.
	FireDue(ctx context.Context, now time.Time, limit int) (int, error)
	// Answer returns the answer recorded for an event (PutAnswer), and whether there is one.
	Answer(ctx context.Context, platform, eventID string) (string, bool, error)
	// Held returns the customer messages a ticket's intake holds back, in the order they
	// were written (HoldEvent).
	Held(ctx context.Context, id TicketID) ([]Event, error)

	// Signin returns whom a sign-in token is for without using it up (ErrNotFound when it is
	// unknown, used or expired); StartSession uses it up and starts a session for that person
	// lasting ttl, returning its ID, in one atomic step: a token starts at most one session.
	Signin(ctx context.Context, token string) (Person, error)
	StartSession(ctx context.Context, token string, ttl time.Duration) (string, Session, error)
	// Session returns a session (ErrNotFound when it is unknown, ended, expired or revoked);
	// EndSession ends it.
	Session(ctx context.Context, id string) (Session, error)
	EndSession(ctx context.Context, id string) error
	// TicketChanges returns up to count changes after seq ("" for those from now on, "0" for
	// every change kept), waiting up to block for one; LastTicketChange is the newest seq.
	TicketChanges(ctx context.Context, after string, count int, block time.Duration) ([]TicketChange, error)
	LastTicketChange(ctx context.Context) (string, error)

	// Apply makes all changes at once (one transaction). When the changes acknowledge an
	// event (AckEvent with its Platform and Event set) and that event's changes were applied
	// before, it applies nothing and returns an error wrapping ErrHandled: an earlier attempt
	// whose outcome was lost did take effect.
	Apply(ctx context.Context, changes ...Change) error
	// Ping checks that the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store's connections.
	Close() error
}

// ErrHandled is returned by Store.Apply for the changes of an event that were applied
// before: the outcome of that earlier attempt was lost (a timeout while Redis still ran it),
// and looking, not guessing, shows it took effect.
var ErrHandled = &Error{Code: ECONFLICT, Message: "event handled before"}

// ErrNotHolder is returned by the Store's queue operations on a shard whose lease another
// replica holds: this replica's worker of the shard is to stop, not retry.
var ErrNotHolder = &Error{Code: EUNAVAILABLE, Message: "the queue shard is another replica's"}

// TicketFilter narrows FindTickets. The zero filter matches every ticket.
type TicketFilter struct {
	Statuses []Status // only tickets in one of these statuses; none means all
	Platform string   // only this platform's tickets; "" means all
	// Assignee, when set, matches only tickets assigned to this user ID ("" for unassigned).
	Assignee *string
	// Newest lists the newest ticket first; otherwise the oldest comes first.
	Newest bool
	// After continues a listing: only tickets that come after this number in the order.
	After TicketID
	// Limit is the most tickets one page holds; 0 means 100.
	Limit int
}

// TicketPage is one page of FindTickets. Next is the After of the following page, 0 when
// this is the last.
type TicketPage struct {
	Tickets []Ticket
	Next    TicketID
}

// TicketQuery narrows and orders QueryTickets: the dashboard's queue. Every filter that is set
// must hold; the zero query matches every ticket, newest first.
type TicketQuery struct {
	Statuses []Status // in one of these statuses; none means any
	Platform string   // on this platform; "" means any
	// Priority matches tickets of that priority; a ticket without one counts as normal.
	Priority Priority
	Category string // this category, ignoring case
	Tag      string // has this tag, ignoring case
	// Assignee, when set, matches only tickets assigned to this user ID ("" for unassigned).
	Assignee   *string
	OutOfHours bool // only requests that came in out of hours
	// Search matches tickets that have every word of it (in any form of the word: English and
	// Russian words are stemmed) in their subject, customer's name, category, tags,
	// assignee's name or any message, reply or note of their history. A number also matches
	// the ticket with that number ("#42" or "42"). Words of one letter are ignored.
	Search string
	// OpenedFrom and OpenedTo, when set, keep the tickets opened (handed to the agents: as
	// the statistics count openings, when a ticket left the bot's intake or at once without
	// one) at or after OpenedFrom and before OpenedTo; a zero bound is no bound. Tickets the
	// agents never got (still in intake, or solved by the bot) are never in a period.
	OpenedFrom, OpenedTo time.Time
	Sort                 TicketSort
	// Offset skips that many tickets of the order; Limit is the most one page holds (0: 50;
	// below 0: no page, only the total).
	Offset, Limit int
	// CountTo, when above 0, lets the total stop counting at CountTo: a caller that only
	// needs to know whether more match than a page shows saves counting them all.
	CountTo int
}

// TicketSort is an order of QueryTickets.
type TicketSort string

// The orders of QueryTickets. Ties keep the newest first, except where the order says.
const (
	SortNewest   TicketSort = ""         // highest number first
	SortOldest   TicketSort = "oldest"   // lowest number first
	SortActivity TicketSort = "activity" // most recent activity first
	SortPriority TicketSort = "priority" // most urgent first, the oldest first within a priority
	// SortDue is the SLA's order: tickets with a breached clock still running first (oldest
	// first), then by when the next clock breaches, then those without a running clock
	// (oldest first).
	SortDue TicketSort = "due"
)

// TicketResult is one page of QueryTickets, and how many tickets match in all.
type TicketResult struct {
	Tickets []Ticket
	Total   int
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
	// Join, when set, says the message went as one part of a joined post (Parts holds that
	// post): the ID of the Join record that says what the post carries.
	Join string
}

// Join is one post that carries several consecutive messages of one customer, joined while
// the channel it went to had a backlog: the record of what it carries, so that an edit or a
// deletion of one of them changes its part of the post and nothing else.
type Join struct {
	// ID is the event ID of the first message.
	ID     string
	Ticket TicketID
	Parts  []JoinPart // in order
	// OwnKey says the post has a delivery key of its own (joins recorded from 2026-12-07 on),
	// never the key of the first message posted alone; an older join's post has that key.
	OwnKey bool
}

// JoinPart is one message of a joined post.
type JoinPart struct {
	Event  string     // the event that carried it
	Entry  string     // its queue entry
	Source MessageRef // the message
	Text   string     // as it shows in the post, "" once deleted
	// Written and At are the message as its author wrote it and when, so that handling the
	// join again after a crash needs nothing but this record.
	Written string
	At      time.Time
}

// Text is what the joined post shows: its parts' texts, one after another, deleted ones left
// out.
func (j Join) Text() string {
	var b strings.Builder
	for _, p := range j.Parts {
		if p.Text == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(JoinSeparator)
		}
		b.WriteString(p.Text)
	}
	return b.String()
}

// JoinSeparator goes between the parts of a joined post: a blank line, which ends a paragraph
// on every platform, so that one part's emphasis, quote or list does not run into the next.
const JoinSeparator = "\n\n"

// Entry is one line of a ticket's history: a message either way, a note, or a status change.
type Entry struct {
	At     time.Time
	Kind   string // "customer", "agent", "note", "status", "edit", "delete", "system", "expired" (RETENTION), "forgotten", "exported"
	Author string // user ID
	Name   string // author's display name at the time
	Text   string
	// Files are the files a message carried, as the platform offered them (its file IDs), so
	// that the dashboard can fetch them again for an agent.
	Files []File
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
	// Heard and Told, when set, are the ticket's new HeardAt and ToldAt.
	Heard, Told time.Time
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

// PutJoin records a joined post (before it is sent, so that handling its first message again
// joins the same messages) or its parts' new texts.
type PutJoin struct {
	Platform string
	Join     Join
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

	// The first-line bot's (intake.go) and the agents' use of the knowledge base and canned
	// replies (reply.go). Subject names the article, category or canned reply.
	FactSuggested     FactKind = "suggested"      // the bot showed article Subject to a customer
	FactDeflected     FactKind = "deflected"      // article Subject solved the question without an agent
	FactIntakeDone    FactKind = "intake_done"    // the customer finished the intake; Subject: the category
	FactIntakeTimeout FactKind = "intake_timeout" // the customer stopped answering; Subject: the category
	FactArticleSent   FactKind = "article_sent"   // Agent sent article Subject; Value: when, in ms
	FactCannedSent    FactKind = "canned_sent"    // Agent sent canned reply Subject; Value: when, in ms
)

// Fact is one statistics fact: small, kept in time order, so that statistics over a period
// read only that period's facts however many tickets there are.
type Fact struct {
	Kind   FactKind
	At     time.Time
	Ticket TicketID
	Agent  string // the agent it is credited to, if any
	// Subject is what it is about besides the ticket and agent, if anything: an article, a
	// category, a canned reply.
	Subject string
	Value   int64
}

// RecordFact records a statistics fact.
type RecordFact struct{ Fact Fact }

// AckEvent marks a queued event handled and removes it from the queue. With Platform and
// Event (the event's ID) set, it also makes the whole Apply once-only for that event (see
// Store.Apply and ErrHandled).
type AckEvent struct {
	Shard    int
	Entry    string
	Platform string
	Event    string
}

// TaskKind says what a task does.
type TaskKind string

// The tasks of an outbox.
const (
	TaskPost   TaskKind = "post"   // post Task.Message (a notice, the rating question, an answer)
	TaskCard   TaskKind = "card"   // show the ticket's current state on its card
	TaskUpdate TaskKind = "update" // replace the message at Task.Ref with Task.Message
	TaskAnswer TaskKind = "answer" // keep Task.Message.Text as the event's answer (PutAnswer)
	// TaskRelease hands a ticket from the first-line bot to the agents: its card, its number
	// told to the customer, and the messages its intake held relayed in order.
	TaskRelease TaskKind = "release"
	// TaskExport gives a lead (Message.Channel: their DM with the app) a JSON file of
	// everything stored about the customer Task.Customer, read when the task is carried out.
	TaskExport TaskKind = "export"
)

// Task is one thing to do on a platform after a change is recorded: the effects of a step,
// carried out from the outbox. Each is idempotent by its delivery key (Message.Key), so
// carrying out a record again after a crash repeats nothing.
type Task struct {
	Kind     TaskKind   `json:"k"`
	Platform string     `json:"p"`
	Ticket   TicketID   `json:"t,omitempty"`
	Message  Outgoing   `json:"m,omitzero"`
	Ref      MessageRef `json:"r,omitzero"`
	// Remember names what the posted message is to the ticket ("rating": the rating
	// question), so that later steps find it in the store rather than trusting a form.
	Remember string `json:"rem,omitempty"`
	// Event is the event a TaskAnswer answers.
	Event string `json:"e,omitempty"`
	// Customer is the user ID of the customer a TaskExport exports.
	Customer string `json:"cu,omitempty"`
}

// Outbox is the record of one event's tasks, kept with the change that caused them until
// they are all done.
type Outbox struct {
	Platform string    `json:"p"`
	Event    string    `json:"e"` // the event's ID
	At       time.Time `json:"at"`
	Tasks    []Task    `json:"t"`
	// Done counts the tasks carried out so far, in order: after a crash the record goes on
	// from there, so that only the task under way when it happened may be tried again.
	Done int `json:"d,omitempty"`
}

// PutOutbox records an event's tasks in its queue shard's outbox, or how far they got.
type PutOutbox struct {
	Shard  int
	Outbox Outbox
	// Progress says the change records how far the tasks got: it is made only while the
	// record is still there with fewer tasks done, so that a write that reaches the store
	// late (after another replica finished the record and forgot it) cannot bring it back,
	// to be carried out again at the next takeover.
	Progress bool
}

// DoneOutbox forgets an outbox record whose tasks are done.
type DoneOutbox struct {
	Shard    int
	Platform string
	Event    string
}

// Timer is an event to record at a time: the scheduler moves it into its queue shard when
// it is due, with an ID of its own per due time, so the same timer fired by two processes
// has one effect.
type Timer struct {
	ID    string // unique: the ticket and what the timer is for, e.g. "12:close"
	At    time.Time
	Shard int
	Event Event
}

// SetTimer sets a timer, or moves it to a new time.
type SetTimer struct{ Timer Timer }

// CancelTimer cancels a timer; one that does not exist is no error.
type CancelTimer struct{ ID string }

// PutAnswer keeps the answer to an event for whoever waits for it where it came from (the
// dashboard), for a short while.
type PutAnswer struct {
	Platform string
	Event    string
	Text     string
}

// HoldEvent keeps a customer's message written while the first-line bot talks with them, to
// be relayed when the ticket reaches the agents.
type HoldEvent struct {
	Ticket TicketID
	Event  Event
}

// DropHeld forgets a ticket's held messages (they were relayed).
type DropHeld struct{ Ticket TicketID }

// ReplaceHeld makes a ticket's held messages Events, in that order: what they are once the
// customer edited or deleted one of them before it was relayed.
type ReplaceHeld struct {
	Ticket TicketID
	Events []Event
}

// SetThread records where a ticket's card and thread are (or, with empty Channel and
// Thread, that its card is gone).
type SetThread struct {
	Ticket   TicketID
	Platform string
	Channel  string
	Thread   string
}

// SetBotMessage records the first-line bot's last question to a customer, so that an answer
// typed instead of clicked takes its buttons away.
type SetBotMessage struct {
	Ticket TicketID
	Ref    MessageRef
}

// SetRatingMessage records the message that asked the customer for a rating, so that the
// rating's answers update that message and no other.
type SetRatingMessage struct {
	Ticket TicketID
	Ref    MessageRef
}

func (SaveTicket) change()       {}
func (PutOutbox) change()        {}
func (DoneOutbox) change()       {}
func (SetTimer) change()         {}
func (CancelTimer) change()      {}
func (PutAnswer) change()        {}
func (SetThread) change()        {}
func (HoldEvent) change()        {}
func (DropHeld) change()         {}
func (ReplaceHeld) change()      {}
func (SetRatingMessage) change() {}
func (SetBotMessage) change()    {}
func (PutLink) change()          {}
func (DropLink) change()         {}
func (PutJoin) change()          {}
func (AppendEntry) change()      {}
func (AckEvent) change()         {}
func (RecordFact) change()       {}
func (TouchTicket) change()      {}

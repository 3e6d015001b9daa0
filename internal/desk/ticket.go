package desk

import (
	"slices"
	"strconv"
	"time"
)

// TicketID numbers tickets per installation: #1, #2, … A number is never reused, even after a
// crash, because it comes from one counter in the store that only ever grows.
type TicketID int64

// String renders the number the way people write it, "#12".
func (id TicketID) String() string { return "#" + strconv.FormatInt(int64(id), 10) }

// Status is where a ticket is in its life.
type Status string

// The statuses, in their usual order: (intake →) new → open → pending → resolved → closed.
// StatusIntake is in intake.go.
const (
	StatusNew      Status = "new"      // opened by a customer, no agent has touched it yet
	StatusOpen     Status = "open"     // an agent replied or claimed it
	StatusPending  Status = "pending"  // waiting on the customer
	StatusResolved Status = "resolved" // an agent resolved it; the customer may still reopen it
	StatusClosed   Status = "closed"   // finished; a new message from the customer opens a new ticket
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusIntake, StatusNew, StatusOpen, StatusPending, StatusResolved, StatusClosed}

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Active reports whether a customer message still belongs to a ticket in this status; a closed
// ticket is done and a new message opens a new one.
func (s Status) Active() bool { return s.Valid() && s != StatusClosed }

// Priority is how urgent a ticket is.
type Priority string

// The priorities, from least to most urgent.
const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Priorities lists every priority from least to most urgent.
var Priorities = []Priority{PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent}

// Valid reports whether p is one of the known priorities.
func (p Priority) Valid() bool { return slices.Contains(Priorities, p) }

// Ticket is one customer request and the state of its handling. The conversation itself is
// not kept here but in the transcript and the message map.
type Ticket struct {
	ID           TicketID
	Platform     string // name of the platform the ticket lives on ("slack", "mattermost", "sandbox")
	Status       Status
	Priority     Priority
	Category     string
	Tags         []string
	Assignee     string // platform user ID of the agent, empty when unassigned
	AssigneeName string // the agent's display name when assigned

	Customer  User   // who asked
	DMChannel string // the customer's direct-message channel with the app

	// TriageChannel and ThreadID locate the ticket's thread: ThreadID is the native ID of the
	// card that roots it. Both are empty until the card has been posted.
	TriageChannel string
	ThreadID      string

	Previous TicketID // the closed ticket this one follows, if any
	// OpenedBy is the ID of the event that opened the ticket (the customer's first message)
	// until that event is handled, so that handling it again after a crash finishes the
	// opening instead of skipping it.
	OpenedBy string
	// RatingMessage is the message that asked the customer for a rating, once posted.
	RatingMessage MessageRef

	// The first-line bot's part (intake.go): where its conversation is, the answers it
	// collected, the articles it suggested, and the one that solved the question when no agent
	// was needed.
	Stage Stage
	// BotMessage is the bot's last message with buttons, while the intake lasts.
	BotMessage MessageRef
	Question   int
	Answers    []Answer
	Suggested  []string
	Deflected  string
	// Language is the customer's language ("en", "ru"): what they are written in.
	Language string

	// Subject is the start of the customer's first message, for lists and search.
	Subject string
	// Rating is the customer's satisfaction score (1–5) after resolution, 0 until rated, with
	// an optional comment.
	Rating        int
	RatingComment string

	CreatedAt       time.Time
	FirstResponseAt time.Time // first agent reply or claim; zero until then
	ResolvedAt      time.Time
	// ResolvedBy is who resolved it last: an agent's ID, or the timer's ("timer") when the
	// customer never answered a pending ticket; empty once it is open again.
	ResolvedBy     string
	ClosedAt       time.Time
	LastActivityAt time.Time
	// HeardAt and ToldAt are the platform's times of the newest customer message relayed into
	// the thread and of the newest agent reply relayed to the customer: a message written
	// before them that arrives later (a platform's retry after an outage) is shown as late.
	HeardAt time.Time
	ToldAt  time.Time

	// The time rules' part (sla.go): the SLA clocks; whether the request came in out of
	// hours; until when the out-of-hours reply told the customer the team is away.
	Clocks     []SLAClock
	OutOfHours bool
	AwayUntil  time.Time
}

// HasThread reports whether the ticket's card has been posted.
func (t *Ticket) HasThread() bool { return t.ThreadID != "" }

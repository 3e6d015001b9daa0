package desk

import "time"

// EventKind says what happened, in platform-neutral terms. Adapters decide the kind from
// where a message was written: in a DM with the app it is the customer's, in a ticket's thread
// in the triage channel it is an agent's.
type EventKind string

// The event kinds the core handles.
const (
	CustomerMessage EventKind = "customer.message"
	CustomerEdit    EventKind = "customer.edit"
	CustomerDelete  EventKind = "customer.delete"
	AgentReply      EventKind = "agent.reply"
	AgentEdit       EventKind = "agent.edit"
	AgentDelete     EventKind = "agent.delete"
	ActionPressed   EventKind = "action"  // a button on a card or notice
	FormSubmitted   EventKind = "form"    // a modal or dialog was submitted
	CommandRun      EventKind = "command" // the slash command; Text holds its arguments
	// ThreadDeleted says that a message the app posted as a thread's root (a ticket's card)
	// was deleted in the triage channel; Channel and Thread name it. The ticket gets a new card
	// when its customer next writes.
	ThreadDeleted EventKind = "thread.deleted"
	// StepAsked is a step asked of a ticket by a source other than chat (the dashboard, the
	// bot): Ticket names the ticket, Action the step (a StepKind), Form its arguments
	// ("agent", "category", "tags", "priority", "rating", "comment").
	StepAsked EventKind = "step"
	// TimerFired is a timer of the desk's that came due: Ticket names the ticket, Action the
	// step it takes (a StepKind), Value the timer's ID.
	TimerFired EventKind = "timer"
)

// Source says where an event came from, and so where its answer goes.
type Source string

// The sources of events.
const (
	SourceChat      Source = ""          // a chat platform: answers go where the person wrote or clicked
	SourceDashboard Source = "dashboard" // the web dashboard: the answer is kept for the page (Store.Answer)
	SourceBot       Source = "bot"       // the first-line bot: nobody waits for an answer
	SourceTimer     Source = "timer"     // the scheduler: nobody waits for an answer
)

// Valid reports whether k is a known kind.
func (k EventKind) Valid() bool {
	switch k {
	case CustomerMessage, CustomerEdit, CustomerDelete, AgentReply, AgentEdit, AgentDelete,
		ActionPressed, FormSubmitted, CommandRun, ThreadDeleted, StepAsked, TimerFired:
		return true
	}
	return false
}

// Message reports whether events of kind k are messages written in chat (or their edits and
// deletions), as opposed to clicks, commands and the desk's own events.
func (k EventKind) Message() bool {
	switch k {
	case CustomerMessage, CustomerEdit, CustomerDelete, AgentReply, AgentEdit, AgentDelete:
		return true
	}
	return false
}

// Event is one thing that happened on a platform, translated by its adapter. It is recorded
// durably before the platform is acknowledged and handled later, in order per customer.
type Event struct {
	// ID is the platform's identity of the event (Slack's event_id, a Mattermost post ID and
	// edit time, …). A second event with the same Platform and ID is a redelivery and has no
	// effect.
	ID       string    `json:"id"`
	Platform string    `json:"platform"`
	Kind     EventKind `json:"kind"`
	At       time.Time `json:"at"`
	// Source is where the event came from; chat events leave it empty.
	Source Source `json:"source,omitempty"`

	User User `json:"user"` // who did it

	// Channel and Message locate the message the event is about (for edits and deletes, the
	// original message). Thread is the root of the thread it is in, for agent events.
	Channel string `json:"channel,omitempty"`
	Message string `json:"message,omitempty"`
	Thread  string `json:"thread,omitempty"`

	Text  string `json:"text,omitempty"`
	Files []File `json:"files,omitempty"`

	// Ticket is set by the adapter when it already knows the ticket (card buttons carry it).
	Ticket TicketID `json:"ticket,omitempty"`

	// Action and Value are the pressed button's ID and argument. For a submitted form, Action
	// is the form's ID, Value its Context, and Form holds the values by field ID.
	Action string            `json:"action,omitempty"`
	Value  string            `json:"value,omitempty"`
	Form   map[string]string `json:"form,omitempty"`
	// Trigger is the short-lived handle a platform gives with a click to open a form.
	Trigger string `json:"trigger,omitempty"`
	// Reply is where an answer to a command or action goes (Slack's response_url), if any.
	Reply string `json:"reply,omitempty"`
}

package relay

import (
	"context"
	"errors"
	"strings"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// refusal is a request the engine turns down before the ticket rules are asked (no such
// ticket, an unknown person, a command only leads may use), with the text that tells the
// person why, composed once it is known where it goes (see words). It changes nothing.
type refusal struct {
	text func(*catalog.Catalog, quoter) string
}

func (e *refusal) Error() string { return e.text(catalog.Default, asTyped) }

// refuse is the refusal told by catalog text id; the words among args are quoted for where
// the refusal is told.
func (r *Relay) refuse(id string, args map[string]any) error {
	return &refusal{text: func(c *catalog.Catalog, q quoter) string { return sayIn(c, q, id, args) }}
}

// refusalText is what tells a person why their request was refused, in catalog c's language
// with their words quoted by q: the one place where the rules' refusal reasons become words.
// ok is false for an error that is no refusal.
func (r *Relay) refusalText(err error, c *catalog.Catalog, q quoter) (text string, ok bool) {
	if ref, ok := errors.AsType[*refusal](err); ok {
		return ref.text(c, q), true
	}
	ref, ok := errors.AsType[*desk.Refusal](err)
	if !ok {
		return "", false
	}
	// The refused value is always someone's: a name, a category or priority as typed.
	value := words(ref.Value)
	args := map[string]any{"Ticket": ref.Ticket.String(), "Status": string(ref.Status), "Value": value}
	id := catalog.NotAnAgent
	switch ref.Reason {
	case desk.RefuseClosed:
		id = catalog.TicketClosed
		if ref.Step == desk.StepReopen {
			id = catalog.ClosedStays
		}
	case desk.RefuseNotAgent, desk.RefuseUnknownStep:
		args["Command"] = string(ref.Step)
	case desk.RefuseAlreadyYours:
		id = catalog.AlreadyYours
	case desk.RefuseAlreadyAssigned:
		id, args["Agent"] = catalog.AlreadyAssigned, value
	case desk.RefuseAssigneeNotAgent:
		id, args["User"] = catalog.UserNotAgent, value
		if ref.Value == "" {
			args["User"] = "(nobody)"
		}
	case desk.RefuseBadCategory:
		id, args["Choices"] = catalog.BadCategory, strings.Join(r.policy().Categories, ", ")
	case desk.RefuseBadPriority:
		id, args["Choices"] = catalog.BadPriority, joinPriorities()
	case desk.RefuseAlreadyStatus, desk.RefuseStale:
		id = catalog.AlreadyStatus
		if ref.Step.Intake() {
			id = catalog.BotOver // a late click on one of the bot's questions
		}
	case desk.RefuseNotCustomer:
		id = catalog.BotOver
	case desk.RefuseInIntake:
		id = catalog.TicketInIntake
	case desk.RefuseCannotReopen:
		id = catalog.CannotReopen
	case desk.RefuseRatingNotAllowed:
		id = catalog.RatingNotAllowed
	}
	return sayIn(c, q, id, args), true
}

// actorText is the catalog to answer an event's actor in: a ticket's customer in their
// language, anyone else in the agents'.
func (r *Relay) actorText(ctx context.Context, ev desk.Event) *catalog.Catalog {
	id := ev.Ticket
	if id == 0 {
		id = ticketOf(ev.Value)
	}
	if id > 0 {
		if t, err := r.store.Ticket(ctx, id); err == nil && t.Customer.ID == ev.User.ID {
			return r.textFor(t)
		}
	}
	return r.text()
}

// answer is the task that tells an event's actor text where they are: privately in the chat
// where they wrote or clicked, kept for the dashboard page that waits for it, and nowhere for
// a timer or the bot, whom nobody reads.
func (r *Relay) answer(ctx context.Context, p desk.Platform, ev desk.Event, text string) (desk.Task, bool) {
	switch ev.Source {
	case desk.SourceTimer, desk.SourceBot:
		return desk.Task{}, false
	case desk.SourceDashboard:
		return desk.Task{Kind: desk.TaskAnswer, Platform: ev.Platform, Ticket: ev.Ticket, Event: ev.ID, Message: desk.Outgoing{Text: text}}, true
	}
	m := desk.Outgoing{Channel: ev.Channel, Thread: ev.Thread, Text: text, Ephemeral: ev.User.ID, Reply: ev.Reply, Key: partKey(ev, "answer", 0)}
	if m.Channel == "" && m.Reply == "" {
		m.Channel, m.Thread = r.whereSeen(ctx, p, ev)
	}
	return desk.Task{Kind: desk.TaskPost, Platform: ev.Platform, Ticket: ev.Ticket, Message: m}, true
}

// refused answers a refusal to the event's actor where they are and acknowledges the event,
// in one commit. An error that is no refusal is returned as it is, for the event to be
// handled again.
func (r *Relay) refused(ctx context.Context, p desk.Platform, q desk.Queued, err error) error {
	text, ok := r.refusalText(err, r.actorText(ctx, q.Event), quoterFor(p, q.Event))
	if !ok {
		return err
	}
	r.Discard(q.Event.Platform, desk.DropRefused)
	var d decision
	if t, ok := r.answer(ctx, p, q.Event, text); ok {
		d.task(t)
	}
	return r.commit(ctx, q, d)
}

// tellNow answers a refusal at once, outside the queue: to a click that opens a form, which is
// handled while the platform waits. An error that is no refusal is returned as it is.
func (r *Relay) tellNow(ctx context.Context, p desk.Platform, ev desk.Event, err error) error {
	text, ok := r.refusalText(err, r.actorText(ctx, ev), quoterFor(p, ev))
	if !ok {
		return err
	}
	r.Discard(ev.Platform, desk.DropRefused)
	t, ok := r.answer(ctx, p, ev, text)
	if !ok {
		return nil
	}
	if _, err := p.Post(ctx, t.Message); err != nil {
		r.log.Warn("tell a refusal", "platform", p.Name(), "err", err)
	}
	return nil
}

// whereSeen is where to answer an event that came from no channel (a Slack modal's
// submission): in the thread of its ticket for an agent, in their DM for the ticket's
// customer, and in a DM with the app when there is no ticket.
func (r *Relay) whereSeen(ctx context.Context, p desk.Platform, ev desk.Event) (channel, thread string) {
	id := ev.Ticket
	if id == 0 {
		id = ticketOf(ev.Value)
	}
	if t, err := r.store.Ticket(ctx, id); err == nil && t.HasThread() {
		if ev.User.ID == t.Customer.ID {
			return t.DMChannel, ""
		}
		return t.TriageChannel, t.ThreadID
	}
	dm, err := p.OpenDM(ctx, ev.User.ID)
	if err != nil {
		r.log.Warn("open a DM for an answer", "platform", p.Name(), "user", ev.User.ID, "err", err)
	}
	return dm, ""
}

package relay

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// This file carries out the steps of the ticket workflow, whatever asked for them: a button,
// a form, a command, a timer, the dashboard. The rules are desk.Ticket.Take's; the engine
// finds out who the actor is, loads the ticket, and commits the outcome.

// take asks the ticket rules for step st on ticket id by the event's actor. A refusal (the
// rules', or a ticket that does not exist) is returned as an error for the caller to answer;
// any other error means the event should be handled again.
func (r *Relay) take(ctx context.Context, p desk.Platform, ev desk.Event, id desk.TicketID, st desk.Step) (desk.Outcome, error) {
	t, err := r.loadTicket(ctx, id)
	if err != nil {
		return desk.Outcome{}, err
	}
	a, err := r.actor(ctx, p, ev, st.Kind.ForAgents())
	if err != nil {
		return desk.Outcome{}, err
	}
	return t.Take(st, a, r.clock.Now(), r.policy())
}

// actor is who an event's step is taken by: the desk's timer or bot, or the person, with
// whether they are an agent (asked of the platform only when the step needs it).
func (r *Relay) actor(ctx context.Context, p desk.Platform, ev desk.Event, needAgent bool) (desk.Actor, error) {
	switch ev.Source {
	case desk.SourceTimer:
		return desk.TimerActor, nil
	case desk.SourceBot:
		return desk.BotActor, nil
	}
	u := r.who(ctx, p, ev.User)
	agent := false
	if needAgent {
		var err error
		if agent, err = r.isAgent(ctx, p, u); err != nil {
			return desk.Actor{}, fmt.Errorf("check whether %s is an agent: %w", u.ID, err)
		}
	}
	return desk.PersonActor(u, agent), nil
}

// assignee is the person a step gives a ticket to, as the rules need them.
func (r *Relay) assignee(ctx context.Context, p desk.Platform, u desk.User) (*desk.Actor, error) {
	u = r.who(ctx, p, u)
	agent, err := r.isAgent(ctx, p, u)
	if err != nil {
		return nil, fmt.Errorf("check whether %s is an agent: %w", u.ID, err)
	}
	a := desk.PersonActor(u, agent)
	return &a, nil
}

// policy is the desk's policy now: the policy file's when there is one (it may be reloaded
// while the desk runs), otherwise what the settings say.
func (r *Relay) policy() desk.Policy {
	if r.opts.Policy != nil {
		return r.opts.Policy()
	}
	return desk.Policy{Categories: r.opts.Categories, ResolvedClose: r.opts.ResolvedClose}
}

// runStep carries out a step asked by q's event and commits it, with extra tasks that follow
// from its success (done gives them); a refusal is answered to the actor.
func (r *Relay) runStep(ctx context.Context, p desk.Platform, q desk.Queued, id desk.TicketID, st desk.Step, done func(desk.Outcome) []desk.Task) error {
	o, err := r.take(ctx, p, q.Event, id, st)
	if err != nil {
		return r.refused(ctx, p, q, err)
	}
	var d decision
	r.decide(&d, q, o)
	if done != nil {
		d.task(done(o)...)
	}
	if err := r.commit(ctx, q, d); err != nil {
		return err
	}
	r.observeStep(p, o.Ticket, string(st.Kind), o.Was)
	return nil
}

// stepDone says what a step did, for the person who asked, with people's words quoted by q:
// "You claimed #4."
func (r *Relay) stepDone(q quoter, o desk.Outcome) string {
	t := o.Ticket
	args := map[string]any{
		"Ticket": t.ID.String(), "Agent": words(t.AssigneeName), "Category": r.orNone(t.Category),
		"Tags": r.orNone(quoteList(q, t.Tags)), "Priority": string(t.Priority),
	}
	id, ok := stepTexts[o.Step]
	if !ok {
		return t.ID.String()
	}
	return r.say(q, id, args)
}

var stepTexts = map[desk.StepKind]string{
	desk.StepClaim: catalog.StepClaimed, desk.StepAssign: catalog.StepAssigned, desk.StepTag: catalog.StepTagged,
	desk.StepPriority: catalog.StepPriority, desk.StepPending: catalog.StepPending, desk.StepResolve: catalog.StepResolved,
	desk.StepReopen: catalog.StepReopened, desk.StepClose: catalog.StepClosed,
}

// stepAsked carries out a step asked by the dashboard or the bot, and answers the dashboard
// with what was done.
func (r *Relay) stepAsked(ctx context.Context, p desk.Platform, q desk.Queued) error {
	ev := q.Event
	st, err := r.stepFromArgs(ctx, p, desk.StepKind(ev.Action), ev.Form)
	if err != nil {
		return r.refused(ctx, p, q, err)
	}
	return r.runStep(ctx, p, q, ev.Ticket, st, func(o desk.Outcome) []desk.Task {
		text := r.stepDone(quoterFor(p, ev), o)
		switch o.Step {
		case desk.StepRate:
			text = r.text().Text(catalog.RatingThanks, map[string]any{"Ticket": o.Ticket.ID.String(), "Score": o.Ticket.Rating})
		case desk.StepComment:
			text = r.text().Text(catalog.RatingCommented, map[string]any{"Ticket": o.Ticket.ID.String()})
		}
		if t, ok := r.answer(ctx, p, ev, text); ok {
			return []desk.Task{t}
		}
		return nil
	})
}

// stepFromArgs reads a step's arguments as a source other than chat gives them.
func (r *Relay) stepFromArgs(ctx context.Context, p desk.Platform, kind desk.StepKind, args map[string]string) (desk.Step, error) {
	st := desk.Step{Kind: kind, Priority: desk.Priority(strings.TrimSpace(args["priority"])), Comment: args["comment"]}
	switch kind {
	case desk.StepAssign:
		u, err := r.findUser(ctx, p, args["agent"])
		if err != nil {
			return st, err
		}
		if st.Assignee, err = r.assignee(ctx, p, u); err != nil {
			return st, err
		}
	case desk.StepTag:
		if c, ok := args["category"]; ok {
			c = strings.TrimSpace(c)
			st.Category = &c
		}
		if tags, ok := args["tags"]; ok {
			set := splitTags(tags)
			st.SetTags = &set
		}
	case desk.StepRate:
		st.Rating, _ = strconv.Atoi(strings.TrimSpace(args["rating"]))
	}
	return st, nil
}

// threadDeleted forgets a ticket's thread whose card was deleted on the platform: the ticket
// gets a new card when its customer next writes.
func (r *Relay) threadDeleted(ctx context.Context, p desk.Platform, q desk.Queued) error {
	ev := q.Event
	t, err := r.store.ThreadTicket(ctx, p.Name(), ev.Thread)
	if errors.Is(err, desk.ErrNotFound) || (err == nil && t.ThreadID != ev.Thread) {
		return r.drop(ctx, q, desk.DropUnknownThread) // not a card, or one replaced already
	}
	if err != nil {
		return fmt.Errorf("find ticket of thread %s: %w", ev.Thread, err)
	}
	who := r.who(ctx, p, ev.User)
	r.log.Warn("ticket card deleted; a new one follows the customer's next message", "platform", p.Name(), "ticket", int64(t.ID), "thread", ev.Thread)
	return r.commit(ctx, q, decision{changes: []desk.Change{
		desk.SetThread{Ticket: t.ID, Platform: t.Platform},
		desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: r.clock.Now(), Kind: "system", Author: who.ID, Name: who.Label(), Text: r.text().Text(catalog.CardDeleted, nil)}},
	}})
}

// loadTicket reads a ticket for a step, refusing a number that does not exist.
func (r *Relay) loadTicket(ctx context.Context, id desk.TicketID) (desk.Ticket, error) {
	if id <= 0 {
		return desk.Ticket{}, r.refuse(catalog.NoSuchTicket, map[string]any{"Ticket": id.String()})
	}
	t, err := r.store.Ticket(ctx, id)
	if errors.Is(err, desk.ErrNotFound) {
		return t, r.refuse(catalog.NoSuchTicket, map[string]any{"Ticket": id.String()})
	}
	if err != nil {
		return t, fmt.Errorf("load ticket %d: %w", id, err)
	}
	return t, nil
}

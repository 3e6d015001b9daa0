package relay

import (
	"context"
	"errors"
	"fmt"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// agentReply relays an agent's thread reply to the customer's DM, or keeps it in the channel
// as an internal note when it starts with the note prefix.
func (r *Relay) agentReply(ctx context.Context, p desk.Platform, q desk.Queued) error {
	ev := q.Event
	now := r.clock.Now()
	t, err := r.store.ThreadTicket(ctx, p.Name(), ev.Thread)
	if errors.Is(err, desk.ErrNotFound) {
		return r.drop(ctx, q, desk.DropUnknownThread)
	}
	if err != nil {
		return fmt.Errorf("find ticket of thread %s: %w", ev.Thread, err)
	}
	agent := r.who(ctx, p, ev.User)
	src := desk.MessageRef{Channel: ev.Channel, ID: ev.Message}
	if r.isNote(ev.Text) {
		r.mark(ctx, p, src, desk.MarkNote)
		return r.commit(ctx, q, decision{changes: []desk.Change{
			desk.PutLink{Platform: p.Name(), Link: desk.Link{Ticket: t.ID, Kind: desk.LinkNote, Source: src}},
			desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: now, Kind: "note", Author: agent.ID, Name: agent.Label(), Text: ev.Text, Files: ev.Files}},
		}})
	}
	text := r.lateText(r.textFor(t), ev, t.ToldAt)
	t.ToldAt = later(t.ToldAt, ev.At)
	refs, files, failure := r.relayMessage(ctx, p, q, desk.Outgoing{Channel: t.DMChannel, As: &agent}, text, ev.Files)
	if aborted(failure) {
		return failure
	}
	d := decision{changes: []desk.Change{
		desk.PutLink{Platform: p.Name(), Link: desk.Link{Ticket: t.ID, Kind: desk.LinkAgent, Source: src, Parts: refs, Files: files}},
		desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: now, Kind: "agent", Author: agent.ID, Name: agent.Label(), Text: ev.Text, Files: ev.Files}},
	}}
	if failure != nil {
		r.failed(ctx, p, q, src, desk.Outgoing{Channel: ev.Channel, Thread: ev.Thread}, catalog.DeliveryFailedNote, reason(failure))
		return r.commit(ctx, q, d)
	}
	r.delivered(p, q)
	r.mark(ctx, p, src, outcome(files, ev.Files))
	return r.answered(ctx, p, q, t, agent, d)
}

// answered commits an agent's answer to the customer with what it does to the ticket: the
// first response, and a new ticket's move to open. Whoever writes in a ticket's thread is
// taken as an agent: the platform lets only the triage channel's members write there, and
// bots never reach the core.
func (r *Relay) answered(ctx context.Context, p desk.Platform, q desk.Queued, t desk.Ticket, agent desk.User, d decision) error {
	o, err := t.Take(desk.Step{Kind: desk.StepRespond}, desk.PersonActor(agent, true), r.clock.Now(), r.policy())
	if err != nil {
		return fmt.Errorf("answer on ticket %s: %w", t.ID, err)
	}
	r.decide(&d, q, o)
	if err := r.commit(ctx, q, d); err != nil {
		return err
	}
	if o.Changed() {
		r.observeStep(p, o.Ticket, string(o.Step), o.Was)
	}
	return nil
}

package relay

import (
	"context"
	"errors"
	"fmt"

	"github.com/threadesk/threadesk/internal/desk"
)

// handle carries out one queued event. It returns nil once the event's effects and its
// acknowledgement are recorded; an error means it should be handled again (the store or the
// relay was unavailable). Deliveries that fail for good are not errors: they are marked failed
// where their author sees them, and the event is done.
func (r *Relay) handle(ctx context.Context, q desk.Queued) error {
	ev := q.Event
	p := r.platforms[ev.Platform]
	if p == nil && ev.Platform != "" && ev.Kind.Valid() {
		// Recorded by a process that ran this platform (the same Redis, other settings): it
		// stays queued for the next one that does, instead of being lost.
		return errOtherPlatform
	}
	if p == nil || !ev.Kind.Valid() {
		return r.drop(ctx, q, desk.DropUndecodable)
	}
	switch ev.Kind {
	case desk.CustomerMessage:
		return r.customerMessage(ctx, p, q)
	case desk.AgentReply:
		return r.agentReply(ctx, p, q)
	case desk.CustomerEdit, desk.AgentEdit:
		return r.edit(ctx, p, q)
	case desk.CustomerDelete, desk.AgentDelete:
		return r.remove(ctx, p, q)
	case desk.ActionPressed:
		return r.action(ctx, p, q)
	case desk.FormSubmitted:
		return r.formSubmitted(ctx, p, q)
	case desk.CommandRun:
		return r.command(ctx, p, q)
	case desk.ThreadDeleted:
		return r.threadDeleted(ctx, p, q)
	case desk.StepAsked:
		return r.stepAsked(ctx, p, q)
	case desk.TimerFired:
		return r.timerFired(ctx, p, q)
	}
	return r.drop(ctx, q, desk.DropUnsupportedEv)
}

// drop acknowledges an event that has nothing to do, counting it under reason. A customer
// message set aside after its joined post was recorded takes the messages joined to it along:
// the post may carry them already, and they would be posted again alone.
func (r *Relay) drop(ctx context.Context, q desk.Queued, reason desk.DropReason) error {
	r.Discard(q.Event.Platform, reason)
	var d decision
	var joined []desk.Queued
	if q.Event.Kind == desk.CustomerMessage && q.Event.Platform != "" && q.Event.ID != "" {
		j, err := r.store.Join(ctx, q.Event.Platform, q.Event.ID)
		if err != nil && !errors.Is(err, desk.ErrNotFound) && desk.ErrorCode(err) != desk.EINVALID {
			return fmt.Errorf("look for the join of event %s: %w", q.Event.ID, err)
		}
		if err == nil {
			joined = rejoin(q, j).followers
		}
		for _, f := range joined {
			r.Discard(q.Event.Platform, reason)
			d.change(desk.AckEvent{Shard: f.Shard, Entry: f.Entry, Platform: f.Event.Platform, Event: f.Event.ID})
		}
	}
	if err := r.commit(ctx, q, d); err != nil {
		return err
	}
	if v := r.view(q.Shard); v != nil {
		for _, f := range joined {
			v.take(f.Entry)
		}
	}
	return nil
}

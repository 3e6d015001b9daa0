package relay

import (
	"context"

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

// drop acknowledges an event that has nothing to do, counting it under reason.
func (r *Relay) drop(ctx context.Context, q desk.Queued, reason desk.DropReason) error {
	r.Discard(q.Event.Platform, reason)
	return r.commit(ctx, q, decision{})
}

package desk_test

import (
	"errors"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

var autoClose = desk.Policy{PendingNudge: 72 * time.Hour, PendingResolve: 168 * time.Hour, ResolvedClose: 168 * time.Hour}

// take takes step s by a on t and fails the test on a refusal.
func take(t *testing.T, tk desk.Ticket, s desk.Step, a desk.Actor, p desk.Policy) desk.Outcome {
	t.Helper()
	o, err := tk.Take(s, a, now, p)
	if err != nil {
		t.Fatalf("%s by %s: %v", s.Kind, a.Label(), err)
	}
	return o
}

func refusedAs(t *testing.T, tk desk.Ticket, s desk.Step, a desk.Actor, p desk.Policy, want desk.RefusalReason) {
	t.Helper()
	_, err := tk.Take(s, a, now, p)
	var r *desk.Refusal
	if !errors.As(err, &r) || r.Reason != want {
		t.Errorf("%s by %s on a %s ticket: %v, want refused %s", s.Kind, a.Label(), tk.Status, err, want)
	}
}

// TestPendingTicketsAreNudgedThenResolved: waiting on the customer sets the nudge and the
// resolution; the customer's answer cancels both; each fires only on a ticket still pending,
// and only as the timer; a ticket the timer resolved is not rated and closes later.
func TestPendingTicketsAreNudgedThenResolved(t *testing.T) {
	pending := take(t, ticketIn(desk.StatusOpen), desk.Step{Kind: desk.StepPending}, agentB, autoClose)
	if got := effects(pending); got != "[card notify timer:nudge@72h0m0s timer:resolve@168h0m0s]" {
		t.Errorf("pending: effects %s", got)
	}
	answered := take(t, pending.Ticket, desk.Step{Kind: desk.StepWrote}, cust, autoClose)
	if got := effects(answered); got != "[card cancel:nudge cancel:resolve]" || answered.Ticket.Status != desk.StatusOpen {
		t.Errorf("the customer answered: %s, effects %s; want open with both timers cancelled", answered.Ticket.Status, got)
	}

	nudged := take(t, pending.Ticket, desk.Step{Kind: desk.StepNudge}, desk.TimerActor, autoClose)
	if nudged.Ticket.Status != desk.StatusPending || len(nudged.Effects) != 1 || nudged.Effects[0].Notice != desk.NoticeNudge ||
		len(nudged.Entries) != 1 || nudged.Entries[0].Author != "timer" {
		t.Errorf("nudge: %s %+v %+v", nudged.Ticket.Status, nudged.Effects, nudged.Entries)
	}
	refusedAs(t, pending.Ticket, desk.Step{Kind: desk.StepNudge}, agentA, autoClose, desk.RefuseNotAgent)
	refusedAs(t, answered.Ticket, desk.Step{Kind: desk.StepNudge}, desk.TimerActor, autoClose, desk.RefuseStale)

	resolved := take(t, pending.Ticket, desk.Step{Kind: desk.StepResolve}, desk.TimerActor, autoClose)
	if resolved.Ticket.Status != desk.StatusResolved || resolved.Ticket.ResolvedBy != "timer" {
		t.Errorf("timer resolve: %s by %q", resolved.Ticket.Status, resolved.Ticket.ResolvedBy)
	}
	if got := effects(resolved); got != "[card fact:resolved notify timer:close@168h0m0s cancel:nudge cancel:resolve]" {
		t.Errorf("timer resolve: effects %s; want no rating question", got)
	}
	if resolved.Effects[2].Notice != desk.NoticeAutoResolved {
		t.Errorf("timer resolve notice %s", resolved.Effects[2].Notice)
	}
	refusedAs(t, answered.Ticket, desk.Step{Kind: desk.StepResolve}, desk.TimerActor, autoClose, desk.RefuseStale)

	// Closed by its timer, asked on close: still not rated, nobody helped.
	onClose := autoClose
	onClose.Rating.Ask = desk.RatingOnClose
	closed := take(t, resolved.Ticket, desk.Step{Kind: desk.StepClose}, desk.TimerActor, onClose)
	if got := effects(closed); got != "[card notify cancel:close]" {
		t.Errorf("timer close of a timer-resolved ticket: effects %s", got)
	}
	// Reopened, it is someone's to resolve again.
	reopened := take(t, resolved.Ticket, desk.Step{Kind: desk.StepWrote}, cust, autoClose)
	if reopened.Ticket.ResolvedBy != "" {
		t.Errorf("reopened ticket still resolved by %q", reopened.Ticket.ResolvedBy)
	}
}

// TestRatingRules: when the question is asked, its reminder, and never twice.
func TestRatingRules(t *testing.T) {
	asked := func(o desk.Outcome) bool {
		for _, e := range o.Effects {
			if e.Kind == desk.EffectAskRating {
				return true
			}
		}
		return false
	}
	open := ticketIn(desk.StatusOpen)
	for _, tt := range []struct {
		ask              desk.RatingAsk
		onResolve, close bool
	}{
		{"", true, false},
		{desk.RatingOnResolve, true, false},
		{desk.RatingOnClose, false, true},
		{desk.RatingOff, false, false},
	} {
		p := desk.Policy{Rating: desk.Rating{Ask: tt.ask}}
		resolved := take(t, open, desk.Step{Kind: desk.StepResolve}, agentB, p)
		closed := take(t, resolved.Ticket, desk.Step{Kind: desk.StepClose}, agentB, p)
		if asked(resolved) != tt.onResolve || asked(closed) != tt.close {
			t.Errorf("ask %q: asked on resolve %v, on close %v; want %v, %v", tt.ask, asked(resolved), asked(closed), tt.onResolve, tt.close)
		}
	}

	p := desk.Policy{Rating: desk.Rating{RemindAfter: 24 * time.Hour}}
	resolved := take(t, open, desk.Step{Kind: desk.StepResolve}, agentB, p)
	if got := effects(resolved); got != "[card fact:resolved notify ask_rating timer:remind_rating@24h0m0s]" {
		t.Errorf("resolve with a reminder: %s", got)
	}
	reminded := take(t, resolved.Ticket, desk.Step{Kind: desk.StepRemindRating}, desk.TimerActor, p)
	if len(reminded.Effects) != 1 || reminded.Effects[0].Kind != desk.EffectAskRating || !reminded.Effects[0].Again {
		t.Errorf("reminder effects %+v", reminded.Effects)
	}
	rated := take(t, resolved.Ticket, desk.Step{Kind: desk.StepRate, Rating: 5}, cust, p)
	if got := effects(rated); got != "[card fact:rating cancel:remind_rating]" {
		t.Errorf("rating cancels the reminder: %s", got)
	}
	refusedAs(t, rated.Ticket, desk.Step{Kind: desk.StepRemindRating}, desk.TimerActor, p, desk.RefuseStale)
	reopened := take(t, resolved.Ticket, desk.Step{Kind: desk.StepReopen}, agentB, p)
	refusedAs(t, reopened.Ticket, desk.Step{Kind: desk.StepRemindRating}, desk.TimerActor, p, desk.RefuseStale)
	// A rated ticket is not asked again when it closes.
	onClose := desk.Policy{Rating: desk.Rating{Ask: desk.RatingOnClose}}
	if asked(take(t, rated.Ticket, desk.Step{Kind: desk.StepClose}, agentB, onClose)) {
		t.Error("a rated ticket was asked again on close")
	}
}

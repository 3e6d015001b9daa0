package desk

import (
	"slices"
	"time"
)

// This file holds the rules that move quiet tickets on by timers (the desk file's auto_close)
// and the satisfaction question's rules (its satisfaction section).

// The timer steps: the desk's timers take them, nobody else. Like every timer, each is named
// after the step it takes.
const (
	StepNudge        StepKind = "nudge"         // remind the customer a pending ticket waits on them
	StepRemindRating StepKind = "remind_rating" // ask an unrated ticket's customer once more
)

var timerSteps = []StepKind{StepNudge, StepRemindRating, StepSLARemind, StepSLABreach}

// The timers of auto-close and of the rating reminder; TimerClose is the third auto-close one.
const (
	TimerNudge        = string(StepNudge)
	TimerResolve      = string(StepResolve) // resolves a ticket left pending (Policy.PendingResolve)
	TimerRemindRating = string(StepRemindRating)
)

// The notices of the timers.
const (
	NoticeNudge        NoticeKind = "nudge"         // the ticket still waits on the customer
	NoticeAutoResolved NoticeKind = "auto_resolved" // resolved because the customer never answered
)

// RatingAsk says when the customer is asked for a satisfaction score.
type RatingAsk string

// When to ask. The zero value asks on resolve, as a desk without a policy file does.
const (
	RatingOnResolve RatingAsk = "on_resolve"
	RatingOnClose   RatingAsk = "on_close"
	RatingOff       RatingAsk = "off"
)

// Rating holds the satisfaction question's rules.
type Rating struct {
	Ask RatingAsk
	// RemindAfter, when set, asks once more that long after the question if no score came.
	RemindAfter time.Duration
	// Question and Reminder replace the catalog's texts in the languages they have ("en",
	// "ru"); they may hold {customer}, {agent} and {ticket}.
	Question, Reminder map[string]string
}

// asks reports whether the rating question goes with a step that gives the ticket status s.
func (r Rating) asks(s Status) bool {
	switch r.Ask {
	case RatingOff:
		return false
	case RatingOnClose:
		return s == StatusClosed
	}
	return s == StatusResolved
}

// askRating asks for a score, if the rules ask it with this step: never twice, never for a
// ticket the timer resolved (nobody helped), and with its reminder when there is one.
func (o *Outcome) askRating(p Policy, now time.Time) {
	n := o.Ticket
	if !p.Rating.asks(n.Status) || n.Rating != 0 || n.ResolvedBy == TimerActor.ID() {
		return
	}
	o.Effects = append(o.Effects, Effect{Kind: EffectAskRating})
	o.timer(TimerRemindRating, now, p.Rating.RemindAfter)
}

// timer sets the timer name to fire after d, when d is set.
func (o *Outcome) timer(name string, now time.Time, d time.Duration) {
	if d > 0 {
		o.Effects = append(o.Effects, Effect{Kind: EffectTimer, Timer: name, At: now.Add(d)})
	}
}

// cancel cancels the timer name, when the policy sets it (d).
func (o *Outcome) cancel(name string, d time.Duration) {
	if d > 0 {
		o.Effects = append(o.Effects, Effect{Kind: EffectTimer, Timer: name})
	}
}

// takeTimer decides a timer step; checkTimer has refused what the rules do not allow.
func (o *Outcome) takeTimer(s Step, now time.Time) {
	switch s.Kind {
	case StepNudge:
		o.notify(NoticeNudge, "")
	case StepRemindRating:
		o.Effects = append(o.Effects, Effect{Kind: EffectAskRating, Again: true})
	case StepSLARemind, StepSLABreach:
		o.takeSLATimer(s, now)
	}
}

// checkTimer refuses a timer step the ticket has moved past, or anyone but the timer.
func (t Ticket) checkTimer(s Step, a Actor, now time.Time) RefusalReason {
	switch {
	case a.Kind != ActorTimer:
		return RefuseNotAgent
	case s.Kind == StepSLARemind || s.Kind == StepSLABreach:
		return t.checkSLATimer(s, now)
	case s.Kind == StepNudge && t.Status != StatusPending:
		return RefuseStale // the customer answered, or an agent moved it on
	case s.Kind == StepRemindRating && (t.Rating != 0 || (t.Status != StatusResolved && t.Status != StatusClosed)):
		return RefuseStale // rated, or reopened
	}
	return ""
}

// isTimerStep reports whether k is one of the timer steps.
func (k StepKind) isTimerStep() bool { return slices.Contains(timerSteps, k) }

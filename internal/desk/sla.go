package desk

import (
	"slices"
	"strings"
	"time"
)

// This file holds the time rules of the desk file's hours and sla sections: the out-of-hours
// reply, and the SLA clocks a ticket runs against its priority's targets, with their reminder
// and breach alert, each fired once by the desk's timers.

// Calendar is business time: the desk's hours. Policy.Hours is nil when the desk has none,
// and then it is always open.
type Calendar interface {
	// Open reports whether t is within business hours.
	Open(t time.Time) bool
	// NextOpen is t when open, else when business hours next begin (zero: never).
	NextOpen(t time.Time) time.Time
	// Add is when d of business time has passed after t (zero: never).
	Add(t time.Time, d time.Duration) time.Time
	// Between is the business time in [a, b).
	Between(a, b time.Time) time.Duration
	// ClosedFor is the name of the holiday on t's day, if it is one ("" otherwise).
	ClosedFor(t time.Time) string
}

// SLAKind names one of the targets a ticket is held to.
type SLAKind string

// The SLA targets.
const (
	SLAFirstResponse SLAKind = "first_response" // from opening to the first agent's reply or claim
	SLANextResponse  SLAKind = "next_response"  // from a customer's message to the next reply, after the first
	SLAResolution    SLAKind = "resolution"     // from opening to resolution
)

// SLAKinds lists the targets in the order they are shown.
var SLAKinds = []SLAKind{SLAFirstResponse, SLANextResponse, SLAResolution}

// SLATarget is the targets of one priority; a zero duration is no target of that kind.
type SLATarget struct {
	FirstResponse, NextResponse, Resolution time.Duration
	// BusinessHours counts them in business hours (Policy.Hours), else in calendar time.
	BusinessHours bool
}

// Of returns the target of kind k.
func (t SLATarget) Of(k SLAKind) time.Duration {
	switch k {
	case SLAFirstResponse:
		return t.FirstResponse
	case SLANextResponse:
		return t.NextResponse
	case SLAResolution:
		return t.Resolution
	}
	return 0
}

// SLA is the desk's service-level targets.
type SLA struct {
	// Targets are per priority; a priority without an entry has no targets.
	Targets map[Priority]SLATarget
	// RemindAt is the share of a target (0.75) at which a reminder goes into the ticket's
	// thread; 0 sends none.
	RemindAt float64
}

// For returns the targets of priority pr (a ticket without one is normal).
func (s SLA) For(pr Priority) SLATarget {
	if pr == "" {
		pr = PriorityNormal
	}
	return s.Targets[pr]
}

// SLAClock is a ticket's clock against one target. It runs while the ticket waits on the
// desk, pauses while it waits on the customer (pending), and is done when the target is met
// or can no longer be (resolved, closed).
type SLAClock struct {
	Kind     SLAKind       `json:"kind"`
	Target   time.Duration `json:"target"`
	Business bool          `json:"business,omitempty"` // counted in business hours
	// Since is when it last started running; zero while paused or done. Elapsed is the time
	// counted before that.
	Since   time.Time     `json:"since,omitzero"`
	Elapsed time.Duration `json:"elapsed,omitempty"`
	// Due is when it breaches and RemindAt when the reminder goes, while it runs; RemindAt is
	// zero when no reminder is to go.
	Due      time.Time `json:"due,omitzero"`
	RemindAt time.Time `json:"remind_at,omitzero"`
	Reminded bool      `json:"reminded,omitempty"`
	Breached bool      `json:"breached,omitempty"`
	Done     bool      `json:"done,omitempty"`
}

// Running reports whether the clock is counting.
func (c SLAClock) Running() bool { return !c.Done && !c.Since.IsZero() }

// SLAState is how a clock stands.
type SLAState string

// The states of a clock.
const (
	SLAOnTrack  SLAState = "on_track"
	SLAAtRisk   SLAState = "at_risk" // past the reminder's share of the target
	SLABreached SLAState = "breached"
	SLAPaused   SLAState = "paused" // waiting on the customer
	SLAMet      SLAState = "met"
)

// State is how the clock stands at now.
func (c SLAClock) State(now time.Time) SLAState {
	switch {
	case c.Breached || (c.Running() && !c.Due.IsZero() && !now.Before(c.Due)):
		return SLABreached
	case c.Done:
		return SLAMet
	case !c.Running():
		return SLAPaused
	case c.Reminded || (!c.RemindAt.IsZero() && !now.Before(c.RemindAt)):
		return SLAAtRisk
	}
	return SLAOnTrack
}

// Clock returns the ticket's clock of kind k, if it has one.
func (t Ticket) Clock(k SLAKind) (SLAClock, bool) {
	if i := t.clockIndex(k); i >= 0 {
		return t.Clocks[i], true
	}
	return SLAClock{}, false
}

func (t Ticket) clockIndex(k SLAKind) int {
	return slices.IndexFunc(t.Clocks, func(c SLAClock) bool { return c.Kind == k })
}

// NextBreach returns the running clock that breaches first and has not yet, if any.
func (t Ticket) NextBreach() (SLAClock, bool) {
	var next SLAClock
	for _, c := range t.Clocks {
		if c.Running() && !c.Breached && !c.Due.IsZero() && (next.Due.IsZero() || c.Due.Before(next.Due)) {
			next = c
		}
	}
	return next, !next.Due.IsZero()
}

// The SLA timer steps, each with Step.SLA naming the clock.
const (
	StepSLARemind StepKind = "sla_remind" // the reminder at the policy's share of a target
	StepSLABreach StepKind = "sla_breach" // the target is breached
)

// slaTimer is the name of the timer that takes step k for clock c.
func slaTimer(k StepKind, c SLAKind) string { return string(k) + ":" + string(c) }

// TimerStep is the step a timer of that name takes: its name, or for the SLA's timers the
// step with the clock it is for.
func TimerStep(name string) Step {
	kind, clock, _ := strings.Cut(name, ":")
	return Step{Kind: StepKind(kind), SLA: SLAKind(clock)}
}

// The SLA facts, recorded when a clock is done: Subject is "kind:priority", Agent the
// assignee, Value the seconds it counted.
const (
	FactSLAMet      FactKind = "sla_met"
	FactSLABreached FactKind = "sla_breached"
	// A reminder and a breach alert went out: Subject is the target's kind.
	FactSLAReminder FactKind = "sla_reminder"
	FactSLAAlert    FactKind = "sla_alert"
)

// NoticeAway is the out-of-hours reply: Effect.At is when the team is back.
const NoticeAway NoticeKind = "away"

// EffectSLA is a reminder (or, with Alert, a breach alert) for clock Effect.SLA, due at
// Effect.At, into the ticket's thread; an alert also goes to the leads.
const EffectSLA EffectKind = "sla"

// timeRules applies the hours and SLA rules after step s took the ticket from before to
// o.Ticket.
func (o *Outcome) timeRules(before Ticket, s Step, p Policy, now time.Time) {
	o.outOfHours(s, p, now)
	if len(p.SLA.Targets) == 0 && len(before.Clocks) == 0 {
		return
	}
	o.Ticket.Clocks = slices.Clone(before.Clocks)
	for _, k := range SLAKinds {
		o.runClock(k, before, s, p, now)
	}
	if !slices.Equal(o.Ticket.Clocks, before.Clocks) {
		o.Clocks = true
	}
}

// outOfHours answers a customer who writes, or whose request reaches the agents, outside
// business hours: once per closed period, saying when the team is back. A request that comes
// in then is marked so on its card.
func (o *Outcome) outOfHours(s Step, p Policy, now time.Time) {
	n := &o.Ticket
	opened := n.Status == StatusNew && (o.Step == stepOpen || o.Was == StatusIntake)
	wrote := s.Kind == StepWrote && n.Status != StatusIntake
	if p.Hours == nil || !(opened || wrote) || p.Hours.Open(now) {
		return
	}
	if opened {
		n.OutOfHours = true
	}
	back := p.Hours.NextOpen(now)
	if back.IsZero() || now.Before(n.AwayUntil) {
		return // never open, or told already during this closed period
	}
	n.AwayUntil = back
	o.Effects = append(o.Effects, Effect{Kind: EffectNotify, Notice: NoticeAway, At: back})
}

// clockWant is what the rules want of a clock after a step.
type clockWant int

const (
	clockAsIs clockWant = iota
	clockRun
	clockPause
	clockStop
)

// want says what the ticket after the step wants of its clock of kind k (c, when it has one).
func (o *Outcome) want(k SLAKind, c *SLAClock, before Ticket, s Step) clockWant {
	n := o.Ticket
	byStatus := func() clockWant {
		switch n.Status {
		case StatusNew, StatusOpen:
			return clockRun
		case StatusPending:
			return clockPause
		case StatusResolved, StatusClosed:
			return clockStop
		}
		return clockAsIs // in intake: nobody sees it yet
	}
	switch k {
	case SLAFirstResponse:
		if !n.FirstResponseAt.IsZero() {
			return clockStop
		}
	case SLANextResponse:
		if c == nil || c.Done {
			// It starts when the customer writes again after an answer, and waits for the next.
			if s.Kind == StepWrote && !before.FirstResponseAt.IsZero() && byStatus() == clockRun {
				return clockRun
			}
			return clockAsIs
		}
		if s.Kind == StepRespond {
			return clockStop
		}
	}
	return byStatus()
}

// runClock moves the ticket's clock of kind k as the step wants.
func (o *Outcome) runClock(k SLAKind, before Ticket, s Step, p Policy, now time.Time) {
	n := &o.Ticket
	i := n.clockIndex(k)
	var c *SLAClock
	if i >= 0 {
		c = &n.Clocks[i]
	}
	target := p.SLA.For(n.Priority)
	goal := target.Of(k)
	if goal == 0 {
		if c != nil && !c.Done {
			// The ticket's priority has no such target any more: the clock goes.
			o.stopTimers(*c)
			n.Clocks = slices.Delete(n.Clocks, i, i+1)
		}
		return
	}
	cal := func(business bool) Calendar {
		if business {
			return p.Hours
		}
		return nil
	}
	switch o.want(k, c, before, s) {
	case clockRun:
		switch {
		case c == nil:
			n.Clocks = append(n.Clocks, SLAClock{Kind: k})
			c = &n.Clocks[len(n.Clocks)-1]
		case c.Done && k == SLANextResponse:
			*c = SLAClock{Kind: k} // a new wait for an answer
		case c.Running() && c.Target == goal && c.Business == target.BusinessHours:
			return // runs as planned
		case c.Running():
			// The priority changed: count what ran so far, re-plan against the new target.
			c.Elapsed += between(cal(c.Business), c.Since, now)
		}
		c.Done, c.Since, c.Target, c.Business = false, now, goal, target.BusinessHours
		o.plan(c, cal(c.Business), p.SLA.RemindAt, now)
	case clockPause:
		if c != nil && c.Running() {
			c.Elapsed += between(cal(c.Business), c.Since, now)
			o.stopTimers(*c)
			c.Since, c.Due, c.RemindAt = time.Time{}, time.Time{}, time.Time{}
		}
	case clockStop:
		if c == nil || c.Done {
			return
		}
		if c.Running() {
			c.Breached = c.Breached || (!c.Due.IsZero() && !now.Before(c.Due))
			c.Elapsed += between(cal(c.Business), c.Since, now)
			o.stopTimers(*c)
		}
		c.Done, c.Since, c.Due, c.RemindAt = true, time.Time{}, time.Time{}, time.Time{}
		fact, pr := FactSLAMet, n.Priority
		if c.Breached {
			fact = FactSLABreached
		}
		if pr == "" {
			pr = PriorityNormal
		}
		o.Effects = append(o.Effects, Effect{Kind: EffectFact, Fact: Fact{Kind: fact, At: now, Ticket: n.ID,
			Agent: n.Assignee, Subject: string(k) + ":" + string(pr), Value: int64(c.Elapsed / time.Second)}})
	}
}

// plan sets a running clock's due time and reminder from what it has left, with their timers.
func (o *Outcome) plan(c *SLAClock, cal Calendar, share float64, now time.Time) {
	c.Due = add(cal, now, max(c.Target-c.Elapsed, 0))
	c.RemindAt = time.Time{}
	if share > 0 && !c.Reminded {
		left := time.Duration(float64(c.Target)*share) - c.Elapsed
		if at := add(cal, now, max(left, 0)); !at.IsZero() && at.Before(c.Due) {
			c.RemindAt = at
		}
	}
	remind, breach := slaTimer(StepSLARemind, c.Kind), slaTimer(StepSLABreach, c.Kind)
	if !c.RemindAt.IsZero() {
		o.Effects = append(o.Effects, Effect{Kind: EffectTimer, Timer: remind, At: c.RemindAt})
	} else if !c.Reminded {
		o.Effects = append(o.Effects, Effect{Kind: EffectTimer, Timer: remind}) // a re-plan may leave none
	}
	if !c.Breached && !c.Due.IsZero() {
		o.Effects = append(o.Effects, Effect{Kind: EffectTimer, Timer: breach, At: c.Due})
	}
}

// stopTimers cancels the timers a running clock may have set.
func (o *Outcome) stopTimers(c SLAClock) {
	if !c.Running() {
		return
	}
	if !c.Reminded {
		o.Effects = append(o.Effects, Effect{Kind: EffectTimer, Timer: slaTimer(StepSLARemind, c.Kind)})
	}
	if !c.Breached {
		o.Effects = append(o.Effects, Effect{Kind: EffectTimer, Timer: slaTimer(StepSLABreach, c.Kind)})
	}
}

// add is when d of cal's business time (calendar time without one) has passed after t.
func add(cal Calendar, t time.Time, d time.Duration) time.Time {
	if cal == nil {
		return t.Add(d)
	}
	return cal.Add(t, d)
}

// between is cal's business time (calendar time without one) in [a, b).
func between(cal Calendar, a, b time.Time) time.Duration {
	if cal == nil {
		return max(b.Sub(a), 0)
	}
	return cal.Between(a, b)
}

// checkSLATimer refuses an SLA timer the clock has moved past: stopped, paused, re-planned
// later, or fired already.
func (t Ticket) checkSLATimer(s Step, now time.Time) RefusalReason {
	c, ok := t.Clock(s.SLA)
	switch {
	case !ok || !c.Running():
		return RefuseStale
	case s.Kind == StepSLARemind && (c.Reminded || c.RemindAt.IsZero() || now.Before(c.RemindAt)):
		return RefuseStale
	case s.Kind == StepSLABreach && (c.Breached || c.Due.IsZero() || now.Before(c.Due)):
		return RefuseStale
	}
	return ""
}

// takeSLATimer marks the clock reminded or breached and has the reminder or alert sent and
// the card show its new state.
func (o *Outcome) takeSLATimer(s Step, now time.Time) {
	n := &o.Ticket
	n.Clocks = slices.Clone(n.Clocks)
	c := &n.Clocks[n.clockIndex(s.SLA)]
	fact := FactSLAReminder
	if s.Kind == StepSLARemind {
		c.Reminded = true
	} else {
		c.Breached, fact = true, FactSLAAlert
	}
	o.Clocks = true
	o.Effects = append(o.Effects, Effect{Kind: EffectCard},
		Effect{Kind: EffectSLA, SLA: s.SLA, Alert: s.Kind == StepSLABreach, At: c.Due},
		Effect{Kind: EffectFact, Fact: Fact{Kind: fact, At: now, Ticket: n.ID, Agent: n.Assignee, Subject: string(s.SLA)}})
}

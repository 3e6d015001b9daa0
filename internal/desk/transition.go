package desk

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds the ticket rules: every change of a ticket is a Step taken by an Actor at a
// time, and Ticket.Take decides it without any I/O. It returns the changed ticket with what
// must follow (its Effects: notices to the customer, the card to refresh, the rating question,
// statistics facts, timers) or a *Refusal that says why not. The engine records the change and
// its effects together, then carries the effects out; chat events, timers, the first-line bot
// and the dashboard all go through here.

// StepKind names a change of a ticket.
type StepKind string

// The steps. Agents take most of them with buttons, forms and commands; a timer or the bot
// takes some on the desk's behalf; the last two follow from messages.
const (
	StepClaim    StepKind = "claim"    // the actor takes the ticket
	StepAssign   StepKind = "assign"   // Step.Assignee gets the ticket
	StepTag      StepKind = "tag"      // category, tags and priority
	StepPriority StepKind = "priority" // priority only
	StepPending  StepKind = "pending"  // waiting on the customer
	StepResolve  StepKind = "resolve"
	StepReopen   StepKind = "reopen"
	StepClose    StepKind = "close"
	StepRate     StepKind = "rate"    // the customer's satisfaction score
	StepComment  StepKind = "comment" // the customer's comment on their score

	StepRespond StepKind = "respond" // an agent's reply reached the customer
	StepWrote   StepKind = "wrote"   // the customer wrote on their ticket
)

// agentSteps are the steps a person may take only as an agent.
var agentSteps = []StepKind{StepClaim, StepAssign, StepTag, StepPriority, StepPending, StepResolve, StepReopen, StepClose, StepRespond}

// Valid reports whether k is a known step.
func (k StepKind) Valid() bool {
	return slices.Contains(agentSteps, k) || k == StepRate || k == StepComment || k == StepWrote || k.Intake() || k.isTimerStep()
}

// Intake reports whether k is a step of the first-line bot's intake.
func (k StepKind) Intake() bool { return slices.Contains(intakeSteps, k) }

// ForAgents reports whether only agents (or the desk itself: a timer, the bot) take this step.
func (k StepKind) ForAgents() bool { return slices.Contains(agentSteps, k) }

// Step is one change asked of a ticket, with what it needs.
type Step struct {
	Kind StepKind
	// Assignee is who gets the ticket (StepAssign), with whether they are an agent.
	Assignee *Actor
	// Category is the new category (StepTag); nil leaves it as it is.
	Category *string
	// Tags are tags to add (StepTag); "-x" removes x. SetTags, when set, replaces the list.
	Tags    []string
	SetTags *[]string
	// Priority is the new priority (StepTag, StepPriority); empty leaves it for StepTag.
	Priority Priority
	Rating   int     // StepRate: 1–5
	Comment  string  // StepComment; StepClose: the agent's note, kept in the history; StepAnswer: the answer
	Article  string  // StepSolved: the article that solved the question
	SLA      SLAKind // StepSLARemind, StepSLABreach: the clock
}

// ActorKind says who takes a step.
type ActorKind string

// The kinds of actors.
const (
	ActorPerson ActorKind = "person" // someone in chat or on the dashboard
	ActorBot    ActorKind = "bot"    // the first-line bot
	ActorTimer  ActorKind = "timer"  // a timer of the desk's (auto-close, SLA)
)

// Actor is who takes a step. For a person, Agent says whether the one rule of who is an agent
// (IsAgent) holds for them; the engine finds out before asking the rules.
type Actor struct {
	Kind  ActorKind
	User  User
	Agent bool
}

// PersonActor is a person taking a step.
func PersonActor(u User, agent bool) Actor { return Actor{Kind: ActorPerson, User: u, Agent: agent} }

// The desk's own actors.
var (
	TimerActor = Actor{Kind: ActorTimer, User: User{ID: "timer", DisplayName: "Timer"}}
	BotActor   = Actor{Kind: ActorBot, User: User{ID: "bot", DisplayName: "Bot"}}
)

// ID is the actor's user ID ("timer" or "bot" for the desk's own actors).
func (a Actor) ID() string { return a.User.ID }

// Label is the name to show for the actor.
func (a Actor) Label() string { return a.User.Label() }

// actsForDesk reports whether the actor may take agents' steps: an agent, a timer or the bot.
func (a Actor) actsForDesk() bool { return a.Kind != ActorPerson || a.Agent }

// Policy holds the desk's rules that configuration sets.
type Policy struct {
	// Language is the agents' language and the customers' when their platform does not say
	// theirs ("en", "ru"); empty means English.
	Language string
	// Categories are the categories a ticket may have; empty allows none but "".
	Categories []string
	// ResolvedClose, when set, closes a resolved ticket that long after its resolution, by
	// a timer, unless it is reopened first.
	ResolvedClose time.Duration
	// PendingNudge and PendingResolve, when set, remind the customer of a ticket that waits on
	// them, and resolve it, that long after it began waiting, unless it moves on first.
	PendingNudge, PendingResolve time.Duration
	// Rating is when the customer is asked for a satisfaction score (autoclose.go).
	Rating Rating
	// Intake is the first-line bot's part (intake.go).
	Intake Intake
	// Canned are the canned replies agents send (reply.go).
	Canned []Canned
	// Hours are the business hours, nil when the desk is always open; Zone is the desk's time
	// zone (UTC when nil), in which times are shown to those whose own the platform does not
	// tell (sla.go).
	Hours Calendar
	Zone  *time.Location
	// SLA is the targets per priority (sla.go).
	SLA SLA
}

// TimerClose is the timer that closes a resolved ticket (Policy.ResolvedClose); like every
// timer, it is named after the step it takes.
const TimerClose = string(StepClose)

// EffectKind names something that follows from a step.
type EffectKind string

// The effects. Facts and timers are recorded with the change; notices, the card and the
// rating question are carried out on the platform afterwards.
const (
	EffectNotify    EffectKind = "notify"     // tell the customer (Effect.Notice)
	EffectCard      EffectKind = "card"       // show the ticket's new state on its card
	EffectAskRating EffectKind = "ask_rating" // ask the customer for a satisfaction score
	EffectFact      EffectKind = "fact"       // record a statistics fact (Effect.Fact)
	EffectTimer     EffectKind = "timer"      // set (Effect.At) or cancel (zero At) Effect.Timer
)

// NoticeKind names a notice to the customer.
type NoticeKind string

// The notices a customer gets about their ticket.
const (
	NoticeClaimed  NoticeKind = "claimed" // Effect.Agent looks after it
	NoticePending  NoticeKind = "pending"
	NoticeResolved NoticeKind = "resolved"
	NoticeReopened NoticeKind = "reopened"
	NoticeClosed   NoticeKind = "closed"
)

// Effect is one thing that follows from a step.
type Effect struct {
	Kind   EffectKind
	Notice NoticeKind // EffectNotify
	Agent  string     // EffectNotify with NoticeClaimed: the agent's name
	Fact   Fact       // EffectFact
	Timer  string     // EffectTimer: the timer's name on the ticket
	At     time.Time  // EffectTimer: when it fires; zero cancels it
	Stage  Stage      // EffectBot: what the bot asks
	Again  bool       // EffectBot: asked again, the last answer could not be taken
	SLA    SLAKind    // EffectSLA: the clock
	Alert  bool       // EffectSLA: breached, not a reminder
}

// Outcome is what a step did: the ticket after it, the history lines it adds and what
// follows from it.
type Outcome struct {
	Step    StepKind
	Ticket  Ticket
	Was     Status
	Entries []Entry
	Effects []Effect
	// Clocks says the step moved the ticket's SLA clocks.
	Clocks bool
}

// Changed reports whether the step changed the ticket's status.
func (o Outcome) Changed() bool { return o.Ticket.Status != o.Was }

// RefusalReason says why a step was refused.
type RefusalReason string

// The reasons a step is refused. The engine tells the actor in words from the catalog.
const (
	RefuseClosed           RefusalReason = "ticket_closed"      // nothing but a rating changes a closed ticket
	RefuseNotAgent         RefusalReason = "not_an_agent"       // the person is not an agent
	RefuseAlreadyYours     RefusalReason = "already_yours"      // claim of one's own ticket
	RefuseAlreadyAssigned  RefusalReason = "already_assigned"   // assign to the assignee
	RefuseAssigneeNotAgent RefusalReason = "user_not_agent"     // assign to someone who is not an agent
	RefuseBadCategory      RefusalReason = "bad_category"       // a category the desk does not have
	RefuseBadPriority      RefusalReason = "bad_priority"       // not one of Priorities
	RefuseAlreadyStatus    RefusalReason = "already_status"     // pending or resolved twice
	RefuseCannotReopen     RefusalReason = "cannot_reopen"      // only pending or resolved tickets reopen
	RefuseRatingNotAllowed RefusalReason = "rating_not_allowed" // not the customer, not resolved, or rated already
	RefuseUnknownStep      RefusalReason = "unknown_step"
	RefuseStale            RefusalReason = "stale"            // a timer's step the ticket has moved past
	RefuseNotCustomer      RefusalReason = "not_the_customer" // an intake step by someone else
	RefuseInIntake         RefusalReason = "in_intake"        // the bot still talks with the customer
)

// Refusal is a step the rules refuse. It changes nothing.
type Refusal struct {
	Reason RefusalReason
	Step   StepKind
	Ticket TicketID
	Status Status
	// Value is what was refused, where there is one: the category, the priority, the name of
	// the person to assign.
	Value string
}

func (r *Refusal) Error() string {
	msg := fmt.Sprintf("%s of ticket %s refused: %s", r.Step, r.Ticket, r.Reason)
	if r.Value != "" {
		msg += " (" + r.Value + ")"
	}
	return msg
}

// Take decides step s on the ticket, taken by a at now under policy p. It never changes t: it
// returns the ticket after the step in the Outcome, or a *Refusal.
func (t Ticket) Take(s Step, a Actor, now time.Time, p Policy) (Outcome, error) {
	o, err := t.take(s, a, now, p)
	if err != nil {
		return Outcome{}, err
	}
	if !s.Kind.isTimerStep() {
		o.timeRules(t, s, p, now)
		// A message that starts or stops a clock changes what the card shows of it.
		if o.Clocks && !slices.ContainsFunc(o.Effects, func(e Effect) bool { return e.Kind == EffectCard }) {
			o.Effects = append([]Effect{{Kind: EffectCard}}, o.Effects...)
		}
	}
	return o, nil
}

// take is Take without the time rules.
func (t Ticket) take(s Step, a Actor, now time.Time, p Policy) (Outcome, error) {
	o := Outcome{Step: s.Kind, Ticket: t, Was: t.Status}
	o.Ticket.Tags = slices.Clone(t.Tags)
	if s.Kind.Intake() {
		if r := t.checkIntake(s, a, p); r != "" {
			return Outcome{}, &Refusal{Reason: r, Step: s.Kind, Ticket: t.ID, Status: t.Status}
		}
		o.takeIntake(s, p, now)
		o.Ticket.LastActivityAt = now
		o.intakeEntry(t, s, a, now)
		return o, nil
	}
	if s.Kind.isTimerStep() {
		if r := t.checkTimer(s, a, now); r != "" {
			return Outcome{}, &Refusal{Reason: r, Step: s.Kind, Ticket: t.ID, Status: t.Status}
		}
		o.takeTimer(s, now)
		o.entry(s, a, now, false)
		return o, nil
	}
	if err := t.check(s, a, p); err != nil {
		return Outcome{}, err
	}
	n := &o.Ticket
	switch s.Kind {
	case StepClaim:
		o.assign(a, a, now)
	case StepAssign:
		o.assign(*s.Assignee, a, now)
	case StepTag:
		if s.Category != nil {
			n.Category = *s.Category
		}
		if s.SetTags != nil {
			n.Tags = slices.Clone(*s.SetTags)
		}
		for _, tag := range s.Tags {
			if name, ok := strings.CutPrefix(tag, "-"); ok {
				n.Tags = slices.DeleteFunc(n.Tags, func(x string) bool { return x == name })
			} else if !slices.Contains(n.Tags, tag) {
				n.Tags = append(n.Tags, tag)
			}
		}
		if s.Priority != "" {
			n.Priority = s.Priority
		}
	case StepPriority:
		n.Priority = s.Priority
	case StepPending:
		n.Status = StatusPending
		o.notify(NoticePending, "")
		o.timer(TimerNudge, now, p.PendingNudge)
		o.timer(TimerResolve, now, p.PendingResolve)
	case StepResolve:
		n.Status, n.ResolvedAt, n.ResolvedBy = StatusResolved, now, a.ID()
		credit := n.Assignee
		if credit == "" {
			credit = a.ID()
		}
		o.fact(FactResolved, now, credit, int64(now.Sub(n.CreatedAt).Seconds()))
		if a.Kind == ActorTimer {
			o.notify(NoticeAutoResolved, "")
		} else {
			o.notify(NoticeResolved, "")
		}
		o.askRating(p, now)
		o.timer(TimerClose, now, p.ResolvedClose)
	case StepReopen:
		n.Status = StatusOpen
		o.notify(NoticeReopened, "")
	case StepClose:
		n.Status, n.ClosedAt = StatusClosed, now
		o.notify(NoticeClosed, "")
		o.askRating(p, now)
	case StepRate:
		n.Rating = s.Rating
		o.fact(FactRating, now, n.Assignee, int64(s.Rating))
		o.cancel(TimerRemindRating, p.Rating.RemindAfter)
	case StepComment:
		n.RatingComment = strings.TrimSpace(s.Comment)
	case StepRespond:
		if n.FirstResponseAt.IsZero() {
			n.FirstResponseAt = now
			o.fact(FactFirstResponse, now, a.ID(), int64(now.Sub(n.CreatedAt).Seconds()))
		}
		if n.Status == StatusNew {
			n.Status = StatusOpen
		}
		if n.Assignee == "" && a.Kind == ActorPerson {
			// Nobody claimed it and this agent answered: they look after it now, so that its
			// resolution and rating are theirs in the statistics, not nobody's.
			n.Assignee, n.AssigneeName = a.ID(), a.Label()
		}
	case StepWrote:
		if n.Status == StatusPending || n.Status == StatusResolved {
			n.Status = StatusOpen
		}
		if o.Was == StatusResolved {
			o.notify(NoticeReopened, "")
		}
	}
	if o.Was == StatusResolved && n.Status != StatusResolved {
		// Reopened or closed otherwise: the timer that would close it has nothing to do.
		o.cancel(TimerClose, p.ResolvedClose)
	}
	if o.Was == StatusPending && n.Status != StatusPending {
		// The customer answered, or an agent moved it on: no nudge, no resolving it for them.
		o.cancel(TimerNudge, p.PendingNudge)
		o.cancel(TimerResolve, p.PendingResolve)
	}
	if n.Status == StatusOpen {
		n.ResolvedBy = "" // helped again: a later resolution is someone's
	}
	n.LastActivityAt = now
	o.entry(s, a, now, s.Kind == StepRespond && t.Assignee == "" && n.Assignee != "")
	// Messages change the card only when they change the status: they are the hot path, and
	// the card shows no per-message detail. Every other step shows on the card, first: agents
	// see the new state before the customer's notices go out.
	if (s.Kind != StepRespond && s.Kind != StepWrote) || o.Changed() || n.Assignee != t.Assignee {
		o.Effects = append([]Effect{{Kind: EffectCard}}, o.Effects...)
	}
	return o, nil
}

// check refuses a step the rules do not allow.
func (t Ticket) check(s Step, a Actor, p Policy) error {
	refuse := func(r RefusalReason, value string) error {
		return &Refusal{Reason: r, Step: s.Kind, Ticket: t.ID, Status: t.Status, Value: value}
	}
	switch {
	case !s.Kind.Valid():
		return refuse(RefuseUnknownStep, string(s.Kind))
	case s.Kind.ForAgents() && !a.actsForDesk():
		return refuse(RefuseNotAgent, a.Label())
	case t.Status == StatusClosed && s.Kind != StepRate && s.Kind != StepComment && s.Kind != StepRespond:
		// An agent may still write to the customer of a closed ticket; it changes nothing.
		return refuse(RefuseClosed, "")
	case t.Status == StatusIntake && s.Kind != StepWrote:
		return refuse(RefuseInIntake, "") // no agent sees it yet
	}
	switch s.Kind {
	case StepClaim:
		if a.Kind != ActorPerson {
			return refuse(RefuseNotAgent, a.Label()) // only a person can look after a ticket
		}
		if t.Assignee == a.ID() {
			return refuse(RefuseAlreadyYours, "")
		}
	case StepAssign:
		switch {
		case s.Assignee == nil || s.Assignee.Kind != ActorPerson || !s.Assignee.Agent:
			name := ""
			if s.Assignee != nil {
				name = s.Assignee.Label()
			}
			return refuse(RefuseAssigneeNotAgent, name)
		case t.Assignee == s.Assignee.ID():
			return refuse(RefuseAlreadyAssigned, s.Assignee.Label())
		}
	case StepTag:
		if s.Category != nil && *s.Category != "" && !slices.Contains(p.Categories, *s.Category) {
			return refuse(RefuseBadCategory, *s.Category)
		}
		if s.Priority != "" && !s.Priority.Valid() {
			return refuse(RefuseBadPriority, string(s.Priority))
		}
	case StepPriority:
		if !s.Priority.Valid() {
			return refuse(RefuseBadPriority, string(s.Priority))
		}
	case StepPending:
		if t.Status == StatusPending || t.Status == StatusResolved {
			return refuse(RefuseAlreadyStatus, "")
		}
	case StepResolve:
		if a.Kind == ActorTimer && t.Status != StatusPending {
			return refuse(RefuseStale, "") // the customer answered since the timer was set
		}
		if t.Status == StatusResolved {
			return refuse(RefuseAlreadyStatus, "")
		}
	case StepReopen:
		if t.Status != StatusResolved && t.Status != StatusPending {
			return refuse(RefuseCannotReopen, "")
		}
	case StepClose:
		if a.Kind == ActorTimer && t.Status != StatusResolved {
			return refuse(RefuseStale, "") // reopened since the timer was set
		}
	case StepRate:
		if !t.IsCustomer(a) || (t.Status != StatusResolved && t.Status != StatusClosed) || t.Rating != 0 || s.Rating < 1 || s.Rating > 5 {
			return refuse(RefuseRatingNotAllowed, "")
		}
	case StepComment:
		if !t.IsCustomer(a) || t.Rating == 0 || t.RatingComment != "" || strings.TrimSpace(s.Comment) == "" {
			return refuse(RefuseRatingNotAllowed, "")
		}
	}
	return nil
}

// intakeEntry adds an intake step's line to the history; before is the ticket before it.
func (o *Outcome) intakeEntry(before Ticket, s Step, a Actor, now time.Time) {
	n := o.Ticket
	e := Entry{At: now, Kind: "intake", Author: a.ID(), Name: a.Label(), Text: string(s.Kind)}
	switch {
	case o.Changed():
		e.Kind, e.Text = "status", string(o.Was)+" → "+string(n.Status)
		if n.Deflected != "" {
			e.Text += " (solved by article " + n.Deflected + ")"
		}
	case s.Kind == StepPickCategory:
		e.Text = "category: " + n.Category
	case s.Kind == StepAnswer && len(n.Answers) > len(before.Answers):
		last := n.Answers[len(n.Answers)-1]
		e.Text = "answer to " + last.ID + ": " + last.Value
	}
	o.Entries = append(o.Entries, e)
}

// IsCustomer reports whether a is the person who asked.
func (t Ticket) IsCustomer(a Actor) bool { return a.Kind == ActorPerson && a.ID() == t.Customer.ID }

// assign gives the ticket to agent: a new ticket is open from now, and it is the first
// response if none came before (credited to by, who took the step).
func (o *Outcome) assign(agent, by Actor, now time.Time) {
	n := &o.Ticket
	n.Assignee, n.AssigneeName = agent.ID(), agent.Label()
	if n.Status == StatusNew {
		n.Status = StatusOpen
	}
	if n.FirstResponseAt.IsZero() {
		n.FirstResponseAt = now
		o.fact(FactFirstResponse, now, by.ID(), int64(now.Sub(n.CreatedAt).Seconds()))
	}
	o.notify(NoticeClaimed, agent.Label())
}

func (o *Outcome) notify(kind NoticeKind, agent string) {
	o.Effects = append(o.Effects, Effect{Kind: EffectNotify, Notice: kind, Agent: agent})
}

func (o *Outcome) fact(kind FactKind, at time.Time, agent string, value int64) {
	o.Effects = append(o.Effects, Effect{Kind: EffectFact, Fact: Fact{Kind: kind, At: at, Ticket: o.Ticket.ID, Agent: agent, Value: value}})
}

// entry adds the step's line to the history: a status change says from what to what, other
// steps say what they were.
func (o *Outcome) entry(s Step, a Actor, now time.Time, firstToAnswer bool) {
	e := Entry{At: now, Kind: "action", Author: a.ID(), Name: a.Label(), Text: string(s.Kind)}
	if o.Changed() {
		e.Kind, e.Text = "status", string(o.Was)+" → "+string(o.Ticket.Status)
	}
	switch s.Kind {
	case StepAssign:
		e.Text += " (assigned to " + s.Assignee.Label() + ")"
	case StepRespond:
		switch {
		case firstToAnswer && o.Changed():
			e.Text += " (assigned to " + a.Label() + ", the first to answer)"
		case firstToAnswer:
			e.Kind, e.Text = "action", "assigned to "+a.Label()+", the first to answer"
		case !o.Changed():
			return // the message itself is in the history
		}
	case StepSLARemind:
		e.Kind, e.Text = "sla", string(s.SLA)+" at risk"
	case StepSLABreach:
		e.Kind, e.Text = "sla", string(s.SLA)+" breached"
	case StepRate:
		e.Text = "rated " + strconv.Itoa(s.Rating) + "/5"
	case StepComment:
		e.Kind, e.Text = "rating", "comment: "+o.Ticket.RatingComment
	case StepClose:
		if s.Comment != "" {
			e.Text += ": " + s.Comment // the agent's note on why
		}
	case StepWrote:
		if !o.Changed() {
			return // the message itself is in the history
		}
	}
	o.Entries = append(o.Entries, e)
}

// stepOpen is the step of Open.
const stepOpen StepKind = "open"

// Open is the outcome of a customer's first message: ticket t (as the store created it) gets
// its card, the customer is told its number, and the opening counts in the statistics. A
// ticket the agents see at once (no intake) starts its SLA clocks, and gets the out-of-hours
// reply when it comes in while the desk is closed.
func Open(t Ticket, now time.Time, p Policy) Outcome {
	o := Outcome{Step: stepOpen, Ticket: t, Was: t.Status}
	o.fact(FactCreated, now, "", 0)
	o.timeRules(t, Step{Kind: stepOpen}, p, now)
	return o
}

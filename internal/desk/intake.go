package desk

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds the first-line bot's rules: the intake, a short conversation between the
// bot and a customer before their ticket reaches the agents. The ticket exists from the first
// message (status intake: no card, nothing in the triage channel), so the conversation is in
// order with everything else the customer does and survives crashes like any step. The bot
// may suggest articles that answer the question (a "that solved it" closes the ticket without
// an agent: a deflection), offer the desk's categories, and ask a category's questions one at
// a time; then the ticket is released to the agents with all it learnt, every message the
// customer wrote meanwhile relayed in order. A customer who stops answering is not left
// behind: a timer releases the ticket with what is known.

// StatusIntake is a ticket the first-line bot is still talking about with its customer; no
// agent sees it yet.
const StatusIntake Status = "intake"

// Stage is where an intake conversation is.
type Stage string

// The stages of an intake.
const (
	StageSuggested Stage = "suggested" // articles shown: "that solved it" or "I still need a person"
	StageCategory  Stage = "category"  // the categories offered
	StageQuestion  Stage = "question"  // Ticket.Question asked
	StageConfirm   Stage = "confirm"   // an agent wrote to the app: asked whether they want a ticket
)

// Category is a kind of request a customer picks before their ticket opens.
type Category struct {
	Name        string
	Description string
	Questions   []Question
}

// Question is what the bot asks about a category, one at a time; the answer goes on the card.
type Question struct {
	ID       string
	Ask      string
	Choices  []string // when set, the answer is one of them
	Required bool
}

// Answer is a customer's answer to a question of the intake.
type Answer struct {
	ID    string `json:"id"`
	Ask   string `json:"ask"`
	Value string `json:"value"`
}

// Intake is the first-line bot's part of the policy.
type Intake struct {
	Enabled    bool
	Timeout    time.Duration // how long the bot waits for an answer before releasing the ticket
	Suggest    bool          // suggest articles from the knowledge base first
	Categories []Category
}

// Category returns the intake category of that name.
func (in Intake) Category(name string) (Category, bool) {
	for _, c := range in.Categories {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Category{}, false
}

// TimerIntake is the timer that releases a ticket whose customer stopped answering the bot;
// like every timer, it is named after the step it takes.
const TimerIntake = string(StepIntakeTimer)

// The intake's steps, taken by the customer with the bot's buttons and answers, or by the
// intake's timer.
const (
	StepPickCategory StepKind = "category"     // Step.Category is the customer's choice
	StepAnswer       StepKind = "answer"       // Step.Comment answers the question asked
	StepSkip         StepKind = "skip"         // no category, or (asked) no answer to an optional question
	StepSolved       StepKind = "solved"       // Step.Article answered the question: no agent needed
	StepNeedPerson   StepKind = "human"        // the articles did not help
	StepWantTicket   StepKind = "want_ticket"  // an agent who wrote to the app wants a ticket all the same
	StepNoTicket     StepKind = "no_ticket"    // an agent who wrote to the app wants none
	StepIntakeTimer  StepKind = "intake_timer" // the customer stopped answering: release what is known
)

var intakeSteps = []StepKind{StepPickCategory, StepAnswer, StepSkip, StepSolved, StepNeedPerson, StepWantTicket, StepNoTicket, StepIntakeTimer}

// EffectBot is a message of the bot's to the customer: what its stage asks (Effect.Stage, with
// Effect.Again when the last answer could not be taken), or, with no stage, thanks for a
// question the articles solved.
const EffectBot EffectKind = "bot"

// EffectRelease hands a ticket to the agents: its card, its number told to the customer, and
// every message the customer wrote during the intake relayed in order.
const EffectRelease EffectKind = "release"

// StartIntake decides how the bot meets the customer whose first message opened ticket t
// (status intake): with the articles suggested for it, with the categories, by asking an agent
// whether they want a ticket at all, or, when there is nothing to ask, by handing the ticket
// to the agents at once.
func (t Ticket) StartIntake(p Policy, suggested []string, byAgent bool, now time.Time) Outcome {
	o := Outcome{Step: "intake", Ticket: t, Was: t.Status}
	o.Ticket.Suggested = slices.Clone(suggested)
	if p.Intake.Timeout > 0 {
		o.Effects = append(o.Effects, Effect{Kind: EffectTimer, Timer: TimerIntake, At: now.Add(p.Intake.Timeout)})
	}
	if byAgent {
		o.ask(StageConfirm, false)
		return o
	}
	o.next(p, now, "") // nothing asked yet: a ticket handed over at once is no intake
	return o
}

// next moves an intake to what comes after the agent question: suggestions, categories, or
// the agents (recording fact, if any, as the intake's end).
func (o *Outcome) next(p Policy, now time.Time, fact FactKind) {
	switch {
	case len(o.Ticket.Suggested) > 0:
		o.ask(StageSuggested, false)
		for _, id := range o.Ticket.Suggested {
			o.Effects = append(o.Effects, Effect{Kind: EffectFact, Fact: Fact{Kind: FactSuggested, At: now, Ticket: o.Ticket.ID, Subject: id}})
		}
	case len(p.Intake.Categories) > 0:
		o.ask(StageCategory, false)
	default:
		o.release(now, fact)
	}
}

// ask puts the intake at stage s and has the bot ask what it asks.
func (o *Outcome) ask(s Stage, again bool) {
	o.Ticket.Stage = s
	o.Effects = append(o.Effects, Effect{Kind: EffectBot, Stage: s, Again: again})
}

// release hands the ticket to the agents, recording how the intake ended (fact: done, timed
// out, or "" when there was none).
func (o *Outcome) release(now time.Time, fact FactKind) {
	n := &o.Ticket
	n.Status, n.Stage, n.Question = StatusNew, "", 0
	if fact != "" {
		o.Effects = append(o.Effects, Effect{Kind: EffectFact, Fact: Fact{Kind: fact, At: now, Ticket: n.ID, Subject: n.Category}})
	}
	o.Effects = append(o.Effects,
		Effect{Kind: EffectRelease},
		Effect{Kind: EffectFact, Fact: Fact{Kind: FactCreated, At: now, Ticket: n.ID}},
		Effect{Kind: EffectTimer, Timer: TimerIntake}, // nothing left for it to do
	)
}

// takeIntake decides an intake step; check has refused what the rules do not allow.
func (o *Outcome) takeIntake(s Step, p Policy, now time.Time) {
	n := &o.Ticket
	switch s.Kind {
	case StepPickCategory:
		c, _ := p.Intake.Category(*s.Category)
		n.Category = c.Name
		o.askQuestion(c, 0, p, now)
	case StepAnswer:
		c, _ := p.Intake.Category(n.Category)
		q := c.Questions[n.Question]
		value, ok := q.answer(s.Comment)
		if !ok {
			o.ask(StageQuestion, true)
			return
		}
		n.Answers = append(slices.Clone(n.Answers), Answer{ID: q.ID, Ask: q.Ask, Value: value})
		o.askQuestion(c, n.Question+1, p, now)
	case StepSkip:
		if n.Stage == StageQuestion {
			c, _ := p.Intake.Category(n.Category)
			if c.Questions[n.Question].Required {
				o.ask(StageQuestion, true)
				return
			}
			o.askQuestion(c, n.Question+1, p, now)
			return
		}
		o.release(now, FactIntakeDone)
	case StepSolved:
		n.Status, n.Stage, n.ClosedAt, n.Deflected = StatusClosed, "", now, s.Article
		o.Effects = append(o.Effects,
			Effect{Kind: EffectBot},
			Effect{Kind: EffectFact, Fact: Fact{Kind: FactDeflected, At: now, Ticket: n.ID, Subject: s.Article}},
			Effect{Kind: EffectTimer, Timer: TimerIntake},
		)
	case StepNeedPerson:
		n.Suggested = slices.Clone(n.Suggested) // they stay on the card: the agents know what was tried
		if len(p.Intake.Categories) > 0 {
			o.ask(StageCategory, false)
		} else {
			o.release(now, FactIntakeDone)
		}
	case StepWantTicket:
		o.next(p, now, FactIntakeDone)
	case StepNoTicket:
		n.Status, n.Stage, n.ClosedAt = StatusClosed, "", now
		o.Effects = append(o.Effects, Effect{Kind: EffectTimer, Timer: TimerIntake})
	case StepIntakeTimer:
		if n.Stage == StageConfirm {
			n.Status, n.Stage, n.ClosedAt = StatusClosed, "", now // an agent who never said
			return
		}
		o.release(now, FactIntakeTimeout)
	}
}

// askQuestion asks question i of category c, or releases the ticket when there is none left.
func (o *Outcome) askQuestion(c Category, i int, p Policy, now time.Time) {
	if i >= len(c.Questions) {
		o.release(now, FactIntakeDone)
		return
	}
	o.Ticket.Question = i
	o.ask(StageQuestion, false)
}

// answer reads a customer's answer to q: one of its choices (matched without regard to case
// or surrounding space, or by its number in the list), or any text that is not empty.
func (q Question) answer(text string) (string, bool) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", false
	}
	if len(q.Choices) == 0 {
		return text, true
	}
	for i, c := range q.Choices {
		if strings.EqualFold(c, text) || text == strconv.Itoa(i+1) {
			return c, true
		}
	}
	return "", false
}

// checkIntake refuses an intake step the ticket's intake does not allow.
func (t Ticket) checkIntake(s Step, a Actor, p Policy) RefusalReason {
	if t.Status != StatusIntake {
		return RefuseStale // the intake is over: a late click, or a timer after the release
	}
	if s.Kind == StepIntakeTimer {
		if a.Kind != ActorTimer {
			return RefuseNotAgent
		}
		return ""
	}
	if !t.IsCustomer(a) && a.Kind != ActorBot {
		return RefuseNotCustomer
	}
	stage := map[StepKind][]Stage{
		StepPickCategory: {StageCategory},
		StepAnswer:       {StageQuestion},
		StepSkip:         {StageCategory, StageQuestion},
		StepSolved:       {StageSuggested},
		StepNeedPerson:   {StageSuggested},
		StepWantTicket:   {StageConfirm},
		StepNoTicket:     {StageConfirm},
	}[s.Kind]
	if !slices.Contains(stage, t.Stage) {
		return RefuseStale
	}
	switch s.Kind {
	case StepPickCategory:
		if s.Category == nil {
			return RefuseBadCategory
		}
		if _, ok := p.Intake.Category(*s.Category); !ok {
			return RefuseBadCategory
		}
	case StepAnswer, StepSkip:
		if t.Stage == StageQuestion {
			c, ok := p.Intake.Category(t.Category)
			if !ok || t.Question >= len(c.Questions) {
				return RefuseStale // the policy changed under the conversation
			}
		}
	case StepSolved:
		if !slices.Contains(t.Suggested, s.Article) {
			return RefuseStale
		}
	}
	return ""
}

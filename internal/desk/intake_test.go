package desk_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

var intakePolicy = desk.Policy{Intake: desk.Intake{Enabled: true, Timeout: 10 * time.Minute, Suggest: true, Categories: []desk.Category{
	{Name: "Billing", Questions: []desk.Question{
		{ID: "invoice", Ask: "What is the invoice number?"},
		{ID: "plan", Ask: "Which plan are you on?", Choices: []string{"Free", "Team", "Enterprise"}, Required: true},
	}},
	{Name: "Account"},
}}}

var cust = desk.PersonActor(customer, false)

// inIntake is a ticket the bot talks about, at stage s.
func inIntake(s desk.Stage) desk.Ticket {
	t := ticketIn(desk.StatusIntake)
	t.Stage = s
	return t
}

// effects lists an outcome's effects as short words, for comparing.
func effects(o desk.Outcome) string {
	var out []string
	for _, e := range o.Effects {
		switch e.Kind {
		case desk.EffectBot:
			w := "bot:" + string(e.Stage)
			if e.Again {
				w += "!"
			}
			out = append(out, w)
		case desk.EffectTimer:
			if e.At.IsZero() {
				out = append(out, "cancel:"+e.Timer)
			} else {
				out = append(out, "timer:"+e.Timer+"@"+e.At.Sub(now).String())
			}
		case desk.EffectFact:
			w := "fact:" + string(e.Fact.Kind)
			if e.Fact.Subject != "" {
				w += "=" + e.Fact.Subject
			}
			out = append(out, w)
		default:
			out = append(out, string(e.Kind))
		}
	}
	return fmt.Sprint(out)
}

func TestStartIntake(t *testing.T) {
	noCategories := desk.Policy{Intake: desk.Intake{Enabled: true, Timeout: 10 * time.Minute}}
	tests := []struct {
		name      string
		p         desk.Policy
		suggested []string
		byAgent   bool
		stage     desk.Stage
		status    desk.Status
		effects   string
	}{
		{"articles first", intakePolicy, []string{"reset-password"}, false, desk.StageSuggested, desk.StatusIntake, "[timer:intake_timer@10m0s bot:suggested fact:suggested=reset-password]"},
		{"categories", intakePolicy, nil, false, desk.StageCategory, desk.StatusIntake, "[timer:intake_timer@10m0s bot:category]"},
		{"an agent is asked first", intakePolicy, []string{"x"}, true, desk.StageConfirm, desk.StatusIntake, "[timer:intake_timer@10m0s bot:confirm]"},
		{"nothing to ask: straight to the agents", noCategories, nil, false, "", desk.StatusNew, "[timer:intake_timer@10m0s release fact:created cancel:intake_timer]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ticketIn(desk.StatusIntake).StartIntake(tt.p, tt.suggested, tt.byAgent, now)
			if o.Ticket.Stage != tt.stage || o.Ticket.Status != tt.status || effects(o) != tt.effects {
				t.Errorf("stage %q status %s effects %s; want %q %s %s", o.Ticket.Stage, o.Ticket.Status, effects(o), tt.stage, tt.status, tt.effects)
			}
		})
	}
}

func TestIntakeSteps(t *testing.T) {
	billing, nowhere := "Billing", "Nowhere"
	asked := func(q int) desk.Ticket {
		t := inIntake(desk.StageQuestion)
		t.Category, t.Question = "Billing", q
		return t
	}
	suggested := inIntake(desk.StageSuggested)
	suggested.Suggested = []string{"reset-password", "2fa"}
	tests := []struct {
		name     string
		t        desk.Ticket
		step     desk.Step
		by       desk.Actor
		p        desk.Policy
		refused  desk.RefusalReason
		stage    desk.Stage
		status   desk.Status
		question int
		answers  string
		effects  string
	}{
		{name: "a category with questions asks the first", t: inIntake(desk.StageCategory), step: desk.Step{Kind: desk.StepPickCategory, Category: &billing},
			stage: desk.StageQuestion, status: desk.StatusIntake, effects: "[bot:question]"},
		{name: "a category without questions releases", t: inIntake(desk.StageCategory), step: desk.Step{Kind: desk.StepPickCategory, Category: ptr("account")},
			status: desk.StatusNew, effects: "[fact:intake_done=Account release fact:created cancel:intake_timer]"},
		{name: "an unknown category", t: inIntake(desk.StageCategory), step: desk.Step{Kind: desk.StepPickCategory, Category: &nowhere}, refused: desk.RefuseBadCategory},
		{name: "a free answer", t: asked(0), step: desk.Step{Kind: desk.StepAnswer, Comment: " INV-42 "},
			stage: desk.StageQuestion, status: desk.StatusIntake, question: 1, answers: "[invoice=INV-42]", effects: "[bot:question]"},
		{name: "an empty answer is asked again", t: asked(0), step: desk.Step{Kind: desk.StepAnswer, Comment: "  "},
			stage: desk.StageQuestion, status: desk.StatusIntake, effects: "[bot:question!]"},
		{name: "a choice by its name, in any case", t: asked(1), step: desk.Step{Kind: desk.StepAnswer, Comment: "team"},
			status: desk.StatusNew, answers: "[plan=Team]", effects: "[fact:intake_done=Billing release fact:created cancel:intake_timer]"},
		{name: "a choice by its number", t: asked(1), step: desk.Step{Kind: desk.StepAnswer, Comment: "3"},
			status: desk.StatusNew, answers: "[plan=Enterprise]", effects: "[fact:intake_done=Billing release fact:created cancel:intake_timer]"},
		{name: "not one of the choices", t: asked(1), step: desk.Step{Kind: desk.StepAnswer, Comment: "the big one"},
			stage: desk.StageQuestion, status: desk.StatusIntake, question: 1, effects: "[bot:question!]"},
		{name: "an optional question skipped", t: asked(0), step: desk.Step{Kind: desk.StepSkip},
			stage: desk.StageQuestion, status: desk.StatusIntake, question: 1, effects: "[bot:question]"},
		{name: "a required question cannot be skipped", t: asked(1), step: desk.Step{Kind: desk.StepSkip},
			stage: desk.StageQuestion, status: desk.StatusIntake, question: 1, effects: "[bot:question!]"},
		{name: "skip the categories", t: inIntake(desk.StageCategory), step: desk.Step{Kind: desk.StepSkip},
			status: desk.StatusNew, effects: "[fact:intake_done release fact:created cancel:intake_timer]"},
		{name: "an article solved it", t: suggested, step: desk.Step{Kind: desk.StepSolved, Article: "2fa"},
			status: desk.StatusClosed, effects: "[bot: fact:deflected=2fa cancel:intake_timer]"},
		{name: "an article never suggested", t: suggested, step: desk.Step{Kind: desk.StepSolved, Article: "elsewhere"}, refused: desk.RefuseStale},
		{name: "still needs a person: the categories", t: suggested, step: desk.Step{Kind: desk.StepNeedPerson},
			stage: desk.StageCategory, status: desk.StatusIntake, effects: "[bot:category]"},
		{name: "still needs a person, no categories", t: suggested, step: desk.Step{Kind: desk.StepNeedPerson}, p: desk.Policy{},
			status: desk.StatusNew, effects: "[fact:intake_done release fact:created cancel:intake_timer]"},
		{name: "an agent wants a ticket", t: func() desk.Ticket { t := inIntake(desk.StageConfirm); t.Suggested = []string{"2fa"}; return t }(),
			step: desk.Step{Kind: desk.StepWantTicket}, stage: desk.StageSuggested, status: desk.StatusIntake, effects: "[bot:suggested fact:suggested=2fa]"},
		{name: "an agent wants none", t: inIntake(desk.StageConfirm), step: desk.Step{Kind: desk.StepNoTicket},
			status: desk.StatusClosed, effects: "[cancel:intake_timer]"},
		{name: "the timer releases what is known", t: asked(1), step: desk.Step{Kind: desk.StepIntakeTimer}, by: desk.TimerActor,
			status: desk.StatusNew, effects: "[fact:intake_timeout=Billing release fact:created cancel:intake_timer]"},
		{name: "the timer closes an agent's unanswered question", t: inIntake(desk.StageConfirm), step: desk.Step{Kind: desk.StepIntakeTimer}, by: desk.TimerActor,
			status: desk.StatusClosed, effects: "[]"},
		{name: "only the timer times out", t: asked(1), step: desk.Step{Kind: desk.StepIntakeTimer}, refused: desk.RefuseNotAgent},
		{name: "a click from the wrong stage", t: inIntake(desk.StageCategory), step: desk.Step{Kind: desk.StepSolved, Article: "2fa"}, refused: desk.RefuseStale},
		{name: "a click after the intake", t: ticketIn(desk.StatusNew), step: desk.Step{Kind: desk.StepPickCategory, Category: &billing}, refused: desk.RefuseStale},
		{name: "someone else's click", t: inIntake(desk.StageCategory), step: desk.Step{Kind: desk.StepSkip}, by: agentA, refused: desk.RefuseNotCustomer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			by := tt.by
			if by.Kind == "" {
				by = cust
			}
			p := tt.p
			if p.Intake.Categories == nil && tt.name != "still needs a person, no categories" {
				p = intakePolicy
			}
			o, err := tt.t.Take(tt.step, by, now, p)
			if tt.refused != "" {
				if !isRefusal(err, tt.refused) {
					t.Fatalf("got %v, want refusal %s", err, tt.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var answers []string
			for _, a := range o.Ticket.Answers {
				answers = append(answers, a.ID+"="+a.Value)
			}
			got := fmt.Sprint(o.Ticket.Stage, " ", o.Ticket.Status, " ", o.Ticket.Question, " ", answers, " ", effects(o))
			want := fmt.Sprint(tt.stage, " ", tt.status, " ", tt.question, " ", orEmpty(tt.answers), " ", tt.effects)
			if got != want {
				t.Errorf("\n got %s\nwant %s", got, want)
			}
			if len(o.Entries) != 1 || o.Entries[0].Author != by.ID() {
				t.Errorf("history %+v, want one line by %s", o.Entries, by.ID())
			}
		})
	}
}

func ptr(s string) *string { return &s }

func orEmpty(s string) string {
	if s == "" {
		return "[]"
	}
	return s
}

// TestDeflectionRecordsTheArticle: the ticket an article solved is closed, remembers the
// article, and the fact credits it.
func TestDeflectionRecordsTheArticle(t *testing.T) {
	tk := inIntake(desk.StageSuggested)
	tk.Suggested = []string{"2fa"}
	o, err := tk.Take(desk.Step{Kind: desk.StepSolved, Article: "2fa"}, cust, now, intakePolicy)
	if err != nil || o.Ticket.Deflected != "2fa" || !o.Ticket.ClosedAt.Equal(now) || o.Entries[0].Text != "intake → closed (solved by article 2fa)" {
		t.Fatalf("got %+v %+v, %v", o.Ticket, o.Entries, err)
	}
	for _, e := range o.Effects {
		if e.Kind == desk.EffectFact && (e.Fact.Kind != desk.FactDeflected || e.Fact.Subject != "2fa") {
			t.Errorf("fact %+v", e.Fact)
		}
	}
}

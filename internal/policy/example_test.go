package policy_test

import (
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/policy"
)

// TestExampleManifest loads the example the sandbox ships with and checks that it shows every
// section: four categories with questions (some with choices), the bot with suggestions,
// business hours in Moscow with holidays, an SLA for every priority, auto-close, the rating
// question with its texts in both languages, and three canned replies.
func TestExampleManifest(t *testing.T) {
	p, err := policy.Load("../../manifests/desk.example.yaml")
	if err != nil {
		t.Fatalf("the shipped example is invalid:\n%v", err)
	}
	if len(p.Categories) != 4 {
		t.Errorf("%d categories, want 4", len(p.Categories))
	}
	withChoices := 0
	for _, c := range p.Categories {
		if len(c.Questions) == 0 {
			t.Errorf("category %s has no questions", c.Name)
		}
		for _, q := range c.Questions {
			if len(q.Choices) > 0 {
				withChoices++
			}
		}
	}
	if withChoices == 0 {
		t.Error("no question has choices")
	}
	if !p.Intake.Enabled || !p.Intake.Suggest {
		t.Errorf("Intake = %+v, want on with suggestions", p.Intake)
	}
	if p.Hours == nil || p.Hours.Location.String() != "Europe/Moscow" || len(p.Hours.Holidays) == 0 {
		t.Errorf("Hours = %+v, want Europe/Moscow with holidays", p.Hours)
	}
	for _, pr := range desk.Priorities {
		if _, ok := p.SLA.For(pr); !ok {
			t.Errorf("no SLA for %s", pr)
		}
	}
	if p.AutoClose == (policy.AutoClose{}) {
		t.Error("no auto-close")
	}
	if p.Satisfaction.Ask == policy.AskOff || p.Satisfaction.Question[policy.English] == "" || p.Satisfaction.Question[policy.Russian] == "" {
		t.Errorf("Satisfaction = %+v, want asked, with a question in en and ru", p.Satisfaction)
	}
	if len(p.Canned) != 3 {
		t.Errorf("%d canned replies, want 3", len(p.Canned))
	}
}

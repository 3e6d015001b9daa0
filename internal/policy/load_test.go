package policy_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/policy"
)

const day = 24 * time.Hour

// parse checks text as desk.yaml and fails the test when it has problems.
func parse(t *testing.T, text string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse("desk.yaml", []byte(text))
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	return p
}

// problems checks text as desk.yaml and returns its problems, one a line; it fails the test
// when there are none.
func problems(t *testing.T, text string) []string {
	t.Helper()
	_, err := policy.Parse("desk.yaml", []byte(text))
	if err == nil {
		t.Fatalf("Parse accepted:\n%s", text)
	}
	var pe *policy.Error
	if !errors.As(err, &pe) {
		t.Fatalf("Parse error is %T, not *policy.Error: %v", err, err)
	}
	return strings.Split(pe.Error(), "\n")
}

// TestParseProductExample reads the example of PRODUCT.md's "Desk policy file" (copied into
// testdata) and checks every value it sets, and the defaults of what it leaves out.
func TestParseProductExample(t *testing.T) {
	p, err := policy.Load("testdata/product.yaml")
	if err != nil {
		t.Fatal(err)
	}
	moscow, _ := time.LoadLocation("Europe/Moscow")
	nine := policy.Window{Start: 9 * time.Hour, End: 18 * time.Hour}
	want := &policy.Policy{
		File:     "testdata/product.yaml",
		Language: policy.English,
		Categories: []policy.Category{{
			Name: "Billing", Description: "Invoices, payments, refunds",
			Questions: []policy.Question{
				{ID: "invoice", Ask: "What is the invoice number?", Required: false},
				{ID: "plan", Ask: "Which plan are you on?", Required: true, Choices: []string{"Free", "Team", "Enterprise"}},
			},
		}},
		Intake: policy.Intake{Enabled: true, Timeout: 10 * time.Minute, Suggest: true},
		Hours: &policy.Hours{
			Location: moscow,
			Week: [7][]policy.Window{
				time.Monday: {nine}, time.Tuesday: {nine}, time.Wednesday: {nine}, time.Thursday: {nine},
				time.Friday: {{Start: 9 * time.Hour, End: 17 * time.Hour}},
			},
			Holidays:    []policy.Holiday{{Date: policy.Date{Year: 2027, Month: time.January, Day: 1}, Name: "New Year"}},
			WorkingDays: []policy.Date{{Year: 2027, Month: time.January, Day: 9}},
		},
		SLA: policy.SLA{
			Targets: map[desk.Priority]policy.Target{
				desk.PriorityUrgent: {FirstResponse: 30 * time.Minute, NextResponse: time.Hour, Resolution: 4 * time.Hour, BusinessHours: false},
				desk.PriorityNormal: {FirstResponse: 4 * time.Hour, Resolution: 3 * day, BusinessHours: true},
			},
			RemindAt: 0.75,
		},
		AutoClose:    policy.AutoClose{PendingNudge: 3 * day, PendingResolve: 7 * day, ResolvedClose: 7 * day},
		Satisfaction: policy.Satisfaction{Ask: policy.AskOnResolve, RemindAfter: day},
		Canned: []policy.Canned{{
			Name: "restart", Text: "Hi {customer}, please restart the app and tell me if it helps.",
			Set: policy.Changes{Status: desk.StatusPending},
		}},
	}
	if p.Hours == nil || p.Hours.Location.String() != "Europe/Moscow" {
		t.Fatalf("Hours = %+v, want Europe/Moscow", p.Hours)
	}
	p.Hours.Location = moscow // the same zone, loaded twice: compare the rest
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", p, want)
	}
}

// TestParseDefaults checks what a file that leaves things out means: no file's behaviour for
// a section not written, the documented defaults for a key not written.
func TestParseDefaults(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		check      func(t *testing.T, p *policy.Policy)
	}{
		{"empty file", "", func(t *testing.T, p *policy.Policy) {
			want := policy.Default()
			want.File = "desk.yaml"
			if !reflect.DeepEqual(p, want) {
				t.Errorf("empty file = %+v, want Default %+v", p, want)
			}
		}},
		{"comments only", "# nothing yet\n", func(t *testing.T, p *policy.Policy) {
			if p.Intake.Enabled || p.Hours != nil || len(p.SLA.Targets) != 0 || p.AutoClose != (policy.AutoClose{}) {
				t.Errorf("a file of comments set something: %+v", p)
			}
		}},
		{"no sections", "language: ru\n", func(t *testing.T, p *policy.Policy) {
			if p.Language != policy.Russian {
				t.Errorf("Language = %q", p.Language)
			}
			if p.Intake.Enabled {
				t.Error("intake on without an intake section")
			}
			if p.Hours != nil {
				t.Error("business hours without an hours section")
			}
			if p.AutoClose != (policy.AutoClose{}) {
				t.Errorf("auto-close %+v without an auto_close section, want none (as without a file)", p.AutoClose)
			}
			if p.Satisfaction.Ask != policy.AskOnResolve {
				t.Errorf("Satisfaction.Ask = %q, want on_resolve (as without a file)", p.Satisfaction.Ask)
			}
		}},
		{"empty sections", "intake: {}\nauto_close: {}\nsatisfaction: {}\nsla: {urgent: {first_response: 1h}}\n", func(t *testing.T, p *policy.Policy) {
			if want := (policy.Intake{Enabled: true, Timeout: 10 * time.Minute, Suggest: true}); p.Intake != want {
				t.Errorf("Intake = %+v, want %+v", p.Intake, want)
			}
			if want := (policy.AutoClose{PendingNudge: 3 * day, PendingResolve: 7 * day, ResolvedClose: 7 * day}); p.AutoClose != want {
				t.Errorf("AutoClose = %+v, want %+v", p.AutoClose, want)
			}
			if p.SLA.RemindAt != 0.75 {
				t.Errorf("RemindAt = %v, want 0.75", p.SLA.RemindAt)
			}
			if got, ok := p.SLA.For(desk.PriorityUrgent); !ok || !got.BusinessHours {
				t.Errorf("urgent target %+v, %v: want business hours by default", got, ok)
			}
			if _, ok := p.SLA.For(desk.PriorityLow); ok {
				t.Error("low has a target the file does not give")
			}
		}},
		{"switched off", "intake: {enabled: false, suggest: false}\nauto_close: {pending_nudge: off, resolved_close: 30d}\nsla: {remind_at: off}\nsatisfaction: {ask: off}\n", func(t *testing.T, p *policy.Policy) {
			if p.Intake.Enabled || p.Intake.Suggest {
				t.Errorf("Intake = %+v, want off", p.Intake)
			}
			if want := (policy.AutoClose{PendingNudge: 0, PendingResolve: 7 * day, ResolvedClose: 30 * day}); p.AutoClose != want {
				t.Errorf("AutoClose = %+v, want %+v", p.AutoClose, want)
			}
			if p.SLA.RemindAt != 0 {
				t.Errorf("RemindAt = %v, want 0 (off)", p.SLA.RemindAt)
			}
			if p.Satisfaction.Ask != policy.AskOff {
				t.Errorf("Ask = %q", p.Satisfaction.Ask)
			}
		}},
		{"question required unless it says not", "categories: [{name: A, questions: [{id: a, ask: \"A?\"}, {id: b, ask: \"B?\", required: false}, {id: c, ask: \"C?\", required: true}]}]\n", func(t *testing.T, p *policy.Policy) {
			var got []bool
			for _, q := range p.Categories[0].Questions {
				got = append(got, q.Required)
			}
			if want := []bool{true, false, true}; !reflect.DeepEqual(got, want) {
				t.Errorf("Required = %v, want %v", got, want)
			}
		}},
		{"texts per language", "satisfaction: {ask: on_close, question: {ru: \"Оцените, {customer}\"}, reminder: {en: \"Still there?\", ru: \"Вы здесь?\"}}\n", func(t *testing.T, p *policy.Policy) {
			s := p.Satisfaction
			if s.Ask != policy.AskOnClose || s.Question[policy.Russian] != "Оцените, {customer}" || s.Question[policy.English] != "" ||
				s.Reminder[policy.English] != "Still there?" || s.Reminder[policy.Russian] != "Вы здесь?" {
				t.Errorf("Satisfaction = %+v", s)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, parse(t, tc.text)) })
	}
}

// TestParseProblems checks each kind of problem's message: the file, the line, the field's
// path and what to write instead.
func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"duration in words", "sla:\n  urgent:\n    first_response: 30 minutes\n",
			[]string{`desk.yaml:3: sla.urgent.first_response: "30 minutes" is not a duration (write 30m)`}},
		{"duration without unit", "intake: {timeout: 15}\n",
			[]string{`desk.yaml:1: intake.timeout: "15" is not a duration (it has no unit: write 15s, 15m, 15h or 15d)`}},
		{"duration in Russian words", "satisfaction: {remind_after: 2 дня}\n",
			[]string{`desk.yaml:1: satisfaction.remind_after: "2 дня" is not a duration (write 2d)`}},
		{"duration in weeks", "auto_close: {resolved_close: 2 weeks}\n",
			[]string{`desk.yaml:1: auto_close.resolved_close: "2 weeks" is not a duration (write 14d, or off)`}},
		{"duration of nothing", "intake: {timeout: 0s}\n",
			[]string{`desk.yaml:1: intake.timeout: 0s is no time at all: write a duration of at least 1s`}},
		{"unknown top-level key", "langauge: en\n",
			[]string{`desk.yaml:1: langauge: unknown key: did you mean language? (known at the top level: language, categories, intake, hours, sla, auto_close, satisfaction, canned)`}},
		{"key in the wrong place", "holidays: [{date: 2027-01-01}]\n",
			[]string{`desk.yaml:1: holidays: unknown key here: holidays belongs in hours.holidays (known at the top level: language, categories, intake, hours, sla, auto_close, satisfaction, canned)`}},
		{"unknown nested key", "categories:\n  - name: A\n    questions:\n      - {id: a, ask: \"A?\", optional: true}\n",
			[]string{`desk.yaml:4: categories[0].questions[0].optional: unknown key (known here: id, ask, required, choices)`}},
		{"unknown priority", "sla:\n  critical: {first_response: 1h}\n",
			[]string{`desk.yaml:2: sla.critical: unknown key (known here: low, normal, high, urgent, remind_at)`}},
		{"unknown language of a text", "satisfaction: {question: {de: \"Wie war es?\"}}\n",
			[]string{
				`desk.yaml:1: satisfaction.question: has no text: write one per language (en, ru), or leave question out`,
				`desk.yaml:1: satisfaction.question.de: unknown key (known here: en, ru)`,
			}},
		{"list where a mapping belongs", "intake: [enabled]\n",
			[]string{`desk.yaml:1: intake: want a mapping (enabled, timeout, suggest), got a list`}},
		{"text where a list belongs", "categories:\n  - name: A\n    questions: [{id: a, ask: \"A?\", choices: Free}]\n",
			[]string{`desk.yaml:3: categories[0].questions[0].choices: want a list, got "Free"`}},
		{"not a flag", "intake: {enabled: sometimes}\n",
			[]string{`desk.yaml:1: intake.enabled: want true or false, got "sometimes"`}},
		{"not a mapping at all", "- a\n- b\n",
			[]string{`desk.yaml:1: want a mapping of sections (language, categories, intake, hours, sla, auto_close, satisfaction, canned) for the whole file, got a list`}},
		{"key written twice", "intake:\n  timeout: 5m\n  timeout: 10m\n",
			[]string{`desk.yaml:3: intake.timeout: written twice (first on line 2): keep one`}},
		{"not YAML", "intake:\n  enabled: true\n timeout: 3m\n",
			[]string{`desk.yaml:3: not valid YAML: did not find expected key`}},
		{"question mark in braces", "categories:\n  - {name: A, questions: [{id: a, ask: Which plan?}]}\n",
			[]string{`desk.yaml:2: not valid YAML: did not find expected ',' or '}' (inside { } and [ ], quote text that holds ?, : or #, such as ask: "Which plan?")`}},
		{"two documents", "language: en\n---\nlanguage: ru\n",
			[]string{`desk.yaml:2: the file holds a second YAML document (after ---): keep the whole policy in one`}},
		{"language", "language: Russian\n",
			[]string{`desk.yaml:1: language: "Russian" is not a language the desk speaks (write ru)`}},
		{"category without a name", "categories:\n  - description: Money\n",
			[]string{`desk.yaml:2: categories[0].name: missing: every category needs a name, shown on its button`}},
		{"category names differ in case only", "categories:\n  - name: Billing\n  - name: billing\n",
			[]string{`desk.yaml:3: categories[1].name: "billing" is already a category's name (categories[0].name, line 2): names must differ`}},
		{"long category name", "categories: [{name: " + strings.Repeat("x", 76) + "}]\n",
			[]string{`desk.yaml:1: categories[0].name: "` + strings.Repeat("x", 76) + `" has 76 characters; a button shows at most 75`}},
		{"question ids", "categories:\n  - name: A\n    questions:\n      - {id: plan, ask: \"A?\"}\n      - {id: plan, ask: \"B?\"}\n      - {id: my plan, ask: \"C?\"}\n      - {ask: \"D?\"}\n  - name: B\n    questions: [{id: plan, ask: \"E?\"}]\n",
			[]string{
				`desk.yaml:5: categories[0].questions[1].id: "plan" is already the id of a question of this category (categories[0].questions[0].id, line 4): ids must differ`,
				`desk.yaml:6: categories[0].questions[2].id: "my plan" is not an id: use up to 64 letters (a-z), digits, - and _`,
				`desk.yaml:7: categories[0].questions[3].id: missing: every question needs an id, which keys its answer (letters, digits, - and _)`,
			}},
		{"question without ask", "categories: [{name: A, questions: [{id: a}]}]\n",
			[]string{`desk.yaml:1: categories[0].questions[0].ask: missing: write the question as the customer should read it`}},
		{"choices", "categories:\n  - name: A\n    questions:\n      - {id: a, ask: \"A?\", choices: [Yes]}\n      - {id: b, ask: \"B?\", choices: [Yes, yes, \"\"]}\n",
			[]string{
				`desk.yaml:4: categories[0].questions[0].choices: 1 choices is no choice: give at least two, or leave choices out for an answer in the customer's words`,
				`desk.yaml:5: categories[0].questions[1].choices[1]: "yes" is given twice`,
				`desk.yaml:5: categories[0].questions[1].choices[2]: empty: write the choice as its button should show it`,
			}},
		{"hours without zone or week", "hours: {holidays: []}\n",
			[]string{
				`desk.yaml:1: hours.timezone: missing: write the desk's time zone, an IANA name such as Europe/Moscow`,
				`desk.yaml:1: hours.week: missing: name the open days with their windows, such as mon: ["09:00-18:00"]; days not named are closed`,
			}},
		{"time zone", "hours:\n  timezone: Moscow\n  week: {mon: [09:00-18:00]}\n",
			[]string{`desk.yaml:2: hours.timezone: "Moscow" is not a time zone (write Europe/Moscow)`}},
		{"unknown day", "hours:\n  timezone: UTC\n  week:\n    monday: [09:00-18:00]\n    fri: [09:00-18:00]\n",
			[]string{`desk.yaml:4: hours.week.monday: unknown key (known here: mon, tue, wed, thu, fri, sat, sun)`}},
		{"closed all week", "hours: {timezone: UTC, week: {mon: [], sat: []}}\n",
			[]string{`desk.yaml:1: hours.week: no day has a window, so the desk would never be open`}},
		{"windows", "hours:\n  timezone: UTC\n  week:\n    mon: [9-18]\n    tue: [\"09:00-18:00\", \"17:30-20:00\"]\n    wed: [\"22:00-06:00\"]\n    thu: [\"05:00-07:00\", \"12:00-12:00\", \"10:00-24:30\"]\n",
			[]string{
				`desk.yaml:4: hours.week.mon[0]: "9-18" is not a window (write HH:MM-HH:MM, such as 09:00-18:00)`,
				`desk.yaml:5: hours.week.tue[1]: 17:30-20:00 overlaps tue's 09:00-18:00 (hours.week.tue[0])`,
				`desk.yaml:7: hours.week.thu[0]: 05:00-07:00 overlaps wed's 22:00-06:00 (hours.week.wed[0])`,
				`desk.yaml:7: hours.week.thu[1]: "12:00-12:00" is empty: for a whole day write 00:00-24:00`,
				`desk.yaml:7: hours.week.thu[2]: "10:00-24:30" is not a window: a time of day runs from 00:00 to 24:00 (write HH:MM-HH:MM, such as 09:00-18:00)`,
			}},
		{"sunday night into monday", "hours: {timezone: UTC, week: {mon: [\"00:00-08:00\"], sun: [\"20:00-02:00\"]}}\n",
			[]string{`desk.yaml:1: hours.week.sun[0]: 20:00-02:00 overlaps mon's 00:00-08:00 (hours.week.mon[0])`}},
		{"dates", "hours:\n  timezone: UTC\n  week: {mon: [09:00-18:00]}\n  holidays:\n    - {date: 2027-02-30}\n    - {date: 01.05.2027}\n    - {date: 2027-01-02, name: A}\n    - {date: 2027-01-02, name: B}\n    - {name: C}\n  working_days: [2027-01-02, 2027-01-04, 2027-01-09, 2027-01-09]\n",
			[]string{
				`desk.yaml:5: hours.holidays[0].date: 2027-02-30 is not a day of the calendar`,
				`desk.yaml:6: hours.holidays[1].date: "01.05.2027" is not a date (write YYYY-MM-DD, such as 2027-01-01)`,
				`desk.yaml:8: hours.holidays[3].date: 2027-01-02 is already a holiday (hours.holidays[2].date, line 7)`,
				`desk.yaml:9: hours.holidays[4].date: missing: write the holiday's date, YYYY-MM-DD`,
				`desk.yaml:10: hours.working_days[0]: 2027-01-02 is also a holiday (hours.holidays[2].date, line 7): it cannot be both`,
				`desk.yaml:10: hours.working_days[1]: 2027-01-04 is a Monday, a working day already: extra working days are for days the week leaves closed`,
				`desk.yaml:10: hours.working_days[3]: 2027-01-09 is already an extra working day (hours.working_days[2], line 10)`,
			}},
		{"sla", "sla:\n  low: {business_hours: false}\n  high: {first_response: 4h, resolution: 1h}\n  remind_at: 0.8\n",
			[]string{
				`desk.yaml:2: sla.low: sets no target: write first_response, next_response or resolution, or leave low out`,
				`desk.yaml:3: sla.high.resolution: 1h is less than first_response 4h: the ticket would have to be resolved before its first answer is due`,
				`desk.yaml:4: sla.remind_at: "0.8" is not a percentage (write 80%)`,
			}},
		{"percentage out of range", "sla: {remind_at: 100%}\n",
			[]string{`desk.yaml:1: sla.remind_at: 100% is not between 0% and 100%: the reminder comes at that share of the target, before the breach (or write off)`}},
		{"auto-close order", "auto_close: {pending_nudge: 7d, pending_resolve: 3d, resolved_close: never}\n",
			[]string{
				`desk.yaml:1: auto_close.pending_nudge: 7d is not before pending_resolve 3d: both count from when the ticket began waiting on the customer, and the nudge comes first (or write off)`,
				`desk.yaml:1: auto_close.resolved_close: "never" is not a duration (write a number and a unit, such as 90s, 30m, 4h, 3d or 1h30m, or off)`,
			}},
		{"too long", "auto_close: {resolved_close: 400d}\n",
			[]string{`desk.yaml:1: auto_close.resolved_close: 400d is more than a year: write at most 365d, or off`}},
		{"satisfaction", "satisfaction:\n  ask: always\n  question: {en: \"How did {agnt} do?\"}\n",
			[]string{
				`desk.yaml:2: satisfaction.ask: "always" is not off, on_resolve or on_close`,
				`desk.yaml:3: satisfaction.question.en: {agnt} is not a placeholder: did you mean {agent}? (known: {customer}, {agent} or {ticket})`,
			}},
		{"canned", "canned:\n  - {name: restart app, text: \"Hi {Customer}, {order} is {ticket}\"}\n  - {name: Fixed, text: Done}\n  - {name: fixed, text: \"\"}\n",
			[]string{
				`desk.yaml:2: canned[0].name: "restart app" cannot follow /desk reply: use one word of up to 64 letters, digits, - and _`,
				`desk.yaml:2: canned[0].text: {Customer} is not a placeholder: did you mean {customer}? (known: {customer}, {agent} or {ticket})`,
				`desk.yaml:2: canned[0].text: {order} is not a placeholder (known: {customer}, {agent} or {ticket})`,
				`desk.yaml:4: canned[2].name: "fixed" is already a canned reply's name (canned[1].name, line 3): names must differ, in any letter case`,
				`desk.yaml:4: canned[2].text: missing: write the reply the customer gets`,
			}},
		{"canned changes", "canned:\n  - {name: a, text: A, set: {status: new, priority: Urgent, tags: [\"needs info\", \"-\"]}}\n  - {name: b, text: B, set: {status: done, priority: critical}}\n  - {name: c, text: C, set: {}}\n",
			[]string{
				`desk.yaml:2: canned[0].set.status: a reply cannot make a ticket new: write open, pending, resolved or closed`,
				`desk.yaml:2: canned[0].set.priority: "Urgent" is not a priority (write urgent)`,
				`desk.yaml:2: canned[0].set.tags[0]: "needs info" has a space: a tag is one word`,
				`desk.yaml:2: canned[0].set.tags[1]: empty: write the tag (-tag removes one)`,
				`desk.yaml:3: canned[1].set.status: "done" is not a status (write open, pending, resolved or closed)`,
				`desk.yaml:3: canned[1].set.priority: "critical" is not a priority (write low, normal, high or urgent)`,
				`desk.yaml:4: canned[2].set: changes nothing: write status, tags or priority, or leave set out`,
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(t, tc.text)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems:\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tc.want, "\n\t"))
			}
		})
	}
}

// TestParseReportsEveryProblem checks that one run reports the problems of every section
// together, in the order of their lines, whether the decoder found them (unknown keys, wrong
// kinds of value) or the checks after it; and that a value the decoder could not take is not
// reported a second time as missing.
func TestParseReportsEveryProblem(t *testing.T) {
	text := `language: EN
categories:
  - name: Billing
    colour: red
    questions: [{id: plan, ask: "Which plan?", choices: Free}]
intake: {enabled: yes please, timeout: 10 minutes}
hours:
  timezone: Mars/Olympus
  week: {mon: ["09:00-18:00"], frii: []}
sla:
  urgent: {first_response: 30 minutes}
  remind_at: 150%
auto_close: {pending_nudge: soon}
satisfaction: {ask: sometimes}
canned:
  - {name: restart, text: "Hi {name}"}
`
	got := problems(t, text)
	wantLines := []string{"1:", "4:", "5:", "6:", "6:", "8:", "9:", "11:", "12:", "13:", "14:", "16:"}
	if len(got) != len(wantLines) {
		t.Fatalf("%d problems, want %d:\n%s", len(got), len(wantLines), strings.Join(got, "\n"))
	}
	for i, p := range got {
		if !strings.HasPrefix(p, "desk.yaml:"+wantLines[i]) {
			t.Errorf("problem %d is %q, want it on line %s", i, p, wantLines[i])
		}
	}
	for _, p := range got {
		if strings.Contains(p, "missing") {
			t.Errorf("a value the decoder refused is reported again: %s", p)
		}
	}
}

// TestParseAliases checks that YAML anchors and merge keys work, and that a problem inside
// merged values still names a line.
func TestParseAliases(t *testing.T) {
	p := parse(t, `sla:
  high: &fast {first_response: 1h, resolution: 8h}
  urgent:
    <<: *fast
    business_hours: false
`)
	if got := p.SLA.Targets[desk.PriorityUrgent]; got != (policy.Target{FirstResponse: time.Hour, Resolution: 8 * time.Hour}) {
		t.Errorf("urgent = %+v", got)
	}
	got := problems(t, "sla:\n  high: &fast {first_response: 1 hour}\n  urgent: *fast\n")
	want := []string{
		`desk.yaml:2: sla.high.first_response: "1 hour" is not a duration (write 1h)`,
		`desk.yaml:3: sla.urgent.first_response: "1 hour" is not a duration (write 1h)`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// TestLoadMissingFile checks that a file that cannot be read says so, with its path.
func TestLoadMissingFile(t *testing.T) {
	_, err := policy.Load("testdata/no-such-file.yaml")
	if err == nil || !strings.Contains(err.Error(), "testdata/no-such-file.yaml") {
		t.Errorf("Load of a missing file: %v", err)
	}
	var pe *policy.Error
	if errors.As(err, &pe) {
		t.Errorf("a missing file is reported as problems of its content: %v", err)
	}
}

// TestLookups checks the finders the desk uses: categories by their exact name, canned
// replies in any letter case.
func TestLookups(t *testing.T) {
	p := parse(t, "categories: [{name: Billing}, {name: Technical}]\ncanned: [{name: Restart, text: Hi}]\n")
	if got := p.CategoryNames(); !reflect.DeepEqual(got, []string{"Billing", "Technical"}) {
		t.Errorf("CategoryNames = %q", got)
	}
	if c, ok := p.Category("Technical"); !ok || c.Name != "Technical" {
		t.Errorf("Category(Technical) = %+v, %v", c, ok)
	}
	if _, ok := p.Category("Sales"); ok {
		t.Error("Category(Sales) found")
	}
	if r, ok := p.Desk(nil).CannedReply("restart"); !ok || r.Text != "Hi" || !r.Set.Empty() {
		t.Errorf("CannedReply(restart) = %+v, %v", r, ok)
	}
	if _, ok := p.Desk(nil).CannedReply("nope"); ok {
		t.Error("CannedReply(nope) found")
	}
}

func TestSummary(t *testing.T) {
	p, err := policy.Load("testdata/product.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := "language en, 1 category (2 questions), intake on (timeout 10m, with suggestions), " +
		"business hours in Europe/Moscow (5 days a week, 1 holiday, 1 extra working day), SLA for normal, urgent, " +
		"auto-close on, rating on_resolve, 1 canned reply"
	if got := p.Summary(); got != want {
		t.Errorf("Summary =\n%s\nwant\n%s", got, want)
	}
	if got := policy.Default().Summary(); !strings.Contains(got, "intake off") || !strings.Contains(got, "no SLA") || !strings.Contains(got, "no business hours") {
		t.Errorf("Default().Summary() = %s", got)
	}
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/policy"
)

// Helpers of the end-to-end tests of business hours and SLA clocks (sla_slack_test.go,
// sla_mattermost_test.go, sla_sandbox_test.go): the desk files they run on, and the
// expectations computed from the wall clock, which those tests cannot stop.

// slaSecondsPolicy holds a normal ticket to a first response within 4 seconds, and to the
// next response within 4 seconds of the customer writing again after an answer, counted in
// calendar time, with the reminder at half of it: the reminder is due 2s after the clock
// starts, the breach 4s after. The resolution target is long enough never to come due during
// a test.
const slaSecondsPolicy = `language: en
sla:
  normal: {first_response: 4s, next_response: 4s, resolution: 1h, business_hours: false}
  remind_at: 50%
`

// The SLA targets of slaSecondsPolicy, and how far the scheduler may fire a timer late (it
// looks for due timers every 500ms; the rest is the queue and the platform under -race).
const (
	slaFirst  = 4 * time.Second
	slaRemind = 2 * time.Second
	slaLate   = 1500 * time.Millisecond
	// slaEarly is how much before its due time a post may come by the tests' measure. The
	// clock starts when the ticket reaches the agents, after the customer's message was sent,
	// so nothing should come before its due time counted from the sending; the margin only
	// keeps the check clear of the measuring itself.
	slaEarly = 500 * time.Millisecond
	// slaQuiet is how long the tests keep watching after the breach to see that nothing
	// comes twice.
	slaQuiet = 3 * time.Second
)

// slaWriteFile writes a desk policy file into the test's temporary directory and returns its
// path, for DESK_CONFIG.
func slaWriteFile(t *testing.T, policy string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "desk.yaml")
	if err := os.WriteFile(path, []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// slaClosedPolicy is a desk whose business hours (in UTC) are one hour every day, starting two
// hours after now (to the minute), so that the desk is closed now and until then; its normal
// first response of 30m counts business hours (the file's default). back is when the desk
// opens next. The window may cross midnight ("23:30-00:30"), which the file allows.
func slaClosedPolicy(now time.Time) (policy string, back time.Time) {
	back = now.UTC().Add(2 * time.Hour).Truncate(time.Minute)
	end := back.Add(time.Hour)
	window := fmt.Sprintf(`["%s-%s"]`, back.Format("15:04"), end.Format("15:04"))
	var week []string
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		week = append(week, d+": "+window)
	}
	policy = "language: en\nhours:\n  timezone: UTC\n  week: {" + strings.Join(week, ", ") + "}\n" +
		"sla:\n  normal: {first_response: 30m}\n"
	return policy, back
}

// slaAwayTexts are the out-of-hours replies a customer may read when the desk opens at back,
// shown in zone, if the reply is written at one of the moments at (a reply written around
// midnight in zone may say today or tomorrow). lang is "en" or "ru".
func slaAwayTexts(t *testing.T, lang string, back time.Time, zone string, at ...time.Time) []string {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, now := range at {
		when := slaWhen(t, lang, back.In(loc), now.In(loc))
		if lang == "ru" {
			out = append(out, "Спасибо за сообщение. Сейчас мы не работаем; вернёмся "+when+" ("+zone+") и тогда ответим вам.")
		} else {
			out = append(out, "Thank you for your message. Our team is away right now; we are back "+when+" ("+zone+") and will answer you then.")
		}
	}
	return out
}

// slaWhen writes when the desk is back as the out-of-hours reply does, for the two cases these
// tests meet (the desk opens within hours): "today at 09:00" or "tomorrow at 09:00" by the
// calendar of t's zone, in English or Russian.
func slaWhen(t *testing.T, lang string, back, now time.Time) string {
	t.Helper()
	by, bm, bd := back.Date()
	ny, nm, nd := now.Date()
	days := int(time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC).Sub(time.Date(ny, nm, nd, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
	clock := back.Format("15:04")
	switch {
	case days == 0 && lang == "ru":
		return "сегодня в " + clock
	case days == 0:
		return "today at " + clock
	case days == 1 && lang == "ru":
		return "завтра в " + clock
	case days == 1:
		return "tomorrow at " + clock
	}
	t.Fatalf("the desk opens %d days after now (%s, %s): the test only expects today or tomorrow", days, back, now)
	return ""
}

// slaClock finds the line of target ("first response") in a card's SLA field and splits it
// into the due time as written ("" when the line shows none) and the state ("on track").
func slaClock(field, target string) (due, state string, ok bool) {
	for _, line := range strings.Split(field, "\n") {
		rest, found := strings.CutPrefix(line, target+": ")
		if !found {
			continue
		}
		if d, s, has := strings.Cut(rest, " · "); has {
			d, isDue := strings.CutPrefix(d, "due ")
			return d, s, isDue
		}
		return "", rest, true
	}
	return "", "", false
}

// slaDueLayouts are how a card and a reminder write a due time: to the second for a short
// target, else to the minute.
var slaDueLayouts = []struct {
	layout    string
	precision time.Duration
}{{"Jan 2 15:04:05 MST", time.Second}, {"Jan 2 15:04 MST", time.Minute}}

// slaCheckDue fails the test unless due (as a card writes it, in UTC) is a time between lo
// and hi, to the precision it is written with.
func slaCheckDue(t *testing.T, what, due string, lo, hi time.Time) {
	t.Helper()
	for _, l := range slaDueLayouts {
		at, err := time.Parse(l.layout, due)
		if err != nil {
			continue
		}
		if at.Location().String() != "UTC" {
			t.Errorf("%s: due %q is not written in the desk's time zone, UTC", what, due)
		}
		at = time.Date(lo.UTC().Year(), at.Month(), at.Day(), at.Hour(), at.Minute(), at.Second(), 0, time.UTC)
		if at.Before(lo.UTC().Truncate(l.precision)) || at.After(hi.UTC()) {
			t.Errorf("%s: due %q, want a time between %s and %s", what, due, lo.UTC().Format(time.TimeOnly+".000"), hi.UTC().Format(time.TimeOnly+".000"))
		}
		return
	}
	t.Errorf("%s: due %q is not a time like %q or %q", what, due, slaDueLayouts[0].layout, slaDueLayouts[1].layout)
}

// slaCheckReminder fails the test unless text is the reminder of ticket's target ("first
// response") naming mention (the assignee's, or "" for none), due as its card says
// (cardDue), with what is left written "<1m" or in seconds.
func slaCheckReminder(t *testing.T, text, mention, ticket, target, cardDue string) {
	t.Helper()
	if mention != "" {
		mention += " "
	}
	re := regexp.MustCompile(`^⏰ ` + regexp.QuoteMeta(mention+"Ticket #"+ticket+": "+target+" is due ") + `(.+), (<1m|\d+s) left\.$`)
	m := re.FindStringSubmatch(text)
	switch {
	case m == nil:
		t.Errorf("the reminder says %q, want it to match %s", text, re)
	case m[1] != cardDue:
		t.Errorf("the reminder says the %s is due %q, the card %q", target, m[1], cardDue)
	}
}

// slaBreachText is the breach alert in a ticket's thread of its target of 4s, naming
// mention (the assignee's, or "" for none).
func slaBreachText(mention, ticket, target string) string {
	if mention != "" {
		mention += " "
	}
	return "🚨 " + mention + "Ticket #" + ticket + " missed its " + target + " target of 4s."
}

// slaLeadsText is the leads' alert, naming them as leads, of a ticket whose request was
// subject and that missed its target of 4s; assignee is the name of who looks after it ("":
// nobody).
func slaLeadsText(leads, ticket, subject, target, assignee string) string {
	who := "nobody looks after it."
	if assignee != "" {
		who = assignee + " looks after it."
	}
	return "🚨 " + leads + " Ticket #" + ticket + " (" + subject + ") missed its " + target + " target of 4s; " + who
}

// slaCheckTiming fails the test unless something due after due came at, counted from start,
// no earlier than slaEarly before it and no later than slaLate after it, and logs the time.
func slaCheckTiming(t *testing.T, what string, start, at time.Time, due time.Duration) {
	t.Helper()
	got := at.Sub(start)
	t.Logf("%s came %v after the customer's message (due at %v)", what, got.Round(time.Millisecond), due)
	if got < due-slaEarly || got > due+slaLate {
		t.Errorf("%s came %v after the customer's message, want %v (between %v and %v)", what, got.Round(time.Millisecond), due, due-slaEarly, due+slaLate)
	}
}

// slaStates lists the states a target went through as a card showed it at each version,
// repeats left out: "on track", "at risk", "breached".
func slaStates(t *testing.T, target string, fields []string) []string {
	t.Helper()
	var out []string
	for _, f := range fields {
		_, state, ok := slaClock(f, target)
		if !ok {
			t.Errorf("a version of the card has no %s line in its SLA field: %q", target, f)
			continue
		}
		if len(out) == 0 || out[len(out)-1] != state {
			out = append(out, state)
		}
	}
	return out
}

// TestSLAClosedPolicy: whatever the time of day the out-of-hours tests run at, midnight
// included, slaClosedPolicy writes a valid desk file whose desk is closed then and opens next
// when it says.
func TestSLAClosedPolicy(t *testing.T) {
	day := time.Date(2027, 3, 27, 0, 0, 0, 0, time.UTC) // any day will do: the hours are in UTC
	for now := day; now.Before(day.Add(24 * time.Hour)); now = now.Add(7*time.Minute + 13*time.Second) {
		text, back := slaClosedPolicy(now)
		p, err := policy.Parse("desk.yaml", []byte(text))
		if err != nil {
			t.Fatalf("at %s: %v\n%s", now.Format(time.TimeOnly), err, text)
		}
		if p.Hours.Open(now) {
			t.Errorf("at %s the desk is open: %s", now.Format(time.TimeOnly), text)
		}
		if got := p.Hours.NextOpen(now); !got.Equal(back) {
			t.Errorf("at %s the desk opens next at %s, want %s: %s", now.Format(time.TimeOnly), got, back, text)
		}
	}
}

package main

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// slaAway is how the out-of-hours reply begins (in English).
const slaAway = "Thank you for your message. Our team is away right now;"

// slaSandboxAways are the out-of-hours replies in the customer's DM, oldest first.
func slaSandboxAways(a *app, customer sbUser) []string {
	var out []string
	for _, m := range a.state().find(func(m sbMessage) bool {
		return m.Channel == customer.DM && m.FromApp && !m.Deleted && strings.HasPrefix(m.Text, slaAway)
	}) {
		out = append(out, m.Text)
	}
	return out
}

// slaSandboxAwayWait waits until the customer has been sent n out-of-hours replies and returns
// the last.
func slaSandboxAwayWait(t *testing.T, a *app, customer sbUser, n int) string {
	t.Helper()
	var got []string
	eventually(t, fmt.Sprintf("out-of-hours reply %d to %s", n, customer.Name), func() (bool, string) {
		got = slaSandboxAways(a, customer)
		return len(got) >= n, fmt.Sprintf("%q", got)
	})
	return got[len(got)-1]
}

// slaSandboxRelayed waits until the customer's messages in the ticket's thread (the card cardID)
// are n, so that every message written has been handled.
func slaSandboxRelayed(t *testing.T, a *app, customer sbUser, cardID string, n int) {
	t.Helper()
	eventually(t, fmt.Sprintf("%d messages of %s in the thread", n, customer.Name), func() (bool, string) {
		got := a.state().find(func(m sbMessage) bool { return m.Thread == cardID && m.asName() == customer.Name })
		return len(got) == n, fmt.Sprintf("%d", len(got))
	})
}

// TestSandboxOutOfHours: in the sandbox, while the desk is closed (business hours that begin two
// hours from now), a customer who writes three times gets one out-of-hours reply in the DM
// saying when the team is back (in the desk's zone, UTC: sandbox users have no zone of their
// own); a second customer gets one of their own. Each card says the request came in out of
// hours, and its first response is due half an hour into the next business hours.
func TestSandboxOutOfHours(t *testing.T) {
	policy, back := slaClosedPolicy(time.Now())
	a := startApp(t, map[string]string{"DESK_CONFIG": slaWriteFile(t, policy)})
	ada := a.user("Ada", "customer")
	cleo := a.user("Cleo", "customer")

	sent := time.Now()
	a.say(ada, "hello, is anyone there?", "")
	card := slaSandboxCard(t, a, "Ada")
	a.say(ada, "the export still fails", "")
	away := slaSandboxAwayWait(t, a, ada, 1)
	t.Logf("the out-of-hours reply: %q", away)
	if want := slaAwayTexts(t, "en", back, "UTC", sent, time.Now()); !slices.Contains(want, away) {
		t.Errorf("the out-of-hours reply says %q, want %q", away, want[0])
	}
	a.say(ada, "hello?", "")

	sentCleo := time.Now()
	a.say(cleo, "my invoice is wrong", "")
	cardCleo := slaSandboxCard(t, a, "Cleo")
	awayCleo := slaSandboxAwayWait(t, a, cleo, 1)
	if want := slaAwayTexts(t, "en", back, "UTC", sentCleo, time.Now()); !slices.Contains(want, awayCleo) {
		t.Errorf("Cleo's out-of-hours reply says %q, want %q", awayCleo, want[0])
	}

	for _, c := range []struct {
		who  string
		card string
	}{{"Ada", card.ID}, {"Cleo", cardCleo.ID}} {
		now := slaSandboxState(t, a).byID(c.card)
		if got := now.field("Came in"); got != "out of hours" {
			t.Errorf("%s's card: Came in = %q, want out of hours", c.who, got)
		}
		f := now.field("SLA")
		if due, state, ok := slaClock(f, "first response"); !ok || state != "on track" {
			t.Errorf("%s's card's SLA field is %q, want its first response on track", c.who, f)
		} else {
			slaCheckDue(t, c.who+"'s first response out of hours", due, back.Add(30*time.Minute), back.Add(30*time.Minute))
		}
	}

	// One reply per ticket for this closed period, however much the customers write.
	slaSandboxRelayed(t, a, ada, card.ID, 3)
	time.Sleep(time.Second)
	if got := slaSandboxAways(a, ada); len(got) != 1 {
		t.Errorf("%d out-of-hours replies to Ada after three messages, want 1: %q", len(got), got)
	}
	if got := slaSandboxAways(a, cleo); len(got) != 1 {
		t.Errorf("%d out-of-hours replies to Cleo, want 1: %q", len(got), got)
	}
}

// TestSandboxOutOfHoursNextClosedPeriod: the out-of-hours reply comes once per closed period.
// The desk is closed until the next minute (business hours of one minute a day, starting then):
// the customer's two messages get one reply saying the team is back then; once the desk has
// opened, a message gets none; when the desk is closed again (a lead reloads a policy whose
// hours begin two hours later) the next message gets a second reply, with the new time, and
// the one after it none. It waits up to a minute for the desk to open (skipped with -short).
func TestSandboxOutOfHoursNextClosedPeriod(t *testing.T) {
	if testing.Short() {
		t.Skip("waits up to a minute for the business hours to begin")
	}
	now := time.Now().UTC()
	open := now.Add(5 * time.Second).Truncate(time.Minute).Add(time.Minute)
	window := fmt.Sprintf(`["%s-%s"]`, open.Format("15:04"), open.Add(time.Minute).Format("15:04"))
	var week []string
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		week = append(week, d+": "+window)
	}
	deskConfig := slaWriteFile(t, "language: en\nhours:\n  timezone: UTC\n  week: {"+strings.Join(week, ", ")+"}\n")
	a := startApp(t, map[string]string{"DESK_CONFIG": deskConfig})
	var bob sbUser
	a.mustPost("/sandbox/api/users", map[string]any{"name": "Bob", "role": "agent", "lead": true}, http.StatusCreated, &bob)
	ada := a.user("Ada", "customer")

	// Closed: one reply for two messages, saying the team is back at the next minute.
	sent := time.Now()
	a.say(ada, "hello, is anyone there?", "")
	card := slaSandboxCard(t, a, "Ada")
	a.say(ada, "the export still fails", "")
	first := slaSandboxAwayWait(t, a, ada, 1)
	if want := slaAwayTexts(t, "en", open, "UTC", sent, time.Now()); !slices.Contains(want, first) {
		t.Errorf("the out-of-hours reply says %q, want %q", first, want[0])
	}
	if time.Now().After(open) {
		t.Fatalf("the desk opened at %s, before the test had its first reply", open.Format(time.TimeOnly))
	}

	// Open: nothing is said.
	time.Sleep(time.Until(open.Add(300 * time.Millisecond)))
	a.say(ada, "are you there now?", "")
	slaSandboxRelayed(t, a, ada, card.ID, 3)
	time.Sleep(time.Second)
	if got := slaSandboxAways(a, ada); len(got) != 1 {
		t.Errorf("%d out-of-hours replies after a message in business hours, want 1: %q", len(got), got)
	}

	// Closed again: a new closed period, a second reply, once.
	policy, back := slaClosedPolicy(time.Now())
	if err := os.WriteFile(deskConfig, []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := a.command(bob, "/desk reload"); !strings.HasPrefix(got, "Reloaded: ") {
		t.Fatalf("/desk reload answers %q", got)
	}
	sent = time.Now()
	a.say(ada, "still nothing", "")
	second := slaSandboxAwayWait(t, a, ada, 2)
	if want := slaAwayTexts(t, "en", back, "UTC", sent, time.Now()); !slices.Contains(want, second) {
		t.Errorf("the second closed period's reply says %q, want %q", second, want[0])
	}
	a.say(ada, "hello?", "")
	slaSandboxRelayed(t, a, ada, card.ID, 5)
	time.Sleep(time.Second)
	if got := slaSandboxAways(a, ada); len(got) != 2 {
		t.Errorf("%d out-of-hours replies over two closed periods, want 2: %q", len(got), got)
	}
}

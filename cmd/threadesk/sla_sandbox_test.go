package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/sandbox"
)

// TestSandboxSLA: in the sandbox, with a policy whose first-response target is 4 seconds, a
// ticket nobody answers gets its card's SLA field on track, the reminder in its thread at 2s
// (the card then at risk), the breach alert in the thread at 4s and one alert to the leads
// (an agent added as a lead, named @Bob) in the triage channel, each once, the card then
// breached. A ticket claimed before its reminder gets neither.
func TestSandboxSLA(t *testing.T) {
	a := startApp(t, map[string]string{"DESK_CONFIG": slaWriteFile(t, slaSecondsPolicy)})
	a.mustPost("/sandbox/api/users", map[string]any{"name": "Bob", "role": "agent", "lead": true}, http.StatusCreated, nil)
	ann := a.user("Ann", "agent")
	ada := a.user("Ada", "customer")
	cleo := a.user("Cleo", "customer")
	const subject = "the VPN drops every hour"

	sent := time.Now()
	a.say(ada, subject, "")
	card := slaSandboxCard(t, a, "Ada")
	t.Logf("the card of ticket 1 came %v after the customer's message", card.At.Sub(sent).Round(time.Millisecond))
	versions := slaWatchSandboxCard(t, a, card.ID)
	due, state, ok := slaClock(card.field("SLA"), "first response")
	if !ok || state != "on track" {
		t.Fatalf("the new card's SLA field is %q, want a first response line on track", card.field("SLA"))
	}
	slaCheckDue(t, "the card's first response", due, sent.Add(slaFirst), card.At.Add(slaFirst))

	// The second customer's ticket is claimed at once, well before its reminder.
	sent2 := time.Now()
	a.say(cleo, "my invoice is wrong", "")
	card2 := slaSandboxCard(t, a, "Cleo")
	a.mustPost("/sandbox/api/actions", map[string]string{"user": ann.ID, "message": card2.ID, "action": "claim", "value": "2"}, http.StatusOK, nil)
	eventually(t, "ticket 2's card claimed, its first response met", func() (bool, string) {
		f := slaSandboxState(t, a).byID(card2.ID).field("SLA")
		_, state, _ := slaClock(f, "first response")
		return state == "met", f
	})
	if claimed := time.Since(sent2); claimed > slaRemind-slaEarly {
		t.Fatalf("ticket 2 was claimed %v after its customer wrote, too late to be before its reminder", claimed)
	}

	// The reminder and the breach, in ticket 1's thread; the alert to the leads, in the
	// triage channel.
	reminder := slaSandboxWait(t, a, "the reminder", "⏰ Ticket #1:")
	slaCheckTiming(t, "the reminder", sent, reminder.At, slaRemind)
	t.Logf("the reminder: %q", reminder.Text)
	slaCheckReminder(t, reminder.Text, "", "1", "first response", due)
	breach := slaBreachText("", "1", "first response")
	alert := slaSandboxWait(t, a, "the breach alert", breach)
	slaCheckTiming(t, "the breach alert", sent, alert.At, slaFirst)
	leadsText := slaLeadsText("@Bob", "1", subject, "first response", "")
	leads := slaSandboxWait(t, a, "the leads' alert", "🚨 @")
	slaCheckTiming(t, "the leads' alert", sent, leads.At, slaFirst)
	for _, c := range []struct {
		what         string
		m            slaSandboxMessage
		text, thread string
	}{
		{"the reminder", reminder, reminder.Text, card.ID},
		{"the breach alert", alert, breach, card.ID},
		{"the leads' alert", leads, leadsText, ""},
	} {
		if c.m.Text != c.text || c.m.Channel != sandbox.TriageChannel || c.m.Thread != c.thread || !c.m.FromApp {
			t.Errorf("%s: %q in channel %q thread %q (from the app: %v), want %q in %q thread %q", c.what, c.m.Text, c.m.Channel, c.m.Thread, c.m.FromApp, c.text, sandbox.TriageChannel, c.thread)
		}
	}
	eventually(t, "ticket 1's card breached", func() (bool, string) {
		f := slaSandboxState(t, a).byID(card.ID).field("SLA")
		_, state, _ := slaClock(f, "first response")
		return state == "breached", f
	})

	// Nothing comes twice, and ticket 2 gets nothing.
	time.Sleep(slaQuiet)
	s := slaSandboxState(t, a)
	for _, c := range []struct {
		what, prefix string
		want         int
	}{
		{"reminders of ticket 1", "⏰ Ticket #1:", 1},
		{"breach alerts of ticket 1", breach, 1},
		{"alerts to the leads", "🚨 @", 1},
		{"reminders of ticket 2", "⏰ Ticket #2", 0},
		{"alerts of ticket 2", "🚨 Ticket #2", 0},
	} {
		if got := s.starting(c.prefix); len(got) != c.want {
			t.Errorf("%d %s, want %d: %q", len(got), c.what, c.want, got)
		}
	}
	if got, want := slaStates(t, "first response", versions()), []string{"on track", "at risk", "breached"}; !slices.Equal(got, want) {
		t.Errorf("ticket 1's card showed its first response %q in turn, want %q", got, want)
	}
	if f := s.byID(card2.ID).field("SLA"); !strings.HasPrefix(f, "first response: met") {
		t.Errorf("ticket 2's card's SLA field is %q at the end, want its first response met", f)
	}
}

// TestSandboxSLACardFollowsNextResponse: the card's SLA field follows the next-response
// clock, which a customer's message starts and an agent's answer stops without changing the
// ticket's status: the card shows the clock on track as soon as the customer writes again, and
// met once the agent answers (after its reminder had shown it at risk).
func TestSandboxSLACardFollowsNextResponse(t *testing.T) {
	a := startApp(t, map[string]string{"DESK_CONFIG": slaWriteFile(t, slaSecondsPolicy)})
	ann := a.user("Ann", "agent")
	ada := a.user("Ada", "customer")
	a.say(ada, "the app crashes on start", "")
	card := slaSandboxCard(t, a, "Ada")
	a.say(ann, "Which version do you run?", card.ID)
	eventually(t, "the first response met", func() (bool, string) {
		f := slaSandboxState(t, a).byID(card.ID).field("SLA")
		_, state, _ := slaClock(f, "first response")
		return state == "met", f
	})

	// The customer writes again: the next response's clock runs, and the card says so before
	// its reminder is due.
	written := time.Now()
	a.say(ada, "version 2.1", "")
	slaWithin(t, "the card with the next response on track", written.Add(slaRemind-slaEarly), func() (bool, string) {
		f := slaSandboxState(t, a).byID(card.ID).field("SLA")
		_, state, _ := slaClock(f, "next response")
		return state == "on track", f
	})

	// After the reminder (the card at risk), Ann answers: the card shows the target met.
	slaSandboxWait(t, a, "the next response's reminder", "⏰ @Ann Ticket #1: next response")
	a.say(ann, "Please update to 2.2.", card.ID)
	answered := time.Now()
	slaWithin(t, "the card with the next response met", answered.Add(slaLate), func() (bool, string) {
		f := slaSandboxState(t, a).byID(card.ID).field("SLA")
		_, state, _ := slaClock(f, "next response")
		return state == "met", f
	})
	if time.Since(written) < slaFirst {
		// Nothing updates the card on its own from here: what it shows now, it keeps.
		time.Sleep(time.Until(written.Add(slaFirst + slaLate)))
	}
	if got := slaSandboxState(t, a).starting("🚨"); len(got) != 0 {
		t.Errorf("alerts of a next response answered in time: %q", got)
	}
	f := slaSandboxState(t, a).byID(card.ID).field("SLA")
	if _, state, _ := slaClock(f, "next response"); state != "met" {
		t.Errorf("the card's SLA field is %q after the answer, want the next response met", f)
	}
}

// slaWithin calls cond until it reports true, failing the test (and going on) with cond's
// last explanation if that does not happen by deadline.
func slaWithin(t *testing.T, what string, deadline time.Time, cond func() (bool, string)) {
	t.Helper()
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: not by %s: %s", what, deadline.Format(time.TimeOnly+".000"), why)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The sandbox's state as these tests read it: messages with their cards' fields and times.
type (
	slaSandboxMessage struct {
		ID      string    `json:"id"`
		Channel string    `json:"channel"`
		Thread  string    `json:"thread"`
		FromApp bool      `json:"fromApp"`
		Text    string    `json:"text"`
		Deleted bool      `json:"deleted"`
		At      time.Time `json:"at"`
		Card    *struct {
			Title  string `json:"title"`
			Fields []struct {
				Label string `json:"label"`
				Value string `json:"value"`
			} `json:"fields"`
		} `json:"card"`
	}
	slaSandboxView struct {
		Messages []slaSandboxMessage `json:"messages"`
	}
)

// field is the value of the card field labelled label ("" when there is none).
func (m slaSandboxMessage) field(label string) string {
	if m.Card == nil {
		return ""
	}
	for _, f := range m.Card.Fields {
		if f.Label == label {
			return f.Value
		}
	}
	return ""
}

// byID is the message with the ID (zero when there is none).
func (s slaSandboxView) byID(id string) slaSandboxMessage {
	for _, m := range s.Messages {
		if m.ID == id {
			return m
		}
	}
	return slaSandboxMessage{}
}

// starting lists the texts of the app's messages in the triage channel that start with prefix.
func (s slaSandboxView) starting(prefix string) []string {
	var out []string
	for _, m := range s.Messages {
		if m.FromApp && !m.Deleted && m.Channel == sandbox.TriageChannel && strings.HasPrefix(m.Text, prefix) {
			out = append(out, m.Text)
		}
	}
	return out
}

// slaFetchSandbox reads the sandbox's state over HTTP.
func slaFetchSandbox(a *app) (slaSandboxView, error) {
	var s slaSandboxView
	resp, err := a.client.Get(a.url("/sandbox/api/state"))
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return s, err
	}
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("GET /sandbox/api/state: %s: %s", resp.Status, body)
	}
	return s, json.Unmarshal(body, &s)
}

// slaSandboxState reads the sandbox's state, failing the test if it cannot.
func slaSandboxState(t *testing.T, a *app) slaSandboxView {
	t.Helper()
	s, err := slaFetchSandbox(a)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// slaSandboxCard waits for the card of a ticket of the customer named name.
func slaSandboxCard(t *testing.T, a *app, name string) slaSandboxMessage {
	t.Helper()
	var card slaSandboxMessage
	eventually(t, "the card of "+name, func() (bool, string) {
		for _, m := range slaSandboxState(t, a).Messages {
			if m.Channel == sandbox.TriageChannel && m.Thread == "" && m.Card != nil && strings.Contains(m.Card.Title, name) {
				card = m
				return true, ""
			}
		}
		return false, "no card yet"
	})
	return card
}

// slaSandboxWait waits for the app's first message in the triage channel that starts with
// prefix.
func slaSandboxWait(t *testing.T, a *app, what, prefix string) slaSandboxMessage {
	t.Helper()
	var found slaSandboxMessage
	eventually(t, what, func() (bool, string) {
		s := slaSandboxState(t, a)
		for _, m := range s.Messages {
			if m.FromApp && !m.Deleted && m.Channel == sandbox.TriageChannel && strings.HasPrefix(m.Text, prefix) {
				found = m
				return true, ""
			}
		}
		return false, fmt.Sprintf("%q", s.starting(""))
	})
	return found
}

// slaWatchSandboxCard records every version of a card's SLA field, reading the state every
// 20ms until the test ends (the sandbox keeps only the last version), and returns a function
// that lists them, repeats left out.
func slaWatchSandboxCard(t *testing.T, a *app, cardID string) func() []string {
	var (
		mu       sync.Mutex
		versions []string
		done     = make(chan struct{})
		stopped  = make(chan struct{})
	)
	go func() {
		defer close(stopped)
		for {
			if s, err := slaFetchSandbox(a); err == nil {
				f := s.byID(cardID).field("SLA")
				mu.Lock()
				if len(versions) == 0 || versions[len(versions)-1] != f {
					versions = append(versions, f)
				}
				mu.Unlock()
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { close(done); <-stopped })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(versions)
	}
}

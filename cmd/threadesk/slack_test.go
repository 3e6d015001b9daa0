package main

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

// TestSlackConversation follows one ticket through Slack as customers and agents use it: a DM
// opens a ticket (card with buttons and a thread), replies go back to the DM under the agent's
// name and picture, notes stay in the channel, edits and deletes are mirrored both ways, and
// files cross both ways byte for byte.
func TestSlackConversation(t *testing.T) {
	t.Parallel()
	fake := slackWorkspace(t, 1)
	app := startSlackApp(t, fake, slackConfig(t, fake))
	cust := slackCustomer(1)
	dm := slackDM(cust)

	// The customer writes: a ticket card in the triage channel, their words in its thread.
	first := app.say("Ev001", cust, dm, "", "My printer is on fire")
	card := slackCard(t, fake, cust)
	if !slackHasButtons(t, card, "claim", "assign", "tag", "pending", "resolve", "close") {
		t.Errorf("card buttons: got %v", slackButtons(t, card))
	}
	for _, b := range slackButtons(t, card) {
		if !strings.HasSuffix(b, "=1") {
			t.Errorf("button %s: value should be the ticket number 1", b)
		}
	}
	var mirrored slacktest.Message
	slackEventually(t, "the customer's message in the thread", func() (bool, string) {
		got := slackWithText(slackReplies(fake, slacktest.Triage, card.TS), "My printer is on fire")
		if len(got) != 1 {
			return false, slackTexts(fake.Thread(slacktest.Triage, card.TS))
		}
		mirrored = got[0]
		return true, ""
	})
	if mirrored.Username != cust.DisplayName || mirrored.IconURL != cust.Image {
		t.Errorf("mirrored as %q %q, want the customer's name and picture", mirrored.Username, mirrored.IconURL)
	}
	slackEventually(t, "the delivered mark and the ticket number in the DM", func() (bool, string) {
		m, _ := fake.Message(dm, first.TS)
		dmTexts := slackTexts(slackFromApp(fake, dm))
		return strings.Join(m.Reactions, ",") == "white_check_mark" && strings.Contains(dmTexts, "#1"), fmt.Sprint(m.Reactions, dmTexts)
	})

	// An agent answers in the thread: the customer reads it in the DM, under Ann's name.
	reply := app.say("Ev002", slackAnn, slacktest.Triage, card.TS, "Have you tried turning it off?")
	var relayed slacktest.Message
	slackEventually(t, "the agent's reply in the DM", func() (bool, string) {
		got := slackWithText(slackFromApp(fake, dm), "Have you tried turning it off?")
		if len(got) != 1 {
			return false, slackTexts(fake.Messages(dm))
		}
		relayed = got[0]
		return true, ""
	})
	if relayed.Username != "Ann" || relayed.IconURL != slackAnn.Image {
		t.Errorf("reply shown as %q %q, want Ann and her picture", relayed.Username, relayed.IconURL)
	}

	// A note stays in the channel, marked as such.
	note := app.say("Ev003", slackAnn, slacktest.Triage, card.TS, "// they sound upset, be gentle")
	slackEventually(t, "the note's memo mark", func() (bool, string) {
		m, _ := fake.Message(slacktest.Triage, note.TS)
		return strings.Join(m.Reactions, ",") == "memo", fmt.Sprint(m.Reactions)
	})

	// Edits, both ways.
	app.event(fake.EditEvent("Ev004", first, "My printer is on fire!!", "im"))
	app.event(fake.EditEvent("Ev005", reply, "Have you tried turning it off and on?", "channel"))
	slackEventually(t, "both edits mirrored", func() (bool, string) {
		m, _ := fake.Message(slacktest.Triage, mirrored.TS)
		r, _ := fake.Message(dm, relayed.TS)
		return m.Text == "My printer is on fire!!" && r.Text == "Have you tried turning it off and on?", m.Text + " / " + r.Text
	})

	// Files, both ways, byte for byte (downloaded with the bot token, uploaded in three steps).
	pdf := bytes.Repeat([]byte("%PDF-1.7\x00\xff\x10binary"), 3000)
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0, 1, 2, 254, 255}, 5000)...)
	app.say("Ev006", cust, dm, "", "the invoice", fake.AddFile("invoice.pdf", "application/pdf", pdf))
	app.say("Ev007", slackAnn, slacktest.Triage, card.TS, "", fake.AddFile("fix.png", "image/png", png))
	slackEventually(t, "the files on the other side", func() (bool, string) {
		var inThread, inDM bool
		for _, m := range slackReplies(fake, slacktest.Triage, card.TS) {
			for _, f := range m.Files {
				inThread = inThread || slackSameBytes(fake, f, pdf)
			}
		}
		for _, m := range slackFromApp(fake, dm) {
			for _, f := range m.Files {
				inDM = inDM || slackSameBytes(fake, f, png)
			}
		}
		return inThread && inDM, fmt.Sprintf("pdf in thread %v, png in DM %v", inThread, inDM)
	})
	if got := fake.Calls("files.upload"); len(got) != 0 {
		t.Errorf("the retired files.upload was called %d times", len(got))
	}

	// Deletes, both ways.
	app.event(fake.DeleteEvent("Ev008", first, "im"))
	app.event(fake.DeleteEvent("Ev009", reply, "channel"))
	slackEventually(t, "both deletes mirrored", func() (bool, string) {
		m, _ := fake.Message(slacktest.Triage, mirrored.TS)
		r, _ := fake.Message(dm, relayed.TS)
		return m.Deleted && r.Deleted, fmt.Sprintf("thread copy deleted %v, DM copy deleted %v", m.Deleted, r.Deleted)
	})

	// The note never reached the customer; nothing was posted twice.
	for _, m := range fake.Messages(dm) {
		if strings.Contains(m.Text, "upset") {
			t.Errorf("the note reached the DM: %q", m.Text)
		}
	}
	if got := len(slackWithText(fake.Messages(slacktest.Triage), "the invoice")) + len(slackWithText(fake.Messages(slacktest.Triage), "*Customer 1*: the invoice")); got != 1 {
		t.Errorf("the invoice's message is in the thread %d times, want once: %s", got, slackTexts(fake.Thread(slacktest.Triage, card.TS)))
	}
}

// TestSlackForgedAndStaleRequests: requests without Slack's valid, recent signature are
// refused with 401 on every endpoint and change nothing.
func TestSlackForgedAndStaleRequests(t *testing.T) {
	t.Parallel()
	fake := slackWorkspace(t, 1)
	app := startSlackApp(t, fake, slackConfig(t, fake))
	cust := slackCustomer(1)
	m := fake.UserMessage(slackDM(cust), cust.ID, "let me in", "")
	event := fake.MessageEvent("EvForged", m, "im")
	command := []byte(fake.SlashCommand(cust, slackDM(cust), "/desk", "list").Encode())
	before := fake.CallCount()

	for _, ep := range []struct {
		path string
		body []byte
	}{{"/slack/events", event}, {"/slack/commands", command}, {"/slack/interactivity", slacktest.Form(map[string]any{"type": "block_actions"})}} {
		tests := []struct {
			name   string
			secret string
			at     time.Time
			header http.Header
		}{
			{"wrong secret", "not-the-secret", time.Now(), nil},
			{"stale timestamp", slackSecret, time.Now().Add(-6 * time.Minute), nil},
			{"future timestamp", slackSecret, time.Now().Add(6 * time.Minute), nil},
			{"no signature", slackSecret, time.Now(), http.Header{"X-Slack-Signature": {""}}},
			{"tampered signature", slackSecret, time.Now(), http.Header{"X-Slack-Signature": {"v0=" + strings.Repeat("ab", 32)}}},
		}
		for _, tt := range tests {
			if got := app.send(ep.path, ep.body, tt.secret, tt.at, tt.header); got != http.StatusUnauthorized {
				t.Errorf("%s %s: got %d, want 401", ep.path, tt.name, got)
			}
		}
	}
	time.Sleep(300 * time.Millisecond) // anything accepted by mistake would be handled by now
	if got := fake.CallCount(); got != before {
		t.Errorf("refused requests made %d calls to Slack: %v", got-before, fake.Calls("")[before:])
	}
	if got := len(fake.Messages(slacktest.Triage)); got != 0 {
		t.Errorf("triage channel has %d messages after refused requests", got)
	}

	// The same event, correctly signed, is accepted: the refusals were about the signature.
	app.event(event)
	slackCard(t, fake, cust)
}

// TestSlackRetriesWithoutDuplicates: Slack redelivers an event it thinks was lost with
// X-Slack-Retry-Num and the same event_id; it is relayed once.
func TestSlackRetriesWithoutDuplicates(t *testing.T) {
	t.Parallel()
	fake := slackWorkspace(t, 1)
	app := startSlackApp(t, fake, slackConfig(t, fake))
	cust := slackCustomer(1)
	m := fake.UserMessage(slackDM(cust), cust.ID, "hello once", "")
	event := fake.MessageEvent("EvRetry", m, "im")
	app.event(event)
	for i, reason := range []string{"http_timeout", "http_error"} {
		h := http.Header{"X-Slack-Retry-Num": {fmt.Sprint(i + 1)}, "X-Slack-Retry-Reason": {reason}}
		if got := app.send("/slack/events", event, slackSecret, time.Now(), h); got != http.StatusOK {
			t.Fatalf("retry %d: got %d, want 200", i+1, got)
		}
	}
	card := slackCard(t, fake, cust)
	// A later message is relayed after the retries were handled (a customer's events are in order).
	app.say("EvAfter", cust, slackDM(cust), "", "and this")
	slackEventually(t, "the later message", func() (bool, string) {
		return len(slackWithText(slackReplies(fake, slacktest.Triage, card.TS), "and this")) == 1, slackTexts(fake.Thread(slacktest.Triage, card.TS))
	})
	if got := len(slackWithText(slackReplies(fake, slacktest.Triage, card.TS), "hello once")); got != 1 {
		t.Errorf("the retried message is in the thread %d times, want once", got)
	}
	cards := 0
	for _, msg := range fake.Messages(slacktest.Triage) {
		if msg.Thread == "" {
			cards++
		}
	}
	if cards != 1 {
		t.Errorf("%d cards, want 1", cards)
	}
}

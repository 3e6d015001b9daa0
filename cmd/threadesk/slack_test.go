package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
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
	app.echo()
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

	// The app's own messages came back as events and changed nothing: the DM holds the ticket
	// number and Ann's file (her reply is deleted by now), the thread the invoice's text and file
	// (the first message is deleted).
	slackEventually(t, "the app's own messages delivered back to it", func() (bool, string) {
		return app.echoed.Load() >= 10, fmt.Sprint(app.echoed.Load(), " echoed")
	})
	app.drained()
	if got := len(slackFromApp(fake, dm)); got != 2 {
		t.Errorf("app messages in the DM: got %d, want 2 (ticket number, file): %s", got, slackTexts(fake.Messages(dm)))
	}
	if got := len(slackReplies(fake, slacktest.Triage, card.TS)); got != 2 {
		t.Errorf("app messages in the thread: got %d, want 2 (the invoice's text and file): %s", got, slackTexts(fake.Thread(slacktest.Triage, card.TS)))
	}

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
	app.drained() // anything accepted by mistake would be handled by now
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
	// A later message is relayed after the retries were handled (a customer's events are in
	// order). Slack posts it but the answer is lost: the app looks before posting again.
	slackEventually(t, "the first message in the thread", func() (bool, string) {
		return len(slackReplies(fake, slacktest.Triage, card.TS)) == 1, slackTexts(fake.Thread(slacktest.Triage, card.TS))
	})
	fake.FailAfterNext("chat.postMessage", http.StatusGatewayTimeout)
	after := app.say("EvAfter", cust, slackDM(cust), "", "and this")
	slackEventually(t, "the later message relayed and marked delivered", func() (bool, string) {
		m, _ := fake.Message(after.Channel, after.TS)
		return len(m.Reactions) == 1, fmt.Sprint(m.Reactions, slackTexts(fake.Thread(slacktest.Triage, card.TS)))
	})
	if got := len(slackWithText(slackReplies(fake, slacktest.Triage, card.TS), "and this")); got != 1 {
		t.Errorf("the message whose answer was lost is in the thread %d times, want once", got)
	}
	if got := len(fake.Calls("conversations.replies")); got == 0 {
		t.Errorf("after the lost answer the app did not look for its message (no conversations.replies)")
	}
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

// slackTicket opens ticket #1 for customer 1 and returns its card once the first message is in
// its thread.
func slackTicket(t *testing.T, app *slackApp, text string) (slacktest.User, slacktest.Message) {
	t.Helper()
	cust := slackCustomer(1)
	app.say("EvOpen", cust, slackDM(cust), "", text)
	card := slackCard(t, app.fake, cust)
	slackEventually(t, "the first message in the thread", func() (bool, string) {
		return len(slackWithText(slackReplies(app.fake, slacktest.Triage, card.TS), text)) == 1, slackTexts(app.fake.Thread(slacktest.Triage, card.TS))
	})
	return cust, card
}

// slackCardNow returns the card as it is now.
func slackCardNow(fake *slacktest.Server, card slacktest.Message) slacktest.Message {
	m, _ := fake.Message(card.Channel, card.TS)
	return m
}

// slackLastView waits for the n-th modal opened and returns it.
func slackLastView(t *testing.T, fake *slacktest.Server, n int) slacktest.View {
	t.Helper()
	slackEventually(t, fmt.Sprintf("modal %d", n), func() (bool, string) {
		return len(fake.Views()) >= n, fmt.Sprintf("%d modals opened", len(fake.Views()))
	})
	return fake.Views()[n-1]
}

// slackElement returns the input element of a modal's field.
func slackElement(v slacktest.View, field string) map[string]any {
	blocks, _ := v.View["blocks"].([]any)
	for _, b := range blocks {
		block := b.(map[string]any)
		if block["block_id"] == field {
			el, _ := block["element"].(map[string]any)
			return el
		}
	}
	return nil
}

// TestSlackTriageButtonsAndForms: Claim updates the card in place and tells the customer; Tag
// and Assign open modals at once (the click's trigger_id lives 3 seconds), whose submissions
// change the ticket and its card.
func TestSlackTriageButtonsAndForms(t *testing.T) {
	t.Parallel()
	fake := slackWorkspace(t, 1)
	app := startSlackApp(t, fake, slackConfig(t, fake))
	cust, card := slackTicket(t, app, "The app crashes on login")
	// The card names the customer with a link to their Slack profile.
	if got, want := slackField(t, card, "Customer"), "<https://test.slack.com/team/"+cust.ID+"|"+cust.DisplayName+">"; got != want {
		t.Errorf("card's customer field = %q, want %q", got, want)
	}

	// Claim.
	app.interact(fake.BlockAction(slackAnn, slackCardNow(fake, card), "claim", "1"))
	slackEventually(t, "the claimed card and the customer's notice", func() (bool, string) {
		now := slackCardNow(fake, card)
		notice := slackWithText(slackFromApp(fake, slackDM(cust)), "Ann is now looking after your ticket #1.")
		return slackField(t, now, "Assignee") == "Ann" && slackField(t, now, "Status") == "open" && len(notice) == 1,
			fmt.Sprintf("assignee %q status %q DM %s", slackField(t, now, "Assignee"), slackField(t, now, "Status"), slackTexts(fake.Messages(slackDM(cust))))
	})
	if got := fake.Calls("chat.update"); len(got) == 0 || got[len(got)-1].Args["ts"] != card.TS {
		t.Errorf("the card was not updated in place with chat.update: %v", got)
	}

	// Tag: the modal opens with the click's trigger, then the submission tags the ticket.
	click := fake.BlockAction(slackAnn, slackCardNow(fake, card), "tag", "1")
	app.interact(click)
	view := slackLastView(t, fake, 1)
	if view.Trigger != click["trigger_id"] || view.View["callback_id"] != "tag" || view.View["private_metadata"] != "1" {
		t.Fatalf("tag modal: trigger %s callback %v metadata %v", view.Trigger, view.View["callback_id"], view.View["private_metadata"])
	}
	for field, typ := range map[string]string{"category": "static_select", "tags": "plain_text_input", "priority": "static_select"} {
		if el := slackElement(view, field); el == nil || el["type"] != typ {
			t.Errorf("tag modal field %s: got %v, want a %s", field, el, typ)
		}
	}
	app.interact(fake.ViewSubmission(slackAnn, view, map[string]string{"category": "Technical", "tags": "login, crash", "priority": "high"}))
	slackEventually(t, "the tagged card", func() (bool, string) {
		now := slackCardNow(fake, card)
		got := slackField(t, now, "Category") + " | " + slackField(t, now, "Tags") + " | " + slackField(t, now, "Priority")
		return got == "Technical | login, crash | high", got
	})

	// Assign: a person picker, preselected with the assignee; Bob is picked.
	app.interact(fake.BlockAction(slackAnn, slackCardNow(fake, card), "assign", "1"))
	view = slackLastView(t, fake, 2)
	if el := slackElement(view, "agent"); el == nil || el["type"] != "users_select" || el["initial_user"] != slackAnn.ID {
		t.Errorf("assign modal: got %v, want a users_select preselecting Ann", el)
	}
	app.interact(fake.ViewSubmission(slackAnn, view, map[string]string{"agent": slackBob.ID}))
	slackEventually(t, "the card assigned to Bob", func() (bool, string) {
		got := slackField(t, slackCardNow(fake, card), "Assignee")
		return got == "Bob", got
	})

	// Each click opened exactly one modal (the fake accepts a trigger once, within 3 seconds).
	if got := fake.Calls("views.open"); len(got) != 2 {
		t.Errorf("views.open calls: got %d, want 2", len(got))
	}
}

// TestSlackDeskCommands: /desk is answered privately through the command's response_url.
func TestSlackDeskCommands(t *testing.T) {
	t.Parallel()
	fake := slackWorkspace(t, 2)
	app := startSlackApp(t, fake, slackConfig(t, fake))
	cust, card := slackTicket(t, app, "Where is my refund?")
	posts := len(fake.Calls("chat.postMessage")) + len(fake.Calls("chat.postEphemeral"))

	run := func(user slacktest.User, channel, text, want string) {
		t.Helper()
		form := fake.SlashCommand(user, channel, "/desk", text)
		app.command(form)
		slackEventually(t, "the answer to /desk "+text, func() (bool, string) {
			for _, r := range fake.Responses() {
				if r.URL == form.Get("response_url") {
					body := fmt.Sprint(r.Body["text"])
					return r.Body["response_type"] == "ephemeral" && strings.Contains(body, want), fmt.Sprintf("%v: %q", r.Body["response_type"], body)
				}
			}
			return false, "no answer yet: " + strings.Join(slackResponses(fake), "; ")
		})
	}
	run(slackAnn, slacktest.Triage, "status", "1")
	run(slackAnn, slacktest.Triage, "show 1", "refund")
	run(slackAnn, slacktest.Triage, "assign 1 <@U0BOB0001|bob>", "Bob")
	slackEventually(t, "the card assigned to Bob by command", func() (bool, string) {
		got := slackField(t, slackCardNow(fake, card), "Assignee")
		return got == "Bob", got
	})
	run(slackAnn, slacktest.General, "priority 1 urgent", "urgent")
	run(slackAnn, slacktest.Triage, "list", "#1")
	// A customer is not an agent: refused, privately.
	run(cust, slackDM(cust), "claim 1", "for support agents")
	run(slackCustomer(2), slackDM(slackCustomer(2)), "help", "")

	if got := slackField(t, slackCardNow(fake, card), "Priority"); got != "urgent" {
		t.Errorf("priority: got %q, want urgent", got)
	}
	if got := len(fake.Calls("chat.postMessage")) + len(fake.Calls("chat.postEphemeral")); got != posts+1 {
		// +1: the customer is told who looks after the ticket now.
		t.Errorf("command answers went through the Web API: %d posts, want %d", got, posts+1)
	}
}

// TestSlackSatisfactionRating: resolving asks the customer for a rating in the DM; their click
// turns the question into thanks in place, and the card shows the score, then their comment.
func TestSlackSatisfactionRating(t *testing.T) {
	t.Parallel()
	fake := slackWorkspace(t, 1)
	app := startSlackApp(t, fake, slackConfig(t, fake))
	cust, card := slackTicket(t, app, "Password reset mail never arrives")
	dm := slackDM(cust)

	app.interact(fake.BlockAction(slackAnn, slackCardNow(fake, card), "resolve", "1"))
	var question slacktest.Message
	slackEventually(t, "the rating question in the DM", func() (bool, string) {
		for _, m := range slackFromApp(fake, dm) {
			if slackHasButtons(t, m, "rate") {
				question = m
				return true, ""
			}
		}
		return false, slackTexts(fake.Messages(dm))
	})
	// One row of five buttons: Slack wants their action IDs unique within the block.
	if got, want := strings.Join(slackButtons(t, question), " "), "rate=1:1 rate~1=1:2 rate~2=1:3 rate~3=1:4 rate~4=1:5"; got != want {
		t.Errorf("rating buttons: got %s, want %s", got, want)
	}
	if got := slackField(t, slackCardNow(fake, card), "Status"); got != "resolved" {
		t.Errorf("card status: got %q", got)
	}

	app.interact(fake.BlockAction(cust, question, "rate~3", "1:4"))
	slackEventually(t, "the thanks in place of the question, and 4/5 on the card", func() (bool, string) {
		q, _ := fake.Message(dm, question.TS)
		rating := slackField(t, slackCardNow(fake, card), "Satisfaction")
		return strings.Contains(q.Text, "4/5") && slackHasButtons(t, q, "comment") && !slackHasButtons(t, q, "rate") && rating == "4/5",
			fmt.Sprintf("question now %q %v; card rating %q", q.Text, slackButtons(t, q), rating)
	})

	// The comment button opens a modal; the comment shows on the card.
	thanks, _ := fake.Message(dm, question.TS)
	app.interact(fake.BlockAction(cust, thanks, "comment", "1"))
	view := slackLastView(t, fake, 1)
	if el := slackElement(view, "comment"); el == nil || el["type"] != "plain_text_input" || el["multiline"] != true {
		t.Errorf("comment modal: got %v", el)
	}
	app.interact(fake.ViewSubmission(cust, view, map[string]string{"comment": "Quick and kind"}))
	slackEventually(t, "the comment on the card", func() (bool, string) {
		got := slackField(t, slackCardNow(fake, card), "Satisfaction")
		return got == "4/5: “Quick and kind”", got
	})
}

// slackSayAll has each customer write messages one after the other (each acknowledged before
// the next, as Slack delivers a person's messages), all customers at once. It returns the texts
// each customer wrote, in order.
func slackSayAll(t *testing.T, app *slackApp, customers []slacktest.User, messages int, tag string) map[string][]string {
	t.Helper()
	written := map[string][]string{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, cust := range customers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range messages {
				text := fmt.Sprintf("%s %s message %02d", tag, cust.Name, i)
				m := app.fake.UserMessage(slackDM(cust), cust.ID, text, "")
				body := app.fake.MessageEvent(fmt.Sprintf("Ev%s%s%02d", tag, cust.ID, i), m, "im")
				if got := app.send("/slack/events", body, slackSecret, time.Now(), nil); got != http.StatusOK {
					t.Errorf("%s: POST /slack/events: got %d", text, got)
					return
				}
				mu.Lock()
				written[cust.ID] = append(written[cust.ID], text)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return written
}

// slackAllRelayed waits until every customer's thread holds exactly what they wrote, in order.
func slackAllRelayed(t *testing.T, fake *slacktest.Server, customers []slacktest.User, written map[string][]string) {
	t.Helper()
	for _, cust := range customers {
		card := slackCard(t, fake, cust)
		want := strings.Join(written[cust.ID], "\n")
		slackEventually(t, "the messages of "+cust.Name+" in their thread", func() (bool, string) {
			got := slackReplyLines(fake, slacktest.Triage, card.TS)
			return strings.Join(got, "\n") == want, fmt.Sprintf("got\n%s\nwant\n%s", strings.Join(got, "\n"), want)
		})
	}
	cards := 0
	for _, m := range fake.Messages(slacktest.Triage) {
		if m.Thread == "" {
			cards++
		}
	}
	if cards != len(customers) {
		t.Errorf("%d cards for %d customers", cards, len(customers))
	}
}

func slackCustomers(n int) []slacktest.User {
	var out []slacktest.User
	for i := 1; i <= n; i++ {
		out = append(out, slackCustomer(i))
	}
	return out
}

// TestSlackConcurrentCustomers: 20 customers write 10 messages each, all at once; every message
// reaches its ticket's thread exactly once and in the order written.
func TestSlackConcurrentCustomers(t *testing.T) {
	t.Parallel()
	fake := slackWorkspace(t, 20)
	app := startSlackApp(t, fake, slackConfig(t, fake))
	app.echo() // the app's own 420 messages come back as events too
	customers := slackCustomers(20)
	written := slackSayAll(t, app, customers, 10, "c")
	slackAllRelayed(t, fake, customers, written)
}

// TestSlackPacing: Slack takes about one message per second per channel and answers 429 beyond
// a short burst. A burst of customers' messages into the triage channel is paced
// (SLACK_POST_RATE=1) so that it arrives complete and in order with few or no 429s; a
// customer's messages waiting for the same turn go joined.
func TestSlackPacing(t *testing.T) {
	t.Parallel()
	fake := slackWorkspace(t, 2)
	fake.SetPostLimit(1, 4)
	cfg := slackConfig(t, fake)
	cfg.SlackPostRate, cfg.SlackPostBurst = 1, 4
	app := startSlackApp(t, fake, cfg)
	customers := slackCustomers(2)
	start := time.Now()
	written := slackSayAll(t, app, customers, 5, "p")
	slackAllRelayed(t, fake, customers, written)
	took := time.Since(start)

	posted := 0
	for _, c := range fake.Calls("chat.postMessage") {
		if c.Args["channel"] == slacktest.Triage && c.Status == http.StatusOK {
			posted++
		}
	}
	// 2 cards and the 10 messages, each alone or joined with the customer's next ones that
	// waited for the same turn (so at least one post each).
	if posted > 12 || posted < 4 {
		t.Errorf("messages posted to the triage channel: got %d, want 2 cards and 2 to 10 posts of the 10 messages", posted)
	}
	if got := fake.RateLimited(); got > 2 {
		t.Errorf("Slack answered 429 %d times; pacing should avoid nearly all", got)
	}
	if min := time.Duration(posted-4-1) * time.Second; took < min {
		t.Errorf("%d posts took %s, faster than Slack allows (%s)", posted, took, min)
	}
}

// TestSlackNothingLostOnStop: events Slack delivered and the program acknowledged are relayed
// exactly once even when the program stops right after acknowledging them, by the next process
// on the same Redis.
func TestSlackNothingLostOnStop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		stop func(*slackApp) // what happens to the first process before its events are handled
	}{
		{"core stopped before handling", func(a *slackApp) { a.stopRelay(); <-a.relayDone }},
		{"graceful stop while Slack is slow", func(a *slackApp) { a.fake.SetPostLimit(1, 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := slackWorkspace(t, 3)
			cfg := slackConfig(t, fake)
			first := startSlackApp(t, fake, cfg)
			tt.stop(first)
			customers := slackCustomers(3)
			written := slackSayAll(t, first, customers, 4, "k")
			if err := first.close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			before := len(fake.Messages(slacktest.Triage))
			fake.SetPostLimit(0, 0)
			startSlackApp(t, fake, cfg)
			slackAllRelayed(t, fake, customers, written)
			t.Logf("%d of 15 triage messages were posted before the stop", before)
		})
	}
}

// TestSlackSocketMode: with SLACK_APP_TOKEN, events, clicks and commands arrive over Socket
// Mode; each envelope is acknowledged once recorded and handled like its HTTP twin. The HTTP
// endpoints, which then have no signing secret, refuse everything.
func TestSlackSocketMode(t *testing.T) {
	t.Parallel()
	fake := slackWorkspace(t, 1)
	fake.EnableSocket()
	cfg := slackConfig(t, fake)
	cfg.SlackAppToken, cfg.SlackSigningSecret = slacktest.AppToken, ""
	app := startSlackApp(t, fake, cfg)
	cust := slackCustomer(1)

	ack := func(id string) {
		t.Helper()
		got, err := fake.SocketAck(10 * time.Second)
		if err != nil || got != id {
			t.Fatalf("acknowledgement: got %q, %v; want %s", got, err, id)
		}
	}
	m := fake.UserMessage(slackDM(cust), cust.ID, "hello over the socket", "")
	if err := fake.SocketSend(slacktest.Envelope("env-1", "events_api", json.RawMessage(fake.MessageEvent("EvSock1", m, "im")))); err != nil {
		t.Fatal(err)
	}
	ack("env-1")
	card := slackCard(t, fake, cust)
	slackEventually(t, "the message in the thread", func() (bool, string) {
		return len(slackWithText(slackReplies(fake, slacktest.Triage, card.TS), "hello over the socket")) == 1, slackTexts(fake.Thread(slacktest.Triage, card.TS))
	})

	if err := fake.SocketSend(slacktest.Envelope("env-2", "interactive", fake.BlockAction(slackAnn, slackCardNow(fake, card), "claim", "1"))); err != nil {
		t.Fatal(err)
	}
	ack("env-2")
	form := fake.SlashCommand(slackAnn, slacktest.Triage, "/desk", "show 1")
	command := map[string]any{}
	for k := range form {
		command[k] = form.Get(k)
	}
	if err := fake.SocketSend(slacktest.Envelope("env-3", "slash_commands", command)); err != nil {
		t.Fatal(err)
	}
	ack("env-3")
	slackEventually(t, "the claim and the command's answer", func() (bool, string) {
		assignee := slackField(t, slackCardNow(fake, card), "Assignee")
		answered := false
		for _, r := range fake.Responses() {
			answered = answered || (r.URL == form.Get("response_url") && strings.Contains(fmt.Sprint(r.Body["text"]), "hello over the socket"))
		}
		return assignee == "Ann" && answered, fmt.Sprintf("assignee %q, answers %v", assignee, slackResponses(fake))
	})

	// Without a signing secret the HTTP endpoints have nothing to check a signature with.
	forged := fake.MessageEvent("EvForged", fake.UserMessage(slackDM(cust), cust.ID, "forged", ""), "im")
	for _, secret := range []string{"", "anything"} {
		if got := app.send("/slack/events", forged, secret, time.Now(), nil); got != http.StatusUnauthorized {
			t.Errorf("POST /slack/events signed with %q in Socket Mode: got %d, want 401", secret, got)
		}
	}
	app.drained()
	if got := len(slackWithText(slackReplies(fake, slacktest.Triage, card.TS), "forged")); got != 0 {
		t.Errorf("a request signed with an empty secret was relayed")
	}
}

// TestSlackMalformedEventRefused: an event the core refuses as malformed (here a DM message
// without an author) is answered 400 with X-Slack-No-Retry, so that Slack neither counts it as
// delivered nor sends it again in vain, and it changes nothing.
func TestSlackMalformedEventRefused(t *testing.T) {
	t.Parallel()
	fake := slackWorkspace(t, 1)
	app := startSlackApp(t, fake, slackConfig(t, fake))
	cust := slackCustomer(1)
	m := fake.UserMessage(slackDM(cust), "", "who wrote this?", "")
	r, err := slacktest.NewRequest("http://"+app.Addr.String()+"/slack/events", slackSecret, fake.MessageEvent("EvNoUser", m, "im"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := app.client.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Slack-No-Retry") != "1" {
		t.Errorf("malformed event: got %d, X-Slack-No-Retry %q; want 400 and 1", resp.StatusCode, resp.Header.Get("X-Slack-No-Retry"))
	}
	// The customer's next message opens the ticket as usual.
	app.say("EvNext", cust, slackDM(cust), "", "hello")
	card := slackCard(t, fake, cust)
	slackEventually(t, "the next message", func() (bool, string) {
		got := slackReplies(fake, slacktest.Triage, card.TS)
		return len(got) == 1 && got[0].Text == "hello", slackTexts(got)
	})
}

// TestSlackDeletedCardGetsANewCard: someone deletes a ticket's card in the triage channel.
// Slack still takes replies under the tombstone and reports no error for them, so the app
// learns of it from the deletion event: the customer's next message opens a new card and
// thread for the same ticket, and nothing is reported failed.
func TestSlackDeletedCardGetsANewCard(t *testing.T) {
	t.Parallel()
	fake := slackWorkspace(t, 1)
	app := startSlackApp(t, fake, slackConfig(t, fake))
	cust, card := slackTicket(t, app, "first words")
	// The card had a reply (the customer's message): Slack leaves a tombstone.
	app.event(fake.DeleteMessage("EvDel1", slacktest.Triage, card.TS))
	dm := slackDM(cust)
	app.say("EvNext", cust, dm, "", "are you there?")
	var next slacktest.Message
	slackEventually(t, "a new card with the next message in its thread", func() (bool, string) {
		for _, m := range fake.Messages(slacktest.Triage) {
			if m.Thread == "" && m.TS != card.TS && m.BotID == slacktest.BotID && !m.Deleted && strings.HasSuffix(m.Text, " · "+cust.DisplayName) {
				next = m
			}
		}
		if next.TS == "" {
			return false, slackTexts(fake.Messages(slacktest.Triage))
		}
		return len(slackWithText(slackReplies(fake, slacktest.Triage, next.TS), "are you there?")) == 1, slackTexts(fake.Thread(slacktest.Triage, next.TS))
	})
	if !strings.Contains(next.Text, "#1") {
		t.Errorf("new card %q, want ticket #1's", next.Text)
	}
	if got := slackContaining(slackFromApp(fake, dm), "could not"); len(got) != 0 {
		t.Errorf("failure notices in the DM: %s", slackTexts(got))
	}
	// An agent's answer in the new thread reaches the customer.
	app.say("EvAns", slackAnn, slacktest.Triage, next.TS, "yes, here")
	slackEventually(t, "the answer in the DM", func() (bool, string) {
		return len(slackWithText(slackFromApp(fake, dm), "yes, here")) == 1, slackTexts(slackFromApp(fake, dm))
	})
}

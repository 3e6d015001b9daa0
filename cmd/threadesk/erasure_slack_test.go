package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/slack"
	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

// TestSlackExportAndForget drives the program through signed requests against the
// spec-checked fake Slack: a customer's ticket with two messages and an agent's answer is
// closed with /desk close; Ann, a lead, runs /desk export (the JSON is uploaded into her DM with
// files.getUploadURLExternal and files.completeUploadExternal, holding the customer's messages
// and nothing of another customer) and /desk forget, whose confirmation comes to the command's
// response_url with Forget and Cancel buttons; her click on Forget (block_actions from the
// ephemeral message) deletes the app's copies in the thread with chat.delete, one of which
// Slack refuses, and the answer to the click reports both; the card is updated without the
// customer's name, and the store no longer knows the customer.
func TestSlackExportAndForget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := slackWorkspace(t, 2)
	cfg := slackConfig(t, fake)
	cfg.Leads = []string{slackAnn.ID}
	withRetention(&cfg)
	app := startSlackApp(t, fake, cfg)

	cust, card := slackTicket(t, app, "my invoice 4711 is wrong")
	app.say("EvSecond", cust, slackDM(cust), "", "it was billed twice")
	app.say("EvAnswer", slackBob, slacktest.Triage, card.TS, "we are refunding one of them")
	other := slackCustomer(2)
	app.say("EvOther", other, slackDM(other), "", "the secret of the other customer")
	slackCard(t, fake, other)
	slackEventually(t, "the second copy in the thread", func() (bool, string) {
		return len(slackWithText(slackReplies(fake, slacktest.Triage, card.TS), "it was billed twice")) == 1, slackTexts(fake.Thread(slacktest.Triage, card.TS))
	})
	copies := append(slackWithText(slackReplies(fake, slacktest.Triage, card.TS), "my invoice 4711 is wrong"),
		slackWithText(slackReplies(fake, slacktest.Triage, card.TS), "it was billed twice")...)
	if len(copies) != 2 {
		t.Fatalf("copies of the customer's messages = %d, want 2", len(copies))
	}
	mention := fmt.Sprintf("<@%s|%s>", cust.ID, cust.Name)
	if got := slackAnswer(t, app, slackBob, "close 1"); !strings.Contains(got, "#1") {
		t.Fatalf("/desk close 1 = %q", got)
	}
	app.drained()

	// Export: a JSON file uploaded into Ann's DM.
	if got := slackAnswer(t, app, slackAnn, "export "+mention); !strings.Contains(got, "The export of") || !strings.Contains(got, "(1 ticket) is in your direct messages") {
		t.Errorf("/desk export = %q", got)
	}
	var data []byte
	slackEventually(t, "the export in Ann's DM", func() (bool, string) {
		for _, m := range slackFromApp(fake, slackDM(slackAnn)) {
			for _, id := range m.Files {
				if f, ok := fake.Uploaded(id); ok && strings.HasSuffix(f.Name, ".json") {
					data = f.Data
					return true, ""
				}
			}
		}
		return false, slackTexts(fake.Messages(slackDM(slackAnn)))
	})
	if n := len(fake.Calls("files.completeUploadExternal")); n != 1 {
		t.Errorf("files.completeUploadExternal called %d times, want 1", n)
	}
	checkExport(t, data, slack.PlatformName, cust.ID, []int64{1},
		[]string{"customer:my invoice 4711 is wrong", "customer:it was billed twice", "agent:we are refunding one of them", "exported:"},
		[]string{other.ID, "secret", other.DisplayName})

	// Forget: the confirmation's buttons, then Cancel, then Forget with one chat.delete refused.
	form := fake.SlashCommand(slackAnn, slacktest.Triage, "/desk", "forget "+mention)
	app.command(form)
	confirm := slackResponse(t, fake, form.Get("response_url"))
	if got := fmt.Sprint(confirm["text"]); !strings.Contains(got, "1 ticket (#1)") || !strings.Contains(got, "2 copies") {
		t.Errorf("confirmation = %q", got)
	}
	buttons := slackResponseButtons(t, confirm)
	if len(buttons) != 2 || actionOfButton(buttons[0]) != "forget" || actionOfButton(buttons[1]) != "forget-cancel" {
		t.Fatalf("confirmation buttons = %v, want Forget and Cancel", buttons)
	}
	if got := slackPressEphemeral(t, app, slackAnn, confirm, buttons[1]); !strings.Contains(got, "was forgotten") || !strings.HasPrefix(got, "Nothing") {
		t.Errorf("Cancel = %q", got)
	}
	if n := len(fake.Calls("chat.delete")); n != 0 {
		t.Errorf("Cancel made %d chat.delete calls", n)
	}
	fake.FailNext("chat.delete", http.StatusOK, nil, map[string]any{"ok": false, "error": "cant_delete_message"})
	got := slackPressEphemeral(t, app, slackAnn, confirm, buttons[0])
	for _, want := range []string{"1 ticket (#1)", "1 copy deleted", "1 copy in the threads of #1 could not be deleted (cant_delete_message)"} {
		if !strings.Contains(got, want) {
			t.Errorf("report = %q, want %q in it", got, want)
		}
	}
	deletes := fake.Calls("chat.delete")
	if len(deletes) != 2 {
		t.Fatalf("chat.delete called %d times, want 2 (one per copy)", len(deletes))
	}
	left := 0
	for _, c := range copies {
		m, _ := fake.Message(c.Channel, c.TS)
		if !m.Deleted {
			left++
		}
	}
	if left != 1 {
		t.Errorf("%d copies left in the thread, want the 1 Slack refused to delete", left)
	}
	for _, d := range deletes {
		if d.Args["channel"] != slacktest.Triage {
			t.Errorf("chat.delete in %q, want the triage channel", d.Args["channel"])
		}
	}
	slackEventually(t, "the card without the customer's name", func() (bool, string) {
		m := slackCardNow(fake, card)
		return !strings.Contains(m.Text, cust.DisplayName) && strings.Contains(m.Text, "(forgotten)"), m.Text
	})
	if _, err := app.Store.CustomerTicket(ctx, slack.PlatformName, cust.ID); desk.ErrorCode(err) != desk.ENOTFOUND {
		t.Errorf("the customer is still known: %v", err)
	}
	if h, err := app.Store.Transcript(ctx, 1); err != nil || len(h) != 1 || h[0].Kind != desk.EntryForgotten || h[0].Author != slackAnn.ID {
		t.Errorf("#1's history after forget = %+v (%v); want the forgetting by Ann alone", h, err)
	}
	if got := slackAnswer(t, app, slackBob, "show 1"); strings.Contains(got, "4711") || strings.Contains(got, "refunding") {
		t.Errorf("/desk show 1 after forget = %q", got)
	}
	if got := slackAnswer(t, app, slackBob, "show 2"); !strings.Contains(got, "the secret of the other customer") {
		t.Errorf("/desk show 2 = %q, want the other customer's message kept", got)
	}

	// Retention: the other ticket, closed "two hours ago" with RETENTION=1h, is forgotten;
	// its card and the ticket's numbers stay.
	if got := slackAnswer(t, app, slackBob, "close 2"); !strings.Contains(got, "#2") {
		t.Fatalf("/desk close 2 = %q", got)
	}
	app.drained()
	backdateClose(t, cfg.RedisPrefix, 2)
	expiredEventually(t, app.Store, 2)
	if got := slackAnswer(t, app, slackBob, "show 2"); strings.Contains(got, "the secret of the other customer") || !strings.Contains(got, "#2") {
		t.Errorf("/desk show 2 after retention = %q", got)
	}
}

// slackAnswer runs /desk text as user in the triage channel and returns the private answer
// posted to the command's response_url.
func slackAnswer(t *testing.T, app *slackApp, user slacktest.User, text string) string {
	t.Helper()
	form := app.fake.SlashCommand(user, slacktest.Triage, "/desk", text)
	app.command(form)
	return fmt.Sprint(slackResponse(t, app.fake, form.Get("response_url"))["text"])
}

// slackResponse waits for the body posted to a response URL, which must be ephemeral.
func slackResponse(t *testing.T, fake *slacktest.Server, url string) map[string]any {
	t.Helper()
	var body map[string]any
	slackEventually(t, "an answer at "+url, func() (bool, string) {
		for _, r := range fake.Responses() {
			if r.URL == url {
				body = r.Body
				return true, ""
			}
		}
		return false, strings.Join(slackResponses(fake), "; ")
	})
	if body["response_type"] != "ephemeral" {
		t.Errorf("answer at %s is %v, want ephemeral", url, body["response_type"])
	}
	return body
}

// slackResponseButtons lists the buttons of a response's blocks as "action_id=value".
func slackResponseButtons(t *testing.T, body map[string]any) []string {
	t.Helper()
	blocks, err := json.Marshal(body["blocks"])
	if err != nil {
		t.Fatal(err)
	}
	return slackButtons(t, slacktest.Message{Blocks: blocks})
}

// actionOfButton is the action of a button as slackButtons lists it (Slack action IDs carry
// a suffix that keeps them unique within a block).
func actionOfButton(b string) string {
	id, _, _ := strings.Cut(b, "=")
	action, _, _ := strings.Cut(id, "~")
	return action
}

// slackPressEphemeral has user click a button (as slackButtons lists it) of the ephemeral
// answer body, as Slack sends such a click: block_actions whose container is the ephemeral
// message (is_ephemeral, no message), with a new response_url. It returns the answer posted
// there.
func slackPressEphemeral(t *testing.T, app *slackApp, user slacktest.User, body map[string]any, button string) string {
	t.Helper()
	actionID, value, _ := strings.Cut(button, "=")
	blocks, _ := json.Marshal(body["blocks"])
	payload := app.fake.BlockAction(user, slacktest.Message{Channel: slacktest.Triage, TS: "1700000000.000100", Text: fmt.Sprint(body["text"]), Blocks: blocks}, actionID, value)
	payload["container"].(map[string]any)["is_ephemeral"] = true
	delete(payload, "message")
	app.interact(payload)
	return fmt.Sprint(slackResponse(t, app.fake, payload["response_url"].(string))["text"])
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/mattermost"
	"github.com/threadesk/threadesk/internal/mattermost/mattermosttest"
)

// TestMattermostExportAndForget drives the program against the fake Mattermost: Carol's ticket
// with two messages and an answer is closed with /desk close; Alex, a lead, runs /desk export
// through /mattermost/command (the JSON is uploaded with POST /files into his DM with the
// bot, Carol's messages and nothing of Dave's) and /desk forget, whose confirmation comes to
// the command's response URL with Forget and Cancel buttons; his clicks reach
// /mattermost/actions with the buttons' signed context, as the server sends a click on an
// ephemeral post: Cancel keeps everything, Forget deletes the bot's copies in the thread
// (DELETE /posts/{id}) and is answered privately with the report; the card no longer names
// Carol and the store no longer knows her.
func TestMattermostExportAndForget(t *testing.T) {
	ctx := context.Background()
	w := mmNewWorld(t)
	cfg := mmConfig(t, w)
	cfg.Leads = []string{w.Agent.Id}
	withRetention(&cfg)
	app := mmStart(t, w, cfg)
	dm := w.DM(w.Bot.Id, w.Customer.Id)
	dave, daveDM := w.customer("dave", "Dave", "Other")
	leadDM := w.DM(w.Bot.Id, w.Agent.Id)

	w.UserPost(w.Customer.Id, dm.Id, "", "my invoice 4711 is wrong")
	card := w.card(t, 1)
	w.UserPost(w.Customer.Id, dm.Id, "", "it was billed twice")
	w.UserPost(w.Admin.Id, w.Triage.Id, card.Id, "we are refunding one of them")
	copies := []*model.Post{
		w.waitPost(t, w.Triage.Id, card.Id, "**Carol Customer:** my invoice 4711 is wrong"),
		w.waitPost(t, w.Triage.Id, card.Id, "**Carol Customer:** it was billed twice"),
	}
	w.UserPost(dave.Id, daveDM.Id, "", "the secret of Dave")
	w.card(t, 2)
	w.waitPost(t, dm.Id, "", "**Ada Admin:** we are refunding one of them")
	if got := mmAnswer(t, app, w.Admin.Id, "close 1"); !strings.Contains(got, "#1") {
		t.Fatalf("/desk close 1 = %q", got)
	}
	mmEventually(t, "#1 closed", func() (bool, string) {
		tk := app.ticket(1)
		return tk.Status == desk.StatusClosed, string(tk.Status)
	})

	// Export: a JSON file in Alex's DM with the bot.
	if got := mmAnswer(t, app, w.Agent.Id, "export @carol"); !strings.Contains(got, "(1 ticket) is in your direct messages") {
		t.Errorf("/desk export = %q", got)
	}
	var data []byte
	mmEventually(t, "the export in Alex's DM", func() (bool, string) {
		for _, p := range w.botPosts(leadDM.Id, "") {
			for _, id := range p.FileIds {
				data = w.FileData(id)
				return data != nil, "file " + id
			}
		}
		return false, fmt.Sprintf("%q", mmMessages(w.botPosts(leadDM.Id, "")))
	})
	checkExport(t, data, mattermost.PlatformName, w.Customer.Id, []int64{1},
		[]string{"customer:my invoice 4711 is wrong", "customer:it was billed twice", "agent:we are refunding one of them", "exported:"},
		[]string{dave.Id, "secret", "Dave"})

	// Forget: the confirmation, Cancel, then Forget.
	before := len(w.CommandResponses())
	if status, _ := app.command(w.Agent.Id, w.Triage.Id, "forget @carol"); status != http.StatusOK {
		t.Fatalf("/desk forget: status %d", status)
	}
	confirm := w.hook(t, before+1)
	if confirm.ResponseType != model.CommandResponseTypeEphemeral || len(confirm.Attachments) != 1 {
		t.Fatalf("confirmation = %+v, want one ephemeral card", confirm)
	}
	if got := confirm.Attachments[0].Text; !strings.Contains(got, "1 ticket (#1)") || !strings.Contains(got, "2 copies") {
		t.Errorf("confirmation = %q", got)
	}
	if got := mmPressAnswer(t, app, leadDM.Id, confirm, "forget-cancel"); !strings.HasPrefix(got, "Nothing about") || !strings.HasSuffix(got, "was forgotten.") {
		t.Errorf("Cancel = %q", got)
	}
	if h, err := app.Store.Transcript(ctx, 1); err != nil || len(h) < 4 {
		t.Fatalf("after Cancel, #1's history = %d entries (%v); want it kept", len(h), err)
	}
	got := mmPressAnswer(t, app, leadDM.Id, confirm, "forget")
	for _, want := range []string{"1 ticket (#1)", "2 copies deleted"} {
		if !strings.Contains(got, want) {
			t.Errorf("report = %q, want %q in it", got, want)
		}
	}
	for _, c := range copies {
		if p := w.Post(c.Id); p == nil || p.DeleteAt == 0 {
			t.Errorf("copy %q not deleted", c.Message)
		}
	}
	mmEventually(t, "the card without Carol's name", func() (bool, string) {
		title := w.Post(card.Id).Attachments()[0].Title
		return !strings.Contains(title, "Carol") && strings.Contains(title, "(forgotten)"), title
	})
	if _, err := app.Store.CustomerTicket(ctx, mattermost.PlatformName, w.Customer.Id); desk.ErrorCode(err) != desk.ENOTFOUND {
		t.Errorf("Carol is still known: %v", err)
	}
	if h, err := app.Store.Transcript(ctx, 1); err != nil || len(h) != 1 || h[0].Kind != desk.EntryForgotten || h[0].Author != w.Agent.Id {
		t.Errorf("#1's history after forget = %+v (%v); want the forgetting by Alex alone", h, err)
	}
	if got := mmAnswer(t, app, w.Admin.Id, "show 1"); strings.Contains(got, "4711") || strings.Contains(got, "refunding") {
		t.Errorf("/desk show 1 after forget = %q", got)
	}
	if got := mmAnswer(t, app, w.Admin.Id, "show 2"); !strings.Contains(got, "the secret of Dave") {
		t.Errorf("/desk show 2 = %q, want Dave's message kept", got)
	}

	// Retention: Dave's ticket, closed "two hours ago" with RETENTION=1h, is forgotten; its
	// card and the ticket's numbers stay.
	if got := mmAnswer(t, app, w.Admin.Id, "close 2"); !strings.Contains(got, "#2") {
		t.Fatalf("/desk close 2 = %q", got)
	}
	mmEventually(t, "#2 closed", func() (bool, string) {
		tk := app.ticket(2)
		return tk.Status == desk.StatusClosed, string(tk.Status)
	})
	backdateClose(t, cfg.RedisPrefix, 2)
	expiredEventually(t, app.Store, 2)
	if got := mmAnswer(t, app, w.Admin.Id, "show 2"); strings.Contains(got, "the secret of Dave") || !strings.Contains(got, "#2") {
		t.Errorf("/desk show 2 after retention = %q", got)
	}
}

// mmAnswer runs /desk text as user in the triage channel and returns the answer posted to the
// command's response URL.
func mmAnswer(t *testing.T, app *mmApp, user, text string) string {
	t.Helper()
	before := len(app.w.CommandResponses())
	if status, _ := app.command(user, app.w.Triage.Id, text); status != http.StatusOK {
		t.Fatalf("/desk %s: status %d", text, status)
	}
	cr := app.w.hook(t, before+1)
	if len(cr.Attachments) > 0 {
		return cr.Attachments[0].Text
	}
	return cr.Text
}

// mmPressAnswer clicks the button for action on the ephemeral card of a command response the
// way Mattermost does for an ephemeral post (POST to the button's URL with its context and a
// fresh trigger; the post exists only in the client) and returns the private answer, which
// comes to the lead's DM with the bot, the bot having no permission for ephemeral posts.
func mmPressAnswer(t *testing.T, app *mmApp, leadDM string, cr model.CommandResponse, action string) string {
	t.Helper()
	var button *model.PostAction
	for _, b := range cr.Attachments[0].Actions {
		if b.Integration != nil && b.Integration.Context["action"] == action {
			button = b
		}
	}
	if button == nil {
		t.Fatalf("no %s button on %+v", action, cr.Attachments[0])
	}
	if want := app.Config.PublicURL + "/mattermost/actions"; button.Integration.URL != want {
		t.Errorf("the %s button calls %s, want %s", action, button.Integration.URL, want)
	}
	posts := len(app.w.botPosts(leadDM, ""))
	user := app.w.Agent
	body, err := json.Marshal(model.PostActionIntegrationRequest{
		UserId: user.Id, UserName: user.Username, ChannelId: app.w.Triage.Id, ChannelName: app.w.Triage.Name, TeamId: app.w.TeamID,
		PostId: mattermosttest.NewID(), TriggerId: mattermosttest.NewID() + ":" + user.Id, Type: model.PostActionTypeButton,
		Context: button.Integration.Context,
	})
	if err != nil {
		t.Fatal(err)
	}
	if status := app.post("/mattermost/actions", "application/json", nil, body); status != http.StatusOK {
		t.Fatalf("click %s: status %d", action, status)
	}
	var answer string
	mmEventually(t, "the answer to "+action, func() (bool, string) {
		got := app.w.botPosts(leadDM, "")
		if len(got) <= posts {
			return false, fmt.Sprintf("%q", mmMessages(got))
		}
		answer = got[len(got)-1].Message
		return true, ""
	})
	return answer
}

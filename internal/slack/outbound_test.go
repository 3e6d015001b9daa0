package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

func TestPostWithSpeakerThreadAndKey(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	root := fake.UserMessage(fakeTriage, "UAGENT", "a root", "")
	ref, err := a.Post(context.Background(), desk.Outgoing{
		Channel: fakeTriage,
		Thread:  root.TS,
		Text:    "my printer is on fire",
		As:      &desk.User{ID: "U1", DisplayName: "Jane Doe", AvatarURL: "https://avatars.example/jane.png"},
		Key:     "t12:m3:0",
	})
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	calls := fake.callsTo("chat.postMessage")
	if len(calls) != 1 {
		t.Fatalf("chat.postMessage calls: got %d, want 1", len(calls))
	}
	args := calls[0].Args
	if ref.Channel != fakeTriage || ref.ID == "" {
		t.Errorf("ref: got %+v", ref)
	}
	for k, want := range map[string]string{
		"channel":   fakeTriage,
		"thread_ts": root.TS,
		"text":      "my printer is on fire",
		"username":  "Jane Doe",
		"icon_url":  "https://avatars.example/jane.png",
	} {
		if got := args[k]; got != want {
			t.Errorf("%s: got %q, want %q", k, got, want)
		}
	}
	var meta struct {
		EventType    string            `json:"event_type"`
		EventPayload map[string]string `json:"event_payload"`
	}
	if err := json.Unmarshal([]byte(args["metadata"]), &meta); err != nil {
		t.Fatalf("metadata %q: %v", args["metadata"], err)
	}
	if meta.EventType != "threadesk_delivery" || meta.EventPayload["key"] != "t12:m3:0" {
		t.Errorf("metadata: got %+v", meta)
	}
	if _, ok := args["blocks"]; ok {
		t.Errorf("plain message sent blocks: %s", args["blocks"])
	}
}

func TestPostCardAsBlocks(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	card := &desk.Card{
		Title: "#12 Printer on fire",
		Text:  "Customer *Jane* writes about a printer.",
		Fields: []desk.Field{
			{Label: "Status", Value: "new", Short: true},
			{Label: "Priority", Value: "high", Short: true},
			{Label: "Summary", Value: "A long description"},
		},
		Context: "opened 2 minutes ago",
		Actions: []desk.Action{
			{ID: "claim", Label: "Claim", Value: "12", Style: "primary"},
			{ID: "tag", Label: "Tag…", Value: "12"},
			{ID: "resolve", Label: "Resolve", Value: "12", Style: "danger"},
		},
	}
	if _, err := a.Post(context.Background(), desk.Outgoing{Channel: fakeTriage, Text: "Ticket #12", Card: card, Key: "t12:card"}); err != nil {
		t.Fatalf("Post: %v", err)
	}
	args := fake.callsTo("chat.postMessage")[0].Args
	if got := args["text"]; got != "Ticket #12" {
		t.Errorf("fallback text: got %q", got)
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(args["blocks"]), &blocks); err != nil {
		t.Fatalf("blocks %q: %v", args["blocks"], err)
	}
	var types []string
	for _, b := range blocks {
		types = append(types, b["type"].(string))
	}
	if got, want := strings.Join(types, ","), "header,section,section,section,context,actions"; got != want {
		t.Errorf("block types: got %s, want %s", got, want)
	}
	if got := blocks[0]["text"].(map[string]any)["text"]; got != "#12 Printer on fire" {
		t.Errorf("header: got %v", got)
	}
	if got := len(blocks[2]["fields"].([]any)); got != 2 {
		t.Errorf("short fields side by side: got %d fields, want 2", got)
	}
	elements := blocks[5]["elements"].([]any)
	if len(elements) != 3 {
		t.Fatalf("buttons: got %d, want 3", len(elements))
	}
	wantButtons := []struct{ id, value, style, label string }{
		{"claim", "12", "primary", "Claim"}, {"tag", "12", "", "Tag…"}, {"resolve", "12", "danger", "Resolve"},
	}
	for i, w := range wantButtons {
		b := elements[i].(map[string]any)
		style, _ := b["style"].(string)
		if b["type"] != "button" || b["action_id"] != w.id || b["value"] != w.value || style != w.style ||
			b["text"].(map[string]any)["text"] != w.label {
			t.Errorf("button %d: got %v, want %+v", i, b, w)
		}
	}
}

// Buttons of one action (the five scores of a rating) stay in one row: Slack wants action IDs
// unique within a block, so repeats carry a suffix, which is taken off when a click comes in.
func TestCardRepeatedActionsShareARow(t *testing.T) {
	blocks := actionBlocks([]desk.Action{{ID: "rate", Value: "1:1"}, {ID: "rate", Value: "1:2"}, {ID: "rate", Value: "1:3"}, {ID: "claim"}})
	if got := len(blocks); got != 1 {
		t.Fatalf("actions blocks: got %d, want 1", got)
	}
	var ids []string
	for _, e := range blocks[0].(*slackgo.ActionBlock).Elements.ElementSet {
		ids = append(ids, e.(*slackgo.ButtonBlockElement).ActionID)
	}
	if got := strings.Join(ids, " "); got != "rate rate~1 rate~2 claim" {
		t.Errorf("action IDs %q, want unique ones", got)
	}
	for _, id := range ids {
		if a := actionOf(id); a != "rate" && a != "claim" {
			t.Errorf("actionOf(%q) = %q", id, a)
		}
	}
}

func TestEphemeral(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	ctx := context.Background()

	t.Run("chat.postEphemeral", func(t *testing.T) {
		ref, err := a.Post(ctx, desk.Outgoing{Channel: "C0GENERAL", Ephemeral: "U1", Text: "only you", Key: "answer:1"})
		if err != nil {
			t.Fatalf("Post: %v", err)
		}
		calls := fake.callsTo("chat.postEphemeral")
		if len(calls) != 1 || calls[0].Args["user"] != "U1" || calls[0].Args["channel"] != "C0GENERAL" {
			t.Fatalf("chat.postEphemeral calls: %+v", calls)
		}
		// chat.postEphemeral ignores message metadata (event_type and event_payload): the
		// delivery key is not sent where it is thrown away.
		if md, ok := calls[0].Args["metadata"]; ok {
			t.Errorf("chat.postEphemeral sent metadata %s, which the method ignores", md)
		}
		if ref.ID == "" {
			t.Errorf("ref: got %+v", ref)
		}
	})
	t.Run("response_url", func(t *testing.T) {
		before := fake.callCount()
		_, err := a.Post(ctx, desk.Outgoing{Channel: "C0GENERAL", Ephemeral: "U1", Reply: fake.ResponseURL(), Text: "queue: 3 open"})
		if err != nil {
			t.Fatalf("Post: %v", err)
		}
		if got := len(fake.Responses()); got != 1 {
			t.Fatalf("response_url posts: got %d, want 1", got)
		}
		r := fake.Responses()[0].Body
		if r["response_type"] != "ephemeral" || r["text"] != "queue: 3 open" {
			t.Errorf("response body: got %v", r)
		}
		if fake.callCount() != before {
			t.Errorf("a response_url answer also called the Web API")
		}
		if _, err := a.Post(ctx, desk.Outgoing{Channel: "C0GENERAL", Reply: fake.ResponseURL(), Text: "ticket #3: printer"}); err != nil {
			t.Fatalf("Post: %v", err)
		}
		if got := fake.Responses()[1].Body["response_type"]; got != "ephemeral" {
			t.Errorf("response_url answer without Ephemeral: response_type %v, want ephemeral (never shown to the channel)", got)
		}
	})
}

func TestUpdateDeleteMark(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	ctx := context.Background()
	ref, err := a.Post(ctx, desk.Outgoing{Channel: fakeTriage, Text: "Ticket #12", Key: "t12:card"})
	if err != nil {
		t.Fatalf("Post: %v", err)
	}

	if err := a.Update(ctx, ref, desk.Outgoing{Text: "Ticket #12", Card: &desk.Card{Title: "#12"}, Key: "t12:card"}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	up := fake.callsTo("chat.update")[0].Args
	if up["channel"] != fakeTriage || up["ts"] != ref.ID || up["text"] != "Ticket #12" || !strings.Contains(up["blocks"], `"header"`) {
		t.Errorf("chat.update args: %v", up)
	}
	if err := a.Update(ctx, ref, desk.Outgoing{Text: "plain now"}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got := fake.callsTo("chat.update")[1].Args["blocks"]; got != "[]" {
		t.Errorf("update to plain text: blocks got %q, want []", got)
	}

	for mark, name := range map[desk.Mark]string{desk.MarkDelivered: "white_check_mark", desk.MarkFailed: "warning", desk.MarkNote: "memo"} {
		if err := a.Mark(ctx, ref, mark); err != nil {
			t.Fatalf("Mark %s: %v", mark, err)
		}
		calls := fake.callsTo("reactions.add")
		last := calls[len(calls)-1].Args
		if last["name"] != name || last["channel"] != fakeTriage || last["timestamp"] != ref.ID {
			t.Errorf("Mark %s: reactions.add args %v", mark, last)
		}
	}
	fake.failNext("reactions.add", 200, nil, map[string]any{"ok": false, "error": "already_reacted"})
	if err := a.Mark(ctx, ref, desk.MarkDelivered); err != nil {
		t.Errorf("Mark already reacted: got %v, want nil", err)
	}
	if m, _ := fake.Message(fakeTriage, ref.ID); len(m.Reactions) != 3 || !slices.Contains(m.Reactions, "white_check_mark") || !slices.Contains(m.Reactions, "warning") || !slices.Contains(m.Reactions, "memo") {
		t.Errorf("reactions: got %v", m.Reactions)
	}
	// Unmark takes one off with reactions.remove; a mark that is not there is no error.
	for range 2 {
		if err := a.Unmark(ctx, ref, desk.MarkDelivered); err != nil {
			t.Errorf("Unmark: %v", err)
		}
	}
	if rm := fake.callsTo("reactions.remove"); len(rm) != 2 || rm[0].Args["name"] != "white_check_mark" || rm[0].Args["channel"] != fakeTriage || rm[0].Args["timestamp"] != ref.ID {
		t.Errorf("reactions.remove calls: %+v", rm)
	}
	if m, _ := fake.Message(fakeTriage, ref.ID); slices.Contains(m.Reactions, "white_check_mark") || len(m.Reactions) != 2 {
		t.Errorf("reactions after Unmark: got %v", m.Reactions)
	}

	if err := a.Delete(ctx, ref); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	del := fake.callsTo("chat.delete")[0].Args
	if del["channel"] != fakeTriage || del["ts"] != ref.ID {
		t.Errorf("chat.delete args: %v", del)
	}
	if m, _ := fake.Message(fakeTriage, ref.ID); !m.Deleted {
		t.Errorf("message not deleted: %+v", m)
	}
}

func TestFind(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	ctx := context.Background()
	root, err := a.Post(ctx, desk.Outgoing{Channel: fakeTriage, Text: "card", Key: "t1:card"})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := a.Post(ctx, desk.Outgoing{Channel: fakeTriage, Thread: root.ID, Text: "hello", Key: "t1:m1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Post(ctx, desk.Outgoing{Channel: fakeTriage, Thread: root.ID, Text: "other", Key: "t1:m2:0"}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, thread, key string
		want              desk.MessageRef
		wantOp            string
	}{
		{"reply in thread", root.ID, "t1:m1:0", reply, "conversations.replies"},
		{"top-level card", "", "t1:card", root, "conversations.history"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.Find(ctx, fakeTriage, tt.thread, tt.key)
			if err != nil {
				t.Fatalf("Find: %v", err)
			}
			if got != tt.want {
				t.Errorf("Find: got %+v, want %+v", got, tt.want)
			}
			calls := fake.callsTo(tt.wantOp)
			if len(calls) == 0 || calls[len(calls)-1].Args["include_all_metadata"] != "1" {
				t.Errorf("%s without include_all_metadata: %+v", tt.wantOp, calls)
			}
		})
	}
	_, err = a.Find(ctx, fakeTriage, root.ID, "t1:m9:0")
	if !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("Find of a missing key: got %v, want ErrNotFound", err)
	}
}

func TestOpenDMAndUserInfo(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	ctx := context.Background()
	dm, err := a.OpenDM(ctx, "U1")
	if err != nil || dm != "DU1" {
		t.Fatalf("OpenDM: got %q, %v", dm, err)
	}
	if got := fake.callsTo("conversations.open")[0].Args["users"]; got != "U1" {
		t.Errorf("conversations.open users: got %q", got)
	}
	u, err := a.UserInfo(ctx, "U1")
	if err != nil {
		t.Fatalf("UserInfo: %v", err)
	}
	want := desk.User{ID: "U1", Name: "jane", DisplayName: "Jane", AvatarURL: "https://avatars.example/jane_72.png", ProfileURL: "https://test.slack.com/team/U1"}
	if u != want {
		t.Errorf("UserInfo: got %+v, want %+v", u, want)
	}
	// users.info's is_bot reaches the core, whose one rule of who is an agent (desk.IsAgent)
	// leaves bots out: the app's own bot user and any other bot in the triage channel.
	fake.AddUser(slacktest.User{ID: "U0JIRABOT", Name: "jira", DisplayName: "Jira", IsBot: true})
	for _, id := range []string{fakeBotUser, "U0JIRABOT"} {
		if u, err := a.UserInfo(ctx, id); err != nil || !u.IsBot || desk.IsAgent(u, true) {
			t.Errorf("UserInfo(%s): got %+v, %v; want IsBot, never an agent", id, u, err)
		}
	}
	if u, _ := a.UserInfo(ctx, "U1"); u.IsBot || !desk.IsAgent(u, true) {
		t.Errorf("UserInfo(U1): got %+v, want a person", u)
	}
	_, err = a.UserInfo(ctx, "U404")
	de := desk.AsDeliveryError(err)
	if !errors.Is(err, desk.ErrNotFound) || de.Reason != "user_not_found" || de.Temporary {
		t.Errorf("UserInfo of unknown user: got %v", err)
	}
}

func TestOpenForm(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	form := desk.Form{
		ID: "tag", Title: "Tag ticket #12", Submit: "Save", Context: "12",
		Fields: []desk.FormField{
			{ID: "category", Label: "Category", Kind: "select", Options: []string{"billing", "hardware"}, Value: "hardware"},
			{ID: "tags", Label: "Tags", Kind: "multiselect", Options: []string{"vip", "printer", "fire"}, Value: "printer,fire", Optional: true},
			{ID: "note", Label: "Note", Kind: "textarea", Value: "hot", Optional: true, Hint: "Seen by agents only"},
			{ID: "title", Label: "Title", Kind: "text"},
		},
	}
	trigger := fake.Trigger()
	if err := a.OpenForm(context.Background(), trigger, form); err != nil {
		t.Fatalf("OpenForm: %v", err)
	}
	args := fake.callsTo("views.open")[0].Args
	if args["trigger_id"] != trigger {
		t.Errorf("trigger_id: got %q", args["trigger_id"])
	}
	var view struct {
		Type            string `json:"type"`
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
		Title           struct{ Text string }
		Blocks          []struct {
			Type     string `json:"type"`
			BlockID  string `json:"block_id"`
			Optional bool   `json:"optional"`
			Hint     *struct{ Text string }
			Element  struct {
				Type           string                   `json:"type"`
				ActionID       string                   `json:"action_id"`
				Multiline      bool                     `json:"multiline"`
				InitialValue   string                   `json:"initial_value"`
				InitialOption  *struct{ Value string }  `json:"initial_option"`
				InitialOptions []struct{ Value string } `json:"initial_options"`
				Options        []struct{ Value string }
			} `json:"element"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(args["view"]), &view); err != nil {
		t.Fatalf("view %q: %v", args["view"], err)
	}
	if view.Type != "modal" || view.CallbackID != "tag" || view.PrivateMetadata != "12" || view.Title.Text != "Tag ticket #12" {
		t.Errorf("view: got %+v", view)
	}
	if len(view.Blocks) == 4 && (view.Blocks[2].Hint == nil || view.Blocks[2].Hint.Text != "Seen by agents only" || view.Blocks[0].Hint != nil) {
		t.Errorf("hints: want the note's only, got %+v", view.Blocks)
	}
	if len(view.Blocks) != 4 {
		t.Fatalf("blocks: got %d, want 4", len(view.Blocks))
	}
	wantTypes := []string{"static_select", "multi_static_select", "plain_text_input", "plain_text_input"}
	for i, b := range view.Blocks {
		if b.Type != "input" || b.BlockID != form.Fields[i].ID || b.Element.ActionID != form.Fields[i].ID || b.Element.Type != wantTypes[i] || b.Optional != form.Fields[i].Optional {
			t.Errorf("block %d: got %+v", i, b)
		}
	}
	if o := view.Blocks[0].Element.InitialOption; o == nil || o.Value != "hardware" {
		t.Errorf("select initial option: got %+v", o)
	}
	if got := len(view.Blocks[1].Element.InitialOptions); got != 2 {
		t.Errorf("multi-select initial options: got %d, want 2", got)
	}
	if !view.Blocks[2].Element.Multiline || view.Blocks[2].Element.InitialValue != "hot" {
		t.Errorf("textarea: got %+v", view.Blocks[2].Element)
	}
}

func TestUploadThreeSteps(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	content := bytes.Repeat([]byte("%PDF-1.7 binary \x00\xff"), 1000)
	root := fake.UserMessage(fakeTriage, "UAGENT", "a root", "")
	for _, size := range []int64{int64(len(content)), 0} { // known and unknown size
		ref, err := a.Upload(context.Background(),
			desk.Outgoing{Channel: fakeTriage, Thread: root.TS, Text: "the invoice", As: &desk.User{DisplayName: "Jane", AvatarURL: "https://example.com/jane.png"}},
			desk.File{ID: "F9", Name: "invoice.pdf", Size: size}, bytes.NewReader(content))
		if err != nil {
			t.Fatalf("Upload (size %d): %v", size, err)
		}
		if m, ok := fake.Message(fakeTriage, ref.ID); ref.Channel != fakeTriage || !ok || len(m.Files) != 1 || m.Thread != root.TS {
			t.Errorf("ref: got %+v (%+v), want the share message's ts", ref, m)
		}
	}
	gets := fake.callsTo("files.getUploadURLExternal")
	completes := fake.callsTo("files.completeUploadExternal")
	if len(gets) != 2 || len(completes) != 2 {
		t.Fatalf("calls: getUploadURLExternal %d, completeUploadExternal %d, want 2 each", len(gets), len(completes))
	}
	if got, want := gets[0].Args["length"], strconv.Itoa(len(content)); got != want {
		t.Errorf("length: got %q", got)
	}
	c := completes[0].Args
	// The share shows the speaker's name and icon, as a message does (chat:write.customize).
	if c["channel_id"] != fakeTriage || c["thread_ts"] != root.TS || c["initial_comment"] != "the invoice" ||
		c["username"] != "Jane" || c["icon_url"] != "https://example.com/jane.png" {
		t.Errorf("completeUploadExternal args: %v", c)
	}
	if _, err := a.Upload(context.Background(), desk.Outgoing{Channel: fakeTriage, As: &desk.User{DisplayName: "Jane"}},
		desk.File{ID: "F10", Name: "a.png"}, bytes.NewReader(content)); err != nil {
		t.Fatalf("Upload without text: %v", err)
	}
	if c := fake.callsTo("files.completeUploadExternal")[2].Args; c["initial_comment"] != "" || c["username"] != "Jane" || c["icon_url"] != "" {
		t.Errorf("a file without text, from someone without an icon: got %v, want no comment, the name alone", c)
	}
	for _, c := range completes {
		var files []struct{ ID string }
		_ = json.Unmarshal([]byte(c.Args["files"]), &files)
		got, _ := fake.Uploaded(files[0].ID)
		if !bytes.Equal(got.Data, content) {
			t.Errorf("bytes at upload URL of %s differ: got %d bytes, want %d", files[0].ID, len(got.Data), len(content))
		}
	}
	if len(fake.callsTo("files.upload")) != 0 {
		t.Error("the retired files.upload was called")
	}
	// A file that came without its details (check_file_info) keeps its name: files.info has it.
	shared := fake.AddFile("hidden.png", "image/png", content)
	if _, err := a.Upload(context.Background(), desk.Outgoing{Channel: fakeTriage}, desk.File{ID: shared.ID}, bytes.NewReader(content)); err != nil {
		t.Fatalf("Upload of a nameless file: %v", err)
	}
	if c := fake.callsTo("files.completeUploadExternal")[3].Args; c["username"] != "" {
		t.Errorf("the app's own file shows name %q, want the app's", c["username"])
	}
	if gets := fake.callsTo("files.getUploadURLExternal"); gets[len(gets)-1].Args["filename"] != "hidden.png" {
		t.Errorf("nameless file uploaded as %q, want its name from files.info", gets[len(gets)-1].Args["filename"])
	}
}

func TestDownloadWithBearerToken(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	content := []byte("\x89PNG\r\n\x1a\n image bytes")
	shared := fake.AddFile("shot.png", "image/png", content)

	rc, err := a.Download(context.Background(), desk.File{ID: shared.ID, URL: shared.URLPrivate})
	if err != nil {
		t.Fatalf("Download: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, content) {
		t.Errorf("Download: got %q, want %q", got, content)
	}

	// A file sent without its URLs ("file_access": "check_file_info") is looked up first.
	rc, err = a.Download(context.Background(), desk.File{ID: shared.ID})
	if err != nil {
		t.Fatalf("Download without URL: %v", err)
	}
	got, _ = io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, content) || len(fake.callsTo("files.info")) != 1 {
		t.Errorf("Download without URL: got %q after %d files.info calls", got, len(fake.callsTo("files.info")))
	}

	_, err = a.Download(context.Background(), desk.File{ID: "F2", URL: fake.srv.URL + "/files/F404/missing.png"})
	if !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("Download of a missing file: got %v, want ErrNotFound", err)
	}
	_, err = a.Download(context.Background(), desk.File{ID: "F3", URL: "http://evil.example/steal"})
	if de := desk.AsDeliveryError(err); err == nil || de.Reason != "untrusted_url" || de.Temporary {
		t.Errorf("Download from a foreign host: got %v, want a permanent untrusted_url error", err)
	}
}

func TestDeliveryErrors(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	post := func() error {
		_, err := a.Post(context.Background(), desk.Outgoing{Channel: fakeTriage, Text: "hi"})
		return err
	}
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       any
		reason     string
		temporary  bool
		retryAfter time.Duration
		kind       desk.Failure // what the core acts on
	}{
		{"429 with Retry-After", 429, map[string]string{"Retry-After": "7"}, map[string]any{"ok": false, "error": "ratelimited"}, "ratelimited", true, 7 * time.Second, desk.FailRateLimited},
		{"503", 503, nil, "unavailable", "http_503", true, 0, desk.FailUnavailable},
		{"500", 500, nil, "oops", "http_500", true, 0, desk.FailUnavailable},
		{"channel_not_found", 200, nil, map[string]any{"ok": false, "error": "channel_not_found"}, "channel_not_found", false, 0, desk.FailNotFound},
		{"is_archived", 200, nil, map[string]any{"ok": false, "error": "is_archived"}, "is_archived", false, 0, desk.FailOther},
		{"ratelimited in body", 200, nil, map[string]any{"ok": false, "error": "ratelimited"}, "ratelimited", true, 0, desk.FailRateLimited},
		{"internal_error", 200, nil, map[string]any{"ok": false, "error": "internal_error"}, "internal_error", true, 0, desk.FailUnavailable},
		{"service_unavailable", 200, nil, map[string]any{"ok": false, "error": "service_unavailable"}, "service_unavailable", true, 0, desk.FailUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.failNext("chat.postMessage", tt.status, tt.header, tt.body)
			err := post()
			var de *desk.DeliveryError
			if !errors.As(err, &de) {
				t.Fatalf("got %T %v, want *desk.DeliveryError", err, err)
			}
			if de.Op != "chat.postMessage" || de.Reason != tt.reason || de.Temporary != tt.temporary || de.RetryAfter != tt.retryAfter || de.Kind != tt.kind {
				t.Errorf("got %+v, want reason %s temporary %v retry after %v kind %q", de, tt.reason, tt.temporary, tt.retryAfter, tt.kind)
			}
			if got := errors.Is(err, desk.ErrNotFound); got != (tt.kind == desk.FailNotFound) {
				t.Errorf("errors.Is(err, desk.ErrNotFound) = %v for kind %q", got, tt.kind)
			}
		})
	}
	t.Run("network error", func(t *testing.T) {
		b, err := New(Config{BotToken: fakeBotToken, SigningSecret: "s", TriageChannel: fakeTriage, APIURL: "http://127.0.0.1:1/api/"}, newIngester(), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.Post(context.Background(), desk.Outgoing{Channel: fakeTriage, Text: "hi"})
		if de := desk.AsDeliveryError(err); err == nil || !de.Temporary || de.Reason != "network" {
			t.Errorf("got %v, want a temporary network error", err)
		}
	})
}

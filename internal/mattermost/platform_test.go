package mattermost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/mattermost/mattermosttest"
)

func TestStartResolvesSettings(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config, world)
		wantErr string
	}{
		{"channel by name", func(*Config, world) {}, ""},
		{"channel by ID", func(c *Config, w world) { c.TriageChannel = w.triage.Id }, ""},
		{"unknown team", func(c *Config, _ world) { c.Team = "nope" }, `team "nope" not found`},
		{"unknown channel", func(c *Config, _ world) { c.TriageChannel = "nope" }, `triage channel "nope" not found`},
		{"bot not a member", func(c *Config, w world) { c.TriageChannel = "private" }, "not a member of the triage channel"},
		{"bad token", func(c *Config, _ world) { c.Token = "wrong" }, "check the bot token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeMM(t)
			w := seed(f)
			f.Mu.Lock()
			f.AddChannelLocked(w.teamID, "private", model.ChannelTypeOpen, w.agent.Id)
			f.Mu.Unlock()
			cfg := testConfig(f)
			tt.edit(&cfg, w)
			a, err := New(cfg, newIngester(), discardLogger())
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			err = a.Start(context.Background())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Start: %v", err)
				}
				if got, want := a.TriageChannel(), w.triage.Id; got != want {
					t.Errorf("TriageChannel() = %q, want %q", got, want)
				}
				if got, want := a.BotUserID(), w.bot.Id; got != want {
					t.Errorf("BotUserID() = %q, want %q", got, want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Start error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	f := newFakeMM(t)
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"short secret", func(c *Config) { c.Secret = []byte("short") }},
		{"no token", func(c *Config) { c.Token = "" }},
		{"no URL", func(c *Config) { c.URL = "" }},
		{"no public URL", func(c *Config) { c.PublicURL = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(f)
			tt.edit(&cfg)
			if _, err := New(cfg, newIngester(), nil); err == nil {
				t.Fatal("New accepted a bad config")
			}
		})
	}
}

func TestLimits(t *testing.T) {
	f := newFakeMM(t)
	a, err := New(testConfig(f), newIngester(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := a.Limits()
	want := desk.Limits{MaxText: 16383 - namePrefixReserve, PostRate: 10, PostBurst: 10}
	if got != want {
		t.Errorf("Limits() = %+v, want %+v", got, want)
	}
}

func TestPost(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	a := started(t, f, testConfig(f), newIngester())
	ctx := context.Background()
	root := f.UserPost(w.bot.Id, w.triage.Id, "", "card")
	carol := desk.User{ID: w.customer.Id, DisplayName: "Carol *C*", AvatarURL: "https://mm/avatar.png"}

	tests := []struct {
		name  string
		m     desk.Outgoing
		check func(t *testing.T, p *model.Post)
	}{
		{"top-level with key", desk.Outgoing{Channel: w.triage.Id, Text: "hello", Key: "k-top"}, func(t *testing.T, p *model.Post) {
			if p.Message != "hello" || p.RootId != "" || p.GetProp(PropKey) != "k-top" {
				t.Errorf("post = %q root %q key %v", p.Message, p.RootId, p.GetProp(PropKey))
			}
		}},
		{"thread reply", desk.Outgoing{Channel: w.triage.Id, Thread: root.Id, Text: "reply", Key: "k-reply"}, func(t *testing.T, p *model.Post) {
			if p.RootId != root.Id {
				t.Errorf("RootId = %q, want %q", p.RootId, root.Id)
			}
		}},
		{"as a person", desk.Outgoing{Channel: w.triage.Id, Thread: root.Id, Text: "my printer", As: &carol, Key: "k-as"}, func(t *testing.T, p *model.Post) {
			if got, want := p.Message, `**Carol \*C\*:** my printer`; got != want {
				t.Errorf("Message = %q, want %q", got, want)
			}
			if p.GetProp(model.PostPropsOverrideUsername) != "Carol *C*" || p.GetProp(model.PostPropsOverrideIconURL) != carol.AvatarURL || p.GetProp(model.PostPropsFromWebhook) != "true" {
				t.Errorf("props = %v", p.GetProps())
			}
		}},
		{"as a person whose name looks like a link", desk.Outgoing{Channel: w.triage.Id, Thread: root.Id, Text: "hi", As: &desk.User{ID: "u9", DisplayName: "[pay here](http://evil) <b>"}, Key: "k-link"}, func(t *testing.T, p *model.Post) {
			if got, want := p.Message, "**\\[pay here\\]\u2060(http:\u2060//evil) \\<b\\>:** hi"; got != want {
				t.Errorf("Message = %q, want %q", got, want)
			}
		}},
		{"card", desk.Outgoing{Channel: w.triage.Id, Text: "Ticket #7", Key: "k-card", Card: &desk.Card{
			Title: "Ticket #7", Text: "printer", Context: "opened 1m ago",
			Fields:  []desk.Field{{Label: "Status", Value: "new", Short: true}},
			Actions: []desk.Action{{ID: "claim", Label: "Claim", Value: "7", Style: "primary"}, {ID: "tag_it", Label: "Tag…", Value: "7"}},
		}}, func(t *testing.T, p *model.Post) {
			atts := p.Attachments()
			if len(atts) != 1 {
				t.Fatalf("attachments = %d, want 1", len(atts))
			}
			att := atts[0]
			if att.Title != "Ticket #7" || att.Text != "printer" || att.Footer != "opened 1m ago" || len(att.Fields) != 1 || att.Fields[0].Title != "Status" {
				t.Errorf("attachment = %+v", att)
			}
			if len(att.Actions) != 2 {
				t.Fatalf("actions = %d, want 2", len(att.Actions))
			}
			b := att.Actions[1]
			if b.Name != "Tag…" || b.Integration == nil || b.Integration.URL != "https://desk.example.com/mattermost/actions" {
				t.Fatalf("button = %+v", b)
			}
			if strings.ContainsAny(b.Id, "_-") {
				t.Errorf("button ID %q has characters Mattermost mishandles", b.Id)
			}
			action, value, _, root, err := verifyAction(testSecret, b.Integration.Context)
			if err != nil || action != "tag_it" || value != "7" || root != "1" {
				t.Errorf("context verifies to %q %q root %q %v; want a card's, the root of its thread", action, value, root, err)
			}
			if att.Actions[0].Style != "primary" || b.Style != "default" {
				t.Errorf("styles = %q %q", att.Actions[0].Style, b.Style)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, err := a.Post(ctx, tt.m)
			if err != nil {
				t.Fatalf("Post: %v", err)
			}
			if ref.Channel != tt.m.Channel || ref.ID == "" {
				t.Fatalf("ref = %+v", ref)
			}
			p := f.Post(ref.ID)
			if p == nil || p.UserId != w.bot.Id {
				t.Fatalf("post %s not made by the bot: %+v", ref.ID, p)
			}
			tt.check(t, p)
		})
	}
}

func TestPostEphemeralAndCommandReply(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	a := started(t, f, testConfig(f), newIngester())
	ctx := context.Background()
	card, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Text: "Ticket #1", Key: "card"})
	if err != nil {
		t.Fatal(err)
	}

	// A bot with the system admin role may post ephemeral messages.
	f.SetRoles(w.bot.Id, "system_user system_admin")
	if _, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Thread: card.ID, Text: "only you", Ephemeral: w.agent.Id}); err != nil {
		t.Fatalf("ephemeral Post: %v", err)
	}
	if got, want := f.EphemeralPosts(), []mattermosttest.Ephemeral{{UserID: w.agent.Id, ChannelID: w.triage.Id, RootID: card.ID, Message: "only you"}}; !slices.Equal(got, want) {
		t.Errorf("ephemeral posts = %+v, want %+v", got, want)
	}

	// A command's answer goes to its response URL, ephemeral, whatever the bot's roles.
	if _, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Text: "queue: 3", Ephemeral: w.agent.Id, Reply: f.URL + "/hooks/commands/abc"}); err != nil {
		t.Fatalf("command reply Post: %v", err)
	}
	if got := f.CommandResponses(); len(got) != 1 || got[0].ResponseType != "ephemeral" || got[0].Text != "queue: 3" {
		t.Errorf("command responses = %+v", got)
	}

	// An ordinary bot may not (create_post_ephemeral is for system admins): the answer goes to
	// its reader in a direct message, never in the open, and the ephemeral route is not tried
	// again.
	f.SetRoles(w.bot.Id, "system_user")
	for i, text := range []string{"you are not an agent", "still not"} {
		ref, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Thread: card.ID, Text: text, Ephemeral: w.agent.Id, Key: "refusal" + strconv.Itoa(i)})
		if err != nil {
			t.Fatalf("ephemeral Post without the permission: %v", err)
		}
		p := f.Post(ref.ID)
		dm := f.DM(w.bot.Id, w.agent.Id)
		if p == nil || p.ChannelId != dm.Id || p.RootId != "" || p.Message != text || p.GetProp(PropKey) != "refusal"+strconv.Itoa(i) {
			t.Errorf("fallback post = %+v, want a direct message to the agent", p)
		}
	}
	for _, p := range f.ChannelPosts(w.triage.Id) {
		if strings.Contains(p.Message, "not") {
			t.Errorf("a private answer was posted in the triage channel: %q", p.Message)
		}
	}
	if got := f.CallCount("POST /api/v4/posts/ephemeral"); got != 2 {
		t.Errorf("ephemeral route called %d times, want 2 (once allowed, once refused)", got)
	}
	if got := len(f.EphemeralPosts()); got != 1 {
		t.Errorf("%d ephemeral posts, want 1", got)
	}
}

func TestUpdateDeleteMark(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	a := started(t, f, testConfig(f), newIngester())
	ctx := context.Background()
	ref, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Text: "v1", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}

	if err := a.Update(ctx, ref, desk.Outgoing{Channel: w.triage.Id, Text: "v2", Key: "k"}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if p := f.Post(ref.ID); p.Message != "v2" || p.GetProp(PropKey) != "k" {
		t.Errorf("after Update: %q %v", p.Message, p.GetProps())
	}

	for _, mark := range []desk.Mark{desk.MarkDelivered, desk.MarkFailed, desk.MarkNote} {
		if err := a.Mark(ctx, ref, mark); err != nil {
			t.Fatalf("Mark %s: %v", mark, err)
		}
	}
	f.Mu.Lock()
	var emojis []string
	for _, r := range f.Reactions {
		if r.PostId == ref.ID && r.UserId == w.bot.Id {
			emojis = append(emojis, r.EmojiName)
		}
	}
	f.Mu.Unlock()
	if got, want := strings.Join(emojis, ","), "white_check_mark,warning,memo"; got != want {
		t.Errorf("reactions = %s, want %s", got, want)
	}
	// Unmark deletes the bot's reaction; one that is not there is no error.
	for range 2 {
		if err := a.Unmark(ctx, ref, desk.MarkDelivered); err != nil {
			t.Errorf("Unmark: %v", err)
		}
	}
	if got := f.ReactionsOn(ref.ID); strings.Join(got, ",") != "warning,memo" {
		t.Errorf("reactions after Unmark = %v, want warning,memo", got)
	}

	if err := a.Delete(ctx, ref); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if p := f.Post(ref.ID); p.DeleteAt == 0 {
		t.Error("post not deleted")
	}
	err = a.Delete(ctx, ref)
	var de *desk.DeliveryError
	if !errors.As(err, &de) || de.Temporary || !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("second Delete = %v, want a permanent DeliveryError wrapping ErrNotFound", err)
	}
	if err := a.Update(ctx, desk.MessageRef{Channel: w.triage.Id, ID: "nosuchpostnosuchpostnosuch"}, desk.Outgoing{Text: "x"}); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("Update of a missing post = %v, want ErrNotFound", err)
	}
}

func TestFind(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	a := started(t, f, testConfig(f), newIngester())
	ctx := context.Background()
	root, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Text: "card", Key: "card-key"})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Thread: root.ID, Text: "r", Key: "reply-key"})
	if err != nil {
		t.Fatal(err)
	}
	// A person's post with the same key is not the app's.
	impostor := f.UserPost(w.agent.Id, w.triage.Id, root.ID, "x")
	f.Mu.Lock()
	f.Posts[impostor.Id].AddProp(PropKey, "agent-key")
	f.Mu.Unlock()

	tests := []struct {
		name, thread, key string
		want              string
	}{
		{"top-level", "", "card-key", root.ID},
		{"in thread", root.ID, "reply-key", reply.ID},
		{"root via thread", root.ID, "card-key", root.ID},
		{"missing", root.ID, "nope", ""},
		{"someone else's", root.ID, "agent-key", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.Find(ctx, w.triage.Id, tt.thread, tt.key)
			if tt.want == "" {
				if !errors.Is(err, desk.ErrNotFound) {
					t.Fatalf("Find = %+v, %v; want ErrNotFound", got, err)
				}
				return
			}
			if err != nil || got.ID != tt.want || got.Channel != w.triage.Id {
				t.Fatalf("Find = %+v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestOpenDMAndUserInfo(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	a := started(t, f, testConfig(f), newIngester())
	ctx := context.Background()

	id, err := a.OpenDM(ctx, w.customer.Id)
	if err != nil {
		t.Fatalf("OpenDM: %v", err)
	}
	if want := f.DM(w.bot.Id, w.customer.Id).Id; id != want {
		t.Errorf("OpenDM = %s, want %s", id, want)
	}
	again, err := a.OpenDM(ctx, w.customer.Id)
	if err != nil || again != id {
		t.Errorf("second OpenDM = %s, %v; want the same channel", again, err)
	}

	tests := []struct {
		user *model.User
		want desk.User
	}{
		{w.customer, desk.User{ID: w.customer.Id, Name: "carol", DisplayName: "Carol Customer"}},
		{w.agent, desk.User{ID: w.agent.Id, Name: "alex", DisplayName: "Alex the Agent"}},
		{w.bot, desk.User{ID: w.bot.Id, Name: "threadesk", DisplayName: "threadesk", IsBot: true}},
	}
	for _, tt := range tests {
		t.Run(tt.user.Username, func(t *testing.T) {
			tt.want.AvatarURL = f.URL + "/api/v4/users/" + tt.user.Id + "/image"
			tt.want.ProfileURL = f.URL + "/support/messages/@" + tt.user.Username
			got, err := a.UserInfo(ctx, tt.user.Id)
			if err != nil || got != tt.want {
				t.Fatalf("UserInfo = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	before := f.CallCount("GET /api/v4/users/{user_id}")
	if _, err := a.UserInfo(ctx, w.customer.Id); err != nil {
		t.Fatal(err)
	}
	if after := f.CallCount("GET /api/v4/users/{user_id}"); after != before {
		t.Errorf("UserInfo asked the server again (%d → %d calls); want the cached answer", before, after)
	}
	if _, err := a.UserInfo(ctx, "nosuchusernosuchusernosuch"); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("UserInfo of an unknown user = %v, want ErrNotFound", err)
	}
}

func TestOpenForm(t *testing.T) {
	f := newFakeMM(t)
	seed(f)
	a := started(t, f, testConfig(f), newIngester())
	ctx := context.Background()
	form := desk.Form{ID: "tag", Title: "Tag ticket #12 with a very long title", Submit: "Save", Context: "12", Fields: []desk.FormField{
		{ID: "category", Label: "Category", Kind: "select", Options: []string{"hardware", "software"}, Value: "software"},
		{ID: "tags", Label: "Tags", Kind: "multiselect", Options: []string{"vip", "bug"}, Optional: true},
		{ID: "note", Label: "Note", Kind: "textarea", Hint: "Seen by agents only"},
		{ID: "title", Label: "Title", Kind: "text", Value: "printer"},
		{ID: "assignee", Label: "Assignee", Kind: "user", Optional: true},
	}}
	if err := a.OpenForm(ctx, "trigger-1", form); err != nil {
		t.Fatalf("OpenForm: %v", err)
	}
	f.Mu.Lock()
	if len(f.Dialogs) != 1 {
		f.Mu.Unlock()
		t.Fatalf("dialogs opened = %d, want 1", len(f.Dialogs))
	}
	req := f.Dialogs[0]
	f.Mu.Unlock()
	if req.TriggerId != "trigger-1" || req.URL != "https://desk.example.com/mattermost/dialogs" || req.Dialog.CallbackId != "tag" || req.Dialog.SubmitLabel != "Save" {
		t.Errorf("dialog request = %+v", req)
	}
	if n := len([]rune(req.Dialog.Title)); n > dialogTitleMax {
		t.Errorf("title has %d runes, Mattermost allows %d", n, dialogTitleMax)
	}
	st, err := verifyState(testSecret, req.Dialog.State)
	if err != nil || st.Form != "tag" || st.Context != "12" {
		t.Errorf("state = %+v, %v", st, err)
	}
	els := req.Dialog.Elements
	if len(els) != 5 {
		t.Fatalf("elements = %d, want 5", len(els))
	}
	if els[2].HelpText != "Seen by agents only" || els[0].HelpText != "" {
		t.Errorf("help texts = %q, %q; want the hint on the note only", els[2].HelpText, els[0].HelpText)
	}
	if els[4].Type != "select" || els[4].DataSource != "users" {
		t.Errorf("user picker = %+v", els[4])
	}
	if els[0].Type != "select" || len(els[0].Options) != 2 || els[0].Default != "software" || els[1].Type != "select" || !els[1].MultiSelect || !els[1].Optional || els[2].Type != "textarea" || els[3].Type != "text" || els[3].Default != "printer" {
		t.Errorf("elements = %+v", els)
	}

	err = a.OpenForm(ctx, "expired", form)
	var de *desk.DeliveryError
	if !errors.As(err, &de) || de.Temporary || de.Reason != "interactive_message.decode_trigger_id.expired" {
		t.Errorf("OpenForm with an expired trigger = %v, want a permanent DeliveryError with the server's reason", err)
	}
}

func TestUploadDownload(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	a := started(t, f, testConfig(f), newIngester())
	ctx := context.Background()
	root := f.UserPost(w.bot.Id, w.triage.Id, "", "card")
	content := make([]byte, 300_000)
	for i := range content {
		content[i] = byte(i * 7)
	}
	carol := desk.User{ID: w.customer.Id, DisplayName: "Carol"}
	ref, err := a.Upload(ctx, desk.Outgoing{Channel: w.triage.Id, Thread: root.Id, Text: "the log", As: &carol, Key: "file-key"},
		desk.File{ID: "src", Name: "printer.log"}, bytes.NewReader(content))
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	p := f.Post(ref.ID)
	if p.RootId != root.Id || len(p.FileIds) != 1 || p.GetProp(PropKey) != "file-key" || p.Message != "**Carol:** the log" {
		t.Fatalf("file post = %+v", p)
	}
	rc, err := a.Download(ctx, desk.File{ID: p.FileIds[0]})
	if err != nil {
		t.Fatalf("Download: %v", err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, content) {
		t.Errorf("downloaded %d bytes differing from the %d uploaded", len(got), len(content))
	}
	if _, err := a.Download(ctx, desk.File{ID: "nosuchfilenosuchfilenosuch"}); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("Download of a missing file = %v, want ErrNotFound", err)
	}
}

func TestDeliveryErrors(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	a := started(t, f, testConfig(f), newIngester())
	ctx := context.Background()

	f.Mu.Lock()
	f.RateLimited = 1
	f.Mu.Unlock()
	_, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Text: "x"})
	var de *desk.DeliveryError
	if !errors.As(err, &de) || !de.Temporary || de.RetryAfter != 2*time.Second || de.Reason != "rate_limited" {
		t.Fatalf("Post on 429 = %#v, want a temporary DeliveryError with RetryAfter 2s", err)
	}
	if _, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Text: "x"}); err != nil {
		t.Fatalf("Post after the limit: %v", err)
	}

	_, err = a.Post(ctx, desk.Outgoing{Channel: f.DM(w.agent.Id, w.customer.Id).Id, Text: "x"})
	if !errors.As(err, &de) || de.Temporary || de.Reason != "api.context.permissions.app_error" {
		t.Errorf("Post into a foreign channel = %#v, want a permanent DeliveryError with the AppError id", err)
	}

	if err := a.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	f.HTTP.CloseClientConnections()
	down, err := New(Config{URL: "http://127.0.0.1:1", Token: "t", Team: "x", TriageChannel: "y", PublicURL: "http://p", Secret: testSecret}, newIngester(), nil)
	if err != nil {
		t.Fatal(err)
	}
	err = down.Ping(ctx)
	if !errors.As(err, &de) || !de.Temporary || de.Reason != "network" {
		t.Errorf("Ping of a dead server = %#v, want a temporary network DeliveryError", err)
	}
	// A rate-limited server is reachable: readiness does not flap when the desk is busy.
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "2")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"id":"api.context.rate_limit","message":"Too many requests","status_code":429}`))
	}))
	defer busy.Close()
	limited, err := New(Config{URL: busy.URL, Token: "t", Team: "x", TriageChannel: "y", PublicURL: "http://p", Secret: testSecret}, newIngester(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := limited.Ping(ctx); err != nil {
		t.Errorf("Ping of a rate-limiting server: %v, want reachable", err)
	}
}

func TestRetryAfterHeaders(t *testing.T) {
	// The spec gives X-Ratelimit-Reset as seconds to wait in its examples and as a UTC epoch
	// second in another: both are read, and no answer makes a wait of years.
	soon := strconv.FormatInt(time.Now().Add(10*time.Second).Unix(), 10)
	past := strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
		within time.Duration // how far below want it may be (a whole epoch second)
	}{
		{"retry-after", map[string]string{"Retry-After": "5"}, 5 * time.Second, 0},
		{"ratelimit reset only", map[string]string{"X-Ratelimit-Reset": "3"}, 3 * time.Second, 0},
		{"both", map[string]string{"Retry-After": "1", "X-Ratelimit-Reset": "9"}, time.Second, 0},
		{"ratelimit reset as an epoch second", map[string]string{"X-Ratelimit-Reset": soon}, 10 * time.Second, time.Second},
		{"ratelimit reset as an epoch second past", map[string]string{"X-Ratelimit-Reset": past}, 0, 0},
		{"a wait beyond reason", map[string]string{"Retry-After": "86400000"}, maxRetryAfter, 0},
		{"none", nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := make(map[string][]string)
			for k, v := range tt.header {
				h[k] = []string{v}
			}
			if got := retryAfter(h); got > tt.want || got < tt.want-tt.within {
				t.Errorf("retryAfter = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFindUserAndInTriage(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	a := started(t, f, testConfig(f), newIngester())
	ctx := context.Background()
	for _, handle := range []string{"@alex", "alex", " @Alex ", w.agent.Id} {
		t.Run(handle, func(t *testing.T) {
			u, err := a.FindUser(ctx, handle)
			if err != nil || u.ID != w.agent.Id || u.DisplayName != "Alex the Agent" {
				t.Fatalf("FindUser(%q) = %+v, %v", handle, u, err)
			}
		})
	}
	// The core's rule of who is an agent (desk.IsAgent) needs to know a bot when it sees one.
	if u, err := a.FindUser(ctx, "@threadesk"); err != nil || !u.IsBot {
		t.Errorf("FindUser(the bot) = %+v, %v; want IsBot", u, err)
	}
	if u, err := a.FindUser(ctx, "@alex"); err != nil || u.IsBot {
		t.Errorf("FindUser(a person) = %+v, %v; want not IsBot", u, err)
	}
	for _, handle := range []string{"@nobody", "", "@"} {
		if _, err := a.FindUser(ctx, handle); !errors.Is(err, desk.ErrNotFound) {
			t.Errorf("FindUser(%q) = %v, want ErrNotFound", handle, err)
		}
	}
	tests := []struct {
		user string
		want bool
	}{{w.agent.Id, true}, {w.admin.Id, true}, {w.customer.Id, false}, {w.bot.Id, true}} // the core never counts a bot as an agent
	for _, tt := range tests {
		got, err := a.InTriage(ctx, tt.user)
		if err != nil || got != tt.want {
			t.Errorf("InTriage(%s) = %v, %v; want %v", tt.user, got, err, tt.want)
		}
	}
}

// A server that shows override_username already shows each relayed post under its author's
// name: the name is not written in the text a second time, and the text may use the whole
// post.
func TestNoNamePrefixWhenTheServerShowsOverrides(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	f.Mu.Lock()
	f.UsernameOverride = true
	f.Mu.Unlock()
	a := started(t, f, testConfig(f), newIngester())
	carol := desk.User{ID: "u-carol", DisplayName: "Carol"}
	ref, err := a.Post(context.Background(), desk.Outgoing{Channel: w.triage.Id, Text: "my printer", As: &carol, Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	p := f.Post(ref.ID)
	if p.Message != "my printer" || p.GetProp(model.PostPropsOverrideUsername) != "Carol" {
		t.Errorf("post = %q as %v, want the bare text under Carol's name", p.Message, p.GetProp(model.PostPropsOverrideUsername))
	}
	if got := a.Limits().MaxText; got != 16383 {
		t.Errorf("MaxText = %d, want the whole 16383", got)
	}
}

// A reply into a thread whose root post was deleted is refused by Mattermost; the adapter
// names it so that the core opens a new thread.
func TestPostIntoADeletedThread(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	a := started(t, f, testConfig(f), newIngester())
	root := f.UserPost(w.bot.Id, w.triage.Id, "", "card")
	f.UserDelete(root.Id)
	_, err := a.Post(context.Background(), desk.Outgoing{Channel: w.triage.Id, Thread: root.Id, Text: "hello", Key: "k"})
	if de := desk.AsDeliveryError(err); err == nil || de.Temporary || de.Kind != desk.FailThreadGone {
		t.Errorf("Post into a deleted thread = %v, want a final %q", err, desk.FailThreadGone)
	}
}

// A name made of markdown characters, escaped, still fits the room kept for the prefix: a
// message of the longest allowed length with it stays within Mattermost's limit.
func TestNamePrefixFitsOnceEscaped(t *testing.T) {
	for _, label := range []string{strings.Repeat("*", 95), strings.Repeat("a", 89) + `*`, strings.Repeat("_", 200)} {
		name := prefixName(label)
		if n := len([]rune("**" + name + ":** ")); n > namePrefixReserve {
			t.Errorf("prefix of %q is %d characters, over the %d kept", label, n, namePrefixReserve)
		}
		if trail := len(name) - len(strings.TrimRight(name, `\`)); trail%2 == 1 {
			t.Errorf("prefix name %q ends on a lone backslash", name)
		}
	}
}

// A server that answers 429 at start is waited for, as it asks, instead of stopping the app.
func TestStartWaitsForABusyServer(t *testing.T) {
	f := newFakeMM(t)
	seed(f)
	f.Mu.Lock()
	f.Busy = map[string]int{"GET /users/{user_id}": 1, "GET /teams/name/{name}": 1}
	f.Mu.Unlock()
	a, err := New(testConfig(f), newIngester(), discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	start := time.Now()
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("Start against a busy server: %v", err)
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Errorf("Start took %v, want the two Retry-After waits of 1 s", took)
	}
}

// Every failed call carries the failure class the core acts on, and Mattermost's own code in
// Reason for people and logs.
func TestDeliveryErrorKinds(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	a := started(t, f, testConfig(f), newIngester())
	ctx := context.Background()
	f.Mu.Lock()
	f.MaxFileSize = 10
	f.Mu.Unlock()
	gone := f.UserPost(w.bot.Id, w.triage.Id, "", "card")
	f.UserDelete(gone.Id)
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"id":"api.server.unavailable","message":"down","status_code":503}`))
	}))
	defer unavailable.Close()
	down, err := New(Config{URL: unavailable.URL, Token: "t", Team: "x", TriageChannel: "y", PublicURL: "http://p", Secret: testSecret}, newIngester(), nil)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		call       func() error
		wantKind   desk.Failure
		wantReason string
		temporary  bool
	}{
		{"rate limited", func() error {
			f.Mu.Lock()
			f.RateLimited = 1
			f.Mu.Unlock()
			_, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Text: "x"})
			return err
		}, desk.FailRateLimited, "rate_limited", true},
		{"server failing", func() error { return down.Ping(ctx) }, desk.FailUnavailable, "http_503", true},
		{"no such post", func() error { return a.Delete(ctx, desk.MessageRef{ID: "nosuchpostnosuchpostnosuch"}) }, desk.FailNotFound, "app.post.get.app_error", false},
		{"thread gone", func() error {
			_, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Thread: gone.Id, Text: "x"})
			return err
		}, desk.FailThreadGone, rootGone, false},
		{"message too long", func() error {
			_, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Text: strings.Repeat("x", mattermosttest.MaxPostRunes+1)})
			return err
		}, desk.FailTooLarge, "model.post.is_valid.message_length.app_error", false},
		{"file over the server's limit", func() error {
			_, err := a.Upload(ctx, desk.Outgoing{Channel: w.triage.Id}, desk.File{ID: "f", Name: "big.bin"}, strings.NewReader(strings.Repeat("x", 11)))
			return err
		}, desk.FailTooLarge, "api.file.upload_file.too_large_detailed.app_error", false},
		{"refused", func() error {
			_, err := a.Post(ctx, desk.Outgoing{Channel: f.DM(w.agent.Id, w.customer.Id).Id, Text: "x"})
			return err
		}, desk.FailOther, "api.context.permissions.app_error", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			de, ok := errors.AsType[*desk.DeliveryError](err)
			if !ok {
				t.Fatalf("error = %v, want a *desk.DeliveryError", err)
			}
			if de.Kind != tt.wantKind || de.Reason != tt.wantReason || de.Temporary != tt.temporary {
				t.Errorf("error = kind %q, reason %q, temporary %t; want %q, %q, %t", de.Kind, de.Reason, de.Temporary, tt.wantKind, tt.wantReason, tt.temporary)
			}
		})
	}
}

// TestRequestsWaitForTheTokensTurn: with Options.PaceRequests every REST call waits for a turn
// first, so the server sees no call the pace did not let through, and a refusal of the pace
// (its context ended) fails the call without sending it.
func TestRequestsWaitForTheTokensTurn(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	var turns atomic.Int64
	var refuse atomic.Bool
	pace := func(ctx context.Context) error {
		if refuse.Load() {
			return context.DeadlineExceeded
		}
		turns.Add(1)
		return nil
	}
	a := started(t, f, testConfig(f), newIngester(), Options{PaceRequests: pace})
	ctx := context.Background()
	for i := range 5 {
		if _, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Text: fmt.Sprintf("paced %d", i), Key: fmt.Sprintf("k%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	f.Mu.Lock()
	rest := len(f.Calls) // every REST request the server took (the WebSocket is not one)
	f.Mu.Unlock()
	if got := turns.Load(); got == 0 || got != int64(rest) {
		t.Errorf("%d turns taken for %d REST calls the server saw, want one each", got, rest)
	}
	before := f.CallCount("POST /api/v4/posts")
	refuse.Store(true)
	if _, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Text: "not sent", Key: "k-no"}); err == nil {
		t.Error("a post whose turn was refused went through")
	}
	if got := f.CallCount("POST /api/v4/posts"); got != before {
		t.Errorf("%d posts reached the server without their turn", got-before)
	}
}

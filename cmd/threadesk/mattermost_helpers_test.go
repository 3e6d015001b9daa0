package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/mattermost"
	"github.com/threadesk/threadesk/internal/mattermost/mattermosttest"
	"github.com/threadesk/threadesk/internal/redistest"
)

// The Mattermost end-to-end tests run the real program against the fake Mattermost server of
// package mattermosttest, which plays the server's whole part: WebSocket events when people
// post, edit and delete, and the calls to the app's /mattermost/* endpoints when they click,
// submit a dialog or run /desk.

const (
	mmCommandToken = "mm-command-token-0123456789"
	mmWait         = 15 * time.Second
)

// mmWorld is a fake Mattermost with the usual cast (see mattermosttest.Server.Seed).
type mmWorld struct {
	*mattermosttest.Server
	mattermosttest.World
}

func mmNewWorld(t *testing.T) *mmWorld {
	t.Helper()
	f := mattermosttest.New(t, "")
	return &mmWorld{Server: f, World: f.Seed()}
}

// customer adds a customer and returns them with their DM channel with the bot.
func (w *mmWorld) customer(name, first, last string) (*model.User, *model.Channel) {
	u := w.AddUser(name, first, last, false, "")
	return u, w.DM(w.Bot.Id, u.Id)
}

// mmConfig is the program's configuration for the fake: its own Redis prefix, and a free
// port that is both HTTP_ADDR and PUBLIC_URL, since buttons must know where to call back
// before the program starts.
func mmConfig(t *testing.T, w *mmWorld) Config {
	t.Helper()
	port, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cfg := defaultConfig(t)
	cfg.HTTPAddr = addr
	cfg.PublicURL = "http://" + addr
	cfg.RedisURL = "redis://" + redistest.Addr(t)
	cfg.RedisPrefix = redistest.Prefix(t)
	cfg.MattermostURL = w.URL
	cfg.MattermostToken = mattermosttest.BotToken
	cfg.MattermostTeam = "support"
	cfg.MattermostTriageChannel = "triage"
	cfg.MattermostCommandToken = "other-token, " + mmCommandToken
	cfg.QueueShards = 8
	cfg.MattermostRequestRate = 0 // the fake has no rate limit but where a test sets one
	cfg.DeliveryGiveUpAfter = time.Minute
	cfg.MaxFileMB = 10
	cfg.ShutdownTimeout = 10 * time.Second
	cfg.LogLevel = "warn"
	if err := cfg.Check(); err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// mmApp is a running program.
type mmApp struct {
	*Main
	t      *testing.T
	w      *mmWorld
	client *http.Client
	closed atomic.Bool
}

// mmStart runs the program with cfg until the test ends (or close), with its WebSocket up.
func mmStart(t *testing.T, w *mmWorld, cfg Config) *mmApp {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	dialled := w.Dialled()
	m := NewMain(cfg, log)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		t.Fatalf("Run: %v", err)
	}
	a := &mmApp{Main: m, t: t, w: w, client: &http.Client{Timeout: 20 * time.Second}}
	t.Cleanup(func() {
		if err := a.close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	mmEventually(t, "the app's WebSocket", func() (bool, string) {
		return w.Dialled() > dialled && w.SocketCount() > 0, fmt.Sprintf("%d sockets", w.SocketCount())
	})
	return a
}

func (a *mmApp) close() error {
	if a.closed.Swap(true) {
		return nil
	}
	a.client.CloseIdleConnections()
	return a.Close()
}

// post sends a raw request to one of the app's endpoints, as anyone on the network could.
func (a *mmApp) post(path, contentType string, header http.Header, body []byte) int {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.Config.PublicURL+path, bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", contentType)
	res, err := a.client.Do(req)
	if err != nil {
		a.t.Fatalf("POST %s: %v", path, err)
	}
	res.Body.Close()
	return res.StatusCode
}

// command runs /desk as user in channel through the fake server, with the configured token.
func (a *mmApp) command(user, channel, text string) (int, model.CommandResponse) {
	a.t.Helper()
	return a.commandWith(mmCommandToken, user, channel, text)
}

func (a *mmApp) commandWith(token, user, channel, text string) (int, model.CommandResponse) {
	a.t.Helper()
	status, cr, err := a.w.RunCommand(context.Background(), mattermosttest.Command{
		URL: a.Config.PublicURL + "/mattermost/command", Token: token, Trigger: "/desk", UserID: user, Channel: channel, Text: text,
	})
	if err != nil {
		a.t.Fatalf("/desk %s: %v", text, err)
	}
	return status, cr
}

// ticket reads a ticket from the store.
func (a *mmApp) ticket(id desk.TicketID) desk.Ticket {
	a.t.Helper()
	tk, err := a.Store.Ticket(context.Background(), id)
	if err != nil {
		a.t.Fatalf("ticket %d: %v", id, err)
	}
	return tk
}

// mmEventually polls cond until it holds or mmWait passes.
func mmEventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(mmWait)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last: %s", what, state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// card returns the bot's card post of a ticket in the triage channel.
func (w *mmWorld) card(t *testing.T, id desk.TicketID) *model.Post {
	t.Helper()
	var card *model.Post
	mmEventually(t, "the card of "+id.String(), func() (bool, string) {
		for _, p := range w.ChannelPosts(w.Triage.Id) {
			if p.RootId == "" && p.GetProp(mattermost.PropKey) == "card:"+strconv.FormatInt(int64(id), 10) {
				card = p
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d posts in triage", len(w.ChannelPosts(w.Triage.Id)))
	})
	return card
}

// cardField returns the value of a card's field.
func mmCardField(p *model.Post, label string) string {
	v := mmCardFieldRaw(p, label)
	if m := mmLink.FindStringSubmatch(v); m != nil {
		return m[1] // the text of a markdown link
	}
	return v
}

// mmLink matches a markdown link, "[text](url)".
var mmLink = regexp.MustCompile(`^\[(.*)\]\((.*)\)$`)

// mmCardFieldRaw is a card field's value as posted.
func mmCardFieldRaw(p *model.Post, label string) string {
	for _, att := range p.Attachments() {
		for _, f := range att.Fields {
			if f.Title == label {
				return fmt.Sprint(f.Value)
			}
		}
	}
	return ""
}

// mmButton returns the ID of the button of a post that does action.
func mmButton(t *testing.T, p *model.Post, action, value string) string {
	t.Helper()
	for _, att := range p.Attachments() {
		for _, b := range att.Actions {
			if b.Integration != nil && b.Integration.Context["action"] == action && (value == "" || b.Integration.Context["value"] == value) {
				return b.Id
			}
		}
	}
	t.Fatalf("post %s has no %s button (value %q)", p.Id, action, value)
	return ""
}

// click presses a button as user through the fake server and wants it accepted.
func (w *mmWorld) click(t *testing.T, user string, p *model.Post, action, value string) mattermosttest.ClickResult {
	t.Helper()
	res, err := w.Click(context.Background(), user, p.Id, mmButton(t, p, action, value))
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("click %s on %s: %+v, %v", action, p.Id, res, err)
	}
	return res
}

// botPosts returns the messages of the bot's posts in a channel (or, with root, in that
// thread), oldest first.
func (w *mmWorld) botPosts(channel, root string) []*model.Post {
	var out []*model.Post
	posts := w.ChannelPosts(channel)
	if root != "" {
		posts = w.Thread(root)
	}
	for _, p := range posts {
		if p.UserId == w.Bot.Id {
			out = append(out, p)
		}
	}
	return out
}

// mmMessages lists the messages of posts.
func mmMessages(posts []*model.Post) []string {
	out := make([]string, len(posts))
	for i, p := range posts {
		out[i] = p.Message
	}
	return out
}

// waitPost waits for a bot post in channel (thread root, if given) whose message is msg.
func (w *mmWorld) waitPost(t *testing.T, channel, root, msg string) *model.Post {
	t.Helper()
	var found *model.Post
	mmEventually(t, fmt.Sprintf("a post %.60q", msg), func() (bool, string) {
		posts := w.botPosts(channel, root)
		for _, p := range posts {
			if p.Message == msg {
				found = p
				return true, ""
			}
		}
		return false, fmt.Sprintf("%.300q", mmMessages(posts))
	})
	return found
}

// waitReaction waits for the bot's reaction emoji on a post.
func (w *mmWorld) waitReaction(t *testing.T, postID, emoji string) {
	t.Helper()
	mmEventually(t, emoji+" on "+postID, func() (bool, string) {
		got := w.ReactionsOn(postID)
		for _, e := range got {
			if e == emoji {
				return true, ""
			}
		}
		return false, strings.Join(got, ",")
	})
}

// mmDialogs waits for the n-th opened dialog and returns it.
func (w *mmWorld) dialog(t *testing.T, n int) model.OpenDialogRequest {
	t.Helper()
	var d model.OpenDialogRequest
	mmEventually(t, fmt.Sprintf("dialog %d", n), func() (bool, string) {
		ds := w.OpenedDialogs()
		if len(ds) >= n {
			d = ds[n-1]
			return true, ""
		}
		return false, fmt.Sprintf("%d dialogs", len(ds))
	})
	return d
}

// hook waits for the n-th answer the app posted to a command response URL.
func (w *mmWorld) hook(t *testing.T, n int) model.CommandResponse {
	t.Helper()
	var cr model.CommandResponse
	mmEventually(t, fmt.Sprintf("command answer %d", n), func() (bool, string) {
		hs := w.CommandResponses()
		if len(hs) >= n {
			cr = hs[n-1]
			return true, ""
		}
		return false, fmt.Sprintf("%d answers", len(hs))
	})
	return cr
}

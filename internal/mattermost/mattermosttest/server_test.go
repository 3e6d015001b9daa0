package mattermosttest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// The fake refuses what the real server would: routes the API does not have, bodies the API
// description does not allow, and an ephemeral post from a bot that is no system admin. Each
// refusal is also recorded as a failure of the test using the fake.
func TestSpecCheck(t *testing.T) {
	f := New(t, "")
	w := f.Seed()
	ctx := context.Background()
	c := model.NewAPIv4Client(f.URL)
	c.SetToken(BotToken)
	c.HTTPClient = &http.Client{Transport: jsonBodies{}}

	tests := []struct {
		name       string
		do         func() (*model.Response, error)
		wantStatus int
		wantFail   string
	}{
		{"unknown route", func() (*model.Response, error) {
			r, err := c.DoAPIGet(ctx, "/no/such/route", "")
			return model.BuildResponse(r), err
		}, 404, "no such route"},
		{"body against the spec", func() (*model.Response, error) {
			r, err := c.DoAPIPost(ctx, "/posts", `{"message": 5}`)
			return model.BuildResponse(r), err
		}, 400, "does not match"},
		{"ephemeral post without the permission", func() (*model.Response, error) {
			_, r, err := c.CreatePostEphemeral(ctx, &model.PostEphemeral{UserID: w.Agent.Id, Post: &model.Post{ChannelId: w.Triage.Id, Message: "x"}})
			return r, err
		}, 403, ""},
		{"post longer than Mattermost allows", func() (*model.Response, error) {
			_, r, err := c.CreatePost(ctx, &model.Post{ChannelId: w.Triage.Id, Message: strings.Repeat("é", MaxPostRunes+1), FileIds: model.StringArray{}, Props: model.StringInterface{}})
			return r, err
		}, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.do()
			if err == nil || resp == nil || resp.StatusCode != tt.wantStatus {
				t.Fatalf("got %v, %v; want status %d", resp, err, tt.wantStatus)
			}
			f.Mu.Lock()
			failures := f.Failures
			f.Failures = nil // expected here; do not fail the test at its end
			f.Mu.Unlock()
			switch {
			case tt.wantFail == "" && len(failures) != 0:
				t.Errorf("failures = %q, want none", failures)
			case tt.wantFail != "" && (len(failures) != 1 || !strings.Contains(failures[0], tt.wantFail)):
				t.Errorf("failures = %q, want one containing %q", failures, tt.wantFail)
			}
		})
	}

	// The longest post Mattermost allows is taken.
	if _, _, err := c.CreatePost(ctx, &model.Post{ChannelId: w.Triage.Id, Message: strings.Repeat("é", MaxPostRunes), FileIds: model.StringArray{}, Props: model.StringInterface{}}); err != nil {
		t.Errorf("post of %d runes: %v", MaxPostRunes, err)
	}
}

// A person's post, edit and deletion reach the WebSockets of the channel's members as the
// events a real server sends.
func TestUserChangesReachSockets(t *testing.T) {
	f := New(t, "")
	w := f.Seed()
	ws, err := model.NewWebSocketClient4("ws"+strings.TrimPrefix(f.URL, "http"), BotToken)
	if err != nil {
		t.Fatal(err)
	}
	ws.Listen()
	defer ws.Close()
	for deadline := time.Now().Add(5 * time.Second); f.SocketCount() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the WebSocket did not authenticate")
		}
	}
	dm := f.DM(w.Bot.Id, w.Customer.Id)
	p := f.UserPost(w.Customer.Id, dm.Id, "", "hello")
	f.UserEdit(p.Id, "hello!")
	f.UserDelete(p.Id)
	f.UserPost(w.Customer.Id, w.Other.Id, "", "town square") // the bot is a member
	outsider := f.AddChannel(w.TeamID, "private", model.ChannelTypePrivate, w.Agent.Id)
	f.UserPost(w.Agent.Id, outsider.Id, "", "the bot must not see this")
	f.UserPost(w.Customer.Id, dm.Id, "", "last")

	want := []string{"posted:hello", "post_edited:hello!", "post_deleted:hello!", "posted:town square", "posted:last"}
	var got []string
	for len(got) < len(want) {
		var ev *model.WebSocketEvent
		select {
		case ev = <-ws.EventChannel:
		case <-time.After(5 * time.Second):
			t.Fatalf("events so far %q, want %q", got, want)
		}
		if ev.EventType() == model.WebsocketEventHello {
			continue
		}
		var post model.Post
		raw, _ := ev.GetData()["post"].(string)
		if err := json.Unmarshal([]byte(raw), &post); err != nil {
			t.Fatalf("%s event without a post: %v", ev.EventType(), err)
		}
		got = append(got, string(ev.EventType())+":"+post.Message)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %q, want %q", i, got[i], want[i])
		}
	}
	if got := f.SocketCount(); got != 1 {
		t.Errorf("%d sockets, want 1", got)
	}
	f.DropSockets(true)
	res, err := http.Get(f.URL + "/api/v4/websocket")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || f.Dialled() != 2 || f.SocketCount() != 0 {
		t.Errorf("after DropSockets(true): dial answered %d, %d dials, %d sockets", res.StatusCode, f.Dialled(), f.SocketCount())
	}
}

// jsonBodies labels Client4's JSON bodies, as the API description requires.
type jsonBodies struct{}

func (jsonBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Header.Get("Content-Type") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Content-Type", "application/json")
	}
	return http.DefaultTransport.RoundTrip(r)
}

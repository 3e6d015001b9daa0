package mattermost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
)

// The fuzz targets of this file feed any WebSocket message, button click, dialog submission
// and slash command to the adapter and check what comes out: every event it hands over is one
// the core can take (a known kind, an ID, the platform's name, a time that can be recorded,
// the fields its kind needs) and reads back the same once recorded as JSON; a click's and a
// dialog's signed context comes back exactly as it was signed; and an HTTP request is answered
// 2xx or 4xx, never 5xx (the fake ingester records everything).

// fuzzTriage and fuzzBot are the adapter's triage channel and bot user in the fuzz targets.
const (
	fuzzTriage = "triagechannelid0000000000a"
	fuzzBot    = "botuserid00000000000000000"
)

// fuzzIngester keeps the events of one input.
type fuzzIngester struct {
	mu     sync.Mutex
	events []desk.Event
}

func (f *fuzzIngester) Ingest(_ context.Context, ev desk.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, ev)
	return nil
}

func (f *fuzzIngester) Discard(string, desk.DropReason) {}

func (f *fuzzIngester) take() []desk.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	evs := f.events
	f.events = nil
	return evs
}

// fuzzAdapter is an adapter as Start leaves it, talking to a server that knows nobody and no
// channel (404 to everything): a post's author is then known by ID only, and a channel whose
// type the event does not give is no DM.
func fuzzAdapter(f *testing.F) (*Adapter, *fuzzIngester) {
	f.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"id":"app.not_found","message":"not found","status_code":404}`))
	}))
	f.Cleanup(srv.Close)
	in := &fuzzIngester{}
	a, err := New(Config{URL: srv.URL, Token: "t", Team: "support", TriageChannel: "triage",
		CommandTokens: []string{"cmd-token"}, PublicURL: "https://desk.example.com", Secret: testSecret}, in, discardLogger())
	if err != nil {
		f.Fatal(err)
	}
	a.botID, a.triageID = fuzzBot, fuzzTriage
	return a, in
}

// checkEvent fails t unless ev is an event the core can take, and that reads back the same
// once recorded.
func checkEvent(t *testing.T, ev desk.Event) {
	t.Helper()
	switch {
	case ev.Platform != PlatformName:
		t.Fatalf("event of platform %q: %+v", ev.Platform, ev)
	case !ev.Kind.Valid():
		t.Fatalf("event of unknown kind %q: %+v", ev.Kind, ev)
	case ev.ID == "":
		// A post without its author is handed over as it is: the core refuses it (EINVALID)
		// and handle passes it by.
		t.Fatalf("event without an ID: %+v", ev)
	case ev.At.IsZero() || ev.At.Year() < 1970 || ev.At.Year() > 9999:
		t.Fatalf("event at %v: %+v", ev.At, ev)
	}
	switch ev.Kind {
	case desk.CustomerMessage, desk.CustomerEdit, desk.CustomerDelete:
		if ev.Channel == "" || ev.Message == "" || ev.Channel == fuzzTriage || ev.Thread != "" {
			t.Fatalf("customer event without its channel and message, or in the triage channel: %+v", ev)
		}
	case desk.AgentReply, desk.AgentEdit, desk.AgentDelete:
		if ev.Channel != fuzzTriage || ev.Message == "" || ev.Thread == "" {
			t.Fatalf("agent event outside a thread of the triage channel: %+v", ev)
		}
	case desk.ThreadDeleted:
		if ev.Channel != fuzzTriage || ev.Thread == "" {
			t.Fatalf("thread deletion without the triage channel or thread: %+v", ev)
		}
	}
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatalf("event cannot be recorded: %v: %+v", err, ev)
	}
	var back desk.Event
	if err := json.Unmarshal(body, &back); err != nil || !back.At.Equal(ev.At) {
		t.Fatalf("recorded event does not read back: %v: %s", err, body)
	}
	back.At = ev.At
	// An empty form or file list is left out of the record, and reads back nil.
	if len(ev.Form) == 0 {
		ev.Form = nil
	}
	if len(ev.Files) == 0 {
		ev.Files = nil
	}
	// A string that is not UTF-8 is recorded with U+FFFD in its place (and the core refuses
	// such a text); everything else reads back as it was.
	if utf8.ValidString(fmt.Sprintf("%+v", ev)) && !reflect.DeepEqual(back, ev) {
		t.Fatalf("recorded event reads back as\n%+v\nwas\n%+v", back, ev)
	}
}

// FuzzWebSocketEvent decodes any WebSocket message the way the event loop does and handles it.
func FuzzWebSocketEvent(f *testing.F) {
	post := func(p string) string { b, _ := json.Marshal(p); return string(b) }
	for _, s := range []string{
		`{"event":"hello","data":{"server_version":"9.0.0"},"broadcast":{"user_id":"u1"},"seq":0}`,
		`{"event":"posted","data":{"channel_type":"D","post":` + post(`{"id":"post1","channel_id":"dm1","user_id":"cust1","create_at":1700000000000,"message":"hi @channel","file_ids":["f1"]}`) + `},"seq":1}`,
		`{"event":"posted","data":{"channel_type":"O","post":` + post(`{"id":"post2","channel_id":"`+fuzzTriage+`","root_id":"card1","user_id":"agent1","create_at":1700000000001,"message":"on it"}`) + `},"seq":2}`,
		`{"event":"post_edited","data":{"post":` + post(`{"id":"post1","channel_id":"dm1","user_id":"cust1","create_at":1,"edit_at":1700000000002,"message":"edited"}`) + `},"seq":3}`,
		`{"event":"post_deleted","data":{"delete_by":"agent1","post":` + post(`{"id":"card1","channel_id":"`+fuzzTriage+`","user_id":"`+fuzzBot+`","delete_at":1700000000003}`) + `},"seq":4}`,
		`{"event":"posted","data":{"channel_type":"D","post":` + post(`{"id":"post3","channel_id":"dm1","user_id":"cust1","create_at":9223372036854775807}`) + `},"seq":5}`,
	} {
		f.Add([]byte(s))
	}
	a, in := fuzzAdapter(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, msg []byte) {
		ev, err := model.WebSocketEventFromJSON(bytes.NewReader(msg))
		if err != nil || ev == nil {
			return
		}
		a.curMu.Lock()
		a.recent = map[string]int64{} // each input stands alone: nothing was seen before it
		a.curMu.Unlock()
		if err := a.onEvent(ctx, ev); err != nil {
			t.Fatalf("onEvent(%s): %v", msg, err)
		}
		evs := in.take()
		if len(evs) > 1 {
			t.Fatalf("one WebSocket event gave %d events: %+v", len(evs), evs)
		}
		for _, e := range evs {
			checkEvent(t, e)
		}
	})
}

// serve sends body to h and returns the status.
func serve(h http.Handler, path, contentType string, body []byte, header ...string) int {
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec.Code
}

// withField puts value at key into body when body is a JSON object; otherwise body stays as
// it is, for the handler to refuse.
func withField(body []byte, key string, value any) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil || m == nil {
		return body
	}
	m[key] = value
	out, _ := json.Marshal(m)
	return out
}

// checkAnswered fails t unless status is 2xx or 4xx, with events only on a 2xx.
func checkAnswered(t *testing.T, status int, evs []desk.Event, input []byte) {
	t.Helper()
	if status < 200 || status >= 500 || (status >= 300 && status < 400) {
		t.Fatalf("status %d for %q", status, input)
	}
	if status >= 400 && len(evs) > 0 {
		t.Fatalf("status %d, yet events were handed over: %+v", status, evs)
	}
	if len(evs) > 1 {
		t.Fatalf("one request gave %d events: %+v", len(evs), evs)
	}
	for _, ev := range evs {
		checkEvent(t, ev)
	}
}

// FuzzAction sends any click to /mattermost/actions, its context signed for action, value and
// ticket when the body is a JSON object.
func FuzzAction(f *testing.F) {
	f.Add([]byte(`{"user_id":"agent1","user_name":"alex","channel_id":"`+fuzzTriage+`","post_id":"card1","trigger_id":"trig1"}`), "claim", "", "12")
	f.Add([]byte(`{"user_id":"agent1","channel_id":"dm1","post_id":"p1","context":{"action":"x"}}`), "rate", "5", "#7")
	f.Add([]byte(`[1,2]`), "", "", "")
	a, in := fuzzAdapter(f)
	h := a.ActionHandler()
	f.Fuzz(func(t *testing.T, body []byte, action, value, ticket string) {
		signed := withField(body, "context", signAction(testSecret, action, value, ticket, len(body)%2 == 0))
		status := serve(h, "/mattermost/actions", "application/json", signed)
		evs := in.take()
		checkAnswered(t, status, evs, signed)
		for _, ev := range evs {
			if ev.Kind != desk.ActionPressed || ev.Action != action || ev.Value != value {
				t.Fatalf("click signed for %q %q reads as %+v", action, value, ev)
			}
			if n, err := strconv.ParseInt(strings.TrimPrefix(ticket, "#"), 10, 64); err == nil && ev.Ticket != desk.TicketID(n) {
				t.Fatalf("click signed for ticket %q reads as ticket %d", ticket, ev.Ticket)
			}
		}
	})
}

// FuzzDialog sends any dialog submission to /mattermost/dialogs, its state signed for form,
// context and post when the body is a JSON object.
func FuzzDialog(f *testing.F) {
	f.Add([]byte(`{"type":"dialog_submission","callback_id":"x","user_id":"agent1","channel_id":"`+fuzzTriage+`","submission":{"tags":"a,b","n":3,"ok":true,"multi":["x","",1.5]}}`), "tag", "12", "card1")
	f.Add([]byte(`{"user_id":"u1","cancelled":true}`), "close", "7", "")
	f.Add([]byte(`{"user_id":"u1","submission":null}`), "", "", "")
	a, in := fuzzAdapter(f)
	h := a.DialogHandler()
	f.Fuzz(func(t *testing.T, body []byte, form, formContext, post string) {
		state, err := signState(testSecret, dialogState{Form: form, Context: formContext, Post: post})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := verifyState(testSecret, state); err != nil || got.Form != form || got.Context != formContext || got.Post != post {
			if utf8.ValidString(form) && utf8.ValidString(formContext) && utf8.ValidString(post) {
				t.Fatalf("state signed for %q %q %q verifies as %+v, %v", form, formContext, post, got, err)
			}
		}
		signed := withField(body, "state", state)
		status := serve(h, "/mattermost/dialogs", "application/json", signed)
		evs := in.take()
		checkAnswered(t, status, evs, signed)
		for _, ev := range evs {
			if ev.Kind != desk.FormSubmitted || (utf8.ValidString(form) && utf8.ValidString(formContext) && (ev.Action != form || ev.Value != formContext)) {
				t.Fatalf("dialog signed for %q %q reads as %+v", form, formContext, ev)
			}
		}
	})
}

// FuzzCommand sends any form body to /mattermost/command with the right token.
func FuzzCommand(f *testing.F) {
	f.Add([]byte("channel_id=c1&command=%2Fdesk&text=+claim+12+&trigger_id=t1&user_id=u1&user_name=alex&response_url=https%3A%2F%2Fmm.example.com%2Fhooks%2Fcommands%2Fx"))
	f.Add([]byte("channel_id=c1&command=desk&user_id=u1"))
	f.Add([]byte("user_id=u1"))
	a, in := fuzzAdapter(f)
	h := a.CommandHandler()
	f.Fuzz(func(t *testing.T, body []byte) {
		status := serve(h, "/mattermost/command", "application/x-www-form-urlencoded", body, "Authorization", "Token cmd-token")
		evs := in.take()
		checkAnswered(t, status, evs, body)
		for _, ev := range evs {
			if ev.Kind != desk.CommandRun || ev.Channel == "" || !strings.HasPrefix(ev.Action, "/") && ev.Action != "" {
				t.Fatalf("command reads as %+v", ev)
			}
		}
	})
}

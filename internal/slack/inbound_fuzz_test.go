package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/threadesk/threadesk/internal/desk"
)

// The fuzz targets of this file send any body, correctly signed, to the adapter's three
// endpoints (events, interactivity, commands) and check what comes out: the request is
// answered 200 or 4xx, never 5xx (the fake ingester records everything), and every event the
// adapter hands over is one the core can take: a known kind, an ID, the platform's name, a
// time that can be recorded, and the fields its kind needs; recorded as JSON, it reads back
// the same.

// fuzzTriage, fuzzBotUser and fuzzBot are the adapter's identity in the fuzz targets; the seeds
// use them so that the fuzzer starts from messages in the triage channel and the app's own.
const (
	fuzzTriage  = "C0TRIAGE"
	fuzzBotUser = "U0BOT"
	fuzzBot     = "B0BOT"
)

// fuzzIngester keeps the events of one request.
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

// fuzzAdapter is an adapter as Start leaves it, without a Slack to talk to: its handlers make
// no call out.
func fuzzAdapter(f *testing.F) (*Adapter, *fuzzIngester) {
	f.Helper()
	in := &fuzzIngester{}
	a, err := New(Config{BotToken: fakeBotToken, SigningSecret: testSecret, TriageChannel: fuzzTriage, APIURL: "http://127.0.0.1:1/"},
		in, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		f.Fatal(err)
	}
	a.mu.Lock()
	a.botUserID, a.botID, a.triageID = fuzzBotUser, fuzzBot, fuzzTriage
	a.mu.Unlock()
	return a, in
}

// serveSigned sends body to h as Slack would, signed with the test secret, and returns the
// status.
func serveSigned(h http.Handler, path, contentType string, body []byte) int {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
	r.Header.Set("Content-Type", contentType)
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec.Code
}

// checkDecoded fails t unless the request was answered 200 or 4xx (not 401: the signature is
// right) and every event is one the core can record.
func checkDecoded(t *testing.T, status int, evs []desk.Event, input []byte) {
	t.Helper()
	if status >= 500 || status == http.StatusUnauthorized || status < 200 {
		t.Fatalf("status %d for %q", status, input)
	}
	if status != http.StatusOK && len(evs) > 0 {
		t.Fatalf("status %d, yet events were handed over: %+v", status, evs)
	}
	for _, ev := range evs {
		checkEvent(t, ev)
	}
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
		t.Fatalf("event without an ID: %+v", ev)
	case ev.At.IsZero() || ev.At.Year() < 1970 || ev.At.Year() > 9999:
		t.Fatalf("event at %v: %+v", ev.At, ev)
	}
	switch ev.Kind {
	case desk.CustomerMessage, desk.CustomerEdit, desk.CustomerDelete:
		// A message event without its channel or ts is handed over as it is: the core
		// refuses it (EINVALID, 400 and no retry) and counts it as invalid.
		if ev.Channel == fuzzTriage || ev.Thread != "" {
			t.Fatalf("customer event in the triage channel or a thread: %+v", ev)
		}
	case desk.AgentReply, desk.AgentEdit, desk.AgentDelete:
		// Without its ts (Message) it is refused by the core, as a customer's is.
		if ev.Channel != fuzzTriage || ev.Thread == "" || ev.Thread == ev.Message {
			t.Fatalf("agent event outside a thread of the triage channel: %+v", ev)
		}
	case desk.ThreadDeleted:
		if ev.Channel != fuzzTriage || ev.Thread == "" {
			t.Fatalf("thread deletion without the triage channel or thread: %+v", ev)
		}
	case desk.CommandRun:
		if ev.User.ID == "" || ev.Action == "" {
			t.Fatalf("command without user or command: %+v", ev)
		}
	}
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatalf("event cannot be recorded: %v: %+v", err, ev)
	}
	var back desk.Event
	if err := json.Unmarshal(body, &back); err != nil {
		t.Fatalf("recorded event does not read back: %v: %s", err, body)
	}
	if !back.At.Equal(ev.At) {
		t.Fatalf("recorded event reads back at %v, was %v", back.At, ev.At)
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
	again, _ := json.Marshal(back)
	var backAgain desk.Event
	if err := json.Unmarshal(again, &backAgain); err != nil || !backAgain.At.Equal(back.At) {
		t.Fatalf("event recorded again does not read back: %v: %s", err, again)
	}
	backAgain.At = back.At
	if !reflect.DeepEqual(backAgain, back) {
		t.Fatalf("recorded event %s reads back as %s", body, again)
	}
}

// FuzzEvents sends any Events API body to /slack/events.
func FuzzEvents(f *testing.F) {
	for _, s := range []string{
		`{"type":"url_verification","challenge":"abc"}`,
		`{"type":"event_callback","event_id":"Ev1","event":{"type":"message","channel":"D1","channel_type":"im","user":"U1","text":"hi @here","ts":"1700000000.000100"}}`,
		`{"type":"event_callback","event_id":"Ev2","event":{"type":"message","channel":"C0TRIAGE","channel_type":"channel","user":"U2","text":"on it","ts":"1700000001.000200","thread_ts":"1700000000.000100"}}`,
		`{"type":"event_callback","event_id":"Ev3","event":{"type":"message","subtype":"message_deleted","channel":"C0TRIAGE","deleted_ts":"1700000000.000100","previous_message":{"user":"U0BOT","bot_id":"B0BOT","ts":"1700000000.000100"}}}`,
		`{"type":"event_callback","event_id":"Ev4","event":{"type":"message","subtype":"message_changed","channel":"D1","message":{"user":"U1","text":"new","ts":"1.2"},"previous_message":{"user":"U1","text":"old","ts":"1.2"},"event_ts":"99999999999999"}}`,
	} {
		f.Add([]byte(s))
	}
	a, in := fuzzAdapter(f)
	h := a.EventsHandler()
	f.Fuzz(func(t *testing.T, body []byte) {
		status := serveSigned(h, "/slack/events", "application/json", body)
		checkDecoded(t, status, in.take(), body)
	})
}

// FuzzInteraction sends any interaction payload (block_actions, view_submission, …) to
// /slack/interactivity, in the form Slack posts it.
func FuzzInteraction(f *testing.F) {
	for _, s := range []string{
		`{"type":"block_actions","trigger_id":"T1","user":{"id":"U1","name":"alex"},"channel":{"id":"C0TRIAGE"},"message":{"ts":"1.1","thread_ts":"1.1"},"actions":[{"action_id":"claim","value":"12","action_ts":"1700000000.1"}]}`,
		`{"type":"view_submission","trigger_id":"T2","user":{"id":"U1"},"view":{"callback_id":"close","private_metadata":"12","state":{"values":{"b":{"reason":{"type":"plain_text_input","value":"done"}}}}}}`,
		`{"type":"view_closed","user":{"id":"U1"}}`,
		`{"type":"block_actions","user":{"id":"U1"},"actions":[]}`,
	} {
		f.Add([]byte(s))
	}
	a, in := fuzzAdapter(f)
	h := a.InteractivityHandler()
	f.Fuzz(func(t *testing.T, payload []byte) {
		body := []byte(url.Values{"payload": {string(payload)}}.Encode())
		status := serveSigned(h, "/slack/interactivity", "application/x-www-form-urlencoded", body)
		checkDecoded(t, status, in.take(), payload)
	})
}

// FuzzCommand sends any form body to /slack/commands.
func FuzzCommand(f *testing.F) {
	for _, s := range []string{
		"command=%2Fdesk&text=claim+12&user_id=U1&user_name=alex&channel_id=C1&trigger_id=T1&response_url=https%3A%2F%2Fhooks.slack.com%2Fx",
		"command=%2Fdesk&text=&user_id=U1",
		"ssl_check=1&token=x",
		"command=%2Fdesk&user_id=U1&text=%ff%fe",
	} {
		f.Add([]byte(s))
	}
	a, in := fuzzAdapter(f)
	h := a.CommandsHandler()
	f.Fuzz(func(t *testing.T, body []byte) {
		status := serveSigned(h, "/slack/commands", "application/x-www-form-urlencoded", body)
		checkDecoded(t, status, in.take(), body)
	})
}

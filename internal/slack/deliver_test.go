package slack

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// TestEventStatusesComeFromWebStatus: what the core answers an event decides the status Slack
// gets, through the one table (web.Status). An event refused for what it is gets its 4xx and
// X-Slack-No-Retry (Slack would retry it three times, in vain); one that could not be recorded
// gets a 5xx that Slack retries. No internal cause (a Redis address) ever reaches the body.
func TestEventStatusesComeFromWebStatus(t *testing.T) {
	redis := errors.New("dial tcp 10.0.0.7:6379: connect: connection refused")
	tests := []struct {
		name    string
		err     error
		want    int
		noRetry bool
		body    string // what the error body says, if any
	}{
		{"recorded", nil, 200, false, ""},
		{"invalid", desk.Errorf(desk.EINVALID, "event has no user"), 400, true, "event has no user"},
		{"too large", desk.Errorf(desk.ETOOLARGE, "message text is larger than 163840 bytes"), 413, true, "message text is larger than 163840 bytes"},
		{"store down", desk.Errorf(desk.EUNAVAILABLE, "cannot record the event now: %v", redis), 503, false, "temporarily unavailable; try again later"},
		{"other failure", redis, 500, false, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeSlack(t)
			in := newIngester()
			in.failWith(tt.err)
			a := newTestAdapter(t, fake, in)
			w := postEvent(t, a, dmEvent(t, "EvM1", "hello"))
			if w.Code != tt.want {
				t.Errorf("status: got %d, want %d", w.Code, tt.want)
			}
			if got := w.Header().Get("X-Slack-No-Retry") == "1"; got != tt.noRetry {
				t.Errorf("X-Slack-No-Retry: got %v, want %v", got, tt.noRetry)
			}
			if tt.body != "" {
				var body struct{ Error string }
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error != tt.body {
					t.Errorf("body: got %q (%v), want error %q", w.Body, err, tt.body)
				}
			}
			if strings.Contains(w.Body.String(), "6379") {
				t.Errorf("body %q shows Redis's address", w.Body)
			}
		})
	}
}

// TestRequestErrorsAreJSON: every Slack endpoint answers its own refusals through web.Error:
// a JSON body with the reason, and X-Slack-No-Retry on every refusal but a bad signature.
func TestRequestErrorsAreJSON(t *testing.T) {
	fake := newFakeSlack(t)
	in := newIngester()
	a := newTestAdapter(t, fake, in)
	tests := []struct {
		name    string
		h       http.Handler
		ctype   string
		body    string
		want    int
		noRetry bool
	}{
		{"events: not JSON", a.EventsHandler(), "application/json", `{"type":`, 400, true},
		{"interactivity: no payload", a.InteractivityHandler(), "application/x-www-form-urlencoded", "nopayload=1", 400, true},
		{"commands: no command", a.CommandsHandler(), "application/x-www-form-urlencoded", "text=hi", 400, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(tt.h, signedRequest(t, "/slack/x", tt.ctype, []byte(tt.body), testSecret, time.Now()))
			var body struct{ Error string }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error == "" || w.Code != tt.want {
				t.Errorf("got %d %q (%v), want %d with a JSON error", w.Code, w.Body, err, tt.want)
			}
			if got := w.Header().Get("X-Slack-No-Retry") == "1"; got != tt.noRetry {
				t.Errorf("X-Slack-No-Retry: got %v, want %v", got, tt.noRetry)
			}
		})
	}
	t.Run("bad signature", func(t *testing.T) {
		w := serve(a.EventsHandler(), signedRequest(t, "/slack/events", "application/json", mustJSON(t, dmEvent(t, "EvSig", "hi")), "wrong", time.Now()))
		var body struct{ Error string }
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 401 || body.Error != "invalid Slack signature" {
			t.Errorf("got %d %q (%v), want 401 invalid Slack signature", w.Code, w.Body, err)
		}
		if w.Header().Get("X-Slack-No-Retry") != "" {
			t.Errorf("a bad signature must stay retryable")
		}
	})
	t.Run("wrong method", func(t *testing.T) {
		r := signedRequest(t, "/slack/commands", "text/plain", nil, testSecret, time.Now())
		r.Method = http.MethodPut
		w := serve(a.CommandsHandler(), r)
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != http.MethodPost {
			t.Errorf("PUT: got %d Allow %q, want 405 Allow POST", w.Code, w.Header().Get("Allow"))
		}
	})
	if events, discarded := in.got(); len(events)+len(discarded) != 0 {
		t.Errorf("refused requests reached the ingester: %v %v", events, discarded)
	}
}

package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/threadesk/threadesk/internal/desk"
)

// fakeIngester records what the sandbox hands the app, and fails while fail is set.
type fakeIngester struct {
	mu       sync.Mutex
	events   []desk.Event
	discards []string
	fail     error
	got      chan desk.Event
}

func newFakeIngester() *fakeIngester { return &fakeIngester{got: make(chan desk.Event, 100)} }

func (f *fakeIngester) Ingest(ctx context.Context, ev desk.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.events = append(f.events, ev)
	f.got <- ev
	return nil
}

func (f *fakeIngester) Discard(platform string, reason desk.DropReason) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.discards = append(f.discards, platform+"/"+string(reason))
}

func (f *fakeIngester) setFail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

func (f *fakeIngester) Events() []desk.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]desk.Event(nil), f.events...)
}

func (f *fakeIngester) Discards() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.discards...)
}

// last returns the only event recorded since n events, failing the test otherwise.
func (f *fakeIngester) last(t *testing.T, n int) desk.Event {
	t.Helper()
	evs := f.Events()
	if len(evs) != n+1 {
		t.Fatalf("ingested %d events, want %d", len(evs), n+1)
	}
	return evs[n]
}

type fixture struct {
	sb    *Sandbox
	ing   *fakeIngester
	clock *clockwork.FakeClock
	h     http.Handler
}

func newFixture(t *testing.T, tweak ...func(*Options)) *fixture {
	t.Helper()
	ing := newFakeIngester()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	opts := Options{
		Ingester: ing, Clock: clock, MaxUpload: 1 << 10,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, f := range tweak {
		f(&opts)
	}
	sb := New(opts)
	t.Cleanup(sb.Close)
	return &fixture{sb: sb, ing: ing, clock: clock, h: sb.Handler()}
}

// event waits for the next event the page's actions hand to the app, which must be of kind.
func (f *fixture) event(t *testing.T, kind desk.EventKind) desk.Event {
	t.Helper()
	select {
	case ev := <-f.ing.got:
		if ev.Kind != kind {
			t.Fatalf("ingested %s, want %s: %+v", ev.Kind, kind, ev)
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s event within 10s", kind)
	}
	panic("unreachable")
}

// call sends a JSON request to the handler and decodes the JSON answer.
func (f *fixture) call(t *testing.T, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return f.serve(t, req)
}

func (f *fixture) serve(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	var out map[string]any
	if ct := rec.Header().Get("Content-Type"); ct == "application/json" {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: bad JSON answer %q: %v", req.Method, req.URL.Path, rec.Body.String(), err)
		}
	}
	return rec.Code, out
}

// user creates a person through the API and returns their ID.
func (f *fixture) user(t *testing.T, name string, role Role) string {
	t.Helper()
	code, out := f.call(t, "POST", "/sandbox/api/users", map[string]any{"name": name, "role": role})
	if code != http.StatusCreated {
		t.Fatalf("create %s: status %d %v", name, code, out)
	}
	return out["id"].(string)
}

// dm returns a user's DM channel.
func (f *fixture) dm(t *testing.T, userID string) string {
	t.Helper()
	ch, err := f.sb.OpenDM(context.Background(), userID)
	if err != nil {
		t.Fatalf("open DM: %v", err)
	}
	return ch
}

// card posts a ticket card as the root of a thread in the triage channel.
func (f *fixture) card(t *testing.T) desk.MessageRef {
	t.Helper()
	ref, err := f.sb.Post(context.Background(), desk.Outgoing{
		Channel: TriageChannel, Text: "Ticket #1", Key: "card-1",
		Card: &desk.Card{
			Title:   "Ticket #1 · Ada",
			Fields:  []desk.Field{{Label: "Status", Value: "new", Short: true}},
			Actions: []desk.Action{{ID: "claim", Label: "Claim", Value: "1", Style: "primary"}, {ID: "tag", Label: "Tag…", Value: "1"}},
		},
	})
	if err != nil {
		t.Fatalf("post card: %v", err)
	}
	return ref
}

// message returns the sandbox's view of a message.
func (f *fixture) message(t *testing.T, id string) messageView {
	t.Helper()
	f.sb.mu.Lock()
	defer f.sb.mu.Unlock()
	m, ok := f.sb.messages[id]
	if !ok {
		t.Fatalf("no message %s", id)
	}
	return viewMessage(m)
}

// deliveryReason returns the Reason of err's *desk.DeliveryError, or "" when it has none.
func deliveryReason(err error) string {
	var de *desk.DeliveryError
	if errors.As(err, &de) {
		return de.Reason
	}
	return ""
}

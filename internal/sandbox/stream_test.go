package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// sse reads Server-Sent Events from a stream.
type sse struct {
	t     *testing.T
	lines chan string
}

type sseEvent struct {
	name string
	data string
}

func openStream(t *testing.T, url string) (*sse, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/sandbox/stream", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("open stream: %v", err)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/event-stream" {
		t.Fatalf("stream Content-Type = %q", got)
	}
	s := &sse{t: t, lines: make(chan string, 100)}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	return s, func() { cancel(); resp.Body.Close() }
}

// next returns the next event, or a comment as an event named ":".
func (s *sse) next() (sseEvent, bool) {
	s.t.Helper()
	var ev sseEvent
	timeout := time.After(5 * time.Second)
	for {
		select {
		case line, ok := <-s.lines:
			switch {
			case !ok:
				return ev, false
			case strings.HasPrefix(line, ":"):
				return sseEvent{name: ":", data: line}, true
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			case line == "" && ev.name != "":
				return ev, true
			}
		case <-timeout:
			s.t.Fatalf("no event from the stream within 5s")
		}
	}
}

func (s *sse) want(name string, v any) {
	s.t.Helper()
	ev, ok := s.next()
	if !ok || ev.name != name {
		s.t.Fatalf("stream event = %q (ok %v), want %q", ev.name, ok, name)
	}
	if err := json.Unmarshal([]byte(ev.data), v); err != nil {
		s.t.Fatalf("decode %s: %v", name, err)
	}
}

func TestStream(t *testing.T) {
	f := newFixture(t)
	ada := f.user(t, "Ada", RoleCustomer)
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)

	s, stop := openStream(t, srv.URL)
	defer stop()
	var snap snapshotView
	s.want("snapshot", &snap)
	if len(snap.Users) != 1 || snap.Users[0].ID != ada || snap.Triage != "triage" || snap.Command != "/desk" || snap.MaxText != 4000 || snap.MaxUpload != 1<<10 {
		t.Errorf("snapshot = %+v", snap)
	}
	// The instance tells the page of a restart: another sandbox has another.
	if other := New(Options{}).snapshot().Instance; snap.Instance == "" || snap.Instance == other {
		t.Errorf("snapshot instance = %q, another sandbox's %q: want both set and different", snap.Instance, other)
	}

	bob := f.user(t, "Bob", RoleAgent)
	var u userView
	s.want("user", &u)
	if u.ID != bob || u.Role != RoleAgent {
		t.Errorf("user event = %+v", u)
	}

	ref := f.card(t)
	var m messageView
	s.want("message", &m)
	if m.ID != ref.ID || m.Card == nil || m.Card.Title != "Ticket #1 · Ada" || len(m.Card.Actions) != 2 || m.Card.Actions[0].ID != "claim" {
		t.Errorf("message event = %+v", m)
	}
	if err := f.sb.Mark(context.Background(), ref, desk.MarkDelivered); err != nil {
		t.Fatal(err)
	}
	s.want("message", &m)
	if len(m.Marks) != 1 || m.Marks[0] != desk.MarkDelivered {
		t.Errorf("marks after Mark = %v", m.Marks)
	}

	f.call(t, "POST", "/sandbox/api/actions", map[string]any{"user": bob, "message": ref.ID, "action": "tag", "value": "1"})
	if err := f.sb.OpenForm(context.Background(), f.ing.last(t, 0).Trigger, desk.Form{ID: "tag", Title: "Tag"}); err != nil {
		t.Fatal(err)
	}
	var form formView
	s.want("form", &form)
	if form.User != bob || form.FormID != "tag" {
		t.Errorf("form event = %+v", form)
	}
	f.call(t, "POST", "/sandbox/api/forms/"+form.ID+"/cancel", map[string]any{"user": bob})
	var closed map[string]string
	s.want("form_closed", &closed)
	if closed["id"] != form.ID {
		t.Errorf("form_closed = %v", closed)
	}

	// A second stream starts from everything that happened.
	s2, stop2 := openStream(t, srv.URL)
	defer stop2()
	s2.want("snapshot", &snap)
	if len(snap.Users) != 2 || len(snap.Messages) != 1 || len(snap.Forms) != 0 {
		t.Errorf("second snapshot: %d users, %d messages, %d forms", len(snap.Users), len(snap.Messages), len(snap.Forms))
	}
}

func TestStreamHeartbeatAndClose(t *testing.T) {
	sb := New(Options{Heartbeat: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	s, stop := openStream(t, srv.URL)
	defer stop()
	var snap snapshotView
	s.want("snapshot", &snap)
	if ev, ok := s.next(); !ok || ev.name != ":" {
		t.Errorf("after the snapshot: %+v, want a heartbeat comment", ev)
	}
	sb.Close()
	for {
		ev, ok := s.next()
		if !ok {
			break // the stream ended
		}
		if ev.name != ":" {
			t.Fatalf("event %q after Close", ev.name)
		}
	}
	rec := httptest.NewRecorder()
	sb.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/sandbox/stream", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("stream after Close: status %d, want 503", rec.Code)
	}
}

func TestSlowStreamIsDropped(t *testing.T) {
	f := newFixture(t)
	sub, _, err := f.sb.subscribe()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i <= streamBuffer; i++ {
		if _, err := f.sb.Post(context.Background(), desk.Outgoing{Channel: TriageChannel, Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for range sub.ch {
		n++
	}
	if n != streamBuffer {
		t.Errorf("a stream that never read got %d changes before being dropped, want %d", n, streamBuffer)
	}
	f.sb.unsubscribe(sub) // a no-op for a dropped stream; must not panic
}

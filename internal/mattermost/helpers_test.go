package mattermost

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef-test")

// fakeIngester records events the way the core's queue does: a second event with the same ID
// is a redelivery and not recorded again (but counted, so tests can see overlaps).
type fakeIngester struct {
	mu       sync.Mutex
	events   []desk.Event
	attempts map[string]int
	discards map[desk.DropReason]int
	failNext int   // fail this many Ingest calls
	refuse   error // returned instead of recording, while set
	changed  chan struct{}

	// hold, when set, keeps every Ingest waiting until it is closed or the call's context
	// ends; then, after giveUp, nothing is recorded. holding counts the calls that waited,
	// gaveUp those that returned so.
	hold    chan struct{}
	giveUp  time.Duration
	holding int
	gaveUp  int
	// busyWait is how long Ingest waits for a busy queue shard when its context allows it
	// (desk.IntakeWaitAllowed), as the core does when the customer's shard holds a backlog;
	// waited counts those waits by event ID.
	busyWait time.Duration
	waited   map[string]int
}

func newIngester() *fakeIngester {
	return &fakeIngester{attempts: map[string]int{}, discards: map[desk.DropReason]int{}, waited: map[string]int{}, changed: make(chan struct{}, 1)}
}

func (in *fakeIngester) Ingest(ctx context.Context, ev desk.Event) error {
	in.mu.Lock()
	hold, busyWait := in.hold, in.busyWait
	if hold != nil {
		in.holding++
	}
	in.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			time.Sleep(in.giveUp)
			in.mu.Lock()
			in.gaveUp++
			in.mu.Unlock()
			return ctx.Err()
		}
	}
	if busyWait > 0 && desk.IntakeWaitAllowed(ctx) {
		in.mu.Lock()
		in.waited[ev.ID]++
		in.mu.Unlock()
		select {
		case <-time.After(busyWait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.refuse != nil {
		return in.refuse
	}
	if in.failNext > 0 {
		in.failNext--
		return errors.New("store unavailable")
	}
	in.attempts[ev.ID]++
	if in.attempts[ev.ID] == 1 {
		in.events = append(in.events, ev)
	}
	in.poke()
	return nil
}

func (in *fakeIngester) Discard(platform string, reason desk.DropReason) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.discards[reason]++
	in.poke()
}

func (in *fakeIngester) poke() {
	select {
	case in.changed <- struct{}{}:
	default:
	}
}

func (in *fakeIngester) snapshot() ([]desk.Event, map[string]int, map[desk.DropReason]int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	ev := append([]desk.Event(nil), in.events...)
	att := map[string]int{}
	for k, v := range in.attempts {
		att[k] = v
	}
	dis := map[desk.DropReason]int{}
	for k, v := range in.discards {
		dis[k] = v
	}
	return ev, att, dis
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitEvent waits until an event with the given ID was ingested and returns it.
func waitEvent(t *testing.T, in *fakeIngester, id string) desk.Event {
	t.Helper()
	var got desk.Event
	waitFor(t, "event "+id, func() bool {
		evs, _, _ := in.snapshot()
		for _, ev := range evs {
			if ev.ID == id {
				got = ev
				return true
			}
		}
		return false
	})
	return got
}

func testConfig(f *fakeMM) Config {
	return Config{
		URL:           f.URL,
		Token:         botToken,
		Team:          "support",
		TriageChannel: "triage",
		CommandTokens: []string{"cmd-token-one", "cmd-token-two"},
		PublicURL:     "https://desk.example.com",
		Secret:        testSecret,
		ReconnectMin:  10 * time.Millisecond,
		ReconnectMax:  50 * time.Millisecond,
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// started returns an adapter running against f until the test ends, with its WebSocket up and
// its first catch-up done, so that what the test does next arrives over the WebSocket only.
func started(t *testing.T, f *fakeMM, cfg Config, in *fakeIngester, opts ...Options) *Adapter {
	t.Helper()
	a, err := New(cfg, in, discardLogger(), opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = a.Close() })
	waitFor(t, "the WebSocket to connect", func() bool { return f.SocketCount() > 0 })
	waitFor(t, "the first catch-up", func() bool { return a.caughtUp.Load() > 0 })
	return a
}

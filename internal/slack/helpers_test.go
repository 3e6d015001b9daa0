package slack

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
)

// fakeIngester records what the adapter hands over; with err set, Ingest fails and records
// nothing, like a store that is down.
type fakeIngester struct {
	mu        sync.Mutex
	gate      func(desk.Event) // called first, outside the lock: a test may hold an event there
	err       error
	events    []desk.Event
	discarded []desk.DropReason
	notify    chan struct{}
}

// poke tells a waiting test that something happened; when nobody reads, it is dropped.
func (f *fakeIngester) poke() {
	select {
	case f.notify <- struct{}{}:
	default:
	}
}

func newIngester() *fakeIngester { return &fakeIngester{notify: make(chan struct{}, 100)} }

func (f *fakeIngester) Ingest(_ context.Context, ev desk.Event) error {
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		gate(ev)
	}
	f.mu.Lock()
	defer func() { f.mu.Unlock(); f.poke() }()
	if f.err != nil {
		return f.err
	}
	f.events = append(f.events, ev)
	return nil
}

func (f *fakeIngester) Discard(platform string, reason desk.DropReason) {
	f.mu.Lock()
	defer func() { f.mu.Unlock(); f.poke() }()
	if platform != PlatformName {
		panic("discard for platform " + platform)
	}
	f.discarded = append(f.discarded, reason)
}

func (f *fakeIngester) failWith(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeIngester) got() ([]desk.Event, []desk.DropReason) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]desk.Event(nil), f.events...), append([]desk.DropReason(nil), f.discarded...)
}

var errStoreDown = errors.New("store down")

const testSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// newTestAdapter returns an adapter started against fake, with the triage channel given by
// name so that Start resolves it.
func newTestAdapter(t *testing.T, fake *fakeSlack, in desk.Ingester, mutate ...func(*Config)) *Adapter {
	t.Helper()
	cfg := Config{
		BotToken:      fakeBotToken,
		SigningSecret: testSecret,
		TriageChannel: "#triage",
		APIURL:        fake.apiURL(),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	a, err := New(cfg, in, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); _ = a.Close() })
	if err := a.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return a
}

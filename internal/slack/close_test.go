package slack

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/threadesk/threadesk/internal/desk"
)

// TestCloseWaitsForEveryGoroutine: once Close returns, nothing the adapter started is still
// running, over HTTP and over Socket Mode (its connection, read loop and lanes included); Close
// is safe twice, at once from two goroutines, and without Start; a closed adapter does not
// start again.
func TestCloseWaitsForEveryGoroutine(t *testing.T) {
	start := func(t *testing.T, fake *fakeSlack, in *fakeIngester, socket bool) *Adapter {
		t.Helper()
		cfg := Config{BotToken: fakeBotToken, SigningSecret: testSecret, TriageChannel: "#triage", APIURL: fake.apiURL()}
		if socket {
			cfg.AppToken, cfg.SigningSecret = "xapp-1-test", ""
		}
		a, err := New(cfg, in, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Start(context.Background()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		return a
	}

	t.Run("http", func(t *testing.T) {
		fake := newFakeSlack(t)
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		a := start(t, fake, newIngester(), false)
		if err := a.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := a.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})

	t.Run("socket mode", func(t *testing.T) {
		fake := newFakeSlack(t)
		sock := newFakeSocket(t, fake)
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		in := newIngester()
		entered, release := make(chan struct{}), make(chan struct{})
		in.gate = func(desk.Event) { close(entered); <-release }
		a := start(t, fake, in, true)
		sock.connections(1)
		sock.write(envelope(t, "env-held", "events_api", dmEvent(t, "EvHeld", "held in its lane")))
		select {
		case <-entered:
		case <-time.After(5 * time.Second):
			t.Fatal("the envelope never reached the ingester")
		}
		// Two Closes at once, while the envelope is in hand: neither returns before its lane.
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					if err := a.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
				})
			}
			wg.Wait()
		}()
		select {
		case <-closed:
			t.Fatal("Close returned while an envelope was still being handled")
		case <-time.After(100 * time.Millisecond):
		}
		close(release)
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not return once the envelope was handled")
		}
	})

	t.Run("without start", func(t *testing.T) {
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		a, err := New(Config{BotToken: fakeBotToken, AppToken: "xapp-1-test", TriageChannel: fakeTriage}, newIngester(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Errorf("Close without Start: %v", err)
		}
		if err := a.Start(context.Background()); err == nil {
			t.Errorf("Start after Close: got nil, want an error")
		}
	})
}

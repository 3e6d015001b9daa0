package mattermost

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Where the goroutines the adapter started come from: its own code (test functions of this
// package excepted), and the Mattermost WebSocket client (its reader, writer and ping
// watchdog).
const (
	byAdapter  = "created by github.com/threadesk/threadesk/internal/mattermost."
	byWSClient = "created by github.com/mattermost/mattermost/server/public/model."
)

// goroutinesCreatedBy returns the stacks of the running goroutines created by code whose name
// starts with creator, other than this package's test functions.
func goroutinesCreatedBy(creator string) []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		_, by, ok := strings.Cut(g, creator)
		if ok && !strings.HasPrefix(by, "Test") {
			out = append(out, g)
		}
	}
	return out
}

// checkNoGoroutines fails the test if a goroutine the adapter started is still running. When
// Close returns, the adapter's own goroutines may still be returning (a goroutine outlives the
// WaitGroup.Done it defers), but none may be waiting for anything: that one Close did not wait
// for. The WebSocket client's goroutines return right after closing the channels Close
// drains, the last thing of theirs Close can wait on. So all of them are given a moment to be
// gone.
func checkNoGoroutines(t *testing.T) {
	t.Helper()
	for _, g := range goroutinesCreatedBy(byAdapter) {
		if !strings.Contains(g, " [runnable]:") && !strings.Contains(g, " [running]:") {
			t.Errorf("after Close, an adapter goroutine still waits:\n%s", g)
		}
	}
	deadline := time.Now().Add(time.Second)
	for {
		left := append(goroutinesCreatedBy(byAdapter), goroutinesCreatedBy(byWSClient)...)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("after Close, %d goroutines the adapter started still run:\n%s", len(left), strings.Join(left, "\n\n"))
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCloseStopsEveryGoroutine(t *testing.T) {
	t.Run("without Start", func(t *testing.T) {
		f := newFakeMM(t)
		a, err := New(testConfig(f), newIngester(), discardLogger())
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := a.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
		}
	})

	t.Run("after a failed Start", func(t *testing.T) {
		f := newFakeMM(t)
		seed(f)
		cfg := testConfig(f)
		cfg.Team = "nope"
		a, err := New(cfg, newIngester(), discardLogger())
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Start(context.Background()); err == nil {
			t.Fatal("Start with an unknown team succeeded")
		}
		if err := a.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		checkNoGoroutines(t)
	})

	t.Run("running, after a reconnect", func(t *testing.T) {
		f := newFakeMM(t)
		w := seed(f)
		in := newIngester()
		a, err := New(testConfig(f), in, discardLogger())
		if err != nil {
			t.Fatal(err)
		}
		// A start-up context that ends at once must not end the event loop: only Close does.
		ctx, cancel := context.WithCancel(context.Background())
		if err := a.Start(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		waitFor(t, "the WebSocket to connect", func() bool { return f.SocketCount() > 0 })
		dm := f.DM(w.bot.Id, w.customer.Id)
		waitEvent(t, in, f.UserPost(w.customer.Id, dm.Id, "", "hello").Id)
		cutOff(t, f)
		f.AllowSockets()
		waitFor(t, "the WebSocket to come back", func() bool { return f.SocketCount() > 0 })
		waitEvent(t, in, f.UserPost(w.customer.Id, dm.Id, "", "again").Id)

		for range 2 {
			if err := a.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
		}
		checkNoGoroutines(t)
		waitFor(t, "the server to see the WebSocket closed", func() bool { return f.SocketCount() == 0 })
	})

	t.Run("while an event is being recorded", func(t *testing.T) {
		f := newFakeMM(t)
		w := seed(f)
		in := newIngester()
		// Never released: Ingest returns a while after its ctx ends, like a store call
		// that takes time to give up.
		in.hold, in.giveUp = make(chan struct{}), 200*time.Millisecond
		a, err := New(testConfig(f), in, discardLogger())
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the WebSocket to connect", func() bool { return f.SocketCount() > 0 })
		f.UserPost(w.customer.Id, f.DM(w.bot.Id, w.customer.Id).Id, "", "hello")
		waitFor(t, "Ingest to be called", func() bool {
			in.mu.Lock()
			defer in.mu.Unlock()
			return in.holding > 0
		})
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = a.Close()
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not return while an Ingest was waiting")
		}
		in.mu.Lock()
		gaveUp := in.gaveUp
		in.mu.Unlock()
		if gaveUp != 1 {
			t.Errorf("Close returned before the Ingest in progress did")
		}
		checkNoGoroutines(t)
	})
}

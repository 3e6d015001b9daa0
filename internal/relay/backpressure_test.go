package relay_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/relay"
)

// depthCountingStore counts the looks at a shard's depth.
type depthCountingStore struct {
	desk.Store
	looks *atomic.Int64
}

func (s depthCountingStore) ShardDepth(ctx context.Context, shard int) (int64, error) {
	s.looks.Add(1)
	return s.Store.ShardDepth(ctx, shard)
}

// TestIntakeWaitEndsWhenTheWorkerCatchesUp: while the shard's worker runs in this process, an
// event that found a backlog waits until the worker has finished enough of the events ahead
// of it, is told so by the worker at once (not at its next look at Redis), and never asks
// Redis for the shard's depth.
func TestIntakeWaitEndsWhenTheWorkerCatchesUp(t *testing.T) {
	var looks atomic.Int64
	h := newHarness(t, desk.Limits{}, func(o *relay.Options) {
		o.Backlog = 2
		o.IntakeWait = 5 * time.Second
	})
	h.stop()
	h.opts.Store = depthCountingStore{h.store, &looks}
	h.start()
	h.ingest(say("U1", "m0", "hello"))
	tk := h.ticketOf("U1")
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"hello"})

	release := h.hang("post")
	// m1 in the worker's hands, m2 and m3 waiting: the shard's depth is 3, Backlog + 1.
	for i := 1; i <= 3; i++ {
		if err := h.relay.Ingest(desk.WithoutIntakeWait(context.Background()), withPlatform(say("U1", fmt.Sprint("m", i), fmt.Sprint("msg ", i)))); err != nil {
			t.Fatal(err)
		}
	}
	answered := make(chan time.Time, 1)
	go func() {
		h.ingest(say("U1", "m4", "msg 4")) // depth 4: waits for one event ahead to finish
		answered <- time.Now()
	}()
	select {
	case <-answered:
		t.Fatal("an event recorded behind a backlog of 3 was answered while the worker was stuck")
	case <-time.After(300 * time.Millisecond):
	}
	released := time.Now()
	release()
	select {
	case at := <-answered:
		if d := at.Sub(released); d > time.Second {
			t.Errorf("answered %v after the worker moved on, want at once", d)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("the waiting event was not answered once the worker moved on")
	}
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"hello", "msg 1", "msg 2", "msg 3", "msg 4"})
	if n := looks.Load(); n != 0 {
		t.Errorf("the intake asked Redis for the shard's depth %d times; its worker runs here and tells it", n)
	}
}

func withPlatform(ev desk.Event) desk.Event {
	ev.Platform = "fake"
	return ev
}

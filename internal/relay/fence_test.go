package relay

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestPlatformCallsWaitForTheLease: a worker whose lease may have lapsed by its own clock (it
// was frozen past it) makes no platform call until a renewal says the lease is still its, and
// none at all when it is stopped instead; work of no shard worker never waits.
func TestPlatformCallsWaitForTheLease(t *testing.T) {
	if err := leaseHeld(context.Background()); err != nil {
		t.Fatalf("work without a lease: %v", err)
	}
	const ttl = 100 * time.Millisecond
	g := newLeaseGate(time.Now(), ttl)
	ctx, cancel := context.WithCancel(withLease(context.Background(), g))
	defer cancel()
	if err := leaseHeld(ctx); err != nil {
		t.Fatalf("a lease just taken: %v", err)
	}
	time.Sleep(ttl - ttl/leaseMargin) // frozen past what the lease can be counted on for
	got := make(chan error, 1)
	go func() { got <- leaseHeld(ctx) }()
	select {
	case err := <-got:
		t.Fatalf("a call went ahead past the lease: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	g.renew(time.Now(), ttl)
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("after the renewal: %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("a renewed lease did not let the call go")
	}

	// A renewal sent before the lease lapsed, answered late, counts from when it was sent.
	g.renew(time.Now().Add(-ttl), ttl)
	if err := leaseHeld(ctx); err != nil {
		t.Fatalf("an older renewal shortened the lease: %v", err)
	}
	time.Sleep(ttl)
	go func() { got <- leaseHeld(ctx) }()
	cancel() // the worker is stopped: the lease is another replica's
	if err := <-got; !errors.Is(err, context.Canceled) || !aborted(err) {
		t.Fatalf("a stopped worker's call = %v, want it cut short", err)
	}
}

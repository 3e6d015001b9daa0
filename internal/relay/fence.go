package relay

import (
	"context"
	"sync"
	"time"
)

// A worker may go on handling the event in hand after its lease lapsed, unaware: its process
// was frozen longer than a lease (a paused VM, a stop-the-world pause, a starved CPU), and
// another replica has taken the shard and handles the same event. The store applies the step
// once, but a platform call made by both would be made twice: two copies of one message. So a
// worker makes a platform call only while it knows its lease holds, by its own clock: until
// the time its last renewal was sent plus the lease, less a margin (Redis counts the lease
// from when it received the renewal, later). A worker past that waits for the next renewal,
// and is stopped when there is none (the lease is another's, or lost).
//
// This narrows the window to the moments between the check and the call leaving the process;
// no check can close it, since the platforms take no fencing token.
//
// Reads of the shard's queue go by the same gate, and a read that waits for new entries waits
// no longer than the lease holds: a worker that went on reading after its lease lapsed would
// take entries (the consumer group hands each to one reader) that the shard's next holder,
// having claimed what was pending when it took over, would never see, until a later handover
// found them, out of their order. The gate alone cannot promise it, since a read may reach
// Redis well after it was sent (its connection dialled again after an outage): the store
// itself hands entries out only while the lease is the reader's or nobody's (ReadQueue).

// leaseMargin is the part of a lease a worker does not count on.
const leaseMargin = 5

// leaseGate says until when a shard worker's lease holds.
type leaseGate struct {
	mu      sync.Mutex
	until   time.Time     // wall clock with its monotonic reading
	renewed chan struct{} // closed and replaced at each renewal
}

func newLeaseGate(sent time.Time, ttl time.Duration) *leaseGate {
	g := &leaseGate{renewed: make(chan struct{})}
	g.renew(sent, ttl)
	return g
}

// renew notes a renewal of the lease for ttl, sent at sent.
func (g *leaseGate) renew(sent time.Time, ttl time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if until := sent.Add(ttl - ttl/leaseMargin); until.After(g.until) {
		g.until = until
	}
	close(g.renewed)
	g.renewed = make(chan struct{})
}

// wait returns once the lease holds, or ctx's error when ctx ends first.
func (g *leaseGate) wait(ctx context.Context) error {
	for {
		g.mu.Lock()
		left, renewed := time.Until(g.until), g.renewed
		g.mu.Unlock()
		if left > 0 {
			return nil
		}
		select {
		case <-renewed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

type leaseGateKey struct{}

// withLease makes ctx carry a worker's lease gate.
func withLease(ctx context.Context, g *leaseGate) context.Context {
	return context.WithValue(ctx, leaseGateKey{}, g)
}

// leaseLeft is how long the lease of the worker ctx belongs to holds from now, by its own
// clock; ok is false for work no shard worker does.
func leaseLeft(ctx context.Context) (left time.Duration, ok bool) {
	g, ok := ctx.Value(leaseGateKey{}).(*leaseGate)
	if !ok {
		return 0, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return time.Until(g.until), true
}

// leaseHeld waits until the lease of the worker ctx belongs to holds; it returns at once for
// work no shard worker does (ctx carries no lease).
func leaseHeld(ctx context.Context) error {
	if g, ok := ctx.Value(leaseGateKey{}).(*leaseGate); ok {
		return g.wait(ctx)
	}
	return nil
}

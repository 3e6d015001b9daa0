package relay

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// TestPaceStaysSharedThroughAMissedHeartbeat: a replica alone paces its posts by itself; once
// several replicas were seen, a round that counts only this one (another's heartbeat came
// late, its process starved) still paces and holds through the store, so that the replicas
// together keep the platform's rate and a Retry-After.
func TestPaceStaysSharedThroughAMissedHeartbeat(t *testing.T) {
	p := newPacer(desk.SystemClock)
	var paced, held atomic.Int32
	p.shared = func(context.Context, string, string, float64, int) (time.Duration, error) {
		paced.Add(1)
		return 0, nil
	}
	p.sharedHold = func(context.Context, string, string, time.Duration) error {
		held.Add(1)
		return nil
	}
	p.sharedHeld = func(context.Context, string, string) (time.Duration, error) { return 0, nil }
	ctx := context.Background()

	p.setReplicas(1)
	if _, err := p.wait(ctx, "slack", "C1", 10, 2); err != nil || paced.Load() != 0 {
		t.Fatalf("alone: %d turns asked of the store (%v), want none", paced.Load(), err)
	}
	p.setReplicas(2)
	p.setReplicas(1) // the other's heartbeat missed a round
	if _, err := p.wait(ctx, "slack", "C1", 10, 2); err != nil || paced.Load() != 1 {
		t.Errorf("after a missed heartbeat: %d turns asked of the store (%v), want 1", paced.Load(), err)
	}
	p.hold(ctx, "slack", "C1", time.Millisecond)
	if held.Load() != 1 {
		t.Errorf("after a missed heartbeat: %d holds told to the store, want 1", held.Load())
	}
}

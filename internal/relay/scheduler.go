package relay

import (
	"context"
	"time"
)

// fireBatch is the most timers one call of the store's FireDue moves into the queue.
const fireBatch = 100

// runScheduler moves the desk's timers into the queue as they come due, until ctx ends. The
// store does it in one atomic step per call, so any number of processes may run this at once
// and each timer still fires once; a timer fires at most about TimerTick late. Once queued, a
// timer's event is handled like any other: in order with its ticket's events, exactly once.
func (r *Relay) runScheduler(ctx context.Context) {
	down := r.outage("component", "scheduler")
	for ctx.Err() == nil {
		n, err := r.store.FireDue(ctx, r.clock.Now(), fireBatch)
		r.metrics.Timers.Add(float64(n)) // some may have fired though others failed
		if err != nil {
			if ctx.Err() == nil && !down.failed(ctx, "fire due timers", err) {
				return
			}
			continue
		}
		down.over()
		if n == fireBatch {
			continue // more are due
		}
		select {
		case <-ctx.Done():
		case <-r.clock.After(r.opts.TimerTick):
		}
	}
}

// answerPoll is how often Do looks for the answer it waits for.
const answerPoll = 20 * time.Millisecond

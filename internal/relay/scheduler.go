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
	failures := 0
	backoff := r.opts.RetryInitial
	for ctx.Err() == nil {
		n, err := r.store.FireDue(ctx, r.clock.Now(), fireBatch)
		wait := r.opts.TimerTick
		switch {
		case err != nil && ctx.Err() == nil:
			if failures == 0 {
				r.log.Error("fire due timers; retrying", "err", err)
			}
			failures++
			wait, backoff = max(wait, jitter(backoff)), min(backoff*2, r.opts.RetryMax)
		case err == nil:
			if failures > 0 {
				r.log.Info("firing timers again", "failed_tries", failures)
				failures, backoff = 0, r.opts.RetryInitial
			}
			r.metrics.Timers.Add(float64(n))
			if n == fireBatch {
				continue // more are due
			}
		}
		select {
		case <-ctx.Done():
		case <-r.clock.After(wait):
		}
	}
}

// answerPoll is how often Do looks for the answer it waits for.
const answerPoll = 20 * time.Millisecond

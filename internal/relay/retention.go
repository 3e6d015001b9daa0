package relay

import (
	"context"
	"time"
)

// Retention (Options.Retention, the RETENTION setting): what was written on a ticket is
// forgotten once the ticket has been closed that long. The relay looks every RetentionEvery
// (and once shortly after it starts) and expires tickets in batches, pausing between them, so
// that the relay's own work is never held up. Any number of replicas may do it at once: a
// ticket is expired in one atomic step, and one already expired is not found again.

// retentionBatch is how many tickets one store call expires.
const retentionBatch = 200

// runRetention expires old closed tickets until ctx ends.
func (r *Relay) runRetention(ctx context.Context) {
	if r.opts.Retention <= 0 {
		return
	}
	down := r.outage("component", "retention")
	wait := r.opts.RetentionEvery / 60 // the first look, soon after the start
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.clock.After(wait):
		}
		wait = r.opts.RetentionEvery
		cutoff := r.clock.Now().Add(-r.opts.Retention)
		total := 0
		for ctx.Err() == nil {
			n, err := r.store.ExpireClosed(ctx, cutoff, retentionBatch)
			total += n
			if err != nil {
				if ctx.Err() == nil {
					down.failed(ctx, "expire closed tickets", err)
				}
				break
			}
			down.over()
			if n < retentionBatch {
				break
			}
			// A pause between batches leaves Redis to the relay.
			if r.wait(ctx, 50*time.Millisecond) != nil {
				return
			}
		}
		if total > 0 {
			r.metrics.Expired.Add(float64(total))
			r.log.Info("forgot what was written on tickets closed longer than the retention", "tickets", total, "closed_before", cutoff)
		}
	}
}

package relay

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// errStopping is returned by waits cut short because the relay is stopping; the event in hand
// stays queued and is handled again at the next start.
var errStopping = errors.New("relay is stopping")

// errOtherPlatform is returned for a queued event of a platform this process does not run: it
// is left unacknowledged, to be read again at the next start of a process that runs it.
var errOtherPlatform = errors.New("event of a platform not configured here")

// Run handles queued events until ctx ends, then lets the events in hand finish (at most
// DrainTimeout) and returns. Events recorded but not yet handled stay in the store for the
// next start: nothing is lost by stopping.
func (r *Relay) Run(ctx context.Context) error {
	// Work goes on with its own context: when ctx ends we stop reading new events, but a
	// platform call under way completes, so the event it belongs to can be recorded as done.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	var wg sync.WaitGroup
	wg.Go(func() { r.runScheduler(ctx) })
	wg.Go(func() { r.runShards(ctx, work, &wg) })
	wg.Go(func() { r.runRetention(ctx) })
	wg.Go(func() { r.warmStats(ctx) })
	<-ctx.Done()
	r.stopOnce.Do(func() { close(r.stopping) })
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-r.clock.After(r.opts.DrainTimeout):
		r.log.Warn("stop: in-flight events did not finish in time; they stay queued", "timeout", r.opts.DrainTimeout)
		cancelWork()
		<-done
	}
	return nil
}

// runShard handles one shard's events, one at a time in order, while this replica holds the
// shard's lease (until ctx ends): first it makes the entries another replica read and never
// acknowledged its own, then carries out what the outbox holds from before a crash or a
// handover, then handles the events read before and never acknowledged, then new ones.
func (r *Relay) runShard(ctx, work context.Context, shard int) {
	watch := r.watches[shard]
	watch.setRunning(true)
	defer watch.setRunning(false)
	down := r.outage("shard", shard)
	for {
		n, err := r.store.ClaimShard(work, shard)
		if err == nil {
			if n > 0 {
				r.log.Info("took over the events another replica left unhandled", "shard", shard, "events", n)
			}
			break
		}
		if aborted(err) || !down.failed(ctx, "claim the queue shard's pending events", err) {
			return
		}
	}
	for {
		err := r.recoverOutbox(work, shard)
		if err == nil {
			break
		}
		if aborted(err) || !down.failed(ctx, "carry out the outbox", err) {
			return
		}
	}
	// Pending entries first, paging past the ones left unacknowledged (an event of a platform
	// this process does not run), then new ones ("").
	after := "0"
	for ctx.Err() == nil {
		batch, err := r.store.ReadQueue(work, shard, after, 64, time.Second)
		if err != nil {
			if !down.failed(ctx, "read queue", err) {
				return
			}
			// A read whose answer was lost (the connection dropped, Redis restarted) may
			// still have handed entries to this consumer: they are pending now, and a read of
			// new entries never returns them. So the next read starts from the pending ones.
			after = "0"
			continue
		}
		down.over()
		if after != "" && len(batch) == 0 {
			after = ""
			continue
		}
		for _, q := range batch {
			if ctx.Err() != nil {
				// The shard is being handed over (or the relay stops): the rest of the batch
				// stays pending for its next holder, who claims it.
				return
			}
			if !r.handleUntilDone(work, q) {
				return // stopping: this and the rest of the batch stay queued
			}
			watch.finished()
			if after != "" {
				after = q.Entry
			}
		}
	}
}

// outage paces a loop's retries while the store fails it, with a growing backoff, and says so
// once per outage rather than at every retry: an outage would flood the log.
type outage struct {
	r        *Relay
	attrs    []any // who is failing, for the log
	failures int
	backoff  time.Duration
}

func (r *Relay) outage(attrs ...any) *outage {
	return &outage{r: r, attrs: attrs, backoff: r.opts.RetryInitial}
}

// failed counts a failure of what, logging the first of an outage, and waits before the next
// try. It reports false if the relay stopped meanwhile.
func (o *outage) failed(ctx context.Context, what string, err error) bool {
	if o.failures == 0 {
		o.r.log.Error(what+"; retrying", append(o.attrs, "err", err)...)
	}
	o.failures++
	wait := jitter(o.backoff)
	o.backoff = min(o.backoff*2, o.r.opts.RetryMax)
	return o.r.wait(ctx, wait) == nil
}

// over notes a success: an outage under way has ended.
func (o *outage) over() {
	if o.failures > 0 {
		o.r.log.Info("working again", append(o.attrs, "failed_tries", o.failures)...)
	}
	o.failures, o.backoff = 0, o.r.opts.RetryInitial
}

// handleUntilDone handles one event, retrying while the store or a platform is unavailable,
// so that a later event of the same customer is never handled before it. It reports false if
// the relay stopped first.
func (r *Relay) handleUntilDone(ctx context.Context, q desk.Queued) bool {
	backoff := r.opts.RetryInitial
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			// Whatever the failed attempt sent may have arrived: look before sending again.
			q.Redelivered = true
		}
		err := r.handle(ctx, q)
		if err == nil {
			return true
		}
		if errors.Is(err, errOtherPlatform) {
			r.log.Warn("queued event of a platform not configured here; left queued for a process that runs it",
				"platform", q.Event.Platform, "event", q.Event.ID, "kind", q.Event.Kind, "entry", q.Entry)
			r.metrics.Deferred.WithLabelValues(q.Event.Platform).Inc()
			return true
		}
		if errors.Is(err, errStopping) || ctx.Err() != nil {
			return false
		}
		if poisoned(err) {
			// Handling it again would fail the same way and hold up the customer's later
			// events for ever: it is logged, counted and set aside.
			r.log.Error("event cannot be handled; dropped", "platform", q.Event.Platform, "event", q.Event.ID, "kind", q.Event.Kind, "err", err)
			if r.drop(ctx, q, desk.DropUnprocessable) == nil {
				return true
			}
		}
		r.log.Warn("event not handled yet; retrying", "platform", q.Event.Platform, "event", q.Event.ID,
			"kind", q.Event.Kind, "attempt", attempt+1, "err", err)
		if r.wait(ctx, jitter(backoff)) != nil {
			return false
		}
		backoff = min(backoff*2, r.opts.RetryMax)
	}
}

// wait sleeps for d unless the relay stops or ctx ends first.
func (r *Relay) wait(ctx context.Context, d time.Duration) error {
	select {
	case <-r.clock.After(d):
		return nil
	case <-r.stopping:
		return errStopping
	case <-ctx.Done():
		return ctx.Err()
	}
}

// jitter spreads retries: a random wait between half of d and d.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// queuedAt is when the store recorded the event, read from a stream entry ID such as
// "1700000000000-3", for the latency metric.
func queuedAt(entry string) (time.Time, bool) {
	ms, _, ok := strings.Cut(entry, "-")
	if !ok {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(n), true
}

// poisoned reports whether an event failed for a reason no retry can cure: the store refused
// its effects as invalid, as opposed to being unreachable.
func poisoned(err error) bool {
	switch desk.ErrorCode(err) {
	case desk.EINVALID, desk.ECONFLICT, desk.ETOOLARGE:
		return true
	}
	return false
}

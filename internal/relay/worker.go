package relay

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
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
	q := r.openView(work, shard)
	defer r.closeView(shard)
	for ctx.Err() == nil {
		if err := q.fill(); err != nil {
			if aborted(err) || !down.failed(ctx, "read queue", err) {
				return
			}
			continue
		}
		down.over()
		for ctx.Err() == nil {
			ev, ok := q.next()
			if !ok {
				break
			}
			taken := q.taken
			if !r.handleUntilDone(work, ev) {
				return // stopping: this and the rest stay queued
			}
			q.done(ev)
			// The event in hand, and those handled with it (joined), are finished: the
			// intake's backpressure counts them.
			watch.finished(max(q.taken-taken, 1))
		}
		// Otherwise the shard is being handed over (or the relay stops): the rest stays
		// pending for its next holder, who claims it.
	}
}

// queueView is a shard worker's view of its queue: the entries read and not yet handled, in
// order, which a handler may look ahead in (a customer's next messages, joined into one post
// while the triage channel has a backlog: join.go) and take entries from.
type queueView struct {
	r     *Relay
	ctx   context.Context
	shard int
	// after is where the next read of pending entries starts ("0": from the oldest), or ""
	// once they have all been read and new ones are read.
	after string
	items []desk.Queued
	// lost says a read's answer was lost: it may have handed entries to this consumer that
	// only a read of pending entries returns.
	lost bool
	// taken counts the entries handled and taken out of the view.
	taken int
}

// openView starts a shard's view, reading pending entries first.
func (r *Relay) openView(ctx context.Context, shard int) *queueView {
	v := &queueView{r: r, ctx: ctx, shard: shard, after: "0"}
	r.viewsMu.Lock()
	r.views[shard] = v
	r.viewsMu.Unlock()
	return v
}

func (r *Relay) closeView(shard int) {
	r.viewsMu.Lock()
	delete(r.views, shard)
	r.viewsMu.Unlock()
}

// view returns the view of the shard this goroutine handles, nil if none (the event is not
// being handled by a shard worker).
func (r *Relay) view(shard int) *queueView {
	r.viewsMu.Lock()
	defer r.viewsMu.Unlock()
	return r.views[shard]
}

// fill reads the next entries once every entry read before is handled: pending ones first,
// paging past those left unacknowledged (an event of a platform this process does not run),
// then new ones, waiting up to a second for some.
func (v *queueView) fill() error {
	if v.lost {
		v.after, v.lost = "0", false
	}
	if err := leaseHeld(v.ctx); err != nil {
		return err
	}
	block := time.Second
	if left, ok := leaseLeft(v.ctx); ok {
		block = min(block, left) // no entry is taken once the lease may be another's (fence.go)
	}
	if block < time.Millisecond {
		block = time.Millisecond // 0 would mean no wait at all, in a loop
	}
	batch, err := v.r.store.ReadQueue(v.ctx, v.shard, v.after, 64, block)
	if err != nil {
		// A read whose answer was lost (the connection dropped, Redis restarted) may still
		// have handed entries to this consumer: they are pending now, and a read of new
		// entries never returns them. So the next read starts from the pending ones.
		v.after = "0"
		return err
	}
	if v.after != "" && len(batch) == 0 {
		v.after = ""
	}
	v.items = batch
	return nil
}

// next returns the oldest entry read and not handled yet.
func (v *queueView) next() (desk.Queued, bool) {
	if len(v.items) == 0 {
		return desk.Queued{}, false
	}
	return v.items[0], true
}

// done takes a handled entry (the first) out of the view.
func (v *queueView) done(q desk.Queued) {
	v.take(q.Entry)
	if v.after != "" {
		v.after = q.Entry
	}
}

// take removes the entries handled together with another one.
func (v *queueView) take(entries ...string) {
	n := len(v.items)
	v.items = slices.DeleteFunc(v.items, func(q desk.Queued) bool { return slices.Contains(entries, q.Entry) })
	v.taken += n - len(v.items)
}

// maxAhead bounds the entries a view holds when it looks ahead.
const maxAhead = 128

// ahead returns the entries read after the one in hand, first reading what has come since
// without waiting. A read that fails only leaves less to look at.
func (v *queueView) ahead() []desk.Queued {
	// It reads no further than maxAhead entries, and not at all once the shard's work is cut
	// short: what it reads is this replica's to handle.
	if left, ok := leaseLeft(v.ctx); !v.lost && len(v.items) < maxAhead && v.ctx.Err() == nil && (!ok || left > 0) {
		after := v.after
		if after != "" && len(v.items) > 0 {
			after = v.items[len(v.items)-1].Entry
		}
		more, err := v.r.store.ReadQueue(v.ctx, v.shard, after, 64, 0)
		if err != nil {
			v.lost = v.after == "" // see fill
		}
		v.items = append(v.items, more...)
	}
	if len(v.items) < 2 {
		return nil
	}
	return v.items[1:]
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

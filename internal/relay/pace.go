package relay

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/threadesk/threadesk/internal/desk"
)

// pacer keeps the app's posts into each channel under the platform's rate, so that a burst of
// messages into one channel (the triage channel, typically) is spread out instead of turning
// into a storm of 429s. It also remembers a channel's Retry-After so that every worker posting
// there waits it out, not only the one that was told. It reads the time from its clock only,
// so that tests pace in virtual time.
type pacer struct {
	clock    desk.Clock
	mu       sync.Mutex
	channels map[string]*channelPace
	// shared paces the posts of every replica together, through the store; it is used while
	// more than one replica is alive (replicas), with this process's limiter as the fallback
	// when the store does not answer.
	shared func(ctx context.Context, platform, channel string, perSecond float64, burst int) (time.Duration, error)
	// sharedHold tells the other replicas of a Retry-After, and sharedHeld asks how long one
	// still holds a channel (with shared).
	sharedHold func(ctx context.Context, platform, channel string, d time.Duration) error
	sharedHeld func(ctx context.Context, platform, channel string) (time.Duration, error)
	replicas   atomic.Int32
	// severalAt is when (unix ns, real time) more than one replica was last seen alive: the
	// pace and holds stay shared for severalFor after, so that a heartbeat a starved replica
	// missed does not make the others pace and hold each on its own meanwhile.
	severalAt atomic.Int64
}

// severalFor is how long the pace stays shared after several replicas were last seen.
const severalFor = time.Minute

// setReplicas records how many replicas are alive (each round of the shards).
func (p *pacer) setReplicas(n int) {
	p.replicas.Store(int32(n))
	if n > 1 {
		p.severalAt.Store(time.Now().UnixNano())
	}
}

// several reports whether the posts are paced together with other replicas: several are
// alive, or were within severalFor.
func (p *pacer) several() bool {
	return p.replicas.Load() > 1 || time.Since(time.Unix(0, p.severalAt.Load())) < severalFor
}

type channelPace struct {
	limiter  *rate.Limiter // nil when the platform is not paced
	notAfter time.Time     // no post before this time (from a 429's Retry-After)
	last     time.Time     // when a post last asked for its turn here
}

// Every customer's DM is a channel of its own, so the pacer would remember one entry per
// customer ever answered. Past maxPaced channels, adding one first forgets those idle for
// pacedIdle whose pace is back to a full burst and that are not held by a Retry-After: a fresh
// entry for such a channel paces exactly as the old one would.
const (
	maxPaced  = 4096
	pacedIdle = time.Minute
)

func newPacer(clock desk.Clock) *pacer {
	return &pacer{clock: clock, channels: make(map[string]*channelPace)}
}

func (p *pacer) channel(platform, channel string, perSecond float64, burst int) *channelPace {
	key := platform + "\x00" + channel
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	c, ok := p.channels[key]
	if !ok {
		if len(p.channels) >= maxPaced {
			p.forgetIdle(now)
		}
		c = &channelPace{}
		p.channels[key] = c
	}
	c.last = now
	if c.limiter == nil && perSecond > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(perSecond), max(burst, 1))
	}
	return c
}

// forgetIdle drops the channels whose pace holds nothing any longer (see maxPaced). p.mu is
// held.
func (p *pacer) forgetIdle(now time.Time) {
	for key, c := range p.channels {
		if now.Sub(c.last) < pacedIdle || now.Before(c.notAfter) {
			continue
		}
		if c.limiter != nil && c.limiter.TokensAt(now) < float64(c.limiter.Burst()) {
			continue
		}
		delete(p.channels, key)
	}
}

// wait blocks until one more post into the channel is allowed, or ctx ends. It reports how
// long the pace held the post back: more than nothing means the channel has a backlog.
func (p *pacer) wait(ctx context.Context, platform, channel string, perSecond float64, burst int) (time.Duration, error) {
	c := p.channel(platform, channel, perSecond, burst)
	p.mu.Lock()
	held := max(c.notAfter.Sub(p.clock.Now()), 0)
	p.mu.Unlock()
	if err := desk.Sleep(ctx, p.clock, held); err != nil {
		return held, err
	}
	if c.limiter == nil {
		return held, nil
	}
	if p.shared != nil && p.several() {
		posts := !strings.HasPrefix(channel, callsPrefix) // calls paced per token are never held
		for {
			// A Retry-After another replica was given first, then the turn.
			if posts {
				if d, err := p.sharedHeld(ctx, platform, channel); err == nil && d > 0 {
					held += d
					if err := sleepReal(ctx, d); err != nil {
						return held, err
					}
					continue
				}
			}
			d, err := p.shared(ctx, platform, channel, perSecond, burst)
			if err != nil {
				break // this process's own pace, rather than none
			}
			if d == 0 {
				return held, nil
			}
			held += d
			if err := sleepReal(ctx, d); err != nil {
				return held, err
			}
		}
	}
	// The time is read and the post reserved in one step, so that reservations are made in the
	// order of the times they are made at: the limiter counts on time never going backwards.
	p.mu.Lock()
	now := p.clock.Now()
	res := c.limiter.ReserveN(now, 1)
	p.mu.Unlock()
	if !res.OK() {
		return held, nil // a burst of 1 always fits; cannot happen
	}
	delay := res.DelayFrom(now)
	held += delay
	if err := desk.Sleep(ctx, p.clock, delay); err != nil {
		res.CancelAt(p.clock.Now())
		return held, err
	}
	return held, nil
}

// sleepReal waits d of real time, or until ctx ends: the store's paces and holds are kept in
// Redis's time, not the relay's clock.
func sleepReal(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PaceCalls waits for a turn to call a platform's API under key (a token, say) at perSecond
// with bursts of burst: shared by every replica through the store while several are alive,
// as the posts into a channel are.
func (r *Relay) PaceCalls(ctx context.Context, platform, key string, perSecond float64, burst int) error {
	_, err := r.pace.wait(ctx, platform, callsPrefix+key, perSecond, burst)
	return err
}

// callsPrefix marks the pacer's keys of API calls paced per token (PaceCalls), not posts into
// a channel.
const callsPrefix = "calls:"

// busy says whether a post into the channel now would have to wait its turn, as far as this
// process can tell without asking the store: a Retry-After holds the channel, or its pace has
// no turn left. While several replicas share the pace (kept in the store) a paced channel
// counts as busy.
func (p *pacer) busy(platform, channel string, perSecond float64, burst int) bool {
	c := p.channel(platform, channel, perSecond, burst)
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	switch {
	case now.Before(c.notAfter):
		return true
	case c.limiter == nil:
		return false
	case p.shared != nil && p.several():
		return true
	}
	return c.limiter.TokensAt(now) < 1
}

// hold stops posts into the channel for d, as a platform's Retry-After asks: this process's,
// and while several replicas share the pace, every replica's (through the store; should the
// store not answer, the others find out from a 429 of their own).
func (p *pacer) hold(ctx context.Context, platform, channel string, d time.Duration) {
	c := p.channel(platform, channel, 0, 0)
	p.mu.Lock()
	if t := p.clock.Now().Add(d); t.After(c.notAfter) {
		c.notAfter = t
	}
	p.mu.Unlock()
	if p.sharedHold != nil && p.several() {
		_ = p.sharedHold(ctx, platform, channel, d)
	}
}

// waitForRoom slows the answer to an event just recorded while its shard holds more than the
// event in hand and Backlog waiting, up to wait: the answer to the platform is slowed, never
// refused. depth is the shard's depth when the event was recorded, counted in the store, so
// it is the same whichever replica recorded the event and whichever handles the shard.
//
// While the shard's worker runs in this process, the depth is followed here: the worker says
// when it finishes an event, and the intake counts the events it records meanwhile (another
// replica's are not seen, which at worst ends a wait early). No store call is made. Otherwise
// (the shard is another replica's) the shard's depth is looked at in the store every roomPoll.
func (r *Relay) waitForRoom(ctx context.Context, shard int, depth int64, wait time.Duration) {
	limit := int64(r.opts.Backlog) + 1
	if depth <= limit || wait <= 0 {
		return
	}
	deadline := r.clock.After(wait)
	if shard < len(r.watches) {
		w := r.watches[shard]
		running, done0, added0, wake := w.look()
		for running {
			select {
			case <-deadline:
				return
			case <-ctx.Done():
				return
			case <-wake:
			}
			var done, added uint64
			running, done, added, wake = w.look()
			if depth-int64(done-done0)+int64(added-added0) <= limit {
				return
			}
		}
	}
	// The looks at the shard's depth are bounded too: a Redis that hangs must not hold the
	// platform's answer past the wait.
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	poll := time.NewTicker(roomPoll)
	defer poll.Stop()
	for {
		select {
		case <-deadline:
			return
		case <-ctx.Done():
			return
		case <-poll.C:
		}
		if n, err := r.store.ShardDepth(ctx, shard); err != nil || n <= limit {
			return
		}
	}
}

// roomPoll is how often waitForRoom looks at the shard's depth again.
const roomPoll = 20 * time.Millisecond

package relay

import (
	"context"
	"sync"
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
}

type channelPace struct {
	limiter  *rate.Limiter // nil when the platform is not paced
	notAfter time.Time     // no post before this time (from a 429's Retry-After)
}

func newPacer(clock desk.Clock) *pacer {
	return &pacer{clock: clock, channels: make(map[string]*channelPace)}
}

func (p *pacer) channel(platform, channel string, perSecond float64, burst int) *channelPace {
	key := platform + "\x00" + channel
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.channels[key]
	if !ok {
		c = &channelPace{}
		p.channels[key] = c
	}
	if c.limiter == nil && perSecond > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(perSecond), max(burst, 1))
	}
	return c
}

// wait blocks until one more post into the channel is allowed, or ctx ends.
func (p *pacer) wait(ctx context.Context, platform, channel string, perSecond float64, burst int) error {
	c := p.channel(platform, channel, perSecond, burst)
	p.mu.Lock()
	until := c.notAfter.Sub(p.clock.Now())
	p.mu.Unlock()
	if err := desk.Sleep(ctx, p.clock, until); err != nil {
		return err
	}
	if c.limiter == nil {
		return nil
	}
	// The time is read and the post reserved in one step, so that reservations are made in the
	// order of the times they are made at: the limiter counts on time never going backwards.
	p.mu.Lock()
	now := p.clock.Now()
	res := c.limiter.ReserveN(now, 1)
	p.mu.Unlock()
	if !res.OK() {
		return nil // a burst of 1 always fits; cannot happen
	}
	if err := desk.Sleep(ctx, p.clock, res.DelayFrom(now)); err != nil {
		res.CancelAt(p.clock.Now())
		return err
	}
	return nil
}

// hold stops posts into the channel for d, as a platform's Retry-After asks.
func (p *pacer) hold(platform, channel string, d time.Duration) {
	c := p.channel(platform, channel, 0, 0)
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := p.clock.Now().Add(d); t.After(c.notAfter) {
		c.notAfter = t
	}
}

// takeRoom takes a backlog token for an event just recorded, waiting up to wait when the shard
// already holds its fill: the answer to the platform is slowed, never refused. The worker
// gives a token back for every event it handles (giveRoom).
func takeRoom(ctx context.Context, clock desk.Clock, backlog chan struct{}, wait time.Duration) {
	select {
	case backlog <- struct{}{}:
		return
	default:
	}
	if wait <= 0 {
		return
	}
	select {
	case backlog <- struct{}{}:
	case <-clock.After(wait):
	case <-ctx.Done():
	}
}

// giveRoom gives back a backlog token, if any is held.
func giveRoom(backlog chan struct{}) {
	select {
	case <-backlog:
	default:
	}
}

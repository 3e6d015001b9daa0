package relay

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pacer keeps the app's posts into each channel under the platform's rate, so that a burst of
// messages into one channel (the triage channel, typically) is spread out instead of turning
// into a storm of 429s. It also remembers a channel's Retry-After so that every worker posting
// there waits it out, not only the one that was told.
type pacer struct {
	mu       sync.Mutex
	channels map[string]*channelPace
}

type channelPace struct {
	limiter  *rate.Limiter // nil when the platform is not paced
	notAfter time.Time     // no post before this time (from a 429's Retry-After)
}

func newPacer() *pacer { return &pacer{channels: make(map[string]*channelPace)} }

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
	until := time.Until(c.notAfter)
	p.mu.Unlock()
	if until > 0 {
		if err := sleep(ctx, until); err != nil {
			return err
		}
	}
	if c.limiter == nil {
		return nil
	}
	return c.limiter.Wait(ctx)
}

// hold stops posts into the channel for d, as a platform's Retry-After asks.
func (p *pacer) hold(platform, channel string, d time.Duration) {
	c := p.channel(platform, channel, 0, 0)
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := time.Now().Add(d); t.After(c.notAfter) {
		c.notAfter = t
	}
}

// sleep waits for d or until ctx ends, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// takeRoom takes a backlog token for an event just recorded, waiting up to wait when the shard
// already holds its fill: the answer to the platform is slowed, never refused. The worker
// gives a token back for every event it handles (giveRoom).
func takeRoom(ctx context.Context, backlog chan struct{}, wait time.Duration) {
	select {
	case backlog <- struct{}{}:
		return
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case backlog <- struct{}{}:
	case <-t.C:
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

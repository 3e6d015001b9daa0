package redisstore

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Pace takes one post's turn in a channel that every process posting there shares: it
// reports 0 when the post may go now (the turn is taken), or how long to wait before asking
// again. The rate is kept in Redis with GCRA (github.com/go-redis/redis_rate), so that several
// replicas together post at perSecond with bursts of burst, as one process would.
func (s *Store) Pace(ctx context.Context, platform, channel string, perSecond float64, burst int) (time.Duration, error) {
	if perSecond <= 0 {
		return 0, nil
	}
	res, err := s.rate.Allow(ctx, s.keys.pace(platform, channel), rateLimit(perSecond, burst))
	if err != nil {
		return 0, fmt.Errorf("pace the posts into %s channel %s: %w", platform, channel, err)
	}
	if res.Allowed > 0 {
		return 0, nil
	}
	return max(res.RetryAfter, time.Millisecond), nil
}

// PaceHeld is how long a hold (HoldPace) still stops the posts into a channel, 0 if none does
// (desk.Store).
func (s *Store) PaceHeld(ctx context.Context, platform, channel string) (time.Duration, error) {
	held, err := s.rdb.PTTL(ctx, s.keys.paceHold(platform, channel)).Result()
	if err != nil {
		return 0, fmt.Errorf("look at the hold on %s channel %s: %w", platform, channel, err)
	}
	return max(held, 0), nil
}

// HoldPace stops every replica's posts into a channel for d (desk.Store): a key that lives d,
// or longer if a longer hold is already there.
func (s *Store) HoldPace(ctx context.Context, platform, channel string, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	key := s.keys.paceHold(platform, channel)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.SetNX(ctx, key, "1", d)
		p.Do(ctx, "PEXPIRE", key, d.Milliseconds(), "GT")
		return nil
	})
	if err != nil {
		return fmt.Errorf("hold %s channel %s for %v: %w", platform, channel, d, err)
	}
	return nil
}

// rateLimit writes a rate of perSecond (which may be a fraction, such as 0.5) as redis_rate's
// whole number of events per period.
func rateLimit(perSecond float64, burst int) redis_rate.Limit {
	n := max(int(math.Ceil(perSecond)), 1)
	return redis_rate.Limit{Rate: n, Burst: max(burst, 1), Period: time.Duration(float64(n) / perSecond * float64(time.Second))}
}

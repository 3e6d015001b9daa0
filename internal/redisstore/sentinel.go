package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// replicasEvery is how often a store on Sentinel asks the sentinels which replicas of its
// master they know.
const replicasEvery = 10 * time.Second

// watchReplicas keeps the replicas a durable write waits for (Options.WaitReplicas, which
// Open sets on Sentinel) at 0 while the sentinels know no replica of the master at all: a
// failover then has nothing to promote, so nothing is lost by not waiting, and a WAIT could
// only time out and refuse every event. Once they know one, even one that is down, writes
// wait for it again (see README, Redis: Sentinel). It asks at once, then every replicasEvery
// until the store closes; while no sentinel answers, it keeps what it had.
func (s *Store) watchReplicas(ctx context.Context, t *Target) {
	if s.opts.WaitReplicas <= 0 || t.failover == nil {
		return
	}
	first, cancel := context.WithTimeout(ctx, 2*time.Second)
	s.checkReplicas(first, t)
	cancel()
	s.goTask(func(ctx context.Context) {
		tick := time.NewTicker(replicasEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				c, cancel := context.WithTimeout(ctx, 2*time.Second)
				s.checkReplicas(c, t)
				cancel()
			}
		}
	})
}

// checkReplicas asks the sentinels once and sets the replicas to wait for (watchReplicas).
func (s *Store) checkReplicas(ctx context.Context, t *Target) {
	n, err := t.knownReplicas(ctx)
	if err != nil {
		s.log.Warn("ask the sentinels which replicas they know; writes wait as before", "master", t.Master, "err", err)
		return
	}
	want := int32(s.opts.WaitReplicas)
	if n == 0 {
		want = 0
	}
	switch old := s.wait.Swap(want); {
	case old == want:
	case want == 0:
		s.log.Warn("Redis Sentinel knows no replica of the master: writes are not confirmed on a replica, and a failover would have nothing to promote; run one", "master", t.Master)
	default:
		s.log.Info("Redis Sentinel knows a replica of the master: writes wait for it again", "master", t.Master, "replicas", n)
	}
}

// knownReplicas asks the sentinels, the first that answers, how many replicas of the master
// they know (SENTINEL REPLICAS), whatever their state.
func (t *Target) knownReplicas(ctx context.Context) (int, error) {
	o := t.failover
	var errs []error
	for _, addr := range t.Addrs {
		sc := redis.NewSentinelClient(&redis.Options{
			Addr: addr, Username: o.SentinelUsername, Password: o.SentinelPassword, TLSConfig: o.TLSConfig,
			DialTimeout: time.Second, ReadTimeout: time.Second, MaxRetries: -1,
		})
		replicas, err := sc.Replicas(ctx, t.Master).Result()
		_ = sc.Close()
		if err == nil {
			return len(replicas), nil
		}
		errs = append(errs, err)
	}
	return 0, errors.Join(errs...)
}

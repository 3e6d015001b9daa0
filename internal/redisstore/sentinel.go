package redisstore

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// replicasEvery is how often a store on Sentinel asks the sentinels how many replicas of its
// master they know.
const replicasEvery = 10 * time.Second

// watchReplicas keeps the replicas a durable write waits for (Options.WaitReplicas, which
// Open sets on Sentinel) at waitConnected while the sentinels know no replica of the master
// at all: a write then waits for a replica only if one is connected to the master (one that
// attached since the sentinels last looked), and otherwise not at all, since a failover
// would have nothing to promote and a WAIT could only time out and refuse every event. Once
// they know one, even one that is down, writes wait for it again (see README, Redis:
// Sentinel). It asks at once, then every replicasEvery until the store closes; while no
// sentinel answers, it keeps what it had.
func (s *Store) watchReplicas(ctx context.Context, t *Target) {
	if s.opts.WaitReplicas <= 0 || t.failover == nil {
		return
	}
	s.checkReplicas(ctx, t)
	s.goTask(func(ctx context.Context) {
		tick := time.NewTicker(replicasEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				s.checkReplicas(ctx, t)
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
		want = waitConnected
	}
	switch old := s.wait.Swap(want); {
	case old == want:
	case want == waitConnected:
		s.log.Warn("Redis Sentinel knows no replica of the master: writes are confirmed on a replica only while one is connected, and a failover would have nothing to promote; run one", "master", t.Master)
	default:
		s.log.Info("Redis Sentinel knows a replica of the master: writes wait for it again", "master", t.Master, "replicas", n)
	}
}

// knownReplicas asks every sentinel at once how many replicas of the master it knows (the
// num-slaves of SENTINEL MASTER, which counts replicas whatever their state, those not
// announced included) and returns the most any knows: a sentinel restarted or reset has yet
// to learn them while the others could fail over to one. Each gets two seconds.
func (t *Target) knownReplicas(ctx context.Context) (int, error) {
	o := t.failover
	var (
		mu   sync.Mutex
		most = -1
		errs []error
		wg   sync.WaitGroup
	)
	for _, addr := range t.Addrs {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			sc := redis.NewSentinelClient(&redis.Options{
				Addr: addr, Username: o.SentinelUsername, Password: o.SentinelPassword, TLSConfig: o.TLSConfig,
				DialTimeout: time.Second, ReadTimeout: time.Second, MaxRetries: -1,
			})
			defer sc.Close()
			m, err := sc.Master(ctx, t.Master).Result()
			var n int
			if err == nil {
				n, err = strconv.Atoi(m["num-slaves"])
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			most = max(most, n)
		})
	}
	wg.Wait()
	if most < 0 {
		return 0, errors.Join(errs...)
	}
	return most, nil
}

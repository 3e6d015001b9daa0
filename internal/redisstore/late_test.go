package redisstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/redistest"
)

// lateRemoval holds a client's removal of a consumer (dropConsumerScript) until released, as
// a command that reaches Redis late, and shows every consumer idle for two hours (goneAfter
// is one: no test can wait that long).
type lateRemoval struct {
	held, release chan struct{}
	once          sync.Once
}

func (h *lateRemoval) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *lateRemoval) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			if a := c.Args(); len(a) > 1 && strings.EqualFold(fmt.Sprint(a[0]), "evalsha") && a[1] == dropConsumerScript.Hash() {
				h.once.Do(func() { close(h.held) })
				<-h.release
			}
		}
		return next(ctx, cmds)
	}
}

func (h *lateRemoval) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if c, ok := cmd.(*redis.XInfoConsumersCmd); ok {
			for i := range c.Val() {
				c.Val()[i].Idle = 2 * time.Hour
			}
		}
		return err
	}
}

// TestLateConsumerRemovalStrandsNothing: a's takeover removes consumer c, which looked long
// gone with nothing pending, but the removal reaches Redis after a's lease lapsed and c took
// the shard and read entries. The removal must not drop them: the shard's next holder claims
// and reads every entry left in the stream.
func TestLateConsumerRemovalStrandsNothing(t *testing.T) {
	setup, rdb := openRedis(t, Options{Shards: 1, Consumer: "setup"})
	ctx := ctxT(t)
	prefix, stream := setup.opts.Prefix, setup.keys.queue(0)
	if err := rdb.XGroupCreateConsumer(ctx, stream, group, "c").Err(); err != nil {
		t.Fatal(err)
	}
	store := func(rdb redis.UniversalClient, consumer string) *Store {
		s, err := New(rdb, Options{Prefix: prefix, Shards: 1, Consumer: consumer})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	c, d := store(rdb, "c"), store(rdb, "d")
	h := &lateRemoval{held: make(chan struct{}), release: make(chan struct{})}
	ardb := redistest.Client(t)
	ardb.AddHook(h)
	a := store(ardb, "a")
	take := func(s *Store, ttl time.Duration) {
		t.Helper()
		if ok, _, err := s.TakeShard(ctx, 0, ttl); err != nil || !ok {
			t.Fatalf("%s could not take the shard: %t, %v", s.opts.Consumer, ok, err)
		}
		if _, err := s.ClaimShard(ctx, 0); err != nil && s != a {
			t.Fatalf("%s's claim: %v", s.opts.Consumer, err)
		}
	}
	if ok, _, err := a.TakeShard(ctx, 0, 300*time.Millisecond); err != nil || !ok {
		t.Fatalf("a could not take the shard: %t, %v", ok, err)
	}
	done := make(chan error, 1)
	go func() { _, err := a.ClaimShard(ctx, 0); done <- err }()
	<-h.held                           // a's removal of c is on its way, late
	time.Sleep(500 * time.Millisecond) // and a's lease lapses meanwhile
	take(c, time.Minute)
	enqueue(t, c, 0, event("E1"))
	enqueue(t, c, 0, event("E2"))
	if got := readQueue(t, c, 0, false, 0); len(got) != 2 {
		t.Fatalf("c read %d entries, want 2", len(got))
	}
	close(h.release)
	if err := <-done; err != nil {
		t.Fatalf("a's claim: %v", err)
	}
	// c hands the shard over before handling them: they are the next holder's.
	if err := c.ReleaseShard(ctx, 0); err != nil {
		t.Fatal(err)
	}
	take(d, time.Minute)
	got := len(readQueue(t, d, 0, true, 0)) + len(readQueue(t, d, 0, false, 0))
	if n := rdb.XLen(ctx, stream).Val(); int64(got) != n {
		t.Errorf("d reads %d entries of the %d in the stream: the rest are stranded", got, n)
	}
}

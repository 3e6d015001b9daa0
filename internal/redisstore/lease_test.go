package redisstore

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// testShardLeases: one holder at a time; the holder renews; another takes the shard only once
// the lease lapses or is released; releasing someone else's lease does nothing.
func testShardLeases(t *testing.T, open opener) {
	a, rdb := open(t, Options{Shards: 2, Consumer: "a"})
	b, err := New(rdb, Options{Prefix: a.opts.Prefix, Shards: 2, Consumer: "b"})
	if err != nil {
		t.Fatal(err)
	}
	var renewed bool
	take := func(s *Store, shard int, ttl time.Duration) bool {
		t.Helper()
		ok, again, err := s.TakeShard(ctxT(t), shard, ttl)
		if err != nil {
			t.Fatalf("TakeShard(%s, %d): %v", s.opts.Consumer, shard, err)
		}
		renewed = again
		return ok
	}
	if !take(a, 0, time.Minute) || renewed {
		t.Fatalf("a could not take a free shard, or took it as renewed (%t)", renewed)
	}
	if !take(a, 0, time.Minute) || !renewed {
		t.Fatalf("a could not renew its lease, or renewed it as taken anew (renewed %t)", renewed)
	}
	if take(b, 0, time.Minute) {
		t.Fatal("b took the shard a holds")
	}
	if !take(b, 1, time.Minute) {
		t.Fatal("b could not take the other shard")
	}
	holders := func(want ...string) {
		t.Helper()
		if got, err := b.ShardHolders(ctxT(t)); err != nil || !slices.Equal(got, want) {
			t.Errorf("ShardHolders = %q, %v; want %q", got, err, want)
		}
	}
	holders("a", "b")
	if err := b.ReleaseShard(ctxT(t), 0); err != nil {
		t.Fatal(err)
	}
	if take(b, 0, time.Minute) {
		t.Fatal("b's release of a's lease released it")
	}
	if err := a.ReleaseShard(ctxT(t), 0); err != nil {
		t.Fatal(err)
	}
	holders("", "b")
	if !take(b, 0, time.Minute) {
		t.Fatal("b could not take the shard a released")
	}
	// A lease that is not renewed lapses.
	if take(a, 1, time.Minute) {
		t.Fatal("a took the shard b holds")
	}
	if err := b.ReleaseShard(ctxT(t), 1); err != nil {
		t.Fatal(err)
	}
	if !take(a, 1, 300*time.Millisecond) {
		t.Fatal("a could not take the released shard")
	}
	elapse(rdb, 100*time.Millisecond)
	if take(b, 1, time.Minute) {
		t.Fatal("b took the shard before a's lease of 300ms lapsed")
	}
	elapse(rdb, 300*time.Millisecond)
	if !take(b, 1, time.Minute) {
		t.Fatal("a's lease of 300ms did not lapse")
	}
	// A holder's own lease that lapsed is taken anew, not renewed: others may have read the
	// shard meanwhile (the relay starts its worker again, with a claim).
	if !take(b, 1, 300*time.Millisecond) || !renewed {
		t.Fatal("b could not renew its lease of shard 1")
	}
	elapse(rdb, 400*time.Millisecond)
	if !take(b, 1, time.Minute) || renewed {
		t.Fatalf("b's own lapsed lease taken again: renewed %t, want taken anew", renewed)
	}
	if _, _, err := a.TakeShard(ctxT(t), 2, time.Minute); desk.ErrorCode(err) != desk.EINVALID {
		t.Errorf("TakeShard of a shard that does not exist: %v, want invalid", err)
	}
}

// testClaimShard: the entries one consumer read and never acknowledged become another's, which
// then reads them as pending, in order; entries acknowledged meanwhile are not claimed.
func testClaimShard(t *testing.T, open opener) {
	a, rdb := open(t, Options{Shards: 1, Consumer: "a"})
	b, err := New(rdb, Options{Prefix: a.opts.Prefix, Shards: 1, Consumer: "b"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"E1", "E2", "E3"} {
		enqueue(t, a, 0, event(id))
	}
	read, err := a.ReadQueue(ctxT(t), 0, "", 10, 0)
	if err != nil || len(read) != 3 {
		t.Fatalf("a read %d entries, %v", len(read), err)
	}
	apply(t, a, desk.AckEvent{Shard: 0, Entry: read[0].Entry})
	if n, err := b.ClaimShard(ctxT(t), 0); err != nil || n != 2 {
		t.Fatalf("b claimed %d entries, %v; want the 2 a left", n, err)
	}
	pending, err := b.ReadQueue(ctxT(t), 0, "0", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, q := range pending {
		ids = append(ids, q.Event.ID)
		if !q.Redelivered {
			t.Errorf("%s claimed but not marked redelivered", q.Event.ID)
		}
	}
	if !slices.Equal(ids, []string{"E2", "E3"}) {
		t.Errorf("b's pending entries: %q, want E2 E3", ids)
	}
	if left, err := a.ReadQueue(ctxT(t), 0, "0", 10, 0); err != nil || len(left) != 0 {
		t.Errorf("a still has %d pending entries (%v), want none", len(left), err)
	}
	if n, err := b.ClaimShard(ctxT(t), 0); err != nil || n != 2 {
		t.Errorf("claiming its own entries again: %d, %v; want 2 (they stay b's)", n, err)
	}
	// a read a moment ago: it may be a replica still finishing, and is kept (a consumer is
	// removed only once it has done nothing for goneAfter).
	consumers, err := rdb.XInfoConsumers(ctxT(t), a.keys.queue(0), group).Result()
	if err != nil || len(consumers) != 2 {
		t.Errorf("the shard's consumers after the claim: %+v, %v; want a (recently active, kept) and b", consumers, err)
	}
	if d, err := b.ShardDepth(ctxT(t), 0); err != nil || d != 2 {
		t.Errorf("ShardDepth = %d, %v; want 2 (one of three acknowledged)", d, err)
	}
}

// testReadFencedByLease: once another consumer holds the shard's lease, a read of new
// entries hands nothing out and a claim of pending ones takes nothing, however late they reach
// Redis (sent while the lease held, then delayed by a reconnection; or a read blocked waiting
// when the lease changed hands): what the new holder claimed at takeover, and what comes after,
// stays the new holder's. A read while nobody holds the lease takes entries, which the next
// holder claims.
func testReadFencedByLease(t *testing.T, open opener) {
	a, rdb := open(t, Options{Shards: 1, Consumer: "a"})
	b, err := New(rdb, Options{Prefix: a.opts.Prefix, Shards: 1, Consumer: "b"})
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, a, 0, event("E1"))
	if got := readQueue(t, a, 0, false, 0); len(got) != 1 {
		t.Fatalf("a read %d entries with no lease held, want 1", len(got))
	}
	if ok, _, err := b.TakeShard(ctxT(t), 0, time.Minute); err != nil || !ok {
		t.Fatalf("b could not take the shard: %t, %v", ok, err)
	}
	if n, err := b.ClaimShard(ctxT(t), 0); err != nil || n != 1 {
		t.Fatalf("b claimed %d entries, %v; want the one a read", n, err)
	}
	if n, err := a.ClaimShard(ctxT(t), 0); !errors.Is(err, desk.ErrNotHolder) || n != 0 {
		t.Errorf("a's claim with b holding the lease: %d entries, %v; want none and ErrNotHolder", n, err)
	}
	enqueue(t, a, 0, event("E2"))
	got, err := a.ReadQueue(ctxT(t), 0, "", 10, 0)
	if !errors.Is(err, desk.ErrNotHolder) || len(got) != 0 {
		t.Errorf("a's read with b holding the lease: %d entries, %v; want none and ErrNotHolder", len(got), err)
	}
	var ids []string
	for _, q := range append(readQueue(t, b, 0, true, 0), readQueue(t, b, 0, false, 0)...) {
		ids = append(ids, q.Event.ID)
	}
	if !slices.Equal(ids, []string{"E1", "E2"}) {
		t.Errorf("b reads %q, want E1 (claimed), then E2 (new)", ids)
	}
	// a blocks waiting for entries while nobody holds the lease; b takes it and claims; an
	// entry comes: a, woken, must not take it.
	if err := b.ReleaseShard(ctxT(t), 0); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		got, err := a.ReadQueue(ctxT(t), 0, "", 10, 3*time.Second)
		if len(got) > 0 {
			err = fmt.Errorf("a's blocked read took %d entries", len(got))
		}
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	if ok, _, err := b.TakeShard(ctxT(t), 0, time.Minute); err != nil || !ok {
		t.Fatalf("b could not take the shard again: %t, %v", ok, err)
	}
	if _, err := b.ClaimShard(ctxT(t), 0); err != nil {
		t.Fatal(err)
	}
	enqueue(t, a, 0, event("E3"))
	if err := <-done; desk.ErrorCode(err) != desk.EUNAVAILABLE {
		t.Errorf("a's blocked read, woken by an entry after b took the lease: %v, want unavailable", err)
	}
	if got := readQueue(t, b, 0, false, time.Second); len(got) != 1 || got[0].Event.ID != "E3" {
		t.Errorf("b, holding the lease, read %+v; want E3", got)
	}
}

// testReplicas: each store says it is alive; the list is sorted, with each one's index; one
// that leaves or stops saying it is alive drops out.
func testReplicas(t *testing.T, open opener) {
	a, rdb := open(t, Options{Consumer: "pod-b"})
	b, err := New(rdb, Options{Prefix: a.opts.Prefix, Consumer: "pod-a"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(rdb, Options{Prefix: a.opts.Prefix, Consumer: "pod-c"})
	if err != nil {
		t.Fatal(err)
	}
	live := func(s *Store, ttl time.Duration) ([]string, int) {
		t.Helper()
		names, me, err := s.Replicas(ctxT(t), ttl)
		if err != nil {
			t.Fatal(err)
		}
		return names, me
	}
	live(a, time.Minute)
	live(c, 200*time.Millisecond)
	if names, me := live(b, time.Minute); !slices.Equal(names, []string{"pod-a", "pod-b", "pod-c"}) || me != 0 {
		t.Fatalf("replicas %q, me %d; want pod-a pod-b pod-c, me 0", names, me)
	}
	time.Sleep(300 * time.Millisecond)
	if names, me := live(a, time.Minute); !slices.Equal(names, []string{"pod-a", "pod-b"}) || me != 1 {
		t.Errorf("after pod-c's heartbeat lapsed: %q, me %d; want pod-a pod-b, me 1", names, me)
	}
	if err := b.LeaveReplicas(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if names, me := live(a, time.Minute); !slices.Equal(names, []string{"pod-b"}) || me != 0 {
		t.Errorf("after pod-a left: %q, me %d; want pod-b alone", names, me)
	}
}

// testPaceShared: two processes posting into one channel share its pace: a burst, then a turn
// every 1/rate whoever asks; another channel has its own.
func testPaceShared(t *testing.T, open opener) {
	a, rdb := open(t, Options{Consumer: "a"})
	b, err := New(rdb, Options{Prefix: a.opts.Prefix, Consumer: "b"})
	if err != nil {
		t.Fatal(err)
	}
	turn := func(s *Store, channel string) time.Duration {
		t.Helper()
		d, err := s.Pace(ctxT(t), "slack", channel, 2, 2)
		if err != nil {
			t.Fatalf("Pace: %v", err)
		}
		return d
	}
	if turn(a, "C1") != 0 || turn(b, "C1") != 0 {
		t.Fatal("a burst of 2 was not allowed at once")
	}
	wait := turn(a, "C1")
	if wait < 300*time.Millisecond || wait > 500*time.Millisecond {
		t.Errorf("the third post at 2 a second must wait about 500ms, told %v", wait)
	}
	if d := turn(b, "C1"); d == 0 {
		t.Error("the other process posted past the shared pace")
	}
	if d := turn(b, "C2"); d != 0 {
		t.Errorf("another channel waits %v, want its own pace", d)
	}
	if d, err := a.Pace(ctxT(t), "slack", "C1", 0, 0); err != nil || d != 0 {
		t.Errorf("an unpaced platform waits %v, %v", d, err)
	}
}

// testSameInstanceName: a process restarted under its name (its predecessor's token still
// there) says nothing; two processes alive under one name are told in the log, by the one
// that finds the other's token where it wrote its own.
func testSameInstanceName(t *testing.T, open opener) {
	var logA, logB strings.Builder
	a, rdb := open(t, Options{Consumer: "pod-a", Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: &logA}, nil))})
	b, err := New(rdb, Options{Prefix: a.opts.Prefix, Consumer: "pod-a", Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: &logB}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	beat := func(s *Store) {
		t.Helper()
		if _, _, err := s.Replicas(ctxT(t), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	beat(a)
	beat(a)
	if strings.Contains(logA.String(), "another process runs with this INSTANCE_NAME") {
		t.Fatalf("a process alone under its name was warned: %s", logA.String())
	}
	beat(b) // b starts: a's token is there, as a dead predecessor's would be
	if strings.Contains(logB.String(), "another process") {
		t.Errorf("a process taking over its name was warned: %s", logB.String())
	}
	beat(a) // a finds b's token where it wrote its own
	if !strings.Contains(logA.String(), "another process runs with this INSTANCE_NAME") || !strings.Contains(logA.String(), "instance_name=pod-a") {
		t.Errorf("two processes under one name, and the log says nothing: %q", logA.String())
	}
}

// lockedWriter serialises a logger's writes into a builder.
type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

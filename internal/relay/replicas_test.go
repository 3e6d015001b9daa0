package relay_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/desktest"
	"github.com/threadesk/threadesk/internal/redisstore"
	"github.com/threadesk/threadesk/internal/redistest"
	"github.com/threadesk/threadesk/internal/relay"
)

// replica is one more relay process on the harness's Redis, under its own INSTANCE_NAME, with
// a Redis connection of its own.
type replica struct {
	name  string
	rdb   *redis.Client
	dead  bool
	relay *relay.Relay
	stop  func()
}

func (h *harness) replica(name string, lease time.Duration) *replica {
	h.t.Helper()
	return h.replicaWith(name, lease, nil)
}

// replicaWith is replica with its store wrapped by wrap (nil: as it is).
func (h *harness) replicaWith(name string, lease time.Duration, wrap func(desk.Store) desk.Store) *replica {
	h.t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: redistest.Addr(h.t), PoolSize: 2 * shards})
	h.t.Cleanup(func() { _ = rdb.Close() })
	s, err := redisstore.New(rdb, redisstore.Options{Prefix: h.prefix, Shards: shards, Consumer: name})
	if err != nil {
		h.t.Fatal(err)
	}
	rep := &replica{name: name, rdb: rdb}
	opts := h.opts
	opts.Store, opts.ShardLease = s, lease
	if wrap != nil {
		opts.Store = wrap(s)
	}
	if rep.relay, err = relay.New(opts); err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = rep.relay.Run(ctx); close(done) }()
	var once sync.Once
	rep.stop = func() { once.Do(func() { cancel(); <-done }) }
	h.t.Cleanup(rep.stop)
	return rep
}

// holders reads who holds each shard's lease ("" for nobody).
func (h *harness) holders() []string {
	rdb := redistest.Client(h.t)
	out := make([]string, shards)
	for i := range shards {
		out[i], _ = rdb.Get(context.Background(), redisstore.LeaseKey(h.prefix, i)).Result()
	}
	return out
}

// waitHolders waits until the leases are spread as ok says.
func (h *harness) waitHolders(what string, within time.Duration, ok func(count map[string]int) bool) time.Duration {
	h.t.Helper()
	start := time.Now()
	var got []string
	for time.Since(start) < within {
		got = h.holders()
		count := map[string]int{}
		for _, n := range got {
			count[n]++
		}
		if ok(count) {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("%s: the shards' holders are %q after %v", what, got, within)
	return 0
}

// TestReplicasShareShardsAndTakeOverADeadOne: three replicas on one Redis spread the shards
// evenly; customers' messages recorded through any of them reach their threads once and in
// order; when one replica dies in the middle of the traffic (its Redis connections are gone, as
// after SIGKILL: its leases lapse, what it read stays unacknowledged), the other two take its
// shards within the lease and its unhandled events are handled, none lost or doubled; a
// replica that stops cleanly gives its shards back at once; one that joins gets its share.
func TestReplicasShareShardsAndTakeOverADeadOne(t *testing.T) {
	const lease = 600 * time.Millisecond
	h := newHarness(t, desk.Limits{}, func(o *relay.Options) { o.ShardLease = lease })
	h.stop() // the harness's own relay is replaced by named replicas
	reps := []*replica{h.replica("r1", lease), h.replica("r2", lease), h.replica("r3", lease)}
	h.waitHolders("three replicas", 5*time.Second, func(c map[string]int) bool {
		return c["r1"] >= 2 && c["r2"] >= 2 && c["r3"] >= 2 && c["r1"]+c["r2"]+c["r3"] == shards
	})

	customers := []string{"U1", "U2", "U3", "U4", "U5", "U6"}
	send := func(round int) {
		for i, u := range customers {
			rep := reps[(round+i)%len(reps)]
			if rep.dead {
				rep = reps[(round+i+1)%len(reps)]
			}
			ev := say(u, "m"+strconv.Itoa(round), fmt.Sprintf("%s message %d", u, round))
			ev.Platform = "fake"
			if err := rep.relay.Ingest(context.Background(), ev); err != nil {
				t.Fatalf("ingest through %s: %v", rep.name, err)
			}
		}
	}
	for round := range 3 {
		send(round)
	}
	// r2 dies with events in hand: the platform answers slowly, so some are mid-way.
	h.p.SetFail(func(c desktest.Call) error { time.Sleep(5 * time.Millisecond); return nil })
	send(3)
	// SIGKILL as the store sees it: its connections are gone, so it neither renews its leases
	// nor acknowledges what it read, nor writes anything more.
	reps[1].dead = true
	_ = reps[1].rdb.Close()
	died := time.Now()
	for round := 4; round < 6; round++ {
		send(round)
	}
	took := h.waitHolders("after r2 died", 5*time.Second, func(c map[string]int) bool {
		return c["r2"] == 0 && c["r1"]+c["r3"] == shards
	})
	t.Logf("r2's shards were taken over %v after it died (lease %v)", time.Since(died).Round(time.Millisecond), lease)
	if took > 3*lease {
		t.Errorf("taking over r2's shards took %v, want within the lease (%v) and a round", took, lease)
	}
	for _, u := range customers {
		tk := h.ticketOf(u)
		want := make([]string, 6)
		for round := range want {
			want[round] = fmt.Sprintf("%s message %d", u, round)
		}
		h.waitTexts("C-TRIAGE", tk.ThreadID, want)
	}

	// r1 stops cleanly: r3 holds everything at once, not a lease later.
	reps[0].stop()
	h.waitHolders("after r1 stopped", lease/2+400*time.Millisecond, func(c map[string]int) bool { return c["r3"] == shards })
	// A replica that joins gets its share.
	h.replica("r4", lease)
	h.waitHolders("after r4 joined", 5*time.Second, func(c map[string]int) bool { return c["r3"] == shards/2 && c["r4"] == shards/2 })
	send(6)
	for _, u := range customers {
		tk := h.ticketOf(u)
		texts := []string{}
		h.p.Wait(5*time.Second, func() bool {
			texts = texts[:0]
			for _, m := range h.p.Messages("C-TRIAGE", tk.ThreadID) {
				texts = append(texts, m.Text)
			}
			return len(texts) == 7
		})
		if !slices.Equal(texts[6:], []string{u + " message 6"}) || len(texts) != 7 {
			t.Errorf("%s's thread after r4 joined: %q", u, clip(texts))
		}
	}
}

// TestReplicasShareTheChannelsPace: three replicas, each handling some customers' shards, post
// into the one triage channel at the platform's rate together (20 a second, bursts of 2), not
// each at that rate: 24 posts (12 cards, 12 messages) take at least 1.1 s.
func TestReplicasShareTheChannelsPace(t *testing.T) {
	const lease = 600 * time.Millisecond
	h := newHarness(t, desk.Limits{PostRate: 20, PostBurst: 2}, func(o *relay.Options) { o.ShardLease = lease })
	h.stop()
	reps := []*replica{h.replica("r1", lease), h.replica("r2", lease), h.replica("r3", lease)}
	h.waitHolders("three replicas", 5*time.Second, func(c map[string]int) bool {
		return c["r1"] >= 2 && c["r2"] >= 2 && c["r3"] >= 2 && c["r1"]+c["r2"]+c["r3"] == shards
	})
	// The customers' shards are spread over the replicas (checked, so the test shows sharing).
	// One message each: a customer's messages queued behind each other would be joined into
	// fewer posts (join.go), which is not what is measured here.
	sayOnceAcross(t, reps, 12)
	triage := h.triagePosts(24, 10*time.Second)
	if len(triage) != 24 {
		t.Fatalf("%d posts into the triage channel, want 24", len(triage))
	}
	slices.SortFunc(triage, func(a, b time.Time) int { return a.Compare(b) })
	span := triage[len(triage)-1].Sub(triage[0])
	t.Logf("24 posts into one channel by three replicas over %v (20/s shared: at least 1.1s)", span.Round(time.Millisecond))
	if span < 1050*time.Millisecond {
		t.Errorf("24 posts by three replicas over %v, want at least 1.1s at 20 a second together", span)
	}
	// A shard whose 600 ms lease lapsed a moment ago under a loaded machine has no holder
	// ("") until it is taken again: the three replicas are what matters.
	holders := map[string]bool{}
	for _, n := range h.holders() {
		if n != "" {
			holders[n] = true
		}
	}
	if len(holders) != 3 {
		t.Errorf("the shards are held by %v, want the three replicas", holders)
	}
}

// sayOnceAcross has customers U1…Un write one message each, through the replicas in turn.
func sayOnceAcross(t *testing.T, reps []*replica, n int) {
	t.Helper()
	for i := range n {
		u := "U" + strconv.Itoa(i+1)
		ev := say(u, "m0", u+" message 0")
		ev.Platform = "fake"
		if err := reps[i%len(reps)].relay.Ingest(desk.WithoutIntakeWait(context.Background()), ev); err != nil {
			t.Fatal(err)
		}
	}
}

// triagePosts waits up to within for at least want posts into the triage channel (refused ones
// included) and returns when each was made.
func (h *harness) triagePosts(want int, within time.Duration) []time.Time {
	h.t.Helper()
	var triage []time.Time
	if !h.p.Wait(within, func() bool {
		triage = triage[:0]
		for _, c := range h.p.Calls("post") {
			if c.Channel == "C-TRIAGE" {
				triage = append(triage, c.At)
			}
		}
		return len(triage) >= want
	}) {
		h.t.Fatalf("%d posts into the triage channel, want %d", len(triage), want)
	}
	return triage
}

// TestReplicasShareARetryAfter: a 429 one replica is given for the triage channel holds every
// replica's posts there for its Retry-After, not only its own: the others do not go on posting
// into a channel the platform asked to leave alone.
func TestReplicasShareARetryAfter(t *testing.T) {
	// Leases long enough that a replica slowed by the race detector is never taken for dead
	// (alone, a replica paces by itself and shares no hold).
	const lease = 2 * time.Second
	const retryAfter = 1500 * time.Millisecond
	// 10 posts a second together: the 20 posts take two seconds, the Retry-After falls amid them.
	h := newHarness(t, desk.Limits{PostRate: 10, PostBurst: 2}, func(o *relay.Options) { o.ShardLease = lease })
	h.stop()
	reps := []*replica{h.replica("r1", lease), h.replica("r2", lease)}
	h.waitHolders("two replicas", 5*time.Second, func(c map[string]int) bool {
		return c["r1"] >= 2 && c["r2"] >= 2 && c["r1"]+c["r2"] == shards
	})
	var mu sync.Mutex
	var heldAt time.Time
	h.p.SetFail(func(c desktest.Call) error {
		mu.Lock()
		defer mu.Unlock()
		if c.Op == "post" && c.Channel == "C-TRIAGE" && heldAt.IsZero() {
			heldAt = time.Now()
			return &desk.DeliveryError{Op: "chat.postMessage", Kind: desk.FailRateLimited, Reason: "ratelimited", Temporary: true, RetryAfter: retryAfter}
		}
		return nil
	})
	sayOnceAcross(t, reps, 10)
	triage := h.triagePosts(21, 15*time.Second) // 10 cards and 10 messages, and the post refused
	mu.Lock()
	at := heldAt
	mu.Unlock()
	// Posts already under way when the 429 came may land just after it; none may for the rest
	// of the Retry-After.
	var during []time.Duration
	for _, c := range triage {
		if d := c.Sub(at); d > 100*time.Millisecond && d < retryAfter-100*time.Millisecond {
			during = append(during, d.Round(time.Millisecond))
		}
	}
	if len(during) > 0 {
		t.Errorf("posts into the triage channel %v after a 429 asking for %v", during, retryAfter)
	}
}

// TestHandoverWaitsForTheEventInHand: a replica giving shards to one that joins while the
// platform hangs keeps those shards' leases until the events in hand are done, however long
// (here four leases): the joiner never handles them meanwhile, so nothing is posted twice,
// and the shards move once they are free.
func TestHandoverWaitsForTheEventInHand(t *testing.T) {
	// Long enough that a round of the shards delayed by a busy machine (the whole test suite
	// at once, under the race detector) does not let a lease lapse.
	const lease = 1500 * time.Millisecond
	h := newHarness(t, desk.Limits{}, func(o *relay.Options) { o.ShardLease = lease })
	h.stop()
	r1 := h.replica("r1", lease)
	h.waitHolders("r1 alone", 5*time.Second, func(c map[string]int) bool { return c["r1"] == shards })
	release := h.hang()
	customers := []string{"U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8"}
	for _, u := range customers {
		ev := say(u, "m1", u+" hello")
		ev.Platform = "fake"
		if err := r1.relay.Ingest(desk.WithoutIntakeWait(context.Background()), ev); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // r1's workers are inside their first post
	h.replica("r2", lease)
	time.Sleep(4 * lease)
	for i, holder := range h.holders() {
		if holder != "r1" {
			t.Errorf("shard %d is held by %q while r1 still works on it, want r1", i, holder)
		}
	}
	release()
	h.waitHolders("the handover", 5*time.Second, func(c map[string]int) bool { return c["r1"] == shards/2 && c["r2"] == shards/2 })
	for _, u := range customers {
		tk := h.ticketOf(u)
		h.waitTexts("C-TRIAGE", tk.ThreadID, []string{u + " hello"})
	}
	cards := 0
	for _, m := range h.p.Messages("C-TRIAGE", "") {
		if m.Card != nil {
			cards++
		}
	}
	if cards != len(customers) {
		t.Errorf("%d cards for %d customers", cards, len(customers))
	}
}

// TestAShardGivenUpPastASlowEventGoesToItsReplica: a replica gives a shard up to one that
// joined while the shard's worker is inside an event that lasts longer than a lease; once the
// event is done and the lease released, the shard goes to the replica that prefers it, not
// back to the giver (whose offer must run from the release, not from the give-up).
func TestAShardGivenUpPastASlowEventGoesToItsReplica(t *testing.T) {
	const lease = 1500 * time.Millisecond
	h := newHarness(t, desk.Limits{}, func(o *relay.Options) { o.ShardLease = lease })
	h.stop()
	r3 := h.replica("r3", lease)
	h.waitHolders("r3 alone", 5*time.Second, func(c map[string]int) bool { return c["r3"] == shards })
	release := h.hang()
	// U6's events are in shard 7, which r2 prefers among r1, r2 and r3 (7 mod 3 = 1); r3,
	// holding every shard alone, keeps 2 and 5 and gives the others up to the two that join,
	// 7 once its worker is done with U6's message.
	ev := say("U6", "m1", "U6 hello")
	ev.Platform = "fake"
	if err := r3.relay.Ingest(desk.WithoutIntakeWait(context.Background()), ev); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // r3's worker of shard 7 is inside its first post
	h.replica("r1", lease)
	h.replica("r2", lease)
	time.Sleep(2 * lease) // the event in hand outlasts a lease
	if held := h.holders(); held[7] != "r3" {
		t.Fatalf("shard 7 is held by %q while r3 still works on it, want r3 (holders %q)", held[7], held)
	}
	release()
	h.waitHolders("shard 7 with r2", 2*lease, func(map[string]int) bool { return h.holders()[7] == "r2" })
	time.Sleep(lease / 2)
	if held := h.holders(); held[7] != "r2" {
		t.Errorf("shard 7 is held by %q, want r2, which prefers it (holders %q)", held[7], held)
	}
	tk := h.ticketOf("U6")
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"U6 hello"})
}

// leaseSpy counts a replica's lease calls: the leases it takes anew and gives up, and its
// claims (each a worker started on a shard taken anew); with delay, every lease call is
// answered only after it, as a Redis far away or a machine short of CPU does.
type leaseSpy struct {
	desk.Store
	delay                   time.Duration
	claims, taken, released atomic.Int32
}

func (s *leaseSpy) TakeShard(ctx context.Context, shard int, ttl time.Duration) (bool, bool, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return false, false, ctx.Err()
	}
	held, renewed, err := s.Store.TakeShard(ctx, shard, ttl)
	if held && !renewed {
		s.taken.Add(1)
	}
	return held, renewed, err
}

func (s *leaseSpy) ReleaseShard(ctx context.Context, shard int) error {
	s.released.Add(1)
	return s.Store.ReleaseShard(ctx, shard)
}

func (s *leaseSpy) ClaimShard(ctx context.Context, shard int) (int, error) {
	s.claims.Add(1)
	return s.Store.ClaimShard(ctx, shard)
}

// TestSlowLeaseCallsStillHoldEveryShard: each lease call takes a while (here 100 ms, when a
// round has 333 ms), so that a round renewing its shards one after another (800 ms) would
// reach only the first few before its time is up, and the others would lapse and be started
// again and again. The renewals of a round go together: the relay takes every shard and keeps
// them, none started twice. (With 60 ms calls and 200 ms rounds the margin was thin enough
// for a loaded machine to cross once.)
func TestSlowLeaseCallsStillHoldEveryShard(t *testing.T) {
	slow := &leaseSpy{delay: 100 * time.Millisecond}
	h := newHarness(t, desk.Limits{}, func(o *relay.Options) {
		slow.Store = o.Store
		o.Store = slow
		o.ShardLease = time.Second
	})
	h.waitHolders("one slow replica", 5*time.Second, func(c map[string]int) bool { return c[""] == 0 })
	started := slow.claims.Load()
	time.Sleep(3 * time.Second) // nine rounds
	if got := h.holders(); slices.Contains(got, "") {
		t.Errorf("shards unheld after nine rounds of slow renewals: %q", got)
	}
	if again := slow.claims.Load() - started; again > 0 {
		t.Errorf("%d shards were started again after being held: their renewals came too late", again)
	}
}

// TestTakesNoMoreFreeShardsThanItsShare: a replica whose preferred shards are another's, with
// many free shards around (those of replicas gone), takes as many as make up its fair share
// and no more: taking them all at once and giving the extra back would cost a round trip
// each, and leave them unheld meanwhile.
func TestTakesNoMoreFreeShardsThanItsShare(t *testing.T) {
	const lease = 600 * time.Millisecond
	h := newHarness(t, desk.Limits{}, func(o *relay.Options) { o.ShardLease = lease })
	h.stop()
	h.othersHoldR1sShards()
	var counted *leaseSpy
	h.replicaWith("r1", lease, func(s desk.Store) desk.Store { counted = &leaseSpy{Store: s}; return counted })
	fair := shards / 4
	h.waitHolders("r1's fair share", 5*time.Second, func(c map[string]int) bool { return c["r1"] == fair })
	time.Sleep(3 * lease / 2) // more rounds
	if held := h.holders(); len(slices.DeleteFunc(slices.Clone(held), func(n string) bool { return n != "r1" })) != fair {
		t.Errorf("the shards' holders are %q, want r1 holding %d", held, fair)
	}
	if taken, released := counted.taken.Load(), counted.released.Load(); taken != int32(fair) || released != 0 {
		t.Errorf("r1 took %d leases and gave %d back, want %d taken and none given back", taken, released, fair)
	}
}

// TestKeepsAShardNobodyElseTakes: a replica above the least share gives a shard it does not
// prefer up, so that a replica that prefers it can take it; when nobody does (the one that
// prefers it is of another version, or counts other shards), the replica takes it back, and
// keeps it rather than give it up and take it back again every round.
func TestKeepsAShardNobodyElseTakes(t *testing.T) {
	const lease = 600 * time.Millisecond
	h := newHarness(t, desk.Limits{}, func(o *relay.Options) { o.ShardLease = lease })
	h.stop()
	// Three replicas alive: "a" holds the shards r1 prefers (2 and 5: r1 sorts after "a" and
	// "b"), "b" holds none and never takes any. r1's fair share is 3 of 8, its least 2.
	h.ghosts([]string{"a", "b"}, 2, 5)
	var counted *leaseSpy
	h.replicaWith("r1", lease, func(s desk.Store) desk.Store { counted = &leaseSpy{Store: s}; return counted })
	h.waitHolders("r1's fair share", 5*time.Second, func(c map[string]int) bool { return c["r1"] == 3 })
	time.Sleep(8 * lease) // about 24 rounds
	t.Logf("r1 gave %d leases up in %v", counted.released.Load(), 8*lease)
	if released := counted.released.Load(); released > 2 {
		t.Errorf("r1 gave %d leases up in %v, want at most 2: a shard nobody takes is kept, not given up every round", released, 8*lease)
	}
	if held := h.holders(); len(slices.DeleteFunc(slices.Clone(held), func(n string) bool { return n != "r1" })) < 2 {
		t.Errorf("the shards' holders are %q, want r1 holding its share", held)
	}
	// A replica that joins changes the shares: r1 gives a shard up to even them out again at
	// once, not when its while of keeping is over.
	given := counted.released.Load()
	h.replica("c", lease)
	if !h.p.Wait(3*time.Second, func() bool { return counted.released.Load() > given }) {
		t.Errorf("r1 gave nothing up within 3s of a replica joining (holders %q)", h.holders())
	}
}

// othersHoldR1sShards has three replicas say they are alive, one of them holding the shards a
// replica named r1 prefers among four (3 and 7: r1 sorts after "a", "b" and "c"), and nothing
// else. (With four replicas a fair share, two shards, is also the least one, so r1 never
// gives one back to even the shares out.)
func (h *harness) othersHoldR1sShards() { h.ghosts([]string{"a", "b", "c"}, 3, 7) }

// ghosts has the replicas named say they are alive (for a minute) without running, the first
// of them holding the leases of held: replicas that never take or give a shard.
func (h *harness) ghosts(names []string, held ...int) {
	h.t.Helper()
	ctx := context.Background()
	for i, name := range names {
		s, err := redisstore.New(redistest.Client(h.t), redisstore.Options{Prefix: h.prefix, Shards: shards, Consumer: name})
		if err != nil {
			h.t.Fatal(err)
		}
		if _, _, err := s.Replicas(ctx, time.Minute); err != nil {
			h.t.Fatal(err)
		}
		if i > 0 {
			continue
		}
		for _, shard := range held {
			if ok, _, err := s.TakeShard(ctx, shard, time.Minute); err != nil || !ok {
				h.t.Fatalf("take shard %d for %s: %v %v", shard, name, ok, err)
			}
		}
	}
}

// TestTakesItsOwnLeftLeaseFirst: a lease in this replica's name without a worker (a take
// whose answer was lost, or a process of the same name just before) is taken first among the
// free shards, and started: it is free to no one else, and would otherwise stay unworked
// until it lapsed.
func TestTakesItsOwnLeftLeaseFirst(t *testing.T) {
	const lease = 600 * time.Millisecond
	h := newHarness(t, desk.Limits{}, func(o *relay.Options) { o.ShardLease = lease })
	h.stop()
	h.othersHoldR1sShards()
	if err := redistest.Client(t).Set(context.Background(), redisstore.LeaseKey(h.prefix, 6), "r1", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	var counted *leaseSpy
	h.replicaWith("r1", lease, func(s desk.Store) desk.Store { counted = &leaseSpy{Store: s}; return counted })
	fair := shards / 4
	h.waitHolders("r1's fair share", 5*time.Second, func(c map[string]int) bool { return c["r1"] == fair })
	if held := h.holders(); held[6] != "r1" {
		t.Errorf("the shards' holders are %q, want r1 holding shard 6, its own", held)
	}
	if !h.p.Wait(5*time.Second, func() bool { return counted.claims.Load() == int32(fair) }) {
		t.Errorf("r1 started %d workers, want %d: its own lease's shard too", counted.claims.Load(), fair)
	}
}

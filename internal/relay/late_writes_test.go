package relay_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/redisstore"
	"github.com/threadesk/threadesk/internal/redistest"
	"github.com/threadesk/threadesk/internal/relay"
)

// Writes of a replica whose lease lapsed may reach Redis late, after another replica took the
// shard over and finished the same work (fence.go): they must not undo it.

// TestLateOutboxProgressBringsNothingBack: replica A carried out the first task of a record
// and sent its progress, which reached Redis late; meanwhile B carried the whole record out
// and forgot it. A's progress must not bring it back, or the next holder of the shard would
// carry its last tasks out again (the rating question asked twice).
func TestLateOutboxProgressBringsNothingBack(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	h.stop() // no replica holds the shards while the interleaving is set up
	ctx := context.Background()
	post := func(text, key string) desk.Task {
		return desk.Task{Kind: desk.TaskPost, Platform: "fake", Message: desk.Outgoing{Channel: "D-u1", Text: text, Key: key}}
	}
	rec := desk.Outbox{Platform: "fake", Event: "ev-step", At: time.Now(), Tasks: []desk.Task{
		post("Ticket resolved", "e:ev-step:notice0"), post("Noted", "e:ev-step:noted0"), post("How did we do?", "e:ev-step:rating0"),
	}}
	if err := h.store.Apply(ctx, desk.PutOutbox{Shard: 0, Outbox: rec}); err != nil {
		t.Fatal(err)
	}
	// B carries all three out and forgets the record.
	for _, task := range rec.Tasks {
		if _, err := h.p.Post(ctx, task.Message); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.store.Apply(ctx, desk.DoneOutbox{Shard: 0, Platform: "fake", Event: "ev-step"}); err != nil {
		t.Fatal(err)
	}
	// A's progress after the first task, sent long before, lands now.
	late := rec
	late.Done = 1
	if err := h.store.Apply(ctx, desk.PutOutbox{Shard: 0, Outbox: late, Progress: true}); err != nil {
		t.Fatal(err)
	}
	if got, err := h.store.Outbox(ctx, 0); err != nil || len(got) != 0 {
		t.Fatalf("the outbox after the late progress: %d records, %v; want none", len(got), err)
	}
	h.start() // the next holder of shard 0 (a deploy, a rebalance)
	time.Sleep(500 * time.Millisecond)
	n := 0
	for _, m := range h.p.Messages("D-u1", "") {
		if m.Text == "How did we do?" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the rating question is in the customer's DM %d times, want once", n)
	}
}

// TestLateJoinRecordLosesNothing: A recorded a join of m1 with m2 and m3, which reached Redis
// late. B, handling m1 again, found no join and posted m1 alone; its commit did not go
// through. A's join lands. B's retry must not take the lone post for the joined one (which
// would record m2 and m3 as relayed in it): every message reaches the agents.
func TestLateJoinRecordLosesNothing(t *testing.T) {
	h, tk, evs, read := threeReadByAnother(t)
	// B's first try: m1 alone, under m1's key; its commit failed.
	cust := customer("u1")
	if _, err := h.p.Post(context.Background(), desk.Outgoing{Channel: tk.TriageChannel, Thread: tk.ThreadID, Text: "first", Key: "e:" + evs[0].ID + ":t0", As: &cust}); err != nil {
		t.Fatal(err)
	}
	// A's join lands.
	recordJoin(t, h, tk, read, evs, true)
	h.start() // B's retry, or the next holder's
	wantEachOnce(t, h, tk, "first", "second", "third")
}

// TestJoinOfAnOlderVersionIsFollowed: a version before 2026-12-07 posted a joined post under
// its first message's key and stopped before its commit; the new version handling the first
// message again takes that post for the joined one, as recorded, and posts nothing again.
func TestJoinOfAnOlderVersionIsFollowed(t *testing.T) {
	h, tk, evs, read := threeReadByAnother(t)
	ctx := context.Background()
	j := recordJoin(t, h, tk, read, evs, false)
	cust := customer("u1")
	if _, err := h.p.Post(ctx, desk.Outgoing{Channel: tk.TriageChannel, Thread: tk.ThreadID, Text: j.Text(), Key: "e:" + evs[0].ID + ":t0", As: &cust}); err != nil {
		t.Fatal(err)
	}
	h.start()
	if !h.p.Wait(5*time.Second, func() bool { n, _ := h.store.QueueDepth(ctx); return n == 0 }) {
		t.Fatal("the messages were not handled")
	}
	wantEachOnce(t, h, tk, "first", "second", "third")
}

// threeReadByAnother opens u1's ticket ("hello"), stops the relay, and has three more
// messages of u1 recorded and read by another consumer (a replica that then stopped): they
// are pending, redelivered to the shard's next holder. It returns the events and the entries.
func threeReadByAnother(t *testing.T) (*harness, desk.Ticket, []desk.Event, []desk.Queued) {
	t.Helper()
	h := newHarness(t, desk.Limits{})
	h.ingest(say("u1", "m0", "hello"))
	tk := h.ticketOf("u1")
	h.waitTexts(tk.TriageChannel, tk.ThreadID, []string{"hello"})
	h.stop()
	evs := []desk.Event{say("u1", "m1", "first"), say("u1", "m2", "second"), say("u1", "m3", "third")}
	for _, ev := range evs {
		h.ingest(ev)
	}
	other, err := redisstore.New(redistest.Client(t), redisstore.Options{Prefix: h.prefix, Shards: shards, Consumer: "other"})
	if err != nil {
		t.Fatal(err)
	}
	var read []desk.Queued
	for sh := range shards {
		got, err := other.ReadQueue(context.Background(), sh, "", 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		read = append(read, got...)
	}
	return h, tk, evs, read
}

// recordJoin records a join of the messages read, as a replica of this version (ownKey) or
// of an older one writes it.
func recordJoin(t *testing.T, h *harness, tk desk.Ticket, read []desk.Queued, evs []desk.Event, ownKey bool) desk.Join {
	t.Helper()
	if len(read) != len(evs) {
		t.Fatalf("%d entries read, want %d", len(read), len(evs))
	}
	j := desk.Join{ID: evs[0].ID, Ticket: tk.ID, OwnKey: ownKey}
	for i, q := range read {
		ev := evs[i]
		j.Parts = append(j.Parts, desk.JoinPart{Event: q.Event.ID, Entry: q.Entry, Source: desk.MessageRef{Channel: ev.Channel, ID: ev.Message}, Text: ev.Text, Written: ev.Text, At: time.Now()})
	}
	if err := h.store.Apply(context.Background(), desk.PutJoin{Platform: "fake", Join: j}); err != nil {
		t.Fatal(err)
	}
	return j
}

// wantEachOnce waits until each text is in the ticket's thread and fails unless each is there
// once (joined posts read line by line).
func wantEachOnce(t *testing.T, h *harness, tk desk.Ticket, texts ...string) {
	t.Helper()
	var lines []string
	read := func() bool {
		lines = lines[:0]
		for _, m := range h.p.Messages(tk.TriageChannel, tk.ThreadID) {
			lines = append(lines, strings.Split(m.Text, "\n")...)
		}
		return !slices.ContainsFunc(texts, func(w string) bool { return !slices.Contains(lines, w) })
	}
	h.p.Wait(10*time.Second, read)
	time.Sleep(200 * time.Millisecond) // anything posted twice has had time to show
	read()
	for _, want := range texts {
		if n := strings.Count(strings.Join(lines, "\n")+"\n", want+"\n"); n != 1 || !slices.Contains(lines, want) {
			t.Errorf("%q is in the thread %d times, want once: %q", want, n, lines)
		}
	}
}

// lapsingStore lets a shard's lease lapse just before the relay's next renewal of it reaches
// Redis, and has another consumer read the shard meanwhile (a late read that finds the lease
// free); it counts the relay's claims of the shard.
type lapsingStore struct {
	desk.Store
	lapse  func() // run once, before a renewal
	armed  atomic.Bool
	claims atomic.Int32
}

func (s *lapsingStore) TakeShard(ctx context.Context, shard int, ttl time.Duration) (bool, bool, error) {
	if shard == 0 && s.armed.CompareAndSwap(true, false) {
		s.lapse()
	}
	return s.Store.TakeShard(ctx, shard, ttl)
}

func (s *lapsingStore) ClaimShard(ctx context.Context, shard int) (int, error) {
	if shard == 0 {
		s.claims.Add(1)
	}
	return s.Store.ClaimShard(ctx, shard)
}

// TestLapsedLeaseTakenAgainClaims: the relay's lease of a shard lapsed before its renewal
// reached Redis, and meanwhile another consumer's late read, finding the lease free, took a
// new entry. The renewal takes the lease anew: the relay must claim the shard again, or the
// entry would stay in the other consumer's pending list, never relayed.
func TestLapsedLeaseTakenAgainClaims(t *testing.T) {
	var ls *lapsingStore
	h := newHarness(t, desk.Limits{}, func(o *relay.Options) {
		ls = &lapsingStore{Store: o.Store}
		o.Store = ls
		o.ShardLease = 900 * time.Millisecond
	})
	ctx := context.Background()
	rdb := redistest.Client(t)
	other, err := redisstore.New(rdb, redisstore.Options{Prefix: h.prefix, Shards: shards, Consumer: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if !h.p.Wait(5*time.Second, func() bool { return ls.claims.Load() > 0 }) {
		t.Fatal("the relay never claimed shard 0")
	}
	claimed := ls.claims.Load()
	ev := say("u1", "m1", "written while the lease had lapsed")
	ev.Platform = "fake"
	lapsed := make(chan error, 1)
	// The lease lapses; the other consumer's read comes while it is free (here: while the
	// other holds it for the moment, so that the relay's worker cannot read first); then the
	// relay's renewal comes, to a free lease.
	lease := redisstore.LeaseKey(h.prefix, 0)
	ls.lapse = func() {
		err := rdb.Set(ctx, lease, "other", time.Minute).Err()
		if err == nil {
			_, err = other.Enqueue(ctx, 0, ev)
		}
		if err == nil {
			var got []desk.Queued
			if got, err = other.ReadQueue(ctx, 0, "", 10, 0); err == nil && len(got) != 1 {
				err = fmt.Errorf("the late read took %d entries, want 1", len(got))
			}
		}
		if err == nil {
			err = rdb.Del(ctx, lease).Err()
		}
		lapsed <- err
	}
	ls.armed.Store(true)
	if err := <-lapsed; err != nil {
		t.Fatal(err)
	}
	if !h.p.Wait(5*time.Second, func() bool { return ls.claims.Load() > claimed }) {
		t.Fatal("the lease taken anew was renewed as if held all along: no claim")
	}
	tk := h.ticketOf("u1")
	h.waitTexts(tk.TriageChannel, tk.ThreadID, []string{ev.Text})
}

package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/redistest"
)

// The queue shards' own keys (stream, lease, dedupe markers) are in slots of their own under a
// hash tag (keys.go): these tests show what that changes, on every backend, with and without
// a tag.

// taggedOptions are options under a hash-tagged prefix of the test's own, so that the shards
// are apart on every backend, not only on Cluster.
func taggedOptions(t *testing.T, shards int) Options {
	return Options{Prefix: withHashTag(redistest.Prefix(t)), Shards: shards}
}

// testHandledEntryAcknowledged: an entry whose changes were applied but whose
// acknowledgement was lost (a crash between the two, which can happen when the shards are
// apart) is read again; its changes are refused as handled, and it is acknowledged then, so
// that it is not handled again and again. With and without a hash tag.
func testHandledEntryAcknowledged(t *testing.T, open opener) {
	for _, tagged := range []bool{false, true} {
		t.Run("tagged "+strconv.FormatBool(tagged), func(t *testing.T) {
			opts := Options{Shards: 2}
			if tagged {
				opts = taggedOptions(t, 2)
			}
			s, rdb := open(t, opts)
			if tagged && !s.keys.shardsApart() { // on Cluster they are always apart
				t.Fatalf("shards not apart under %q", s.opts.Prefix)
			}
			ctx := ctxT(t)
			ev := event("Ev-lost-ack")
			enqueue(t, s, 1, ev)
			q := readQueue(t, s, 1, false, 0)
			if len(q) != 1 {
				t.Fatalf("read %d entries, want 1", len(q))
			}
			tk, _ := openTicket(t, s, newTicket("U1"))
			entry := func(text string) desk.Change {
				return desk.AppendEntry{Ticket: tk.ID, Entry: desk.Entry{At: at(3), Kind: "customer", Text: text}}
			}
			// Applied, guarded by the event, and the entry's acknowledgement never sent.
			apply(t, s, entry("first"), desk.AckEvent{Shard: 1, Platform: ev.Platform, Event: ev.ID})
			again := readQueue(t, s, 1, true, 0)
			if len(again) != 1 || again[0].Entry != q[0].Entry {
				t.Fatalf("pending after the lost acknowledgement: %+v", again)
			}
			err := s.Apply(ctx, entry("second"), desk.AckEvent{Shard: 1, Entry: again[0].Entry, Platform: ev.Platform, Event: ev.ID})
			if !errors.Is(err, desk.ErrHandled) {
				t.Fatalf("handled again = %v, want ErrHandled", err)
			}
			if pending := readQueue(t, s, 1, true, 0); len(pending) != 0 {
				t.Errorf("still pending after the refusal: %+v", pending)
			}
			if n := rdb.XLen(ctx, s.keys.queue(1)).Val(); n != 0 {
				t.Errorf("shard 1 holds %d entries, want none", n)
			}
			entries, _ := s.Transcript(ctx, tk.ID)
			if len(entries) != 1 || entries[0].Text != "first" {
				t.Errorf("transcript %+v, want only the first", entries)
			}
			// An acknowledgement of an entry alone (one that did not decode) needs no guard.
			enqueue(t, s, 0, event("Ev-alone"))
			alone := readQueue(t, s, 0, false, 0)
			apply(t, s, desk.AckEvent{Shard: 0, Entry: alone[0].Entry})
			if n := rdb.XLen(ctx, s.keys.queue(0)).Val(); n != 0 {
				t.Errorf("shard 0 holds %d entries after its acknowledgement, want none", n)
			}
		})
	}
}

// testLegacyQueuesMoved: under a hash tag, the entries an older store left in the streams it
// kept in the installation's slot (read or not, one that does not decode) are moved into the
// shards' own streams in order when a store opens, once however often stores open, and the old
// streams are deleted. Their old dedupe markers do not stop them. On Cluster an entry already
// recorded anew (a move cut short) is not doubled. One an old process had read is read as
// redelivered. Nothing moves while a replica of the older
// version holds a shard.
func testLegacyQueuesMoved(t *testing.T, open opener) {
	opts := taggedOptions(t, 2)
	s, rdb := open(t, opts)
	ctx := ctxT(t)
	k := s.keys
	body := func(id string) string {
		b, err := json.Marshal(event(id))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if s.slotsApart() {
		enqueue(t, s, 0, event("E2")) // moved before, by a move cut short (Cluster)
	}
	for _, c := range [][]any{
		// The old layout's dedupe markers, in the installation's slot.
		{"SET", k.seen("slack", "E1"), "1"}, {"SET", k.seen("slack", "E2"), "1"},
		{"SET", k.seen("slack", "E3"), "1"}, {"SET", k.seen("slack", "E4"), "1"},
		{"XADD", k.legacyQueue(0), "*", eventField, body("E1")},
		{"XADD", k.legacyQueue(0), "*", eventField, body("E2")},
		{"XADD", k.legacyQueue(0), "*", eventField, "{not json"},
		{"XADD", k.legacyQueue(0), "*", eventField, body("E3")},
		{"XADD", k.legacyQueue(1), "*", eventField, body("E4")},
		{"XGROUP", "CREATE", k.legacyQueue(1), group, "0"},
		{"XREADGROUP", "GROUP", group, "old-replica", "COUNT", "1", "STREAMS", k.legacyQueue(1), ">"},
	} {
		if err := rdb.Do(ctx, c...).Err(); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
	}
	// While a replica of the older version holds a shard, a store does not start.
	if err := rdb.Set(ctx, k.legacyLease(1), "old-replica", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := New(rdb, opts); desk.ErrorCode(err) != desk.ECONFLICT || !strings.Contains(err.Error(), "stop them first") {
		t.Fatalf("New beside an old replica = %v, want a conflict telling to stop it", err)
	}
	if n := rdb.XLen(ctx, k.legacyQueue(0)).Val(); n != 4 {
		t.Fatalf("the old stream holds %d entries after the refusal, want its 4", n)
	}
	rdb.Del(ctx, k.legacyLease(1))
	for range 2 {
		if _, err := New(rdb, opts); err != nil {
			t.Fatalf("New over old streams: %v", err)
		}
	}
	// An entry is listed with "again" when it is read as redelivered, "?" when it does not
	// decode.
	ids := func(shard int) []string {
		var out []string
		for _, q := range readQueue(t, s, shard, false, 0) {
			if q.Event.ID == "" {
				q.Event.ID = "?"
			}
			if q.Redelivered {
				q.Event.ID += " again"
			}
			out = append(out, q.Event.ID)
		}
		return out
	}
	// On one server a script moves the entries as they are (the worker drops one that does
	// not decode); on Cluster each is recorded anew, once.
	want := []string{"E1", "E2", "?", "E3"}
	if s.slotsApart() {
		want = []string{"E2", "E1", "E3"}
	}
	wantEqual(t, "shard 0 after the move", ids(0), want)
	wantEqual(t, "shard 1 after the move (an entry an old replica had read)", ids(1), []string{"E4 again"})
	if n := rdb.Exists(ctx, k.legacyQueue(0), k.legacyQueue(1)).Val(); n != 0 {
		t.Errorf("%d old streams left", n)
	}
}

// testLegacyTimerFires: a timer an older store set (its hash naming the queue shard's key and
// the dedupe marker's) fires into its shard; one whose hash does not decode is removed without
// an event.
func testLegacyTimerFires(t *testing.T, open opener) {
	for _, tagged := range []bool{false, true} {
		t.Run("tagged "+strconv.FormatBool(tagged), func(t *testing.T) {
			opts := Options{Shards: 4}
			if tagged {
				opts = taggedOptions(t, 4)
			}
			s, rdb := open(t, opts)
			ctx := ctxT(t)
			k := s.keys
			ev := timerAt("old", at(5), 3).Event
			ev.ID += "@" + strconv.FormatInt(at(5).UnixMilli(), 10)
			b, _ := json.Marshal(ev)
			for _, c := range [][]any{
				{"HSET", k.timer("old"), tQueue, k.legacyQueue(3), "s", k.seen(ev.Platform, ev.ID), tEvent, string(b)},
				{"ZADD", k.timers(), at(5).UnixMilli(), "old"},
				{"HSET", k.timer("bad"), tEvent, "{not json"},
				{"ZADD", k.timers(), at(5).UnixMilli(), "bad"},
			} {
				if err := rdb.Do(ctx, c...).Err(); err != nil {
					t.Fatalf("%v: %v", c, err)
				}
			}
			n, err := s.FireDue(ctx, at(6), 10)
			if err != nil || n != 2 {
				t.Fatalf("FireDue = %d, %v; want both timers gone", n, err)
			}
			q := readQueue(t, s, 3, false, 0)
			if len(q) != 1 || q[0].Event.ID != ev.ID {
				t.Fatalf("shard 3 holds %+v, want the old timer's event", q)
			}
			for shard := range 3 {
				if q := readQueue(t, s, shard, false, 0); len(q) != 0 {
					t.Errorf("shard %d holds %+v", shard, q)
				}
			}
			if n := rdb.Exists(ctx, k.timer("old"), k.timer("bad")).Val() + rdb.ZCard(ctx, k.timers()).Val(); n != 0 {
				t.Errorf("%d timer keys or entries left", n)
			}
		})
	}
}

// TestBatchersBySlot: on Cluster each slot's operations go to a batcher of their own, the
// installation's to the one that also sends the search words; elsewhere all go to one.
func TestBatchersBySlot(t *testing.T) {
	home := &batcher{}
	bs := &batchers{home: home, homeTag: "td", slots: map[string]*batcher{}, more: func(key string) *batcher { return &batcher{slotKey: key} }}
	q1, q2 := bs.of("{td/q1}:q:1"), bs.of("{td/q2}:q:2")
	switch {
	case bs.of("") != home || bs.of("{td}:t:1") != home:
		t.Error("the installation's operations do not go to its batcher")
	case q1 == home || q2 == home || q1 == q2:
		t.Error("two shards' slots share a batcher, or one shares the installation's")
	case bs.of("{td/q1}:seen:slack:E1") != q1:
		t.Error("a shard's keys go to two batchers")
	case slotTag(q1.slotKey) != "td/q1":
		t.Errorf("shard 1's batcher knows its slot by %q", q1.slotKey)
	}
	one := &batchers{home: home}
	if one.of("{td/q1}:q:1") != home {
		t.Error("off Cluster an operation went to another batcher than the one")
	}
	// Once closing, an operation fails at once, and never joins the installation's last batch.
	bs.closed = true
	if got := bs.of("{td/q3}:q:3"); got == home || got.do(context.Background(), func(redis.Pipeliner) {}) != errClosed {
		t.Error("an operation of a closed store's new slot did not fail as closed")
	}
}

// testBatchesAcrossSlots: many goroutines' operations on the queue shards' slots and on the
// installation's at once (events recorded and acknowledged, tickets saved with words to index)
// all take effect, whatever slots a batch mixes.
func testBatchesAcrossSlots(t *testing.T, open opener) {
	s, rdb := open(t, Options{Shards: 8})
	ctx := ctxT(t)
	var wg sync.WaitGroup
	for shard := range 8 {
		wg.Go(func() {
			for i := range 10 {
				ev := event("Ev" + strconv.Itoa(shard) + "-" + strconv.Itoa(i))
				if _, err := s.Enqueue(ctx, shard, ev); err != nil {
					t.Errorf("Enqueue: %v", err)
					return
				}
			}
		})
	}
	for c := range 4 {
		wg.Go(func() {
			tk, _, err := s.OpenTicket(ctx, newTicket("U"+strconv.Itoa(c)))
			if err != nil {
				t.Errorf("OpenTicket: %v", err)
				return
			}
			entry := desk.AppendEntry{Ticket: tk.ID, Entry: desk.Entry{At: at(3), Kind: "customer", Text: "kettle number " + strconv.Itoa(c)}}
			if err := s.Apply(ctx, entry); err != nil {
				t.Errorf("Apply: %v", err)
			}
		})
	}
	wg.Wait()
	for shard := range 8 {
		q := readQueue(t, s, shard, false, 0)
		if len(q) != 10 {
			t.Fatalf("shard %d holds %d events, want 10", shard, len(q))
		}
		wg.Go(func() {
			for _, e := range q {
				ack := desk.AckEvent{Shard: shard, Entry: e.Entry, Platform: e.Event.Platform, Event: e.Event.ID}
				if err := s.Apply(ctx, ack); err != nil {
					t.Errorf("Apply(%+v): %v", ack, err)
				}
			}
		})
	}
	wg.Wait()
	for shard := range 8 {
		if n := rdb.XLen(ctx, s.keys.queue(shard)).Val(); n != 0 {
			t.Errorf("shard %d holds %d entries after their acknowledgements", shard, n)
		}
	}
	// The words waiting go at the front of the next batch of the installation's slot: the
	// query's.
	if ids, total := queryIDs(t, s, desk.TicketQuery{Search: "kettle"}); total != 4 {
		t.Errorf("search for the words written meanwhile found %v, want 4 tickets", ids)
	}
}

// testTimersFireInDueOrder: the timers of a shard due together (after an outage) are queued in
// the order they came due, however they were set.
func testTimersFireInDueOrder(t *testing.T, open opener) {
	s, _ := open(t, Options{Shards: 2})
	var want []string
	for i := 19; i >= 0; i-- {
		tm := timerAt("t"+strconv.Itoa(i), at(10).Add(time.Duration(i)*time.Second), i%2)
		apply(t, s, desk.SetTimer{Timer: tm})
	}
	for i := 0; i < 20; i += 2 {
		want = append(want, "timer:t"+strconv.Itoa(i)+"@"+strconv.FormatInt(at(10).Add(time.Duration(i)*time.Second).UnixMilli(), 10))
	}
	if n, err := s.FireDue(ctxT(t), at(11), 100); err != nil || n != 20 {
		t.Fatalf("FireDue = %d, %v; want 20", n, err)
	}
	var got []string
	for _, q := range readQueue(t, s, 0, false, 0) {
		got = append(got, q.Event.ID)
	}
	wantEqual(t, "shard 0's timer events", got, want)
}

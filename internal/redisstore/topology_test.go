package redisstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/redistest"
)

// openURL returns an opener of Stores on the REDIS_URL url, each under a prefix of its own,
// made by Open as the app makes its store, so the URL's parsing and the client it builds are
// under test too.
func openURL(url string) opener {
	return func(t *testing.T, opts Options) (*Store, redis.UniversalClient) {
		t.Helper()
		if opts.Prefix == "" {
			opts.Prefix = redistest.Prefix(t)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		s, err := Open(ctx, url, opts)
		if err != nil {
			t.Fatalf("Open(%s): %v", url, err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s, s.rdb
	}
}

// TestContractOnSentinelAndCluster runs the store's whole contract on a real Sentinel setup
// (through the failover client) and on a real three-master Cluster, each opened from its
// REDIS_URL. On the Cluster the test prefixes have no hash tag: the store adds one, and every
// script and transaction must then keep to one slot or Redis refuses it.
func TestContractOnSentinelAndCluster(t *testing.T) {
	sentinel := redistest.StartSentinel(t, 1)
	cluster := redistest.StartCluster(t)
	for _, b := range []struct {
		name string
		open opener
	}{
		{"sentinel", openURL(sentinel.URL())},
		{"cluster", openURL(cluster.URL())},
	} {
		t.Run(b.name, func(t *testing.T) {
			for _, c := range contract {
				t.Run(c.name, func(t *testing.T) { c.test(t, b.open) })
			}
		})
	}
	t.Run("cluster/prefix gets a hash tag", func(t *testing.T) { testClusterHashTag(t, openURL(cluster.URL())) })
	t.Run("cluster/an acknowledgement that fails fails the step", func(t *testing.T) { testClusterAckFails(t, openURL(cluster.URL())) })
	t.Run("cluster/copies of an event in two shards handled once", func(t *testing.T) { testClusterCopiesClaimed(t, openURL(cluster.URL())) })
	t.Run("cluster/index log carried out once", func(t *testing.T) { testClusterIndexLog(t, openURL(cluster.URL())) })
	t.Run("cluster/transcripts in their tickets' partitions", func(t *testing.T) { testClusterTranscriptLog(t, openURL(cluster.URL())) })
	t.Run("cluster/a hanging partition holds no step up", func(t *testing.T) { testClusterHangingPartition(t, openURL(cluster.URL())) })
	t.Run("cluster/indexes moved from the installation's slot", func(t *testing.T) { testClusterMoveIndexes(t, openURL(cluster.URL())) })
	t.Run("cluster/index log failures", func(t *testing.T) { testClusterProjectionFailures(t, openURL(cluster.URL())) })
	t.Run("cluster/index log during a migration", func(t *testing.T) { testClusterProjectionDuringMigration(t, cluster) })
	t.Run("cluster/scripts the masters forgot", func(t *testing.T) { testClusterForgottenScripts(t, openURL(cluster.URL())) })
	t.Run("cluster/a transcript read carries the log out first", func(t *testing.T) { testClusterTranscriptReadDrains(t, openURL(cluster.URL())) })
	t.Run("cluster/the two busiest slots on one master are said", func(t *testing.T) { testClusterSlotsTogether(t, cluster) })
}

// testClusterTranscriptReadDrains: a replica reading a transcript while the log holds an
// entry it has not seen carried out (another replica committed it and stopped before
// carrying it out, and no loop has run since) carries the log out first, and reads the
// entry.
func testClusterTranscriptReadDrains(t *testing.T, open opener) {
	s, rdb := open(t, Options{Shards: 2})
	o, _ := open(t, Options{Shards: 2, Prefix: s.opts.Prefix})
	ctx := ctxT(t)
	tk, _ := openTicket(t, s, newTicket("U-drain"))
	s.stopBackground()
	o.stopBackground()
	e := desk.Entry{At: at(3), Kind: "customer", Author: "U-drain", Text: "left in the log"}
	cmds, err := s.prepare(desk.AppendEntry{Ticket: tk.ID, Entry: e})
	if err != nil {
		t.Fatal(err)
	}
	c, err := committed(s.runDurableScript(ctx, applyScript, s.commandKeys(nil, cmds), s.scriptArgs(nil, cmds)...))
	if err != nil || !c.applied || c.tx.seq == 0 {
		t.Fatalf("applyScript = %+v, %v; want applied with a transcript log entry", c, err)
	}
	if n := rdb.LLen(ctx, s.keys.transcript(tk.ID)).Val(); n != 0 {
		t.Fatalf("%d entries in the partition before the log was carried out", n)
	}
	got, err := o.Transcript(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Text != e.Text {
		t.Errorf("transcript read by the other replica = %+v, want the entry left in the log", got)
	}
	if _, err := o.Transcript(ctx, tk.ID+1000); desk.ErrorCode(err) != desk.ENOTFOUND {
		t.Errorf("transcript of a ticket that does not exist = %v, want not found", err)
	}
}

// testClusterForgottenScripts: once every master forgot the scripts (a restart, a failover
// to a replica that never ran them), each operation by script is sent again with its body,
// in its slot's batch: an event is recorded once and applied once, a lease is taken and
// given up, and a ticket opens.
func testClusterForgottenScripts(t *testing.T, open opener) {
	s, rdb := open(t, Options{Prefix: "forgot" + strconv.FormatInt(time.Now().UnixNano(), 10) + ":"})
	ctx := ctxT(t)
	enqueue(t, s, 0, event("Ev-before"))
	flush := func() {
		t.Helper()
		err := rdb.(*redis.ClusterClient).ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			return node.ScriptFlush(ctx).Err()
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	flush()
	if !enqueue(t, s, 1, event("Ev-after")) {
		t.Fatal("an event after the scripts were forgotten was not recorded as new")
	}
	if enqueue(t, s, 1, event("Ev-after")) {
		t.Fatal("its redelivery was recorded again")
	}
	flush()
	if took, _, err := s.TakeShard(ctx, 1, time.Minute); err != nil || !took {
		t.Fatalf("TakeShard after the scripts were forgotten = %t, %v", took, err)
	}
	flush()
	if _, created := openTicket(t, s, newTicket("U-forgot")); !created {
		t.Fatal("OpenTicket after the scripts were forgotten did not create the ticket")
	}
	flush()
	q := readQueue(t, s, 1, false, 0)
	if len(q) != 1 {
		t.Fatalf("read %d entries of shard 1, want 1", len(q))
	}
	flush()
	ack := desk.AckEvent{Platform: "slack", Event: "Ev-after", Shard: 1, Entry: q[0].Entry}
	apply(t, s, ack)
	flush()
	if err := s.Apply(ctx, ack); !errors.Is(err, desk.ErrHandled) {
		t.Fatalf("the step applied again = %v, want ErrHandled", err)
	}
}

// testClusterSlotsTogether: a store whose installation's slot and index slot are on one
// master says so at start, naming the master; one whose slots are on two masters says
// nothing of it.
func testClusterSlotsTogether(t *testing.T, cluster *redistest.ClusterSetup) {
	ctx := ctxT(t)
	for _, together := range []bool{true, false} {
		prefix := cluster.PrefixSlots(t, together)
		var logs bytes.Buffer
		s, err := Open(ctx, cluster.URL(), Options{Prefix: prefix, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		_ = s.Close()
		said := strings.Contains(logs.String(), "one master holds both the installation's slot and the index slot")
		if said != together {
			t.Errorf("slots on one master %t: said %t, want %t:\n%s", together, said, together, logs.String())
		}
		master, _ := cluster.MasterOf(t, prefix)
		if together && !strings.Contains(logs.String(), "master="+master.Addr) {
			t.Errorf("the warning does not name the master %s:\n%s", master.Addr, logs.String())
		}
	}
}

// testClusterHashTag: on a Cluster a prefix without a hash tag becomes one, said once in the
// log; every key of a ticket's life (opened, saved, its transcript, an event applied once, a
// timer fired) lands in the installation's slot, but for each queue shard's own keys (its
// stream, lease and dedupe markers), which are in the shard's slot; so the shards spread over
// the masters.
func testClusterHashTag(t *testing.T, open opener) {
	var logs bytes.Buffer
	base := "hashtag" + strconv.FormatInt(time.Now().UnixNano(), 10)
	s, rdb := open(t, Options{Prefix: base + ":", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if got, want := s.opts.Prefix, "{"+base+"}:"; got != want {
		t.Errorf("prefix on the cluster = %q, want %q", got, want)
	}
	if got := strings.Count(logs.String(), "no hash tag"); got != 1 {
		t.Errorf("the hash tag was logged %d times, want once:\n%s", got, logs.String())
	}

	ctx := ctxT(t)
	tk, created := openTicket(t, s, newTicket("U1"))
	if !created {
		t.Fatalf("OpenTicket did not create a ticket")
	}
	tk.Status = desk.StatusOpen
	ev := event("Ev01")
	enqueue(t, s, 2, ev)
	q := readQueue(t, s, 2, false, 0)
	if len(q) != 1 {
		t.Fatalf("read %d entries of shard 2, want 1", len(q))
	}
	apply(t, s, desk.SaveTicket{Ticket: tk}, desk.AppendEntry{Ticket: tk.ID, Entry: desk.Entry{At: at(3), Kind: "customer", Text: "hello"}},
		desk.AckEvent{Platform: "slack", Event: ev.ID, Shard: 2, Entry: q[0].Entry})
	if n := rdb.XLen(ctx, s.keys.queue(2)).Val(); n != 0 {
		t.Errorf("shard 2 holds %d entries after the acknowledgement, want none", n)
	}
	if took, _, err := s.TakeShard(ctx, 2, time.Minute); err != nil || !took {
		t.Fatalf("TakeShard = %t, %v", took, err)
	}
	apply(t, s, desk.SetTimer{Timer: desk.Timer{ID: "sla:1", At: at(5), Shard: 1, Event: desk.Event{ID: "Tm01", Platform: "slack", Kind: desk.CustomerMessage}}})
	if n, err := s.FireDue(ctx, at(6), 10); err != nil || n != 1 {
		t.Fatalf("FireDue = %d, %v; want 1 timer fired", n, err)
	}
	if _, err := s.CustomerTicket(ctx, "slack", "U1"); err != nil {
		t.Fatalf("CustomerTicket: %v", err)
	}
	if _, err := s.Pace(ctx, "slack", "C1", 1, 1); err != nil {
		t.Fatalf("Pace: %v", err)
	}
	if err := s.HoldPace(ctx, "slack", "C1", time.Minute); err != nil {
		t.Fatalf("HoldPace: %v", err)
	}
	if held, err := s.PaceHeld(ctx, "slack", "C1"); err != nil || held <= 0 {
		t.Fatalf("PaceHeld = %v, %v", held, err)
	}

	// Every key the store wrote is in the installation's slot, a shard's or a channel's.
	cc := rdb.(*redis.ClusterClient)
	var keys []string
	masters := map[string]bool{}
	var mu sync.Mutex
	err := cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		ks, err := node.Keys(ctx, "*{"+base+"*").Result() // rate:{…} too
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, ks...)
		if len(ks) > 0 {
			masters[node.Options().Addr] = true
		}
		return err
	})
	if err != nil {
		t.Fatalf("list keys: %v", err)
	}
	home, index, parts := 0, 0, 0
	for _, k := range keys {
		tag := slotTag(k)
		shard, isShard := strings.CutPrefix(tag, base+"/q")
		n, _ := strconv.Atoi(shard)
		part, isPart := strings.CutPrefix(tag, base+"/p")
		switch {
		case isPart:
			// A partition: its tickets' transcripts, its messages' links, and the mark of the
			// transcript log there.
			parts++
			if !strings.HasSuffix(k, "}:tx:"+part) && !strings.HasSuffix(k, "}:txdone") && !strings.Contains(k, "}:link:") {
				t.Errorf("key %s is in partition %s, and is neither a transcript nor a link", k, part)
			}
		case tag == base:
			home++
			if strings.Contains(k, ":st:") || strings.Contains(k, ":ix:") || strings.Contains(k, ":w:") {
				t.Errorf("key %s of the indexes is in the installation's slot", k)
			}
		case tag == base+"/ix":
			index++
		case tag == base+"/c:slack:C1":
		case !isShard || strconv.Itoa(n) != shard || n >= s.opts.Shards:
			t.Errorf("key %s is under the tag %q, neither the installation's nor a shard's", k, tag)
		case !strings.HasSuffix(k, ":"+shard) && !strings.Contains(k, ":seen:"):
			t.Errorf("key %s of shard %s names another", k, shard)
		}
	}
	if home < 4 {
		t.Errorf("found %d keys in the installation's slot, want its ticket, pointers…: %v", home, keys)
	}
	if parts < 2 {
		t.Errorf("found %d keys in the tickets' partitions, want a transcript and its partition's mark: %v", parts, keys)
	}
	if index < 8 {
		t.Errorf("found %d keys in the index slot, want the status, filter, sort and word sets…: %v", index, keys)
	}
	for _, k := range []string{"rate:" + s.keys.pace("slack", "C1"), s.keys.paceHold("slack", "C1"), s.keys.queue(2), s.keys.lease(2), s.keys.dedupe(2, "slack", "Ev01"), s.keys.queue(1), s.keys.dedupe(1, "slack", "Tm01@"+strconv.FormatInt(at(5).UnixMilli(), 10))} {
		if !slices.Contains(keys, k) {
			t.Errorf("key %s is missing: %v", k, keys)
		}
	}
	// The 32 shards' slots are on every master (all but certainly: each is on one of three
	// at random, so one master is left out with odds of about 3·(2/3)^32, one in 140,000).
	if len(masters) != 3 {
		t.Errorf("the installation's keys are on %d of the 3 masters, want every one", len(masters))
	}
}

// testClusterAckFails: on a Cluster, where a queue entry is acknowledged after the changes it
// acknowledges, an acknowledgement that fails fails Apply though the changes stand, so that
// the worker tries again at once (and is then refused as handled, and acknowledges).
func testClusterAckFails(t *testing.T, open opener) {
	s, rdb := open(t, Options{Shards: 2})
	ctx := ctxT(t)
	ev := event("Ev-ack-fails")
	enqueue(t, s, 1, ev)
	q := readQueue(t, s, 1, false, 0)
	if len(q) != 1 {
		t.Fatalf("read %d entries, want 1", len(q))
	}
	tk, _ := openTicket(t, s, newTicket("U1"))
	// The shard's key holds a string for a moment: XACK fails with WRONGTYPE.
	stream := s.keys.queue(1)
	if err := rdb.Rename(ctx, stream, stream+"~").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, stream, "not a stream", 0).Err(); err != nil {
		t.Fatal(err)
	}
	changes := []desk.Change{
		desk.AppendEntry{Ticket: tk.ID, Entry: desk.Entry{At: at(3), Kind: "customer", Text: "hello"}},
		desk.AckEvent{Shard: 1, Entry: q[0].Entry, Platform: ev.Platform, Event: ev.ID},
	}
	if err := s.Apply(ctx, changes...); desk.ErrorCode(err) != desk.EUNAVAILABLE {
		t.Fatalf("Apply with its acknowledgement failing = %v, want unavailable", err)
	}
	if entries, _ := s.Transcript(ctx, tk.ID); len(entries) != 1 {
		t.Fatalf("transcript %+v, want the changes applied", entries)
	}
	if err := rdb.Rename(ctx, stream+"~", stream).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, changes...); !errors.Is(err, desk.ErrHandled) {
		t.Fatalf("Apply tried again = %v, want ErrHandled", err)
	}
	if n := rdb.XLen(ctx, stream).Val(); n != 0 {
		t.Errorf("shard 1 holds %d entries, want the one acknowledged", n)
	}
	if entries, _ := s.Transcript(ctx, tk.ID); len(entries) != 1 {
		t.Errorf("transcript %+v, want one entry", entries)
	}
}

// testClusterCopiesClaimed: on a Cluster, where dedupe markers are the shards', the same event
// recorded in two shards is handed out by the first shard to read it; the other shard's copy
// is acknowledged and never handed out, nor is a copy read after the event was handled. A
// page of pending entries all set aside does not end the pending ones after it.
func testClusterCopiesClaimed(t *testing.T, open opener) {
	s, rdb := open(t, Options{Shards: 4})
	ctx := ctxT(t)
	ev, other := event("Ev-copied"), event("Ev-alone")
	if !enqueue(t, s, 1, ev) || !enqueue(t, s, 2, ev) || !enqueue(t, s, 2, other) {
		t.Fatal("the copies were not both recorded")
	}
	first := readQueue(t, s, 1, false, 0)
	if len(first) != 1 || first[0].Event.ID != ev.ID {
		t.Fatalf("shard 1 read %+v", first)
	}
	second := readQueue(t, s, 2, false, 0)
	if len(second) != 1 || second[0].Event.ID != other.ID {
		t.Fatalf("shard 2 read %+v, want only its own event", second)
	}
	if n := rdb.XLen(ctx, s.keys.queue(2)).Val(); n != 1 {
		t.Errorf("shard 2 holds %d entries, want its own event's alone", n)
	}
	// Read again after a crash, shard 1's copy is still its own to handle.
	if again := readQueue(t, s, 1, true, 0); len(again) != 1 || !again[0].Redelivered {
		t.Fatalf("shard 1's pending read %+v", again)
	}
	apply(t, s, desk.AckEvent{Shard: 1, Entry: first[0].Entry, Platform: ev.Platform, Event: ev.ID})
	if !enqueue(t, s, 3, ev) {
		t.Fatal("a third copy was not recorded")
	}
	if third := readQueue(t, s, 3, false, 0); len(third) != 0 {
		t.Fatalf("shard 3 read %+v, want nothing: the event was handled (by shard 1)", third)
	}
	if n := rdb.XLen(ctx, s.keys.queue(3)).Val(); n != 0 {
		t.Errorf("shard 3 holds %d entries, want its copy acknowledged", n)
	}

	// Shard 0 read two events, and then another shard claimed the first (as if shard 0's
	// claim had failed): its pending read, a page at a time, skips the first and goes on.
	a, b := event("Ev-a"), event("Ev-b")
	enqueue(t, s, 0, a)
	enqueue(t, s, 0, b)
	if got := readQueue(t, s, 0, false, 0); len(got) != 2 {
		t.Fatalf("shard 0 read %+v", got)
	}
	rdb.Set(ctx, s.keys.seen(a.Platform, a.ID), "w3", time.Minute)
	page, err := s.ReadQueue(ctx, 0, "0", 1, 0)
	if err != nil || len(page) != 1 || page[0].Event.ID != b.ID {
		t.Fatalf("shard 0's first pending page = %+v, %v; want Ev-b", page, err)
	}
}

// TestSentinelFailover writes through a store on Sentinel, has Sentinel promote the replica,
// and shows the same store working on the new master with everything written before still
// there.
func TestSentinelFailover(t *testing.T) {
	setup := redistest.StartSentinel(t, 1)
	s, _ := openURL(setup.URL())(t, Options{})
	ctx := ctxT(t)

	var before []desk.Ticket
	for i := range 5 {
		tk, _ := openTicket(t, s, newTicket("U"+strconv.Itoa(i)))
		tk.Status = desk.StatusOpen
		apply(t, s, desk.SaveTicket{Ticket: tk})
		before = append(before, tk)
	}
	enqueue(t, s, 1, event("Ev01"))
	// Replication is asynchronous: a write the replica has not received when it is promoted
	// is lost, whatever the client does. Wait until it has everything, as an operator's
	// planned failover (or min-replicas-to-write) would.
	master := setup.Master.Client(t)
	if n, err := master.Wait(ctx, 1, 5*time.Second).Result(); err != nil || n < 1 {
		t.Fatalf("WAIT for the replica = %d, %v", n, err)
	}

	start := time.Now()
	setup.Failover(t)
	if addr, err := setup.MasterAddr(ctx); err != nil || addr != setup.Replica.Addr {
		t.Fatalf("master after the failover = %s, %v; want the old replica %s", addr, err, setup.Replica.Addr)
	}

	// The failover client learns of the switch from Sentinel and drops its connections to
	// the old master; until then a write may meet the old master turned replica. The app
	// retries such an operation, as here, for a bounded time.
	var tk desk.Ticket
	var err error
	deadline := time.Now().Add(15 * time.Second)
	for {
		tk, _, err = s.OpenTicket(ctx, newTicket("U-after"))
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("OpenTicket after the failover: %v", err)
	}
	t.Logf("writes through the store work again %s after SENTINEL FAILOVER", time.Since(start).Round(time.Millisecond))
	if want := before[len(before)-1].ID + 1; tk.ID != want {
		t.Errorf("ticket opened after the failover is %s, want %s (the counter kept)", tk.ID, want)
	}
	for _, b := range before {
		got, err := s.Ticket(ctx, b.ID)
		if err != nil {
			t.Errorf("ticket %s written before the failover: %v", b.ID, err)
			continue
		}
		if got.Status != desk.StatusOpen || got.Customer.ID != b.Customer.ID {
			t.Errorf("ticket %s after the failover: status %s, customer %s; want open, %s", b.ID, got.Status, got.Customer.ID, b.Customer.ID)
		}
	}
	// The new master takes events once its own replica (the old master, demoted) has them:
	// until then the platform is told to send them again, as it does here.
	var n int64
	for deadline := time.Now().Add(20 * time.Second); ; {
		if n, err = s.Enqueue(ctx, 1, event("Ev01")); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Enqueue after the failover: %v", err)
	}
	if n > 0 {
		t.Errorf("event enqueued before the failover is new again after it: its dedupe marker was lost")
	}
	var got []desk.Queued
	after := ""
	for deadline := time.Now().Add(20 * time.Second); ; {
		// Entries handed out count once a replica has the handing out too; after a read that
		// failed, its entries are this consumer's pending ones, read as the worker reads them.
		if got, err = s.ReadQueue(ctx, 1, after, 0, 0); err == nil || time.Now().After(deadline) {
			break
		}
		after = "0"
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || len(got) != 1 || got[0].Event.ID != "Ev01" {
		t.Errorf("queue shard 1 after the failover = %+v, want the event written before", got)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after the failover: %v", err)
	}
}

// TestReloadedScriptWaitsForTheReplica: a durable script that Redis forgot (the new master
// after a failover has none loaded) is loaded and run again with its WAIT: it does not count
// as recorded while the replica does not answer.
func TestReloadedScriptWaitsForTheReplica(t *testing.T) {
	setup := redistest.StartSentinel(t, 1)
	s, _ := openURL(setup.URL())(t, Options{})
	enqueue(t, s, 1, event("Ev-before"))
	if err := setup.Master.Client(t).ScriptFlush(ctxT(t)).Err(); err != nil {
		t.Fatal(err)
	}
	setup.Replica.Freeze()
	t.Cleanup(setup.Replica.Thaw)
	if _, err := s.Enqueue(ctxT(t), 1, event("Ev-frozen")); desk.ErrorCode(err) != desk.EUNAVAILABLE {
		t.Fatalf("Enqueue by a script Redis forgot, with the replica frozen = %v, want EUNAVAILABLE", err)
	}
}

// TestEnqueueWaitsForTheReplica: on Sentinel an event is recorded only once the replica has
// it too (WAIT), so that a failover cannot lose an event the platform was told was recorded.
// While the replica does not answer, Enqueue says the event is not recorded (EUNAVAILABLE)
// within its wait, so the platform sends it again; once the replica answers, it is recorded.
func TestEnqueueWaitsForTheReplica(t *testing.T) {
	setup := redistest.StartSentinel(t, 1)
	s, _ := openURL(setup.URL())(t, Options{})
	if s.opts.WaitReplicas != 1 {
		t.Fatalf("WaitReplicas = %d on Sentinel, want 1", s.opts.WaitReplicas)
	}
	enqueue(t, s, 1, event("Ev-before"))

	setup.Replica.Freeze()
	t.Cleanup(setup.Replica.Thaw)
	start := time.Now()
	_, err := s.Enqueue(ctxT(t), 1, event("Ev-frozen"))
	took := time.Since(start)
	if desk.ErrorCode(err) != desk.EUNAVAILABLE {
		t.Fatalf("Enqueue with the replica frozen = %v, want EUNAVAILABLE", err)
	}
	if took < 900*time.Millisecond || took > 3*time.Second {
		t.Errorf("Enqueue answered after %v, want after its 1 s wait", took)
	}

	setup.Replica.Thaw()
	// The platform sends the event again: it is recorded (once) now that the replica has it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err = s.Enqueue(ctxT(t), 1, event("Ev-frozen"))
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Enqueue after the replica is back: %v", err)
	}
	q := readQueue(t, s, 1, false, 0)
	if len(q) != 2 || q[1].Event.ID != "Ev-frozen" {
		t.Errorf("queue = %+v, want Ev-before and Ev-frozen once each", q)
	}
}

// TestClusterWaitsForAReplica: on a Cluster a durable write waits for a replica of its slot's
// master when one is connected to it, so that the replica Cluster promotes when the master
// fails has every event the platform was told was recorded. With shard 1's replica frozen an
// event is not recorded (EUNAVAILABLE, within the wait), and a step is not applied; a shard
// whose master has no replica does not wait; once the replica answers the event is recorded,
// once. While shard 1's slot then moves to another master, events sent again until they are
// recorded are each recorded once. When the master then dies, the store follows its
// promoted replica.
func TestClusterWaitsForAReplica(t *testing.T) {
	c := redistest.StartCluster(t)
	s, rdb := openURL(c.URL())(t, Options{Prefix: "{wait}:", Shards: 32})
	cc := rdb.(*redis.ClusterClient)
	ctx := ctxT(t)
	if s.opts.WaitReplicas != waitConnected {
		t.Fatalf("WaitReplicas = %d on a Cluster, want waitConnected", s.opts.WaitReplicas)
	}
	replica := c.AddReplica(t, s.keys.queue(1))
	master1, err := cc.MasterForKey(ctx, s.keys.queue(1))
	if err != nil {
		t.Fatal(err)
	}
	other := -1 // a shard whose master has no replica
	for shard := 2; shard < 32 && other < 0; shard++ {
		if m, err := cc.MasterForKey(ctx, s.keys.queue(shard)); err == nil && m.Options().Addr != master1.Options().Addr {
			other = shard
		}
	}
	if other < 0 {
		t.Fatal("every shard's slot is on shard 1's master")
	}
	enqueue(t, s, 1, event("Ev-before"))

	replica.Freeze()
	t.Cleanup(replica.Thaw)
	start := time.Now()
	_, err = s.Enqueue(ctx, 1, event("Ev-frozen"))
	if took := time.Since(start); desk.ErrorCode(err) != desk.EUNAVAILABLE || took > 3*time.Second {
		t.Fatalf("Enqueue with shard 1's replica frozen = %v after %v, want EUNAVAILABLE after its 1 s wait", err, took)
	}
	start = time.Now()
	if !enqueue(t, s, other, event("Ev-other")) || time.Since(start) > 500*time.Millisecond {
		t.Errorf("Enqueue on shard %d, whose master has no replica, took %v", other, time.Since(start))
	}
	replica.Thaw()
	sendUntilRecorded := func(shard int, id string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			_, err := s.Enqueue(ctxT(t), shard, event(id))
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("Enqueue %s: %v", id, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	sendUntilRecorded(1, "Ev-frozen")

	// The slot moves to a master without a replica while events keep coming.
	moved := make(chan struct{})
	go func() {
		defer close(moved)
		c.MigrateSlot(t, s.keys.queue(1), 20*time.Millisecond)
	}()
	sent := []string{"Ev-before", "Ev-frozen"}
	for i := 0; ; i++ {
		select {
		case <-moved:
		default:
			id := fmt.Sprintf("Ev-move-%02d", i)
			sendUntilRecorded(1, id)
			sent = append(sent, id)
			continue
		}
		break
	}
	for i := range 3 {
		id := fmt.Sprintf("Ev-after-%d", i)
		sendUntilRecorded(1, id)
		sent = append(sent, id)
	}
	var got []string
	for _, q := range readQueue(t, s, 1, false, 0) {
		got = append(got, q.Event.ID)
	}
	if !slices.Equal(got, sent) {
		t.Errorf("shard 1 holds %v, want %v, each once", got, sent)
	}

	// The master with the replica dies and the Cluster promotes the replica: the store
	// follows it within seconds (a master that died answers no redirection), and what it
	// was told was recorded there is there.
	onMaster1 := -1
	for shard := range 32 {
		if m, err := cc.MasterForKey(ctxT(t), s.keys.queue(shard)); err == nil && m.Options().Addr == master1.Options().Addr {
			onMaster1 = shard
			break
		}
	}
	if onMaster1 < 0 {
		t.Fatal("no shard's slot is on the master with the replica")
	}
	sendUntilRecorded(onMaster1, "Ev-before-failover")
	c.FailOver(t, s.keys.queue(onMaster1), replica)
	start = time.Now()
	sendUntilRecorded(onMaster1, "Ev-after-failover")
	t.Logf("recorded on the promoted replica %v after it took over", time.Since(start).Round(time.Millisecond))
	got = got[:0]
	for _, q := range readQueue(t, s, onMaster1, false, 0) {
		got = append(got, q.Event.ID)
	}
	if !slices.Equal(got, []string{"Ev-before-failover", "Ev-after-failover"}) {
		t.Errorf("shard %d holds %v after the failover, want the event before it and the one after", onMaster1, got)
	}
}

// testClusterIndexLog: on a Cluster the changes to the index slot are committed with the
// others as an index log entry, carried out before Apply returns; an entry a crash left (the
// commit made, the projection not) is carried out by a replica's loop; an entry carried out
// twice changes nothing; and entries committed after their sequence key was lost (a failover)
// are still carried out.
func testClusterIndexLog(t *testing.T, open opener) {
	s, rdb := open(t, Options{Shards: 2})
	ctx := ctxT(t)
	tk, _ := openTicket(t, s, newTicket("U1"))
	id := strconv.FormatInt(int64(tk.ID), 10)
	if rdb.ZScore(ctx, s.keys.status(desk.StatusNew), id).Err() != nil {
		t.Fatalf("the opened ticket is not in %s once OpenTicket returned", s.keys.status(desk.StatusNew))
	}
	tk.Status = desk.StatusOpen
	apply(t, s, desk.SaveTicket{Ticket: tk})
	if rdb.ZScore(ctx, s.keys.status(desk.StatusOpen), id).Err() != nil || rdb.ZScore(ctx, s.keys.status(desk.StatusNew), id).Err() == nil {
		t.Fatalf("the saved ticket's status index did not follow before Apply returned")
	}
	if n := rdb.LLen(ctx, s.keys.indexLog()).Val(); n > 1 {
		t.Errorf("the index log holds %d entries once they are carried out, want at most the last", n)
	}

	// A commit whose projection a crash cut off: the loop of another replica carries it out.
	s.stopBackground()
	tk.Status = desk.StatusPending
	cmds, err := s.prepare(desk.SaveTicket{Ticket: tk})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := committed(s.runDurableScript(ctx, applyScript, s.commandKeys(nil, cmds), s.scriptArgs(nil, cmds)...)); err != nil || !c.applied || c.index.seq == 0 || len(c.index.page) != 1 {
		t.Fatalf("applyScript = %+v, %v; want applied with its entry the log's one", c, err)
	}
	if rdb.ZScore(ctx, s.keys.status(desk.StatusPending), id).Err() == nil {
		t.Fatal("the index changed before the log was carried out")
	}
	entries := rdb.LRange(ctx, s.keys.indexLog(), 0, -1).Val()
	other, _ := open(t, Options{Shards: 2, Prefix: s.opts.Prefix})
	waitFor(t, 5*time.Second, "the other replica's loop to carry the entry out", func() bool {
		return rdb.ZScore(ctx, s.keys.status(desk.StatusPending), id).Err() == nil && rdb.ZScore(ctx, s.keys.status(desk.StatusOpen), id).Err() != nil
	})

	// Carried out again: nothing changes (the change feed gets no second entry).
	feed := rdb.XLen(ctx, s.keys.changes()).Val()
	if err := projectScript.Run(ctx, rdb, []string{s.keys.indexDone()}, append([]any{""}, anys(entries)...)...).Err(); err != nil {
		t.Fatal(err)
	}
	if n := rdb.XLen(ctx, s.keys.changes()).Val(); n != feed {
		t.Errorf("the change feed went from %d to %d entries when an entry was carried out twice", feed, n)
	}

	// The sequence key lost, and the mark ahead of the server's clock (a failover of the
	// installation's master to one whose clock is behind): the next entries still follow the
	// mark, which the committing process knows from its last projection.
	rdb.Del(ctx, s.keys.indexLogSeq())
	ahead := time.Now().Add(time.Hour).UnixMicro()
	rdb.Set(ctx, s.keys.indexDone(), ahead, 0)
	other.proj.done.Store(ahead)
	tk.Status = desk.StatusOpen
	apply(t, other, desk.SaveTicket{Ticket: tk})
	if rdb.ZScore(ctx, s.keys.status(desk.StatusOpen), id).Err() != nil {
		t.Error("a change committed after the log's sequence key was lost was not carried out")
	}
	// A reader of the log raises the sequence key to its mark, for committers that do not
	// know it.
	rdb.Del(ctx, s.keys.indexLogSeq())
	rdb.Set(ctx, s.keys.indexDone(), ahead+1_000_000, 0)
	other.proj.done.Store(ahead + 1_000_000)
	if err := other.project(ctx, other.proj, math.MaxInt64, nil); err != nil {
		t.Fatal(err)
	}
	if seq, _ := rdb.Get(ctx, s.keys.indexLogSeq()).Int64(); seq < ahead+1_000_000 {
		t.Errorf("the sequence key is %d after a read of the log, want at least the reader's mark %d", seq, ahead+1_000_000)
	}
	tk.Status = desk.StatusPending
	apply(t, s, desk.SaveTicket{Ticket: tk}) // s knows an older mark
	if rdb.ZScore(ctx, s.keys.status(desk.StatusPending), id).Err() != nil {
		t.Error("a change committed by a process that knows an older mark was skipped")
	}
}

// testClusterTranscriptLog: on a Cluster a ticket's transcript is in its partition's slot,
// written through the transcript log: a commit's entry a crash left is carried out by another
// replica's loop, once however often it is carried out, its binary values whole, an entry
// for two partitions into both; a link, in its message's partition, is found before its entry
// is carried out; a transcript list an older version wrote in the installation's slot is
// read first and erased with the partition's.
func testClusterTranscriptLog(t *testing.T, open opener) {
	s, rdb := open(t, Options{Shards: 2})
	ctx := ctxT(t)
	one, _ := openTicket(t, s, newTicket("U1"))
	two, _ := openTicket(t, s, newTicket("U2"))
	if s.keys.part(one.ID) == s.keys.part(two.ID) || s.keys.transcript(one.ID) == s.keys.legacyTranscript(one.ID) {
		t.Fatalf("tickets %s and %s: transcripts %s and %s, want each in its partition", one.ID, two.ID, s.keys.transcript(one.ID), s.keys.transcript(two.ID))
	}
	// Written before the partitions, in the installation's slot.
	legacy := desk.Entry{At: at(2), Kind: "customer", Author: "U1", Text: "written by an older version"}
	rdb.RPush(ctx, s.keys.legacyTranscript(one.ID), encodeEntry(legacy))

	// A commit whose entry is not carried out (the process stops after it): nothing in the
	// partitions yet, the counters raised.
	s.stopBackground()
	long := desk.Entry{At: at(3), Kind: "customer", Author: "U1", Name: "Jane", Text: strings.Repeat("Принтер не печатает; ", 20)}
	other := desk.Entry{At: at(4), Kind: "customer", Author: "U2", Text: "second ticket"}
	var cmds [][]any
	for _, c := range []desk.Change{desk.AppendEntry{Ticket: one.ID, Entry: long}, desk.AppendEntry{Ticket: two.ID, Entry: other}} {
		more, err := s.prepare(c)
		if err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, more...)
	}
	c, err := committed(s.runDurableScript(ctx, applyScript, s.commandKeys(nil, cmds), s.scriptArgs(nil, cmds)...))
	if err != nil || !c.applied || c.tx.seq == 0 || c.index.seq != 0 {
		t.Fatalf("applyScript = %+v, %v; want applied with a transcript log entry alone", c, err)
	}
	if n := rdb.LLen(ctx, s.keys.transcript(one.ID)).Val() + rdb.LLen(ctx, s.keys.transcript(two.ID)).Val(); n != 0 {
		t.Fatalf("%d transcript entries in the partitions before the log was carried out", n)
	}
	if v := rdb.HGet(ctx, s.keys.transcriptWrites(one.ID), strconv.FormatInt(int64(one.ID), 10)).Val(); v != "1" {
		t.Errorf("ticket %s's count of transcript writes = %q, want 1", one.ID, v)
	}
	entries := rdb.LRange(ctx, s.keys.transcriptLog(), 0, -1).Val()

	// Another replica's loop carries it out into both partitions.
	o, _ := open(t, Options{Shards: 2, Prefix: s.opts.Prefix})
	waitFor(t, 5*time.Second, "the other replica's loop to carry the entry out", func() bool {
		return rdb.LLen(ctx, s.keys.transcript(one.ID)).Val() == 1 && rdb.LLen(ctx, s.keys.transcript(two.ID)).Val() == 1
	})
	got, err := o.Transcript(ctx, one.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "transcript of the first ticket", got, []desk.Entry{legacy, long})
	if got, _ := o.Transcript(ctx, two.ID); len(got) != 1 || got[0].Text != other.Text {
		t.Errorf("transcript of the second ticket = %+v, want its entry", got)
	}
	// Carried out again, in each partition: nothing is appended twice.
	for _, id := range []desk.TicketID{one.ID, two.ID} {
		part := s.keys.part(id)
		args := append([]any{part}, anys(entries)...)
		if err := projectScript.Run(ctx, rdb, []string{s.keys.transcriptDone(part), s.keys.transcript(id)}, args...).Err(); err != nil {
			t.Fatal(err)
		}
		if n := rdb.LLen(ctx, s.keys.transcript(id)).Val(); n != 1 {
			t.Errorf("ticket %s's transcript has %d entries after its log entry was carried out twice, want 1", id, n)
		}
	}

	// A link is in its message's partition, written through the log too: read before the
	// log is carried out (no loop runs), it is found all the same.
	o.stopBackground()
	link := desk.Link{Ticket: one.ID, Kind: desk.LinkCustomer, Source: desk.MessageRef{Channel: "D1", ID: "1800000000.000100"},
		Parts: []desk.MessageRef{{Channel: "CTRIAGE", ID: "1800000000.000200"}}}
	if _, ok := s.keys.partOf(s.keys.link("slack", link.Source)); !ok {
		t.Errorf("link key %s is in no partition", s.keys.link("slack", link.Source))
	}
	cmds, err = s.prepare(desk.PutLink{Platform: "slack", Link: link})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := committed(s.runDurableScript(ctx, applyScript, s.commandKeys(nil, cmds), s.scriptArgs(nil, cmds)...)); err != nil || c.tx.seq == 0 {
		t.Fatalf("applyScript = %+v, %v; want a transcript log entry", c, err)
	}
	if rdb.Exists(ctx, s.keys.link("slack", link.Source)).Val() != 0 {
		t.Fatal("the link was written before its log entry was carried out")
	}
	if got, err := o.Link(ctx, "slack", link.Source); err != nil || got.Ticket != one.ID {
		t.Errorf("Link before its log entry was carried out = %+v, %v; want it found", got, err)
	}
	if got, err := o.ticketLinks(ctx, "slack", one.ID); err != nil || len(got) != 1 {
		t.Errorf("the ticket's links = %+v, %v; want the one", got, err)
	}
	// Changed (an edit posted a second part), the change not carried out yet: the link read
	// is the changed one.
	link.Parts = append(link.Parts, desk.MessageRef{Channel: "CTRIAGE", ID: "1800000000.000300"})
	cmds, _ = s.prepare(desk.PutLink{Platform: "slack", Link: link})
	if c, err := committed(s.runDurableScript(ctx, applyScript, s.commandKeys(nil, cmds), s.scriptArgs(nil, cmds)...)); err != nil || c.tx.seq == 0 {
		t.Fatalf("applyScript = %+v, %v; want a transcript log entry", c, err)
	}
	if got, err := o.Link(ctx, "slack", link.Source); err != nil || len(got.Parts) != 2 {
		t.Errorf("Link after a change not carried out yet = %+v, %v; want its two parts", got, err)
	}

	// A partition's mark ahead of the server's clock, the log's sequence key lost (a failover
	// of the installation's master to one whose clock is behind): once a replica has seen the
	// mark, its next entries follow it and are carried out, not skipped.
	ahead := time.Now().Add(time.Hour).UnixMicro()
	rdb.Set(ctx, s.keys.transcriptDone(s.keys.part(two.ID)), ahead, 0)
	apply(t, o, desk.AppendEntry{Ticket: two.ID, Entry: desk.Entry{At: at(7), Kind: "customer", Text: "lost with the failover"}})
	rdb.Del(ctx, s.keys.transcriptLogSeq())
	// A replica that has seen the mark publishes it as it reads the log (its loop, each
	// second): a replica that has not seen it follows it too.
	if err := o.project(ctx, o.txproj, math.MaxInt64, nil); err != nil {
		t.Fatal(err)
	}
	f, _ := open(t, Options{Shards: 2, Prefix: s.opts.Prefix})
	f.stopBackground()
	fromOther := desk.Entry{At: at(8), Kind: "customer", Author: "U2", Text: "from a replica that never saw the mark"}
	apply(t, f, desk.AppendEntry{Ticket: two.ID, Entry: fromOther})
	if got, _ := f.Transcript(ctx, two.ID); len(got) == 0 || got[len(got)-1].Text != fromOther.Text {
		t.Errorf("transcript after the failover = %+v, want it to end with %q", got, fromOther.Text)
	}
	// Another failover, after the first replica's loop has run since (it learns the new mark
	// as it carries the other replica's entry out again): its own next entry follows it.
	if err := o.project(ctx, o.txproj, math.MaxInt64, nil); err != nil {
		t.Fatal(err)
	}
	rdb.Del(ctx, s.keys.transcriptLogSeq())
	after := desk.Entry{At: at(9), Kind: "customer", Author: "U2", Text: "after the failover"}
	apply(t, o, desk.AppendEntry{Ticket: two.ID, Entry: after})
	if got, _ := o.Transcript(ctx, two.ID); len(got) == 0 || got[len(got)-1].Text != after.Text {
		t.Errorf("transcript after the failover = %+v, want it to end with %q", got, after.Text)
	}

	// Erased: both lists go, the forgotten entry alone is left, in the partition.
	one.Status, one.ClosedAt = desk.StatusClosed, at(5)
	apply(t, o, desk.SaveTicket{Ticket: one})
	if _, err := o.Forget(ctx, "slack", "U1", desk.User{ID: "U_LEAD"}, at(6)); err != nil {
		t.Fatal(err)
	}
	if rdb.Exists(ctx, s.keys.legacyTranscript(one.ID)).Val() != 0 {
		t.Error("the installation's transcript list survived the erasure")
	}
	if _, err := o.Link(ctx, "slack", link.Source); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("Link after Forget = %v, want not found", err)
	}
	if got, _ := o.Transcript(ctx, one.ID); len(got) != 1 || got[0].Kind != desk.EntryForgotten {
		t.Errorf("transcript after Forget = %+v, want the forgotten entry alone", got)
	}
}

// testClusterHangingPartition: while carrying the transcript log out hangs (a partition's
// master that does not answer), the first step waits for it up to projectWait and the next
// ones leave their entries to the background loop at once; once a carrying out succeeds,
// steps carry their entries out again before they return, and nothing was lost.
func testClusterHangingPartition(t *testing.T, open opener) {
	s, rdb := open(t, Options{Shards: 2})
	ctx := ctxT(t)
	tk, _ := openTicket(t, s, newTicket("U1"))
	s.stopBackground()
	carry := s.txproj.carry
	var calls atomic.Int32
	s.txproj.carry = func(ctx context.Context, page []string) (int64, int64, error) {
		calls.Add(1)
		<-ctx.Done()
		return 0, 0, ctx.Err()
	}
	appendOne := func(i int) time.Duration {
		start := time.Now()
		apply(t, s, desk.AppendEntry{Ticket: tk.ID, Entry: desk.Entry{At: at(i), Kind: "customer", Text: fmt.Sprintf("message %d", i)}})
		return time.Since(start)
	}
	if took := appendOne(1); took < projectWait/2 || calls.Load() != 1 {
		t.Fatalf("the first step took %v with %d attempts to carry out; want it to wait for the hanging one", took, calls.Load())
	}
	var took time.Duration
	for i := 2; i <= 4; i++ {
		took += appendOne(i)
	}
	if took > projectWait/2 || calls.Load() != 1 {
		t.Errorf("three more steps took %v with %d attempts to carry out in all; want them left to the loop at once", took, calls.Load())
	}
	s.txproj.carry = carry
	if err := s.projectAll(ctx); err != nil {
		t.Fatal(err)
	}
	appendOne(5)
	if n := rdb.LLen(ctx, s.keys.transcript(tk.ID)).Val(); n != 5 {
		t.Errorf("%d entries in the partition once a carrying out succeeded and a step followed, want 5", n)
	}
}

// testClusterMoveIndexes: a Cluster store whose indexes are in the installation's slot (as
// before 2026-12-07) has them in the index slot soon after it starts: the facts and the
// closed index merged, the status and word sets rebuilt from the tickets, the old keys gone.
func testClusterMoveIndexes(t *testing.T, open opener) {
	_, rdb := open(t, Options{Shards: 1}) // a client that outlives s
	s, _ := open(t, Options{Shards: 2})
	ctx := ctxT(t)
	tk, _ := openTicket(t, s, newTicket("U1"))
	apply(t, s, desk.AppendEntry{Ticket: tk.ID, Entry: desk.Entry{At: at(3), Kind: "customer", Text: "printer jammed"}},
		desk.RecordFact{Fact: desk.Fact{Kind: desk.FactRating, At: at(4), Ticket: tk.ID, Agent: "U_AGENT", Value: 5}})
	if err := s.flushWords(ctx); err != nil {
		t.Fatal(err)
	}
	prefix, ix := s.opts.Prefix, s.keys.ixp()
	_ = s.Close()

	// Put the index keys back under the installation's tag, as an older version kept them,
	// with no index log.
	cc := rdb.(*redis.ClusterClient)
	var moved []string
	var mu sync.Mutex
	keysOf := func(pattern string) []string {
		var out []string
		err := cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			ks, err := node.Keys(ctx, pattern).Result()
			mu.Lock()
			defer mu.Unlock()
			out = append(out, ks...)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	moved = keysOf(globEscape(ix) + "*")
	if len(moved) < 8 {
		t.Fatalf("index keys %v", moved)
	}
	for _, k := range moved {
		if name := strings.TrimPrefix(k, ix); name != "ixdone" && name != "ixmoved" {
			d := rdb.Dump(ctx, k).Val()
			if err := rdb.Restore(ctx, prefix+name, 0, d).Err(); err != nil {
				t.Fatal(err)
			}
		}
		rdb.Del(ctx, k)
	}
	rdb.Del(ctx, prefix+"ixlog", prefix+"ixseq")

	s2, _ := open(t, Options{Shards: 2, Prefix: prefix})
	id := strconv.FormatInt(int64(tk.ID), 10)
	waitFor(t, 10*time.Second, "the old index keys to go", func() bool {
		for _, k := range keysOf(globEscape(prefix) + "*") {
			if strings.HasPrefix(k, prefix+"st:") || strings.HasPrefix(k, prefix+"w:") || strings.HasPrefix(k, prefix+"fact:") || k == prefix+"ixver" {
				return false
			}
		}
		return true
	})
	waitFor(t, 10*time.Second, "the indexes to hold the ticket", func() bool {
		return rdb.ZScore(ctx, s2.keys.status(desk.StatusNew), id).Err() == nil && rdb.SIsMember(ctx, s2.keys.word(stemWord("printer")), id).Val()
	})
	if facts, err := s2.Facts(ctx, desk.FactRating, at(0), at(10)); err != nil || len(facts) != 1 {
		t.Errorf("Facts after the move = %v, %v; want the one rating", facts, err)
	}
	tk.Status = desk.StatusOpen
	apply(t, s2, desk.SaveTicket{Ticket: tk})
	if rdb.ZScore(ctx, s2.keys.status(desk.StatusNew), id).Err() == nil {
		t.Error("a save after the move left the ticket in its old status's index")
	}
}

// testClusterProjectionFailures: an index log entry whose command fails for a reason that
// passes (here a key on another master, as while the slot migrates) stops the projection
// before it, the mark kept, and is carried out once it can be; a command that can never be
// carried out is skipped without holding up the entries after it. A commit left unprojected
// at a stop is carried out as the store starts again, before the search words a stopped
// process left are looked for.
func testClusterProjectionFailures(t *testing.T, open opener) {
	s, rdb := open(t, Options{Shards: 2})
	ctx := ctxT(t)
	s.stopBackground()
	cc := rdb.(*redis.ClusterClient)
	home, err := cc.MasterForKey(ctx, s.keys.indexDone())
	if err != nil {
		t.Fatal(err)
	}
	var elsewhere string
	for i := 0; elsewhere == ""; i++ {
		k := "{elsewhere" + strconv.Itoa(i) + "}:k"
		if m, err := cc.MasterForKey(ctx, k); err == nil && m.Options().Addr != home.Options().Addr {
			elsewhere = k
		}
	}
	entry := func(seq int64, cmds ...[]string) string {
		b, _ := json.Marshal(cmds)
		return strconv.FormatInt(seq, 10) + "|" + string(b)
	}
	base := time.Now().UnixMicro()
	good1 := entry(base+1, []string{"SADD", s.keys.index("t1"), "1"})
	never := entry(base+2, []string{"SET", s.keys.index("t1"), "x"}, []string{"SADD", s.keys.index("t2"), "2"}) // WRONGTYPE, then fine
	away := entry(base+3, []string{"SADD", s.keys.index("t3"), "3"}, []string{"SET", elsewhere, "1"})
	good2 := entry(base+4, []string{"SADD", s.keys.index("t4"), "4"})
	rdb.RPush(ctx, s.keys.indexLog(), good1, never, away, good2)
	if err := s.project(ctx, s.proj, math.MaxInt64, nil); err == nil {
		t.Fatal("a projection whose command's key is on another master succeeded")
	}
	done, _ := rdb.Get(ctx, s.keys.indexDone()).Int64()
	if done != base+2 || !rdb.SIsMember(ctx, s.keys.index("t2"), "2").Val() {
		t.Errorf("mark = %d, t2 has 2: %v; want the mark after the entry that can never be carried out, the rest of it done", done-base, rdb.SIsMember(ctx, s.keys.index("t2"), "2").Val())
	}
	if rdb.Exists(ctx, s.keys.index("t4")).Val() != 0 {
		t.Error("an entry after the one that failed was carried out")
	}
	// The cause gone (here, the entry mended by hand), the next attempt carries on.
	rdb.LSet(ctx, s.keys.indexLog(), 2, entry(base+3, []string{"SADD", s.keys.index("t3"), "3"}))
	if err := s.project(ctx, s.proj, math.MaxInt64, nil); err != nil {
		t.Fatal(err)
	}
	if !rdb.SIsMember(ctx, s.keys.index("t4"), "4").Val() || rdb.LLen(ctx, s.keys.indexLog()).Val() > 1 {
		t.Error("the entries after the failed one were not carried out once it passed")
	}

	// A message committed, its projection (and so its search words' mark) cut off by a stop.
	tk, _ := openTicket(t, s, newTicket("U1"))
	cmds, err := s.prepare(desk.AppendEntry{Ticket: tk.ID, Entry: desk.Entry{At: at(3), Kind: "customer", Text: "scanner offline"}})
	if err != nil {
		t.Fatal(err)
	}
	cmds = append(cmds, []any{"SADD", s.keys.index(wordsPending), strconv.FormatInt(int64(tk.ID), 10)})
	if c, err := committed(s.runDurableScript(ctx, applyScript, s.commandKeys(nil, cmds), s.scriptArgs(nil, cmds)...)); err != nil || !c.applied {
		t.Fatalf("commit: %+v, %v", c, err)
	}
	_ = s.Close()
	s2, _ := open(t, Options{Shards: 2, Prefix: s.opts.Prefix})
	waitFor(t, 5*time.Second, "the words of the message committed before the stop", func() bool {
		return s2.rdb.SIsMember(ctx, s2.keys.word(stemWord("scanner")), strconv.FormatInt(int64(tk.ID), 10)).Val()
	})
}

// testClusterProjectionDuringMigration: while the index slot migrates to another master (its
// mark moved, the sets not yet), a step's index changes wait: nothing is written on either
// master (every key the projection touches is declared, so Cluster refuses it whole), and they
// are carried out once the migration is done.
func testClusterProjectionDuringMigration(t *testing.T, cluster *redistest.ClusterSetup) {
	s, rdb := openURL(cluster.URL())(t, Options{Shards: 2})
	ctx := ctxT(t)
	s.stopBackground()
	tk, _ := openTicket(t, s, newTicket("U1"))
	id := strconv.FormatInt(int64(tk.ID), 10)
	cc := rdb.(*redis.ClusterClient)
	slot, err := cc.ClusterKeySlot(ctx, s.keys.indexDone()).Result()
	if err != nil {
		t.Fatal(err)
	}
	home, err := cc.MasterForKey(ctx, s.keys.indexDone())
	if err != nil {
		t.Fatal(err)
	}
	var src, dst *redis.Client
	var srcID, dstID string
	var all []*redis.Client
	for _, n := range cluster.Nodes {
		c := n.Client(t)
		all = append(all, c)
		me := c.ClusterMyID(ctx).Val()
		switch {
		case n.Addr == home.Options().Addr:
			src, srcID = c, me
		case dst == nil:
			dst, dstID = c, me
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(dst.Do(ctx, "CLUSTER", "SETSLOT", slot, "IMPORTING", srcID).Err())
	must(src.Do(ctx, "CLUSTER", "SETSLOT", slot, "MIGRATING", dstID).Err())
	host, port, _ := strings.Cut(dst.Options().Addr, ":")
	must(src.Do(ctx, "MIGRATE", host, port, "", 0, 5000, "KEYS", s.keys.indexDone()).Err())

	tk.Status = desk.StatusPending
	apply(t, s, desk.SaveTicket{Ticket: tk}) // committed; its projection waits
	for _, k := range []string{s.keys.status(desk.StatusPending), s.keys.index("act")} {
		if dst.Exists(ctx, k).Val() != 0 {
			t.Errorf("%s was written on the master the slot migrates to, before its keys came", k)
		}
	}
	if src.ZScore(ctx, s.keys.status(desk.StatusNew), id).Err() != nil {
		t.Error("the ticket left its old status's index on the master the slot migrates from")
	}

	// The migration done, the change is carried out.
	for {
		keys := src.ClusterGetKeysInSlot(ctx, int(slot), 100).Val()
		if len(keys) == 0 {
			break
		}
		must(src.Do(ctx, append([]any{"MIGRATE", host, port, "", 0, 5000, "KEYS"}, anys(keys)...)...).Err())
	}
	for _, c := range all {
		must(c.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", dstID).Err())
	}
	waitFor(t, 10*time.Second, "the change carried out after the migration", func() bool {
		if err := s.project(ctx, s.proj, math.MaxInt64, nil); err != nil {
			return false
		}
		return rdb.ZScore(ctx, s.keys.status(desk.StatusPending), id).Err() == nil && rdb.ZScore(ctx, s.keys.status(desk.StatusNew), id).Err() != nil
	})
}

// TestLoneSentinelMasterTakesWrites: with Sentinel watching a master that has no replica (a
// small installation), a write cannot be confirmed on a replica, and no failover can lose it
// (there is nothing to promote): events are recorded, not refused for want of a WAIT. Once
// the sentinels know a replica, writes wait for it again.
func TestLoneSentinelMasterTakesWrites(t *testing.T) {
	setup := redistest.StartLoneSentinel(t, 1)
	ctx := ctxT(t)
	s, err := Open(ctx, setup.URL(), Options{Prefix: redistest.Prefix(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	start := time.Now()
	if _, err := s.Enqueue(ctx, 1, event("Ev-lone")); err != nil {
		t.Fatalf("Enqueue on a master without replica: %v", err)
	}
	if took := time.Since(start); took > 900*time.Millisecond {
		t.Errorf("Enqueue took %v: it waited for a replica there is none of", took)
	}
	if q := readQueue(t, s, 1, false, 0); len(q) != 1 {
		t.Fatalf("read %d events, want the one recorded", len(q))
	}
	// A replica that attaches is waited for at once, before the sentinels learn of it (the
	// master says it is connected); it is frozen, so the wait times out.
	r := redistest.StartServer(t)
	rc := r.Client(t)
	if err := rc.ReplicaOf(ctx, "127.0.0.1", strconv.Itoa(setup.Master.Port)).Err(); err != nil {
		t.Fatal(err)
	}
	mc := setup.Master.Client(t)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		// Synced on both sides: the master lists a replica (ROLE) only once it is online,
		// after its first acknowledgement.
		info, _ := rc.Info(ctx, "replication").Result()
		minfo, _ := mc.Info(ctx, "replication").Result()
		if strings.Contains(info, "master_link_status:up") && strings.Contains(minfo, "state=online") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replica never synced")
		}
	}
	r.Freeze()
	t.Cleanup(r.Thaw)
	if _, err := s.Enqueue(ctx, 1, event("Ev-attached")); desk.ErrorCode(err) != desk.EUNAVAILABLE {
		t.Errorf("Enqueue with a replica just attached, and frozen = %v, want EUNAVAILABLE", err)
	}
	// Once the sentinels know it, it is waited for even when the master no longer lists it.
	sc := redis.NewSentinelClient(&redis.Options{Addr: setup.Sentinels[0].Addr})
	t.Cleanup(func() { _ = sc.Close() })
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if m, err := sc.Master(ctx, redistest.MasterName).Result(); err == nil && m["num-slaves"] == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sentinel never learnt of the replica")
		}
	}
	target, err := ParseURL(setup.URL())
	if err != nil {
		t.Fatal(err)
	}
	s.checkReplicas(ctx, target) // what the watch does every replicasEvery
	if got := s.wait.Load(); got != 1 {
		t.Errorf("replicas waited for once the sentinel knows one: %d, want 1", got)
	}
	if _, err := s.Enqueue(ctx, 1, event("Ev-known")); desk.ErrorCode(err) != desk.EUNAVAILABLE {
		t.Errorf("Enqueue with the known replica frozen = %v, want EUNAVAILABLE", err)
	}
}

// TestDurableBatchWithANilReplyWaits: a durable operation waits for its replica even when
// another command of its transaction answered nil (go-redis's Exec then answers an error,
// though the transaction ran).
func TestDurableBatchWithANilReplyWaits(t *testing.T) {
	setup := redistest.StartSentinel(t, 1)
	s, _ := openURL(setup.URL())(t, Options{})
	setup.Replica.Freeze()
	t.Cleanup(setup.Replica.Thaw)
	err := s.batch.doDurable(ctxT(t), "", func(p redis.Pipeliner) {
		p.Set(ctxT(t), s.keys.prefix+"durable", "1", 0)
		p.Get(ctxT(t), s.keys.prefix+"missing")
	})
	if desk.ErrorCode(err) != desk.EUNAVAILABLE {
		t.Errorf("a durable write beside a nil reply, the replica frozen = %v, want EUNAVAILABLE", err)
	}
}

// TestOpenOneNodeOfACluster: a REDIS_URL of the one-server form that names a node of a Redis
// Cluster opens a Cluster client seeded by that node (a plain client would be refused the
// keys of the other nodes' slots); a database other than 0 is refused with a clear error.
func TestOpenOneNodeOfACluster(t *testing.T) {
	c := redistest.StartCluster(t)
	ctx := ctxT(t)
	s, err := Open(ctx, "redis://"+c.Nodes[0].Addr, Options{Prefix: redistest.Prefix(t), Shards: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, ok := s.rdb.(*redis.ClusterClient); !ok {
		t.Fatalf("client %T, want a Cluster client", s.rdb)
	}
	// The queue shards' keys have slots of their own, spread over the three masters.
	for shard := range 8 {
		enqueue(t, s, shard, event("Ev-node-"+strconv.Itoa(shard)))
	}
	for shard := range 8 {
		if got := readQueue(t, s, shard, false, 0); len(got) != 1 {
			t.Errorf("shard %d read %d events, want 1", shard, len(got))
		}
	}
	tk, _ := openTicket(t, s, newTicket("U1"))
	if got, err := s.Ticket(ctx, tk.ID); err != nil || got.ID != tk.ID {
		t.Errorf("ticket %s read back as %+v, %v", tk.ID, got, err)
	}
	_, err = Open(ctx, "redis://"+c.Nodes[0].Addr+"/3", Options{Prefix: redistest.Prefix(t)})
	if err == nil || !strings.Contains(err.Error(), "only database 0") {
		t.Errorf("Open of database 3 of a Cluster node = %v, want a clear refusal", err)
	}
}

// TestOpenASentinelAsAServer: a one-server URL that names a sentinel is refused with what to
// write instead, the master it monitors named.
func TestOpenASentinelAsAServer(t *testing.T) {
	setup := redistest.StartLoneSentinel(t, 1)
	_, err := Open(ctxT(t), "redis://"+setup.Sentinels[0].Addr, Options{Prefix: redistest.Prefix(t)})
	want := "names a Redis Sentinel, not a server (it monitors " + redistest.MasterName + "): write redis-sentinel://" +
		setup.Sentinels[0].Addr + "/0?master=" + redistest.MasterName
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Open of a sentinel's address = %v, want it to say %q", err, want)
	}
}

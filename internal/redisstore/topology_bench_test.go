package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/redisstore"
	"github.com/threadesk/threadesk/internal/redistest"
)

// BenchmarkStep times one step as a shard's worker applies it (a ticket saved, a message
// appended to its transcript, a fact, the event's handled mark), on one server and on a
// 3-master Cluster on the same machine, where the index slot's changes go through the index
// log (project.go). Alone, and with 32 steps in flight at once (a worker per queue shard).
func BenchmarkStep(b *testing.B) {
	cluster := redistest.StartCluster(b)
	for _, topo := range []struct{ name, url string }{
		{"one server", "redis://" + redistest.Addr(b)},
		{"cluster", cluster.URL()},
	} {
		st, err := redisstore.Open(context.Background(), topo.url, redisstore.Options{Prefix: redistest.Prefix(b)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = st.Close() })
		ctx := context.Background()
		var tickets [32]desk.Ticket
		for i := range tickets {
			tickets[i], _, err = st.OpenTicket(ctx, desk.Ticket{Platform: "slack", Customer: desk.User{ID: fmt.Sprintf("U%02d", i), Name: "c"}, Subject: "printer jammed"})
			if err != nil {
				b.Fatal(err)
			}
		}
		var n, workers atomic.Int64
		step := func(t desk.Ticket, i int) error {
			at := time.Unix(1_800_000_000, 0).Add(time.Duration(i) * time.Second)
			t.Status, t.LastActivityAt = desk.StatusOpen, at
			return st.Apply(ctx, desk.SaveTicket{Ticket: t},
				desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: at, Kind: "customer", Author: t.Customer.ID, Text: "the invoice printer is jammed again"}},
				desk.RecordFact{Fact: desk.Fact{Kind: desk.FactFirstResponse, At: at, Ticket: t.ID, Agent: "A1", Value: int64(i)}},
				desk.AckEvent{Platform: "slack", Event: fmt.Sprintf("%s-%d", topo.name, i)})
		}
		b.Run(topo.name+"/alone", func(b *testing.B) {
			for b.Loop() {
				if err := step(tickets[0], int(n.Add(1))); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(topo.name+"/32 at once", func(b *testing.B) {
			b.SetParallelism(16) // 32 goroutines on 2 cores
			b.RunParallel(func(pb *testing.PB) {
				w := int(workers.Add(1)-1) % len(tickets)
				for pb.Next() {
					if err := step(tickets[w], int(n.Add(1))); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkClusterSpread measures how an installation's data and work spread over a 3-master
// Cluster: 300 tickets of six messages each (about 120 characters, each as a worker handles
// it: recorded in its queue shard, read from there, applied with its outbox record, its
// entry's acknowledgement and its event's handled mark, then its link recorded and its
// outbox record done) and a fact, closed, then the bytes of the installation's keys
// (MEMORY USAGE) on each master and by slot kind, the commands each master ran (INFO
// commandstats) and its processor time (INFO cpu). It reports the largest master's share of
// the bytes, of the commands and of the processor time, and the bytes a ticket holds in each
// kind of slot; -v logs the table. A measurement, not a check: run it with
// scripts/test ./internal/redisstore -run '^$' -bench ClusterSpread -benchtime 1x.
func BenchmarkClusterSpread(b *testing.B) {
	cluster := redistest.StartCluster(b)
	for b.Loop() {
		ctx := context.Background()
		cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(strings.TrimPrefix(cluster.URL(), "redis-cluster://"), ",")})
		// The installation's slot and the index slot on two masters, as an operator would
		// place the two busiest slots.
		prefix := cluster.PrefixSlots(b, false)
		st, err := redisstore.Open(context.Background(), cluster.URL(), redisstore.Options{Prefix: prefix, Shards: 32})
		if err != nil {
			b.Fatal(err)
		}
		// The masters' command counts and processor time start from here (the store's own
		// start apart).
		cpu0 := map[string]float64{}
		var mu sync.Mutex
		if err := cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			info, err := node.Info(ctx, "cpu").Result()
			mu.Lock()
			cpu0[node.Options().Addr] = cpuSeconds(info)
			mu.Unlock()
			return errors.Join(err, node.ConfigResetStat(ctx).Err())
		}); err != nil {
			b.Fatal(err)
		}
		const tickets, shards = 300, 32
		for i := range tickets {
			cust := fmt.Sprintf("U%04d", i)
			t, _, err := st.OpenTicket(ctx, desk.Ticket{Platform: "slack", Customer: desk.User{ID: cust, Name: "c"}, Subject: "printer jammed"})
			if err != nil {
				b.Fatal(err)
			}
			shard := i % shards
			for m := range 6 {
				// Each message goes as a worker handles it: recorded in its queue shard, read
				// from there (the Cluster's claim), then its changes with the entry's
				// acknowledgement.
				ev := desk.Event{ID: fmt.Sprintf("Ev%04d-%d", i, m), Platform: "slack", Kind: desk.CustomerMessage, User: desk.User{ID: cust}}
				if _, err := st.Enqueue(ctx, shard, ev); err != nil {
					b.Fatal(err)
				}
				read, err := st.ReadQueue(ctx, shard, "", 1, 0)
				if err != nil || len(read) != 1 {
					b.Fatalf("read queue shard %d: %v, %d entries", shard, err, len(read))
				}
				at := time.Unix(1_800_000_000, 0).Add(time.Duration(i*10+m) * time.Second)
				src := desk.MessageRef{Channel: "D" + cust, ID: fmt.Sprintf("1800000000.%06d", i*10+m)}
				err = st.Apply(ctx,
					desk.TouchTicket{Ticket: t.ID, At: at},
					desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: at, Kind: "customer", Author: cust, Name: "Jane Doe",
						Text: fmt.Sprintf("message %d: the invoice printer on the third floor is jammed again and shows error E-%d", m, i)}},
					desk.PutOutbox{Shard: shard, Outbox: desk.Outbox{Platform: "slack", Event: ev.ID, At: at, Tasks: []desk.Task{{Kind: desk.TaskPost, Platform: "slack", Ticket: t.ID}}}},
					desk.AckEvent{Shard: shard, Entry: read[0].Entry, Platform: "slack", Event: ev.ID}) // its handled mark, kept 72 h
				if err != nil {
					b.Fatal(err)
				}
				// The copy posted, its link is recorded as its task is done.
				err = st.Apply(ctx,
					desk.PutLink{Platform: "slack", Link: desk.Link{Ticket: t.ID, Kind: desk.LinkCustomer, Source: src, Parts: []desk.MessageRef{{Channel: "CTRIAGE", ID: src.ID + "1"}}}},
					desk.DoneOutbox{Shard: shard, Platform: "slack", Event: ev.ID})
				if err != nil {
					b.Fatal(err)
				}
			}
			t.Status, t.ClosedAt = desk.StatusClosed, time.Unix(1_800_001_000, 0)
			if err := st.Apply(ctx, desk.SaveTicket{Ticket: t}, desk.RecordFact{Fact: desk.Fact{Kind: desk.FactResolved, At: t.ClosedAt, Ticket: t.ID, Agent: "A1", Value: 60}}); err != nil {
				b.Fatal(err)
			}
		}
		_ = st.Close()
		byMaster, byKind := map[string]int64{}, map[string]int64{}
		calls := map[string]int64{}           // commands each master ran, those of scripts included
		cpu := map[string]float64{}           // the processor time of each master's main thread
		kinds := map[string]map[string]bool{} // the kinds of slot each master holds
		tag := strings.Trim(strings.TrimSuffix(prefix, ":"), "{}")
		err = cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			info, err := node.Info(ctx, "commandstats", "cpu").Result()
			if err != nil {
				return err
			}
			mu.Lock()
			calls[node.Options().Addr] = commandCalls(info)
			cpu[node.Options().Addr] = cpuSeconds(info) - cpu0[node.Options().Addr]
			mu.Unlock()
			keys, err := node.Keys(ctx, "*{"+tag+"*").Result()
			if err != nil {
				return err
			}
			for _, k := range keys {
				n, err := node.MemoryUsage(ctx, k).Result()
				if err != nil {
					return err
				}
				kind := k[strings.IndexByte(k, '{')+1+len(tag) : strings.IndexByte(k, '}')]
				switch {
				case strings.HasPrefix(kind, "/p"):
					kind = "ticket partitions"
				case strings.HasPrefix(kind, "/q"):
					kind = "queue shards"
				case kind == "":
					kind = "installation"
				}
				mu.Lock()
				byMaster[node.Options().Addr] += n
				byKind[kind] += n
				if kinds[node.Options().Addr] == nil {
					kinds[node.Options().Addr] = map[string]bool{}
				}
				kinds[node.Options().Addr][kind] = true
				mu.Unlock()
			}
			return nil
		})
		_ = cc.Close()
		if err != nil {
			b.Fatal(err)
		}
		var total, most int64
		for _, n := range byMaster {
			total += n
			most = max(most, n)
		}
		b.Logf("bytes by master: %v; by kind of slot: %v; total %d for %d tickets", byMaster, byKind, total, tickets)
		b.ReportMetric(float64(most)/float64(total), "largest-master-share")
		// The work: which master ran how many commands and took how much processor time,
		// holding which kinds of slot.
		var allCalls, mostCalls int64
		var allCPU, mostCPU float64
		for addr := range calls {
			allCalls, allCPU = allCalls+calls[addr], allCPU+cpu[addr]
			mostCalls, mostCPU = max(mostCalls, calls[addr]), max(mostCPU, cpu[addr])
		}
		for addr := range calls {
			b.Logf("master %s: %.0f %% of the commands, %.0f %% of the processor time; holds %s", addr,
				100*float64(calls[addr])/float64(allCalls), 100*cpu[addr]/allCPU, slices.Sorted(maps.Keys(kinds[addr])))
		}
		b.ReportMetric(float64(mostCalls)/float64(allCalls), "largest-master-commands-share")
		b.ReportMetric(mostCPU/allCPU, "largest-master-cpu-share")
		for kind, n := range byKind {
			b.ReportMetric(float64(n)/tickets, "B/ticket-"+strings.NewReplacer(" ", "-", "/", "").Replace(kind))
		}
	}
}

// commandCalls sums the calls of every command in INFO commandstats
// ("cmdstat_get:calls=2,usec=15,..."), those a script made included.
func commandCalls(info string) int64 {
	var calls int64
	for _, line := range strings.Split(info, "\n") {
		if _, fields, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && strings.HasPrefix(line, "cmdstat_") {
			value, _, _ := strings.Cut(strings.TrimPrefix(fields, "calls="), ",")
			n, _ := strconv.ParseInt(value, 10, 64)
			calls += n
		}
	}
	return calls
}

// cpuSeconds is the processor time of a server's main thread in INFO cpu, user and system
// (used_cpu_user_main_thread, used_cpu_sys_main_thread; Redis 6.2 on).
func cpuSeconds(info string) float64 {
	var sum float64
	for _, line := range strings.Split(info, "\n") {
		name, value, _ := strings.Cut(strings.TrimSpace(line), ":")
		if name == "used_cpu_user_main_thread" || name == "used_cpu_sys_main_thread" {
			f, _ := strconv.ParseFloat(value, 64)
			sum += f
		}
	}
	return sum
}

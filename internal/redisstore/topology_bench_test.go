package redisstore_test

import (
	"context"
	"fmt"
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

// BenchmarkClusterSpread measures how an installation's data spreads over a 3-master Cluster:
// 300 tickets of six messages each (about 120 characters, each with its link and its event's
// handled mark) and a fact, closed, then the bytes of the installation's keys (MEMORY USAGE) on each master and by
// slot kind. It reports the largest master's share of the bytes and the bytes a ticket
// holds in each kind of slot; -v logs the table. A measurement, not a check: run it with
// scripts/test ./internal/redisstore -run '^$' -bench ClusterSpread -benchtime 1x.
func BenchmarkClusterSpread(b *testing.B) {
	cluster := redistest.StartCluster(b)
	for b.Loop() {
		prefix := redistest.Prefix(b)
		st, err := redisstore.Open(context.Background(), cluster.URL(), redisstore.Options{Prefix: prefix})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		const tickets = 300
		for i := range tickets {
			cust := fmt.Sprintf("U%04d", i)
			t, _, err := st.OpenTicket(ctx, desk.Ticket{Platform: "slack", Customer: desk.User{ID: cust, Name: "c"}, Subject: "printer jammed"})
			if err != nil {
				b.Fatal(err)
			}
			for m := range 6 {
				at := time.Unix(1_800_000_000, 0).Add(time.Duration(i*10+m) * time.Second)
				src := desk.MessageRef{Channel: "D" + cust, ID: fmt.Sprintf("1800000000.%06d", i*10+m)}
				err := st.Apply(ctx,
					desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: at, Kind: "customer", Author: cust, Name: "Jane Doe",
						Text: fmt.Sprintf("message %d: the invoice printer on the third floor is jammed again and shows error E-%d", m, i)}},
					desk.PutLink{Platform: "slack", Link: desk.Link{Ticket: t.ID, Kind: desk.LinkCustomer, Source: src, Parts: []desk.MessageRef{{Channel: "CTRIAGE", ID: src.ID + "1"}}}},
					desk.AckEvent{Platform: "slack", Event: fmt.Sprintf("Ev%04d-%d", i, m)}) // its handled mark, kept 72 h
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
		cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(strings.TrimPrefix(cluster.URL(), "redis-cluster://"), ",")})
		tag := strings.Trim(strings.TrimSuffix(prefix, ":"), "{}")
		var mu sync.Mutex
		err = cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
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
		for kind, n := range byKind {
			b.ReportMetric(float64(n)/tickets, "B/ticket-"+strings.NewReplacer(" ", "-", "/", "").Replace(kind))
		}
	}
}

package redisstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

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

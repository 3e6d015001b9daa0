package redisstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/desktest"
	"github.com/threadesk/threadesk/internal/redisstore"
	"github.com/threadesk/threadesk/internal/redistest"
	"github.com/threadesk/threadesk/internal/relay"
)

// benchWords is the vocabulary of the seeded transcripts: English and Russian support words,
// drawn with a Zipf law so that some are in most tickets and most in few, as in real text.
var benchWords = strings.Fields(`printer vpn invoice password login email account refund charge error
	screen laptop wifi network slow crash update install license access folder drive backup meeting
	calendar phone headset monitor keyboard mouse battery certificate token browser chrome outlook teams
	excel report payment card order delivery address shipping tracking discount subscription cancel
	upgrade plan server database timeout gateway proxy firewall port dns domain mailbox quota storage
	принтер бухгалтерия пароль почта доступ счет оплата ошибка сервер сеть ноутбук монитор обновление
	лицензия договор возврат заказ доставка звонок встреча календарь телефон отчет карта скидка тариф`)

// seedQueue records n tickets with transcripts of a few messages each and the statistics facts
// of their creation, first response and resolution, opened over days before now; one in ten
// is still active.
func seedQueue(b *testing.B, st *redisstore.Store, n, days int, now time.Time) {
	b.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	zipf := rand.NewZipf(rand.New(rand.NewPCG(3, 5)), 1.2, 8, uint64(len(benchWords)-1))
	sentence := func(k int) string {
		ws := make([]string, k)
		for i := range ws {
			ws[i] = benchWords[zipf.Uint64()]
		}
		return strings.Join(ws, " ")
	}
	categories := []string{"Billing", "Technical", "Account", "General", ""}
	tags := []string{"vip", "refund", "bug", "hardware", "onboarding", "escalated", "legal", "training"}
	active := []desk.Status{desk.StatusNew, desk.StatusOpen, desk.StatusPending}
	span := time.Duration(days) * 24 * time.Hour
	var batch []desk.Change
	flush := func() {
		if err := st.Apply(context.Background(), batch...); err != nil {
			b.Fatalf("seed: %v", err)
		}
		batch = batch[:0]
	}
	for i := range n {
		id := desk.TicketID(i + 1)
		at := now.Add(-span + time.Duration(float64(span)*float64(i)/float64(n)))
		t := desk.Ticket{ID: id, Platform: "slack", Status: desk.StatusClosed, Priority: desk.Priorities[rng.IntN(4)],
			Category: categories[rng.IntN(len(categories))], Tags: []string{tags[rng.IntN(len(tags))]},
			Customer:  desk.User{ID: fmt.Sprintf("U%06d", i), Name: fmt.Sprintf("customer%d", i), DisplayName: fmt.Sprintf("Customer %d", i)},
			DMChannel: fmt.Sprintf("D%06d", i), TriageChannel: "C-TRIAGE", ThreadID: fmt.Sprintf("%d.%06d", at.Unix(), i),
			Subject: sentence(6), Language: "en", OutOfHours: rng.IntN(5) == 0, CreatedAt: at, LastActivityAt: at}
		if rng.IntN(10) == 0 {
			t.Status = active[rng.IntN(len(active))]
		}
		agent := fmt.Sprintf("A%02d", rng.IntN(12))
		if t.Status != desk.StatusNew {
			t.Assignee, t.AssigneeName = agent, "Agent "+agent
		}
		batch = append(batch, desk.RecordFact{Fact: desk.Fact{Kind: desk.FactCreated, At: at, Ticket: id}})
		for m := range 2 + rng.IntN(4) {
			kind, who := "customer", t.Customer.ID
			if m%2 == 1 {
				kind, who = "agent", agent
			}
			at := at.Add(time.Duration(m) * 17 * time.Minute)
			batch = append(batch, desk.AppendEntry{Ticket: id, Entry: desk.Entry{At: at, Kind: kind, Author: who, Name: who, Text: sentence(8 + rng.IntN(20))}})
			t.LastActivityAt = at
			if m == 1 {
				t.FirstResponseAt = at
				batch = append(batch, desk.RecordFact{Fact: desk.Fact{Kind: desk.FactFirstResponse, At: at, Ticket: id, Agent: agent, Value: int64(at.Sub(t.CreatedAt) / time.Second)}})
			}
		}
		if t.Status == desk.StatusClosed {
			t.ResolvedAt, t.ResolvedBy, t.ClosedAt = t.LastActivityAt, agent, t.LastActivityAt
			batch = append(batch, desk.RecordFact{Fact: desk.Fact{Kind: desk.FactResolved, At: t.ResolvedAt, Ticket: id, Agent: agent, Value: int64(t.ResolvedAt.Sub(at) / time.Second)}})
		}
		batch = append(batch, desk.SaveTicket{Ticket: t})
		if len(batch) > 1000 {
			flush()
		}
	}
	flush()
}

// BenchmarkQueue times the dashboard's queries on a desk of 100,000 tickets opened over 90
// days, one in ten active, each with a transcript of two to five messages: the queue's first
// page, a filtered page, a search of one and of two words (each with the page's tickets read),
// the tickets opened in a period (the statistics' drill-down), and the statistics of 30 days
// once the relay's cache is warm. The goal is under 100 ms each.
func BenchmarkQueue(b *testing.B) {
	const n = 100_000
	now := time.Now()
	rdb := redistest.Client(b)
	st, err := redisstore.New(rdb, redisstore.Options{Prefix: redistest.Prefix(b), Shards: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	seedQueue(b, st, n, 90, now)
	b.Logf("seeded %d tickets in %v", n, time.Since(start).Round(time.Millisecond))
	if mem, err := rdb.Info(context.Background(), "memory").Result(); err == nil {
		for _, l := range strings.Split(mem, "\n") {
			if strings.HasPrefix(l, "used_memory_human:") {
				b.Logf("redis %s", strings.TrimSpace(l))
			}
		}
	}
	ctx := context.Background()
	active := []desk.Status{desk.StatusNew, desk.StatusOpen, desk.StatusPending}
	queries := []struct {
		name string
		q    desk.TicketQuery
	}{
		{"first page", desk.TicketQuery{Statuses: active, Limit: 50}},
		{"first page by activity", desk.TicketQuery{Statuses: active, Sort: desk.SortActivity, Limit: 50}},
		{"filtered page", desk.TicketQuery{Statuses: []desk.Status{desk.StatusOpen}, Priority: desk.PriorityHigh, Tag: "vip", Limit: 50}},
		{"search one word", desk.TicketQuery{Statuses: active, Search: "printer", Limit: 50}},
		{"search two words", desk.TicketQuery{Statuses: active, Search: "printer invoice", Limit: 50}},
		{"search all statuses", desk.TicketQuery{Search: "принтер оплата", Limit: 50}},
		{"closed by activity", desk.TicketQuery{Statuses: []desk.Status{desk.StatusClosed}, Sort: desk.SortActivity, Limit: 50}},
		// The orders by priority and by SLA, which no sort set of their own serves since
		// 2026-12-07: the first page and a page far in, of the active tickets and of all.
		{"first page by priority", desk.TicketQuery{Statuses: active, Sort: desk.SortPriority, Limit: 50}},
		{"page 100 by priority, every status", desk.TicketQuery{Statuses: desk.Statuses, Sort: desk.SortPriority, Offset: 5000, Limit: 50}},
		{"first page by SLA", desk.TicketQuery{Statuses: active, Sort: desk.SortDue, Limit: 50}},
		{"page 100 by SLA, every status", desk.TicketQuery{Statuses: desk.Statuses, Sort: desk.SortDue, Offset: 5000, Limit: 50}},
		{"filtered page by priority", desk.TicketQuery{Statuses: active, Category: "Billing", Sort: desk.SortPriority, Limit: 50}},
		// The statistics' drill-down: the tickets opened in the last 7 days (about 7,800), of
		// every status, alone and of one category.
		{"period 7 days", desk.TicketQuery{Statuses: desk.Statuses, OpenedFrom: now.Add(-7 * 24 * time.Hour), OpenedTo: now, Limit: 50}},
		{"period 7 days category", desk.TicketQuery{Statuses: desk.Statuses, Category: "Billing", OpenedFrom: now.Add(-7 * 24 * time.Hour), OpenedTo: now, Limit: 50}},
		{"period 30 days by activity", desk.TicketQuery{Statuses: desk.Statuses, Sort: desk.SortActivity, OpenedFrom: now.Add(-30 * 24 * time.Hour), OpenedTo: now, Limit: 50}},
	}
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			var res desk.TicketResult
			for b.Loop() {
				if res, err = st.QueryTickets(ctx, q.q); err != nil {
					b.Fatal(err)
				}
			}
			if res.Total == 0 {
				b.Fatalf("%s matched nothing", q.name)
			}
			b.ReportMetric(float64(res.Total), "matched")
		})
	}
	b.Run("stats 30 days", func(b *testing.B) {
		r, err := relay.New(relay.Options{Store: st, Platforms: []desk.Platform{desktest.New("slack", desk.Limits{MaxText: 4000})}, Shards: 1,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		from := now.Add(-30 * 24 * time.Hour)
		start := time.Now()
		if _, err := r.Stats(ctx, from, now); err != nil {
			b.Fatal(err)
		}
		b.Logf("first call, the cache empty (what the relay now does in the background as it starts): %v", time.Since(start).Round(time.Millisecond))
		for b.Loop() {
			s, err := r.Stats(ctx, from, now)
			if err != nil {
				b.Fatal(err)
			}
			if s.Opened < 30_000 {
				b.Fatalf("opened %d in 30 days, want about 33,000", s.Opened)
			}
		}
	})
}

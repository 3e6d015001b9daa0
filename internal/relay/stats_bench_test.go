package relay_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/desktest"
	"github.com/threadesk/threadesk/internal/redisstore"
	"github.com/threadesk/threadesk/internal/redistest"
	"github.com/threadesk/threadesk/internal/relay"
)

// seedDesk records n tickets opened evenly over the days before now, with the facts a real
// desk records for them, as the engine would have: most are claimed and resolved, some
// rated with a comment, every handled one has its two SLA clocks met or breached, and one in
// twenty was answered by the knowledge base without an agent. The tickets are whole (subject,
// customer, thread, clocks), so reading one costs what it costs in production.
func seedDesk(tb testing.TB, st *redisstore.Store, n int, days int, now time.Time) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	categories := []string{"Billing", "Technical", "Account", "General", ""}
	articles := []string{"reset-password", "refund-policy", "invoice-copy", "two-factor"}
	span := time.Duration(days) * 24 * time.Hour
	var batch []desk.Change
	flush := func() {
		if err := st.Apply(context.Background(), batch...); err != nil {
			tb.Fatalf("seed: %v", err)
		}
		batch = batch[:0]
	}
	for i := range n {
		id := desk.TicketID(i + 1)
		at := now.Add(-span + time.Duration(float64(span)*float64(i)/float64(n)))
		agent := fmt.Sprintf("A%02d", rng.IntN(12))
		t := desk.Ticket{ID: id, Platform: "slack", Status: desk.StatusClosed, Priority: desk.Priorities[rng.IntN(4)],
			Category: categories[rng.IntN(len(categories))], Tags: []string{"seeded"},
			Customer:  desk.User{ID: fmt.Sprintf("U%06d", i), Name: fmt.Sprintf("customer%d", i), DisplayName: fmt.Sprintf("Customer %d", i)},
			DMChannel: fmt.Sprintf("D%06d", i), TriageChannel: "C-TRIAGE", ThreadID: fmt.Sprintf("%d.000100", at.Unix()),
			Subject: "My invoice for last month shows a charge I do not recognise", Language: "en",
			CreatedAt: at, LastActivityAt: at}
		batch = append(batch, desk.RecordFact{Fact: desk.Fact{Kind: desk.FactCreated, At: at, Ticket: id}})
		if rng.IntN(20) == 0 {
			t.Deflected = articles[rng.IntN(len(articles))]
			batch = append(batch, desk.SaveTicket{Ticket: t},
				desk.RecordFact{Fact: desk.Fact{Kind: desk.FactDeflected, At: at, Ticket: id, Subject: t.Deflected}})
			continue
		}
		first := time.Duration(1+rng.IntN(240)) * time.Minute
		t.Assignee, t.AssigneeName, t.FirstResponseAt = agent, "Agent "+agent, at.Add(first)
		batch = append(batch, desk.RecordFact{Fact: desk.Fact{Kind: desk.FactFirstResponse, At: t.FirstResponseAt, Ticket: id, Agent: agent, Value: int64(first / time.Second)}})
		pr := string(t.Priority)
		met := func(kind desk.SLAKind, at time.Time, took time.Duration) {
			f := desk.FactSLAMet
			if took > 2*time.Hour {
				f = desk.FactSLABreached
			}
			batch = append(batch, desk.RecordFact{Fact: desk.Fact{Kind: f, At: at, Ticket: id, Agent: agent, Subject: string(kind) + ":" + pr, Value: int64(took / time.Second)}})
		}
		met(desk.SLAFirstResponse, t.FirstResponseAt, first)
		if rng.IntN(10) < 9 {
			took := first + time.Duration(1+rng.IntN(48*60))*time.Minute
			t.ResolvedAt, t.ResolvedBy = at.Add(took), agent
			batch = append(batch, desk.RecordFact{Fact: desk.Fact{Kind: desk.FactResolved, At: t.ResolvedAt, Ticket: id, Agent: agent, Value: int64(took / time.Second)}})
			met(desk.SLAResolution, t.ResolvedAt, took/8)
			if rng.IntN(3) == 0 {
				t.Rating = 1 + rng.IntN(5)
				if rng.IntN(2) == 0 {
					t.RatingComment = "Thanks, that was quick"
				}
				batch = append(batch, desk.RecordFact{Fact: desk.Fact{Kind: desk.FactRating, At: t.ResolvedAt.Add(time.Hour), Ticket: id, Agent: agent, Value: int64(t.Rating)}})
			}
		}
		batch = append(batch, desk.SaveTicket{Ticket: t})
		if len(batch) > 2000 {
			flush()
		}
	}
	flush()
}

// BenchmarkStats30Days times the statistics of the last 30 days on a desk of 100,000 tickets
// opened over 90 days (about 33,000 tickets and 150,000 facts in the period). The goal is
// under 100 ms per call.
func BenchmarkStats30Days(b *testing.B) {
	now := time.Now()
	st, err := redisstore.New(redistest.Client(b), redisstore.Options{Prefix: redistest.Prefix(b), Shards: 1})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	seedDesk(b, st, 100_000, 90, now)
	b.Logf("seeded 100,000 tickets in %v", time.Since(start).Round(time.Millisecond))
	r, err := relay.New(relay.Options{Store: st, Platforms: []desk.Platform{desktest.New("slack", desk.Limits{MaxText: 4000})}, Shards: 1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// The first call reads the whole period from Redis; the ones after it, what changed.
	start = time.Now()
	if _, err := r.Stats(ctx, now.Add(-30*24*time.Hour), now); err != nil {
		b.Fatal(err)
	}
	b.Logf("first call (nothing kept yet): %v", time.Since(start).Round(time.Millisecond))
	b.ResetTimer()
	for b.Loop() {
		s, err := r.Stats(ctx, now.Add(-30*24*time.Hour), now)
		if err != nil {
			b.Fatal(err)
		}
		if s.Opened < 30_000 {
			b.Fatalf("opened %d in 30 days, want about 33,000", s.Opened)
		}
	}
}

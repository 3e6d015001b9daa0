package relay

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/threadesk/threadesk/internal/desk"
)

// TestUserCacheStaysBounded: with 100,000 distinct customers the cache never holds more than
// maxUsers, and what it still holds is right.
func TestUserCacheStaysBounded(t *testing.T) {
	clock := clockwork.NewFakeClock()
	c := &userCache{ttl: 10 * time.Minute, clock: clock}
	peak := 0
	for i := range 100_000 {
		id := "U" + strconv.Itoa(i)
		c.put("slack\x00"+id, desk.User{ID: id, DisplayName: "Customer " + id}, clock.Now())
		peak = max(peak, len(c.users))
		if i%1000 == 0 {
			clock.Advance(time.Minute)
		}
	}
	if peak > maxUsers {
		t.Errorf("the cache held %d users, want at most %d", peak, maxUsers)
	}
	if got := c.users["slack\x00U99999"]; got.user.DisplayName != "Customer U99999" {
		t.Errorf("the newest user: %+v", got)
	}
}

// TestPacerForgetsIdleChannels: posting once into each of 100,000 DMs leaves the pacer with a
// bounded number of channels; a channel still pacing (its burst used up, or held by a
// Retry-After) is never forgotten, so its pace holds.
func TestPacerForgetsIdleChannels(t *testing.T) {
	clock := clockwork.NewFakeClock()
	p := newPacer(clock)
	ctx := context.Background()
	if _, err := p.wait(ctx, "slack", "C-TRIAGE", 1, 1); err != nil {
		t.Fatal(err)
	}
	p.hold(ctx, "slack", "C-HELD", time.Hour)
	peak := 0
	for i := range 100_000 {
		if _, err := p.wait(ctx, "slack", "D"+strconv.Itoa(i), 1, 4); err != nil {
			t.Fatal(err)
		}
		p.mu.Lock()
		peak = max(peak, len(p.channels))
		p.mu.Unlock()
		if i%500 == 0 {
			clock.Advance(10 * time.Second)
		}
	}
	if peak > maxPaced+1 {
		t.Errorf("the pacer held %d channels, want at most %d", peak, maxPaced+1)
	}
	p.mu.Lock()
	_, held := p.channels["slack\x00C-HELD"]
	p.mu.Unlock()
	if !held {
		t.Error("a channel under a Retry-After was forgotten")
	}
}

// factStore is a store of statistics facts and tickets in memory that notes the largest read
// the statistics cache asks of it.
type factStore struct {
	desk.Store // only the methods below are called
	mu         sync.Mutex
	facts      []desk.Fact
	tickets    map[desk.TicketID]desk.Ticket
	// mostTickets is the most tickets one read asked for; longestSpan the longest period one
	// read of facts covered.
	mostTickets int
	longestSpan time.Duration
}

func (s *factStore) Facts(_ context.Context, kind desk.FactKind, from, to time.Time) ([]desk.Fact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.longestSpan = max(s.longestSpan, to.Sub(from))
	var out []desk.Fact
	for _, f := range s.facts {
		if f.Kind == kind && !f.At.Before(from) && f.At.Before(to) {
			out = append(out, f)
		}
	}
	return out, nil
}

func (s *factStore) TicketsByID(_ context.Context, ids []desk.TicketID) ([]desk.Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mostTickets = max(s.mostTickets, len(ids))
	var out []desk.Ticket
	for _, id := range ids {
		if t, ok := s.tickets[id]; ok {
			out = append(out, t)
		}
	}
	return out, nil
}

func (s *factStore) TicketChanges(context.Context, string, int, time.Duration) ([]desk.TicketChange, error) {
	return nil, nil
}

func (s *factStore) LastTicketChange(context.Context) (string, error) { return "1-0", nil }

// TestStatsCacheReadsInBoundedParts: filling the statistics cache with 90 days of a large desk
// reads the tickets and the facts a bounded part at a time, so that what a read holds in
// memory at once does not grow with the history; every fact is still there, with its ticket.
func TestStatsCacheReadsInBoundedParts(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	st := &factStore{tickets: map[desk.TicketID]desk.Ticket{}}
	const tickets = 5 * statsTicketPage
	for i := range tickets { // oldest first, as the store answers
		id := desk.TicketID(i + 1)
		at := now.Add(-warmPeriod / tickets * time.Duration(tickets-i))
		st.tickets[id] = desk.Ticket{ID: id, Category: "billing", Priority: desk.PriorityHigh}
		st.facts = append(st.facts, desk.Fact{Kind: desk.FactCreated, At: at, Ticket: id})
	}
	var c statsCache
	in, err := c.input(context.Background(), st, now, now.Add(-warmPeriod), now.Add(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if st.mostTickets > statsTicketPage || st.mostTickets == 0 {
		t.Errorf("one read asked for %d tickets, want at most %d", st.mostTickets, statsTicketPage)
	}
	if st.longestSpan > statsFactSpan {
		t.Errorf("one read of facts covered %v, want at most %v", st.longestSpan, statsFactSpan)
	}
	n := 0
	for _, info := range in.each(desk.FactCreated) {
		if info.category != "billing" || info.priority != desk.PriorityHigh {
			t.Fatalf("a fact's ticket is %+v", info)
		}
		n++
	}
	if n != tickets {
		t.Errorf("%d facts in the period, want %d", n, tickets)
	}
}

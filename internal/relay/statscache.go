package relay

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// The statistics of a period need every fact of the period and, for each ticket a fact is
// about, its category, priority and assignee now. Read from Redis every time, the last 30 days
// of a desk with 100,000 tickets over 90 days are about 165,000 facts and 33,000 tickets: half
// a second. statsCache keeps both in memory, so that a period is read from Redis once, and
// after that only what changed: the facts of the last minutes, and the tickets the store's
// change feed names.
//
// Facts need no invalidation: each is recorded once, when it happens, with the time of the
// step that made it (desk.Fact.At is the engine's clock at the step, and the step's
// transaction lands at once, or fails and is taken again later with a new time). So the facts
// older than a few minutes (statsSettle, far more than clock skew between processes or the
// time a transaction takes) are final, and only the newer ones are read again at each call.
// Tickets change: every change of a ticket is in the store's change feed (TicketChanges),
// and each call forgets the tickets changed since the last one before reading what it lacks.
//
// Against what no rule foresees (a restored backup, a key edited by hand), the whole cache is
// read afresh every statsRefresh.
const (
	statsSettle  = 15 * time.Minute
	statsWindow  = 100 * 24 * time.Hour // how far back facts are kept; older periods are read each time
	statsRefresh = 6 * time.Hour
	// statsMaxChanges is how many ticket changes since the last call are worth following one
	// by one; with more, every ticket is read again. The store keeps the last 100,000 changes
	// or so: a reader further behind than that reads more than this and starts afresh, so no
	// change it missed can go unnoticed.
	statsMaxChanges = 20_000
	statsPage       = 5_000 // ticket changes read at a time
	// A read of the store holds its whole answer in memory, decoded, until it is kept in the
	// cache's smaller form: the tickets are read statsTicketPage at a time and the facts
	// statsFactSpan of time at a time, so that filling the cache with 90 days of a large desk
	// does not hold all of them in memory twice over (at 100,000 tickets the app's resident
	// memory grew to 407 MB when they were read at once).
	statsTicketPage = 1_000
	statsFactSpan   = 7 * 24 * time.Hour
)

// statKinds are the facts the statistics read.
var statKinds = func() []desk.FactKind {
	kinds := []desk.FactKind{desk.FactCreated, desk.FactFirstResponse, desk.FactResolved, desk.FactRating, desk.FactSLAMet, desk.FactSLABreached}
	for _, b := range botFacts {
		kinds = append(kinds, b.kind)
	}
	return kinds
}()

// statFact is a fact as the statistics keep it: its kind is where it is kept, its agent and
// subject strings are shared with every other fact naming them.
type statFact struct {
	at      int64 // unix milliseconds
	ticket  desk.TicketID
	value   int64
	agent   string
	subject string
}

// ticketInfo is what the statistics need of a ticket: what it is filtered and grouped by, and
// its rating's comment. It is never changed once made: a changed ticket gets a new one.
type ticketInfo struct {
	category     string
	priority     desk.Priority
	assignee     string
	assigneeName string
	comment      string
}

// statsInput is what one call of Stats works on: the period's facts of each kind, oldest
// first, in parts, each fact with its ticket. Nothing in it changes after it is made.
type statsInput struct {
	facts map[desk.FactKind][]factPart
}

// factPart is a run of facts of one kind and, at the same index, the ticket each is about
// (never nil).
type factPart struct {
	facts   []statFact
	tickets []*ticketInfo
}

// add appends a run of facts of a kind.
func (in *statsInput) add(kind desk.FactKind, fs []statFact) {
	if len(fs) > 0 {
		in.facts[kind] = append(in.facts[kind], factPart{facts: fs})
	}
}

// each yields the facts of a kind in time order, with their tickets.
func (in *statsInput) each(kind desk.FactKind) iter.Seq2[statFact, *ticketInfo] {
	return func(yield func(statFact, *ticketInfo) bool) {
		for _, part := range in.facts[kind] {
			for i, f := range part.facts {
				if !yield(f, part.tickets[i]) {
					return
				}
			}
		}
	}
}

// count is how many facts of a kind there are.
func (in *statsInput) count(kind desk.FactKind) int {
	n := 0
	for _, part := range in.facts[kind] {
		n += len(part.facts)
	}
	return n
}

// none is what is known of a ticket the store does not have.
var none = &ticketInfo{}

// statsCache is the cache described above. Its zero value is empty and ready.
type statsCache struct {
	mu      sync.Mutex
	started time.Time // when it was last emptied and filled; zero when empty
	// lo and hi bound the facts kept: every fact of [lo, hi) is in facts, by kind, oldest first.
	lo, hi  time.Time
	facts   map[desk.FactKind][]statFact
	tickets map[desk.TicketID]*ticketInfo
	seq     string            // the change feed's position the tickets are up to date with; "" none
	names   map[string]string // the agents' IDs and subjects seen, each kept once
}

// reset empties the cache.
func (c *statsCache) reset(now time.Time) {
	c.started, c.lo, c.hi = now, time.Time{}, time.Time{}
	c.facts = map[desk.FactKind][]statFact{}
	c.tickets = map[desk.TicketID]*ticketInfo{}
	c.seq = ""
	c.names = map[string]string{}
}

// name returns s as kept once.
func (c *statsCache) name(s string) string {
	if s == "" {
		return ""
	}
	if k, ok := c.names[s]; ok {
		return k
	}
	s = strings.Clone(s)
	c.names[s] = s
	return s
}

// input returns the facts of [from, to) and the tickets they are about, reading from st only
// what the cache lacks. Calls are one at a time: a second caller waits for the first's reads
// and then finds them kept.
func (c *statsCache) input(ctx context.Context, st desk.Store, now, from, to time.Time) (*statsInput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started.IsZero() || now.Sub(c.started) > statsRefresh || now.Before(c.started) {
		c.reset(now)
	}
	in := &statsInput{facts: map[desk.FactKind][]factPart{}}
	add := func(parts map[desk.FactKind][]statFact) {
		for _, k := range statKinds {
			in.add(k, parts[k])
		}
	}
	// The part of the period the cache can hold: settled, and not too old.
	settled := now.Add(-statsSettle).Truncate(time.Minute)
	floor := now.Add(-statsWindow)
	cf, ct := later(from, floor), earlier(to, settled)
	if !cf.Before(ct) {
		parts, err := c.read(ctx, st, from, to)
		if err != nil {
			return nil, err
		}
		add(parts)
	} else {
		if from.Before(cf) {
			parts, err := c.read(ctx, st, from, cf)
			if err != nil {
				return nil, err
			}
			add(parts)
		}
		if err := c.cover(ctx, st, cf, ct, floor); err != nil {
			return nil, err
		}
		for _, k := range statKinds {
			fs := c.facts[k]
			i := sort.Search(len(fs), func(i int) bool { return fs[i].at >= cf.UnixMilli() })
			j := sort.Search(len(fs), func(j int) bool { return fs[j].at >= ct.UnixMilli() })
			in.add(k, fs[i:j:j])
		}
		if ct.Before(to) {
			parts, err := c.read(ctx, st, ct, to)
			if err != nil {
				return nil, err
			}
			add(parts)
		}
	}
	if err := c.ticketsOf(ctx, st, in); err != nil {
		return nil, err
	}
	return in, nil
}

// cover makes the cache hold every fact of [from, to), keeping one span without gaps, and
// lets go of what is older than floor.
func (c *statsCache) cover(ctx context.Context, st desk.Store, from, to, floor time.Time) error {
	if c.lo.IsZero() {
		parts, err := c.read(ctx, st, from, to)
		if err != nil {
			return err
		}
		c.facts, c.lo, c.hi = parts, from, to
		return nil
	}
	if from.Before(c.lo) {
		parts, err := c.read(ctx, st, from, c.lo)
		if err != nil {
			return err
		}
		for k, fs := range parts {
			c.facts[k] = append(fs, c.facts[k]...)
		}
		c.lo = from
	}
	if to.After(c.hi) {
		parts, err := c.read(ctx, st, c.hi, to)
		if err != nil {
			return err
		}
		for k, fs := range parts {
			c.facts[k] = append(c.facts[k], fs...)
		}
		c.hi = to
	}
	if c.lo.Before(floor) && floor.Before(c.hi) {
		for k, fs := range c.facts {
			i := sort.Search(len(fs), func(i int) bool { return fs[i].at >= floor.UnixMilli() })
			c.facts[k] = fs[i:]
		}
		c.lo = floor
	}
	return nil
}

// read reads the facts of every kind in [from, to) from the store, statsFactSpan at a time.
func (c *statsCache) read(ctx context.Context, st desk.Store, from, to time.Time) (map[desk.FactKind][]statFact, error) {
	out := make(map[desk.FactKind][]statFact, len(statKinds))
	for lo := from; lo.Before(to); lo = lo.Add(statsFactSpan) {
		part, err := c.readSpan(ctx, st, lo, earlier(lo.Add(statsFactSpan), to))
		if err != nil {
			return nil, err
		}
		for k, fs := range part {
			out[k] = append(out[k], fs...)
		}
	}
	return out, nil
}

// readSpan reads the facts of every kind in [from, to), the kinds at the same time.
func (c *statsCache) readSpan(ctx context.Context, st desk.Store, from, to time.Time) (map[desk.FactKind][]statFact, error) {
	got := make([][]desk.Fact, len(statKinds))
	errs := make([]error, len(statKinds))
	var wg sync.WaitGroup
	for i, k := range statKinds {
		wg.Go(func() { got[i], errs[i] = st.Facts(ctx, k, from, to) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("statistics: %w", err)
	}
	out := make(map[desk.FactKind][]statFact, len(statKinds))
	for i, k := range statKinds {
		fs := make([]statFact, len(got[i]))
		for j, f := range got[i] {
			fs[j] = statFact{at: f.At.UnixMilli(), ticket: f.Ticket, value: f.Value, agent: c.name(f.Agent), subject: c.name(f.Subject)}
		}
		out[k] = fs
	}
	return out, nil
}

// ticketsOf sets the ticket of each of in's facts: the cache's, less the tickets changed
// since the last call, and the rest read from the store.
func (c *statsCache) ticketsOf(ctx context.Context, st desk.Store, in *statsInput) error {
	if err := c.follow(ctx, st); err != nil {
		return err
	}
	var missing []desk.TicketID
	asked := map[desk.TicketID]bool{}
	for _, parts := range in.facts {
		for i := range parts {
			p := &parts[i]
			p.tickets = make([]*ticketInfo, len(p.facts))
			for j, f := range p.facts {
				t := c.tickets[f.ticket]
				if t == nil && !asked[f.ticket] {
					asked[f.ticket] = true
					missing = append(missing, f.ticket)
				}
				p.tickets[j] = t
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	for page := range slices.Chunk(missing, statsTicketPage) {
		ts, err := st.TicketsByID(ctx, page)
		if err != nil {
			return fmt.Errorf("statistics: %w", err)
		}
		for _, t := range ts {
			c.tickets[t.ID] = &ticketInfo{category: c.name(t.Category), priority: t.Priority, assignee: c.name(t.Assignee),
				assigneeName: c.name(t.AssigneeName), comment: strings.Clone(t.RatingComment)}
		}
	}
	// A ticket that is gone is known as nobody's and of no category, and not asked for again
	// until the change feed names it.
	for _, id := range missing {
		if c.tickets[id] == nil {
			c.tickets[id] = none
		}
	}
	for _, parts := range in.facts {
		for _, p := range parts {
			for j, t := range p.tickets {
				if t == nil {
					p.tickets[j] = c.tickets[p.facts[j].ticket]
				}
			}
		}
	}
	return nil
}

// follow forgets the tickets that changed since the last call, by the store's change feed;
// with too many changes to follow, or none followed yet, it forgets every ticket.
func (c *statsCache) follow(ctx context.Context, st desk.Store) error {
	if c.seq != "" {
		var changed []desk.TicketID
		after := c.seq
		for len(changed) <= statsMaxChanges {
			page, err := st.TicketChanges(ctx, after, statsPage, 0)
			if err != nil {
				return fmt.Errorf("statistics: %w", err)
			}
			for _, ch := range page {
				changed = append(changed, ch.Ticket)
			}
			if len(page) > 0 {
				after = page[len(page)-1].Seq
			}
			if len(page) < statsPage {
				for _, id := range changed {
					delete(c.tickets, id)
				}
				c.seq = after
				return nil
			}
		}
	}
	// The position is taken before any ticket is read: a change made meanwhile is followed
	// at the next call.
	seq, err := st.LastTicketChange(ctx)
	if err != nil {
		return fmt.Errorf("statistics: %w", err)
	}
	c.tickets, c.seq = map[desk.TicketID]*ticketInfo{}, seq
	return nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// priorityOf is the priority in an SLA fact's subject ("first_response:urgent").
func priorityOf(subject string) desk.Priority {
	_, p, _ := strings.Cut(subject, ":")
	return desk.Priority(p)
}

// warmPeriod is how far back the relay reads the statistics as it starts: the dashboard's
// longest preset period, so that each preset is served from the cache.
const warmPeriod = 90 * 24 * time.Hour

// warmStats fills the statistics cache in the background while the relay runs: once as it
// starts, so that the first visit to the dashboard's statistics does not pay for reading the
// period from Redis (over a second at 100,000 tickets), and again each time the cache is
// due to be read afresh (statsRefresh). A failure only leaves the reading to the first caller.
func (r *Relay) warmStats(ctx context.Context) {
	for {
		now := r.clock.Now()
		start := time.Now()
		if _, err := r.stats.input(ctx, r.store, now, now.Add(-warmPeriod), now.Add(time.Millisecond)); err != nil {
			if ctx.Err() != nil {
				return
			}
			r.log.Warn("warm the statistics cache", "err", err)
		} else {
			r.log.Debug("statistics cache warm", "took", time.Since(start).Round(time.Millisecond))
		}
		t := time.NewTimer(statsRefresh + time.Minute)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

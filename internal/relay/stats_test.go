package relay_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/desktest"
	"github.com/threadesk/threadesk/internal/redisstore"
	"github.com/threadesk/threadesk/internal/redistest"
	"github.com/threadesk/threadesk/internal/relay"
)

// statsDesk is a store with facts and tickets written directly (as the engine writes them)
// and relays reading statistics from it on a fake clock.
type statsDesk struct {
	t     *testing.T
	store *redisstore.Store
	clock *clockwork.FakeClock
}

func newStatsDesk(t *testing.T) *statsDesk {
	t.Helper()
	st, err := redisstore.New(redistest.Client(t), redisstore.Options{Prefix: redistest.Prefix(t), Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	return &statsDesk{t: t, store: st, clock: clockwork.NewFakeClockAt(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))}
}

// relay is a new relay on the desk's store: a process whose statistics have read nothing yet.
func (d *statsDesk) relay() *relay.Relay {
	d.t.Helper()
	r, err := relay.New(relay.Options{Store: d.store, Platforms: []desk.Platform{desktest.New("fake", desk.Limits{MaxText: 4000})},
		Shards: 1, Clock: d.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		d.t.Fatal(err)
	}
	return r
}

func (d *statsDesk) apply(changes ...desk.Change) {
	d.t.Helper()
	if err := d.store.Apply(context.Background(), changes...); err != nil {
		d.t.Fatal(err)
	}
}

// ticket saves a ticket of a category, priority and assignee, opened at created.
func (d *statsDesk) ticket(id desk.TicketID, category string, p desk.Priority, assignee string, created time.Time, comment string) desk.Ticket {
	t := desk.Ticket{ID: id, Platform: "fake", Status: desk.StatusOpen, Category: category, Priority: p, Assignee: assignee,
		Customer: desk.User{ID: fmt.Sprint("U", id)}, Subject: "help", CreatedAt: created, LastActivityAt: created, RatingComment: comment}
	if assignee != "" {
		t.AssigneeName = "Agent " + assignee
	}
	d.apply(desk.SaveTicket{Ticket: t})
	return t
}

func (d *statsDesk) fact(kind desk.FactKind, at time.Time, id desk.TicketID, agent string, value int64, subject string) {
	d.t.Helper()
	d.apply(desk.RecordFact{Fact: desk.Fact{Kind: kind, At: at, Ticket: id, Agent: agent, Value: value, Subject: subject}})
}

// seed writes four tickets of the last two days:
//
//	#1 Billing, high, A1: opened 3h ago, first response by A1 10m later, resolved by A1 after
//	   1h, rated 5 with a comment; its first-response target met.
//	#2 Billing, no priority (normal), A2: opened 2h ago, first response by A2 after 20m.
//	#3 Technical, urgent, A1: opened 26h ago, first response by A1 after 30m, resolved by A2
//	   after 2h, rated 2 with a comment; its resolution target breached.
//	#4 no category, low, nobody's: opened 5 minutes ago.
func (d *statsDesk) seed() {
	now := d.clock.Now()
	h := func(n float64) time.Time { return now.Add(-time.Duration(n * float64(time.Hour))) }
	d.ticket(1, "Billing", desk.PriorityHigh, "A1", h(3), "Quick and kind")
	d.fact(desk.FactCreated, h(3), 1, "", 0, "")
	d.fact(desk.FactFirstResponse, h(3).Add(10*time.Minute), 1, "A1", 600, "")
	d.fact(desk.FactSLAMet, h(3).Add(10*time.Minute), 1, "A1", 600, "first_response:high")
	d.fact(desk.FactResolved, h(2), 1, "A1", 3600, "")
	d.fact(desk.FactRating, h(1.5), 1, "A1", 5, "")
	d.ticket(2, "Billing", "", "A2", h(2), "")
	d.fact(desk.FactCreated, h(2), 2, "", 0, "")
	d.fact(desk.FactFirstResponse, h(2).Add(20*time.Minute), 2, "A2", 1200, "")
	d.ticket(3, "Technical", desk.PriorityUrgent, "A1", h(26), "Too slow")
	d.fact(desk.FactCreated, h(26), 3, "", 0, "")
	d.fact(desk.FactFirstResponse, h(26).Add(30*time.Minute), 3, "A1", 1800, "")
	d.fact(desk.FactResolved, h(24), 3, "A2", 7200, "")
	d.fact(desk.FactSLABreached, h(24), 3, "A1", 7200, "resolution:urgent")
	d.fact(desk.FactRating, h(23), 3, "A2", 2, "")
	d.ticket(4, "", desk.PriorityLow, "", now.Add(-5*time.Minute), "")
	d.fact(desk.FactCreated, now.Add(-5*time.Minute), 4, "", 0, "")
}

func (d *statsDesk) stats(r *relay.Relay, from, to time.Time) *relay.Stats {
	d.t.Helper()
	s, err := r.Stats(context.Background(), from, to)
	if err != nil {
		d.t.Fatal(err)
	}
	return s
}

func ptr(s string) *string { return &s }

// summary is what a Stats counts, comparable with ==/DeepEqual.
type summary struct {
	Opened, FirstResponses, Resolved, Ratings, RatingSum int
	FirstMedian, ResolutionMedian                        time.Duration
	ByCategory                                           map[string]int
	Agents                                               map[string][3]int // first responses, resolved, ratings
	SLA                                                  map[string][2]int // met, breached
	Series                                               []int             // opened per bucket
	ByHour                                               [24]int
	Comments                                             []string
}

func summarize(s *relay.Stats) summary {
	out := summary{Opened: s.Opened, FirstResponses: len(s.FirstResponse), Resolved: len(s.Resolution), Ratings: s.Ratings,
		RatingSum: s.RatingSum, FirstMedian: s.FirstResponse.Median(), ResolutionMedian: s.Resolution.Median(),
		ByCategory: s.ByCategory, Agents: map[string][3]int{}, SLA: map[string][2]int{}, ByHour: s.ByHour}
	for id, a := range s.ByAgent {
		out.Agents[id] = [3]int{len(a.FirstResponse), a.Resolved, a.Ratings}
	}
	for k, v := range s.SLA {
		out.SLA[k] = [2]int{v.Met, v.Breached}
	}
	for _, b := range s.Series {
		out.Series = append(out.Series, b.Opened)
	}
	for _, c := range s.Comments {
		out.Comments = append(out.Comments, fmt.Sprintf("#%d %d %s", c.Ticket, c.Score, c.Text))
	}
	return out
}

// TestStatsFilter: a part of the desk counts the facts of its tickets by their category and
// priority now; an agent's part is the facts credited to them, and the openings of the
// tickets assigned to them.
func TestStatsFilter(t *testing.T) {
	d := newStatsDesk(t)
	d.seed()
	now := d.clock.Now()
	all := d.stats(d.relay(), now.Add(-48*time.Hour), now.Add(time.Second))
	for _, tc := range []struct {
		name                                        string
		f                                           relay.StatsFilter
		opened, firsts, resolved, ratings, met, brk int
		categories                                  map[string]int
	}{
		{"the whole desk", relay.StatsFilter{}, 4, 3, 2, 2, 1, 1, map[string]int{"Billing": 2, "Technical": 1, "": 1}},
		{"Billing", relay.StatsFilter{Category: ptr("Billing")}, 2, 2, 1, 1, 1, 0, map[string]int{"Billing": 2}},
		{"billing, in any case", relay.StatsFilter{Category: ptr("billing")}, 2, 2, 1, 1, 1, 0, map[string]int{"Billing": 2}},
		{"no category", relay.StatsFilter{Category: ptr("")}, 1, 0, 0, 0, 0, 0, map[string]int{"": 1}},
		{"normal, which a ticket without a priority is", relay.StatsFilter{Priority: desk.PriorityNormal}, 1, 1, 0, 0, 0, 0, map[string]int{"Billing": 1}},
		{"urgent", relay.StatsFilter{Priority: desk.PriorityUrgent}, 1, 1, 1, 1, 0, 1, map[string]int{"Technical": 1}},
		{"agent A1", relay.StatsFilter{Agent: "A1"}, 2, 2, 1, 1, 1, 1, map[string]int{"Billing": 1, "Technical": 1}},
		{"agent A2: resolved #3 and was rated for it", relay.StatsFilter{Agent: "A2"}, 1, 1, 1, 1, 0, 0, map[string]int{"Billing": 1}},
		{"Billing and A2", relay.StatsFilter{Category: ptr("Billing"), Agent: "A2"}, 1, 1, 0, 0, 0, 0, map[string]int{"Billing": 1}},
		{"nobody's agent", relay.StatsFilter{Agent: "A9"}, 0, 0, 0, 0, 0, 0, map[string]int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := all.Select(tc.f)
			met, brk := 0, 0
			for _, v := range s.SLA {
				met, brk = met+v.Met, brk+v.Breached
			}
			got := []int{s.Opened, len(s.FirstResponse), len(s.Resolution), s.Ratings, met, brk}
			want := []int{tc.opened, tc.firsts, tc.resolved, tc.ratings, tc.met, tc.brk}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("opened, first responses, resolved, ratings, SLA met, breached = %v, want %v", got, want)
			}
			if !reflect.DeepEqual(s.ByCategory, tc.categories) {
				t.Errorf("by category %v, want %v", s.ByCategory, tc.categories)
			}
			if s.Filter != tc.f || s.ByStatus[desk.StatusOpen] != 4 {
				t.Errorf("filter %+v, by status %v: want the filter kept and the whole desk's statuses", s.Filter, s.ByStatus)
			}
		})
	}
	if a := all.Select(relay.StatsFilter{Agent: "A2"}).ByAgent["A2"]; a == nil || a.Resolved != 1 || a.Resolution.Median() != 2*time.Hour || a.Name != "Agent A2" {
		t.Errorf("A2's line: %+v", a)
	}
}

// TestStatsSeries: a period of up to two days is counted by the hour, a longer one by the day,
// both in the time zone of its start, and a day when the clocks go back is 25 hours long.
func TestStatsSeries(t *testing.T) {
	d := newStatsDesk(t)
	d.seed()
	r := d.relay()
	now := d.clock.Now() // 2026-11-02 09:00 UTC

	s := d.stats(r, now.Add(-48*time.Hour), now)
	if len(s.Series) != 48 || !s.Hourly {
		t.Fatalf("48 hours in %d buckets, hourly %v", len(s.Series), s.Hourly)
	}
	for i, b := range s.Series {
		if b.To.Sub(b.From) != time.Hour || (i > 0 && !b.From.Equal(s.Series[i-1].To)) {
			t.Fatalf("bucket %d: %v – %v", i, b.From, b.To)
		}
	}
	// #1 opened at 06:00, #2 at 07:00, #4 at 08:55, #3 at 07:00 yesterday.
	opened := map[int]int{}
	for i, b := range s.Series {
		if b.Opened > 0 {
			opened[i] = b.Opened
		}
	}
	if want := map[int]int{22: 1, 45: 1, 46: 1, 47: 1}; !reflect.DeepEqual(opened, want) {
		t.Errorf("opened by hour bucket %v, want %v", opened, want)
	}
	if b := s.Series[45]; len(b.FirstResponse) != 1 || b.FirstResponse.Median() != 10*time.Minute || len(s.Series[46].Resolution) != 1 {
		t.Errorf("bucket 06:00 %+v; bucket 07:00 %+v", b, s.Series[46])
	}
	if s.ByHour[6] != 1 || s.ByHour[7] != 2 || s.ByHour[8] != 1 {
		t.Errorf("by hour of day %v", s.ByHour)
	}

	// Seven days from Moscow (UTC+3): days start at 21:00 UTC; the first and last are parts.
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Skip(err)
	}
	from := now.Add(-7 * 24 * time.Hour).In(msk)
	s = d.stats(r, from, now)
	if len(s.Series) != 8 || s.Hourly {
		t.Fatalf("7 days from 12:00 Moscow in %d buckets, hourly %v", len(s.Series), s.Hourly)
	}
	first, last := s.Series[0], s.Series[7]
	if !first.From.Equal(from) || !first.To.Equal(time.Date(2026, 10, 27, 0, 0, 0, 0, msk)) || !last.From.Equal(time.Date(2026, 11, 2, 0, 0, 0, 0, msk)) || !last.To.Equal(now) {
		t.Errorf("first bucket %v – %v, last %v – %v", first.From, first.To, last.From, last.To)
	}
	// #3 opened 2026-11-01 07:00 UTC = 10:00 Moscow; #1, #2 and #4 on 2 November at 09:00,
	// 10:00 and 11:55 Moscow.
	if s.Series[6].Opened != 1 || last.Opened != 3 || s.ByHour[9] != 1 || s.ByHour[10] != 2 || s.ByHour[11] != 1 {
		t.Errorf("opened by day %d, %d; by hour of day in Moscow %v", s.Series[6].Opened, last.Opened, s.ByHour)
	}

	// New York's clocks went back on 1 November 2026: that day is 25 hours, 25 hour buckets.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	s = d.stats(r, time.Date(2026, 10, 31, 0, 0, 0, 0, ny), time.Date(2026, 11, 3, 0, 0, 0, 0, ny))
	var hours []float64
	for _, b := range s.Series {
		hours = append(hours, b.To.Sub(b.From).Hours())
	}
	if !reflect.DeepEqual(hours, []float64{24, 25, 24}) {
		t.Errorf("days around the change of the clocks: %v hours", hours)
	}
	s = d.stats(r, time.Date(2026, 11, 1, 0, 0, 0, 0, ny), time.Date(2026, 11, 2, 0, 0, 0, 0, ny))
	if len(s.Series) != 25 {
		t.Errorf("1 November in New York in %d hour buckets, want 25", len(s.Series))
	}
}

// TestStatsComments: the ratings' comments, newest first, and only those of the part asked.
func TestStatsComments(t *testing.T) {
	d := newStatsDesk(t)
	d.seed()
	now := d.clock.Now()
	s := d.stats(d.relay(), now.Add(-48*time.Hour), now)
	got := summarize(s).Comments
	if want := []string{"#1 5 Quick and kind", "#3 2 Too slow"}; !reflect.DeepEqual(got, want) {
		t.Errorf("comments %q, want %q", got, want)
	}
	if c := s.Comments[0]; c.Agent != "A1" || !c.At.Equal(now.Add(-90*time.Minute)) {
		t.Errorf("comment %+v", c)
	}
	if got := summarize(s.Select(relay.StatsFilter{Agent: "A2"})).Comments; !reflect.DeepEqual(got, []string{"#3 2 Too slow"}) {
		t.Errorf("A2's comments %q", got)
	}
}

// TestStatsCache: a relay that read a period before follows what changed since at its next
// call, and answers as one that reads everything afresh: a ticket's new category and
// assignee (an old ticket, its facts long kept), a fact of this minute, a fact another
// process records, a period older than what is kept, and time passing.
func TestStatsCache(t *testing.T) {
	d := newStatsDesk(t)
	d.seed()
	cached := d.relay()
	check := func(step string, from, to time.Time) summary {
		t.Helper()
		got := summarize(d.stats(cached, from, to))
		if want := summarize(d.stats(d.relay(), from, to)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: cached %+v\nafresh %+v", step, got, want)
		}
		return got
	}
	now := d.clock.Now()
	from := now.Add(-48 * time.Hour)
	check("first call", from, now)

	// #3, opened 26 hours ago, moves to Billing and to A2.
	t3 := d.ticket(3, "Billing", desk.PriorityUrgent, "A2", now.Add(-26*time.Hour), "Too slow")
	if got := check("category and assignee changed", from, now); got.ByCategory["Billing"] != 3 || got.ByCategory["Technical"] != 0 {
		t.Errorf("by category after #3 moved to Billing: %v", got.ByCategory)
	}
	if s := d.stats(cached, from, now).Select(relay.StatsFilter{Agent: "A2"}); s.Opened != 2 {
		t.Errorf("A2's tickets opened after #3 was given to them: %d, want 2", s.Opened)
	}

	// A ticket opened this minute, recorded by another process: counted at once.
	d.clock.Advance(time.Minute)
	now = d.clock.Now()
	d.ticket(5, "Technical", desk.PriorityHigh, "", now.Add(-time.Second), "")
	d.fact(desk.FactCreated, now.Add(-time.Second), 5, "", 0, "")
	if got := check("a fact of this minute", from, now.Add(time.Second)); got.Opened != 5 {
		t.Errorf("opened %d, want 5", got.Opened)
	}

	// Half an hour later the new facts are kept, and changes still follow.
	d.clock.Advance(30 * time.Minute)
	now = d.clock.Now()
	d.fact(desk.FactFirstResponse, now.Add(-time.Minute), 5, "A1", 1860, "")
	t3.Category = "Technical"
	d.apply(desk.SaveTicket{Ticket: t3})
	if got := check("half an hour on", from, now); got.ByCategory["Technical"] != 2 || got.FirstResponses != 4 {
		t.Errorf("by category %v, first responses %d", got.ByCategory, got.FirstResponses)
	}
	// A rating's comment is a change of its ticket too.
	d.ticket(1, "Billing", desk.PriorityHigh, "A1", now.Add(-3*time.Hour), "Quick, kind, and right")
	if got := check("a new comment", from, now); got.Comments[0] != "#1 5 Quick, kind, and right" {
		t.Errorf("comments %q", got.Comments)
	}

	// A period older than the cache keeps (100 days), around one inside it, and one partly so.
	old := now.Add(-200 * 24 * time.Hour)
	d.ticket(6, "Account", desk.PriorityLow, "A2", old, "")
	d.fact(desk.FactCreated, old, 6, "", 0, "")
	d.fact(desk.FactResolved, old.Add(time.Hour), 6, "A2", 3600, "")
	if got := check("200 days ago", old.Add(-24*time.Hour), old.Add(24*time.Hour)); got.Opened != 1 || got.Resolved != 1 {
		t.Errorf("200 days ago: %+v", got)
	}
	check("a year", now.Add(-365*24*time.Hour), now)
	check("30 days", now.Add(-30*24*time.Hour), now)
	check("the last two days again", from, now.Add(time.Minute))

	// Hours later the cache starts afresh; the answers stay the same.
	d.clock.Advance(7 * time.Hour)
	check("seven hours on", from, d.clock.Now())
}

// TestStatsSeriesSatisfactionAndSLA: each bucket counts the ratings given and the SLA clocks
// ended in it, for the satisfaction's trend (Average) and the SLA's attainment over time
// (SLAShare), of the whole desk and of a part of it.
func TestStatsSeriesSatisfactionAndSLA(t *testing.T) {
	d := newStatsDesk(t)
	d.seed()
	now := d.clock.Now() // 2026-11-02 09:00 UTC
	// Besides the seed's: #2 rated 3 at 07:48 (with #1's 5 at 07:30), and #2's first
	// response target met at 07:20, #1's resolution target breached at 06:20.
	d.fact(desk.FactRating, now.Add(-72*time.Minute), 2, "A2", 3, "")
	d.fact(desk.FactSLAMet, now.Add(-100*time.Minute), 2, "A2", 1200, "first_response:normal")
	d.fact(desk.FactSLABreached, now.Add(-160*time.Minute), 1, "A1", 4000, "resolution:high")
	r := d.relay()

	type point struct {
		Ratings, Sum, Met, Breached int
		Average, Share              float64
	}
	series := func(s *relay.Stats) map[int]point {
		out := map[int]point{}
		for i, b := range s.Series {
			avg, okA := b.Average()
			share, okS := b.SLAShare()
			if okA != (b.Ratings > 0) || okS != (b.SLAMet+b.SLABreached > 0) {
				t.Errorf("bucket %d: Average %v, SLAShare %v for %+v", i, okA, okS, b)
			}
			if okA || okS {
				out[i] = point{b.Ratings, b.RatingSum, b.SLAMet, b.SLABreached, avg, share}
			}
		}
		return out
	}
	s := d.stats(r, now.Add(-48*time.Hour), now)
	want := map[int]point{
		25: {Ratings: 1, Sum: 2, Average: 2},                   // #3 rated 2 at 10:00 yesterday
		24: {Breached: 1},                                      // #3's resolution breached at 09:00 yesterday
		45: {Met: 1, Breached: 1, Share: 0.5},                  // #1's first response met at 06:10, resolution breached at 06:20
		46: {Ratings: 2, Sum: 8, Average: 4, Met: 1, Share: 1}, // #1 rated 5, #2 rated 3; #2's first response met at 07:20
	}
	if got := series(s); !reflect.DeepEqual(got, want) {
		t.Errorf("whole desk by the hour:\n got %+v\nwant %+v", got, want)
	}
	a2 := s.Select(relay.StatsFilter{Agent: "A2"})
	if got, want := series(a2), map[int]point{25: {Ratings: 1, Sum: 2, Average: 2}, 46: {Ratings: 1, Sum: 3, Average: 3, Met: 1, Share: 1}}; !reflect.DeepEqual(got, want) {
		t.Errorf("A2's by the hour:\n got %+v\nwant %+v", got, want)
	}

	// By the day, the buckets add up to the period's totals.
	s = d.stats(r, now.Add(-7*24*time.Hour), now)
	var ratings, sum, met, breached int
	for _, b := range s.Series {
		ratings, sum, met, breached = ratings+b.Ratings, sum+b.RatingSum, met+b.SLAMet, breached+b.SLABreached
	}
	var slaMet, slaBreached int
	for _, st := range s.SLA {
		slaMet, slaBreached = slaMet+st.Met, slaBreached+st.Breached
	}
	if ratings != s.Ratings || sum != s.RatingSum || met != slaMet || breached != slaBreached || ratings != 3 || met != 2 || breached != 2 {
		t.Errorf("by the day: %d ratings (sum %d), SLA %d/%d; totals %d (sum %d), SLA %d/%d", ratings, sum, met, breached, s.Ratings, s.RatingSum, slaMet, slaBreached)
	}
	if last, _ := s.Series[len(s.Series)-1].SLAShare(); last != 2.0/3 {
		t.Errorf("today's SLA share %v, want 2/3", last)
	}
}

package relay

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// Stats are the desk's numbers over a period, computed from the facts recorded as tickets
// moved: reading a period costs that period's facts, however many tickets there are.
type Stats struct {
	From, To time.Time

	Opened        int
	FirstResponse Durations // first agent response or claim, after opening
	Resolution    Durations // resolution, after opening
	Ratings       int
	RatingSum     int
	RatingCounts  [6]int // index = score 1..5

	ByCategory map[string]int         // tickets opened in the period, by their category now ("" for none)
	ByStatus   map[desk.Status]int64  // all tickets, by status now
	ByAgent    map[string]*AgentStats // keyed by agent user ID
}

// AgentStats are one agent's numbers.
type AgentStats struct {
	Name          string
	FirstResponse Durations
	Resolved      int
	Ratings       int
	RatingSum     int
}

// Durations is a sample of durations with its median and 90th percentile.
type Durations []time.Duration

// Median is the middle duration, 0 for none.
func (d Durations) Median() time.Duration { return d.quantile(0.5) }

// P90 is the duration 90% of the sample do not exceed, 0 for none.
func (d Durations) P90() time.Duration { return d.quantile(0.9) }

func (d Durations) quantile(q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s)-1)*q + 0.5)
	return s[i]
}

// Average is the average rating, 0 with none.
func (s *Stats) Average() float64 {
	if s.Ratings == 0 {
		return 0
	}
	return float64(s.RatingSum) / float64(s.Ratings)
}

// Stats computes the statistics of the period [from, to).
func (r *Relay) Stats(ctx context.Context, from, to time.Time) (*Stats, error) {
	s := &Stats{From: from, To: to, ByCategory: map[string]int{}, ByAgent: map[string]*AgentStats{}}
	facts := map[desk.FactKind][]desk.Fact{}
	for _, k := range []desk.FactKind{desk.FactCreated, desk.FactFirstResponse, desk.FactResolved, desk.FactRating} {
		f, err := r.store.Facts(ctx, k, from, to)
		if err != nil {
			return nil, fmt.Errorf("statistics: %w", err)
		}
		facts[k] = f
	}
	agent := func(id string) *AgentStats {
		if id == "" {
			id = "(nobody)"
		}
		a, ok := s.ByAgent[id]
		if !ok {
			a = &AgentStats{Name: id}
			s.ByAgent[id] = a
		}
		return a
	}
	secs := func(v int64) time.Duration { return time.Duration(v) * time.Second }
	s.Opened = len(facts[desk.FactCreated])
	for _, f := range facts[desk.FactFirstResponse] {
		s.FirstResponse = append(s.FirstResponse, secs(f.Value))
		a := agent(f.Agent)
		a.FirstResponse = append(a.FirstResponse, secs(f.Value))
	}
	for _, f := range facts[desk.FactResolved] {
		s.Resolution = append(s.Resolution, secs(f.Value))
		agent(f.Agent).Resolved++
	}
	for _, f := range facts[desk.FactRating] {
		if f.Value < 1 || f.Value > 5 {
			continue
		}
		s.Ratings++
		s.RatingSum += int(f.Value)
		s.RatingCounts[f.Value]++
		a := agent(f.Agent)
		a.Ratings++
		a.RatingSum += int(f.Value)
	}
	// One read for the tickets of every fact: those opened in the period give the categories,
	// and any of them names an agent it is assigned to (people are keyed by ID and shown by
	// the name a ticket of theirs has now).
	opened := map[desk.TicketID]bool{}
	seen := map[desk.TicketID]bool{}
	var ids []desk.TicketID
	for kind, fs := range facts {
		for _, f := range fs {
			if kind == desk.FactCreated {
				opened[f.Ticket] = true
			}
			if !seen[f.Ticket] {
				seen[f.Ticket] = true
				ids = append(ids, f.Ticket)
			}
		}
	}
	tickets, err := r.store.TicketsByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("statistics: %w", err)
	}
	for _, t := range tickets {
		if opened[t.ID] {
			s.ByCategory[t.Category]++
		}
		if a, ok := s.ByAgent[t.Assignee]; ok && t.AssigneeName != "" {
			a.Name = t.AssigneeName
		}
	}
	if s.ByStatus, err = r.store.CountByStatus(ctx); err != nil {
		return nil, fmt.Errorf("statistics: %w", err)
	}
	return s, nil
}

// Text renders the statistics for chat, in the catalog's language; agents' names are people's
// words, written by quote for where the text goes (desk.Platform.Quote).
func (s *Stats) Text(c *catalog.Catalog, label string, quote func(string) string) string {
	// d renders a statistic of a sample: no data, "<1s" for a real zero, or the duration.
	d := func(ds Durations, x time.Duration) string {
		switch {
		case len(ds) == 0:
			return c.Text(catalog.NoData, nil)
		case x < time.Second:
			return "<1s"
		}
		return x.Round(time.Second).String()
	}
	cats := make([]string, 0, len(s.ByCategory))
	for cat := range s.ByCategory {
		cats = append(cats, cat)
	}
	sort.Strings(cats)
	for i, cat := range cats {
		cats[i] = fmt.Sprintf("%s %d", or(cat, c.Text(catalog.CardNone, nil)), s.ByCategory[cat])
	}
	ids := make([]string, 0, len(s.ByAgent))
	for id := range s.ByAgent {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return s.ByAgent[ids[i]].Name < s.ByAgent[ids[j]].Name })
	agents := make([]string, 0, len(ids))
	for _, id := range ids {
		a := s.ByAgent[id]
		avg := c.Text(catalog.NoData, nil)
		if a.Ratings > 0 {
			avg = fmt.Sprintf("%.1f/5", float64(a.RatingSum)/float64(a.Ratings))
		}
		agents = append(agents, c.Text(catalog.StatsAgent, map[string]any{"Name": quote(a.Name), "Responses": len(a.FirstResponse),
			"Median": d(a.FirstResponse, a.FirstResponse.Median()), "Resolved": a.Resolved, "Satisfaction": avg}))
	}
	return c.Text(catalog.StatsText, map[string]any{
		"Period": label, "Opened": s.Opened,
		"New": s.ByStatus[desk.StatusNew], "Open": s.ByStatus[desk.StatusOpen], "Pending": s.ByStatus[desk.StatusPending],
		"Resolved": s.ByStatus[desk.StatusResolved], "Closed": s.ByStatus[desk.StatusClosed],
		"FRMedian": d(s.FirstResponse, s.FirstResponse.Median()), "FRP90": d(s.FirstResponse, s.FirstResponse.P90()), "FRCount": len(s.FirstResponse),
		"ResMedian": d(s.Resolution, s.Resolution.Median()), "ResP90": d(s.Resolution, s.Resolution.P90()), "ResCount": len(s.Resolution),
		"Ratings": s.Ratings, "Average": fmt.Sprintf("%.1f", s.Average()),
		"R1": s.RatingCounts[1], "R2": s.RatingCounts[2], "R3": s.RatingCounts[3], "R4": s.RatingCounts[4], "R5": s.RatingCounts[5],
		"Categories": strings.Join(cats, " · "), "Agents": agents,
	})
}

// ticketMetrics are the workflow's Prometheus metrics.
type ticketMetrics struct {
	opened        *prometheus.CounterVec
	transitions   *prometheus.CounterVec
	firstResponse *prometheus.HistogramVec
	resolution    *prometheus.HistogramVec
	ratings       *prometheus.CounterVec
}

func newTicketMetrics(reg prometheus.Registerer, count func(context.Context) (map[desk.Status]int64, error)) (*ticketMetrics, error) {
	hours := []float64{60, 300, 900, 1800, 3600, 4 * 3600, 8 * 3600, 24 * 3600, 3 * 86400, 7 * 86400}
	m := &ticketMetrics{
		opened: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "threadesk_tickets_opened_total",
			Help: "Tickets opened, by platform."}, []string{"platform"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "threadesk_ticket_transitions_total",
			Help: "Ticket status changes, by platform and new status."}, []string{"platform", "status"}),
		firstResponse: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "threadesk_first_response_seconds",
			Help: "Time from opening a ticket to the first agent response or claim.", Buckets: hours}, []string{"platform"}),
		resolution: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "threadesk_resolution_seconds",
			Help: "Time from opening a ticket to its resolution.", Buckets: hours}, []string{"platform"}),
		ratings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "threadesk_ratings_total",
			Help: "Satisfaction ratings, by platform and score."}, []string{"platform", "score"}),
	}
	byStatus := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "threadesk_tickets_active",
		Help: "Tickets new, open or pending now."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c, err := count(ctx)
		if err != nil {
			return -1
		}
		return float64(c[desk.StatusNew] + c[desk.StatusOpen] + c[desk.StatusPending])
	})
	for _, c := range []prometheus.Collector{m.opened, m.transitions, m.firstResponse, m.resolution, m.ratings, byStatus} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observeStep counts a workflow step in the metrics.
func (r *Relay) observeStep(p desk.Platform, t desk.Ticket, kind string, was desk.Status) {
	m := r.tickets
	if t.Status != was {
		m.transitions.WithLabelValues(p.Name(), string(t.Status)).Inc()
	}
	if was == desk.StatusNew && !t.FirstResponseAt.IsZero() {
		m.firstResponse.WithLabelValues(p.Name()).Observe(t.FirstResponseAt.Sub(t.CreatedAt).Seconds())
	}
	switch kind {
	case "resolve":
		m.resolution.WithLabelValues(p.Name()).Observe(t.ResolvedAt.Sub(t.CreatedAt).Seconds())
	case "rate":
		m.ratings.WithLabelValues(p.Name(), fmt.Sprint(t.Rating)).Inc()
	}
}

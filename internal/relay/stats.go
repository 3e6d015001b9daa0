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

// Stats are the desk's numbers over a period, or a part of the desk's (Filter), computed from
// the facts recorded as tickets moved: reading a period costs that period's facts, however
// many tickets there are, and repeated reads cost only what changed (statscache.go).
type Stats struct {
	From, To time.Time
	// Filter is the part of the desk the numbers are of; its zero value is the whole desk.
	Filter StatsFilter

	Opened        int
	FirstResponse Durations // first agent response or claim, after opening
	Resolution    Durations // resolution, after opening
	Ratings       int
	RatingSum     int
	RatingCounts  [6]int // index = score 1..5

	ByCategory map[string]int         // tickets opened in the period, by their category now ("" for none)
	ByStatus   map[desk.Status]int64  // all tickets of the desk, by status now (never filtered)
	ByAgent    map[string]*AgentStats // keyed by agent user ID
	// ByHour counts the tickets opened in the period by the hour of the day they were opened
	// at, in the time zone of From.
	ByHour [24]int
	// Series is the period bucket by bucket, in the time zone of From: hours for a period of
	// up to two days, days for a longer one.
	Series []Bucket
	// Hourly says whether Series is by the hour (else by the day).
	Hourly bool
	// Comments are the ratings of the period that came with a comment, newest first: the
	// latest of each ticket.
	Comments []Comment

	Bot BotStats

	// SLA is each target's attainment, by "kind:priority" (first_response:urgent), with the
	// targets the desk holds them to now.
	SLA     map[string]*SLAStats
	Targets desk.SLA

	in *statsInput
}

// StatsFilter is a part of the desk. A ticket's category, priority and assignee are what
// they are now; an SLA fact's priority is the one its clock was held to.
type StatsFilter struct {
	Category *string       // only tickets of this category ("" for those without one)
	Priority desk.Priority // only tickets of this priority (a ticket without one is normal)
	// Agent keeps the facts credited to this agent (user ID): their first responses,
	// resolutions, ratings and SLA clocks; and, of the facts credited to nobody (openings,
	// the bot's), those of tickets assigned to the agent now.
	Agent string
}

// IsZero reports whether f is the whole desk.
func (f StatsFilter) IsZero() bool { return f.Category == nil && f.Priority == "" && f.Agent == "" }

// match reports whether a fact of kind about a ticket t is in f's part of the desk.
func (f StatsFilter) match(kind desk.FactKind, fact statFact, t *ticketInfo) bool {
	if f.Category != nil && !strings.EqualFold(t.category, *f.Category) {
		return false
	}
	if f.Priority != "" {
		p := t.priority
		if kind == desk.FactSLAMet || kind == desk.FactSLABreached {
			p = priorityOf(fact.subject)
		}
		if p == "" {
			p = desk.PriorityNormal
		}
		if p != f.Priority {
			return false
		}
	}
	if f.Agent != "" {
		agent := fact.agent
		if agent == "" {
			agent = t.assignee
		}
		return agent == f.Agent
	}
	return true
}

// Bucket is one hour or day of a period's series.
type Bucket struct {
	From, To      time.Time
	Opened        int
	FirstResponse Durations // of the first responses in the bucket
	Resolution    Durations // of the resolutions in the bucket
	Ratings       int       // the ratings given in the bucket
	RatingSum     int
	Deflected     int
	SLAMet        int // the SLA targets whose clocks ended in the bucket, met
	SLABreached   int // and breached
}

// Average is the bucket's average rating, and false when it has none: the satisfaction's
// trend is drawn from it, with Ratings as how much each point weighs.
func (b Bucket) Average() (float64, bool) {
	if b.Ratings == 0 {
		return 0, false
	}
	return float64(b.RatingSum) / float64(b.Ratings), true
}

// SLAShare is the share of the SLA targets whose clocks ended in the bucket that were met
// (0 to 1), and false when none ended in it: the SLA's attainment over time.
func (b Bucket) SLAShare() (float64, bool) {
	if n := b.SLAMet + b.SLABreached; n > 0 {
		return float64(b.SLAMet) / float64(n), true
	}
	return 0, false
}

// Comment is a rating that came with a comment.
type Comment struct {
	Ticket desk.TicketID
	At     time.Time
	Score  int
	Agent  string // the agent the rating is credited to (user ID), if any
	Text   string
}

// SLAStats is the attainment of one target: how often it was met or breached, and how long
// the clocks ran (business time where the target counts it).
type SLAStats struct {
	Met, Breached int
	Times         Durations
}

// BotStats are the first-line bot's and the knowledge base's numbers: how intakes ended, by
// the category chosen ("" for none); how often each article was shown and solved a question;
// what agents sent, by article and canned reply.
type BotStats struct {
	IntakeDone, IntakeTimedOut map[string]int // by category
	Shown, Deflected           map[string]int // by article
	ArticlesSent, CannedSent   map[string]int // by article, by canned reply
}

// botFacts are the facts BotStats count, each into its map.
var botFacts = []struct {
	kind desk.FactKind
	into func(*BotStats) map[string]int
}{
	{desk.FactIntakeDone, func(b *BotStats) map[string]int { return b.IntakeDone }},
	{desk.FactIntakeTimeout, func(b *BotStats) map[string]int { return b.IntakeTimedOut }},
	{desk.FactSuggested, func(b *BotStats) map[string]int { return b.Shown }},
	{desk.FactDeflected, func(b *BotStats) map[string]int { return b.Deflected }},
	{desk.FactArticleSent, func(b *BotStats) map[string]int { return b.ArticlesSent }},
	{desk.FactCannedSent, func(b *BotStats) map[string]int { return b.CannedSent }},
}

// Any reports whether anything was counted.
func (b BotStats) Any() bool {
	for _, f := range botFacts {
		if len(f.into(&b)) > 0 {
			return true
		}
	}
	return false
}

// AgentStats are one agent's numbers.
type AgentStats struct {
	Name          string
	FirstResponse Durations
	Resolved      int
	Resolution    Durations // of the tickets the agent resolved
	Ratings       int
	RatingSum     int
	// SLAMet and SLABreached count the targets of tickets assigned to the agent.
	SLAMet, SLABreached int
}

// Durations is a sample of durations with its median and 90th percentile.
type Durations []time.Duration

// Median is the middle duration, 0 for none.
func (d Durations) Median() time.Duration { return d.quantile(0.5) }

// P90 is the duration 90% of the sample do not exceed, 0 for none.
func (d Durations) P90() time.Duration { return d.quantile(0.9) }

// quantile is the duration at q of the sorted sample (the nearest rank). The statistics sort
// their samples once; a sample that is not sorted is sorted in a copy.
func (d Durations) quantile(q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := d
	if !slices.IsSorted(s) {
		s = slices.Clone(d)
		slices.Sort(s)
	}
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

// Stats computes the statistics of the whole desk over the period [from, to). Select gives
// those of a part of it from the same reads.
func (r *Relay) Stats(ctx context.Context, from, to time.Time) (*Stats, error) {
	in, err := r.stats.input(ctx, r.store, r.clock.Now(), from, to)
	if err != nil {
		return nil, err
	}
	byStatus, err := r.store.CountByStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("statistics: %w", err)
	}
	s := compute(in, from, to, StatsFilter{})
	s.ByStatus, s.Targets = byStatus, r.policy().SLA
	return s, nil
}

// Select returns the statistics of the same period for a part of the desk (its ByStatus
// stays the whole desk's).
func (s *Stats) Select(f StatsFilter) *Stats {
	if s.in == nil {
		return s
	}
	n := compute(s.in, s.From, s.To, f)
	n.ByStatus, n.Targets = s.ByStatus, s.Targets
	return n
}

// series returns the empty buckets of [from, to) in from's time zone: hours for up to two
// days, days beyond. Hours are an hour long each (a day when the clocks go back has 25 of
// them); days follow the calendar, so a day across a change of the clocks is 23 or 25 hours.
func series(from, to time.Time) []Bucket {
	var start time.Time
	var next func(time.Time) time.Time
	if hourly(from, to) {
		start = from.Add(-time.Duration(from.Minute())*time.Minute - time.Duration(from.Second())*time.Second - time.Duration(from.Nanosecond()))
		next = func(t time.Time) time.Time { return t.Add(time.Hour) }
	} else {
		y, m, d := from.Date()
		start = time.Date(y, m, d, 0, 0, 0, 0, from.Location())
		next = func(t time.Time) time.Time {
			return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, t.Location())
		}
	}
	var out []Bucket
	for b := start; b.Before(to); b = next(b) {
		out = append(out, Bucket{From: later(b, from), To: earlier(next(b), to)})
	}
	return out
}

// hourly reports whether the series of [from, to) is by the hour: for up to two days.
func hourly(from, to time.Time) bool { return to.Sub(from) <= 48*time.Hour }

// compute counts the facts of in that f keeps.
func compute(in *statsInput, from, to time.Time, f StatsFilter) *Stats {
	s := &Stats{From: from, To: to, Filter: f, in: in, ByCategory: map[string]int{}, ByAgent: map[string]*AgentStats{},
		SLA: map[string]*SLAStats{}, Series: series(from, to), Hourly: hourly(from, to), Bot: BotStats{
			IntakeDone: map[string]int{}, IntakeTimedOut: map[string]int{}, Shown: map[string]int{}, Deflected: map[string]int{},
			ArticlesSent: map[string]int{}, CannedSent: map[string]int{},
		}}
	if f.IsZero() {
		s.FirstResponse = make(Durations, 0, in.count(desk.FactFirstResponse))
		s.Resolution = make(Durations, 0, in.count(desk.FactResolved))
	}
	loc := from.Location()
	starts := make([]int64, len(s.Series))
	for i, b := range s.Series {
		starts[i] = b.From.UnixMilli()
	}
	var outside Bucket // for a fact outside the period, which the store does not return
	bucket := func(at int64) *Bucket {
		if len(starts) == 0 || at < starts[0] {
			return &outside
		}
		i, found := slices.BinarySearch(starts, at)
		if !found {
			i--
		}
		return &s.Series[i]
	}
	agent := func(id string, t *ticketInfo) *AgentStats {
		if id == "" {
			id = "(nobody)"
		}
		a, ok := s.ByAgent[id]
		if !ok {
			a = &AgentStats{Name: id}
			s.ByAgent[id] = a
		}
		// People are keyed by ID and shown by the name a ticket of theirs has now.
		if a.Name == id && t.assignee == id && t.assigneeName != "" {
			a.Name = t.assigneeName
		}
		return a
	}
	secs := func(v int64) time.Duration { return time.Duration(v) * time.Second }
	// each yields the facts of a kind that f keeps, with their tickets.
	each := func(kind desk.FactKind, do func(statFact, *ticketInfo)) {
		for fact, t := range in.each(kind) {
			if f.match(kind, fact, t) {
				do(fact, t)
			}
		}
	}
	each(desk.FactCreated, func(fact statFact, t *ticketInfo) {
		s.Opened++
		s.ByCategory[t.category]++
		s.ByHour[time.UnixMilli(fact.at).In(loc).Hour()]++
		bucket(fact.at).Opened++
	})
	each(desk.FactFirstResponse, func(fact statFact, t *ticketInfo) {
		d := secs(fact.value)
		s.FirstResponse = append(s.FirstResponse, d)
		a := agent(fact.agent, t)
		a.FirstResponse = append(a.FirstResponse, d)
		b := bucket(fact.at)
		b.FirstResponse = append(b.FirstResponse, d)
	})
	each(desk.FactResolved, func(fact statFact, t *ticketInfo) {
		d := secs(fact.value)
		s.Resolution = append(s.Resolution, d)
		a := agent(fact.agent, t)
		a.Resolved++
		a.Resolution = append(a.Resolution, d)
		b := bucket(fact.at)
		b.Resolution = append(b.Resolution, d)
	})
	latest := map[desk.TicketID]int{} // a ticket's comment in Comments
	each(desk.FactRating, func(fact statFact, t *ticketInfo) {
		if fact.value < 1 || fact.value > 5 {
			return
		}
		s.Ratings++
		s.RatingSum += int(fact.value)
		s.RatingCounts[fact.value]++
		a := agent(fact.agent, t)
		a.Ratings++
		a.RatingSum += int(fact.value)
		b := bucket(fact.at)
		b.Ratings++
		b.RatingSum += int(fact.value)
		if t.comment == "" {
			return
		}
		c := Comment{Ticket: fact.ticket, At: time.UnixMilli(fact.at).In(loc), Score: int(fact.value), Agent: fact.agent, Text: t.comment}
		if i, ok := latest[fact.ticket]; ok {
			s.Comments[i] = c
			return
		}
		latest[fact.ticket] = len(s.Comments)
		s.Comments = append(s.Comments, c)
	})
	for _, kind := range []desk.FactKind{desk.FactSLAMet, desk.FactSLABreached} {
		each(kind, func(fact statFact, t *ticketInfo) {
			st, ok := s.SLA[fact.subject]
			if !ok {
				st = &SLAStats{}
				s.SLA[fact.subject] = st
			}
			st.Times = append(st.Times, secs(fact.value))
			b := bucket(fact.at)
			var a *AgentStats
			if fact.agent != "" {
				a = agent(fact.agent, t)
			}
			if kind == desk.FactSLAMet {
				st.Met++
				b.SLAMet++
				if a != nil {
					a.SLAMet++
				}
			} else {
				st.Breached++
				b.SLABreached++
				if a != nil {
					a.SLABreached++
				}
			}
		})
	}
	for _, bf := range botFacts {
		each(bf.kind, func(fact statFact, _ *ticketInfo) {
			bf.into(&s.Bot)[fact.subject]++
			if bf.kind == desk.FactDeflected {
				bucket(fact.at).Deflected++
			}
		})
	}
	slices.SortStableFunc(s.Comments, func(a, b Comment) int { return b.At.Compare(a.At) })
	// Every sample sorted once, so that its quantiles are read without sorting again.
	slices.Sort(s.FirstResponse)
	slices.Sort(s.Resolution)
	for _, a := range s.ByAgent {
		slices.Sort(a.FirstResponse)
		slices.Sort(a.Resolution)
	}
	for i := range s.Series {
		slices.Sort(s.Series[i].FirstResponse)
		slices.Sort(s.Series[i].Resolution)
	}
	for _, st := range s.SLA {
		slices.Sort(st.Times)
	}
	return s
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
		return measured(x)
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
	}) + s.Bot.text(c) + s.slaText(c, quote)
}

// measured writes a measured duration as precisely as it is worth reading: to the second under
// an hour ("12m5s"), to the minute above ("1h40m", "2d3h5m").
func measured(d time.Duration) string {
	if d >= time.Hour {
		return span(d.Round(time.Minute))
	}
	return span(d.Round(time.Second))
}

// slaText renders the SLA's attainment as the statistics' last lines: per target and priority,
// met/breached with the share met, the median and p90 against the target; per agent, met/
// breached. Nothing when no clock ended in the period.
func (s *Stats) slaText(c *catalog.Catalog, quote func(string) string) string {
	if len(s.SLA) == 0 {
		return ""
	}
	var targets []string
	for _, k := range desk.SLAKinds {
		for _, pr := range slices.Backward(desk.Priorities) {
			st, ok := s.SLA[string(k)+":"+string(pr)]
			if !ok {
				continue
			}
			line := fmt.Sprintf("%s %s %d/%d (%d%%), %s %s, p90 %s", c.Text(slaNames[k], nil), pr, st.Met, st.Breached,
				100*st.Met/(st.Met+st.Breached), c.Text(catalog.StatsMedian, nil), measured(st.Times.Median()), measured(st.Times.P90()))
			if goal := s.Targets.For(pr).Of(k); goal > 0 {
				line += " / " + span(goal)
			}
			targets = append(targets, line)
		}
	}
	var agents []string
	for _, a := range s.ByAgent {
		if a.SLAMet+a.SLABreached > 0 {
			agents = append(agents, fmt.Sprintf("%s %d/%d", quote(a.Name), a.SLAMet, a.SLABreached))
		}
	}
	slices.Sort(agents)
	return "\n" + c.Text(catalog.StatsSLA, map[string]any{"Targets": strings.Join(targets, " · "), "Agents": strings.Join(agents, " · ")})
}

// text renders the bot's numbers as the statistics' last lines, or nothing when there were
// none. Categories, articles and replies are named as the desk's files name them.
func (b BotStats) text(c *catalog.Catalog) string {
	if !b.Any() {
		return ""
	}
	sum := func(m map[string]int) int {
		n := 0
		for _, v := range m {
			n += v
		}
		return n
	}
	none := c.Text(catalog.CardNone, nil)
	var cats []string
	for _, cat := range unionKeys(b.IntakeDone, b.IntakeTimedOut) {
		cats = append(cats, fmt.Sprintf("%s %d/%d", or(cat, none), b.IntakeDone[cat], b.IntakeTimedOut[cat]))
	}
	var articles []string
	for _, a := range unionKeys(b.Shown, b.Deflected) {
		articles = append(articles, fmt.Sprintf("%s %d/%d", a, b.Shown[a], b.Deflected[a]))
	}
	var sent []string
	for _, a := range unionKeys(b.ArticlesSent) {
		sent = append(sent, fmt.Sprintf("%s %d", a, b.ArticlesSent[a]))
	}
	for _, name := range unionKeys(b.CannedSent) {
		sent = append(sent, fmt.Sprintf("%s %d", name, b.CannedSent[name]))
	}
	return "\n" + c.Text(catalog.StatsBot, map[string]any{
		"Done": sum(b.IntakeDone), "TimedOut": sum(b.IntakeTimedOut), "Categories": strings.Join(cats, " · "),
		"Shown": sum(b.Shown), "Deflected": sum(b.Deflected), "Articles": strings.Join(articles, " · "),
		"ArticlesSent": sum(b.ArticlesSent), "CannedSent": sum(b.CannedSent), "Sent": strings.Join(sent, " · "),
	})
}

// unionKeys are the keys of the maps, sorted.
func unionKeys(ms ...map[string]int) []string {
	var keys []string
	for _, m := range ms {
		for k := range m {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// ticketMetrics are the workflow's Prometheus metrics.
type ticketMetrics struct {
	opened        *prometheus.CounterVec
	transitions   *prometheus.CounterVec
	firstResponse *prometheus.HistogramVec
	resolution    *prometheus.HistogramVec
	ratings       *prometheus.CounterVec
	// facts counts the first-line bot's and the replies' facts (see factCounters).
	facts map[desk.FactKind]*prometheus.CounterVec
}

// factCounters are the Prometheus counters of the facts about the bot and the knowledge base:
// each fact's Subject is the counter's subject label.
var factCounters = []struct {
	kind          desk.FactKind
	name, help    string
	subject, more string // the subject's label name, and a constant label "name=value" if any
}{
	{desk.FactSuggested, "threadesk_kb_suggestions_total", "Articles the first-line bot showed customers, by platform and article.", "article", ""},
	{desk.FactDeflected, "threadesk_kb_deflections_total", "Questions an article solved without an agent, by platform and article.", "article", ""},
	{desk.FactIntakeDone, "threadesk_intake_total", "Intakes ended, by platform, category chosen (empty for none) and outcome.", "category", "outcome=completed"},
	{desk.FactIntakeTimeout, "threadesk_intake_total", "", "category", "outcome=timed_out"},
	{desk.FactArticleSent, "threadesk_replies_sent_total", "Articles and canned replies agents sent, by platform, kind and name.", "name", "kind=article"},
	{desk.FactCannedSent, "threadesk_replies_sent_total", "", "name", "kind=canned"},
	{desk.FactSLAReminder, "threadesk_sla_reminders_total", "SLA reminders sent into tickets' threads, by platform and target.", "target", ""},
	{desk.FactSLAAlert, "threadesk_sla_breaches_total", "SLA targets breached (each alerted once), by platform and target.", "target", ""},
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
	byStatus := newActiveTickets(count)
	collectors := []prometheus.Collector{m.opened, m.transitions, m.firstResponse, m.resolution, m.ratings, byStatus}
	m.facts = map[desk.FactKind]*prometheus.CounterVec{}
	byName := map[string]*prometheus.CounterVec{}
	for _, c := range factCounters {
		labels := []string{"platform", c.subject}
		if name, _, ok := strings.Cut(c.more, "="); ok {
			labels = append(labels, name)
		}
		v, ok := byName[c.name]
		if !ok {
			v = counterVec(prometheus.CounterOpts{Name: c.name, Help: c.help}, boundedLabels(labels)...)
			byName[c.name] = v
			collectors = append(collectors, v)
		}
		m.facts[c.kind] = v
	}
	for _, c := range collectors {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// countFacts counts the recorded facts that have a counter (factCounters).
func (r *Relay) countFacts(platform string, changes []desk.Change) {
	for _, c := range changes {
		f, ok := c.(desk.RecordFact)
		if !ok {
			continue
		}
		for _, fc := range factCounters {
			if fc.kind != f.Fact.Kind {
				continue
			}
			values := []string{platform, f.Fact.Subject}
			if _, v, ok := strings.Cut(fc.more, "="); ok {
				values = append(values, v)
			}
			r.tickets.facts[fc.kind].WithLabelValues(values...).Inc()
		}
	}
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

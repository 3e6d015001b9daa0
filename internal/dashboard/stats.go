package dashboard

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/relay"
)

// periods are the statistics' periods, by their query value, in days ("today": since midnight).
var periods = []string{"today", "7d", "30d", "90d"}

// statsPeriod reads the period of a statistics request: one of periods, or a custom from/to
// (dates, inclusive); the default is 7 days.
func statsPeriod(r *http.Request, now time.Time) (from, to time.Time, label string, err error) {
	q := r.URL.Query()
	if f, t := q.Get("from"), q.Get("to"); f != "" || t != "" {
		from, err1 := time.ParseInLocation(time.DateOnly, f, now.Location())
		to, err2 := time.ParseInLocation(time.DateOnly, t, now.Location())
		if err1 != nil || err2 != nil || to.Before(from) || to.Sub(from) > 3660*24*time.Hour {
			return from, to, "", fmt.Errorf("give from and to as dates, from first (YYYY-MM-DD)")
		}
		return from, to.Add(24 * time.Hour), f + " – " + t, nil
	}
	p := cmp.Or(q.Get("period"), "7d")
	switch p {
	case "today":
		y, m, d := now.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, now.Location()), now.Add(time.Millisecond), "today", nil
	case "7d", "30d", "90d":
		n, _ := strconv.Atoi(p[:len(p)-1])
		return now.Add(-time.Duration(n) * 24 * time.Hour), now.Add(time.Millisecond), "the last " + strconv.Itoa(n) + " days", nil
	}
	return from, to, "", fmt.Errorf("no period %q; choose today, 7d, 30d or 90d", p)
}

// noCategory is the category filter's value for the tickets without a category.
const noCategory = "(none)"

// agentRow is one agent's line in the statistics.
type agentRow struct {
	ID string
	*relay.AgentStats
	Satisfaction string
	Link         string // the queue of the agent's tickets
}

// count is a named number, for tables sorted by size.
type count struct {
	Name string
	N    int
	Link string // the queue of the tickets behind it, if the queue can show them
}

// option is a choice of a filter: its query value and what it shows.
type option struct{ Value, Label string }

// statsData is the statistics page's data.
type statsData struct {
	Label, Period, From, To string
	Periods                 []string
	// Category, Priority and Agent are the filter as asked (query values), with the choices
	// the page offers for each.
	Category, Priority, Agent string
	Categories                []option
	Priorities                []desk.Priority
	AgentChoices              []option
	CSVLink                   string // the CSV of the same period and filter
	OpenedLink                string // the queue of the tickets counted as opened

	S            *relay.Stats
	Satisfaction string
	Agents       []agentRow
	ByCategory   []count
	Deflected    []count
	SLA          []slaRow
	Buckets      []bucketRow
	Hours        []count
	Comments     []relay.Comment
	Chart        chartData
	All          bool // the viewer sees everyone's numbers (a lead)
}

type slaRow struct {
	Target             string
	Met, Breached, Pct int
}

// bucketRow is one hour or day of the period, as the tables under the charts show it.
type bucketRow struct {
	Label                     string
	Opened, Resolved, Ratings int
	OpenedLink                string        // the queue of the tickets opened in the bucket
	FirstResponse, Resolution time.Duration // medians
	Satisfaction              string
	SLAMet, SLABreached       int
	SLAPct                    string // the share met, "–" when no clock ended
}

// chartData is what static/charts.js draws, handed to it as JSON in the page: each series
// has a value per bucket (bucket starts in unix seconds, T), medians in seconds and null
// where the bucket has none.
type chartData struct {
	Unit          string     `json:"unit"` // "hour" or "day"
	T             []int64    `json:"t"`
	Opened        []int      `json:"opened"`
	Resolved      []int      `json:"resolved"`
	FirstResponse []*float64 `json:"firstResponse"`
	Resolution    []*float64 `json:"resolution"`
	ByHour        [24]int    `json:"byHour"`
	// Satisfaction is the average rating of each bucket (null without ratings), Ratings how
	// many it averages; SLAShare the percentage of the SLA targets met among the clocks that
	// ended in the bucket (null when none did), SLAMet and SLABreached those clocks.
	Satisfaction []*float64 `json:"satisfaction"`
	Ratings      []int      `json:"ratings"`
	SLAShare     []*float64 `json:"slaShare"`
	SLAMet       []int      `json:"slaMet"`
	SLABreached  []int      `json:"slaBreached"`
}

// statsFilter reads the part of the desk a statistics request asks for. Leads may ask for
// any agent's numbers; an agent for the whole desk's or their own.
func statsFilter(q url.Values, v *viewer) (relay.StatsFilter, error) {
	var f relay.StatsFilter
	if c := q.Get("category"); c == noCategory {
		f.Category = new(string)
	} else if c != "" {
		f.Category = &c
	}
	if p := desk.Priority(q.Get("priority")); p != "" {
		if !p.Valid() {
			return f, desk.Errorf(desk.EINVALID, "There is no priority %q.", p)
		}
		f.Priority = p
	}
	f.Agent = q.Get("agent")
	if f.Agent != "" && f.Agent != v.UserID && !v.Lead {
		return f, desk.Errorf(desk.EFORBIDDEN, "Only leads see another agent's statistics.")
	}
	return f, nil
}

// queueLink is the address of the queue showing the tickets of every status (resolved and
// closed ones are counted too) in a part of the desk opened in [from, to), the tickets a
// count of openings counts; "" when the queue cannot show that part (the tickets without a
// category).
func queueLink(f relay.StatsFilter, from, to time.Time) string {
	q := url.Values{}
	for _, s := range desk.Statuses {
		q.Add("status", string(s))
	}
	q.Set("opened_from", from.Format(instant))
	q.Set("opened_to", to.Format(instant))
	if f.Category != nil {
		if *f.Category == "" {
			return ""
		}
		q.Set("category", *f.Category)
	}
	if f.Priority != "" {
		q.Set("priority", string(f.Priority))
	}
	if f.Agent != "" {
		q.Set("assignee", f.Agent)
	}
	return "/dashboard?" + q.Encode()
}

// statsFor computes the statistics a viewer may see: a lead everyone's, an agent the desk's
// totals and their own line; both of the part of the desk the request filters.
func (d *Dashboard) statsFor(r *http.Request) (statsData, error) {
	v := viewerOf(r)
	q := r.URL.Query()
	from, to, label, err := statsPeriod(r, d.opts.Now())
	if err != nil {
		return statsData{}, invalid(err)
	}
	f, err := statsFilter(q, v)
	if err != nil {
		return statsData{}, err
	}
	whole, err := d.opts.Desk.Stats(r.Context(), from, to)
	if err != nil {
		return statsData{}, unavailable(err)
	}
	s := whole.Select(f)
	kept := url.Values{}
	for _, k := range []string{"period", "from", "to", "category", "priority", "agent"} {
		if q.Get(k) != "" {
			kept.Set(k, q.Get(k))
		}
	}
	data := statsData{Label: label, Period: q.Get("period"), From: q.Get("from"), To: q.Get("to"), Periods: periods,
		Category: q.Get("category"), Priority: string(f.Priority), Agent: f.Agent, Priorities: desk.Priorities,
		CSVLink: "/dashboard/stats.csv?" + kept.Encode(), OpenedLink: queueLink(f, s.From, s.To),
		S: s, Satisfaction: average(s.RatingSum, s.Ratings), All: v.Lead}

	// The choices: the categories and agents of the period's tickets, and the one asked for.
	cats := slices.Collect(maps.Keys(whole.ByCategory))
	if f.Category != nil && !slices.Contains(cats, *f.Category) {
		cats = append(cats, *f.Category)
	}
	slices.Sort(cats)
	for _, c := range cats {
		if c == "" {
			data.Categories = append(data.Categories, option{noCategory, "none"})
		} else {
			data.Categories = append(data.Categories, option{c, c})
		}
	}
	for _, id := range slices.Sorted(maps.Keys(whole.ByAgent)) {
		if id != "(nobody)" && (v.Lead || id == v.UserID) {
			data.AgentChoices = append(data.AgentChoices, option{id, whole.ByAgent[id].Name})
		}
	}
	if f.Agent != "" && whole.ByAgent[f.Agent] == nil {
		data.AgentChoices = append(data.AgentChoices, option{f.Agent, f.Agent})
	}

	for _, id := range slices.Sorted(maps.Keys(s.ByAgent)) {
		if !v.Lead && id != v.UserID {
			continue
		}
		a := s.ByAgent[id]
		af := f
		af.Agent = id
		link := ""
		if id != "(nobody)" {
			link = queueLink(af, s.From, s.To)
		}
		data.Agents = append(data.Agents, agentRow{ID: id, AgentStats: a, Satisfaction: average(a.RatingSum, a.Ratings), Link: link})
	}
	for name, n := range s.ByCategory {
		cf := f
		cf.Category = &name
		data.ByCategory = append(data.ByCategory, count{cmp.Or(name, "none"), n, queueLink(cf, s.From, s.To)})
	}
	for name, n := range s.Bot.Deflected {
		data.Deflected = append(data.Deflected, count{name, n, ""})
	}
	bySize := func(a, b count) int { return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Name, b.Name)) }
	slices.SortFunc(data.ByCategory, bySize)
	slices.SortFunc(data.Deflected, bySize)
	for _, k := range slices.Sorted(maps.Keys(s.SLA)) {
		a := s.SLA[k]
		pct := 0
		if n := a.Met + a.Breached; n > 0 {
			pct = a.Met * 100 / n
		}
		data.SLA = append(data.SLA, slaRow{Target: k, Met: a.Met, Breached: a.Breached, Pct: pct})
	}
	data.series(s, f)
	for _, c := range s.Comments {
		if v.Lead || c.Agent == v.UserID {
			data.Comments = append(data.Comments, c)
		}
		if len(data.Comments) == maxComments {
			break
		}
	}
	return data, nil
}

// maxComments is how many of the newest comments the page shows.
const maxComments = 50

// series fills the charts' data and the tables beside them from the buckets of s, the
// statistics of the part f of the desk.
func (data *statsData) series(s *relay.Stats, f relay.StatsFilter) {
	c := chartData{Unit: "day", ByHour: s.ByHour}
	layout := "Mon 2 Jan"
	if s.Hourly {
		c.Unit, layout = "hour", "Mon 2 Jan 15:04"
	}
	median := func(d relay.Durations) *float64 {
		if len(d) == 0 {
			return nil
		}
		v := d.Median().Seconds()
		return &v
	}
	for _, b := range s.Series {
		// A chart's point is where its hour or day starts, the first one's too (the period
		// may start within it), so that its bars are as wide as the others.
		start := b.From
		if s.Hourly {
			start = start.Add(-time.Duration(start.Minute())*time.Minute - time.Duration(start.Second())*time.Second - time.Duration(start.Nanosecond()))
		} else {
			y, m, d := start.Date()
			start = time.Date(y, m, d, 0, 0, 0, 0, start.Location())
		}
		c.T = append(c.T, start.Unix())
		c.Opened = append(c.Opened, b.Opened)
		c.Resolved = append(c.Resolved, len(b.Resolution))
		c.FirstResponse = append(c.FirstResponse, median(b.FirstResponse))
		c.Resolution = append(c.Resolution, median(b.Resolution))
		c.Ratings = append(c.Ratings, b.Ratings)
		c.SLAMet = append(c.SLAMet, b.SLAMet)
		c.SLABreached = append(c.SLABreached, b.SLABreached)
		sat, share, pct := (*float64)(nil), (*float64)(nil), "–"
		if v, ok := b.Average(); ok {
			v = math.Round(v*100) / 100
			sat = &v
		}
		if v, ok := b.SLAShare(); ok {
			v = math.Round(v*1000) / 10
			share, pct = &v, strconv.FormatFloat(v, 'f', -1, 64)+"%"
		}
		c.Satisfaction = append(c.Satisfaction, sat)
		c.SLAShare = append(c.SLAShare, share)
		row := bucketRow{Label: b.From.Format(layout), Opened: b.Opened, Resolved: len(b.Resolution),
			Ratings: b.Ratings, FirstResponse: b.FirstResponse.Median(), Resolution: b.Resolution.Median(),
			Satisfaction: average(b.RatingSum, b.Ratings), SLAMet: b.SLAMet, SLABreached: b.SLABreached, SLAPct: pct}
		if b.Opened > 0 {
			row.OpenedLink = queueLink(f, b.From, b.To)
		}
		data.Buckets = append(data.Buckets, row)
	}
	for h, n := range s.ByHour {
		data.Hours = append(data.Hours, count{Name: fmt.Sprintf("%02d:00", h), N: n})
	}
	data.Chart = c
}

// stats shows the statistics of a period.
func (d *Dashboard) stats(w http.ResponseWriter, r *http.Request) {
	data, err := d.statsFor(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.render(w, http.StatusOK, "stats.html", page{Title: "Statistics", Viewer: viewerOf(r), Data: data})
}

// statsCSV exports the statistics of a period: one row per measure.
func (d *Dashboard) statsCSV(w http.ResponseWriter, r *http.Request) {
	data, err := d.statsFor(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	s := data.S
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="statistics-`+d.opts.Now().UTC().Format("20060102-150405")+`.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"measure", "scope", "value"})
	row := func(measure, scope string, v any) { _ = cw.Write(csvSafe([]string{measure, scope, fmt.Sprint(v)})) }
	secs := func(d time.Duration) int64 { return int64(d / time.Second) }
	row("period_from", "desk", s.From.UTC().Format(time.RFC3339))
	row("period_to", "desk", s.To.UTC().Format(time.RFC3339))
	// The part of the desk the numbers below are of, when it is not the whole desk.
	if s.Filter.Category != nil {
		row("filter", "category", cmp.Or(*s.Filter.Category, noCategory))
	}
	if s.Filter.Priority != "" {
		row("filter", "priority", s.Filter.Priority)
	}
	if s.Filter.Agent != "" {
		row("filter", "agent", s.Filter.Agent)
	}
	row("opened", "desk", s.Opened)
	row("resolved", "desk", len(s.Resolution))
	row("first_response_median_s", "desk", secs(s.FirstResponse.Median()))
	row("first_response_p90_s", "desk", secs(s.FirstResponse.P90()))
	row("resolution_median_s", "desk", secs(s.Resolution.Median()))
	row("resolution_p90_s", "desk", secs(s.Resolution.P90()))
	row("ratings", "desk", s.Ratings)
	row("satisfaction_average", "desk", data.Satisfaction)
	for score := 1; score <= 5; score++ {
		row("ratings_"+strconv.Itoa(score), "desk", s.RatingCounts[score])
	}
	for _, c := range data.ByCategory {
		row("opened", "category:"+c.Name, c.N)
	}
	for _, b := range s.Series {
		row("opened", "from:"+b.From.UTC().Format(time.RFC3339), b.Opened)
	}
	for h, n := range s.ByHour {
		row("opened", fmt.Sprintf("hour_of_day:%02d", h), n)
	}
	for _, c := range data.Deflected {
		row("deflected", "article:"+c.Name, c.N)
	}
	for _, a := range data.Agents {
		scope := "agent:" + a.ID
		row("first_responses", scope, len(a.FirstResponse))
		row("first_response_median_s", scope, secs(a.FirstResponse.Median()))
		row("resolved", scope, a.Resolved)
		row("satisfaction_average", scope, a.Satisfaction)
	}
	for _, t := range data.SLA {
		row("sla_met", "target:"+t.Target, t.Met)
		row("sla_breached", "target:"+t.Target, t.Breached)
	}
	cw.Flush()
}

// average is sum/n with one decimal, "–" for none.
func average(sum, n int) string {
	if n == 0 {
		return "–"
	}
	return strconv.FormatFloat(float64(sum)/float64(n), 'f', 1, 64)
}

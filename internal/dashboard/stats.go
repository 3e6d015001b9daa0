package dashboard

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

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

// agentRow is one agent's line in the statistics.
type agentRow struct {
	ID string
	*relay.AgentStats
	Satisfaction string
}

// count is a named number, for tables sorted by size.
type count struct {
	Name string
	N    int
}

// statsData is the statistics page's data.
type statsData struct {
	Label, Period, From, To string
	Periods                 []string
	S                       *relay.Stats
	Satisfaction            string
	Agents                  []agentRow
	Categories              []count
	Deflected               []count
	SLA                     []slaRow
	All                     bool // the viewer sees everyone's numbers (a lead)
}

type slaRow struct {
	Target             string
	Met, Breached, Pct int
}

// statsFor computes the statistics a viewer may see: a lead everyone's, an agent the desk's
// totals and their own line.
func (d *Dashboard) statsFor(r *http.Request) (statsData, error) {
	v := viewerOf(r)
	from, to, label, err := statsPeriod(r, d.opts.Now())
	if err != nil {
		return statsData{}, invalid(err)
	}
	s, err := d.opts.Desk.Stats(r.Context(), from, to)
	if err != nil {
		return statsData{}, unavailable(err)
	}
	data := statsData{Label: label, Period: r.URL.Query().Get("period"), From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to"),
		Periods: periods, S: s, Satisfaction: average(s.RatingSum, s.Ratings), All: v.Lead}
	for _, id := range slices.Sorted(maps.Keys(s.ByAgent)) {
		if !v.Lead && id != v.UserID {
			continue
		}
		a := s.ByAgent[id]
		data.Agents = append(data.Agents, agentRow{ID: id, AgentStats: a, Satisfaction: average(a.RatingSum, a.Ratings)})
	}
	for name, n := range s.ByCategory {
		data.Categories = append(data.Categories, count{cmp.Or(name, "none"), n})
	}
	for name, n := range s.Bot.Deflected {
		data.Deflected = append(data.Deflected, count{name, n})
	}
	bySize := func(a, b count) int { return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Name, b.Name)) }
	slices.SortFunc(data.Categories, bySize)
	slices.SortFunc(data.Deflected, bySize)
	for _, k := range slices.Sorted(maps.Keys(s.SLA)) {
		a := s.SLA[k]
		pct := 0
		if n := a.Met + a.Breached; n > 0 {
			pct = a.Met * 100 / n
		}
		data.SLA = append(data.SLA, slaRow{Target: k, Met: a.Met, Breached: a.Breached, Pct: pct})
	}
	return data, nil
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
	for _, c := range data.Categories {
		row("opened", "category:"+c.Name, c.N)
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

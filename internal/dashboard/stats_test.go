package dashboard_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/dashboard"
	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/desktest"
	"github.com/threadesk/threadesk/internal/redisstore"
	"github.com/threadesk/threadesk/internal/redistest"
	"github.com/threadesk/threadesk/internal/relay"
)

// relayDesk is the engine as the dashboard sees it, with the statistics of a real relay on the
// test Redis: agents A1 (a lead) and A2.
type relayDesk struct {
	fakeDesk
	r *relay.Relay
}

func (d *relayDesk) Person(_ context.Context, platform, userID string) (desk.User, bool, bool, error) {
	return desk.User{ID: userID, DisplayName: "Agent " + userID}, userID == "A1" || userID == "A2", userID == "A1", nil
}

func (d *relayDesk) Stats(ctx context.Context, from, to time.Time) (*relay.Stats, error) {
	return d.r.Stats(ctx, from, to)
}

// statsSetup is a dashboard whose statistics count three tickets opened in the last hours:
// #1 Billing, high, A1's; #2 Billing, A2's; #3 Technical, A2's, rated 4 with a comment that
// is markup. It returns the handler and the sessions of A1 and A2.
func statsSetup(t *testing.T) (http.Handler, *http.Cookie, *http.Cookie) {
	t.Helper()
	st, err := redisstore.New(redistest.Client(t), redisstore.Options{Prefix: redistest.Prefix(t)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var changes []desk.Change
	for _, tk := range []desk.Ticket{
		{ID: 1, Category: "Billing", Priority: desk.PriorityHigh, Assignee: "A1", AssigneeName: "Agent A1"},
		{ID: 2, Category: "Billing", Assignee: "A2", AssigneeName: "Agent A2"},
		{ID: 3, Category: "Technical", Assignee: "A2", AssigneeName: "Agent A2", Rating: 4, RatingComment: "<script>alert(1)</script> fine"},
	} {
		at := now.Add(-time.Duration(tk.ID) * time.Hour)
		tk.Platform, tk.Status, tk.Customer, tk.Subject, tk.CreatedAt = "slack", desk.StatusOpen, desk.User{ID: "U" + tk.ID.String()}, "help", at
		changes = append(changes, desk.SaveTicket{Ticket: tk},
			desk.RecordFact{Fact: desk.Fact{Kind: desk.FactCreated, At: at, Ticket: tk.ID}},
			desk.RecordFact{Fact: desk.Fact{Kind: desk.FactFirstResponse, At: at.Add(10 * time.Minute), Ticket: tk.ID, Agent: tk.Assignee, Value: 600}})
		if tk.Rating > 0 {
			changes = append(changes, desk.RecordFact{Fact: desk.Fact{Kind: desk.FactRating, At: at.Add(30 * time.Minute), Ticket: tk.ID, Agent: tk.Assignee, Value: 4}})
		}
	}
	changes = append(changes,
		desk.PutSignin{Token: "tok-a1", Person: desk.Person{Platform: "slack", UserID: "A1", Name: "A1"}},
		desk.PutSignin{Token: "tok-a2", Person: desk.Person{Platform: "slack", UserID: "A2", Name: "A2"}})
	if err := st.Apply(context.Background(), changes...); err != nil {
		t.Fatal(err)
	}
	r, err := relay.New(relay.Options{Store: st, Platforms: []desk.Platform{desktest.New("slack", desk.Limits{MaxText: 4000})},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	d, err := dashboard.New(dashboard.Options{Store: st, Desk: &relayDesk{r: r}, PublicURL: "https://desk.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	signin := func(token string) *http.Cookie {
		res := serve(d.Handler(), "POST", "/dashboard/signin", url.Values{"token": {token}}, nil).Result()
		if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) != 1 {
			t.Fatalf("sign-in: %d", res.StatusCode)
		}
		return res.Cookies()[0]
	}
	return d.Handler(), signin("tok-a1"), signin("tok-a2")
}

// chartJSON is the statistics page's data for its charts.
type chartJSON struct {
	Unit          string     `json:"unit"`
	T             []int64    `json:"t"`
	Opened        []int      `json:"opened"`
	Resolved      []int      `json:"resolved"`
	FirstResponse []*float64 `json:"firstResponse"`
	Resolution    []*float64 `json:"resolution"`
	ByHour        []int      `json:"byHour"`
}

var chartElement = regexp.MustCompile(`(?s)<script type="application/json" id="stats-chart-data">(.*?)</script>`)

// statsPage gets the statistics page and the chart data in it.
func statsPage(t *testing.T, h http.Handler, c *http.Cookie, query string) (string, chartJSON) {
	t.Helper()
	rec := serve(h, "GET", "/dashboard/stats?"+query, nil, c)
	if rec.Code != http.StatusOK {
		t.Fatalf("stats?%s: %d %s", query, rec.Code, rec.Body)
	}
	body := rec.Body.String()
	m := chartElement.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("stats?%s: no chart data element", query)
	}
	var data chartJSON
	if err := json.Unmarshal([]byte(m[1]), &data); err != nil {
		t.Fatalf("stats?%s: chart data %q: %v", query, m[1], err)
	}
	return body, data
}

func sum(ns []int) int {
	n := 0
	for _, v := range ns {
		n += v
	}
	return n
}

// TestStatsPageFilters: the period and the filters reach the statistics, the chart data and
// the tables; the numbers link to the queue filtered alike; a lead may see any agent's
// numbers, an agent only their own.
func TestStatsPageFilters(t *testing.T) {
	h, lead, agent := statsSetup(t)
	for _, tc := range []struct {
		name, query string
		opened      int
		unit        string
		buckets     int // at least
	}{
		{"the whole desk, 7 days", "period=7d", 3, "day", 7},
		{"today, by the hour", "period=today", 3, "hour", 1},
		{"Billing", "period=30d&category=Billing", 2, "day", 30},
		{"high", "period=7d&priority=high", 1, "day", 7},
		{"A2's Billing", "period=7d&category=Billing&agent=A2", 1, "day", 7},
		{"no category", "period=7d&category=(none)", 0, "day", 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, data := statsPage(t, h, lead, tc.query)
			if data.Unit != tc.unit || len(data.T) < tc.buckets || len(data.Opened) != len(data.T) || len(data.FirstResponse) != len(data.T) || len(data.ByHour) != 24 {
				t.Errorf("chart data: unit %q, %d buckets, %d opened, %d first responses, %d hours", data.Unit, len(data.T), len(data.Opened), len(data.FirstResponse), len(data.ByHour))
			}
			if tc.unit == "hour" && time.Now().Hour() < 3 {
				return // today has not all of the tickets yet
			}
			if sum(data.Opened) != tc.opened || sum(data.ByHour) != tc.opened {
				t.Errorf("charts count %d opened (%d by hour), want %d", sum(data.Opened), sum(data.ByHour), tc.opened)
			}
			if !strings.Contains(body, `data-testid="opened">`) || !regexp.MustCompile(`data-testid="opened">(<a [^>]*>)?`+strconv.Itoa(tc.opened)+`\b`).MatchString(body) {
				t.Errorf("the opened tile does not say %d", tc.opened)
			}
		})
	}

	// A lead's filtered numbers link to the same tickets in the queue.
	body, _ := statsPage(t, h, lead, "period=7d&category=Billing&agent=A2&priority=normal")
	opened := regexp.MustCompile(`data-testid="opened"><a href="([^"]*)"`).FindStringSubmatch(body)
	if opened == nil {
		t.Fatal("the opened number links nowhere")
	}
	q, err := url.ParseQuery(strings.TrimPrefix(strings.ReplaceAll(opened[1], "&amp;", "&"), "/dashboard?"))
	if err != nil || q.Get("category") != "Billing" || q.Get("assignee") != "A2" || q.Get("priority") != "normal" || len(q["status"]) != len(desk.Statuses) {
		t.Errorf("the opened number links to %s", opened[1])
	}
	if !strings.Contains(body, `/dashboard/stats.csv?agent=A2&amp;category=Billing&amp;period=7d&amp;priority=normal"`) {
		t.Errorf("the CSV link does not keep the filter")
	}

	// An agent sees the desk's totals and their own line; another agent's numbers are a lead's.
	body, data := statsPage(t, h, agent, "period=7d")
	if sum(data.Opened) != 3 || strings.Contains(body, ">Agent A1<") || !strings.Contains(body, ">Agent A2<") {
		t.Errorf("an agent's page: %d opened, A1 shown %v", sum(data.Opened), strings.Contains(body, ">Agent A1<"))
	}
	if _, data := statsPage(t, h, agent, "period=7d&agent=A2"); sum(data.Opened) != 2 {
		t.Errorf("A2's own numbers: %d opened, want 2", sum(data.Opened))
	}
	if rec := serve(h, "GET", "/dashboard/stats?period=7d&agent=A1", nil, agent); rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "stats-chart-data") {
		t.Errorf("an agent asking for a lead's numbers: %d", rec.Code)
	}
	if rec := serve(h, "GET", "/dashboard/stats?period=7d&priority=whenever", nil, lead); rec.Code != http.StatusBadRequest {
		t.Errorf("a made-up priority: %d", rec.Code)
	}

	// The rating's comment is shown, as text.
	body, _ = statsPage(t, h, lead, "period=7d")
	if strings.Contains(body, "<script>alert(1)") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt; fine") {
		t.Errorf("the comment is not shown escaped")
	}
}

// TestStatsCSVFiltered: the CSV of the statistics has the filtered numbers and says which
// part of the desk they are of.
func TestStatsCSVFiltered(t *testing.T) {
	h, lead, _ := statsSetup(t)
	rec := serve(h, "GET", "/dashboard/stats.csv?period=7d&category=Billing", nil, lead)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r[0]+" "+r[1]] = r[2]
	}
	if got["filter category"] != "Billing" || got["opened desk"] != "2" || got["opened category:Billing"] != "2" || got["opened category:Technical"] != "" {
		t.Errorf("CSV rows %v", got)
	}
}

// TestChartAssets: uPlot and the charts' script and styles are served from the binary with
// their types; the page loads them from the app only, and the Content-Security-Policy still
// allows no inline script: the only script element without src is the charts' JSON data.
func TestChartAssets(t *testing.T) {
	h, lead, _ := statsSetup(t)
	for path, typ := range map[string]string{
		"/dashboard/static/vendor/uplot/uPlot.iife.min.js": "text/javascript",
		"/dashboard/static/vendor/uplot/uPlot.min.css":     "text/css",
		"/dashboard/static/vendor/uplot/LICENSE":           "",
		"/dashboard/static/charts.js":                      "text/javascript",
		"/dashboard/static/charts.css":                     "text/css",
	} {
		rec := serve(h, "GET", path, nil, nil)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), typ) || rec.Body.Len() == 0 {
			t.Errorf("%s: %d %q, %d bytes", path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
		}
	}
	if rec := serve(h, "GET", "/dashboard/static/vendor/uplot/uPlot.iife.min.js", nil, nil); !strings.Contains(rec.Body.String(), "v1.6.32") {
		t.Errorf("the vendored uPlot is not 1.6.32")
	}
	rec := serve(h, "GET", "/dashboard/stats?period=7d", nil, lead)
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP %q", csp)
	}
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(rec.Body.String(), -1) {
		if !strings.Contains(tag, `src="/dashboard/static/`) && tag != `<script type="application/json" id="stats-chart-data">` &&
			tag != `<script type="application/json" id="stats-chart-text">` {
			t.Errorf("a script element that is not the app's file nor the chart data or words: %s", tag)
		}
	}
	for _, want := range []string{`src="/dashboard/static/vendor/uplot/uPlot.iife.min.js"`, `src="/dashboard/static/charts.js"`,
		`href="/dashboard/static/charts.css"`, `data-chart="volume"`, `data-chart="times"`, `data-chart="hours"`, `data-testid="series-table"`, `data-testid="hours-table"`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

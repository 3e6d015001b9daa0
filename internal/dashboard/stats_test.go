package dashboard_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
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
	return statsSetupWith(t, nil)
}

// statsSetupWith is statsSetup with more changes applied after its tickets.
func statsSetupWith(t *testing.T, extra []desk.Change) (http.Handler, *http.Cookie, *http.Cookie) {
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
	changes = append(changes, extra...)
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
	Satisfaction  []*float64 `json:"satisfaction"`
	Ratings       []int      `json:"ratings"`
	SLAShare      []*float64 `json:"slaShare"`
	SLAMet        []int      `json:"slaMet"`
	SLABreached   []int      `json:"slaBreached"`
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
		`href="/dashboard/static/charts.css"`, `data-chart="volume"`, `data-chart="times"`, `data-chart="hours"`, `data-testid="series-table"`, `data-testid="hours-table"`,
		`data-chart="satisfaction"`, `data-chart="sla"`, `data-testid="satisfaction-table"`, `data-testid="sla-table"`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

// drillDownTickets are more tickets for statsSetupWith, of every status and age: #4 Billing,
// A1's, closed, opened 10 days ago; #5 Technical, A2's, resolved, opened 2 days ago, rated 5
// and its first-response target met; #6 Billing, closed by the bot's article (never opened:
// no opening counted); #7 Billing, A1's, opened 30 minutes ago after the bot's intake. #1's
// resolution target was breached an hour ago.
func drillDownTickets(now time.Time) []desk.Change {
	var changes []desk.Change
	for _, tk := range []struct {
		desk.Ticket
		opened time.Duration // ago; 0: never
	}{
		{desk.Ticket{ID: 4, Category: "Billing", Status: desk.StatusClosed, Assignee: "A1", AssigneeName: "Agent A1"}, 240 * time.Hour},
		{desk.Ticket{ID: 5, Category: "Technical", Status: desk.StatusResolved, Assignee: "A2", AssigneeName: "Agent A2", Rating: 5}, 48 * time.Hour},
		{desk.Ticket{ID: 6, Category: "Billing", Status: desk.StatusClosed}, 0},
		{desk.Ticket{ID: 7, Category: "Billing", Status: desk.StatusOpen, Assignee: "A1", AssigneeName: "Agent A1"}, 30 * time.Minute},
	} {
		t := tk.Ticket
		t.Platform, t.Customer, t.Subject, t.CreatedAt = "slack", desk.User{ID: "U" + t.ID.String()}, "help", now.Add(-time.Hour)
		if tk.opened > 0 {
			t.CreatedAt = now.Add(-tk.opened)
			changes = append(changes, desk.RecordFact{Fact: desk.Fact{Kind: desk.FactCreated, At: t.CreatedAt, Ticket: t.ID}})
		}
		changes = append(changes, desk.SaveTicket{Ticket: t})
	}
	return append(changes,
		desk.RecordFact{Fact: desk.Fact{Kind: desk.FactRating, At: now.Add(-47 * time.Hour), Ticket: 5, Agent: "A2", Value: 5}},
		desk.RecordFact{Fact: desk.Fact{Kind: desk.FactSLAMet, At: now.Add(-47 * time.Hour), Ticket: 5, Agent: "A2", Value: 600, Subject: "first_response:normal"}},
		desk.RecordFact{Fact: desk.Fact{Kind: desk.FactSLABreached, At: now.Add(-time.Hour), Ticket: 1, Agent: "A1", Value: 9000, Subject: "resolution:high"}},
	)
}

// queueLinkElement is a count on the statistics page that links to the queue.
var queueLinkElement = regexp.MustCompile(`<a href="(/dashboard\?[^"]*)"[^>]*>(\d+)</a>`)

// TestStatsDrillDown: every count of the statistics page that links to the queue, followed,
// shows a queue whose total is that count: the period and the filters of the count reach
// the queue, with every status (the resolved and closed tickets the count counts), and
// without the tickets the bot solved or those opened outside the period. The queue's page
// links and CSV keep the period.
func TestStatsDrillDown(t *testing.T) {
	now := time.Now()
	h, lead, agent := statsSetupWith(t, drillDownTickets(now))
	for _, tc := range []struct {
		query string
		who   *http.Cookie
		n     int // the opened tile; -1: depends on the time of day
	}{
		{"period=7d", lead, 5},
		{"period=30d", lead, 6},
		{"period=90d&category=Billing", lead, 4},
		{"period=30d&priority=high", lead, 1},
		{"period=7d&agent=A2", agent, 3},
		{"period=7d&category=Billing&agent=A1", lead, 2},
		{"period=today", lead, -1},
		{"from=" + now.AddDate(0, 0, -12).Format(time.DateOnly) + "&to=" + now.AddDate(0, 0, -3).Format(time.DateOnly), lead, 1},
	} {
		t.Run(tc.query, func(t *testing.T) {
			body, _ := statsPage(t, h, tc.who, tc.query)
			tile := regexp.MustCompile(`data-testid="opened"><a href="([^"]*)"[^>]*>(\d+)</a>`).FindStringSubmatch(body)
			if tile == nil {
				t.Fatal("the opened number links nowhere")
			}
			if n, _ := strconv.Atoi(tile[2]); tc.n >= 0 && n != tc.n {
				t.Errorf("opened %d, want %d", n, tc.n)
			}
			links := queueLinkElement.FindAllStringSubmatch(body, -1)
			for _, m := range links {
				link := html.UnescapeString(m[1])
				u, err := url.Parse(link)
				if err != nil {
					t.Fatal(err)
				}
				q := u.Query()
				if len(q["status"]) != len(desk.Statuses) || q.Get("opened_from") == "" || q.Get("opened_to") == "" {
					t.Errorf("%s links to %s: not every status, or no period", m[2], link)
				}
				rec := serve(h, "GET", link, nil, tc.who)
				total := regexp.MustCompile(`data-testid="total">(\d+)<`).FindStringSubmatch(rec.Body.String())
				if rec.Code != http.StatusOK || total == nil || total[1] != m[2] {
					t.Errorf("%s links to %s: %d, total %v", m[2], link, rec.Code, total)
				}
				rows := strings.Count(rec.Body.String(), "<tr data-ticket=")
				if want, _ := strconv.Atoi(m[2]); rows != want {
					t.Errorf("%s links to %s: %d rows", m[2], link, rows)
				}
				if !strings.Contains(rec.Body.String(), `name="opened_from" value="`) || !strings.Contains(rec.Body.String(), `type="datetime-local" name="opened_to"`) {
					t.Errorf("%s links to %s: the form does not show the period", m[2], link)
				}
				csvLink := regexp.MustCompile(`<a href="([^"]*)" data-testid="csv"`).FindStringSubmatch(rec.Body.String())
				if csvLink == nil {
					t.Fatalf("no CSV link")
				}
				res := serve(h, "GET", html.UnescapeString(csvLink[1]), nil, tc.who)
				rows2, err := csv.NewReader(res.Body).ReadAll()
				if want, _ := strconv.Atoi(m[2]); err != nil || len(rows2) != want+1 {
					t.Errorf("the CSV of %s: %d rows, %v; want %d and the header", link, len(rows2), err, want)
				}
			}
			// "today" holds what was opened since midnight: just after it, next to nothing.
			if len(links) < 2 && tc.n >= 0 {
				t.Errorf("only %d counts link to the queue", len(links))
			}
		})
	}
}

// TestQueuePeriodForm: the queue's period of opening as dates (whole days, to inclusive), as
// the form sends them, and as instants; a bound that is neither is ignored.
func TestQueuePeriodForm(t *testing.T) {
	now := time.Now()
	h, lead, _ := statsSetupWith(t, drillDownTickets(now))
	all := "status=intake&status=new&status=open&status=pending&status=resolved&status=closed"
	day := func(d int) string { return now.AddDate(0, 0, d).Format(time.DateOnly) }
	for _, tc := range []struct {
		name, query string
		want        int
	}{
		{"today and the days before, as dates", all + "&opened_from=" + day(-3) + "&opened_to=" + day(0), 5},
		{"the day 10 days ago", all + "&opened_from=" + day(-10) + "&opened_to=" + day(-10), 1},
		{"only a start", all + "&opened_from=" + day(-20), 6},
		{"instants", all + "&opened_from=" + url.QueryEscape(now.Add(-50*time.Hour).Format(time.RFC3339)) + "&opened_to=" + url.QueryEscape(now.Add(-40*time.Minute).Format(time.RFC3339)), 4},
		{"the form's local time", all + "&opened_from=" + now.Add(-50*time.Hour).Format("2006-01-02T15:04") + "&opened_to=" + now.Add(-40*time.Minute).Format("2006-01-02T15:04:05.000"), 4},
		{"nonsense is ignored: every ticket, the bot's too", all + "&opened_from=yesterday", 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(h, "GET", "/dashboard?"+tc.query, nil, lead)
			total := regexp.MustCompile(`data-testid="total">(\d+)<`).FindStringSubmatch(rec.Body.String())
			if rec.Code != http.StatusOK || total == nil || total[1] != strconv.Itoa(tc.want) {
				t.Errorf("%d, total %v, want %d", rec.Code, total, tc.want)
			}
		})
	}
	rec := serve(h, "GET", "/dashboard?opened_from="+day(-3)+"&opened_to="+day(0), nil, lead)
	if !strings.Contains(rec.Body.String(), `type="date" name="opened_from" value="`+day(-3)+`"`) {
		t.Errorf("the form does not show the dates as dates")
	}
}

// TestStatsChartsSatisfactionAndSLA: the chart data holds, per bucket, the average rating and
// how many ratings it averages, and the SLA's share met with the clocks met and breached;
// they add up to the page's totals, and the tables beside the charts have the same numbers.
func TestStatsChartsSatisfactionAndSLA(t *testing.T) {
	h, lead, _ := statsSetupWith(t, drillDownTickets(time.Now()))
	body, data := statsPage(t, h, lead, "period=7d")
	n := len(data.T)
	if len(data.Satisfaction) != n || len(data.Ratings) != n || len(data.SLAShare) != n || len(data.SLAMet) != n || len(data.SLABreached) != n {
		t.Fatalf("series of %d buckets: satisfaction %d, ratings %d, SLA share %d, met %d, breached %d", n,
			len(data.Satisfaction), len(data.Ratings), len(data.SLAShare), len(data.SLAMet), len(data.SLABreached))
	}
	var sat []string
	for i := range data.T {
		if (data.Satisfaction[i] != nil) != (data.Ratings[i] > 0) {
			t.Errorf("bucket %d: average %v of %d ratings", i, data.Satisfaction[i], data.Ratings[i])
		}
		if data.Satisfaction[i] != nil {
			sat = append(sat, strconv.FormatFloat(*data.Satisfaction[i], 'f', 1, 64)+"/"+strconv.Itoa(data.Ratings[i]))
		}
		met, ended := data.SLAMet[i], data.SLAMet[i]+data.SLABreached[i]
		switch {
		case ended == 0 && data.SLAShare[i] != nil:
			t.Errorf("bucket %d: share %v of no clocks", i, *data.SLAShare[i])
		case ended > 0 && (data.SLAShare[i] == nil || *data.SLAShare[i] != float64(100*met/ended)):
			t.Errorf("bucket %d: share %v of %d/%d", i, data.SLAShare[i], met, ended)
		}
	}
	// #5 rated 5 two days ago, #3 rated 4 today (by the day: two buckets, unless both fall
	// on today's bucket).
	if sum(data.Ratings) != 2 || sum(data.SLAMet) != 1 || sum(data.SLABreached) != 1 {
		t.Errorf("ratings %v, SLA met %v, breached %v", data.Ratings, data.SLAMet, data.SLABreached)
	}
	if !slices.Contains(sat, "5.0/1") && !slices.Contains(sat, "4.5/2") {
		t.Errorf("averages %v", sat)
	}
	if !strings.Contains(body, "<td>0%</td><td>0</td><td>1</td>") || !strings.Contains(body, "<td>100%</td><td>1</td><td>0</td>") {
		t.Errorf("the SLA table does not have the buckets' numbers")
	}
	if !strings.Contains(body, "<td>5.0</td><td>1</td>") && !strings.Contains(body, "<td>4.5</td><td>2</td>") {
		t.Errorf("the satisfaction table does not have the buckets' numbers")
	}
}

package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// command runs a slash command as u in the sandbox and returns its private answer.
func (a *app) command(u sbUser, text string) string {
	a.t.Helper()
	before := len(a.state().find(func(m sbMessage) bool { return m.Ephemeral == u.ID }))
	a.mustPost("/sandbox/api/commands", map[string]string{"user": u.ID, "text": text}, http.StatusOK, nil)
	var answer string
	eventually(a.t, "the answer to "+text, func() (bool, string) {
		got := a.state().find(func(m sbMessage) bool { return m.Ephemeral == u.ID })
		if len(got) <= before {
			return false, "no answer"
		}
		answer = got[len(got)-1].Text
		return true, ""
	})
	return answer
}

var signinLink = regexp.MustCompile(`http://[^\s]+/dashboard/signin\?token=[A-Za-z0-9_%-]+`)

// browser is an HTTP client with its own cookies, as one browser is.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// do sends a request as a browser on the dashboard's own page would (same-origin fetch
// metadata) unless site says otherwise, and returns the status, headers and body.
func (b *browser) do(method, u string, form url.Values, site string) (int, http.Header, string) {
	b.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Sec-Fetch-Site", site)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&sb)
	return resp.StatusCode, resp.Header, sb.String()
}

// TestDashboardThroughTheApp: the dashboard as a support team meets it, over HTTP against the
// running app in the sandbox: the page without a session shows no data; a customer is refused
// a link; an agent's link shows a button and is used up only by its POST, once; the queue
// lists the ticket with the customer's words escaped, filters and search narrow it, the CSV
// carries it; the ticket page shows its history; a claim from the page reaches the ticket
// (and the chat card); forged cross-site posts change nothing; the live stream reports a
// change; signing out and a lead's revoke end sessions.
func TestDashboardThroughTheApp(t *testing.T) {
	a := startApp(t, nil)
	var bob sbUser
	a.mustPost("/sandbox/api/users", map[string]any{"name": "Bob", "role": "agent", "lead": true}, http.StatusCreated, &bob)
	ann := a.user("Ann", "agent")
	ada := a.user("Ada", "customer")
	a.say(ada, `the printer is on fire <script>alert("x")</script>`, "")
	eventually(t, "the ticket's card", func() (bool, string) {
		return len(a.state().find(func(m sbMessage) bool { return m.Card != nil })) == 1, "no card"
	})

	anon := newBrowser(t)
	status, h, body := anon.do("GET", a.url("/dashboard"), nil, "none")
	if status != http.StatusUnauthorized || !strings.Contains(body, "/desk dashboard") || strings.Contains(body, "printer") {
		t.Fatalf("without a session: %d, body %q; want 401 saying to run /desk dashboard and no data", status, body)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	for _, p := range []string{"/dashboard/tickets/1", "/dashboard/tickets.csv", "/dashboard/stats", "/dashboard/events"} {
		if status, _, body := anon.do("GET", a.url(p), nil, "none"); status != http.StatusUnauthorized || strings.Contains(body, "printer") {
			t.Errorf("GET %s without a session: %d", p, status)
		}
	}

	if got := a.command(ada, "/desk dashboard"); signinLink.MatchString(got) || !strings.Contains(got, "for support agents") {
		t.Errorf("a customer's /desk dashboard: %q", got)
	}
	link := signinLink.FindString(a.command(ann, "/desk dashboard"))
	if link == "" {
		t.Fatal("no sign-in link for Ann")
	}
	br := newBrowser(t)
	for range 2 { // a link preview opens it first: that uses nothing up
		status, _, body := br.do("GET", link, nil, "none")
		if status != http.StatusOK || !strings.Contains(body, "Sign in as Ann") {
			t.Fatalf("GET the link: %d %q", status, body)
		}
	}
	u, _ := url.Parse(link)
	token := u.Query().Get("token")
	if status, _, _ := br.do("POST", a.url("/dashboard/signin"), url.Values{"token": {token}}, "cross-site"); status != http.StatusForbidden {
		t.Errorf("a cross-site sign-in POST: %d, want 403", status)
	}
	status, h, _ = br.do("POST", a.url("/dashboard/signin"), url.Values{"token": {token}}, "same-origin")
	cookie := h.Get("Set-Cookie")
	if status != http.StatusSeeOther || !strings.HasPrefix(cookie, "threadesk_session=") || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Lax") {
		t.Fatalf("sign-in: %d, Set-Cookie %q", status, cookie)
	}
	if status, _, body := newBrowser(t).do("POST", a.url("/dashboard/signin"), url.Values{"token": {token}}, "same-origin"); status != http.StatusNotFound || !strings.Contains(body, "used or expired") {
		t.Errorf("the link used again: %d %q", status, body)
	}

	// The queue, its filters and search, with the customer's words escaped.
	status, _, body = br.do("GET", a.url("/dashboard"), nil, "none")
	if status != http.StatusOK || !strings.Contains(body, "&lt;script&gt;") || strings.Contains(body, `<script>alert`) {
		t.Fatalf("the queue: %d, want the subject escaped:\n%s", status, body)
	}
	for q, want := range map[string]bool{"q=printer": true, "q=zebra": false, "priority=urgent": false, "unassigned=1": true, "mine=1": false, "status=closed": false} {
		_, _, body := br.do("GET", a.url("/dashboard?"+q), nil, "none")
		if got := strings.Contains(body, `data-ticket="#1"`); got != want {
			t.Errorf("queue ?%s lists ticket 1: %v, want %v", q, got, want)
		}
	}
	_, h, body = br.do("GET", a.url("/dashboard/tickets.csv?q=printer"), nil, "none")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 2 || rows[0][0] != "number" || rows[1][0] != "1" || !strings.Contains(rows[1][6], "printer is on fire") || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Errorf("the CSV: %v %q", err, rows)
	}

	// The ticket page, and a claim from it.
	status, _, body = br.do("GET", a.url("/dashboard/tickets/1"), nil, "none")
	event := regexp.MustCompile(`name="event" value="(dash-[A-Za-z0-9_-]+)"`).FindStringSubmatch(body)
	if status != http.StatusOK || !strings.Contains(body, "the printer is on fire &lt;script&gt;") || event == nil {
		t.Fatalf("the ticket page: %d\n%s", status, body)
	}
	if status, _, _ := br.do("POST", a.url("/dashboard/tickets/1/claim"), url.Values{"event": {event[1]}}, "cross-site"); status != http.StatusForbidden {
		t.Errorf("a forged cross-site claim: %d, want 403", status)
	}
	if _, _, body := br.do("GET", a.url("/dashboard/tickets/1"), nil, "none"); !strings.Contains(body, "unassigned") {
		t.Fatal("the forged claim changed the ticket")
	}
	sseBrowser := br
	_, _, qbody := br.do("GET", a.url("/dashboard"), nil, "none")
	seq := regexp.MustCompile(`data-seq="([0-9-]+)"`).FindStringSubmatch(qbody)
	if seq == nil {
		t.Fatal("the queue page has no feed position")
	}
	status, h, _ = br.do("POST", a.url("/dashboard/tickets/1/claim"), url.Values{"event": {event[1]}}, "same-origin")
	if status != http.StatusSeeOther || h.Get("Location") != "/dashboard/tickets/1" {
		t.Fatalf("claim: %d → %q", status, h.Get("Location"))
	}
	_, _, body = br.do("GET", a.url("/dashboard/tickets/1"), nil, "none")
	if !strings.Contains(body, "You claimed #1") || !strings.Contains(body, `data-testid="assignee">Ann`) {
		t.Errorf("after the claim the page shows:\n%s", body)
	}
	eventually(t, "the chat card shows Ann", func() (bool, string) {
		_, _, raw := a.get("/sandbox/api/state")
		var st struct {
			Messages []struct {
				Card json.RawMessage `json:"card"`
			} `json:"messages"`
		}
		if err := json.Unmarshal(raw, &st); err != nil {
			return false, err.Error()
		}
		for _, m := range st.Messages {
			if len(m.Card) > 4 && strings.Contains(string(m.Card), "Ann") {
				return true, ""
			}
		}
		return false, string(raw)
	})
	// The same form sent twice (a double click) is one step.
	br.do("POST", a.url("/dashboard/tickets/1/claim"), url.Values{"event": {event[1]}}, "same-origin")
	if _, _, body := br.do("GET", a.url("/dashboard/tickets/1"), nil, "none"); strings.Contains(body, "already") {
		t.Errorf("a repeated form was taken twice:\n%s", body)
	}

	// The live stream reports the claim (it came after the position of the queue page).
	resp := sseGet(t, sseBrowser.c, a.url("/dashboard/events?after="+seq[1]))
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if got := readEvent(t, resp, 5*time.Second); got != "1" {
		t.Errorf("the first event's data %q, want ticket 1", got)
	}

	// Statistics: Ann (no lead) sees herself; CSV of them too.
	if status, _, body := br.do("GET", a.url("/dashboard/stats?period=30d"), nil, "none"); status != http.StatusOK || !strings.Contains(body, "the last 30 days") {
		t.Errorf("stats: %d", status)
	}
	if status, _, _ := br.do("GET", a.url("/dashboard/stats?period=forever"), nil, "none"); status != http.StatusBadRequest {
		t.Errorf("stats of an unknown period: %d, want 400", status)
	}

	// Sign out; then a second session ended by a lead's revoke.
	br.do("POST", a.url("/dashboard/signout"), url.Values{}, "same-origin")
	if status, _, _ := br.do("GET", a.url("/dashboard"), nil, "none"); status != http.StatusUnauthorized {
		t.Errorf("after signing out: %d", status)
	}
	second := newBrowser(t)
	second.do("POST", a.url("/dashboard/signin"), url.Values{"token": {tokenOf(t, a.command(ann, "/desk dashboard"))}}, "same-origin")
	if status, _, _ := second.do("GET", a.url("/dashboard"), nil, "none"); status != http.StatusOK {
		t.Fatalf("second session: %d", status)
	}
	if got := a.command(bob, "/desk dashboard revoke @Ann"); !strings.Contains(got, "is ended") {
		t.Errorf("revoke: %q", got)
	}
	if status, _, _ := second.do("GET", a.url("/dashboard"), nil, "none"); status != http.StatusUnauthorized {
		t.Errorf("after a revoke: %d, want 401", status)
	}
}

func tokenOf(t *testing.T, answer string) string {
	t.Helper()
	u, err := url.Parse(signinLink.FindString(answer))
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("no link in %q", answer)
	}
	return u.Query().Get("token")
}

func sseGet(t *testing.T, c *http.Client, u string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	cl := *c
	cl.Timeout = 0
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// readEvent returns the data of the next "ticket" event on an SSE stream.
func readEvent(t *testing.T, resp *http.Response, within time.Duration) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		ticket := false
		for sc.Scan() {
			line := sc.Text()
			if line == "event: ticket" {
				ticket = true
			}
			if d, ok := strings.CutPrefix(line, "data: "); ok && ticket {
				got <- d
				return
			}
		}
		got <- ""
	}()
	select {
	case d := <-got:
		return d
	case <-time.After(within):
		t.Fatal("no event on the stream")
		return ""
	}
}

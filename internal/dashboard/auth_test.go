package dashboard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/dashboard"
	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/redisstore"
	"github.com/threadesk/threadesk/internal/redistest"
	"github.com/threadesk/threadesk/internal/relay"
)

// fakeDesk is the engine as the dashboard sees it: who is an agent, and the steps asked.
type fakeDesk struct {
	mu     sync.Mutex
	agents map[string]bool
	asked  []desk.Event
}

func (f *fakeDesk) Person(_ context.Context, platform, userID string) (desk.User, bool, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return desk.User{ID: userID, DisplayName: "Agent " + userID}, f.agents[platform+"/"+userID], false, nil
}

func (f *fakeDesk) Do(_ context.Context, ev desk.Event) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, ev)
	return "done", nil
}

func (f *fakeDesk) Stats(context.Context, time.Time, time.Time) (*relay.Stats, error) {
	return &relay.Stats{}, nil
}

func (f *fakeDesk) set(key string, agent bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.agents[key] = agent
}

// setup is a dashboard on the test Redis with one ticket on another platform than the agent's
// (#2) and one on theirs (#1), and a signed-in session of agent A1 on "slack".
func setup(t *testing.T) (*fakeDesk, http.Handler, *http.Cookie) {
	t.Helper()
	st, err := redisstore.New(redistest.Client(t), redisstore.Options{Prefix: redistest.Prefix(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	if err := st.Apply(ctx,
		desk.SaveTicket{Ticket: desk.Ticket{ID: 1, Platform: "slack", Status: desk.StatusNew, Customer: desk.User{ID: "U1"}, Subject: "mine", CreatedAt: now}},
		desk.SaveTicket{Ticket: desk.Ticket{ID: 2, Platform: "mattermost", Status: desk.StatusNew, Customer: desk.User{ID: "u9"}, Subject: "theirs", CreatedAt: now}},
		desk.PutSignin{Token: "tok", Person: desk.Person{Platform: "slack", UserID: "A1", Name: "A1"}},
	); err != nil {
		t.Fatal(err)
	}
	f := &fakeDesk{agents: map[string]bool{"slack/A1": true}}
	d, err := dashboard.New(dashboard.Options{Store: st, Desk: f, PublicURL: "https://desk.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	rec := serve(d.Handler(), "POST", "/dashboard/signin", url.Values{"token": {"tok"}}, nil)
	res := rec.Result()
	if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) != 1 {
		t.Fatalf("sign-in: %d %v", res.StatusCode, res.Cookies())
	}
	return f, d.Handler(), res.Cookies()[0]
}

func serve(h http.Handler, method, path string, form url.Values, c *http.Cookie) *httptest.ResponseRecorder {
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(method, "https://desk.example.com"+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c != nil {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestSessionCookieOverHTTPS: behind an https PUBLIC_URL the cookie is __Host- prefixed,
// Secure, HttpOnly, SameSite=Lax, Path=/, and lasts the session's lifetime.
func TestSessionCookieOverHTTPS(t *testing.T) {
	_, _, c := setup(t)
	if c.Name != "__Host-threadesk_session" || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.MaxAge != int((12*time.Hour)/time.Second) {
		t.Errorf("cookie %+v", c)
	}
}

// TestRefusals: what the dashboard refuses, each changing nothing: a person who is no longer an
// agent (removed from the triage channel) at their next request; a step with no event ID,
// an unknown step, a step on a ticket of another platform, a ticket that does not exist.
func TestRefusals(t *testing.T) {
	f, h, c := setup(t)
	if rec := serve(h, "GET", "/dashboard", nil, c); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "mine") {
		t.Fatalf("queue: %d", rec.Code)
	}
	ev := "dash-" + strings.Repeat("a", 22)
	for _, tc := range []struct {
		name, path string
		form       url.Values
		want       int
	}{
		{"no event ID", "/dashboard/tickets/1/claim", url.Values{}, http.StatusBadRequest},
		{"a malformed event ID", "/dashboard/tickets/1/claim", url.Values{"event": {"x"}}, http.StatusBadRequest},
		{"an unknown step", "/dashboard/tickets/1/explode", url.Values{"event": {ev}}, http.StatusNotFound},
		{"a rating, which is the customer's", "/dashboard/tickets/1/rate", url.Values{"event": {ev}}, http.StatusNotFound},
		{"another platform's ticket", "/dashboard/tickets/2/claim", url.Values{"event": {ev}}, http.StatusForbidden},
		{"no such ticket", "/dashboard/tickets/99/claim", url.Values{"event": {ev}}, http.StatusNotFound},
		{"not a number", "/dashboard/tickets/abc/claim", url.Values{"event": {ev}}, http.StatusNotFound},
	} {
		if rec := serve(h, "POST", tc.path, tc.form, c); rec.Code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, rec.Code, tc.want)
		}
	}
	if len(f.asked) != 0 {
		t.Fatalf("refused requests reached the engine: %+v", f.asked)
	}
	if rec := serve(h, "POST", "/dashboard/tickets/1/assign", url.Values{"event": {ev}, "agent": {"@bo"}, "tags": {"ignored"}}, c); rec.Code != http.StatusSeeOther {
		t.Fatalf("assign: %d", rec.Code)
	}
	if got := f.asked[0]; got.ID != ev || got.Source != desk.SourceDashboard || got.User.ID != "A1" || got.Platform != "slack" || got.Ticket != 1 ||
		got.Action != "assign" || len(got.Form) != 1 || got.Form["agent"] != "@bo" {
		t.Errorf("the step asked: %+v", got)
	}

	f.set("slack/A1", false)
	rec := serve(h, "GET", "/dashboard", nil, c)
	if rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "mine") {
		t.Errorf("removed from triage: %d, want 403 and no data", rec.Code)
	}
	if rec := serve(h, "GET", "/dashboard/tickets/1", nil, c); rec.Code != http.StatusForbidden {
		t.Errorf("removed from triage, a ticket page: %d", rec.Code)
	}
	forged := &http.Cookie{Name: c.Name, Value: "made-up"}
	if rec := serve(h, "GET", "/dashboard", nil, forged); rec.Code != http.StatusUnauthorized {
		t.Errorf("a made-up session: %d", rec.Code)
	}
}

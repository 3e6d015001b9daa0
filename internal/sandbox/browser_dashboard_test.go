package sandbox

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/threadesk/threadesk/internal/browsertest"
	"github.com/threadesk/threadesk/internal/desk"
)

// The Dashboard button of the triage channel signs the agent being played in: it runs
// "/desk dashboard" as them, and the new tab it opens goes to the sign-in link the app answers
// with (the page it left cannot reach back into). An answer without a link closes the tab and
// says why; a browser that blocks the tab gets the link beside the button.
func TestPageDashboardButton(t *testing.T) {
	f := newFixture(t)
	mux := http.NewServeMux()
	mux.Handle("/sandbox", f.h)
	mux.Handle("/sandbox/", f.h)
	// Where the link leads: a stand-in for the app's sign-in page.
	mux.HandleFunc("GET /dashboard/signin", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>Sign in</title><p data-testid="token">` + html.EscapeString(r.URL.Query().Get("token")) + `</p>`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	bob := f.user(t, "Bob", RoleAgent)
	cy := f.user(t, "Cy", RoleAgent)
	p := browsertest.Open(t, 10*time.Second)
	p.Do("open the page", chromedp.Navigate(srv.URL+"/sandbox"))
	p.WaitFor("the live stream", `document.querySelector('[data-testid="connection"]').dataset.state === "live"`)
	button := `document.querySelector('[data-testid="agent-dashboard"]')`
	p.WaitFor("the Dashboard button for Bob", button+`.getAttribute("aria-label") === "Open the dashboard signed in as Bob" && `+button+`.offsetParent !== null`)
	if got := p.Eval(button + `.textContent`); got != "Dashboard ↗" {
		t.Errorf("the button says %q", got)
	}
	answer := func(user, text string) {
		t.Helper()
		if _, err := f.sb.Post(context.Background(), desk.Outgoing{Channel: TriageChannel, Ephemeral: user, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	link := srv.URL + "/dashboard/signin?token=tok-1_x"

	// A click opens a tab at once, runs the command as Bob, and sends the tab to the link.
	opened := chromedp.WaitNewTarget(p.Ctx, func(*target.Info) bool { return true })
	p.Do("click Dashboard", chromedp.Click(chromedp.CSS(`[data-testid="agent-dashboard"]`)))
	ev := f.event(t, desk.CommandRun)
	if ev.Text != "dashboard" || ev.User.ID != bob || ev.Channel != TriageChannel {
		t.Errorf("the button ran %q as %s in %s, want dashboard as Bob (%s) in the triage channel", ev.Text, ev.User.ID, ev.Channel, bob)
	}
	p.WaitFor("the button waiting", button+`.dataset.state === "asking" && `+button+`.disabled`)
	answer(bob, "Your sign-in link to the dashboard, for you only: "+link+"\nIt works once, within 10 minutes.")
	var id target.ID
	select {
	case id = <-opened:
	case <-time.After(10 * time.Second):
		t.Fatal("no tab opened")
	}
	tabCtx, closeTab := chromedp.NewContext(p.Ctx, chromedp.WithTargetID(id))
	defer closeTab()
	tab := &browsertest.Page{T: t, Ctx: tabCtx, Wait: 10 * time.Second}
	waitThrough(tab, "the tab at the sign-in link", `location.href === `+strconv.Quote(link)+` && document.querySelector('[data-testid="token"]')?.textContent === "tok-1_x"`)
	if got := tab.Eval(`String(window.opener)`); got != "null" {
		t.Errorf("the dashboard's tab can reach the sandbox page: opener %s", got)
	}
	front(p)
	p.WaitFor("the button ready again", button+`.dataset.state === "idle" && !`+button+`.disabled`)
	if got := p.Eval(`[...document.querySelectorAll('[data-testid="triage-ephemeral"] [data-testid="message-text"]')].map(e => e.textContent).join("|")`); got != "Your sign-in link to the dashboard, for you only: "+link+"\nIt works once, within 10 minutes." {
		t.Errorf("the answer under the triage channel: %q", got)
	}

	// An answer without a link: the tab closes, and the page says why.
	closing := chromedp.WaitNewTarget(p.Ctx, func(*target.Info) bool { return true })
	p.Do("click Dashboard again", chromedp.Click(chromedp.CSS(`[data-testid="agent-dashboard"]`)))
	f.event(t, desk.CommandRun)
	var second target.ID
	select {
	case second = <-closing:
	case <-time.After(10 * time.Second):
		t.Fatal("no tab opened")
	}
	// Chromium holds a new tab until a debugger that watches the browser attaches to it.
	secondCtx, closeSecond := chromedp.NewContext(p.Ctx, chromedp.WithTargetID(second))
	defer closeSecond()
	(&browsertest.Page{T: t, Ctx: secondCtx, Wait: 10 * time.Second}).WaitFor("the tab saying what it waits for", `document.body.textContent === "Asking Threadesk for a sign-in link for Bob…"`)
	answer(bob, "The dashboard is not served by this app.")
	front(p)
	p.WaitFor("the reason", `[...document.querySelectorAll('[data-testid="error"]')].some(e => e.textContent.includes("No sign-in link for Bob: The dashboard is not served by this app."))`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ts, err := chromedp.Targets(p.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		open := false
		for _, ti := range ts {
			open = open || ti.TargetID == second
		}
		if !open {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the tab of an answer without a link stays open")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A browser that blocks the new tab: the link is offered beside the button, for Cy now.
	p.Do("play Cy", chromedp.Click(chromedp.CSS(`[data-testid="agent-tab"][data-user-id="`+cy+`"]`)))
	p.WaitFor("the button for Cy", button+`.getAttribute("aria-label") === "Open the dashboard signed in as Cy"`)
	p.Do("block new tabs", chromedp.Evaluate[chromedp.Void](`window.open = () => null`))
	p.Do("click Dashboard as Cy", chromedp.Click(chromedp.CSS(`[data-testid="agent-dashboard"]`)))
	if ev := f.event(t, desk.CommandRun); ev.User.ID != cy {
		t.Errorf("the command ran as %s, want Cy (%s)", ev.User.ID, cy)
	}
	answer(cy, "Your sign-in link to the dashboard, for you only: "+srv.URL+"/dashboard/signin?token=tok-2\nIt works once, within 10 minutes.")
	offered := `document.querySelector('[data-testid="agent-dashboard-link"]')`
	p.WaitFor("the link offered", `!`+offered+`.hidden && `+offered+`.href === `+strconv.Quote(srv.URL+"/dashboard/signin?token=tok-2"))
	if got := p.Eval(offered + `.textContent + "|" + ` + offered + `.rel + "|" + ` + offered + `.target`); got != "Sign-in link for Cy ↗|noopener noreferrer|_blank" {
		t.Errorf("the offered link: %q", got)
	}
	p.Do("play Bob", chromedp.Click(chromedp.CSS(`[data-testid="agent-tab"][data-user-id="`+bob+`"]`)))
	p.WaitFor("Cy's link gone with Cy", offered+`.hidden`)
}

// waitThrough waits until a JavaScript expression is true in a tab that may be navigating
// meanwhile: an evaluation that meets a page going away is tried again.
func waitThrough(p *browsertest.Page, what, expr string) {
	p.T.Helper()
	deadline := time.Now().Add(p.Wait)
	for {
		ok, err := chromedp.Run(p.Ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.T.Fatalf("waiting for %s (%s): %v", what, expr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// front brings p's tab to the front again after another was opened: a tab in the background
// draws no frames, and the page's waits poll at each frame.
func front(p *browsertest.Page) {
	p.T.Helper()
	if _, err := chromedp.Call(p.Ctx, page.BringToFront, cdp.Empty{}); err != nil {
		p.T.Fatalf("bring the tab to the front: %v", err)
	}
}

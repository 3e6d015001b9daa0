package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/threadesk/threadesk/internal/browsertest"
)

// The dashboard in real Chromium, against the running app in the sandbox (real core, real
// Redis): signing in from the sandbox's Dashboard button, what a customer and a used link
// meet, the queue and the ticket page following changes live, an action from the page
// reaching chat, the history of a ticket that went through everything, filters, search, the
// CSV, the keyboard and a phone's width. The README's pictures of the dashboard are made here
// (docs/dashboard-*.png, with THREADESK_SCREENSHOT set).

// liveWithin is how soon a change must show in an open dashboard page, without a reload.
const liveWithin = 2 * time.Second

// jsWait waits until a JavaScript expression is true in p's tab. Unlike Page.WaitFor it polls
// on a timer, not at each frame, so it works in a tab in the background (which draws no
// frames) and across a navigation (an evaluation that meets the page going away is tried
// again).
func jsWait(p *browsertest.Page, what, expr string) {
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
		time.Sleep(25 * time.Millisecond)
	}
}

// front brings p's tab to the front, as a person switching tabs does.
func front(p *browsertest.Page) {
	p.T.Helper()
	if _, err := chromedp.Call(p.Ctx, page.BringToFront, cdp.Empty{}); err != nil {
		p.T.Fatalf("bring the tab to the front: %v", err)
	}
}

// openedTab returns the tab that p's page opens while do runs (a link or window.open).
func openedTab(p *browsertest.Page, do func()) *browsertest.Page {
	p.T.Helper()
	opened := chromedp.WaitNewTarget(p.Ctx, func(*target.Info) bool { return true })
	do()
	select {
	case id, ok := <-opened:
		if !ok {
			p.T.Fatal("no new tab: the page's tab is gone")
		}
		ctx, cancel := chromedp.NewContext(p.Ctx, chromedp.WithTargetID(id))
		p.T.Cleanup(cancel)
		return &browsertest.Page{T: p.T, Ctx: ctx, Wait: p.Wait}
	case <-time.After(p.Wait):
		p.T.Fatal("no new tab opened")
	}
	return nil
}

// dashSignIn signs who in to the dashboard in p's tab as a person does: the link of their
// /desk dashboard answer, then its Sign in button.
func dashSignIn(t *testing.T, a *app, p *browsertest.Page, who sbUser) {
	t.Helper()
	link := signinLink.FindString(a.command(who, "/desk dashboard"))
	if link == "" {
		t.Fatalf("no sign-in link for %s", who.Name)
	}
	p.Do("open the sign-in link", chromedp.Navigate(link))
	jsWait(p, "the sign-in button", `document.querySelector('[data-testid="signin"]')?.textContent === `+strconv.Quote("Sign in as "+who.Name))
	p.Do("press Sign in", chromedp.Click(chromedp.CSS(`[data-testid="signin"]`)))
	jsWait(p, "the queue", `location.pathname === "/dashboard" && !!document.querySelector('[data-testid="queue"]')`)
}

// userNamed returns the sandbox person called name.
func (a *app) userNamed(name string) sbUser {
	a.t.Helper()
	for _, u := range a.state().Users {
		if u.Name == name {
			return u
		}
	}
	a.t.Fatalf("nobody called %s in the sandbox", name)
	return sbUser{}
}

// TestDashboardFromSandboxInBrowser: a newcomer's way in. In the sandbox page a customer who
// asks for the dashboard is refused; the agent's Dashboard button opens a tab at the sign-in
// link, whose Sign in as NAME button starts the session; the link used (or made up) shows a
// page saying so. The open queue shows a new ticket, and the open ticket page a customer's
// new message, within 2 s without reloading; Resolve on the page reaches the card in the
// triage channel and the customer's DM.
func TestDashboardFromSandboxInBrowser(t *testing.T) {
	a := startApp(t, nil)
	sb := browsertest.Open(t, waitTimeout)
	q := strconv.Quote
	dm := `[data-testid="dm-pane"][data-selected="true"] `
	dmTexts := `[...document.querySelectorAll(` + q(dm+`[data-testid="message"]`) + `)].map(m => m.querySelector('[data-testid="message-text"]')?.textContent ?? "")`

	sb.Do("open the sandbox", chromedp.Navigate(a.URL+"/sandbox"))
	jsWait(sb, "the live stream", `document.querySelector('[data-testid="connection"]')?.dataset.state === "live"`)
	sb.Do("add the customer Ada",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="customer-name"]`), "Ada"),
		chromedp.Click(chromedp.CSS(`[data-testid="customer-create"]`)),
	)
	jsWait(sb, "Ada's DM", `document.querySelector(`+q(dm)+`)?.dataset.userName === "Ada"`)
	sb.Do("add the agent Ann",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="agent-name"]`), "Ann"),
		chromedp.Click(chromedp.CSS(`[data-testid="agent-create"]`)),
	)
	jsWait(sb, "Ann's triage channel", `!!document.querySelector('[data-testid="agent-tab"][data-user-name="Ann"][aria-selected="true"]') && !document.querySelector('[data-testid="triage"]').hidden`)
	sb.Do("write as Ada",
		chromedp.SendKeys(chromedp.CSS(dm+`[data-testid="dm-input"]`), "the printer is on fire"),
		chromedp.Click(chromedp.CSS(dm+`[data-testid="dm-send"]`)),
	)
	jsWait(sb, "the ticket's card", `document.querySelector('[data-testid="thread"] [data-testid="card-title"]')?.textContent.includes("#1")`)

	// The customer asks for the dashboard in her DM: refused, with no link.
	sb.Do("run /desk dashboard as Ada",
		chromedp.SendKeys(chromedp.CSS(dm+`[data-testid="dm-input"]`), "/desk dashboard"),
		chromedp.Click(chromedp.CSS(dm+`[data-testid="dm-send"]`)),
	)
	refusal := `[...document.querySelectorAll(` + q(dm+`[data-testid="message"][data-ephemeral="true"] [data-testid="message-text"]`) + `)].map(e => e.textContent).join("|")`
	jsWait(sb, "the refusal in Ada's DM", refusal+`.includes("for support agents")`)
	if got := sb.Eval(refusal); strings.Contains(got, "/dashboard/signin") {
		t.Errorf("the customer got a sign-in link: %q", got)
	}

	// Ann's Dashboard button opens a tab at her sign-in link; its button signs her in.
	button := `document.querySelector('[data-testid="agent-dashboard"]')`
	jsWait(sb, "the Dashboard button for Ann", button+`?.getAttribute("aria-label") === "Open the dashboard signed in as Ann" && `+button+`.offsetParent !== null`)
	d := openedTab(sb, func() {
		sb.Do("press Dashboard", chromedp.Click(chromedp.CSS(`[data-testid="agent-dashboard"]`)))
	})
	jsWait(d, "the sign-in page", `location.pathname === "/dashboard/signin" && document.querySelector('[data-testid="signin"]')?.textContent === "Sign in as Ann"`)
	link := d.Eval(`location.href`)
	if !signinLink.MatchString(link) {
		t.Errorf("the tab opened %q, want a sign-in link", link)
	}
	d.Do("press Sign in as Ann", chromedp.Click(chromedp.CSS(`[data-testid="signin"]`)))
	row := func(n int) string {
		return `document.querySelector('[data-testid="queue"] tr[data-ticket="#` + strconv.Itoa(n) + `"]')`
	}
	jsWait(d, "the queue with ticket 1", `location.pathname === "/dashboard" && !!`+row(1))
	if got := d.Eval(`document.querySelector('[data-testid="viewer"]').textContent`); got != "Ann" {
		t.Errorf("signed in as %q, want Ann", got)
	}
	if got := d.Eval(row(1) + `.querySelector('td[data-label="Subject"] a').textContent`); got != "the printer is on fire" {
		t.Errorf("ticket 1's subject in the queue: %q", got)
	}

	// The link once more, and a link nobody made: a page saying so, with no button.
	for _, l := range []string{link, a.URL + "/dashboard/signin?token=made-up"} {
		d.Do("open "+l, chromedp.Navigate(l))
		jsWait(d, "the page of a used link", `document.querySelector('[data-testid="error"]')?.textContent.includes("This sign-in link is unknown, used or expired.")`)
		if got := d.Eval(`String(!!document.querySelector('[data-testid="signin"]'))`); got != "false" {
			t.Errorf("%s still offers to sign in", l)
		}
	}

	// The queue, open, shows a new ticket without reloading.
	d.Do("open the queue", chromedp.Navigate(a.URL+"/dashboard"))
	jsWait(d, "the queue live", `document.querySelector('#queue [data-testid="live"]')?.textContent === "live"`)
	d.Do("mark the page", chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	cy := a.user("Cy", "customer")
	sent := time.Now()
	a.say(cy, "the VPN drops every hour", "")
	jsWait(d, "ticket 2 in the open queue", `!!`+row(2)+` && `+row(2)+`.textContent.includes("the VPN drops every hour")`)
	if took := time.Since(sent); took > liveWithin {
		t.Errorf("the new ticket showed in the open queue %v after the customer wrote, want within %v", took.Round(time.Millisecond), liveWithin)
	} else {
		t.Logf("the new ticket showed in the open queue %v after the customer wrote", took.Round(time.Millisecond))
	}
	if got := d.Eval(`String(window.notReloaded) + " " + document.querySelector('[data-testid="total"]').textContent`); got != "true 2" {
		t.Errorf("after the live update: %q, want the same page (not reloaded) counting 2 tickets", got)
	}

	// The ticket page, open, shows the customer's new message without reloading.
	d.Do("open ticket 1", chromedp.Click(chromedp.CSS(`tr[data-ticket="#1"] td[data-label="#"] a`)))
	jsWait(d, "ticket 1's page live", `location.pathname === "/dashboard/tickets/1" && document.querySelector('#ticket [data-testid="live"]')?.textContent === "live"`)
	d.Do("mark the page", chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	history := `[...document.querySelectorAll('[data-testid="history"] li')].map(li => li.dataset.kind + ": " + li.querySelector(".text").textContent)`
	sent = time.Now()
	a.say(a.userNamed("Ada"), "now it is smoking", "")
	jsWait(d, "the new message in the open ticket page", history+`.includes("customer: now it is smoking")`)
	if took := time.Since(sent); took > liveWithin {
		t.Errorf("the message showed on the open ticket page %v after the customer wrote, want within %v", took.Round(time.Millisecond), liveWithin)
	} else {
		t.Logf("the message showed on the open ticket page %v after the customer wrote", took.Round(time.Millisecond))
	}
	if got := d.Eval(`String(window.notReloaded)`); got != "true" {
		t.Error("the ticket page reloaded to show the message")
	}

	// Resolve on the page: the page says so, and the card and the customer's DM follow.
	d.Do("press Resolve", chromedp.Click(chromedp.CSS(`[data-testid="step-resolve"]`)))
	jsWait(d, "the resolved ticket", `document.querySelector('[data-testid="status"]')?.textContent === "resolved" && !!document.querySelector('[data-testid="flash"]')`)
	t.Logf("the page says: %q", d.Eval(`document.querySelector('[data-testid="flash"]').textContent`))
	if got := d.Eval(history + `.filter(h => h.startsWith("status: ")).join(" | ")`); !strings.Contains(got, "→ resolved") {
		t.Errorf("the history's status changes: %q, want one to resolved", got)
	}
	front(sb)
	status := `(document.querySelector('[data-testid="thread"] [data-testid="thread-root"] [data-testid="card-field"][data-label="Status"] dd')?.textContent ?? "")`
	jsWait(sb, "the card resolved", status+` === "resolved"`)
	jsWait(sb, "the resolved notice in Ada's DM", dmTexts+`.some(t => t.includes("Ticket #1 is resolved"))`)
}

// dashScreenshot saves the page, at a laptop's size, as name: next to THREADESK_SCREENSHOT
// when that is set (a path relative to the repository, as the README writes it, or
// absolute), else in the test's temporary directory.
func dashScreenshot(t *testing.T, p *browsertest.Page, name string) {
	t.Helper()
	front(p)
	p.Do("a laptop's viewport", chromedp.EmulateViewport(1280, 800))
	shot, err := chromedp.Run(p.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.TempDir(), name)
	if env := os.Getenv(envScreenshot); env != "" {
		dir := filepath.Dir(env)
		if !filepath.IsAbs(dir) {
			dir = filepath.Join("..", "..", dir) // go test runs in cmd/threadesk
		}
		path = filepath.Join(dir, name)
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// dashDeskPolicy is the desk of the history test: the first-line bot of botPolicy (a Billing
// category with a question, articles suggested first) and a first-response target of 4
// seconds, reminded at half of it (as slaSecondsPolicy).
const dashDeskPolicy = `language: en
categories:
  - name: Billing
    description: Invoices, payments, refunds
    questions:
      - {id: invoice, ask: "What is the invoice number?"}
  - name: Technical
    description: Errors and crashes
intake: {enabled: true, timeout: 10m, suggest: true}
sla:
  normal: {first_response: 4s, resolution: 1h, business_hours: false}
  remind_at: 50%
`

// dashSandbox is the sandbox's state as the history test reads it: cards with their buttons,
// and open forms.
type dashSandbox struct {
	Messages []struct {
		ID        string `json:"id"`
		Channel   string `json:"channel"`
		Thread    string `json:"thread"`
		Text      string `json:"text"`
		Ephemeral string `json:"ephemeral"`
		Card      *struct {
			Title   string `json:"title"`
			Actions []struct {
				ID    string `json:"id"`
				Label string `json:"label"`
				Value string `json:"value"`
			} `json:"actions"`
		} `json:"card"`
	} `json:"messages"`
	Forms []struct {
		ID     string `json:"id"`
		User   string `json:"user"`
		FormID string `json:"formId"`
	} `json:"forms"`
}

func (a *app) dashSandbox() dashSandbox {
	a.t.Helper()
	status, _, body := a.get("/sandbox/api/state")
	var s dashSandbox
	if err := json.Unmarshal(body, &s); status != http.StatusOK || err != nil {
		a.t.Fatalf("the sandbox's state: %d %v", status, err)
	}
	return s
}

// press clicks, as u, the newest button labelled label on a card in u's DM.
func (a *app) press(u sbUser, label string) {
	a.t.Helper()
	var msg, action, value string
	eventually(a.t, "a "+label+" button in "+u.Name+"'s DM", func() (bool, string) {
		s := a.dashSandbox()
		for i := len(s.Messages) - 1; i >= 0; i-- {
			m := s.Messages[i]
			if m.Channel != u.DM || m.Card == nil {
				continue
			}
			for _, b := range m.Card.Actions {
				if b.Label == label {
					msg, action, value = m.ID, b.ID, b.Value
					return true, ""
				}
			}
		}
		return false, "none"
	})
	a.mustPost("/sandbox/api/actions", map[string]string{"user": u.ID, "message": msg, "action": action, "value": value}, http.StatusOK, nil)
}

// waitText waits until a message of the app in channel (and thread, if set) contains text.
func (a *app) waitText(what, channel, thread, text string) {
	a.t.Helper()
	eventually(a.t, what, func() (bool, string) {
		for _, m := range a.state().Messages {
			if m.Channel == channel && (thread == "" || m.Thread == thread) && strings.Contains(m.Text, text) {
				return true, ""
			}
		}
		return false, "not yet"
	})
}

// TestDashboardTicketHistoryInBrowser: the ticket page of a ticket that went through
// everything shows all of it, in order, each line with who and when: the customer's messages
// (the first one, that reached the bot, and the answer to its question too), the bot's intake
// (the category; the answers and the articles suggested beside the history), the SLA reminder and breach of a 4-second target,
// the agent's reply, an internal note marked as such, the customer's edit and deletion, the
// assignment, tag and priority changes, the status changes, the rating and its comment. The
// page at a laptop's size is docs/dashboard-ticket.png (with THREADESK_SCREENSHOT set).
func TestDashboardTicketHistoryInBrowser(t *testing.T) {
	_, kbPath := botDeskFiles(t)
	a := startApp(t, map[string]string{"DESK_CONFIG": slaWriteFile(t, dashDeskPolicy), "KB_PATH": kbPath})
	ann := a.user("Ann Agent", "agent")
	a.user("Bob Builder", "agent")
	ada := a.user("Ada Lovelace", "customer")

	// The bot: an article suggested, a person still needed, the Billing category, its question.
	a.say(ada, "my invoice is wrong", "")
	a.press(ada, botHuman)
	a.press(ada, "Billing")
	a.waitText("the bot's question", ada.DM, "", botInvoiceAsk)
	a.say(ada, "INV-42", "")
	var card string
	eventually(t, "the ticket's card", func() (bool, string) {
		for _, m := range a.state().Messages {
			if m.Card != nil && m.Channel == "triage" && m.Thread == "" {
				card = m.ID
				return true, ""
			}
		}
		return false, "no card"
	})

	// Nobody answers: the first response's reminder, then its breach.
	a.waitText("the breach alert", "triage", card, slaBreachText("", "1", "first response"))

	// The agent answers, notes; the customer corrects a message and takes another back.
	a.say(ann, "Could you send the invoice's date?", card)
	a.say(ann, "// billing shows INV-42 twice", card)
	a.waitText("the answer in the DM", ada.DM, "", "Could you send the invoice's date?")
	dated := a.say(ada, "It is dated March 3", "")
	a.waitText("the message in the thread", "triage", card, "It is dated March 3")
	a.mustPost("/sandbox/api/messages/"+dated.ID+"/edit", map[string]string{"user": ada.ID, "text": "It is dated March 4"}, http.StatusOK, nil)
	a.waitText("the edit in the thread", "triage", card, "It is dated March 4")
	wrong := a.say(ada, "sorry, wrong chat", "")
	a.waitText("the message in the thread", "triage", card, "sorry, wrong chat")
	a.mustPost("/sandbox/api/messages/"+wrong.ID+"/delete", map[string]string{"user": ada.ID}, http.StatusOK, nil)
	eventually(t, "the deletion in the thread", func() (bool, string) {
		for _, m := range a.state().Messages {
			if m.Channel == "triage" && strings.Contains(m.Text, "sorry, wrong chat") && !m.Deleted {
				return false, "still there"
			}
		}
		return true, ""
	})

	// Triage from chat, then the customer's rating and comment.
	for _, c := range []string{"/desk assign 1 @bob.builder", "/desk tag 1 refund", "/desk priority 1 high", "/desk resolve 1"} {
		t.Logf("%s: %s", c, a.command(ann, c))
	}
	a.press(ada, "4")
	a.press(ada, "Add a comment")
	var form string
	eventually(t, "the comment form", func() (bool, string) {
		for _, f := range a.dashSandbox().Forms {
			if f.User == ada.ID {
				form = f.ID
				return true, ""
			}
		}
		return false, "no form"
	})
	a.mustPost("/sandbox/api/forms/"+form+"/submit", map[string]any{"user": ada.ID, "values": map[string]string{"comment": "Quick and kind"}}, http.StatusOK, nil)

	p := browsertest.Open(t, waitTimeout)
	dashSignIn(t, a, p, ann)
	p.Do("open ticket 1", chromedp.Navigate(a.URL+"/dashboard/tickets/1"))
	jsWait(p, "the comment in the history", `[...document.querySelectorAll('[data-testid="history"] li')].some(li => li.textContent.includes("Quick and kind"))`)
	var entries []struct {
		Kind     string `json:"kind"`
		Internal bool   `json:"internal"`
		At       string `json:"at"`
		Who      string `json:"who"`
		Text     string `json:"text"`
	}
	raw := p.Eval(`JSON.stringify([...document.querySelectorAll('[data-testid="history"] li')].map(li => ({
		kind: li.dataset.kind, internal: li.classList.contains("internal"),
		at: li.querySelector("time")?.getAttribute("datetime") ?? "",
		who: li.querySelector(".meta strong")?.textContent ?? "", text: li.querySelector(".text")?.textContent ?? ""})))`)
	if err := json.Unmarshal([]byte(raw), &entries); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i, e := range entries {
		lines = append(lines, e.Kind+" · "+e.Who+" · "+e.Text)
		if e.At == "" {
			t.Errorf("history line %d (%s) has no time", i, e.Text)
		}
		if i > 0 && e.At < entries[i-1].At {
			t.Errorf("history line %d (%s at %s) comes after one at %s", i, e.Text, e.At, entries[i-1].At)
		}
	}
	t.Logf("the history:\n%s", strings.Join(lines, "\n"))
	has := func(kind, who, text string) {
		t.Helper()
		for _, e := range entries {
			if e.Kind == kind && (who == "" || e.Who == who) && strings.Contains(e.Text, text) {
				return
			}
		}
		t.Errorf("no %s line by %q saying %q in the history", kind, who, text)
	}
	has("customer", "Ada Lovelace", "my invoice is wrong")
	has("intake", "Ada Lovelace", "category: Billing")
	has("customer", "Ada Lovelace", "INV-42")
	has("sla", "", "first_response at risk")
	has("sla", "", "first_response breached")
	has("agent", "Ann Agent", "Could you send the invoice's date?")
	has("note", "Ann Agent", "billing shows INV-42 twice")
	has("customer", "Ada Lovelace", "It is dated March 3")
	has("edit", "Ada Lovelace", "It is dated March 4")
	has("customer", "Ada Lovelace", "sorry, wrong chat")
	has("delete", "Ada Lovelace", "")
	has("action", "Ann Agent", "assigned to Bob Builder")
	has("action", "Ann Agent", "tag")
	has("action", "Ann Agent", "priority")
	has("status", "Ada Lovelace", "intake → new")
	has("status", "Ann Agent", "new → open")
	has("status", "Ann Agent", "→ resolved")
	has("action", "Ada Lovelace", "rated 4/5")
	has("rating", "Ada Lovelace", "comment: Quick and kind")
	for _, e := range entries {
		if (e.Kind == "note") != e.Internal {
			t.Errorf("the %s line %q is marked internal: %v", e.Kind, e.Text, e.Internal)
		}
	}
	if got := p.Eval(`[...document.querySelectorAll('[data-testid="history"] li.internal .badge')].map(b => b.textContent).join("|")`); got != "internal note" {
		t.Errorf("the note's badge: %q", got)
	}

	// The facts beside it: the intake's answers, the articles suggested, the SLA, the rating.
	facts := map[string]string{
		"answers":   "What is the invoice number?INV-42",
		"suggested": "find-invoices",
		"rating":    "4/5 · “Quick and kind”",
		"assignee":  "Bob Builder",
		"priority":  "high",
		"tags":      "refund",
		"status":    "resolved",
	}
	for id, want := range facts {
		if got := p.Eval(`document.querySelector('[data-testid="` + id + `"]')?.textContent.trim() ?? ""`); !strings.Contains(got, want) {
			t.Errorf("%s shows %q, want %q", id, got, want)
		}
	}
	if got := p.Eval(`document.querySelector('[data-testid="clocks"]')?.textContent ?? ""`); !strings.Contains(strings.ToLower(got), "breached") {
		t.Errorf("the SLA clocks show %q, want the first response breached", got)
	}
	dashScreenshot(t, p, "dashboard-ticket.png")
}

// TestDashboardQueueInBrowser: the queue of an agent (a lead) with five tickets in different
// states. Search and each filter of the form narrow it, its CSV link downloads the tickets of
// the filter (fetched in the page, with the page's session) as a CSV with a row per ticket;
// every control of the queue and of a ticket page has a label; the keyboard alone reaches the
// filters and applies them, keeps its place on a ticket's link while the queue updates live,
// and reaches a ticket's action buttons and presses one, the focus always showing; at a
// phone's width (390 px) no page is wider than the screen. The queue and the statistics at a
// laptop's size are docs/dashboard-queue.png and docs/dashboard-stats.png (with
// THREADESK_SCREENSHOT set).
func TestDashboardQueueInBrowser(t *testing.T) {
	a := startApp(t, nil)
	var ann sbUser
	a.mustPost("/sandbox/api/users", map[string]any{"name": "Ann Agent", "role": "agent", "lead": true}, http.StatusCreated, &ann)
	a.user("Bob Builder", "agent")
	subjects := []struct{ customer, text string }{
		{"Ada Lovelace", "the printer is on fire"},
		{"Cy Twombly", "the VPN drops every hour"},
		{"Dee Dee", "my invoice is wrong twice"},
		{"Eve Online", "cannot log in since Monday"},
		{"Fay Wray", "how do I export my data?"},
	}
	customers := map[string]sbUser{}
	for i, s := range subjects {
		u := a.user(s.customer, "customer")
		customers[s.customer] = u
		a.say(u, s.text, "")
		eventually(t, "the card of ticket "+strconv.Itoa(i+1), func() (bool, string) {
			return len(a.state().find(func(m sbMessage) bool { return m.Card != nil && m.Thread == "" && m.Channel == "triage" })) == i+1, "not yet"
		})
	}
	for _, c := range []string{
		"/desk claim 1", "/desk priority 2 urgent", "/desk tag 3 refund", "/desk assign 4 @bob.builder",
		"/desk pending 4", "/desk claim 5", "/desk resolve 5",
	} {
		if got := a.command(ann, c); !strings.HasPrefix(got, "✅") {
			t.Fatalf("%s: %s", c, got)
		}
	}
	a.press(customers["Fay Wray"], "5")

	p := browsertest.Open(t, waitTimeout)
	dashSignIn(t, a, p, ann)
	q := strconv.Quote
	rows := `[...document.querySelectorAll('[data-testid="queue"] tbody tr[data-ticket]')].map(r => r.dataset.ticket).join(" ")`
	// sorted is the rows by number, whatever their order.
	sorted := `[...document.querySelectorAll('[data-testid="queue"] tbody tr[data-ticket]')].map(r => r.dataset.ticket).sort().join(" ")`
	jsWait(p, "the four active tickets, newest first", rows+` === "#4 #3 #2 #1"`)
	dashScreenshot(t, p, "dashboard-queue.png")

	// Search and each filter, through the form as a person uses it.
	apply := func(what string, set chromedp.Action[chromedp.Void], want string) {
		t.Helper()
		p.Do("clear the filters", chromedp.Navigate(a.URL+"/dashboard"))
		jsWait(p, "the whole queue", sorted+` === "#1 #2 #3 #4"`)
		p.Do(what, set, chromedp.Click(chromedp.CSS(`[data-testid="apply"]`)))
		jsWait(p, what, `location.search !== "" && `+sorted+` === `+q(want))
		if got := p.Eval(`document.querySelector('[data-testid="total"]').textContent`); got != strconv.Itoa(len(strings.Fields(want))) {
			t.Errorf("%s: the total says %s, the rows are %q", what, got, want)
		}
	}
	check := func(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }
	apply("search for vpn", chromedp.SendKeys(chromedp.CSS(`[data-testid="search"]`), "vpn"), "#2")
	apply("search for a customer's name", chromedp.SendKeys(chromedp.CSS(`[data-testid="search"]`), "lovelace"), "#1")
	apply("priority urgent", chromedp.SetValue(chromedp.CSS(`[data-testid="filter-priority"]`), "urgent"), "#2")
	apply("status pending", check(`input[name="status"][value="pending"]`), "#4")
	apply("status resolved", check(`input[name="status"][value="resolved"]`), "#5")
	apply("tag refund", chromedp.SendKeys(chromedp.CSS(`input[name="tag"]`), "refund"), "#3")
	apply("mine", check(`input[name="mine"]`), "#1")
	apply("unassigned", check(`input[name="unassigned"]`), "#2 #3")

	if got := p.Eval(`new URL(document.querySelector('[data-testid="csv"]').href).search`); got != "?unassigned=1" {
		t.Errorf("the CSV link's query is %q, want ?unassigned=1, the filter of the page (%s)", got, p.Eval(`location.search`))
	}

	// The CSV of the filter, downloaded with the page's session, one row per ticket.
	var csvResp struct {
		Status      int    `json:"status"`
		Type        string `json:"type"`
		Disposition string `json:"disposition"`
		Body        string `json:"body"`
	}
	raw, err := chromedp.Run(p.Ctx, chromedp.Evaluate[string](`fetch(document.querySelector('[data-testid="csv"]').href).then(async r =>
		JSON.stringify({status: r.status, type: r.headers.get("Content-Type"), disposition: r.headers.get("Content-Disposition"), body: await r.text()}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(raw), &csvResp); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(strings.NewReader(csvResp.Body)).ReadAll()
	if err != nil || csvResp.Status != http.StatusOK || !strings.HasPrefix(csvResp.Type, "text/csv") || !strings.HasPrefix(csvResp.Disposition, "attachment") {
		t.Fatalf("the CSV: %d %q %q %v\n%s", csvResp.Status, csvResp.Type, csvResp.Disposition, err, csvResp.Body)
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[h] = i
	}
	for _, h := range []string{"number", "subject", "customer", "status", "priority", "assignee", "created_at"} {
		if _, ok := col[h]; !ok {
			t.Errorf("the CSV has no %s column: %q", h, records[0])
		}
	}
	var got []string
	for _, r := range records[1:] {
		got = append(got, r[col["number"]]+" "+r[col["status"]]+" "+r[col["subject"]])
	}
	slices.Sort(got)
	if want := []string{"2 new the VPN drops every hour", "3 new my invoice is wrong twice"}; !slices.Equal(got, want) {
		t.Errorf("the CSV of the unassigned tickets: %q, want %q", got, want)
	}

	// The keyboard alone: Tab reaches the search box and the filters, Enter applies them.
	p.Do("open the queue", chromedp.Navigate(a.URL+"/dashboard"))
	jsWait(p, "the whole queue", sorted+` === "#1 #2 #3 #4"`)
	focused := `(e => e === document.body ? "nothing (the page)" : e.dataset.testid || e.name || e.textContent.trim())(document.activeElement)`
	// outlined checks that the focus, on want, shows.
	outlined := func(want string) {
		t.Helper()
		if o := p.Eval(`(s => s.outlineStyle + " " + s.outlineWidth)(getComputedStyle(document.activeElement))`); strings.HasPrefix(o, "none") || strings.HasSuffix(o, " 0px") {
			t.Errorf("%s has the focus but no outline shows it (outline %s)", want, o)
		}
	}
	tabTo := func(want string, most int) {
		t.Helper()
		var seen []string
		for range most {
			p.Do("press Tab", chromedp.KeyEvent(kb.Tab))
			f := p.Eval(focused)
			seen = append(seen, f)
			if f == want {
				outlined(want)
				return
			}
		}
		t.Fatalf("Tab did not reach %s in %d presses: %q", want, most, seen)
	}
	// Every control of the page has a label that names it.
	unlabelled := `[...document.querySelectorAll("main input:not([type=hidden]), main select, main textarea")]
		.filter(e => !e.labels?.length && !e.getAttribute("aria-label") && !e.getAttribute("aria-labelledby")).map(e => e.outerHTML).join(" ")`
	if got := p.Eval(unlabelled); got != "" {
		t.Errorf("the queue's controls without a label: %s", got)
	}
	tabTo("search", 15)
	p.Do("type a search", chromedp.KeyEvent("printer"))
	tabTo("filter-priority", 15)
	tabTo("apply", 15)
	p.Do("press Enter", chromedp.KeyEvent(kb.Enter))
	jsWait(p, "the search applied by keyboard", rows+` === "#1"`)

	// A ticket changes while the focus is on its link in the queue: the live update keeps the
	// focus where it was, and Enter opens the ticket.
	tabTo("#1", 30)
	if got := a.command(ann, "/desk tag 1 printer"); !strings.HasPrefix(got, "✅") {
		t.Fatalf("tag 1: %s", got)
	}
	jsWait(p, "ticket 1's new tag in the queue, live", `document.querySelector('[data-ticket="#1"] td[data-label="Tags"]')?.textContent === "printer"`)
	if got := p.Eval(focused); got != "#1" {
		t.Errorf("after a live update of the queue the focus is on %q, not on ticket 1's link", got)
	}
	outlined("#1 after the live update")
	p.Do("press Enter", chromedp.KeyEvent(kb.Enter))
	jsWait(p, "ticket 1's page, opened by keyboard", `location.pathname === "/dashboard/tickets/1" && !!document.querySelector('[data-testid="status"]')`)

	// On a ticket page Tab reaches the action buttons; Enter presses one.
	p.Do("open ticket 2", chromedp.Navigate(a.URL+"/dashboard/tickets/2"))
	jsWait(p, "ticket 2's page", `document.querySelector('[data-testid="status"]')?.textContent === "new"`)
	if got := p.Eval(unlabelled); got != "" {
		t.Errorf("the ticket page's controls without a label: %s", got)
	}
	tabTo("step-claim", 25)
	p.Do("press Enter", chromedp.KeyEvent(kb.Enter))
	jsWait(p, "ticket 2 claimed by keyboard", `document.querySelector('[data-testid="assignee"]')?.textContent === "Ann Agent"`)
	for _, step := range []string{"step-pending", "step-resolve", "step-close", "assign-agent", "priority-select", "tags-input"} {
		tabTo(step, 15)
	}

	// The statistics, with the resolved and rated ticket.
	p.Do("open the statistics", chromedp.Navigate(a.URL+"/dashboard/stats"))
	jsWait(p, "the statistics", `!!document.querySelector('[data-testid="opened"]')`)
	if got := p.Eval(`document.querySelector('[data-testid="opened"]').textContent`); got != "5" {
		t.Errorf("the statistics count %s tickets opened, want 5", got)
	}
	dashScreenshot(t, p, "dashboard-stats.png")

	// A phone: no page is wider than its screen.
	p.Do("a phone's viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3)))
	for _, path := range []string{"/dashboard", "/dashboard?status=pending&status=new", "/dashboard/tickets/1", "/dashboard/stats"} {
		p.Do("open "+path, chromedp.Navigate(a.URL+path))
		jsWait(p, path+" drawn", `document.readyState === "complete" && !!document.querySelector("main h1")`)
		widths := p.Eval(`[window.innerWidth, document.documentElement.scrollWidth, document.body.scrollWidth].join(" ")`)
		var inner, doc, body int
		if _, err := fmt.Sscan(widths, &inner, &doc, &body); err != nil {
			t.Fatalf("read %q: %v", widths, err)
		}
		if inner != 390 || doc > inner || body > inner {
			t.Errorf("%s at a phone's width: the window is %d px, the page %d px, its body %d px wide; wider: %s", path, inner, doc, body,
				p.Eval(`[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right)).join(", ")`))
		}
	}
}

// TestDashboardPagesInBrowser: a filtered queue longer than a page (50 rows) keeps its filter
// from page to page: Next page shows the rest of the filtered tickets, Previous page the first
// 50 again, and the CSV link of either page downloads all of them.
func TestDashboardPagesInBrowser(t *testing.T) {
	a := startApp(t, nil)
	ann := a.user("Ann Agent", "agent")
	const n = 53
	for i := 1; i <= n; i++ {
		a.say(a.user("Customer "+strconv.Itoa(i), "customer"), "question number "+strconv.Itoa(i), "")
	}
	eventually(t, "every ticket's card", func() (bool, string) {
		got := len(a.state().find(func(m sbMessage) bool { return m.Card != nil && m.Thread == "" && m.Channel == "triage" }))
		return got == n, strconv.Itoa(got) + " cards"
	})
	if got := a.command(ann, "/desk claim 53"); !strings.HasPrefix(got, "✅") {
		t.Fatalf("claim: %s", got)
	}

	p := browsertest.Open(t, waitTimeout)
	dashSignIn(t, a, p, ann)
	count := `document.querySelectorAll('[data-testid="queue"] tbody tr[data-ticket]').length`
	first := `document.querySelector('[data-testid="queue"] tbody tr[data-ticket]')?.dataset.ticket`
	p.Do("the unassigned tickets", chromedp.Navigate(a.URL+"/dashboard?unassigned=1"))
	jsWait(p, "the first page: 50 of 52, from #52", count+` === 50 && `+first+` === "#52" && document.querySelector('[data-testid="total"]').textContent === "52"`)
	p.Do("press Next page", chromedp.Click(chromedp.CSS(`[data-testid="next"]`)))
	jsWait(p, "the second page: #2 and #1", `new URLSearchParams(location.search).get("page") === "2" && `+count+` === 2 && `+first+` === "#2"`)
	if got := p.Eval(`new URLSearchParams(location.search).get("unassigned")`); got != "1" {
		t.Errorf("the second page's address %q lost the filter", p.Eval(`location.search`))
	}
	raw, err := chromedp.Run(p.Ctx, chromedp.Evaluate[string](`fetch(document.querySelector('[data-testid="csv"]').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(strings.NewReader(raw)).ReadAll()
	if err != nil || len(records) != 53 {
		t.Errorf("the second page's CSV has %d lines (%v), want the header and the 52 unassigned tickets", len(records), err)
	}
	p.Do("press Previous page", chromedp.Click(chromedp.CSS(`[data-testid="prev"]`)))
	jsWait(p, "the first page again", count+` === 50 && `+first+` === "#52"`)
}

// TestDashboardChartsInBrowser: the statistics page after a few tickets draws its three
// charts with uPlot from the period's numbers: each chart has its points, the bars of the
// tickets opened are on the canvas in the page's accent colour, light and then dark when the
// system switches (the charts are drawn again in the dark palette), and the page writes no
// error to the console.
func TestDashboardChartsInBrowser(t *testing.T) {
	a := startApp(t, nil)
	var ann sbUser
	a.mustPost("/sandbox/api/users", map[string]any{"name": "Ann Agent", "role": "agent", "lead": true}, http.StatusCreated, &ann)
	for i, who := range []string{"Ada Lovelace", "Cy Twombly", "Dee Dee"} {
		a.say(a.user(who, "customer"), "question number "+strconv.Itoa(i+1), "")
		eventually(t, "the card of ticket "+strconv.Itoa(i+1), func() (bool, string) {
			return len(a.state().find(func(m sbMessage) bool { return m.Card != nil && m.Thread == "" && m.Channel == "triage" })) == i+1, "not yet"
		})
	}
	for _, c := range []string{"/desk claim 1", "/desk resolve 1", "/desk claim 2"} {
		if got := a.command(ann, c); !strings.HasPrefix(got, "✅") {
			t.Fatalf("%s: %s", c, got)
		}
	}

	p := browsertest.Open(t, waitTimeout)
	dashSignIn(t, a, p, ann)
	// Every console error of the tab (a script's, a refused resource's, the CSP's), from
	// here on.
	var (
		mu            sync.Mutex
		consoleErrors []string
	)
	ctx, stop := context.WithCancel(p.Ctx)
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				consoleErrors = append(consoleErrors, m.Text)
				mu.Unlock()
			}
		}
	}()
	defer func() { stop(); <-done }()

	p.Do("open the statistics of today", chromedp.Navigate(a.URL+"/dashboard/stats?period=today"))
	jsWait(p, "the five charts drawn", `document.querySelectorAll('[data-chart][data-drawn="true"] canvas').length === 5`)
	var chart struct {
		T        []int64 `json:"t"`
		Opened   []int   `json:"opened"`
		Resolved []int   `json:"resolved"`
		ByHour   []int   `json:"byHour"`
	}
	if err := json.Unmarshal([]byte(p.Eval(`document.getElementById("stats-chart-data").textContent`)), &chart); err != nil {
		t.Fatal(err)
	}
	sum := func(xs []int) (n int) {
		for _, x := range xs {
			n += x
		}
		return n
	}
	if len(chart.T) == 0 || sum(chart.Opened) != 3 || sum(chart.Resolved) != 1 || sum(chart.ByHour) != 3 {
		t.Errorf("the charts' numbers: %+v, want 3 opened and 1 resolved today", chart)
	}
	for _, name := range []string{"volume", "times", "hours", "satisfaction", "sla"} {
		want := strconv.Itoa(len(chart.T))
		if name == "hours" {
			want = "24"
		}
		if got := p.Eval(`document.querySelector('[data-chart="` + name + `"]').dataset.points`); got != want {
			t.Errorf("the %s chart drew %s points, want %s", name, got, want)
		}
	}
	// accentPixels counts the pixels of a chart's canvas in the page's accent colour (the
	// bars' outline), as the page's stylesheet has it now.
	accentPixels := func(name string) (int, string) {
		t.Helper()
		accent := p.Eval(`getComputedStyle(document.documentElement).getPropertyValue("--accent").trim()`)
		n, err := chromedp.Run(p.Ctx, chromedp.Evaluate[int](`(() => {
			const hex = getComputedStyle(document.documentElement).getPropertyValue("--accent").trim();
			const want = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16));
			const c = document.querySelector('[data-chart="`+name+`"] canvas');
			const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
			let n = 0;
			for (let i = 0; i < px.length; i += 4) {
				if (px[i + 3] > 200 && want.every((v, k) => Math.abs(px[i + k] - v) < 24)) n++;
			}
			return n;
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		return n, accent
	}
	for _, name := range []string{"volume", "hours"} {
		if n, accent := accentPixels(name); n < 10 {
			t.Errorf("the %s chart has %d pixels of the accent colour %s: no bars drawn", name, n, accent)
		}
	}
	light, _ := accentPixels("hours")

	// The reader's system turns dark: the page's palette follows, and the charts are drawn
	// again in it.
	if _, err := chromedp.Call(p.Ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	jsWait(p, "the dark palette", `getComputedStyle(document.body).backgroundColor === "rgb(23, 23, 26)"`)
	eventually(t, "the charts drawn in the dark accent", func() (bool, string) {
		n, accent := accentPixels("hours")
		return n >= 10, fmt.Sprintf("%d pixels of %s (%d in the light one)", n, accent, light)
	})
	dashScreenshot(t, p, "dashboard-stats-dark.png")

	mu.Lock()
	defer mu.Unlock()
	for _, e := range consoleErrors {
		t.Errorf("console error on the statistics page: %s", e)
	}
}

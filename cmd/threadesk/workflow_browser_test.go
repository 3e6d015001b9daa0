package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/threadesk/threadesk/internal/browsertest"
)

// wfPage drives the sandbox page of a running program in one browser tab.
type wfPage struct {
	t   *testing.T
	ctx context.Context
}

// do runs browser actions, failing the test with what was being done.
func (p wfPage) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// waitFor waits until a JavaScript expression is true in the page.
func (p wfPage) waitFor(what, expr string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(waitTimeout))); err != nil {
		p.t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

// eval returns the string a JavaScript expression evaluates to.
func (p wfPage) eval(expr string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return s
}

// wfText is a JavaScript expression for the text of the first element sel matches, or "".
func wfText(sel string) string {
	return `(document.querySelector(` + strconv.Quote(sel) + `)?.textContent ?? "")`
}

// wfAnyText is a JavaScript expression that is true when an element sel matches has text for
// which the JavaScript predicate pred (of t) holds.
func wfAnyText(sel, pred string) string {
	return `[...document.querySelectorAll(` + strconv.Quote(sel) + `)].some(e => { const t = e.textContent; return ` + pred + ` })`
}

// TestWorkflowInSandboxPage is the triage workflow's acceptance flow, played in the sandbox page
// of the running program in headless Chromium, with the real core and real Redis behind it: a
// customer writes; the agent claims the ticket from its card, tags it through the Tag form and
// assigns it to a colleague with the person picker; the customer hears of each step that
// concerns them; the agent resolves it; the customer rates it from the buttons in their DM and
// adds a comment; the card shows the rating; and the lead's /desk stats counts it.
func TestWorkflowInSandboxPage(t *testing.T) {
	a := startApp(t, map[string]string{"LEADS": "@bob.agent", "CATEGORIES": "General,Billing,Technical"})
	p := wfPage{t: t, ctx: browsertest.New(t)}
	q := strconv.Quote

	p.do("open the page", chromedp.Navigate(a.URL+"/sandbox"))
	p.waitFor("the live stream", `document.querySelector('[data-testid="connection"]')?.dataset.state === "live"`)
	p.do("create a customer",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="customer-name"]`), "Ada Lovelace"),
		chromedp.Click(chromedp.CSS(`[data-testid="customer-create"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dm-pane"][data-selected="true"][data-user-name="Ada Lovelace"]`)),
	)
	for _, name := range []string{"Cleo Second", "Bob Agent"} {
		p.do("create agent "+name,
			chromedp.SendKeys(chromedp.CSS(`[data-testid="agent-name"]`), name),
			chromedp.Click(chromedp.CSS(`[data-testid="agent-create"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="agent-tab"][data-user-name=`+q(name)+`][aria-selected="true"]`)),
		)
	}
	cleo := p.eval(`document.querySelector('[data-testid="agent-tab"][data-user-name="Cleo Second"]').dataset.userId`)
	bob := p.eval(`document.querySelector('[data-testid="agent-tab"][data-user-name="Bob Agent"]').dataset.userId`)

	// The customer writes: a thread with the ticket card appears in triage.
	pane := `[data-testid="dm-pane"][data-selected="true"] `
	dmText := pane + `[data-testid="dm-messages"] [data-testid="message"] [data-testid="message-text"]`
	p.do("write as the customer",
		chromedp.SendKeys(chromedp.CSS(pane+`[data-testid="dm-input"]`), "I was charged twice for March"),
		chromedp.Click(chromedp.CSS(pane+`[data-testid="dm-send"]`)),
	)
	p.waitFor("the ticket card", `!!document.querySelector('[data-testid="thread"] [data-testid="thread-root"] [data-testid="card"]')`)
	thread := `[data-testid="thread"][data-thread-id="` + p.eval(`document.querySelector('[data-testid="thread"]').dataset.threadId`) + `"] `
	card := thread + `[data-testid="thread-root"] `
	field := func(label string) string {
		return wfText(card + `[data-testid="card-field"][data-label=` + q(label) + `] dd`)
	}
	button := func(action string) string {
		return card + `[data-testid="card-button"][data-action=` + q(action) + `]`
	}
	if got := p.eval(wfText(card + `[data-testid="card-title"]`)); !strings.Contains(got, "#1") || !strings.Contains(got, "Ada Lovelace") {
		t.Errorf("card title = %q, want ticket #1 of Ada Lovelace", got)
	}
	if got := p.eval(field("Status")); got != "new" {
		t.Errorf("status on a new ticket = %q, want new", got)
	}
	if got := p.eval(`document.querySelector(` + q(button("claim")) + `)?.dataset.style ?? "missing"`); got != "primary" {
		t.Errorf("Claim button style = %q, want primary", got)
	}
	if got := p.eval(`document.querySelector(` + q(button("close")) + `)?.dataset.style ?? "missing"`); got != "danger" {
		t.Errorf("Close button style = %q, want danger", got)
	}

	// Claim: the card shows the agent and status open; the customer is told.
	p.do("click Claim", chromedp.Click(chromedp.CSS(button("claim"))))
	p.waitFor("the claimed card", field("Assignee")+` === "Bob Agent" && `+field("Status")+` === "open"`)
	p.waitFor("the claimed notice", wfAnyText(dmText, `t.includes("Bob Agent is now looking after your ticket #1")`))

	// Tag…: the form opens; category, tags and priority show on the card once saved.
	p.do("click Tag", chromedp.Click(chromedp.CSS(button("tag"))))
	form := `[data-testid="form-overlay"][data-form-kind="tag"][data-user-id="` + bob + `"] `
	input := func(id string) string {
		return `[data-testid="form-field"][data-field-id=` + q(id) + `] [data-testid="form-input"]`
	}
	p.do("fill in the Tag form",
		chromedp.WaitVisible(chromedp.CSS(form+`[data-testid="form"]`)),
		chromedp.SetValue(chromedp.CSS(form+input("category")), "Billing"),
		chromedp.SendKeys(chromedp.CSS(form+input("tags")), "invoice, refund"),
		chromedp.SetValue(chromedp.CSS(form+input("priority")), "high"),
		chromedp.Click(chromedp.CSS(form+`[data-testid="form-submit"]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="form-overlay"]`)),
	)
	p.waitFor("the tagged card", field("Category")+` === "Billing" && `+field("Tags")+` === "invoice, refund" && `+field("Priority")+` === "high"`)

	// Assign…: the person picker offers the agents by name; picking Cleo assigns her.
	p.do("click Assign", chromedp.Click(chromedp.CSS(button("assign"))))
	form = `[data-testid="form-overlay"][data-form-kind="assign"][data-user-id="` + bob + `"] `
	p.do("open the Assign form", chromedp.WaitVisible(chromedp.CSS(form+`[data-testid="form-field"][data-kind="user"]`)))
	options := p.eval(`[...document.querySelectorAll(` + q(form+input("agent")+` option`) + `)].filter(o => o.value).map(o => o.value + "=" + o.textContent).join("|")`)
	if want := bob + "=Bob Agent (@bob.agent)|" + cleo + "=Cleo Second (@cleo.second)"; options != want && options != cleo+"=Cleo Second (@cleo.second)|"+bob+"=Bob Agent (@bob.agent)" {
		t.Errorf("the person picker offers %q, want the two agents: %q", options, want)
	}
	if got := p.eval(`document.querySelector(` + q(form+input("agent")) + `).value`); got != bob {
		t.Errorf("the picker starts at %q, want the current assignee %q", got, bob)
	}
	p.do("pick Cleo and save",
		chromedp.SetValue(chromedp.CSS(form+input("agent")), cleo),
		chromedp.Click(chromedp.CSS(form+`[data-testid="form-submit"]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="form-overlay"]`)),
	)
	p.waitFor("the reassigned card", field("Assignee")+` === "Cleo Second"`)
	p.waitFor("the assignment notice", wfAnyText(dmText, `t.includes("Cleo Second is now looking after your ticket #1")`))

	// Resolve: the customer is told and asked for a rating with five buttons.
	p.do("click Resolve", chromedp.Click(chromedp.CSS(button("resolve"))))
	p.waitFor("the resolved card", field("Status")+` === "resolved"`)
	p.waitFor("the resolved notice", wfAnyText(dmText, `t.includes("Ticket #1 is resolved")`))
	rate := pane + `[data-testid="card-button"][data-action="rate"]`
	p.waitFor("the rating buttons", `document.querySelectorAll(`+q(rate)+`).length === 5`)
	if got := p.eval(`[...document.querySelectorAll(` + q(rate) + `)].map(b => b.textContent + "=" + b.dataset.value).join(" ")`); got != "1=1:1 2=1:2 3=1:3 4=1:4 5=1:5" {
		t.Errorf("rating buttons = %q", got)
	}
	question := p.eval(`document.querySelector(` + q(rate) + `).closest('[data-testid="message"]').dataset.messageId`)
	questionMsg := pane + `[data-testid="message"][data-message-id="` + question + `"] `

	// The customer rates 4: the question becomes the thanks in place; the card shows it.
	p.do("rate 4", chromedp.Click(chromedp.CSS(rate+`[data-value="1:4"]`)))
	p.waitFor("the thanks in place of the question", wfText(questionMsg+`[data-testid="card-text"]`)+`.includes("4/5") && !document.querySelector(`+q(questionMsg+`[data-action="rate"]`)+`)`)
	p.waitFor("the rating on the card", field("Satisfaction")+` === "4/5"`)

	// The customer adds a comment through the comment form.
	p.do("click Add a comment", chromedp.Click(chromedp.CSS(questionMsg+`[data-testid="card-button"][data-action="comment"]`)))
	form = `[data-testid="form-overlay"][data-form-kind="comment"][data-user-id="` + p.eval(`document.querySelector('[data-testid="dm-pane"][data-selected="true"]').dataset.userId`) + `"] `
	p.do("write the comment",
		chromedp.WaitVisible(chromedp.CSS(form+input("comment"))),
		chromedp.SendKeys(chromedp.CSS(form+input("comment")), "Quick and kind"),
		chromedp.Click(chromedp.CSS(form+`[data-testid="form-submit"]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="form-overlay"]`)),
	)
	p.waitFor("the comment on the card", field("Satisfaction")+`.includes("Quick and kind")`)

	// The lead asks for the statistics; the answer shows only to them, under the channel.
	p.do("run /desk stats",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="triage-input"]`), "/desk stats"),
		chromedp.Click(chromedp.CSS(`[data-testid="triage-send"]`)),
	)
	answer := `[data-testid="triage-ephemeral"] [data-testid="message"][data-ephemeral="true"] [data-testid="message-text"]`
	p.waitFor("the statistics", wfAnyText(answer, `t.includes("4.0/5 from 1 ratings")`))

	// Another agent is no lead: the same command is refused, to them only.
	p.do("play Cleo", chromedp.Click(chromedp.CSS(`[data-testid="agent-tab"][data-user-id="`+cleo+`"]`)))
	p.waitFor("Bob's answer to be hidden from Cleo", `!`+wfAnyText(answer, `t.includes("4.0/5")`))
	p.do("run /desk stats as Cleo",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="triage-input"]`), "/desk stats"),
		chromedp.Click(chromedp.CSS(`[data-testid="triage-send"]`)),
	)
	p.waitFor("the refusal", `document.querySelectorAll(`+q(answer)+`).length === 1 && !`+wfAnyText(answer, `t.includes("4.0/5")`))

	// The customer's command box: help answers them privately in their DM.
	p.do("run /desk help as the customer",
		chromedp.SendKeys(chromedp.CSS(pane+`[data-testid="dm-input"]`), "/desk help"),
		chromedp.Click(chromedp.CSS(pane+`[data-testid="dm-send"]`)),
	)
	p.waitFor("the help in the DM", `!!document.querySelector(`+q(pane+`[data-testid="message"][data-ephemeral="true"] [data-testid="message-text"]`)+`)`)

	if got := p.eval(`[...document.querySelectorAll('[data-testid="error"]')].map(e => e.textContent).join(" | ")`); got != "" {
		t.Errorf("the page shows error toasts: %s", got)
	}
	p.do("play Bob again", chromedp.Click(chromedp.CSS(`[data-testid="agent-tab"][data-user-id="`+bob+`"]`)))
	p.waitFor("Bob's answer again", wfAnyText(answer, `t.includes("4.0/5 from 1 ratings")`))

	shot, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.TempDir(), "workflow.png")
	if env := os.Getenv(envScreenshot); env != "" {
		path = strings.TrimSuffix(env, ".png") + "-workflow.png"
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

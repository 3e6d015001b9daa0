package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/threadesk/threadesk/internal/browsertest"
)

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
	p := browsertest.Open(t, waitTimeout)
	q := strconv.Quote

	p.Do("open the page", chromedp.Navigate(a.URL+"/sandbox"))
	p.WaitFor("the live stream", `document.querySelector('[data-testid="connection"]')?.dataset.state === "live"`)
	p.Do("create a customer",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="customer-name"]`), "Ada Lovelace"),
		chromedp.Click(chromedp.CSS(`[data-testid="customer-create"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dm-pane"][data-selected="true"][data-user-name="Ada Lovelace"]`)),
	)
	for _, name := range []string{"Cleo Second", "Bob Agent"} {
		p.Do("create agent "+name,
			chromedp.SendKeys(chromedp.CSS(`[data-testid="agent-name"]`), name),
			chromedp.Click(chromedp.CSS(`[data-testid="agent-create"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="agent-tab"][data-user-name=`+q(name)+`][aria-selected="true"]`)),
		)
	}
	cleo := p.Eval(`document.querySelector('[data-testid="agent-tab"][data-user-name="Cleo Second"]').dataset.userId`)
	bob := p.Eval(`document.querySelector('[data-testid="agent-tab"][data-user-name="Bob Agent"]').dataset.userId`)

	// The customer writes: a thread with the ticket card appears in triage.
	pane := `[data-testid="dm-pane"][data-selected="true"] `
	dmText := pane + `[data-testid="dm-messages"] [data-testid="message"] [data-testid="message-text"]`
	p.Do("write as the customer",
		chromedp.SendKeys(chromedp.CSS(pane+`[data-testid="dm-input"]`), "I was charged twice for March"),
		chromedp.Click(chromedp.CSS(pane+`[data-testid="dm-send"]`)),
	)
	p.WaitFor("the ticket card", `!!document.querySelector('[data-testid="thread"] [data-testid="thread-root"] [data-testid="card"]')`)
	thread := `[data-testid="thread"][data-thread-id="` + p.Eval(`document.querySelector('[data-testid="thread"]').dataset.threadId`) + `"] `
	card := thread + `[data-testid="thread-root"] `
	field := func(label string) string {
		return wfText(card + `[data-testid="card-field"][data-label=` + q(label) + `] dd`)
	}
	button := func(action string) string {
		return card + `[data-testid="card-button"][data-action=` + q(action) + `]`
	}
	if got := p.Eval(wfText(card + `[data-testid="card-title"]`)); !strings.Contains(got, "#1") || !strings.Contains(got, "Ada Lovelace") {
		t.Errorf("card title = %q, want ticket #1 of Ada Lovelace", got)
	}
	if got := p.Eval(field("Status")); got != "new" {
		t.Errorf("status on a new ticket = %q, want new", got)
	}
	if got := p.Eval(`document.querySelector(` + q(button("claim")) + `)?.dataset.style ?? "missing"`); got != "primary" {
		t.Errorf("Claim button style = %q, want primary", got)
	}
	if got := p.Eval(`document.querySelector(` + q(button("close")) + `)?.dataset.style ?? "missing"`); got != "danger" {
		t.Errorf("Close button style = %q, want danger", got)
	}

	// Claim: the card shows the agent and status open; the customer is told.
	p.Do("click Claim", chromedp.Click(chromedp.CSS(button("claim"))))
	p.WaitFor("the claimed card", field("Assignee")+` === "Bob Agent" && `+field("Status")+` === "open"`)
	p.WaitFor("the claimed notice", wfAnyText(dmText, `t.includes("Bob Agent is now looking after your ticket #1")`))

	// Tag…: the form opens; category, tags and priority show on the card once saved.
	p.Do("click Tag", chromedp.Click(chromedp.CSS(button("tag"))))
	form := `[data-testid="form-overlay"][data-form-kind="tag"][data-user-id="` + bob + `"] `
	input := func(id string) string {
		return `[data-testid="form-field"][data-field-id=` + q(id) + `] [data-testid="form-input"]`
	}
	p.Do("fill in the Tag form",
		chromedp.WaitVisible(chromedp.CSS(form+`[data-testid="form"]`)),
		chromedp.SetValue(chromedp.CSS(form+input("category")), "Billing"),
		chromedp.SendKeys(chromedp.CSS(form+input("tags")), "invoice, refund"),
		chromedp.SetValue(chromedp.CSS(form+input("priority")), "high"),
		chromedp.Click(chromedp.CSS(form+`[data-testid="form-submit"]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="form-overlay"]`)),
	)
	p.WaitFor("the tagged card", field("Category")+` === "Billing" && `+field("Tags")+` === "invoice, refund" && `+field("Priority")+` === "high"`)

	// Assign…: the person picker offers the agents by name; picking Cleo assigns her.
	p.Do("click Assign", chromedp.Click(chromedp.CSS(button("assign"))))
	form = `[data-testid="form-overlay"][data-form-kind="assign"][data-user-id="` + bob + `"] `
	p.Do("open the Assign form", chromedp.WaitVisible(chromedp.CSS(form+`[data-testid="form-field"][data-kind="user"]`)))
	options := p.Eval(`[...document.querySelectorAll(` + q(form+input("agent")+` option`) + `)].filter(o => o.value).map(o => o.value + "=" + o.textContent).join("|")`)
	if want := bob + "=Bob Agent (@bob.agent)|" + cleo + "=Cleo Second (@cleo.second)"; options != want && options != cleo+"=Cleo Second (@cleo.second)|"+bob+"=Bob Agent (@bob.agent)" {
		t.Errorf("the person picker offers %q, want the two agents: %q", options, want)
	}
	if got := p.Eval(`document.querySelector(` + q(form+input("agent")) + `).value`); got != bob {
		t.Errorf("the picker starts at %q, want the current assignee %q", got, bob)
	}
	p.Do("pick Cleo and save",
		chromedp.SetValue(chromedp.CSS(form+input("agent")), cleo),
		chromedp.Click(chromedp.CSS(form+`[data-testid="form-submit"]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="form-overlay"]`)),
	)
	p.WaitFor("the reassigned card", field("Assignee")+` === "Cleo Second"`)
	p.WaitFor("the assignment notice", wfAnyText(dmText, `t.includes("Cleo Second is now looking after your ticket #1")`))

	// Resolve: the customer is told and asked for a rating with five buttons.
	p.Do("click Resolve", chromedp.Click(chromedp.CSS(button("resolve"))))
	p.WaitFor("the resolved card", field("Status")+` === "resolved"`)
	p.WaitFor("the resolved notice", wfAnyText(dmText, `t.includes("Ticket #1 is resolved")`))
	rate := pane + `[data-testid="card-button"][data-action="rate"]`
	p.WaitFor("the rating buttons", `document.querySelectorAll(`+q(rate)+`).length === 5`)
	if got := p.Eval(`[...document.querySelectorAll(` + q(rate) + `)].map(b => b.textContent + "=" + b.dataset.value).join(" ")`); got != "1=1:1 2=1:2 3=1:3 4=1:4 5=1:5" {
		t.Errorf("rating buttons = %q", got)
	}
	question := p.Eval(`document.querySelector(` + q(rate) + `).closest('[data-testid="message"]').dataset.messageId`)
	questionMsg := pane + `[data-testid="message"][data-message-id="` + question + `"] `

	// The customer rates 4: the question becomes the thanks in place; the card shows it.
	p.Do("rate 4", chromedp.Click(chromedp.CSS(rate+`[data-value="1:4"]`)))
	p.WaitFor("the thanks in place of the question", wfText(questionMsg+`[data-testid="card-text"]`)+`.includes("4/5") && !document.querySelector(`+q(questionMsg+`[data-action="rate"]`)+`)`)
	p.WaitFor("the rating on the card", field("Satisfaction")+` === "4/5"`)

	// The customer adds a comment through the comment form.
	p.Do("click Add a comment", chromedp.Click(chromedp.CSS(questionMsg+`[data-testid="card-button"][data-action="comment"]`)))
	form = `[data-testid="form-overlay"][data-form-kind="comment"][data-user-id="` + p.Eval(`document.querySelector('[data-testid="dm-pane"][data-selected="true"]').dataset.userId`) + `"] `
	p.Do("write the comment",
		chromedp.WaitVisible(chromedp.CSS(form+input("comment"))),
		chromedp.SendKeys(chromedp.CSS(form+input("comment")), "Quick and kind"),
		chromedp.Click(chromedp.CSS(form+`[data-testid="form-submit"]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="form-overlay"]`)),
	)
	p.WaitFor("the comment on the card", field("Satisfaction")+`.includes("Quick and kind")`)

	// The lead asks for the statistics; the answer shows only to them, under the channel.
	p.Do("run /desk stats",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="triage-input"]`), "/desk stats"),
		chromedp.Click(chromedp.CSS(`[data-testid="triage-send"]`)),
	)
	answer := `[data-testid="triage-ephemeral"] [data-testid="message"][data-ephemeral="true"] [data-testid="message-text"]`
	p.WaitFor("the statistics", wfAnyText(answer, `t.includes("4.0/5 from 1 rating ")`))

	// Another agent is no lead: the same command is refused, to them only.
	p.Do("play Cleo", chromedp.Click(chromedp.CSS(`[data-testid="agent-tab"][data-user-id="`+cleo+`"]`)))
	p.WaitFor("Bob's answer to be hidden from Cleo", `!`+wfAnyText(answer, `t.includes("4.0/5")`))
	p.Do("run /desk stats as Cleo",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="triage-input"]`), "/desk stats"),
		chromedp.Click(chromedp.CSS(`[data-testid="triage-send"]`)),
	)
	p.WaitFor("the refusal", `document.querySelectorAll(`+q(answer)+`).length === 1 && !`+wfAnyText(answer, `t.includes("4.0/5")`))

	// The customer's command box: help answers them privately in their DM.
	p.Do("run /desk help as the customer",
		chromedp.SendKeys(chromedp.CSS(pane+`[data-testid="dm-input"]`), "/desk help"),
		chromedp.Click(chromedp.CSS(pane+`[data-testid="dm-send"]`)),
	)
	p.WaitFor("the help in the DM", `!!document.querySelector(`+q(pane+`[data-testid="message"][data-ephemeral="true"] [data-testid="message-text"]`)+`)`)

	if got := p.Eval(`[...document.querySelectorAll('[data-testid="error"]')].map(e => e.textContent).join(" | ")`); got != "" {
		t.Errorf("the page shows error toasts: %s", got)
	}
	p.Do("play Bob again", chromedp.Click(chromedp.CSS(`[data-testid="agent-tab"][data-user-id="`+bob+`"]`)))
	p.WaitFor("Bob's answer again", wfAnyText(answer, `t.includes("4.0/5 from 1 rating ")`))

	shot, err := chromedp.Run(p.Ctx, chromedp.FullScreenshot(100))
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

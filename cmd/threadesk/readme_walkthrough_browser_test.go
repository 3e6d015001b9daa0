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

// walkthrough returns the README's sandbox walk-through with its white space made single
// spaces, so that phrases broken across lines are found.
func walkthrough(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "A walk-through in the sandbox")
	end := strings.Index(text, "Buttons on the card, by status")
	if start < 0 || end < start {
		t.Fatal("README.md has no sandbox walk-through (from “A walk-through in the sandbox” to “Buttons on the card, by status”)")
	}
	return strings.Join(strings.Fields(text[start:end]), " ")
}

// TestReadmeWalkthroughInBrowser plays the README's sandbox walk-through, as written, in the
// sandbox page of the running program (real core, real Redis) in headless Chromium. Every
// phrase a step relies on is first looked up in the README, so the README and what happens
// cannot drift apart: each text the README quotes is the text the page shows.
func TestReadmeWalkthroughInBrowser(t *testing.T) {
	readme := walkthrough(t)
	// says checks that the walk-through says phrase, and returns it.
	says := func(phrase string) string {
		t.Helper()
		if !strings.Contains(readme, phrase) {
			t.Fatalf("the README's walk-through does not say %q", phrase)
		}
		return phrase
	}
	// quoted returns the text between the first “ and the following ” of a phrase the README says.
	quoted := func(phrase string) string {
		t.Helper()
		says(phrase)
		_, rest, ok := strings.Cut(phrase, "“")
		text, _, ok2 := strings.Cut(rest, "”")
		if !ok || !ok2 {
			t.Fatalf("no quotation in %q", phrase)
		}
		return text
	}
	q := strconv.Quote
	// As `go run ./cmd/threadesk` runs it: the built-in example policy and knowledge base (the
	// first-line bot); LEADS unset: Bob is a lead because he is ticked as one.
	a := startApp(t, map[string]string{"DESK_CONFIG": ""})
	p := browsertest.Open(t, waitTimeout)
	// press clicks the element sel matches whose text is label, as a person presses a button
	// by what it says.
	press := func(sel, label string) {
		t.Helper()
		p.WaitFor("a "+label+" button", `[...document.querySelectorAll(`+q(sel)+`)].some(b => b.textContent.trim() === `+q(label)+` && !b.disabled)`)
		p.Do("press "+label, chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll(`+q(sel)+`)].find(b => b.textContent.trim() === `+q(label)+` && !b.disabled).click()`))
	}
	texts := func(sel string) string {
		return `[...document.querySelectorAll(` + q(sel) + `)].map(e => e.textContent)`
	}
	dm := `[data-testid="dm-pane"][data-selected="true"] `
	dmText := dm + `[data-testid="dm-messages"] [data-testid="message"] [data-testid="message-text"]`
	dmCardText := dm + `[data-testid="dm-messages"] [data-testid="card-text"]`
	thread := `[data-testid="thread"] `
	card := thread + `[data-testid="thread-root"] [data-testid="card"] `
	field := func(label string) string {
		return `(document.querySelector(` + q(card+`[data-testid="card-field"][data-label=`+q(label)+`] dd`) + `)?.textContent ?? "")`
	}
	form := `[data-testid="form-overlay"] `
	formInput := func(id string) string {
		return form + `[data-testid="form-field"][data-field-id=` + q(id) + `] [data-testid="form-input"]`
	}

	p.Do("open the printed URL", chromedp.Navigate(a.URL+"/sandbox"))
	p.WaitFor("the live stream", `document.querySelector('[data-testid="connection"]')?.dataset.state === "live"`)

	// 1. Ada and Bob (a lead); Ada writes; the ticket opens.
	says("Under *Customers*, type *Ada* and press **Add customer**")
	p.Do("type Ada", chromedp.SendKeys(chromedp.CSS(`[data-testid="customer-name"]`), "Ada"))
	press(`[data-testid="customer-create-form"] button`, "Add customer")
	says("Under *Agents*, type *Bob*, tick **lead** and press **Add agent**")
	p.Do("type Bob and tick lead",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="agent-name"]`), "Bob"),
		chromedp.Click(chromedp.CSS(`[data-testid="agent-lead"]`)),
	)
	press(`[data-testid="agent-create-form"] button`, "Add agent")
	says("Bob's tab says *lead*")
	p.WaitFor("Bob's tab saying lead", `document.querySelector('[data-testid="agent-tab"][data-user-name="Bob"] [data-testid="lead-badge"]')?.textContent === "lead"`)
	p.WaitFor("Ada's DM", `document.querySelector('[data-testid="dm-pane"][data-selected="true"]')?.dataset.userName === "Ada"`)

	first := quoted("In Ada's DM, write “my invoice is wrong” and press **Send**")
	p.Do("write as Ada", chromedp.SendKeys(chromedp.CSS(dm+`[data-testid="dm-input"]`), first))
	press(dm+`[data-testid="dm-send"]`, "Send")
	// The first-line bot: an article, then the categories and the category's questions.
	article := quoted("it shows the article “Where can I find my invoices and receipts?” with **That solved it**")
	p.WaitFor("the article", texts(dmCardText)+`.some(t => t.includes(`+q(article)+`))`)
	still := quoted("then “If none of these answers your question, an agent will help you.”")
	p.WaitFor("the offer of a person", texts(dmCardText)+`.some(t => t.includes(`+q(still)+`))`)
	screenshot(t, p, "bot-suggestions.png")
	says("Ada presses **I still need a person**")
	press(dm+`[data-testid="card-button"]`, "I still need a person")
	says("the bot offers the categories, and she presses **Billing**")
	press(dm+`[data-testid="card-button"]`, "Billing")
	ask := quoted("it asks “What is the invoice number? (it starts with INV-)”")
	p.WaitFor("the first question", texts(dmCardText)+`.includes(`+q(ask)+`)`)
	answer := quoted("she writes “INV-42” and presses **Send**")
	p.Do("answer as Ada", chromedp.SendKeys(chromedp.CSS(dm+`[data-testid="dm-input"]`), answer))
	press(dm+`[data-testid="dm-send"]`, "Send")
	plan := quoted("it asks “Which plan are you on?” and she presses **Team**")
	p.WaitFor("the second question", texts(dmCardText)+`.includes(`+q(plan)+`)`)
	press(dm+`[data-testid="card-button"]`, "Team")

	ack := quoted("Now Ada gets “Thanks, we have received your message and opened ticket #1. An agent will answer here.”")
	p.WaitFor("Ada's acknowledgement", texts(dmText)+`.includes(`+q(ack)+`)`)
	title := quoted("the ticket card “Ticket #1 · Ada” (the request “my invoice is wrong”, status *new*, priority *normal*, category *Billing*, tags, assignee, customer, her answers, the article suggested, and the opened and last-activity times under the buttons)")
	p.WaitFor("the ticket card", `document.querySelector(`+q(card+`[data-testid="card-title"]`)+`)?.textContent === `+q(title))
	if got := p.Eval(`document.querySelector(` + q(card+`[data-testid="card-text"]`) + `)?.textContent ?? ""`); got != first {
		t.Errorf("card text = %q, want the request %q", got, first)
	}
	if got := p.Eval(`[...document.querySelectorAll(` + q(card+`[data-testid="card-field"]`) + `)].map(f => f.dataset.label + "=" + f.querySelector("dd").textContent).join(", ")`); !strings.HasPrefix(got, "Status=new, Priority=normal, Category=Billing") ||
		!strings.Contains(got, "Tags=") || !strings.Contains(got, "Assignee=") || !strings.Contains(got, "Customer=Ada") ||
		!strings.Contains(got, ask+"="+answer) || !strings.Contains(got, plan+"=Team") || !strings.Contains(got, "Articles suggested=") {
		t.Errorf("card fields = %q, want status new, priority normal, category Billing, tags, assignee, customer Ada, the answers and the article", got)
	}
	if got := p.Eval(`document.querySelector(` + q(card+`[data-testid="card-context"]`) + `)?.textContent ?? ""`); !strings.HasPrefix(got, "Opened ") || !strings.Contains(got, "last activity") {
		t.Errorf("card context = %q, want the opened and last-activity times", got)
	}
	says("The card's *SLA* field shows when the example's targets for a normal ticket fall due")
	if got := p.Eval(field("SLA")); !strings.HasPrefix(got, "first response: due ") || !strings.Contains(got, "\nresolution: due ") {
		t.Errorf("card SLA = %q, want the first response and resolution due", got)
	}
	// The bot's conversation in Ada's DM beside the card it led to.
	screenshot(t, p, "bot-ticket.png")
	says("with both her messages under it; each gets ✓ once it is there")
	for _, m := range []string{first, answer} {
		p.WaitFor("Ada's message in the thread", `[...document.querySelectorAll(`+q(thread+`[data-testid="thread-replies"] [data-testid="message"]`)+`)].some(m => m.querySelector('[data-testid="message-author"]').textContent === "Ada" && m.querySelector('[data-testid="message-text"]')?.textContent === `+q(m)+`)`)
	}
	p.WaitFor("✓ on Ada's messages", `[...document.querySelectorAll(`+q(dm+`[data-testid="message"][data-from-app="false"]`)+`)].filter(m => m.querySelector('[data-testid="message-marks"]').textContent === "✓").length === 2`)

	// 2. Claim, then Tag….
	says("As Bob, press **Claim**: the card shows Bob as assignee and the status *open*")
	press(card+`[data-testid="card-button"]`, "Claim")
	p.WaitFor("the claimed card", field("Assignee")+` === "Bob" && `+field("Status")+` === "open"`)
	claimed := quoted("Ada is told “Bob is now looking after your ticket #1.”")
	p.WaitFor("Ada told", texts(dmText)+`.includes(`+q(claimed)+`)`)
	says("**Tag…** opens a form (category, tags, priority)")
	press(card+`[data-testid="card-button"]`, "Tag…")
	p.WaitFor("the Tag form", `[...document.querySelectorAll(`+q(form+`[data-testid="form-field"]`)+`)].map(f => f.dataset.fieldId).join(",") === "category,tags,priority"`)
	says("choose *Billing*, type the tag *invoice*, choose priority *high* and press **Save**; the card shows them")
	p.Do("fill in the form",
		chromedp.SetValue(chromedp.CSS(formInput("category")), "Billing"),
		chromedp.SendKeys(chromedp.CSS(formInput("tags")), "invoice"),
		chromedp.SetValue(chromedp.CSS(formInput("priority")), "high"),
	)
	press(form+`[data-testid="form-submit"]`, "Save")
	p.WaitFor("the tagged card", field("Category")+` === "Billing" && `+field("Tags")+` === "invoice" && `+field("Priority")+` === "high"`)

	// 3. A reply, then an internal note.
	reply := quoted("Bob replies in the thread, “Sorry about that, I am fixing it now.”, and presses **Reply**")
	p.Do("write the reply", chromedp.SendKeys(chromedp.CSS(thread+`[data-testid="thread-input"]`), reply))
	press(thread+`[data-testid="thread-send"]`, "Reply")
	says("the reply appears in Ada's DM under Bob's name, and gets ✓ in the thread once delivered")
	p.WaitFor("the reply in Ada's DM as Bob's", `[...document.querySelectorAll(`+q(dm+`[data-testid="message"][data-from-app="true"]`)+`)].some(m => m.querySelector('[data-testid="message-text"]')?.textContent === `+q(reply)+` && m.querySelector('[data-testid="message-author"]').textContent === "Bob")`)
	p.WaitFor("✓ on the reply", `[...document.querySelectorAll(`+q(thread+`[data-testid="thread-replies"] [data-testid="message"][data-from-app="false"]`)+`)].some(m => m.querySelector('[data-testid="message-text"]')?.textContent === `+q(reply)+` && m.querySelector('[data-testid="message-marks"]').textContent === "✓")`)
	noteLabel := quoted("A reply starting with `//` stays in the channel, marked “Internal note · not sent to the customer”")
	note := "// second invoice came from the old plan"
	p.Do("write a note", chromedp.SendKeys(chromedp.CSS(thread+`[data-testid="thread-input"]`), note))
	press(thread+`[data-testid="thread-send"]`, "Reply")
	p.WaitFor("the note marked", `[...document.querySelectorAll(`+q(thread+`[data-testid="thread-replies"] [data-testid="message"]`)+`)].some(m => m.querySelector('[data-testid="message-text"]')?.textContent === `+q(note)+` && m.querySelector('[data-testid="note-label"]')?.textContent === `+q(noteLabel)+`)`)
	if got := p.Eval(`String(` + texts(dmText) + `.includes(` + q(note) + `))`); got != "false" {
		t.Errorf("the internal note reached Ada's DM")
	}

	// 4. Resolve, the rating and its comment, the statistics.
	says("Bob presses **Resolve**")
	press(card+`[data-testid="card-button"]`, "Resolve")
	resolved := quoted("Ada is told “Ticket #1 is resolved. If anything is still wrong, just reply here and it will be reopened.”")
	p.WaitFor("Ada told of the resolution", texts(dmText)+`.includes(`+q(resolved)+`)`)
	says("asked to rate the help from 1 to 5 with buttons in her DM")
	p.WaitFor("the rating buttons", `[...document.querySelectorAll(`+q(dm+`[data-testid="card-button"]`)+`)].map(b => b.textContent).join(" ") === "1 2 3 4 5"`)
	comment := quoted("She presses **4**, then **Add a comment**, writes “Quick and kind” and presses **Send**")
	press(dm+`[data-testid="card-button"]`, "4")
	press(dm+`[data-testid="card-button"]`, "Add a comment")
	p.Do("write the comment", chromedp.WaitVisible(chromedp.CSS(formInput("comment"))), chromedp.SendKeys(chromedp.CSS(formInput("comment")), comment))
	press(form+`[data-testid="form-submit"]`, "Send")
	says("The card's *Satisfaction* shows 4/5 and her comment")
	p.WaitFor("the rating and comment on the card", field("Satisfaction")+`.startsWith("4/5") && `+field("Satisfaction")+`.includes(`+q(comment)+`)`)
	if got := p.Eval(texts(dmCardText) + `.join(" | ")`); !strings.Contains(got, "4/5") {
		t.Errorf("Ada's DM after rating shows %q, want her 4/5 acknowledged", got)
	}

	says("Bob types `/desk stats` in the triage channel's box at the bottom and presses **Send**")
	p.Do("type /desk stats", chromedp.SendKeys(chromedp.CSS(`[data-testid="triage-input"]`), "/desk stats"))
	press(`[data-testid="triage-composer"] button`, "Send")
	stats := quoted("counts the rating (“Satisfaction: 4.0/5 from 1 rating”)")
	private := `[data-testid="triage-ephemeral"] [data-testid="message"][data-ephemeral="true"] [data-testid="message-text"]`
	p.WaitFor("the statistics, to Bob only", texts(private)+`.some(t => t.includes(`+q(stats)+`))`)

	// An agent not ticked lead is refused.
	refusal := quoted("An agent not ticked *lead* (and not in `LEADS`) is told “Only leads (the LEADS setting) may use /desk stats.”")
	p.Do("add Cleo, no lead",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="agent-name"]`), "Cleo"),
		chromedp.Click(chromedp.CSS(`[data-testid="agent-create"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="agent-tab"][data-user-name="Cleo"][aria-selected="true"][data-lead="false"]`)),
	)
	p.WaitFor("Bob's answer hidden from Cleo", texts(private)+`.length === 0`)
	p.Do("type /desk stats as Cleo", chromedp.SendKeys(chromedp.CSS(`[data-testid="triage-input"]`), "/desk stats"))
	press(`[data-testid="triage-composer"] button`, "Send")
	p.WaitFor("the refusal", texts(private)+`.some(t => t === `+q(refusal)+`)`)

	if got := p.Eval(texts(`[data-testid="error"]`) + `.join(" | ")`); got != "" {
		t.Errorf("the page shows error toasts: %s", got)
	}
}

// screenshot saves the page as it is, as a picture for the README (docs/NAME, made with
// THREADESK_SCREENSHOT=docs/sandbox.png) or, without that setting, in the test's temporary
// directory.
func screenshot(t *testing.T, p *browsertest.Page, name string) {
	t.Helper()
	shot, err := chromedp.Run(p.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.TempDir(), name)
	if env := os.Getenv(envScreenshot); env != "" {
		path = filepath.Join(filepath.Dir(env), name)
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

package sandbox

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/threadesk/threadesk/internal/browsertest"
	"github.com/threadesk/threadesk/internal/desk"
)

// TestPageWorkflowWidgetsInBrowser drives, in headless Chromium, what the triage workflow
// needs of the page: the person picker of a form, a card with buttons in a customer's DM that
// the app replaces in place, an answer only the customer sees, the customer's command box, the
// styles of buttons, and attaching a file.
func TestPageWorkflowWidgetsInBrowser(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	p := browsertest.Open(t, 10*time.Second)
	do, waitFor, eval := p.Do, p.WaitFor, p.Eval
	bg := context.Background()
	q := strconv.Quote

	event := func(kind desk.EventKind) desk.Event { t.Helper(); return f.event(t, kind) }

	ada := f.user(t, "Ada Lovelace", RoleCustomer)
	bob := f.user(t, "Bob", RoleAgent)
	cy := f.user(t, "Cy Young", RoleAgent)
	do("open the page", chromedp.Navigate(srv.URL+"/sandbox"))
	waitFor("the live stream", `document.querySelector('[data-testid="connection"]').dataset.state === "live"`)
	do("play Bob", chromedp.Click(chromedp.CSS(`[data-testid="agent-tab"][data-user-id="`+bob+`"]`)))
	pane := `[data-testid="dm-pane"][data-selected="true"] `

	// The card's buttons carry the app's styles.
	card := f.card(t)
	thread := `[data-testid="thread"][data-thread-id="` + card.ID + `"] `
	waitFor("the card", `!!document.querySelector(`+q(thread+`[data-testid="card"]`)+`)`)
	if got := eval(`[...document.querySelectorAll(` + q(thread+`[data-testid="card-button"]`) + `)].map(b => b.dataset.action + ":" + b.className).join(" ")`); got != "claim:card-button primary tag:card-button" {
		t.Errorf("card buttons = %q, want claim primary and tag plain", got)
	}

	// The person picker offers the agents by name and sends the chosen one's ID; an agent added
	// while the form is open joins the list, and what was chosen stays chosen.
	do("click Tag", chromedp.Click(chromedp.CSS(thread+`[data-testid="card-button"][data-action="tag"]`)))
	err := f.sb.OpenForm(bg, event(desk.ActionPressed).Trigger, desk.Form{ID: "assign", Title: "Assign #1", Submit: "Save", Context: "1",
		Fields: []desk.FormField{{ID: "agent", Label: "Agent", Kind: "user", Value: bob}}})
	if err != nil {
		t.Fatal(err)
	}
	picker := `[data-testid="form-overlay"][data-form-kind="assign"] [data-testid="form-field"][data-kind="user"] select[data-testid="form-input"]`
	options := `[...document.querySelectorAll(` + q(picker+` option`) + `)].map(o => o.value + "=" + o.textContent).join("|")`
	waitFor("the picker", `!!document.querySelector(`+q(picker)+`)`)
	if got, want := eval(options), "=Choose an agent…|"+bob+"=Bob (@bob)|"+cy+"=Cy Young (@cy.young)"; got != want {
		t.Errorf("picker options = %q, want %q", got, want)
	}
	if got := eval(`document.querySelector(` + q(picker) + `).value`); got != bob {
		t.Errorf("picker starts at %q, want the form's value %q", got, bob)
	}
	do("choose Cy", chromedp.SetValue(chromedp.CSS(picker), cy))
	dee := f.user(t, "Dee", RoleAgent)
	waitFor("the new agent in the picker", `[...document.querySelectorAll(`+q(picker+` option`)+`)].some(o => o.value === `+q(dee)+`)`)
	if got := eval(`document.querySelector(` + q(picker) + `).value`); got != cy {
		t.Errorf("after a redraw the picker shows %q, want the chosen %q", got, cy)
	}
	do("save", chromedp.Click(chromedp.CSS(`[data-testid="form-submit"]`)), chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="form-overlay"]`)))
	if ev := event(desk.FormSubmitted); ev.Form["agent"] != cy {
		t.Errorf("submitted agent = %q, want %q", ev.Form["agent"], cy)
	}

	// A card with buttons in the customer's DM: the customer clicks, the app replaces the card.
	question := &desk.Card{Text: "How satisfied are you with the help on ticket #1?"}
	for i := 1; i <= 5; i++ {
		question.Actions = append(question.Actions, desk.Action{ID: "rate", Label: strconv.Itoa(i), Value: "1:" + strconv.Itoa(i)})
	}
	ref, err := f.sb.Post(bg, desk.Outgoing{Channel: f.dm(t, ada), Text: question.Text, Card: question})
	if err != nil {
		t.Fatal(err)
	}
	msg := pane + `[data-testid="message"][data-message-id="` + ref.ID + `"] `
	waitFor("the question in the DM", `document.querySelectorAll(`+q(msg+`[data-testid="card-button"]`)+`).length === 5`)
	if got := eval(`String(document.querySelectorAll(` + q(msg+`[data-testid="card-title"]`) + `).length)`); got != "0" {
		t.Errorf("a card without a title shows %s title elements", got)
	}
	do("rate 4", chromedp.Click(chromedp.CSS(msg+`[data-testid="card-button"][data-value="1:4"]`)))
	if ev := event(desk.ActionPressed); ev.User.ID != ada || ev.Action != "rate" || ev.Value != "1:4" || ev.Message != ref.ID {
		t.Errorf("rating event = %+v", ev)
	}
	thanks := &desk.Card{Text: "Thank you! You rated ticket #1 4/5.", Actions: []desk.Action{{ID: "comment", Label: "Add a comment", Value: "1"}}}
	if err := f.sb.Update(bg, ref, desk.Outgoing{Channel: ref.Channel, Text: thanks.Text, Card: thanks}); err != nil {
		t.Fatal(err)
	}
	waitFor("the thanks in place", `document.querySelector(`+q(msg+`[data-testid="card-text"]`)+`)?.textContent === "Thank you! You rated ticket #1 4/5." && document.querySelectorAll(`+q(msg+`[data-testid="card-button"]`)+`).length === 1`)
	if got := eval(`String(document.querySelectorAll(` + q(pane+`[data-testid="message"]`) + `).length)`); got != "1" {
		t.Errorf("the DM shows %s messages after the update, want the one card", got)
	}
	if got := eval(`document.querySelector(` + q(msg) + `).dataset.edited`); got != "false" {
		t.Errorf("a card updated in place shows edited = %s", got)
	}

	// The customer's command box runs the command; the answer shows to them only, in the DM.
	do("run /desk help as the customer",
		chromedp.SendKeys(chromedp.CSS(pane+`[data-testid="dm-input"]`), "/desk help"),
		chromedp.Click(chromedp.CSS(pane+`[data-testid="dm-send"]`)),
	)
	cmd := event(desk.CommandRun)
	if cmd.Text != "help" || cmd.Channel != "D-"+ada || cmd.User.ID != ada {
		t.Errorf("command event = %+v", cmd)
	}
	if _, err := f.sb.Post(bg, desk.Outgoing{Channel: cmd.Channel, Text: "Write your question here.", Ephemeral: ada}); err != nil {
		t.Fatal(err)
	}
	eph := pane + `[data-testid="message"][data-ephemeral="true"]`
	waitFor("the private answer", `document.querySelector(`+q(eph+` [data-testid="message-text"]`)+`)?.textContent === "Write your question here."`)
	if got := eval(`String(document.querySelectorAll('[data-testid="dm-messages"] [data-testid="message"]').length)`); got != "2" {
		t.Errorf("the DM shows %s messages, want the card and the answer", got)
	}
	do("dismiss it", chromedp.Click(chromedp.CSS(eph+` [data-testid="ephemeral-dismiss"]`)))
	waitFor("the answer gone", `!document.querySelector(`+q(eph)+`)`)

	// Attaching a file: the chosen file is named on the Attach button and sent with the message.
	path := filepath.Join(t.TempDir(), "invoice.txt")
	if err := os.WriteFile(path, []byte("invoice"), 0o644); err != nil {
		t.Fatal(err)
	}
	do("attach a file",
		chromedp.SetUploadFiles(chromedp.CSS(pane+`[data-testid="dm-file"]`), []string{path}),
	)
	waitFor("the file's name", `document.querySelector(`+q(pane+`.attach .names`)+`)?.textContent === "invoice.txt"`)
	do("send it", chromedp.SendKeys(chromedp.CSS(pane+`[data-testid="dm-input"]`), "the bill"), chromedp.Click(chromedp.CSS(pane+`[data-testid="dm-send"]`)))
	if ev := event(desk.CustomerMessage); len(ev.Files) != 1 || ev.Files[0].Name != "invoice.txt" || ev.Text != "the bill" {
		t.Errorf("message with a file = %+v", ev)
	}
	waitFor("the name cleared", `document.querySelector(`+q(pane+`.attach .names`)+`)?.textContent === ""`)

	if got := eval(`[...document.querySelectorAll('[data-testid="error"]')].map(e => e.textContent).join(" | ")`); got != "" {
		t.Errorf("error toasts: %s", got)
	}
}

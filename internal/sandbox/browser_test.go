package sandbox

import (
	"context"
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/threadesk/threadesk/internal/browsertest"
	"github.com/threadesk/threadesk/internal/desk"
)

// TestPageInBrowser drives the page in headless Chromium: a customer writes, the app's card
// and replies show live, an agent clicks, answers, fills a form, and a failed hand-over shows.
func TestPageInBrowser(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	p := browsertest.Open(t, 10*time.Second)
	ctx, do, waitFor := p.Ctx, p.Do, p.WaitFor
	bg := context.Background()
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+strconv.Quote(sel)+`).textContent`))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	event := func(kind desk.EventKind) desk.Event { t.Helper(); return f.event(t, kind) }

	do("open the page", chromedp.Navigate(srv.URL+"/sandbox"))
	waitFor("the live stream", `document.querySelector('[data-testid="connection"]').dataset.state === "live"`)

	// A customer is created and writes to the app.
	do("create a customer",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="customer-name"]`), "Ada Lovelace"),
		chromedp.Click(chromedp.CSS(`[data-testid="customer-create"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dm-pane"][data-selected="true"][data-user-name="Ada Lovelace"]`)),
	)
	pane := `[data-testid="dm-pane"][data-selected="true"] `
	do("write as the customer",
		chromedp.SendKeys(chromedp.CSS(pane+`[data-testid="dm-input"]`), "My VPN is down"),
		chromedp.Click(chromedp.CSS(pane+`[data-testid="dm-send"]`)),
	)
	msg := event(desk.CustomerMessage)
	if msg.Text != "My VPN is down" || msg.User.DisplayName != "Ada Lovelace" || msg.Channel != "D-"+msg.User.ID {
		t.Errorf("customer message event = %+v", msg)
	}
	own := pane + `[data-testid="message"][data-message-id="` + msg.Message + `"]`
	waitFor("the customer's message in the DM", `!!document.querySelector('`+own+`')`)
	if got := text(own + ` [data-testid="message-text"]`); got != "My VPN is down" {
		t.Errorf("DM shows %q", got)
	}

	// The app answers in the DM, and posts a card and a mirrored reply into the triage channel.
	ack, err := f.sb.Post(bg, desk.Outgoing{Channel: msg.Channel, Text: "Thanks, ticket #1 is open."})
	if err != nil {
		t.Fatal(err)
	}
	waitFor("the app's answer in the DM", `!!document.querySelector('`+pane+`[data-message-id="`+ack.ID+`"][data-from-app="true"]')`)
	if err := f.sb.Mark(bg, desk.MessageRef{Channel: msg.Channel, ID: msg.Message}, desk.MarkDelivered); err != nil {
		t.Fatal(err)
	}
	waitFor("the delivered mark", `document.querySelector('`+own+`').dataset.marks === "delivered"`)

	// The customer corrects their message.
	do("edit the message",
		chromedp.Click(chromedp.CSS(own+` [data-testid="message-edit"]`)),
		chromedp.SetValue(chromedp.CSS(own+` [data-testid="message-edit-input"]`), "My VPN is down again"),
		chromedp.Click(chromedp.CSS(own+` [data-testid="message-edit-save"]`)),
	)
	if edit := event(desk.CustomerEdit); edit.Message != msg.Message || edit.Text != "My VPN is down again" {
		t.Errorf("edit event = %+v", edit)
	}
	waitFor("the edited text", `document.querySelector('`+own+` [data-testid="message-text"]')?.textContent === "My VPN is down again" && document.querySelector('`+own+`').dataset.edited === "true"`)

	do("create an agent",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="agent-name"]`), "Bob"),
		chromedp.Click(chromedp.CSS(`[data-testid="agent-create"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="triage"]`)),
	)
	card := f.card(t)
	thread := `[data-testid="thread"][data-thread-id="` + card.ID + `"] `
	do("see the card", chromedp.WaitVisible(chromedp.CSS(thread+`[data-testid="card-title"]`)))
	if got, want := text(thread+`[data-testid="card-title"]`), "Ticket #1 · Ada"; got != want {
		t.Errorf("card title = %q, want %q", got, want)
	}
	if got, want := text(thread+`[data-testid="card-field"][data-label="Status"] dd`), "new"; got != want {
		t.Errorf("status field = %q, want %q", got, want)
	}
	mirrored, err := f.sb.Post(bg, desk.Outgoing{Channel: TriageChannel, Thread: card.ID, Text: "My VPN is down",
		As: &desk.User{ID: msg.User.ID, DisplayName: "Ada Lovelace"}})
	if err != nil {
		t.Fatal(err)
	}
	reply := thread + `[data-testid="thread-replies"] [data-message-id="` + mirrored.ID + `"]`
	waitFor("the mirrored reply", `!!document.querySelector('`+reply+`')`)
	if got, want := text(reply+` [data-testid="message-author"]`), "Ada Lovelace"; got != want {
		t.Errorf("reply author = %q, want %q", got, want)
	}
	// Markup in a relayed message or a name is shown as text: the page makes nothing of it.
	markup := "<b>bold</b> <!channel> @here [pay](http://evil.example)"
	marked, err := f.sb.Post(bg, desk.Outgoing{Channel: TriageChannel, Thread: card.ID, Text: markup,
		As: &desk.User{ID: msg.User.ID, DisplayName: "<i>Ada</i>"}})
	if err != nil {
		t.Fatal(err)
	}
	markedSel := thread + `[data-testid="thread-replies"] [data-message-id="` + marked.ID + `"]`
	waitFor("the reply with markup", `!!document.querySelector('`+markedSel+`')`)
	if got := text(markedSel + ` [data-testid="message-text"]`); got != markup {
		t.Errorf("reply with markup shows %q, want it as text %q", got, markup)
	}
	if got := text(markedSel + ` [data-testid="message-author"]`); got != "<i>Ada</i>" {
		t.Errorf("author with markup shows %q", got)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('`+markedSel+` b, `+markedSel+` i, `+markedSel+` [data-testid="message-text"] a').length`)); err != nil || n != 0 {
		t.Errorf("the page made %d elements of the markup (%v)", n, err)
	}

	// The agent presses a card button.
	do("click Claim", chromedp.Click(chromedp.CSS(thread+`[data-testid="card-button"][data-action="claim"]`)))
	claim := event(desk.ActionPressed)
	if claim.Action != "claim" || claim.Value != "1" || claim.User.DisplayName != "Bob" || claim.Thread != card.ID || claim.Trigger == "" {
		t.Errorf("action event = %+v", claim)
	}

	// The agent answers in the thread, and the app marks it as an internal note.
	do("reply in the thread",
		chromedp.SendKeys(chromedp.CSS(thread+`[data-testid="thread-input"]`), "// probably the certificate"),
		chromedp.Click(chromedp.CSS(thread+`[data-testid="thread-send"]`)),
	)
	note := event(desk.AgentReply)
	if note.Thread != card.ID || note.Text != "// probably the certificate" {
		t.Errorf("agent reply event = %+v", note)
	}
	if err := f.sb.Mark(bg, desk.MessageRef{Channel: TriageChannel, ID: note.Message}, desk.MarkNote); err != nil {
		t.Fatal(err)
	}
	waitFor("the internal note styling", `!!document.querySelector('`+thread+`[data-message-id="`+note.Message+`"].note [data-testid="note-label"]')`)

	// A command answer shows only to that agent.
	if _, err := f.sb.Post(bg, desk.Outgoing{Channel: TriageChannel, Text: "3 open tickets", Ephemeral: claim.User.ID}); err != nil {
		t.Fatal(err)
	}
	waitFor("the ephemeral answer", `document.querySelector('[data-testid="triage-ephemeral"] [data-ephemeral="true"] [data-testid="message-text"]')?.textContent === "3 open tickets"`)

	// The Tag button opens a form; the agent fills it in and submits it.
	do("click Tag", chromedp.Click(chromedp.CSS(thread+`[data-testid="card-button"][data-action="tag"]`)))
	tag := event(desk.ActionPressed)
	err = f.sb.OpenForm(bg, tag.Trigger, desk.Form{ID: "tag", Title: "Tag ticket #1", Submit: "Save", Context: "1",
		Fields: []desk.FormField{{ID: "priority", Label: "Priority", Kind: "select", Options: []string{"low", "high"}}}})
	if err != nil {
		t.Fatal(err)
	}
	do("fill in the form",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="form-overlay"][data-form-kind="tag"] [data-testid="form"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="form-field"][data-field-id="priority"] [data-testid="form-input"]`), "high"),
		chromedp.Click(chromedp.CSS(`[data-testid="form-submit"]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="form-overlay"]`)),
	)
	submitted := event(desk.FormSubmitted)
	if submitted.Action != "tag" || submitted.Value != "1" || submitted.Form["priority"] != "high" {
		t.Errorf("form event = %+v", submitted)
	}

	// When the app does not take a message, the page keeps it, flags it and shows the error.
	f.ing.setFail(errors.New("store down"))
	do("write while the app is down",
		chromedp.SendKeys(chromedp.CSS(pane+`[data-testid="dm-input"]`), "hello?"),
		chromedp.Click(chromedp.CSS(pane+`[data-testid="dm-send"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="errors"] [data-testid="error"]`)),
	)
	waitFor("the flagged message", `[...document.querySelectorAll('`+pane+`[data-testid="message"][data-failed="true"] [data-testid="message-text"]')].some(e => e.textContent === "hello?")`)
	f.ing.setFail(nil)
	do("retry", chromedp.Click(chromedp.CSS(pane+`[data-testid="message-retry"]`)))
	if got := event(desk.CustomerMessage); got.Text != "hello?" {
		t.Errorf("retried event = %+v", got)
	}
	waitFor("the flag to clear", `document.querySelectorAll('`+pane+`[data-failed="true"]').length === 0`)

	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="thread"]').length`))
	if err != nil || n != 1 {
		t.Errorf("threads shown = %d, %v; want 1 (the card's)", n, err)
	}
	if extra := len(f.ing.got); extra != 0 {
		t.Errorf("%d unexpected events, the app's own posts must not become events", extra)
	}
}

// The page speaks of the command the app was given (DESK_COMMAND), everywhere it names one.
func TestPageNamesTheConfiguredCommand(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Command = "/help2" })
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	p := browsertest.Open(t, 10*time.Second)
	p.Do("open the page", chromedp.Navigate(srv.URL+"/sandbox"))
	p.WaitFor("the live stream", `document.querySelector('[data-testid="connection"]').dataset.state === "live"`)
	got := p.Eval(`document.querySelector('[data-testid="triage-input"]').placeholder + " | " +
		[...document.querySelectorAll('.cmd-name')].map((e) => e.textContent).join(" ")`)
	if strings.Contains(got, "/desk") || !strings.Contains(got, "/help2 help") {
		t.Errorf("page names %q, want /help2 everywhere", got)
	}
}

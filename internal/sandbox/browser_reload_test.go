package sandbox

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/threadesk/threadesk/internal/browsertest"
	"github.com/threadesk/threadesk/internal/desk"
)

// A reload keeps what the person did on the page: dismissed answers stay dismissed, and what
// was typed (in a DM, a thread, the triage box, an edit, an open form) is still there. A restart
// of the server brings none of it back.
func TestPageKeepsDismissalsAndDraftsAcrossReload(t *testing.T) {
	first := newFixture(t)
	board := &switchboard{h: first.h}
	srv := httptest.NewServer(board)
	t.Cleanup(srv.Close)
	bg := context.Background()
	q := strconv.Quote

	ada := first.user(t, "Ada", RoleCustomer)
	bob := first.user(t, "Bob", RoleAgent)
	card := first.card(t)
	if code, out := first.call(t, "POST", "/sandbox/api/messages", map[string]any{"user": ada, "text": "my invoice"}); code != 201 {
		t.Fatalf("write as Ada: %d %v", code, out)
	}
	own := first.event(t, desk.CustomerMessage).Message
	for _, o := range []desk.Outgoing{
		{Channel: TriageChannel, Text: "3 open tickets", Ephemeral: bob},
		{Channel: first.dm(t, ada), Text: "Write your question here.", Ephemeral: ada},
	} {
		if _, err := first.sb.Post(bg, o); err != nil {
			t.Fatal(err)
		}
	}

	p := browsertest.Open(t, 10*time.Second)
	live := `document.querySelector('[data-testid="connection"]').dataset.state === "live"`
	p.Do("open the page", chromedp.Navigate(srv.URL+"/sandbox"))
	p.WaitFor("the live stream", live)
	pane := `[data-testid="dm-pane"][data-selected="true"] `
	thread := `[data-testid="thread"][data-thread-id="` + card.ID + `"] `
	ownMsg := pane + `[data-message-id="` + own + `"] `
	p.WaitFor("both private answers", `document.querySelectorAll('[data-testid="message"][data-ephemeral="true"]').length === 2 && !!document.querySelector(`+q(ownMsg)+`)`)

	p.Do("dismiss both",
		chromedp.Click(chromedp.CSS(`[data-testid="triage-ephemeral"] [data-testid="ephemeral-dismiss"]`)),
		chromedp.Click(chromedp.CSS(pane+`[data-testid="ephemeral-dismiss"]`)),
	)
	p.WaitFor("both gone", `document.querySelectorAll('[data-testid="message"][data-ephemeral="true"]').length === 0`)
	p.Do("type drafts",
		chromedp.SendKeys(chromedp.CSS(pane+`[data-testid="dm-input"]`), "half a DM"),
		chromedp.SendKeys(chromedp.CSS(thread+`[data-testid="thread-input"]`), "half a reply"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="triage-input"]`), "/desk sta"),
		chromedp.Click(chromedp.CSS(ownMsg+`[data-testid="message-edit"]`)),
		chromedp.WaitVisible(chromedp.CSS(ownMsg+`[data-testid="message-edit-input"]`)),
		chromedp.SendKeys(chromedp.CSS(ownMsg+`[data-testid="message-edit-input"]`), " is wrong"),
	)

	// A form half filled in.
	p.Do("click Tag", chromedp.Click(chromedp.CSS(thread+`[data-testid="card-button"][data-action="tag"]`)))
	err := first.sb.OpenForm(bg, first.event(t, desk.ActionPressed).Trigger, desk.Form{ID: "tag", Title: "Tag ticket #1", Submit: "Save", Context: "1",
		Fields: []desk.FormField{
			{ID: "tags", Label: "Tags", Kind: "text"},
			{ID: "priority", Label: "Priority", Kind: "select", Options: []string{"low", "high"}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	field := func(id string) string {
		return `[data-testid="form-overlay"] [data-testid="form-field"][data-field-id="` + id + `"] [data-testid="form-input"]`
	}
	p.Do("fill in part of the form",
		chromedp.WaitVisible(chromedp.CSS(field("tags"))),
		chromedp.SendKeys(chromedp.CSS(field("tags")), "invoice"),
		chromedp.SetValue(chromedp.CSS(field("priority")), "high"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector(`+q(field("priority"))+`).dispatchEvent(new Event('change', {bubbles: true}))`),
	)

	values := `[` + q(pane+`[data-testid="dm-input"]`) + `, ` + q(thread+`[data-testid="thread-input"]`) + `, '[data-testid="triage-input"]', ` +
		q(ownMsg+`[data-testid="message-edit-input"]`) + `, ` + q(field("tags")) + `, ` + q(field("priority")) + `].map(s => document.querySelector(s)?.value ?? "(missing)").join(" | ")`
	want := "half a DM | half a reply | /desk sta | my invoice is wrong | invoice | high"
	if got := p.Eval(values); got != want {
		t.Fatalf("before the reload: %q, want %q", got, want)
	}

	p.Do("reload", chromedp.Reload())
	p.WaitFor("live again", live)
	p.WaitFor("the page drawn", `!!document.querySelector(`+q(thread)+`) && !!document.querySelector(`+q(field("tags"))+`)`)
	if got := p.Eval(values); got != want {
		t.Errorf("after the reload: %q, want %q", got, want)
	}
	if got := p.Eval(`String(document.querySelectorAll('[data-testid="message"][data-ephemeral="true"]').length)`); got != "0" {
		t.Errorf("after the reload %s dismissed answers are back", got)
	}

	// Sent, a draft is gone for good; so is a form closed.
	p.Do("close the form", chromedp.Click(chromedp.CSS(`[data-testid="form-cancel"]`)), chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="form-overlay"]`)))
	p.Do("send the DM", chromedp.Click(chromedp.CSS(pane+`[data-testid="dm-send"]`)))
	first.event(t, desk.CustomerMessage)
	p.WaitFor("the box emptied", `document.querySelector(`+q(pane+`[data-testid="dm-input"]`)+`).value === ""`)
	p.Do("reload", chromedp.Reload())
	p.WaitFor("live again", live)
	p.WaitFor("the pane", `!!document.querySelector(`+q(pane+`[data-testid="dm-input"]`)+`)`)
	if got := p.Eval(`document.querySelector(` + q(pane+`[data-testid="dm-input"]`) + `).value`); got != "" {
		t.Errorf("the DM box after sending and reloading holds %q", got)
	}
	if got := p.Eval(`Object.keys(JSON.parse(sessionStorage.getItem(Object.keys(sessionStorage).find(k => k.startsWith("sandbox.instance."))) ?? "{}").drafts ?? {}).sort().join(",")`); got != "edit,thread:"+card.ID+",triage" {
		t.Errorf("drafts kept after sending the DM and closing the form: %s", got)
	}

	// The server restarts: nothing of the first run is kept in the tab.
	second := newFixture(t)
	board.set(second.h)
	first.sb.Close()
	p.WaitFor("the page rebuilt from the new server", live+` && document.querySelectorAll('[data-testid="customer-tab"]').length === 0`)
	if got := p.Eval(`JSON.stringify(Object.keys(sessionStorage).filter(k => k.startsWith("sandbox.instance.")).map(k => sessionStorage.getItem(k)))`); got != `["{\"dismissed\":[],\"drafts\":{}}"]` && got != "[]" {
		t.Errorf("kept after the restart: %s, want nothing of the first run", got)
	}
	if got := p.Eval(`document.querySelector('[data-testid="triage-input"]').value`); got != "" {
		t.Errorf("the triage box after the restart holds %q", got)
	}
}

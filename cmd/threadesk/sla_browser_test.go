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

// TestSLACardInBrowser: in the sandbox page, with a policy whose first-response target is 4
// seconds, a customer's ticket card shows the target on track, the reminder and the breach
// alert arrive in its thread, the leads' alert in the triage channel, and the card says the
// target is breached. The last sight is docs/sla-card.png (with THREADESK_SCREENSHOT set).
func TestSLACardInBrowser(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "desk.yaml")
	if err := os.WriteFile(policy, []byte("sla:\n  normal: {first_response: 4s, resolution: 1h, business_hours: false}\n  remind_at: 50%\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, map[string]string{"DESK_CONFIG": policy})
	p := browsertest.Open(t, waitTimeout)
	q := strconv.Quote
	texts := func(sel string) string {
		return `[...document.querySelectorAll(` + q(sel) + `)].map(e => e.textContent)`
	}
	press := func(sel, label string) {
		t.Helper()
		p.WaitFor("a "+label+" button", `[...document.querySelectorAll(`+q(sel)+`)].some(b => b.textContent.trim() === `+q(label)+` && !b.disabled)`)
		p.Do("press "+label, chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll(`+q(sel)+`)].find(b => b.textContent.trim() === `+q(label)+` && !b.disabled).click()`))
	}
	dm := `[data-testid="dm-pane"][data-selected="true"] `
	thread := `[data-testid="thread"] `
	card := thread + `[data-testid="thread-root"] [data-testid="card"] `
	sla := `(document.querySelector(` + q(card+`[data-testid="card-field"][data-label="SLA"] dd`) + `)?.textContent ?? "")`

	p.Do("open the sandbox", chromedp.Navigate(a.URL+"/sandbox"))
	p.WaitFor("the live stream", `document.querySelector('[data-testid="connection"]')?.dataset.state === "live"`)
	p.Do("type Ada", chromedp.SendKeys(chromedp.CSS(`[data-testid="customer-name"]`), "Ada"))
	press(`[data-testid="customer-create-form"] button`, "Add customer")
	p.Do("type Bob and tick lead",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="agent-name"]`), "Bob"),
		chromedp.Click(chromedp.CSS(`[data-testid="agent-lead"]`)),
	)
	press(`[data-testid="agent-create-form"] button`, "Add agent")
	p.WaitFor("Ada's DM", `document.querySelector('[data-testid="dm-pane"][data-selected="true"]')?.dataset.userName === "Ada"`)
	p.Do("write as Ada", chromedp.SendKeys(chromedp.CSS(dm+`[data-testid="dm-input"]`), "the VPN drops every hour"))
	press(dm+`[data-testid="dm-send"]`, "Send")

	p.WaitFor("the card with its target on track", sla+`.startsWith("first response: due ") && `+sla+`.includes("· on track")`)
	replies := texts(thread + `[data-testid="thread-replies"] [data-testid="message-text"]`)
	p.WaitFor("the reminder in the thread", replies+`.some(t => t.startsWith("⏰ Ticket #1: first response is due "))`)
	p.WaitFor("the card at risk", sla+`.includes("· at risk")`)
	p.WaitFor("the alert in the thread", replies+`.some(t => t === "🚨 Ticket #1 missed its first response target of 4s.")`)
	p.WaitFor("the card breached", sla+`.includes("· breached")`)
	if got := p.Eval(texts(`[data-testid="threads"] [data-testid="thread-root"] [data-testid="message-text"]`) + `.filter(t => t.startsWith("🚨")).join(" | ")`); !strings.HasPrefix(got, "🚨 @Bob Ticket #1 (the VPN drops every hour) missed its first response target of 4s") {
		t.Errorf("the leads' alert in the triage channel: %q", got)
	}
	screenshot(t, p, "sla-card.png")
}

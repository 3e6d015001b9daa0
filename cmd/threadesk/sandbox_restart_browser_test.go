package main

import (
	"net"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/threadesk/threadesk/internal/browsertest"
	"github.com/threadesk/threadesk/internal/redistest"
)

// TestSandboxPageAcrossRestart stops the program under an open sandbox page and starts it again
// on the same address and Redis (as with REDIS_URL): the page, never reloaded, drops the
// people of the first run and works with the second.
func TestSandboxPageAcrossRestart(t *testing.T) {
	prefix := redistest.Prefix(t)
	env := map[string]string{"REDIS_URL": "redis://" + redistest.Addr(t), "REDIS_PREFIX": prefix}
	a := startApp(t, env)
	p := browsertest.Open(t, waitTimeout)
	pane := `[data-testid="dm-pane"][data-selected="true"] `
	live := `document.querySelector('[data-testid="connection"]')?.dataset.state === "live"`
	p.Do("open the page", chromedp.Navigate(a.URL+"/sandbox"))
	p.WaitFor("the live stream", live)
	p.Do("create a customer",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="customer-name"]`), "Ada"),
		chromedp.Click(chromedp.CSS(`[data-testid="customer-create"]`)),
		chromedp.WaitVisible(chromedp.CSS(pane+`[data-testid="dm-input"]`)),
		chromedp.SendKeys(chromedp.CSS(pane+`[data-testid="dm-input"]`), "hello"),
		chromedp.Click(chromedp.CSS(pane+`[data-testid="dm-send"]`)),
	)
	p.WaitFor("the app's answer", `document.querySelectorAll(`+strconv.Quote(pane+`[data-testid="message"][data-from-app="true"]`)+`).length > 0`)

	port := a.Addr.(*net.TCPAddr).Port
	if err := a.close(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	p.WaitFor("the page to notice the stop", `!(`+live+`)`)
	env["HTTP_ADDR"] = "127.0.0.1:" + strconv.Itoa(port)
	startApp(t, env)

	p.WaitFor("the page rebuilt after the restart", live+` && document.querySelectorAll('[data-testid="dm-pane"], [data-testid="customer-tab"]').length === 0`)
	p.Do("create a new customer",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="customer-name"]`), "Cy"),
		chromedp.Click(chromedp.CSS(`[data-testid="customer-create"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dm-pane"][data-selected="true"][data-user-name="Cy"]`)),
		chromedp.SendKeys(chromedp.CSS(pane+`[data-testid="dm-input"]`), "hi again"),
		chromedp.Click(chromedp.CSS(pane+`[data-testid="dm-send"]`)),
	)
	p.WaitFor("the new customer's ticket", `[...document.querySelectorAll(`+strconv.Quote(pane+`[data-testid="message"][data-from-app="true"] [data-testid="message-text"]`)+`)].some(e => e.textContent.includes("#2"))`)
	if got := p.Eval(`[...document.querySelectorAll('[data-testid="dm-pane"]')].map(e => e.dataset.userName).join(",") + " | " + [...document.querySelectorAll('[data-testid="error"]')].map(e => e.textContent).join(" | ")`); got != "Cy | " {
		t.Errorf("after the restart: panes and toasts %q, want Cy's pane and no error", got)
	}
}

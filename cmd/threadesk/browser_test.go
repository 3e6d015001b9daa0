package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/threadesk/threadesk/internal/browsertest"
)

// envScreenshot names a file the browser test saves its final screenshot to, for people to look
// at; without it the screenshot goes to the test's temporary directory.
const envScreenshot = "THREADESK_SCREENSHOT"

// TestSandboxPageEndToEnd drives the sandbox page of the running program in headless Chromium,
// with the real core and real Redis behind it: a customer writes, the ticket thread appears
// for the agent, the agent's answer reaches the customer, and an internal note does not.
func TestSandboxPageEndToEnd(t *testing.T) {
	a := startApp(t, nil)
	p := browsertest.Open(t, waitTimeout)
	ctx, do, waitFor, eval := p.Ctx, p.Do, p.WaitFor, p.Eval
	q := strconv.Quote

	do("open the page", chromedp.Navigate(a.URL+"/"))
	waitFor("the live stream", `document.querySelector('[data-testid="connection"]')?.dataset.state === "live"`)
	if got := eval(`location.pathname`); got != "/sandbox" {
		t.Errorf("/ led to %q, want /sandbox", got)
	}

	do("create a customer",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="customer-name"]`), "Ada Lovelace"),
		chromedp.Click(chromedp.CSS(`[data-testid="customer-create"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dm-pane"][data-selected="true"][data-user-name="Ada Lovelace"]`)),
	)
	do("create an agent",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="agent-name"]`), "Bob Agent"),
		chromedp.Click(chromedp.CSS(`[data-testid="agent-create"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="agent-tab"][data-user-name="Bob Agent"][aria-selected="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="triage"]`)),
	)
	pane := `[data-testid="dm-pane"][data-selected="true"] `
	// inPane finds, in the customer's DM, the messages whose text is text.
	inPane := func(text string) string {
		return `[...document.querySelectorAll(` + q(pane+`[data-testid="message"]`) + `)].filter(m => m.querySelector('[data-testid="message-text"]')?.textContent === ` + q(text) + `)`
	}

	// The customer writes; a new thread with the ticket card appears in triage, with the
	// message as a reply under the customer's name.
	do("write as the customer",
		chromedp.SendKeys(chromedp.CSS(pane+`[data-testid="dm-input"]`), "My VPN is down"),
		chromedp.Click(chromedp.CSS(pane+`[data-testid="dm-send"]`)),
	)
	waitFor("the ticket thread", `document.querySelectorAll('[data-testid="thread"]').length === 1 && !!document.querySelector('[data-testid="thread"] [data-testid="card-title"]')`)
	if title := eval(`document.querySelector('[data-testid="thread"] [data-testid="card-title"]').textContent`); !strings.Contains(title, "#1") {
		t.Errorf("card title = %q, want it to name #1", title)
	}
	thread := `[data-testid="thread"][data-thread-id="` + eval(`document.querySelector('[data-testid="thread"]').dataset.threadId`) + `"] `
	reply := thread + `[data-testid="thread-replies"] [data-testid="message"]`
	waitFor("the mirrored message", `[...document.querySelectorAll(`+q(reply)+`)].some(m => m.querySelector('[data-testid="message-text"]')?.textContent === "My VPN is down")`)
	if got := eval(`[...document.querySelectorAll(` + q(reply) + `)].find(m => m.querySelector('[data-testid="message-text"]')?.textContent === "My VPN is down").querySelector('[data-testid="message-author"]').textContent`); got != "Ada Lovelace" {
		t.Errorf("mirrored message author = %q, want Ada Lovelace", got)
	}
	waitFor("the delivered mark on the customer's message", inPane("My VPN is down")+`.some(m => m.dataset.fromApp === "false" && m.dataset.marks.split(" ").includes("delivered"))`)

	// The agent answers in the thread; the answer shows in the customer's DM under the
	// agent's name.
	do("answer as the agent",
		chromedp.SendKeys(chromedp.CSS(thread+`[data-testid="thread-input"]`), "Please restart the client"),
		chromedp.Click(chromedp.CSS(thread+`[data-testid="thread-send"]`)),
	)
	waitFor("the answer in the DM", inPane("Please restart the client")+`.some(m => m.dataset.fromApp === "true")`)
	if got := eval(inPane("Please restart the client") + `[0].querySelector('[data-testid="message-author"]').textContent`); got != "Bob Agent" {
		t.Errorf("answer in the DM shown as %q, want Bob Agent", got)
	}

	// An internal note stays in the thread, marked as a note, and never reaches the DM.
	do("write an internal note",
		chromedp.SendKeys(chromedp.CSS(thread+`[data-testid="thread-input"]`), "// internal note"),
		chromedp.Click(chromedp.CSS(thread+`[data-testid="thread-send"]`)),
	)
	note := `[...document.querySelectorAll(` + q(reply) + `)].filter(m => m.querySelector('[data-testid="message-text"]')?.textContent === "// internal note")`
	waitFor("the note mark", note+`.some(m => m.dataset.marks.split(" ").includes("note") && !!m.querySelector('[data-testid="note-label"]'))`)
	// The note mark is set when the core has handled the note, so a copy would be there by now.
	if got := eval(`String(` + inPane("// internal note") + `.length)`); got != "0" {
		t.Errorf("the internal note shows %s times in the customer's DM", got)
	}
	if got := eval(`String(document.querySelectorAll('[data-testid="error"]').length)`); got != "0" {
		t.Errorf("the page shows %s error toasts: %s", got, eval(`[...document.querySelectorAll('[data-testid="error"]')].map(e => e.textContent).join(" | ")`))
	}

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := os.Getenv(envScreenshot)
	if path == "" {
		path = filepath.Join(t.TempDir(), "sandbox.png")
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)

	// The program stops promptly with the page still connected, and the page notices.
	start := time.Now()
	if err := a.close(); err != nil {
		t.Errorf("Close with the page open: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %s with the page open", d.Round(time.Millisecond))
	}
	waitFor("the page to notice the stop", `document.querySelector('[data-testid="connection"]').dataset.state !== "live"`)
}

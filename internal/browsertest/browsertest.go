// Package browsertest starts headless Chromium for tests that drive Threadesk's web pages (the
// sandbox, the dashboard) with chromedp. A missing browser fails the test: a browser test that
// silently skips would let the page break unnoticed.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// EnvChromium names the environment variable with the path of the Chromium (or Chrome)
// executable to use; without it, chromium is looked up on PATH, then at /usr/bin/chromium.
const EnvChromium = "THREADESK_CHROMIUM"

// Timeout bounds one browser test, so that a page that never shows what a test waits for fails
// the test instead of hanging it.
const Timeout = 90 * time.Second

// New starts a headless Chromium with a fresh profile and returns a chromedp context for one
// tab in it; everything is stopped and removed when the test ends. An uncaught JavaScript
// exception in the page fails the test, and console errors are logged with it.
func New(t *testing.T) context.Context {
	t.Helper()
	exe := Executable()
	if exe == "" {
		t.Fatalf("browsertest: Chromium not found: set %s to the browser's path or install chromium on PATH", EnvChromium)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1400, 1000),
	)
	ctx, cancelTimeout := context.WithTimeout(context.Background(), Timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)

	if err := chromedp.Do(tabCtx); err != nil {
		cancelTab()
		cancelAlloc()
		cancelTimeout()
		t.Fatalf("browsertest: start Chromium %s: %v", exe, err)
	}
	// The console is read on its own goroutine, which ends with the tab, before the test ends,
	// so that it never logs into a finished test.
	messages := chromedp.Console(tabCtx)
	var exceptions []string
	read := make(chan struct{})
	go func() {
		defer close(read)
		for m, err := range messages {
			if err != nil {
				return
			}
			switch {
			case m.IsException():
				exceptions = append(exceptions, m.Text)
			case m.Type == chromedp.ConsoleError:
				t.Logf("browsertest: console error: %s", m.Text)
			}
		}
	}()
	t.Cleanup(func() {
		cancelTab()
		<-read
		cancelAlloc()
		cancelTimeout()
		for _, e := range exceptions {
			t.Errorf("browsertest: uncaught exception in the page: %s", e)
		}
	})
	return tabCtx
}

// Executable returns the path of the Chromium to use, or "" when there is none.
func Executable() string {
	if p := os.Getenv(EnvChromium); p != "" {
		return p
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}

// Page is one browser tab of a test: its steps fail the test with what was being done.
type Page struct {
	T    *testing.T
	Ctx  context.Context // the tab, for chromedp calls of one's own
	Wait time.Duration   // how long WaitFor waits
}

// Open starts Chromium (see New) and returns its tab, whose WaitFor waits up to wait.
func Open(t *testing.T, wait time.Duration) *Page {
	t.Helper()
	return &Page{T: t, Ctx: New(t), Wait: wait}
}

// Do runs browser actions.
func (p *Page) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.T.Helper()
	if err := chromedp.Do(p.Ctx, actions...); err != nil {
		p.T.Fatalf("%s: %v", what, err)
	}
}

// WaitFor waits until a JavaScript expression is true in the page.
func (p *Page) WaitFor(what, expr string) {
	p.T.Helper()
	if _, err := chromedp.Run(p.Ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(p.Wait))); err != nil {
		p.T.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

// Eval returns the string a JavaScript expression evaluates to.
func (p *Page) Eval(expr string) string {
	p.T.Helper()
	s, err := chromedp.Run(p.Ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		p.T.Fatalf("evaluate %s: %v", expr, err)
	}
	return s
}

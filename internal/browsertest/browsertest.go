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

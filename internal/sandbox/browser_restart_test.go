package sandbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/threadesk/threadesk/internal/browsertest"
	"github.com/threadesk/threadesk/internal/desk"
)

// switchboard serves whichever handler is current, as one address serves one run of the
// program after another, and can drop the live streams it serves.
type switchboard struct {
	mu      sync.Mutex
	h       http.Handler
	streams map[*http.Request]context.CancelFunc
}

func (b *switchboard) set(h http.Handler) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.h = h
}

// drop ends every live stream, as a network hiccup would, without changing the server.
func (b *switchboard) drop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, cancel := range b.streams {
		cancel()
	}
}

func (b *switchboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	h := b.h
	if r.URL.Path == "/sandbox/stream" {
		ctx, cancel := context.WithCancel(r.Context())
		r = r.WithContext(ctx)
		if b.streams == nil {
			b.streams = map[*http.Request]context.CancelFunc{}
		}
		b.streams[r] = cancel
		defer func() {
			b.mu.Lock()
			delete(b.streams, r)
			b.mu.Unlock()
			cancel()
		}()
	}
	b.mu.Unlock()
	h.ServeHTTP(w, r)
}

// After the server restarts under an open page, the page rebuilds from the new server's state:
// the old customer's pane, messages and composer are gone, and a new customer gets the only
// pane. A stream that merely reconnects to the same server keeps what is on the page.
func TestPageAfterServerRestart(t *testing.T) {
	first := newFixture(t)
	board := &switchboard{h: first.h}
	srv := httptest.NewServer(board)
	t.Cleanup(srv.Close)
	p := browsertest.Open(t, 10*time.Second)
	q := strconv.Quote
	p.Do("open the page", chromedp.Navigate(srv.URL+"/sandbox"))
	p.WaitFor("the live stream", `document.querySelector('[data-testid="connection"]').dataset.state === "live"`)
	live := `document.querySelector('[data-testid="connection"]').dataset.state === "live"`

	p.Do("create a customer",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="customer-name"]`), "Ada"),
		chromedp.Click(chromedp.CSS(`[data-testid="customer-create"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dm-pane"][data-selected="true"][data-user-name="Ada"]`)),
	)
	pane := `[data-testid="dm-pane"][data-selected="true"] `
	p.Do("write as the customer",
		chromedp.SendKeys(chromedp.CSS(pane+`[data-testid="dm-input"]`), "hello"),
		chromedp.Click(chromedp.CSS(pane+`[data-testid="dm-send"]`)),
	)
	first.event(t, desk.CustomerMessage)
	first.user(t, "Bob", RoleAgent)
	first.card(t)
	p.WaitFor("the thread", `document.querySelectorAll('[data-testid="thread"]').length === 1 && document.querySelectorAll(`+q(pane+`[data-testid="message"]`)+`).length === 1`)

	// The same server, the stream dropped and taken up again: what is on the page stays.
	p.Do("type a draft", chromedp.SendKeys(chromedp.CSS(pane+`[data-testid="dm-input"]`), "half a thought"))
	p.Do("mark the pane", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="dm-pane"]').dataset.mark = "kept"`))
	board.drop()
	p.WaitFor("the reconnection", `document.querySelector('[data-testid="connection"]').dataset.state !== "live"`)
	p.WaitFor("live again", live)
	if got := p.Eval(`document.querySelector('[data-testid="dm-pane"]').dataset.mark + "|" + document.querySelector(` + q(pane+`[data-testid="dm-input"]`) + `).value`); got != "kept|half a thought" {
		t.Errorf("after a reconnection to the same server the pane is %q (mark|draft), want it kept", got)
	}

	// The program stops (its streams end); for a while the address answers 503, as a server
	// shutting down does, which makes the browser give up on its own reconnecting; then the
	// program runs again, knowing nobody.
	refused := make(chan struct{}, 100)
	board.set(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, apiErr(http.StatusServiceUnavailable, "unavailable", "the sandbox is shutting down"))
		if r.URL.Path == "/sandbox/stream" {
			refused <- struct{}{}
		}
	}))
	first.sb.Close()
	p.WaitFor("the page to notice", `document.querySelector('[data-testid="connection"]').dataset.state !== "live"`)
	select {
	case <-refused:
	case <-time.After(10 * time.Second):
		t.Fatal("the page did not try to reconnect within 10s")
	}
	second := newFixture(t)
	board.set(second.h)
	p.WaitFor("the page rebuilt from the new server", live+` && document.querySelectorAll('[data-testid="dm-pane"], [data-testid="thread"], [data-testid="customer-tab"], [data-testid="agent-tab"]').length === 0`)
	if got := p.Eval(`String(!document.querySelector('[data-testid="no-customer"]').hidden)`); got != "true" {
		t.Errorf("the page does not say to add a customer after the restart")
	}

	p.Do("create a new customer",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="customer-name"]`), "Cy"),
		chromedp.Click(chromedp.CSS(`[data-testid="customer-create"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dm-pane"][data-selected="true"][data-user-name="Cy"]`)),
	)
	if got := p.Eval(`[...document.querySelectorAll('[data-testid="dm-pane"]')].map(e => e.dataset.userName).join(",")`); got != "Cy" {
		t.Errorf("DM panes after the restart: %q, want only Cy's", got)
	}
	p.Do("write as the new customer",
		chromedp.SendKeys(chromedp.CSS(pane+`[data-testid="dm-input"]`), "hi again"),
		chromedp.Click(chromedp.CSS(pane+`[data-testid="dm-send"]`)),
	)
	if ev := second.event(t, desk.CustomerMessage); ev.Text != "hi again" || ev.User.DisplayName != "Cy" {
		t.Errorf("event after the restart = %+v", ev)
	}
	if got := p.Eval(`[...document.querySelectorAll('[data-testid="error"]')].map(e => e.textContent).join(" | ")`); got != "" {
		t.Errorf("error toasts: %s", got)
	}
}

package sandbox

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/threadesk/threadesk/internal/browsertest"
	"github.com/threadesk/threadesk/internal/desk"
)

// postThreads posts n ticket cards into the triage channel, each with replies replies, and
// returns the cards' IDs.
func postThreads(t *testing.T, f *fixture, first, n, replies int) []string {
	t.Helper()
	bg := context.Background()
	var ids []string
	for i := first; i < first+n; i++ {
		num := strconv.Itoa(i)
		card, err := f.sb.Post(bg, desk.Outgoing{Channel: TriageChannel, Text: "Ticket #" + num, Key: "card-" + num,
			Card: &desk.Card{Title: "Ticket #" + num, Actions: []desk.Action{{ID: "claim", Label: "Claim", Value: num}}}})
		if err != nil {
			t.Fatal(err)
		}
		for j := range replies {
			if _, err := f.sb.Post(bg, desk.Outgoing{Channel: TriageChannel, Thread: card.ID, Text: "reply " + strconv.Itoa(j) + " on #" + num}); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, card.ID)
	}
	return ids
}

// openPage serves f's sandbox and opens its page in Chromium, waiting for the live stream.
func openPage(t *testing.T, f *fixture) (*browsertest.Page, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	p := browsertest.Open(t, 10*time.Second)
	p.Do("open the page", chromedp.Navigate(srv.URL+"/sandbox"))
	p.WaitFor("the live stream", `document.querySelector('[data-testid="connection"]').dataset.state === "live"`)
	return p, srv
}

// The page is as tall as what it shows: long threads scroll inside the triage list, and
// nothing of theirs (the composers' hidden file inputs) reaches below the page.
func TestPageHeightWithLongThreads(t *testing.T) {
	f := newFixture(t)
	f.user(t, "Bob", RoleAgent)
	postThreads(t, f, 1, 3, 40)
	p, _ := openPage(t, f)
	p.WaitFor("the threads", `document.querySelectorAll('[data-testid="thread"]').length === 3 && document.querySelectorAll('[data-testid="thread-replies"] [data-testid="message"]').length === 120`)
	got := p.Eval(`(() => {
		const main = document.querySelector('main').getBoundingClientRect().bottom + window.scrollY;
		return document.documentElement.scrollHeight + " " + Math.ceil(main);
	})()`)
	var scroll, page int
	if _, err := fmt.Sscan(got, &scroll, &page); err != nil {
		t.Fatalf("read %q: %v", got, err)
	}
	if scroll > page+2 {
		t.Errorf("the document scrolls %d px, the page is %d px tall: %d blank pixels below it", scroll, page, scroll-page)
	}
	// The hidden file inputs stay inside their Attach buttons.
	if out := p.Eval(`[...document.querySelectorAll('.composer .attach input[type=file]')].filter(i => {
		const a = i.closest('.attach').getBoundingClientRect(), r = i.getBoundingClientRect();
		return r.top < a.top - 1 || r.bottom > a.bottom + 1;
	}).length + ""`); out != "0" {
		t.Errorf("%s file inputs lie outside their Attach button", out)
	}
}

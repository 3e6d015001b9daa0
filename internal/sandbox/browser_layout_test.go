package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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

// slowFiles holds back the sandbox's file downloads until released, as a slow network would.
type slowFiles struct {
	h       http.Handler
	release chan struct{}
}

func (s *slowFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/sandbox/files/") {
		select {
		case <-s.release:
		case <-r.Context().Done():
			return
		}
	}
	s.h.ServeHTTP(w, r)
}

// pngImage returns a PNG of w × h pixels.
func pngImage(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A DM list at its bottom stays there when an image in its newest message loads late; one the
// person scrolled up stays where they put it.
func TestPageListFollowsLateImages(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxUpload = 1 << 20 })
	ada := f.user(t, "Ada", RoleCustomer)
	dm := f.dm(t, ada)
	bg := context.Background()
	for i := range 40 {
		if _, err := f.sb.Post(bg, desk.Outgoing{Channel: dm, Text: "message " + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	slow := &slowFiles{h: f.h, release: make(chan struct{})}
	srv := httptest.NewServer(slow)
	t.Cleanup(srv.Close)
	p := browsertest.Open(t, 10*time.Second)
	p.Do("open the page", chromedp.Navigate(srv.URL+"/sandbox"))
	list := `document.querySelector('[data-testid="dm-pane"][data-selected="true"] [data-testid="dm-messages"]')`
	gap := `(l => l.scrollHeight - l.scrollTop - l.clientHeight)(` + list + `)`
	p.WaitFor("the messages", list+`?.children.length === 40`)
	if got := p.Eval(`String(` + list + `.scrollHeight > ` + list + `.clientHeight + 200)`); got != "true" {
		t.Fatalf("the DM list does not scroll; the test needs it to")
	}

	upload := func(name string) {
		t.Helper()
		img := pngImage(t, 400, 300)
		_, err := f.sb.Upload(bg, desk.Outgoing{Channel: dm, Text: "a screenshot"}, desk.File{Name: name, MimeType: "image/png"}, bytes.NewReader(img))
		if err != nil {
			t.Fatal(err)
		}
	}
	upload("late.png")
	p.WaitFor("the image's message at the bottom", `!!`+list+`.querySelector('img[alt="late.png"]') && `+gap+` < 2`)
	before := p.Eval(`String(` + list + `.scrollHeight)`)
	slow.release <- struct{}{}
	p.WaitFor("the image loaded", `(i => i.complete && i.naturalHeight > 0)(`+list+`.querySelector('img[alt="late.png"]'))`)
	if got := p.Eval(`String(` + list + `.scrollHeight)`); got == before {
		t.Fatalf("the list did not grow when the image loaded (%s px); the test shows nothing", got)
	}
	p.WaitFor("the list still at its bottom", gap+` < 2`)

	// Another customer's pane, then Ada's again: her list is still at its bottom.
	cy := f.user(t, "Cy", RoleCustomer)
	p.Do("play Cy", chromedp.Click(chromedp.CSS(`[data-testid="customer-tab"][data-user-id="`+cy+`"]`)))
	p.WaitFor("Cy's pane", `document.querySelector('[data-testid="dm-pane"][data-selected="true"]').dataset.userId === "`+cy+`"`)
	p.Do("play Ada", chromedp.Click(chromedp.CSS(`[data-testid="customer-tab"][data-user-id="`+ada+`"]`)))
	p.WaitFor("Ada's list at its bottom", `document.querySelector('[data-testid="dm-pane"][data-selected="true"]').dataset.userId === "`+ada+`" && `+gap+` < 2`)

	// Scrolled up, the list stays put when an image loads.
	p.Do("scroll up", chromedp.Evaluate[chromedp.Void](list+`.scrollTop = 100`))
	p.WaitFor("the list left its bottom", gap+` > 100`)
	upload("later.png")
	p.WaitFor("the new image drawn", `!!`+list+`.querySelector('img[alt="later.png"]')`)
	slow.release <- struct{}{}
	p.WaitFor("the image loaded", `(i => i.complete && i.naturalHeight > 0)(`+list+`.querySelector('img[alt="later.png"]'))`)
	if got := p.Eval(`String(` + list + `.scrollTop)`); got != "100" {
		t.Errorf("a list scrolled up moved to %s", got)
	}
}

// New tickets that arrive while the agent reads older threads up the list are announced below,
// and one click brings the agent to them; at the bottom of the list they simply show.
func TestPageAnnouncesNewTicketsBelow(t *testing.T) {
	f := newFixture(t)
	f.user(t, "Bob", RoleAgent)
	postThreads(t, f, 1, 4, 15)
	p, _ := openPage(t, f)
	box := `document.querySelector('[data-testid="threads"]')`
	gap := `(l => l.scrollHeight - l.scrollTop - l.clientHeight)(` + box + `)`
	notice := `document.querySelector('[data-testid="triage-new"]')`
	p.WaitFor("the threads at the bottom", `document.querySelectorAll('[data-testid="thread"]').length === 4 && `+gap+` < 2`)

	// At the bottom, a new ticket shows at once, with no notice.
	postThreads(t, f, 5, 1, 0)
	p.WaitFor("ticket 5 in view", `document.querySelectorAll('[data-testid="thread"]').length === 5 && `+gap+` < 2`)
	if got := p.Eval(`String(` + notice + `.hidden)`); got != "true" {
		t.Errorf("a notice shows though the agent is at the bottom: %q", p.Eval(notice+`.textContent`))
	}

	// Scrolled up, new tickets are announced, and the list does not move.
	p.Do("scroll to the top", chromedp.Evaluate[chromedp.Void](box+`.scrollTop = 0`))
	p.WaitFor("the list left its bottom", gap+` > 100`)
	cards := postThreads(t, f, 6, 2, 0)
	p.WaitFor("the notice", `!`+notice+`.hidden && document.querySelectorAll('[data-testid="thread"]').length === 7`)
	if got := p.Eval(notice + `.textContent`); got != "2 new tickets below ↓" {
		t.Errorf("notice = %q, want 2 new tickets below ↓", got)
	}
	if got := p.Eval(`String(` + box + `.scrollTop)`); got != "0" {
		t.Errorf("the list moved to %s while the agent read the top", got)
	}

	// The notice brings the agent to the first new ticket, and goes.
	p.Do("click the notice", chromedp.Click(chromedp.CSS(`[data-testid="triage-new"]`)))
	p.WaitFor("the notice gone", notice+`.hidden`)
	inView := `(() => { const b = ` + box + `.getBoundingClientRect(), r = document.querySelector('[data-thread-id="` + cards[0] + `"]').getBoundingClientRect(); return r.top >= b.top - 1 && r.top < b.bottom; })()`
	p.WaitFor("ticket 6 in view", inView)

	// Reaching the bottom by scrolling also clears the notice.
	p.Do("scroll to the top", chromedp.Evaluate[chromedp.Void](box+`.scrollTop = 0`))
	p.WaitFor("the list left its bottom", gap+` > 100`)
	postThreads(t, f, 8, 1, 0)
	p.WaitFor("the notice", `!`+notice+`.hidden && `+notice+`.textContent === "1 new ticket below ↓"`)
	p.Do("scroll to the bottom", chromedp.Evaluate[chromedp.Void](box+`.scrollTop = `+box+`.scrollHeight`))
	p.WaitFor("the notice gone", notice+`.hidden`)
}

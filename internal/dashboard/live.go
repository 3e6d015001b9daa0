package dashboard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// The live dashboard: pages follow the store's feed of ticket changes over server-sent events.
// One reader per process follows the feed and hands each change to every open page, so that
// a hundred open pages cost one Redis connection, not a hundred. A page that reconnects says
// where it was (Last-Event-ID, or the feed position the page was made at) and is sent what it
// missed first.

// Live stream timing: how long the feed reader waits for a change, and how often an idle
// stream is pinged (proxies close silent connections).
const (
	feedBlock = 5 * time.Second
	ping      = 20 * time.Second
	catchUp   = 1000 // the most missed changes a reconnecting page is sent; more: it reloads
)

// hub hands the feed's changes to the open streams.
type hub struct {
	store desk.Store
	log   *slog.Logger

	mu      sync.Mutex
	subs    map[chan desk.TicketChange]struct{}
	running bool
	stop    context.CancelFunc
	closed  bool
	done    chan struct{}
}

func newHub(s desk.Store, log *slog.Logger) *hub {
	return &hub{store: s, log: log, subs: map[chan desk.TicketChange]struct{}{}, done: make(chan struct{})}
}

// subscribe registers a stream, starting the reader if it is the first.
func (h *hub) subscribe() (chan desk.TicketChange, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, desk.Errorf(desk.EUNAVAILABLE, "the app is stopping")
	}
	c := make(chan desk.TicketChange, 256)
	h.subs[c] = struct{}{}
	if !h.running {
		ctx, cancel := context.WithCancel(context.Background())
		h.running, h.stop = true, cancel
		go h.read(ctx)
	}
	return c, nil
}

// unsubscribe forgets a stream; the reader stops with the last.
func (h *hub) unsubscribe(c chan desk.TicketChange) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[c]; !ok {
		return
	}
	delete(h.subs, c)
	close(c)
	if len(h.subs) == 0 && h.running {
		h.stop()
		h.running = false
	}
}

// close ends every stream and the reader.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	close(h.done)
	if h.running {
		h.stop()
	}
	for c := range h.subs {
		delete(h.subs, c)
		close(c)
	}
}

// read follows the feed from now on and hands every change to every stream. A stream too slow
// to take one is dropped: its page reconnects and catches up from where it was.
func (h *hub) read(ctx context.Context) {
	after := "$"
	if last, err := h.store.LastTicketChange(ctx); err == nil {
		after = last
	}
	for ctx.Err() == nil {
		cs, err := h.store.TicketChanges(ctx, after, 100, feedBlock)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("read the ticket changes feed", "err", err)
				time.Sleep(time.Second)
			}
			continue
		}
		if len(cs) == 0 {
			continue
		}
		after = cs[len(cs)-1].Seq
		h.mu.Lock()
		for c := range h.subs {
			for _, ch := range cs {
				select {
				case c <- ch:
				default:
					delete(h.subs, c)
					close(c)
				}
				if _, ok := h.subs[c]; !ok {
					break
				}
			}
		}
		h.mu.Unlock()
	}
}

// seqPattern is the form of a feed position (a Redis stream ID).
var seqPattern = regexp.MustCompile(`^\d{1,20}-\d{1,20}$`)

// after reports whether feed position a comes after b.
func after(a, b string) bool {
	am, as, _ := strings.Cut(a, "-")
	bm, bs, _ := strings.Cut(b, "-")
	ami, _ := strconv.ParseUint(am, 10, 64)
	bmi, _ := strconv.ParseUint(bm, 10, 64)
	if ami != bmi {
		return ami > bmi
	}
	asi, _ := strconv.ParseUint(as, 10, 64)
	bsi, _ := strconv.ParseUint(bs, 10, 64)
	return asi > bsi
}

// events streams ticket changes to a page as server-sent events: "ticket" events whose data is
// the ticket's number and whose ID is the feed position. A page that comes back sends where it
// was and gets what it missed first; one that missed too much is told to reload.
func (d *Dashboard) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		d.fail(w, r, errors.New("streaming is not supported by this server"))
		return
	}
	from := r.Header.Get("Last-Event-ID")
	if from == "" {
		from = r.URL.Query().Get("after")
	}
	if from != "" && !seqPattern.MatchString(from) {
		d.fail(w, r, desk.Errorf(desk.EINVALID, "The stream position is not valid."))
		return
	}
	sub, err := d.live.subscribe()
	if err != nil {
		d.fail(w, r, err)
		return
	}
	defer d.live.unsubscribe(sub)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	send := func(c desk.TicketChange) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		_, err := fmt.Fprintf(w, "event: ticket\nid: %s\ndata: %d\n\n", c.Seq, c.Ticket)
		return err == nil
	}
	last := from
	if from != "" {
		missed, err := d.opts.Store.TicketChanges(r.Context(), from, catchUp+1, 0)
		if err != nil {
			return
		}
		if len(missed) > catchUp {
			fmt.Fprint(w, "event: reload\ndata: too much changed\n\n")
			flusher.Flush()
			return
		}
		for _, c := range missed {
			if !send(c) {
				return
			}
			last = c.Seq
		}
	}
	fmt.Fprint(w, ": live\n\n")
	flusher.Flush()
	tick := time.NewTicker(ping)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-d.live.done:
			return
		case c, ok := <-sub:
			if !ok {
				return // too slow, or the app is stopping: the page reconnects
			}
			if last != "" && !after(c.Seq, last) {
				continue // sent while catching up
			}
			if !send(c) {
				return
			}
			last = c.Seq
			flusher.Flush()
		case <-tick.C:
			_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

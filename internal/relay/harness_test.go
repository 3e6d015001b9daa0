package relay_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/desktest"
	"github.com/threadesk/threadesk/internal/redisstore"
	"github.com/threadesk/threadesk/internal/redistest"
	"github.com/threadesk/threadesk/internal/relay"
)

// harness runs a relay on a real Redis (a key prefix of its own) and a fake platform.
type harness struct {
	t      *testing.T
	p      *desktest.Platform
	store  *redisstore.Store
	prefix string
	opts   relay.Options
	relay  *relay.Relay
	stop   func()
}

const shards = 8

func newHarness(t *testing.T, limits desk.Limits, tweak ...func(*relay.Options)) *harness {
	t.Helper()
	if limits.MaxText == 0 {
		limits.MaxText = 4000
	}
	h := &harness{t: t, p: desktest.New("fake", limits), prefix: redistest.Prefix(t)}
	h.store = h.openStore()
	h.opts = relay.Options{
		Store: h.store, Platforms: []desk.Platform{h.p}, Shards: shards,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		RetryInitial: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond, GiveUpAfter: 2 * time.Second,
	}
	for _, f := range tweak {
		f(&h.opts)
	}
	h.start()
	t.Cleanup(func() { h.stop() })
	return h
}

func (h *harness) openStore() *redisstore.Store {
	h.t.Helper()
	s, err := redisstore.New(redistest.Client(h.t), redisstore.Options{Prefix: h.prefix, Shards: shards})
	if err != nil {
		h.t.Fatalf("open store: %v", err)
	}
	return s
}

// start runs a new relay (as a restarted process would) on the harness's store.
func (h *harness) start() {
	h.t.Helper()
	r, err := relay.New(h.opts)
	if err != nil {
		h.t.Fatalf("new relay: %v", err)
	}
	h.relay = r
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	var once sync.Once
	h.stop = func() { once.Do(func() { cancel(); <-done }) }
}

// ingest hands an event to the relay the way an adapter does and fails the test if it is not
// recorded.
func (h *harness) ingest(ev desk.Event) {
	h.t.Helper()
	if ev.Platform == "" {
		ev.Platform = "fake"
	}
	if err := h.relay.Ingest(context.Background(), ev); err != nil {
		h.t.Fatalf("ingest %s: %v", ev.ID, err)
	}
}

func customer(id string) desk.User { return desk.User{ID: id, DisplayName: "Customer " + id} }
func agent(id string) desk.User    { return desk.User{ID: id, DisplayName: "Agent " + id} }

// say is a customer's DM message event.
func say(user, msgID, text string) desk.Event {
	return desk.Event{ID: "ev-" + user + "-" + msgID, Kind: desk.CustomerMessage, User: customer(user),
		Channel: "D-" + user, Message: msgID, Text: text}
}

// reply is an agent's thread reply event.
func reply(agentID, thread, msgID, text string) desk.Event {
	return desk.Event{ID: "ev-" + agentID + "-" + msgID, Kind: desk.AgentReply, User: agent(agentID),
		Channel: "C-TRIAGE", Thread: thread, Message: msgID, Text: text}
}

// ticketOf waits for the customer's ticket to have a thread and returns it.
func (h *harness) ticketOf(user string) desk.Ticket {
	h.t.Helper()
	var t desk.Ticket
	ok := h.p.Wait(5*time.Second, func() bool {
		var err error
		t, err = h.store.CustomerTicket(context.Background(), "fake", user)
		return err == nil && t.HasThread()
	})
	if !ok {
		h.t.Fatalf("no ticket with a thread for %s", user)
	}
	return t
}

// waitTexts waits until the messages in channel/thread are exactly want (texts, in order).
func (h *harness) waitTexts(channel, thread string, want []string) {
	h.t.Helper()
	var got []string
	texts := func() []string {
		got = got[:0]
		for _, m := range h.p.Messages(channel, thread) {
			got = append(got, m.Text)
		}
		return got
	}
	if !h.p.Wait(10*time.Second, func() bool { return fmt.Sprint(texts()) == fmt.Sprint(want) }) {
		h.t.Fatalf("messages in %s/%s:\n got %q\nwant %q", channel, thread, clip(got), clip(want))
	}
}

func clip(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if len(s) > 60 {
			s = s[:60] + "…"
		}
		out[i] = s
	}
	return out
}

// dmTexts are the relayed (agent) messages in a customer's DM, without the app's notices.
func (h *harness) dmTexts(user string) []string {
	var out []string
	for _, m := range h.p.Messages("D-"+user, "") {
		if m.As != "" {
			out = append(out, m.Text)
		}
	}
	return out
}

func hasMark(m desktest.Message, mark desk.Mark) bool {
	for _, x := range m.Marks {
		if x == mark {
			return true
		}
	}
	return false
}

func (h *harness) waitMark(ref desk.MessageRef, mark desk.Mark) {
	h.t.Helper()
	if !h.p.Wait(10*time.Second, func() bool {
		m, ok := h.p.Message(ref)
		return ok && hasMark(m, mark)
	}) {
		m, _ := h.p.Message(ref)
		h.t.Fatalf("message %v has marks %v, want %s", ref, m.Marks, mark)
	}
}

// hang makes the fake platform hang in its calls of the ops given (every call when none)
// until the returned func is called.
func (h *harness) hang(ops ...string) (release func()) {
	ch := make(chan struct{})
	h.p.SetFail(func(c desktest.Call) error {
		if len(ops) == 0 || slices.Contains(ops, c.Op) {
			<-ch // the platform hangs
		}
		return nil
	})
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

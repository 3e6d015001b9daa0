package relay_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/relay"
)

// TestLateMessagesSayWhenTheyWereWritten: a customer's message that the platform delivers
// after a later one (its retry after an outage) goes into the thread under a line saying when
// it was written; so does an agent's reply into the customer's DM. Messages in order are
// relayed as written.
func TestLateMessagesSayWhenTheyWereWritten(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	at := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	msg := func(id, text string, written time.Time) desk.Event {
		ev := say("U1", id, text)
		ev.At = written
		return ev
	}
	h.ingest(msg("m1", "first", at))
	tk := h.ticketOf("U1")
	h.ingest(msg("m3", "third", at.Add(2*time.Minute)))
	h.ingest(msg("m2", "second", at.Add(time.Minute+5*time.Second)))
	h.ingest(msg("m4", "fourth", at.Add(3*time.Minute)))
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"first", "third",
		"⏱ Written Dec 6 14:01:05 UTC; it arrived after later messages.\nsecond", "fourth"})

	r1 := reply("A1", tk.ThreadID, "r1", "answer two")
	r1.At = at.Add(10 * time.Minute)
	r0 := reply("A1", tk.ThreadID, "r0", "answer one")
	r0.At = at.Add(9 * time.Minute)
	h.ingest(r1)
	h.ingest(r0)
	if !h.p.Wait(5*time.Second, func() bool { return len(h.dmTexts("U1")) == 2 }) {
		t.Fatalf("DM: %q", h.dmTexts("U1"))
	}
	got := h.dmTexts("U1")
	if got[0] != "answer two" || !strings.HasPrefix(got[1], "⏱ Written Dec 6 14:09:00 UTC;") || !strings.HasSuffix(got[1], "\nanswer one") {
		t.Errorf("the customer's DM: %q, want the late reply marked", got)
	}
	stored, err := h.store.Ticket(t.Context(), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !stored.HeardAt.Equal(at.Add(3*time.Minute)) || !stored.ToldAt.Equal(at.Add(10*time.Minute)) {
		t.Errorf("the ticket's newest relayed times: heard %v, told %v", stored.HeardAt, stored.ToldAt)
	}
}

// lostReadStore loses the answer of one read of new queue entries that returned some, as when
// the connection drops (or Redis restarts) after Redis handed the entries to the consumer.
type lostReadStore struct {
	desk.Store
	lost atomic.Bool
}

func (s *lostReadStore) ReadQueue(ctx context.Context, shard int, after string, count int, block time.Duration) ([]desk.Queued, error) {
	got, err := s.Store.ReadQueue(ctx, shard, after, count, block)
	if err == nil && after == "" && len(got) > 0 && s.lost.CompareAndSwap(false, true) {
		return nil, errors.New("read tcp: connection reset by peer")
	}
	return got, err
}

// TestLostReadAnswerLosesNothing: entries Redis handed to the worker in a read whose answer
// never arrived are pending for that consumer, and a read of new entries never returns them
// again: the worker reads its pending entries after a failed read, so they are relayed, in
// order.
func TestLostReadAnswerLosesNothing(t *testing.T) {
	lost := &lostReadStore{}
	h := newHarness(t, desk.Limits{}, func(o *relay.Options) {
		lost.Store = o.Store
		o.Store = lost
	})
	h.ingest(say("U1", "m1", "first"))
	tk := h.ticketOf("U1")
	h.ingest(say("U1", "m2", "second"))
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"first", "second"})
	if !lost.lost.Load() {
		t.Fatal("no read answer was lost: the test tested nothing")
	}
}

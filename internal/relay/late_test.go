package relay_test

import (
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
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

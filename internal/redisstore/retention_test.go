package redisstore

import (
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// testExpireClosed: a ticket closed before the cutoff loses its transcript, its messages'
// links, its texts and its search words, and keeps its number, status, people's IDs, times and
// tags; a ticket closed after the cutoff, an open one, and one closed before the closed index
// existed (found once by the backfill) are treated as their close time says.
func testExpireClosed(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	mk := func(user, subject string, closed time.Time) desk.Ticket {
		t.Helper()
		tk, _ := openTicket(t, s, newTicket(user))
		tk.Subject, tk.Tags, tk.Assignee, tk.AssigneeName = subject, []string{"vpn"}, "U04AGENT001", "Sam"
		tk.Customer.TimeZone, tk.RatingComment, tk.Rating = "Europe/Moscow", "Sam was great", 5
		tk.Answers = []desk.Answer{{ID: "device", Ask: "Device?", Value: "my old laptop"}}
		src := desk.MessageRef{Channel: tk.DMChannel, ID: user + ".1"}
		changes := []desk.Change{
			desk.PutLink{Platform: "slack", Link: desk.Link{Ticket: tk.ID, Kind: desk.LinkCustomer, Source: src,
				Parts: []desk.MessageRef{{Channel: "C04TRIAGE01", ID: user + ".2"}}}},
			desk.AppendEntry{Ticket: tk.ID, Entry: desk.Entry{At: at(3), Kind: "customer", Author: user, Name: "Jane Doe", Text: subject + " again"}},
		}
		if !closed.IsZero() {
			tk.Status, tk.ClosedAt = desk.StatusClosed, closed
		}
		apply(t, s, append(changes, desk.SaveTicket{Ticket: tk})...)
		return tk
	}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	old := mk("U1", "printer quarantined", now.Add(-400*24*time.Hour))
	recent := mk("U2", "printer jammed", now.Add(-10*24*time.Hour))
	active := mk("U3", "printer missing", time.Time{})
	// One closed before the index existed: taken out of it as an old store would have it.
	legacy := mk("U4", "printer legacy", now.Add(-500*24*time.Hour))
	rdb.ZRem(ctxT(t), s.keys.closed(), "4")
	rdb.Del(ctxT(t), s.keys.closedVersion())

	n, err := s.ExpireClosed(ctxT(t), now.Add(-365*24*time.Hour), 10)
	if err != nil || n != 2 {
		t.Fatalf("ExpireClosed = %d, %v; want the 2 tickets closed over a year ago", n, err)
	}
	for _, tk := range []desk.Ticket{old, legacy} {
		got, err := s.Ticket(ctxT(t), tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Subject != "" || got.RatingComment != "" || len(got.Answers) != 0 || got.Customer.Name != "" ||
			got.Customer.DisplayName != "" || got.Customer.TimeZone != "" {
			t.Errorf("ticket %s keeps texts after expiry: %+v", tk.ID, got)
		}
		if got.Status != desk.StatusClosed || got.Customer.ID != tk.Customer.ID || got.Rating != 5 || got.Assignee != "U04AGENT001" ||
			!got.ClosedAt.Equal(tk.ClosedAt) || !got.CreatedAt.Equal(tk.CreatedAt) || strings.Join(got.Tags, ",") != "vpn" {
			t.Errorf("ticket %s lost what statistics need: %+v", tk.ID, got)
		}
		history, err := s.Transcript(ctxT(t), tk.ID)
		if err != nil || len(history) != 1 || history[0].Kind != "expired" || history[0].Text != "" {
			t.Errorf("history of ticket %s after expiry: %+v, %v; want one \"expired\" entry", tk.ID, history, err)
		}
		if _, err := s.Link(ctxT(t), "slack", desk.MessageRef{Channel: tk.DMChannel, ID: tk.Customer.ID + ".1"}); desk.ErrorCode(err) != desk.ENOTFOUND {
			t.Errorf("the link of ticket %s's message survived: %v", tk.ID, err)
		}
	}
	for _, w := range []string{"quarantin", "legaci", "jane"} {
		for _, id := range []desk.TicketID{old.ID, legacy.ID} {
			if ok, _ := rdb.SIsMember(ctxT(t), s.keys.word(stemWord(w)), id.String()[1:]).Result(); ok {
				t.Errorf("ticket %s is still found by the word %q", id, w)
			}
		}
	}
	for _, tk := range []desk.Ticket{recent, active} {
		got, _ := s.Ticket(ctxT(t), tk.ID)
		history, _ := s.Transcript(ctxT(t), tk.ID)
		if got.Subject != tk.Subject || len(history) != 1 || history[0].Kind != "customer" {
			t.Errorf("ticket %s was expired too: %+v %+v", tk.ID, got, history)
		}
	}
	if n, err := s.ExpireClosed(ctxT(t), now.Add(-365*24*time.Hour), 10); err != nil || n != 0 {
		t.Errorf("a second run expired %d, %v; want none", n, err)
	}
	if n, err := s.ExpireClosed(ctxT(t), now, 10); err != nil || n != 1 {
		t.Errorf("with today's cutoff: %d, %v; want the recently closed one", n, err)
	}
}

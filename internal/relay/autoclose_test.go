package relay_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/relay"
)

const day = 24 * time.Hour

// autoCloseDesk runs the desk file's auto-close and satisfaction rules.
func autoCloseDesk(t *testing.T, rating desk.Rating) *deskHarness {
	t.Helper()
	d := newDesk(t, func(o *relay.Options) {
		p := desk.Policy{PendingNudge: 3 * day, PendingResolve: 7 * day, ResolvedClose: 7 * day, Rating: rating}
		o.Policy = func() desk.Policy { return p }
		o.TimerTick = time.Second
	})
	return d
}

// waitNotices advances virtual time by step until the customer has a notice containing want.
func (d *deskHarness) advanceTo(step time.Duration, user, want string) {
	d.t.Helper()
	d.clock.Advance(step)
	deadline := time.Now().Add(10 * time.Second)
	for count(d.notices(user), want) == 0 {
		if time.Now().After(deadline) {
			tk, _ := d.store.CustomerTicket(context.Background(), "fake", user)
			entries, _ := d.store.Transcript(context.Background(), tk.ID)
			d.t.Fatalf("no notice %q to %s by %v: notices %q; ticket %+v; history %+v", want, user, d.clock.Now(), d.notices(user), tk, entries)
		}
		d.clock.Advance(d.opts.RetryMax)
		time.Sleep(5 * time.Millisecond)
	}
}

func count(texts []string, sub string) int {
	n := 0
	for _, s := range texts {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

// TestPendingTicketIsNudgedThenResolved: a ticket left waiting on the customer is nudged after
// three days and resolved after seven, once each with two processes; the customer is told each
// time; the history names the timer; nobody is asked to rate help that never came.
func TestPendingTicketIsNudgedThenResolved(t *testing.T) {
	d := autoCloseDesk(t, desk.Rating{})
	tk := d.open("U1")
	_ = d.press("A1", "C-TRIAGE", tk.ThreadID, "pending", "1")
	d.drain()
	d.runSecond()
	d.advanceTo(3*day-time.Minute, "U1", "is waiting for your reply")
	if got := d.ticket(tk.ID); got.Status != desk.StatusPending {
		t.Errorf("after the nudge: %s, want still pending", got.Status)
	}
	d.advanceTo(4*day-time.Minute, "U1", "since we have not heard back from you")
	got := d.ticket(tk.ID)
	if got.Status != desk.StatusResolved || got.ResolvedBy != "timer" {
		t.Errorf("after a week: %s by %q, want resolved by the timer", got.Status, got.ResolvedBy)
	}
	d.drain()
	n := d.notices("U1")
	if count(n, "is waiting for your reply") != 1 || count(n, "since we have not heard back") != 1 || count(n, "How satisfied") != 0 {
		t.Errorf("the customer's notices: %q; want one nudge, one resolution, no rating question", n)
	}
	entries, _ := d.store.Transcript(context.Background(), tk.ID)
	var byTimer []string
	for _, e := range entries {
		if e.Author == "timer" {
			byTimer = append(byTimer, e.Text)
		}
	}
	if strings.Join(byTimer, ", ") != "nudge, pending → resolved" {
		t.Errorf("the timer's history lines: %q", byTimer)
	}
}

// TestAnswerCancelsTheNudge: a customer who answers a pending ticket is neither nudged nor
// has their ticket resolved for them.
func TestAnswerCancelsTheNudge(t *testing.T) {
	d := autoCloseDesk(t, desk.Rating{})
	tk := d.open("U1")
	_ = d.press("A1", "C-TRIAGE", tk.ThreadID, "pending", "1")
	d.drain()
	d.runSecond()
	d.clock.Advance(day)
	d.ingest(say("U1", "m-answer", "here is the screenshot"))
	d.drain()
	d.clock.Advance(8 * day)
	time.Sleep(100 * time.Millisecond)
	d.drain()
	if got := d.ticket(tk.ID); got.Status != desk.StatusOpen {
		t.Errorf("status %s, want open", got.Status)
	}
	if n := d.notices("U1"); count(n, "is waiting for your reply") != 0 || count(n, "have not heard back") != 0 {
		t.Errorf("notices after an answer: %q", n)
	}
}

// TestRatingReminderAndOwnText: the desk file's question text in the customer's language, and
// one reminder a day later, which a rating would have cancelled.
func TestRatingReminderAndOwnText(t *testing.T) {
	d := autoCloseDesk(t, desk.Rating{RemindAfter: day,
		Question: map[string]string{"en": "How did we do with {ticket}, {customer}?"},
		Reminder: map[string]string{"ru": "Оцените, пожалуйста, {ticket}"}})
	tk := d.open("U1")
	_ = d.press("A1", "C-TRIAGE", tk.ThreadID, "resolve", "1")
	d.drain()
	d.runSecond()
	if n := d.notices("U1"); count(n, "How did we do with #1, Customer U1?") != 1 {
		t.Fatalf("notices %q, want the file's question", n)
	}
	first := d.ticket(tk.ID).RatingMessage
	d.advanceTo(day-time.Minute, "U1", "One last thing about ticket #1")
	if m, _ := d.p.Message(first); m.Text != "How did we do with #1, Customer U1?" || m.Card == nil || len(m.Card.Actions) != 0 {
		t.Errorf("the first question after the reminder: %q %+v, want its words without buttons", m.Text, m.Card)
	}
	if again := d.ticket(tk.ID).RatingMessage; again == first || again.ID == "" {
		t.Errorf("the rating message is still the first question")
	}
	d.clock.Advance(3 * day)
	time.Sleep(100 * time.Millisecond)
	if n := d.notices("U1"); count(n, "One last thing") != 1 {
		t.Errorf("reminders: %q, want one", n)
	}

	// Rated before the day is over: no reminder.
	tk2 := d.open("U2")
	_ = d.press("A1", "C-TRIAGE", tk2.ThreadID, "resolve", "2")
	d.drain()
	d.ingest(desk.Event{ID: nextID("rate"), Kind: desk.ActionPressed, User: desk.User{ID: "U2"}, Channel: "D-U2",
		Message: d.ticket(tk2.ID).RatingMessage.ID, Action: "rate", Value: "2:5"})
	d.drain()
	if got := d.ticket(tk2.ID); got.Rating != 5 {
		t.Fatalf("rating %d", got.Rating)
	}
	d.clock.Advance(2 * day)
	time.Sleep(100 * time.Millisecond)
	if n := d.notices("U2"); count(n, "One last thing") != 0 {
		t.Errorf("a rated customer was reminded: %q", n)
	}
}

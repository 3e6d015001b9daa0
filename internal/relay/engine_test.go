package relay_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/redisstore"
	"github.com/threadesk/threadesk/internal/redistest"
	"github.com/threadesk/threadesk/internal/relay"
)

// runSecond runs a second relay on the same store (a second process on the same Redis) until
// the test ends. Tests start it once a ticket is set up and let only timers race: two processes
// reading one queue shard at once may handle one ticket's events out of order until shards are
// leased to one replica at a time (the replicas issue).
func (d *deskHarness) runSecond() {
	d.t.Helper()
	opts := d.opts
	// Another process is another consumer of the queue, as INSTANCE_NAME makes each replica.
	s, err := redisstore.New(redistest.Client(d.t), redisstore.Options{Prefix: d.prefix, Shards: shards, Consumer: "second"})
	if err != nil {
		d.t.Fatalf("open store: %v", err)
	}
	opts.Store = s
	r, err := relay.New(opts)
	if err != nil {
		d.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = r.Run(ctx) })
	d.t.Cleanup(func() { cancel(); wg.Wait() })
}

// TestTimerClosesAResolvedTicketOnce: with resolved tickets closing after a week, the timer
// set by a resolution fires a week later in virtual time, through the queue like any event,
// once even with two processes on the store: the customer is told once, the history names the
// timer, and nobody is answered.
func TestTimerClosesAResolvedTicketOnce(t *testing.T) {
	d := newDesk(t, func(o *relay.Options) { o.ResolvedClose = 7 * 24 * time.Hour; o.TimerTick = time.Second })
	tk := d.open("U1")
	_ = d.press("A1", "C-TRIAGE", tk.ThreadID, "resolve", "1")
	d.drain()
	d.runSecond()
	d.clock.Advance(7*24*time.Hour - time.Minute)
	time.Sleep(50 * time.Millisecond)
	d.drain()
	if got := d.ticket(tk.ID); got.Status != desk.StatusResolved {
		t.Fatalf("status %s a minute before the timer, want resolved", got.Status)
	}
	d.advanceUntil(func() bool {
		got, err := d.store.Ticket(context.Background(), tk.ID)
		return err == nil && got.Status == desk.StatusClosed
	})
	d.drain()
	closed := 0
	for _, n := range d.notices("U1") {
		if strings.Contains(n, "is closed") {
			closed++
		}
	}
	if closed != 1 {
		t.Errorf("%d closing notices, want 1: %q", closed, d.notices("U1"))
	}
	entries, _ := d.store.Transcript(context.Background(), tk.ID)
	last := entries[len(entries)-1]
	if last.Author != "timer" || last.Text != "resolved → closed" {
		t.Errorf("last history line %+v, want the timer closing it", last)
	}
	if a := d.answers("A1"); len(a) != 0 {
		t.Errorf("answers: %q", a)
	}
	if field(d.card(tk), "Status") != "closed" {
		t.Errorf("card status %q", field(d.card(tk), "Status"))
	}
}

// TestReopeningCancelsTheCloseTimer: a resolved ticket the customer writes on again is open
// and stays open when the week is over.
func TestReopeningCancelsTheCloseTimer(t *testing.T) {
	d := newDesk(t, func(o *relay.Options) { o.ResolvedClose = 7 * 24 * time.Hour; o.TimerTick = time.Second })
	tk := d.open("U1")
	_ = d.press("A1", "C-TRIAGE", tk.ThreadID, "resolve", "1")
	d.drain()
	d.ingest(say("U1", "again", "it broke again"))
	d.drain()
	d.clock.Advance(8 * 24 * time.Hour)
	time.Sleep(100 * time.Millisecond)
	d.drain()
	if got := d.ticket(tk.ID); got.Status != desk.StatusOpen {
		t.Errorf("status %s a day after the timer would have fired, want open", got.Status)
	}
}

// TestDashboardStepsAreAnsweredThere: a step from the dashboard goes through the same engine
// as a click and its answer comes back to the caller, not into the chat.
func TestDashboardStepsAreAnsweredThere(t *testing.T) {
	h := newHarness(t, desk.Limits{}, func(o *relay.Options) { o.Categories = []string{"Billing"} })
	h.p.AddAgent(desk.User{ID: "A1", DisplayName: "Agent A1"})
	h.p.AddUser(desk.User{ID: "X1", DisplayName: "Xavier"})
	h.ingest(say("U1", "m1", "help"))
	tk := h.ticketOf("U1")
	ask := func(id, user string, step desk.StepKind, args map[string]string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		text, err := h.relay.Do(ctx, desk.Event{ID: id, Platform: "fake", Kind: desk.StepAsked, Source: desk.SourceDashboard,
			User: desk.User{ID: user}, Ticket: tk.ID, Action: string(step), Form: args})
		if err != nil {
			t.Fatalf("Do(%s): %v", step, err)
		}
		return text
	}
	if got := ask("dash-1", "A1", desk.StepTag, map[string]string{"category": "Billing", "tags": "vip", "priority": "high"}); !strings.Contains(got, "category Billing, tags vip, priority high") {
		t.Errorf("answer to a tag = %q", got)
	}
	if got := ask("dash-2", "A1", desk.StepResolve, nil); got != "#1 is resolved." {
		t.Errorf("answer to a resolve = %q", got)
	}
	if got := ask("dash-3", "A1", desk.StepResolve, nil); !strings.Contains(got, "already resolved") {
		t.Errorf("answer to a second resolve = %q", got)
	}
	if got := ask("dash-4", "X1", desk.StepReopen, nil); !strings.Contains(got, "for support agents") {
		t.Errorf("answer to a stranger = %q", got)
	}
	if got := ask("dash-5", "A1", desk.StepAssign, map[string]string{"agent": "nobody-at-all"}); !strings.Contains(got, "Nobody called") {
		t.Errorf("answer to an unknown assignee = %q", got)
	}
	// The same event from the dashboard twice (a double submit) has one effect and one answer.
	if got := ask("dash-2", "A1", desk.StepResolve, nil); got != "#1 is resolved." {
		t.Errorf("answer to a repeated event = %q, want the first answer", got)
	}
	for _, c := range []string{"C-TRIAGE", "D-U1"} {
		for _, m := range h.p.Messages(c, "") {
			if m.Ephemeral != "" {
				t.Errorf("a dashboard answer went to chat: %q", m.Text)
			}
		}
	}
	got, _ := h.store.Ticket(context.Background(), tk.ID)
	if got.Status != desk.StatusResolved || got.Category != "Billing" || got.Priority != desk.PriorityHigh {
		t.Errorf("ticket %+v", got)
	}
	// The customer was told as after a click.
	h.p.Wait(5*time.Second, func() bool {
		for _, m := range h.p.Messages("D-U1", "") {
			if strings.Contains(m.Text, "is resolved") {
				return true
			}
		}
		return false
	})
	if _, err := h.relay.Do(context.Background(), desk.Event{ID: "chat", Platform: "fake", Kind: desk.StepAsked, User: desk.User{ID: "A1"}, Ticket: tk.ID, Action: "resolve"}); desk.ErrorCode(err) != desk.EINVALID {
		t.Errorf("Do of a chat event: %v, want invalid", err)
	}
}

// TestACardDeletionForgetsTheThread: the platform reports the card deleted; the ticket's
// history says so, and the customer's next message opens a new card for the same ticket.
func TestACardDeletionForgetsTheThread(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	h.ingest(say("U1", "m1", "first"))
	old := h.ticketOf("U1")
	h.waitTexts("C-TRIAGE", old.ThreadID, []string{"first"})
	h.ingest(desk.Event{ID: "del-1", Kind: desk.ThreadDeleted, User: desk.User{ID: "A9", IsBot: true}, Channel: "C-TRIAGE", Thread: old.ThreadID})
	h.ingest(desk.Event{ID: "del-2", Kind: desk.ThreadDeleted, User: desk.User{ID: "A9"}, Channel: "C-TRIAGE", Thread: "not-a-card"})
	h.p.Wait(5*time.Second, func() bool {
		t, _ := h.store.Ticket(context.Background(), old.ID)
		return !t.HasThread()
	})
	h.ingest(say("U1", "m2", "second"))
	var tk desk.Ticket
	h.p.Wait(5*time.Second, func() bool {
		tk, _ = h.store.Ticket(context.Background(), old.ID)
		return tk.HasThread() && tk.ThreadID != old.ThreadID
	})
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"second"})
	h.p.Wait(5*time.Second, func() bool { n, err := h.store.QueueDepth(context.Background()); return err == nil && n == 0 })
	entries, _ := h.store.Transcript(context.Background(), tk.ID)
	var kinds []string
	for _, e := range entries {
		kinds = append(kinds, e.Kind+":"+e.Text)
	}
	want := []string{"customer:first", "system:The ticket's card was deleted; a new one is posted when the customer writes again.",
		"system:The ticket's card was deleted; a new one was posted.", "customer:second"}
	if strings.Join(kinds, "|") != strings.Join(want, "|") {
		t.Errorf("history %q, want %q", kinds, want)
	}
	if n := len(h.p.Messages("D-U1", "")); n != 1 {
		t.Errorf("%d messages from the app in the DM, want only the ticket number", n)
	}
}

// TestBotsAreNeitherCustomersNorAgents: the one rule, in the core: another bot's message opens
// no ticket and is not relayed from a thread, and a bot in the triage channel cannot be given a
// ticket.
func TestBotsAreNeitherCustomersNorAgents(t *testing.T) {
	d := newDesk(t)
	d.p.AddAgent(desk.User{ID: "B1", Name: "helperbot", DisplayName: "Helper Bot", IsBot: true})
	bot := say("B1", "b1", "I am a bot")
	bot.User.IsBot = true
	d.ingest(bot)
	tk := d.open("U1")
	botReply := reply("B1", tk.ThreadID, "b2", "automated answer")
	botReply.User.IsBot = true
	d.ingest(botReply)
	d.drain()
	if _, err := d.store.CustomerTicket(context.Background(), "fake", "B1"); err == nil {
		t.Error("a bot's DM opened a ticket")
	}
	if texts := d.dmTexts("U1"); len(texts) != 0 {
		t.Errorf("a bot's reply reached the customer: %q", texts)
	}
	// The form is refused on the form; the command in the worker.
	err := d.relay.Ingest(context.Background(), desk.Event{Platform: "fake", ID: nextID("form"), Kind: desk.FormSubmitted, User: desk.User{ID: "A1"},
		Channel: "C-TRIAGE", Action: "assign", Value: "1", Form: map[string]string{"agent": "B1"}})
	if fe, ok := errors.AsType[*desk.FormError](err); !ok || !strings.Contains(fe.Fields["agent"], "is not an agent") {
		t.Errorf("assign form naming a bot: %v", err)
	}
	if a := d.command("A1", "C-TRIAGE", "assign 1 @helperbot"); !strings.Contains(a, "«Helper Bot» is not an agent") {
		t.Errorf("assign command naming a bot: %q", a)
	}
	if got := d.ticket(tk.ID); got.Assignee != "" {
		t.Errorf("a bot was assigned the ticket")
	}
}

// TestRatingFormsChangeOnlyTheirTicketsQuestion: a comment form whose context names another
// message (forged, or stale) changes only the question the store knows for its ticket; a form
// naming a ticket that is not the submitter's is refused.
func TestRatingFormsChangeOnlyTheirTicketsQuestion(t *testing.T) {
	d := newDesk(t)
	questions := map[string]desk.MessageRef{}
	for _, u := range []string{"U1", "U2"} {
		tk := d.open(u)
		_ = d.press("A1", "C-TRIAGE", tk.ThreadID, "resolve", tk.ID.String()[1:])
		d.drain()
		got := d.ticket(tk.ID)
		if got.RatingMessage.ID == "" {
			t.Fatalf("ticket %s remembers no rating question", tk.ID)
		}
		questions[u] = got.RatingMessage
	}
	_ = d.press("U1", "D-U1", questions["U1"].ID, "rate", "1:5")
	d.drain()
	before, _ := d.p.Message(questions["U2"])
	d.submit("U1", "comment", "1:D-U2:"+questions["U2"].ID, map[string]string{"comment": "great"})
	d.submit("U1", "comment", "2", map[string]string{"comment": "forged"})
	d.drain()
	after, _ := d.p.Message(questions["U2"])
	if after.Text != before.Text || after.Edits != before.Edits {
		t.Errorf("another customer's question changed: %q → %q", before.Text, after.Text)
	}
	mine, _ := d.p.Message(questions["U1"])
	if !strings.Contains(mine.Text, "Thank you for your comment") {
		t.Errorf("own question after the comment: %q", mine.Text)
	}
	if got := d.ticket(2); got.RatingComment != "" {
		t.Errorf("ticket #2 got comment %q from another customer", got.RatingComment)
	}
	if got := d.ticket(1); got.RatingComment != "great" {
		t.Errorf("ticket #1 comment %q", got.RatingComment)
	}
}

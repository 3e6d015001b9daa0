package relay_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/desktest"
	"github.com/threadesk/threadesk/internal/relay"
)

var seq atomic.Int64

// desk is a harness with agents A1, A2 (A1 a lead), customers U1, U2 and a fake clock.
type deskHarness struct {
	*harness
	clock *clockwork.FakeClock
}

func newDesk(t *testing.T, tweak ...func(*relay.Options)) *deskHarness {
	t.Helper()
	c := clockwork.NewFakeClockAt(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	h := newHarness(t, desk.Limits{}, append([]func(*relay.Options){func(o *relay.Options) {
		o.Clock = c
		o.Leads = []string{"a1-handle"}
	}}, tweak...)...)
	h.p.AddAgent(desk.User{ID: "A1", Name: "a1-handle", DisplayName: "Agent A1"})
	h.p.AddAgent(desk.User{ID: "A2", Name: "a2-handle", DisplayName: "Agent A2"})
	h.p.AddUser(desk.User{ID: "U1", Name: "u1", DisplayName: "Customer U1"})
	h.p.AddUser(desk.User{ID: "U2", Name: "u2", DisplayName: "Customer U2"})
	return &deskHarness{harness: h, clock: c}
}

func nextID(prefix string) string { return fmt.Sprintf("%s-%d", prefix, seq.Add(1)) }

// open has customer U1 write a first message and returns the new ticket.
func (d *deskHarness) open(user string) desk.Ticket {
	d.t.Helper()
	d.ingest(say(user, nextID("m"), "my order has not arrived"))
	return d.ticketOf(user)
}

// press is a button click by user on a card in channel.
func (d *deskHarness) press(user, channel, message, action, value string) error {
	ev := desk.Event{Platform: "fake", ID: nextID("click"), Kind: desk.ActionPressed, User: desk.User{ID: user},
		Channel: channel, Message: message, Action: action, Value: value, Trigger: "trigger-" + user}
	return d.relay.Ingest(context.Background(), ev)
}

// submit is a form submission.
func (d *deskHarness) submit(user, form, value string, values map[string]string) {
	d.t.Helper()
	d.ingest(desk.Event{ID: nextID("form"), Kind: desk.FormSubmitted, User: desk.User{ID: user},
		Channel: "C-TRIAGE", Action: form, Value: value, Form: values})
}

// command runs the slash command as user and returns the private answer.
func (d *deskHarness) command(user, channel, text string) string {
	d.t.Helper()
	before := len(d.answers(user))
	d.ingest(desk.Event{ID: nextID("cmd"), Kind: desk.CommandRun, User: desk.User{ID: user}, Channel: channel, Text: text})
	if !d.p.Wait(5*time.Second, func() bool { return len(d.answers(user)) > before }) {
		d.t.Fatalf("no answer to %q", text)
	}
	return d.answers(user)[before]
}

// answers are the ephemeral messages shown to user, oldest first.
func (d *deskHarness) answers(user string) []string {
	var out []string
	for _, c := range []string{"C-TRIAGE", "D-" + user, "D-A1"} {
		for _, m := range d.p.Messages(c, "") {
			if m.Ephemeral == user {
				out = append(out, m.Text)
			}
		}
	}
	return out
}

// ticket reads a ticket from the store once the queue is empty.
func (d *deskHarness) ticket(id desk.TicketID) desk.Ticket {
	d.t.Helper()
	d.drain()
	t, err := d.store.Ticket(context.Background(), id)
	if err != nil {
		d.t.Fatal(err)
	}
	return t
}

// drain waits until every recorded event is handled.
func (d *deskHarness) drain() {
	d.t.Helper()
	if !d.p.Wait(5*time.Second, func() bool {
		n, err := d.store.QueueDepth(context.Background())
		return err == nil && n == 0
	}) {
		d.t.Fatal("queue did not drain")
	}
}

// advanceUntil moves the desk's clock on, a retry's longest wait at a time, until cond holds:
// waits for backoff, pacing and timers pass in virtual time.
func (d *deskHarness) advanceUntil(cond func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			d.t.Fatal("the condition never held")
		}
		d.clock.Advance(d.opts.RetryMax)
		time.Sleep(5 * time.Millisecond) // let the woken goroutines run
	}
}

// card returns the current card of a ticket.
func (d *deskHarness) card(t desk.Ticket) *desk.Card {
	d.t.Helper()
	d.drain()
	m, ok := d.p.Message(desk.MessageRef{Channel: "C-TRIAGE", ID: t.ThreadID})
	if !ok || m.Card == nil {
		d.t.Fatalf("no card for %s", t.ID)
	}
	return m.Card
}

func field(c *desk.Card, label string) string {
	for _, f := range c.Fields {
		if f.Label == label {
			return f.Value
		}
	}
	return ""
}

func buttons(c *desk.Card) []string {
	var out []string
	for _, a := range c.Actions {
		out = append(out, a.ID)
	}
	return out
}

// notices are the app's own (not relayed) messages in the customer's DM.
func (d *deskHarness) notices(user string) []string {
	d.drain()
	var out []string
	for _, m := range d.p.Messages("D-"+user, "") {
		if m.As == "" && m.Ephemeral == "" {
			out = append(out, m.Text)
		}
	}
	return out
}

func TestClaimFromTheCard(t *testing.T) {
	d := newDesk(t)
	tk := d.open("U1")
	c := d.card(tk)
	if got := fmt.Sprint(buttons(c)); got != "[claim assign tag pending resolve close]" {
		t.Errorf("buttons of a new ticket = %s", got)
	}
	d.clock.Advance(10 * time.Minute)
	if err := d.press("A1", "C-TRIAGE", tk.ThreadID, "claim", fmt.Sprint(int64(tk.ID))); err != nil {
		t.Fatal(err)
	}
	got := d.ticket(tk.ID)
	if got.Status != desk.StatusOpen || got.Assignee != "A1" || got.FirstResponseAt.Sub(got.CreatedAt) != 10*time.Minute {
		t.Errorf("after claim: %s assignee %q first response after %v", got.Status, got.Assignee, got.FirstResponseAt.Sub(got.CreatedAt))
	}
	c = d.card(tk)
	if field(c, "Status") != "open" || field(c, "Assignee") != "«Agent A1»" {
		t.Errorf("card after claim: status %q, assignee %q", field(c, "Status"), field(c, "Assignee"))
	}
	if n := d.notices("U1"); len(n) != 2 || !strings.Contains(n[1], "«Agent A1» is now looking after your ticket #1") {
		t.Errorf("customer notices = %q", n)
	}
	// Claiming again is refused, privately, and changes nothing.
	if err := d.press("A1", "C-TRIAGE", tk.ThreadID, "claim", "1"); err != nil {
		t.Fatal(err)
	}
	d.drain()
	if a := d.answers("A1"); len(a) != 1 || !strings.Contains(a[0], "already yours") {
		t.Errorf("answers to a second claim = %q", a)
	}
	// A customer cannot claim.
	if err := d.press("U2", "C-TRIAGE", tk.ThreadID, "claim", "1"); err != nil {
		t.Fatal(err)
	}
	d.drain()
	if got := d.ticket(tk.ID); got.Assignee != "A1" {
		t.Errorf("a customer's claim changed the assignee to %q", got.Assignee)
	}
	if a := d.answers("U2"); len(a) != 1 || !strings.Contains(a[0], "for support agents") {
		t.Errorf("answers to a customer's claim = %q", a)
	}
}

// People's names are their words: the core keeps them as they are (on the ticket, as the
// speaker of a relayed message, for the adapter to show in its own way) and quotes them
// wherever it composes a text or card with them: the card's title and fields, a list line,
// /desk show's lines, /desk status, an answer naming them, the customer's notice naming the
// agent who claimed the ticket.
func TestNamesAreQuotedWhereTheCoreWritesThem(t *testing.T) {
	d := newDesk(t)
	name := "@here [pay](http://evil.example) <!channel>"
	agentName := "<!everyone> Eve <https://evil|x>"
	d.p.AddUser(desk.User{ID: "U9", Name: "<http://evil|x>", DisplayName: name})
	d.p.AddAgent(desk.User{ID: "A9", Name: "eve", DisplayName: agentName})
	d.ingest(desk.Event{ID: nextID("m"), Kind: desk.CustomerMessage, User: desk.User{ID: "U9"}, Channel: "D-U9", Message: nextID("m"), Text: "my order has not arrived"})
	tk := d.ticketOf("U9")
	if tk.Customer.DisplayName != name || tk.Customer.Name != "<http://evil|x>" {
		t.Errorf("ticket's customer = %+v, want the names as they are", tk.Customer)
	}
	d.waitTexts("C-TRIAGE", tk.ThreadID, []string{"my order has not arrived"})
	if copyOf := d.p.Messages("C-TRIAGE", tk.ThreadID)[0]; copyOf.As != name {
		t.Errorf("the copy speaks as %q, want %q for the adapter to show", copyOf.As, name)
	}
	c := d.card(tk)
	if want := "Ticket " + tk.ID.String() + " · " + desktest.Quoted(name); c.Title != want {
		t.Errorf("card title %q, want %q", c.Title, want)
	}
	if got := field(c, "Customer"); got != desktest.Quoted(name) {
		t.Errorf("card's customer %q, want %q", got, desktest.Quoted(name))
	}
	if err := d.press("A9", "C-TRIAGE", tk.ThreadID, "claim", "1"); err != nil {
		t.Fatal(err)
	}
	if got := field(d.card(tk), "Assignee"); got != desktest.Quoted(agentName) {
		t.Errorf("card's assignee %q, want %q", got, desktest.Quoted(agentName))
	}
	if n := d.notices("U9"); len(n) != 2 || n[1] != desktest.Quoted(agentName)+" is now looking after your ticket #1." {
		t.Errorf("customer notices = %q, want the claim naming the agent quoted", n)
	}
	for cmd, want := range map[string]string{
		"list":         desktest.Quoted(name) + " · " + desktest.Quoted(agentName) + " · ",
		"find evil":    desktest.Quoted(name),
		"show 1":       "2026-11-02 09:00 " + desktest.Quoted(name) + " (customer): " + desktest.Quoted("my order has not arrived"),
		"assign 1 @u1": desktest.Quoted("Customer U1") + " is not an agent",
	} {
		if got := d.command("A1", "C-TRIAGE", cmd); !strings.Contains(got, want) {
			t.Errorf("/desk %s answers %q, want it to hold %q", cmd, got, want)
		}
	}
}

func TestTagForm(t *testing.T) {
	d := newDesk(t)
	tk := d.open("U1")
	if err := d.press("A1", "C-TRIAGE", tk.ThreadID, "tag", "1"); err != nil {
		t.Fatalf("open the tag form: %v", err)
	}
	forms := d.p.Forms()
	if len(forms) != 1 || forms[0].ID != "tag" || forms[0].Context != "1" || len(forms[0].Fields) != 3 {
		t.Fatalf("forms opened = %+v", forms)
	}
	values := map[string]string{"category": "Billing", "tags": "refund, vip", "priority": "high"}
	d.submit("A1", "tag", "1", values)
	d.submit("A1", "tag", "1", values) // a form submitted twice ends in the same state
	got := d.ticket(tk.ID)
	if got.Category != "Billing" || fmt.Sprint(got.Tags) != "[refund vip]" || got.Priority != desk.PriorityHigh {
		t.Errorf("after the tag form: category %q tags %v priority %s", got.Category, got.Tags, got.Priority)
	}
	c := d.card(tk)
	if field(c, "Category") != "Billing" || field(c, "Tags") != "«refund», «vip»" || field(c, "Priority") != "high" {
		t.Errorf("card fields %+v", c.Fields)
	}
	// An unknown category or priority is refused at once, on the form, and changes nothing.
	err := d.relay.Ingest(context.Background(), desk.Event{ID: nextID("form"), Platform: "fake", Kind: desk.FormSubmitted, User: desk.User{ID: "A1"},
		Action: "tag", Value: "1", Form: map[string]string{"category": "Cooking", "tags": "x", "priority": "urgentest"}})
	var fe *desk.FormError
	if !errors.As(err, &fe) || !strings.Contains(fe.Fields["category"], "Cooking") || !strings.Contains(fe.Fields["priority"], "urgentest") || len(fe.Fields) != 2 {
		t.Errorf("bad tag form: %v, want a FormError naming category and priority", err)
	}
	if got := d.ticket(tk.ID); got.Category != "Billing" || got.Priority != desk.PriorityHigh || fmt.Sprint(got.Tags) != "[refund vip]" {
		t.Errorf("a refused form changed the ticket: %q %s %v", got.Category, got.Priority, got.Tags)
	}
	// A customer cannot open the form.
	_ = d.press("U1", "D-U1", "x", "tag", "1")
	if n := len(d.p.Forms()); n != 1 {
		t.Errorf("a customer opened a tag form")
	}
}

func TestLifecycle(t *testing.T) {
	d := newDesk(t)
	tk := d.open("U1")
	steps := []struct {
		who, action string
		customer    string // a customer message instead of an action
		want        desk.Status
		refused     bool
		buttons     string
	}{
		{who: "A1", action: "pending", want: desk.StatusPending, buttons: "[claim assign tag reopen resolve close]"},
		{customer: "here is the tracking number", want: desk.StatusOpen},
		{who: "A1", action: "resolve", want: desk.StatusResolved, buttons: "[reopen close]"},
		{who: "A1", action: "resolve", want: desk.StatusResolved, refused: true},
		{customer: "it is still missing", want: desk.StatusOpen},
		{who: "A2", action: "resolve", want: desk.StatusResolved},
		{who: "A2", action: "reopen", want: desk.StatusOpen},
		{who: "A2", action: "close", want: desk.StatusClosed, buttons: "[]"},
		{who: "A1", action: "claim", want: desk.StatusClosed, refused: true},
		{who: "A1", action: "reopen", want: desk.StatusClosed, refused: true},
	}
	defer func() {
		// The refused reopening says how a closed ticket goes on.
		if a := d.answers("A1"); len(a) == 0 || !strings.Contains(a[len(a)-1], "a new ticket opens, linked to this one") {
			t.Errorf("answer to reopening a closed ticket = %q", a)
		}
	}()
	for i, st := range steps {
		before := len(d.answers(st.who))
		if st.customer != "" {
			d.ingest(say("U1", nextID("m"), st.customer))
		} else if err := d.press(st.who, "C-TRIAGE", tk.ThreadID, st.action, "1"); err != nil {
			t.Fatal(err)
		} else if st.action == "close" {
			// Close asks first: its form is submitted, with a note for the history.
			forms := d.p.Forms()
			if len(forms) == 0 || forms[len(forms)-1].ID != "close" {
				t.Fatalf("step %d: close opened %+v, want its confirmation", i, forms)
			}
			d.submit(st.who, "close", forms[len(forms)-1].Context, map[string]string{"note": "answered by phone"})
		}
		got := d.ticket(tk.ID)
		if got.Status != st.want {
			t.Errorf("step %d (%s%s): status %s, want %s", i, st.action, st.customer, got.Status, st.want)
		}
		if refused := st.who != "" && len(d.answers(st.who)) > before; refused != st.refused {
			t.Errorf("step %d (%s): refused %t, want %t", i, st.action, refused, st.refused)
		}
		if st.buttons != "" {
			if b := fmt.Sprint(buttons(d.card(tk))); b != st.buttons {
				t.Errorf("step %d: buttons %s, want %s", i, b, st.buttons)
			}
		}
	}
	entries, _ := d.store.Transcript(context.Background(), tk.ID)
	var changes []string
	for _, e := range entries {
		if e.Kind == "status" {
			changes = append(changes, e.Text+" by "+e.Author)
		}
	}
	want := []string{"new → pending by A1", "pending → open by U1", "open → resolved by A1", "resolved → open by U1",
		"open → resolved by A2", "resolved → open by A2", "open → closed: answered by phone by A2"}
	if fmt.Sprint(changes) != fmt.Sprint(want) {
		t.Errorf("history:\n got %q\nwant %q", changes, want)
	}
	// The customer heard about pending, both resolutions, the reopening and the closing.
	n := strings.Join(d.notices("U1"), "\n")
	for _, s := range []string{"waiting for your answer", "is resolved", "open again", "is closed"} {
		if !strings.Contains(n, s) {
			t.Errorf("customer notices lack %q:\n%s", s, n)
		}
	}
	// A message on the closed ticket opens a new one that links it.
	d.ingest(say("U1", nextID("m"), "another problem"))
	var next desk.Ticket
	d.p.Wait(5*time.Second, func() bool {
		next, _ = d.store.CustomerTicket(context.Background(), "fake", "U1")
		return next.ID == 2 && next.HasThread()
	})
	if next.ID != 2 || next.Previous != 1 || field(d.card(next), "Follows") != "#1" {
		t.Errorf("new ticket #%d previous #%d, card %+v", next.ID, next.Previous, d.card(next).Fields)
	}
}

func TestSatisfactionRating(t *testing.T) {
	d := newDesk(t)
	tk := d.open("U1")
	_ = d.press("A1", "C-TRIAGE", tk.ThreadID, "claim", "1")
	_ = d.press("A1", "C-TRIAGE", tk.ThreadID, "resolve", "1")
	d.drain()
	var question desktest.Message
	for _, m := range d.p.Messages("D-U1", "") {
		if m.Card != nil && len(m.Card.Actions) == 5 {
			question = m
		}
	}
	if question.Card == nil || question.Card.Actions[3].Value != "1:4" {
		t.Fatalf("no rating question with five buttons in the DM")
	}
	// An agent cannot rate; the customer rates 4 once.
	_ = d.press("A1", "D-U1", question.Ref.ID, "rate", "1:5")
	_ = d.press("U1", "D-U1", question.Ref.ID, "rate", "1:4")
	_ = d.press("U1", "D-U1", question.Ref.ID, "rate", "1:1")
	got := d.ticket(tk.ID)
	if got.Rating != 4 {
		t.Errorf("rating = %d, want 4", got.Rating)
	}
	if f := field(d.card(tk), "Satisfaction"); f != "4/5" {
		t.Errorf("card satisfaction %q, want 4/5", f)
	}
	q, _ := d.p.Message(question.Ref)
	if !strings.Contains(q.Text, "4/5") || len(q.Card.Actions) != 1 || q.Card.Actions[0].ID != "comment" {
		t.Errorf("question after rating: %q %+v", q.Text, q.Card)
	}
	// The comment form, then the comment on the card.
	if err := d.press("U1", "D-U1", question.Ref.ID, "comment", "1"); err != nil {
		t.Fatal(err)
	}
	if f := d.p.Forms(); len(f) != 1 || f[0].ID != "comment" {
		t.Fatalf("forms = %+v", f)
	}
	// The comment is the customer's words: the card has it quoted by the platform.
	d.submit("U1", "comment", d.p.Forms()[0].Context, map[string]string{"comment": "quick and kind <!channel> @here"})
	if f, want := field(d.card(tk), "Satisfaction"), "4/5: “«quick and kind <!channel> @here»”"; f != want {
		t.Errorf("card satisfaction %q, want %q", f, want)
	}
	if show := d.command("A1", "C-TRIAGE", "show 1"); !strings.Contains(show, "Rated 4/5: “«quick and kind <!channel> @here»”") {
		t.Errorf("show lacks the quoted comment:\n%s", show)
	}
	// The thanks now thanks for the comment too, and offers no second comment.
	q, _ = d.p.Message(question.Ref)
	if !strings.Contains(q.Text, "Thank you for your comment") || len(q.Card.Actions) != 0 {
		t.Errorf("thanks after the comment: %q %+v", q.Text, q.Card)
	}
	if err := d.press("U1", "D-U1", question.Ref.ID, "comment", "1"); err != nil {
		t.Fatal(err)
	}
	if f := d.p.Forms(); len(f) != 1 {
		t.Errorf("a second comment form was opened")
	}
	if a := d.answers("U1"); len(a) == 0 || !strings.Contains(a[len(a)-1], "cannot be rated now") {
		t.Errorf("answers to a second comment = %q", a)
	}
	// The statistics count it.
	answer := d.command("A1", "C-TRIAGE", "stats 7d")
	if !strings.Contains(answer, "Satisfaction: 4.0/5 from 1 rating ") || !strings.Contains(answer, "4★ 1") {
		t.Errorf("stats answer:\n%s", answer)
	}
}

func TestCommands(t *testing.T) {
	d := newDesk(t)
	tk := d.open("U1")
	d.open("U2")
	tests := []struct {
		who, channel, text string
		want               []string // substrings of the answer
	}{
		{"A1", "C-TRIAGE", "help", []string{"Usage: /desk", "assign N @agent"}},
		{"A1", "C-TRIAGE", "", []string{"Usage: /desk"}},
		{"U1", "D-U1", "help", []string{"Write your question here"}},
		{"U1", "D-U1", "list", []string{"for support agents"}},
		{"U1", "D-U1", "claim 1", []string{"for support agents"}},
		{"A1", "C-TRIAGE", "dance", []string{"Unknown subcommand", "Usage: /desk"}},
		{"A1", "C-TRIAGE", "claim", []string{"Usage: /desk claim N"}},
		{"A1", "C-TRIAGE", "claim x", []string{"Usage: /desk claim N"}},
		{"A1", "C-TRIAGE", "claim 99", []string{"There is no ticket #99"}},
		{"A1", "C-TRIAGE", "status", []string{"2 active (2 new", "Oldest waiting for an answer: #1 from «Customer U1»"}},
		{"A1", "C-TRIAGE", "list", []string{"#1 [new, normal] «Customer U1» · unassigned · <1m ago · «my order has not arrived»", "#2 [new"}},
		{"A1", "C-TRIAGE", "claim 1", []string{"You claimed #1"}},
		{"A1", "C-TRIAGE", "list mine", []string{"#1 [open"}},
		{"A1", "C-TRIAGE", "list unassigned", []string{"#2 [new"}},
		{"A1", "C-TRIAGE", "list resolved", []string{"No tickets found"}},
		{"A1", "C-TRIAGE", "assign 2 @u1", []string{"«Customer U1» is not an agent"}},
		{"A1", "C-TRIAGE", "assign 2 @nobody", []string{"Nobody called «@nobody»"}},
		{"A1", "C-TRIAGE", "assign 2 @a2-handle", []string{"#2 is assigned to «Agent A2»"}},
		{"A1", "C-TRIAGE", "tag 1 refund vip", []string{"tags «refund», «vip»"}},
		{"A1", "C-TRIAGE", "tag 1 -vip", []string{"tags «refund»,"}},
		{"A1", "C-TRIAGE", "priority 1 urgent", []string{"#1 has priority urgent"}},
		{"A1", "C-TRIAGE", "priority 1 whenever", []string{"not a priority"}},
		{"A1", "C-TRIAGE", "find refund", []string{"#1 [open, urgent]"}},
		{"A1", "C-TRIAGE", "find order arrived", []string{"#2", "#1"}},
		{"A1", "C-TRIAGE", "find zebra", []string{"No tickets found"}},
		{"A1", "C-TRIAGE", "show 1", []string{"#1 [open, urgent] «Customer U1» · «Agent A1»", "Category none; tags «refund»", "«Customer U1» (customer): «my order has not arrived»"}},
		{"A1", "C-TRIAGE", "pending 1", []string{"#1 is waiting on the customer"}},
		{"A1", "C-TRIAGE", "resolve 1", []string{"#1 is resolved"}},
		{"A1", "C-TRIAGE", "reopen 1", []string{"#1 is open again"}},
		{"A1", "C-TRIAGE", "close 1", []string{"#1 is closed"}},
		{"A1", "C-TRIAGE", "resolve 1", []string{"#1 is closed"}},
		{"A2", "C-TRIAGE", "stats", []string{"Only leads"}},
		{"A1", "C-TRIAGE", "stats 30d", []string{"Statistics for the last 30 days", "Opened: 2"}},
		{"A1", "C-TRIAGE", "stats forever", []string{"Usage: /desk stats"}},
	}
	t.Run("another slash command", func(t *testing.T) {
		before := len(d.answers("A1"))
		d.ingest(desk.Event{ID: nextID("cmd"), Kind: desk.CommandRun, User: desk.User{ID: "A1"}, Channel: "C-TRIAGE", Action: "/helpdesk", Text: "claim 1"})
		d.p.Wait(5*time.Second, func() bool { return len(d.answers("A1")) > before })
		if a := d.answers("A1"); len(a) <= before || !strings.Contains(a[before], "Unknown command «/helpdesk»") {
			t.Errorf("answers = %q", a[before:])
		}
	})
	for _, tt := range tests {
		t.Run(tt.who+" "+tt.text, func(t *testing.T) {
			got := d.command(tt.who, tt.channel, tt.text)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("answer to %q lacks %q:\n%s", tt.text, w, got)
				}
			}
		})
	}
	if got := d.ticket(tk.ID); got.Status != desk.StatusClosed || got.Priority != desk.PriorityUrgent || fmt.Sprint(got.Tags) != "[refund]" {
		t.Errorf("ticket after the commands: %s %s %v", got.Status, got.Priority, got.Tags)
	}
}

func TestStatistics(t *testing.T) {
	d := newDesk(t)
	// Three tickets: first responses after 5, 10 and 30 minutes; two resolved after 1h and 3h.
	for i, user := range []string{"U1", "U2", "U3"} {
		d.p.AddUser(desk.User{ID: user, DisplayName: "Customer " + user})
		tk := d.open(user)
		d.clock.Advance([]time.Duration{5, 10, 30}[i] * time.Minute)
		_ = d.press("A1", "C-TRIAGE", tk.ThreadID, "claim", fmt.Sprint(int64(tk.ID)))
		d.drain()
		if i < 2 {
			d.clock.Advance([]time.Duration{55 * time.Minute, 170 * time.Minute}[i])
			_ = d.press("A1", "C-TRIAGE", tk.ThreadID, "resolve", fmt.Sprint(int64(tk.ID)))
			d.drain()
		}
	}
	s, err := d.relay.Stats(context.Background(), d.clock.Now().Add(-24*time.Hour), d.clock.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if s.Opened != 3 || s.FirstResponse.Median() != 10*time.Minute || s.FirstResponse.P90() != 30*time.Minute {
		t.Errorf("opened %d, first response median %v p90 %v; want 3, 10m, 30m", s.Opened, s.FirstResponse.Median(), s.FirstResponse.P90())
	}
	if len(s.Resolution) != 2 || s.Resolution.P90() != 3*time.Hour {
		t.Errorf("resolution %v, want 1h and 3h", s.Resolution)
	}
	if a := s.ByAgent["A1"]; a == nil || a.Resolved != 2 || len(a.FirstResponse) != 3 || a.Name != "Agent A1" {
		t.Errorf("agent A1 stats %+v", a)
	}
	if s.ByStatus[desk.StatusResolved] != 2 || s.ByStatus[desk.StatusOpen] != 1 || s.ByCategory[""] != 3 {
		t.Errorf("by status %v, by category %v", s.ByStatus, s.ByCategory)
	}
	// A period before everything is empty.
	early, _ := d.relay.Stats(context.Background(), d.clock.Now().Add(-30*24*time.Hour), d.clock.Now().Add(-10*24*time.Hour))
	if early.Opened != 0 || len(early.FirstResponse) != 0 {
		t.Errorf("an empty period counted %d tickets", early.Opened)
	}
}

func TestStatsText(t *testing.T) {
	s := &relay.Stats{
		Opened:        2,
		FirstResponse: relay.Durations{0},
		ByCategory:    map[string]int{"Billing": 1, "": 1},
		ByStatus:      map[desk.Status]int64{desk.StatusOpen: 2},
		ByAgent:       map[string]*relay.AgentStats{"A1": {Name: "Agent A1", FirstResponse: relay.Durations{0}}},
	}
	got := s.Text(catalog.Default, "today", desktest.Quoted)
	for _, want := range []string{"First response: median <1s, p90 <1s (1 ticket)", "Resolution: median –, p90 – (0 tickets)",
		"By category: none 1 · Billing 1\n", "Satisfaction: no ratings", "• «Agent A1»: 1 first response (median <1s)"} {
		if !strings.Contains(got+"\n", want) {
			t.Errorf("stats text lacks %q:\n%s", want, got)
		}
	}
}

func TestExpiredTriggerIsToldNotFailed(t *testing.T) {
	d := newDesk(t)
	tk := d.open("U1")
	d.p.SetFail(func(c desktest.Call) error {
		if c.Op == "form" {
			return &desk.DeliveryError{Op: "views.open", Reason: "expired_trigger_id"}
		}
		return nil
	})
	if err := d.press("A1", "C-TRIAGE", tk.ThreadID, "tag", "1"); err != nil {
		t.Fatalf("a click whose form cannot open: %v, want it answered", err)
	}
	if a := d.answers("A1"); len(a) != 1 || !strings.Contains(a[0], "expired_trigger_id") || !strings.Contains(a[0], "click again") {
		t.Errorf("answers = %q", a)
	}
}

func TestCardShowsTimes(t *testing.T) {
	d := newDesk(t)
	tk := d.open("U1")
	if got, want := d.card(tk).Context, "Opened Nov 2 09:00 · last activity Nov 2 09:00 (UTC)"; got != want {
		t.Errorf("card context = %q, want %q", got, want)
	}
	d.clock.Advance(90 * time.Minute)
	_ = d.press("A1", "C-TRIAGE", tk.ThreadID, "claim", "1")
	d.drain()
	if got, want := d.card(tk).Context, "Opened Nov 2 09:00 · last activity Nov 2 10:30 (UTC)"; got != want {
		t.Errorf("card context after a claim = %q, want %q", got, want)
	}
}

// A refused form submission that comes from no channel (a Slack modal's) is still answered
// where its author sees it: an agent in the ticket's thread, the customer in their DM.
func TestARefusedModalIsAnsweredWhereItsAuthorIs(t *testing.T) {
	d := newDesk(t)
	tk := d.open("U1")
	assign := func() {
		d.ingest(desk.Event{ID: nextID("form"), Kind: desk.FormSubmitted, User: desk.User{ID: "A1"}, Action: "assign", Value: "1", Form: map[string]string{"agent": "A1"}})
	}
	assign()
	assign() // refused by the worker: A1 has it already
	if !d.p.Wait(5*time.Second, func() bool {
		for _, m := range d.p.Messages("C-TRIAGE", tk.ThreadID) {
			if m.Ephemeral == "A1" && strings.Contains(m.Text, "already") {
				return true
			}
		}
		return false
	}) {
		t.Errorf("thread = %+v, want the refusal shown to A1 there", d.p.Messages("C-TRIAGE", tk.ThreadID))
	}
	// The customer's comment on a ticket that is not resolved is refused in their DM.
	d.ingest(desk.Event{ID: nextID("form"), Kind: desk.FormSubmitted, User: desk.User{ID: "U1"}, Action: "comment", Value: "1", Form: map[string]string{"comment": "great"}})
	if !d.p.Wait(5*time.Second, func() bool {
		for _, m := range d.p.Messages("D-U1", "") {
			if m.Ephemeral == "U1" {
				return true
			}
		}
		return false
	}) {
		t.Errorf("DM = %+v, want the refusal shown to U1 there", d.p.Messages("D-U1", ""))
	}
}

// An assignment to someone unknown or who is not an agent is refused at once, on the form
// (which stays open), and nothing is recorded.
func TestAssignFormIsCheckedBeforeItIsTaken(t *testing.T) {
	d := newDesk(t)
	tk := d.open("U1")
	for who, want := range map[string]string{"U1": "not an agent", "nobody-at-all": "nobody-at-all"} {
		err := d.relay.Ingest(context.Background(), desk.Event{ID: nextID("form"), Platform: "fake", Kind: desk.FormSubmitted, User: desk.User{ID: "A1"},
			Action: "assign", Value: "1", Form: map[string]string{"agent": who}})
		var fe *desk.FormError
		if !errors.As(err, &fe) || !strings.Contains(fe.Fields["agent"], want) {
			t.Errorf("assign to %s: %v, want a FormError on agent saying %q", who, err, want)
		}
	}
	if got := d.ticket(tk.ID); got.Assignee != "" {
		t.Errorf("a refused assignment changed the ticket: assignee %q", got.Assignee)
	}
	if err := d.relay.Ingest(context.Background(), desk.Event{ID: nextID("form"), Platform: "fake", Kind: desk.FormSubmitted, User: desk.User{ID: "A1"},
		Action: "assign", Value: "1", Form: map[string]string{"agent": "A1"}}); err != nil {
		t.Errorf("assign to an agent: %v", err)
	}
}

// A customer's unknown subcommand is answered with the customers' help, not the agents'
// command reference, naming what they typed quoted; ticket lines show the subject, the start
// of the first message cut at 80 runes wherever that falls, quoted by the platform (whose
// quoting makes a cut markup harmless).
func TestCommandsShowCustomersOnlyTheirs(t *testing.T) {
	d := newDesk(t)
	long := "Please reset <@U2> and <!channel> now " + strings.Repeat("x", 30) + " <https://evil.example/reset|Reset your password here>"
	d.ingest(desk.Event{ID: nextID("m"), Kind: desk.CustomerMessage, User: desk.User{ID: "U1"}, Channel: "D-U1", Message: "m-long", Text: long})
	tk := d.ticketOf("U1")
	answer := d.command("U1", "D-U1", "frobnicate")
	if !strings.Contains(answer, "«frobnicate»") || strings.Contains(answer, "assign") || strings.Contains(answer, "priority") {
		t.Errorf("customer's unknown subcommand answered with:\n%s", answer)
	}
	subject := string([]rune(long)[:79]) + "…"
	if tk.Subject != subject {
		t.Errorf("subject %q, want %q", tk.Subject, subject)
	}
	list := d.command("A1", "C-TRIAGE", "list")
	if !strings.Contains(list, tk.ID.String()) || !strings.Contains(list, " · «"+subject+"»") {
		t.Errorf("list does not show the subject quoted:\n%s", list)
	}
}

// TestStatisticsCreditWhoAnswered: a ticket nobody claimed, answered and resolved by Agent A2,
// is A2's: the reply gives it to them (the card and the history say so), and the resolution
// and the rating count as theirs, under their name, with no "(nobody)".
func TestStatisticsCreditWhoAnswered(t *testing.T) {
	d := newDesk(t)
	tk := d.open("U1")
	d.ingest(reply("A2", tk.ThreadID, nextID("r"), "on it"))
	d.drain()
	if got := d.ticket(tk.ID); got.Assignee != "A2" {
		t.Fatalf("assignee after the first answer = %q, want A2", got.Assignee)
	}
	if a := field(d.card(tk), "Assignee"); a != "«Agent A2»" {
		t.Errorf("card assignee %q", a)
	}
	_ = d.press("A2", "C-TRIAGE", tk.ThreadID, "resolve", "1")
	d.drain()
	got := d.ticket(tk.ID)
	_ = d.press("U1", "D-U1", got.RatingMessage.ID, "rate", "1:5")
	d.drain()
	s, err := d.relay.Stats(context.Background(), d.clock.Now().Add(-time.Hour), d.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.ByAgent) != 1 {
		t.Fatalf("agents %v, want only A2", s.ByAgent)
	}
	a := s.ByAgent["A2"]
	if a == nil || a.Name != "Agent A2" || a.Resolved != 1 || a.Ratings != 1 || len(a.FirstResponse) != 1 {
		t.Errorf("A2's numbers: %+v", a)
	}
}

// TestFindUsesSearchIndex: /desk find answers from the search index, as the dashboard's search
// does: a word of a later message (not only the subject), another form of a word, a ticket's
// number, every word needed, newest first; it never reads the desk's tickets one by one, so a
// ticket past the old scan of the newest 10,000 is found as well.
func TestFindUsesSearchIndex(t *testing.T) {
	d := newDesk(t)
	d.ingest(say("U1", nextID("m"), "my order has not arrived"))
	d.ingest(say("U1", nextID("m"), "the courier printed the wrong label"))
	d.ingest(say("U2", nextID("m"), "printers in room 4 are jammed"))
	for user, n := range map[string]int{"U1": 2, "U2": 1} {
		if !d.p.Wait(5*time.Second, func() bool {
			tk, err := d.store.CustomerTicket(context.Background(), "fake", user)
			if err != nil {
				return false
			}
			h, err := d.store.Transcript(context.Background(), tk.ID)
			return err == nil && len(h) >= n
		}) {
			t.Fatalf("the messages of %s were not recorded", user)
		}
	}
	u1, u2 := d.ticketOf("U1").ID.String(), d.ticketOf("U2").ID.String()
	tests := []struct {
		terms string
		want  []string // tickets in the answer, in order
	}{
		{"courier", []string{u1}},
		{"printer", []string{u2}},
		{"Printed LABEL", []string{u1}},
		{u2, []string{u2}},
		{"order jammed", nil},
		{"arrived", []string{u1}},
	}
	for _, tt := range tests {
		got := d.command("A1", "C-TRIAGE", "find "+tt.terms)
		var found []string
		for _, line := range strings.Split(got, "\n") {
			if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "#") {
				found = append(found, f[0])
			}
		}
		if strings.Join(found, ",") != strings.Join(tt.want, ",") {
			t.Errorf("find %s = %q, want tickets %v", tt.terms, got, tt.want)
		}
		if tt.want == nil && !strings.Contains(got, "No tickets found") {
			t.Errorf("find %s = %q, want No tickets found", tt.terms, got)
		}
	}
}

package relay_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/desktest"
	"github.com/threadesk/threadesk/internal/relay"
)

// articles is a knowledge base for the tests: an article suggests itself when the text has one
// of its words.
type articles map[string]desk.Article

func (a articles) Suggest(text, lang string, n int) []desk.Article {
	var out []desk.Article
	for _, art := range a {
		for _, w := range strings.Fields(strings.ToLower(art.Category)) {
			if strings.Contains(strings.ToLower(text), w) && len(out) < n {
				out = append(out, art)
			}
		}
	}
	return out
}

func (a articles) Article(id string) (desk.Article, bool) {
	art, ok := a[id]
	return art, ok
}

func (a articles) Len() int { return len(a) }

var testArticles = articles{
	"reset-password": {ID: "reset-password", Lang: "en", Title: "Reset your password", Body: "Open the sign-in page and choose Forgot password.", Category: "password"},
}

// botPolicy has two categories, one with questions, and articles suggested first.
func botPolicy(suggest bool) desk.Policy {
	return desk.Policy{
		Categories: []string{"Billing", "Account"},
		Intake: desk.Intake{Enabled: true, Timeout: 10 * time.Minute, Suggest: suggest, Categories: []desk.Category{
			{Name: "Billing", Description: "Invoices, payments, refunds", Questions: []desk.Question{
				{ID: "invoice", Ask: "What is the invoice number?"},
				{ID: "plan", Ask: "Which plan are you on?", Choices: []string{"Free", "Team", "Enterprise"}, Required: true},
			}},
			{Name: "Account", Description: "Sign-in and profile"},
		}},
	}
}

func botDesk(t *testing.T, suggest bool, tweak ...func(*relay.Options)) *deskHarness {
	t.Helper()
	return newDesk(t, append([]func(*relay.Options){func(o *relay.Options) {
		p := botPolicy(suggest)
		o.Policy = func() desk.Policy { return p }
		o.Articles = testArticles
	}}, tweak...)...)
}

// dm returns the app's messages in a customer's DM (not relayed ones), waiting for at least n.
func (d *deskHarness) dm(user string, n int) []desktest.Message {
	d.t.Helper()
	var out []desktest.Message
	d.p.Wait(5*time.Second, func() bool {
		out = out[:0]
		for _, m := range d.p.Messages("D-"+user, "") {
			if m.As == "" && m.Ephemeral == "" {
				out = append(out, m)
			}
		}
		return len(out) >= n
	})
	if len(out) < n {
		d.t.Fatalf("%d messages from the app in the DM, want %d: %+v", len(out), n, out)
	}
	return out
}

// click presses the button of message m whose action is action (and whose value ends with
// the given argument, when one is given).
func (d *deskHarness) click(user string, m desktest.Message, action, arg string) {
	d.t.Helper()
	for _, a := range m.Card.Actions {
		if a.ID == action && (arg == "" || strings.HasSuffix(a.Value, ":"+arg)) {
			if err := d.press(user, m.Ref.Channel, m.Ref.ID, a.ID, a.Value); err != nil {
				d.t.Fatal(err)
			}
			d.drain()
			return
		}
	}
	d.t.Fatalf("message %q has no %s button for %q: %+v", m.Text, action, arg, m.Card.Actions)
}

func triageCards(d *deskHarness) []desktest.Message {
	var out []desktest.Message
	for _, m := range d.p.Messages("C-TRIAGE", "") {
		if m.Card != nil {
			out = append(out, m)
		}
	}
	return out
}

// TestIntakeCategoryQuestionsThenTicket: the bot offers the categories, asks the category's
// questions one at a time (a free answer, then a choice), and only then does the ticket reach
// the triage channel: its card shows the request and the answers, the customer learns the
// number, and everything they wrote meanwhile is relayed in order, each with its mark.
func TestIntakeCategoryQuestionsThenTicket(t *testing.T) {
	d := botDesk(t, false)
	d.ingest(say("U1", "m1", "hello, I was charged twice last month"))
	d.drain()
	greeting := d.dm("U1", 1)[0]
	if !strings.Contains(greeting.Text, "«Customer U1»") || !strings.Contains(greeting.Text, "• Billing — Invoices, payments, refunds") || greeting.Card == nil || len(greeting.Card.Actions) != 3 {
		t.Fatalf("greeting %q %+v", greeting.Text, greeting.Card)
	}
	if cards := triageCards(d); len(cards) != 0 {
		t.Fatalf("a card before the intake is over: %+v", cards)
	}
	d.click("U1", greeting, "category", "Billing")
	chosen, _ := d.p.Message(greeting.Ref)
	if !strings.HasPrefix(chosen.Text, "Hi «Customer U1»! What is your question about?\n• Billing") || !strings.HasSuffix(chosen.Text, "\n\n✔ «Billing»") || len(chosen.Card.Actions) != 0 {
		t.Errorf("the greeting after the click: %q %+v, want the question kept with the choice under it", chosen.Text, chosen.Card)
	}
	q1 := d.dm("U1", 2)[1]
	if q1.Text != "What is the invoice number?" || len(q1.Card.Actions) != 1 || q1.Card.Actions[0].ID != "skip" {
		t.Fatalf("first question %q %+v", q1.Text, q1.Card)
	}
	d.ingest(say("U1", "m2", "INV-42"))
	d.drain()
	if answered, _ := d.p.Message(q1.Ref); answered.Text != "What is the invoice number?\n\n✔ «INV-42»" || len(answered.Card.Actions) != 0 {
		t.Errorf("the first question after a typed answer: %q %+v, want its buttons gone", answered.Text, answered.Card)
	}
	q2 := d.dm("U1", 3)[2]
	if q2.Text != "Which plan are you on?" || len(q2.Card.Actions) != 3 {
		t.Fatalf("second question %q %+v", q2.Text, q2.Card)
	}
	d.ingest(say("U1", "m3", "the big one"))
	d.drain()
	again := d.dm("U1", 4)[3]
	if !strings.Contains(again.Text, "pick one of the answers") {
		t.Errorf("asked again: %q", again.Text)
	}
	d.click("U1", again, "answer", "Team")

	tk := d.ticketOf("U1")
	d.waitTexts("C-TRIAGE", tk.ThreadID, []string{"hello, I was charged twice last month", "INV-42", "the big one"})
	for _, id := range []string{"m1", "m2", "m3"} {
		d.waitMark(desk.MessageRef{Channel: "D-U1", ID: id}, desk.MarkDelivered)
	}
	got := d.ticket(tk.ID)
	if got.Status != desk.StatusNew || got.Category != "Billing" || len(got.Answers) != 2 || got.Answers[1].Value != "Team" {
		t.Errorf("ticket %+v", got)
	}
	card := d.card(tk)
	if card.Text != "«hello, I was charged twice last month»" || field(card, "What is the invoice number?") != "«INV-42»" || field(card, "Which plan are you on?") != "«Team»" || field(card, "Category") != "Billing" {
		t.Errorf("card %+v", card)
	}
	if n := d.notices("U1"); !strings.Contains(n[len(n)-1], "opened ticket #1") {
		t.Errorf("the customer was not told the number: %q", n)
	}
	// Once the ticket is with the agents, messages go straight to its thread.
	d.ingest(say("U1", "m4", "any news?"))
	d.waitTexts("C-TRIAGE", tk.ThreadID, []string{"hello, I was charged twice last month", "INV-42", "the big one", "any news?"})
}

// TestIntakeSuggestionSolvesIt: an article the bot suggests solves the question: the ticket
// closes without ever reaching the triage channel, the deflection is counted for the article,
// and the customer is thanked. Another customer still needs a person: the categories follow.
func TestIntakeSuggestionSolvesIt(t *testing.T) {
	d := botDesk(t, true)
	d.ingest(say("U1", "m1", "hi! I forgot my password, how do I get back in?"))
	d.drain()
	msgs := d.dm("U1", 1)
	if !strings.Contains(msgs[0].Text, "1. Reset your password\nOpen the sign-in page") || !strings.Contains(msgs[0].Text, "an agent will help you") ||
		len(msgs[0].Card.Actions) != 2 || msgs[0].Card.Actions[0].ID != "solved" || msgs[0].Card.Actions[1].ID != "human" {
		t.Fatalf("suggestions %+v %+v", msgs, msgs[0].Card)
	}
	d.click("U1", msgs[0], "solved", "reset-password")
	tk, err := d.store.CustomerTicket(context.Background(), "fake", "U1")
	if err != nil || tk.Status != desk.StatusClosed || tk.Deflected != "reset-password" || tk.HasThread() {
		t.Fatalf("ticket %+v, %v", tk, err)
	}
	if thanks := d.dm("U1", 2)[1]; !strings.Contains(thanks.Text, "Glad that helped") {
		t.Errorf("thanks %q", thanks.Text)
	}
	if cards := triageCards(d); len(cards) != 0 {
		t.Errorf("a deflected request reached the triage channel: %+v", cards)
	}
	facts, _ := d.store.Facts(context.Background(), desk.FactDeflected, time.Time{}, d.clock.Now().Add(time.Hour))
	if len(facts) != 1 || facts[0].Subject != "reset-password" {
		t.Errorf("deflection facts %+v", facts)
	}
	// A second click (a stale copy of the buttons) changes nothing and says so.
	d.click("U1", msgs[0], "human", "")
	if a := d.answers("U1"); len(a) != 1 || !strings.Contains(a[0], "That question is over") {
		t.Errorf("answers to a late click: %q", a)
	}

	d.ingest(say("U2", "m1", "my password does not work"))
	d.drain()
	msgs = d.dm("U2", 1)
	d.click("U2", msgs[0], "human", "")
	categories := d.dm("U2", 2)[1]
	d.click("U2", categories, "skip", "")
	tk2 := d.ticketOf("U2")
	d.waitTexts("C-TRIAGE", tk2.ThreadID, []string{"my password does not work"})
	if card := d.card(tk2); !strings.Contains(field(card, "Articles suggested"), "Reset your password (reset-password)") {
		t.Errorf("card of a ticket after suggestions: %+v", card)
	}
}

// TestIntakeTimeoutReleasesWhatIsKnown: a customer who stops answering is not left behind:
// when the intake's time is up, in virtual time, the ticket reaches the agents with what the
// bot learnt, and what they wrote.
func TestIntakeTimeoutReleasesWhatIsKnown(t *testing.T) {
	d := botDesk(t, false)
	d.ingest(say("U1", "m1", "the export is broken"))
	d.drain()
	d.clock.Advance(9 * time.Minute)
	time.Sleep(50 * time.Millisecond)
	d.drain()
	if cards := triageCards(d); len(cards) != 0 {
		t.Fatalf("released before the time was up")
	}
	d.advanceUntil(func() bool { return len(triageCards(d)) == 1 })
	tk := d.ticketOf("U1")
	d.waitTexts("C-TRIAGE", tk.ThreadID, []string{"the export is broken"})
	entries, _ := d.store.Transcript(context.Background(), tk.ID)
	if last := entries[len(entries)-1]; last.Author != "timer" || last.Text != "intake → new" {
		t.Errorf("last history line %+v, want the timer releasing it", last)
	}
}

// TestEditsWhileHeldAreMirrored: a customer who edits a message, or deletes one, while the
// first-line bot holds their messages back has agents see the message as it is when it is
// relayed: edited, or not at all. The history keeps the edit and the deletion.
func TestEditsWhileHeldAreMirrored(t *testing.T) {
	d := botDesk(t, false)
	d.ingest(say("U1", "m1", "the export is broken"))
	d.ingest(say("U1", "m2", "my password is hunter2"))
	d.drain()
	d.ingest(desk.Event{ID: "edit-m1", Kind: desk.CustomerEdit, User: customer("U1"), Channel: "D-U1", Message: "m1", Text: "the export is broken since Monday"})
	d.ingest(desk.Event{ID: "delete-m2", Kind: desk.CustomerDelete, User: customer("U1"), Channel: "D-U1", Message: "m2"})
	d.drain()
	d.clock.Advance(9 * time.Minute)
	time.Sleep(50 * time.Millisecond)
	d.drain()
	d.advanceUntil(func() bool { return len(triageCards(d)) == 1 })
	tk := d.ticketOf("U1")
	d.waitTexts("C-TRIAGE", tk.ThreadID, []string{"the export is broken since Monday"})
	for _, m := range d.p.Messages("C-TRIAGE", tk.ThreadID) {
		if strings.Contains(m.Text, "hunter2") {
			t.Fatalf("a message deleted while held was relayed: %q", m.Text)
		}
	}
	entries, _ := d.store.Transcript(context.Background(), tk.ID)
	var kinds []string
	for _, e := range entries {
		kinds = append(kinds, e.Kind)
	}
	if k := strings.Join(kinds, " "); !strings.Contains(k, "edit") || !strings.Contains(k, "delete") {
		t.Errorf("history %q lacks the edit and the deletion", k)
	}
}

// TestBotStatistics: what the bot did is counted per article and per category, in /desk stats
// and in the metrics: one customer's question solved by an article, one who needed a person
// and picked a category, one who stopped answering.
func TestBotStatistics(t *testing.T) {
	reg := prometheus.NewRegistry()
	d := botDesk(t, true, func(o *relay.Options) { o.Registerer = reg })
	d.p.AddUser(desk.User{ID: "U3", DisplayName: "Customer U3"})
	d.ingest(say("U1", "m1", "I forgot my password"))
	d.drain()
	d.click("U1", d.dm("U1", 1)[0], "solved", "reset-password")
	d.ingest(say("U2", "m2", "my password does not work"))
	d.drain()
	d.click("U2", d.dm("U2", 1)[0], "human", "")
	d.click("U2", d.dm("U2", 2)[1], "category", "Account")
	d.ingest(say("U3", "m3", "the export is broken"))
	d.drain()
	d.clock.Advance(10 * time.Minute) // U3's intake times out
	d.advanceUntil(func() bool { return len(triageCards(d)) == 2 })

	s, err := d.relay.Stats(context.Background(), d.clock.Now().Add(-time.Hour), d.clock.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	b := s.Bot
	if b.Shown["reset-password"] != 2 || b.Deflected["reset-password"] != 1 || b.IntakeDone["Account"] != 1 || b.IntakeTimedOut[""] != 1 || len(b.IntakeDone) != 1 || len(b.IntakeTimedOut) != 1 {
		t.Errorf("bot statistics %+v", b)
	}
	text := d.command("A1", "C-TRIAGE", "stats")
	for _, want := range []string{"First-line bot: 1 intake completed, 1 timed out (by category, completed/timed out: none 0/1 · Account 1/0)",
		"Articles: shown 2 times, solved 1 question (shown/solved: reset-password 2/1)"} {
		if !strings.Contains(text, want) {
			t.Errorf("/desk stats lacks %q:\n%s", want, text)
		}
	}
	for _, m := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"threadesk_kb_suggestions_total", []string{"platform=fake", "article=reset-password"}, 2},
		{"threadesk_kb_deflections_total", []string{"platform=fake", "article=reset-password"}, 1},
		{"threadesk_intake_total", []string{"platform=fake", "category=Account", "outcome=completed"}, 1},
		{"threadesk_intake_total", []string{"platform=fake", "category=", "outcome=timed_out"}, 1},
	} {
		if got := metric(t, reg, m.name, m.labels...); got != m.want {
			t.Errorf("%s%v = %v, want %v", m.name, m.labels, got, m.want)
		}
	}
}

// TestAnAgentWritingToTheAppIsAsked: an agent who writes to the app is asked whether they want
// a ticket as a customer instead of one being opened silently.
func TestAnAgentWritingToTheAppIsAsked(t *testing.T) {
	d := botDesk(t, false)
	d.ingest(say("A2", "m1", "test"))
	d.drain()
	ask := d.dm("A2", 1)[0]
	if !strings.Contains(ask.Text, "one of this desk's agents") {
		t.Fatalf("asked %q", ask.Text)
	}
	d.click("A2", ask, "no_ticket", "")
	tk, _ := d.store.CustomerTicket(context.Background(), "fake", "A2")
	if tk.Status != desk.StatusClosed || len(triageCards(d)) != 0 {
		t.Errorf("after no: %+v, %d cards", tk, len(triageCards(d)))
	}
	// Writing again asks again; yes goes on as for a customer.
	d.ingest(say("A2", "m2", "really need help"))
	d.drain()
	ask = d.dm("A2", 2)[1] // the first question now says what was chosen
	d.click("A2", ask, "want_ticket", "")
	categories := d.dm("A2", 3)[2]
	d.click("A2", categories, "skip", "")
	tk = d.ticketOf("A2")
	d.waitTexts("C-TRIAGE", tk.ThreadID, []string{"really need help"})
}

// TestReleaseSurvivesACrash: the worker dies after the card of a released ticket is posted
// and one held message relayed; after the restart there is one card and each message once.
func TestReleaseSurvivesACrash(t *testing.T) {
	d := botDesk(t, false)
	d.ingest(say("U1", "m1", "first words"))
	d.ingest(say("U1", "m2", "second words"))
	d.drain()
	greeting := d.dm("U1", 1)[0]
	var reached atomicBool
	d.p.SetAfterPost(func(m desktest.Message) {
		if m.Key == "e:ev-U1-m1:t0" {
			die(&reached.Bool)
		}
	})
	if err := d.press("U1", greeting.Ref.Channel, greeting.Ref.ID, "skip", "1"); err != nil {
		t.Fatal(err)
	}
	if !d.p.Wait(5*time.Second, reached.Load) {
		t.Fatal("the crash point was never reached")
	}
	d.stop()
	d.p.SetAfterPost(nil)
	d.start()
	tk := d.ticketOf("U1")
	d.waitTexts("C-TRIAGE", tk.ThreadID, []string{"first words", "second words"})
	d.drain()
	if n := len(triageCards(d)); n != 1 {
		t.Errorf("%d cards, want 1", n)
	}
	opened := 0
	for _, n := range d.notices("U1") {
		if strings.Contains(n, "opened ticket") {
			opened++
		}
	}
	if opened != 1 {
		t.Errorf("told the number %d times", opened)
	}
	if held, _ := d.store.Held(context.Background(), tk.ID); len(held) != 0 {
		t.Errorf("%d messages still held", len(held))
	}
}

// atomicBool is a flag a crash hook sets.
type atomicBool struct{ atomic.Bool }

// TestCustomersLanguage: a customer whose platform says they read Russian is written to in
// Russian (the ticket's number, notices, the bot), one whose platform says nothing in the
// desk's language; agents always read the desk's language. A desk in Russian writes Russian to
// both its agents and its customers who have no language of their own.
func TestCustomersLanguage(t *testing.T) {
	d := newDesk(t)
	d.p.AddUser(desk.User{ID: "U3", Name: "u3", DisplayName: "Анна", Locale: "ru-RU"})
	ev := say("U3", "m1", "не работает вход")
	ev.User = desk.User{ID: "U3"} // as the platforms say who wrote: the rest is looked up
	d.ingest(ev)
	tk := d.ticketOf("U3")
	_ = d.press("A1", "C-TRIAGE", tk.ThreadID, "claim", "1")
	d.drain()
	n := d.notices("U3")
	if len(n) != 2 || !strings.HasPrefix(n[0], "Спасибо! Мы получили ваше сообщение и открыли заявку #1") || !strings.Contains(n[1], "Вашей заявкой #1 теперь занимается") {
		t.Errorf("notices to a Russian customer: %q", n)
	}
	if got := field(d.card(tk), "Status"); got != "open" {
		t.Errorf("the card's status field %q: agents read English", got)
	}
	other := d.open("U1")
	if n := d.notices("U1"); len(n) != 1 || !strings.Contains(n[0], "opened ticket #2") {
		t.Errorf("notices to a customer without a language: %q", n)
	}
	if got, _ := d.store.Ticket(context.Background(), other.ID); got.Language != "en" {
		t.Errorf("language of a customer without one: %q, want the desk's (en)", got.Language)
	}

	ru := newDesk(t, func(o *relay.Options) {
		p := botPolicy(false)
		p.Language = "ru"
		o.Policy = func() desk.Policy { return p }
	})
	ru.ingest(say("U1", "m1", "здравствуйте"))
	ru.drain()
	greeting := ru.dm("U1", 1)[0]
	if !strings.HasPrefix(greeting.Text, "Здравствуйте, «Customer U1»!") || greeting.Card.Actions[2].Label != "Пропустить" {
		t.Errorf("the bot of a Russian desk: %q %+v", greeting.Text, greeting.Card.Actions)
	}
	ru.click("U1", greeting, "skip", "")
	rtk := ru.ticketOf("U1")
	if got := ru.card(rtk); field(got, "Статус") != "new" {
		t.Errorf("the card of a Russian desk: %+v", got.Fields)
	}
}

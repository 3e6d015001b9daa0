package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

// Business hours and SLA clocks on Slack, end to end: the built binary, started with a desk
// policy (DESK_CONFIG) of seconds-long targets or of hours that are closed now, against the
// fake Slack of slacktest, timed by the wall clock.

// TestSlackSLA: a ticket nobody answers gets its card's SLA field on track, the reminder in its
// thread at half its 4s first-response target (the card then at risk), the breach alert in the
// thread at 4s and one alert to the leads in the triage channel, each once, the card then
// breached; every post is a chat.postMessage into the triage channel, with thread_ts for the
// thread and without for the leads. A ticket claimed before its reminder gets neither, and its
// card shows the first response met. A ticket Ann answered, whose customer then writes again,
// gets the reminder and the alert of its next response, naming Ann first (<@U…>), and the
// leads read that Ann looks after it.
func TestSlackSLA(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	fake := slackWorkspace(t, 3)
	s := startSlackSLA(t, bin, fake, slaWriteFile(t, slaSecondsPolicy), map[string]string{"LEADS": slackBob.ID})
	one, two, three := slackCustomer(1), slackCustomer(2), slackCustomer(3)
	ann, leadsMention := "<@"+slackAnn.ID+">", "<@"+slackBob.ID+">"
	const subject, subject3 = "the VPN drops every hour", "the app crashes on start"

	sent := time.Now()
	s.say("EvSLA1", one, slackDM(one), "", subject)
	card := slackCard(t, fake, one)
	cardAt := slaSlackPostedAt(t, fake, card)
	t.Logf("the card of ticket 1 came %v after the customer's message", cardAt.Sub(sent).Round(time.Millisecond))
	due, state, ok := slaClock(slackField(t, card, "SLA"), "first response")
	if !ok || state != "on track" {
		t.Fatalf("the new card's SLA field is %q, want a first response line on track", slackField(t, card, "SLA"))
	}
	slaCheckDue(t, "the card's first response", due, sent.Add(slaFirst), cardAt.Add(slaFirst))
	if _, state, ok := slaClock(slackField(t, card, "SLA"), "resolution"); !ok || state != "on track" {
		t.Errorf("the new card's SLA field is %q, want a resolution line on track", slackField(t, card, "SLA"))
	}

	// The second customer's ticket is claimed at once, well before its reminder.
	sent2 := time.Now()
	s.say("EvSLA2", two, slackDM(two), "", "my invoice is wrong")
	card2 := slackCard(t, fake, two)
	s.must("/slack/interactivity", slacktest.Form(fake.BlockAction(slackAnn, card2, "claim", "2")))
	slackEventually(t, "ticket 2's card claimed, its first response met", func() (bool, string) {
		f := slackField(t, slackCardNow(fake, card2), "SLA")
		_, state, _ := slaClock(f, "first response")
		return state == "met" && slackField(t, slackCardNow(fake, card2), "Assignee") == "Ann", f
	})
	if claimed := time.Since(sent2); claimed > slaRemind-slaEarly {
		t.Fatalf("ticket 2 was claimed %v after its customer wrote, too late to be before its reminder", claimed)
	}

	// The third customer's ticket is answered by Ann at once; the customer writes again, and
	// the next response's clock runs.
	sent3 := time.Now()
	s.say("EvSLA3", three, slackDM(three), "", subject3)
	card3 := slackCard(t, fake, three)
	slackEventually(t, "ticket 3's request in its thread", func() (bool, string) {
		return len(slackWithText(slackReplies(fake, slacktest.Triage, card3.TS), subject3)) == 1, slackTexts(fake.Thread(slacktest.Triage, card3.TS))
	})
	s.say("EvSLA4", slackAnn, slacktest.Triage, card3.TS, "Which version do you run?")
	slackEventually(t, "Ann's answer in the DM, ticket 3's first response met", func() (bool, string) {
		f := slackField(t, slackCardNow(fake, card3), "SLA")
		_, state, _ := slaClock(f, "first response")
		return state == "met" && len(slackContaining(slackFromApp(fake, slackDM(three)), "Which version do you run?")) == 1, f
	})
	if answered := time.Since(sent3); answered > slaRemind-slaEarly {
		t.Fatalf("ticket 3 was answered %v after its customer wrote, too late to be before its reminder", answered)
	}
	again := time.Now()
	s.say("EvSLA5", three, slackDM(three), "", "version 2.1")
	slackEventually(t, "ticket 3's second message in its thread", func() (bool, string) {
		return len(slackWithText(slackReplies(fake, slacktest.Triage, card3.TS), "version 2.1")) == 1, slackTexts(fake.Thread(slacktest.Triage, card3.TS))
	})
	written := time.Now()

	// Ticket 1's reminder, into its thread.
	reminder := slaSlackWait(t, fake, "the reminder", "⏰ Ticket #1:")
	slaCheckTiming(t, "the reminder", sent, reminder.At, slaRemind)
	t.Logf("the reminder: %q", reminder.Args["text"])
	slaCheckReminder(t, reminder.Args["text"], "", "1", "first response", due)
	slaCheckThreadPost(t, reminder, card.TS)
	slackEventually(t, "ticket 1's card at risk", func() (bool, string) {
		f := slackField(t, slackCardNow(fake, card), "SLA")
		_, state, _ := slaClock(f, "first response")
		return state == "at risk" || state == "breached", f
	})

	// Ticket 1's breach: the alert into the thread, and one to the leads.
	breach := slaBreachText("", "1", "first response")
	alert := slaSlackWait(t, fake, "the breach alert", breach)
	slaCheckTiming(t, "the breach alert", sent, alert.At, slaFirst)
	if alert.Args["text"] != breach {
		t.Errorf("the breach alert says %q, want %q", alert.Args["text"], breach)
	}
	slaCheckThreadPost(t, alert, card.TS)
	if !reminder.At.Before(alert.At) {
		t.Errorf("the reminder came at %s, not before the breach alert at %s", reminder.At, alert.At)
	}
	leadsText := slaLeadsText(leadsMention, "1", subject, "first response", "")
	leads := slaSlackWait(t, fake, "the leads' alert", "🚨 "+leadsMention+" Ticket #1 ")
	slaCheckTiming(t, "the leads' alert", sent, leads.At, slaFirst)
	if leads.Args["text"] != leadsText {
		t.Errorf("the leads' alert says %q, want %q", leads.Args["text"], leadsText)
	}
	slaCheckLeadsPost(t, leads)
	slackEventually(t, "ticket 1's card breached", func() (bool, string) {
		f := slackField(t, slackCardNow(fake, card), "SLA")
		_, state, _ := slaClock(f, "first response")
		return state == "breached", f
	})

	// Ticket 3's next response: the reminder and the alert name Ann first.
	reminder3 := slaSlackWait(t, fake, "ticket 3's reminder", "⏰ "+ann+" Ticket #3:")
	slaCheckTiming(t, "ticket 3's reminder", again, reminder3.At, slaRemind)
	t.Logf("ticket 3's reminder: %q", reminder3.Args["text"])
	var due3 string
	slackEventually(t, "ticket 3's card with its next response at risk", func() (bool, string) {
		f := slackField(t, slackCardNow(fake, card3), "SLA")
		d, state, _ := slaClock(f, "next response")
		due3 = d
		return state == "at risk" || state == "breached", f
	})
	slaCheckDue(t, "ticket 3's next response", due3, again.Add(slaFirst), written.Add(slaFirst))
	slaCheckReminder(t, reminder3.Args["text"], ann, "3", "next response", due3)
	slaCheckThreadPost(t, reminder3, card3.TS)
	breach3 := slaBreachText(ann, "3", "next response")
	alert3 := slaSlackWait(t, fake, "ticket 3's breach alert", breach3)
	slaCheckTiming(t, "ticket 3's breach alert", again, alert3.At, slaFirst)
	slaCheckThreadPost(t, alert3, card3.TS)
	leadsText3 := slaLeadsText(leadsMention, "3", subject3, "next response", "Ann")
	leads3 := slaSlackWait(t, fake, "ticket 3's alert to the leads", "🚨 "+leadsMention+" Ticket #3 ")
	if leads3.Args["text"] != leadsText3 {
		t.Errorf("the leads' alert of ticket 3 says %q, want %q", leads3.Args["text"], leadsText3)
	}
	slaCheckLeadsPost(t, leads3)

	// Nothing comes twice, and ticket 2 gets nothing.
	time.Sleep(slaQuiet)
	for _, c := range []struct {
		what, prefix string
		want         int
	}{
		{"reminders of ticket 1", "⏰ Ticket #1:", 1},
		{"breach alerts of ticket 1", breach, 1},
		{"alerts of ticket 1 to the leads", "🚨 " + leadsMention + " Ticket #1 ", 1},
		{"reminders of ticket 3", "⏰ " + ann + " Ticket #3:", 1},
		{"breach alerts of ticket 3", breach3, 1},
		{"alerts of ticket 3 to the leads", "🚨 " + leadsMention + " Ticket #3 ", 1},
		{"reminders and alerts", "⏰", 2},
		{"alerts", "🚨", 4},
	} {
		if got := slaSlackPosts(fake, c.prefix); len(got) != c.want {
			t.Errorf("%d %s, want %d: %s", len(got), c.what, c.want, slaSlackCallTexts(got))
		}
	}
	for _, m := range slackReplies(fake, slacktest.Triage, card2.TS) {
		if strings.HasPrefix(m.Text, "⏰") || strings.HasPrefix(m.Text, "🚨") {
			t.Errorf("ticket 2's thread has %q, want no reminder or alert for a claimed ticket", m.Text)
		}
	}
	inThread := slackContaining(slackReplies(fake, slacktest.Triage, card.TS), "Ticket #1")
	if got, want := slaSlackTexts(inThread), []string{reminder.Args["text"], breach}; !slices.Equal(got, want) {
		t.Errorf("ticket 1's thread has %q, want the reminder and the alert: %q", got, want)
	}
	var topLevel []string
	for _, m := range slackTopLevel(fake) {
		if m.TS != card.TS && m.TS != card2.TS && m.TS != card3.TS {
			topLevel = append(topLevel, m.Text)
		}
	}
	slices.Sort(topLevel) // tickets 1 and 3 breach at about the same time
	if want := []string{leadsText, leadsText3}; !slices.Equal(topLevel, want) {
		t.Errorf("the triage channel's top-level messages besides the cards: %q, want only the leads' alerts %q", topLevel, want)
	}

	// The card went from on track to at risk to breached, updated in place.
	versions := []string{slackField(t, card, "SLA")}
	for _, c := range fake.Calls("chat.update") {
		if c.Args["ts"] == card.TS && c.Status == http.StatusOK {
			versions = append(versions, slackField(t, slacktest.Message{TS: card.TS, Blocks: json.RawMessage(c.Args["blocks"])}, "SLA"))
		}
	}
	if got, want := slaStates(t, "first response", versions), []string{"on track", "at risk", "breached"}; !slices.Equal(got, want) {
		t.Errorf("ticket 1's card showed its first response %q in turn, want %q", got, want)
	}
	now := slackField(t, slackCardNow(fake, card2), "SLA")
	if _, state, _ := slaClock(now, "first response"); state != "met" {
		t.Errorf("ticket 2's card's SLA field is %q at the end, want its first response met", now)
	}
	now = slackField(t, slackCardNow(fake, card3), "SLA")
	if _, state, _ := slaClock(now, "next response"); state != "breached" {
		t.Errorf("ticket 3's card's SLA field is %q at the end, want its next response breached", now)
	}
}

// TestSlackOutOfHours: while the desk is closed, a customer who writes twice gets one
// out-of-hours reply in the DM saying when the team is back, in the customer's time zone as
// users.info tells it (tz, America/New_York); the card says the request came in out of hours,
// and its first response is due half an hour into the next business hours. A customer whose
// locale is ru-RU and who has no time zone reads the reply in Russian, in the desk's zone.
func TestSlackOutOfHours(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	fake := slackWorkspace(t, 0)
	ny := slackCustomer(1)
	ny.TZ = "America/New_York"
	fake.AddUser(ny)
	ru := slackCustomer(2)
	ru.Locale = "ru-RU"
	fake.AddUser(ru)
	policy, back := slaClosedPolicy(time.Now())
	s := startSlackSLA(t, bin, fake, slaWriteFile(t, policy), nil)
	dm := slackDM(ny)

	sent := time.Now()
	s.say("EvOOH1", ny, dm, "", "hello, is anyone there?")
	card := slackCard(t, fake, ny)
	s.say("EvOOH2", ny, dm, "", "the export still fails")
	slackEventually(t, "both messages in the thread", func() (bool, string) {
		var got []string
		for _, m := range slackReplies(fake, slacktest.Triage, card.TS) {
			if m.Username == ny.DisplayName {
				got = append(got, m.Text)
			}
		}
		return len(got) == 2, fmt.Sprintf("%q", got)
	})
	away := slaSlackAway(t, fake, dm, "Our team is away right now")
	t.Logf("the out-of-hours reply: %q", away.Text)
	if want := slaAwayTexts(t, "en", back, "America/New_York", sent, time.Now()); !slices.Contains(want, away.Text) {
		t.Errorf("the out-of-hours reply says %q, want %q", away.Text, want[0])
	}
	if got := slackField(t, slackCardNow(fake, card), "Came in"); got != "out of hours" {
		t.Errorf("card field Came in = %q, want out of hours", got)
	}
	f := slackField(t, slackCardNow(fake, card), "SLA")
	if due, state, ok := slaClock(f, "first response"); !ok || state != "on track" {
		t.Errorf("the card's SLA field is %q, want its first response on track", f)
	} else {
		slaCheckDue(t, "the first response out of hours", due, back.Add(30*time.Minute), back.Add(30*time.Minute))
	}
	if slices.ContainsFunc(fake.Calls("users.info"), func(c slacktest.Call) bool {
		return c.Args["user"] == ru.ID && c.Args["include_locale"] != "true"
	}) {
		t.Errorf("users.info was asked about a customer without include_locale=true")
	}

	// The Russian customer: in Russian, at the desk's time (UTC).
	sentRU := time.Now()
	s.say("EvOOH3", ru, slackDM(ru), "", "Экспорт не работает")
	cardRU := slackCard(t, fake, ru)
	awayRU := slaSlackAway(t, fake, slackDM(ru), "вернёмся")
	t.Logf("the Russian out-of-hours reply: %q", awayRU.Text)
	if want := slaAwayTexts(t, "ru", back, "UTC", sentRU, time.Now()); !slices.Contains(want, awayRU.Text) {
		t.Errorf("the Russian out-of-hours reply says %q, want %q", awayRU.Text, want[0])
	}
	if got := slackField(t, slackCardNow(fake, cardRU), "Came in"); got != "out of hours" {
		t.Errorf("the Russian customer's card: Came in = %q, want out of hours (the agents read English)", got)
	}

	// One reply per closed period, however much the customers write.
	time.Sleep(time.Second)
	if got := slackContaining(slackFromApp(fake, dm), "Our team is away right now"); len(got) != 1 {
		t.Errorf("%d out-of-hours replies after two messages, want 1: %s", len(got), slackTexts(slackFromApp(fake, dm)))
	}
	if got := slackContaining(slackFromApp(fake, slackDM(ru)), "вернёмся"); len(got) != 1 {
		t.Errorf("%d Russian out-of-hours replies, want 1: %s", len(got), slackTexts(slackFromApp(fake, slackDM(ru))))
	}
}

// startSlackSLA starts the binary on the fake Slack with the desk policy at deskConfig and the
// extra settings env, and has the fake deliver the app's own messages back to it.
func startSlackSLA(t *testing.T, bin string, fake *slacktest.Server, deskConfig string, env map[string]string) *slackBot {
	t.Helper()
	settings := map[string]string{
		"SLACK_BOT_TOKEN":      slacktest.BotToken,
		"SLACK_SIGNING_SECRET": slackSecret,
		"SLACK_TRIAGE_CHANNEL": "#triage",
		"SLACK_API_URL":        fake.APIURL(),
		"SLACK_POST_RATE":      "0",
		"DESK_CONFIG":          deskConfig,
	}
	maps.Copy(settings, env)
	b := startBotBinary(t, bin, settings)
	s := &slackBot{botBinary: b, fake: fake}
	fake.OnEvent(func(body []byte) {
		if b.stopped.Load() {
			return
		}
		if got := s.post("/slack/events", body); got != http.StatusOK && !b.stopped.Load() {
			t.Errorf("echo of the app's own message: got %d, want 200", got)
		}
	})
	return s
}

// slaCheckLeadsPost fails the test unless c posted a top-level message into the triage channel.
func slaCheckLeadsPost(t *testing.T, c slacktest.Call) {
	t.Helper()
	if c.Args["channel"] != slacktest.Triage {
		t.Errorf("the leads' alert went to channel %q, want the triage channel %s", c.Args["channel"], slacktest.Triage)
	}
	if th, has := c.Args["thread_ts"]; has {
		t.Errorf("the leads' alert has thread_ts %q, want a top-level message of the triage channel", th)
	}
}

// slaSlackPosts are the successful chat.postMessage calls whose text starts with prefix.
func slaSlackPosts(fake *slacktest.Server, prefix string) []slacktest.Call {
	var out []slacktest.Call
	for _, c := range fake.Calls("chat.postMessage") {
		if c.Status == http.StatusOK && strings.HasPrefix(c.Args["text"], prefix) {
			out = append(out, c)
		}
	}
	return out
}

// slaSlackWait waits for the first chat.postMessage whose text starts with prefix.
func slaSlackWait(t *testing.T, fake *slacktest.Server, what, prefix string) slacktest.Call {
	t.Helper()
	var found slacktest.Call
	slackEventually(t, what, func() (bool, string) {
		got := slaSlackPosts(fake, prefix)
		if len(got) == 0 {
			return false, slackTexts(fake.Messages(slacktest.Triage))
		}
		found = got[0]
		return true, ""
	})
	return found
}

// slaSlackPostedAt is when the fake received the chat.postMessage that posted m.
func slaSlackPostedAt(t *testing.T, fake *slacktest.Server, m slacktest.Message) time.Time {
	t.Helper()
	for _, c := range fake.Calls("chat.postMessage") {
		if c.Args["channel"] == m.Channel && c.Args["text"] == m.Text && c.Status == http.StatusOK {
			return c.At
		}
	}
	t.Fatalf("no chat.postMessage posted %q", m.Text)
	return time.Time{}
}

// slaCheckThreadPost fails the test unless c posted into the triage channel's thread of root.
func slaCheckThreadPost(t *testing.T, c slacktest.Call, root string) {
	t.Helper()
	if c.Args["channel"] != slacktest.Triage || c.Args["thread_ts"] != root {
		t.Errorf("%q went to channel %q thread_ts %q, want the card's thread %s in %s", c.Args["text"], c.Args["channel"], c.Args["thread_ts"], root, slacktest.Triage)
	}
	if c.Args["reply_broadcast"] == "true" {
		t.Errorf("%q was broadcast to the channel, want it in the thread only", c.Args["text"])
	}
}

// slaSlackAway waits for the app's message in the DM that contains part: the out-of-hours
// reply.
func slaSlackAway(t *testing.T, fake *slacktest.Server, dm, part string) slacktest.Message {
	t.Helper()
	var found slacktest.Message
	slackEventually(t, "the out-of-hours reply", func() (bool, string) {
		got := slackContaining(slackFromApp(fake, dm), part)
		if len(got) == 0 {
			return false, slackTexts(fake.Messages(dm))
		}
		found = got[0]
		return true, ""
	})
	return found
}

// slaSlackTexts are the texts of msgs.
func slaSlackTexts(msgs []slacktest.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

// slaSlackCallTexts lists the texts of calls, for a failure's message.
func slaSlackCallTexts(calls []slacktest.Call) string {
	var out []string
	for _, c := range calls {
		out = append(out, fmt.Sprintf("%q", c.Args["text"]))
	}
	return "[" + strings.Join(out, ", ") + "]"
}

package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/mattermost/mattermosttest"
)

// Business hours and SLA clocks on Mattermost, end to end: the built binary, started with a
// desk policy (DESK_CONFIG) of seconds-long targets or of hours that are closed now, against
// the fake Mattermost of mattermosttest, timed by the wall clock.

// TestMattermostSLA: a ticket nobody answers gets its card's SLA field on track, the reminder
// in its thread (a post with the card as root_id) at half its 4s first-response target (the
// card then at risk), the breach alert in the thread at 4s and one root post to the leads in
// the triage channel naming them @username, each once, the card then breached. A ticket
// claimed before its reminder gets neither, and its card shows the first response met. A
// ticket Alex answered, whose customer then writes again, gets the reminder and the alert of
// its next response, naming @alex first, and the leads read that Alex looks after it.
func TestMattermostSLA(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	w := mmNewWorld(t)
	lead := w.AddUser("lena", "Lena", "Lead", false, "", w.TeamID)
	startMattermostSLA(t, bin, w, slaWriteFile(t, slaSecondsPolicy), map[string]string{"LEADS": lead.Username})
	carol := w.Customer
	alex, leadsMention := "@"+w.Agent.Username, "@"+lead.Username
	const subject, subject3 = "the VPN drops every hour", "the app crashes on start"

	sent := time.Now()
	w.UserPost(carol.Id, w.DM(w.Bot.Id, carol.Id).Id, "", subject)
	card := w.card(t, 1)
	cardAt := time.UnixMilli(card.CreateAt)
	t.Logf("the card of ticket 1 came %v after the customer's message", cardAt.Sub(sent).Round(time.Millisecond))
	versions := slaWatchCard(t, w, card.Id)
	due, state, ok := slaClock(mmCardField(card, "SLA"), "first response")
	if !ok || state != "on track" {
		t.Fatalf("the new card's SLA field is %q, want a first response line on track", mmCardField(card, "SLA"))
	}
	slaCheckDue(t, "the card's first response", due, sent.Add(slaFirst), cardAt.Add(slaFirst))
	if _, state, ok := slaClock(mmCardField(card, "SLA"), "resolution"); !ok || state != "on track" {
		t.Errorf("the new card's SLA field is %q, want a resolution line on track", mmCardField(card, "SLA"))
	}

	// The second customer's ticket is claimed at once, well before its reminder.
	dave, dm2 := w.customer("dave", "Dave", "Second")
	sent2 := time.Now()
	w.UserPost(dave.Id, dm2.Id, "", "my invoice is wrong")
	card2 := w.card(t, 2)
	w.click(t, w.Agent.Id, card2, "claim", "2")
	mmEventually(t, "ticket 2's card claimed, its first response met", func() (bool, string) {
		now := w.Post(card2.Id)
		_, state, _ := slaClock(mmCardField(now, "SLA"), "first response")
		return state == "met" && mmCardField(now, "Assignee") == "Alex the Agent", mmCardField(now, "SLA")
	})
	if claimed := time.Since(sent2); claimed > slaRemind-slaEarly {
		t.Fatalf("ticket 2 was claimed %v after its customer wrote, too late to be before its reminder", claimed)
	}

	// The third customer's ticket is answered by Alex at once; the customer writes again, and
	// the next response's clock runs.
	erin, dm3 := w.customer("erin", "Erin", "Third")
	sent3 := time.Now()
	w.UserPost(erin.Id, dm3.Id, "", subject3)
	card3 := w.card(t, 3)
	w.waitPost(t, w.Triage.Id, card3.Id, "**Erin Third:** "+subject3)
	w.UserPost(w.Agent.Id, w.Triage.Id, card3.Id, "Which version do you run?")
	mmEventually(t, "Alex's answer in the DM, ticket 3's first response met", func() (bool, string) {
		f := mmCardField(w.Post(card3.Id), "SLA")
		_, state, _ := slaClock(f, "first response")
		return state == "met" && len(slaMMContaining(w.botPosts(dm3.Id, ""), "Which version do you run?")) == 1, f
	})
	if answered := time.Since(sent3); answered > slaRemind-slaEarly {
		t.Fatalf("ticket 3 was answered %v after its customer wrote, too late to be before its reminder", answered)
	}
	again := time.Now()
	w.UserPost(erin.Id, dm3.Id, "", "version 2.1")
	w.waitPost(t, w.Triage.Id, card3.Id, "**Erin Third:** version 2.1")
	written := time.Now()

	// Ticket 1's reminder, into its thread.
	reminder := slaMMWait(t, w, "the reminder", "⏰ Ticket #1:")
	slaCheckTiming(t, "the reminder", sent, time.UnixMilli(reminder.CreateAt), slaRemind)
	t.Logf("the reminder: %q", reminder.Message)
	slaCheckReminder(t, reminder.Message, "", "1", "first response", due)
	slaCheckMMThread(t, w, reminder, card.Id)
	mmEventually(t, "ticket 1's card at risk", func() (bool, string) {
		f := mmCardField(w.Post(card.Id), "SLA")
		_, state, _ := slaClock(f, "first response")
		return state == "at risk" || state == "breached", f
	})

	// Ticket 1's breach: the alert into the thread, and one to the leads.
	breach := slaBreachText("", "1", "first response")
	alert := slaMMWait(t, w, "the breach alert", breach)
	slaCheckTiming(t, "the breach alert", sent, time.UnixMilli(alert.CreateAt), slaFirst)
	if alert.Message != breach {
		t.Errorf("the breach alert says %q, want %q", alert.Message, breach)
	}
	slaCheckMMThread(t, w, alert, card.Id)
	if reminder.CreateAt >= alert.CreateAt {
		t.Errorf("the reminder came at %d, not before the breach alert at %d", reminder.CreateAt, alert.CreateAt)
	}
	leadsText := slaLeadsText(leadsMention, "1", subject, "first response", "")
	leads := slaMMWait(t, w, "the leads' alert", "🚨 "+leadsMention+" Ticket #1 ")
	slaCheckTiming(t, "the leads' alert", sent, time.UnixMilli(leads.CreateAt), slaFirst)
	if leads.Message != leadsText {
		t.Errorf("the leads' alert says %q, want %q", leads.Message, leadsText)
	}
	slaCheckMMRoot(t, w, leads)
	mmEventually(t, "ticket 1's card breached", func() (bool, string) {
		f := mmCardField(w.Post(card.Id), "SLA")
		_, state, _ := slaClock(f, "first response")
		return state == "breached", f
	})

	// Ticket 3's next response: the reminder and the alert name Alex first.
	reminder3 := slaMMWait(t, w, "ticket 3's reminder", "⏰ "+alex+" Ticket #3:")
	slaCheckTiming(t, "ticket 3's reminder", again, time.UnixMilli(reminder3.CreateAt), slaRemind)
	t.Logf("ticket 3's reminder: %q", reminder3.Message)
	var due3 string
	mmEventually(t, "ticket 3's card with its next response at risk", func() (bool, string) {
		f := mmCardField(w.Post(card3.Id), "SLA")
		d, state, _ := slaClock(f, "next response")
		due3 = d
		return state == "at risk" || state == "breached", f
	})
	slaCheckDue(t, "ticket 3's next response", due3, again.Add(slaFirst), written.Add(slaFirst))
	slaCheckReminder(t, reminder3.Message, alex, "3", "next response", due3)
	slaCheckMMThread(t, w, reminder3, card3.Id)
	breach3 := slaBreachText(alex, "3", "next response")
	alert3 := slaMMWait(t, w, "ticket 3's breach alert", breach3)
	slaCheckTiming(t, "ticket 3's breach alert", again, time.UnixMilli(alert3.CreateAt), slaFirst)
	slaCheckMMThread(t, w, alert3, card3.Id)
	leadsText3 := slaLeadsText(leadsMention, "3", subject3, "next response", "Alex the Agent")
	leads3 := slaMMWait(t, w, "ticket 3's alert to the leads", "🚨 "+leadsMention+" Ticket #3 ")
	if leads3.Message != leadsText3 {
		t.Errorf("the leads' alert of ticket 3 says %q, want %q", leads3.Message, leadsText3)
	}
	slaCheckMMRoot(t, w, leads3)

	// Nothing comes twice, and ticket 2 gets nothing.
	time.Sleep(slaQuiet)
	for _, c := range []struct {
		what, prefix string
		want         int
	}{
		{"reminders of ticket 1", "⏰ Ticket #1:", 1},
		{"breach alerts of ticket 1", breach, 1},
		{"alerts of ticket 1 to the leads", "🚨 " + leadsMention + " Ticket #1 ", 1},
		{"reminders of ticket 3", "⏰ " + alex + " Ticket #3:", 1},
		{"breach alerts of ticket 3", breach3, 1},
		{"alerts of ticket 3 to the leads", "🚨 " + leadsMention + " Ticket #3 ", 1},
		{"reminders", "⏰", 2},
		{"alerts", "🚨", 4},
	} {
		if got := slaMMPosts(w, c.prefix); len(got) != c.want {
			t.Errorf("%d %s, want %d: %q", len(got), c.what, c.want, mmMessages(got))
		}
	}
	for _, p := range w.botPosts(w.Triage.Id, card2.Id) {
		if strings.HasPrefix(p.Message, "⏰") || strings.HasPrefix(p.Message, "🚨") {
			t.Errorf("ticket 2's thread has %q, want no reminder or alert for a claimed ticket", p.Message)
		}
	}
	var inThread []string
	for _, p := range w.botPosts(w.Triage.Id, card.Id) {
		if strings.Contains(p.Message, "Ticket #1") {
			inThread = append(inThread, p.Message)
		}
	}
	if want := []string{reminder.Message, breach}; !slices.Equal(inThread, want) {
		t.Errorf("ticket 1's thread has %q, want the reminder and the alert: %q", inThread, want)
	}
	var roots []string
	for _, p := range mmRoots(w) {
		if p.Id != card.Id && p.Id != card2.Id && p.Id != card3.Id {
			roots = append(roots, p.Message)
		}
	}
	slices.Sort(roots) // tickets 1 and 3 breach at about the same time
	if want := []string{leadsText, leadsText3}; !slices.Equal(roots, want) {
		t.Errorf("the triage channel's root posts besides the cards: %q, want only the leads' alerts %q", roots, want)
	}

	// The card went from on track to at risk to breached, updated in place.
	if got, want := slaStates(t, "first response", versions()), []string{"on track", "at risk", "breached"}; !slices.Equal(got, want) {
		t.Errorf("ticket 1's card showed its first response %q in turn, want %q", got, want)
	}
	now := mmCardField(w.Post(card2.Id), "SLA")
	if _, state, _ := slaClock(now, "first response"); state != "met" {
		t.Errorf("ticket 2's card's SLA field is %q at the end, want its first response met", now)
	}
	now = mmCardField(w.Post(card3.Id), "SLA")
	if _, state, _ := slaClock(now, "next response"); state != "breached" {
		t.Errorf("ticket 3's card's SLA field is %q at the end, want its next response breached", now)
	}
}

// TestMattermostOutOfHours: while the desk is closed, a customer who writes twice gets one
// out-of-hours reply in the DM saying when the team is back, in the customer's time zone as
// their user's timezone tells it (automatic, America/New_York); the card says the request
// came in out of hours, and its first response is due half an hour into the next business
// hours. A customer whose locale is ru and who has no time zone reads the reply in Russian, in
// the desk's zone.
func TestMattermostOutOfHours(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	w := mmNewWorld(t)
	carol := w.Customer
	w.SetTimezone(carol.Id, "America/New_York")
	ivan, dmRU := w.customer("ivan", "Иван", "Петров")
	w.SetLocale(ivan.Id, "ru")
	policy, back := slaClosedPolicy(time.Now())
	startMattermostSLA(t, bin, w, slaWriteFile(t, policy), nil)
	dm := w.DM(w.Bot.Id, carol.Id)

	sent := time.Now()
	w.UserPost(carol.Id, dm.Id, "", "hello, is anyone there?")
	card := w.card(t, 1)
	w.UserPost(carol.Id, dm.Id, "", "the export still fails")
	mmEventually(t, "both messages in the thread", func() (bool, string) {
		var got []string
		for _, p := range w.botPosts(w.Triage.Id, card.Id) {
			if strings.HasPrefix(p.Message, "**Carol Customer:** ") {
				got = append(got, p.Message)
			}
		}
		return len(got) == 2, fmt.Sprintf("%q", got)
	})
	away := slaMMAway(t, w, dm.Id, "Our team is away right now")
	t.Logf("the out-of-hours reply: %q", away.Message)
	if want := slaAwayTexts(t, "en", back, "America/New_York", sent, time.Now()); !slices.Contains(want, away.Message) {
		t.Errorf("the out-of-hours reply says %q, want %q", away.Message, want[0])
	}
	now := w.Post(card.Id)
	if got := mmCardField(now, "Came in"); got != "out of hours" {
		t.Errorf("card field Came in = %q, want out of hours", got)
	}
	if due, state, ok := slaClock(mmCardField(now, "SLA"), "first response"); !ok || state != "on track" {
		t.Errorf("the card's SLA field is %q, want its first response on track", mmCardField(now, "SLA"))
	} else {
		slaCheckDue(t, "the first response out of hours", due, back.Add(30*time.Minute), back.Add(30*time.Minute))
	}

	// The Russian customer: in Russian, at the desk's time (UTC).
	sentRU := time.Now()
	w.UserPost(ivan.Id, dmRU.Id, "", "Экспорт не работает")
	cardRU := w.card(t, 2)
	awayRU := slaMMAway(t, w, dmRU.Id, "вернёмся")
	t.Logf("the Russian out-of-hours reply: %q", awayRU.Message)
	if want := slaAwayTexts(t, "ru", back, "UTC", sentRU, time.Now()); !slices.Contains(want, awayRU.Message) {
		t.Errorf("the Russian out-of-hours reply says %q, want %q", awayRU.Message, want[0])
	}
	if got := mmCardField(w.Post(cardRU.Id), "Came in"); got != "out of hours" {
		t.Errorf("the Russian customer's card: Came in = %q, want out of hours (the agents read English)", got)
	}

	// One reply per closed period, however much the customers write.
	time.Sleep(time.Second)
	if got := slaMMContaining(w.botPosts(dm.Id, ""), "Our team is away right now"); len(got) != 1 {
		t.Errorf("%d out-of-hours replies after two messages, want 1: %q", len(got), mmMessages(w.botPosts(dm.Id, "")))
	}
	if got := slaMMContaining(w.botPosts(dmRU.Id, ""), "вернёмся"); len(got) != 1 {
		t.Errorf("%d Russian out-of-hours replies, want 1: %q", len(got), mmMessages(w.botPosts(dmRU.Id, "")))
	}
}

// startMattermostSLA starts the binary on the fake Mattermost with the desk policy at
// deskConfig and the extra settings env, and waits for its WebSocket.
func startMattermostSLA(t *testing.T, bin string, w *mmWorld, deskConfig string, env map[string]string) *mattermostBot {
	t.Helper()
	settings := map[string]string{
		"MATTERMOST_URL":            w.URL,
		"MATTERMOST_TOKEN":          mattermosttest.BotToken,
		"MATTERMOST_TEAM":           "support",
		"MATTERMOST_TRIAGE_CHANNEL": "triage",
		"MATTERMOST_COMMAND_TOKEN":  mmCommandToken,
		"DESK_CONFIG":               deskConfig,
	}
	maps.Copy(settings, env)
	dialled := w.Dialled()
	b := startBotBinary(t, bin, settings)
	mmEventually(t, "the binary's WebSocket", func() (bool, string) {
		return w.Dialled() > dialled && w.SocketCount() > 0, fmt.Sprintf("%d sockets", w.SocketCount())
	})
	return &mattermostBot{botBinary: b, w: w}
}

// slaMMPosts are the bot's posts in the triage channel, thread replies included, whose
// message starts with prefix, oldest first.
func slaMMPosts(w *mmWorld, prefix string) []*model.Post {
	var out []*model.Post
	for _, p := range w.botPosts(w.Triage.Id, "") {
		if strings.HasPrefix(p.Message, prefix) {
			out = append(out, p)
		}
	}
	return out
}

// slaMMWait waits for the bot's first post in the triage channel whose message starts with
// prefix.
func slaMMWait(t *testing.T, w *mmWorld, what, prefix string) *model.Post {
	t.Helper()
	var found *model.Post
	mmEventually(t, what, func() (bool, string) {
		got := slaMMPosts(w, prefix)
		if len(got) == 0 {
			return false, fmt.Sprintf("%q", mmMessages(w.ChannelPosts(w.Triage.Id)))
		}
		found = got[0]
		return true, ""
	})
	return found
}

// slaCheckMMThread fails the test unless p is a reply in the triage channel's thread of root.
func slaCheckMMThread(t *testing.T, w *mmWorld, p *model.Post, root string) {
	t.Helper()
	if p.ChannelId != w.Triage.Id || p.RootId != root {
		t.Errorf("%q went to channel %q root_id %q, want the card's thread %s in the triage channel %s", p.Message, p.ChannelId, p.RootId, root, w.Triage.Id)
	}
}

// slaCheckMMRoot fails the test unless p is a root post of the triage channel.
func slaCheckMMRoot(t *testing.T, w *mmWorld, p *model.Post) {
	t.Helper()
	if p.ChannelId != w.Triage.Id || p.RootId != "" {
		t.Errorf("the leads' alert went to channel %q root_id %q, want a root post of the triage channel %s", p.ChannelId, p.RootId, w.Triage.Id)
	}
}

// slaMMAway waits for the bot's post in the DM that contains part: the out-of-hours reply.
func slaMMAway(t *testing.T, w *mmWorld, dm, part string) *model.Post {
	t.Helper()
	var found *model.Post
	mmEventually(t, "the out-of-hours reply", func() (bool, string) {
		got := slaMMContaining(w.botPosts(dm, ""), part)
		if len(got) == 0 {
			return false, fmt.Sprintf("%q", mmMessages(w.ChannelPosts(dm)))
		}
		found = got[0]
		return true, ""
	})
	return found
}

// slaMMContaining returns the posts whose message contains part.
func slaMMContaining(posts []*model.Post, part string) []*model.Post {
	var out []*model.Post
	for _, p := range posts {
		if strings.Contains(p.Message, part) {
			out = append(out, p)
		}
	}
	return out
}

// slaWatchCard records every version of a card's SLA field as the fake shows it, looking
// every 10ms until the test ends (the fake keeps only the last version), and returns a
// function that lists them, repeats left out.
func slaWatchCard(t *testing.T, w *mmWorld, cardID string) func() []string {
	var (
		mu       sync.Mutex
		versions []string
		done     = make(chan struct{})
		stopped  = make(chan struct{})
	)
	go func() {
		defer close(stopped)
		for {
			f := mmCardField(w.Post(cardID), "SLA")
			mu.Lock()
			if len(versions) == 0 || versions[len(versions)-1] != f {
				versions = append(versions, f)
			}
			mu.Unlock()
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { close(done); <-stopped })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(versions)
	}
}

package relay_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/desktest"
	"github.com/threadesk/threadesk/internal/redisstore"
	"github.com/threadesk/threadesk/internal/redistest"
	"github.com/threadesk/threadesk/internal/relay"
)

func TestFirstMessageOpensTicketWithCardAndThread(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	h.ingest(say("U1", "m1", "my printer is on fire"))

	tk := h.ticketOf("U1")
	if tk.ID != 1 || tk.Status != desk.StatusNew || tk.DMChannel != "D-U1" {
		t.Errorf("ticket = #%d %s dm %s, want #1 new D-U1", tk.ID, tk.Status, tk.DMChannel)
	}
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"my printer is on fire"})
	root, _ := h.p.Message(desk.MessageRef{Channel: "C-TRIAGE", ID: tk.ThreadID})
	if root.Card == nil || !strings.Contains(root.Card.Title, "#1") {
		t.Fatalf("thread root is not the ticket card: %+v", root)
	}
	if got := h.p.Messages("C-TRIAGE", tk.ThreadID)[0].As; got != "Customer U1" {
		t.Errorf("relayed message shows %q, want the customer's name", got)
	}
	// One acknowledgement with the ticket number in the DM, and a delivery mark on the message.
	h.p.Wait(5*time.Second, func() bool { return len(h.p.Messages("D-U1", "")) == 1 })
	if dm := h.p.Messages("D-U1", ""); len(dm) != 1 || !strings.Contains(dm[0].Text, "#1") {
		t.Errorf("DM = %+v, want one acknowledgement naming #1", dm)
	}
	h.waitMark(desk.MessageRef{Channel: "D-U1", ID: "m1"}, desk.MarkDelivered)

	// A second message goes to the same thread, with no second card or acknowledgement.
	h.ingest(say("U1", "m2", "still burning"))
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"my printer is on fire", "still burning"})
	if n := len(h.p.Messages("C-TRIAGE", "")); n != 1 {
		t.Errorf("%d top-level posts in triage, want 1 card", n)
	}
	if n := len(h.p.Messages("D-U1", "")); n != 1 {
		t.Errorf("%d app messages in DM, want 1 acknowledgement", n)
	}
}

func TestConcurrentCustomersExactlyOnceInOrder(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	const customers, messages = 20, 10
	var wg sync.WaitGroup
	for c := range customers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("U%02d", c)
			for m := range messages {
				h.ingest(say(user, fmt.Sprintf("m%d", m), fmt.Sprintf("%s message %d", user, m)))
			}
		}()
	}
	wg.Wait()
	threads := make(map[string]string)
	for c := range customers {
		user := fmt.Sprintf("U%02d", c)
		tk := h.ticketOf(user)
		var want []string
		for m := range messages {
			want = append(want, fmt.Sprintf("%s message %d", user, m))
		}
		h.waitTexts("C-TRIAGE", tk.ThreadID, want)
		if other, dup := threads[tk.ThreadID]; dup {
			t.Errorf("%s and %s share thread %s", user, other, tk.ThreadID)
		}
		threads[tk.ThreadID] = user
	}
	if n := len(h.p.Messages("C-TRIAGE", "")); n != customers {
		t.Errorf("%d cards, want %d", n, customers)
	}
}

func TestReplayedEventHasNoEffect(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	ev := say("U1", "m1", "hello")
	h.ingest(ev)
	tk := h.ticketOf("U1")
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"hello"})
	for range 3 {
		h.ingest(ev) // Slack retries carry the same event ID
	}
	h.ingest(say("U1", "m2", "after"))
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"hello", "after"})
}

func TestAgentReplyReachesCustomerAndNotesStay(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	h.ingest(say("U1", "m1", "help"))
	tk := h.ticketOf("U1")
	h.ingest(reply("A1", tk.ThreadID, "r1", "Have you tried turning it off and on?"))
	h.ingest(reply("A1", tk.ThreadID, "r2", "// customer sounds annoyed"))
	h.ingest(reply("A1", tk.ThreadID, "r3", "Let me know!"))

	h.p.Wait(5*time.Second, func() bool { return len(h.dmTexts("U1")) == 2 })
	if got, want := fmt.Sprint(h.dmTexts("U1")), fmt.Sprint([]string{"Have you tried turning it off and on?", "Let me know!"}); got != want {
		t.Fatalf("DM got %s, want %s", got, want)
	}
	for _, m := range h.p.Messages("D-U1", "") {
		if m.As != "" && m.As != "Agent A1" {
			t.Errorf("agent reply shows %q, want the agent's name", m.As)
		}
	}
	h.waitMark(desk.MessageRef{Channel: "C-TRIAGE", ID: "r1"}, desk.MarkDelivered)
	h.waitMark(desk.MessageRef{Channel: "C-TRIAGE", ID: "r2"}, desk.MarkNote)

	got, err := h.store.Ticket(context.Background(), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != desk.StatusOpen || got.FirstResponseAt.IsZero() {
		t.Errorf("after the first reply: status %s, first response %v; want open and set", got.Status, got.FirstResponseAt)
	}
	card, _ := h.p.Message(desk.MessageRef{Channel: "C-TRIAGE", ID: tk.ThreadID})
	if card.Edits == 0 || !strings.Contains(fmt.Sprint(card.Card.Fields), "open") {
		t.Errorf("card not updated in place to open: %+v", card.Card)
	}
}

// A relayed message is the person's whole message: the core sends it as they wrote it, every
// mention form included, and the platform's outbound path makes it inert (the fake's stores
// it unchanged). Only texts the core composes quote people's words.
func TestRelayedTextReachesThePlatformUnchanged(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	h.p.AddUser(desk.User{ID: "A7", Name: "ann", DisplayName: "Ann Agent"})
	text := "<!channel> <!here|here> <!everyone> <!subteam^S1|@team> <@A7> <@A7|Ann> @channel @all [pay](http://evil.example) please"
	h.ingest(say("U1", "m1", text))
	tk := h.ticketOf("U1")
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{text})
	h.ingest(reply("A1", tk.ThreadID, "r1", "cc <@U1> and @here: *done*"))
	h.p.Wait(5*time.Second, func() bool { return len(h.dmTexts("U1")) == 1 })
	if got := h.dmTexts("U1"); len(got) != 1 || got[0] != "cc <@U1> and @here: *done*" {
		t.Errorf("customer DM = %q, want the agent's reply as written", got)
	}
	h.ingest(desk.Event{ID: "e1", Kind: desk.CustomerEdit, User: customer("U1"), Channel: "D-U1", Message: "m1", Text: "<!here> edited"})
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"<!here> edited"})
	for _, c := range h.p.Calls("user") {
		if c.Key == "A7" {
			t.Errorf("the core looked up A7, a person mentioned in a relayed text: that is the adapter's to resolve")
		}
	}
}

func TestLongReplyArrivesWholeInParts(t *testing.T) {
	h := newHarness(t, desk.Limits{MaxText: 4000})
	h.ingest(say("U1", "m1", "tell me everything"))
	tk := h.ticketOf("U1")
	long := strings.Repeat("All work and no play makes Jack a dull boy.\n", 455)[:20000]
	h.ingest(reply("A1", tk.ThreadID, "r1", long))

	// Cut at line breaks: the parts, with the line break each cut fell on, are the reply.
	h.p.Wait(5*time.Second, func() bool { return strings.Join(h.dmTexts("U1"), "\n") == long })
	parts := h.dmTexts("U1")
	if strings.Join(parts, "\n") != long {
		t.Fatalf("DM holds %d characters in %d parts, want the 20000-character reply whole", len(strings.Join(parts, "\n")), len(parts))
	}
	if len(parts) < 5 {
		t.Errorf("%d parts, want at least 5 for 20000 characters at 4000", len(parts))
	}
	for i, p := range parts {
		if len([]rune(p)) > 4000 {
			t.Errorf("part %d has %d characters", i, len([]rune(p)))
		}
	}
	// Deleting the reply deletes every part.
	h.ingest(desk.Event{ID: "del-r1", Kind: desk.AgentDelete, User: agent("A1"), Channel: "C-TRIAGE", Thread: tk.ThreadID, Message: "r1"})
	if !h.p.Wait(5*time.Second, func() bool { return len(h.dmTexts("U1")) == 0 }) {
		t.Errorf("%d parts left after delete", len(h.dmTexts("U1")))
	}
}

func TestEditsAndDeletesAreMirroredBothWays(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	h.ingest(say("U1", "m1", "my pasword is wrong"))
	tk := h.ticketOf("U1")
	h.ingest(reply("A1", tk.ThreadID, "r1", "Which sytem?"))
	h.p.Wait(5*time.Second, func() bool { return len(h.dmTexts("U1")) == 1 })

	h.ingest(desk.Event{ID: "e1", Kind: desk.CustomerEdit, User: customer("U1"), Channel: "D-U1", Message: "m1", Text: "my password is wrong"})
	h.ingest(desk.Event{ID: "e2", Kind: desk.AgentEdit, User: agent("A1"), Channel: "C-TRIAGE", Thread: tk.ThreadID, Message: "r1", Text: "Which system?"})
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"my password is wrong"})
	h.p.Wait(5*time.Second, func() bool { return fmt.Sprint(h.dmTexts("U1")) == "[Which system?]" })
	if got := h.dmTexts("U1"); fmt.Sprint(got) != "[Which system?]" {
		t.Fatalf("DM after agent edit = %q", got)
	}

	h.ingest(desk.Event{ID: "d1", Kind: desk.CustomerDelete, User: customer("U1"), Channel: "D-U1", Message: "m1"})
	h.ingest(desk.Event{ID: "d2", Kind: desk.AgentDelete, User: agent("A1"), Channel: "C-TRIAGE", Thread: tk.ThreadID, Message: "r1"})
	h.waitTexts("C-TRIAGE", tk.ThreadID, nil)
	if !h.p.Wait(5*time.Second, func() bool { return len(h.dmTexts("U1")) == 0 }) {
		t.Errorf("agent reply still in DM after delete")
	}
	entries, err := h.store.Transcript(context.Background(), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range entries {
		kinds = append(kinds, e.Kind)
	}
	if !strings.Contains(fmt.Sprint(kinds), "edit") || !strings.Contains(fmt.Sprint(kinds), "delete") {
		t.Errorf("transcript kinds %v, want edits and deletes recorded", kinds)
	}
}

// virtualHarness is a harness whose relay and fake platform run on a fake clock.
// The intake's wait for a busy shard is on that clock too, so the backlog is made large enough
// for the tests' bursts never to wait.
func virtualHarness(t *testing.T, limits desk.Limits) (*harness, *clockwork.FakeClock) {
	t.Helper()
	c := clockwork.NewFakeClockAt(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	h := newHarness(t, limits, func(o *relay.Options) { o.Clock, o.Backlog = c, 100 })
	h.p.SetClock(c)
	return h, c
}

// TestRetryAfterIsHonouredAndNothingLost, in virtual time: a 429 asking for 30 s holds the
// channel exactly that long, then everything goes, in order, without lookups (a refused post
// cannot have arrived).
func TestRetryAfterIsHonouredAndNothingLost(t *testing.T) {
	h, clock := virtualHarness(t, desk.Limits{})
	h.ingest(say("U1", "m1", "first"))
	tk := h.ticketOf("U1")
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"first"})

	var limited atomic.Int32
	var limitedAt atomic.Int64
	h.p.SetFail(func(c desktest.Call) error {
		if c.Op == "post" && c.Channel == "C-TRIAGE" && limited.Add(1) == 1 {
			limitedAt.Store(c.At.UnixNano())
			return &desk.DeliveryError{Op: "chat.postMessage", Kind: desk.FailRateLimited, Reason: "ratelimited", Temporary: true, RetryAfter: 30 * time.Second}
		}
		return nil
	})
	for i := range 5 {
		h.ingest(say("U1", fmt.Sprintf("n%d", i), fmt.Sprintf("burst %d", i)))
	}
	if !h.p.Wait(5*time.Second, func() bool { return limited.Load() == 1 }) {
		t.Fatal("no post was refused")
	}
	// Nothing goes before the wait is over, however long real time runs meanwhile.
	for range 29 {
		clock.Advance(time.Second)
	}
	time.Sleep(50 * time.Millisecond)
	if got := len(h.p.Messages("C-TRIAGE", tk.ThreadID)); got != 1 {
		t.Fatalf("%d messages in the thread after 29 s of a 30 s Retry-After, want 1", got)
	}
	clock.Advance(time.Second)
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"first", "burst 0", "burst 1", "burst 2", "burst 3", "burst 4"})
	msgs := h.p.Messages("C-TRIAGE", tk.ThreadID)
	if waited := msgs[1].At.Sub(time.Unix(0, limitedAt.Load())); waited != 30*time.Second {
		t.Errorf("retried %v after a 429 with Retry-After 30s, want exactly 30s of the desk's clock", waited)
	}
	if finds := len(h.p.Calls("find")); finds != 0 {
		t.Errorf("%d lookups after a 429: a refused post cannot have arrived, so none are needed", finds)
	}
}

// TestPacingSpreadsABurstIntoOneChannel, in virtual time: eight posts into one channel paced
// at 10 a second are spread over at least 0.7 s of the desk's clock.
func TestPacingSpreadsABurstIntoOneChannel(t *testing.T) {
	h, clock := virtualHarness(t, desk.Limits{PostRate: 10, PostBurst: 1})
	for c := range 4 {
		h.ingest(say(fmt.Sprintf("U%d", c), "m1", "hello"))
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(h.p.Calls("post")) < 12 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d posts", len(h.p.Calls("post")))
		}
		clock.Advance(10 * time.Millisecond)
		time.Sleep(time.Millisecond)
	}
	var triage []time.Time
	for _, c := range h.p.Calls("post") {
		if c.Channel == "C-TRIAGE" {
			triage = append(triage, c.At)
		}
	}
	if len(triage) != 8 {
		t.Fatalf("%d posts into triage, want 8 (4 cards, 4 messages)", len(triage))
	}
	// A post is recorded when it reaches the platform, which may be a few clock steps after the
	// pacer let it go when the machine is busy: a gap may look short by what the earlier post
	// was late, never the whole span.
	const late = 30 * time.Millisecond
	for i := 1; i < len(triage); i++ {
		if gap := triage[i].Sub(triage[i-1]); gap < 100*time.Millisecond-late {
			t.Errorf("posts %d and %d into one channel %v apart, want at least 100ms at 10/s", i-1, i, gap)
		}
	}
	if span := triage[len(triage)-1].Sub(triage[0]); span < 700*time.Millisecond-late {
		t.Errorf("8 posts into one channel over %v, want at least 700ms at 10/s", span)
	}
}

func TestFinalFailureIsMarkedWhereTheAuthorSeesIt(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	h.ingest(say("U1", "m1", "help"))
	tk := h.ticketOf("U1")
	h.p.SetFail(func(c desktest.Call) error {
		if c.Op == "post" && c.Channel == "D-U1" {
			return &desk.DeliveryError{Op: "chat.postMessage", Reason: "is_archived"}
		}
		return nil
	})
	h.ingest(reply("A1", tk.ThreadID, "r1", "answer"))
	h.waitMark(desk.MessageRef{Channel: "C-TRIAGE", ID: "r1"}, desk.MarkFailed)
	h.p.Wait(5*time.Second, func() bool { return len(h.p.Messages("C-TRIAGE", tk.ThreadID)) == 2 })
	msgs := h.p.Messages("C-TRIAGE", tk.ThreadID)
	if len(msgs) != 2 || !strings.Contains(msgs[1].Text, "is_archived") {
		t.Fatalf("thread = %+v, want a failure notice naming the reason", clipMsgs(msgs))
	}
}

func TestTemporaryFailuresAreRetriedWithoutDoublePosting(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	h.ingest(say("U1", "m1", "hi"))
	tk := h.ticketOf("U1")
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"hi"})
	// The platform stores the post and then answers 503: an ambiguous failure.
	var failures atomic.Int32
	h.p.SetFail(func(c desktest.Call) error {
		if c.Op == "post" && c.Channel == "C-TRIAGE" && failures.Add(1) <= 2 {
			return &desk.DeliveryError{Op: "chat.postMessage", Reason: "http_503", Temporary: true}
		}
		return nil
	})
	h.ingest(say("U1", "m2", "again"))
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"hi", "again"})
	if finds := len(h.p.Calls("find")); finds == 0 {
		t.Errorf("no lookup before resending after an ambiguous failure")
	}
}

func TestCrashBetweenSendAndRecordDoesNotDoublePost(t *testing.T) {
	h := newHarness(t, desk.Limits{MaxText: 10})
	h.ingest(say("U1", "m1", "hello"))
	tk := h.ticketOf("U1")
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"hello"})

	// The process "dies" right after the platform took the second part of a message, before
	// anything was recorded: the worker's goroutine ends there.
	var crashed atomic.Bool
	h.p.SetAfterPost(func(m desktest.Message) {
		if strings.HasSuffix(m.Key, ":t1") && crashed.CompareAndSwap(false, true) {
			runtime.Goexit()
		}
	})
	h.ingest(say("U1", "m2", "aaaa bbbb cccc dddd eeee ffff gggg"))
	if !h.p.Wait(5*time.Second, crashed.Load) {
		t.Fatal("the crash point was never reached")
	}
	h.stop()
	h.p.SetAfterPost(nil)

	h.start() // restart: the unacknowledged event is handled again
	want := []string{"hello", "aaaa bbbb", "cccc dddd", "eeee ffff", "gggg"}
	h.waitTexts("C-TRIAGE", tk.ThreadID, want)
	h.waitMark(desk.MessageRef{Channel: "D-U1", ID: "m2"}, desk.MarkDelivered)
	h.waitTexts("C-TRIAGE", tk.ThreadID, want)
	if finds := len(h.p.Calls("find")); finds == 0 {
		t.Errorf("no lookup after the restart: the resent parts were not reconciled")
	}
}

func TestKillAfterAcknowledgementLosesNothing(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	h.stop() // the process dies: events are acknowledged to the platform but never handled
	r, err := relay.New(h.opts)
	if err != nil {
		t.Fatal(err)
	}
	for u := range 5 {
		for m := range 4 {
			ev := say(fmt.Sprintf("U%d", u), fmt.Sprintf("m%d", m), fmt.Sprintf("msg %d", m))
			ev.Platform = "fake"
			if err := r.Ingest(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	h.store = h.openStore() // a new process opens the store again
	h.opts.Store = h.store
	h.start()
	for u := range 5 {
		tk := h.ticketOf(fmt.Sprintf("U%d", u))
		h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"msg 0", "msg 1", "msg 2", "msg 3"})
	}
	if n := len(h.p.Messages("C-TRIAGE", "")); n != 5 {
		t.Errorf("%d cards, want 5", n)
	}
}

func TestTicketNumbersNeverRepeat(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	seen := make(map[desk.TicketID]string)
	for u := range 3 {
		user := fmt.Sprintf("U%d", u)
		h.ingest(say(user, "m1", "hi"))
		seen[h.ticketOf(user).ID] = user
	}
	// Close U0's ticket; its next message opens a new ticket with a new number linking the old.
	old := h.ticketOf("U0")
	old.Status = desk.StatusClosed
	if err := h.store.Apply(context.Background(), desk.SaveTicket{Ticket: old}); err != nil {
		t.Fatal(err)
	}
	h.stop()
	h.start() // numbers survive a restart
	h.ingest(say("U0", "m2", "me again"))
	var next desk.Ticket
	h.p.Wait(5*time.Second, func() bool {
		next, _ = h.store.CustomerTicket(context.Background(), "fake", "U0")
		return next.ID != old.ID && next.HasThread()
	})
	if _, dup := seen[next.ID]; dup || next.ID != 4 || next.Previous != old.ID {
		t.Errorf("new ticket #%d (previous #%d); want #4 following #%d", next.ID, next.Previous, old.ID)
	}
	h.waitTexts("C-TRIAGE", next.ThreadID, []string{"me again"})
}

func TestFilesTravelWithIdenticalBytes(t *testing.T) {
	h := newHarness(t, desk.Limits{}, func(o *relay.Options) { o.MaxFileBytes = 1 << 20 })
	content := []byte(strings.Repeat("\x00\x01binary\xff", 1000))
	f := h.p.AddFile("F1", content)
	big := h.p.AddFile("F2", make([]byte, 2<<20))
	ev := say("U1", "m1", "see attached")
	ev.Files = []desk.File{f, big}
	h.ingest(ev)
	tk := h.ticketOf("U1")
	h.p.Wait(5*time.Second, func() bool { return len(h.p.Messages("C-TRIAGE", tk.ThreadID)) == 3 })
	msgs := h.p.Messages("C-TRIAGE", tk.ThreadID)
	if len(msgs) != 3 {
		t.Fatalf("thread = %v, want text, file and a too-large notice", clipMsgs(msgs))
	}
	if string(msgs[1].File) != string(content) {
		t.Errorf("relayed file differs from the original")
	}
	if !strings.Contains(msgs[2].Text, "F2.bin") || !strings.Contains(msgs[2].Text, "1 MB") {
		t.Errorf("notice %q does not name the file and the limit", msgs[2].Text)
	}
	// The customer is told too, and their message is marked failed, not delivered.
	h.waitMark(desk.MessageRef{Channel: "D-U1", ID: "m1"}, desk.MarkFailed)
	var told bool
	for _, m := range h.p.Messages("D-U1", "") {
		told = told || strings.Contains(m.Text, "F2.bin")
	}
	if !told {
		t.Errorf("the customer was not told their file did not come through: %v", clipMsgs(h.p.Messages("D-U1", "")))
	}
	// Deleting the message deletes its text and its file in the thread.
	h.ingest(desk.Event{ID: "del", Kind: desk.CustomerDelete, User: customer("U1"), Channel: "D-U1", Message: "m1"})
	h.p.Wait(5*time.Second, func() bool { return len(h.p.Messages("C-TRIAGE", tk.ThreadID)) == 1 })
	if msgs := h.p.Messages("C-TRIAGE", tk.ThreadID); len(msgs) != 1 || msgs[0].File != nil {
		t.Errorf("after delete the thread holds %v, want only the too-large notice", clipMsgs(msgs))
	}
}

func TestInvalidEventsAreRefusedAndChangeNothing(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	tests := []struct {
		name string
		ev   desk.Event
		code string
	}{
		{"unknown platform", desk.Event{Platform: "irc", ID: "1", Kind: desk.CustomerMessage, User: customer("U1"), Channel: "D", Message: "m"}, desk.EINVALID},
		{"unknown kind", desk.Event{Platform: "fake", ID: "1", Kind: "party", User: customer("U1")}, desk.EINVALID},
		{"no ID", desk.Event{Platform: "fake", Kind: desk.CustomerMessage, User: customer("U1"), Channel: "D", Message: "m"}, desk.EINVALID},
		{"no message", desk.Event{Platform: "fake", ID: "1", Kind: desk.CustomerMessage, User: customer("U1"), Channel: "D"}, desk.EINVALID},
		{"agent event without thread", desk.Event{Platform: "fake", ID: "1", Kind: desk.AgentReply, User: agent("A"), Channel: "C", Message: "m"}, desk.EINVALID},
		{"oversize", desk.Event{Platform: "fake", ID: "1", Kind: desk.CustomerMessage, User: customer("U1"), Channel: "D", Message: "m", Text: strings.Repeat("x", relay.MaxTextBytes+1)}, desk.ETOOLARGE},
		{"bad UTF-8", desk.Event{Platform: "fake", ID: "1", Kind: desk.CustomerMessage, User: customer("U1"), Channel: "D", Message: "m", Text: "\xff\xfe"}, desk.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.relay.Ingest(context.Background(), tt.ev)
			if got := desk.ErrorCode(err); got != tt.code {
				t.Errorf("Ingest error %v (code %q), want code %q", err, got, tt.code)
			}
		})
	}
	if n, err := h.store.QueueDepth(context.Background()); err != nil || n != 0 {
		t.Errorf("queue depth %d (%v) after refused events, want 0", n, err)
	}
	if calls := h.p.Calls(""); len(calls) != 0 {
		t.Errorf("refused events caused platform calls: %v", calls)
	}
}

func TestRedisOutageRefusesIngest(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	h.stop()
	// A store whose server went away under it.
	rdb := redis.NewClient(&redis.Options{Addr: redistest.Addr(t), MaxRetries: -1})
	s, err := redisstore.New(rdb, redisstore.Options{Prefix: h.prefix, Shards: shards})
	if err != nil {
		t.Fatal(err)
	}
	opts := h.opts
	opts.Store = s
	r, err := relay.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	rdb.Close()
	ev := say("U1", "m1", "hello")
	ev.Platform = "fake"
	err = r.Ingest(context.Background(), ev)
	if got := desk.ErrorCode(err); got != desk.EUNAVAILABLE {
		t.Errorf("Ingest with Redis down: %v (code %q), want %q", err, got, desk.EUNAVAILABLE)
	}
	var de *desk.Error
	if !errors.As(err, &de) {
		t.Errorf("error is not a desk.Error: %T", err)
	}
	// What a person or a platform may be shown says nothing of Redis, whichever read failed
	// (an agent's reply needs its thread's ticket before it is recorded).
	replyEv := reply("A1", "T1", "r1", "hi")
	replyEv.Platform = "fake"
	for _, e := range []desk.Event{ev, replyEv} {
		err := r.Ingest(context.Background(), e)
		if msg := desk.ErrorMessage(err); desk.ErrorCode(err) != desk.EUNAVAILABLE || strings.Contains(msg, redistest.Addr(t)) || strings.Contains(msg, "redis") || strings.Contains(msg, "closed") {
			t.Errorf("Ingest(%s) with Redis down: %v; its message %q must be a 503 that tells nothing of the store", e.Kind, err, msg)
		}
	}

	// The replica keeps trying to take its shards' leases and the scheduler its timers, each
	// saying so once, not at every retry.
	var log lockedBuffer
	opts.Logger = slog.New(slog.NewTextHandler(&log, nil))
	r, err = relay.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	_ = r.Run(ctx)
	if n := strings.Count(log.String(), "keep the queue shards' leases; retrying"); n != 1 {
		t.Errorf("the shards' leases logged %d errors in 400ms of outage, want one:\n%s", n, log.String())
	}
	if n := strings.Count(log.String(), "fire due timers; retrying"); n != 1 {
		t.Errorf("the scheduler logged %d errors in 400ms of outage, want one", n)
	}
}

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func clipMsgs(ms []desktest.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%s:%q", m.Ref.ID, m.Text))
	}
	return clip(out)
}

func TestIntakeSlowsDownWhenAShardFallsBehind(t *testing.T) {
	h := newHarness(t, desk.Limits{}, func(o *relay.Options) {
		o.Backlog = 2
		o.IntakeWait = 300 * time.Millisecond
	})
	h.ingest(say("U1", "m0", "hello"))
	tk := h.ticketOf("U1")
	release := h.hang("post")
	start := time.Now()
	for i := range 5 {
		h.ingest(say("U1", fmt.Sprintf("m%d", i+1), fmt.Sprintf("msg %d", i+1)))
	}
	took := time.Since(start)
	// One event is in the worker's hands, two fill the backlog; the other two each waited the
	// full IntakeWait and were then accepted anyway.
	if took < 500*time.Millisecond || took > 2*time.Second {
		t.Errorf("5 events into a stuck shard took %v, want about 2 × 300ms of waiting", took)
	}
	// An adapter that delivers one event at a time (Socket Mode) asks Ingest not to wait.
	start = time.Now()
	for i := range 3 {
		ev := say("U1", fmt.Sprintf("m%d", i+6), fmt.Sprintf("msg %d", i+6))
		ev.Platform = "fake"
		if err := h.relay.Ingest(desk.WithoutIntakeWait(context.Background()), ev); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took > 250*time.Millisecond {
		t.Errorf("3 events without intake wait took %v, want no waiting", took)
	}
	release()
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"hello", "msg 1", "msg 2", "msg 3", "msg 4", "msg 5", "msg 6", "msg 7", "msg 8"})
}

// poisonStore refuses, as invalid, any change that links the message "poison".
type poisonStore struct{ desk.Store }

func (s poisonStore) Apply(ctx context.Context, changes ...desk.Change) error {
	for _, c := range changes {
		if l, ok := c.(desk.PutLink); ok && l.Link.Source.ID == "poison" {
			return desk.Errorf(desk.EINVALID, "refused")
		}
	}
	return s.Store.Apply(ctx, changes...)
}

func TestAnEventThatCannotBeHandledDoesNotBlockTheCustomer(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	h.stop()
	h.opts.Store = poisonStore{h.store}
	h.start()
	h.ingest(say("U1", "m1", "hello"))
	tk := h.ticketOf("U1")
	h.ingest(say("U1", "poison", "this one cannot be recorded"))
	h.ingest(say("U1", "m3", "still there?"))
	h.p.Wait(5*time.Second, func() bool { return len(h.p.Messages("C-TRIAGE", tk.ThreadID)) == 3 })
	var got []string
	for _, m := range h.p.Messages("C-TRIAGE", tk.ThreadID) {
		got = append(got, m.Text)
	}
	if fmt.Sprint(got) != fmt.Sprint([]string{"hello", "this one cannot be recorded", "still there?"}) {
		t.Errorf("thread = %q: the customer's next message must get through", got)
	}
	// The last event is acknowledged just after its copy is posted: wait for the queue to empty.
	if !h.p.Wait(5*time.Second, func() bool {
		n, err := h.store.QueueDepth(context.Background())
		return err == nil && n == 0
	}) {
		t.Errorf("the queue did not empty: the poisoned event was not set aside")
	}
}

func TestAFailedEditKeepsTheCopyLinked(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	h.ingest(say("U1", "m1", "first version"))
	tk := h.ticketOf("U1")
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"first version"})
	h.p.SetFail(func(c desktest.Call) error {
		if c.Op == "update" && c.Channel == "C-TRIAGE" && strings.HasPrefix(c.Key, "e:edit") {
			return &desk.DeliveryError{Op: "chat.update", Reason: "cant_update_message"}
		}
		return nil
	})
	h.ingest(desk.Event{ID: "edit1", Kind: desk.CustomerEdit, User: customer("U1"), Channel: "D-U1", Message: "m1", Text: "second version"})
	h.waitMark(desk.MessageRef{Channel: "D-U1", ID: "m1"}, desk.MarkFailed)
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"first version"})
	// The customer is told, in the DM, why.
	told := h.p.Wait(5*time.Second, func() bool {
		for _, m := range h.p.Messages("D-U1", "") {
			if strings.Contains(m.Text, "cant_update_message") {
				return true
			}
		}
		return false
	})
	if !told {
		t.Errorf("the customer was not told why the edit failed")
	}
	// Deleting the message still deletes its copy.
	h.ingest(desk.Event{ID: "del1", Kind: desk.CustomerDelete, User: customer("U1"), Channel: "D-U1", Message: "m1"})
	h.waitTexts("C-TRIAGE", tk.ThreadID, nil)
}

// A reply edited into a note is withdrawn from the customer's DM (customers never see notes);
// a note edited into a reply is delivered then.
func TestEditingBetweenReplyAndNote(t *testing.T) {
	h := newHarness(t, desk.Limits{MaxText: 4000})
	h.ingest(say("U1", "m1", "help"))
	tk := h.ticketOf("U1")
	long := strings.Repeat("Step by step, here is what to do.\n", 200) // two parts
	h.ingest(reply("A1", tk.ThreadID, "r1", long))
	h.ingest(reply("A1", tk.ThreadID, "r2", "// check the invoice first"))
	h.p.Wait(5*time.Second, func() bool { return strings.Join(h.dmTexts("U1"), "") == long })

	h.ingest(desk.Event{ID: "e1", Kind: desk.AgentEdit, User: agent("A1"), Channel: "C-TRIAGE", Thread: tk.ThreadID, Message: "r1", Text: "// secret: now internal"})
	if !h.p.Wait(5*time.Second, func() bool { return len(h.dmTexts("U1")) == 0 }) {
		t.Fatalf("DM still shows %q after the reply became a note", h.dmTexts("U1"))
	}
	h.waitMark(desk.MessageRef{Channel: "C-TRIAGE", ID: "r1"}, desk.MarkNote)
	if m, _ := h.p.Message(desk.MessageRef{Channel: "C-TRIAGE", ID: "r1"}); hasMark(m, desk.MarkDelivered) {
		t.Errorf("the reply turned note still says delivered: marks %v", m.Marks)
	}
	// Edited again, as a note, it stays out of the DM; its deletion has nothing to delete.
	h.ingest(desk.Event{ID: "e2", Kind: desk.AgentEdit, User: agent("A1"), Channel: "C-TRIAGE", Thread: tk.ThreadID, Message: "r1", Text: "// secret, reworded"})

	h.ingest(desk.Event{ID: "e3", Kind: desk.AgentEdit, User: agent("A1"), Channel: "C-TRIAGE", Thread: tk.ThreadID, Message: "r2", Text: "Please check your invoice first."})
	if !h.p.Wait(5*time.Second, func() bool { return fmt.Sprint(h.dmTexts("U1")) == "[Please check your invoice first.]" }) {
		t.Fatalf("DM = %q, want the note turned reply", h.dmTexts("U1"))
	}
	h.waitMark(desk.MessageRef{Channel: "C-TRIAGE", ID: "r2"}, desk.MarkDelivered)
	if m, _ := h.p.Message(desk.MessageRef{Channel: "C-TRIAGE", ID: "r2"}); hasMark(m, desk.MarkNote) {
		t.Errorf("the note turned reply still says internal: marks %v", m.Marks)
	}
	// Now a reply, its next edit and deletion reach the DM.
	h.ingest(desk.Event{ID: "e4", Kind: desk.AgentEdit, User: agent("A1"), Channel: "C-TRIAGE", Thread: tk.ThreadID, Message: "r2", Text: "Please check your latest invoice."})
	if !h.p.Wait(5*time.Second, func() bool { return fmt.Sprint(h.dmTexts("U1")) == "[Please check your latest invoice.]" }) {
		t.Fatalf("DM = %q after editing the former note", h.dmTexts("U1"))
	}
	h.ingest(desk.Event{ID: "d1", Kind: desk.AgentDelete, User: agent("A1"), Channel: "C-TRIAGE", Thread: tk.ThreadID, Message: "r2"})
	if !h.p.Wait(5*time.Second, func() bool { return len(h.dmTexts("U1")) == 0 }) {
		t.Fatalf("DM = %q after deleting the former note", h.dmTexts("U1"))
	}
}

// A reply turned note whose copy the platform refuses to delete is reported to the agent, and
// stays linked so that deleting the reply later tries again.
func TestAWithdrawalThatFailsIsReported(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	h.ingest(say("U1", "m1", "help"))
	tk := h.ticketOf("U1")
	h.ingest(reply("A1", tk.ThreadID, "r1", "the answer"))
	h.p.Wait(5*time.Second, func() bool { return len(h.dmTexts("U1")) == 1 })
	h.p.SetFail(func(c desktest.Call) error {
		if c.Op == "delete" && c.Channel == "D-U1" {
			return &desk.DeliveryError{Op: "chat.delete", Reason: "cant_delete_message"}
		}
		return nil
	})
	h.ingest(desk.Event{ID: "e1", Kind: desk.AgentEdit, User: agent("A1"), Channel: "C-TRIAGE", Thread: tk.ThreadID, Message: "r1", Text: "// internal after all"})
	h.waitMark(desk.MessageRef{Channel: "C-TRIAGE", ID: "r1"}, desk.MarkFailed)
	if !h.p.Wait(5*time.Second, func() bool {
		msgs := h.p.Messages("C-TRIAGE", tk.ThreadID)
		return len(msgs) == 2 && strings.Contains(msgs[1].Text, "cant_delete_message")
	}) {
		t.Fatalf("thread = %+v, want a notice naming the reason", clipMsgs(h.p.Messages("C-TRIAGE", tk.ThreadID)))
	}
	h.p.SetFail(nil)
	h.ingest(desk.Event{ID: "d1", Kind: desk.AgentDelete, User: agent("A1"), Channel: "C-TRIAGE", Thread: tk.ThreadID, Message: "r1"})
	if !h.p.Wait(5*time.Second, func() bool { return len(h.dmTexts("U1")) == 0 }) {
		t.Fatalf("DM = %q after deleting the reply", h.dmTexts("U1"))
	}
}

// A ticket whose card (and so thread) someone deleted gets a new card: the customer's next
// message lands in the new thread, nothing is reported failed, and agents' replies there reach
// the customer.
func TestADeletedCardIsPostedAgain(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	h.ingest(say("U1", "m1", "first"))
	old := h.ticketOf("U1")
	h.waitTexts("C-TRIAGE", old.ThreadID, []string{"first"})
	if err := h.p.Delete(context.Background(), desk.MessageRef{Channel: "C-TRIAGE", ID: old.ThreadID}); err != nil {
		t.Fatal(err)
	}
	h.ingest(say("U1", "m2", "second"))
	var tk desk.Ticket
	h.p.Wait(5*time.Second, func() bool {
		tk, _ = h.store.CustomerTicket(context.Background(), "fake", "U1")
		return tk.ThreadID != old.ThreadID && len(h.p.Messages("C-TRIAGE", tk.ThreadID)) == 1
	})
	if tk.ID != old.ID || tk.ThreadID == old.ThreadID {
		t.Fatalf("ticket %d thread %q, want ticket %d in a new thread", tk.ID, tk.ThreadID, old.ID)
	}
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"second"})
	card, ok := h.p.Message(desk.MessageRef{Channel: "C-TRIAGE", ID: tk.ThreadID})
	if !ok || card.Card == nil || !strings.Contains(card.Card.Title, old.ID.String()) {
		t.Errorf("new thread root = %+v, want the ticket's card", card)
	}
	h.waitMark(desk.MessageRef{Channel: "D-U1", ID: "m2"}, desk.MarkDelivered)
	if notices := h.p.Messages("D-U1", ""); len(notices) != 1 {
		t.Errorf("customer DM = %+v, want only the first acknowledgement (no failure notice, no second one)", clipMsgs(notices))
	}
	h.ingest(reply("A1", tk.ThreadID, "r1", "we are on it"))
	h.p.Wait(5*time.Second, func() bool { return len(h.dmTexts("U1")) == 1 })
	if texts := h.dmTexts("U1"); len(texts) != 1 || texts[0] != "we are on it" {
		t.Errorf("customer DM = %q, want the reply from the new thread", texts)
	}

	// Deleted again, and the customer sends only a file: it opens a new thread too.
	if err := h.p.Delete(context.Background(), desk.MessageRef{Channel: "C-TRIAGE", ID: tk.ThreadID}); err != nil {
		t.Fatal(err)
	}
	ev := say("U1", "m3", "")
	ev.Files = []desk.File{h.p.AddFile("F1", []byte("screenshot"))}
	h.ingest(ev)
	h.waitMark(desk.MessageRef{Channel: "D-U1", ID: "m3"}, desk.MarkDelivered)
	last, _ := h.store.CustomerTicket(context.Background(), "fake", "U1")
	if msgs := h.p.Messages("C-TRIAGE", last.ThreadID); last.ThreadID == tk.ThreadID || len(msgs) != 1 || string(msgs[0].File) != "screenshot" {
		t.Errorf("file-only message after the card was deleted: thread %q holds %v", last.ThreadID, clipMsgs(msgs))
	}
}

// An event recorded by a process that ran a platform this one does not (same Redis, other
// settings) is neither handled nor dropped: it stays queued, and a later process that runs the
// platform relays it. Events of the platforms this process runs go on meanwhile.
func TestAnEventOfAnotherPlatformStaysQueued(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := newHarness(t, desk.Limits{}, func(o *relay.Options) { o.Registerer = reg })
	for shard := range shards { // one per shard, so every worker meets one
		v := "V" + strconv.Itoa(shard)
		ev := desk.Event{ID: "other-" + v, Platform: "other", Kind: desk.CustomerMessage, User: customer(v), Channel: "D-" + v, Message: "m-" + v, Text: "from the other platform"}
		if _, err := h.store.Enqueue(context.Background(), shard, ev); err != nil {
			t.Fatal(err)
		}
	}
	h.ingest(say("U1", "m1", "hello"))
	tk := h.ticketOf("U1")
	h.waitTexts("C-TRIAGE", tk.ThreadID, []string{"hello"})
	// The customer's event is acknowledged just after its copy arrives; the others stay.
	h.p.Wait(5*time.Second, func() bool { n, _ := h.store.QueueDepth(context.Background()); return n == shards })
	// Every worker met its other-platform event (and left it queued).
	deferred := func() float64 {
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			if mf.GetName() == "threadesk_events_deferred_total" {
				return mf.GetMetric()[0].GetCounter().GetValue()
			}
		}
		return 0
	}
	if !h.p.Wait(5*time.Second, func() bool { return deferred() >= shards }) {
		t.Fatalf("%v events deferred, want %d", deferred(), shards)
	}
	if n, err := h.store.QueueDepth(context.Background()); err != nil || n != shards {
		t.Fatalf("queue depth %d (%v), want the %d events of the other platform still queued", n, err, shards)
	}

	// Restarted again without it (they are now pending for this process), the shards still
	// go on to new events.
	h.stop()
	h.opts.Registerer = nil // a new registry for each new relay
	h.start()
	h.ingest(say("U2", "m2", "after a restart"))
	tk2 := h.ticketOf("U2")
	h.waitTexts("C-TRIAGE", tk2.ThreadID, []string{"after a restart"})

	// Restarted with both platforms, the events are relayed.
	h.stop()
	other := desktest.New("other", desk.Limits{MaxText: 4000})
	h.opts.Platforms = []desk.Platform{h.p, other}
	h.start()
	if !other.Wait(10*time.Second, func() bool {
		n := 0
		for _, m := range other.Messages("C-TRIAGE", "") {
			if m.Card != nil {
				n++
			}
		}
		return n == shards
	}) {
		t.Fatalf("the other platform's events were not relayed after the restart: %+v", other.Messages("C-TRIAGE", ""))
	}
	if !other.Wait(10*time.Second, func() bool { n, _ := h.store.QueueDepth(context.Background()); return n == 0 }) {
		n, _ := h.store.QueueDepth(context.Background())
		t.Errorf("queue depth %d after the restart, want 0", n)
	}
}

// An agent's file that cannot be relayed is reported to the agent, in the thread, with their
// reply marked failed; the customer gets the text and no notice. A file whose size was not
// told is stopped at the limit rather than shared cut short.
func TestAnAgentsFileThatFailsIsReportedToTheAgent(t *testing.T) {
	h := newHarness(t, desk.Limits{}, func(o *relay.Options) { o.MaxFileBytes = 1 << 20 })
	h.ingest(say("U1", "m1", "help"))
	tk := h.ticketOf("U1")
	big := h.p.AddFile("F9", make([]byte, 3<<20))
	big.Size = 0 // the platform did not say
	ev := reply("A1", tk.ThreadID, "r1", "here is the log")
	ev.Files = []desk.File{big}
	h.ingest(ev)
	h.waitMark(desk.MessageRef{Channel: "C-TRIAGE", ID: "r1"}, desk.MarkFailed)
	h.p.Wait(5*time.Second, func() bool { return len(h.p.Messages("C-TRIAGE", tk.ThreadID)) == 2 })
	thread := h.p.Messages("C-TRIAGE", tk.ThreadID)
	if len(thread) != 2 || !strings.Contains(thread[1].Text, "F9.bin") || !strings.Contains(thread[1].Text, "1 MB") {
		t.Errorf("thread = %v, want the customer's message and a notice naming the file and the limit", clipMsgs(thread))
	}
	for _, m := range h.p.Messages("D-U1", "") {
		if m.File != nil || strings.Contains(m.Text, "F9.bin") {
			t.Errorf("the customer's DM holds %+v: a cut file or the agent's notice", m.Text)
		}
	}
	if got := h.dmTexts("U1"); fmt.Sprint(got) != "[here is the log]" {
		t.Errorf("DM texts %q, want the reply's text", got)
	}
}

// A note edited into a reply is an answer: the ticket's first response and its move to open
// are recorded as for any reply.
func TestANoteTurnedReplyIsTheFirstResponse(t *testing.T) {
	h := newHarness(t, desk.Limits{})
	h.ingest(say("U1", "m1", "help"))
	tk := h.ticketOf("U1")
	h.ingest(reply("A1", tk.ThreadID, "r1", "// look at the invoice"))
	h.waitMark(desk.MessageRef{Channel: "C-TRIAGE", ID: "r1"}, desk.MarkNote)
	if got, _ := h.store.Ticket(context.Background(), tk.ID); !got.FirstResponseAt.IsZero() || got.Status != desk.StatusNew {
		t.Fatalf("after a note: first response %v, status %s; want none and new", got.FirstResponseAt, got.Status)
	}
	h.ingest(desk.Event{ID: "e1", Kind: desk.AgentEdit, User: agent("A1"), Channel: "C-TRIAGE", Thread: tk.ThreadID, Message: "r1", Text: "Your invoice is fixed."})
	h.waitMark(desk.MessageRef{Channel: "C-TRIAGE", ID: "r1"}, desk.MarkDelivered)
	var got desk.Ticket
	h.p.Wait(5*time.Second, func() bool {
		got, _ = h.store.Ticket(context.Background(), tk.ID)
		return !got.FirstResponseAt.IsZero()
	})
	if got.FirstResponseAt.IsZero() || got.Status != desk.StatusOpen {
		t.Errorf("after the note became a reply: first response %v, status %s; want set and open", got.FirstResponseAt, got.Status)
	}
}

package relay_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/desktest"
)

// slackPace is Slack's pace into one channel: about a post a second.
var slackPace = desk.Limits{PostRate: 1, PostBurst: 1}

// advanceUntil moves the virtual clock on in steps until done holds, failing the test past
// limit of the desk's time; it returns the desk's time it took.
func advanceUntil(t *testing.T, clock *clockwork.FakeClock, limit time.Duration, done func() bool) time.Duration {
	t.Helper()
	start := clock.Now()
	for !done() {
		if clock.Since(start) > limit {
			t.Fatalf("not done after %v of the desk's time", limit)
		}
		clock.Advance(50 * time.Millisecond)
		time.Sleep(2 * time.Millisecond)
	}
	return clock.Since(start)
}

// threadLines are the texts of the posts in a ticket's thread, each post's cut at the join
// separator: what agents read, line by line.
func threadLines(h *harness, tk desk.Ticket) (lines []string, posts int) {
	for _, m := range h.p.Messages(tk.TriageChannel, tk.ThreadID) {
		posts++
		lines = append(lines, strings.Split(m.Text, desk.JoinSeparator)...)
	}
	return lines, posts
}

// TestBurstOfTwentyCustomersIsJoined, in virtual time at Slack's pace of a post a second into
// the triage channel: 20 customers with open tickets send 10 messages each at once. Alone,
// those 200 posts would take 200 s; joined, every message is in its thread within 60 s, in
// order, each once, each with its own delivery mark and transcript entry.
func TestBurstOfTwentyCustomersIsJoined(t *testing.T) {
	h, clock := virtualHarness(t, slackPace)
	const customers, messages = 20, 10
	user := func(c int) string { return fmt.Sprintf("U%02d", c) }
	for c := range customers {
		h.ingest(say(user(c), "m0", "hello"))
	}
	tickets := make([]desk.Ticket, customers)
	advanceUntil(t, clock, 5*time.Minute, func() bool {
		for c := range customers {
			tk, err := h.store.CustomerTicket(context.Background(), "fake", user(c))
			if err != nil || !tk.HasThread() {
				return false
			}
			if lines, _ := threadLines(h, tk); len(lines) != 1 {
				return false
			}
			tickets[c] = tk
		}
		return true
	})

	for i := 1; i <= messages; i++ {
		for c := range customers {
			h.ingest(say(user(c), fmt.Sprintf("m%d", i), fmt.Sprintf("%s message %d", user(c), i)))
		}
	}
	took := advanceUntil(t, clock, 5*time.Minute, func() bool {
		for _, tk := range tickets {
			if lines, _ := threadLines(h, tk); len(lines) < messages+1 {
				return false
			}
		}
		return true
	})
	total := 0
	for c, tk := range tickets {
		want := []string{"hello"}
		for i := 1; i <= messages; i++ {
			want = append(want, fmt.Sprintf("%s message %d", user(c), i))
		}
		lines, posts := threadLines(h, tk)
		total += posts
		if !slices.Equal(lines, want) {
			t.Errorf("thread of %s reads %q, want %q", user(c), lines, want)
		}
		for i := 1; i <= messages; i++ {
			h.waitMark(desk.MessageRef{Channel: "D-" + user(c), ID: fmt.Sprintf("m%d", i)}, desk.MarkDelivered)
		}
		entries, err := h.store.Transcript(context.Background(), tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		var said []string
		for _, e := range entries {
			if e.Kind == "customer" {
				said = append(said, e.Text)
			}
		}
		if !slices.Equal(said, want) {
			t.Errorf("transcript of %s: %q, want %q", user(c), said, want)
		}
	}
	t.Logf("%d messages of %d customers in their threads after %v of the desk's time, in %d posts", customers*messages, customers, took, total)
	if took > time.Minute {
		t.Errorf("the burst took %v to reach agents, want at most 60 s", took)
	}
}

// threadWith waits, moving the clock, until user's ticket has a thread of lines lines, and
// returns the ticket.
func threadWith(t *testing.T, h *harness, clock *clockwork.FakeClock, user string, lines int) desk.Ticket {
	t.Helper()
	var tk desk.Ticket
	advanceUntil(t, clock, time.Minute, func() bool {
		var err error
		tk, err = h.store.CustomerTicket(context.Background(), "fake", user)
		if err != nil || !tk.HasThread() {
			return false
		}
		got, _ := threadLines(h, tk)
		return len(got) == lines
	})
	return tk
}

// joinedTicket opens U1's ticket at Slack's pace and sends a, b and c while the triage
// channel has a backlog (the message that opened the ticket waits its turn behind the card),
// and returns the ticket once every message is in its thread.
func joinedTicket(t *testing.T, h *harness, clock *clockwork.FakeClock) desk.Ticket {
	t.Helper()
	sayFirstThenABC(h)
	tk := threadWith(t, h, clock, "U1", 4)
	lines, posts := threadLines(h, tk)
	if !slices.Equal(lines, []string{"first", "a", "b", "c"}) || posts != 1 {
		t.Fatalf("thread reads %q in %d posts, want first, a, b, c joined in one", lines, posts)
	}
	return tk
}

// sayFirstThenABC has U1 open a ticket with "first" and write a, b and c (messages a, b and
// c) while the card is being posted.
func sayFirstThenABC(h *harness) {
	h.t.Helper()
	sayBehindTheCard(h, func(m string) string { return m }, "a", "b", "c")
}

// sayBehindTheCard has U1 open a ticket with "first" (message m0) and write texts (messages
// id(text)) while the card is being posted: when "first" goes, the card has just taken the
// triage channel's turn, and the texts wait behind it.
func sayBehindTheCard(h *harness, id func(text string) string, texts ...string) {
	h.t.Helper()
	release := make(chan struct{})
	h.p.SetFail(func(c desktest.Call) error {
		if c.Op == "post" && strings.HasPrefix(c.Key, "card:") {
			<-release
		}
		return nil
	})
	h.ingest(say("U1", "m0", "first"))
	for _, m := range texts {
		h.ingest(say("U1", id(m), m))
	}
	close(release)
}

// postWith is the post of the thread whose text has the line s.
func postWith(h *harness, tk desk.Ticket, s string) (desktest.Message, bool) {
	for _, m := range h.p.Messages(tk.TriageChannel, tk.ThreadID) {
		if slices.Contains(strings.Split(m.Text, desk.JoinSeparator), s) {
			return m, true
		}
	}
	return desktest.Message{}, false
}

// TestEditAndDeletionOfAJoinedMessage: an edit of one message of a joined post changes its
// line of the post and no other; deletions take lines out, and the post goes with the last.
func TestEditAndDeletionOfAJoinedMessage(t *testing.T) {
	h, clock := virtualHarness(t, slackPace)
	tk := joinedTicket(t, h, clock)
	post, _ := postWith(h, tk, "b")
	want := strings.Split(post.Text, desk.JoinSeparator)

	h.ingest(desk.Event{ID: "edit-b", Kind: desk.CustomerEdit, User: customer("U1"), Channel: "D-U1", Message: "b", Text: "b, corrected"})
	want[slices.Index(want, "b")] = "b, corrected"
	advanceUntil(t, clock, time.Minute, func() bool {
		m, _ := h.p.Message(post.Ref)
		return m.Text == strings.Join(want, desk.JoinSeparator)
	})

	h.ingest(desk.Event{ID: "del-c", Kind: desk.CustomerDelete, User: customer("U1"), Channel: "D-U1", Message: "c"})
	want = slices.DeleteFunc(want, func(s string) bool { return s == "c" })
	advanceUntil(t, clock, time.Minute, func() bool {
		m, _ := h.p.Message(post.Ref)
		return m.Text == strings.Join(want, desk.JoinSeparator)
	})
	if lines, _ := threadLines(h, tk); !slices.Contains(lines, "first") || slices.Contains(lines, "c") || !slices.Contains(lines, "b, corrected") {
		t.Fatalf("thread reads %q after b's edit and c's deletion", lines)
	}

	// Every message of the post deleted: the post goes too.
	for _, line := range want {
		msg := map[string]string{"first": "m0", "a": "a", "b, corrected": "b"}[line]
		h.ingest(desk.Event{ID: "del-" + msg, Kind: desk.CustomerDelete, User: customer("U1"), Channel: "D-U1", Message: msg})
	}
	advanceUntil(t, clock, time.Minute, func() bool {
		m, _ := h.p.Message(post.Ref)
		return m.Deleted
	})
}

// TestJoinedMessageEditedPastTheLimitGoesAlone: an edit that would make the joined post longer
// than the platform takes leaves the post and goes as a post of its own, which later edits
// reach.
func TestJoinedMessageEditedPastTheLimitGoesAlone(t *testing.T) {
	h, clock := virtualHarness(t, desk.Limits{PostRate: 1, PostBurst: 1, MaxText: 40})
	tk := joinedTicket(t, h, clock)
	post, _ := postWith(h, tk, "b")
	long := strings.Repeat("b", 39)
	h.ingest(desk.Event{ID: "edit-b", Kind: desk.CustomerEdit, User: customer("U1"), Channel: "D-U1", Message: "b", Text: long})
	advanceUntil(t, clock, time.Minute, func() bool {
		_, ok := postWith(h, tk, long)
		return ok
	})
	if m, _ := h.p.Message(post.Ref); slices.Contains(strings.Split(m.Text, desk.JoinSeparator), "b") {
		t.Fatalf("joined post still reads %q", m.Text)
	}
	h.ingest(desk.Event{ID: "edit-b2", Kind: desk.CustomerEdit, User: customer("U1"), Channel: "D-U1", Message: "b", Text: "b again"})
	advanceUntil(t, clock, time.Minute, func() bool {
		m, ok := postWith(h, tk, "b again")
		return ok && m.Ref != post.Ref
	})
}

// TestJoinedMessagesKeepTheirOwnMarkup: a message whose markup would reach into the next
// one's (a code fence, Slack's ">>>" quote of all that follows) goes alone, and the parts of a
// joined post are apart as paragraphs, so that no emphasis, quote or heading of one message
// formats another: agents read each as its author wrote it.
func TestJoinedMessagesKeepTheirOwnMarkup(t *testing.T) {
	h, clock := virtualHarness(t, slackPace)
	texts := []string{"*starts", "ends*", "```go", "x := 1", ">>> all of it", "after", "---"}
	sayBehindTheCard(h, func(m string) string { return "m" + strconv.Itoa(slices.Index(texts, m)+1) }, texts...)
	tk := threadWith(t, h, clock, "U1", 1+len(texts))
	var posts []string
	for _, m := range h.p.Messages(tk.TriageChannel, tk.ThreadID) {
		posts = append(posts, m.Text)
	}
	sep := desk.JoinSeparator
	want := []string{"first" + sep + "*starts" + sep + "ends*", "```go", "x := 1", ">>> all of it", "after" + sep + "---"}
	if !slices.Equal(posts, want) {
		t.Fatalf("thread posts %q, want %q", posts, want)
	}
	if !strings.HasPrefix(sep, "\n\n") {
		t.Errorf("join separator %q does not end a paragraph", sep)
	}
}

// TestJoinedMessageEditedIntoACodeBlockGoesAlone: an edit that opens a code fence in one part
// of a joined post would format the parts after it: that message leaves the joined post for a
// post of its own.
func TestJoinedMessageEditedIntoACodeBlockGoesAlone(t *testing.T) {
	h, clock := virtualHarness(t, slackPace)
	tk := joinedTicket(t, h, clock)
	post, _ := postWith(h, tk, "b")
	code := "```\nb := 2\n```"
	h.ingest(desk.Event{ID: "edit-b", Kind: desk.CustomerEdit, User: customer("U1"), Channel: "D-U1", Message: "b", Text: code})
	advanceUntil(t, clock, time.Minute, func() bool {
		m, ok := h.p.Message(post.Ref)
		alone, _ := postWith(h, tk, code)
		return ok && m.Text == strings.Join([]string{"first", "a", "c"}, desk.JoinSeparator) && alone.Ref != post.Ref && alone.Text == code
	})
}

// TestLoneMessageIsNotHeldBack: with no backlog a message goes at once, alone, and a message
// nobody follows goes alone when its turn comes.
func TestLoneMessageIsNotHeldBack(t *testing.T) {
	h, clock := virtualHarness(t, slackPace)
	h.ingest(say("U1", "m0", "first"))
	tk := threadWith(t, h, clock, "U1", 1)
	clock.Advance(10 * time.Second) // the channel is idle again
	h.ingest(say("U1", "m1", "second"))
	if !h.p.Wait(5*time.Second, func() bool { lines, _ := threadLines(h, tk); return len(lines) == 2 }) {
		t.Fatal("a message into an idle channel did not go at once")
	}
	if _, posts := threadLines(h, tk); posts != 2 {
		t.Errorf("%d posts, want each message alone", posts)
	}
}

// TestJoinIsMadeAgainAfterACrash: the relay stops while a joined post is refused; the next
// process joins the same messages and posts them once.
func TestJoinIsMadeAgainAfterACrash(t *testing.T) {
	h, clock := virtualHarness(t, slackPace)
	sayFirstThenABC(h)
	var refused atomic.Int32
	h.p.SetFail(func(c desktest.Call) error {
		if c.Op == "post" && c.Key == "e:ev-U1-m0:j0" {
			refused.Add(1)
			return &desk.DeliveryError{Op: "chat.postMessage", Kind: desk.FailRateLimited, Reason: "ratelimited", Temporary: true, RetryAfter: time.Hour}
		}
		return nil
	})
	// The card goes; the joined post is refused for an hour, and the relay stops.
	advanceUntil(t, clock, time.Minute, func() bool { return refused.Load() > 0 })
	if _, err := h.store.Join(context.Background(), "fake", "ev-U1-m0"); err != nil {
		t.Fatalf("no join recorded before its post: %v", err)
	}
	h.stop()
	h.p.SetFail(nil)
	h.start()
	tk := h.ticketOf("U1")
	advanceUntil(t, clock, time.Minute, func() bool {
		lines, _ := threadLines(h, tk)
		return len(lines) >= 4
	})
	time.Sleep(50 * time.Millisecond)
	clock.Advance(5 * time.Second)
	time.Sleep(50 * time.Millisecond)
	if lines, _ := threadLines(h, tk); !slices.Equal(lines, []string{"first", "a", "b", "c"}) {
		t.Fatalf("thread reads %q, want first, a, b, c once each", lines)
	}
}

// sameShard finds a customer whose events share U1's queue shard.
func sameShard(t *testing.T) string {
	t.Helper()
	shardOf := func(key string) uint32 {
		h := fnv.New32a()
		h.Write([]byte("fake"))
		h.Write([]byte{0})
		h.Write([]byte(key))
		return h.Sum32() % shards
	}
	for i := range 1000 {
		if u := fmt.Sprintf("V%d", i); shardOf(u) == shardOf("U1") {
			return u
		}
	}
	t.Fatal("no customer shares U1's shard")
	return ""
}

// TestJoinFarBehindIsMadeAgainAfterACrash: a joined message can wait far behind the first one
// in the queue (another customer of the same shard wrote 100 messages in between, more than a
// restarted worker's first read of its pending entries). The worker
// dies right after the joined post is sent; the next one finds the post by its key and
// records every message of it from the join's record, wherever it is in the queue: none is
// posted again on its own. (A review found that the join was once made again from the
// entries read ahead, which after a restart need not reach as far as before.)
func TestJoinFarBehindIsMadeAgainAfterACrash(t *testing.T) {
	h, clock := virtualHarness(t, slackPace)
	h.stop()
	h.opts.Backlog = 10000
	h.start()
	other := sameShard(t)
	h.ingest(say("U1", "m0", "hi"))
	h.ingest(say(other, "m0", "hi"))
	var tk desk.Ticket
	advanceUntil(t, clock, 5*time.Minute, func() bool {
		for _, u := range []string{"U1", other} {
			x, err := h.store.CustomerTicket(context.Background(), "fake", u)
			if err != nil || !x.HasThread() {
				return false
			}
			if l, _ := threadLines(h, x); len(l) != 1 {
				return false
			}
			if u == "U1" {
				tk = x
			}
		}
		return true
	})
	clock.Advance(10 * time.Second)
	release := make(chan struct{})
	h.p.SetFail(func(call desktest.Call) error {
		if call.Op == "post" && call.Key == "e:ev-U1-x:t0" {
			<-release
		}
		return nil
	})
	h.ingest(say("U1", "x", "x"))
	time.Sleep(200 * time.Millisecond)
	h.ingest(say("U1", "m1", "first"))
	h.ingest(say("U1", "a", "a"))
	for i := range 100 {
		h.ingest(say(other, fmt.Sprintf("n%d", i), fmt.Sprintf("other %d", i)))
	}
	h.ingest(say("U1", "z", "z"))
	var reached atomic.Bool
	h.p.SetAfterPost(func(m desktest.Message) {
		if m.Key == "e:ev-U1-m1:j0" {
			die(&reached) // the worker dies right after the joined post
		}
	})
	close(release)
	time.Sleep(200 * time.Millisecond)
	advanceUntil(t, clock, time.Minute, reached.Load)
	if post, _ := postWith(h, tk, "first"); !strings.Contains(post.Text, "z") {
		t.Fatalf("the joined post %q does not reach z: the test shows nothing", post.Text)
	}
	h.stop()
	h.p.SetAfterPost(nil)
	h.p.SetFail(nil)
	h.start()
	advanceUntil(t, clock, 5*time.Minute, func() bool {
		n, err := h.store.QueueDepth(context.Background())
		return err == nil && n == 0
	})
	clock.Advance(5 * time.Second)
	time.Sleep(100 * time.Millisecond)
	if lines, _ := threadLines(h, tk); !slices.Equal(lines, []string{"hi", "x", "first", "a", "z"}) {
		t.Errorf("U1's thread reads %q, want hi, x, first, a, z once each", lines)
	}
	for _, m := range []string{"first", "a", "z"} {
		src := map[string]string{"first": "m1", "a": "a", "z": "z"}[m]
		if l, err := h.store.Link(context.Background(), "fake", desk.MessageRef{Channel: "D-U1", ID: src}); err != nil || l.Join != "ev-U1-m1" {
			t.Errorf("link of %s = %+v, %v; want it in the join", m, l, err)
		}
	}
}

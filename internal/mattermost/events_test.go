package mattermost

import (
	"context"
	"fmt"
	"maps"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/mattermost/mattermosttest"
)

func TestWebSocketEvents(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	in := newIngester()
	a := started(t, f, testConfig(f), in)
	dm := f.DM(w.bot.Id, w.customer.Id)

	// Customer side: a DM, its edit and its deletion.
	p := f.UserPost(w.customer.Id, dm.Id, "", "my printer is on fire")
	got := waitEvent(t, in, p.Id)
	want := desk.Event{ID: p.Id, Platform: "mattermost", Kind: desk.CustomerMessage, At: got.At, Channel: dm.Id, Message: p.Id, Text: "my printer is on fire",
		User: desk.User{ID: w.customer.Id, Name: "carol", DisplayName: "Carol Customer", AvatarURL: f.URL + "/api/v4/users/" + w.customer.Id + "/image",
			ProfileURL: f.URL + "/support/messages/@carol"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("posted event =\n%+v\nwant\n%+v", got, want)
	}
	if got.At.UnixMilli() != p.CreateAt {
		t.Errorf("At = %d, want the post's create time %d", got.At.UnixMilli(), p.CreateAt)
	}
	edited := f.UserEdit(p.Id, "my printer is fine")
	ev := waitEvent(t, in, fmt.Sprintf("%s:%d", p.Id, edited.EditAt))
	if ev.Kind != desk.CustomerEdit || ev.Message != p.Id || ev.Channel != dm.Id || ev.Text != "my printer is fine" {
		t.Errorf("edit event = %+v", ev)
	}
	f.UserDelete(p.Id)
	ev = waitEvent(t, in, p.Id+":deleted")
	if ev.Kind != desk.CustomerDelete || ev.Message != p.Id || ev.Channel != dm.Id {
		t.Errorf("delete event = %+v", ev)
	}

	// A DM with a file carries it.
	fileID := f.AddFile(w.customer.Id, dm.Id, "photo.txt", []byte("smoke"))
	fp := f.UserPostFiles(w.customer.Id, dm.Id, "", "see", fileID)
	ev = waitEvent(t, in, fp.Id)
	if len(ev.Files) != 1 || ev.Files[0] != (desk.File{ID: fileID, Name: "photo.txt", MimeType: "text/plain; charset=utf-8", Size: 5}) {
		t.Errorf("files = %+v", ev.Files)
	}

	// Agent side: the app's own card is ignored; a reply in its thread is the agent's.
	card, err := a.Post(context.Background(), desk.Outgoing{Channel: w.triage.Id, Text: "Ticket #1", Key: "card"})
	if err != nil {
		t.Fatal(err)
	}
	r := f.UserPost(w.agent.Id, w.triage.Id, card.ID, "on my way")
	ev = waitEvent(t, in, r.Id)
	if ev.Kind != desk.AgentReply || ev.Thread != card.ID || ev.Channel != w.triage.Id || ev.User.DisplayName != "Alex the Agent" || ev.Text != "on my way" {
		t.Errorf("agent reply = %+v", ev)
	}
	re := f.UserEdit(r.Id, "on my way!")
	ev = waitEvent(t, in, fmt.Sprintf("%s:%d", r.Id, re.EditAt))
	if ev.Kind != desk.AgentEdit || ev.Thread != card.ID || ev.Message != r.Id {
		t.Errorf("agent edit = %+v", ev)
	}
	f.UserDelete(r.Id)
	ev = waitEvent(t, in, r.Id+":deleted")
	if ev.Kind != desk.AgentDelete || ev.Thread != card.ID || ev.Message != r.Id {
		t.Errorf("agent delete = %+v", ev)
	}

	// Dropped on purpose, with reasons.
	f.UserPost(w.agent.Id, w.triage.Id, "", "lunch?")
	f.UserPost(w.customer.Id, w.other.Id, "", "hello town")
	if _, err := a.Post(context.Background(), desk.Outgoing{Channel: dm.Id, Text: "agent answer", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "discards", func() bool {
		_, _, d := in.snapshot()
		return d[desk.DropNotInThread] == 1 && d[desk.DropOtherChannel] == 1 && d[desk.DropOwnMessage] == 2
	})
	evs, attempts, _ := in.snapshot()
	if len(evs) != 7 {
		t.Errorf("ingested %d events, want 7: %+v", len(evs), evs)
	}
	for id, n := range attempts {
		if n != 1 {
			t.Errorf("event %s ingested %d times", id, n)
		}
	}
}

func TestCatchUpAfterDroppedSocket(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	in := newIngester()
	a := started(t, f, testConfig(f), in)
	dm := f.DM(w.bot.Id, w.customer.Id)
	card, err := a.Post(context.Background(), desk.Outgoing{Channel: w.triage.Id, Text: "Ticket #1", Key: "card"})
	if err != nil {
		t.Fatal(err)
	}
	early := f.UserPost(w.customer.Id, dm.Id, "", "first")
	earlyReply := f.UserPost(w.agent.Id, w.triage.Id, card.ID, "hi")
	waitEvent(t, in, early.Id)
	waitEvent(t, in, earlyReply.Id)

	cutOff(t, f)

	// While the app is cut off: new posts, an edit and a deletion of earlier ones.
	p1 := f.UserPost(w.customer.Id, dm.Id, "", "second")
	p2 := f.UserPost(w.agent.Id, w.triage.Id, card.ID, "reply while away")
	e := f.UserEdit(early.Id, "first, edited")
	f.UserDelete(earlyReply.Id)
	f.UserPost(w.agent.Id, w.triage.Id, "", "top-level while away")

	f.AllowSockets()
	want := []string{p1.Id, p2.Id, fmt.Sprintf("%s:%d", early.Id, e.EditAt), earlyReply.Id + ":deleted"}
	for _, id := range want {
		waitEvent(t, in, id)
	}
	waitFor(t, "the WebSocket to come back", func() bool { return f.SocketCount() > 0 })
	// Posting now goes over the WebSocket again.
	p3 := f.UserPost(w.customer.Id, dm.Id, "", "third")
	waitEvent(t, in, p3.Id)

	evs, attempts, discards := in.snapshot()
	for id, n := range attempts {
		if n != 1 {
			t.Errorf("event %s ingested %d times, want once", id, n)
		}
	}
	if got, want := len(evs), 7; got != want {
		t.Errorf("ingested %d events, want %d", got, want)
	}
	if discards[desk.DropNotInThread] != 1 {
		t.Errorf("discards = %v, want the top-level post dropped once", discards)
	}
	if got := evs[2].Kind; got != desk.CustomerMessage {
		t.Errorf("catch-up order: third event is %s, want the customer's post written first", got)
	}
}

// TestCatchUpPastAThousandChanges: for a channel's posts changed since a time the server
// returns 1000 at most, picked in no order of time. After an outage with more changes than
// that in one channel, and an old post edited last (whose time, taken as the next page's
// start, would pass over the posts the first page left out), every post written meanwhile is
// still caught up, once.
func TestCatchUpPastAThousandChanges(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	in := newIngester()
	started(t, f, testConfig(f), in)
	dm := f.DM(w.bot.Id, w.customer.Id)
	old := f.UserPost(w.customer.Id, dm.Id, "", "before the outage")
	waitEvent(t, in, old.Id)

	cutOff(t, f)
	want := map[string]bool{}
	for i := range mattermosttest.SincePageMax + 100 {
		want[f.UserPost(w.customer.Id, dm.Id, "", fmt.Sprintf("while away %d", i)).Id] = true
	}
	e := f.UserEdit(old.Id, "before the outage, edited")
	want[fmt.Sprintf("%s:%d", old.Id, e.EditAt)] = true

	f.AllowSockets()
	missing := func() []string {
		evs, _, _ := in.snapshot()
		left := maps.Clone(want)
		for _, ev := range evs {
			delete(left, ev.ID)
		}
		return slices.Collect(maps.Keys(left))
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(missing()) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if m := missing(); len(m) > 0 {
		t.Fatalf("%d of the %d changes made while away were never caught up (%s…)", len(m), len(want), m[0])
	}
	_, attempts, _ := in.snapshot()
	for id, n := range attempts {
		if n != 1 {
			t.Errorf("event %s ingested %d times, want once", id, n)
		}
	}
}

func TestCatchUpAtStart(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	dm := f.DM(w.bot.Id, w.customer.Id)
	history := f.UserPost(w.customer.Id, dm.Id, "", "before the app ever ran")
	f.Mu.Lock()
	f.Posts[history.Id].CreateAt -= 3600_000 // an hour ago, well outside the catch-up overlap
	f.Posts[history.Id].UpdateAt -= 3600_000
	f.Mu.Unlock()
	cursor := &MemoryCursor{}

	// First run: no mark saved, so history is not replayed.
	in1 := newIngester()
	a1, err := New(testConfig(f), in1, discardLogger(), Options{Cursor: cursor})
	if err != nil {
		t.Fatal(err)
	}
	if err := a1.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the WebSocket", func() bool { return f.SocketCount() > 0 })
	live := f.UserPost(w.customer.Id, dm.Id, "", "live")
	waitEvent(t, in1, live.Id)
	if err := a1.Close(); err != nil {
		t.Fatal(err)
	}
	f.DropSockets(false)

	mark, _ := cursor.Load(context.Background())
	if mark != live.CreateAt {
		t.Errorf("cursor = %d, want the last post's time %d", mark, live.CreateAt)
	}

	// While the app is down.
	down := f.UserPost(w.customer.Id, dm.Id, "", "while down")

	in2 := newIngester()
	started(t, f, testConfig(f), in2, Options{Cursor: cursor})
	waitEvent(t, in2, down.Id)
	evs, _, _ := in2.snapshot()
	for _, ev := range evs {
		if ev.ID == history.Id {
			t.Errorf("post from before the first run was replayed")
		}
	}
	evs1, _, _ := in1.snapshot()
	for _, ev := range evs1 {
		if ev.ID == history.Id {
			t.Errorf("first run replayed history")
		}
	}
}

func TestIngestFailureIsRetried(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	in := newIngester()
	cursor := &MemoryCursor{}
	started(t, f, testConfig(f), in, Options{Cursor: cursor})
	dm := f.DM(w.bot.Id, w.customer.Id)
	before, _ := cursor.Load(context.Background())

	in.mu.Lock()
	in.failNext = 2
	in.mu.Unlock()
	p := f.UserPost(w.customer.Id, dm.Id, "", "please record me")
	waitEvent(t, in, p.Id)
	_, attempts, _ := in.snapshot()
	if attempts[p.Id] != 1 {
		t.Errorf("recorded %d times, want once", attempts[p.Id])
	}
	// The cursor is saved a moment after the mark moves (cursorSaveEvery).
	var after int64
	waitFor(t, "the cursor saved", func() bool { after, _ = cursor.Load(context.Background()); return after == p.CreateAt })
	if before >= after {
		t.Errorf("cursor %d → %d, want it at the post's time %d once recorded", before, after, p.CreateAt)
	}
}

func TestTranslateDrops(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	in := newIngester()
	a := started(t, f, testConfig(f), in)
	dm := f.DM(w.bot.Id, w.customer.Id)
	tests := []struct {
		name       string
		c          change
		p          *model.Post
		ct         model.ChannelType
		wantReason desk.DropReason
	}{
		{"system message", posted, &model.Post{Id: "p1", UserId: w.customer.Id, ChannelId: dm.Id, Type: model.PostTypeJoinChannel}, model.ChannelTypeDirect, desk.DropSystemMessage},
		{"edit event without an edit", edited, &model.Post{Id: "p2", UserId: w.customer.Id, ChannelId: dm.Id}, "", desk.DropUnchanged},
		{"group message", posted, &model.Post{Id: "p3", UserId: w.customer.Id, ChannelId: "gm"}, model.ChannelTypeGroup, desk.DropOtherChannel},
		{"own post in DM", posted, &model.Post{Id: "p4", UserId: w.bot.Id, ChannelId: dm.Id}, model.ChannelTypeDirect, desk.DropOwnMessage},
		{"unknown channel", edited, &model.Post{Id: "p5", UserId: w.customer.Id, ChannelId: "nosuchchannelnosuchchannel", EditAt: 5}, "", desk.DropOtherChannel},
		{"DM edit looks the channel up", edited, &model.Post{Id: "p6", UserId: w.customer.Id, ChannelId: dm.Id, EditAt: 5}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, reason, err := a.translate(context.Background(), tt.c, tt.p, tt.ct)
			if err != nil {
				t.Fatalf("translate: %v", err)
			}
			if reason != tt.wantReason {
				t.Fatalf("reason = %q, want %q (event %+v)", reason, tt.wantReason, ev)
			}
			if reason == "" && (ev.Kind != desk.CustomerEdit || ev.ID != "p6:5") {
				t.Errorf("event = %+v", ev)
			}
		})
	}
}

func TestCatchUpReadsTheDMsOfOpenTickets(t *testing.T) {
	for _, withActive := range []bool{false, true} {
		t.Run(fmt.Sprintf("active DMs %t", withActive), func(t *testing.T) {
			f := newFakeMM(t)
			w := seed(f)
			in := newIngester()
			dm := f.DM(w.bot.Id, w.customer.Id)
			cfg := testConfig(f)
			cfg.CatchUpOverlap = time.Millisecond
			var opts Options
			if withActive {
				opts.ActiveDMs = func(context.Context) ([]string, error) { return []string{dm.Id}, nil }
			}
			a := started(t, f, cfg, in, opts)
			card, err := a.Post(context.Background(), desk.Outgoing{Channel: w.triage.Id, Text: "Ticket #1", Key: "card"})
			if err != nil {
				t.Fatal(err)
			}
			early := f.UserPost(w.customer.Id, dm.Id, "", "my pasword")
			waitEvent(t, in, early.Id)
			time.Sleep(20 * time.Millisecond)
			later := f.UserPost(w.agent.Id, w.triage.Id, card.ID, "which one?") // moves the mark on
			waitEvent(t, in, later.Id)

			cutOff(t, f)
			// While the app is cut off, the customer only edits: the DM gets no newer post.
			e := f.UserEdit(early.Id, "my password")
			f.AllowSockets()
			waitFor(t, "the WebSocket to come back", func() bool { return f.SocketCount() > 0 })
			edit := fmt.Sprintf("%s:%d", early.Id, e.EditAt)
			if withActive {
				waitEvent(t, in, edit)
				return
			}
			// Without the list of open tickets' DMs, this is the one change a catch-up misses.
			time.Sleep(300 * time.Millisecond)
			if _, attempts, _ := in.snapshot(); attempts[edit] != 0 {
				t.Errorf("the edit was caught up without the open tickets' DMs; the test no longer shows the gap")
			}
		})
	}
}

// cutOff drops the app's WebSocket and waits until its first attempt to reconnect has been
// refused: from then on, what users write reaches the app only through the catch-up.
func cutOff(t *testing.T, f *fakeMM) {
	t.Helper()
	f.Mu.Lock()
	dialled := f.SocketsDialled
	f.Mu.Unlock()
	f.DropSockets(true)
	waitFor(t, "a refused reconnect", func() bool {
		f.Mu.Lock()
		defer f.Mu.Unlock()
		return f.SocketsDialled > dialled
	})
}

// Events arrive one after the other on the WebSocket, and a catch-up reads them in one loop:
// a wait for a busy queue shard there would hold up every later event, so neither path lets
// Ingest wait. The slash command, one HTTP request among many, may.
func TestWebSocketAndCatchUpNeverWaitForABusyShard(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	in := newIngester()
	in.busyWait = 50 * time.Millisecond
	a := started(t, f, testConfig(f), in)
	dm := f.DM(w.bot.Id, w.customer.Id)

	live := f.UserPost(w.customer.Id, dm.Id, "", "over the socket")
	waitEvent(t, in, live.Id)
	cutOff(t, f)
	away := f.UserPost(w.customer.Id, dm.Id, "", "while cut off")
	f.AllowSockets()
	waitEvent(t, in, away.Id)

	in.mu.Lock()
	waited := maps.Clone(in.waited)
	in.mu.Unlock()
	for id, n := range waited {
		t.Errorf("Ingest of %s was allowed to wait for a busy shard (%d times)", id, n)
	}

	a.CommandHandler().ServeHTTP(httptest.NewRecorder(), commandRequest("Token cmd-token-one", commandForm("")))
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.waited["cmd:"+shortHash("trig-abc")] != 1 {
		t.Errorf("the slash command's Ingest did not wait (waited %v); the ingester no longer shows the difference", in.waited)
	}
}

// Bots are neither customers nor agents, but that rule is the core's (it drops bots' events
// as it records them): the adapter hands it every other bot's post, marked as a bot's, and
// drops only the app's own.
func TestOtherBotsPostsReachTheCoreMarkedAsBots(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	in := newIngester()
	a := started(t, f, testConfig(f), in)
	helper := f.AddUser("helper-bot", "", "", true, "", w.teamID)
	mute := f.AddUser("mute-bot", "", "", true, "", w.teamID)
	f.SetMember(w.triage.Id, helper.Id, true)
	f.SetMember(w.triage.Id, mute.Id, true)
	card, err := a.Post(context.Background(), desk.Outgoing{Channel: w.triage.Id, Text: "Ticket #1", Key: "card"})
	if err != nil {
		t.Fatal(err)
	}
	isBot := func(t *testing.T, ev desk.Event, kind desk.EventKind, user string) {
		t.Helper()
		if ev.Kind != kind || ev.User.ID != user || !ev.User.IsBot {
			t.Errorf("event = %s by %+v, want %s by bot %s marked IsBot", ev.Kind, ev.User, kind, user)
		}
	}

	reply := f.UserPost(helper.Id, w.triage.Id, card.ID, "automated triage note")
	isBot(t, waitEvent(t, in, reply.Id), desk.AgentReply, helper.Id)
	dm := f.UserPost(helper.Id, f.DM(w.bot.Id, helper.Id).Id, "", "hello from a bot")
	isBot(t, waitEvent(t, in, dm.Id), desk.CustomerMessage, helper.Id)

	// A bot whose account cannot be looked up now is still known by its post's from_bot mark.
	f.Mu.Lock()
	f.Busy = map[string]int{"GET /users/{user_id}": 100}
	f.Mu.Unlock()
	unknown := f.UserPost(mute.Id, w.triage.Id, card.ID, "beep")
	isBot(t, waitEvent(t, in, unknown.Id), desk.AgentReply, mute.Id)
	f.Mu.Lock()
	f.Busy = nil
	// An incoming webhook posts under its owner's account, marked from_webhook: a machine's
	// words, not the owner's.
	hook := f.CreatePostLocked(&model.Post{UserId: w.agent.Id, ChannelId: w.triage.Id, RootId: card.ID, Message: "build failed",
		Props: model.StringInterface{model.PostPropsFromWebhook: "true"}}).Clone()
	f.Mu.Unlock()
	isBot(t, waitEvent(t, in, hook.Id), desk.AgentReply, w.agent.Id)

	person := f.UserPost(w.agent.Id, w.triage.Id, card.ID, "I'm on it")
	if ev := waitEvent(t, in, person.Id); ev.User.IsBot {
		t.Errorf("a person's reply is marked IsBot: %+v", ev.User)
	}
	if _, _, discards := in.snapshot(); len(discards) != 1 || discards[desk.DropOwnMessage] != 1 {
		t.Errorf("discards = %v, want only the app's own card dropped", discards)
	}
}

// A ticket card deleted in the triage channel, over the WebSocket or found by a catch-up, is
// a ThreadDeleted event naming the card, by whoever deleted it when the server says so, else
// by the app. The replies Mattermost deletes with their root are no events of their own.
func TestCardDeletionIsThreadDeleted(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	in := newIngester()
	a := started(t, f, testConfig(f), in)
	ctx := context.Background()
	newCard := func(key string) desk.MessageRef {
		t.Helper()
		card, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Text: "Ticket", Key: key})
		if err != nil {
			t.Fatal(err)
		}
		return card
	}
	check := func(t *testing.T, card desk.MessageRef, by string) {
		t.Helper()
		ev := waitEvent(t, in, card.ID+":deleted")
		if ev.Kind != desk.ThreadDeleted || ev.Channel != w.triage.Id || ev.Thread != card.ID || ev.User.ID != by || ev.At.IsZero() {
			t.Errorf("event = %+v, want %s of thread %s in %s by %s", ev, desk.ThreadDeleted, card.ID, w.triage.Id, by)
		}
	}

	t.Run("over the WebSocket, deleter unknown", func(t *testing.T) {
		card := newCard("card1")
		f.DeleteAs(card.ID, w.admin.Id) // a bot that is no system admin is not told who
		check(t, card, w.bot.Id)
		if ev := waitEvent(t, in, card.ID+":deleted"); !ev.User.IsBot {
			t.Errorf("the app as deleter = %+v, want IsBot", ev.User)
		}
	})
	t.Run("over the WebSocket, deleter known", func(t *testing.T) {
		f.SetRoles(w.bot.Id, "system_user system_admin")
		defer f.SetRoles(w.bot.Id, "system_user")
		card := newCard("card2")
		f.DeleteAs(card.ID, w.admin.Id)
		check(t, card, w.admin.Id)
	})
	t.Run("found by a catch-up", func(t *testing.T) {
		card := newCard("card3")
		reply := f.UserPost(w.agent.Id, w.triage.Id, card.ID, "on it")
		waitEvent(t, in, reply.Id)
		cutOff(t, f)
		f.DeleteAs(card.ID, w.admin.Id)
		f.AllowSockets()
		check(t, card, w.admin.Id)
		waitFor(t, "the WebSocket to come back", func() bool { return f.SocketCount() > 0 })
		if _, attempts, _ := in.snapshot(); attempts[reply.Id+":deleted"] != 0 {
			t.Errorf("the reply deleted with its card was ingested as a deletion of its own")
		}
	})
	t.Run("the app's other posts", func(t *testing.T) {
		card := newCard("card4")
		own, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Thread: card.ID, Text: "copy", Key: "copy"})
		if err != nil {
			t.Fatal(err)
		}
		dm, err := a.Post(ctx, desk.Outgoing{Channel: f.DM(w.bot.Id, w.customer.Id).Id, Text: "ack", Key: "ack"})
		if err != nil {
			t.Fatal(err)
		}
		_, _, before := in.snapshot()
		f.DeleteAs(own.ID, w.admin.Id)
		f.DeleteAs(dm.ID, w.bot.Id)
		waitFor(t, "both deletions dropped as the app's own", func() bool {
			_, _, d := in.snapshot()
			return d[desk.DropOwnMessage] >= before[desk.DropOwnMessage]+2
		})
		if _, attempts, _ := in.snapshot(); attempts[own.ID+":deleted"] != 0 || attempts[dm.ID+":deleted"] != 0 {
			t.Errorf("a deletion of the app's reply or DM post was ingested")
		}
	})
}

// countingCursor counts the saves made to it.
type countingCursor struct {
	MemoryCursor
	saves atomic.Int32
}

func (c *countingCursor) Save(ctx context.Context, ms int64) error {
	c.saves.Add(1)
	return c.MemoryCursor.Save(ctx, ms)
}

// TestCursorSavedAMomentLater: a burst of events moves the cursor with a few saves, not one
// Redis write per event, and closing the adapter saves where the last event left it.
func TestCursorSavedAMomentLater(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	in := newIngester()
	cursor := &countingCursor{}
	a := started(t, f, testConfig(f), in, Options{Cursor: cursor})
	dm := f.DM(w.bot.Id, w.customer.Id)
	base := cursor.saves.Load()
	var last *model.Post
	const posts = 30
	for i := range posts {
		last = f.UserPost(w.customer.Id, dm.Id, "", fmt.Sprintf("burst %d", i))
	}
	waitEvent(t, in, last.Id)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if mark, _ := cursor.Load(context.Background()); mark != last.CreateAt {
		t.Errorf("cursor after close = %d, want the last post's time %d", mark, last.CreateAt)
	}
	if n := cursor.saves.Load() - base; n < 1 || n > posts/3 {
		t.Errorf("%d saves for %d events, want a few", n, posts)
	}
}

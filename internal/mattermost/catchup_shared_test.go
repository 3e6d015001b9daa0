package mattermost

import (
	"context"
	"testing"
	"time"
)

// TestCatchUpStartsFromTheSharedMark: when another replica stayed connected and recorded what
// was written while this one's WebSocket was down (the shared cursor moved past it), this
// one's catch-up starts from that mark, less the overlap, and does not read those posts again.
func TestCatchUpStartsFromTheSharedMark(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	dm := f.DM(w.bot.Id, w.customer.Id)
	cursor := &MemoryCursor{}
	now := time.Now()
	if err := cursor.Save(context.Background(), now.Add(-2*time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	in := newIngester()
	started(t, f, testConfig(f), in, Options{Cursor: cursor})
	waitFor(t, "the WebSocket", func() bool { return f.SocketCount() > 0 })
	cutOff(t, f)

	// Written while this replica was cut off, an hour ago, and recorded by another replica,
	// which moved the shared mark to now.
	away := f.UserPost(w.customer.Id, dm.Id, "", "recorded by the other replica")
	f.Mu.Lock()
	f.Posts[away.Id].CreateAt = now.Add(-time.Hour).UnixMilli()
	f.Posts[away.Id].UpdateAt = now.Add(-time.Hour).UnixMilli()
	f.Mu.Unlock()
	if err := cursor.Save(context.Background(), now.UnixMilli()); err != nil {
		t.Fatal(err)
	}

	f.AllowSockets()
	waitFor(t, "the WebSocket to come back", func() bool { return f.SocketCount() > 0 })
	after := f.UserPost(w.customer.Id, dm.Id, "", "after the reconnect")
	waitEvent(t, in, after.Id)
	evs, _, _ := in.snapshot()
	for _, ev := range evs {
		if ev.ID == away.Id {
			t.Errorf("the catch-up read again a post the other replica had recorded")
		}
	}
}

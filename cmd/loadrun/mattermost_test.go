package main

import (
	"context"
	"testing"
	"time"
)

// TestMattermostLoadSeesCopies: the Mattermost mode's cast is on the fake server, and the
// agent's WebSocket counts a post in a triage thread that names a load message as its copy,
// and nothing else (a root post, a post elsewhere, a text without the marker).
func TestMattermostLoadSeesCopies(t *testing.T) {
	mw := newMMWorld(t, 3)
	if len(mw.customers) != 3 || len(mw.dms) != 3 {
		t.Fatalf("%d customers, %d DMs, want 3 each", len(mw.customers), len(mw.dms))
	}
	tr := newTracker(10)
	l := &mmLoad{mw: mw, track: tr, senders: 1}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stop, err := l.watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	f := mw.f
	root := f.UserPost(mw.w.Bot.Id, mw.w.Triage.Id, "", "ticket card")
	f.UserPost(mw.w.Bot.Id, mw.w.Triage.Id, "", textOf(1))       // a root post: not a copy
	f.UserPost(mw.w.Bot.Id, mw.dms[0].Id, "", textOf(2))         // elsewhere: not a copy
	f.UserPost(mw.w.Bot.Id, mw.w.Triage.Id, root.Id, "a notice") // no marker: not a copy
	f.UserPost(mw.w.Bot.Id, mw.w.Triage.Id, root.Id, textOf(3))  // the copy
	deadline := time.Now().Add(5 * time.Second)
	for tr.delivered.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if got := tr.delivered.Load(); got != 1 {
		t.Fatalf("%d copies seen, want 1", got)
	}
	if tr.copies[3].Load() != 1 || tr.copies[1].Load() != 0 || tr.copies[2].Load() != 0 {
		t.Errorf("copies of 1, 2, 3 = %d, %d, %d; want 0, 0, 1", tr.copies[1].Load(), tr.copies[2].Load(), tr.copies[3].Load())
	}
	if env := mw.env(); len(env) == 0 || env[0] != "MATTERMOST_URL="+f.URL {
		t.Errorf("env = %v, want MATTERMOST_URL first", env)
	}
}

package main

import (
	"testing"
	"time"
)

// TestMattermostRequestsPaced: with MATTERMOST_REQUEST_RATE=4 and a burst of 1, the REST calls
// that relaying a customer's first message takes (their name, the card, the ticket number,
// the copy, the mark) reach the server no faster than 4 a second.
func TestMattermostRequestsPaced(t *testing.T) {
	t.Parallel()
	w := mmNewWorld(t)
	cfg := mmConfig(t, w)
	cfg.MattermostRequestRate, cfg.MattermostRequestBurst = 4, 1
	mmStart(t, w, cfg)
	dm := w.DM(w.Bot.Id, w.Customer.Id)
	w.Mu.Lock()
	before := len(w.Calls)
	w.Mu.Unlock()
	start := time.Now()
	sent := w.UserPost(w.Customer.Id, dm.Id, "", "is this paced?")
	card := w.card(t, 1)
	w.waitPost(t, w.Triage.Id, card.Id, "**Carol Customer:** is this paced?")
	mmEventually(t, "the mark on the message", func() (bool, string) {
		return len(w.ReactionsOn(sent.Id)) > 0, ""
	})
	took := time.Since(start)
	w.Mu.Lock()
	calls := len(w.Calls) - before
	w.Mu.Unlock()
	t.Logf("%d REST calls in %v at 4 a second", calls, took.Round(time.Millisecond))
	if calls < 4 {
		t.Fatalf("only %d REST calls: the test measures nothing", calls)
	}
	if least := time.Duration(calls-2) * time.Second / 4; took < least {
		t.Errorf("%d REST calls in %v, faster than 4 a second (at least %v)", calls, took, least)
	}
}

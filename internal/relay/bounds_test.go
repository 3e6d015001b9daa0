package relay

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/threadesk/threadesk/internal/desk"
)

// TestUserCacheStaysBounded: with 100,000 distinct customers the cache never holds more than
// maxUsers, and what it still holds is right.
func TestUserCacheStaysBounded(t *testing.T) {
	clock := clockwork.NewFakeClock()
	c := &userCache{ttl: 10 * time.Minute, clock: clock}
	peak := 0
	for i := range 100_000 {
		id := "U" + strconv.Itoa(i)
		c.put("slack\x00"+id, desk.User{ID: id, DisplayName: "Customer " + id}, clock.Now())
		peak = max(peak, len(c.users))
		if i%1000 == 0 {
			clock.Advance(time.Minute)
		}
	}
	if peak > maxUsers {
		t.Errorf("the cache held %d users, want at most %d", peak, maxUsers)
	}
	if got := c.users["slack\x00U99999"]; got.user.DisplayName != "Customer U99999" {
		t.Errorf("the newest user: %+v", got)
	}
}

// TestPacerForgetsIdleChannels: posting once into each of 100,000 DMs leaves the pacer with a
// bounded number of channels; a channel still pacing (its burst used up, or held by a
// Retry-After) is never forgotten, so its pace holds.
func TestPacerForgetsIdleChannels(t *testing.T) {
	clock := clockwork.NewFakeClock()
	p := newPacer(clock)
	ctx := context.Background()
	if _, err := p.wait(ctx, "slack", "C-TRIAGE", 1, 1); err != nil {
		t.Fatal(err)
	}
	p.hold("slack", "C-HELD", time.Hour)
	peak := 0
	for i := range 100_000 {
		if _, err := p.wait(ctx, "slack", "D"+strconv.Itoa(i), 1, 4); err != nil {
			t.Fatal(err)
		}
		p.mu.Lock()
		peak = max(peak, len(p.channels))
		p.mu.Unlock()
		if i%500 == 0 {
			clock.Advance(10 * time.Second)
		}
	}
	if peak > maxPaced+1 {
		t.Errorf("the pacer held %d channels, want at most %d", peak, maxPaced+1)
	}
	p.mu.Lock()
	_, held := p.channels["slack\x00C-HELD"]
	p.mu.Unlock()
	if !held {
		t.Error("a channel under a Retry-After was forgotten")
	}
}

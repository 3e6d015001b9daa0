package relay_test

import (
	"context"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/relay"
)

// TestRetentionForgetsOldClosedTickets: with RETENTION 30 days, a ticket closed (a week after
// its resolution) keeps its history for 30 days, then loses it, its subject and its customer's
// name, keeping its number, status and times; a ticket still open keeps everything.
func TestRetentionForgetsOldClosedTickets(t *testing.T) {
	d := newDesk(t, func(o *relay.Options) {
		o.ResolvedClose = 7 * 24 * time.Hour
		o.TimerTick = time.Second
		o.Retention = 30 * 24 * time.Hour
		o.RetentionEvery = time.Hour
	})
	old := d.open("U1")
	_ = d.press("A1", "C-TRIAGE", old.ThreadID, "resolve", "1")
	d.drain()
	d.clock.Advance(7 * 24 * time.Hour)
	d.advanceUntil(func() bool {
		got, err := d.store.Ticket(context.Background(), old.ID)
		return err == nil && got.Status == desk.StatusClosed
	})
	d.drain()
	active := d.open("U2")
	d.clock.Advance(29 * 24 * time.Hour)
	time.Sleep(200 * time.Millisecond)
	if h, _ := d.store.Transcript(context.Background(), old.ID); len(h) < 2 {
		t.Fatalf("the history was forgotten before the retention: %+v", h)
	}
	d.clock.Advance(24 * time.Hour)
	d.advanceUntil(func() bool {
		h, _ := d.store.Transcript(context.Background(), old.ID)
		return len(h) == 1 && h[0].Kind == "expired"
	})
	got := d.ticket(old.ID)
	if got.Subject != "" || got.Customer.DisplayName != "" || got.Status != desk.StatusClosed || got.CreatedAt.IsZero() || got.ClosedAt.IsZero() {
		t.Errorf("the expired ticket: %+v", got)
	}
	if h, _ := d.store.Transcript(context.Background(), active.ID); len(h) == 0 || h[0].Kind != "customer" {
		t.Errorf("the open ticket's history: %+v", h)
	}
	if got := d.ticket(active.ID); got.Subject == "" {
		t.Errorf("the open ticket lost its subject")
	}
}

package main

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/redistest"
)

// The end-to-end retention checks of the erasure tests run the program with RETENTION=1h and
// its look every retentionTick; a ticket they close is then backdated in the index retention
// reads (nobody waits out a RETENTION in a test), and retention must forget what was written
// on it, and nothing on the other tickets.

const retentionTick = 200 * time.Millisecond

// withRetention sets RETENTION to an hour, looked at every retentionTick.
func withRetention(cfg *Config) {
	cfg.Retention = Days(time.Hour)
	cfg.retentionEvery = retentionTick
}

// backdateClose makes ticket id look closed two hours ago to retention: it moves the ticket in
// the closed index, which is what retention reads.
func backdateClose(t *testing.T, prefix string, id desk.TicketID) {
	t.Helper()
	rdb := redistest.Client(t)
	defer rdb.Close()
	key := prefix + "closed"
	member := strconv.FormatInt(int64(id), 10)
	ctx := context.Background()
	if _, err := rdb.ZScore(ctx, key, member).Result(); err != nil {
		t.Fatalf("ticket %d is not in the closed index %s: %v", id, key, err)
	}
	if err := rdb.ZAdd(ctx, key, redis.Z{Score: float64(time.Now().Add(-2 * time.Hour).UnixMilli()), Member: member}).Err(); err != nil {
		t.Fatal(err)
	}
}

// expiredEventually waits until retention has forgotten what was written on ticket id: its
// history is the one entry saying so, and the customer's name is gone from the ticket.
func expiredEventually(t *testing.T, store desk.Store, id desk.TicketID) desk.Ticket {
	t.Helper()
	var tk desk.Ticket
	eventually(t, fmt.Sprintf("#%d expired", id), func() (bool, string) {
		h, err := store.Transcript(context.Background(), id)
		if err != nil {
			return false, err.Error()
		}
		tk, err = store.Ticket(context.Background(), id)
		return err == nil && len(h) == 1 && h[0].Kind == "expired" && h[0].Text == "" && tk.Customer.DisplayName == "" && tk.Subject == "",
			fmt.Sprintf("history %+v, customer %+v, subject %q", h, tk.Customer, tk.Subject)
	})
	if tk.Status != desk.StatusClosed || tk.CreatedAt.IsZero() {
		t.Errorf("expired #%d = %+v; want it kept, closed, with its times", id, tk)
	}
	return tk
}

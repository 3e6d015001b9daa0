package redisstore

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/redistest"
)

// opener makes a fresh, empty Store on some server and returns its client for inspection.
type opener func(t *testing.T, opts Options) (*Store, redis.UniversalClient)

// openRedis opens a Store on the real test redis-server under a prefix of its own.
func openRedis(t *testing.T, opts Options) (*Store, redis.UniversalClient) {
	t.Helper()
	rdb := redistest.Client(t)
	if opts.Prefix == "" {
		opts.Prefix = redistest.Prefix(t)
	}
	s, err := New(rdb, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, rdb
}

// openMiniredis opens a Store on an embedded miniredis, the product's default without
// REDIS_URL.
func openMiniredis(t *testing.T, opts Options) (*Store, redis.UniversalClient) {
	t.Helper()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	embedded.Store(rdb, m)
	s, err := New(rdb, opts)
	if err != nil {
		t.Fatalf("New on miniredis: %v", err)
	}
	return s, rdb
}

// embedded maps the clients of openMiniredis to their server, for elapse.
var embedded sync.Map

// elapse lets d pass for the keys' lifetimes: it sleeps, and moves a miniredis's clock, which
// does not follow the wall clock by itself.
func elapse(rdb redis.UniversalClient, d time.Duration) {
	time.Sleep(d)
	if m, ok := embedded.Load(rdb); ok {
		m.(*miniredis.Miniredis).FastForward(d)
	}
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func apply(t *testing.T, s *Store, changes ...desk.Change) {
	t.Helper()
	if err := s.Apply(ctxT(t), changes...); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func enqueue(t *testing.T, s *Store, shard int, ev desk.Event) bool {
	t.Helper()
	n, err := s.Enqueue(ctxT(t), shard, ev)
	if err != nil {
		t.Fatalf("Enqueue(%d, %s): %v", shard, ev.ID, err)
	}
	return n > 0
}

func readQueue(t *testing.T, s *Store, shard int, pending bool, block time.Duration) []desk.Queued {
	t.Helper()
	after := ""
	if pending {
		after = "0"
	}
	got, err := s.ReadQueue(ctxT(t), shard, after, 100, block)
	if err != nil {
		t.Fatalf("ReadQueue(%d, pending %t): %v", shard, pending, err)
	}
	return got
}

func depth(t *testing.T, s *Store) int64 {
	t.Helper()
	n, err := s.QueueDepth(ctxT(t))
	if err != nil {
		t.Fatalf("QueueDepth: %v", err)
	}
	return n
}

func openTicket(t *testing.T, s *Store, tk desk.Ticket) (desk.Ticket, bool) {
	t.Helper()
	got, created, err := s.OpenTicket(ctxT(t), tk)
	if err != nil {
		t.Fatalf("OpenTicket(%s): %v", tk.Customer.ID, err)
	}
	return got, created
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, desk.ErrNotFound) || desk.ErrorCode(err) != desk.ENOTFOUND {
		t.Errorf("%s: err = %v, want one wrapping desk.ErrNotFound", what, err)
	}
}

func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// at is a fixed instant in UTC with whole milliseconds, as the store keeps times.
func at(minute int) time.Time { return time.Date(2025, 3, 14, 9, minute, 26, 535e6, time.UTC) }

// event returns a Slack-like customer message event.
func event(id string) desk.Event {
	return desk.Event{
		ID: id, Platform: "slack", Kind: desk.CustomerMessage, At: at(1),
		User:    desk.User{ID: "U04ABCDEF12", Name: "jane.doe", DisplayName: "Jane Doe"},
		Channel: "D04ABCDEF34", Message: "1710408386.123456", Text: "my VPN is down",
	}
}

// newTicket returns what the core passes to OpenTicket for a Slack customer.
func newTicket(userID string) desk.Ticket {
	return desk.Ticket{
		Platform: "slack", Status: desk.StatusNew, Priority: desk.PriorityNormal,
		Customer:  desk.User{ID: userID, Name: "jane.doe", DisplayName: "Jane Doe"},
		DMChannel: "D04ABCDEF34", CreatedAt: at(2), LastActivityAt: at(2),
	}
}

// bogus is a change Apply does not know.
type bogus struct{ desk.SaveTicket }

// inNumberSet reports whether number id is in the number set set (numberset.go): in its own
// key or in its bucket.
func inNumberSet(ctx context.Context, rdb redis.UniversalClient, s *Store, set string, id int64) bool {
	if rdb.SIsMember(ctx, set, id).Val() {
		return true
	}
	return rdb.SIsMember(ctx, s.keys.bucket(set, id), id).Val()
}

// waitFor polls cond every 20 ms until it holds, failing the test after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/redistest"
)

// txCounter counts the MULTI/EXEC round trips a client makes.
type txCounter struct{ n atomic.Int64 }

func (c *txCounter) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (c *txCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (c *txCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && cmds[0].Name() == "multi" {
			c.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

// Many goroutines' intake, lookups and transactions share round trips, and each one still
// gets its own result: nothing is lost, doubled or answered to the wrong caller.
func TestBatchesConcurrentOperations(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: redistest.Addr(t), PoolSize: 8})
	t.Cleanup(func() { _ = rdb.Close() })
	var tx txCounter
	rdb.AddHook(&tx)
	s, err := New(rdb, Options{Prefix: redistest.Prefix(t), Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := ctxT(t)

	const callers = 200
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := desk.Event{Platform: "slack", ID: "E" + strconv.Itoa(i), Kind: desk.CustomerMessage,
				User: desk.User{ID: "U" + strconv.Itoa(i)}, Channel: "D" + strconv.Itoa(i), Message: strconv.Itoa(i)}
			added, err := s.Enqueue(ctx, i%4, ev)
			if err != nil || added == 0 {
				errs <- fmt.Errorf("enqueue %d: shard length %d, %v", i, added, err)
				return
			}
			if again, err := s.Enqueue(ctx, i%4, ev); err != nil || again != 0 {
				errs <- fmt.Errorf("enqueue %d again: shard length %d, %v", i, again, err)
				return
			}
			tk, _, err := s.OpenTicket(ctx, desk.Ticket{Platform: "slack", Customer: ev.User, DMChannel: ev.Channel, ThreadID: "T" + strconv.Itoa(i)})
			if err != nil {
				errs <- fmt.Errorf("open ticket %d: %v", i, err)
				return
			}
			tk.Subject = "subject " + strconv.Itoa(i)
			if err := s.Apply(ctx, desk.SaveTicket{Ticket: tk}); err != nil {
				errs <- fmt.Errorf("save ticket %d: %v", i, err)
				return
			}
			got, err := s.ThreadTicket(ctx, "slack", "T"+strconv.Itoa(i))
			if err != nil || got.Customer.ID != ev.User.ID || got.Subject != tk.Subject {
				errs <- fmt.Errorf("thread ticket %d: %+v, %v (want customer %s)", i, got, err, ev.User.ID)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := depth(t, s); n != callers {
		t.Errorf("queue depth %d, want %d", n, callers)
	}
	ids := map[desk.TicketID]bool{}
	for i := range callers {
		tk, err := s.CustomerTicket(ctx, "slack", "U"+strconv.Itoa(i))
		if err != nil {
			t.Fatalf("customer %d: %v", i, err)
		}
		if ids[tk.ID] {
			t.Errorf("ticket number %d given twice", tk.ID)
		}
		ids[tk.ID] = true
	}
	// 5 operations of each caller went through the batches (opening a ticket takes 2); alone,
	// each would have been a transaction of its own.
	if ops, n := int64(callers*6), tx.n.Load(); n >= ops/2 {
		t.Errorf("%d transactions for %d operations: they were not batched", n, ops)
	} else {
		t.Logf("%d transactions for %d operations", n, ops)
	}
}

// A batch Redis refuses as a whole because of one operation is sent again one operation at a
// time: the others succeed, and only the bad one fails.
func TestBatchIsolatesARefusedOperation(t *testing.T) {
	s, rdb := openRedis(t, Options{Shards: 1})
	ctx := ctxT(t)
	key := func(n int) string { return s.keys.prefix + "iso:" + strconv.Itoa(n) }
	var ops []*op
	for i := range 3 {
		ops = append(ops, &op{ctx: ctx, done: make(chan struct{}), queue: func(p redis.Pipeliner) {
			if i == 1 {
				p.Do(ctx, "set", key(i)) // wrong number of arguments: refused before EXEC
				return
			}
			p.Set(ctx, key(i), "ok", 0)
		}})
	}
	s.batch.home.exec(ops)
	for i, o := range ops {
		<-o.done
		err := o.cmds[0].Err()
		if i == 1 {
			if err == nil || !strings.Contains(err.Error(), "wrong number") {
				t.Errorf("bad operation: err %v, want Redis's refusal", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("operation %d failed with the bad one: %v", i, err)
		}
		if v, err := rdb.Get(ctx, key(i)).Result(); v != "ok" {
			t.Errorf("operation %d not applied: %q, %v", i, v, err)
		}
	}
}

// Scripts run by their hash in a batch; once Redis forgot them (restart, SCRIPT FLUSH) they
// are sent again with their body.
func TestBatchReloadsFlushedScripts(t *testing.T) {
	s, rdb := openMiniredis(t, Options{Shards: 1})
	ctx := ctxT(t)
	ev := func(id string) desk.Event {
		return desk.Event{Platform: "slack", ID: id, Kind: desk.CustomerMessage, User: desk.User{ID: "U1"}, Channel: "D1", Message: id}
	}
	if !enqueue(t, s, 0, ev("E1")) {
		t.Fatal("first event not new")
	}
	if err := rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if !enqueue(t, s, 0, ev("E2")) {
		t.Fatal("event after SCRIPT FLUSH not new")
	}
	if enqueue(t, s, 0, ev("E2")) {
		t.Fatal("redelivery after SCRIPT FLUSH taken as new")
	}
	if n := depth(t, s); n != 2 {
		t.Errorf("queue depth %d, want 2", n)
	}
}

// An operation whose caller gave up before its batch was sent sends nothing; once the store
// is closed operations fail at once instead of waiting for ever.
func TestBatchCancelledAndClosed(t *testing.T) {
	s, rdb := openRedis(t, Options{Shards: 1})
	ctx := ctxT(t)
	gone, cancel := context.WithCancel(ctx)
	cancel()
	key := s.keys.prefix + "cancelled"
	err := s.batch.do(gone, key, func(p redis.Pipeliner) { p.Set(ctx, key, "x", 0) })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled operation: %v, want context.Canceled", err)
	}
	o := &op{ctx: gone, done: make(chan struct{}), queue: func(p redis.Pipeliner) { p.Set(ctx, key, "x", 0) }}
	s.batch.home.exec([]*op{o})
	<-o.done
	if n, _ := rdb.Exists(ctx, key).Result(); n != 0 {
		t.Error("a cancelled operation was sent")
	}
	if len(o.cmds) != 1 || !errors.Is(o.cmds[0].Err(), context.Canceled) {
		t.Errorf("a cancelled operation reads as %v, want context.Canceled", o.cmds)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Enqueue(ctx, 0, desk.Event{Platform: "slack", ID: "E1", Kind: desk.CustomerMessage, User: desk.User{ID: "U1"}, Channel: "D1", Message: "1"})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, errClosed) {
			t.Errorf("Enqueue after Close: %v, want %v", err, errClosed)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Enqueue after Close hangs")
	}
}

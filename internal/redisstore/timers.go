package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// The fields of a timer's hash: where its event goes and the event itself.
const (
	tShard = "n" // the queue shard's number
	tEvent = "e" // the JSON-encoded event
	// tQueue held the queue shard's key in stores before 2026-12-07 (still read: its number
	// is the key's last part); they also kept the dedupe marker's key in field "s".
	tQueue = "q"
)

// dueScript lists the timers due (score ≤ now), at most limit of them, each as its ID, shard
// number, legacy queue key and event (false where a field is missing). It changes nothing:
// FireDue records each event in its queue shard (in that shard's slot) and only then removes
// the timer (doneScript).
//
// KEYS[1] the timers' sorted set; ARGV[1] now (unix ms), ARGV[2] limit, ARGV[3] the base of
// the timer keys.
var dueScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(due) do
  local t = redis.call('HMGET', ARGV[3] .. id, '` + tShard + `', '` + tQueue + `', '` + tEvent + `')
  out[#out + 1] = {id, t[1], t[2], t[3]}
end
return out
`)

// doneScript removes the timers that fired, each only if it still carries the event that
// fired (it was not moved meanwhile: a moved timer's event has an ID of its own) or has no
// hash. It returns how many it removed: two processes firing one timer remove it once.
//
// KEYS[1] the timers' sorted set; ARGV[1] the base of the timer keys, then pairs of a timer
// ID and the event it fired with.
var doneScript = redis.NewScript(`
local n = 0
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  if redis.call('ZSCORE', KEYS[1], id) then
    local key = ARGV[1] .. id
    local e = redis.call('HGET', key, '` + tEvent + `')
    if not e or e == ARGV[i + 1] then
      redis.call('ZREM', KEYS[1], id)
      redis.call('DEL', key)
      n = n + 1
    end
  end
end
return n
`)

// setTimer returns the commands that set (or move) a timer. The event it records gets an ID
// of its own per due time, "<event ID>@<unix ms>", so that a timer moved to a later time fires
// again while the same firing seen by two processes is one event.
func (s *Store) setTimer(t desk.Timer) ([][]any, error) {
	if t.ID == "" || t.Event.Platform == "" || t.Event.ID == "" || t.At.IsZero() {
		return nil, desk.Errorf(desk.EINVALID, "set timer %q: a timer needs an ID, a time and an event with a platform and an ID", t.ID)
	}
	if err := s.checkShard(t.Shard); err != nil {
		return nil, fmt.Errorf("set timer %s: %w", t.ID, err)
	}
	ev := t.Event
	ev.ID += "@" + strconv.FormatInt(t.At.UnixMilli(), 10)
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode the event of timer %s: %w", t.ID, err)
	}
	key := s.keys.timer(t.ID)
	return [][]any{
		{"TD.REPLACE", key, tShard, t.Shard, tEvent, body}, // the fields of an older layout go
		{"ZADD", s.keys.timers(), t.At.UnixMilli(), t.ID},
	}, nil
}

// FireDue records the events of the timers due at now, at most limit of them, and reports how
// many fired. Each event is recorded in its queue shard as Enqueue records an event, so that
// a firing recorded twice (two processes firing at once, or a crash before the timer was
// removed) is one event; then the timers are removed. A timer whose hash is gone or does not
// decode is removed without an event, and logged. When a shard's events cannot be recorded
// (its master is down) the other shards' timers are still removed: the call reports them
// with the error.
func (s *Store) FireDue(ctx context.Context, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = 100
	}
	res, err := s.runScript(ctx, dueScript, []string{s.keys.timers()}, now.UnixMilli(), limit, s.keys.timerBase()).Slice()
	if err != nil {
		return 0, fmt.Errorf("list due timers: %w", err)
	}
	if len(res) == 0 {
		return 0, nil
	}
	fired := make([]any, 1, 1+2*len(res)) // the timers to remove, with their events
	fired[0] = s.keys.timerBase()
	type due struct {
		id, body string
		ev       desk.Event
	}
	byShard := map[int][]due{} // each shard's in the order they came due
	for _, r := range res {
		f, _ := r.([]any)
		field := func(i int) string { v, _ := f[i].(string); return v }
		id, body := field(0), field(3)
		shard, ev, ok := s.timerEvent(field(1), field(2), body)
		if !ok {
			s.log.WarnContext(ctx, "a due timer does not decode; removed without an event", "timer", id)
			fired = append(fired, id, body)
			continue
		}
		byShard[shard] = append(byShard[shard], due{id, body, ev})
	}
	// A shard's events are recorded one after another, in the order they came due (a
	// ticket's reminder before its breach); the shards' go at once, and the batcher sends
	// them together. A shard that fails keeps its timers from the one that failed on, to
	// fire again; the others' are removed.
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for shard, ds := range byShard {
		wg.Go(func() {
			for _, d := range ds {
				_, err := s.Enqueue(ctx, shard, d.ev)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = fmt.Errorf("fire timer %s: %w", d.id, err)
					}
					mu.Unlock()
					return
				}
				fired = append(fired, d.id, d.body)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(fired) == 1 {
		return 0, firstErr
	}
	n, err := s.runScript(ctx, doneScript, []string{s.keys.timers()}, fired...).Int()
	if err != nil {
		return 0, fmt.Errorf("remove fired timers: %w", err)
	}
	return n, firstErr
}

// timerEvent decodes a due timer's shard (its number, or the last part of the legacy queue
// key) and event.
func (s *Store) timerEvent(shardField, legacyQueue, body string) (int, desk.Event, bool) {
	if shardField == "" {
		shardField = legacyQueue[strings.LastIndexByte(legacyQueue, ':')+1:]
	}
	shard, err := strconv.Atoi(shardField)
	var ev desk.Event
	if err != nil || shard < 0 || json.Unmarshal([]byte(body), &ev) != nil || ev.Platform == "" || ev.ID == "" {
		return 0, ev, false
	}
	// A store with fewer shards than when the timer was set records it in one it has.
	return shard % s.opts.Shards, ev, true
}

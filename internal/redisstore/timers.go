package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// The fields of a timer's hash: where its event goes and the event itself.
const (
	tQueue = "q" // the queue shard's stream
	tSeen  = "s" // the event's dedupe marker
	tEvent = "e" // the JSON-encoded event
)

// fireScript moves due timers into their queues. For each timer due (score ≤ now), at most
// limit of them, it removes the timer and records its event in its queue shard unless an
// event with the same ID was recorded before, exactly as Enqueue does. Being one script, it
// runs atomically: two processes calling it at once never fire a timer twice.
//
// KEYS[1] the timers' sorted set; ARGV[1] now (unix ms), ARGV[2] limit, ARGV[3] the base of
// the timer keys, ARGV[4] the dedupe marker TTL in ms. Returns the number of timers fired.
var fireScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[1], id)
  local key = ARGV[3] .. id
  local t = redis.call('HMGET', key, '` + tQueue + `', '` + tSeen + `', '` + tEvent + `')
  redis.call('DEL', key)
  if t[1] and t[2] and t[3] then
    if redis.call('SET', t[2], '1', 'NX', 'PX', ARGV[4]) then
      redis.call('XADD', t[1], '*', '` + eventField + `', t[3])
    end
  end
end
return #due
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
		{"DEL", key},
		{"HSET", key, tQueue, s.keys.queue(t.Shard), tSeen, s.keys.seen(ev.Platform, ev.ID), tEvent, body},
		{"ZADD", s.keys.timers(), t.At.UnixMilli(), t.ID},
	}, nil
}

// FireDue records the events of the timers due at now, at most limit of them, and reports how
// many fired.
func (s *Store) FireDue(ctx context.Context, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = 100
	}
	n, err := s.runScript(ctx, fireScript, []string{s.keys.timers()},
		now.UnixMilli(), limit, s.keys.timerBase(), s.opts.DedupeTTL.Milliseconds()).Int()
	if err != nil {
		return 0, fmt.Errorf("fire due timers: %w", err)
	}
	return n, nil
}

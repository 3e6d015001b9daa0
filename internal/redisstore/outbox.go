package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// answerTTL is how long an answer waits for its reader (see desk.PutAnswer).
const answerTTL = 10 * time.Minute

// outboxDoneField is the JSON name of desk.Outbox's Done, read by TD.PROGRESS (luaApply).
const outboxDoneField = "d"

// eventKey names an event across platforms, as an outbox field.
func eventKey(platform, eventID string) string { return platform + "/" + eventID }

// putOutbox returns the command that records an outbox.
func (s *Store) putOutbox(c desk.PutOutbox) ([][]any, error) {
	if err := s.checkShard(c.Shard); err != nil {
		return nil, fmt.Errorf("outbox of event %s: %w", c.Outbox.Event, err)
	}
	if c.Outbox.Platform == "" || c.Outbox.Event == "" {
		return nil, desk.Errorf(desk.EINVALID, "put outbox: a record needs its event")
	}
	b, err := json.Marshal(c.Outbox)
	if err != nil {
		return nil, fmt.Errorf("encode outbox of event %s: %w", c.Outbox.Event, err)
	}
	key, field := s.keys.outbox(c.Shard), eventKey(c.Outbox.Platform, c.Outbox.Event)
	if c.Progress {
		return [][]any{{"TD.PROGRESS", key, field, strconv.Itoa(c.Outbox.Done), b}}, nil
	}
	return [][]any{{"HSET", key, field, b}}, nil
}

// Outbox returns a shard's outbox records, oldest first. A record that does not decode is
// logged and dropped, so that it cannot hold the shard up.
func (s *Store) Outbox(ctx context.Context, shard int) ([]desk.Outbox, error) {
	if err := s.checkShard(shard); err != nil {
		return nil, err
	}
	key := s.keys.outbox(shard)
	m, err := s.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("read outbox of shard %d: %w", shard, err)
	}
	out := make([]desk.Outbox, 0, len(m))
	for field, v := range m {
		var o desk.Outbox
		if err := json.Unmarshal([]byte(v), &o); err != nil {
			s.log.WarnContext(ctx, "outbox record does not decode; dropped", "shard", shard, "event", field, "err", err)
			if err := s.rdb.HDel(ctx, key, field).Err(); err != nil {
				return nil, fmt.Errorf("drop outbox record %s of shard %d: %w", field, shard, err)
			}
			continue
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b desk.Outbox) int { return a.At.Compare(b.At) })
	return out, nil
}

// Answer returns the answer kept for an event.
func (s *Store) Answer(ctx context.Context, platform, eventID string) (string, bool, error) {
	v, err := s.rdb.Get(ctx, s.keys.answer(platform, eventID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read answer to event %s/%s: %w", platform, eventID, err)
	}
	return v, true, nil
}

// Held returns a ticket's held messages, oldest first.
func (s *Store) Held(ctx context.Context, id desk.TicketID) ([]desk.Event, error) {
	vs, err := s.rdb.LRange(ctx, s.keys.held(id), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("read the held messages of ticket %s: %w", id, err)
	}
	out := make([]desk.Event, 0, len(vs))
	for _, v := range vs {
		var ev desk.Event
		if err := json.Unmarshal([]byte(v), &ev); err != nil {
			return nil, fmt.Errorf("decode a held message of ticket %s: %w", id, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

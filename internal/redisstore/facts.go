package redisstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// encodeFact writes a fact as a sorted-set member "ticket|agent|value": about 20 bytes, so a
// ticket's four facts cost about 500 bytes of Redis with the sorted sets' overhead. Each fact happens
// once per ticket (a re-resolution records a second one), so members do not collide.
func encodeFact(f desk.Fact) string {
	return strconv.FormatInt(int64(f.Ticket), 10) + "|" + f.Agent + "|" + strconv.FormatInt(f.Value, 10)
}

// Facts returns the facts of a kind recorded from from (inclusive) to to (exclusive), oldest
// first. Reading a period costs only that period's facts.
func (s *Store) Facts(ctx context.Context, kind desk.FactKind, from, to time.Time) ([]desk.Fact, error) {
	zs, err := s.rdb.ZRangeByScoreWithScores(ctx, s.keys.fact(kind), &redis.ZRangeBy{
		Min: strconv.FormatInt(from.UnixMilli(), 10),
		Max: "(" + strconv.FormatInt(to.UnixMilli(), 10),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("read %s facts: %w", kind, err)
	}
	out := make([]desk.Fact, 0, len(zs))
	for _, z := range zs {
		member, _ := z.Member.(string)
		parts := strings.Split(member, "|")
		if len(parts) != 3 {
			continue // not written by encodeFact; nothing to count
		}
		id, err1 := strconv.ParseInt(parts[0], 10, 64)
		v, err2 := strconv.ParseInt(parts[2], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, desk.Fact{Kind: kind, At: time.UnixMilli(int64(z.Score)).UTC(),
			Ticket: desk.TicketID(id), Agent: parts[1], Value: v})
	}
	return out, nil
}

// Tickets returns the tickets in the given statuses, oldest first, at most limit (0 = all).
func (s *Store) Tickets(ctx context.Context, statuses []desk.Status, limit int) ([]desk.Ticket, error) {
	var ids []int64
	for _, st := range statuses {
		members, err := s.rdb.ZRange(ctx, s.keys.status(st), 0, -1).Result()
		if err != nil {
			return nil, fmt.Errorf("list %s tickets: %w", st, err)
		}
		for _, m := range members {
			if n, err := strconv.ParseInt(m, 10, 64); err == nil {
				ids = append(ids, n)
			}
		}
	}
	slices.Sort(ids)
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	tids := make([]desk.TicketID, len(ids))
	for i, id := range ids {
		tids[i] = desk.TicketID(id)
	}
	return s.TicketsByID(ctx, tids)
}

// TicketsByID returns the tickets with the given numbers that exist, in the same order, in one
// round trip.
func (s *Store) TicketsByID(ctx context.Context, ids []desk.TicketID) ([]desk.Ticket, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.keys.ticket(id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %d tickets: %w", len(ids), err)
	}
	out := make([]desk.Ticket, 0, len(ids))
	for _, c := range cmds {
		m := c.Val()
		if len(m) == 0 {
			continue // deleted meanwhile
		}
		t, err := ticketFromMap(m)
		if err != nil {
			return nil, fmt.Errorf("read ticket: %w", err)
		}
		out = append(out, t)
	}
	return out, nil
}

// CountByStatus counts all tickets by status.
func (s *Store) CountByStatus(ctx context.Context) (map[desk.Status]int64, error) {
	cmds := make(map[desk.Status]*redis.IntCmd, len(desk.Statuses))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, st := range desk.Statuses {
			cmds[st] = p.ZCard(ctx, s.keys.status(st))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count tickets by status: %w", err)
	}
	out := make(map[desk.Status]int64, len(cmds))
	for st, c := range cmds {
		out[st] = c.Val()
	}
	return out, nil
}

package redisstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// FindTickets returns one page of the tickets that match f. It walks the status indexes from
// f.After in number order, a page's worth of numbers at a time, and reads only those tickets:
// a page costs about its own size however many tickets there are, unless the filter drops
// most of what it reads.
func (s *Store) FindTickets(ctx context.Context, f desk.TicketFilter) (desk.TicketPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	statuses := f.Statuses
	if len(statuses) == 0 {
		statuses = desk.Statuses
	}
	var page desk.TicketPage
	after := f.After
	for {
		ids, more, err := s.nextIDs(ctx, statuses, after, f.Newest, limit)
		if err != nil {
			return desk.TicketPage{}, err
		}
		ts, err := s.TicketsByID(ctx, ids)
		if err != nil {
			return desk.TicketPage{}, err
		}
		for _, t := range ts {
			if (f.Platform == "" || t.Platform == f.Platform) && (f.Assignee == nil || t.Assignee == *f.Assignee) {
				page.Tickets = append(page.Tickets, t)
			}
			if len(page.Tickets) == limit {
				page.Next = t.ID
				return page, nil
			}
		}
		if !more {
			return page, nil
		}
		after = ids[len(ids)-1]
	}
}

// nextIDs returns up to n ticket numbers in the given statuses that come after after (0: from
// the start) in number order, newest first if asked, and whether more may follow.
func (s *Store) nextIDs(ctx context.Context, statuses []desk.Status, after desk.TicketID, newest bool, n int) ([]desk.TicketID, bool, error) {
	cmds := make([]*redis.StringSliceCmd, len(statuses))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, st := range statuses {
			r := &redis.ZRangeBy{Min: "-inf", Max: "+inf", Count: int64(n)}
			if after > 0 {
				bound := "(" + strconv.FormatInt(int64(after), 10)
				if newest {
					r.Max = bound
				} else {
					r.Min = bound
				}
			}
			if newest {
				cmds[i] = p.ZRevRangeByScore(ctx, s.keys.status(st), r)
			} else {
				cmds[i] = p.ZRangeByScore(ctx, s.keys.status(st), r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("list tickets: %w", err)
	}
	var ids []desk.TicketID
	more := false
	for _, c := range cmds {
		members := c.Val()
		more = more || len(members) == n
		for _, m := range members {
			if id, err := strconv.ParseInt(m, 10, 64); err == nil {
				ids = append(ids, desk.TicketID(id))
			}
		}
	}
	slices.Sort(ids)
	if newest {
		slices.Reverse(ids)
	}
	if len(ids) > n {
		ids, more = ids[:n], true
	}
	return ids, more, nil
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

package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// encodeFact writes a fact as a sorted-set member "ticket|agent|value", with "|subject" after
// it when the fact has one: about 20 bytes, so a ticket's four facts cost about 500 bytes of
// Redis with the sorted sets' overhead. Each fact happens once per ticket and subject (a
// re-resolution records a second one; a reply sent twice differs in its time), so members do
// not collide.
func encodeFact(f desk.Fact) string {
	m := strconv.FormatInt(int64(f.Ticket), 10) + "|" + f.Agent + "|" + strconv.FormatInt(f.Value, 10)
	if f.Subject != "" {
		m += "|" + f.Subject
	}
	return m
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
		if len(parts) != 3 && len(parts) != 4 {
			continue // not written by encodeFact; nothing to count
		}
		id, err1 := strconv.ParseInt(parts[0], 10, 64)
		v, err2 := strconv.ParseInt(parts[2], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		f := desk.Fact{Kind: kind, At: time.UnixMilli(int64(z.Score)).UTC(), Ticket: desk.TicketID(id), Agent: parts[1], Value: v}
		if len(parts) == 4 {
			f.Subject = parts[3]
		}
		out = append(out, f)
	}
	return out, nil
}

package redisstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// encodeFact writes a fact as a sorted-set member "ticket|agent|value", with "|subject" after
// it when the fact has one: about 20 bytes, so a ticket's four facts cost about 120 bytes of
// Redis in the day sets, which stay compact listpacks while a day has up to 128 facts of a
// kind (about 600 in one set of every day, a skiplist, as older stores kept them). Each fact
// happens once per ticket and subject (a re-resolution records a second one; a reply sent
// twice differs in its time), so members do not collide.
func encodeFact(f desk.Fact) string {
	m := strconv.FormatInt(int64(f.Ticket), 10) + "|" + f.Agent + "|" + strconv.FormatInt(f.Value, 10)
	if f.Subject != "" {
		m += "|" + f.Subject
	}
	return m
}

// dayMillis is the length of a UTC day in milliseconds (unix time has no leap seconds).
const dayMillis = 24 * 60 * 60 * 1000

// factDayOf is the UTC day number of a time in unix milliseconds, the day whose facts key
// (keys.factDay) holds a fact recorded then: the milliseconds divided by dayMillis, rounded
// down (also before 1970).
func factDayOf(ms int64) int64 {
	day := ms / dayMillis
	if ms%dayMillis < 0 {
		day--
	}
	return day
}

// Facts returns the facts of a kind recorded from from (inclusive) to to (exclusive), oldest
// first (by time, then by member, as one sorted set orders them). Reading a period costs only
// that period's facts: the kind's days index names the period's days that have facts, and
// their sets are read in one pipeline with the single set of older stores.
func (s *Store) Facts(ctx context.Context, kind desk.FactKind, from, to time.Time) ([]desk.Fact, error) {
	fromMs, toMs := from.UnixMilli(), to.UnixMilli()
	days, err := s.rdb.ZRangeByScore(ctx, s.keys.factDays(kind), &redis.ZRangeBy{
		Min: strconv.FormatInt(factDayOf(fromMs), 10),
		Max: strconv.FormatInt(factDayOf(toMs-1), 10), // to is exclusive
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("read the days of the %s facts: %w", kind, err)
	}
	by := &redis.ZRangeBy{Min: strconv.FormatInt(fromMs, 10), Max: "(" + strconv.FormatInt(toMs, 10)}
	reads := make([]*redis.ZSliceCmd, 0, len(days)+1)
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		reads = append(reads, p.ZRangeByScoreWithScores(ctx, s.keys.fact(kind), by))
		for _, d := range days {
			if day, err := strconv.ParseInt(d, 10, 64); err == nil {
				reads = append(reads, p.ZRangeByScoreWithScores(ctx, s.keys.factDay(kind, day), by))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s facts: %w", kind, err)
	}
	// The day sets, read in the days' order, are in time order already. The older stores'
	// set is merged into them in the order one set has (by time, then by member); a fact in
	// both (recorded again once the store was upgraded) counts once, as it did in one set.
	legacy := reads[0].Val()
	var zs []redis.Z
	for _, r := range reads[1:] {
		zs = append(zs, r.Val()...)
	}
	if len(legacy) > 0 {
		zs = append(zs, legacy...)
		slices.SortFunc(zs, func(a, b redis.Z) int {
			if c := cmp.Compare(a.Score, b.Score); c != 0 {
				return c
			}
			return strings.Compare(zMember(a), zMember(b))
		})
		zs = slices.CompactFunc(zs, func(a, b redis.Z) bool { return a.Score == b.Score && zMember(a) == zMember(b) })
	}
	out := make([]desk.Fact, 0, len(zs))
	for _, z := range zs {
		parts := strings.Split(zMember(z), "|")
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

// zMember is a sorted set member as the string go-redis reads it as.
func zMember(z redis.Z) string {
	m, _ := z.Member.(string)
	return m
}

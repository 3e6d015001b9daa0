package redisstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// A number set is a set of ticket numbers: one of the queue's filter sets (<p>ix:pf:…,
// ix:cat:…, …) or of the search index's word sets (<p>w:<word>). Redis keeps a set of integers
// as an intset, 2 to 8 bytes a member, while it has at most set-max-intset-entries members
// (512 by default); past that the set becomes a hash table of strings, about 55 bytes a
// member. A set most tickets are in (a platform, a priority, a category, a common word) then
// costs 55 bytes a ticket, and a ticket is in a dozen such sets.
//
// So a number set keeps its own key while that has fewer than numberSpan members; a number
// added once the key is full goes into the set's bucket of numberSpan consecutive numbers,
// <p>nb:<number / numberSpan>:<the set's key after the prefix>, which can never hold more
// than numberSpan members and so stays an intset. Each number is in exactly one of the two:
// the set is the union of its key and its buckets. Measured on redis-server 7.0 with 100,000
// ticket numbers: a set of all of them costs 56 bytes a member as one key and 4.3 in this
// form; a set of one number in four 56 and 4.8; one in a hundred 48 and 14. A set of fewer
// than numberSpan numbers is one intset, as it always was.
//
// Writers go through nadd and nrem (luaNumberSet), in the scripts: the apply scripts'
// TD.NADD, TD.NREM and TD.UNINDEX (index.go), the opening script (ticket.go) and the word
// queue's numberAddScript. The query script (query.go) makes a set that has buckets one key
// (SUNIONSTORE into a temporary key) before it intersects it. A set written before
// 2026-12-07 as one key past numberSpan members (a hash table) is read the same way, as the
// union of its key and buckets; numbers added to it since go to its buckets.

// numberSpan is how many consecutive ticket numbers share a bucket, and the size at which a
// number set's own key stops growing: Redis's default set-max-intset-entries.
const numberSpan = 512

// luaNumberSet is the Lua of the scripts that write number sets. nadd puts number id in the
// set (key set, its bucket for id bucket) unless it is there; nrem takes it out of both.
var luaNumberSet = `
local function nadd(set, bucket, id)
  if redis.call('SISMEMBER', bucket, id) == 1 then
    return
  end
  if redis.call('SCARD', set) < ` + strconv.Itoa(numberSpan) + ` then
    redis.call('SADD', set, id)
  elseif redis.call('SISMEMBER', set, id) == 0 then
    redis.call('SADD', bucket, id)
  end
end

local function nrem(set, bucket, id)
  redis.call('SREM', set, id)
  redis.call('SREM', bucket, id)
end
`

// numberAddScript adds numbers to number sets. KEYS: the sets and their buckets (declared for
// Cluster); ARGV: triples of a set, its bucket for the number, and the number.
var numberAddScript = redis.NewScript(luaNumberSet + `
for i = 1, #ARGV, 3 do
  nadd(ARGV[i], ARGV[i + 1], ARGV[i + 2])
end
return 1
`)

// bucketBase is the part of every bucket key before its number.
func (k keys) bucketBase() string { return k.ixp() + "nb:" }

// bucket is the key of number set set's bucket for ticket number id.
func (k keys) bucket(set string, id int64) string {
	return k.bucketBase() + strconv.FormatInt(id/numberSpan, 10) + ":" + strings.TrimPrefix(set, k.ixp())
}

// numberAdd is the apply scripts' command that adds number id to the number set set.
func (s *Store) numberAdd(set string, id int64) []any {
	return []any{"TD.NADD", set, s.keys.bucket(set, id), strconv.FormatInt(id, 10)}
}

// numberRemove is the apply scripts' command that takes number id out of the number set set.
func (s *Store) numberRemove(set string, id int64) []any {
	return []any{"TD.NREM", set, s.keys.bucket(set, id), strconv.FormatInt(id, 10)}
}

// addNumbers queues on p the script that adds each set's numbers (decimal strings, as the
// word queue holds them) to it, and returns how many commands it queued (0 or 1).
func (s *Store) addNumbers(ctx context.Context, p redis.Pipeliner, sets []string, ids [][]string) int {
	var args []any
	keys := slices.Clone(sets) // and the buckets: every key declared (Cluster migrations)
	declared := map[string]bool{}
	for i, set := range sets {
		for _, id := range ids[i] {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				continue // not a ticket number: nothing the queue puts here
			}
			b := s.keys.bucket(set, n)
			args = append(args, set, b, id)
			if !declared[b] {
				declared[b] = true
				keys = append(keys, b)
			}
		}
	}
	if len(args) == 0 {
		return 0
	}
	numberAddScript.Eval(ctx, p, keys, args...)
	return 1
}

// Stores before 2026-12-07 kept each number set as one key, a hash table past numberSpan
// members. A store that finds such sets on its server (no <p>nbver yet) splits them in the
// background, once per server under a lease (<p>nbjob, startOnce): every number of an oversized key
// moves to its bucket, a step of about splitBatch numbers at a time (splitScript, atomic), so
// that the set, the union of its key and buckets, is the same at every step and queries and
// writes go on. The emptied key is gone; the next numbers added to the set fill a new one, an
// intset. Measured on 2026-12-07: 200 sets of 5,000 numbers (a million) split in 3.3 s on a
// server holding little else; the SCAN for the sets grows with the server's keys (28 s among
// six million others).

// splitVersion is the value of <p>nbver once a server's number sets are split.
const splitVersion = "1"

// splitBatch is how many numbers one step of the split moves.
const splitBatch = 500

// splitScript moves the numbers of one SSCAN step of a number set's key to their buckets.
// KEYS[1] the set's key; ARGV[1] the scan's cursor, ARGV[2] and ARGV[3] what comes before
// and after the number in the set's bucket keys. Returns {the next cursor, how many moved}.
var splitScript = redis.NewScript(`
local r = redis.call('SSCAN', KEYS[1], ARGV[1], 'COUNT', ` + strconv.Itoa(splitBatch) + `)
local moved = 0
for _, m in ipairs(r[2]) do
  local n = tonumber(m)
  if n and n >= 0 and n == math.floor(n) then
    redis.call('SREM', KEYS[1], m)
    redis.call('SADD', ARGV[2] .. math.floor(n / ` + strconv.Itoa(numberSpan) + `) .. ARGV[3], m)
    moved = moved + 1
  end
end
return {r[1], moved}
`)

// startSplit splits the oversized number sets of older versions in the background, once per
// server (startOnce).
func (s *Store) startSplit(ctx context.Context) (*task, error) {
	return s.startOnce(ctx, "the number sets", s.keys.splitVersion(), splitVersion, s.keys.splitLease(), s.splitAll)
}

// splitAll splits every oversized number set; a process that stops midway leaves the rest to
// the next start.
func (s *Store) splitAll(ctx context.Context) error {
	start := time.Now()
	sets, numbers := 0, 0
	patterns := []string{globEscape(s.keys.word("")) + "*", globEscape(s.keys.index("")) + "*"}
	err := s.scanKeys(ctx, patterns, "set", func(key string) error {
		if key == s.keys.index(wordsPending) {
			return nil // not a number set
		}
		n, err := s.splitSet(ctx, key)
		if n > 0 {
			sets++
			numbers += n
		}
		return err
	})
	if err != nil {
		s.log.Warn("split the search and filter sets an older version wrote; the next start goes on", "sets", sets, "err", err)
		return err
	}
	if sets > 0 {
		s.log.Info("split the search and filter sets an older version wrote into buckets", "sets", sets, "numbers", numbers,
			"took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// splitSet moves every number of number set key's own key to its bucket when the key holds
// more than numberSpan, and returns how many it moved.
func (s *Store) splitSet(ctx context.Context, key string) (int, error) {
	n, err := s.rdb.SCard(ctx, key).Result()
	if err != nil || n <= numberSpan {
		return 0, err
	}
	// The bucket key of number n is base + n/numberSpan + rest (keys.bucket).
	base, rest := s.keys.bucketBase(), ":"+strings.TrimPrefix(key, s.keys.ixp())
	moved, pass := 0, 0
	cursor := "0"
	for {
		res, err := splitScript.Run(ctx, s.rdb, []string{key}, cursor, base, rest).Slice()
		if err != nil {
			return moved, err
		}
		if len(res) != 2 {
			return moved, fmt.Errorf("split %s: unexpected script reply of %d items", key, len(res))
		}
		cursor, _ = res[0].(string)
		n, _ := res[1].(int64)
		moved += int(n)
		pass += int(n)
		if cursor == "0" {
			// A whole pass done: numbers added meanwhile may have come in behind the
			// cursor; another pass finds them, until one moves nothing (what is left, if
			// anything, is not a number).
			if pass == 0 {
				return moved, nil
			}
			pass = 0
		}
	}
}

// scanKeys calls fn with every key of type typ that matches one of the patterns, on every
// master of a Cluster.
func (s *Store) scanKeys(ctx context.Context, patterns []string, typ string, fn func(key string) error) error {
	scan := func(ctx context.Context, c redis.Cmdable) error {
		for _, pattern := range patterns {
			iter := c.ScanType(ctx, 0, pattern, 1000, typ).Iterator()
			for iter.Next(ctx) {
				if err := fn(iter.Val()); err != nil {
					return err
				}
			}
			if err := iter.Err(); err != nil {
				return err
			}
		}
		return nil
	}
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	}
	return scan(ctx, s.rdb)
}

// globEscape escapes what SCAN's MATCH would read as a pattern in s (a prefix may hold them).
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

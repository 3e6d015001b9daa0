package redisstore

import (
	"context"
	"strconv"
	"strings"

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

// numberAddScript adds numbers to number sets. KEYS: the sets (declared for Cluster); ARGV:
// triples of a set, its bucket for the number, and the number.
var numberAddScript = redis.NewScript(luaNumberSet + `
for i = 1, #ARGV, 3 do
  nadd(ARGV[i], ARGV[i + 1], ARGV[i + 2])
end
return 1
`)

// bucketBase is the part of every bucket key before its number.
func (k keys) bucketBase() string { return k.prefix + "nb:" }

// bucket is the key of number set set's bucket for ticket number id.
func (k keys) bucket(set string, id int64) string {
	return k.bucketPrefix(id) + strings.TrimPrefix(set, k.prefix)
}

// bucketPrefix is the part of the bucket keys for ticket number id before the set's key
// (after the prefix).
func (k keys) bucketPrefix(id int64) string {
	return k.bucketBase() + strconv.FormatInt(id/numberSpan, 10) + ":"
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
	for i, set := range sets {
		for _, id := range ids[i] {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				continue // not a ticket number: nothing the queue puts here
			}
			args = append(args, set, s.keys.bucket(set, n), id)
		}
	}
	if len(args) == 0 {
		return 0
	}
	numberAddScript.Eval(ctx, p, sets, args...)
	return 1
}

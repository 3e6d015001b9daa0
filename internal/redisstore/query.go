package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// queryScript answers a queue query from the indexes (index.go) in one atomic step: it
// intersects the filter sets, scores what is left by the order and reads one page.
//
//  1. Each group of the query is one set, or the union of several and of literal ticket
//     numbers (a search word that is a number: the word's set and that ticket), made in a
//     temporary key. The groups are intersected (SINTERSTORE; Redis walks the smallest).
//  2. The status sets, scored by number, give what is left its scores: with no group the
//     page is read from the status set itself (one status) or their union; otherwise the
//     intersection meets each status set (ZINTERSTORE, weights 0 1) and the parts are
//     united. The cost follows the smallest set of the query, not the number of tickets.
//  3. For the orders other than by number, one more intersection takes the scores of the
//     order's sort set.
//  4. ZCARD is the total; ZRANGE or ZREVRANGE the page. The temporary keys are deleted (and
//     expire in a minute should the script fail midway).
//
// KEYS: [1] the intersection, [2] the scored result, [3] the sorted result, [4..3+G] one
// temporary key per group, [4+G..3+G+S] one per status, then the groups' sets in order, the
// S status sets, and the sort set when ARGV[6] is "key". ARGV: [1] offset, [2] count, [3]
// "1" for the highest score first, [4] G, [5] S, [6] "id" or "key", then per group the
// number of its sets, the number of its literal ticket numbers, and those numbers. Returns
// {total, {numbers of the page}}.
var queryScript = redis.NewScript(`
local off, lim, rev = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1'
local G, S = tonumber(ARGV[4]), tonumber(ARGV[5])
local temps = {}
local function made(k)
  temps[#temps + 1] = k
  redis.call('PEXPIRE', k, 60000)
  return k
end
local ki = 4 + G + S
local ai = 7
local sets = {}
for g = 1, G do
  local nk, nl = tonumber(ARGV[ai]), tonumber(ARGV[ai + 1])
  ai = ai + 2
  if nk == 1 and nl == 0 then
    sets[#sets + 1] = KEYS[ki]
  else
    local t = KEYS[3 + g]
    local src = {}
    for j = 0, nk - 1 do
      src[#src + 1] = KEYS[ki + j]
    end
    if nl > 0 then
      redis.call('SADD', t, unpack(ARGV, ai, ai + nl - 1))
      src[#src + 1] = t
    end
    redis.call('SUNIONSTORE', t, unpack(src))
    sets[#sets + 1] = made(t)
  end
  ki = ki + nk
  ai = ai + nl
end
local statuses = {}
for j = 0, S - 1 do
  statuses[#statuses + 1] = KEYS[ki + j]
end
ki = ki + S
local x
if #sets == 1 then
  x = sets[1]
elseif #sets > 1 then
  redis.call('SINTERSTORE', KEYS[1], unpack(sets))
  x = made(KEYS[1])
end
local r
if not x then
  if S == 1 then
    r = statuses[1]
  else
    redis.call('ZUNIONSTORE', KEYS[2], S, unpack(statuses))
    r = made(KEYS[2])
  end
elseif S == 1 then
  redis.call('ZINTERSTORE', KEYS[2], 2, x, statuses[1], 'WEIGHTS', 0, 1)
  r = made(KEYS[2])
else
  local parts = {}
  for j = 1, S do
    local p = KEYS[3 + G + j]
    redis.call('ZINTERSTORE', p, 2, x, statuses[j], 'WEIGHTS', 0, 1)
    parts[#parts + 1] = made(p)
  end
  redis.call('ZUNIONSTORE', KEYS[2], S, unpack(parts))
  r = made(KEYS[2])
end
if ARGV[6] == 'key' then
  redis.call('ZINTERSTORE', KEYS[3], 2, r, KEYS[ki], 'WEIGHTS', 0, 1)
  r = made(KEYS[3])
end
local total = redis.call('ZCARD', r)
local ids
if lim <= 0 then
  ids = {}
elseif rev then
  ids = redis.call('ZREVRANGE', r, off, off + lim - 1)
else
  ids = redis.call('ZRANGE', r, off, off + lim - 1)
end
if #temps > 0 then
  redis.call('DEL', unpack(temps))
end
return {total, ids}
`)

// queryGroup is one set a query intersects: the union of sets and literal ticket numbers.
type queryGroup struct {
	sets []string
	ids  []string
}

// QueryTickets returns one page of the tickets that match q, in q's order, and how many
// match: one script over the indexes, then one read of the page's tickets.
func (s *Store) QueryTickets(ctx context.Context, q desk.TicketQuery) (desk.TicketResult, error) {
	limit := q.Limit
	if limit == 0 {
		limit = 50
	}
	groups := s.queryGroups(q)
	var statuses []desk.Status
	for _, st := range q.Statuses {
		if st.Valid() && !slices.Contains(statuses, st) {
			statuses = append(statuses, st)
		}
	}
	if len(statuses) == 0 {
		statuses = desk.Statuses
	}
	var sortKey string
	rev := true
	switch q.Sort {
	case desk.SortOldest:
		rev = false
	case desk.SortActivity:
		sortKey = s.keys.index("act")
	case desk.SortPriority:
		sortKey = s.keys.index("prio")
	case desk.SortDue:
		sortKey, rev = s.keys.index("due"), false
	}

	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails
	tmp := hex.EncodeToString(b[:])
	keys := []string{s.keys.temp(tmp + ":x"), s.keys.temp(tmp + ":r"), s.keys.temp(tmp + ":s")}
	for i := range len(groups) + len(statuses) {
		keys = append(keys, s.keys.temp(tmp+":"+strconv.Itoa(i)))
	}
	mode := "id"
	if sortKey != "" {
		mode = "key"
	}
	order := "0"
	if rev {
		order = "1"
	}
	args := []any{max(q.Offset, 0), limit, order, len(groups), len(statuses), mode}
	for _, g := range groups {
		keys = append(keys, g.sets...)
		args = append(args, len(g.sets), len(g.ids))
		for _, id := range g.ids {
			args = append(args, id)
		}
	}
	for _, st := range statuses {
		keys = append(keys, s.keys.status(st))
	}
	if sortKey != "" {
		keys = append(keys, sortKey)
	}

	res, err := s.runScript(ctx, queryScript, keys, args...).Slice()
	if err != nil {
		return desk.TicketResult{}, fmt.Errorf("query tickets: %w", err)
	}
	if len(res) != 2 {
		return desk.TicketResult{}, fmt.Errorf("query tickets: unexpected script reply of %d items", len(res))
	}
	total, _ := res[0].(int64)
	members, _ := res[1].([]any)
	ids := make([]desk.TicketID, 0, len(members))
	for _, m := range members {
		if n, err := strconv.ParseInt(fmt.Sprint(m), 10, 64); err == nil {
			ids = append(ids, desk.TicketID(n))
		}
	}
	ts, err := s.TicketsByID(ctx, ids)
	if err != nil {
		return desk.TicketResult{}, fmt.Errorf("query tickets: %w", err)
	}
	return desk.TicketResult{Tickets: ts, Total: int(total)}, nil
}

// queryGroups are the sets q's filters and search words intersect.
func (s *Store) queryGroups(q desk.TicketQuery) []queryGroup {
	var groups []queryGroup
	one := func(name string) { groups = append(groups, queryGroup{sets: []string{s.keys.index(name)}}) }
	if q.Platform != "" {
		one("pf:" + indexValue(q.Platform))
	}
	if q.Priority != "" {
		one("pri:" + indexValue(string(q.Priority)))
	}
	if q.Category != "" {
		one("cat:" + indexValue(q.Category))
	}
	if q.Tag != "" {
		one("tag:" + indexValue(q.Tag))
	}
	switch {
	case q.Assignee == nil:
	case *q.Assignee == "":
		one("unassigned")
	default:
		one("asg:" + indexValue(*q.Assignee))
	}
	if q.OutOfHours {
		one("ooh")
	}
	var seen []string
	for _, w := range splitWords(q.Search) {
		var g queryGroup
		if n := ticketNumber(w); n > 0 {
			g.ids = []string{strconv.FormatInt(n, 10)}
		}
		if ws := searchWords(w); len(ws) == 1 {
			g.sets = []string{s.keys.word(ws[0])}
		}
		key := fmt.Sprint(g)
		if (len(g.sets) > 0 || len(g.ids) > 0) && !slices.Contains(seen, key) {
			seen = append(seen, key)
			groups = append(groups, g)
		}
	}
	return groups
}

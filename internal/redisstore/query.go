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

// queryScript answers a queue query from the indexes (index.go) in one atomic step, choosing
// the cheapest of three ways:
//
//   - without filters, by number: the top offset+count of each status set (scored by number),
//     merged; the total is the sum of their sizes. Costs the page, not the tickets.
//   - without filters, in another order, when the statuses hold at least a quarter of the
//     tickets: the order's sort set is walked a thousand at a time and each ticket kept when a
//     status set has it (ZMSCORE), until the page is full.
//   - otherwise each status set is intersected with the filters' sets and, for another order,
//     the sort set, whose scores the result takes (ZINTERSTORE with weights; Redis walks the
//     smallest input, so the cost follows the most selective filter, not the tickets); the
//     parts are united, ZCARD is the total and ZRANGE the page.
//
// A fourth way serves a search in every status by number (/desk find, the dashboard's search
// without a status filter) when its rarest set holds at least one ticket in 50: the numbers
// are walked from the newest (or oldest) and each kept when every group's set has it, until
// the page is full; the total is SINTERCARD of the groups' sets (every ticket is in one
// status). A word most tickets have then costs the page, not the tens of thousands of
// tickets an intersection would copy. A walk that meets too few matches (the words seldom
// come together) within 20,000 numbers, or a server without SINTERCARD, falls back to the
// intersections. Its total may stop at TicketQuery.CountTo (SINTERCARD's LIMIT). A query for
// the total alone (Limit < 0) counts the intersections with
// ZINTERCARD instead of making them, where the server has it.
//
// A group of the query is one set, or the union of several and of literal ticket numbers (a
// search word that is a number: the word's set and that ticket), made in a temporary key
// first. The filter and word sets are number sets (numberset.go): one with buckets is made
// one key first (SUNIONSTORE of its key and its buckets up to the query's highest number),
// as are the priorities' sets the order by priority and the normal priority use. The temporary keys are deleted at the end (and expire in a minute should the script
// fail midway).
//
// A period of opening (OpenedFrom, OpenedTo) is read from the openings' facts (fact:created's
// day sets that its days index names for the period, and the single set of older stores;
// scored by time, each member starting with its ticket's number), which cost the period's
// openings, not the desk's tickets. Ticket numbers grow with time, so the period's tickets
// are usually every number from its first to its last: then the query is restricted to that
// number range, which the status sets (scored by number) answer directly
// (ZCOUNT/ZRANGEBYSCORE) when nothing else filters and the order is by number. When the
// numbers have gaps (a ticket opened by the bot's intake later than the ones after it, or
// one solved by the bot and never opened) or another filter or order is asked for, the
// period's numbers are one more group, a set made in KEYS[1], so that the result is exactly
// the tickets the statistics count as opened in the period.
//
// Two orders have no sort set of their own (index.go). The SLA's (ix:due) holds only the
// tickets with a clock; the others follow them by number: without filters the sort set is
// walked, then the status sets' tops without its tickets; with filters each part's tickets
// take the sort set's score or their number times 2^44. The order by priority comes from the
// priorities' filter sets, the normal priority being the tickets in none of them. A query of
// the normal priority leaves out the other priorities' tickets (the excluded sets).
//
// KEYS: [1] the period's set, [2] the union of the parts, [3] a temporary key, [4..3+G] one
// temporary key per group, [4+G..3+G+S] one part per status, then the groups' sets in order,
// the S status sets, the sort set when ARGV[6] is "key", the P priority sets (most urgent
// first, normal left out) and two temporary keys when ARGV[6] is "prio", the E excluded sets,
// and, when ARGV[7] is not empty, the openings' days index and the older stores' set of
// openings, the last two keys (with the day keys' base, keys.factDayBase, and the period's
// first and last day as the last three ARGV). ARGV: [1] offset, [2] count, [3] "1" for
// the highest score first, [4] G, [5] S, [6] "id", "key" or "prio", [7] and [8] the period's
// first and last score of the facts (as ZRANGEBYSCORE takes them; "" without a period), [9]
// "1" when the statuses are all of them, [10] the count at which the total may stop
// (TicketQuery.CountTo, 0 for none), [11] the score from which a sparse sort set's entries
// are read as absent ("" for a sort set of every ticket), [12] P, [13] E, [14] the place of
// the normal priority among the P + 1, [15] the prefix (the filter and word sets are number
// sets, numberset.go: the script reads their buckets by it), then per group
// the number of its sets, the number of its literal ticket numbers, and those numbers.
// Returns {total, {numbers of the page}}.
var queryScript = redis.NewScript(`
local off, lim, rev = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1'
local G, S = tonumber(ARGV[4]), tonumber(ARGV[5])
-- A sparse sort set holds only the tickets scored below cap; the others follow them, by
-- number (ascending orders only).
local sparse, cap = ARGV[11] ~= '', tonumber(ARGV[11])
local temps = {}
local temp = {}
local function made(k)
  if not temp[k] then
    temps[#temps + 1] = k
    temp[k] = true
  end
  redis.call('PEXPIRE', k, 60000)
  return k
end
-- Number sets (numberset.go): the filter and word sets are each the union of their key and
-- their buckets, one per ` + strconv.Itoa(numberSpan) + ` numbers. The query's tickets are in its status sets, so
-- the buckets that matter go up to the one of their highest number (their score).
local root = ARGV[15]
local top = -1
do
  local k, a = 4 + G + S, 16
  for _ = 1, G do
    local nk, nl = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
    k, a = k + nk, a + 2 + nl
  end
  for j = 0, S - 1 do
    local r = redis.call('ZREVRANGE', KEYS[k + j], 0, 0, 'WITHSCORES')
    if #r > 0 then
      top = math.max(top, math.floor(tonumber(r[2]) / ` + strconv.Itoa(numberSpan) + `))
    end
  end
end
-- unite stores in t the union of the keys of list (when t is one of them, it is first).
local function unite(t, list)
  for i = 1, #list, 500 do
    local part = {unpack(list, i, math.min(i + 499, #list))}
    if i > 1 then
      part[#part + 1] = t
    end
    redis.call('SUNIONSTORE', t, unpack(part))
  end
end
-- parts returns number set k's parts: its key, then its buckets that exist (up to top), and
-- the numbers of those buckets as a set.
local partsOf, bucketsOf = {}, {}
local function parts(k)
  local p = partsOf[k]
  if p then
    return p, bucketsOf[k]
  end
  p = {k}
  local bs = {}
  if not temp[k] then
    local rest = string.sub(k, #root + 1)
    for b = 0, top do
      local bk = root .. 'nb:' .. b .. ':' .. rest
      if redis.call('EXISTS', bk) == 1 then
        p[#p + 1] = bk
        bs[b] = bk
      end
    end
  end
  partsOf[k], bucketsOf[k] = p, bs
  return p, bs
end
local function plain(k)
  return #parts(k) == 1
end
local cards = {}
local function vcard(k)
  if cards[k] then
    return cards[k]
  end
  local n = 0
  for _, p in ipairs(parts(k)) do
    n = n + redis.call('SCARD', p)
  end
  cards[k] = n
  return n
end
local function vhas(k, id)
  if redis.call('SISMEMBER', k, id) == 1 then
    return true
  end
  local _, bs = parts(k)
  local bk = bs[math.floor(tonumber(id) / ` + strconv.Itoa(numberSpan) + `)]
  return bk ~= nil and redis.call('SISMEMBER', bk, id) == 1
end
-- ismember marks in t (true at the index) which of the numbers ms at the indexes idx key has.
local function ismember(key, ms, idx, t)
  for c = 1, #idx, 1000 do
    local args = {}
    for x = c, math.min(c + 999, #idx) do
      args[#args + 1] = ms[idx[x]]
    end
    local r = redis.pcall('SMISMEMBER', key, unpack(args))
    if type(r) == 'table' and r.err then
      r = {} -- a server without SMISMEMBER (before 6.2)
      for x = 1, #args do
        r[x] = redis.call('SISMEMBER', key, args[x])
      end
    end
    for j = 1, #r do
      if r[j] == 1 then
        t[idx[c + j - 1]] = true
      end
    end
  end
end
-- within returns which of the numbers ms are in number set k (true at their index): a look
-- in its key, then in their buckets.
local function within(k, ms)
  local hit, all = {}, {}
  for i = 1, #ms do
    all[i] = i
  end
  ismember(k, ms, all, hit)
  local _, bs = parts(k)
  local by = {}
  for i = 1, #ms do
    if not hit[i] then
      local b = math.floor(tonumber(ms[i]) / ` + strconv.Itoa(numberSpan) + `)
      if bs[b] then
        local g = by[b]
        if not g then
          g = {}
          by[b] = g
        end
        g[#g + 1] = i
      end
    end
  end
  for b, idx in pairs(by) do
    ismember(bs[b], ms, idx, hit)
  end
  return hit
end
-- zmembers returns sorted set zkey's members, read once per script unless zkey is temporary
-- (the statuses' sets are read, never written, here).
local zread = {}
local function zmembers(zkey)
  if zread[zkey] then
    return zread[zkey]
  end
  local ms = redis.call('ZRANGE', zkey, 0, -1)
  if not temp[zkey] then
    zread[zkey] = ms
  end
  return ms
end
-- rangestore says whether the server has ZRANGESTORE (nil until asked).
local rangestore = nil
-- ranged puts in a temporary key zkey's tickets (scored by their numbers) of bucket b's
-- numbers, and returns how many and the key; nil on a server without ZRANGESTORE.
local function ranged(zkey, b)
  if rangestore == false then
    return nil
  end
  local c = KEYS[3] .. ':zc'
  local n = redis.pcall('ZRANGESTORE', c, zkey, b * ` + strconv.Itoa(numberSpan) + `, b * ` + strconv.Itoa(numberSpan) + ` + ` + strconv.Itoa(numberSpan) + ` - 1, 'BYSCORE')
  if type(n) == 'table' and n.err then
    rangestore = false
    return nil
  end
  rangestore = true
  if n > 0 then
    made(c)
  end
  return n, c
end
-- few says whether zkey is small enough to look its tickets up in number set k one by one.
local function few(zkey, k)
  return redis.call('ZCARD', zkey) <= 2 * #parts(k)
end
-- rangeFirst says whether to meet k's buckets with zkey's tickets of their numbers (zkey the
-- smaller) rather than walk k part by part (Redis walking each part: k the smaller).
local function rangeFirst(zkey, k)
  return rangestore ~= false and not few(zkey, k) and redis.call('ZCARD', zkey) < vcard(k)
end
-- uniteInto makes dest the union of the temporary sorted sets outs (deleted), at once.
local function uniteInto(dest, outs)
  local acc = KEYS[3] .. ':za'
  for i = 1, #outs, 500 do
    local args = {unpack(outs, i, math.min(i + 499, #outs))}
    if i > 1 then
      args[#args + 1] = acc
    end
    redis.call('ZUNIONSTORE', acc, #args, unpack(args))
  end
  for i = 1, #outs, 500 do
    redis.call('DEL', unpack(outs, i, math.min(i + 499, #outs)))
  end
  if #outs > 0 then
    redis.call('RENAME', acc, dest)
    redis.call('PEXPIRE', dest, 60000)
  else
    redis.call('DEL', dest)
  end
end
-- zinter makes dest (a temporary key, may be zkey) zkey's tickets in number set k, scored
-- wz·(their score) + wx, as ZINTERSTORE dest 2 zkey k WEIGHTS wz wx does, without a copy of
-- k. zkey is scored by ticket number (a status set, or a part made from one). When zkey is
-- the smaller, Redis meets zkey with k's key, then, for each of k's buckets, zkey's tickets
-- of that bucket's numbers (ZRANGESTORE) with the bucket; when k is, Redis walks k part by
-- part; either way the results are united once. A zkey of a few tickets is looked up ticket
-- by ticket instead (from Lua, grouped by bucket), as is a much smaller zkey on a server
-- without ZRANGESTORE.
local function zinter(dest, zkey, k, wz, wx)
  if plain(k) then
    redis.call('ZINTERSTORE', dest, 2, zkey, k, 'WEIGHTS', wz, wx)
    return
  end
  local _, bs = parts(k)
  if rangeFirst(zkey, k) then
    local outs = {}
    local one = KEYS[3] .. ':zp0'
    if redis.call('ZINTERSTORE', one, 2, zkey, k, 'WEIGHTS', wz, wx) > 0 then
      outs[#outs + 1] = made(one)
    end
    local whole = true
    for b, bk in pairs(bs) do
      local n, c = ranged(zkey, b)
      if n == nil then
        whole = false
        break
      end
      if n > 0 then
        local o = KEYS[3] .. ':zp' .. b + 1
        if redis.call('ZINTERSTORE', o, 2, c, bk, 'WEIGHTS', wz, wx) > 0 then
          outs[#outs + 1] = made(o)
        end
      end
    end
    if whole then
      uniteInto(dest, outs)
      return
    end
    for _, o in ipairs(outs) do
      redis.call('DEL', o)
    end
  end
  if few(zkey, k) or rangestore == false and redis.call('ZCARD', zkey) * 4 < vcard(k) + 50 * #parts(k) then
    local ms = zmembers(zkey)
    local hit = within(k, ms)
    local found = KEYS[3] .. ':zf'
    redis.call('DEL', found)
    local args = {}
    for i = 1, #ms do
      if hit[i] then
        args[#args + 1] = ms[i]
        if #args == 1000 then
          redis.call('SADD', found, unpack(args))
          args = {}
        end
      end
    end
    if #args > 0 then
      redis.call('SADD', found, unpack(args))
    end
    made(found)
    redis.call('ZINTERSTORE', dest, 2, zkey, found, 'WEIGHTS', wz, wx)
    redis.call('DEL', found)
    return
  end
  local outs = {}
  for i, p in ipairs(parts(k)) do
    local one = KEYS[3] .. ':zp' .. i
    if redis.call('ZINTERSTORE', one, 2, zkey, p, 'WEIGHTS', wz, wx) > 0 then
      outs[#outs + 1] = made(one)
    end
  end
  uniteInto(dest, outs)
end
-- zintercard is the number of zkey's tickets in number set k: each part of k counted with
-- zkey (ZINTERCARD walks the smaller, at most the part's 512), or, for a zkey of a few
-- tickets, each looked up; nil on a server without ZINTERCARD. (Meeting the buckets with
-- zkey's tickets of their numbers, as zinter may, takes two commands a bucket, not one.)
local function zintercard(zkey, k)
  if plain(k) or not few(zkey, k) then
    local n = 0
    for _, p in ipairs(parts(k)) do
      local c = redis.pcall('ZINTERCARD', 2, zkey, p)
      if type(c) == 'table' and c.err then
        return nil
      end
      n = n + c
    end
    return n
  end
  local n = 0
  for _ in pairs(within(k, zmembers(zkey))) do
    n = n + 1
  end
  return n
end
-- intercard2 is the number of tickets in both number sets a and b (nil on a server without
-- SINTERCARD): a's own key's numbers looked up in b, and each of a's buckets met with b's key
-- and b's bucket of the same numbers (other buckets hold other numbers).
local function intercard2(a, b)
  local ms = redis.call('SMEMBERS', a)
  local n = 0
  for _ in pairs(within(b, ms)) do
    n = n + 1
  end
  local _, ba = parts(a)
  local _, bb = parts(b)
  for bn, ak in pairs(ba) do
    local c = redis.pcall('SINTERCARD', 2, ak, b)
    if type(c) == 'table' and c.err then
      return nil
    end
    n = n + c
    if bb[bn] then
      n = n + redis.call('SINTERCARD', 2, ak, bb[bn])
    end
  end
  return n
end
-- members returns number set k's numbers.
local function members(k)
  local out = {}
  for _, p in ipairs(parts(k)) do
    for _, m in ipairs(redis.call('SMEMBERS', p)) do
      out[#out + 1] = m
    end
  end
  return out
end
local ki = 4 + G + S
local ai = 16
local sets = {}
for g = 1, G do
  local nk, nl = tonumber(ARGV[ai]), tonumber(ARGV[ai + 1])
  ai = ai + 2
  local t = KEYS[3 + g]
  if nk == 1 and nl == 0 then
    sets[#sets + 1] = KEYS[ki]
  else
    local src = {}
    if nl > 0 then
      redis.call('SADD', t, unpack(ARGV, ai, ai + nl - 1))
      src[1] = t
    end
    for j = 0, nk - 1 do
      for _, p in ipairs(parts(KEYS[ki + j])) do
        src[#src + 1] = p
      end
    end
    unite(t, src)
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
local sortKey, prio, prioTemp = nil, nil, nil
if ARGV[6] == 'key' then
  sortKey = KEYS[ki]
  ki = ki + 1
elseif ARGV[6] == 'prio' then
  -- The order by priority has no sort set: the priorities' filter sets, most urgent first,
  -- give it, the tickets in none of them taking place ARGV[14] (the normal priority). A
  -- ticket of the set at place r scores (ARGV[14] - r)·2^33 - number, one in none -number.
  -- Two temporary keys follow the sets.
  prio = {}
  for i = 1, tonumber(ARGV[12]) do
    prio[i] = KEYS[ki]
    ki = ki + 1
  end
  prioTemp = {KEYS[ki], KEYS[ki + 1]}
  ki = ki + 2
end
local rest = tonumber(ARGV[14])
local function prioWeight(i)
  local r = i
  if i >= rest then
    r = i + 1
  end
  return (rest - r) * ` + strconv.Itoa(rankScale) + `
end
-- The excluded sets: a ticket in any of them is left out (a query of the normal priority
-- leaves out the other priorities' tickets). They are disjoint.
local excl = {}
for i = 1, tonumber(ARGV[13]) do
  excl[i] = KEYS[ki]
  ki = ki + 1
end
-- drop is above every score a part has before it is ordered: the excluded tickets go with it.
local drop = '1152921504606846976'
local function unfiltered()
  return #sets == 0 and #excl == 0
end
-- exclude takes the tickets of the sets of list (the excluded sets, or the priorities') out of
-- a sorted set, with c a temporary key.
local function exclude(key, c, list)
  if #list == 0 then
    return
  end
  for _, e in ipairs(list) do
    zinter(c, key, e, 0, 1)
    redis.call('ZUNIONSTORE', key, 2, key, c, 'WEIGHTS', 1, drop, 'AGGREGATE', 'MAX')
  end
  redis.call('ZREMRANGEBYSCORE', key, drop, '+inf')
end
local want = off + lim
-- The period: the numbers of the tickets opened in it, as a number range (lo, hi) when they
-- are all of one, else as a set.
local lo, hi = nil, nil
-- ranged says the status sets were cut to the period's range (cut): the filters' sets are
-- not, so a count of theirs is not the period's.
local ranged = false
-- cut puts each status set cut to the range in its part's key, for the intersections to walk.
local function cut()
  ranged = true
  for j = 1, S do
    local part = KEYS[3 + G + j]
    local r = redis.pcall('ZRANGESTORE', part, statuses[j], lo, hi, 'BYSCORE')
    if type(r) == 'table' and r.err then
      -- A server without ZRANGESTORE (miniredis): the same, read and written.
      local m = redis.call('ZRANGEBYSCORE', statuses[j], lo, hi, 'WITHSCORES')
      for i = 1, #m, 1000 do
        local zargs = {}
        for k = i, math.min(i + 999, #m), 2 do
          zargs[#zargs + 1] = m[k + 1]
          zargs[#zargs + 1] = m[k]
        end
        redis.call('ZADD', part, unpack(zargs))
      end
    end
    statuses[j] = made(part)
  end
  lo, hi = nil, nil
end
if ARGV[7] ~= '' then
  local seen, nums = {}, {}
  -- The openings: the older stores' set's, then those of each of the period's days that has
  -- any (the days index names them; the last three ARGV are the day keys' base and the days).
  local na = #ARGV
  local openings = redis.call('ZRANGEBYSCORE', KEYS[ki + 1], ARGV[7], ARGV[8])
  for _, d in ipairs(redis.call('ZRANGEBYSCORE', KEYS[ki], ARGV[na - 1], ARGV[na])) do
    for _, m in ipairs(redis.call('ZRANGEBYSCORE', ARGV[na - 2] .. d, ARGV[7], ARGV[8])) do
      openings[#openings + 1] = m
    end
  end
  for _, m in ipairs(openings) do
    local id = tonumber(string.match(m, '^(%d+)|'))
    if id and not seen[id] then
      seen[id] = true
      nums[#nums + 1] = id
      if not lo or id < lo then
        lo = id
      end
      if not hi or id > hi then
        hi = id
      end
    end
  end
  if #nums == 0 then
    for i = 1, #temps, 500 do
      redis.call('DEL', unpack(temps, i, math.min(i + 499, #temps)))
    end
    return {0, {}}
  end
  if hi - lo + 1 ~= #nums then
    for i = 1, #nums, 1000 do
      redis.call('SADD', KEYS[1], unpack(nums, i, math.min(i + 999, #nums)))
    end
    sets[#sets + 1] = made(KEYS[1])
    lo, hi = nil, nil
  elseif #sets > 0 then
    cut()
  end
end
local function range(key, from, to, scores)
  local cmd = 'ZRANGE'
  if rev then
    cmd = 'ZREVRANGE'
  end
  if scores then
    return redis.call(cmd, key, from, to, 'WITHSCORES')
  end
  return redis.call(cmd, key, from, to)
end
local total, ids = 0, {}
-- collect goes through r, tickets of the sort set in its order, counting from found those a
-- status set has (within the period's range, if any) and keeping the page's; it returns the
-- new count.
local function collect(r, found)
  local hit = {}
  for _, st in ipairs(statuses) do
    local sc = redis.call('ZMSCORE', st, unpack(r))
    for i = 1, #r do
      if sc[i] and (not lo or (tonumber(sc[i]) >= lo and tonumber(sc[i]) <= hi)) then
        hit[i] = true
      end
    end
  end
  for i = 1, #r do
    if hit[i] then
      found = found + 1
      if found > off and found <= want then
        ids[#ids + 1] = r[i]
      end
    end
  end
  return found
end
if unfiltered() then
  for _, st in ipairs(statuses) do
    if lo then
      total = total + redis.call('ZCOUNT', st, lo, hi)
    else
      total = total + redis.call('ZCARD', st)
    end
  end
end
-- intersect: each status set (cut to the period's range) meets the filters' sets (and the
-- sort set, whose scores it takes; else the status's, the number): Redis walks the smallest
-- of each intersection.
local function intersect()
  if lo then
    cut()
  end
  -- The plain sets go in the intersections; the number sets with buckets (virt) cut each
  -- status's tickets by zinter, the smallest first.
  local flats, virt, plainExcl = {}, {}, true
  for _, k in ipairs(sets) do
    if plain(k) then
      flats[#flats + 1] = k
    else
      virt[#virt + 1] = k
    end
  end
  table.sort(virt, function(a, b) return vcard(a) < vcard(b) end)
  for _, e in ipairs(excl) do
    plainExcl = plainExcl and plain(e)
  end
  -- Only the total: each status's part counted, not made (the statuses are disjoint), where
  -- the server has ZINTERCARD: its intersection with the plain sets less its intersections
  -- with each excluded set (disjoint too); or its tickets in the one number set with buckets;
  -- or its tickets less those in each excluded set, when those have buckets.
  local function counted(st)
    if #virt == 0 and plainExcl then
      local c = redis.pcall('ZINTERCARD', 1 + #sets, st, unpack(sets))
      if type(c) == 'table' and c.err then
        return nil
      end
      for _, e in ipairs(excl) do
        c = c - redis.call('ZINTERCARD', 2 + #sets, st, e, unpack(sets))
      end
      return c
    elseif #flats == 0 and #virt == 1 and #excl == 0 then
      return zintercard(st, virt[1])
    elseif #flats == 0 and #virt == 0 then
      local c = redis.call('ZCARD', st)
      for _, e in ipairs(excl) do
        local x = zintercard(st, e)
        c = x and c and c - x
      end
      return c
    end
    return nil
  end
  if lim <= 0 and not unfiltered() then
    local sum = 0
    for j = 1, S do
      local c = counted(statuses[j])
      if not c then
        sum = nil
        break
      end
      sum = sum + c
    end
    if sum then
      total = sum
      return
    end
  end
  local outs = {}
  for j = 1, S do
    -- The part keeps the tickets' numbers as scores (zinter needs them) until the sort set's
    -- are taken, last.
    local part, base = KEYS[3 + G + j], statuses[j]
    if #flats > 0 then
      local args = {part, 1 + #flats, base}
      local weights = {'WEIGHTS', 1}
      for _, k in ipairs(flats) do
        args[#args + 1] = k
        weights[#weights + 1] = 0
      end
      for _, w in ipairs(weights) do
        args[#args + 1] = w
      end
      redis.call('ZINTERSTORE', unpack(args))
      base = part
    end
    for _, k in ipairs(virt) do
      zinter(part, base, k, 1, 0)
      base = part
    end
    if base ~= part then
      redis.call('ZUNIONSTORE', part, 1, base) -- no set, only excluded ones
    end
    exclude(part, made(KEYS[3]), excl)
    if prio then
      -- The part's tickets (scored by number) scored as the order wants: each priority's
      -- its weight, then every one minus its number.
      local part, a, acc = KEYS[3 + G + j], made(prioTemp[1]), made(prioTemp[2])
      redis.call('DEL', acc)
      for i, k in ipairs(prio) do
        zinter(a, part, k, 0, prioWeight(i))
        redis.call('ZUNIONSTORE', acc, 2, acc, a)
      end
      redis.call('ZUNIONSTORE', part, 2, part, acc, 'WEIGHTS', -1, 1)
    end
    if sortKey and not sparse then
      redis.call('ZINTERSTORE', part, 2, part, sortKey, 'WEIGHTS', 0, 1)
    end
    if sortKey and sparse then
      -- The part's tickets in the sort set take its score; the others their number times
      -- cap, which puts them after every score below cap, by number.
      local part, a = KEYS[3 + G + j], made(KEYS[3])
      redis.call('ZINTERSTORE', a, 2, part, sortKey, 'WEIGHTS', 0, 1)
      redis.call('ZREMRANGEBYSCORE', a, cap, '+inf')
      redis.call('ZUNIONSTORE', part, 2, part, a, 'WEIGHTS', cap, 1, 'AGGREGATE', 'MIN')
    end
    outs[#outs + 1] = made(KEYS[3 + G + j])
  end
  local r = outs[1]
  if S > 1 then
    redis.call('ZUNIONSTORE', KEYS[2], S, unpack(outs))
    r = made(KEYS[2])
  end
  total = redis.call('ZCARD', r)
  if lim > 0 then
    ids = range(r, off, want - 1, false)
  end
end
-- walk: the search by number in every status, numbers walked from the newest (or oldest);
-- false when it does not pay or cannot be done here, and the intersections are to be made.
local function walk()
  if sortKey or prio or lo or ranged or #sets == 0 or #excl > 0 or lim <= 0 or ARGV[9] ~= '1' then
    return false
  end
  local first, last = nil, nil
  for _, st in ipairs(statuses) do
    local top = redis.call('ZREVRANGE', st, 0, 0, 'WITHSCORES')
    local bottom = redis.call('ZRANGE', st, 0, 0, 'WITHSCORES')
    if #top > 0 then
      local t, b = tonumber(top[2]), tonumber(bottom[2])
      if not last or t > last then
        last = t
      end
      if not first or b < first then
        first = b
      end
    end
  end
  if not last then
    return false
  end
  local rarest, small = nil, nil
  for _, k in ipairs(sets) do
    local n = vcard(k)
    if not rarest or n < rarest then
      rarest, small = n, k
    end
  end
  if rarest * 50 < last - first + 1 then
    return false
  end
  local n
  local flat = true
  for _, k in ipairs(sets) do
    flat = flat and plain(k)
  end
  local two = not flat and #sets == 2 and intercard2(small, sets[1] == small and sets[2] or sets[1])
  if #sets == 1 then
    n = vcard(sets[1])
  elseif two then
    n = two
  elseif not flat then
    -- The rarest set's numbers, each looked for in the others.
    local ms = members(small)
    local keep = {}
    for i = 1, #ms do
      keep[i] = true
    end
    for _, k in ipairs(sets) do
      if k ~= small then
        local hit = within(k, ms)
        for i = 1, #ms do
          keep[i] = keep[i] and hit[i]
        end
      end
    end
    n = 0
    for i = 1, #ms do
      if keep[i] then
        n = n + 1
      end
    end
  else
    local args = {#sets, unpack(sets)}
    if ARGV[10] ~= '0' then
      args[#args + 1] = 'LIMIT'
      args[#args + 1] = ARGV[10]
    end
    n = redis.pcall('SINTERCARD', unpack(args))
    if type(n) == 'table' and n.err then
      return false -- a server without SINTERCARD (miniredis, Redis before 7)
    end
  end
  local found, page = 0, {}
  local id, step, stop = last, -1, first
  if not rev then
    id, step, stop = first, 1, last
  end
  local checked = 0
  while found < want and checked < 20000 and (id - stop) * step <= 0 do
    local hit = true
    for _, k in ipairs(sets) do
      if not vhas(k, id) then
        hit = false
        break
      end
    end
    if hit then
      found = found + 1
      if found > off then
        page[#page + 1] = tostring(id)
      end
    end
    id = id + step
    checked = checked + 1
  end
  if found < want and found < n then
    return false -- stopped at the cap before the page was full
  end
  total, ids = n, page
  return true
end
if unfiltered() and not sortKey and not prio then
  -- By number without filters: the top of each status set (within the period's numbers),
  -- merged.
  local all = {}
  if lim > 0 then
    for _, st in ipairs(statuses) do
      local r
      if lo and rev then
        r = redis.call('ZREVRANGEBYSCORE', st, hi, lo, 'WITHSCORES', 'LIMIT', 0, want)
      elseif lo then
        r = redis.call('ZRANGEBYSCORE', st, lo, hi, 'WITHSCORES', 'LIMIT', 0, want)
      else
        r = range(st, 0, want - 1, true)
      end
      for i = 1, #r, 2 do
        all[#all + 1] = {tonumber(r[i + 1]), r[i]}
      end
    end
  end
  table.sort(all, function(a, b)
    if rev then
      return a[1] > b[1]
    end
    return a[1] < b[1]
  end)
  for i = off + 1, math.min(want, #all) do
    ids[#ids + 1] = all[i][2]
  end
elseif unfiltered() and sparse then
  -- A sparse order without filters: the sort set walked in order, each ticket kept when a
  -- status set has it (and in the period's range), until the page is full; then, when the
  -- sort set ran out, the rest by number: the top of each status set without the tickets
  -- of the sort set, merged.
  local pos, found, done = 0, 0, false
  while found < want and lim > 0 and not done do
    local r = redis.call('ZRANGEBYSCORE', sortKey, '-inf', '(' .. ARGV[11], 'LIMIT', pos, 1000)
    pos = pos + 1000
    done = #r < 1000
    if #r > 0 then
      found = collect(r, found)
    end
  end
  if found < want and lim > 0 then
    -- found is every ticket of the sort set in the statuses: the rest start after it. The
    -- first want of each status hold the rest's first want - found whatever the sort set
    -- takes from them.
    local all = {}
    for _, st in ipairs(statuses) do
      local r
      if lo then
        r = redis.call('ZRANGEBYSCORE', st, lo, hi, 'WITHSCORES', 'LIMIT', 0, want)
      else
        r = redis.call('ZRANGE', st, 0, want - 1, 'WITHSCORES')
      end
      for i = 1, #r, 2000 do
        local m = {}
        for k = i, math.min(i + 1999, #r), 2 do
          m[#m + 1] = r[k]
        end
        local sc = redis.call('ZMSCORE', sortKey, unpack(m))
        for k = 1, #m do
          if not sc[k] or tonumber(sc[k]) >= cap then
            all[#all + 1] = {tonumber(r[i + 2 * k - 1]), m[k]}
          end
        end
      end
    end
    table.sort(all, function(a, b) return a[1] < b[1] end)
    for i = math.max(off - found, 0) + 1, math.min(want - found, #all) do
      ids[#ids + 1] = all[i][2]
    end
  end
elseif unfiltered() and prio then
  -- The order by priority without filters: each priority's tickets in the statuses (cut to
  -- the period's range), most urgent first, by number within. Past the first page, a place
  -- wholly before the page is only counted; on the first page nothing is counted. The tickets in none of the sets (the rest, at their place) are the
  -- statuses' tickets less the others.
  if lo then
    cut()
  end
  local counts = {}
  local function count(i)
    if not counts[i] then
      local c = 0
      for _, st in ipairs(statuses) do
        local n = zintercard(st, prio[i])
        if not n then
          zinter(made(prioTemp[1]), st, prio[i], 1, 0) -- a server without ZINTERCARD
          n = redis.call('ZCARD', prioTemp[1])
        end
        c = c + n
      end
      counts[i] = c
    end
    return counts[i]
  end
  local skip = off
  for r = 1, #prio + 1 do
    if lim <= 0 or #ids >= lim then
      break
    end
    local i = r
    if r > rest then
      i = r - 1
    end
    local c = nil
    if skip > 0 then
      if r == rest then
        c = total
        for j = 1, #prio do
          c = c - count(j)
        end
      else
        c = count(i)
      end
    end
    if c and skip >= c then
      skip = skip - c
    else
      -- The place's tickets of every status, scored by number (the statuses may be the
      -- parts' keys here, cut to the period: temporary keys gather them).
      local a, acc = made(prioTemp[1]), made(prioTemp[2])
      redis.call('DEL', acc)
      for _, st in ipairs(statuses) do
        if r == rest then
          redis.call('ZUNIONSTORE', a, 1, st)
          exclude(a, made(KEYS[3]), prio)
        else
          zinter(a, st, prio[i], 1, 0)
        end
        redis.call('ZUNIONSTORE', acc, 2, acc, a)
      end
      for _, id in ipairs(redis.call('ZRANGE', acc, skip, skip + lim - #ids - 1)) do
        ids[#ids + 1] = id
      end
      skip = 0
    end
  end
elseif unfiltered() and total * 4 >= redis.call('ZCARD', sortKey) then
  -- Another order without filters, over at least a quarter of the tickets: walk the sort set
  -- and keep the tickets in the statuses (and the period's range), until the page is full.
  local n, pos, found = redis.call('ZCARD', sortKey), 0, 0
  while found < want and pos < n and lim > 0 do
    local r = range(sortKey, pos, pos + 999, false)
    pos = pos + 1000
    found = collect(r, found)
  end
elseif not walk() then
  intersect()
end
for i = 1, #temps, 500 do
  redis.call('DEL', unpack(temps, i, math.min(i + 499, #temps)))
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
	if q.Search != "" {
		// The words this process wrote a moment ago may still wait for their batch.
		if err := s.flushWords(ctx); err != nil {
			return desk.TicketResult{}, fmt.Errorf("query tickets: %w", err)
		}
	}
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
	var prio []string
	rest := 0 // the place of the normal priority in the order by priority
	rev := true
	switch q.Sort {
	case desk.SortOldest:
		rev = false
	case desk.SortActivity:
		sortKey = s.keys.index("act")
	case desk.SortPriority:
		// No sort set: the priorities' filter sets, most urgent first, and the place of the
		// normal priority, which has none (queryScript).
		prio, rest = s.prioritySets()
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
	switch {
	case sortKey != "":
		mode = "key"
	case len(prio) > 0:
		mode = "prio"
	}
	order := "0"
	if rev {
		order = "1"
	}
	pmin, pmax := "", ""
	dmin, dmax := "-inf", "+inf" // the period's first and last day (factDayOf)
	if !q.OpenedFrom.IsZero() || !q.OpenedTo.IsZero() {
		pmin, pmax = "-inf", "+inf"
		if !q.OpenedFrom.IsZero() {
			pmin = strconv.FormatInt(q.OpenedFrom.UnixMilli(), 10)
			dmin = strconv.FormatInt(factDayOf(q.OpenedFrom.UnixMilli()), 10)
		}
		if !q.OpenedTo.IsZero() {
			pmax = "(" + strconv.FormatInt(q.OpenedTo.UnixMilli(), 10)
			dmax = strconv.FormatInt(factDayOf(q.OpenedTo.UnixMilli()-1), 10) // OpenedTo is exclusive
		}
	}
	every := "0"
	if len(statuses) == len(desk.Statuses) {
		every = "1"
	}
	sparse := ""
	if q.Sort == desk.SortDue {
		sparse = strconv.FormatInt(noDue, 10) // ix:due holds only the tickets with a clock (index.go)
	}
	excl := s.excluded(q)
	args := []any{max(q.Offset, 0), limit, order, len(groups), len(statuses), mode, pmin, pmax, every, max(q.CountTo, 0), sparse, len(prio), len(excl), rest, s.keys.ixp()}
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
	if len(prio) > 0 {
		keys = append(keys, prio...)
		keys = append(keys, s.keys.temp(tmp+":p"), s.keys.temp(tmp+":q"))
	}
	keys = append(keys, excl...)
	if pmin != "" {
		keys = append(keys, s.keys.factDays(desk.FactCreated), s.keys.fact(desk.FactCreated))
		args = append(args, s.keys.factDayBase(desk.FactCreated), dmin, dmax)
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

// excluded are the sets whose tickets q leaves out: for the normal priority, which has no set
// (index.go), the other priorities' sets.
func (s *Store) excluded(q desk.TicketQuery) []string {
	if q.Priority != desk.PriorityNormal {
		return nil
	}
	sets, _ := s.prioritySets()
	return sets
}

// prioritySets are the filter sets of the priorities other than normal, most urgent first,
// and the place (from 1) of the normal priority, which has no set, among all of them.
func (s *Store) prioritySets() (sets []string, normal int) {
	for i := len(desk.Priorities) - 1; i >= 0; i-- {
		if desk.Priorities[i] == desk.PriorityNormal {
			normal = len(desk.Priorities) - i
			continue
		}
		sets = append(sets, s.keys.index("pri:"+string(desk.Priorities[i])))
	}
	return sets, normal
}

// queryGroups are the sets q's filters and search words intersect.
func (s *Store) queryGroups(q desk.TicketQuery) []queryGroup {
	var groups []queryGroup
	one := func(name string) { groups = append(groups, queryGroup{sets: []string{s.keys.index(name)}}) }
	if q.Platform != "" {
		one("pf:" + indexValue(q.Platform))
	}
	if q.Priority != "" && q.Priority != desk.PriorityNormal {
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

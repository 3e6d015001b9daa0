package redisstore

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// The queue's indexes (QueryTickets, query.go) are kept in the same atomic step that saves a
// ticket, so they never disagree with the tickets:
//
//   - filter sets (<p>ix:pf:…, pri:…, cat:…, tag:…, asg:…, unassigned, ooh): the numbers of the
//     tickets with that value. Saving a ticket again takes it out of the ones whose value it
//     no longer has: the save first reads which sets the ticket is in (the apply scripts'
//     TD.UNINDEX), the one part of a save that needs to read. The script derives them from the
//     hash's fields (platform, priority, category, tags, assignee, out of hours) as
//     ticketIndex does; when it could not derive them exactly (a value with letters beyond
//     ASCII, which Lua does not lower-case as Go does, a line break, a value split in pieces,
//     a tag JSON escapes), the hash lists them in field fIndexes (the keys after the prefix,
//     one a line), as every hash did before 2026-12-07 (about 60 bytes a ticket).
//   - sort sets (<p>ix:act, due): scored for one order of the queue. Saving a ticket moves
//     its score; the status sets (<p>st:…, scored by number) are another order. ix:act holds
//     every ticket; ix:due only the tickets with an SLA clock running or breached, and the
//     others follow them by number (queryScript): without an SLA every ticket is such a
//     one, and a place in a sorted set costs about 100 bytes. Stores before 2026-12-07 put
//     every ticket in ix:due, the others scored noDue + number: queries read such entries as
//     absent, and a store removes them as it starts. The order by priority has no sort set
//     (older stores' ix:prio is deleted as a store starts): the priority filter sets give
//     it, scored rank·2^33 − number in the query.
//   - word sets (<p>w:<word>, searchWords): the tickets whose subject, customer's name,
//     category, tags, assignee's name or history has that word. They only grow: a ticket
//     keeps the words it ever had (an old subject, an edited message), which a search of
//     its history should find anyway.
//
// The filter and word sets are number sets (numberset.go): past 512 numbers, a set keeps the
// numbers added since in buckets of 512 consecutive numbers, so that no set of ticket numbers
// becomes a hash table of strings.
//
// Tickets saved before the indexes existed are indexed once, in the background, when a store
// starts on a server whose index version (<p>ixver) is older than indexVersion (backfill);
// Reindex does the same on demand.

// indexVersion is the version of the index layout; a store that finds an older one on its
// server rebuilds the indexes in the background as it starts.
const indexVersion = "1"

// fIndexes is the ticket hash's field that lists its filter sets.
const fIndexes = "ix"

// Scores of the sort sets. Ticket numbers stay below 2^33, so that a score made of a
// priority's rank or a time and the number is exact in a float64.
const (
	rankScale = 1 << 33 // the order by priority: rank·2^33 − number: most urgent first, then the oldest
	noDue     = 1 << 44 // due: tickets without a running clock, after every due time (ms)
)

// indexedKinds are the history entries whose text is indexed for search: what people wrote.
var indexedKinds = []string{"customer", "agent", "note", "edit", "intake"}

// scoreOp puts a ticket in a sort set, with score base + coef·number, or takes it out.
type scoreOp struct {
	key        string
	base, coef int64
	remove     bool
}

// ticketIndex returns the filter sets (keys after the prefix), the sort set scores and the
// search words of t.
func (k keys) ticketIndex(t desk.Ticket) (filters []string, sorts []scoreOp, words []string) {
	filters = append(filters, "pf:"+indexValue(t.Platform))
	if p := priorityOf(t); p != desk.PriorityNormal {
		// The normal priority has no set: its tickets are those in no other's (query.go).
		filters = append(filters, "pri:"+string(p))
	}
	if t.Category != "" {
		filters = append(filters, "cat:"+indexValue(t.Category))
	}
	for _, tag := range t.Tags {
		if f := "tag:" + indexValue(tag); tag != "" && !slices.Contains(filters, f) {
			filters = append(filters, f)
		}
	}
	if t.Assignee == "" {
		filters = append(filters, "unassigned")
	} else {
		filters = append(filters, "asg:"+indexValue(t.Assignee))
	}
	if t.OutOfHours {
		filters = append(filters, "ooh")
	}

	var activity int64
	if !t.LastActivityAt.IsZero() {
		activity = t.LastActivityAt.UnixMilli()
	}
	sorts = []scoreOp{
		{key: k.index("act"), base: activity},
		dueScore(k.index("due"), t),
	}

	for _, text := range []string{t.Subject, t.Customer.Name, t.Customer.DisplayName, t.Category, strings.Join(t.Tags, " "), t.AssigneeName} {
		for _, w := range searchWords(text) {
			if !slices.Contains(words, w) {
				words = append(words, w)
			}
		}
	}
	return filters, sorts, words
}

// dueScore is t's place in the SLA's order: a breached clock still running first (by number),
// then the time the next clock breaches; tickets without a running clock are not in the sort
// set and come after them (by number).
func dueScore(key string, t desk.Ticket) scoreOp {
	if c, ok := t.NextBreach(); ok {
		return scoreOp{key: key, base: c.Due.UnixMilli()}
	}
	for _, c := range t.Clocks {
		if c.Breached && !c.Done {
			return scoreOp{key: key, coef: 1}
		}
	}
	return scoreOp{key: key, remove: true}
}

// priorityOf is a ticket's priority, normal when it has none (as the dashboard shows it).
func priorityOf(t desk.Ticket) desk.Priority {
	if t.Priority == "" {
		return desk.PriorityNormal
	}
	return t.Priority
}

// indexValue is a value as a filter set's key names it: lower case (filters ignore case), no
// line breaks (they separate the keys in fIndexes).
func indexValue(v string) string {
	return strings.ToLower(strings.NewReplacer("\n", " ", "\r", " ").Replace(v))
}

// indexList returns the fields that list a ticket's filter sets in its hash (fIndexes, in
// pieces), or none when TD.UNINDEX derives the same sets from the hash's fields, given as
// encodeTicket wrote them.
func indexList(fields []any, filters []string) []any {
	derived := derivedFilters(fields)
	missing := func(in []string) func(string) bool {
		return func(f string) bool { return !slices.Contains(in, f) }
	}
	if len(derived) > 0 && !slices.ContainsFunc(filters, missing(derived)) && !slices.ContainsFunc(derived, missing(filters)) {
		return nil
	}
	return pieces(fIndexes, strings.Join(filters, "\n"))
}

// derivedFilters are the filter sets TD.UNINDEX derives from a hash with these field/value
// pairs (encodeTicket's) when it lists none: what the Lua of luaApply does, step by step, so
// that indexList can tell when it would be wrong. It reads each field's first piece only,
// lower-cases ASCII letters only, and takes the tags from between double quotes.
func derivedFilters(pairs []any) []string {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i].(string)] = pairs[i+1].(string)
	}
	lower := func(v string) string {
		b := []byte(v)
		for i, c := range b {
			if 'A' <= c && c <= 'Z' {
				b[i] = c + 'a' - 'A'
			}
		}
		return string(b)
	}
	pf, ok := m[fPlatform]
	if !ok {
		return nil
	}
	out := []string{"pf:" + lower(pf)}
	if pri, ok := m[fPriority]; ok && pri != string(desk.PriorityNormal) {
		out = append(out, "pri:"+pri)
	}
	if v, ok := m[fCategory]; ok {
		out = append(out, "cat:"+lower(v))
	}
	if v, ok := m[fTags]; ok {
		for _, q := range quoted.FindAllStringSubmatch(v, -1) {
			if q[1] != "" {
				out = append(out, "tag:"+lower(q[1]))
			}
		}
	}
	if v, ok := m[fAssignee]; ok {
		out = append(out, "asg:"+lower(v))
	} else {
		out = append(out, "unassigned")
	}
	if m[fOutOfHours] == "1" {
		out = append(out, "ooh")
	}
	return out
}

// quoted finds what Lua's string.gmatch(v, '"([^"]*)"') finds.
var quoted = regexp.MustCompile(`"([^"]*)"`)

// indexCommands are the commands that index t after its hash is written (fields, as
// encodeTicket wrote them): its filter sets, sort scores and words, and the list of its filter
// sets in its hash (fIndexes) when TD.UNINDEX could not derive it. They follow a TD.UNINDEX of
// the ticket, which takes it out of the filter sets of its previous save.
func (s *Store) indexCommands(t desk.Ticket, fields []any) [][]any {
	filters, sorts, words := s.keys.ticketIndex(t)
	key := s.keys.ticket(t.ID)
	id := strconv.FormatInt(int64(t.ID), 10)
	var cmds [][]any
	if list := indexList(fields, filters); len(list) > 0 {
		cmds = append(cmds, append([]any{"HSET", key}, list...))
	}
	for _, f := range filters {
		cmds = append(cmds, s.numberAdd(s.keys.index(f), int64(t.ID)))
	}
	for _, o := range sorts {
		if o.remove {
			cmds = append(cmds, []any{"ZREM", o.key, id})
			continue
		}
		cmds = append(cmds, []any{"ZADD", o.key, strconv.FormatInt(o.base+o.coef*int64(t.ID), 10), id})
	}
	return append(cmds, s.wordCommands(t.ID, words)...)
}

// wordCommands add a ticket to the sets of words.
func (s *Store) wordCommands(id desk.TicketID, words []string) [][]any {
	cmds := make([][]any, 0, len(words))
	for _, w := range words {
		cmds = append(cmds, s.numberAdd(s.keys.word(w), int64(id)))
	}
	return cmds
}

// historyWords adds to words, each once, the words of a history's entries (entryWords).
func historyWords(words []string, history []desk.Entry) []string {
	for _, e := range history {
		for _, w := range entryWords(e) {
			if !slices.Contains(words, w) {
				words = append(words, w)
			}
		}
	}
	return words
}

// entryWords are the search words of a history entry: those of what people wrote, none of
// status lines and system notices.
func entryWords(e desk.Entry) []string {
	if !slices.Contains(indexedKinds, e.Kind) {
		return nil
	}
	return searchWords(e.Text)
}

// unindex is the TD.UNINDEX command of the apply scripts: it takes a ticket out of the filter
// sets its hash lists and removes the list.
func (s *Store) unindex(id desk.TicketID) []any {
	return []any{"TD.UNINDEX", s.keys.ticket(id), s.keys.index(""), strconv.FormatInt(int64(id), 10),
		s.keys.bucket(s.keys.index(""), int64(id))}
}

// pieces returns a hash field's value as encodeTicket stores it: split into pieces of
// maxValue bytes, "<field>", "<field>~1", …
func pieces(field, v string) []any {
	var out []any
	for i := 0; v != ""; i++ {
		n := min(len(v), maxValue)
		name := field
		if i > 0 {
			name = field + pieceSep + strconv.Itoa(i)
		}
		out = append(out, name, v[:n])
		v = v[n:]
	}
	return out
}

// luaApply is the Lua shared by the scripts that apply changes (apply.go): a loop that runs
// the commands in ARGV from argument i on, each as its number of arguments followed by them.
// Three commands are the scripts' own. TD.UNINDEX <ticket key> <"<p>ix:"> <number> <the
// number's bucket prefix of "<p>ix:"> takes the ticket out of the filter sets its hash lists
// (field fIndexes, in pieces; the list is deleted) or, without a list, of those its fields
// name (derived as derivedFilters does), and out of their buckets (numberset.go). Those sets'
// keys come from the hash, not from KEYS: Redis runs a script on them because they share the
// prefix's hash tag, hence the slot, with the keys given (see keys.go). TD.NADD and TD.NREM
// <set> <its bucket for the number> <number> add a number to a number set and take it out
// (numberAdd, numberRemove). TD.REPLACE <hash> <field> <value>… makes the hash hold those
// fields and no other (a ticket's save). TD.PROGRESS records an outbox record's progress
// (progress, below; desk.PutOutbox's Progress); TD.UNPOINT and TD.HUNPOINT delete a pointer
// that still points at one of the tickets given, or at none (unpoint, below). On Cluster
// (project.go) a command given with a negative number of arguments is on the index slot's
// keys: it is collected, not run (TD.UNINDEX reads the hash and collects the TD.NREMs it would
// run), and flush appends what was collected to the index log that TD.LOG <log> <its sequence
// key> <the mark known> <the floor> names (luaLogFlush). TD.TX <counter hash> <field>
// <command…> is a command on a key of a partition on Cluster (a transcript, a link): the
// counter, if any (a transcript's), is raised and the command collected for the transcript
// log that TD.TXLOG names as TD.LOG does the index log's.
var luaApply = luaNumberSet + `
local function derived(key)
  local f = redis.call('HMGET', key, ` + luaFieldPairs(fPlatform, fPriority, fCategory, fTags, fAssignee, fOutOfHours) + `)
  local function get(i)
    return f[2 * i - 1] or f[2 * i]
  end
  if not get(1) then
    return ''
  end
  local out = {'pf:' .. string.lower(get(1))}
  if get(2) and get(2) ~= '` + string(desk.PriorityNormal) + `' then
    out[#out + 1] = 'pri:' .. get(2)
  end
  if get(3) then
    out[#out + 1] = 'cat:' .. string.lower(get(3))
  end
  if get(4) then
    for tag in string.gmatch(get(4), '"([^"]*)"') do
      if tag ~= '' then
        out[#out + 1] = 'tag:' .. string.lower(tag)
      end
    end
  end
  if get(5) then
    out[#out + 1] = 'asg:' .. string.lower(get(5))
  else
    out[#out + 1] = 'unassigned'
  end
  if get(6) == '1' then
    out[#out + 1] = 'ooh'
  end
  return table.concat(out, '\n')
end

local logged = {} -- the index slot's commands, for the index log (TD.LOG)
local logKeys     -- the log and its sequence number's key, once TD.LOG names them
local txlogged = {} -- the transcripts' commands, for the transcript log (TD.TXLOG)
local txKeys        -- that log and its sequence number's key, once TD.TXLOG names them

local function drop(set, bucket, id, later)
  if later then
    logged[#logged + 1] = {'TD.NREM', set, bucket, id}
  else
    nrem(set, bucket, id)
  end
end

local function unindex(key, prefix, id, bprefix, later)
  local v = redis.call('HGET', key, '` + fIndexes + `')
  if not v then
    v = derived(key)
    for k in string.gmatch(v, '[^\n]+') do
      drop(prefix .. k, bprefix .. k, id, later)
    end
    return
  end
  local fields = {'` + fIndexes + `'}
  local i = 1
  while true do
    local f = '` + fIndexes + pieceSep + `' .. i
    local p = redis.call('HGET', key, f)
    if not p then
      break
    end
    v = v .. p
    fields[#fields + 1] = f
    i = i + 1
  end
  redis.call('HDEL', key, unpack(fields))
  for k in string.gmatch(v, '[^\n]+') do
    drop(prefix .. k, bprefix .. k, id, later)
  end
end

-- progress records how far an outbox record's tasks got (TD.PROGRESS <outbox> <field> <done>
-- <record>), only while the record is there with fewer tasks done: a write that comes late,
-- after another replica finished the record and forgot it, must not bring it back.
local function progress(key, field, done, value)
  local old = redis.call('HGET', key, field)
  if not old then
    return
  end
  local ok, rec = pcall(cjson.decode, old)
  if ok and type(rec) == 'table' and (tonumber(rec['` + outboxDoneField + `']) or 0) >= tonumber(done) then
    return
  end
  redis.call('HSET', key, field, value)
end

-- unpoint deletes a pointer to a ticket (TD.UNPOINT <key> <ticket key prefix> <number>…, a
-- string; TD.HUNPOINT <hash> <field> <ticket key prefix> <number>…, a hash's field) if it
-- points at one of the numbers ARGV[from..to] or at a ticket that is no more: one moved on
-- since it was read, to a ticket opened since, keeps pointing there.
local function unpoint(key, field, tprefix, from, to)
  local v
  if field then
    v = redis.call('HGET', key, field)
  else
    v = redis.call('GET', key)
  end
  if not v then
    return
  end
  local gone = redis.call('EXISTS', tprefix .. v) == 0
  for j = from, to do
    gone = gone or ARGV[j] == v
  end
  if not gone then
    return
  end
  if field then
    redis.call('HDEL', key, field)
  else
    redis.call('DEL', key)
  end
end

-- replace makes hash key hold the field/value pairs ARGV[from..to] and no other field. It
-- sets them first and deletes the others after, so that the key never goes missing in
-- between: on Cluster a key missing from a slot under migration is not the script's, and the
-- next command would fail after the ticket was gone.
local function replace(key, from, to)
  local keep = {}
  for j = from, to, 2 do
    keep[ARGV[j]] = true
  end
  redis.call('HSET', key, unpack(ARGV, from, to))
  local stale = {}
  for _, f in ipairs(redis.call('HKEYS', key)) do
    if not keep[f] then
      stale[#stale + 1] = f
    end
  end
  if #stale > 0 then
    redis.call('HDEL', key, unpack(stale))
  end
end

local function run(i)
  while i <= #ARGV do
    local n = tonumber(ARGV[i])
    local later = n < 0
    if later then
      n = -n
    end
    local cmd = ARGV[i + 1]
    if cmd == 'TD.LOG' then
      logKeys = {unpack(ARGV, i + 2, i + n)}
    elseif cmd == 'TD.TXLOG' then
      txKeys = {unpack(ARGV, i + 2, i + n)}
    elseif cmd == 'TD.TX' then
      if ARGV[i + 2] ~= '' then
        redis.call('HINCRBY', ARGV[i + 2], ARGV[i + 3], 1)
      end
      txlogged[#txlogged + 1] = {unpack(ARGV, i + 4, i + n)}
    elseif cmd == 'TD.REPLACE' then
      replace(ARGV[i + 2], i + 3, i + n)
    elseif cmd == 'TD.UNPOINT' then
      unpoint(ARGV[i + 2], nil, ARGV[i + 3], i + 4, i + n)
    elseif cmd == 'TD.HUNPOINT' then
      unpoint(ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], i + 5, i + n)
    elseif cmd == 'TD.PROGRESS' then
      progress(ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5])
    elseif cmd == 'TD.UNINDEX' then
      unindex(ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], later)
    elseif later then
      logged[#logged + 1] = {unpack(ARGV, i + 1, i + n)}
    elseif cmd == 'TD.NADD' then
      nadd(ARGV[i + 2], ARGV[i + 3], ARGV[i + 4])
    elseif cmd == 'TD.NREM' then
      nrem(ARGV[i + 2], ARGV[i + 3], ARGV[i + 4])
    else
      redis.call(unpack(ARGV, i + 1, i + n))
    end
    i = i + n + 1
  end
end
` + luaLogFlush + `
`

// luaFieldPairs lists each field's name and its legacy name, quoted for Lua, in order.
func luaFieldPairs(fields ...string) string {
	var b []string
	for _, f := range fields {
		b = append(b, "'"+f+"'", "'"+legacyFields[f]+"'")
	}
	return strings.Join(b, ", ")
}

// Reindex rebuilds the indexes of every ticket from its hash and history, a batch of tickets
// per step, and returns how many tickets it indexed. A ticket saved while its batch is read
// may keep the batch's view of it until its next save.
func (s *Store) Reindex(ctx context.Context) (int, error) {
	last, err := s.rdb.Get(ctx, s.keys.seq()).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("reindex: read the ticket counter: %w", err)
	}
	const batch = 200
	done := 0
	for from := int64(1); from <= last; from += batch {
		ids := make([]desk.TicketID, 0, batch)
		for id := from; id < from+batch && id <= last; id++ {
			ids = append(ids, desk.TicketID(id))
		}
		n, err := s.reindexBatch(ctx, ids)
		if err != nil {
			return done, fmt.Errorf("reindex tickets %d to %d: %w", ids[0], ids[len(ids)-1], err)
		}
		done += n
	}
	return done, nil
}

// reindexBatch indexes the tickets with these numbers that exist, in one script.
func (s *Store) reindexBatch(ctx context.Context, ids []desk.TicketID) (int, error) {
	ts, err := s.TicketsByID(ctx, ids)
	if err != nil || len(ts) == 0 {
		return 0, err
	}
	if err := s.drainTranscripts(ctx); err != nil {
		return 0, err
	}
	hist := make([]historyRead, len(ts))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, t := range ts {
			hist[i] = s.readHistory(ctx, p, t.ID)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read histories: %w", err)
	}
	var cmds [][]any
	for i, t := range ts {
		cmds = append(cmds, s.unindex(t.ID))
		cmds = append(cmds, s.indexCommands(t, encodeTicket(t))...)
		cmds = append(cmds, s.statusCommands(t.ID, t.Status)...)
		cmds = append(cmds, s.wordCommands(t.ID, historyWords(nil, s.entries(hist[i])))...)
	}
	if err := s.applyScripted(ctx, cmds); err != nil {
		return 0, err
	}
	return len(ts), nil
}

// startBackfill indexes the tickets saved before the indexes existed, once per server
// (startOnce): a store that finds no index version on a server with tickets rebuilds the
// indexes in the background with Reindex. Until that is done, the queue lists only the
// tickets saved since the upgrade.
func (s *Store) startBackfill(ctx context.Context) (*task, error) {
	return s.startOnce(ctx, "the queue's indexes", s.keys.indexVersion(), indexVersion, s.keys.backfillLease(), func(ctx context.Context) error {
		start := time.Now()
		s.log.Info("indexing the tickets saved before the queue's indexes existed")
		n, err := s.Reindex(ctx)
		if err != nil {
			s.log.Warn("index the tickets saved before the queue's indexes existed", "indexed", n, "err", err)
			return err
		}
		s.log.Info("indexed the tickets saved before the queue's indexes existed", "tickets", n, "took", time.Since(start).Round(time.Millisecond))
		return nil
	})
}

package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// eventField is the stream field holding the JSON-encoded event of a queue entry.
const eventField = "e"

// againField, set to "1", marks an entry read as redelivered even when it is new to the
// group: one moved from an old stream where a process had read it and not finished it
// (moveLegacyQueues), whose deliveries may have been made.
const againField = "r"

// enqueueScript marks an event seen and records it in one step, so that a crash never leaves
// an event marked but not recorded. It returns the shard's length if the event was new, 0 for
// a redelivery.
//
// KEYS[1] dedupe marker, KEYS[2] queue shard; ARGV[1] marker TTL in milliseconds, ARGV[2] the
// JSON-encoded event, ARGV[3] (optional) "1" to mark the entry redelivered (againField).
var enqueueScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return 0
end
if ARGV[3] == '1' then
  redis.call('XADD', KEYS[2], '*', '` + eventField + `', ARGV[2], '` + againField + `', '1')
else
  redis.call('XADD', KEYS[2], '*', '` + eventField + `', ARGV[2])
end
return redis.call('XLEN', KEYS[2])
`)

// Enqueue records ev in the shard's stream unless the same platform and event ID were
// enqueued within Options.DedupeTTL, and returns the shard's length then (0: ev was not new).
// Handled entries are deleted, so the length is the shard's backlog.
func (s *Store) Enqueue(ctx context.Context, shard int, ev desk.Event) (int64, error) {
	return s.enqueue(ctx, shard, ev, false)
}

// enqueue is Enqueue, marking the entry redelivered when again is set (againField).
func (s *Store) enqueue(ctx context.Context, shard int, ev desk.Event, again bool) (int64, error) {
	if ev.Platform == "" || ev.ID == "" {
		return 0, desk.Errorf(desk.EINVALID, "event needs a platform and an ID to be queued")
	}
	if err := s.checkShard(shard); err != nil {
		return 0, err
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return 0, fmt.Errorf("encode event %s/%s: %w", ev.Platform, ev.ID, err)
	}
	flag := ""
	if again {
		flag = "1"
	}
	n, err := s.runDurableScript(ctx, enqueueScript,
		[]string{s.dedupeKey(shard, ev.Platform, ev.ID), s.keys.queue(shard)},
		s.opts.DedupeTTL.Milliseconds(), body, flag).Int64()
	if err != nil {
		return 0, fmt.Errorf("enqueue event %s/%s in shard %d: %w", ev.Platform, ev.ID, shard, err)
	}
	return n, nil
}

// dedupeKey is the dedupe marker of an event recorded in a shard: on Cluster the shard's own
// (keys.dedupe), in the shard's slot with its stream; elsewhere the installation's, the key
// that becomes the event's handled mark (keys.seen), so that the same event is recorded once
// whatever shard it is routed to.
func (s *Store) dedupeKey(shard int, platform, eventID string) string {
	if s.slotsApart() {
		return s.keys.dedupe(shard, platform, eventID)
	}
	return s.keys.seen(platform, eventID)
}

// ShardDepth counts a shard's entries: its events not yet handled.
func (s *Store) ShardDepth(ctx context.Context, shard int) (int64, error) {
	if err := s.checkShard(shard); err != nil {
		return 0, err
	}
	n, err := s.rdb.XLen(ctx, s.keys.queue(shard)).Result()
	if err != nil {
		return 0, fmt.Errorf("measure queue shard %d: %w", shard, err)
	}
	return n, nil
}

// ReadQueue reads up to count entries of a shard as Options.Consumer. With after set it returns
// the entries this consumer read before and never acknowledged whose ID comes after it ("0":
// from the oldest), marked Redelivered; it never blocks. Otherwise it returns new entries,
// waiting up to block for some when block > 0, as long as the shard's lease is this
// consumer's or nobody's (readNewScript); once another's, it fails as unavailable. count <= 0
// means no limit.
//
// An entry whose body does not decode comes back with a zero Event for the caller to discard
// and acknowledge. Pending entries whose body was deleted are acknowledged here and skipped.
func (s *Store) ReadQueue(ctx context.Context, shard int, after string, count int, block time.Duration) ([]desk.Queued, error) {
	pending := after != ""
	if err := s.checkShard(shard); err != nil {
		return nil, err
	}
	stream := s.keys.queue(shard)
	// A read of new entries hands them to this consumer, a write like any other: on Sentinel
	// it counts only once a replica has it (WAIT, on the read's own connection), or a failover
	// would hand them out again as new to another replica, whose handling would not look for
	// what this one sent. Unconfirmed, the read fails; its entries are this consumer's pending
	// ones, read again (as redelivered) after the failure.
	var rdb redis.Cmdable = s.rdb
	var conn *redis.Conn
	replicas := int(s.wait.Load())
	if !pending && replicas > 0 {
		if conn = ownConn(s.rdb); conn != nil {
			defer conn.Close()
			rdb = conn
		}
	}
	read := func() ([]redis.XStream, error) {
		if pending {
			return rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
				Group: group, Consumer: s.opts.Consumer, Streams: []string{stream, after},
				Count: int64(max(count, 0)), Block: -1, // no BLOCK argument
			}).Result()
		}
		return s.readNew(ctx, rdb, shard, count, block)
	}
	res, err := read()
	if err != nil && redis.HasErrorPrefix(err, "NOGROUP") {
		// The stream was deleted or the server emptied since New: make the group again, from
		// the stream's first entry so that nothing enqueued meanwhile is skipped.
		if err := s.createGroup(ctx, shard); err != nil {
			return nil, err
		}
		res, err = read()
	}
	if conn != nil && err == nil && len(res) > 0 {
		if n, werr := replicated(ctx, conn, replicas, s.opts.WaitTimeout); werr != nil {
			return nil, desk.Errorf(desk.EUNAVAILABLE, "read queue shard %d: the read is on %d of the %d Redis replicas it must be on (%v)", shard, n, replicas, werr)
		}
	}
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read queue shard %d (pending %t): %w", shard, pending, err)
	}
	var out []desk.Queued
	var gone []string
	var last string // the page's last entry
	for _, st := range res {
		for _, m := range st.Messages {
			last = m.ID
			if m.Values == nil {
				gone = append(gone, m.ID)
				continue
			}
			q := desk.Queued{Shard: shard, Entry: m.ID, Redelivered: pending || m.Values[againField] == "1"}
			body, _ := m.Values[eventField].(string)
			if err := json.Unmarshal([]byte(body), &q.Event); err != nil {
				s.log.WarnContext(ctx, "queue entry does not decode", "shard", shard, "entry", m.ID, "err", err)
				q.Event = desk.Event{}
			}
			out = append(out, q)
		}
	}
	// miniredis ignores COUNT when it reads pending entries; Redis honours it.
	if count > 0 && len(out) > count {
		out = out[:count]
	}
	if len(gone) > 0 {
		s.log.InfoContext(ctx, "acknowledging deleted queue entries", "shard", shard, "entries", len(gone))
		if err := s.rdb.XAck(ctx, stream, group, gone...).Err(); err != nil {
			return nil, fmt.Errorf("acknowledge %d deleted entries of queue shard %d: %w", len(gone), shard, err)
		}
	}
	if s.slotsApart() && len(out) > 0 {
		if out, err = s.claim(ctx, shard, out, pending); err != nil {
			return nil, err
		}
	}
	if pending && len(out) == 0 && last != "" && (count <= 0 || len(res) > 0 && len(res[0].Messages) >= count) {
		// Every entry of a full page was set aside: the pending entries after it are read
		// now, or the caller would take the empty page for the end of them.
		return s.ReadQueue(ctx, shard, last, count, block)
	}
	return out, nil
}

// readNewScript hands a queue shard's new entries to a consumer (XREADGROUP ">", without
// waiting) only while the shard's lease is the consumer's or nobody's, checked in the same
// step. A replica's own clock cannot promise that: a read it sent while its lease held may
// reach Redis later (its connection was being dialled again after an outage, its process
// was starved), after the lease lapsed and another replica took the shard and claimed what
// was pending. The entries such a late read took would stay stranded in the old holder's
// pending list, unseen by the new one, until the next handover. A read while nobody holds
// the lease is safe: the next holder claims it (ClaimShard) after taking the lease.
//
// KEYS[1] the shard's stream, KEYS[2] its lease; ARGV[1] the group, ARGV[2] the consumer,
// ARGV[3] the most entries to read (0: all), ARGV[4] "1" if the caller waits when there are
// none. It answers {1, <XREADGROUP's answer>} with entries, {0, <the stream's last ID, if the
// caller waits>} without, or {-1, <the holder>} when another replica holds the lease.
var readNewScript = redis.NewScript(luaOthersLease + `
local cmd = {'XREADGROUP', 'GROUP', ARGV[1], ARGV[2]}
if ARGV[3] ~= '0' then
  cmd[#cmd + 1] = 'COUNT'
  cmd[#cmd + 1] = ARGV[3]
end
cmd[#cmd + 1] = 'STREAMS'
cmd[#cmd + 1] = KEYS[1]
cmd[#cmd + 1] = '>'
local res = redis.pcall(unpack(cmd))
if type(res) == 'table' and res.err then
  return res
end
if res then
  return {1, res}
end
if ARGV[4] ~= '1' then
  return {0, ''}
end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then
    return {0, info[i + 1]}
  end
end
return {0, '0-0'}
`)

// readNew reads up to count new entries of a shard for this consumer (readNewScript), waiting
// up to block for some. It waits with a plain XREAD, which hands nothing out: only the script,
// run again once something came, does.
func (s *Store) readNew(ctx context.Context, rdb redis.Cmdable, shard, count int, block time.Duration) ([]redis.XStream, error) {
	stream := s.keys.queue(shard)
	keys := []string{stream, s.keys.lease(shard)}
	for waits := block > 0; ; waits = false {
		flag := "0"
		if waits {
			flag = "1"
		}
		v, err := readNewScript.Run(ctx, rdb, keys, group, s.opts.Consumer, max(count, 0), flag).Slice()
		if err != nil {
			return nil, err
		}
		if len(v) != 2 {
			return nil, fmt.Errorf("read queue shard %d: unexpected answer %v", shard, v)
		}
		if err := othersLease(shard, v, "its new entries are not this replica's to read"); err != nil {
			return nil, err
		}
		if code, _ := v[0].(int64); code == 1 {
			return xStreams(v[1])
		}
		if !waits {
			return nil, nil
		}
		last, _ := v[1].(string)
		if last == "" {
			last = "0-0" // miniredis's last ID of a stream never written to
		}
		err = rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{stream, last}, Count: 1, Block: block}).Err()
		if errors.Is(err, redis.Nil) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// xStreams decodes an XREADGROUP answer passed on by a script: [[stream, [[id, [field,
// value, …]], …]], …].
func xStreams(v any) ([]redis.XStream, error) {
	bad := func() ([]redis.XStream, error) { return nil, fmt.Errorf("read queue: unexpected entries %v", v) }
	streams, ok := v.([]any)
	if !ok {
		return bad()
	}
	var out []redis.XStream
	for _, st := range streams {
		pair, ok := st.([]any)
		if !ok || len(pair) != 2 {
			return bad()
		}
		name, _ := pair[0].(string)
		entries, ok := pair[1].([]any)
		if !ok {
			return bad()
		}
		xs := redis.XStream{Stream: name}
		for _, e := range entries {
			idFields, ok := e.([]any)
			if !ok || len(idFields) != 2 {
				return bad()
			}
			id, _ := idFields[0].(string)
			m := redis.XMessage{ID: id}
			if fields, ok := idFields[1].([]any); ok {
				m.Values = make(map[string]any, len(fields)/2)
				for i := 0; i+1 < len(fields); i += 2 {
					k, _ := fields[i].(string)
					m.Values[k] = fields[i+1]
				}
			}
			xs.Messages = append(xs.Messages, m)
		}
		out = append(out, xs)
	}
	return out, nil
}

// claimScript claims events for the queue shard that read them, on Cluster, where an event's
// dedupe marker is its shard's: the same event routed to two shards (QUEUE_SHARDS changed, or
// an agent's reply routed before and after its thread pointer was written) is recorded in
// both, and the two copies must not both be handled (each would relay the message before its
// changes are refused as handled). The claim is the event's handled mark (keys.seen) set to
// "w<shard>" while it is handled; Apply's guard makes it "h".
//
// KEYS the events' handled marks; ARGV[1] the claim ("w<shard>"), ARGV[2] its TTL in ms.
// Returns for each event 1 when this shard claims it (now or before), 2 when it was handled
// already, 0 when another shard claimed it.
var claimScript = redis.NewScript(`
local out = {}
for i, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  if not v or v == '1' then
    redis.call('SET', k, ARGV[1], 'PX', ARGV[2])
    out[i] = 1
  elseif v == ARGV[1] then
    out[i] = 1
  elseif v == '` + handledMark + `' then
    out[i] = 2
  else
    out[i] = 0
  end
end
return out
`)

// claim keeps the entries of out this shard may handle (claimScript) and acknowledges the
// others: copies of events another shard handles, and new copies of events handled already
// (handled elsewhere: handing them out would relay them again). An entry read again after a
// crash (pending) whose event is handled is kept: it is this shard's own, whose changes were
// applied and whose acknowledgement was lost, and its handling is refused, acknowledges it
// and carries out what its changes left to do.
func (s *Store) claim(ctx context.Context, shard int, out []desk.Queued, pending bool) ([]desk.Queued, error) {
	var keys []string
	var claimed []int // indexes in out of the entries with an event
	for i, q := range out {
		if q.Event.Platform != "" && q.Event.ID != "" {
			keys = append(keys, s.keys.seen(q.Event.Platform, q.Event.ID))
			claimed = append(claimed, i)
		}
	}
	if len(keys) == 0 {
		return out, nil
	}
	res, err := s.runScript(ctx, claimScript, keys, "w"+strconv.Itoa(shard), s.opts.DedupeTTL.Milliseconds()).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("claim the events read from queue shard %d: %w", shard, err)
	}
	drop := map[int]bool{}
	var copies []string
	for j, i := range claimed {
		if j < len(res) && (res[j] == 0 || res[j] == 2 && !pending) {
			drop[i] = true
			copies = append(copies, out[i].Entry)
		}
	}
	if len(copies) == 0 {
		return out, nil
	}
	stream := s.keys.queue(shard)
	err = s.batch.do(ctx, stream, func(p redis.Pipeliner) {
		p.XAck(ctx, stream, group, copies...)
		p.XDel(ctx, stream, copies...)
	})
	if err != nil {
		return nil, fmt.Errorf("acknowledge %d copies of events another queue shard handles: %w", len(copies), err)
	}
	s.log.InfoContext(ctx, "dropped copies of events recorded in another queue shard too, which handles or handled them", "shard", shard, "entries", len(copies))
	kept := out[:0]
	for i, q := range out {
		if !drop[i] {
			kept = append(kept, q)
		}
	}
	return kept, nil
}

// QueueDepth counts the events of all shards not fully handled: the queue entries (recorded
// and not yet handled, read or not: acknowledged entries are deleted) and the outbox records
// (handled, with tasks still to carry out).
func (s *Store) QueueDepth(ctx context.Context) (int64, error) {
	cmds := make([]*redis.IntCmd, 0, 2*s.opts.Shards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for shard := range s.opts.Shards {
			cmds = append(cmds, p.XLen(ctx, s.keys.queue(shard)), p.HLen(ctx, s.keys.outbox(shard)))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("measure queue depth: %w", err)
	}
	var n int64
	for _, c := range cmds {
		n += c.Val()
	}
	return n, nil
}

// checkShard rejects a shard number outside [0, Options.Shards).
func (s *Store) checkShard(shard int) error {
	if shard < 0 || shard >= s.opts.Shards {
		return desk.Errorf(desk.EINVALID, "queue shard %d is not in [0, %d)", shard, s.opts.Shards)
	}
	return nil
}

// moveChunk is how many entries of an old queue stream moveLegacyQueues moves at a time.
const moveChunk = 500

// moveScript moves the oldest entries of an old queue stream into the shard's stream and
// deletes them from the old one, in one atomic step, where both are on one server (not on
// Cluster). Entries named in ARGV[2..] are marked redelivered (againField).
//
// KEYS[1] the old stream, KEYS[2] the shard's stream; ARGV[1] how many at most. Returns how
// many it moved.
var moveScript = redis.NewScript(`
local msgs = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', tonumber(ARGV[1]))
local read = {}
for i = 2, #ARGV do read[ARGV[i]] = true end
for _, m in ipairs(msgs) do
  local body
  for i = 1, #m[2], 2 do
    if m[2][i] == '` + eventField + `' then body = m[2][i + 1] end
  end
  if body and read[m[1]] then
    redis.call('XADD', KEYS[2], '*', '` + eventField + `', body, '` + againField + `', '1')
  elseif body then
    redis.call('XADD', KEYS[2], '*', '` + eventField + `', body)
  end
  redis.call('XDEL', KEYS[1], m[1])
end
return #msgs
`)

// moveLegacyQueues moves the entries left in the queue streams that stores before 2026-12-07
// kept in the installation's slot under a hash tag (keys.legacyQueue) into the shards' own
// streams, oldest first, and deletes the old streams. On one server or Sentinel a script moves
// them a chunk at a time, atomically (the events' dedupe markers are where they were). On
// Cluster, where the two streams are in different slots, each entry is recorded as Enqueue
// records an event, under the shard's dedupe marker, so that two processes moving at once, or
// a move cut short and done again, record it once. Either way its changes, if an older
// process applied them before it stopped, are refused as handled. An entry an older process
// had read and not acknowledged is marked redelivered
// (againField), so that its handling looks for what that process posted. New calls it before
// the store takes any event, so the moved entries come before the new ones. Without a hash
// tag the streams keep their keys and there is nothing to move.
func (s *Store) moveLegacyQueues(ctx context.Context) error {
	if !s.keys.shardsApart() {
		return nil
	}
	// A replica of an older version still running would hold its shards under the old
	// lease keys while this one takes them under the new: two handlers of one shard. And it
	// would go on writing the old streams after the move.
	leases := make([]string, s.opts.Shards)
	for shard := range leases {
		leases[shard] = s.keys.legacyLease(shard)
	}
	if n, err := s.rdb.Exists(ctx, leases...).Result(); err != nil || n > 0 {
		if err != nil {
			return fmt.Errorf("look for old queue leases: %w", err)
		}
		return desk.Errorf(desk.ECONFLICT, "%d queue shards are held by replicas of a version before 2026-12-07 (keys %slease:<shard>): stop them first (on SIGTERM they give their shards back; a killed one's lapse within SHARD_LEASE)", n, s.keys.prefix)
	}
	olds := make([]string, s.opts.Shards)
	for shard := range olds {
		olds[shard] = s.keys.legacyQueue(shard)
	}
	// One command, in the installation's slot, finds that there is nothing to move.
	if n, err := s.rdb.Exists(ctx, olds...).Result(); err != nil || n == 0 {
		if err != nil {
			return fmt.Errorf("look for old queue streams: %w", err)
		}
		return nil
	}
	for shard, old := range olds {
		read, err := s.readByOld(ctx, old)
		if err != nil {
			return fmt.Errorf("list the read entries of queue shard %d's old stream: %w", shard, err)
		}
		move := s.moveByScript
		if s.slotsApart() {
			move = s.moveEach
		}
		if err := move(ctx, shard, old, read); err != nil {
			return err
		}
		if err := s.rdb.Del(ctx, old).Err(); err != nil {
			return fmt.Errorf("delete the old stream of queue shard %d: %w", shard, err)
		}
	}
	return nil
}

// moveByScript moves an old stream's entries into the shard's, a chunk at a time, each chunk
// in one atomic step (moveScript): one server or Sentinel.
func (s *Store) moveByScript(ctx context.Context, shard int, old string, read map[string]bool) error {
	ids := make([]any, 1, 1+len(read))
	ids[0] = moveChunk
	for id := range read {
		ids = append(ids, id)
	}
	for {
		n, err := moveScript.Run(ctx, s.rdb, []string{old, s.keys.queue(shard)}, ids...).Int()
		if err != nil {
			return fmt.Errorf("move the old stream of queue shard %d: %w", shard, err)
		}
		if n == 0 {
			return nil
		}
	}
}

// moveEach records an old stream's entries in the shard's one by one, as Enqueue records an
// event under the shard's dedupe marker, and deletes them from the old: Cluster, where the two
// streams are in different slots.
func (s *Store) moveEach(ctx context.Context, shard int, old string, read map[string]bool) error {
	for {
		msgs, err := s.rdb.XRangeN(ctx, old, "-", "+", moveChunk).Result()
		if err != nil {
			return fmt.Errorf("read the old stream of queue shard %d: %w", shard, err)
		}
		if len(msgs) == 0 {
			break
		}
		ids := make([]string, 0, len(msgs))
		for _, m := range msgs {
			ids = append(ids, m.ID)
			var ev desk.Event
			body, _ := m.Values[eventField].(string)
			if err := json.Unmarshal([]byte(body), &ev); err != nil || ev.Platform == "" || ev.ID == "" {
				s.log.WarnContext(ctx, "an old queue entry does not decode; dropped", "shard", shard, "entry", m.ID, "err", err)
				continue
			}
			if _, err := s.enqueue(ctx, shard, ev, read[m.ID]); err != nil {
				return fmt.Errorf("move entry %s of queue shard %d: %w", m.ID, shard, err)
			}
		}
		if err := s.rdb.XDel(ctx, old, ids...).Err(); err != nil {
			return fmt.Errorf("delete moved entries of queue shard %d: %w", shard, err)
		}
	}
	return nil
}

// readByOld returns the IDs of the entries of an old queue stream that a consumer of its group
// read and did not acknowledge.
func (s *Store) readByOld(ctx context.Context, stream string) (map[string]bool, error) {
	read := map[string]bool{}
	start := "-"
	for {
		ps, err := s.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: group, Start: start, End: "+", Count: moveChunk}).Result()
		if err != nil && redis.HasErrorPrefix(err, "NOGROUP") {
			return read, nil
		}
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			read[p.ID] = true
		}
		if len(ps) < moveChunk {
			return read, nil
		}
		start = "(" + ps[len(ps)-1].ID
	}
}

package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// Retention (RETENTION): what customers and agents wrote on a ticket is kept for a while after
// the ticket closes, then forgotten. The closed index (closedKey) holds every closed ticket
// scored by when it closed; ExpireClosed takes the oldest out of it a batch at a time.

// closedIndexed marks that the closed index holds every closed ticket: tickets closed before
// the index existed are added to it once (indexClosed).
const closedIndexVersion = "1"

// ExpireClosed forgets what was written on up to limit tickets closed before cutoff: their
// transcript, the links of their mirrored messages, any held messages, their words in the
// search index, and the ticket's own texts (subject, rating comment, intake answers, the
// customer's names, avatar, profile and time zone). The ticket stays, with its number,
// status, people's IDs, times, category, tags, priority and SLA clocks, and the statistics'
// facts stay: the numbers of the past are kept, the words are not. Its history then holds one
// entry saying when the rest was removed. It returns how many tickets it expired; fewer than
// limit means none is left before cutoff.
func (s *Store) ExpireClosed(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	if err := s.indexClosed(ctx); err != nil {
		return 0, err
	}
	members, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: s.keys.closed(), Start: "-inf", Stop: strconv.FormatInt(cutoff.UnixMilli(), 10),
		ByScore: true, Count: int64(max(limit, 1)),
	}).Result()
	if err != nil {
		return 0, fmt.Errorf("find tickets closed before %s: %w", cutoff.Format(time.RFC3339), err)
	}
	n := 0
	for _, m := range members {
		id, err := strconv.ParseInt(m, 10, 64)
		if err != nil {
			_ = s.rdb.ZRem(ctx, s.keys.closed(), m).Err()
			continue
		}
		if err := s.expire(ctx, desk.TicketID(id)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// expireScript applies an expiry's commands unless the ticket's history changed since the
// expiry read it: retention runs beside the ticket's shard worker, and a step taken meanwhile
// (a rating, /desk forget) appends to the history; its write must not be undone by the
// expiry's copy of the ticket. The ticket is then expired at the next look.
//
// The history is the transcript list and, in a store upgraded in place, the old stream
// (transcript.go). Entries are only ever appended, and erasing leaves one new entry, so the
// history is unchanged when the stream's last ID, the list's length and its last element are.
// On Cluster the list is in the ticket's partition, another slot: there the script compares
// instead the count of the writes committed to it (keys.transcriptWrites), which the commits
// raise in the installation's slot.
//
// KEYS[1] the history stream, KEYS[2] the transcript list (on Cluster, the counter's hash),
// KEYS[3..] every key the commands write; ARGV[1] the ID of the stream's last entry when it
// was read ("" for none), ARGV[2] the list's length and ARGV[3] its last element ("" for
// none; on Cluster the count, "" for none), ARGV[4] the counter's field ("" off Cluster),
// ARGV[5..] the commands, each as its number of arguments followed by them. Returns 1 when
// applied, 0 when the history changed.
var expireScript = redis.NewScript(luaApply + `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local id = ''
if #last > 0 then
  id = last[1][1]
end
local same
if ARGV[4] ~= '' then
  same = (redis.call('HGET', KEYS[2], ARGV[4]) or '') == ARGV[3]
else
  same = redis.call('LLEN', KEYS[2]) == tonumber(ARGV[2]) and (redis.call('LINDEX', KEYS[2], -1) or '') == ARGV[3]
end
if id ~= ARGV[1] or not same then
  return {0, 0}
end
run(5)
return reply({1})
`)

// historyMark is what expireScript compares to tell whether a ticket's history changed.
type historyMark struct {
	streamLast string // ID of the old stream's last entry, "" for none
	length     int64  // the transcript list's length
	last       string // its last element, "" for none; on Cluster the count of its writes
	// key is the list's key, or on Cluster the counter's hash; field the counter's field
	// ("" off Cluster).
	key, field string
}

// historyMarkOf reads the mark of a ticket's history. On Cluster it then carries the
// transcript log out, so that the history read after it has every write the mark counts.
func (s *Store) historyMarkOf(ctx context.Context, id desk.TicketID) (historyMark, error) {
	var stream *redis.XMessageSliceCmd
	var length *redis.IntCmd
	var last *redis.StringCmd
	m := historyMark{key: s.keys.transcript(id)}
	if s.keys.partsApart() {
		m.key, m.field = s.keys.transcriptWrites(id), strconv.FormatInt(int64(id), 10)
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		stream = p.XRevRangeN(ctx, s.keys.history(id), "+", "-", 1)
		if m.field != "" {
			last = p.HGet(ctx, m.key, m.field)
			return nil
		}
		length = p.LLen(ctx, m.key)
		last = p.LIndex(ctx, m.key, -1)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return historyMark{}, fmt.Errorf("read the history of ticket %s: %w", id, err)
	}
	m.last = last.Val()
	if length != nil {
		m.length = length.Val()
	}
	if msgs := stream.Val(); len(msgs) > 0 {
		m.streamLast = msgs[0].ID
	}
	if err := s.drainTranscripts(ctx); err != nil {
		return historyMark{}, err
	}
	return m, nil
}

// expire forgets what was written on one closed ticket (see ExpireClosed), in one atomic step
// that is skipped if the ticket's history changed since it was read.
func (s *Store) expire(ctx context.Context, id desk.TicketID) error {
	seen, err := s.historyMarkOf(ctx, id)
	if err != nil {
		return err
	}
	t, err := s.Ticket(ctx, id)
	if errors.Is(err, desk.ErrNotFound) {
		return s.rdb.ZRem(ctx, s.keys.closed(), strconv.FormatInt(int64(id), 10)).Err()
	}
	if err != nil {
		return err
	}
	if t.Status != desk.StatusClosed {
		// Not closed any longer: it leaves the index; a later close puts it back.
		return s.rdb.ZRem(ctx, s.keys.closed(), strconv.FormatInt(int64(id), 10)).Err()
	}
	kept := t
	kept.Subject, kept.RatingComment, kept.Answers, kept.Question = "", "", nil, 0
	kept.Customer = desk.User{ID: t.Customer.ID, IsBot: t.Customer.IsBot}
	cmds, _, _, err := s.erase(ctx, t, kept, desk.Entry{At: time.Now(), Kind: "expired"})
	if err != nil {
		return err
	}
	args := s.scriptArgs([]any{seen.streamLast, seen.length, seen.last, seen.field}, cmds)
	keys := s.commandKeys([]string{s.keys.history(id), seen.key}, cmds)
	c, err := committed(s.runScript(ctx, expireScript, keys, args...))
	if err != nil {
		return fmt.Errorf("expire ticket %s: %w", id, err)
	}
	if !c.applied {
		s.log.InfoContext(ctx, "ticket changed while it was being expired; it is expired at the next look", "ticket", int64(id))
	}
	s.projectNow(ctx, c)
	return nil
}

// indexClosed puts the tickets closed before the closed index existed into it, once.
func (s *Store) indexClosed(ctx context.Context) error {
	v, err := s.rdb.Get(ctx, s.keys.closedVersion()).Result()
	if err == nil && v == closedIndexVersion {
		return nil
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("read the closed index's version: %w", err)
	}
	// It is built from the closed status index, which must be whole: not while the backfill
	// rebuilds the indexes (a Cluster store whose indexes moved, index.go).
	if v, err := s.rdb.Get(ctx, s.keys.indexVersion()).Result(); err != nil || v != indexVersion {
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("read the indexes' version: %w", err)
		}
		return desk.Errorf(desk.EUNAVAILABLE, "the closed index waits for the queue's indexes to be rebuilt")
	}
	ids, err := s.rdb.ZRange(ctx, s.keys.status(desk.StatusClosed), 0, -1).Result()
	if err != nil {
		return fmt.Errorf("list closed tickets: %w", err)
	}
	for batch := range slices.Chunk(ids, 1000) {
		cmds := make([]*redis.SliceCmd, len(batch))
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, m := range batch {
				n, _ := strconv.ParseInt(m, 10, 64)
				cmds[i] = p.HMGet(ctx, s.keys.ticket(desk.TicketID(n)), fClosed, legacyFields[fClosed])
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("read when tickets closed: %w", err)
		}
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, m := range batch {
				v := cmds[i].Val()
				if len(v) != 2 {
					continue
				}
				str, ok := v[0].(string)
				if !ok {
					str, ok = v[1].(string) // a ticket saved before the fields' short names
				}
				ms, err := strconv.ParseInt(str, 10, 64)
				if !ok || err != nil {
					continue // no close time: nothing to count the retention from
				}
				p.ZAddNX(ctx, s.keys.closed(), redis.Z{Score: float64(ms), Member: m})
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("index closed tickets: %w", err)
		}
	}
	return s.rdb.Set(ctx, s.keys.closedVersion(), closedIndexVersion, 0).Err()
}

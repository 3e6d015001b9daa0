package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// On Redis Cluster the queue's indexes (status, filter, sort and word sets and their buckets),
// the facts, the change feed and the closed index are in a slot of their own, the index slot
// (keys.ixp: "{td/ix}:"), so that they and the tickets are on different masters. A change to
// tickets and their indexes can then not be one transaction. So the scripts that apply
// changes (luaApply) carry out those on the installation's keys and append those on the index
// slot's, as one entry, to the index log (<p>ixlog, in the installation's slot): both or
// neither happen. The entries are then carried into the index slot in order, each once
// (project): by Apply before it returns, so that a caller reads its own writes, and by every
// replica's background loop for those a crash left (projectEvery).
//
// An entry is "<seq>|<JSON array of commands>". seq grows with each entry: the server's time
// in microseconds, or the last seq and one if that is not more. The index slot records the
// seq of the last entry carried out (<ixp>ixdone) in the script that carries it out, which
// skips entries at or below it: two replicas carrying out the same entries at once, or an
// entry carried out again after a crash, change nothing. An entry leaves the log once the
// index slot's mark is past it. A failover of the installation's master that loses the last
// entries (and with them the changes they go with) must not make the next entries take a
// seq carried out already, as a counter would, for they would be skipped: a new seq is past
// the server's clock, the last seq, and the mark the committing process last read, and a
// read of the log raises the last seq to the reader's mark. Carrying entries out is a durable
// write (it waits for a connected replica of the slot's master), so a failover of the index
// slot's master does not lose the mark and the changes of entries already trimmed from the
// log; but for a replica that did not confirm within the wait (the carrying out then counts
// as failed, yet the next read of the log, finding the mark past them, trims them).
//
// The transcript log (<p>txlog) works the same way for the keys of the ticket partitions (a
// ticket's transcript, a message's link: keys.go), with a mark in each partition
// (<t>txdone): an entry may hold commands for several partitions, and is carried into each
// of them, each partition's script given the whole entries and running only the commands on
// its own keys (the values are binary, which a JSON round trip in Go would not keep). The
// process's mark is the last entry of a page carried into every partition it names; the
// highest partition mark seen is the floor the next entries' seqs must pass, and every read
// of the log (each replica's loop, every second) raises the sequence key to it, so that
// replicas that never carried into that partition follow it too (after a failover of the
// installation's master, an entry written before any replica's loop ran can still take a
// seq a partition has passed, as the index log's can). Readers that
// must see every write carry the log out first (drainTranscripts; Link and Transcript when
// the log has entries past the process's mark). As with the index slot, carrying entries into a
// partition waits for a connected replica of its master, so that a failover of that master
// does not lose transcript entries and links whose log entries are gone already.
//
// Off Cluster the index keys are the installation's and the changes to them go in the
// transaction with the others, as always: there is no log.

// luaExec runs one command as the index log holds it (a table of its name and arguments):
// TD.NADD and TD.NREM as the number sets' own (numberset.go), any other as Redis's.
var luaExec = luaNumberSet + `
local function exec(c)
  if c[1] == 'TD.NADD' then
    nadd(c[2], c[3], c[4])
  elseif c[1] == 'TD.NREM' then
    nrem(c[2], c[3], c[4])
  else
    redis.call(unpack(c))
  end
end
`

// luaTrimLog drops the entries at or below a mark from the head of an index log (an entry
// that does not start with its seq goes too: it could never be carried out).
const luaTrimLog = `
local function trimLog(log, done)
  while true do
    local head = redis.call('LINDEX', log, 0)
    if not head or (tonumber(string.match(head, '^(%d+)|')) or 0) > done then
      return
    end
    redis.call('LPOP', log)
  end
end
`

// luaLogFlush ends the apply scripts (luaApply): flush appends the commands of one log they
// collected (the index slot's, logged, to the log TD.LOG names; the transcripts', txlogged,
// to the one TD.TXLOG names) to that log as one entry, drops the entries at or below the mark
// the process knows to be carried out (the naming command's third argument), and returns the
// entry's seq (0 for none) and, when no other entry is left before it, the entry itself,
// which the caller then carries out at once without reading the log (with others before it,
// the caller reads them in order: project). reply appends to a script's answer, for each log,
// the seq and the number of entries, then the entries.
var luaLogFlush = luaTrimLog + `
local function flush(cmds, lk, what)
  if #cmds == 0 then
    return 0, {}
  end
  if not lk then
    error(what .. ' commands without the command that names their log')
  end
  local t = redis.call('TIME')
  local seq = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = math.max(tonumber(redis.call('GET', lk[2]) or '0'), tonumber(lk[3] or '0'), tonumber(lk[4] or '0'))
  if seq <= last then
    seq = last + 1
  end
  local s = string.format('%.0f', seq)
  redis.call('SET', lk[2], s)
  local entry = s .. '|' .. cjson.encode(cmds)
  redis.call('RPUSH', lk[1], entry)
  trimLog(lk[1], tonumber(lk[3] or '0'))
  if redis.call('LLEN', lk[1]) == 1 then
    return seq, {entry}
  end
  return seq, {}
end

local function reply(out)
  for _, l in ipairs({{logged, logKeys, 'index slot'}, {txlogged, txKeys, 'transcript'}}) do
    local seq, page = flush(l[1], l[2], l[3])
    out[#out + 1] = seq
    out[#out + 1] = #page
    for _, e in ipairs(page) do
      out[#out + 1] = e
    end
  end
  return out
end
`

// projectScript carries index log entries out in the index slot, those past its mark, and
// advances the mark past each one carried out.
//
// KEYS[1] the mark (<ixp>ixdone, or a partition's txdone); ARGV[1] the prefix of the keys
// whose commands are carried out here ("" for all: the index slot; a partition's prefix: the
// transcript log, whose entries may hold several partitions' commands); ARGV[2..] the
// entries, in the log's order. Returns {the mark
// after them, how many commands were skipped}. A failure that passes (the slot's keys being
// migrated to another master, the server out of memory or loading) ends the script with an
// error, the mark after the last entry wholly carried out: the next attempt starts again
// with the failed entry, whose commands before the failure are done again (all are
// idempotent but the change feed's XADD, which then tells of a change twice). Any other (a
// key of the wrong type, which only a hand-made key could cause; an entry that does not
// decode) would fail every attempt: the command or entry is skipped and counted, so that it
// does not hold up the index for ever.
var projectScript = redis.NewScript(luaExec + `
local done = tonumber(redis.call('GET', KEYS[1]) or '0')
local skipped = 0
local function mark()
  redis.call('SET', KEYS[1], string.format('%.0f', done))
end
local passes = {OOM = true, TRYAGAIN = true, ASK = true, MOVED = true, CLUSTERDOWN = true, LOADING = true,
  READONLY = true, MASTERDOWN = true, BUSY = true, MISCONF = true, NOREPLICAS = true}
local function passing(msg) -- an error that trying again later gets past
  local code = string.match(msg, '^%-?(%u+)')
  return (code and passes[code]) or string.find(msg, 'non local key', 1, true) or string.find(msg, 'cluster is down', 1, true)
end
local only = ARGV[1]
local function here(c)
  return only == '' or (type(c[2]) == 'string' and string.sub(c[2], 1, #only) == only)
end
for k = 2, #ARGV do
  local e = ARGV[k]
  local sep = string.find(e, '|', 1, true)
  local seq = tonumber(string.sub(e, 1, (sep or 1) - 1)) or 0
  if seq > done then
    local decoded, cmds = pcall(cjson.decode, string.sub(e, (sep or 0) + 1))
    if not decoded or type(cmds) ~= 'table' then
      cmds = {}
      skipped = skipped + 1
    end
    for _, c in ipairs(cmds) do
      local ran, err = true, nil
      if here(c) then
        ran, err = pcall(exec, c)
      end
      if not ran then
        local msg = type(err) == 'table' and (err.err or '?') or tostring(err) -- a string on 7.0
        if passing(msg) then
          mark()
          return redis.error_reply('carry out log entry ' .. string.format('%.0f', seq) .. ': ' .. msg)
        end
        skipped = skipped + 1
      end
    end
    done = seq
  end
end
mark()
return {done, skipped}
`)

// logPageScript drops a log's entries at or below a mark and returns the first of those
// left, at most ARGV[2] of them and ARGV[3] bytes (but at least one). KEYS[1] the log,
// KEYS[2] its sequence key, raised to ARGV[4] if below it (a failover lost the last writes
// of the installation's master), so that no entry to come takes a seq carried out already,
// in the log's target slot or, for the transcript log, in any partition this process has
// seen (its floor); ARGV[1] the mark (only entries every target has are trimmed: never the
// floor).
var logPageScript = redis.NewScript(luaTrimLog + `
local done = tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[4]) then
  redis.call('SET', KEYS[2], ARGV[4]) -- the next entries' seq follow what is carried out
end
trimLog(KEYS[1], done)
local out, size = {}, 0
for _, e in ipairs(redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)) do
  if #out > 0 and size + #e > tonumber(ARGV[3]) then
    break
  end
  out[#out + 1] = e
  size = size + #e
end
return out
`)

// projectPage and projectBytes bound what one step carries out: entries, and their size.
const (
	projectPage  = 200
	projectBytes = 1 << 20
)

// projectWait bounds how long a caller whose changes are committed waits for them to be
// carried into the index slot (projectNow): past it, the background loop carries them out.
// A step then goes on while the index slot's master is away, its indexes behind.
const projectWait = time.Second

// projectEvery is how often each replica looks for index log entries left by a crash.
const projectEvery = time.Second

// projector carries one log out, one step at a time per process: the index log into the
// index slot, or the transcript log into the ticket partitions.
type projector struct {
	what        string // "index" or "transcript", for errors and the log
	log, seqKey string // the log and its sequence key (keys.indexLog, keys.transcriptLog…)
	// carry carries a page of entries out and returns the mark after it (the seq up to which
	// every entry is carried out) and the highest mark of a target slot it saw.
	carry func(ctx context.Context, page []string) (mark, floor int64, err error)
	turn  chan struct{} // held by the one projecting (lock with a context)
	done  atomic.Int64  // the mark as last known: the entries up to it are carried out
	// floor is the highest mark of a target slot seen (the transcript log's partitions each
	// have one, above done at times): new entries' seqs are kept past it, so that after a
	// failover of the installation's master none takes a seq a partition skips.
	floor  atomic.Int64
	warned atomic.Int64 // when (unix ns) a step last said its projection failed (projectNow)
	// failing is set while the log's last carrying out failed (a slot's master away or
	// hanging): steps then leave their entries to the background loop, which clears it.
	failing atomic.Bool
}

// newProjectors sets up the store's two logs' projectors (on Cluster).
func (s *Store) newProjectors() {
	s.proj = &projector{what: "index", log: s.keys.indexLog(), seqKey: s.keys.indexLogSeq(), carry: s.carryIndex, turn: make(chan struct{}, 1)}
	s.txproj = &projector{what: "transcript", log: s.keys.transcriptLog(), seqKey: s.keys.transcriptLogSeq(), carry: s.carryTranscripts, turn: make(chan struct{}, 1)}
}

// command is the command that names the log to the apply scripts (TD.LOG, TD.TXLOG), with
// the log's arguments.
func (p *projector) command(name string) []any {
	return append([]any{name}, p.args()...)
}

// args are what names the log to a script that appends to it (luaLogFlush): the log, its
// sequence key, the mark known (entries up to it are trimmed) and the floor.
func (p *projector) args() []any {
	done := p.done.Load()
	return []any{p.log, p.seqKey, strconv.FormatInt(done, 10), strconv.FormatInt(max(done, p.floor.Load()), 10)}
}

// projectAll carries both logs out up to their last entries as it starts (nothing off
// Cluster).
func (s *Store) projectAll(ctx context.Context) error {
	if !s.keys.indexApart() {
		return nil
	}
	// Up to the last entries as the call starts: a log that steps keep writing to may never
	// be found empty.
	var ix, tx *redis.StringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		ix, tx = p.Get(ctx, s.proj.seqKey), p.Get(ctx, s.txproj.seqKey)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("read the logs' last entries: %w", err)
	}
	upTo := func(c *redis.StringCmd) int64 {
		n, _ := c.Int64()
		return n
	}
	return errors.Join(s.project(ctx, s.proj, upTo(ix), nil), s.project(ctx, s.txproj, upTo(tx), nil))
}

// drainTranscripts carries the transcript log out up to its last entry as the call starts,
// for a reader of transcripts and links that must see every write committed before it (an
// export, an erasure, retention, the words' recovery); nothing off Cluster. It fails as
// unavailable when a partition does not answer.
func (s *Store) drainTranscripts(ctx context.Context) error {
	if !s.keys.partsApart() {
		return nil
	}
	seq, err := s.rdb.Get(ctx, s.keys.transcriptLogSeq()).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return desk.Errorf(desk.EUNAVAILABLE, "transcripts not up to date: read the transcript log: %v", err)
	}
	return s.drainTranscriptsTo(ctx, seq)
}

// drainTranscriptsTo carries the transcript log out until its entry of seq is.
func (s *Store) drainTranscriptsTo(ctx context.Context, seq int64) error {
	if err := s.project(ctx, s.txproj, seq, nil); err != nil {
		return desk.Errorf(desk.EUNAVAILABLE, "transcripts not up to date: %v", err)
	}
	return nil
}

// project carries the log's entries out until the one of seq upTo is (all of them for
// math.MaxInt64); nothing off Cluster. page is the log's first entries as a commit returned
// them, if any: carried out first, they spare reading the log. One page at a time holds the
// process's turn, so that a caller whose entry a page carried out goes on.
func (s *Store) project(ctx context.Context, p *projector, upTo int64, page []string) error {
	if !s.keys.indexApart() || upTo <= 0 {
		return nil
	}
	for p.done.Load() < upTo {
		more, err := s.projectPage(ctx, p, upTo, page)
		if err != nil {
			// Not the caller's stopping, nor its wait for another's carrying out: a slot.
			if !errors.Is(ctx.Err(), context.Canceled) && !errors.Is(err, errNoTurn) {
				p.failing.Store(true)
			}
			return err
		}
		p.failing.Store(false) // the log was read, and what was due carried out
		if !more {
			break
		}
		page = nil
	}
	return nil
}

// errNoTurn is the error of a carrying out that ended waiting for another's in the process.
var errNoTurn = errors.New("no turn to carry out")

// projectPage carries out one page of the log, page if it still has entries to carry out,
// else the log's first, in the process's turn, unless the entry of seq upTo is carried out by
// then; it reports whether it carried any out.
func (s *Store) projectPage(ctx context.Context, p *projector, upTo int64, page []string) (bool, error) {
	select {
	case p.turn <- struct{}{}:
	case <-ctx.Done():
		return false, fmt.Errorf("%w: the %s log: %w", errNoTurn, p.what, ctx.Err())
	}
	defer func() { <-p.turn }()
	if p.done.Load() >= upTo {
		return false, nil // carried out by the page of the one before in turn
	}
	page = after(page, p.done.Load()) // those carried out since the page was read
	if len(page) == 0 {
		var err error
		done := p.done.Load()
		page, err = s.runScript(ctx, logPageScript, []string{p.log, p.seqKey}, strconv.FormatInt(done, 10), projectPage, projectBytes,
			strconv.FormatInt(max(done, p.floor.Load()), 10)).StringSlice()
		if err != nil {
			return false, fmt.Errorf("read the %s log: %w", p.what, err)
		}
		if len(page) == 0 {
			return false, nil // every entry is carried out, by this process or another
		}
	}
	mark, floor, err := p.carry(ctx, page)
	if err != nil {
		return false, err
	}
	if mark > p.done.Load() {
		p.done.Store(mark)
	}
	if floor > p.floor.Load() {
		p.floor.Store(floor)
	}
	return true, nil
}

// carryIndex carries a page of the index log out in the index slot, and returns the slot's
// mark.
func (s *Store) carryIndex(ctx context.Context, page []string) (int64, int64, error) {
	keys := s.projectKeys(s.keys.indexDone(), s.keys.inIndex, entryKeys(page))
	mark, err := s.carryInto(ctx, "index slot", "", keys, page)
	return mark, mark, err
}

// carryInto runs projectScript on a page of entries in one slot (keys: its mark and the keys
// the entries touch there; only: the prefix of those keys, "" for all) and returns the slot's
// mark after them. It is a durable write: on a Cluster it waits for a replica of the slot's
// master when one is connected, before the entries can leave the log.
func (s *Store) carryInto(ctx context.Context, where, only string, keys, page []string) (int64, error) {
	res, err := s.runDurableScript(ctx, projectScript, keys, append([]any{only}, anys(page)...)...).Int64Slice()
	if err != nil || len(res) != 2 {
		return 0, fmt.Errorf("carry %d log entries into the %s: %w", len(page), where, errOr(err, "unexpected reply"))
	}
	if res[1] > 0 {
		s.log.WarnContext(ctx, "log commands that can never be carried out (a key of the wrong type, an entry that does not decode) were skipped", "into", where, "commands", res[1])
	}
	return res[0], nil
}

// carryTranscripts carries a page of the transcript log out: in each partition its entries
// name, those entries' commands on the partition's keys, in the log's order under the
// partition's own mark (keys.transcriptDone); it returns the page's last seq, every entry up
// to it being carried out. (The entries go as they are: their values are binary, which a
// JSON decoding in Go would not keep.)
func (s *Store) carryTranscripts(ctx context.Context, page []string) (int64, int64, error) {
	var order []string          // the partitions, in the order the page first names them
	parts := map[string][]int{} // partition → the entries that name it, by index in page
	byEntry := entryKeys(page)
	var last int64
	for i, e := range page {
		seq, _, _ := strings.Cut(e, "|")
		if n, err := strconv.ParseInt(seq, 10, 64); err == nil {
			last = n
		}
		for _, key := range byEntry[i] {
			part, ok := s.keys.partOf(key)
			if !ok {
				continue // skipped by every partition's script
			}
			if _, seen := parts[part]; !seen {
				order = append(order, part)
			}
			if es := parts[part]; len(es) == 0 || es[len(es)-1] != i {
				parts[part] = append(es, i)
			}
		}
	}
	// The partitions' scripts run at once (each on its slot's master), a few at a time.
	errs := make([]error, len(order))
	marks := make([]int64, len(order))
	var wg sync.WaitGroup
	limit := make(chan struct{}, carryAtOnce)
	for i, part := range order {
		limit <- struct{}{}
		wg.Go(func() {
			defer func() { <-limit }()
			in := func(k string) bool { p, ok := s.keys.partOf(k); return ok && p == part }
			var entries []string
			var keys [][]string
			for _, j := range parts[part] {
				entries, keys = append(entries, page[j]), append(keys, byEntry[j])
			}
			marks[i], errs[i] = s.carryInto(ctx, "partition "+part, part, s.projectKeys(s.keys.transcriptDone(part), in, keys), entries)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, 0, err
	}
	return last, slices.Max(append(marks, last)), nil
}

// carryAtOnce bounds the partitions a page of the transcript log is carried into at once.
const carryAtOnce = 16

// entryKeys returns the keys each log entry's commands touch (an entry that does not decode
// touches none).
func entryKeys(page []string) [][]string {
	out := make([][]string, len(page))
	for i, e := range page {
		_, body, _ := strings.Cut(e, "|")
		var cmds [][]string
		if json.Unmarshal([]byte(body), &cmds) != nil {
			continue
		}
		for _, c := range cmds {
			if len(c) > 1 {
				out[i] = append(out[i], c[1])
			}
			if len(c) > 2 && (c[0] == "TD.NADD" || c[0] == "TD.NREM") {
				out[i] = append(out[i], c[2]) // the number's bucket
			}
		}
	}
	return out
}

// projectKeys returns projectScript's keys: the mark, then every key a page's commands touch
// (keys, by entry: entryKeys) that in says is the slot's, declared so that Redis Cluster
// refuses the script at once while any of them is being migrated, rather than let it write
// some keys on the wrong master.
func (s *Store) projectKeys(mark string, in func(string) bool, keys [][]string) []string {
	out := []string{mark}
	seen := map[string]bool{}
	for _, entry := range keys {
		for _, k := range entry {
			if in(k) && !seen[k] { // another slot's (a bug) fails as the script runs
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// errOr returns err, or an error saying what when err is nil.
func errOr(err error, what string) error {
	if err == nil {
		return errors.New(what)
	}
	return err
}

// anys returns ss as the arguments of a command.
func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, v := range ss {
		out[i] = v
	}
	return out
}

// after returns the entries of page past the mark done.
func after(page []string, done int64) []string {
	for i, e := range page {
		seq, _, _ := strings.Cut(e, "|")
		if n, err := strconv.ParseInt(seq, 10, 64); err != nil || n > done {
			return page[i:]
		}
	}
	return nil
}

// startProjectLoop carries out, every projectEvery, the index and transcript log entries left
// by a process that stopped between a commit and its projection; on Cluster only.
func (s *Store) startProjectLoop() {
	if !s.keys.indexApart() {
		return
	}
	s.goTask(func(ctx context.Context) {
		t := time.NewTicker(projectEvery)
		defer t.Stop()
		for {
			step, cancel := context.WithTimeout(ctx, 10*projectWait)
			err := s.projectAll(step)
			cancel()
			if errors.Is(err, redis.ErrClosed) {
				return // a client given to New, closed before the store
			}
			if err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "carry the logs into the index slot and the ticket partitions; trying again", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
}

// scriptArgs appends to args the commands cmds in the apply scripts' form (luaApply): each as
// its number of arguments and them. On Cluster those on the index slot's keys (and the
// UNINDEX command, whose sets are there) go with a negative number, for the index log, after
// the command that names the log; those on a transcript in its partition go wrapped in TD.TX
// with the ticket's counter (keys.transcriptWrites), for the transcript log, after the
// command that names that log.
func (s *Store) scriptArgs(args []any, cmds [][]any) []any {
	logged, txlogged := false, false
	for _, c := range cmds {
		switch {
		case s.forIndex(c):
			if !logged {
				lc := s.proj.command("TD.LOG")
				args = append(append(args, len(lc)), lc...)
				logged = true
			}
			args = append(args, -len(c))
		case s.forTranscript(c):
			if !txlogged {
				lc := s.txproj.command("TD.TXLOG")
				args = append(append(args, len(lc)), lc...)
				txlogged = true
			}
			counter, field := s.transcriptCounter(c)
			args = append(args, len(c)+3, "TD.TX", counter, field)
		default:
			args = append(args, len(c))
		}
		args = append(args, c...)
	}
	return args
}

// forIndex reports whether c goes to the index log: on Cluster, a command on an index slot's
// key, or TD.UNINDEX.
func (s *Store) forIndex(c []any) bool {
	if !s.keys.indexApart() {
		return false
	}
	if c[0] == "TD.UNINDEX" {
		return true
	}
	key, _ := c[1].(string)
	return s.keys.inIndex(key)
}

// forTranscript reports whether c goes to the transcript log: on Cluster, a command on a
// transcript in its partition.
func (s *Store) forTranscript(c []any) bool {
	key, _ := c[1].(string)
	_, ok := s.keys.partOf(key)
	return ok
}

// forLog reports whether c goes to one of the logs (on Cluster).
func (s *Store) forLog(c []any) bool { return s.forIndex(c) || s.forTranscript(c) }

// transcriptCounter returns the hash and field that count the writes to the transcript c is
// on (keys.transcriptWrites), or "" when c is on another key of a partition (a link).
func (s *Store) transcriptCounter(c []any) (string, string) {
	key, _ := c[1].(string)
	part, _ := s.keys.partOf(key)
	n, ok := strings.CutPrefix(strings.TrimPrefix(key, part), "tx:")
	id, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil {
		return "", ""
	}
	return s.keys.transcriptWrites(desk.TicketID(id)), n
}

// commit is what an apply script answers: whether the changes were applied, and the entries
// they made in the index log and the transcript log (luaLogFlush).
type commit struct {
	applied bool
	index   logged
	tx      logged
}

// logged is a commit's entry in one log: its seq (0 for none) and, when it was the first
// entry left, the log's first page.
type logged struct {
	seq  int64
	page []string
}

// committed reads an apply script's answer: {applied (0 or 1), then for each log its seq,
// the number of the page's entries and them}, or {0, 0} when nothing was applied.
func committed(cmd *redis.Cmd) (commit, error) {
	res, err := cmd.Slice()
	if err != nil {
		return commit{}, err
	}
	return commitFrom(res)
}

// commitFrom reads the applied flag and the logs' entries from res.
func commitFrom(res []any) (commit, error) {
	if len(res) < 2 {
		return commit{}, fmt.Errorf("unexpected script reply of %d items", len(res))
	}
	ok, _ := res[0].(int64)
	c := commit{applied: ok == 1}
	rest := res[1:]
	for _, l := range []*logged{&c.index, &c.tx} {
		if len(rest) < 2 {
			break
		}
		l.seq, _ = rest[0].(int64)
		n, _ := rest[1].(int64)
		rest = rest[2:]
		if n < 0 || int(n) > len(rest) {
			return commit{}, fmt.Errorf("unexpected script reply: a page of %d entries in %d items", n, len(rest))
		}
		for _, e := range rest[:n] {
			if str, isStr := e.(string); isStr {
				l.page = append(l.page, str)
			}
		}
		rest = rest[n:]
	}
	return c, nil
}

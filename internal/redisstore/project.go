package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
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
// read of the log raises the last seq to the reader's mark. What is still not covered: a
// failover of the index slot's master that loses the mark and the changes of entries already
// trimmed from the log (Cluster does not wait for replicas), as any Cluster failover may lose
// the master's last writes.
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

// luaLogFlush ends the apply scripts (luaApply): flush appends the index slot's commands
// they collected to the index log as one entry, drops the entries at or below the mark the
// process knows to be carried out (TD.LOG's third argument), and returns the entry's seq (0
// for none) and, when no other entry is left before it, the entry itself, which the caller
// then carries out at once without reading the log (with others before it, the caller reads
// them in order: project). reply appends them to a script's answer.
var luaLogFlush = luaTrimLog + `
local function flush()
  if #logged == 0 then
    return 0, {}
  end
  if not logKeys then
    error('index slot commands without TD.LOG')
  end
  local t = redis.call('TIME')
  local seq = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = math.max(tonumber(redis.call('GET', logKeys[2]) or '0'), tonumber(logKeys[3] or '0'))
  if seq <= last then
    seq = last + 1
  end
  local s = string.format('%.0f', seq)
  redis.call('SET', logKeys[2], s)
  local entry = s .. '|' .. cjson.encode(logged)
  redis.call('RPUSH', logKeys[1], entry)
  trimLog(logKeys[1], tonumber(logKeys[3] or '0'))
  if redis.call('LLEN', logKeys[1]) == 1 then
    return seq, {entry}
  end
  return seq, {}
end

local function reply(out)
  local seq, page = flush()
  out[#out + 1] = seq
  for _, e in ipairs(page) do
    out[#out + 1] = e
  end
  return out
end
`

// projectScript carries index log entries out in the index slot, those past its mark, and
// advances the mark past each one carried out.
//
// KEYS[1] the mark (<ixp>ixdone); ARGV the entries, in the log's order. Returns {the mark
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
for _, e in ipairs(ARGV) do
  local sep = string.find(e, '|', 1, true)
  local seq = tonumber(string.sub(e, 1, (sep or 1) - 1)) or 0
  if seq > done then
    local decoded, cmds = pcall(cjson.decode, string.sub(e, (sep or 0) + 1))
    if not decoded or type(cmds) ~= 'table' then
      cmds = {}
      skipped = skipped + 1
    end
    for _, c in ipairs(cmds) do
      local ran, err = pcall(exec, c)
      if not ran then
        local msg = type(err) == 'table' and (err.err or '?') or tostring(err) -- a string on 7.0
        if passing(msg) then
          mark()
          return redis.error_reply('carry out index log entry ' .. string.format('%.0f', seq) .. ': ' .. msg)
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

// logPageScript drops the index log's entries at or below a mark and returns the first of
// those left, at most ARGV[2] of them and ARGV[3] bytes (but at least one). KEYS[1] the log,
// KEYS[2] its sequence key, raised to the mark if below it (a failover lost the last writes
// of the installation's master), so that no entry to come takes a seq carried out already;
// ARGV[1] the mark.
var logPageScript = redis.NewScript(luaTrimLog + `
local done = tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') < done then
  redis.call('SET', KEYS[2], ARGV[1]) -- the next entries' seq follow what is carried out
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

// projector carries the index log out, one step at a time per process.
type projector struct {
	turn chan struct{} // held by the one projecting (lock with a context)
	done atomic.Int64  // the index slot's mark as last read: the entries up to it are carried out
	// warned is when (unix ns) a step last said its projection failed (projectNow).
	warned atomic.Int64
}

// logCommand is the command that names the index log to the apply scripts (TD.LOG).
func (s *Store) logCommand() []any {
	return []any{"TD.LOG", s.keys.indexLog(), s.keys.indexLogSeq(), strconv.FormatInt(s.proj.done.Load(), 10)}
}

// project carries the index log's entries into the index slot until the one of seq upTo is
// (all of them for math.MaxInt64); nothing off Cluster. page is the log's first entries as a
// commit returned them, if any: carried out first, they spare reading the log. One page at a
// time holds the process's turn, so that a caller whose entry a page carried out goes on.
func (s *Store) project(ctx context.Context, upTo int64, page []string) error {
	if !s.keys.indexApart() || upTo <= 0 {
		return nil
	}
	for s.proj.done.Load() < upTo {
		more, err := s.projectPage(ctx, upTo, page)
		if err != nil || !more {
			return err
		}
		page = nil
	}
	return nil
}

// projectPage carries out one page of the index log, page if it still has entries to carry
// out, else the log's first, in the process's turn, unless the entry of seq upTo is carried
// out by then; it reports whether it carried any out.
func (s *Store) projectPage(ctx context.Context, upTo int64, page []string) (bool, error) {
	select {
	case s.proj.turn <- struct{}{}:
	case <-ctx.Done():
		return false, fmt.Errorf("wait to carry out the index log: %w", ctx.Err())
	}
	defer func() { <-s.proj.turn }()
	if s.proj.done.Load() >= upTo {
		return false, nil // carried out by the page of the one before in turn
	}
	page = after(page, s.proj.done.Load()) // those carried out since the page was read
	if len(page) == 0 {
		var err error
		page, err = s.runScript(ctx, logPageScript, []string{s.keys.indexLog(), s.keys.indexLogSeq()}, strconv.FormatInt(s.proj.done.Load(), 10), projectPage, projectBytes).StringSlice()
		if err != nil {
			return false, fmt.Errorf("read the index log: %w", err)
		}
		if len(page) == 0 {
			return false, nil // every entry is carried out, by this process or another
		}
	}
	keys, args := s.projectArgs(page)
	res, err := s.runScript(ctx, projectScript, keys, args...).Int64Slice()
	if err != nil || len(res) != 2 {
		return false, fmt.Errorf("carry out %d index log entries: %v", len(page), err)
	}
	if res[1] > 0 {
		s.log.WarnContext(ctx, "index log commands that can never be carried out (a key of the wrong type, an entry that does not decode) were skipped", "commands", res[1])
	}
	s.proj.done.Store(res[0])
	return true, nil
}

// projectArgs returns projectScript's keys (the mark, then every key the page's commands
// touch, declared so that Redis Cluster refuses the script at once while any of them is
// being migrated, rather than let it write some keys on the wrong master) and arguments.
func (s *Store) projectArgs(page []string) ([]string, []any) {
	keys := []string{s.keys.indexDone()}
	seen := map[string]bool{}
	add := func(k string) {
		if s.keys.inIndex(k) && !seen[k] { // another slot's (a bug) fails as the script runs
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, e := range page {
		_, body, _ := strings.Cut(e, "|")
		var cmds [][]string
		if json.Unmarshal([]byte(body), &cmds) != nil {
			continue // skipped by the script
		}
		for _, c := range cmds {
			if len(c) > 1 {
				add(c[1])
			}
			if len(c) > 2 && (c[0] == "TD.NADD" || c[0] == "TD.NREM") {
				add(c[2]) // the number's bucket
			}
		}
	}
	return keys, anys(page)
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

// startProjectLoop carries out, every projectEvery, the index log entries left by a process that
// stopped between a commit and its projection; on Cluster only.
func (s *Store) startProjectLoop() {
	if !s.keys.indexApart() {
		return
	}
	s.goTask(func(ctx context.Context) {
		t := time.NewTicker(projectEvery)
		defer t.Stop()
		for {
			step, cancel := context.WithTimeout(ctx, 10*projectWait)
			err := s.project(step, math.MaxInt64, nil)
			cancel()
			if errors.Is(err, redis.ErrClosed) {
				return // a client given to New, closed before the store
			}
			if err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "carry the index log into the index slot; trying again", "err", err)
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
// the command that names the log.
func (s *Store) scriptArgs(args []any, cmds [][]any) []any {
	logged := false
	for _, c := range cmds {
		n := len(c)
		if s.forIndex(c) {
			if !logged {
				lc := s.logCommand()
				args = append(args, len(lc))
				args = append(args, lc...)
				logged = true
			}
			n = -n
		}
		args = append(args, n)
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

// commit is what an apply script answers: whether the changes were applied, and the index
// log entry they made (seq, 0 for none) with the log's first page (luaLogFlush).
type commit struct {
	applied bool
	seq     int64
	page    []string
}

// committed reads an apply script's answer: {applied (0 or 1), seq, the page's entries…}, or
// {0, 0} when nothing was applied.
func committed(cmd *redis.Cmd) (commit, error) {
	res, err := cmd.Slice()
	if err != nil {
		return commit{}, err
	}
	return commitFrom(res)
}

// commitFrom reads the applied flag, seq and page from res.
func commitFrom(res []any) (commit, error) {
	if len(res) < 2 {
		return commit{}, fmt.Errorf("unexpected script reply of %d items", len(res))
	}
	ok, _ := res[0].(int64)
	seq, _ := res[1].(int64)
	c := commit{applied: ok == 1, seq: seq}
	for _, e := range res[2:] {
		if str, isStr := e.(string); isStr {
			c.page = append(c.page, str)
		}
	}
	return c, nil
}

package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// Several processes share one store. Each queue shard is handled by one of them at a time,
// the holder of the shard's lease (a key naming it, expiring unless renewed), so that a
// ticket's events are handled in order whoever recorded them. Processes say they are alive in
// the replicas set, which the relay reads to spread the shards evenly over the live ones.

// takeLeaseScript takes a shard's lease for ARGV[1] for ARGV[2] milliseconds, or renews it
// when ARGV[1] holds it already. It returns 0 when another holds the lease, 1 when ARGV[1]
// took it (it was free, or had lapsed), 2 when ARGV[1] renewed it.
//
// KEYS[1] the lease.
var takeLeaseScript = redis.NewScript(`
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if holder then
  return 2
end
return 1
`)

// releaseLeaseScript deletes a shard's lease if ARGV[1] holds it.
//
// KEYS[1] the lease.
var releaseLeaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// TakeShard takes or renews this process's (Options.Consumer's) lease of a queue shard for ttl
// and reports whether this process holds it now, and whether it held it already (renewed). A
// lease another process holds is never taken: it must lapse first.
func (s *Store) TakeShard(ctx context.Context, shard int, ttl time.Duration) (held, renewed bool, err error) {
	if err := s.checkShard(shard); err != nil {
		return false, false, err
	}
	// On Sentinel a lease counts only once a replica has it: a failover that undid it would
	// let another replica take the shard while this one still works on it.
	n, err := s.runDurableScript(ctx, takeLeaseScript, []string{s.keys.lease(shard)}, s.opts.Consumer, max(ttl.Milliseconds(), 1)).Int()
	if err != nil {
		return false, false, fmt.Errorf("take the lease of queue shard %d: %w", shard, err)
	}
	return n > 0, n == 2, nil
}

// ReleaseShard gives up this process's lease of a shard, if it holds it, so that another
// process may take the shard at once.
func (s *Store) ReleaseShard(ctx context.Context, shard int) error {
	if err := s.checkShard(shard); err != nil {
		return err
	}
	if err := s.runScript(ctx, releaseLeaseScript, []string{s.keys.lease(shard)}, s.opts.Consumer).Err(); err != nil {
		return fmt.Errorf("release the lease of queue shard %d: %w", shard, err)
	}
	return nil
}

// ShardHolders returns the holder of each queue shard's lease, "" for none, read at once.
func (s *Store) ShardHolders(ctx context.Context) ([]string, error) {
	cmds := make([]*redis.StringCmd, s.opts.Shards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for shard := range cmds {
			cmds[shard] = p.Get(ctx, s.keys.lease(shard))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read the queue shards' leases: %w", err)
	}
	out := make([]string, len(cmds))
	for shard, c := range cmds {
		out[shard] = c.Val()
	}
	return out, nil
}

// luaOthersLease begins the scripts that act on a queue shard for a consumer only while its
// lease is the consumer's or nobody's (KEYS[2] the lease, ARGV[2] the consumer): otherwise
// they answer {-1, <the holder>} (othersLease).
const luaOthersLease = `
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[2] then
  return {-1, holder}
end
`

// othersLease is the error for a script's answer v that says another replica holds a shard's
// lease (luaOthersLease), wrapping desk.ErrNotHolder, nil for any other answer; why says
// what the caller may not do.
func othersLease(shard int, v []any, why string) error {
	if code, ok := v[0].(int64); ok && code == -1 && len(v) == 2 {
		return fmt.Errorf("queue shard %d is %v's now: %s: %w", shard, v[1], why, desk.ErrNotHolder)
	}
	return nil
}

// claimShardScript claims a page of a shard's pending entries for a consumer (XAUTOCLAIM …
// JUSTID) only while the shard's lease is the consumer's or nobody's, for the reason
// readNewScript gives: a claim that reached Redis after the lease changed hands would take
// entries the new holder had claimed and not yet read, stranding them.
//
// KEYS[1] the shard's stream, KEYS[2] its lease; ARGV[1] the group, ARGV[2] the consumer,
// ARGV[3] the ID to start from, ARGV[4] the page's size. It answers XAUTOCLAIM's answer (the
// next ID, the IDs claimed, and from Redis 7 those deleted), or {-1, <the holder>} when another
// replica holds the lease.
var claimShardScript = redis.NewScript(luaOthersLease + `
return redis.pcall('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'COUNT', ARGV[4], 'JUSTID')
`)

// goneAfter is how long a consumer of a queue shard must have done nothing before a new holder
// of the shard removes it: far longer than any lease, and than the 1 s a reader blocks.
const goneAfter = time.Hour

// ClaimShard makes every entry of a shard that another consumer read and never acknowledged
// this process's (XAUTOCLAIM), so that ReadQueue's read of pending entries returns it. The new
// holder of a shard's lease calls it before reading: the entries a dead process held would
// otherwise stay stranded. Once another process holds the lease it fails as unavailable and
// claims nothing more (claimShardScript). It returns how many entries it claimed. The other
// consumers, left with nothing pending, are removed from the shard's group, so that the names
// of replicas gone (a Kubernetes pod's, replaced) do not pile up.
func (s *Store) ClaimShard(ctx context.Context, shard int) (int, error) {
	if err := s.checkShard(shard); err != nil {
		return 0, err
	}
	stream := s.keys.queue(shard)
	claimed := 0
	start := "0-0"
	for {
		// On Sentinel the claim counts only once a replica has it: a failover that undid it
		// would give the entries back to the old holder, whose reads no longer come.
		v, err := s.runDurableScript(ctx, claimShardScript, []string{stream, s.keys.lease(shard)}, group, s.opts.Consumer, start, 1000).Slice()
		if err != nil && redis.HasErrorPrefix(err, "NOGROUP") {
			return claimed, s.createGroup(ctx, shard)
		}
		if err != nil {
			return claimed, fmt.Errorf("claim the pending entries of queue shard %d: %w", shard, err)
		}
		if err := othersLease(shard, v, "its pending entries are not this replica's to claim"); err != nil {
			return claimed, err
		}
		if len(v) < 2 {
			return claimed, fmt.Errorf("claim the pending entries of queue shard %d: unexpected answer %v", shard, v)
		}
		next, _ := v[0].(string)
		ids, _ := v[1].([]any)
		claimed += len(ids)
		if next == "0-0" || next == "" || next == start {
			break
		}
		start = next
	}
	consumers, err := s.rdb.XInfoConsumers(ctx, stream, group).Result()
	if err != nil {
		return claimed, fmt.Errorf("list the consumers of queue shard %d: %w", shard, err)
	}
	for _, c := range consumers {
		// Only a consumer long gone: one that read lately may be a replica still finishing.
		if c.Name == s.opts.Consumer || c.Pending > 0 || c.Idle < goneAfter {
			continue
		}
		err := s.runScript(ctx, dropConsumerScript, []string{stream, s.keys.lease(shard)}, group, s.opts.Consumer, c.Name).Err()
		if err != nil {
			return claimed, fmt.Errorf("remove consumer %s of queue shard %d: %w", c.Name, shard, err)
		}
	}
	return claimed, nil
}

// dropConsumerScript removes a consumer from a shard's group if it holds no entry and the
// shard's lease is the caller's or nobody's, both checked when the removal runs: between the
// look at the consumers and a removal that reaches Redis late, the consumer may have taken the
// lease and read entries, which the removal would drop from every pending list, for good.
//
// KEYS[1] the shard's stream, KEYS[2] its lease; ARGV[1] the group, ARGV[2] the caller,
// ARGV[3] the consumer to remove. A refusal answers as luaOthersLease does, or 0.
var dropConsumerScript = redis.NewScript(luaOthersLease + `
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[3]) > 0 then
  return 0
end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[3])
`)

// Replicas records this process as alive for ttl and returns the names of the processes alive
// now, sorted, this one included, and this one's index among them.
func (s *Store) Replicas(ctx context.Context, ttl time.Duration) ([]string, int, error) {
	now := time.Now()
	key := s.keys.replicas()
	var names *redis.StringSliceCmd
	var before *redis.StringCmd
	token := s.self.tok()
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		before = p.HGet(ctx, s.keys.replicaTokens(), s.opts.Consumer)
		p.HSet(ctx, s.keys.replicaTokens(), s.opts.Consumer, token)
		p.ZAdd(ctx, key, redis.Z{Score: float64(now.Add(ttl).UnixMilli()), Member: s.opts.Consumer})
		p.ZRemRangeByScore(ctx, key, "-inf", "("+strconv.FormatInt(now.UnixMilli(), 10))
		names = p.ZRange(ctx, key, 0, -1)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, 0, fmt.Errorf("record this replica as alive: %w", err)
	}
	if prev := before.Val(); prev != "" && prev != token && s.self.wrote.Load() {
		if last := s.self.logged.Load(); now.Unix()-last >= 60 && s.self.logged.CompareAndSwap(last, now.Unix()) {
			s.log.ErrorContext(ctx, "another process runs with this INSTANCE_NAME on the same Redis: both handle the same queue shards; give each replica its own INSTANCE_NAME",
				"instance_name", s.opts.Consumer)
		}
	}
	s.self.wrote.Store(true)
	out := names.Val()
	slices.Sort(out)
	me, _ := slices.BinarySearch(out, s.opts.Consumer)
	return out, me, nil
}

// selfCheck finds another process running under this one's Consumer name (INSTANCE_NAME): each
// heartbeat writes a token of this process's own under the name and reads the one before. If
// another token replaced the one this process wrote at its last heartbeat, another process
// has the name: the two would share leases and each handle the same shards. It is said in the
// log, loudly and at most once a minute, as it cannot be set right from here.
type selfCheck struct {
	once   sync.Once
	token  string
	wrote  atomic.Bool
	logged atomic.Int64 // unix seconds of the last warning
}

func (c *selfCheck) tok() string {
	c.once.Do(func() {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		c.token = hex.EncodeToString(b)
	})
	return c.token
}

// LeaveReplicas removes this process from the replicas alive, as it stops.
func (s *Store) LeaveReplicas(ctx context.Context) error {
	if err := s.rdb.ZRem(ctx, s.keys.replicas(), s.opts.Consumer).Err(); err != nil {
		return fmt.Errorf("remove this replica from those alive: %w", err)
	}
	return nil
}

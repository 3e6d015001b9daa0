package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// group is the consumer group every queue shard is read through.
const group = "threadesk"

// Options tunes a Store. The zero value is usable: every field has a default.
type Options struct {
	// Prefix starts every key, so installations and tests can share a server. Default "td:".
	Prefix string
	// Shards is the number of queue shards (streams). Default 32. It must stay the same for
	// the life of an installation, or events in the shards beyond it are never read.
	Shards int
	// DedupeTTL is how long an event ID is remembered to drop redeliveries. Default 72h,
	// longer than any platform keeps retrying.
	DedupeTTL time.Duration
	// Consumer is this process's name in the consumer groups. It must be stable across
	// restarts: the events a crashed process read and never acknowledged are read again only
	// under the same name. Default "threadesk".
	Consumer string
	// Logger receives warnings about queue entries that cannot be read. Default slog.Default().
	Logger *slog.Logger
	// WaitReplicas is how many replicas of the Redis master must have an event before
	// Enqueue returns (WAIT), so that an event the platform is told was recorded survives a
	// failover; and a join record before its post is sent. Open sets 1 for a Sentinel URL
	// (and, while the sentinels know no replica of the master, waits only for one connected
	// to it: watchReplicas), and for a Cluster URL waitConnected: a write waits for one
	// replica of its slot's master when one is connected to that master.
	// WaitTimeout bounds the wait (default 1 s); past it the write is not acknowledged.
	WaitReplicas int
	WaitTimeout  time.Duration
}

func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = "td:"
	}
	if o.Shards <= 0 {
		o.Shards = 32
	}
	if o.DedupeTTL <= 0 {
		o.DedupeTTL = 72 * time.Hour
	}
	if o.Consumer == "" {
		o.Consumer = "threadesk"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = time.Second
	}
	return o
}

// Store is desk.Store on Redis. It is safe for concurrent use; all its state is in Redis, so
// several processes may share one server.
type Store struct {
	rdb   redis.UniversalClient
	rate  *redis_rate.Limiter // posts' pace shared by the replicas (pace.go)
	batch *batchers
	opts  Options
	keys  keys
	log   *slog.Logger
	owned bool // Close closes rdb: Open created it
	// cluster is set on Redis Cluster, where a transaction or script keeps to one slot.
	cluster bool
	// tasks are the background work the store started (goTask): the indexing of old tickets
	// (index.go), of words a stopped process left unwritten (wordqueue.go), the split of old
	// number sets (numberset.go). Close stops and awaits them.
	tasks []*task
	// words are the search words of history entries waiting for the next batch.
	words wordQueue
	// self tells this process from another that has the same Consumer name (lease.go).
	self selfCheck
	// proj carries the index log into the index slot on Cluster, txproj the transcript log
	// into the ticket partitions (project.go).
	proj, txproj *projector
	// wait is how many replicas a durable write waits for now: Options.WaitReplicas, or
	// waitConnected while the sentinels know no replica of the master (watchReplicas).
	wait atomic.Int32
}

var _ desk.Store = (*Store)(nil)

// setupTimeout bounds New's creation of the consumer groups, which has no caller context.
const setupTimeout = 10 * time.Second

// New returns a Store on rdb and creates the consumer group of every queue shard (taking at
// most setupTimeout). The caller keeps ownership of rdb: Close leaves it open. rdb's pool must
// have a connection per shard beyond what the app uses otherwise, because each shard's reader
// holds one while it waits for events (Open sees to that).
func New(rdb redis.UniversalClient, opts Options) (*Store, error) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	return newStore(ctx, rdb, opts)
}

func newStore(ctx context.Context, rdb redis.UniversalClient, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	_, cluster := rdb.(*redis.ClusterClient)
	if cluster && !hasHashTag(opts.Prefix) {
		// Every script and transaction needs its keys in one slot (see keys.go).
		tagged := withHashTag(opts.Prefix)
		opts.Logger.Info("Redis Cluster: the key prefix has no hash tag, so every key goes under one; set REDIS_PREFIX to it to silence this",
			"prefix", opts.Prefix, "using", tagged)
		opts.Prefix = tagged
	}
	s := &Store{rdb: rdb, rate: redis_rate.NewLimiter(rdb), opts: opts, keys: keys{prefix: opts.Prefix}, log: opts.Logger, cluster: cluster}
	if cluster {
		// The indexes have a slot of their own, the transcripts their tickets' partitions
		// (project.go).
		s.keys.ix = s.keys.apart("ix")
		s.warnSlotsTogether(ctx)
	}
	s.newProjectors()
	for shard := range opts.Shards {
		if err := s.createGroup(ctx, shard); err != nil {
			return nil, err
		}
	}
	s.wait.Store(int32(opts.WaitReplicas))
	s.batch = newBatchers(rdb, opts.Prefix, s.keys.index(wordsPending), s.queueWords, &s.wait, opts.WaitTimeout)
	if err := s.moveLegacyQueues(ctx); err != nil {
		s.batch.close()
		return nil, err
	}
	// The SLA's sort set no longer holds tickets without a clock; older stores put them in,
	// scored from noDue on.
	if err := s.rdb.ZRemRangeByScore(ctx, s.keys.index("due"), strconv.FormatInt(noDue, 10), "+inf").Err(); err != nil {
		s.batch.close()
		return nil, fmt.Errorf("clean the SLA's sort set: %w", err)
	}
	// Nor is there a sort set of priorities (the priorities' filter sets give that order);
	// UNLINK frees an old one's 100 bytes a ticket outside the server's main thread.
	// The normal priority has no filter set either (its tickets are those in no other's).
	if err := s.rdb.Unlink(ctx, s.keys.index("prio"), s.keys.index("pri:normal")).Err(); err != nil {
		s.batch.close()
		return nil, fmt.Errorf("drop the old sort set of priorities: %w", err)
	}
	// Log entries a stopped process left are carried out before anything reads the index
	// slot or the transcripts (the words' recovery below reads ix:wpend and histories).
	if err := s.projectAll(ctx); err != nil {
		// The loop carries them out later; the words' recovery waits for the transcripts'
		// (a ticket stays listed for the next start until its words are written).
		s.log.Warn("carry out the logs a stopped process left; going on", "err", err)
	}
	if err := s.startMoveLegacyIndexes(ctx); err != nil {
		s.batch.close()
		return nil, err
	}
	if _, err := s.startBackfill(ctx); err != nil {
		s.batch.close()
		return nil, err
	}
	if err := s.startWordRecovery(ctx); err != nil {
		s.stopBackground()
		s.batch.close()
		return nil, err
	}
	if _, err := s.startSplit(ctx); err != nil {
		s.stopBackground()
		s.batch.close()
		return nil, err
	}
	s.startProjectLoop()
	return s, nil
}

// warnSlotsTogether says, on a Cluster whose one master holds both the installation's slot
// and the index slot, which master that is and how to move one: the two busiest slots, that
// master then does about two thirds of the installation's work (BenchmarkClusterSpread).
func (s *Store) warnSlotsTogether(ctx context.Context) {
	cc, ok := s.rdb.(*redis.ClusterClient)
	if !ok {
		return
	}
	inst, err1 := cc.MasterForKey(ctx, s.keys.prefix)
	ix, err2 := cc.MasterForKey(ctx, s.keys.ixp())
	if err1 != nil || err2 != nil || inst.Options().Addr != ix.Options().Addr {
		return
	}
	s.log.Warn("Redis Cluster: one master holds both the installation's slot and the index slot, the two busiest, "+
		"so it does about two thirds of the work; move one of them to another master (redis-cli --cluster reshard)",
		"master", inst.Options().Addr,
		"installation_slot", cc.ClusterKeySlot(ctx, s.keys.prefix).Val(), "index_slot", cc.ClusterKeySlot(ctx, s.keys.ixp()).Val())
}

// createGroup creates the consumer group of a queue shard, and the stream if need be, unless
// it exists. The group starts at the stream's first entry.
func (s *Store) createGroup(ctx context.Context, shard int) error {
	err := s.rdb.XGroupCreateMkStream(ctx, s.keys.queue(shard), group, "0").Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return fmt.Errorf("create consumer group of queue shard %d: %w", shard, err)
	}
	return nil
}

// Open connects to the REDIS_URL rawURL in any of its forms (see ParseURL: one server,
// Sentinel or Cluster), checks that Redis answers and returns a Store that closes the client
// on Close. Errors name the server's hosts, never the URL's password.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	target, err := ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("the redis URL for %s %w", urlHost(rawURL), err)
	}
	// Every queue shard's reader holds a connection while it waits for events, so the pool
	// needs one per shard on top of what the rest of the app uses at once.
	opts = opts.withDefaults()
	switch {
	case target.Mode == Sentinel && opts.WaitReplicas == 0:
		// A failover promotes a replica: what only the old master had is lost with it.
		opts.WaitReplicas = 1
	case target.Mode == Cluster && opts.WaitReplicas == 0:
		// So on a Cluster, where a master's replica is promoted when it fails: each write
		// waits for a replica of its slot's master when one is connected to it.
		opts.WaitReplicas = waitConnected
	}
	pool := opts.Shards + 10*runtime.GOMAXPROCS(0)
	if target.Mode == Cluster {
		// And each shard's slot has a batcher of its own, with a transaction in flight.
		pool += opts.Shards
	}
	target.SetPoolSize(pool)
	rdb := target.NewClient()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		if strings.Contains(err.Error(), "SELECT is not allowed in cluster mode") {
			_, err = target.asCluster() // says which database the URL names
		}
		return nil, fmt.Errorf("connect to redis at %s: %w", target, err)
	}
	if target.Mode == Single {
		if why := sentinelNotServer(ctx, rdb, target); why != "" {
			_ = rdb.Close()
			return nil, fmt.Errorf("the redis URL for %s %s", target, why)
		}
	}
	if target.Mode == Single && clusterNode(ctx, rdb) {
		// One node of a Cluster, named as one server: a plain client would be refused every
		// key of the other nodes' slots (MOVED). It is the seed of a Cluster client instead.
		_ = rdb.Close()
		ct, err := target.asCluster()
		if err != nil {
			return nil, fmt.Errorf("the redis URL for %s %w", target, err)
		}
		opts.Logger.Info("REDIS_URL names one node of a Redis Cluster: the others are found through it (redis-cluster://host1:port,host2:port names several)", "node", target.String())
		target = ct
		target.SetPoolSize(pool + opts.Shards) // as a Cluster's (above)
		rdb = target.NewClient()
		if err := rdb.Ping(ctx).Err(); err != nil {
			_ = rdb.Close()
			return nil, fmt.Errorf("connect to redis at %s: %w", target, err)
		}
	}
	s, err := newStore(ctx, rdb, opts)
	if err == nil && target.Mode == Sentinel {
		s.watchReplicas(ctx, target)
	}
	if err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("open redis at %s: %w", target, err)
	}
	s.owned = true
	return s, nil
}

// urlHost returns the host:port of a URL for error messages, never its user or password, even
// when the URL does not parse.
func urlHost(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		return u.Host
	}
	_, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return "(not a URL)"
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = rest[i+1:]
	}
	host, _, _ := strings.Cut(rest, "/")
	return host
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}

// Close stops the store's batches and closes the Redis client if Open created it; a client
// given to New stays open.
func (s *Store) Close() error {
	s.stopBackground()
	// The words waiting go before the batches stop; a failure leaves them to the next start.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	if err := s.flushWords(ctx); err != nil {
		s.log.Warn("the search words waiting were not written; the next start writes them", "err", err)
	}
	cancel()
	s.batch.close()
	if !s.owned {
		return nil
	}
	if err := s.rdb.Close(); err != nil {
		return fmt.Errorf("close redis client: %w", err)
	}
	return nil
}

// stopBackground stops and awaits the store's background indexing, if any.
func (s *Store) stopBackground() {
	for _, t := range s.tasks {
		t.stop()
		<-t.done
	}
}

// task is background work of a store, which Close stops and awaits.
type task struct {
	stop context.CancelFunc
	done chan struct{} // closed when the work has returned
}

// goTask runs work in the background until it returns or the store closes.
func (s *Store) goTask(work func(ctx context.Context)) *task {
	ctx, cancel := context.WithCancel(context.Background())
	t := &task{stop: cancel, done: make(chan struct{})}
	s.tasks = append(s.tasks, t)
	go func() {
		defer close(t.done)
		work(ctx)
	}()
	return t
}

// onceLease bounds how long one process's work of startOnce keeps others from starting theirs.
const onceLease = 30 * time.Minute

// startOnce runs work in the background once per server, as a store starts, unless
// versionKey holds version: one process at a time (under leaseKey), the version recorded
// when work returns nil (work says itself what went wrong otherwise; the next start goes
// on). A server without tickets has nothing to work on: it only gets the version. It returns
// the task, or nil when there was nothing to run; what names the work in errors.
func (s *Store) startOnce(ctx context.Context, what, versionKey, version, leaseKey string, work func(ctx context.Context) error) (*task, error) {
	// Two reads, not MGET: on Cluster the version may be in the index slot (keys.ixp).
	var have, seq *redis.StringCmd
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		have, seq = p.Get(ctx, versionKey), p.Get(ctx, s.keys.seq())
		return nil
	})
	for _, c := range []*redis.StringCmd{have, seq} {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("read the version of %s: %w", what, err)
		}
	}
	if have.Val() == version {
		return nil, nil
	}
	if n := seq.Val(); n == "" || n == "0" {
		if err := s.rdb.Set(ctx, versionKey, version, 0).Err(); err != nil {
			return nil, fmt.Errorf("record the version of %s: %w", what, err)
		}
		return nil, nil
	}
	return s.goTask(func(ctx context.Context) {
		ok, err := s.rdb.SetNX(ctx, leaseKey, s.opts.Consumer, onceLease).Result()
		if err != nil || !ok {
			return // another process does it, or Redis is away: the next start tries again
		}
		// Released only if still this process's: past onceLease another may hold it.
		defer releaseLeaseScript.Run(context.WithoutCancel(ctx), s.rdb, []string{leaseKey}, s.opts.Consumer)
		if work(ctx) != nil {
			return
		}
		if err := s.rdb.Set(ctx, versionKey, version, 0).Err(); err != nil {
			s.log.Warn("record the version of "+what, "err", err)
		}
	}), nil
}

// notFound wraps desk.ErrNotFound with what was looked up.
func notFound(what string) error { return fmt.Errorf("%s: %w", what, desk.ErrNotFound) }

// Logger returns a go-redis logger that writes to log (at warning level), so that the client's
// own messages (a failed dial, a pool problem) follow the app's log format. Install it with
// redis.SetLogger.
func Logger(log *slog.Logger) interface {
	Printf(ctx context.Context, format string, v ...any)
} {
	return redisLog{log: log.With("component", "redis")}
}

type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, strings.TrimSpace(fmt.Sprintf(format, v...)))
}

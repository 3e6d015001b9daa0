package redisstore

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// maxBatch bounds how many operations one batch carries.
const maxBatch = 128

// errClosed is returned for an operation handed to a closed Store.
var errClosed = errors.New("redis store is closed")

// batcher sends the small, frequent operations of many goroutines to Redis together: the
// intake's Enqueue, the workers' ticket lookups and the transactions of Apply. Each of those
// would otherwise cost a round trip of its own, and on a busy desk the round trips, not the
// commands, are what Redis and the app spend their time on.
//
// One goroutine takes every operation waiting and sends them as one MULTI/EXEC; operations
// that arrive meanwhile wait for the next batch, so a batch is as large as the load makes it
// and a lone operation is sent at once, never held back for company. MULTI/EXEC keeps each
// operation all-or-nothing, as it was alone (the batch is all-or-nothing as a whole), and an
// operation's result is read from its own commands. A batch Redis refuses as a whole
// (EXECABORT, when one command is refused before it runs) is sent again one operation at a
// time, so that one bad operation never fails the others.
//
// A batch may also carry commands of no operation, at its front: pre adds them (the search
// words waiting, see wordqueue.go) and is told whether they were written. nudgeSoon sends
// them when no operation comes within a moment.
//
// A batcher's operations must all be in one hash slot on Redis Cluster: batchers gives each
// slot its own.
type batcher struct {
	rdb redis.UniversalClient
	pre func(redis.Pipeliner) (int, func(ok bool)) // nil: none
	// replicas, when it holds more than 0, is how many replicas must have the writes of a
	// batch carrying a durable operation before that operation succeeds (WAIT, within
	// waitTimeout). It is the store's, which may change it (Store.watchReplicas).
	replicas    *atomic.Int32
	waitTimeout time.Duration
	// slotKey, on Cluster, is a key of the batcher's slot: a batch that waits for replicas
	// runs on a connection of its own to that slot's master (ownConn).
	slotKey string
	// replicated is whether the master had a replica connected when a batch last asked
	// (waitConnected): a batch sent again after its slot moved fails its durable operations
	// only then.
	replicated atomic.Bool
	ops        chan *op
	kick       chan struct{}
	// nudging is set while a nudge is due (nudgeSoon).
	nudging atomic.Bool
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// op is one operation: the commands queue adds, and where the batch's outcome goes.
type op struct {
	ctx   context.Context
	queue func(redis.Pipeliner)
	cmds  []redis.Cmder // the commands queue added, once the batch has run
	done  chan struct{}
	// durable operations succeed only once the batcher's replicas have them; err says why
	// one did not.
	durable bool
	err     error
}

func newBatcher(rdb redis.UniversalClient, slotKey string, pre func(redis.Pipeliner) (int, func(ok bool)), replicas *atomic.Int32, waitTimeout time.Duration) *batcher {
	b := &batcher{
		rdb:         rdb,
		slotKey:     slotKey,
		pre:         pre,
		replicas:    replicas,
		waitTimeout: waitTimeout,
		kick:        make(chan struct{}, 1),
		ops:         make(chan *op, maxBatch),
		stop:        make(chan struct{}),
		done:        make(chan struct{}),
	}
	go b.run()
	return b
}

// do runs queue's commands in a MULTI/EXEC with other goroutines' operations and returns the
// first error of its own commands (redis.Nil, an empty reply, is not an error here: the
// caller reads its commands). queue must only add commands.
func (b *batcher) do(ctx context.Context, queue func(redis.Pipeliner)) error {
	return b.send(ctx, queue, false)
}

// doDurable is do for an operation whose writes must not be lost when Redis fails over (an
// event the platform is told was recorded): it succeeds only once the batcher's replicas have
// them, and fails (EUNAVAILABLE) when they do not within the wait, so that the platform sends
// the event again.
func (b *batcher) doDurable(ctx context.Context, queue func(redis.Pipeliner)) error {
	return b.send(ctx, queue, true)
}

func (b *batcher) send(ctx context.Context, queue func(redis.Pipeliner), durable bool) error {
	o := &op{ctx: ctx, queue: queue, done: make(chan struct{}), durable: durable}
	select {
	case b.ops <- o:
	case <-b.stop:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-o.done:
	case <-b.done:
		// The batcher stopped; an operation it did not take was never sent.
		select {
		case <-o.done:
		default:
			return errClosed
		}
	case <-ctx.Done():
		// The batch may still run it: the outcome is unknown, as when a lone command's
		// answer is lost.
		return ctx.Err()
	}
	for _, c := range o.cmds {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
	}
	return o.err
}

// nudge asks for a batch even if no operation comes, for what pre adds.
func (b *batcher) nudge() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// nudgeDelay is how long what pre adds may wait for an operation's batch to go with.
const nudgeDelay = 50 * time.Millisecond

// nudgeSoon nudges the batcher after nudgeDelay unless a nudge is due already: what pre adds
// goes with the next operations' batch when one comes by then (on a busy desk, always), and
// costs a batch of its own only on a quiet one.
func (b *batcher) nudgeSoon() {
	if b.nudging.Swap(true) {
		return
	}
	time.AfterFunc(nudgeDelay, func() {
		b.nudging.Store(false)
		b.nudge()
	})
}

// close stops the batcher once the batch under way is done; operations still waiting fail.
func (b *batcher) close() {
	b.once.Do(func() { close(b.stop) })
	<-b.done
}

func (b *batcher) run() {
	defer close(b.done)
	batch := make([]*op, 0, maxBatch)
	for {
		select {
		case <-b.stop:
			b.failWaiting()
			return
		case o := <-b.ops:
			batch = append(batch[:0], o)
		case <-b.kick:
			batch = batch[:0]
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case o := <-b.ops:
				batch = append(batch, o)
			default:
				break fill
			}
		}
		b.exec(batch)
		clear(batch)
	}
}

// exec sends a batch and hands each operation its commands.
func (b *batcher) exec(batch []*op) {
	live := batch[:0:0]
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			o.cmds = []redis.Cmder{failedCmd(err)} // given up before anything was sent
			close(o.done)
			continue
		}
		live = append(live, o)
	}
	replicas := int(b.replicas.Load())
	if !slices.ContainsFunc(live, func(o *op) bool { return o.durable }) {
		replicas = 0 // nothing to wait for
	}
	b.execOn(live, replicas)
}

// execOn sends the live operations of a batch. With replicas to wait for, the batch runs on
// a connection of its own to the master, so that WAIT counts the replicas that have its
// writes (WAIT is about the writes of the connection it is sent on), and its durable
// operations succeed only once replicas have them.
func (b *batcher) execOn(live []*op, replicas int) {
	var conn *redis.Conn
	p := b.rdb.TxPipeline()
	if replicas != 0 {
		if conn = b.ownConn(); conn != nil {
			defer conn.Close()
			p = conn.TxPipeline()
		} else if b.slotKey != "" && (replicas > 0 || b.replicated.Load()) {
			// No connection to the slot's master (the Cluster's map could not be read):
			// the batch goes through the Cluster's client, and its durable operations
			// cannot be confirmed on the master's replica.
			unconfirmed(live, "recorded, but its hash slot's Redis Cluster master could not be reached on a connection of its own to confirm it on a replica: not acknowledged, to be sent again")
		}
	}
	var front int
	var sent func(ok bool)
	if b.pre != nil {
		front, sent = b.pre(p)
	}
	if len(live) == 0 && front == 0 {
		return
	}
	bounds := make([]int, len(live)+1)
	bounds[0] = front
	for i, o := range live {
		o.queue(p)
		bounds[i+1] = p.Len()
	}
	var role *redis.Cmd
	if replicas == waitConnected && conn != nil {
		role = p.Do(context.Background(), "ROLE") // after the operations' commands
	}
	// The batch is not any one caller's: it runs to its end with the client's timeouts.
	cmds, err := p.Exec(context.Background())
	if sent != nil {
		ok := len(cmds) >= front
		for _, c := range cmds[:min(front, len(cmds))] {
			ok = ok && c.Err() == nil
		}
		sent(ok)
	}
	slotMaster := conn != nil && b.slotKey != "" // on Cluster, the slot's master's own connection
	if slotMaster && !execRan(err) {
		// The slot's master did not answer: perhaps it died and the Cluster promoted its
		// replica, which the client learns by asking again.
		b.rdb.(*redis.ClusterClient).ReloadState(context.Background())
	}
	if slotMaster && redirected(err, cmds) {
		// The slot is moving to another master, or has moved: the batch is sent again
		// through the Cluster's client, which follows it. Its durable operations are then
		// not confirmed on a replica, and fail when the master had one (their writes are
		// made; the callers try again, as after any lost answer).
		if replicas > 0 || b.replicated.Load() {
			unconfirmed(live, "recorded while its hash slot moves between Redis Cluster masters, not confirmed on a replica: not acknowledged, to be sent again")
		}
		b.execOn(live, 0)
		return
	}
	if err != nil && len(live) > 1 && redis.HasErrorPrefix(err, "EXECABORT") {
		for _, o := range live {
			b.exec([]*op{o})
		}
		return
	}
	if replicas == waitConnected {
		replicas = 0
		if role != nil && connectedReplicas(role) > 0 {
			replicas = 1
		}
		if role != nil && role.Err() == nil {
			b.replicated.Store(replicas > 0)
		}
	}
	var unsure error
	if conn != nil && replicas > 0 && execRan(err) {
		if n, werr := replicated(context.Background(), conn, replicas, b.waitTimeout); werr != nil {
			unsure = desk.Errorf(desk.EUNAVAILABLE, "recorded, but on %d of the %d Redis replicas it must be on (%v): not acknowledged, to be sent again", n, replicas, werr)
		}
	}
	for i, o := range live {
		o.cmds = cmds[bounds[i]:bounds[i+1]]
		if o.durable && unsure != nil {
			o.err = unsure
		}
		close(o.done)
	}
}

// unconfirmed fails the durable operations of a batch (EUNAVAILABLE, why), whose writes are
// made but not confirmed on a replica.
func unconfirmed(live []*op, why string) {
	for _, o := range live {
		if o.durable {
			o.err = desk.Errorf(desk.EUNAVAILABLE, "%s", why)
		}
	}
}

// ownConn returns a connection of the batcher's own to the master of its keys, or nil when
// the client gives none: the master's of its slot on Cluster, the master's otherwise.
func (b *batcher) ownConn() *redis.Conn {
	cc, cluster := b.rdb.(*redis.ClusterClient)
	if !cluster {
		return ownConn(b.rdb)
	}
	if b.slotKey == "" {
		return nil
	}
	node, err := cc.MasterForKey(context.Background(), b.slotKey)
	if err != nil {
		return nil
	}
	return node.Conn()
}

// redirected reports whether Redis Cluster sent a transaction, or a command of it, to
// another master (MOVED, ASK) or asked to try again while its keys move (TRYAGAIN).
func redirected(err error, cmds []redis.Cmder) bool {
	is := func(err error) bool {
		return redis.HasErrorPrefix(err, "MOVED") || redis.HasErrorPrefix(err, "ASK") || redis.HasErrorPrefix(err, "TRYAGAIN")
	}
	return is(err) || slices.ContainsFunc(cmds, func(c redis.Cmder) bool { return is(c.Err()) })
}

// waitConnected, as the replicas a batcher waits for, says: one if the master has a replica
// connected, none otherwise (a Sentinel master its sentinels know no replica of:
// Store.watchReplicas; and on a Cluster, each slot's master). A replica that attached since
// they last looked is waited for.
const waitConnected = -1

// connectedReplicas counts the replicas in a master's answer to ROLE ("master", its offset,
// the replicas).
func connectedReplicas(role *redis.Cmd) int {
	v, err := role.Slice()
	if err != nil || len(v) < 3 {
		return 0
	}
	replicas, _ := v[2].([]any)
	return len(replicas)
}

// execRan reports whether a transaction that answered err was carried out: it was unless the
// connection failed or Redis refused it whole (EXECABORT). A command of it that answered an
// error, or nil, fails alone: the others' writes are made, and are waited for.
func execRan(err error) bool {
	var reply redis.Error
	return err == nil || errors.As(err, &reply) && !redis.HasErrorPrefix(err, "EXECABORT")
}

// failWaiting ends the operations queued when the batcher stops: they were never sent.
func (b *batcher) failWaiting() {
	for {
		select {
		case o := <-b.ops:
			o.cmds = []redis.Cmder{failedCmd(errClosed)}
			close(o.done)
		default:
			return
		}
	}
}

// failedCmd stands for the commands of an operation that was never sent, and why.
func failedCmd(err error) *redis.Cmd {
	c := redis.NewCmd(context.Background())
	c.SetErr(err)
	return c
}

// batchers route each operation to the batcher of its keys' slot. On Redis Cluster, where a
// MULTI/EXEC keeps to one slot, each slot that has operations gets a batcher of its own, made
// on first use: the installation's (home), the index slot's (which also sends the search
// words waiting) and each queue shard's. They run apart, so a master that is slow or failing
// over holds up only its slots' operations. Elsewhere one batcher takes every operation,
// whatever its keys, and sends the words.
type batchers struct {
	home    *batcher
	homeTag string   // the hash tag of the installation's keys; "" but on Cluster
	words   *batcher // the one that sends the search words waiting (pre)
	more    func(slotKey string) *batcher
	mu      sync.Mutex
	slots   map[string]*batcher // by hash tag, on Cluster
	closed  bool
}

// newBatchers makes the batchers of an installation under prefix, whose search words (pre's
// commands) are in wordsKey's slot.
func newBatchers(rdb redis.UniversalClient, prefix, wordsKey string, pre func(redis.Pipeliner) (int, func(ok bool)), replicas *atomic.Int32, waitTimeout time.Duration) *batchers {
	_, cluster := rdb.(*redis.ClusterClient)
	slotKey := func(key string) string {
		if !cluster {
			return ""
		}
		return key
	}
	more := func(key string) *batcher { return newBatcher(rdb, key, nil, replicas, waitTimeout) }
	if !cluster || slotTag(wordsKey) == slotTag(prefix) {
		home := newBatcher(rdb, slotKey(prefix), pre, replicas, waitTimeout)
		bs := &batchers{home: home, words: home}
		if cluster {
			bs.homeTag = slotTag(prefix)
			bs.slots = map[string]*batcher{}
			bs.more = more
		}
		return bs
	}
	bs := &batchers{home: newBatcher(rdb, prefix, nil, replicas, waitTimeout), homeTag: slotTag(prefix),
		words: newBatcher(rdb, wordsKey, pre, replicas, waitTimeout)}
	bs.slots = map[string]*batcher{slotTag(wordsKey): bs.words}
	bs.more = more
	return bs
}

// of returns the batcher of key's slot ("": the installation's).
func (bs *batchers) of(key string) *batcher {
	if bs.slots == nil || key == "" {
		return bs.home
	}
	tag := slotTag(key)
	if tag == bs.homeTag {
		return bs.home
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if bs.closed {
		return closedBatcher // not home, which may still be sending its last batch
	}
	b := bs.slots[tag]
	if b == nil {
		b = bs.more(key)
		bs.slots[tag] = b
	}
	return b
}

// closedBatcher fails every operation at once (errClosed): a batcher that never ran.
var closedBatcher = func() *batcher {
	b := &batcher{stop: make(chan struct{}), done: make(chan struct{})}
	close(b.stop)
	close(b.done)
	return b
}()

// do runs queue's commands with other operations of key's slot (batcher.do). queue must only
// add commands on keys in key's slot ("": the installation's).
func (bs *batchers) do(ctx context.Context, key string, queue func(redis.Pipeliner)) error {
	return bs.of(key).do(ctx, queue)
}

// doDurable is do for writes that must not be lost to a failover (batcher.doDurable).
func (bs *batchers) doDurable(ctx context.Context, key string, queue func(redis.Pipeliner)) error {
	return bs.of(key).doDurable(ctx, queue)
}

// nudgeSoon asks for a batch of the words' slot soon, for the search words waiting.
func (bs *batchers) nudgeSoon() { bs.words.nudgeSoon() }

// close stops every batcher once its batch under way is done.
func (bs *batchers) close() {
	bs.mu.Lock()
	bs.closed = true
	others := slices.Collect(maps.Values(bs.slots))
	bs.mu.Unlock()
	for _, b := range others {
		b.close()
	}
	bs.home.close()
}

// runScript runs script in the next batch of its keys' slot (keys[0] names it). When Redis
// does not know the script (it was restarted, failed over, or its scripts flushed) it is sent
// again with its body, which loads it, in the next batch of the same slot: so it keeps its
// place among the slot's operations and, when durable, still waits for the replicas.
func (s *Store) runScript(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	return s.runScriptIn(ctx, s.batch.do, script, keys, args...)
}

// runDurableScript is runScript for writes that must not be lost to a failover (doDurable).
func (s *Store) runDurableScript(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	return s.runScriptIn(ctx, s.batch.doDurable, script, keys, args...)
}

func (s *Store) runScriptIn(ctx context.Context, do func(context.Context, string, func(redis.Pipeliner)) error, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	var cmd *redis.Cmd
	var key string
	if len(keys) > 0 {
		key = keys[0]
	}
	err := do(ctx, key, func(p redis.Pipeliner) { cmd = p.EvalSha(ctx, script.Hash(), keys, args...) })
	if redis.HasErrorPrefix(err, "NOSCRIPT") {
		err = do(ctx, key, func(p redis.Pipeliner) { cmd = script.Eval(ctx, p, keys, args...) })
	}
	if err != nil {
		return failedCmd(err)
	}
	return cmd
}

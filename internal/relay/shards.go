package relay

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Several processes (replicas) may run on one store. Each queue shard is handled by one of
// them at a time, the holder of the shard's lease, so that a ticket's events are handled in
// order whichever replica recorded them. Every SHARD_LEASE/3 each replica says it is alive,
// renews the leases it holds, and evens out the shards: with n replicas alive, shard i is
// "preferred" by the replica at index i mod n of their sorted names. A replica takes the free
// shards it prefers, and free others while it holds fewer than its fair share (⌈shards/n⌉),
// which is how a dead replica's shards are taken over once its leases lapse; it gives up the
// shards it does not prefer while it holds more than its fair share, which is how shards move
// to a replica that joins. The new holder of a shard first claims the entries its previous
// holder read and never acknowledged (XAUTOCLAIM) and carries out its outbox.
//
// Leases lapse in Redis's time, so they are renewed on the wall clock, not the relay's Clock.

// shardWorker is a shard this replica holds, and the goroutine handling its events. stop
// asks the worker to stop after the event in hand; stopWork also cuts that event short (its
// platform calls and retries), for when the lease is, or may be, another replica's: the event
// stays pending for the shard's next holder, who looks before sending anything again.
type shardWorker struct {
	stop, stopWork context.CancelFunc
	done           chan struct{}
	renewed        time.Time // when the lease was last taken or renewed
	// lease tells the worker's platform calls whether the lease holds (fence.go).
	lease *leaseGate
	// release says the worker is leaving to give the shard to another replica: its lease is
	// renewed until the worker is done, then released.
	release bool
}

// shardSet is what runShards keeps between rounds: the shards this replica holds, and those it
// is leaving (its worker finishing the event in hand, its lease still this replica's).
type shardSet struct {
	held    map[int]*shardWorker
	leaving map[int]*shardWorker
	// wanting says the last round found a shard this replica prefers held by another while
	// this replica holds well under its share.
	wanting       bool
	wantingRounds int
	// wake is signalled when a worker ends, so that its lease is released at once.
	wake chan struct{}
	// givenUp holds when this replica gave each shard up to even the shares out: such a
	// shard is left free for a lease for the replica that prefers it (takeFree). One still
	// free after that tells that the replicas that prefer what this one holds do not take it
	// (of another version, or counting other shards): this replica then gives nothing up
	// until keepUntil, rather than give a shard up and take it or another back every round.
	givenUp   map[int]time.Time
	keepUntil time.Time
	// replicas is how many were alive at the last round: a replica that joins or leaves
	// ends keepUntil, as the shares change.
	replicas int
}

// keepLeases is how many leases a replica whose shard given up was left free gives nothing
// up.
const keepLeases = 20

// wantingRetry is how soon a replica looks again for a shard it prefers that another holds,
// for at most maxWantingRounds rounds in a row.
const (
	wantingRetry     = 250 * time.Millisecond
	maxWantingRounds = 120
)

// runShards holds this replica's share of the shards and handles their events until ctx
// ends; then it lets the events in hand finish, through wg, like the rest of Run.
func (r *Relay) runShards(ctx, work context.Context, wg *sync.WaitGroup) {
	set := &shardSet{held: map[int]*shardWorker{}, leaving: map[int]*shardWorker{}, wake: make(chan struct{}, 1),
		givenUp: map[int]time.Time{}}
	every := max(r.opts.ShardLease/3, time.Millisecond)
	tick := time.NewTicker(every)
	defer tick.Stop()
	failures := 0
	for {
		// A round never outlasts the time between rounds, so that a slow store cannot keep a
		// worker running past its lease.
		round, cancel := context.WithTimeout(ctx, every)
		err := r.balanceShards(ctx, round, work, wg, set)
		cancel()
		if set.wanting && err == nil {
			// A shard this replica prefers is still another's (it is being handed over, or
			// a dead replica's lease has to lapse): look again soon rather than a round later.
			tick.Reset(min(every, wantingRetry))
		} else {
			tick.Reset(every)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			if failures == 0 {
				r.log.Error("keep the queue shards' leases; retrying", "err", err)
			}
			failures++
		case err == nil && failures > 0:
			r.log.Info("queue shards' leases kept again", "failed_rounds", failures)
			failures = 0
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
			continue
		case <-set.wake:
			continue
		}
		break
	}
	// Stopping: once each held shard's worker has finished, give its lease up so that another
	// replica takes the shard at once, not when the lease lapses.
	for shard := range set.held {
		r.leaveShard(set, shard, true)
	}
	wg.Go(func() {
		// The workers finish the events in hand (at most DrainTimeout, which may be longer
		// than a lease): their leases are kept renewed meanwhile, so that no other replica
		// handles those shards before they are released.
		for len(set.leaving) > 0 {
			round, cancel := context.WithTimeout(context.WithoutCancel(ctx), every)
			r.tendLeaving(round, set)
			cancel()
			if len(set.leaving) > 0 {
				time.Sleep(min(every, 100*time.Millisecond))
			}
		}
		quit, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		if err := r.store.LeaveReplicas(quit); err != nil {
			r.log.Warn("could not say this replica stopped; its shards move when their leases lapse", "err", err)
		}
	})
}

// balanceShards is one round of runShards, its store calls bounded by round: heartbeat,
// renewals, and the shards taken or given up to even them out. A shard whose lease could not
// be renewed for most of its lifetime is stopped: another replica may take it. The lease calls
// of a round go to the store together (takeShards), so that a round costs a couple of round
// trips however many shards there are: one after another, a slow store or a machine short of
// CPU would let a round's time run out before it reached the last shards, which would lapse.
func (r *Relay) balanceShards(ctx, round, work context.Context, wg *sync.WaitGroup, set *shardSet) error {
	defer func() { r.metrics.ShardsHeld.Set(float64(len(set.held))) }()
	ttl := r.opts.ShardLease
	r.tendLeaving(round, set)
	r.stopLapsing(set)
	live, me, err := r.store.Replicas(round, ttl)
	if err != nil {
		r.stopLapsing(set)
		return err
	}
	n := max(len(live), 1)
	// A replica takes free shards up to ⌈shards/n⌉ and gives up those it does not prefer while
	// it holds more than ⌊shards/n⌋, so that every replica ends up with the shards it prefers.
	fair, floor := (r.opts.Shards+n-1)/n, r.opts.Shards/n
	r.metrics.Replicas.Set(float64(len(live)))
	r.pace.setReplicas(len(live))
	preferred := func(shard int) bool { return shard%n == me }
	now := time.Now()
	if len(live) != set.replicas {
		set.replicas, set.keepUntil = len(live), time.Time{}
	}
	// A shard given up is offered for a lease from its release (tendLeaving), and not made
	// up for by another meanwhile (need, below), nor while its worker finishes.
	offered := 0
	for shard, at := range set.givenUp {
		if _, leaving := set.leaving[shard]; leaving || now.Sub(at) < ttl {
			offered++
		}
	}
	for shard := range r.opts.Shards {
		if _, holding := set.held[shard]; holding && !preferred(shard) && len(set.held) > floor && now.After(set.keepUntil) {
			offered++
			r.log.Info("giving a queue shard to another replica", "shard", shard, "replicas", len(live))
			r.leaveShard(set, shard, true)
			set.givenUp[shard] = now
		}
	}
	for shard, at := range set.givenUp {
		if _, leaving := set.leaving[shard]; !leaving && now.Sub(at) > 2*ttl {
			delete(set.givenUp, shard)
		}
	}
	// First the shards held, renewed, and those preferred, taken when free; then, while this
	// replica holds fewer than its fair share (a dead replica's leases lapsed), free others.
	var mine, others []int
	for shard := range r.opts.Shards {
		_, holding := set.held[shard]
		_, leaving := set.leaving[shard]
		switch {
		case leaving:
		case holding || preferred(shard):
			mine = append(mine, shard)
		default:
			others = append(others, shard)
		}
	}
	set.wanting = false
	var failed error
	for _, t := range r.takeShards(round, mine) {
		w, holding := set.held[t.shard]
		switch {
		case t.err != nil:
			failed = t.err
		case t.held && holding && !t.renewed:
			// The lease lapsed before this renewal reached Redis (the round waited for an
			// outage): meanwhile another replica's late read may have taken entries that
			// only a claim finds. The worker starts again, with its claim, next round.
			r.log.Warn("the lease of a queue shard lapsed before its renewal; starting its worker again", "shard", t.shard)
			r.leaveShard(set, t.shard, false)
		case t.held && holding:
			w.renewed = time.Now()
			w.lease.renew(t.sent, ttl)
		case t.held:
			delete(set.givenUp, t.shard)
			r.startShard(ctx, work, wg, set, t.shard, t.sent)
		case holding:
			r.log.Warn("another replica holds the lease of a queue shard; stopping its worker here", "shard", t.shard)
			r.leaveShard(set, t.shard, false)
		default:
			set.wanting = true // preferred, and another's
		}
	}
	if need := fair - len(set.held) - offered; need > 0 && failed == nil && len(others) > 0 {
		if err := r.takeFree(ctx, round, work, wg, set, others, need, live[me]); err != nil {
			failed = err
		}
	}
	r.stopLapsing(set)
	// Looking again soon is worth it while this replica is well short of its share (it just
	// joined, or a dead replica's leases are about to lapse), not for the one shard an even
	// spread may leave with another replica for good.
	set.wanting = set.wanting && len(set.held) < fair-1
	if set.wanting {
		set.wantingRounds++
	} else {
		set.wantingRounds = 0
	}
	if set.wantingRounds > maxWantingRounds {
		set.wanting = false // what is wanted does not come: back to the usual pace
	}
	return failed
}

// takeFree takes up to need of the shards among others whose lease is free, which a replica
// gone left (or this replica's own without a worker: a take whose answer was lost), and gives
// back those of its own beyond need. The leases are read first, so that no more are taken than
// kept: taking them all and giving the extra back would cost a round trip each, and leave
// them unheld meanwhile.
func (r *Relay) takeFree(ctx, round, work context.Context, wg *sync.WaitGroup, set *shardSet, others []int, need int, self string) error {
	holders, err := r.store.ShardHolders(round)
	if err != nil {
		return err
	}
	var orphans, free []int
	for _, shard := range others {
		switch {
		case holders[shard] == self:
			orphans = append(orphans, shard)
		case holders[shard] != "":
		case time.Since(set.givenUp[shard]) < r.opts.ShardLease:
			// Given up to even the shares out: left a lease for the replica that prefers it.
		default:
			free = append(free, shard)
			if _, given := set.givenUp[shard]; given && time.Now().After(set.keepUntil) {
				r.log.Info("no other replica took a queue shard given up to it; giving none up for a while", "shard", shard, "for", keepLeases*r.opts.ShardLease)
				set.keepUntil = time.Now().Add(keepLeases * r.opts.ShardLease)
			}
		}
	}
	// This replica's own first: they are free to no one else.
	for _, shard := range orphans[min(need, len(orphans)):] {
		r.releaseShard(shard)
	}
	take := append(orphans, free...)
	take = take[:min(need, len(take))]
	var failed error
	for _, t := range r.takeShards(round, take) {
		switch {
		case t.err != nil:
			failed = t.err
		case t.held:
			delete(set.givenUp, t.shard)
			r.startShard(ctx, work, wg, set, t.shard, t.sent)
		}
	}
	return failed
}

// leaseTry is the answer to one lease call of takeShards: sent is when it was asked for, from
// which a lease taken or renewed runs.
type leaseTry struct {
	shard         int
	sent          time.Time
	held, renewed bool
	err           error
}

// takeShards takes or renews the leases of shards, all at once (the store sends calls that
// come together in one round trip), and returns the answers in the order of shards.
func (r *Relay) takeShards(round context.Context, shards []int) []leaseTry {
	out := make([]leaseTry, len(shards))
	var all sync.WaitGroup
	for i, shard := range shards {
		all.Go(func() {
			t := leaseTry{shard: shard, sent: time.Now()}
			t.held, t.renewed, t.err = r.store.TakeShard(round, shard, r.opts.ShardLease)
			out[i] = t
		})
	}
	all.Wait()
	return out
}

// tendLeaving looks after the shards whose workers are finishing the event in hand: a worker
// handing its shard over keeps the lease renewed meanwhile, so that no other replica handles
// the shard yet, and it is released once the worker is done; one whose lease is lost is cut
// short. Releases happen here, after the last renewal, never in another goroutine: a release
// followed by a renewal would keep the shard from its next holder.
func (r *Relay) tendLeaving(round context.Context, set *shardSet) {
	var renew []int
	for shard, w := range set.leaving {
		select {
		case <-w.done:
			if w.release {
				r.releaseShard(shard)
				if _, given := set.givenUp[shard]; given {
					// Offered from now, when it is free to take, not from when its worker
					// was asked to stop (the event in hand may have lasted a lease).
					set.givenUp[shard] = time.Now()
				}
			}
			delete(set.leaving, shard)
			continue
		default:
		}
		if w.release {
			renew = append(renew, shard)
		}
	}
	slices.Sort(renew)
	for _, t := range r.takeShards(round, renew) {
		w := set.leaving[t.shard]
		switch {
		case t.err == nil && t.held:
			w.renewed = time.Now()
			w.lease.renew(t.sent, r.opts.ShardLease)
		case t.err == nil || time.Since(w.renewed) > r.opts.ShardLease/2:
			r.log.Warn("a queue shard being handed over lost its lease; cutting its worker short", "shard", t.shard)
			w.release = false
			w.stopWork()
		}
	}
}

// startShard starts the worker of a shard whose lease this replica just took, asking for it
// at sent.
func (r *Relay) startShard(ctx, work context.Context, wg *sync.WaitGroup, set *shardSet, shard int, sent time.Time) {
	lease := newLeaseGate(sent, r.opts.ShardLease)
	sctx, stop := context.WithCancel(ctx)
	swork, stopWork := context.WithCancel(withLease(work, lease))
	w := &shardWorker{stop: stop, stopWork: stopWork, done: make(chan struct{}), renewed: time.Now(), lease: lease}
	set.held[shard] = w
	wg.Go(func() {
		defer func() {
			select {
			case set.wake <- struct{}{}:
			default:
			}
		}()
		defer close(w.done)
		defer stopWork()
		r.runShard(sctx, swork, shard)
	})
}

// leaveShard stops a shard's worker, which finishes the event in hand first; with release,
// the lease is kept renewed meanwhile and given up once the worker is done (balanceShards).
// Meanwhile the shard is leaving: never taken again here.
func (r *Relay) leaveShard(set *shardSet, shard int, release bool) {
	w := set.held[shard]
	delete(set.held, shard)
	set.leaving[shard] = w
	w.release = release
	w.stop()
	if !release {
		w.stopWork()
	}
}

// stopLapsing stops the workers of the shards whose lease may lapse before the next renewal:
// past that, another replica may hold the shard. Rounds start at most two thirds of a lease
// apart, so a lease renewed more than half a lease ago missed its last renewal.
func (r *Relay) stopLapsing(set *shardSet) {
	for shard, w := range set.held {
		if time.Since(w.renewed) > r.opts.ShardLease/2 {
			r.log.Warn("the lease of a queue shard could not be renewed; stopping its worker", "shard", shard)
			r.leaveShard(set, shard, false)
		}
	}
}

// releaseShard gives up a shard's lease, logging a failure: the lease then lapses by itself.
func (r *Relay) releaseShard(shard int) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := r.store.ReleaseShard(ctx, shard); err != nil {
		r.log.Warn("could not give up a queue shard's lease; it moves when the lease lapses", "shard", shard, "err", err)
	}
}

package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// handledMark is the value an event's dedupe marker takes once the changes of its handling
// are applied; Enqueue sets it to "1".
const handledMark = "h"

// applyOnceScript applies an event's changes unless they were applied before, in one atomic
// step: the event's dedupe marker (set when the event was enqueued) becomes handledMark with
// the changes. A handling whose outcome was lost (a client timeout while Redis ran it later)
// and the handling that retries it can then never both take effect, in whatever order Redis
// runs them.
//
// KEYS[1] the event's dedupe marker, KEYS[2..] every key the commands write (declared so that
// Redis Cluster checks they share the marker's slot; the commands name them again); ARGV[1]
// the marker's TTL in milliseconds, should it have expired; ARGV[2..] the commands, each as
// its number of arguments followed by them. Returns 1 when the changes were applied, 0 when
// they had been before.
var applyOnceScript = redis.NewScript(luaApply + `
local mark = redis.call('GET', KEYS[1])
if mark == '` + handledMark + `' then
  return {0, 0}
end
if mark then
  redis.call('SET', KEYS[1], '` + handledMark + `', 'KEEPTTL')
else
  redis.call('SET', KEYS[1], '` + handledMark + `', 'PX', ARGV[1])
end
run(2)
return reply({1})
`)

// applyScript applies changes that need the scripts' own commands (saving a ticket, adding to
// number sets; see luaApply) without an event's guard, in one atomic step. KEYS are every key the commands
// write; ARGV the commands, each as its number of arguments followed by them.
var applyScript = redis.NewScript(luaApply + `
run(1)
return reply({1})
`)

// Apply writes all changes in one transaction (shared with other goroutines' operations, see
// batcher): either all of them happen or none. Changes are checked before anything is sent,
// so an invalid one fails the whole call. When the changes acknowledge an event by its ID
// (desk.AckEvent with Platform and Event), they are applied only if that event's changes were
// not applied before; otherwise nothing changes and the error wraps desk.ErrHandled. The
// search words of appended history entries follow in the next batch (wordqueue.go).
//
// The acknowledgements of queue entries (desk.AckEvent with Entry) are part of the
// transaction, but on Redis Cluster, where each queue shard's keys have a slot of their own
// (keys.go): there they are sent just after the changes, and when they are lost (a crash in
// between) the entry is read again, its changes are refused as handled, and it is
// acknowledged then. Changes refused as handled always acknowledge their entries, so that no
// entry is handled again and again. An acknowledgement that fails fails the call
// (EUNAVAILABLE), though the changes stand, so that the caller tries again at once.
//
// With Options.WaitReplicas (Sentinel), the changes count as applied only once a replica has
// them: otherwise a failover could undo a step whose effects were carried out (an event
// acknowledged, then read and handled again as new). When the replica does not confirm in
// time the call fails (EUNAVAILABLE) though the master may have applied the changes; trying
// again is safe, as it is after any lost answer (ErrHandled).
func (s *Store) Apply(ctx context.Context, changes ...desk.Change) error {
	if len(changes) == 0 {
		return nil
	}
	var cmds [][]any
	var entries [][]any         // the queue entries' acknowledgements (XACK, XDEL)
	var acks []desk.AckEvent    // of events by ID: the last one guards the changes
	var touched []desk.TicketID // tickets whose change the dashboard's feed is told
	type ticketWords struct {
		ticket desk.TicketID
		words  []string
	}
	var words []ticketWords
	for _, c := range changes {
		if id := changedTicket(c); id > 0 && !slices.Contains(touched, id) {
			touched = append(touched, id)
		}
		if ack, ok := c.(desk.AckEvent); ok && ack.Event != "" {
			if ack.Platform == "" {
				return desk.Errorf(desk.EINVALID, "ack event %s: an event needs its platform to be acknowledged once", ack.Event)
			}
			acks = append(acks, ack)
		}
		more, err := s.prepare(c)
		if err != nil {
			return fmt.Errorf("apply %d changes: %w", len(changes), err)
		}
		if _, ok := c.(desk.AckEvent); ok {
			entries = append(entries, more...)
			if s.slotsApart() {
				continue
			}
		}
		cmds = append(cmds, more...)
		if e, ok := c.(desk.AppendEntry); ok {
			if ws := entryWords(e.Entry); len(ws) > 0 {
				words = append(words, ticketWords{e.Ticket, ws})
				cmds = append(cmds, []any{"SADD", s.keys.index(wordsPending), strconv.FormatInt(int64(e.Ticket), 10)})
			}
		}
	}
	for _, id := range touched {
		cmds = append(cmds, s.changed(id))
	}
	if len(acks) > 0 {
		// Events handled together (the messages of a joined post) are marked handled with the
		// one whose mark guards them all.
		for _, ack := range acks[:len(acks)-1] {
			cmds = append(cmds, []any{"SET", s.keys.seen(ack.Platform, ack.Event), handledMark, "PX", s.opts.DedupeTTL.Milliseconds()})
		}
	}
	var err error
	var c commit // the guarded commit's, whose index log entry is carried out below
	switch {
	case len(acks) > 0:
		c, err = s.applyOnce(ctx, acks[len(acks)-1], cmds)
	case len(cmds) == 0: // only entries to acknowledge, after
	case scripted(cmds) || slices.ContainsFunc(cmds, s.forLog):
		if err = s.applyScripted(ctx, cmds); err != nil {
			err = fmt.Errorf("apply %d changes: %w", len(changes), err)
		}
	default:
		err = s.batch.doDurable(ctx, cmds[0][1].(string), func(p redis.Pipeliner) {
			for _, c := range cmds {
				p.Do(ctx, c...)
			}
		})
		if err != nil {
			err = fmt.Errorf("apply %d changes: %w", len(changes), err)
		}
	}
	// On Cluster the changes' index log entry is carried into the index slot while the queue
	// entries are acknowledged in theirs; a step refused as handled carries out what an
	// earlier attempt may have left. Both before the words, whose batch takes the ticket out
	// of ix:wpend, where the entry puts it.
	var projected sync.WaitGroup
	switch {
	case err == nil && (c.index.seq > 0 || c.tx.seq > 0):
		projected.Go(func() { s.projectNow(ctx, c) })
	case errors.Is(err, desk.ErrHandled):
		all := logged{seq: math.MaxInt64}
		projected.Go(func() { s.projectNow(ctx, commit{index: all, tx: all}) })
	}
	var aerr error
	if len(entries) > 0 && (err == nil && s.slotsApart() || errors.Is(err, desk.ErrHandled)) {
		aerr = s.ackEntries(ctx, entries)
	}
	projected.Wait()
	if err == nil || errors.Is(err, desk.ErrHandled) {
		// The entries are written (now, or by an earlier attempt whose answer was lost).
		for _, w := range words {
			s.words.add(w.ticket, w.words)
		}
		if len(words) > 0 {
			s.batch.nudgeSoon()
		}
	}
	if aerr != nil {
		// The changes stand (or stood), but a worker that went on would leave the entry
		// pending until its shard changes hands, perhaps days later: handled again then,
		// against a ticket that has moved on. Failing makes it try again now, when the
		// changes are refused as handled and the entry acknowledged.
		return aerr
	}
	return err
}

// slotsApart reports whether the queue shards' keys are in slots of their own that no script
// or transaction may touch together with the installation's: on Redis Cluster (always under
// a hash tag there). A queue entry's acknowledgement is then sent apart from the changes it
// acknowledges, and an event's dedupe marker is the shard's. A single server or Sentinel runs
// a transaction on keys of any tag.
func (s *Store) slotsApart() bool { return s.cluster && s.keys.shardsApart() }

// ackEntries sends the acknowledgements of queue entries whose changes are applied, each
// shard's in its own slot.
func (s *Store) ackEntries(ctx context.Context, entries [][]any) error {
	for len(entries) > 0 {
		key, _ := entries[0][1].(string)
		var now [][]any
		now, entries = partition(entries, func(c []any) bool { return c[1] == key })
		err := s.batch.do(ctx, key, func(p redis.Pipeliner) {
			for _, c := range now {
				p.Do(ctx, c...)
			}
		})
		if err != nil {
			return desk.Errorf(desk.EUNAVAILABLE, "changes applied, but their queue entries in %s not acknowledged (to be tried again: the changes will be refused as handled): %v", key, err)
		}
	}
	return nil
}

// partition splits cmds into those f keeps and the others, each in their order.
func partition(cmds [][]any, f func([]any) bool) (kept, rest [][]any) {
	for _, c := range cmds {
		if f(c) {
			kept = append(kept, c)
		} else {
			rest = append(rest, c)
		}
	}
	return kept, rest
}

// scripted reports whether cmds need a script: one of them is one of the scripts' own
// (TD.UNINDEX, TD.NADD, TD.NREM, TD.REPLACE, TD.PROGRESS, TD.UNPOINT,
// TD.HUNPOINT; see luaApply).
func scripted(cmds [][]any) bool {
	return slices.ContainsFunc(cmds, func(c []any) bool {
		name, _ := c[0].(string)
		return strings.HasPrefix(name, "TD.")
	})
}

// applyScripted runs cmds with applyScript, and carries what they change in the index slot
// out before it returns (project).
func (s *Store) applyScripted(ctx context.Context, cmds [][]any) error {
	args := s.scriptArgs(make([]any, 0, len(cmds)*8), cmds)
	c, err := committed(s.runDurableScript(ctx, applyScript, s.commandKeys(nil, cmds), args...))
	if err != nil {
		return err
	}
	s.projectNow(ctx, c)
	return nil
}

// projectNow carries the index and transcript logs out up to a commit's entries (project)
// for a caller that has committed its changes: when a slot does not answer, the changes
// stand, and the background loop carries the entries out later. While a log's last carrying
// out failed, its entries are left to the loop at once: a master that hangs would otherwise
// hold every step up for projectWait.
func (s *Store) projectNow(ctx context.Context, c commit) {
	ctx, cancel := context.WithTimeout(ctx, projectWait)
	defer cancel()
	var wg sync.WaitGroup
	for _, l := range []struct {
		p *projector
		logged
	}{{s.proj, c.index}, {s.txproj, c.tx}} {
		if l.seq <= 0 || l.p.failing.Load() {
			continue
		}
		wg.Go(func() {
			if err := s.project(ctx, l.p, l.seq, l.page); err != nil {
				// Said once a minute at most: while a slot's master is away every step
				// would say it.
				if last := l.p.warned.Load(); time.Since(time.Unix(0, last)) > time.Minute && l.p.warned.CompareAndSwap(last, time.Now().UnixNano()) {
					s.log.WarnContext(ctx, "changes applied; the changes of their log follow when its slots answer (said once a minute while it lasts)", "log", l.p.what, "err", err)
				}
			}
		})
	}
	wg.Wait()
}

// commandKeys appends to keys the key of every command that is not there yet. Every command
// prepare makes has its one key first, after the command's name. On Cluster the index slot's
// and the partitions' keys are left out, and a log's keys are in when a command goes to it
// (scriptArgs), with the counter of each transcript written.
func (s *Store) commandKeys(keys []string, cmds [][]any) []string {
	add := func(k ...string) {
		for _, k := range k {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	for _, c := range cmds {
		k, _ := c[1].(string)
		_, inPart := s.keys.partOf(k)
		if k != "" && !s.keys.inIndex(k) && !inPart {
			add(k)
		}
		// The logs' keys are declared, so that Cluster refuses the script at once while the
		// slot migrates rather than let it fail at the log after its other writes.
		switch {
		case s.forIndex(c):
			add(s.keys.indexLog(), s.keys.indexLogSeq())
		case inPart:
			add(s.keys.transcriptLog(), s.keys.transcriptLogSeq())
			if counter, _ := s.transcriptCounter(c); counter != "" {
				add(counter)
			}
		}
	}
	return keys
}

// changedTicket is the ticket whose state, activity or history c changes, if any.
func changedTicket(c desk.Change) desk.TicketID {
	switch c := c.(type) {
	case desk.SaveTicket:
		return c.Ticket.ID
	case desk.TouchTicket:
		return c.Ticket
	case desk.AppendEntry:
		return c.Ticket
	case desk.SetThread:
		return c.Ticket
	}
	return 0
}

// applyOnce runs cmds with applyOnceScript, guarded by ack's event, and returns the commit's
// index log entry, for the caller to carry out (project).
func (s *Store) applyOnce(ctx context.Context, ack desk.AckEvent, cmds [][]any) (commit, error) {
	args := s.scriptArgs(append(make([]any, 0, 1+len(cmds)*8), s.opts.DedupeTTL.Milliseconds()), cmds)
	keys := s.commandKeys([]string{s.keys.seen(ack.Platform, ack.Event)}, cmds)
	c, err := committed(s.runDurableScript(ctx, applyOnceScript, keys, args...))
	if err != nil {
		return commit{}, fmt.Errorf("apply the changes of event %s/%s: %w", ack.Platform, ack.Event, err)
	}
	if !c.applied {
		return commit{}, fmt.Errorf("apply the changes of event %s/%s: %w", ack.Platform, ack.Event, desk.ErrHandled)
	}
	return c, nil
}

// prepare checks one change and returns the commands that make it, each as its arguments.
func (s *Store) prepare(c desk.Change) ([][]any, error) {
	switch c := c.(type) {
	case desk.SaveTicket:
		t := c.Ticket
		if t.ID <= 0 || t.Platform == "" {
			return nil, desk.Errorf(desk.EINVALID, "save ticket %s: a ticket needs a number and a platform", t.ID)
		}
		if !t.Status.Valid() {
			return nil, desk.Errorf(desk.EINVALID, "save ticket %s: unknown status %q", t.ID, t.Status)
		}
		key := s.keys.ticket(t.ID)
		id := strconv.FormatInt(int64(t.ID), 10)
		// The ticket leaves the filter sets of its previous save, then joins those of this one.
		fields := encodeTicket(t)
		cmds := [][]any{s.unindex(t.ID), append([]any{"TD.REPLACE", key}, fields...)}
		if t.ThreadID != "" {
			cmds = append(cmds, s.keys.thread(t.Platform, t.ThreadID).set(id)...)
		}
		cmds = append(cmds, s.indexCommands(t, fields)...)
		if t.Status == desk.StatusClosed && !t.ClosedAt.IsZero() {
			cmds = append(cmds, []any{"ZADD", s.keys.closed(), "NX", t.ClosedAt.UnixMilli(), id})
		} else {
			cmds = append(cmds, []any{"ZREM", s.keys.closed(), id})
		}
		return append(cmds, s.statusCommands(t.ID, t.Status)...), nil
	case desk.TouchTicket:
		if c.Ticket <= 0 {
			return nil, desk.Errorf(desk.EINVALID, "touch ticket: ticket number %d is not valid", c.Ticket)
		}
		cmd := []any{"HSET", s.keys.ticket(c.Ticket), fActivity, strconv.FormatInt(c.At.UnixMilli(), 10)}
		if !c.Heard.IsZero() {
			cmd = append(cmd, fHeard, strconv.FormatInt(c.Heard.UnixMilli(), 10))
		}
		if !c.Told.IsZero() {
			cmd = append(cmd, fTold, strconv.FormatInt(c.Told.UnixMilli(), 10))
		}
		return [][]any{cmd, {"ZADD", s.keys.index("act"), strconv.FormatInt(c.At.UnixMilli(), 10), strconv.FormatInt(int64(c.Ticket), 10)}}, nil
	case desk.SetThread:
		if c.Ticket <= 0 || c.Platform == "" {
			return nil, desk.Errorf(desk.EINVALID, "set thread: a ticket number and a platform are needed")
		}
		key := s.keys.ticket(c.Ticket)
		if c.Thread == "" {
			return [][]any{{"HDEL", key, fTriage, fThread, legacyFields[fTriage], legacyFields[fThread]}}, nil
		}
		return append([][]any{{"HSET", key, fTriage, c.Channel, fThread, c.Thread}},
			s.keys.thread(c.Platform, c.Thread).set(strconv.FormatInt(int64(c.Ticket), 10))...), nil
	case desk.SetBotMessage:
		if c.Ticket <= 0 || c.Ref.ID == "" {
			return nil, desk.Errorf(desk.EINVALID, "set bot message: a ticket number and a message are needed")
		}
		return [][]any{{"HSET", s.keys.ticket(c.Ticket), fBotMsg, encodeRef(c.Ref)}}, nil
	case desk.SetRatingMessage:
		if c.Ticket <= 0 || c.Ref.ID == "" {
			return nil, desk.Errorf(desk.EINVALID, "set rating message: a ticket number and a message are needed")
		}
		return [][]any{{"HSET", s.keys.ticket(c.Ticket), fRatingMsg, encodeRef(c.Ref)}}, nil
	case desk.RecordFact:
		f := c.Fact
		if f.Kind == "" || f.Ticket <= 0 || strings.Contains(f.Agent, "|") || strings.Contains(f.Subject, "|") {
			return nil, desk.Errorf(desk.EINVALID, "record fact: a fact needs a kind and a ticket, and no '|' in the agent or subject")
		}
		// The fact goes in its day's set, and the day in the kind's days index (facts.go).
		ms := f.At.UnixMilli()
		day := factDayOf(ms)
		return [][]any{
			{"ZADD", s.keys.factDay(f.Kind, day), ms, encodeFact(f)},
			{"ZADD", s.keys.factDays(f.Kind), day, day},
		}, nil
	case desk.PutLink:
		if c.Platform == "" || c.Link.Source.ID == "" {
			return nil, desk.Errorf(desk.EINVALID, "put link: a link needs a platform and a source message")
		}
		b, err := encodeLink(c.Link)
		if err != nil {
			return nil, fmt.Errorf("encode link of %s message %s: %w", c.Platform, c.Link.Source.ID, err)
		}
		key := s.keys.link(c.Platform, c.Link.Source)
		cmds := [][]any{{"SET", key, b}}
		if c.Link.Ticket > 0 {
			cmds = append(cmds, []any{"RPUSH", s.keys.transcript(c.Link.Ticket), s.keys.linkRecord(key)})
		}
		return cmds, nil
	case desk.PutJoin:
		return s.putJoin(c)
	case desk.DropLink:
		var cmds [][]any
		for _, key := range s.keys.namedKeys(linkName(c.Platform, c.Source)) {
			cmds = append(cmds, []any{"DEL", key}) // on Cluster the partition's and an older version's
		}
		return cmds, nil
	case desk.AppendEntry:
		if c.Ticket <= 0 {
			return nil, desk.Errorf(desk.EINVALID, "append entry: ticket number %d is not valid", c.Ticket)
		}
		// Its search words follow in the next batch (Apply, wordqueue.go).
		return [][]any{s.appendCommand(c.Ticket, c.Entry)}, nil
	case desk.AckEvent:
		if err := s.checkShard(c.Shard); err != nil {
			return nil, fmt.Errorf("ack event %s: %w", c.Entry, err)
		}
		if c.Entry == "" {
			return nil, nil // not from the queue (handled again from its outbox): nothing to remove
		}
		key := s.keys.queue(c.Shard)
		return [][]any{{"XACK", key, group, c.Entry}, {"XDEL", key, c.Entry}}, nil
	case desk.PutOutbox:
		return s.putOutbox(c)
	case desk.DoneOutbox:
		if err := s.checkShard(c.Shard); err != nil {
			return nil, fmt.Errorf("outbox of event %s: %w", c.Event, err)
		}
		return [][]any{{"HDEL", s.keys.outbox(c.Shard), eventKey(c.Platform, c.Event)}}, nil
	case desk.SetTimer:
		return s.setTimer(c.Timer)
	case desk.CancelTimer:
		if c.ID == "" {
			return nil, desk.Errorf(desk.EINVALID, "cancel timer: a timer needs an ID")
		}
		return [][]any{{"ZREM", s.keys.timers(), c.ID}, {"DEL", s.keys.timer(c.ID)}}, nil
	case desk.HoldEvent:
		if c.Ticket <= 0 || c.Event.ID == "" {
			return nil, desk.Errorf(desk.EINVALID, "hold event: a ticket and an event are needed")
		}
		b, err := json.Marshal(c.Event)
		if err != nil {
			return nil, fmt.Errorf("encode held event %s: %w", c.Event.ID, err)
		}
		return [][]any{{"RPUSH", s.keys.held(c.Ticket), b}}, nil
	case desk.DropHeld:
		return [][]any{{"DEL", s.keys.held(c.Ticket)}}, nil
	case desk.ReplaceHeld:
		if c.Ticket <= 0 {
			return nil, desk.Errorf(desk.EINVALID, "replace held events: a ticket is needed")
		}
		cmds := [][]any{{"DEL", s.keys.held(c.Ticket)}}
		for _, ev := range c.Events {
			if ev.ID == "" {
				return nil, desk.Errorf(desk.EINVALID, "replace held events: an event without an ID")
			}
			b, err := json.Marshal(ev)
			if err != nil {
				return nil, fmt.Errorf("encode held event %s: %w", ev.ID, err)
			}
			cmds = append(cmds, []any{"RPUSH", s.keys.held(c.Ticket), b})
		}
		return cmds, nil
	case desk.PutSignin:
		if c.Token == "" || c.Person.Platform == "" || c.Person.UserID == "" {
			return nil, desk.Errorf(desk.EINVALID, "put sign-in: a token and a person are needed")
		}
		v, err := json.Marshal(c.Person)
		if err != nil {
			return nil, fmt.Errorf("encode sign-in: %w", err)
		}
		return [][]any{{"SET", s.keys.signin(hashed(c.Token)), string(v), "PX", desk.SigninTTL.Milliseconds()}}, nil
	case desk.EndSessions:
		if c.Platform == "" || c.UserID == "" {
			return nil, desk.Errorf(desk.EINVALID, "end sessions: a person is needed")
		}
		return [][]any{{"INCR", s.keys.sessionGen(c.Platform, c.UserID)}}, nil
	case desk.PutAnswer:
		if c.Platform == "" || c.Event == "" {
			return nil, desk.Errorf(desk.EINVALID, "put answer: an answer needs its event")
		}
		return [][]any{{"SET", s.keys.answer(c.Platform, c.Event), c.Text, "PX", answerTTL.Milliseconds()}}, nil
	}
	return nil, fmt.Errorf("unknown change %T", c)
}

// statusCommands move a ticket's number into the index of its status and out of the others.
func (s *Store) statusCommands(id desk.TicketID, status desk.Status) [][]any {
	member := strconv.FormatInt(int64(id), 10)
	var cmds [][]any
	for _, st := range desk.Statuses {
		if st != status {
			cmds = append(cmds, []any{"ZREM", s.keys.status(st), member})
		}
	}
	return append(cmds, []any{"ZADD", s.keys.status(status), int64(id), member})
}

package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// Apply writes all changes in one MULTI/EXEC transaction (shared with other goroutines'
// operations, see batcher): either all of them happen or none.
// Changes are checked before anything is sent, so an invalid one fails the whole call.
func (s *Store) Apply(ctx context.Context, changes ...desk.Change) error {
	if len(changes) == 0 {
		return nil
	}
	ops := make([]func(redis.Pipeliner), 0, len(changes))
	for _, c := range changes {
		op, err := s.prepare(ctx, c)
		if err != nil {
			return fmt.Errorf("apply %d changes: %w", len(changes), err)
		}
		ops = append(ops, op)
	}
	err := s.batch.do(ctx, func(p redis.Pipeliner) {
		for _, op := range ops {
			op(p)
		}
	})
	if err != nil {
		return fmt.Errorf("apply %d changes: %w", len(changes), err)
	}
	return nil
}

// prepare checks one change and returns the commands that make it.
func (s *Store) prepare(ctx context.Context, c desk.Change) (func(redis.Pipeliner), error) {
	switch c := c.(type) {
	case desk.SaveTicket:
		t := c.Ticket
		if t.ID <= 0 || t.Platform == "" {
			return nil, desk.Errorf(desk.EINVALID, "save ticket %s: a ticket needs a number and a platform", t.ID)
		}
		if !t.Status.Valid() {
			return nil, desk.Errorf(desk.EINVALID, "save ticket %s: unknown status %q", t.ID, t.Status)
		}
		key, fields := s.keys.ticket(t.ID), encodeTicket(t)
		id := strconv.FormatInt(int64(t.ID), 10)
		return func(p redis.Pipeliner) {
			p.Del(ctx, key)
			p.HSet(ctx, key, fields...)
			if t.ThreadID != "" {
				p.Set(ctx, s.keys.thread(t.Platform, t.ThreadID), id, 0)
			}
			for _, st := range desk.Statuses {
				if st != t.Status {
					p.ZRem(ctx, s.keys.status(st), id)
				}
			}
			p.ZAdd(ctx, s.keys.status(t.Status), redis.Z{Score: float64(t.ID), Member: id})
		}, nil
	case desk.TouchTicket:
		if c.Ticket <= 0 {
			return nil, desk.Errorf(desk.EINVALID, "touch ticket: ticket number %d is not valid", c.Ticket)
		}
		key, at := s.keys.ticket(c.Ticket), strconv.FormatInt(c.At.UnixMilli(), 10)
		return func(p redis.Pipeliner) { p.HSet(ctx, key, fActivity, at) }, nil
	case desk.RecordFact:
		f := c.Fact
		if f.Kind == "" || f.Ticket <= 0 || strings.Contains(f.Agent, "|") {
			return nil, desk.Errorf(desk.EINVALID, "record fact: a fact needs a kind and a ticket, and no '|' in the agent")
		}
		key, member := s.keys.fact(f.Kind), encodeFact(f)
		return func(p redis.Pipeliner) {
			p.ZAdd(ctx, key, redis.Z{Score: float64(f.At.UnixMilli()), Member: member})
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
		return func(p redis.Pipeliner) { p.Set(ctx, key, b, 0) }, nil
	case desk.DropLink:
		key := s.keys.link(c.Platform, c.Source)
		return func(p redis.Pipeliner) { p.Del(ctx, key) }, nil
	case desk.AppendEntry:
		if c.Ticket <= 0 {
			return nil, desk.Errorf(desk.EINVALID, "append entry: ticket number %d is not valid", c.Ticket)
		}
		key, fields := s.keys.history(c.Ticket), encodeEntry(c.Entry)
		return func(p redis.Pipeliner) {
			p.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: fields})
		}, nil
	case desk.AckEvent:
		if err := s.checkShard(c.Shard); err != nil {
			return nil, fmt.Errorf("ack event %s: %w", c.Entry, err)
		}
		key := s.keys.queue(c.Shard)
		return func(p redis.Pipeliner) {
			p.XAck(ctx, key, group, c.Entry)
			p.XDel(ctx, key, c.Entry)
		}, nil
	}
	return nil, fmt.Errorf("unknown change %T", c)
}

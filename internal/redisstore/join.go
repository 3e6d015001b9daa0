package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// joinValue is a desk.Join as stored.
type joinValue struct {
	Ticket desk.TicketID `json:"t"`
	Parts  []joinPart    `json:"p"`
	OwnKey bool          `json:"k,omitempty"`
}

type joinPart struct {
	Event   string    `json:"e"`
	Entry   string    `json:"q,omitempty"`
	Source  [2]string `json:"s"` // channel, message ID
	Text    string    `json:"x,omitempty"`
	Written string    `json:"w,omitempty"`
	At      int64     `json:"a,omitempty"` // unix milliseconds
}

func (s *Store) putJoin(c desk.PutJoin) ([][]any, error) {
	j := c.Join
	if c.Platform == "" || j.ID == "" || j.Ticket <= 0 || len(j.Parts) == 0 {
		return nil, desk.Errorf(desk.EINVALID, "put join: a join needs a platform, an ID, a ticket and parts")
	}
	v := joinValue{Ticket: j.Ticket, Parts: make([]joinPart, len(j.Parts)), OwnKey: j.OwnKey}
	for i, p := range j.Parts {
		if p.Event == "" || p.Source.ID == "" {
			return nil, desk.Errorf(desk.EINVALID, "put join %s: part %d needs its event and message", j.ID, i)
		}
		v.Parts[i] = joinPart{Event: p.Event, Entry: p.Entry, Source: [2]string{p.Source.Channel, p.Source.ID}, Text: p.Text, Written: p.Written}
		if !p.At.IsZero() {
			v.Parts[i].At = p.At.UnixMilli()
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode join %s: %w", j.ID, err)
	}
	key := s.keys.join(c.Platform, j.ID)
	return [][]any{{"SET", key, b}, {"RPUSH", s.keys.transcript(j.Ticket), s.keys.linkRecord(key)}}, nil
}

// Join returns the record of a joined post.
func (s *Store) Join(ctx context.Context, platform, id string) (desk.Join, error) {
	what := fmt.Sprintf("join %s of %s", id, platform)
	b, err := s.rdb.Get(ctx, s.keys.join(platform, id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return desk.Join{}, notFound(what)
	}
	if err != nil {
		return desk.Join{}, fmt.Errorf("read %s: %w", what, err)
	}
	var v joinValue
	if err := json.Unmarshal(b, &v); err != nil {
		return desk.Join{}, desk.Errorf(desk.EINVALID, "decode %s: %v", what, err)
	}
	j := desk.Join{ID: id, Ticket: v.Ticket, Parts: make([]desk.JoinPart, len(v.Parts)), OwnKey: v.OwnKey}
	for i, p := range v.Parts {
		j.Parts[i] = desk.JoinPart{Event: p.Event, Entry: p.Entry, Source: desk.MessageRef{Channel: p.Source[0], ID: p.Source[1]}, Text: p.Text, Written: p.Written}
		if p.At != 0 {
			j.Parts[i].At = time.UnixMilli(p.At).UTC()
		}
	}
	return j, nil
}

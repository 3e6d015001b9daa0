package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// linkValue is a link as stored: the source is in the key, and each part is a
// [channel, message ID] pair, to keep one message's record near 100 bytes.
type linkValue struct {
	Ticket desk.TicketID `json:"t"`
	Kind   desk.LinkKind `json:"k"`
	Parts  [][2]string   `json:"p,omitempty"`
	Files  [][2]string   `json:"f,omitempty"`
	Join   string        `json:"j,omitempty"`
}

func encodeLink(l desk.Link) ([]byte, error) {
	v := linkValue{Ticket: l.Ticket, Kind: l.Kind, Join: l.Join}
	for _, p := range l.Parts {
		v.Parts = append(v.Parts, [2]string{p.Channel, p.ID})
	}
	for _, f := range l.Files {
		v.Files = append(v.Files, [2]string{f.Channel, f.ID})
	}
	return json.Marshal(v)
}

func decodeLink(src desk.MessageRef, b []byte) (desk.Link, error) {
	var v linkValue
	if err := json.Unmarshal(b, &v); err != nil {
		return desk.Link{}, err
	}
	l := desk.Link{Ticket: v.Ticket, Kind: v.Kind, Source: src, Join: v.Join}
	for _, p := range v.Parts {
		l.Parts = append(l.Parts, desk.MessageRef{Channel: p[0], ID: p[1]})
	}
	for _, f := range v.Files {
		l.Files = append(l.Files, desk.MessageRef{Channel: f[0], ID: f[1]})
	}
	return l, nil
}

// Link returns what the source message on a platform was mirrored as.
func (s *Store) Link(ctx context.Context, platform string, src desk.MessageRef) (desk.Link, error) {
	what := fmt.Sprintf("link of %s message %s/%s", platform, src.Channel, src.ID)
	b, err := s.rdb.Get(ctx, s.keys.link(platform, src)).Bytes()
	if errors.Is(err, redis.Nil) {
		return desk.Link{}, notFound(what)
	}
	if err != nil {
		return desk.Link{}, fmt.Errorf("read %s: %w", what, err)
	}
	l, err := decodeLink(src, b)
	if err != nil {
		return desk.Link{}, fmt.Errorf("decode %s: %w", what, err)
	}
	return l, nil
}

package redisstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// A link is stored under its source message's key (keys.link) in a binary encoding of its
// own, version byte linkV1 (uvarint and string as in the transcript's entries, transcript.go):
//
//	byte     version, 0x01
//	uvarint  Ticket
//	uvarint  Kind: 1 + its index in linkKinds for a kind listed there, else 0 followed by
//	         the kind as a string
//	uvarint  number of parts, then per part: string channel, string message ID
//	uvarint  number of files, then per file: string channel, string message ID
//	string   Join
//
// The encoder stops after the last field that is not empty, as the entries' does. A message
// and its one copy take about 35 bytes, within the 44 that Redis keeps in one allocation
// with the string's object (embstr): about 40 bytes a message less than the JSON object that
// stores before 2026-12-07 wrote (linkJSON), which is still read.
const linkV1 = 0x01

// linkKinds are the kinds of link written as one byte.
var linkKinds = []desk.LinkKind{desk.LinkCustomer, desk.LinkAgent, desk.LinkNote}

// encodeLink writes a link's value; the source is in its key.
func encodeLink(l desk.Link) ([]byte, error) {
	b := []byte{linkV1}
	b = binary.AppendUvarint(b, uint64(max(l.Ticket, 0)))
	end := len(b)
	if i := slices.Index(linkKinds, l.Kind); i >= 0 {
		b = binary.AppendUvarint(b, uint64(i+1))
	} else {
		b = appendString(binary.AppendUvarint(b, 0), string(l.Kind))
	}
	if l.Kind != "" {
		end = len(b)
	}
	for _, refs := range [][]desk.MessageRef{l.Parts, l.Files} {
		b = binary.AppendUvarint(b, uint64(len(refs)))
		for _, r := range refs {
			b = appendString(appendString(b, r.Channel), r.ID)
		}
		if len(refs) > 0 {
			end = len(b)
		}
	}
	b = appendString(b, l.Join)
	if l.Join != "" {
		end = len(b)
	}
	return b[:end], nil
}

// linkJSON is a link as stores before 2026-12-07 wrote it: each part a [channel, message
// ID] pair.
type linkJSON struct {
	Ticket desk.TicketID `json:"t"`
	Kind   desk.LinkKind `json:"k"`
	Parts  [][2]string   `json:"p,omitempty"`
	Files  [][2]string   `json:"f,omitempty"`
	Join   string        `json:"j,omitempty"`
}

// decodeLink reads a link's value, in either encoding.
func decodeLink(src desk.MessageRef, b []byte) (desk.Link, error) {
	if len(b) > 0 && b[0] == '{' {
		var v linkJSON
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
	if len(b) < 2 || b[0] != linkV1 {
		return desk.Link{}, errLink
	}
	r := &entryReader{b: b[1:]}
	l := desk.Link{Ticket: desk.TicketID(min(r.uvarint(), 1<<53)), Source: src}
	if len(r.b) > 0 {
		switch k := r.uvarint(); {
		case k == 0:
			l.Kind = desk.LinkKind(r.string())
		case k <= uint64(len(linkKinds)):
			l.Kind = linkKinds[k-1]
		default:
			return desk.Link{}, errLink
		}
	}
	for _, refs := range []*[]desk.MessageRef{&l.Parts, &l.Files} {
		n := r.uvarint()
		if n > uint64(len(r.b)) { // every reference takes at least two bytes
			return desk.Link{}, errLink
		}
		for range n {
			*refs = append(*refs, desk.MessageRef{Channel: r.string(), ID: r.string()})
		}
	}
	l.Join = r.string()
	if r.err != nil || len(r.b) != 0 {
		return desk.Link{}, errLink
	}
	return l, nil
}

// errLink is the error of a link value that is not one.
var errLink = errors.New("not a link")

// Link returns what the source message on a platform was mirrored as. On Cluster the link
// is in its message's partition, written through the transcript log: while the log may hold
// entries this process has not seen carried out, it is carried out first and the link read
// again, so that no write committed before (the link put, changed by an edit, or dropped) is
// missed.
func (s *Store) Link(ctx context.Context, platform string, src desk.MessageRef) (desk.Link, error) {
	what := fmt.Sprintf("link of %s message %s/%s", platform, src.Channel, src.ID)
	done := s.txproj.done.Load() // before the read: what was carried out by then is in it
	b, seq, err := s.readLink(ctx, platform, src)
	if (err == nil || errors.Is(err, redis.Nil)) && seq > done {
		if err := s.drainTranscriptsTo(ctx, seq); err != nil {
			return desk.Link{}, fmt.Errorf("read %s: %w", what, err)
		}
		b, _, err = s.readLink(ctx, platform, src)
	}
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

// readLink reads a link's value: from its key, or on Cluster from where an older version
// kept it when its key has none (redis.Nil when neither has it), with the transcript log's
// last seq (0 off Cluster), all at once.
func (s *Store) readLink(ctx context.Context, platform string, src desk.MessageRef) ([]byte, int64, error) {
	name := linkName(platform, src)
	if !s.keys.partsApart() {
		b, err := s.rdb.Get(ctx, s.keys.namedKeys(name)[0]).Bytes()
		return b, 0, err
	}
	var vals []*redis.StringCmd
	var seq *redis.StringCmd
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		vals = getNamed(ctx, p, s.keys.namedKeys(name))
		seq = p.Get(ctx, s.keys.transcriptLogSeq())
		return nil
	})
	last, err := seq.Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, 0, err
	}
	b, err := firstValue(vals)
	return b, last, err
}

// getNamed queues a GET of each of keys, the keys a record's name may be under (namedKeys),
// in their order.
func getNamed(ctx context.Context, p redis.Pipeliner, keys []string) []*redis.StringCmd {
	vals := make([]*redis.StringCmd, len(keys))
	for i, key := range keys {
		vals[i] = p.Get(ctx, key)
	}
	return vals
}

// firstValue is the value of the first of vals that exists (read by getNamed), or redis.Nil
// when none does.
func firstValue(vals []*redis.StringCmd) ([]byte, error) {
	for _, v := range vals {
		if b, err := v.Bytes(); !errors.Is(err, redis.Nil) {
			return b, err
		}
	}
	return nil, redis.Nil
}

package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// The fields of a transcript stream entry; only non-empty ones are stored.
const (
	eAt     = "at" // unix milliseconds
	eKind   = "kind"
	eAuthor = "author"
	eName   = "name"
	eText   = "text"
	eFiles  = "files" // JSON: the files a message carried
)

// entryFile is a file of a transcript entry as stored: what the platform needs to give it
// again, and what the dashboard shows.
type entryFile struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	MimeType string `json:"mime,omitempty"`
	Size     int64  `json:"size,omitempty"`
	URL      string `json:"url,omitempty"`
}

// encodeEntry returns the non-empty fields of e as field/value pairs for XADD.
func encodeEntry(e desk.Entry) []any {
	var out []any
	if !e.At.IsZero() {
		out = append(out, eAt, strconv.FormatInt(e.At.UnixMilli(), 10))
	}
	for _, f := range [][2]string{{eKind, e.Kind}, {eAuthor, e.Author}, {eName, e.Name}, {eText, e.Text}} {
		if f[1] != "" {
			out = append(out, f[0], f[1])
		}
	}
	if len(e.Files) > 0 {
		files := make([]entryFile, len(e.Files))
		for i, f := range e.Files {
			files[i] = entryFile{ID: f.ID, Name: f.Name, MimeType: f.MimeType, Size: f.Size, URL: f.URL}
		}
		if b, err := json.Marshal(files); err == nil {
			out = append(out, eFiles, string(b))
		}
	}
	if len(out) == 0 {
		out = append(out, eKind, "") // a stream entry needs at least one field
	}
	return out
}

func decodeEntry(v map[string]any) desk.Entry {
	str := func(f string) string { s, _ := v[f].(string); return s }
	e := desk.Entry{Kind: str(eKind), Author: str(eAuthor), Name: str(eName), Text: str(eText)}
	if ms, err := strconv.ParseInt(str(eAt), 10, 64); err == nil && ms != 0 {
		e.At = time.UnixMilli(ms).UTC()
	}
	var files []entryFile
	if s := str(eFiles); s != "" && json.Unmarshal([]byte(s), &files) == nil {
		for _, f := range files {
			e.Files = append(e.Files, desk.File{ID: f.ID, Name: f.Name, MimeType: f.MimeType, Size: f.Size, URL: f.URL})
		}
	}
	return e
}

// Transcript returns a ticket's history, oldest first. A ticket without history has an empty
// transcript; a ticket that does not exist is not found.
func (s *Store) Transcript(ctx context.Context, id desk.TicketID) ([]desk.Entry, error) {
	var exists *redis.IntCmd
	var rng *redis.XMessageSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		exists = p.Exists(ctx, s.keys.ticket(id))
		rng = p.XRange(ctx, s.keys.history(id), "-", "+")
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read transcript of ticket %s: %w", id, err)
	}
	if exists.Val() == 0 {
		return nil, notFound("transcript of ticket " + id.String())
	}
	msgs := rng.Val()
	out := make([]desk.Entry, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, decodeEntry(m.Values))
	}
	return out, nil
}

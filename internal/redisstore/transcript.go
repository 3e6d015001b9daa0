package redisstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// A ticket's transcript is a Redis list (keys.transcript), one element per entry, oldest
// first, each element one entry in the encoding below. It replaced a stream per ticket
// (keys.history), whose first node Redis preallocates at about 4 KB: a one-message ticket cost
// 5.5 KB. A list of short elements is one small listpack, a few bytes over what it holds.
//
// A store upgraded in place keeps the streams it wrote before: a transcript is the old
// stream's entries (when the key exists) followed by the list's, and erasure and RETENTION
// delete both keys. Nothing is written to the stream any longer.
//
// Entry encoding, version 1 (entryV1). Fixed: an element once written is read by every later
// version; a change of layout takes a new version byte, and the decoder keeps reading the old
// ones. uvarint is encoding/binary's unsigned varint; a string is its length in bytes as a
// uvarint followed by its bytes (any bytes: text is stored as given).
//
//	byte     version, 0x01
//	uvarint  At in unix milliseconds, 0 for none
//	uvarint  Kind: 1 + its index in entryKinds for a kind listed there, else 0 followed by
//	         the kind as a string ("" is 0 then an empty string)
//	string   Author
//	string   Name
//	string   Text
//	uvarint  number of files, then per file: string ID, string Name, string MimeType,
//	         uvarint Size, string URL
//
// The encoder stops after the last field that is not empty (not zero): a decoder that reaches
// the end of the element reads the fields left as empty. A status line is then the version,
// the time, the kind and its text, and a message without files ends at its text.
const entryV1 = 0x01

// linkMark starts the other kind of element of a transcript list, a link record: linkMark,
// then the key of one of the ticket's links or joins without the prefix (keys.linkRecord).
// A link record is not an entry: readers of the transcript skip it (an older version logs it
// as unreadable and skips it too); erasure and RETENTION read the records for the links to
// delete with the ticket's history. It replaced a set of link keys per ticket (keys.
// ticketLinks, a hash table of strings: 216 bytes for one link, against about 45 here). A
// link put again (an edited message) adds its record again; readers keep each key once.
const linkMark = 0x02

// entryKinds are the kinds of entry version 1 stores as one byte, by their place in this
// list. The list is part of the encoding: kinds may be appended, never removed or moved.
var entryKinds = []string{
	"customer", "agent", "note", "status", "edit", "delete", "system", "expired",
	desk.EntryForgotten, desk.EntryExported, "intake",
}

// encodeEntry returns e in the current encoding (version 1).
func encodeEntry(e desk.Entry) string {
	b := make([]byte, 0, 24+len(e.Author)+len(e.Name)+len(e.Text))
	b = append(b, entryV1)
	var at uint64
	if !e.At.IsZero() && e.At.UnixMilli() > 0 {
		at = uint64(e.At.UnixMilli())
	}
	b = binary.AppendUvarint(b, at)
	end := len(b) // the length up to the last field that is not empty
	if at == 0 {
		end = 1
	}
	if i := slices.Index(entryKinds, e.Kind); i >= 0 {
		b = binary.AppendUvarint(b, uint64(i+1))
	} else {
		b = appendString(binary.AppendUvarint(b, 0), e.Kind)
	}
	if e.Kind != "" {
		end = len(b)
	}
	for _, s := range []string{e.Author, e.Name, e.Text} {
		b = appendString(b, s)
		if s != "" {
			end = len(b)
		}
	}
	if len(e.Files) > 0 {
		b = binary.AppendUvarint(b, uint64(len(e.Files)))
		for _, f := range e.Files {
			b = appendString(b, f.ID)
			b = appendString(b, f.Name)
			b = appendString(b, f.MimeType)
			b = binary.AppendUvarint(b, uint64(max(f.Size, 0)))
			b = appendString(b, f.URL)
		}
		end = len(b)
	}
	return string(b[:end])
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// errEntry is the error of an element that is not an entry of a known version.
var errEntry = errors.New("not a transcript entry")

// entryReader reads the fields of one encoded entry; past the end every field is empty.
type entryReader struct {
	b   []byte
	err error
}

func (r *entryReader) uvarint() uint64 {
	if r.err != nil || len(r.b) == 0 {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errEntry
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *entryReader) string() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = errEntry
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// decodeEntry reads an element of a transcript list.
func decodeEntry(s string) (desk.Entry, error) {
	if len(s) == 0 || s[0] != entryV1 {
		return desk.Entry{}, errEntry
	}
	r := &entryReader{b: []byte(s[1:])}
	var e desk.Entry
	if ms := r.uvarint(); ms != 0 && ms <= 1<<53 {
		e.At = time.UnixMilli(int64(ms)).UTC()
	}
	if len(r.b) > 0 {
		switch k := r.uvarint(); {
		case k == 0:
			e.Kind = r.string()
		case k <= uint64(len(entryKinds)):
			e.Kind = entryKinds[k-1]
		default:
			return desk.Entry{}, errEntry
		}
	}
	e.Author, e.Name, e.Text = r.string(), r.string(), r.string()
	n := r.uvarint()
	if n > uint64(len(r.b)) { // every file takes at least a byte
		return desk.Entry{}, errEntry
	}
	for range n {
		f := desk.File{ID: r.string(), Name: r.string(), MimeType: r.string()}
		f.Size = int64(min(r.uvarint(), 1<<62))
		f.URL = r.string()
		e.Files = append(e.Files, f)
	}
	if r.err != nil || len(r.b) != 0 {
		return desk.Entry{}, errEntry
	}
	return e, nil
}

// The fields of an entry of the old transcript stream (keys.history); only non-empty ones
// were stored, files as JSON.
const (
	eAt     = "at" // unix milliseconds
	eKind   = "kind"
	eAuthor = "author"
	eName   = "name"
	eText   = "text"
	eFiles  = "files"
)

// streamFile is a file of an old stream entry as it was stored.
type streamFile struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	MimeType string `json:"mime,omitempty"`
	Size     int64  `json:"size,omitempty"`
	URL      string `json:"url,omitempty"`
}

// decodeStreamEntry reads an entry of an old transcript stream.
func decodeStreamEntry(v map[string]any) desk.Entry {
	str := func(f string) string { s, _ := v[f].(string); return s }
	e := desk.Entry{Kind: str(eKind), Author: str(eAuthor), Name: str(eName), Text: str(eText)}
	if ms, err := strconv.ParseInt(str(eAt), 10, 64); err == nil && ms != 0 {
		e.At = time.UnixMilli(ms).UTC()
	}
	var files []streamFile
	if s := str(eFiles); s != "" && json.Unmarshal([]byte(s), &files) == nil {
		for _, f := range files {
			e.Files = append(e.Files, desk.File{ID: f.ID, Name: f.Name, MimeType: f.MimeType, Size: f.Size, URL: f.URL})
		}
	}
	return e
}

// appendCommand is the command that appends e to a ticket's transcript.
func (s *Store) appendCommand(id desk.TicketID, e desk.Entry) []any {
	return []any{"RPUSH", s.keys.transcript(id), encodeEntry(e)}
}

// historyRead is a transcript being read in a pipeline: the old stream and the list (on
// Cluster, the installation's list older versions wrote, then the partition's).
type historyRead struct {
	id     desk.TicketID
	stream *redis.XMessageSliceCmd
	lists  []*redis.StringSliceCmd
}

// readHistory queues the reads of a ticket's transcript on p. (On Cluster a pipeline's
// commands go to their slots' masters.)
func (s *Store) readHistory(ctx context.Context, p redis.Pipeliner, id desk.TicketID) historyRead {
	h := historyRead{id: id, stream: p.XRange(ctx, s.keys.history(id), "-", "+")}
	for _, key := range s.transcriptLists(id) {
		h.lists = append(h.lists, p.LRange(ctx, key, 0, -1))
	}
	return h
}

// transcriptLists are the keys of a ticket's transcript lists, oldest first: the
// installation's, and on Cluster the partition's after it.
func (s *Store) transcriptLists(id desk.TicketID) []string {
	if legacy := s.keys.legacyTranscript(id); legacy != s.keys.transcript(id) {
		return []string{legacy, s.keys.transcript(id)}
	}
	return []string{s.keys.transcript(id)}
}

// entries returns the transcript read, oldest first: the old stream's entries, then the
// lists'. Link records are skipped; an element that is not an entry of a known version is
// skipped and logged.
func (s *Store) entries(h historyRead) []desk.Entry {
	old := h.stream.Val()
	var list []string
	for _, l := range h.lists {
		list = append(list, l.Val()...)
	}
	out := make([]desk.Entry, 0, len(old)+len(list))
	for _, m := range old {
		out = append(out, decodeStreamEntry(m.Values))
	}
	for i, v := range list {
		if len(v) > 0 && v[0] == linkMark {
			continue
		}
		e, err := decodeEntry(v)
		if err != nil {
			s.log.Warn("skip an unreadable transcript entry", "ticket", int64(h.id), "index", i, "err", err)
			continue
		}
		out = append(out, e)
	}
	return out
}

// Transcript returns a ticket's history, oldest first. A ticket without history has an empty
// transcript; a ticket that does not exist is not found. On Cluster, where the history is
// written through the transcript log, a log that may hold entries this process has not seen
// carried out (another replica's commit, or one a crash left) is carried out first and the
// history read again; while a partition does not answer, the history is given as it is.
func (s *Store) Transcript(ctx context.Context, id desk.TicketID) ([]desk.Entry, error) {
	done := s.txproj.done.Load() // before the read: what was carried out by then is in it
	exists, h, last, err := s.readTranscript(ctx, id)
	if err == nil && last > done && !s.txproj.failing.Load() {
		// At most projectWait, and not while carrying out is failing: a partition's master
		// that hangs holds no reader up.
		dctx, cancel := context.WithTimeout(ctx, projectWait)
		derr := s.drainTranscriptsTo(dctx, last)
		cancel()
		if derr != nil {
			s.log.WarnContext(ctx, "a transcript read as it is: its log could not be carried out", "ticket", int64(id), "err", derr)
		} else {
			exists, h, _, err = s.readTranscript(ctx, id)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read transcript of ticket %s: %w", id, err)
	}
	if !exists {
		return nil, notFound("transcript of ticket " + id.String())
	}
	return s.entries(h), nil
}

// readTranscript reads whether a ticket exists, its history and, on Cluster, the transcript
// log's last seq (0 off Cluster), all at once.
func (s *Store) readTranscript(ctx context.Context, id desk.TicketID) (bool, historyRead, int64, error) {
	var exists *redis.IntCmd
	var h historyRead
	var seq *redis.StringCmd
	cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		exists = p.Exists(ctx, s.keys.ticket(id))
		h = s.readHistory(ctx, p, id)
		if s.keys.partsApart() {
			seq = p.Get(ctx, s.keys.transcriptLogSeq())
		}
		return nil
	})
	if err != nil {
		// A log that was never written has no last seq (redis.Nil): any other error fails.
		for _, c := range cmds {
			if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
				return false, h, 0, err
			}
		}
	}
	var last int64
	if seq != nil {
		last, _ = seq.Int64()
	}
	return exists.Val() > 0, h, last, nil
}

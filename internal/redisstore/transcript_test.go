package redisstore

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

func TestEntryEncodingRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		entry desk.Entry
	}{
		{"empty", desk.Entry{}},
		{"time only", desk.Entry{At: at(3)}},
		{"kind only", desk.Entry{Kind: "status"}},
		{"unknown kind", desk.Entry{At: at(3), Kind: "resolution", Text: "fixed"}},
		{"customer message", desk.Entry{At: at(4), Kind: "customer", Author: "U04ABCDEF12", Name: "Jane Doe", Text: "my VPN is down"}},
		{"text without author", desk.Entry{At: at(4), Kind: "system", Text: "card posted again"}},
		{"author without kind", desk.Entry{Author: "U1", Name: "n"}},
		{"unicode", desk.Entry{At: at(5), Kind: "agent", Author: "U2", Name: "Сэм 🙂", Text: "Перезагрузите принтер, пожалуйста 日本語 ✓"}},
		{"control bytes", desk.Entry{Kind: "note", Text: "a\x00b\x01\xff\n\x00"}},
		{"long text", desk.Entry{At: at(6), Kind: "customer", Text: strings.Repeat("log line 0123456789\n", 2000)}},
		{"files", desk.Entry{At: at(7), Kind: "customer", Author: "U1", Text: "see the screenshots", Files: []desk.File{
			{ID: "F01", Name: "screen.png", MimeType: "image/png", Size: 123456, URL: "https://files.example/F01"},
			{ID: "F02"},
			{ID: "F03", Name: "отчёт.pdf", Size: 1 << 40},
		}}},
		{"files without text", desk.Entry{At: at(8), Kind: "agent", Files: []desk.File{{ID: "F09", Name: "a.txt"}}}},
		{"edit kinds", desk.Entry{At: at(9), Kind: "delete", Author: "U1", Name: "Jane"}},
	}
	for _, k := range entryKinds {
		tests = append(tests, struct {
			name  string
			entry desk.Entry
		}{"kind " + k, desk.Entry{At: at(1), Kind: k, Text: k}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := encodeEntry(tt.entry)
			if enc[0] != entryV1 {
				t.Fatalf("version byte = %#x, want %#x", enc[0], entryV1)
			}
			got, err := decodeEntry(enc)
			if err != nil {
				t.Fatalf("decode %q: %v", enc, err)
			}
			if !reflect.DeepEqual(got, tt.entry) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, tt.entry)
			}
		})
	}
}

// TestEntryEncodingIsFixed pins version 1's bytes: elements already stored must stay readable,
// so a change here needs a new version, not an edit of this one.
func TestEntryEncodingIsFixed(t *testing.T) {
	tests := []struct {
		entry desk.Entry
		want  string
	}{
		{desk.Entry{}, "\x01"},
		{desk.Entry{Kind: "customer", Text: "hi"}, "\x01\x00\x01\x00\x00\x02hi"},
		{desk.Entry{At: time.UnixMilli(300).UTC(), Kind: "x"}, "\x01\xac\x02\x00\x01x"},
		{desk.Entry{Kind: "note", Files: []desk.File{{ID: "F", Size: 2}}}, "\x01\x00\x03\x00\x00\x00\x01\x01F\x00\x00\x02\x00"},
	}
	for _, tt := range tests {
		if got := encodeEntry(tt.entry); got != tt.want {
			t.Errorf("encodeEntry(%+v) = %q, want %q", tt.entry, got, tt.want)
		}
		if got, err := decodeEntry(tt.want); err != nil || !reflect.DeepEqual(got, tt.entry) {
			t.Errorf("decodeEntry(%q) = %+v, %v; want %+v", tt.want, got, err, tt.entry)
		}
	}
}

func TestEntryEncodingRejects(t *testing.T) {
	for _, bad := range []string{
		"",                                   // nothing
		"\x02\x00",                           // an unknown version
		"{\"at\":1}",                         // not this encoding
		"\x01\x00\x01\x00\x00\x05hi",         // a string longer than what is left
		"\x01\x00\x7f",                       // a kind past the table
		"\x01\x00\x01\x00\x00\x02hi\x05",     // more files than bytes
		"\x01\x00\x01\x00\x00\x02hi\x00junk", // bytes after the last field
		"\x01\xff",                           // a cut varint
	} {
		if e, err := decodeEntry(bad); err == nil {
			t.Errorf("decodeEntry(%q) = %+v; want an error", bad, e)
		}
	}
}

// TestShortEntrySize: an entry costs its text and about 35 bytes besides.
func TestShortEntrySize(t *testing.T) {
	e := desk.Entry{At: at(4), Kind: "customer", Author: "U04ABCDEF12", Name: "Jane Doe", Text: "my VPN is down"}
	if n, max := len(encodeEntry(e)), len(e.Text)+len(e.Author)+len(e.Name)+15; n > max {
		t.Errorf("encoded entry is %d bytes, want at most %d", n, max)
	}
}

// testTranscriptUpgrade: a ticket whose history a store before the list wrote as a stream
// reads that history first, then what was appended since, in order; an unreadable element is
// skipped; Reindex finds the words of both; Forget erases both keys.
func testTranscriptUpgrade(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	ctx := ctxT(t)
	tk, _ := openTicket(t, s, newTicket("U1"))
	// As the old store wrote them: XADD with the non-empty fields, files as JSON.
	old := []map[string]any{
		{eAt: "1741943426535", eKind: "customer", eAuthor: "U1", eName: "Jane Doe", eText: "the printer quarantined my report"},
		{eAt: "1741943486535", eKind: "agent", eAuthor: "U04AGENT001", eName: "Sam", eText: "Привет, смотрю",
			eFiles: `[{"id":"F01","name":"log.txt","mime":"text/plain","size":42}]`},
		{eKind: "status", eText: "open"},
	}
	for _, v := range old {
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: s.keys.history(tk.ID), Values: v}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	newer := []desk.Entry{
		{At: at(20), Kind: "customer", Author: "U1", Name: "Jane Doe", Text: "still stuck with the gateway"},
		{At: at(21), Kind: "agent", Author: "U04AGENT001", Name: "Sam", Text: "fixed", Files: []desk.File{{ID: "F02", Name: "patch.diff"}}},
	}
	for _, e := range newer {
		apply(t, s, desk.AppendEntry{Ticket: tk.ID, Entry: e})
	}
	// An element no version knows (written by something else): skipped, not fatal.
	rdb.RPush(ctx, s.keys.transcript(tk.ID), "garbage")
	if n := rdb.XLen(ctx, s.keys.history(tk.ID)).Val(); n != 3 {
		t.Fatalf("the old stream has %d entries after appending; want the 3 it had (nothing written there)", n)
	}
	want := []desk.Entry{
		{At: time.UnixMilli(1741943426535).UTC(), Kind: "customer", Author: "U1", Name: "Jane Doe", Text: "the printer quarantined my report"},
		{At: time.UnixMilli(1741943486535).UTC(), Kind: "agent", Author: "U04AGENT001", Name: "Sam", Text: "Привет, смотрю",
			Files: []desk.File{{ID: "F01", Name: "log.txt", MimeType: "text/plain", Size: 42}}},
		{Kind: "status", Text: "open"},
		newer[0], newer[1],
	}
	got, err := s.Transcript(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("transcript after the upgrade:\n got %+v\nwant %+v", got, want)
	}

	// The index rebuilt from both: a word only the old stream has, one only the list has.
	rdb.Del(ctx, s.keys.word(stemWord("quarantined")), s.keys.word(stemWord("gateway")))
	if _, err := s.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	wantQuery(t, s, "a word of the old stream", desk.TicketQuery{Search: "quarantined"}, tk.ID)
	wantQuery(t, s, "a word of the list", desk.TicketQuery{Search: "gateway"}, tk.ID)

	tk.Status, tk.ClosedAt = desk.StatusClosed, at(30)
	apply(t, s, desk.SaveTicket{Ticket: tk})
	rep, err := s.Forget(ctx, "slack", "U1", desk.User{ID: "U9", Name: "lead"}, at(40))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Entries != 5 {
		t.Errorf("Forget removed %d entries; want the 5 of both keys", rep.Entries)
	}
	if n := rdb.Exists(ctx, s.keys.history(tk.ID)).Val(); n != 0 {
		t.Errorf("the old stream survived Forget")
	}
	got, _ = s.Transcript(ctx, tk.ID)
	if len(got) != 1 || got[0].Kind != desk.EntryForgotten {
		t.Errorf("transcript after Forget = %+v; want the one forgotten entry", got)
	}
}

// testExpireUpgraded: RETENTION expires a ticket whose history is in the old stream and the
// list (both go), and leaves a ticket whose history changed between the expiry's read and its
// write (the guard sees an append to the list).
func testExpireUpgraded(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	ctx := ctxT(t)
	tk, _ := openTicket(t, s, newTicket("U1"))
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: s.keys.history(tk.ID), Values: []any{eKind, "customer", eText, "old words"}})
	apply(t, s, desk.AppendEntry{Ticket: tk.ID, Entry: desk.Entry{At: at(3), Kind: "customer", Text: "new words"}})
	tk.Status, tk.ClosedAt = desk.StatusClosed, time.Now().Add(-400*24*time.Hour)
	apply(t, s, desk.SaveTicket{Ticket: tk})

	// The guard: a mark read before an append no longer matches.
	before, err := s.historyMarkOf(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if before.streamLast == "" || before.last == "" || before.field == "" && before.length != 1 {
		t.Fatalf("mark = %+v; want the stream's last ID and the list's one element (on Cluster its one write)", before)
	}
	guard := [][]any{{"SET", s.keys.secret("guard"), "1"}}
	args := s.scriptArgs([]any{before.streamLast, before.length, before.last, before.field}, guard)
	keys := s.commandKeys([]string{s.keys.history(tk.ID), before.key}, guard)
	apply(t, s, desk.AppendEntry{Ticket: tk.ID, Entry: desk.Entry{At: at(4), Kind: "agent", Text: "a rating came"}})
	if c, err := committed(s.runScript(ctx, expireScript, keys, args...)); err != nil || c.applied {
		t.Errorf("expireScript after an append = %+v, %v; want not applied (history changed)", c, err)
	}
	after, _ := s.historyMarkOf(ctx, tk.ID)
	args = s.scriptArgs([]any{after.streamLast, after.length, after.last, after.field}, guard)
	if c, err := committed(s.runScript(ctx, expireScript, keys, args...)); err != nil || !c.applied {
		t.Errorf("expireScript with a fresh mark = %+v, %v; want applied", c, err)
	}
	rdb.Del(ctx, s.keys.secret("guard"))

	n, err := s.ExpireClosed(ctx, time.Now().Add(-365*24*time.Hour), 10)
	if err != nil || n != 1 {
		t.Fatalf("ExpireClosed = %d, %v; want 1", n, err)
	}
	if rdb.Exists(ctx, s.keys.history(tk.ID)).Val() != 0 {
		t.Errorf("the old stream survived the expiry")
	}
	got, _ := s.Transcript(ctx, tk.ID)
	if len(got) != 1 || got[0].Kind != "expired" {
		t.Errorf("transcript after expiry = %+v; want one expired entry", got)
	}
}

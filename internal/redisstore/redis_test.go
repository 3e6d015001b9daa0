package redisstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/redistest"
)

// Tests here need the real server: MEMORY USAGE figures, deleted pending entries (miniredis
// skips them instead of returning them with a nil body), and URLs.

func TestOpenTicketMemory(t *testing.T) {
	s, rdb := openRedis(t, Options{})
	ctx := ctxT(t)
	const n = 200
	var total int64
	parts := map[string]int64{}
	for i := range n {
		user := fmt.Sprintf("U0%09d", 412345678+i) // Slack user IDs: U + 10 characters
		tk := desk.Ticket{
			Platform: "slack", Status: desk.StatusNew, Priority: desk.PriorityNormal,
			Customer: desk.User{
				ID: user, Name: fmt.Sprintf("firstname.lastname%d", i), DisplayName: fmt.Sprintf("Firstname Lastname %d", i),
				AvatarURL:  fmt.Sprintf("https://avatars.slack-edge.com/2024-01-05/%013d_0a1b2c3d4e5f60718293_72.jpg", 6412345678901+i),
				ProfileURL: "https://acme-corp.slack.com/team/" + user,
			},
			DMChannel: fmt.Sprintf("D0%09d", 498765432+i), CreatedAt: at(2), LastActivityAt: at(3),
		}
		opened, _ := openTicket(t, s, tk)
		// The core then posts the card, claims and tags it.
		opened.TriageChannel = "C04TRIAGE01"
		opened.ThreadID = fmt.Sprintf("1710%06d.%06d", 408390+i, 200+i)
		opened.Status, opened.Assignee, opened.Category = desk.StatusOpen, "U04AGENT001", "Network"
		opened.Tags, opened.FirstResponseAt = []string{"vpn", "laptop"}, at(5)
		apply(t, s, desk.SaveTicket{Ticket: opened})

		b, err := rdb.MemoryUsage(ctx, s.keys.ticket(opened.ID)).Result()
		if err != nil {
			t.Fatalf("MEMORY USAGE of the ticket: %v", err)
		}
		total += b
		parts["ticket hash"] += b
		if i == n-1 {
			// The pointers are fields of bucket hashes: their share is the buckets' size
			// over the pointers they hold.
			for part, kind := range map[string]string{"customer pointer": "cu", "thread index": "th"} {
				var size, fields int64
				for _, key := range rdb.Keys(ctx, s.keys.prefix+kind+":slack:*").Val() {
					size += rdb.MemoryUsage(ctx, key).Val()
					fields += rdb.HLen(ctx, key).Val()
				}
				if fields != n {
					t.Fatalf("%d %s fields, want %d", fields, part, n)
				}
				total += size
				parts[part] += size
			}
		}
		if i == 0 {
			if enc := rdb.ObjectEncoding(ctx, s.keys.ticket(opened.ID)).Val(); enc != "listpack" {
				t.Errorf("ticket hash encoding = %s, want listpack", enc)
			}
		}
	}
	per := total / n
	// The test prefix is longer than the default "td:", and every key carries it.
	extra := int64(3 * (len(s.opts.Prefix) - len("td:")))
	t.Logf("Redis memory per open ticket: %d bytes (hash %d, customer pointer %d, thread index %d), "+
		"about %d with the default prefix instead of the %d-byte test prefix",
		per, parts["ticket hash"]/n, parts["customer pointer"]/n, parts["thread index"]/n, per-extra, len(s.opts.Prefix))
	if per > 1024 {
		t.Errorf("memory per open ticket = %d bytes, want at most 1024", per)
	}
}

func TestReadQueueAcksDeletedPending(t *testing.T) {
	s, rdb := openRedis(t, Options{Shards: 2})
	ctx := ctxT(t)
	for _, id := range []string{"Ev01", "Ev02"} {
		enqueue(t, s, 1, event(id))
	}
	read := readQueue(t, s, 1, false, 0)
	if len(read) != 2 {
		t.Fatalf("entries read = %d, want 2", len(read))
	}
	rdb.XDel(ctx, s.keys.queue(1), read[0].Entry) // the body is gone, the pending entry stays

	got := readQueue(t, s, 1, true, 0)
	if len(got) != 1 || got[0].Entry != read[1].Entry {
		t.Errorf("pending = %+v, want only %s", got, read[1].Entry)
	}
	p, err := rdb.XPending(ctx, s.keys.queue(1), group).Result()
	if err != nil {
		t.Fatalf("XPENDING: %v", err)
	}
	if p.Count != 1 {
		t.Errorf("pending entries after the read = %d, want 1 (the deleted one acknowledged)", p.Count)
	}
}

func TestOpen(t *testing.T) {
	ctx := ctxT(t)
	s, err := Open(ctx, "redis://"+redistest.Addr(t)+"/0", Options{Prefix: redistest.Prefix(t), Shards: 2})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if isNew := enqueue(t, s, 1, event("Ev01")); !isNew {
		t.Errorf("Enqueue on an opened store = false, want true")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Errorf("Ping after Close succeeded, want the client closed")
	}

	port, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, url, want string
	}{
		{"nobody listens", fmt.Sprintf("redis://:s3cret-pass@127.0.0.1:%d/0", port), fmt.Sprintf("127.0.0.1:%d", port)},
		{"wrong scheme", "http://user:s3cret-pass@cache.internal:6379", "cache.internal:6379"},
		{"bad port", "redis://user:s3cret-pass@cache.internal:63x9", "cache.internal:63x9"},
		{"not a URL", "s3cret-pass", "not a URL"},
		{"bad database", "rediss://user:s3cret-pass@cache.internal:6380/zero", "cache.internal:6380"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			_, err := Open(ctx, tt.url, Options{})
			if err == nil {
				t.Fatalf("Open(%s) succeeded, want an error", tt.name)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

func TestCloseKeepsGivenClient(t *testing.T) {
	s, rdb := openRedis(t, Options{Shards: 1})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := rdb.Ping(ctxT(t)).Err(); err != nil {
		t.Errorf("client given to New was closed by Close: %v", err)
	}
}

// The Redis client's own messages go through the app's logger, in its format.
func TestLoggerFollowsTheAppsFormat(t *testing.T) {
	var buf bytes.Buffer
	Logger(slog.New(slog.NewJSONHandler(&buf, nil))).Printf(context.Background(), "redis: %s: dial tcp: connection refused\n", "pool.go:770")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not one JSON line: %q (%v)", buf.String(), err)
	}
	if line["level"] != "WARN" || line["component"] != "redis" || line["msg"] != "redis: pool.go:770: dial tcp: connection refused" {
		t.Errorf("logged %v", line)
	}
}

package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/redistest"
)

// TestConfigListenAddr: with no platform and HTTP_ADDR unset, the sandbox (which has no
// sign-in) listens on this machine only; an HTTP_ADDR the operator sets is taken as it is, and
// the platforms keep HTTP_ADDR's default of every interface.
func TestConfigListenAddr(t *testing.T) {
	slack := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_TRIAGE_CHANNEL": "C1", "REDIS_URL": "redis://127.0.0.1:1"}
	with := func(base map[string]string, k, v string) map[string]string {
		m := map[string]string{k: v}
		for bk, bv := range base {
			m[bk] = bv
		}
		return m
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"sandbox, HTTP_ADDR unset", nil, "127.0.0.1:8080"},
		{"sandbox, HTTP_ADDR empty", map[string]string{"HTTP_ADDR": ""}, "127.0.0.1:8080"},
		{"sandbox, HTTP_ADDR set to the default", map[string]string{"HTTP_ADDR": ":8080"}, ":8080"},
		{"sandbox, HTTP_ADDR set", map[string]string{"HTTP_ADDR": "0.0.0.0:9090"}, "0.0.0.0:9090"},
		{"slack, HTTP_ADDR unset", slack, ":8080"},
		{"slack, HTTP_ADDR set", with(slack, "HTTP_ADDR", "127.0.0.1:9"), "127.0.0.1:9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setEnv(t, tc.env)
			c, err := LoadConfig()
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if got := c.ListenAddr(); got != tc.want {
				t.Errorf("ListenAddr() = %q, want %q", got, tc.want)
			}
			if _, set := tc.env["HTTP_ADDR"]; !set && c.HTTPAddr != ":8080" {
				t.Errorf("HTTPAddr = %q: the setting's default must stay :8080", c.HTTPAddr)
			}
		})
	}
	// A Config built in code with its own address keeps it.
	if got := (Config{HTTPAddr: "127.0.0.1:0"}).ListenAddr(); got != "127.0.0.1:0" {
		t.Errorf("ListenAddr of a Config built with 127.0.0.1:0 = %q", got)
	}
}

// TestSandboxListensOnLoopbackByDefault runs the program with HTTP_ADDR unset: it listens on
// 127.0.0.1:8080, and its log line says the sandbox is reachable from this machine only. When
// another program holds that port, the refusal names the address it tried, which shows the same.
func TestSandboxListensOnLoopbackByDefault(t *testing.T) {
	setEnv(t, map[string]string{
		"REDIS_URL":    "redis://" + redistest.Addr(t),
		"REDIS_PREFIX": redistest.Prefix(t),
		"QUEUE_SHARDS": "2",
	})
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	var logs lockedBuffer
	m := NewMain(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = m.Run(ctx)
	defer func() {
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	if err != nil {
		if !strings.Contains(err.Error(), "127.0.0.1:8080") || !strings.Contains(err.Error(), "in use") {
			t.Fatalf("Run: %v; want it to listen on 127.0.0.1:8080", err)
		}
		t.Logf("127.0.0.1:8080 is taken on this machine; the refusal names it: %v", err)
		return
	}
	if got := m.Addr.String(); got != "127.0.0.1:8080" {
		t.Errorf("listening on %s, want 127.0.0.1:8080", got)
	}
	line := ""
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, "the sandbox is open") {
			line = l
		}
	}
	if !strings.Contains(line, "addr=127.0.0.1:8080") || !strings.Contains(line, "this machine only") {
		t.Errorf("the sandbox's log line = %q, want it to say 127.0.0.1:8080, this machine only", line)
	}
}

// lockedBuffer is a log destination safe for the program's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

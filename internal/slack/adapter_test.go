package slack

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

func TestNewRejectsIncompleteConfig(t *testing.T) {
	ok := Config{BotToken: "xoxb-1", SigningSecret: "s", TriageChannel: "C0TRIAGE"}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no bot token", func(c *Config) { c.BotToken = "" }, "SLACK_BOT_TOKEN"},
		{"no triage channel", func(c *Config) { c.TriageChannel = "" }, "SLACK_TRIAGE_CHANNEL"},
		{"no signing secret without socket mode", func(c *Config) { c.SigningSecret = "" }, "SLACK_SIGNING_SECRET"},
		{"bot token as app token", func(c *Config) { c.AppToken = "xoxb-2" }, "SLACK_APP_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mutate(&cfg)
			_, err := New(cfg, newIngester(), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: got %v, want an error naming %s", err, tt.want)
			}
		})
	}
	if _, err := New(Config{BotToken: "xoxb-1", AppToken: "xapp-1", TriageChannel: "C0TRIAGE"}, newIngester(), nil); err != nil {
		t.Errorf("Socket Mode without signing secret: %v", err)
	}
}

func TestStartLearnsBotAndResolvesTriageChannel(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	if got, want := a.TriageChannel(), fakeTriage; got != want {
		t.Errorf("TriageChannel: got %q, want %q", got, want)
	}
	user, bot := a.self()
	if user != fakeBotUser || bot != fakeBotID {
		t.Errorf("self: got %q/%q, want %q/%q", user, bot, fakeBotUser, fakeBotID)
	}
	if got := len(fake.callsTo("conversations.list")); got != 2 {
		t.Errorf("conversations.list calls: got %d, want 2 (two pages)", got)
	}
	lim := a.Limits()
	if lim.MaxText != MaxText || lim.PostRate != DefaultPostRate || lim.PostBurst != DefaultPostBurst {
		t.Errorf("Limits: got %+v", lim)
	}
	if got := a.Name(); got != "slack" {
		t.Errorf("Name: got %q", got)
	}
}

func TestStartWithChannelIDSkipsLookup(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester(), func(c *Config) { c.TriageChannel = "C0TRIAGE" })
	if got := a.TriageChannel(); got != "C0TRIAGE" {
		t.Errorf("TriageChannel: got %q", got)
	}
	if got := len(fake.callsTo("conversations.list")); got != 0 {
		t.Errorf("conversations.list calls: got %d, want 0", got)
	}
}

func TestStartErrors(t *testing.T) {
	fake := newFakeSlack(t)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"bad token", Config{BotToken: "xoxb-wrong", SigningSecret: "s", TriageChannel: "C0TRIAGE"}, "invalid_auth"},
		{"unknown channel", Config{BotToken: fakeBotToken, SigningSecret: "s", TriageChannel: "nowhere"}, `no channel named "nowhere"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.APIURL = fake.apiURL()
			a, err := New(tt.cfg, newIngester(), slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			err = a.Start(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start: got %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func TestPing(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	if err := a.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	fake.failNext("auth.test", 503, nil, "down")
	err := a.Ping(context.Background())
	if de := desk.AsDeliveryError(err); err == nil || !de.Temporary || de.Reason != "http_503" {
		t.Errorf("Ping on 503: got %v", err)
	}
	// Rate limited is reachable: readiness does not flap when the desk is busy.
	fake.failNext("auth.test", 429, map[string]string{"Retry-After": "3"}, map[string]any{"ok": false, "error": "ratelimited"})
	if err := a.Ping(context.Background()); err != nil {
		t.Errorf("Ping on 429: %v, want reachable", err)
	}
}

// A Slack that answers 429 at start is waited for, as it asks, instead of stopping the app.
func TestStartWaitsForABusySlack(t *testing.T) {
	fake := newFakeSlack(t)
	fake.failNext("auth.test", 429, map[string]string{"Retry-After": "1"}, map[string]any{"ok": false, "error": "ratelimited"})
	start := time.Now()
	a := newTestAdapter(t, fake, newIngester())
	if took := time.Since(start); took < time.Second {
		t.Errorf("Start took %v, want the Retry-After wait of 1 s", took)
	}
	if len(fake.callsTo("auth.test")) < 2 || a.TriageChannel() == "" {
		t.Errorf("auth.test calls %d, triage %q: want a second try and a started adapter", len(fake.callsTo("auth.test")), a.TriageChannel())
	}
}

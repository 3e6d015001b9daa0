package slack

import (
	"context"
	"errors"
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
	start := func(cfg Config) error {
		cfg.APIURL = fake.apiURL()
		a, err := New(cfg, newIngester(), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		return a.Start(context.Background())
	}
	// Slack's refusal reaches the caller as a final delivery error with Slack's own reason.
	err := start(Config{BotToken: "xoxb-wrong", SigningSecret: "s", TriageChannel: "C0TRIAGE"})
	if de, ok := errors.AsType[*desk.DeliveryError](err); !ok || de.Reason != "invalid_auth" || de.Temporary {
		t.Errorf("Start with a bad token: got %v, want a final invalid_auth", err)
	}
	// A channel nobody can find is explained to the operator, naming it.
	err = start(Config{BotToken: fakeBotToken, SigningSecret: "s", TriageChannel: "nowhere"})
	if err == nil || !strings.Contains(err.Error(), `no channel named "nowhere"`) {
		t.Errorf("Start with an unknown channel: got %v, want a message naming it", err)
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

package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// Config is every setting of Threadesk, read from the environment. The README documents each
// one with its default; the names in the first block are the product's fixed outside contract.
type Config struct {
	HTTPAddr  string `envconfig:"HTTP_ADDR" default:":8080"`
	PublicURL string `envconfig:"PUBLIC_URL"`
	RedisURL  string `envconfig:"REDIS_URL"`

	SlackBotToken      string `envconfig:"SLACK_BOT_TOKEN"`
	SlackAppToken      string `envconfig:"SLACK_APP_TOKEN"`
	SlackSigningSecret string `envconfig:"SLACK_SIGNING_SECRET"`
	SlackTriageChannel string `envconfig:"SLACK_TRIAGE_CHANNEL"`
	SlackAPIURL        string `envconfig:"SLACK_API_URL" default:"https://slack.com/api/"`

	MattermostURL           string `envconfig:"MATTERMOST_URL"`
	MattermostToken         string `envconfig:"MATTERMOST_TOKEN"`
	MattermostTeam          string `envconfig:"MATTERMOST_TEAM"`
	MattermostTriageChannel string `envconfig:"MATTERMOST_TRIAGE_CHANNEL"`
	MattermostCommandToken  string `envconfig:"MATTERMOST_COMMAND_TOKEN"`

	InternalNotePrefix string   `envconfig:"INTERNAL_NOTE_PREFIX" default:"//"`
	DeskCommand        string   `envconfig:"DESK_COMMAND" default:"/desk"`
	Leads              []string `envconfig:"LEADS"`

	// Threadesk's own settings.

	// Categories are the choices of the Tag form's category.
	Categories []string `envconfig:"CATEGORIES" default:"General,Billing,Technical,Account"`

	// RedisEphemeral lets a platform run on the embedded, in-memory Redis (tickets are
	// forgotten on restart); without it a platform with no REDIS_URL refuses to start.
	RedisEphemeral bool   `envconfig:"REDIS_EPHEMERAL" default:"false"`
	RedisPrefix    string `envconfig:"REDIS_PREFIX" default:"td:"`
	// InstanceName names this process in the queue's consumer groups; it must stay the same
	// across restarts so that the events a crashed process held are picked up again.
	InstanceName string `envconfig:"INSTANCE_NAME" default:"threadesk"`
	QueueShards  int    `envconfig:"QUEUE_SHARDS" default:"32"`

	SlackPostRate       float64 `envconfig:"SLACK_POST_RATE" default:"1"`
	SlackPostBurst      int     `envconfig:"SLACK_POST_BURST" default:"4"`
	MattermostPostRate  float64 `envconfig:"MATTERMOST_POST_RATE" default:"10"`
	MattermostPostBurst int     `envconfig:"MATTERMOST_POST_BURST" default:"10"`

	DeliveryGiveUpAfter time.Duration `envconfig:"DELIVERY_GIVE_UP_AFTER" default:"10m"`
	MaxFileMB           int64         `envconfig:"MAX_FILE_MB" default:"100"`
	ShutdownTimeout     time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"25s"`

	LogLevel  string `envconfig:"LOG_LEVEL" default:"info"`
	LogFormat string `envconfig:"LOG_FORMAT" default:"text"`
}

// LoadConfig reads the configuration from the environment and checks it.
func LoadConfig() (Config, error) {
	var c Config
	if err := envconfig.Process("", &c); err != nil {
		return c, fmt.Errorf("read settings: %w", err)
	}
	return c, c.Check()
}

// SlackEnabled reports whether the Slack app is configured.
func (c Config) SlackEnabled() bool { return c.SlackBotToken != "" }

// MattermostEnabled reports whether the Mattermost app is configured.
func (c Config) MattermostEnabled() bool { return c.MattermostURL != "" && c.MattermostToken != "" }

// Sandbox reports whether the built-in sandbox runs: when no platform is configured.
func (c Config) Sandbox() bool { return !c.SlackEnabled() && !c.MattermostEnabled() }

// Check reports settings that cannot work, naming them.
func (c Config) Check() error {
	var problems []string
	if c.SlackEnabled() {
		if c.SlackSigningSecret == "" && c.SlackAppToken == "" {
			problems = append(problems, "SLACK_SIGNING_SECRET is required to verify Slack's requests (or set SLACK_APP_TOKEN for Socket Mode)")
		}
		if c.SlackTriageChannel == "" {
			problems = append(problems, "SLACK_TRIAGE_CHANNEL is required with SLACK_BOT_TOKEN")
		}
	}
	if (c.MattermostURL == "") != (c.MattermostToken == "") {
		problems = append(problems, "MATTERMOST_URL and MATTERMOST_TOKEN go together")
	}
	if c.MattermostEnabled() {
		if c.MattermostTeam == "" || c.MattermostTriageChannel == "" {
			problems = append(problems, "MATTERMOST_TEAM and MATTERMOST_TRIAGE_CHANNEL are required with MATTERMOST_URL")
		}
	}
	if !c.Sandbox() && c.RedisURL == "" && !c.RedisEphemeral {
		problems = append(problems, "REDIS_URL is required when a platform is configured: without it tickets are forgotten on restart (set REDIS_EPHEMERAL=true to accept that)")
	}
	if c.QueueShards < 1 || c.QueueShards > 1024 {
		problems = append(problems, "QUEUE_SHARDS must be between 1 and 1024")
	}
	if c.InternalNotePrefix == "" {
		problems = append(problems, "INTERNAL_NOTE_PREFIX must not be empty")
	}
	if !strings.HasPrefix(c.DeskCommand, "/") {
		problems = append(problems, "DESK_COMMAND must start with /")
	}
	if _, err := c.logLevel(); err != nil {
		problems = append(problems, err.Error())
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		problems = append(problems, fmt.Sprintf("LOG_FORMAT %q is not text or json", c.LogFormat))
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			problems = append(problems, fmt.Sprintf("PUBLIC_URL %q is not an http:// or https:// URL", c.PublicURL))
		}
	}
	if c.MaxFileMB < 1 {
		problems = append(problems, "MAX_FILE_MB must be at least 1")
	}
	if c.ShutdownTimeout <= 0 {
		problems = append(problems, "SHUTDOWN_TIMEOUT must be positive")
	}
	if c.DeliveryGiveUpAfter <= 0 {
		problems = append(problems, "DELIVERY_GIVE_UP_AFTER must be positive")
	}
	if c.SlackPostRate < 0 || c.MattermostPostRate < 0 || c.SlackPostBurst < 0 || c.MattermostPostBurst < 0 {
		problems = append(problems, "SLACK_POST_RATE, SLACK_POST_BURST, MATTERMOST_POST_RATE and MATTERMOST_POST_BURST must not be negative")
	}
	if len(problems) > 0 {
		return fmt.Errorf("bad settings:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

func (c Config) logLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("LOG_LEVEL %q is not debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}

// BaseURL is where people reach the app: PUBLIC_URL, or the listen address on localhost.
func (c Config) BaseURL(listening net.Addr) string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	port := "8080"
	if a, ok := listening.(*net.TCPAddr); ok {
		port = fmt.Sprint(a.Port)
	}
	return "http://localhost:" + port
}

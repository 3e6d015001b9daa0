package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/web"
)

// PlatformName is the name under which Slack events and tickets are recorded.
const PlatformName = "slack"

// MaxText is the most runes one posted message carries. Slack truncates a message's text after
// 40,000 characters but asks apps to keep it under 4,000, and a section block takes at most
// 3,000. Using the smaller of the two leaves room for Slack's escaping of &, < and > (which
// counts against the limit after expansion) and lets any part be shown in a block unchanged.
const MaxText = 3000

// Defaults for what Config leaves empty.
const (
	DefaultAPIURL    = "https://slack.com/api/"
	DefaultPostRate  = 1.0 // chat.postMessage allows about one message per second per channel
	DefaultPostBurst = 4   // and tolerates short bursts above that
)

// Config is the adapter's part of the application's settings. The application reads it from
// the environment (SLACK_BOT_TOKEN, …) and passes it in.
type Config struct {
	BotToken      string // SLACK_BOT_TOKEN, xoxb-…; required
	AppToken      string // SLACK_APP_TOKEN, xapp-…; when set, events arrive over Socket Mode
	SigningSecret string // SLACK_SIGNING_SECRET; required unless AppToken is set
	TriageChannel string // SLACK_TRIAGE_CHANNEL: a channel ID or name (with or without '#')
	APIURL        string // SLACK_API_URL; DefaultAPIURL when empty
	PublicURL     string // PUBLIC_URL, where Slack reaches the app's HTTP endpoints

	PostRate  float64 // messages per second per channel; DefaultPostRate when 0, unpaced when negative
	PostBurst int     // burst per channel; DefaultPostBurst when 0

	// HTTPClient is used for every call to Slack; tests and proxies set it. A client with a
	// 30 s timeout is used when nil.
	HTTPClient *http.Client
	// Clock tells the time and waits; desk.SystemClock when nil.
	Clock desk.Clock
}

// Adapter connects Threadesk to one Slack workspace. It is safe for concurrent use.
type Adapter struct {
	cfg    Config
	api    *slackgo.Client
	in     desk.Ingester
	log    *slog.Logger
	http   *http.Client
	apiURL string

	mu        sync.RWMutex
	botUserID string // the app's bot user, learned from auth.test in Start
	botID     string // the app's bot ID (B…), learned from auth.test in Start
	teamURL   string // the workspace's URL (https://team.slack.com/), for profile links
	triageID  string // the triage channel's ID, resolved in Start

	agents agents       // the triage channel's members, cached
	names  mentionNames // names of people mentioned by ID in relayed messages, cached

	bg background // Socket Mode's goroutines, stopped by Close

	// socketDown is when Socket Mode's connection was last lost (or the adapter started), in
	// Unix nanoseconds; 0 while it is connected.
	socketDown  atomic.Int64
	socketGrace time.Duration
}

var _ desk.Platform = (*Adapter)(nil)

// clock is the adapter's clock: Config.Clock, or the real one.
func (a *Adapter) clock() desk.Clock {
	if a.cfg.Clock == nil {
		return desk.SystemClock
	}
	return a.cfg.Clock
}

// New checks cfg and returns an adapter that hands what Slack sends to in. It makes no call to
// Slack; Start does.
func New(cfg Config, in desk.Ingester, logger *slog.Logger) (*Adapter, error) {
	switch {
	case cfg.BotToken == "":
		return nil, errors.New("slack: SLACK_BOT_TOKEN is required")
	case cfg.TriageChannel == "":
		return nil, errors.New("slack: SLACK_TRIAGE_CHANNEL is required")
	case cfg.AppToken == "" && cfg.SigningSecret == "":
		return nil, errors.New("slack: SLACK_SIGNING_SECRET is required unless SLACK_APP_TOKEN enables Socket Mode")
	case cfg.AppToken != "" && !strings.HasPrefix(cfg.AppToken, "xapp-"):
		return nil, errors.New("slack: SLACK_APP_TOKEN must be an app-level token (xapp-…)")
	case in == nil:
		return nil, errors.New("slack: an ingester is required")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if !strings.HasSuffix(cfg.APIURL, "/") {
		cfg.APIURL += "/"
	}
	if cfg.PostRate == 0 {
		cfg.PostRate = DefaultPostRate
	}
	if cfg.PostBurst == 0 {
		cfg.PostBurst = DefaultPostBurst
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = web.NewClient(30 * time.Second)
	}
	if logger == nil {
		logger = slog.Default()
	}
	opts := []slackgo.Option{
		slackgo.OptionAPIURL(cfg.APIURL),
		slackgo.OptionHTTPClient(shareAsClient{cfg.HTTPClient}),
	}
	if cfg.AppToken != "" {
		opts = append(opts, slackgo.OptionAppLevelToken(cfg.AppToken))
	}
	a := &Adapter{
		cfg:    cfg,
		api:    slackgo.New(cfg.BotToken, opts...),
		in:     in,
		log:    logger.With("platform", PlatformName),
		http:   cfg.HTTPClient,
		apiURL: cfg.APIURL,

		socketGrace: socketGrace,
	}
	if isChannelID(cfg.TriageChannel) {
		a.triageID = cfg.TriageChannel
	}
	return a, nil
}

// Start learns who the app is (auth.test), resolves the triage channel's name to its ID, and,
// when an app token is set, connects Socket Mode in the background until Close is called
// (not until ctx ends: the application stops its platforms with Close). Events received over
// HTTP before Start returns may be misclassified, so the application serves the Slack endpoints
// only after Start. A closed adapter does not start again.
func (a *Adapter) Start(ctx context.Context) error {
	if a.bg.stopped() {
		return errors.New("slack: the adapter is closed")
	}
	// A busy Slack (429, or a 5xx) is waited for, as it asks; anything else fails at once.
	if err := desk.WhileBusy(ctx, a.clock(), startPatience, func() error { return a.check(ctx) }, func(err error, wait time.Duration) {
		a.log.Warn("slack busy at start; trying again", "err", err, "in", wait)
	}); err != nil {
		return err
	}
	a.log.Info("slack triage channel", "channel", a.TriageChannel())

	if a.cfg.AppToken != "" {
		a.socketDown.Store(a.clock().Now().UnixNano()) // not connected yet
		if !a.bg.run(ctx, a.runSocketMode) {
			return errors.New("slack: the adapter was closed while starting")
		}
	}
	return nil
}

// check learns who the app is (auth.test) and resolves the triage channel's name to its ID.
func (a *Adapter) check(ctx context.Context) error {
	auth, err := a.api.AuthTestContext(ctx)
	if err != nil {
		return fmt.Errorf("slack: check the bot token with auth.test: %w", deliveryError("auth.test", err))
	}
	a.mu.Lock()
	a.botUserID, a.botID, a.teamURL = auth.UserID, auth.BotID, auth.URL
	a.mu.Unlock()
	a.log.Info("slack connected", "team", auth.TeamID, "bot_user", auth.UserID, "bot_id", auth.BotID)

	if a.TriageChannel() == "" {
		id, err := a.findChannel(ctx, strings.TrimPrefix(a.cfg.TriageChannel, "#"))
		if err != nil {
			return fmt.Errorf("slack: resolve triage channel %q: %w", a.cfg.TriageChannel, err)
		}
		a.mu.Lock()
		a.triageID = id
		a.mu.Unlock()
	}
	return nil
}

// Close stops Socket Mode, if it runs, and returns once every goroutine the adapter started
// has returned: the connection, its read loop and the lanes with the envelopes in hand (whose
// ingest is cancelled, so Slack sends them again). It also closes the idle connections to
// Slack's Web API. It is safe to call more than once, and without Start.
func (a *Adapter) Close() error {
	a.bg.stop()
	a.http.CloseIdleConnections()
	return nil
}

// findChannel pages through conversations.list for a channel named name that the app can see.
func (a *Adapter) findChannel(ctx context.Context, name string) (string, error) {
	params := &slackgo.GetConversationsParameters{
		ExcludeArchived: true,
		Limit:           200,
		Types:           []string{"public_channel", "private_channel"},
	}
	for {
		channels, cursor, err := a.api.GetConversationsContext(ctx, params)
		if err != nil {
			return "", deliveryError("conversations.list", err)
		}
		for _, c := range channels {
			if c.Name == name {
				return c.ID, nil
			}
		}
		if cursor == "" {
			return "", fmt.Errorf("no channel named %q is visible to the app: invite the app to it or set its ID (C…) instead", name)
		}
		params.Cursor = cursor
	}
}

// channelID matches Slack's conversation IDs: public (C), private (G) and direct (D).
var channelID = regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`)

func isChannelID(s string) bool { return channelID.MatchString(s) }

// Name returns "slack".
func (a *Adapter) Name() string { return PlatformName }

// Limits reports MaxText and the configured per-channel pace.
func (a *Adapter) Limits() desk.Limits {
	return desk.Limits{MaxText: MaxText, PostRate: a.cfg.PostRate, PostBurst: a.cfg.PostBurst}
}

// TriageChannel returns the triage channel's ID; it is empty until Start resolved a name.
func (a *Adapter) TriageChannel() string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.triageID
}

// self returns the app's bot user and bot IDs as learned by Start.
func (a *Adapter) self() (userID, botID string) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.botUserID, a.botID
}

// startPatience bounds how long Start waits for a busy Slack.
const startPatience = time.Minute

// socketGrace is how long Socket Mode may be without a connection (reconnecting) before Ping
// reports it.
const socketGrace = 15 * time.Second

// Ping calls auth.test, which checks both that Slack is reachable and that the token works. A
// rate-limited answer counts as reachable: readiness must not flap when the desk is busy. In
// Socket Mode it also fails once the connection has been down for longer than socketGrace.
func (a *Adapter) Ping(ctx context.Context) error {
	if _, err := a.api.AuthTestContext(ctx); err != nil {
		if err := deliveryError("auth.test", err); !desk.RateLimited(err) {
			return err
		}
	}
	// In Socket Mode events only arrive over the connection: a connection lost for longer
	// than a reconnect takes means the app is deaf.
	if a.cfg.AppToken != "" {
		if down := a.socketDown.Load(); down != 0 && a.clock().Now().Sub(time.Unix(0, down)) > a.socketGrace {
			return &desk.DeliveryError{Op: "socket_mode", Reason: "socket_mode_disconnected", Temporary: true}
		}
	}
	return nil
}

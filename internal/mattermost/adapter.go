// Package mattermost is Threadesk's Mattermost adapter. It translates posts that arrive over
// the WebSocket API (and, after a gap, over REST) into desk events, posts and edits messages
// for the core through Client4, and serves the slash command, button and dialog callbacks
// that Mattermost sends to PUBLIC_URL. It knows Mattermost's Markdown and mentions, which the
// core does not: it quotes the people's words the core embeds in its texts (Quote), and makes
// a relayed message's mentions inert on its way out (quote.go).
package mattermost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/web"
)

// The adapter is the core's view of Mattermost.
var _ desk.Platform = (*Adapter)(nil)

// PlatformName is the adapter's name in events and tickets.
const PlatformName = "mattermost"

// Adapter is the Mattermost side of Threadesk: a desk.Platform for the core and the source of
// Mattermost events. Create it with New, then call Start.
type Adapter struct {
	cfg    Config
	in     desk.Ingester
	log    *slog.Logger
	client *model.Client4
	http   *http.Client
	cursor Cursor
	active func(ctx context.Context) ([]string, error)
	clock  desk.Clock

	// Set by Start.
	botID    string
	botName  string
	teamID   string
	triageID string

	mu       sync.Mutex
	chanType map[string]model.ChannelType // channel ID → type, for edits and deletes
	users    map[string]cachedUser
	// clicks remembers which post a click's trigger came from, so a form it opens can
	// answer in that post's thread.
	clicks map[string]click

	// noEphemeral is set once the server refused an ephemeral post for want of permission.
	noEphemeral atomic.Bool

	curMu  sync.Mutex
	mark   int64 // the cursor's value, loaded by the event loop
	loaded bool  // mark was read from the cursor
	fresh  bool  // mark was just made up, the first catch-up starts exactly there
	// saved is the mark the cursor has; saving is the save scheduled to bring it to mark
	// (events.go, advance), nil when none is.
	saved  int64
	saving *time.Timer
	closed bool             // no more saves are scheduled
	recent map[string]int64 // IDs of events ingested lately → their time, to skip overlaps

	// caughtUp counts the catch-ups done, so that a test can tell when the first one is over.
	caughtUp atomic.Int64

	// stop ends the event loop started by Start; wg counts every goroutine the adapter
	// started, so that Close can wait for all of them.
	stop func()
	wg   sync.WaitGroup
}

type click struct {
	post string
	at   time.Time
}

// Options are the parts of an Adapter that tests and the lead may replace.
type Options struct {
	// Cursor keeps the high-water mark of seen posts across restarts; nil keeps it in memory
	// only, which makes the catch-up at start cover nothing.
	Cursor Cursor
	// HTTPClient is used for REST calls and command responses; nil uses a client with a
	// 30 s timeout.
	HTTPClient *http.Client
	// Clock tells the time and waits; nil uses desk.SystemClock.
	Clock desk.Clock
	// ActiveDMs, when set, names DM channels every catch-up reads whether or not they have a
	// newer post (the DMs of open tickets), so that an edit or deletion made there while the
	// app was away is not missed.
	ActiveDMs func(ctx context.Context) ([]string, error)
	// PaceRequests, when set, waits for the token's turn before each REST call: the server
	// limits a token's requests as a whole (RateLimitSettings), and every replica calls with
	// the same token, so the turns are shared (the core's pacer, through the store).
	PaceRequests func(ctx context.Context) error
}

// New checks cfg and returns an Adapter that hands events to in. It makes no network call;
// Start does.
func New(cfg Config, in desk.Ingester, logger *slog.Logger, opts ...Options) (*Adapter, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("mattermost config: %w", err)
	}
	if in == nil {
		return nil, errors.New("mattermost: nil ingester")
	}
	cfg.defaults()
	if logger == nil {
		logger = slog.Default()
	}
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Cursor == nil {
		o.Cursor = &MemoryCursor{}
	}
	if o.HTTPClient == nil {
		o.HTTPClient = web.NewClient(30 * time.Second)
	}
	if o.Clock == nil {
		o.Clock = desk.SystemClock
	}
	client := model.NewAPIv4Client(cfg.URL)
	hc := *o.HTTPClient
	hc.Transport = jsonContentType{base: hc.Transport}
	if o.PaceRequests != nil {
		hc.Transport = pacedTransport{base: hc.Transport, pace: o.PaceRequests}
	}
	client.HTTPClient = &hc
	client.SetToken(cfg.Token)
	return &Adapter{
		cfg:      cfg,
		in:       in,
		log:      logger.With("platform", PlatformName),
		client:   client,
		http:     o.HTTPClient,
		cursor:   o.Cursor,
		clock:    o.Clock,
		active:   o.ActiveDMs,
		chanType: map[string]model.ChannelType{},
		users:    map[string]cachedUser{},
		clicks:   map[string]click{},
		recent:   map[string]int64{},
	}, nil
}

var idPattern = regexp.MustCompile(`^[a-z0-9]{26}$`)

// Start looks up the bot, the team and the triage channel, then runs the event loop in the
// background until Close: it connects the WebSocket, catches up on what was posted while the
// app was away, and follows new posts, reconnecting with back-off. ctx bounds the start-up
// checks only, as in the Slack adapter: the loop lives until Close, so that a caller may start
// the adapter with a short deadline. Start returns an error when the settings do not fit the
// server (unknown team or channel, bot not a member); nothing is left running then.
func (a *Adapter) Start(ctx context.Context) error {
	// A busy server (429, or a 5xx) is waited for, as it asks; anything else fails at once.
	if err := desk.WhileBusy(ctx, a.clock, startPatience, func() error { return a.check(ctx) }, func(err error, wait time.Duration) {
		a.log.Warn("mattermost busy at start; trying again", "err", err, "in", wait)
	}); err != nil {
		return err
	}
	if len(a.cfg.CommandTokens) == 0 {
		a.log.Warn("MATTERMOST_COMMAND_TOKEN is not set: every slash command request will be refused; run `threadesk mattermost-setup` or copy the command's token")
	}
	a.log.Info("mattermost ready", "bot", a.botID, "team", a.teamID, "triage_channel", a.triageID, "name_prefix", !a.cfg.SkipNamePrefix)

	loop, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.mu.Lock()
	a.stop = stop
	a.mu.Unlock()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.run(loop)
	}()
	return nil
}

// startPatience bounds how long Start waits for a busy server.
const startPatience = time.Minute

// check runs Start's checks: the bot token, the team, the triage channel and the bot's
// membership of it, and reads whether the server shows override_username.
func (a *Adapter) check(ctx context.Context) error {
	me, resp, err := a.client.GetMe(ctx, "")
	if err != nil {
		return fmt.Errorf("mattermost: check the bot token with GetMe: %w", deliveryError("users.me", resp, err))
	}
	a.botID, a.botName = me.Id, me.Username

	team, resp, err := a.client.GetTeamByName(ctx, a.cfg.Team, "")
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden) {
			return fmt.Errorf("mattermost: team %q not found (or the bot %q is not in it)", a.cfg.Team, a.botName)
		}
		return fmt.Errorf("mattermost: look up team %q: %w", a.cfg.Team, deliveryError("teams.name", resp, err))
	}
	a.teamID = team.Id

	ch, err := a.findChannel(ctx, a.cfg.TriageChannel)
	if err != nil {
		return err
	}
	a.triageID = ch.Id
	a.rememberChannel(ch.Id, ch.Type)

	if _, resp, err := a.client.GetChannelMember(ctx, ch.Id, a.botID, ""); err != nil {
		if resp != nil && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden) {
			return fmt.Errorf("mattermost: the bot %q is not a member of the triage channel %q; add it to the channel", a.botName, ch.Name)
		}
		return fmt.Errorf("mattermost: check the bot's membership of %q: %w", ch.Name, deliveryError("channels.members", resp, err))
	}
	if !a.cfg.SkipNamePrefix && a.overridesShown(ctx) {
		// The server shows each relayed post under its author's name: no need to write it.
		a.cfg.SkipNamePrefix = true
	}
	return nil
}

// overridesShown reports whether the server shows override_username on posts
// (ServiceSettings.EnablePostUsernameOverride), read from the client configuration that any
// user may read. When it cannot tell, it answers false: the name is then written in the text.
func (a *Adapter) overridesShown(ctx context.Context) bool {
	resp, err := a.client.DoAPIGet(ctx, "/config/client?format=old", "")
	if err != nil {
		a.log.Warn("read the server's client configuration; relayed messages start with the author's name", "err", err)
		return false
	}
	defer resp.Body.Close()
	var cfg map[string]string
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&cfg); err != nil {
		a.log.Warn("decode the server's client configuration; relayed messages start with the author's name", "err", err)
		return false
	}
	return cfg["EnablePostUsernameOverride"] == "true"
}

// Close stops the event loop and waits for every goroutine the adapter started (the loop with
// its catch-up, and the WebSocket client's reader, writer and ping watchdog, which end once
// the socket is closed and drained). An event being recorded when Close is called is not
// acknowledged and comes back with the next start's catch-up. Close may be called more than
// once, and without Start.
func (a *Adapter) Close() error {
	a.mu.Lock()
	stop := a.stop
	a.mu.Unlock()
	if stop != nil {
		stop()
	}
	a.wg.Wait()
	a.curMu.Lock()
	a.closed = true
	if a.saving != nil {
		a.saving.Stop()
		a.saving = nil
	}
	a.curMu.Unlock()
	a.saveMark() // what the last events moved it to
	// Kept-alive REST connections would hold their own goroutines until the server drops them.
	a.http.CloseIdleConnections()
	return nil
}

// findChannel resolves the triage channel setting: an ID of a channel in the team, or a name.
func (a *Adapter) findChannel(ctx context.Context, nameOrID string) (*model.Channel, error) {
	if idPattern.MatchString(nameOrID) {
		ch, resp, err := a.client.GetChannel(ctx, nameOrID)
		switch {
		case err == nil && ch.TeamId == a.teamID:
			return ch, nil
		case err == nil:
			return nil, fmt.Errorf("mattermost: channel %q is not in team %q", nameOrID, a.cfg.Team)
		case resp == nil || (resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden):
			return nil, fmt.Errorf("mattermost: look up channel %q: %w", nameOrID, deliveryError("channels.get", resp, err))
		}
		// Not an ID after all: try it as a name.
	}
	ch, resp, err := a.client.GetChannelByName(ctx, nameOrID, a.teamID, "")
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden) {
			return nil, fmt.Errorf("mattermost: triage channel %q not found in team %q (or the bot %q is not a member)", nameOrID, a.cfg.Team, a.botName)
		}
		return nil, fmt.Errorf("mattermost: look up channel %q: %w", nameOrID, deliveryError("channels.name", resp, err))
	}
	return ch, nil
}

// Name is the platform's name in events and tickets.
func (a *Adapter) Name() string { return PlatformName }

// namePrefixReserve is what Limits keeps free for the "**Name:** " prefix of relayed messages.
const namePrefixReserve = 100

// Limits tells the core how long posts may be and how fast it may send them. MaxText leaves
// room for the author's name that Post puts in front of relayed messages.
func (a *Adapter) Limits() desk.Limits {
	maxText := a.cfg.MaxText
	if !a.cfg.SkipNamePrefix {
		maxText -= namePrefixReserve
	}
	return desk.Limits{MaxText: maxText, PostRate: a.cfg.PostRate, PostBurst: a.cfg.PostBurst}
}

// TriageChannel is the ID of the triage channel, known after Start.
func (a *Adapter) TriageChannel() string { return a.triageID }

// BotUserID is the bot account's user ID, known after Start.
func (a *Adapter) BotUserID() string { return a.botID }

// Ping checks that the server answers and the bot token still works. A rate-limited answer
// counts as reachable: readiness must not flap when the desk is busy.
func (a *Adapter) Ping(ctx context.Context) error {
	_, resp, err := a.client.GetMe(ctx, "")
	if err := deliveryError("users.me", resp, err); err != nil && !desk.RateLimited(err) {
		return err
	}
	return nil
}

func (a *Adapter) rememberChannel(id string, t model.ChannelType) {
	a.mu.Lock()
	a.chanType[id] = t
	a.mu.Unlock()
}

// channelType returns a channel's type, from the cache or the server.
func (a *Adapter) channelType(ctx context.Context, id string) (model.ChannelType, error) {
	a.mu.Lock()
	t, ok := a.chanType[id]
	a.mu.Unlock()
	if ok {
		return t, nil
	}
	ch, resp, err := a.client.GetChannel(ctx, id)
	if err != nil {
		return "", deliveryError("channels.get", resp, err)
	}
	a.rememberChannel(id, ch.Type)
	return ch.Type, nil
}

// pacedTransport waits for a turn (Options.PaceRequests) before each request.
type pacedTransport struct {
	base http.RoundTripper
	pace func(ctx context.Context) error
}

func (t pacedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.pace(r.Context()); err != nil {
		if r.Body != nil {
			_ = r.Body.Close() // a RoundTripper closes the body, even on error
		}
		return nil, err
	}
	return t.base.RoundTrip(r)
}

// jsonContentType labels request bodies that Client4 sends without a Content-Type (all its
// JSON bodies) as JSON, as the API description requires. The server accepts them either way;
// proxies and request validators do not.
type jsonContentType struct{ base http.RoundTripper }

func (t jsonContentType) RoundTrip(r *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	if r.Body != nil && r.Body != http.NoBody && r.Header.Get("Content-Type") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Content-Type", "application/json")
	}
	return base.RoundTrip(r)
}

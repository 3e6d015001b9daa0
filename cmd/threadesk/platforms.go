package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/mattermost"
	"github.com/threadesk/threadesk/internal/redisstore"
	"github.com/threadesk/threadesk/internal/relay"
	"github.com/threadesk/threadesk/internal/sandbox"
	"github.com/threadesk/threadesk/internal/slack"
	"github.com/threadesk/threadesk/internal/web"
)

// platformSet gathers what the platforms that run bring: themselves for the core, their
// readiness checks, and their HTTP endpoints.
type platformSet struct {
	in        *ingester
	platforms []desk.Platform
	checks    []web.Check
	mounts    map[string]http.Handler
	// inline are the mounts that answer by their request's deadline themselves (web.Route's
	// Inline): the event routes, the relay's hot path.
	inline map[string]bool
}

// startPlatforms starts every platform the settings enable: the sandbox when none is, Slack,
// Mattermost.
func (m *Main) startPlatforms(ctx context.Context, ps *platformSet) error {
	cfg := m.Config
	if cfg.PublicURL == "" && cfg.MattermostEnabled() {
		m.Log.Warn("PUBLIC_URL is not set: Mattermost buttons and dialogs will call the app at this URL, which works only when Mattermost runs on this host", "url", m.URL)
	}
	if cfg.Sandbox() {
		m.Sandbox = sandbox.New(sandbox.Options{Ingester: ps.in, Logger: m.Log, Command: cfg.DeskCommand, NotePrefix: cfg.InternalNotePrefix})
		ps.platforms = append(ps.platforms, m.Sandbox)
	}
	if cfg.SlackEnabled() {
		if err := m.startSlack(ps); err != nil {
			return err
		}
	}
	if cfg.MattermostEnabled() {
		if err := m.startMattermost(ctx, ps); err != nil {
			return err
		}
	}
	return nil
}

// startSlack starts the Slack app and mounts its endpoints.
func (m *Main) startSlack(ps *platformSet) error {
	cfg := m.Config
	a, err := slack.New(slack.Config{
		BotToken: cfg.SlackBotToken, AppToken: cfg.SlackAppToken, SigningSecret: cfg.SlackSigningSecret,
		TriageChannel: cfg.SlackTriageChannel, APIURL: cfg.SlackAPIURL, PublicURL: m.URL,
		PostRate: paceSetting(cfg.SlackPostRate), PostBurst: cfg.SlackPostBurst,
	}, ps.in, m.Log)
	if err != nil {
		return err
	}
	if err := a.Start(m.platformCtx); err != nil {
		return fmt.Errorf("start Slack: %w", err)
	}
	m.closers = append(m.closers, a.Close)
	ps.platforms = append(ps.platforms, a)
	ps.checks = append(ps.checks, web.Check{Name: slack.PlatformName, Run: a.Ping, Every: platformCheckEvery})
	ps.mounts["POST /slack/events"] = a.EventsHandler()
	// Recording an event is bounded by the relay (RecordTimeout, IntakeWait), which answers
	// 503 itself when Redis does not answer in time.
	ps.inline["POST /slack/events"] = true
	ps.mounts["POST /slack/interactivity"] = a.InteractivityHandler()
	ps.mounts["POST /slack/commands"] = a.CommandsHandler()
	return nil
}

// startMattermost starts the Mattermost app and mounts its endpoints.
func (m *Main) startMattermost(ctx context.Context, ps *platformSet) error {
	cfg := m.Config
	secret, err := m.Store.Secret(ctx, "mattermost-actions")
	if err != nil {
		return err
	}
	a, err := mattermost.New(mattermost.Config{
		URL: cfg.MattermostURL, Token: cfg.MattermostToken, Team: cfg.MattermostTeam,
		TriageChannel: cfg.MattermostTriageChannel, CommandTokens: mattermost.ParseCommandTokens(cfg.MattermostCommandToken),
		PublicURL: m.URL, Secret: secret,
		PostRate: paceSetting(cfg.MattermostPostRate), PostBurst: cfg.MattermostPostBurst,
	}, ps.in, m.Log, mattermost.Options{
		Cursor: storeCursor{m.Store, "mattermost"}, ActiveDMs: openTicketDMs(m.Store, "mattermost"),
		PaceRequests: ps.paceCalls("mattermost", cfg.MattermostToken, cfg.MattermostRequestRate, cfg.MattermostRequestBurst),
	})
	if err != nil {
		return err
	}
	if err := a.Start(m.platformCtx); err != nil {
		return fmt.Errorf("start Mattermost: %w", err)
	}
	m.closers = append(m.closers, a.Close)
	ps.platforms = append(ps.platforms, a)
	ps.checks = append(ps.checks, web.Check{Name: "mattermost", Run: a.Ping, Every: platformCheckEvery})
	ps.mounts["POST /mattermost/command"] = a.CommandHandler()
	ps.mounts["POST /mattermost/actions"] = a.ActionHandler()
	ps.mounts["POST /mattermost/dialogs"] = a.DialogHandler()
	return nil
}

// paceSetting turns a post rate setting into the adapters' terms: there a zero rate means
// "the platform's default", while a setting of 0 means no pacing, which they take as negative.
// paceCalls is the pace of a platform's API calls made with token, shared by the replicas
// through the core (nil when perSecond is 0: unpaced). The core starts after the platforms:
// until then, calls go unpaced. The token is known to the store by a hash only.
func (ps *platformSet) paceCalls(platform, token string, perSecond float64, burst int) func(context.Context) error {
	if perSecond <= 0 {
		return nil
	}
	sum := sha256.Sum256([]byte(token))
	key := "token:" + hex.EncodeToString(sum[:8])
	return func(ctx context.Context) error {
		r := ps.in.r.Load()
		if r == nil {
			return nil
		}
		return r.PaceCalls(ctx, platform, key, perSecond, max(burst, 1))
	}
}

func paceSetting(perSecond float64) float64 {
	if perSecond == 0 {
		return -1
	}
	return perSecond
}

// openTicketDMs lists the DM channels of a platform's tickets that are not resolved or closed.
func openTicketDMs(store *redisstore.Store, platform string) func(context.Context) ([]string, error) {
	return func(ctx context.Context) ([]string, error) {
		f := desk.TicketFilter{Statuses: []desk.Status{desk.StatusNew, desk.StatusOpen, desk.StatusPending}, Platform: platform, Limit: 500}
		var dms []string
		for {
			page, err := store.FindTickets(ctx, f)
			if err != nil {
				return nil, err
			}
			for _, t := range page.Tickets {
				if t.DMChannel != "" {
					dms = append(dms, t.DMChannel)
				}
			}
			if page.Next == 0 {
				return dms, nil
			}
			f.After = page.Next
		}
	}
}

// storeCursor keeps a platform's high-water mark in the store.
type storeCursor struct {
	store *redisstore.Store
	name  string
}

// ingester forwards to the core once it exists; platforms are built (and may receive events,
// over Socket Mode for example) before it. Until then events are refused, so the platform
// retries them.
type ingester struct{ r atomic.Pointer[relay.Relay] }

// platformCheckEvery is how long /readyz reuses a platform's answer, so that frequent probes
// do not become a stream of API calls, while a lost Slack Socket Mode connection still shows
// within about half a minute and a recovery within seconds.
const platformCheckEvery = 10 * time.Second

func (c storeCursor) Load(ctx context.Context) (int64, error) { return c.store.Cursor(ctx, c.name) }

func (c storeCursor) Save(ctx context.Context, v int64) error {
	return c.store.SaveCursor(ctx, c.name, v)
}

func (i *ingester) set(r *relay.Relay) { i.r.Store(r) }

// Ingest implements desk.Ingester.
func (i *ingester) Ingest(ctx context.Context, ev desk.Event) error {
	r := i.r.Load()
	if r == nil {
		return desk.Errorf(desk.EUNAVAILABLE, "starting up")
	}
	return r.Ingest(ctx, ev)
}

// Discard implements desk.Ingester.
func (i *ingester) Discard(platform string, reason desk.DropReason) {
	if r := i.r.Load(); r != nil {
		r.Discard(platform, reason)
	}
}

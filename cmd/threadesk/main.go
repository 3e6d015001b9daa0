// Command threadesk runs the Threadesk support desk: the core, the Redis store, the chat
// platforms that are configured (Slack, Mattermost) or, with none, the built-in sandbox, and
// the HTTP server they all answer on. Every setting comes from the environment (see Config and
// the README).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/dashboard"
	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/redisstore"
	"github.com/threadesk/threadesk/internal/relay"
	"github.com/threadesk/threadesk/internal/sandbox"
	"github.com/threadesk/threadesk/internal/web"
)

func main() {
	if len(os.Args) > 1 {
		os.Exit(subcommand(os.Args[1], os.Args[2:]))
	}
	cfg, err := LoadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "threadesk:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// SIGHUP reads the desk policy file and the knowledge base again, as /desk reload does.
	// It is caught from the start: one that comes while the desk starts is taken once it runs,
	// rather than ending the process (SIGHUP's default).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	m := NewMain(cfg, nil)
	if err := m.Run(ctx); err != nil {
		m.Log.Error("start", "err", err)
		_ = m.Close()
		os.Exit(1)
	}
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-hup:
			m.Reload()
		}
	}
	m.Log.Info("stopping: finishing requests and deliveries in flight")
	if err := m.Close(); err != nil {
		m.Log.Error("stop", "err", err)
		os.Exit(1)
	}
	m.Log.Info("stopped")
}

// Main is the whole program, shared by main and the end-to-end tests: Run starts it, Close
// stops it gracefully.
type Main struct {
	Config Config
	Log    *slog.Logger

	// Set by Run.
	Addr    net.Addr // where the HTTP server listens
	URL     string   // where people reach it
	Store   *redisstore.Store
	Relay   *relay.Relay
	Sandbox *sandbox.Sandbox // nil unless the sandbox runs
	Files   *deskFiles       // the desk policy file and the knowledge base

	embedded      *miniredis.Miniredis
	stopClock     func() // stops keepTime
	platformCtx   context.Context
	stopPlatforms context.CancelFunc
	server        *http.Server
	stopRelay     context.CancelFunc
	relayDone     chan struct{}
	closers       []func() error
}

// NewMain returns a Main for cfg that logs to log (a logger built from the settings if nil).
func NewMain(cfg Config, log *slog.Logger) *Main {
	if log == nil {
		level, _ := cfg.logLevel()
		opts := &slog.HandlerOptions{Level: level}
		var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
		if cfg.LogFormat == "json" {
			h = slog.NewJSONHandler(os.Stderr, opts)
		}
		log = slog.New(h)
		// The Redis client's own messages follow the same format.
		redis.SetLogger(redisstore.Logger(log))
	}
	return &Main{Config: cfg, Log: log}
}

// Run opens the store, starts the platforms, the core and the HTTP server, and returns once
// the server listens. The core runs until Close.
func (m *Main) Run(ctx context.Context) error {
	store, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	m.Store = store
	m.closers = append(m.closers, store.Close)
	// Platforms' own loops (Mattermost's WebSocket) live until Close, not until ctx ends.
	m.platformCtx, m.stopPlatforms = context.WithCancel(context.WithoutCancel(ctx))

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	l, err := m.listen()
	if err != nil {
		return err
	}
	// The core and the platforms need each other: platforms hand events to the core, the core
	// sends through the platforms. The ingester breaks the cycle until the core exists.
	ps := &platformSet{in: &ingester{}, checks: []web.Check{{Name: "redis", Run: store.Ping, Timeout: time.Second}}, mounts: map[string]http.Handler{}, inline: map[string]bool{}}
	if err := m.startPlatforms(ctx, ps); err != nil {
		return err
	}
	if m.Files, err = openDeskFiles(m.Config); err != nil {
		return err
	}
	r, err := m.newRelay(ps.platforms, reg)
	if err != nil {
		return err
	}
	m.Relay = r
	ps.in.set(r)
	if err := m.serve(l, reg, ps); err != nil {
		return err
	}
	if err := m.servePprof(); err != nil {
		return err
	}
	m.runRelay(ctx, r)

	m.Log.Info("threadesk is running", "addr", m.Addr.String(), "url", m.URL)
	if m.Sandbox != nil {
		// The sandbox has no sign-in: say who can reach it.
		reach := "other machines too: the sandbox has no sign-in, anyone who reaches it can act as anyone"
		if loopback(m.Addr) {
			reach = "this machine only; set HTTP_ADDR to listen elsewhere"
		}
		m.Log.Info("no platform configured: the sandbox is open", "url", m.URL+"/sandbox", "addr", m.Addr.String(), "reachable_from", reach)
		fmt.Fprintf(os.Stderr, "\n  Threadesk sandbox: open %s/sandbox\n  (listening on %s, reachable from %s)\n\n", m.URL, m.Addr, reach)
	}
	return nil
}

// loopback reports whether a listening address takes connections from this machine only.
func loopback(a net.Addr) bool {
	t, ok := a.(*net.TCPAddr)
	return ok && t.IP.IsLoopback()
}

// Reload reads the desk policy file and the knowledge base again and logs what came of it: a
// file with problems is not taken, and what was loaded stays.
func (m *Main) Reload() {
	summary, err := m.Files.Reload()
	if err != nil {
		m.Log.Error("reload the desk's files; kept what was loaded", "err", err, "in_effect", summary)
		return
	}
	m.Log.Info("reloaded the desk's files", "in_effect", summary)
}

// listen opens HTTP_ADDR (for the sandbox, loopback unless HTTP_ADDR is set: see
// Config.ListenAddr) now, so that the platforms can be told the app's address; requests wait in
// the listen queue until the server is ready (serve).
func (m *Main) listen() (net.Listener, error) {
	addr := m.Config.ListenAddr()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on HTTP_ADDR %s: %w", addr, err)
	}
	m.Addr = l.Addr()
	m.URL = m.Config.BaseURL(m.Addr)
	m.closers = append(m.closers, func() error {
		if m.server == nil {
			return l.Close()
		}
		return nil
	})
	return l, nil
}

// newRelay makes the core on the store and the platforms, from the settings.
func (m *Main) newRelay(platforms []desk.Platform, reg prometheus.Registerer) (*relay.Relay, error) {
	cfg := m.Config
	leads := cfg.Leads
	if m.Sandbox != nil {
		// The people the sandbox's page adds as leads get IDs it set aside for them.
		leads = append(slices.Clone(cfg.Leads), m.Sandbox.LeadIDs()...)
	}
	return relay.New(relay.Options{
		Store:          m.Store,
		Platforms:      platforms,
		Logger:         m.Log,
		Registerer:     reg,
		Shards:         cfg.QueueShards,
		NotePrefix:     cfg.InternalNotePrefix,
		Command:        cfg.DeskCommand,
		Leads:          leads,
		Categories:     cfg.Categories,
		GiveUpAfter:    cfg.DeliveryGiveUpAfter,
		DrainTimeout:   cfg.ShutdownTimeout,
		ShardLease:     cfg.ShardLease,
		Retention:      time.Duration(cfg.Retention),
		RetentionEvery: cfg.retentionEvery,
		MaxFileBytes:   cfg.MaxFileMB << 20,
		Policy:         m.Files.Rules,
		Articles:       m.Files,
		Reload:         m.Files.Reload,
		DashboardURL:   m.URL + "/dashboard",
	})
}

// serve mounts every route (health, metrics, the platforms' endpoints, the sandbox) and starts
// answering on l.
func (m *Main) serve(l net.Listener, reg *prometheus.Registry, ps *platformSet) error {
	srv := web.New(m.Log, reg, ps.checks...)
	srv.RequireMetricsToken(m.Config.MetricsToken)
	for pattern, h := range ps.mounts {
		srv.Handle(pattern, h, web.Route{Timeout: web.DefaultTimeout, Inline: ps.inline[pattern]})
	}
	if m.Sandbox != nil {
		// The page's live stream stays open, and uploads may be large: no timeout, 32 MiB,
		// two minutes to arrive, outside the budget of bodies in flight (which is for the
		// platforms' callbacks; the sandbox's page is on this machine).
		sandboxRoute := web.Route{MaxBody: 32 << 20, BodyTimeout: 2 * time.Minute, Unbudgeted: true}
		srv.Handle("/sandbox", m.Sandbox.Handler(), sandboxRoute)
		srv.Handle("/sandbox/", m.Sandbox.Handler(), sandboxRoute)
		srv.Handle("GET /{$}", http.RedirectHandler("/sandbox", http.StatusFound), web.Route{})
	}
	dash, err := dashboard.New(dashboard.Options{Store: m.Store, Desk: m.Relay, PublicURL: m.URL,
		SessionTTL: m.Config.DashboardSessionTTL, Logger: m.Log})
	if err != nil {
		return fmt.Errorf("make the dashboard: %w", err)
	}
	// The live stream stays open: no timeout; forms are small.
	srv.Handle("/dashboard", dash.Handler(), web.Route{MaxBody: 64 << 10})
	srv.Handle("/dashboard/", dash.Handler(), web.Route{MaxBody: 64 << 10})
	m.server = &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	m.server.RegisterOnShutdown(dash.Close)
	if m.Sandbox != nil {
		// The page's live streams would keep Shutdown waiting: end them when it starts.
		m.server.RegisterOnShutdown(m.Sandbox.Close)
	}
	go func() {
		if err := m.server.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("http server", "err", err)
		}
	}()
	return nil
}

// runRelay runs the core until Close: its workers, its scheduler.
func (m *Main) runRelay(ctx context.Context, r *relay.Relay) {
	relayCtx, stopRelay := context.WithCancel(context.WithoutCancel(ctx))
	m.stopRelay, m.relayDone = stopRelay, make(chan struct{})
	go func() {
		defer close(m.relayDone)
		_ = r.Run(relayCtx)
	}()
}

// openStore connects to REDIS_URL or, when allowed, starts the embedded Redis.
func (m *Main) openStore(ctx context.Context) (*redisstore.Store, error) {
	cfg := m.Config
	opts := redisstore.Options{Prefix: cfg.RedisPrefix, Shards: cfg.QueueShards, Consumer: cfg.InstanceName, Logger: m.Log}
	url := cfg.RedisURL
	if url == "" {
		mr, err := miniredis.Run()
		if err != nil {
			return nil, fmt.Errorf("start embedded Redis: %w", err)
		}
		m.embedded = mr
		m.stopClock = keepTime(mr)
		url = "redis://" + mr.Addr()
		m.Log.Warn("REDIS_URL is not set: using an embedded in-memory Redis; everything is forgotten when the process stops", "addr", mr.Addr())
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	s, err := redisstore.Open(ctx, url, opts)
	if err != nil {
		return nil, fmt.Errorf("open REDIS_URL: %w", err)
	}
	return s, nil
}

// Close stops the program gracefully: the HTTP server stops taking requests and finishes the
// ones in flight (so every acknowledged event is recorded), then the core finishes the
// deliveries in flight, then the store closes. Events not yet handled stay in Redis.
func (m *Main) Close() error {
	var errs []error
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, m.server.Shutdown(ctx))
		cancel()
	}
	if m.stopRelay != nil {
		m.stopRelay()
		<-m.relayDone
	}
	if m.stopPlatforms != nil {
		m.stopPlatforms()
	}
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	if m.embedded != nil {
		m.stopClock()
		m.embedded.Close()
	}
	return errors.Join(errs...)
}

// keepTime makes the embedded Redis's keys expire as time passes: miniredis counts their
// lifetimes down only when told how much time went by. Without it a sign-in link, a shard's
// lease or a dedupe marker would never lapse. It returns a function that stops it.
func keepTime(mr *miniredis.Miniredis) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				mr.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	return func() { close(done); <-stopped }
}

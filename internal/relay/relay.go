// Package relay is Threadesk's platform-neutral core, the ticket engine. It records inbound
// events durably, handles them in order per customer, asks the ticket rules (desk.Ticket.Take)
// what each step does, and delivers messages between a customer's DM and their ticket's thread
// through the desk.Platform interface, with retries, pacing, crash reconciliation and visible
// delivery marks. Chat events, the desk's timers and the dashboard all drive it the same way.
//
// The flow of one event: an adapter (or the scheduler, or the dashboard) calls Ingest, which
// records the event in the store's queue (deduplicated by the event's identity) and only then
// returns, so the adapter can acknowledge the platform. A worker per queue shard reads the
// events in order and handles each: it decides the change, then commits the change, the tasks
// that follow (the outbox) and the event's acknowledgement in one once-only store transaction,
// and then carries the tasks out (see engine.go). Events of one customer always land in the same
// shard, so a ticket's messages and steps keep their order, while different customers proceed
// in parallel.
package relay

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// MaxTextBytes is the largest message text the relay accepts from a platform. Slack allows
// 40,000 characters and Mattermost 16,383, so a larger text is malformed input.
const MaxTextBytes = 160 << 10

// Options configure a Relay. Store and at least one Platform are required.
type Options struct {
	Store     desk.Store
	Platforms []desk.Platform
	Catalog   *catalog.Catalog // the agents' texts; default the policy's language (English without one)
	Logger    *slog.Logger     // default slog.Default()
	Clock     desk.Clock       // default desk.SystemClock
	// Registerer receives the relay's metrics; nil means a private registry.
	Registerer prometheus.Registerer

	Shards     int    // queue shards, as the store was opened with; default 32
	NotePrefix string // a reply starting with it is an internal note; default "//"
	Command    string // the slash command, for help texts; default "/desk"
	// Leads are the user IDs or handles allowed the lead commands (stats).
	Leads []string
	// Categories are the choices of the Tag form's category; default General, Billing,
	// Technical, Account.
	Categories []string
	// ResolvedClose, when set, closes resolved tickets that long after their resolution (a
	// timer; the desk policy file sets it).
	ResolvedClose time.Duration
	// Policy, when set, gives the desk's current policy (the desk policy file, which may be
	// reloaded while the desk runs); it replaces Categories and ResolvedClose.
	Policy func() desk.Policy
	// Articles is the knowledge base the first-line bot suggests from; nil suggests nothing.
	Articles Articles
	// Reload reads the desk's files again (/desk reload, for leads) and says what is in
	// effect, or why a file was not taken; nil means there is nothing to reload.
	Reload func() (string, error)
	// DashboardURL is where browsers reach the dashboard (PUBLIC_URL/dashboard): /desk
	// dashboard answers with a sign-in link under it. Empty: the app serves no dashboard.
	DashboardURL string

	// Retry: the first wait after a temporary failure, the longest wait, and how long a
	// delivery keeps being retried before it is reported failed.
	RetryInitial time.Duration // default 500ms
	RetryMax     time.Duration // default 30s
	GiveUpAfter  time.Duration // default 10m
	// DrainTimeout bounds how long Run waits for in-flight events once asked to stop.
	DrainTimeout time.Duration // default 20s
	// MaxFileBytes is the largest file relayed; larger ones are reported in the thread.
	MaxFileBytes int64 // default 100 MiB
	// Backlog is how many recorded events a shard may hold before Ingest slows down: past it,
	// Ingest (the event already recorded) waits up to IntakeWait for the shard's worker to
	// catch up before answering, so that a flood is paced at the rate the relay delivers
	// instead of piling up (see waitForRoom). Platforms allow 3 s for an answer.
	Backlog    int           // default 2
	IntakeWait time.Duration // default 1s
	// RecordTimeout bounds the recording of an event (finding its shard, writing it): past
	// it, Ingest fails and the platform retries.
	RecordTimeout time.Duration // default 2s
	// TimerTick is how often the scheduler looks for due timers: how late one may fire.
	TimerTick time.Duration // default 500ms
	// Retention, when set, is how long after a ticket closes what was written on it is kept
	// (RETENTION); RetentionEvery is how often the relay looks for tickets past it.
	Retention      time.Duration
	RetentionEvery time.Duration // default 1h
	// ShardLease is how long a replica's hold on a queue shard lasts unless renewed (it is
	// renewed every third of it): how soon a dead replica's shards are taken over.
	ShardLease time.Duration // default 15s
}

// Articles is a knowledge base: what the first-line bot suggests from.
type Articles interface {
	// Suggest returns up to n articles that answer text, best first, in lang first, and none
	// when no article is relevant enough.
	Suggest(text, lang string, n int) []desk.Article
	// Article returns an article by ID.
	Article(id string) (desk.Article, bool)
	// Len is how many articles there are: 0 when no knowledge base is loaded.
	Len() int
}

// Relay is the core. Create it with New, feed it with Ingest, run it with Run.
type Relay struct {
	store     desk.Store
	platforms map[string]desk.Platform
	fixedText *catalog.Catalog // Options.Catalog; nil: the policy's language
	log       *slog.Logger
	clock     desk.Clock
	metrics   *Metrics
	tickets   *ticketMetrics
	pace      *pacer
	opts      Options

	users userCache
	// watches say, per queue shard, how far its worker got while it runs in this process
	// (for the intake's backpressure).
	watches []*shardWatch
	// stats keeps what the statistics read, so that they read again only what changed.
	stats statsCache

	// stopping is closed when Run's context ends: retry waits give up so the event stays
	// queued for the next start, and in-flight platform calls finish.
	stopping chan struct{}
	stopOnce sync.Once

	// views are the queue views of the shards this process handles (worker.go), by shard.
	viewsMu sync.Mutex
	views   map[int]*queueView
}

// New checks opts and returns a Relay.
func New(opts Options) (*Relay, error) {
	if opts.Store == nil {
		return nil, errors.New("relay: no store")
	}
	if len(opts.Platforms) == 0 {
		return nil, errors.New("relay: no platform")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = desk.SystemClock
	}
	if opts.Registerer == nil {
		opts.Registerer = prometheus.NewRegistry()
	}
	setDefault(&opts.Shards, 32)
	setDefault(&opts.NotePrefix, "//")
	setDefault(&opts.Command, "/desk")
	if len(opts.Categories) == 0 {
		opts.Categories = []string{"General", "Billing", "Technical", "Account"}
	}
	setDefault(&opts.RetryInitial, 500*time.Millisecond)
	setDefault(&opts.RetryMax, 30*time.Second)
	setDefault(&opts.GiveUpAfter, 10*time.Minute)
	setDefault(&opts.DrainTimeout, 20*time.Second)
	setDefault(&opts.MaxFileBytes, 100<<20)
	setDefault(&opts.Backlog, 2)
	setDefault(&opts.IntakeWait, time.Second)
	setDefault(&opts.RecordTimeout, 2*time.Second)
	setDefault(&opts.TimerTick, 500*time.Millisecond)
	setDefault(&opts.ShardLease, 15*time.Second)
	setDefault(&opts.RetentionEvery, time.Hour)

	r := &Relay{
		store:     opts.Store,
		platforms: make(map[string]desk.Platform, len(opts.Platforms)),
		fixedText: opts.Catalog,
		log:       opts.Logger,
		clock:     opts.Clock,
		metrics:   newMetrics(),
		pace:      newPacer(opts.Clock),
		opts:      opts,
		users:     userCache{ttl: 10 * time.Minute, clock: opts.Clock},
		stopping:  make(chan struct{}),
		views:     make(map[int]*queueView),
		watches:   newShardWatches(opts.Shards),
	}
	r.pace.shared, r.pace.sharedHold, r.pace.sharedHeld = opts.Store.Pace, opts.Store.HoldPace, opts.Store.PaceHeld
	for _, p := range opts.Platforms {
		if _, dup := r.platforms[p.Name()]; dup {
			return nil, fmt.Errorf("relay: platform %q given twice", p.Name())
		}
		r.platforms[p.Name()] = p
	}
	if err := r.metrics.register(opts.Registerer, opts.Store.QueueDepth); err != nil {
		return nil, fmt.Errorf("relay: register metrics: %w", err)
	}
	// Every drop reason is shown from the start, at zero, so that rates work from the first
	// drop and the list of reasons is visible in /metrics.
	for name := range r.platforms {
		for _, reason := range desk.DropReasons {
			r.metrics.Dropped.WithLabelValues(name, string(reason))
		}
	}
	var err error
	if r.tickets, err = newTicketMetrics(opts.Registerer, opts.Store.CountByStatus); err != nil {
		return nil, fmt.Errorf("relay: register metrics: %w", err)
	}
	return r, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Ingest validates ev and records it durably in its customer's queue shard. It returns nil
// once the event is recorded, or when it is a redelivery of an event recorded before (which
// then has no further effect). A *desk.Error with EINVALID or ETOOLARGE means the event is
// malformed; a *desk.FormError means a form submission was refused for what was entered (the
// adapter shows it on the form); any other error means it was not recorded and the platform
// should retry.
func (r *Relay) Ingest(ctx context.Context, ev desk.Event) error {
	if err := r.validate(ev); err != nil {
		r.Discard(ev.Platform, desk.DropInvalid)
		return err
	}
	if ev.User.IsBot && ev.Kind.Message() {
		// Bots are neither customers nor agents: the one rule, applied before anything is
		// recorded (the app's own messages come back from the platforms all the time).
		r.Discard(ev.Platform, desk.DropBotMessage)
		return nil
	}
	if ev.Kind == desk.ActionPressed && opensForm(ev.Action) {
		r.metrics.EventsIn.WithLabelValues(ev.Platform, string(ev.Kind)).Inc()
		return r.openForm(ctx, r.platforms[ev.Platform], ev)
	}
	if ev.Kind == desk.FormSubmitted {
		if err := r.checkForm(ctx, r.platforms[ev.Platform], ev); err != nil {
			r.Discard(ev.Platform, desk.DropFormError)
			return err
		}
	}
	// Recording is bounded well inside the platforms' deadline (Slack gives up after 3 s):
	// when Redis hangs, the platform is told at once to try again later, rather than left
	// waiting for an answer it will not wait for.
	rec, cancel := context.WithTimeout(ctx, r.opts.RecordTimeout)
	defer cancel()
	shard, err := r.shardOf(rec, ev)
	if err != nil {
		r.log.Error("find the event's queue shard", "platform", ev.Platform, "event", ev.ID, "kind", ev.Kind, "err", err)
		return &desk.Error{Code: desk.EUNAVAILABLE, Message: "cannot record the event now"}
	}
	depth, err := r.store.Enqueue(rec, shard, ev)
	if err != nil {
		r.log.Error("record event", "platform", ev.Platform, "event", ev.ID, "kind", ev.Kind, "err", err)
		return &desk.Error{Code: desk.EUNAVAILABLE, Message: "cannot record the event now"}
	}
	if depth == 0 {
		r.Discard(ev.Platform, desk.DropDuplicate)
		return nil
	}
	r.metrics.EventsIn.WithLabelValues(ev.Platform, string(ev.Kind)).Inc()
	r.watches[shard].recorded()
	wait := r.opts.IntakeWait
	if !desk.IntakeWaitAllowed(ctx) {
		wait = 0
	}
	r.waitForRoom(ctx, shard, depth, wait)
	return nil
}

// Do hands an event from a source that waits for its answer (the dashboard) to the engine, the
// same way as chat events, and returns the answer: what was done, or why it was refused. The
// answer is kept in the store, so whichever process handles the event, the one that waits
// finds it.
func (r *Relay) Do(ctx context.Context, ev desk.Event) (string, error) {
	if ev.Source != desk.SourceDashboard {
		return "", desk.Errorf(desk.EINVALID, "only the dashboard waits for answers")
	}
	if err := r.Ingest(ctx, ev); err != nil {
		return "", err
	}
	for {
		text, ok, err := r.store.Answer(ctx, ev.Platform, ev.ID)
		if err != nil {
			return "", desk.Errorf(desk.EUNAVAILABLE, "the answer cannot be read now")
		}
		if ok {
			return text, nil
		}
		if err := desk.Sleep(ctx, r.clock, answerPoll); err != nil {
			return "", err
		}
	}
}

// Discard counts and logs an event dropped on purpose, under a named reason.
func (r *Relay) Discard(platform string, reason desk.DropReason) {
	r.metrics.Dropped.WithLabelValues(platform, string(reason)).Inc()
	r.log.Debug("event dropped", "platform", platform, "reason", reason)
}

func (r *Relay) validate(ev desk.Event) error {
	switch {
	case r.platforms[ev.Platform] == nil:
		return desk.Errorf(desk.EINVALID, "unknown platform %q", ev.Platform)
	case !ev.Kind.Valid():
		return desk.Errorf(desk.EINVALID, "unknown event kind %q", ev.Kind)
	case ev.ID == "":
		return desk.Errorf(desk.EINVALID, "event has no ID")
	case ev.User.ID == "" && ev.Source != desk.SourceTimer && ev.Source != desk.SourceBot:
		return desk.Errorf(desk.EINVALID, "event has no user")
	case len(ev.Text) > MaxTextBytes:
		return desk.Errorf(desk.ETOOLARGE, "message text is larger than %d bytes", MaxTextBytes)
	case !utf8.ValidString(ev.Text):
		return desk.Errorf(desk.EINVALID, "message text is not valid UTF-8")
	}
	switch ev.Kind {
	case desk.CustomerMessage, desk.CustomerEdit, desk.CustomerDelete:
		if ev.Channel == "" || ev.Message == "" {
			return desk.Errorf(desk.EINVALID, "customer event without channel or message")
		}
	case desk.AgentReply, desk.AgentEdit, desk.AgentDelete:
		if ev.Channel == "" || ev.Message == "" || ev.Thread == "" {
			return desk.Errorf(desk.EINVALID, "agent event without channel, message or thread")
		}
	case desk.ThreadDeleted:
		if ev.Channel == "" || ev.Thread == "" {
			return desk.Errorf(desk.EINVALID, "thread deletion without channel or thread")
		}
	case desk.StepAsked, desk.TimerFired:
		if ev.Ticket <= 0 || !desk.StepKind(ev.Action).Valid() {
			return desk.Errorf(desk.EINVALID, "step %q on ticket %s is not a step on a ticket", ev.Action, ev.Ticket)
		}
		if (ev.Kind == desk.TimerFired) != (ev.Source == desk.SourceTimer) {
			return desk.Errorf(desk.EINVALID, "timer events come from the timer source only")
		}
	}
	return nil
}

// shardOf picks the queue shard of ev: the shard of the customer it concerns, so that all of a
// ticket's events are handled in order by one worker.
func (r *Relay) shardOf(ctx context.Context, ev desk.Event) (int, error) {
	key := ev.User.ID
	switch ev.Kind {
	case desk.AgentReply, desk.AgentEdit, desk.AgentDelete, desk.ThreadDeleted:
		t, err := r.store.ThreadTicket(ctx, ev.Platform, ev.Thread)
		switch {
		case err == nil:
			key = t.Customer.ID
		case errors.Is(err, desk.ErrNotFound):
			key = "thread:" + ev.Thread // handled (and most likely dropped) by the worker
		default:
			return 0, err
		}
	case desk.ActionPressed, desk.FormSubmitted, desk.CommandRun, desk.StepAsked, desk.TimerFired:
		// Steps on a ticket go in order with the ticket's own events.
		id := ev.Ticket
		switch {
		case id != 0:
		case ev.Kind == desk.CommandRun:
			id = commandTicket(ev.Text)
		default:
			id = ticketOf(ev.Value)
		}
		if id != 0 {
			t, err := r.store.Ticket(ctx, id)
			switch {
			case err == nil:
				key = t.Customer.ID
			case !errors.Is(err, desk.ErrNotFound):
				return 0, err
			}
		}
	}
	return shardFor(ev.Platform, key, r.opts.Shards), nil
}

func shardFor(platform, key string, shards int) int {
	h := fnv.New32a()
	h.Write([]byte(platform))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(shards))
}

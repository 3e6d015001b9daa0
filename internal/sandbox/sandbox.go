package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// Defaults for Options fields left zero.
const (
	// DefaultMaxText is small enough that the core's splitting of long texts shows in the page.
	DefaultMaxText = 4000
	// DefaultMaxUpload bounds one upload from the page, and one file the app uploads.
	DefaultMaxUpload = 10 << 20
	// DefaultCommand is the slash command the page recognises in its message boxes.
	DefaultCommand = "/desk"
	// DefaultHeartbeat keeps idle streams (and proxies between them) from timing out.
	DefaultHeartbeat = 15 * time.Second
)

// MaxLeads is how many people the page may add as leads in one run of the sandbox: their user
// IDs are set aside when the sandbox is made (see LeadIDs).
const MaxLeads = 20

// Name is the platform name of the sandbox, in events and tickets.
const Name = "sandbox"

// TriageChannel is the native ID of the sandbox's one triage channel.
const TriageChannel = "triage"

// triggerTTL is how long the trigger of a click may open a form. Slack allows 3 s; the sandbox
// is more patient because the core handles events from a queue.
const triggerTTL = 30 * time.Second

// Options configure a Sandbox.
type Options struct {
	// Ingester receives every action a person takes in the page, as a desk.Event.
	Ingester desk.Ingester
	// Logger gets structured logs; never message bodies. Defaults to slog.Default().
	Logger *slog.Logger
	// MaxText is the most runes the app may post in one message (DefaultMaxText if zero).
	MaxText int
	// MaxUpload is the largest file in bytes (DefaultMaxUpload if zero).
	MaxUpload int64
	// Command is the slash command (DefaultCommand if empty), so that the page can tell a
	// command from a message.
	Command string
	// NotePrefix is the internal-note prefix the page mentions in its hints ("//" if empty).
	// The sandbox does not act on it: the core decides what a note is.
	NotePrefix string
	// Clock tells the time of messages and events (desk.SystemClock if nil).
	Clock desk.Clock
	// Heartbeat is the interval of keep-alive comments on the live stream (DefaultHeartbeat if
	// zero).
	Heartbeat time.Duration
}

// Sandbox is an in-memory chat server with one triage channel and a DM channel per person, a
// desk.Platform for the core, and a web page (Handler) where one person plays customers and
// agents. It is safe for concurrent use.
type Sandbox struct {
	ing       desk.Ingester
	log       *slog.Logger
	maxText   int
	maxUpload int64
	command   string
	notePre   string
	clock     desk.Clock
	heartbeat time.Duration
	// inst makes this instance's IDs unique, so that a store which outlives the process
	// (REDIS_URL) never mistakes a new message for an old one with the same number.
	inst string

	// ingestMu serialises the page's actions from recording to ingesting, so that events reach
	// the ingester in the order they happened in the page. It is taken before mu, and never
	// while mu is held, because an ingester may call back into the Platform.
	ingestMu sync.Mutex

	mu       sync.Mutex
	seq      int64
	users    map[string]*user
	userSeq  []string // user IDs in creation order
	channels map[string]string
	messages map[string]*message
	msgSeq   []string // message IDs in creation order
	files    map[string]*file
	triggers map[string]trigger
	forms    map[string]*pendingForm
	formSeq  []string
	subs     map[*subscriber]struct{}
	closed   bool
	leads    int // lead IDs given out so far
}

// Role says in which column of the page a person is played.
type Role string

// The roles a person can have in the sandbox.
const (
	RoleCustomer Role = "customer"
	RoleAgent    Role = "agent"
)

type user struct {
	ID     string
	Name   string // display name as typed in the page
	Handle string // unique, lower-case handle, usable in LEADS
	Role   Role
	Lead   bool   // an agent added as a lead: their ID is one of LeadIDs
	DM     string // the user's direct-message channel with the app
}

func (u *user) desk() desk.User {
	return desk.User{ID: u.ID, Name: u.Handle, DisplayName: u.Name}
}

type message struct {
	ID        string
	Channel   string
	Thread    string
	Author    string // user ID; "" for the app
	As        *desk.User
	Text      string
	Card      *desk.Card
	Files     []desk.File
	Marks     []desk.Mark
	Key       string
	Ephemeral string
	Edited    bool
	Deleted   bool
	At        time.Time
	// Rev grows with every change, so that the page can tell a newer copy from an older one
	// that arrives late (an API answer after the stream's notification).
	Rev int64
	// Error says why the app did not take the last event about this message; pending holds
	// the events it did not take, in order, for a retry.
	Error   string
	pending []desk.Event
}

type file struct {
	desk.File
	data []byte
}

type trigger struct {
	user string
	at   time.Time
}

type pendingForm struct {
	ID   string // this instance of the form
	User string
	Form desk.Form
}

// New returns an empty sandbox.
func New(opts Options) *Sandbox {
	s := &Sandbox{
		ing:       opts.Ingester,
		log:       opts.Logger,
		maxText:   opts.MaxText,
		maxUpload: opts.MaxUpload,
		command:   opts.Command,
		notePre:   opts.NotePrefix,
		clock:     opts.Clock,
		heartbeat: opts.Heartbeat,
		users:     map[string]*user{},
		channels:  map[string]string{TriageChannel: ""},
		messages:  map[string]*message{},
		files:     map[string]*file{},
		triggers:  map[string]trigger{},
		forms:     map[string]*pendingForm{},
		subs:      map[*subscriber]struct{}{},
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("platform", Name)
	if s.maxText <= 0 {
		s.maxText = DefaultMaxText
	}
	if s.maxUpload <= 0 {
		s.maxUpload = DefaultMaxUpload
	}
	if s.command == "" {
		s.command = DefaultCommand
	}
	if s.notePre == "" {
		s.notePre = "//"
	}
	if s.clock == nil {
		s.clock = desk.SystemClock
	}
	if s.heartbeat <= 0 {
		s.heartbeat = DefaultHeartbeat
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	s.inst = hex.EncodeToString(b[:])
	return s
}

// LeadIDs are the user IDs the sandbox gives the people added as leads in the page, the same
// for the whole life of the sandbox (MaxLeads of them, unique to this run). The core names its
// leads once, when it is made, before anyone is added: give it these with the LEADS setting's
// (relay.Options.Leads), and the page's leads are leads for the core.
func (s *Sandbox) LeadIDs() []string {
	ids := make([]string, MaxLeads)
	for i := range ids {
		ids[i] = s.leadID(i + 1)
	}
	return ids
}

func (s *Sandbox) leadID(n int) string { return fmt.Sprintf("lead%d-%s", n, s.inst) }

// Close ends every live stream, so that an http.Server can shut down (it waits for open
// requests, and a stream never ends by itself). The sandbox stays usable as a Platform.
func (s *Sandbox) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for sub := range s.subs {
		close(sub.ch)
		delete(s.subs, sub)
	}
}

// newID returns a fresh ID with the given prefix. Callers hold mu.
func (s *Sandbox) newID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%d-%s", prefix, s.seq, s.inst)
}

// addMessage stores m and tells the page. Callers hold mu.
func (s *Sandbox) addMessage(m *message) {
	s.seq++
	m.Rev = s.seq
	s.messages[m.ID] = m
	s.msgSeq = append(s.msgSeq, m.ID)
	s.publish("message", viewMessage(m))
}

// changed tells the page that m changed. Callers hold mu.
func (s *Sandbox) changed(m *message) {
	s.seq++
	m.Rev = s.seq
	s.publish("message", viewMessage(m))
}

// publish sends one change to every live stream. A stream too slow to keep up is dropped: the
// page reconnects and starts again from a snapshot, which is simpler than buffering without
// bound. Callers hold mu.
func (s *Sandbox) publish(event string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encode sandbox change", "event", event, "err", err)
		return
	}
	f := frame{event: event, data: data}
	for sub := range s.subs {
		select {
		case sub.ch <- f:
		default:
			s.log.Warn("sandbox stream too slow, dropped")
			close(sub.ch)
			delete(s.subs, sub)
		}
	}
}

// snapshot is the whole state as the page sees it. Callers hold mu.
func (s *Sandbox) snapshot() snapshotView {
	v := snapshotView{
		Instance:  s.inst,
		Triage:    TriageChannel,
		Command:   s.command,
		NotePre:   s.notePre,
		MaxText:   s.maxText,
		MaxUpload: s.maxUpload,
		Users:     []userView{},
		Messages:  []messageView{},
		Forms:     []formView{},
	}
	for _, id := range s.userSeq {
		v.Users = append(v.Users, viewUser(s.users[id]))
	}
	for _, id := range s.msgSeq {
		v.Messages = append(v.Messages, viewMessage(s.messages[id]))
	}
	for _, id := range s.formSeq {
		v.Forms = append(v.Forms, viewForm(s.forms[id]))
	}
	return v
}

func cloneUser(u *desk.User) *desk.User {
	if u == nil {
		return nil
	}
	c := *u
	return &c
}

func cloneCard(c *desk.Card) *desk.Card {
	if c == nil {
		return nil
	}
	d := *c
	d.Fields = append([]desk.Field(nil), c.Fields...)
	d.Actions = append([]desk.Action(nil), c.Actions...)
	return &d
}

func cloneForm(f desk.Form) desk.Form {
	g := f
	g.Fields = make([]desk.FormField, len(f.Fields))
	for i, ff := range f.Fields {
		ff.Options = append([]string(nil), ff.Options...)
		g.Fields[i] = ff
	}
	return g
}

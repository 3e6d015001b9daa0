// Package desktest is Threadesk's test harness: a hand-written fake of desk.Platform that
// records what the core sends and can be told to fail in the ways real platforms fail (rate
// limits, outages, refusals, a crash between sending and recording).
package desktest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// Message is a message as the fake platform holds it.
type Message struct {
	Ref       desk.MessageRef
	Thread    string
	Text      string
	As        string // label of the persona it was posted as
	Card      *desk.Card
	Key       string
	Ephemeral string // the one user who sees it, for ephemeral answers
	File      []byte
	Marks     []desk.Mark
	Deleted   bool
	Edits     int
	At        time.Time
}

// Call is one platform call the fake received.
type Call struct {
	Op      string // "post", "update", "delete", "upload", "mark", "find", "download", "user"
	Channel string
	Key     string
	// ID is the message an update or a deletion is for, so that a test can make the fake
	// refuse one message and not another.
	ID string
	At time.Time
}

// Platform is an in-memory desk.Platform. Its zero value is not usable: create it with New.
type Platform struct {
	name    string
	triage  string
	limits  desk.Limits
	mu      sync.Mutex
	seq     int
	msgs    []*Message
	calls   []Call
	users   map[string]desk.User
	agents  map[string]bool
	files   map[string][]byte
	forms   []desk.Form
	changed chan struct{}

	fail      func(c Call) error
	afterPost func(m Message)
	clock     desk.Clock
}

// SetClock makes the fake stamp calls and messages with c's time, so that tests running the
// core on a fake clock see when things happened in that clock's time.
func (p *Platform) SetClock(c desk.Clock) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clock = c
}

// SetFail makes the fake ask f before every call; a non-nil error is returned instead of
// doing the call. nil clears it.
func (p *Platform) SetFail(f func(c Call) error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail = f
}

// SetAfterPost makes the fake run f after a post (or upload) was stored and before it returns,
// on the caller's goroutine: a test can end that goroutine there (runtime.Goexit) to simulate a
// crash between sending and recording. nil clears it.
func (p *Platform) SetAfterPost(f func(m Message)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.afterPost = f
}

// New returns a fake platform with a triage channel "C-TRIAGE".
func New(name string, limits desk.Limits) *Platform {
	return &Platform{
		name: name, triage: "C-TRIAGE", limits: limits,
		users: make(map[string]desk.User), agents: make(map[string]bool), files: make(map[string][]byte),
		changed: make(chan struct{}), clock: desk.SystemClock,
	}
}

// AddUser makes a user known to UserInfo.
func (p *Platform) AddUser(u desk.User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users[u.ID] = u
}

// AddAgent makes a user known and a member of the triage channel.
func (p *Platform) AddAgent(u desk.User) {
	p.AddUser(u)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.agents[u.ID] = true
}

// RemoveAgent takes a user out of the triage channel: they are an agent no more.
func (p *Platform) RemoveAgent(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.agents, id)
}

// AddFile makes a file downloadable, as if a user had shared it.
func (p *Platform) AddFile(id string, content []byte) desk.File {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.files[id] = content
	return desk.File{ID: id, Name: id + ".bin", Size: int64(len(content))}
}

// Name implements desk.Platform.
func (p *Platform) Name() string { return p.name }

// Limits implements desk.Platform.
func (p *Platform) Limits() desk.Limits { return p.limits }

// TriageChannel implements desk.Platform.
func (p *Platform) TriageChannel() string { return p.triage }

func (p *Platform) enter(c Call) error {
	p.mu.Lock()
	c.At = p.clock.Now()
	fail := p.fail
	p.mu.Unlock()
	if fail != nil {
		if err := fail(c); err != nil {
			p.mu.Lock()
			p.calls = append(p.calls, c)
			p.mu.Unlock()
			return err
		}
	}
	p.mu.Lock()
	p.calls = append(p.calls, c)
	p.mu.Unlock()
	return nil
}

// notify wakes Wait; call with the lock held.
func (p *Platform) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *Platform) store(m Message) Message {
	p.mu.Lock()
	p.seq++
	m.Ref.ID = strconv.Itoa(p.seq)
	m.At = p.clock.Now()
	p.msgs = append(p.msgs, &m)
	p.notify()
	after := p.afterPost
	p.mu.Unlock()
	if after != nil {
		after(m)
	}
	return m
}

// Post implements desk.Platform.
func (p *Platform) Post(ctx context.Context, m desk.Outgoing) (desk.MessageRef, error) {
	if err := p.enter(Call{Op: "post", Channel: m.Channel, Key: m.Key}); err != nil {
		return desk.MessageRef{}, err
	}
	if err := p.threadExists(m.Channel, m.Thread); err != nil {
		return desk.MessageRef{}, err
	}
	msg := Message{Ref: desk.MessageRef{Channel: m.Channel}, Thread: m.Thread, Text: m.Text, Card: m.Card, Key: m.Key, Ephemeral: m.Ephemeral}
	if m.As != nil {
		msg.As = m.As.Label()
	}
	return p.store(msg).Ref, nil
}

// threadExists refuses a post into a thread whose root is missing or deleted, as platforms do.
func (p *Platform) threadExists(channel, thread string) error {
	if thread == "" {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.find(desk.MessageRef{Channel: channel, ID: thread}) == nil {
		return &desk.DeliveryError{Op: "post", Kind: desk.FailThreadGone, Reason: "thread_not_found"}
	}
	return nil
}

// Upload implements desk.Platform.
func (p *Platform) Upload(ctx context.Context, m desk.Outgoing, f desk.File, content io.Reader) (desk.MessageRef, error) {
	if err := p.enter(Call{Op: "upload", Channel: m.Channel, Key: m.Key}); err != nil {
		return desk.MessageRef{}, err
	}
	if err := p.threadExists(m.Channel, m.Thread); err != nil {
		return desk.MessageRef{}, err
	}
	b, err := io.ReadAll(content)
	if err != nil {
		return desk.MessageRef{}, err
	}
	msg := Message{Ref: desk.MessageRef{Channel: m.Channel}, Thread: m.Thread, Text: m.Text, Key: m.Key, File: b}
	if m.As != nil {
		msg.As = m.As.Label()
	}
	return p.store(msg).Ref, nil
}

// Download implements desk.Platform.
func (p *Platform) Download(ctx context.Context, f desk.File) (io.ReadCloser, error) {
	if err := p.enter(Call{Op: "download", Key: f.ID}); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	b, ok := p.files[f.ID]
	if !ok {
		return nil, fmt.Errorf("file %s: %w", f.ID, desk.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (p *Platform) find(ref desk.MessageRef) *Message {
	for _, m := range p.msgs {
		if m.Ref == ref && !m.Deleted {
			return m
		}
	}
	return nil
}

// Update implements desk.Platform.
func (p *Platform) Update(ctx context.Context, ref desk.MessageRef, m desk.Outgoing) error {
	if err := p.enter(Call{Op: "update", Channel: ref.Channel, Key: m.Key, ID: ref.ID}); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := p.find(ref)
	if msg == nil {
		return fmt.Errorf("update %v: %w", ref, desk.ErrNotFound)
	}
	msg.Text, msg.Card = m.Text, m.Card
	msg.Edits++
	p.notify()
	return nil
}

// Delete implements desk.Platform.
func (p *Platform) Delete(ctx context.Context, ref desk.MessageRef) error {
	if err := p.enter(Call{Op: "delete", Channel: ref.Channel, ID: ref.ID}); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := p.find(ref)
	if msg == nil {
		return fmt.Errorf("delete %v: %w", ref, desk.ErrNotFound)
	}
	msg.Deleted = true
	p.notify()
	return nil
}

// Mark implements desk.Platform. Marks are recorded on any message, including ones the fake
// did not post (a user's message), which it then keeps as a bare entry.
func (p *Platform) Mark(ctx context.Context, ref desk.MessageRef, mark desk.Mark) error {
	if err := p.enter(Call{Op: "mark", Channel: ref.Channel}); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := p.find(ref)
	if msg == nil {
		msg = &Message{Ref: ref, Key: "user-message"}
		p.msgs = append(p.msgs, msg)
	}
	if !slices.Contains(msg.Marks, mark) {
		// A new slice: copies handed out by Message keep theirs.
		msg.Marks = append(slices.Clone(msg.Marks), mark)
	}
	p.notify()
	return nil
}

// Unmark implements desk.Platform.
func (p *Platform) Unmark(ctx context.Context, ref desk.MessageRef, mark desk.Mark) error {
	if err := p.enter(Call{Op: "unmark", Channel: ref.Channel}); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if msg := p.find(ref); msg != nil {
		msg.Marks = slices.DeleteFunc(slices.Clone(msg.Marks), func(m desk.Mark) bool { return m == mark })
	}
	p.notify()
	return nil
}

// Find implements desk.Platform.
func (p *Platform) Find(ctx context.Context, channel, thread, key string) (desk.MessageRef, error) {
	if err := p.enter(Call{Op: "find", Channel: channel, Key: key}); err != nil {
		return desk.MessageRef{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.msgs {
		if m.Key == key && m.Ref.Channel == channel && m.Thread == thread && !m.Deleted {
			return m.Ref, nil
		}
	}
	return desk.MessageRef{}, fmt.Errorf("message with key %s: %w", key, desk.ErrNotFound)
}

// OpenDM implements desk.Platform: the DM channel of user U is "D-U".
func (p *Platform) OpenDM(ctx context.Context, userID string) (string, error) {
	return "D-" + userID, nil
}

// UserInfo implements desk.Platform.
func (p *Platform) UserInfo(ctx context.Context, userID string) (desk.User, error) {
	if err := p.enter(Call{Op: "user", Key: userID}); err != nil {
		return desk.User{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	u, ok := p.users[userID]
	if !ok {
		return desk.User{}, fmt.Errorf("user %s: %w", userID, desk.ErrNotFound)
	}
	return u, nil
}

// FindUser implements desk.Platform: a handle is a user ID or name, with or without "@".
func (p *Platform) FindUser(ctx context.Context, handle string) (desk.User, error) {
	if err := p.enter(Call{Op: "find_user", Key: handle}); err != nil {
		return desk.User{}, err
	}
	h := strings.TrimPrefix(handle, "@")
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, u := range p.users {
		if u.ID == h || u.Name == h {
			return u, nil
		}
	}
	return desk.User{}, fmt.Errorf("user %s: %w", handle, desk.ErrNotFound)
}

// InTriage implements desk.Platform.
func (p *Platform) InTriage(ctx context.Context, userID string) (bool, error) {
	if err := p.enter(Call{Op: "in_triage", Key: userID}); err != nil {
		return false, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.agents[userID], nil
}

// OpenForm implements desk.Platform. The forms opened are kept for Forms.
func (p *Platform) OpenForm(ctx context.Context, trigger string, f desk.Form) error {
	if err := p.enter(Call{Op: "form", Key: f.ID}); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forms = append(p.forms, f)
	p.notify()
	return nil
}

// Forms returns the forms opened so far.
func (p *Platform) Forms() []desk.Form {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.forms)
}

// Ping implements desk.Platform.
func (p *Platform) Ping(ctx context.Context) error { return p.enter(Call{Op: "ping"}) }

// Mention names u as @ID.
func (p *Platform) Mention(u desk.User) string { return "@" + u.ID }

// Quote implements desk.Platform visibly: a person's words come out «between guillemets», so
// that a test sees which parts of a text the core quoted. The fake knows no markup, and its
// outbound path changes nothing: a relayed text is stored as the core sent it.
func (p *Platform) Quote(s string) string {
	if s == "" {
		return ""
	}
	return Quoted(s)
}

// QuoteOpen and QuoteClose are what the fake's Quote puts around a person's words.
const (
	QuoteOpen  = "«"
	QuoteClose = "»"
)

// Quoted is s as the fake's Quote writes it, for tests to look for.
func Quoted(s string) string { return QuoteOpen + s + QuoteClose }

// Messages returns copies of the live (not deleted) messages in a channel, under a thread ("" for
// top-level and DM messages), in the order they were posted.
func (p *Platform) Messages(channel, thread string) []Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Message
	for _, m := range p.msgs {
		if m.Ref.Channel == channel && m.Thread == thread && !m.Deleted && m.Key != "user-message" {
			out = append(out, *m)
		}
	}
	return out
}

// Message returns a copy of one message, deleted or not.
func (p *Platform) Message(ref desk.MessageRef) (Message, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.msgs {
		if m.Ref == ref {
			return *m, true
		}
	}
	return Message{}, false
}

// Calls returns the calls received so far with the given op ("" for all).
func (p *Platform) Calls(op string) []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Call
	for _, c := range p.calls {
		if op == "" || c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// Wait polls cond, each time the fake changes, until it holds or timeout passes. It reports
// whether cond held.
func (p *Platform) Wait(timeout time.Duration, cond func() bool) bool {
	deadline := time.After(timeout)
	for {
		p.mu.Lock()
		ch := p.changed
		p.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			return cond()
		}
	}
}

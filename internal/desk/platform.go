package desk

import (
	"context"
	"io"
)

// Platform is what an adapter offers the core: a chat system it can post to. Every send
// returns the native ID of what it created, so the core can map it and later edit or delete it.
// Methods return *DeliveryError for failed platform calls, and ErrNotFound (or an error
// wrapping it) when the thing asked for does not exist.
type Platform interface {
	// Name is the platform's name as it appears in events and tickets ("slack", …).
	Name() string
	// Limits says how much the platform takes per message and how fast.
	Limits() Limits
	// TriageChannel is the native ID of the channel where ticket threads live.
	TriageChannel() string

	// Post creates a message and returns where it is.
	Post(ctx context.Context, m Outgoing) (MessageRef, error)
	// Update replaces the text (or card) of a message the app posted earlier.
	Update(ctx context.Context, ref MessageRef, m Outgoing) error
	// Delete removes a message the app posted earlier.
	Delete(ctx context.Context, ref MessageRef) error
	// Upload shares a file into m.Channel (under m.Thread, with m.Text as its comment) and
	// returns the message that carries it.
	Upload(ctx context.Context, m Outgoing, f File, content io.Reader) (MessageRef, error)
	// Download opens a file a user shared.
	Download(ctx context.Context, f File) (io.ReadCloser, error)
	// Mark puts a visible mark (a reaction) on a message.
	Mark(ctx context.Context, ref MessageRef, mark Mark) error
	// Unmark takes a mark off a message again (a delivered reply turned into a note); a mark
	// that is not there is no error.
	Unmark(ctx context.Context, ref MessageRef, mark Mark) error
	// Find looks for a message the app posted with delivery key key in channel (under thread,
	// if given). It returns ErrNotFound when there is none. The core calls it before sending
	// again after a crash or an ambiguous failure, so that nothing is posted twice.
	Find(ctx context.Context, channel, thread, key string) (MessageRef, error)
	// OpenDM returns the ID of the direct-message channel between the app and a user.
	OpenDM(ctx context.Context, userID string) (string, error)
	// UserInfo returns what the platform knows of a user.
	UserInfo(ctx context.Context, userID string) (User, error)
	// FindUser resolves what a person typed to name someone (a handle such as "@jane", or a
	// platform mention such as "<@U123>") to that user; ErrNotFound if nobody has that name.
	FindUser(ctx context.Context, handle string) (User, error)
	// InTriage reports whether a user is a member of the triage channel. Who counts as an
	// agent is the core's rule (see IsAgent), not the adapter's: a platform only tells.
	InTriage(ctx context.Context, userID string) (bool, error)
	// OpenForm shows a form (modal or dialog) to the user who pressed a button, using the
	// short-lived trigger the platform gave with the click.
	OpenForm(ctx context.Context, trigger string, f Form) error
	// Ping checks that the platform is reachable and the app's credentials work.
	Ping(ctx context.Context) error

	// Quote writes a person's words (a name, a subject, a comment, a tag, a line of a
	// ticket's history) so that, embedded in a text or card the app composes and posts on
	// this platform, they read as the person typed them: no mention in them pings anyone,
	// and no markup in them makes a link or a mention. Which strings are a person's words is
	// the core's knowledge, and it quotes every one it embeds; how to quote them is the
	// platform's, and the core never inspects markup itself. The words may have been cut
	// anywhere before they are quoted (a subject, a long history line), even inside markup:
	// quoted, the cut stays harmless. A relayed message (Outgoing.As) is not quoted by the
	// core: the adapter makes it inert when it posts it.
	Quote(s string) string
	// Mention is how a message names u so that the platform notifies them.
	Mention(u User) string
}

// Limits are a platform's constraints on what the app posts.
type Limits struct {
	// MaxText is the most characters (runes) one message may carry; longer texts are split.
	MaxText int
	// PostRate is how many messages per second one channel takes, and PostBurst how many may
	// go at once; 0 means unpaced.
	PostRate  float64
	PostBurst int
}

// Form is the platform-neutral model of a modal or dialog.
type Form struct {
	ID      string // what the form does, e.g. "tag"; comes back in the submission
	Title   string
	Submit  string // label of the submit button
	Context string // opaque state carried to the submission, e.g. the ticket number
	Fields  []FormField
}

// FormField is one input of a form.
type FormField struct {
	ID       string
	Label    string
	Kind     string // "text", "textarea", "select", "multiselect" or "user" (pick a person; the value is a user ID)
	Options  []string
	Value    string // the initial value; several values are comma-separated
	Optional bool
	// Hint is a short explanation shown with the field, such as how to write its value.
	Hint string
}

// Ingester is what adapters hand translated events to. Ingest returns only once the event is
// durably recorded, so an adapter acknowledges the platform after it returns and not before;
// an error means nothing was recorded and the platform should retry. Discard records that an
// adapter dropped something on purpose, with a named reason.
type Ingester interface {
	Ingest(ctx context.Context, ev Event) error
	Discard(platform string, reason DropReason)
}

// IsAgent is the one rule of who is an agent: a person (not a bot, not the app itself) who is
// a member of the platform's triage channel. Bots in the channel can never be assigned a ticket
// nor answer for the desk.
func IsAgent(u User, inTriage bool) bool { return inTriage && !u.IsBot }

type noIntakeWaitKey struct{}

// WithoutIntakeWait marks ctx for an Ingest that must not wait for a busy queue shard. An
// adapter whose platform delivers one event at a time over one connection (Slack's Socket
// Mode) uses it: there a wait would hold up every later event, instead of slowing a sender
// down as it does over HTTP, where the platform sends many requests at once.
func WithoutIntakeWait(ctx context.Context) context.Context {
	return context.WithValue(ctx, noIntakeWaitKey{}, true)
}

// IntakeWaitAllowed reports whether Ingest may wait for a busy queue shard (see
// WithoutIntakeWait).
func IntakeWaitAllowed(ctx context.Context) bool {
	return ctx.Value(noIntakeWaitKey{}) == nil
}

package desk

// User is a person (or bot) as a platform knows them.
type User struct {
	ID          string // platform user ID
	Name        string // handle, e.g. "jane.doe"
	DisplayName string // what people are shown, e.g. "Jane Doe"
	AvatarURL   string
	ProfileURL  string // a link to the person's profile, where the platform has one
	IsBot       bool
	// Locale is the person's language as the platform knows it ("en-US", "ru"), if it does.
	Locale string
	// TimeZone is the person's IANA time zone as the platform knows it ("Europe/Moscow"), if
	// it does.
	TimeZone string
}

// Label is the best name to show for u.
func (u User) Label() string {
	switch {
	case u.DisplayName != "":
		return u.DisplayName
	case u.Name != "":
		return u.Name
	}
	return u.ID
}

// File is an attachment as a platform offers it. Its bytes are fetched with Platform.Download.
type File struct {
	ID       string // platform file ID
	Name     string
	MimeType string
	Size     int64
	URL      string // where the adapter downloads it from, if it needs one
}

// MessageRef names one message on a platform.
type MessageRef struct {
	Channel string
	ID      string
}

// Mark is a visible sign the app puts on a message: delivered, failed, internal note.
type Mark string

// The marks the core sets. Adapters render each natively (for example as a reaction).
const (
	MarkDelivered Mark = "delivered"
	MarkFailed    Mark = "failed"
	MarkNote      Mark = "note"
)

// Outgoing is a message the core asks a platform to post or to put in place of an earlier one.
type Outgoing struct {
	Channel string
	Thread  string // native ID of the thread root to reply under; empty for a top-level post

	// Text is what the message says. A text the core composes embeds people's words only
	// quoted (Platform.Quote), so it pings nobody; a relayed one (As set) is a person's whole
	// message, made inert by the adapter. Pinging people on purpose is never done by writing a
	// mention into Text: that would be a field of its own, listing whom to ping, for each
	// adapter to render natively.
	Text string
	// As is the person the message speaks for: Text is that person's message, relayed. Adapters
	// show their name and picture where the platform allows it, and otherwise prefix the name;
	// they make the text inert on the way out (no mention in it pings anyone, a mention by ID
	// shows the person's name) and keep the rest of its formatting. The name, too, is shown so
	// that it pings nobody and links nowhere.
	As *User
	// Card, when set, makes this a ticket card; Text is then the fallback for notifications.
	Card *Card
	// Key is the delivery key: a stable identity of this one delivery that the adapter stores
	// in the message's metadata, so that after a crash between sending and recording the core
	// can find the message again instead of posting it twice.
	Key string
	// Ephemeral, when set, shows the message only to this user ID (command answers).
	Ephemeral string
	// Reply, when set, is where an answer to a command or action goes (Event.Reply, such as
	// Slack's response_url); adapters prefer it over posting into Channel.
	Reply string
}

// Article is a knowledge-base article: what the first-line bot suggests to a customer and an
// agent sends one.
type Article struct {
	ID       string
	Lang     string
	Title    string
	Body     string
	Category string
}

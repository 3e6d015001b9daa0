package desk

import "time"

// The dashboard's sign-in: a person asks for a link in chat (/desk dashboard), and the link's
// token, redeemed once, starts a session in the browser. Tokens and session IDs are secrets:
// the store keeps only their hashes, and nothing logs them.

// SigninTTL is how long a sign-in link works.
const SigninTTL = 10 * time.Minute

// Person is who a sign-in link or a session is for: a person on a chat platform.
type Person struct {
	Platform string `json:"p"`
	UserID   string `json:"u"`
	Name     string `json:"n"`
}

// Session is a signed-in browser: whom it is for and when it started. Whether the person may
// still see the dashboard is asked of the platform at every request, not kept here.
type Session struct {
	Person
	Started time.Time `json:"s"`
}

// PutSignin records a sign-in link's token for Person, working for SigninTTL and once.
type PutSignin struct {
	Token  string
	Person Person
}

// EndSessions ends every dashboard session of a person (a lead's revoke).
type EndSessions struct {
	Platform, UserID string
}

func (PutSignin) change()   {}
func (EndSessions) change() {}

// TicketChange says that a ticket changed (its state, its activity or its history). Seq orders
// the changes: a reader that saw up to Seq asks for what came after it, and misses nothing
// that the store still keeps.
type TicketChange struct {
	Seq    string
	Ticket TicketID
}

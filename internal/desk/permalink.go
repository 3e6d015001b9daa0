package desk

import "context"

// Permalinker is what a Platform may also offer: a link that opens one of its messages (a
// ticket's thread) in the platform's own client. The core and the dashboard ask for it through
// this interface only, so that they stay platform-neutral; a platform without one shows no
// link.
type Permalinker interface {
	// Permalink returns the address of message messageID in channel. It returns ErrNotFound
	// (or an error wrapping it) when there is no such message.
	Permalink(ctx context.Context, channel, messageID string) (string, error)
}

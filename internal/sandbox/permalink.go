package sandbox

import (
	"context"
	"net/url"
)

// Permalink is the sandbox page's address of a message: the page brings the thread it roots
// into view (#thread-ID). It is relative, like every address of the sandbox's page: the
// dashboard that shows it is served by the same app.
func (s *Sandbox) Permalink(ctx context.Context, channel, messageID string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", canceled("permalink", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[messageID]
	if !ok || m.Channel != channel {
		return "", failure("permalink", "message_not_found")
	}
	return "/sandbox#thread-" + url.PathEscape(messageID), nil
}

package mattermost

import (
	"context"
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
)

// TestPermalink: a post's address is the server's URL, the team and /pl/ with the post's ID,
// which Mattermost's web app opens in its channel and thread.
func TestPermalink(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{"https://chat.example.com", "https://chat.example.com/support/pl/abcdefghijklmnopqrstuvwxyz"},
		{"https://chat.example.com/mm/", "https://chat.example.com/mm/support/pl/abcdefghijklmnopqrstuvwxyz"},
	} {
		a := &Adapter{cfg: Config{URL: tt.url, Team: "support"}}
		got, err := a.Permalink(context.Background(), "channelid", "abcdefghijklmnopqrstuvwxyz")
		if err != nil || got != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.url, got, err, tt.want)
		}
	}
	var _ desk.Permalinker = (*Adapter)(nil)
}

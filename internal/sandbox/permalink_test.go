package sandbox

import (
	"context"
	"errors"
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
)

// TestPermalink: a thread's address is the sandbox page with the thread's anchor; a message
// that is not there, or not in that channel, is not found.
func TestPermalink(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ref, err := f.sb.Post(ctx, desk.Outgoing{Channel: TriageChannel, Text: "Ticket #1"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.sb.Permalink(ctx, TriageChannel, ref.ID)
	if want := "/sandbox#thread-" + ref.ID; err != nil || got != want {
		t.Errorf("%q, %v; want %q", got, err, want)
	}
	for _, tt := range []struct{ channel, id string }{{TriageChannel, "nope"}, {"elsewhere", ref.ID}} {
		if _, err := f.sb.Permalink(ctx, tt.channel, tt.id); !errors.Is(err, desk.ErrNotFound) {
			t.Errorf("%s/%s: %v, want not found", tt.channel, tt.id, err)
		}
	}
	var _ desk.Permalinker = f.sb
}

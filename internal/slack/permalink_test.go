package slack

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
)

// TestPermalink: the address of a ticket's thread comes from chat.getPermalink (checked by the
// fake against the Web API reference), for the root and for a reply; an unknown message is
// not found.
func TestPermalink(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	ctx := context.Background()
	root, err := a.Post(ctx, desk.Outgoing{Channel: fakeTriage, Text: "Ticket #1"})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := a.Post(ctx, desk.Outgoing{Channel: fakeTriage, Thread: root.ID, Text: "a reply"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.Permalink(ctx, root.Channel, root.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://test.slack.com/archives/" + fakeTriage + "/p" + strings.ReplaceAll(root.ID, ".", ""); got != want {
		t.Errorf("root: %q, want %q", got, want)
	}
	got, err = a.Permalink(ctx, reply.Channel, reply.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "?thread_ts="+root.ID) {
		t.Errorf("reply: %q, want the thread's ts in it", got)
	}
	calls := fake.callsTo("chat.getPermalink")
	if len(calls) != 2 {
		t.Fatalf("chat.getPermalink called %d times, want 2", len(calls))
	}
	if _, err := a.Permalink(ctx, fakeTriage, "1.000001"); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("an unknown message: %v, want not found", err)
	}
	var _ desk.Permalinker = a
}

package slack

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
)

// TestDeletedCardIsThreadDeleted: a ticket card the app posted, deleted in the triage channel,
// reaches the core as desk.ThreadDeleted naming the card, in both shapes Slack reports it,
// over HTTP and over Socket Mode, with the envelope's event_id as its ID.
func TestDeletedCardIsThreadDeleted(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, in *fakeIngester, eventID, card string) {
		t.Helper()
		events, discarded := in.got()
		if len(events) != 1 || len(discarded) != 0 {
			t.Fatalf("got events %+v, discarded %v; want one ThreadDeleted", events, discarded)
		}
		ev := events[0]
		if ev.Kind != desk.ThreadDeleted || ev.ID != eventID || ev.Platform != PlatformName || ev.Channel != fakeTriage ||
			ev.Thread != card || ev.User.ID != fakeBotUser || ev.At.IsZero() {
			t.Errorf("event: %+v", ev)
		}
	}
	for _, replies := range []bool{false, true} {
		name := map[bool]string{false: "message_deleted", true: "tombstone"}[replies]
		t.Run(name, func(t *testing.T) {
			fake := newFakeSlack(t)
			in := newIngester()
			a := newTestAdapter(t, fake, in)
			card, err := a.Post(ctx, desk.Outgoing{Channel: fakeTriage, Text: "#1 · Jane", Key: "card-1"})
			if err != nil {
				t.Fatal(err)
			}
			if replies {
				fake.UserMessage(fakeTriage, "UAGENT", "on it", card.ID)
			}
			if w := postEvent(t, a, unJSON(t, fake.DeleteMessage("EvCardGone", fakeTriage, card.ID))); w.Code != 200 {
				t.Fatalf("status %d %s", w.Code, w.Body)
			}
			check(t, in, "EvCardGone", card.ID)
		})
	}
	t.Run("socket mode", func(t *testing.T) {
		fake := newFakeSlack(t)
		sock := newFakeSocket(t, fake)
		in := newIngester()
		a := newTestAdapter(t, fake, in, func(c *Config) { c.AppToken = "xapp-1-test"; c.SigningSecret = "" })
		sock.connections(1)
		card, err := a.Post(ctx, desk.Outgoing{Channel: fakeTriage, Text: "#1 · Jane", Key: "card-1"})
		if err != nil {
			t.Fatal(err)
		}
		sock.write(envelope(t, "env-gone", "events_api", unJSON(t, fake.DeleteMessage("EvCardGone", fakeTriage, card.ID))))
		if got := sock.ack(); got != "env-gone" {
			t.Fatalf("ack: got %q", got)
		}
		check(t, in, "EvCardGone", card.ID)
	})
}

// unJSON decodes a payload the fake built, to hand it on as a test's own.
func unJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDeletedCardAnswers: what the Web API answers about a deleted card reaches the core in
// its terms. Slack takes a reply into the deleted thread (chat.postMessage lists no error for
// it: the core learns of the deletion from TestDeletedCardIsThreadDeleted's event); an update
// of the card is not found; and Find, when nothing is left of the thread, answers that the
// thread is gone (conversations.replies' thread_not_found), which is no not-found.
func TestDeletedCardAnswers(t *testing.T) {
	ctx := context.Background()
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	card, err := a.Post(ctx, desk.Outgoing{Channel: fakeTriage, Text: "#1 · Jane", Key: "card-1"})
	if err != nil {
		t.Fatal(err)
	}
	fake.DeleteMessage("EvCardGone", fakeTriage, card.ID)

	_, err = a.Find(ctx, fakeTriage, card.ID, "reply-1")
	if de := desk.AsDeliveryError(err); desk.Failed(err) != desk.FailThreadGone || de.Temporary || de.Reason != "thread_not_found" || errors.Is(err, desk.ErrNotFound) {
		t.Errorf("Find in the deleted thread: got %v (kind %q), want a final %q that is no not-found", err, desk.Failed(err), desk.FailThreadGone)
	}
	err = a.Update(ctx, card, desk.Outgoing{Text: "#1 · open"})
	if desk.Failed(err) != desk.FailNotFound || !errors.Is(err, desk.ErrNotFound) || desk.AsDeliveryError(err).Temporary {
		t.Errorf("Update of the deleted card: got %v (kind %q), want a final %q", err, desk.Failed(err), desk.FailNotFound)
	}
	if _, err := a.Post(ctx, desk.Outgoing{Channel: fakeTriage, Thread: card.ID, Text: "relayed", Key: "reply-1"}); err != nil {
		t.Errorf("Post into the deleted thread: %v, want Slack's ok", err)
	}
}

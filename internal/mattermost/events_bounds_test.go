package mattermost

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
)

// refusingIngester refuses every event with err, and keeps the events it was given.
type refusingIngester struct {
	mu     sync.Mutex
	err    error
	events []desk.Event
}

func (r *refusingIngester) Ingest(_ context.Context, ev desk.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return r.err
}

func (r *refusingIngester) Discard(string, desk.DropReason) {}

// TestHandleTimeBeyondRecording: a post dated past the year 9999 (found by FuzzWebSocketEvent)
// is recorded at the time it arrives, since no event can be recorded at its own, and it does
// not move the cursor past every later post.
func TestHandleTimeBeyondRecording(t *testing.T) {
	for _, createAt := range []int64{math.MaxInt64, lastRecordable + 1} {
		in := &refusingIngester{}
		a, err := New(Config{URL: "http://127.0.0.1:1", Token: "t", Team: "support", TriageChannel: "triage", PublicURL: "https://desk.example.com", Secret: testSecret}, in, discardLogger())
		if err != nil {
			t.Fatal(err)
		}
		a.botID, a.triageID = fuzzBot, fuzzTriage
		p := &model.Post{Id: "post1", ChannelId: "dm1", UserId: "cust1", CreateAt: createAt, Message: "hi"}
		before := time.Now()
		if err := a.handle(context.Background(), posted, p, model.ChannelTypeDirect); err != nil {
			t.Fatalf("handle: %v", err)
		}
		if len(in.events) != 1 {
			t.Fatalf("got %d events, want 1", len(in.events))
		}
		if got := in.events[0].At; got.Before(before) || got.Year() > 9999 {
			t.Errorf("create_at %d: event at %v, want the time it arrived", createAt, got)
		}
		if a.mark != 0 {
			t.Errorf("create_at %d: cursor moved to %d, want it left", createAt, a.mark)
		}
	}
}

// TestHandleRefusedEvent: an event the core refuses for what it is (a post without its author,
// found by FuzzWebSocketEvent) is passed by and the cursor moves on; were it returned as an
// error, the session would end and every catch-up would stop at the same post. A failure to
// record is still an error, and the cursor waits.
func TestHandleRefusedEvent(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantErr  bool
		wantMark int64
	}{
		{"invalid", desk.Errorf(desk.EINVALID, "event has no user"), false, 1700000000000},
		{"too large", desk.Errorf(desk.ETOOLARGE, "message text is too large"), false, 1700000000000},
		{"store down", desk.Errorf(desk.EUNAVAILABLE, "cannot record the event now"), true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &refusingIngester{err: tt.err}
			a, err := New(Config{URL: "http://127.0.0.1:1", Token: "t", Team: "support", TriageChannel: "triage", PublicURL: "https://desk.example.com", Secret: testSecret}, in, discardLogger())
			if err != nil {
				t.Fatal(err)
			}
			a.botID, a.triageID = fuzzBot, fuzzTriage
			p := &model.Post{Id: "post1", ChannelId: "dm1", CreateAt: 1700000000000, Message: "hi"}
			err = a.handle(context.Background(), posted, p, model.ChannelTypeDirect)
			if (err != nil) != tt.wantErr {
				t.Fatalf("handle: %v, want error %v", err, tt.wantErr)
			}
			if a.mark != tt.wantMark {
				t.Errorf("cursor at %d, want %d", a.mark, tt.wantMark)
			}
		})
	}
}

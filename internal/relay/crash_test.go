package relay_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/desktest"
	"github.com/threadesk/threadesk/internal/relay"
)

// hookStore runs a hook after every Apply that succeeded: the hook may end the calling
// goroutine (the worker "crashes" right after the store took the changes) or return an error
// in place of the success (the store took the changes but the answer was lost).
type hookStore struct {
	desk.Store
	mu    sync.Mutex
	after func(changes []desk.Change) error
}

func (s *hookStore) Apply(ctx context.Context, changes ...desk.Change) error {
	if err := s.Store.Apply(ctx, changes...); err != nil {
		return err
	}
	s.mu.Lock()
	after := s.after
	s.mu.Unlock()
	if after != nil {
		return after(changes)
	}
	return nil
}

func (s *hookStore) setAfter(f func(changes []desk.Change) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.after = f
}

// crashDesk is a desk whose store can be hooked.
func crashDesk(t *testing.T) (*deskHarness, *hookStore) {
	t.Helper()
	var hs *hookStore
	d := newDesk(t, func(o *relay.Options) {
		hs = &hookStore{Store: o.Store}
		o.Store = hs
	})
	return d, hs
}

// hasOutbox reports whether changes record an outbox (the commit of a step).
func hasOutbox(changes []desk.Change) bool {
	for _, c := range changes {
		if _, ok := c.(desk.PutOutbox); ok && c.(desk.PutOutbox).Outbox.Done == 0 {
			return true
		}
	}
	return false
}

// crashPoint sets up one place where the worker dies while it handles a step, and reports
// through reached when it got there.
type crashPoint struct {
	name string
	arm  func(d *deskHarness, hs *hookStore, reached *atomic.Bool)
}

// die ends the calling goroutine once: the worker handling the event is gone, as in a crash.
func die(reached *atomic.Bool) {
	if reached.CompareAndSwap(false, true) {
		runtime.Goexit()
	}
}

// TestStepSurvivesACrashAtEveryPoint stops the worker between each pair of steps of a Resolve
// (change recorded, card updated, notice sent, rating question sent, outbox done), restarts,
// and checks that every effect happened exactly once.
func TestStepSurvivesACrashAtEveryPoint(t *testing.T) {
	points := []crashPoint{
		{"after the change is recorded", func(d *deskHarness, hs *hookStore, reached *atomic.Bool) {
			hs.setAfter(func(changes []desk.Change) error {
				if hasOutbox(changes) {
					die(reached)
				}
				return nil
			})
		}},
		{"after the card is updated", func(d *deskHarness, hs *hookStore, reached *atomic.Bool) {
			d.p.SetFail(func(c desktest.Call) error {
				if c.Op == "post" && strings.Contains(c.Key, ":noticeresolved") {
					die(reached)
				}
				return nil
			})
		}},
		{"after the notice is sent", func(d *deskHarness, hs *hookStore, reached *atomic.Bool) {
			d.p.SetAfterPost(func(m desktest.Message) {
				if strings.Contains(m.Key, ":noticeresolved") {
					die(reached)
				}
			})
		}},
		{"after the rating question is sent", func(d *deskHarness, hs *hookStore, reached *atomic.Bool) {
			d.p.SetAfterPost(func(m desktest.Message) {
				if strings.Contains(m.Key, ":rating") {
					die(reached)
				}
			})
		}},
		{"after the outbox is done", func(d *deskHarness, hs *hookStore, reached *atomic.Bool) {
			hs.setAfter(func(changes []desk.Change) error {
				for _, c := range changes {
					if _, ok := c.(desk.DoneOutbox); ok {
						die(reached)
					}
				}
				return nil
			})
		}},
	}
	for _, pt := range points {
		t.Run(pt.name, func(t *testing.T) {
			d, hs := crashDesk(t)
			tk := d.open("U1")
			_ = d.press("A1", "C-TRIAGE", tk.ThreadID, "claim", "1")
			d.drain()

			var reached atomic.Bool
			pt.arm(d, hs, &reached)
			if err := d.press("A1", "C-TRIAGE", tk.ThreadID, "resolve", "1"); err != nil {
				t.Fatal(err)
			}
			if !d.p.Wait(5*time.Second, reached.Load) {
				t.Fatal("the crash point was never reached")
			}
			d.stop()
			hs.setAfter(nil)
			d.p.SetAfterPost(nil)
			d.p.SetFail(nil)

			d.start() // the restarted process carries out what the outbox holds
			checkResolvedOnce(t, d, tk)
		})
	}
}

// checkResolvedOnce checks that ticket tk, claimed by A1 and then resolved, shows every
// effect of the resolution exactly once.
func checkResolvedOnce(t *testing.T, d *deskHarness, tk desk.Ticket) {
	t.Helper()
	d.drain()
	got := d.ticket(tk.ID)
	if got.Status != desk.StatusResolved {
		t.Errorf("status %s, want resolved", got.Status)
	}
	var resolvedNotices, questions int
	var question desk.MessageRef
	for _, m := range d.p.Messages("D-U1", "") {
		if strings.Contains(m.Text, "is resolved") {
			resolvedNotices++
		}
		if m.Card != nil && len(m.Card.Actions) == 5 {
			questions++
			question = m.Ref
		}
	}
	if resolvedNotices != 1 || questions != 1 {
		t.Errorf("the customer got %d resolution notices and %d rating questions, want one each", resolvedNotices, questions)
	}
	if got.RatingMessage != question {
		t.Errorf("the ticket remembers rating question %v, want %v", got.RatingMessage, question)
	}
	card, _ := d.p.Message(desk.MessageRef{Channel: "C-TRIAGE", ID: tk.ThreadID})
	if field(card.Card, "Status") != "resolved" || card.Edits != 2 {
		t.Errorf("card shows %q after %d updates, want resolved after 2 (claim, resolve)", field(card.Card, "Status"), card.Edits)
	}
	facts, err := d.store.Facts(context.Background(), desk.FactResolved, time.Time{}, d.clock.Now().Add(time.Hour))
	if err != nil || len(facts) != 1 {
		t.Errorf("resolution facts %+v, %v; want one", facts, err)
	}
	entries, _ := d.store.Transcript(context.Background(), tk.ID)
	n := 0
	for _, e := range entries {
		if e.Text == "open → resolved" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d history lines of the resolution, want 1: %+v", n, entries)
	}
	if a := d.answers("A1"); len(a) != 0 {
		t.Errorf("the agent was told %q", a)
	}
}

// TestOpeningSurvivesACrashAtEveryPoint stops the worker between each pair of steps of a
// ticket's opening (ticket created, card posted, thread recorded, number told, message
// relayed), restarts, and checks that each happened exactly once.
func TestOpeningSurvivesACrashAtEveryPoint(t *testing.T) {
	before := func(key string) func(d *deskHarness, hs *hookStore, reached *atomic.Bool) {
		return func(d *deskHarness, hs *hookStore, reached *atomic.Bool) {
			d.p.SetFail(func(c desktest.Call) error {
				if c.Op == "post" && c.Key == key {
					die(reached)
				}
				return nil
			})
		}
	}
	after := func(key string) func(d *deskHarness, hs *hookStore, reached *atomic.Bool) {
		return func(d *deskHarness, hs *hookStore, reached *atomic.Bool) {
			d.p.SetAfterPost(func(m desktest.Message) {
				if m.Key == key {
					die(reached)
				}
			})
		}
	}
	points := []crashPoint{
		{"after the ticket is created", before("card:1")},
		{"after the card is posted", after("card:1")},
		{"after the thread is recorded", before("opened:1")},
		{"after the number is told", after("opened:1")},
		{"after the message is relayed", after("e:ev-U1-m1:t0")},
		{"after the commit", func(d *deskHarness, hs *hookStore, reached *atomic.Bool) {
			hs.setAfter(func(changes []desk.Change) error {
				for _, c := range changes {
					if a, ok := c.(desk.AckEvent); ok && a.Event == "ev-U1-m1" {
						die(reached)
					}
				}
				return nil
			})
		}},
	}
	for _, pt := range points {
		t.Run(pt.name, func(t *testing.T) {
			d, hs := crashDesk(t)
			var reached atomic.Bool
			pt.arm(d, hs, &reached)
			d.ingest(say("U1", "m1", "hello"))
			if !d.p.Wait(5*time.Second, reached.Load) {
				t.Fatal("the crash point was never reached")
			}
			d.stop()
			hs.setAfter(nil)
			d.p.SetAfterPost(nil)
			d.p.SetFail(nil)

			d.start()
			tk := d.ticketOf("U1")
			d.waitTexts("C-TRIAGE", tk.ThreadID, []string{"hello"})
			d.waitMark(desk.MessageRef{Channel: "D-U1", ID: "m1"}, desk.MarkDelivered)
			d.drain()
			if got := d.ticket(tk.ID); tk.ID != 1 || got.OpenedBy != "" {
				t.Errorf("ticket %s still remembers its opener %q once opened", tk.ID, got.OpenedBy)
			}
			cards := 0
			for _, m := range d.p.Messages("C-TRIAGE", "") {
				if m.Card != nil {
					cards++
				}
			}
			if n := d.notices("U1"); cards != 1 || len(n) != 1 || !strings.Contains(n[0], "#1") {
				t.Errorf("%d cards and notices %q, want one card and one ticket number", cards, n)
			}
			facts, _ := d.store.Facts(context.Background(), desk.FactCreated, time.Time{}, d.clock.Now().Add(time.Hour))
			entries, _ := d.store.Transcript(context.Background(), tk.ID)
			if len(facts) != 1 || len(entries) != 1 || entries[0].Kind != "customer" {
				t.Errorf("facts %+v, history %+v; want one of each", facts, entries)
			}
			// The next customer gets the next number: no number was taken twice.
			other := d.open("U2")
			if other.ID != 2 {
				t.Errorf("the next ticket is %s, want #2", other.ID)
			}
		})
	}
}

// TestLostCommitIsNotGuessed: the store takes a Resolve's commit but its answer is lost (a
// client timeout while Redis ran it later). The retry finds the step decided and carries out
// what it recorded, instead of telling the agent it was "already resolved" and sending the
// customer nothing.
func TestLostCommitIsNotGuessed(t *testing.T) {
	d, hs := crashDesk(t)
	tk := d.open("U1")
	_ = d.press("A1", "C-TRIAGE", tk.ThreadID, "claim", "1")
	d.drain()
	var lost atomic.Bool
	hs.setAfter(func(changes []desk.Change) error {
		if hasOutbox(changes) && lost.CompareAndSwap(false, true) {
			return fmt.Errorf("apply: %w", context.DeadlineExceeded)
		}
		return nil
	})
	if err := d.press("A1", "C-TRIAGE", tk.ThreadID, "resolve", "1"); err != nil {
		t.Fatal(err)
	}
	// The retry waits its backoff on the desk's clock: move it on until the step is done.
	d.advanceUntil(func() bool {
		n, err := d.store.QueueDepth(context.Background())
		return lost.Load() && err == nil && n == 0
	})
	checkResolvedOnce(t, d, tk)
}

// TestLostRefusalCommit: a refusal whose commit was taken but not answered is not answered
// twice either.
func TestLostRefusalCommit(t *testing.T) {
	d, hs := crashDesk(t)
	tk := d.open("U1")
	_ = d.press("A1", "C-TRIAGE", tk.ThreadID, "claim", "1")
	d.drain()
	var lost atomic.Bool
	hs.setAfter(func(changes []desk.Change) error {
		if hasOutbox(changes) && lost.CompareAndSwap(false, true) {
			return errors.New("connection reset")
		}
		return nil
	})
	_ = d.press("A1", "C-TRIAGE", tk.ThreadID, "claim", "1") // already theirs: refused
	d.advanceUntil(func() bool {
		n, err := d.store.QueueDepth(context.Background())
		return lost.Load() && err == nil && n == 0
	})
	if a := d.answers("A1"); len(a) != 1 || !strings.Contains(a[0], "already yours") {
		t.Errorf("answers = %q, want one refusal", a)
	}
}

// TestOutboxProgressIsMarkedSo: the progress a step's tasks record after each (Done past 0)
// is marked Progress, which the store makes only while the record is there with fewer tasks
// done (a late write must not bring a finished record back: TestLateOutboxProgressBringsNothingBack).
func TestOutboxProgressIsMarkedSo(t *testing.T) {
	d, hs := crashDesk(t)
	tk := d.open("U1")
	_ = d.press("A1", "C-TRIAGE", tk.ThreadID, "claim", "1")
	d.drain()
	var progress, unmarked atomic.Int32
	hs.setAfter(func(changes []desk.Change) error {
		for _, c := range changes {
			if po, ok := c.(desk.PutOutbox); ok && po.Outbox.Done > 0 {
				progress.Add(1)
				if !po.Progress {
					unmarked.Add(1)
				}
			}
		}
		return nil
	})
	if err := d.press("A1", "C-TRIAGE", tk.ThreadID, "resolve", "1"); err != nil {
		t.Fatal(err)
	}
	d.drain()
	if progress.Load() == 0 || unmarked.Load() != 0 {
		t.Errorf("%d progress writes of the resolution's tasks, %d of them not marked Progress; want some, all marked", progress.Load(), unmarked.Load())
	}
}

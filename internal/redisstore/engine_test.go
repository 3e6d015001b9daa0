package redisstore

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

func ticketIDs(ts []desk.Ticket) []desk.TicketID {
	var ids []desk.TicketID
	for _, t := range ts {
		ids = append(ids, t.ID)
	}
	return ids
}

// testFindTickets: filters, both orders and paging over more tickets than a page, so that the
// store walks its indexes page by page.
func testFindTickets(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	var all []desk.TicketID
	for i := range 25 {
		tk, _ := openTicket(t, s, newTicket("U"+strconv.Itoa(i)))
		all = append(all, tk.ID)
		tk.Platform = []string{"slack", "mattermost"}[i%2]
		tk.Status = []desk.Status{desk.StatusNew, desk.StatusOpen, desk.StatusClosed}[i%3]
		if i%4 == 0 {
			tk.Assignee = "A1"
		}
		apply(t, s, desk.SaveTicket{Ticket: tk})
	}
	want := func(keep func(i int) bool, newest bool) []desk.TicketID {
		var ids []desk.TicketID
		for i, id := range all {
			if keep(i) {
				ids = append(ids, id)
			}
		}
		if newest {
			for l, r := 0, len(ids)-1; l < r; l, r = l+1, r-1 {
				ids[l], ids[r] = ids[r], ids[l]
			}
		}
		return ids
	}
	a1, nobody := "A1", ""
	tests := []struct {
		name string
		f    desk.TicketFilter
		keep func(i int) bool
	}{
		{"all", desk.TicketFilter{}, func(int) bool { return true }},
		{"active", desk.TicketFilter{Statuses: []desk.Status{desk.StatusNew, desk.StatusOpen}}, func(i int) bool { return i%3 != 2 }},
		{"mattermost", desk.TicketFilter{Platform: "mattermost"}, func(i int) bool { return i%2 == 1 }},
		{"mine", desk.TicketFilter{Assignee: &a1}, func(i int) bool { return i%4 == 0 }},
		{"unassigned and open", desk.TicketFilter{Assignee: &nobody, Statuses: []desk.Status{desk.StatusOpen}}, func(i int) bool { return i%4 != 0 && i%3 == 1 }},
	}
	for _, tt := range tests {
		for _, newest := range []bool{false, true} {
			for _, limit := range []int{0, 1, 4, 7} {
				t.Run(fmt.Sprintf("%s newest=%v limit=%d", tt.name, newest, limit), func(t *testing.T) {
					f := tt.f
					f.Newest, f.Limit = newest, limit
					var got []desk.TicketID
					for pages := 0; ; pages++ {
						if pages > 30 {
							t.Fatal("paging does not end")
						}
						page, err := s.FindTickets(ctxT(t), f)
						if err != nil {
							t.Fatal(err)
						}
						if limit > 0 && len(page.Tickets) > limit {
							t.Fatalf("page of %d, limit %d", len(page.Tickets), limit)
						}
						got = append(got, ticketIDs(page.Tickets)...)
						if page.Next == 0 {
							break
						}
						f.After = page.Next
					}
					if w := want(tt.keep, newest); fmt.Sprint(got) != fmt.Sprint(w) {
						t.Errorf("got %v, want %v", got, w)
					}
				})
			}
		}
	}
}

// testApplyOnce: the changes acknowledging an event apply once; a second Apply for the same
// event (an attempt whose first outcome was lost) changes nothing and says so.
func testApplyOnce(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	ev := event("Ev-once")
	enqueue(t, s, 1, ev)
	q := readQueue(t, s, 1, false, 0)
	if len(q) != 1 {
		t.Fatalf("read %d entries", len(q))
	}
	tk, _ := openTicket(t, s, newTicket("U1"))
	changes := func(text string) []desk.Change {
		return []desk.Change{
			desk.AppendEntry{Ticket: tk.ID, Entry: desk.Entry{At: at(3), Kind: "customer", Text: text}},
			desk.RecordFact{Fact: desk.Fact{Kind: desk.FactResolved, At: at(3), Ticket: tk.ID, Value: 1}},
			desk.AckEvent{Shard: 1, Entry: q[0].Entry, Platform: ev.Platform, Event: ev.ID},
		}
	}
	apply(t, s, changes("first")...)
	err := s.Apply(ctxT(t), changes("second")...)
	if !errors.Is(err, desk.ErrHandled) {
		t.Fatalf("second Apply = %v, want ErrHandled", err)
	}
	entries, _ := s.Transcript(ctxT(t), tk.ID)
	if len(entries) != 1 || entries[0].Text != "first" {
		t.Errorf("transcript %+v, want only the first", entries)
	}
	if n := rdb.ZCard(ctxT(t), s.keys.factDay(desk.FactResolved, factDayOf(at(3).UnixMilli()))).Val(); n != 1 {
		t.Errorf("%d facts, want 1", n)
	}
	if pending := readQueue(t, s, 1, true, 0); len(pending) != 0 {
		t.Errorf("still pending: %+v", pending)
	}
	// The guard outlives nothing it should not: its TTL is the dedupe marker's.
	if ttl := rdb.PTTL(ctxT(t), s.keys.seen(ev.Platform, ev.ID)).Val(); ttl <= 0 {
		t.Errorf("guard TTL = %v, want the dedupe TTL kept", ttl)
	}
	// An event whose marker expired (recorded more than DedupeTTL ago) is guarded too.
	apply(t, s, desk.AckEvent{Shard: 1, Platform: "slack", Event: "Ev-old"})
	if err := s.Apply(ctxT(t), desk.AckEvent{Shard: 1, Platform: "slack", Event: "Ev-old"}); !errors.Is(err, desk.ErrHandled) {
		t.Errorf("second ack of an event without a marker = %v, want ErrHandled", err)
	}
	if ttl := rdb.PTTL(ctxT(t), s.keys.seen("slack", "Ev-old")).Val(); ttl <= 0 {
		t.Errorf("guard set without a marker has TTL %v, want one", ttl)
	}
	if err := s.Apply(ctxT(t), desk.AckEvent{Shard: 1, Event: "x"}); desk.ErrorCode(err) != desk.EINVALID {
		t.Errorf("ack once without a platform = %v, want invalid", err)
	}
}

func testOutbox(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	rec := func(ev string, minute int) desk.Outbox {
		return desk.Outbox{Platform: "slack", Event: ev, At: at(minute), Tasks: []desk.Task{
			{Kind: desk.TaskPost, Platform: "slack", Ticket: 4, Message: desk.Outgoing{Channel: "D1", Text: "resolved", Key: "e:" + ev + ":notice0"}},
			{Kind: desk.TaskCard, Platform: "slack", Ticket: 4},
			{Kind: desk.TaskUpdate, Platform: "slack", Ref: desk.MessageRef{Channel: "D1", ID: "9.1"}, Message: desk.Outgoing{Channel: "D1", Text: "thanks", Card: &desk.Card{Text: "thanks"}}},
		}}
	}
	apply(t, s, desk.PutOutbox{Shard: 2, Outbox: rec("E2", 5)}, desk.PutOutbox{Shard: 2, Outbox: rec("E1", 4)}, desk.PutOutbox{Shard: 3, Outbox: rec("E3", 1)})
	got, err := s.Outbox(ctxT(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "shard 2's outbox, oldest first", got, []desk.Outbox{rec("E1", 4), rec("E2", 5)})
	// Progress is recorded while the record has fewer tasks done, never after it was forgotten
	// (a write that came late, after another replica finished it) nor backwards.
	done := func(r desk.Outbox, n int) desk.Outbox { r.Done = n; return r }
	apply(t, s, desk.PutOutbox{Shard: 2, Outbox: done(rec("E1", 4), 2), Progress: true})
	apply(t, s, desk.PutOutbox{Shard: 2, Outbox: done(rec("E1", 4), 1), Progress: true})
	got, _ = s.Outbox(ctxT(t), 2)
	wantEqual(t, "after E1's progress to 2, then a late one to 1", got, []desk.Outbox{done(rec("E1", 4), 2), rec("E2", 5)})
	apply(t, s, desk.DoneOutbox{Shard: 2, Platform: "slack", Event: "E1"})
	apply(t, s, desk.PutOutbox{Shard: 2, Outbox: done(rec("E1", 4), 2), Progress: true})
	got, _ = s.Outbox(ctxT(t), 2)
	wantEqual(t, "after E1 is done, and a late progress of it", got, []desk.Outbox{rec("E2", 5)})
	if err := s.Apply(ctxT(t), desk.PutOutbox{Shard: 99, Outbox: rec("E9", 1)}); desk.ErrorCode(err) != desk.EINVALID {
		t.Errorf("outbox of shard 99 = %v, want invalid", err)
	}
	if err := s.Apply(ctxT(t), desk.PutOutbox{Shard: 1, Outbox: desk.Outbox{}}); desk.ErrorCode(err) != desk.EINVALID {
		t.Errorf("outbox without an event = %v, want invalid", err)
	}
}

// timerAt is a timer of ticket 4 that closes it, due at due.
func timerAt(id string, due time.Time, shard int) desk.Timer {
	return desk.Timer{ID: id, At: due, Shard: shard, Event: desk.Event{
		ID: "timer:" + id, Platform: "slack", Kind: desk.TimerFired, Source: desk.SourceTimer,
		Ticket: 4, Action: string(desk.StepClose), Value: id,
	}}
}

// testTimersFireOnce: stores racing for the same due timers (as replicas do) fire each once;
// a timer not yet due stays; a store opened anew (a restart) fires what is due.
func testTimersFireOnce(t *testing.T, open opener) {
	s, rdb := open(t, Options{Shards: 4})
	base := at(10)
	for i := range 60 {
		apply(t, s, desk.SetTimer{Timer: timerAt("t"+strconv.Itoa(i), base.Add(time.Duration(i)*time.Second), i%4)})
	}
	apply(t, s, desk.SetTimer{Timer: timerAt("later", base.Add(time.Hour), 0)})
	// Four "processes" share the server: stores on the same keys, each firing in a loop.
	stores := []*Store{s}
	for range 3 {
		other, err := New(rdb, Options{Prefix: s.opts.Prefix, Shards: 4})
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, other)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	fired := 0
	for _, st := range stores {
		wg.Go(func() {
			for range 20 {
				n, err := st.FireDue(ctxT(t), base.Add(59*time.Second), 7)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				fired += n
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if fired != 60 {
		t.Errorf("fired %d timers, want 60", fired)
	}
	seen := map[string]int{}
	for shard := range 4 {
		for _, q := range readQueue(t, s, shard, false, 0) {
			seen[q.Event.ID]++
			if q.Shard != shard || q.Event.Kind != desk.TimerFired || q.Event.Ticket != 4 || q.Event.Source != desk.SourceTimer {
				t.Errorf("queued %+v in shard %d", q.Event, shard)
			}
		}
	}
	if len(seen) != 60 {
		t.Errorf("%d distinct timer events queued, want 60", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("timer event %s queued %d times", id, n)
		}
	}
	// A restart: a new store fires the one left once it is due, not before.
	again, err := New(rdb, Options{Prefix: s.opts.Prefix, Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := again.FireDue(ctxT(t), base.Add(59*time.Minute), 10); n != 0 {
		t.Errorf("fired %d before the later timer is due", n)
	}
	if n, _ := again.FireDue(ctxT(t), base.Add(time.Hour), 10); n != 1 {
		t.Errorf("fired %d when the later timer is due, want 1", n)
	}
	if n := rdb.Exists(ctxT(t), s.keys.timer("later"), s.keys.timer("t1")).Val(); n != 0 {
		t.Errorf("%d fired timers left their keys", n)
	}
}

// testTimersCancelAndMove: a cancelled timer never fires; a moved one fires once at its new
// time, as an event of its own; the same firing recorded twice is one event.
func testTimersCancelAndMove(t *testing.T, open opener) {
	s, _ := open(t, Options{Shards: 2})
	base := at(20)
	apply(t, s, desk.SetTimer{Timer: timerAt("gone", base, 0)}, desk.SetTimer{Timer: timerAt("moved", base, 1)})
	apply(t, s, desk.CancelTimer{ID: "gone"}, desk.CancelTimer{ID: "never-set"})
	apply(t, s, desk.SetTimer{Timer: timerAt("moved", base.Add(time.Minute), 1)})
	if n, _ := s.FireDue(ctxT(t), base.Add(30*time.Second), 10); n != 0 {
		t.Errorf("fired %d at the old time, want none", n)
	}
	if n, _ := s.FireDue(ctxT(t), base.Add(time.Minute), 10); n != 1 {
		t.Errorf("fired %d at the new time, want 1", n)
	}
	q := readQueue(t, s, 1, false, 0)
	if len(q) != 1 || q[0].Event.ID != "timer:moved@"+strconv.FormatInt(base.Add(time.Minute).UnixMilli(), 10) {
		t.Fatalf("queued %+v", q)
	}
	if len(readQueue(t, s, 0, false, 0)) != 0 {
		t.Error("the cancelled timer fired")
	}
	// Set again for the same time after it fired (a replica that did not see it fire): the
	// event is the same, and is not recorded twice.
	apply(t, s, desk.SetTimer{Timer: timerAt("moved", base.Add(time.Minute), 1)})
	if n, _ := s.FireDue(ctxT(t), base.Add(time.Hour), 10); n != 1 {
		t.Errorf("fired %d, want 1 (removed from the schedule)", n)
	}
	if q := readQueue(t, s, 1, false, 0); len(q) != 0 {
		t.Errorf("the same firing was queued again: %+v", q)
	}
	for _, bad := range []desk.Timer{{}, {ID: "x", At: base}, {ID: "x", At: base, Event: desk.Event{ID: "e", Platform: "slack"}, Shard: 7}} {
		if err := s.Apply(ctxT(t), desk.SetTimer{Timer: bad}); desk.ErrorCode(err) != desk.EINVALID {
			t.Errorf("SetTimer(%+v) = %v, want invalid", bad, err)
		}
	}
}

func testAnswers(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	if _, ok, err := s.Answer(ctxT(t), "slack", "E1"); ok || err != nil {
		t.Fatalf("answer before any = %v, %v", ok, err)
	}
	apply(t, s, desk.PutAnswer{Platform: "slack", Event: "E1", Text: "Resolved #4."})
	if text, ok, err := s.Answer(ctxT(t), "slack", "E1"); !ok || err != nil || text != "Resolved #4." {
		t.Errorf("answer = %q, %v, %v", text, ok, err)
	}
	if ttl := rdb.PTTL(ctxT(t), s.keys.answer("slack", "E1")).Val(); ttl <= 0 || ttl > answerTTL {
		t.Errorf("answer TTL %v", ttl)
	}
}

func testThreadAndRatingMessage(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	tk := newTicket("U1")
	tk.OpenedBy = "Ev-first"
	tk, _ = openTicket(t, s, tk)
	apply(t, s, desk.SetThread{Ticket: tk.ID, Platform: "slack", Channel: "C1", Thread: "111.1"},
		desk.SetRatingMessage{Ticket: tk.ID, Ref: desk.MessageRef{Channel: "D1", ID: "222.2"}})
	got, err := s.ThreadTicket(ctxT(t), "slack", "111.1")
	if err != nil || got.ID != tk.ID || got.TriageChannel != "C1" || got.OpenedBy != "Ev-first" ||
		got.RatingMessage != (desk.MessageRef{Channel: "D1", ID: "222.2"}) {
		t.Fatalf("ticket %+v, %v", got, err)
	}
	apply(t, s, desk.SetThread{Ticket: tk.ID, Platform: "slack"})
	got, _ = s.Ticket(ctxT(t), tk.ID)
	if got.HasThread() || got.TriageChannel != "" {
		t.Errorf("after the card is gone: %+v", got)
	}
	if err := s.Apply(ctxT(t), desk.SetThread{Platform: "slack", Thread: "1"}); desk.ErrorCode(err) != desk.EINVALID {
		t.Errorf("SetThread without a ticket = %v", err)
	}
}

func testHeld(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	for i := range 3 {
		ev := event("Ev-held-" + strconv.Itoa(i))
		ev.Files = []desk.File{{ID: "F" + strconv.Itoa(i), Name: "a.png", Size: 3}}
		apply(t, s, desk.HoldEvent{Ticket: 9, Event: ev})
	}
	got, err := s.Held(ctxT(t), 9)
	if err != nil || len(got) != 3 || got[0].ID != "Ev-held-0" || got[2].ID != "Ev-held-2" || got[1].Files[0].ID != "F1" || got[0].Text != "my VPN is down" {
		t.Fatalf("held %+v, %v", got, err)
	}
	// The customer edits the first and deletes the second before they are relayed.
	edited := got[0]
	edited.Text = "my VPN is down again"
	apply(t, s, desk.ReplaceHeld{Ticket: 9, Events: []desk.Event{edited, got[2]}})
	if got, err := s.Held(ctxT(t), 9); err != nil || len(got) != 2 || got[0].Text != "my VPN is down again" || got[1].ID != "Ev-held-2" || got[1].Files[0].ID != "F2" {
		t.Fatalf("after ReplaceHeld: %+v, %v", got, err)
	}
	if err := s.Apply(ctxT(t), desk.ReplaceHeld{Ticket: 9, Events: []desk.Event{{Text: "no ID"}}}); desk.ErrorCode(err) != desk.EINVALID {
		t.Errorf("ReplaceHeld with an event without an ID = %v, want EINVALID", err)
	}
	if got, _ := s.Held(ctxT(t), 9); len(got) != 2 {
		t.Errorf("a refused ReplaceHeld changed the held events: %+v", got)
	}
	apply(t, s, desk.DropHeld{Ticket: 9})
	if got, err := s.Held(ctxT(t), 9); err != nil || len(got) != 0 {
		t.Errorf("after DropHeld: %+v, %v", got, err)
	}
}

// testApplyAcksSeveral: the events of a joined post are acknowledged in one Apply, guarded by
// the last: all leave the queue, each is marked handled, and a second Apply changes nothing.
func testApplyAcksSeveral(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	evs := []desk.Event{event("Ev-j1"), event("Ev-j2"), event("Ev-j3")}
	for _, ev := range evs {
		enqueue(t, s, 2, ev)
	}
	q := readQueue(t, s, 2, false, 0)
	if len(q) != 3 {
		t.Fatalf("read %d entries", len(q))
	}
	tk, _ := openTicket(t, s, newTicket("U1"))
	changes := func() []desk.Change {
		out := []desk.Change{desk.AppendEntry{Ticket: tk.ID, Entry: desk.Entry{At: at(3), Kind: "customer", Text: "joined"}}}
		for _, i := range []int{1, 2, 0} { // the message in hand's last, as the relay does
			out = append(out, desk.AckEvent{Shard: 2, Entry: q[i].Entry, Platform: evs[i].Platform, Event: evs[i].ID})
		}
		return out
	}
	apply(t, s, changes()...)
	if err := s.Apply(ctxT(t), changes()...); !errors.Is(err, desk.ErrHandled) {
		t.Fatalf("second Apply = %v, want ErrHandled", err)
	}
	if pending := readQueue(t, s, 2, true, 0); len(pending) != 0 {
		t.Errorf("still pending: %+v", pending)
	}
	for _, ev := range evs {
		key := s.keys.seen(ev.Platform, ev.ID)
		if got := rdb.Get(ctxT(t), key).Val(); got != handledMark {
			t.Errorf("mark of %s = %q, want handled", ev.ID, got)
		}
		if ttl := rdb.PTTL(ctxT(t), key).Val(); ttl <= 0 {
			t.Errorf("mark of %s has TTL %v, want one", ev.ID, ttl)
		}
	}
	if entries, _ := s.Transcript(ctxT(t), tk.ID); len(entries) != 1 {
		t.Errorf("%d entries, want 1", len(entries))
	}
}

// testJoins: a joined post's record reads back as written, is kept with the ticket's links
// (so that retention and erasure take it with them), and an invalid one is refused.
func testJoins(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	j := desk.Join{ID: "Ev-j1", Ticket: 7, OwnKey: true, Parts: []desk.JoinPart{
		{Event: "Ev-j1", Entry: "1-0", Source: desk.MessageRef{Channel: "D1", ID: "m1"}, Text: "Привет", Written: "Привет", At: at(1)},
		{Event: "Ev-j2", Entry: "2-0", Source: desk.MessageRef{Channel: "D1", ID: "m2"}, Text: "⏱ late\nline\nbreak", Written: "line\nbreak", At: at(2)},
		{Event: "Ev-j3", Entry: "3-0", Source: desk.MessageRef{Channel: "D1", ID: "m3"}}, // deleted
	}}
	apply(t, s, desk.PutJoin{Platform: "slack", Join: j})
	got, err := s.Join(ctxT(t), "slack", j.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "join", got, j)
	if got.Text() != "Привет"+desk.JoinSeparator+"⏱ late\nline\nbreak" {
		t.Errorf("text %q", got.Text())
	}
	_, err = s.Join(ctxT(t), "mattermost", j.ID)
	wantNotFound(t, "Join on another platform", err)
	if names, err := s.linkNames(ctxT(t), 7); err != nil || !slices.Contains(names, "join:slack:"+j.ID) {
		t.Error("join not kept with the ticket's links")
	}
	for _, bad := range []desk.Join{{Ticket: 7, Parts: j.Parts}, {ID: "x", Parts: j.Parts}, {ID: "x", Ticket: 7}, {ID: "x", Ticket: 7, Parts: []desk.JoinPart{{Event: "e"}}}} {
		if err := s.Apply(ctxT(t), desk.PutJoin{Platform: "slack", Join: bad}); desk.ErrorCode(err) != desk.EINVALID {
			t.Errorf("PutJoin %+v = %v, want EINVALID", bad, err)
		}
	}
	link := desk.Link{Ticket: 7, Kind: desk.LinkCustomer, Source: j.Parts[1].Source, Parts: []desk.MessageRef{{Channel: "C", ID: "p1"}}, Join: j.ID}
	apply(t, s, desk.PutLink{Platform: "slack", Link: link})
	gotLink, err := s.Link(ctxT(t), "slack", link.Source)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "link of a joined message", gotLink, link)
}

package redisstore

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// The contract runs on the real redis-server and on miniredis, which the product embeds when
// no REDIS_URL is set: every command the store uses must work on both.
var backends = []struct {
	name string
	open opener
}{
	{"redis", openRedis},
	{"miniredis", openMiniredis},
}

var contract = []struct {
	name string
	test func(t *testing.T, open opener)
}{
	{"enqueue dedupes", testEnqueueDedupes},
	{"enqueue rejects", testEnqueueRejects},
	{"read queue", testReadQueue},
	{"read queue blocks", testReadQueueBlocks},
	{"pending count", testPendingCount},
	{"group made again", testGroupMadeAgain},
	{"undecodable entry", testUndecodableEntry},
	{"queue depth", testQueueDepth},
	{"open ticket", testOpenTicket},
	{"open ticket concurrently", testOpenTicketConcurrently},
	{"ticket numbers never repeat", testNumbersNeverRepeat},
	{"save ticket", testSaveTicket},
	{"links", testLinks},
	{"transcript", testTranscript},
	{"apply is all or nothing", testApplyAllOrNothing},
	{"not found", testNotFound},
	{"find tickets", testFindTickets},
	{"queue filters and orders", testQueryFilters},
	{"queue indexes follow changes", testQueryFollowsChanges},
	{"queue search", testQuerySearch},
	{"queue has opened tickets", testQueryOpenedTicket},
	{"queue period of opening", testQueryPeriod},
	{"facts kept by day", testFactsByDay},
	{"facts of the single set upgraded", testFactsUpgrade},
	{"customer data and forget with both layouts of facts", testForgetFactsBothLayouts},
	{"reindex and backfill", testReindex},
	{"apply once per event", testApplyOnce},
	{"apply acknowledges several events", testApplyAcksSeveral},
	{"joins", testJoins},
	{"outbox", testOutbox},
	{"timers fire once", testTimersFireOnce},
	{"timers cancel and move", testTimersCancelAndMove},
	{"answers", testAnswers},
	{"thread and rating message", testThreadAndRatingMessage},
	{"held messages", testHeld},
	{"dashboard sign-in and sessions", testSessions},
	{"ticket changes feed", testTicketChanges},
	{"shard leases", testShardLeases},
	{"claim a shard", testClaimShard},
	{"reads fenced by the lease", testReadFencedByLease},
	{"replicas", testReplicas},
	{"same instance name", testSameInstanceName},
	{"posts' pace shared", testPaceShared},
	{"expire closed tickets", testExpireClosed},
	{"customer data and forget", testForget},
	{"pointers unset by the erasure", testUnpoint},
	{"transcript upgraded from a stream", testTranscriptUpgrade},
	{"expire an upgraded transcript", testExpireUpgraded},
	{"search walked by number", testQuerySearchWalk},
	{"SLA order from a sparse sort set", testQueryDueSparse},
	{"priority order from the priorities' sets", testQueryPriorityDerived},
	{"layout before 2026-12-07 upgraded", testLayoutUpgrade},
	{"filter sets moved with or without a list", testFilterSetsWithoutList},
	{"number sets past their own key", testNumberSets},
	{"queries on number sets with buckets", testNumberSetQueries},
	{"number sets an older version wrote split", testNumberSetsSplit},
	{"an entry handled before is acknowledged", testHandledEntryAcknowledged},
	{"old queue streams moved into the shards' slots", testLegacyQueuesMoved},
	{"timers an older version set fire", testLegacyTimerFires},
	{"batches across slots", testBatchesAcrossSlots},
	{"timers of a shard fire in due order", testTimersFireInDueOrder},
}

func TestContract(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, c := range contract {
				t.Run(c.name, func(t *testing.T) { c.test(t, b.open) })
			}
		})
	}
}

func testEnqueueDedupes(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	ev := event("Ev01")
	if got := enqueue(t, s, 3, ev); !got {
		t.Errorf("first Enqueue = false, want true")
	}
	if got := enqueue(t, s, 3, ev); got {
		t.Errorf("second Enqueue of the same event = true, want false")
	}
	// On Cluster the marker is the shard's (each shard has a slot of its own), so the same
	// event routed to another shard (the shards' number changed) is recorded there too, and
	// its changes are applied once by Apply's guard (testApplyOnce).
	if got, want := enqueue(t, s, 5, ev), s.slotsApart(); got != want {
		t.Errorf("Enqueue of the same event in another shard = %t, want %t (shards apart: %t)", got, want, want)
	}
	if got, want := rdb.XLen(ctxT(t), s.keys.queue(3)).Val(), int64(1); got != want {
		t.Errorf("entries in shard 3 = %d, want %d", got, want)
	}
	other := ev
	other.Platform = "mattermost"
	if got := enqueue(t, s, 3, other); !got {
		t.Errorf("Enqueue of the same ID on another platform = false, want true")
	}
	ttl := rdb.PTTL(ctxT(t), s.dedupeKey(3, ev.Platform, ev.ID)).Val()
	if ttl <= 71*time.Hour || ttl > 72*time.Hour {
		t.Errorf("dedupe marker TTL = %v, want about 72h", ttl)
	}
}

func testEnqueueRejects(t *testing.T, open opener) {
	s, _ := open(t, Options{Shards: 4})
	noPlatform, noID := event("Ev01"), event("")
	noPlatform.Platform = ""
	tests := []struct {
		name  string
		shard int
		ev    desk.Event
	}{
		{"no platform", 0, noPlatform},
		{"no ID", 0, noID},
		{"shard too big", 4, event("Ev02")},
		{"negative shard", -1, event("Ev03")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Enqueue(ctxT(t), tt.shard, tt.ev)
			if got, want := desk.ErrorCode(err), desk.EINVALID; got != want {
				t.Errorf("error code = %q (%v), want %q", got, err, want)
			}
		})
	}
	if got := depth(t, s); got != 0 {
		t.Errorf("queue depth after rejected events = %d, want 0", got)
	}
}

func testReadQueue(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	evs := []desk.Event{event("Ev01"), event("Ev02"), event("Ev03")}
	for _, ev := range evs {
		enqueue(t, s, 7, ev)
	}

	got := readQueue(t, s, 7, false, 0)
	if len(got) != len(evs) {
		t.Fatalf("new entries = %d, want %d", len(got), len(evs))
	}
	for i, q := range got {
		wantEqual(t, fmt.Sprintf("event %d", i), q.Event, evs[i])
		if q.Redelivered || q.Shard != 7 || q.Entry == "" {
			t.Errorf("entry %d = shard %d, entry %q, redelivered %t; want shard 7, an entry ID, not redelivered",
				i, q.Shard, q.Entry, q.Redelivered)
		}
	}
	if again := readQueue(t, s, 7, false, 0); len(again) != 0 {
		t.Errorf("second read of new entries = %d entries, want 0", len(again))
	}

	// Nothing acknowledged: after a "crash" the same consumer reads them again as pending.
	pending := readQueue(t, s, 7, true, 0)
	if len(pending) != len(evs) {
		t.Fatalf("pending entries = %d, want %d", len(pending), len(evs))
	}
	for i, q := range pending {
		if !q.Redelivered || q.Entry != got[i].Entry {
			t.Errorf("pending %d = entry %q redelivered %t, want entry %q redelivered", i, q.Entry, q.Redelivered, got[i].Entry)
		}
		wantEqual(t, fmt.Sprintf("pending event %d", i), q.Event, evs[i])
	}

	apply(t, s, desk.AckEvent{Shard: 7, Entry: got[0].Entry}, desk.AckEvent{Shard: 7, Entry: got[1].Entry})
	pending = readQueue(t, s, 7, true, 0)
	if len(pending) != 1 || pending[0].Entry != got[2].Entry {
		t.Errorf("pending after acking two = %+v, want only entry %s", pending, got[2].Entry)
	}
	if got, want := depth(t, s), int64(1); got != want {
		t.Errorf("queue depth after acking two of three = %d, want %d", got, want)
	}

	// Another consumer name does not see this consumer's pending entries.
	other, err := New(s.rdb, Options{Prefix: s.opts.Prefix, Consumer: "other"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if got := readQueue(t, other, 7, true, 0); len(got) != 0 {
		t.Errorf("pending entries of another consumer = %d, want 0", len(got))
	}
}

func testReadQueueBlocks(t *testing.T, open opener) {
	s, _ := open(t, Options{Shards: 2})
	start := time.Now()
	if got := readQueue(t, s, 1, false, 150*time.Millisecond); len(got) != 0 {
		t.Errorf("read of an empty shard = %d entries, want 0", len(got))
	}
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Errorf("read with block 150ms returned after %v, want it to wait", waited)
	}

	go func() {
		time.Sleep(100 * time.Millisecond)
		_, _ = s.Enqueue(ctxT(t), 1, event("Ev01"))
	}()
	got := readQueue(t, s, 1, false, 5*time.Second)
	if len(got) != 1 || got[0].Event.ID != "Ev01" {
		t.Errorf("blocking read = %+v, want the event enqueued meanwhile", got)
	}
}

func testUndecodableEntry(t *testing.T, open opener) {
	s, rdb := open(t, Options{Shards: 2})
	rdb.XAdd(ctxT(t), &redis.XAddArgs{Stream: s.keys.queue(0), Values: []any{eventField, "{not json"}})
	enqueue(t, s, 0, event("Ev01"))
	got := readQueue(t, s, 0, false, 0)
	if len(got) != 2 {
		t.Fatalf("entries = %d, want 2 (the broken one too)", len(got))
	}
	wantEqual(t, "undecodable entry's event", got[0].Event, desk.Event{})
	if got[0].Entry == "" {
		t.Errorf("undecodable entry has no entry ID, so it cannot be acknowledged")
	}
	if got[1].Event.ID != "Ev01" {
		t.Errorf("entry after the broken one = %q, want Ev01", got[1].Event.ID)
	}
}

func testQueueDepth(t *testing.T, open opener) {
	s, _ := open(t, Options{Shards: 4})
	if got := depth(t, s); got != 0 {
		t.Errorf("depth of an empty queue = %d, want 0", got)
	}
	for i := range 6 {
		enqueue(t, s, i%4, event(fmt.Sprintf("Ev%02d", i)))
	}
	if got, want := depth(t, s), int64(6); got != want {
		t.Errorf("depth after 6 events = %d, want %d", got, want)
	}
	read := readQueue(t, s, 0, false, 0) // events 0 and 4: read but not acknowledged
	if got, want := depth(t, s), int64(6); got != want {
		t.Errorf("depth after reading without ack = %d, want %d", got, want)
	}
	apply(t, s, desk.AckEvent{Shard: 0, Entry: read[0].Entry})
	if got, want := depth(t, s), int64(5); got != want {
		t.Errorf("depth after one ack = %d, want %d", got, want)
	}
}

func testOpenTicket(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	first, created := openTicket(t, s, newTicket("U04ABCDEF12"))
	want := newTicket("U04ABCDEF12")
	want.ID = 1
	if !created {
		t.Errorf("first OpenTicket created = false, want true")
	}
	wantEqual(t, "created ticket", first, want)
	stored, err := s.Ticket(ctxT(t), 1)
	if err != nil {
		t.Fatalf("Ticket(1): %v", err)
	}
	wantEqual(t, "stored ticket", stored, want)

	again, created := openTicket(t, s, newTicket("U04ABCDEF12"))
	if created || again.ID != 1 {
		t.Errorf("second OpenTicket = %s created %t, want #1 not created", again.ID, created)
	}

	// Resolved is still active: the same ticket comes back.
	first.Status = desk.StatusResolved
	apply(t, s, desk.SaveTicket{Ticket: first})
	if again, created := openTicket(t, s, newTicket("U04ABCDEF12")); created || again.ID != 1 || again.Status != desk.StatusResolved {
		t.Errorf("OpenTicket on a resolved ticket = %s (%s) created %t, want #1 resolved, not created", again.ID, again.Status, created)
	}

	// Closed: the next message opens a new ticket that links the old one.
	first.Status, first.ClosedAt = desk.StatusClosed, at(30)
	apply(t, s, desk.SaveTicket{Ticket: first})
	next, created := openTicket(t, s, newTicket("U04ABCDEF12"))
	if !created || next.ID != 2 || next.Previous != 1 {
		t.Errorf("OpenTicket after close = %s previous %s created %t, want #2 previous #1 created", next.ID, next.Previous, created)
	}
	cur, err := s.CustomerTicket(ctxT(t), "slack", "U04ABCDEF12")
	if err != nil || cur.ID != 2 || cur.Previous != 1 {
		t.Errorf("CustomerTicket = %s previous %s (%v), want #2 previous #1", cur.ID, cur.Previous, err)
	}
	if old, err := s.Ticket(ctxT(t), 1); err != nil || old.Status != desk.StatusClosed {
		t.Errorf("old ticket = %s %s (%v), want #1 closed", old.ID, old.Status, err)
	}

	// The same user ID on another platform is another customer.
	mm := newTicket("U04ABCDEF12")
	mm.Platform = "mattermost"
	if other, created := openTicket(t, s, mm); !created || other.ID != 3 || other.Previous != 0 {
		t.Errorf("OpenTicket on mattermost = %s previous %s created %t, want #3 new without previous", other.ID, other.Previous, created)
	}

	if _, _, err := s.OpenTicket(ctxT(t), desk.Ticket{Platform: "slack"}); desk.ErrorCode(err) != desk.EINVALID {
		t.Errorf("OpenTicket without customer: err = %v, want code %s", err, desk.EINVALID)
	}
}

func testOpenTicketConcurrently(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	const n = 50
	run := func(user func(i int) string) []desk.Ticket {
		t.Helper()
		var wg sync.WaitGroup
		tickets := make([]desk.Ticket, n)
		created := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				tickets[i], created[i], errs[i] = s.OpenTicket(ctxT(t), newTicket(user(i)))
			})
		}
		wg.Wait()
		var out []desk.Ticket
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("OpenTicket %d: %v", i, errs[i])
			}
			if created[i] {
				out = append(out, tickets[i])
			}
		}
		for i := range n {
			if user(i) == user(0) && tickets[i].ID != tickets[0].ID {
				t.Errorf("call %d got %s, call 0 got %s: one customer, two tickets", i, tickets[i].ID, tickets[0].ID)
			}
		}
		return out
	}

	same := run(func(int) string { return "U04SAME0001" })
	if len(same) != 1 {
		t.Fatalf("%d calls for one customer created %d tickets, want 1", n, len(same))
	}

	distinct := run(func(i int) string { return fmt.Sprintf("U04DIFF%04d", i) })
	if len(distinct) != n {
		t.Fatalf("%d customers created %d tickets, want %d", n, len(distinct), n)
	}
	var ids []int
	for _, tk := range distinct {
		ids = append(ids, int(tk.ID))
	}
	slices.Sort(ids)
	for i, id := range ids {
		if want := i + 2; id != want { // #1 went to the first customer
			t.Fatalf("ticket numbers = %v, want %d..%d", ids, 2, n+1)
		}
	}
}

func testNumbersNeverRepeat(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	for i := range 3 {
		openTicket(t, s, newTicket(fmt.Sprintf("U04USER%04d", i)))
	}
	// A second Store (a restart, another replica) continues the same counter.
	s2, err := New(rdb, Options{Prefix: s.opts.Prefix})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if got, _ := openTicket(t, s2, newTicket("U04USER0100")); got.ID != 4 {
		t.Errorf("ticket from a new Store = %s, want #4", got.ID)
	}
	// Even a counter that went back (a restored backup) never reuses a number in use.
	rdb.Set(ctxT(t), s.keys.seq(), 1, 0)
	if got, _ := openTicket(t, s2, newTicket("U04USER0101")); got.ID != 5 {
		t.Errorf("ticket after the counter went back = %s, want #5", got.ID)
	}
	if got, err := s.Ticket(ctxT(t), 2); err != nil || got.Customer.ID != "U04USER0001" {
		t.Errorf("ticket #2 = customer %q (%v), want U04USER0001 untouched", got.Customer.ID, err)
	}
}

func testSaveTicket(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	opened, _ := openTicket(t, s, newTicket("U04ABCDEF12"))
	full := desk.Ticket{
		ID: opened.ID, Platform: "slack", Status: desk.StatusOpen, Priority: desk.PriorityUrgent,
		Category: "Network", Tags: []string{"vpn", "laptop, mac", `quote"d`}, Assignee: "U04AGENT001",
		Customer: desk.User{
			ID: "U04ABCDEF12", Name: "jane.doe", DisplayName: "Jane Doe",
			AvatarURL:  "https://avatars.slack-edge.com/2024-01-05/6412345678901_0a1b2c3d4e5f60718293_72.jpg",
			ProfileURL: "https://acme.slack.com/team/U04ABCDEF12", IsBot: true, TimeZone: "Europe/Moscow",
		},
		Clocks: []desk.SLAClock{
			{Kind: desk.SLAFirstResponse, Target: 30 * time.Minute, Elapsed: 40 * time.Minute, Reminded: true, Breached: true, Done: true},
			{Kind: desk.SLAResolution, Target: 4 * time.Hour, Business: true, Since: at(5), Elapsed: time.Minute, Due: at(9), RemindAt: at(8)},
		},
		OutOfHours: true, AwayUntil: at(13),
		DMChannel: "D04ABCDEF34", TriageChannel: "C04TRIAGE01", ThreadID: "1710408390.000200",
		Previous: 7, CreatedAt: at(2), FirstResponseAt: at(5), ResolvedAt: at(9), ClosedAt: at(11),
		LastActivityAt: at(12), RatingMessage: desk.MessageRef{Channel: "D04ABCDEF34", ID: "1710408399.000100"},
		Stage: desk.StageQuestion, Question: 2, Language: "ru", Deflected: "reset-password", ResolvedBy: "timer", BotMessage: desk.MessageRef{Channel: "D04ABCDEF34", ID: "1710408399.000300"},
		Answers:   []desk.Answer{{ID: "invoice", Ask: "What is the invoice number?", Value: "INV-7"}, {ID: "plan", Ask: "Which plan?", Value: `Team "gold"`}},
		Suggested: []string{"reset-password", "2fa"},
	}
	apply(t, s, desk.SaveTicket{Ticket: full})
	got, err := s.Ticket(ctxT(t), full.ID)
	if err != nil {
		t.Fatalf("Ticket: %v", err)
	}
	wantEqual(t, "saved ticket", got, full)
	got, err = s.ThreadTicket(ctxT(t), "slack", full.ThreadID)
	if err != nil {
		t.Fatalf("ThreadTicket: %v", err)
	}
	wantEqual(t, "ticket by thread", got, full)

	// Saving rewrites the whole hash: fields emptied since are gone.
	bare := full
	bare.Tags, bare.Assignee, bare.Category, bare.ResolvedAt, bare.ClosedAt = nil, "", "", time.Time{}, time.Time{}
	bare.Stage, bare.Question, bare.Answers, bare.Suggested, bare.Deflected, bare.BotMessage, bare.ResolvedBy = "", 0, nil, nil, "", desk.MessageRef{}, ""
	bare.Clocks, bare.OutOfHours, bare.AwayUntil = nil, false, time.Time{}
	apply(t, s, desk.SaveTicket{Ticket: bare})
	got, _ = s.Ticket(ctxT(t), full.ID)
	wantEqual(t, "ticket saved with fewer fields", got, bare)

	// SaveTicket never moves the customer's pointer; only OpenTicket does.
	other := bare
	other.ID, other.ThreadID = 40, "1710408399.000900"
	apply(t, s, desk.SaveTicket{Ticket: other})
	cur, err := s.CustomerTicket(ctxT(t), "slack", "U04ABCDEF12")
	if err != nil || cur.ID != opened.ID {
		t.Errorf("CustomerTicket after saving another ticket of the customer = %s (%v), want %s", cur.ID, err, opened.ID)
	}

	if err := s.Apply(ctxT(t), desk.SaveTicket{Ticket: desk.Ticket{Platform: "slack"}}); desk.ErrorCode(err) != desk.EINVALID {
		t.Errorf("SaveTicket without number: err = %v, want code %s", err, desk.EINVALID)
	}
}

func testLinks(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	src := desk.MessageRef{Channel: "D04ABCDEF34", ID: "1710408386.123456"}
	link := desk.Link{
		Ticket: 12, Kind: desk.LinkCustomer, Source: src,
		Parts: []desk.MessageRef{
			{Channel: "C04TRIAGE01", ID: "1710408387.000100"},
			{Channel: "C04TRIAGE01", ID: "1710408387.000200"},
		},
		Files: []desk.MessageRef{{Channel: "C04TRIAGE01", ID: "1710408387.000300"}},
	}
	apply(t, s, desk.PutLink{Platform: "slack", Link: link})
	got, err := s.Link(ctxT(t), "slack", src)
	if err != nil {
		t.Fatalf("Link: %v", err)
	}
	wantEqual(t, "link", got, link)

	_, err = s.Link(ctxT(t), "mattermost", src)
	wantNotFound(t, "Link on another platform", err)

	note := desk.Link{Ticket: 12, Kind: desk.LinkNote, Source: desk.MessageRef{Channel: "C04TRIAGE01", ID: "1710408400.000300"}}
	apply(t, s, desk.PutLink{Platform: "slack", Link: note})
	got, err = s.Link(ctxT(t), "slack", note.Source)
	if err != nil {
		t.Fatalf("Link of a note: %v", err)
	}
	wantEqual(t, "note link", got, note)

	apply(t, s, desk.DropLink{Platform: "slack", Source: src})
	_, err = s.Link(ctxT(t), "slack", src)
	wantNotFound(t, "Link after DropLink", err)
}

func testTranscript(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	tk, _ := openTicket(t, s, newTicket("U04ABCDEF12"))
	if got, err := s.Transcript(ctxT(t), tk.ID); err != nil || len(got) != 0 {
		t.Errorf("Transcript of a new ticket = %v (%v), want empty", got, err)
	}
	entries := []desk.Entry{
		{At: at(2), Kind: "customer", Author: "U04ABCDEF12", Name: "Jane Doe", Text: "my VPN is down"},
		{At: at(3), Kind: "status", Author: "U04AGENT001", Name: "Sam", Text: "open"},
		{At: at(4), Kind: "note", Author: "U04AGENT001", Name: "Sam", Text: "// probably the cert"},
		{At: at(5), Kind: "system"},
	}
	for _, e := range entries {
		apply(t, s, desk.AppendEntry{Ticket: tk.ID, Entry: e})
	}
	got, err := s.Transcript(ctxT(t), tk.ID)
	if err != nil {
		t.Fatalf("Transcript: %v", err)
	}
	wantEqual(t, "transcript", got, entries)
}

func testApplyAllOrNothing(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	tk, _ := openTicket(t, s, newTicket("U04ABCDEF12"))
	enqueue(t, s, 0, event("Ev01"))
	q := readQueue(t, s, 0, false, 0)

	tk.Status, tk.ThreadID, tk.TriageChannel = desk.StatusOpen, "1710408390.000200", "C04TRIAGE01"
	src := desk.MessageRef{Channel: "D04ABCDEF34", ID: "1710408386.123456"}
	link := desk.Link{Ticket: tk.ID, Kind: desk.LinkCustomer, Source: src,
		Parts: []desk.MessageRef{{Channel: "C04TRIAGE01", ID: "1710408391.000300"}}}
	entry := desk.Entry{At: at(3), Kind: "customer", Author: "U04ABCDEF12", Text: "hello"}
	changes := []desk.Change{
		desk.SaveTicket{Ticket: tk},
		desk.PutLink{Platform: "slack", Link: link},
		desk.AppendEntry{Ticket: tk.ID, Entry: entry},
		desk.AckEvent{Shard: 0, Entry: q[0].Entry},
	}

	// One bad change and nothing is written.
	tests := []struct {
		name string
		bad  desk.Change
	}{
		{"unknown change", bogus{}},
		{"ticket without number", desk.SaveTicket{Ticket: desk.Ticket{Platform: "slack"}}},
		{"ack in a shard that does not exist", desk.AckEvent{Shard: 99, Entry: q[0].Entry}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Apply(ctxT(t), append(slices.Clone(changes), tt.bad)...); err == nil {
				t.Fatalf("Apply with %T succeeded, want an error", tt.bad)
			}
			if got, _ := s.Ticket(ctxT(t), tk.ID); got.Status != desk.StatusNew {
				t.Errorf("ticket status after failed Apply = %s, want new", got.Status)
			}
			_, err := s.ThreadTicket(ctxT(t), "slack", tk.ThreadID)
			wantNotFound(t, "thread index after failed Apply", err)
			_, err = s.Link(ctxT(t), "slack", src)
			wantNotFound(t, "link after failed Apply", err)
			if got, _ := s.Transcript(ctxT(t), tk.ID); len(got) != 0 {
				t.Errorf("transcript after failed Apply = %d entries, want 0", len(got))
			}
			if got := depth(t, s); got != 1 {
				t.Errorf("queue depth after failed Apply = %d, want 1", got)
			}
		})
	}

	apply(t, s, changes...)
	if got, _ := s.ThreadTicket(ctxT(t), "slack", tk.ThreadID); got.Status != desk.StatusOpen {
		t.Errorf("ticket by thread after Apply = %s, want open", got.Status)
	}
	if got, err := s.Link(ctxT(t), "slack", src); err != nil || got.Ticket != tk.ID {
		t.Errorf("link after Apply = %+v (%v), want one to %s", got, err, tk.ID)
	}
	if got, _ := s.Transcript(ctxT(t), tk.ID); len(got) != 1 {
		t.Errorf("transcript after Apply = %d entries, want 1", len(got))
	}
	if got := depth(t, s); got != 0 {
		t.Errorf("queue depth after Apply acked the event = %d, want 0", got)
	}
	if got := readQueue(t, s, 0, true, 0); len(got) != 0 {
		t.Errorf("pending after Apply acked the event = %d, want 0", len(got))
	}
	if err := s.Apply(ctxT(t)); err != nil {
		t.Errorf("Apply of nothing: %v", err)
	}
}

func testNotFound(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	_, err := s.Ticket(ctxT(t), 999)
	wantNotFound(t, "Ticket", err)
	_, err = s.CustomerTicket(ctxT(t), "slack", "U04NOBODY01")
	wantNotFound(t, "CustomerTicket", err)
	_, err = s.ThreadTicket(ctxT(t), "slack", "1710400000.000000")
	wantNotFound(t, "ThreadTicket", err)
	_, err = s.Link(ctxT(t), "slack", desk.MessageRef{Channel: "D04ABCDEF34", ID: "1710400000.000000"})
	wantNotFound(t, "Link", err)
	_, err = s.Transcript(ctxT(t), 999)
	wantNotFound(t, "Transcript", err)

	// A pointer that outlived its ticket is not found either.
	ghost := s.keys.customer("slack", "U04GHOST001")
	rdb.HSet(ctxT(t), ghost.key, ghost.field, 998)
	_, err = s.CustomerTicket(ctxT(t), "slack", "U04GHOST001")
	wantNotFound(t, "CustomerTicket with a dangling pointer", err)
	rdb.Set(ctxT(t), s.keys.customer("slack", "U04GHOST002").legacy, 997, 0)
	_, err = s.CustomerTicket(ctxT(t), "slack", "U04GHOST002")
	wantNotFound(t, "CustomerTicket with a dangling pointer of the old layout", err)
}

func testPendingCount(t *testing.T, open opener) {
	s, _ := open(t, Options{Shards: 1})
	for i := range 5 {
		enqueue(t, s, 0, event(fmt.Sprintf("Ev%02d", i)))
	}
	readQueue(t, s, 0, false, 0)
	got, err := s.ReadQueue(ctxT(t), 0, "0", 2, 0)
	if err != nil {
		t.Fatalf("ReadQueue: %v", err)
	}
	if len(got) != 2 || got[0].Event.ID != "Ev00" || got[1].Event.ID != "Ev01" {
		t.Errorf("first 2 pending = %+v, want Ev00 and Ev01", got)
	}
}

func testGroupMadeAgain(t *testing.T, open opener) {
	s, rdb := open(t, Options{Shards: 1})
	rdb.Del(ctxT(t), s.keys.queue(0)) // an emptied server, group and all
	enqueue(t, s, 0, event("Ev01"))
	got := readQueue(t, s, 0, false, 0)
	if len(got) != 1 || got[0].Event.ID != "Ev01" {
		t.Errorf("read after the group was lost = %+v, want Ev01", got)
	}
}

func TestSecretsAndCursors(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, _ := b.open(t, Options{})
			a, err := s.Secret(ctxT(t), "mattermost")
			if err != nil || len(a) != 32 {
				t.Fatalf("Secret = %d bytes, %v; want 32", len(a), err)
			}
			b, _ := s.Secret(ctxT(t), "mattermost")
			if string(a) != string(b) {
				t.Errorf("the secret changed between calls")
			}
			if c, _ := s.Secret(ctxT(t), "other"); string(c) == string(a) {
				t.Errorf("two secrets are equal")
			}
			if v, err := s.Cursor(ctxT(t), "mm"); err != nil || v != 0 {
				t.Errorf("new cursor = %d, %v; want 0", v, err)
			}
			for _, v := range []int64{100, 50, 200, 150} {
				if err := s.SaveCursor(ctxT(t), "mm", v); err != nil {
					t.Fatal(err)
				}
			}
			if v, _ := s.Cursor(ctxT(t), "mm"); v != 200 {
				t.Errorf("cursor = %d, want 200 (it never moves back)", v)
			}
		})
	}
}

func TestStatusIndexesAndFacts(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, _ := b.open(t, Options{})
			var ids []desk.TicketID
			for i := range 4 {
				tk, _, err := s.OpenTicket(ctxT(t), desk.Ticket{Platform: "slack", Customer: desk.User{ID: fmt.Sprintf("U%d", i)}})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, tk.ID)
			}
			counts, err := s.CountByStatus(ctxT(t))
			if err != nil || counts[desk.StatusNew] != 4 {
				t.Fatalf("counts = %v, %v; want 4 new", counts, err)
			}
			// Resolve the second, close the third.
			for i, st := range map[int]desk.Status{1: desk.StatusResolved, 2: desk.StatusClosed} {
				tk, err := s.Ticket(ctxT(t), ids[i])
				if err != nil {
					t.Fatal(err)
				}
				tk.Status = st
				apply(t, s, desk.SaveTicket{Ticket: tk})
			}
			counts, _ = s.CountByStatus(ctxT(t))
			want := map[desk.Status]int64{desk.StatusIntake: 0, desk.StatusNew: 2, desk.StatusOpen: 0, desk.StatusPending: 0, desk.StatusResolved: 1, desk.StatusClosed: 1}
			if fmt.Sprint(counts) != fmt.Sprint(want) {
				t.Errorf("counts = %v, want %v", counts, want)
			}
			page, err := s.FindTickets(ctxT(t), desk.TicketFilter{Statuses: []desk.Status{desk.StatusResolved, desk.StatusNew}})
			if err != nil {
				t.Fatal(err)
			}
			if got := ticketIDs(page.Tickets); fmt.Sprint(got) != fmt.Sprint([]desk.TicketID{ids[0], ids[1], ids[3]}) || page.Next != 0 {
				t.Errorf("FindTickets(resolved, new) = %v next %d, want oldest first %v", got, page.Next, []desk.TicketID{ids[0], ids[1], ids[3]})
			}
			if one, _ := s.FindTickets(ctxT(t), desk.TicketFilter{Statuses: []desk.Status{desk.StatusNew}, Limit: 1}); len(one.Tickets) != 1 || one.Tickets[0].ID != ids[0] || one.Next != ids[0] {
				t.Errorf("limit 1 gave %+v", one)
			}
			byID, err := s.TicketsByID(ctxT(t), []desk.TicketID{ids[3], 999, ids[0]})
			if err != nil || len(byID) != 2 || byID[0].ID != ids[3] || byID[1].ID != ids[0] {
				t.Errorf("TicketsByID = %v, %v", byID, err)
			}

			base := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
			for i, v := range []int64{60, 120, 30} {
				apply(t, s, desk.RecordFact{Fact: desk.Fact{Kind: desk.FactFirstResponse, At: base.Add(time.Duration(i) * time.Hour), Ticket: ids[i], Agent: "U_AGENT", Value: v}})
			}
			facts, err := s.Facts(ctxT(t), desk.FactFirstResponse, base, base.Add(2*time.Hour))
			if err != nil || len(facts) != 2 || facts[0].Value != 60 || facts[1].Value != 120 || facts[0].Agent != "U_AGENT" || !facts[1].At.Equal(base.Add(time.Hour)) {
				t.Errorf("Facts in [0h, 2h) = %+v, %v; want the first two in order", facts, err)
			}
			if err := s.Apply(ctxT(t), desk.RecordFact{Fact: desk.Fact{Kind: desk.FactRating, Ticket: 1, Agent: "a|b"}}); desk.ErrorCode(err) != desk.EINVALID {
				t.Errorf("a fact with '|' in the agent: %v, want invalid", err)
			}
			if err := s.Apply(ctxT(t), desk.RecordFact{Fact: desk.Fact{Kind: desk.FactSuggested, Ticket: 1, Subject: "a|b"}}); desk.ErrorCode(err) != desk.EINVALID {
				t.Errorf("a fact with '|' in the subject: %v, want invalid", err)
			}
			// Facts about something: the same ticket and article twice is one fact; the same
			// reply sent twice (another time) is two.
			for _, f := range []desk.Fact{
				{Kind: desk.FactSuggested, At: base, Ticket: ids[0], Subject: "reset-password"},
				{Kind: desk.FactSuggested, At: base, Ticket: ids[0], Subject: "reset-password"},
				{Kind: desk.FactSuggested, At: base, Ticket: ids[0], Subject: "2fa"},
				{Kind: desk.FactCannedSent, At: base, Ticket: ids[0], Agent: "U_AGENT", Subject: "restart", Value: base.UnixMilli()},
				{Kind: desk.FactCannedSent, At: base.Add(time.Second), Ticket: ids[0], Agent: "U_AGENT", Subject: "restart", Value: base.Add(time.Second).UnixMilli()},
			} {
				apply(t, s, desk.RecordFact{Fact: f})
			}
			shown, err := s.Facts(ctxT(t), desk.FactSuggested, base, base.Add(time.Hour))
			if err != nil || len(shown) != 2 || shown[0].Subject == shown[1].Subject || shown[0].Ticket != ids[0] {
				t.Errorf("suggested facts = %+v, %v; want two, one per article", shown, err)
			}
			sent, err := s.Facts(ctxT(t), desk.FactCannedSent, base, base.Add(time.Hour))
			if err != nil || len(sent) != 2 || sent[1].Subject != "restart" || sent[1].Agent != "U_AGENT" {
				t.Errorf("canned facts = %+v, %v; want both uses", sent, err)
			}
		})
	}
}

func TestTouchTicket(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, _ := b.open(t, Options{})
			tk, _, err := s.OpenTicket(ctxT(t), desk.Ticket{Platform: "slack", Customer: desk.User{ID: "U1"}, Subject: "hello"})
			if err != nil {
				t.Fatal(err)
			}
			at := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
			apply(t, s, desk.TouchTicket{Ticket: tk.ID, At: at})
			got, err := s.Ticket(ctxT(t), tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.LastActivityAt.Equal(at) || got.Subject != "hello" || got.Status != desk.StatusNew {
				t.Errorf("after touch: activity %v subject %q status %s", got.LastActivityAt, got.Subject, got.Status)
			}
			if err := s.Apply(ctxT(t), desk.TouchTicket{}); desk.ErrorCode(err) != desk.EINVALID {
				t.Errorf("touch without a ticket: %v", err)
			}
		})
	}
}

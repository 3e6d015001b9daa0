package redisstore

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// queryIDs runs QueryTickets and returns the numbers of the page and the total.
func queryIDs(t *testing.T, s *Store, q desk.TicketQuery) ([]desk.TicketID, int) {
	t.Helper()
	res, err := s.QueryTickets(ctxT(t), q)
	if err != nil {
		t.Fatalf("QueryTickets(%+v): %v", q, err)
	}
	ids := []desk.TicketID{}
	for _, tk := range res.Tickets {
		ids = append(ids, tk.ID)
	}
	return ids, res.Total
}

func wantQuery(t *testing.T, s *Store, what string, q desk.TicketQuery, want ...desk.TicketID) {
	t.Helper()
	if want == nil {
		want = []desk.TicketID{}
	}
	got, total := queryIDs(t, s, q)
	if !slices.Equal(got, want) || total != len(want) {
		t.Errorf("%s: got %v (total %d), want %v", what, got, total, want)
	}
}

func ptr(s string) *string { return &s }

// newestFirst is ids (oldest first) the other way round.
func newestFirst(ids []desk.TicketID) []desk.TicketID {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

// pageOf is the page of ids from offset off, at most lim long.
func pageOf(ids []desk.TicketID, off, lim int) []desk.TicketID {
	return ids[min(off, len(ids)):min(off+lim, len(ids))]
}

// wantPage runs q with Limit lim and wants the page of all (every match, in q's order) from
// q.Offset, and the total of all.
func wantPage(t *testing.T, s *Store, what string, q desk.TicketQuery, all []desk.TicketID, lim int) {
	t.Helper()
	q.Limit = lim
	got, total := queryIDs(t, s, q)
	if want := pageOf(all, q.Offset, lim); !slices.Equal(got, want) || total != len(all) {
		t.Errorf("%s: got %v (total %d), want %v (total %d)", what, got, total, want, len(all))
	}
}

// queueTicket is a saved ticket for the query tests.
func queueTicket(id desk.TicketID, st desk.Status, mod func(*desk.Ticket)) desk.Ticket {
	tk := desk.Ticket{ID: id, Platform: "slack", Status: st, Customer: desk.User{ID: "C" + id.String()[1:], Name: "cust" + id.String()[1:]},
		CreatedAt: at(int(id)), LastActivityAt: at(int(id))}
	if mod != nil {
		mod(&tk)
	}
	return tk
}

// testQueryFilters: every filter of the queue alone and together, each order, and pages.
func testQueryFilters(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	due := at(30)
	tickets := []desk.Ticket{
		queueTicket(1, desk.StatusNew, func(tk *desk.Ticket) { tk.Priority = desk.PriorityUrgent; tk.Tags = []string{"VPN", "refund"} }),
		queueTicket(2, desk.StatusOpen, func(tk *desk.Ticket) {
			tk.Assignee, tk.Category = "U1", "Billing"
			tk.LastActivityAt = at(50)
			tk.Clocks = []desk.SLAClock{{Kind: "first_response", Since: at(2), Due: due}}
		}),
		queueTicket(3, desk.StatusPending, func(tk *desk.Ticket) {
			tk.Assignee, tk.Priority, tk.OutOfHours = "U2", desk.PriorityHigh, true
			tk.Tags = []string{"vpn"}
			tk.Clocks = []desk.SLAClock{{Kind: "resolution", Since: at(3), Due: at(20), Breached: true}}
		}),
		queueTicket(4, desk.StatusResolved, func(tk *desk.Ticket) { tk.Category = "billing"; tk.Assignee = "U1" }),
		queueTicket(5, desk.StatusNew, func(tk *desk.Ticket) {
			tk.Platform, tk.Assignee, tk.Priority = "mattermost", "U1", desk.PriorityLow
			tk.Clocks = []desk.SLAClock{{Kind: "first_response", Since: at(5), Due: at(10)}}
		}),
		queueTicket(6, desk.StatusClosed, func(tk *desk.Ticket) { tk.OutOfHours = true }),
	}
	for _, tk := range tickets {
		apply(t, s, desk.SaveTicket{Ticket: tk})
	}
	active := []desk.Status{desk.StatusNew, desk.StatusOpen, desk.StatusPending}
	tests := []struct {
		name string
		q    desk.TicketQuery
		want []desk.TicketID
	}{
		{"everything, newest first", desk.TicketQuery{}, []desk.TicketID{6, 5, 4, 3, 2, 1}},
		{"active", desk.TicketQuery{Statuses: active}, []desk.TicketID{5, 3, 2, 1}},
		{"one status", desk.TicketQuery{Statuses: []desk.Status{desk.StatusNew}}, []desk.TicketID{5, 1}},
		{"urgent", desk.TicketQuery{Priority: desk.PriorityUrgent}, []desk.TicketID{1}},
		{"normal counts no priority", desk.TicketQuery{Priority: desk.PriorityNormal}, []desk.TicketID{6, 4, 2}},
		{"category, any case", desk.TicketQuery{Category: "BILLING"}, []desk.TicketID{4, 2}},
		{"tag, any case", desk.TicketQuery{Tag: "vpn"}, []desk.TicketID{3, 1}},
		{"assignee", desk.TicketQuery{Assignee: ptr("U1")}, []desk.TicketID{5, 4, 2}},
		{"unassigned", desk.TicketQuery{Assignee: ptr("")}, []desk.TicketID{6, 1}},
		{"out of hours", desk.TicketQuery{OutOfHours: true}, []desk.TicketID{6, 3}},
		{"platform", desk.TicketQuery{Platform: "mattermost"}, []desk.TicketID{5}},
		{"mine on slack, active", desk.TicketQuery{Assignee: ptr("U1"), Platform: "slack", Statuses: active}, []desk.TicketID{2}},
		{"status, priority and tag", desk.TicketQuery{Statuses: active, Priority: desk.PriorityHigh, Tag: "VPN"}, []desk.TicketID{3}},
		{"a tag nobody has", desk.TicketQuery{Tag: "printer"}, nil},
		{"oldest first", desk.TicketQuery{Statuses: active, Sort: desk.SortOldest}, []desk.TicketID{1, 2, 3, 5}},
		{"last activity", desk.TicketQuery{Statuses: active, Sort: desk.SortActivity}, []desk.TicketID{2, 5, 3, 1}},
		{"priority, oldest first within", desk.TicketQuery{Sort: desk.SortPriority}, []desk.TicketID{1, 3, 2, 4, 6, 5}},
		{"due: breached, then by due time, then the rest oldest first", desk.TicketQuery{Sort: desk.SortDue}, []desk.TicketID{3, 5, 2, 1, 4, 6}},
		{"filtered and sorted by activity", desk.TicketQuery{Assignee: ptr("U1"), Sort: desk.SortActivity}, []desk.TicketID{2, 5, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantQuery(t, s, tt.name, tt.q, tt.want...) })
	}

	// Pages: the total is the whole match, the page its slice.
	got, total := queryIDs(t, s, desk.TicketQuery{Offset: 2, Limit: 3})
	if !slices.Equal(got, []desk.TicketID{4, 3, 2}) || total != 6 {
		t.Errorf("offset 2, limit 3: %v (total %d), want [4 3 2] of 6", got, total)
	}
	got, total = queryIDs(t, s, desk.TicketQuery{Statuses: active, Sort: desk.SortOldest, Offset: 3, Limit: 3})
	if !slices.Equal(got, []desk.TicketID{5}) || total != 4 {
		t.Errorf("last page: %v (total %d), want [5] of 4", got, total)
	}
	got, total = queryIDs(t, s, desk.TicketQuery{Offset: 10})
	if len(got) != 0 || total != 6 {
		t.Errorf("past the end: %v (total %d), want none of 6", got, total)
	}
}

// testQueryFollowsChanges: as a ticket changes status, priority, assignee, tags, category and
// activity, it leaves the indexes of its old values and joins the new ones; a value that
// clears takes it out; the change guarded by an event does the same.
func testQueryFollowsChanges(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	tk := queueTicket(1, desk.StatusNew, func(tk *desk.Ticket) {
		tk.Priority, tk.Category, tk.Tags, tk.OutOfHours = desk.PriorityLow, "Billing", []string{"refund", "vip"}, true
	})
	other := queueTicket(2, desk.StatusNew, nil)
	apply(t, s, desk.SaveTicket{Ticket: tk}, desk.SaveTicket{Ticket: other})
	wantQuery(t, s, "low at first", desk.TicketQuery{Priority: desk.PriorityLow}, 1)

	tk.Status, tk.Priority, tk.Assignee = desk.StatusOpen, desk.PriorityUrgent, "U1"
	tk.Tags, tk.Category, tk.OutOfHours = []string{"vip", "escalated"}, "", false
	apply(t, s, desk.SaveTicket{Ticket: tk})
	wantQuery(t, s, "new after the change", desk.TicketQuery{Statuses: []desk.Status{desk.StatusNew}}, 2)
	wantQuery(t, s, "open", desk.TicketQuery{Statuses: []desk.Status{desk.StatusOpen}}, 1)
	wantQuery(t, s, "low", desk.TicketQuery{Priority: desk.PriorityLow})
	wantQuery(t, s, "urgent", desk.TicketQuery{Priority: desk.PriorityUrgent}, 1)
	wantQuery(t, s, "unassigned", desk.TicketQuery{Assignee: ptr("")}, 2)
	wantQuery(t, s, "assigned", desk.TicketQuery{Assignee: ptr("U1")}, 1)
	wantQuery(t, s, "the tag removed", desk.TicketQuery{Tag: "refund"})
	wantQuery(t, s, "the tag kept", desk.TicketQuery{Tag: "vip"}, 1)
	wantQuery(t, s, "the tag added", desk.TicketQuery{Tag: "escalated"}, 1)
	wantQuery(t, s, "the category cleared", desk.TicketQuery{Category: "billing"})
	wantQuery(t, s, "out of hours cleared", desk.TicketQuery{OutOfHours: true})
	wantQuery(t, s, "priority order", desk.TicketQuery{Sort: desk.SortPriority}, 1, 2)

	// Activity alone (the path every message takes) moves the activity order.
	apply(t, s, desk.TouchTicket{Ticket: 2, At: at(59)})
	wantQuery(t, s, "touched first", desk.TicketQuery{Sort: desk.SortActivity}, 2, 1)

	// Unassigned again, through a change guarded by its event.
	if _, err := s.Enqueue(ctxT(t), 0, event("Ev1")); err != nil {
		t.Fatal(err)
	}
	tk.Assignee, tk.Tags = "", nil
	apply(t, s, desk.SaveTicket{Ticket: tk}, desk.AckEvent{Platform: "slack", Event: "Ev1"})
	wantQuery(t, s, "unassigned again", desk.TicketQuery{Assignee: ptr("")}, 2, 1)
	wantQuery(t, s, "no longer U1's", desk.TicketQuery{Assignee: ptr("U1")})
	wantQuery(t, s, "no tags", desk.TicketQuery{Tag: "vip"})
	if n, err := rdb.Exists(ctxT(t), s.keys.index("tag:vip"), s.keys.index("asg:U1"), s.keys.index("cat:billing")).Result(); err != nil || n != 0 {
		t.Errorf("emptied filter sets left behind: %d, %v", n, err)
	}

	// The ticket reads back as saved: the index list in its hash is not part of it.
	got, err := s.Ticket(ctxT(t), 1)
	if err != nil || got.Assignee != "" || got.Priority != desk.PriorityUrgent || len(got.Tags) != 0 {
		t.Errorf("Ticket(1) = %+v, %v", got, err)
	}
}

// testQuerySearch: words of the subject, the customer's name, the tags and every message,
// in any form of the word, in English and Russian, all of them (AND), with the filters.
func testQuerySearch(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	apply(t, s,
		desk.SaveTicket{Ticket: queueTicket(1, desk.StatusNew, func(tk *desk.Ticket) {
			tk.Subject, tk.Customer.DisplayName = "The printer is on fire", "Ada Lovelace"
		})},
		desk.SaveTicket{Ticket: queueTicket(2, desk.StatusOpen, func(tk *desk.Ticket) {
			tk.Subject, tk.Priority = "Не работает принтер в бухгалтерии", desk.PriorityUrgent
		})},
		desk.SaveTicket{Ticket: queueTicket(3, desk.StatusResolved, func(tk *desk.Ticket) { tk.Subject = "VPN drops every hour" })},
		desk.AppendEntry{Ticket: 3, Entry: desk.Entry{At: at(4), Kind: "customer", Text: "Also my printers jam since Monday"}},
		desk.AppendEntry{Ticket: 3, Entry: desk.Entry{At: at(5), Kind: "note", Text: "Ёлки, шлюз опять упал"}},
		desk.AppendEntry{Ticket: 1, Entry: desk.Entry{At: at(6), Kind: "agent", Text: "Replacing the toner cartridge"}},
		desk.AppendEntry{Ticket: 2, Entry: desk.Entry{At: at(7), Kind: "status", Text: "toner"}},
	)
	tests := []struct {
		name, search string
		want         []desk.TicketID
	}{
		{"a subject word", "fire", []desk.TicketID{1}},
		{"any case and form", "PRINTERS", []desk.TicketID{3, 1}},
		{"an agent's reply", "toner", []desk.TicketID{1}},
		{"a customer's message", "monday", []desk.TicketID{3}},
		{"a note, ё as е", "елки", []desk.TicketID{3}},
		{"Russian, another case of the word", "принтера", []desk.TicketID{2}},
		{"Russian, another form of the verb", "работал", []desk.TicketID{2}},
		{"two words, both needed", "printer fire", []desk.TicketID{1}},
		{"two words from subject and message", "vpn printer", []desk.TicketID{3}},
		{"two words nobody has together", "vpn toner", nil},
		{"the customer's name", "lovelace", []desk.TicketID{1}},
		{"a ticket's number", "#2", []desk.TicketID{2}},
		{"a word nobody wrote", "kettle", nil},
		{"one-letter words are ignored", "a fire", []desk.TicketID{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantQuery(t, s, tt.search, desk.TicketQuery{Search: tt.search}, tt.want...)
		})
	}
	wantQuery(t, s, "search with a status", desk.TicketQuery{Search: "printer", Statuses: []desk.Status{desk.StatusNew, desk.StatusResolved}}, 3, 1)
	wantQuery(t, s, "search with a priority", desk.TicketQuery{Search: "принтер", Priority: desk.PriorityUrgent}, 2)
	wantQuery(t, s, "search sorted by activity", desk.TicketQuery{Search: "printer", Sort: desk.SortOldest}, 1, 3)
}

// testQueryOpenedTicket: a ticket OpenTicket creates is in the indexes at once.
func testQueryOpenedTicket(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	tk := newTicket("U1")
	tk.Subject, tk.Tags, tk.OutOfHours = "Cannot log in", []string{"Access"}, true
	got, _ := openTicket(t, s, tk)
	tk2 := newTicket("U2")
	tk2.Priority = desk.PriorityHigh
	got2, _ := openTicket(t, s, tk2)
	wantQuery(t, s, "new", desk.TicketQuery{Statuses: []desk.Status{desk.StatusNew}}, got2.ID, got.ID)
	wantQuery(t, s, "tag", desk.TicketQuery{Tag: "access"}, got.ID)
	wantQuery(t, s, "unassigned and out of hours", desk.TicketQuery{Assignee: ptr(""), OutOfHours: true}, got.ID)
	wantQuery(t, s, "subject", desk.TicketQuery{Search: "log cannot"}, got.ID)
	wantQuery(t, s, "priority order", desk.TicketQuery{Sort: desk.SortPriority}, got2.ID, got.ID)
	wantQuery(t, s, "activity order", desk.TicketQuery{Sort: desk.SortActivity}, got2.ID, got.ID)

	// Saving it later moves it out of what it no longer is.
	got.Tags, got.OutOfHours = nil, false
	apply(t, s, desk.SaveTicket{Ticket: got})
	wantQuery(t, s, "tag after the save", desk.TicketQuery{Tag: "access"})
	wantQuery(t, s, "out of hours after the save", desk.TicketQuery{OutOfHours: true})
}

// testReindex: tickets written before the indexes existed are found once Reindex ran, and
// once a store starting on them has rebuilt the indexes in the background.
func testReindex(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	ctx := ctxT(t)
	for i := desk.TicketID(1); i <= 3; i++ {
		apply(t, s, desk.SaveTicket{Ticket: queueTicket(i, desk.StatusNew, func(tk *desk.Ticket) { tk.Tags = []string{"old"} })},
			desk.AppendEntry{Ticket: i, Entry: desk.Entry{Kind: "customer", Text: "legacy gateway"}})
	}
	rdb.Set(ctx, s.keys.seq(), 3, 0)
	// Forget every index, as a server written by an older version has none.
	forget := func() {
		t.Helper()
		keys := []string{s.keys.indexVersion(), s.keys.word("legacy"), s.keys.word("gateway")}
		for _, name := range []string{"pf:slack", "pri:normal", "unassigned", "tag:old", "act", "prio", "due"} {
			keys = append(keys, s.keys.index(name))
		}
		for i := 1; i <= 3; i++ {
			keys = append(keys, s.keys.word("cust"+strconv.Itoa(i)))
			rdb.HDel(ctx, s.keys.ticket(desk.TicketID(i)), fIndexes)
		}
		for _, k := range keys { // one at a time: on Cluster a DEL of many keys must name one slot's
			if err := rdb.Del(ctx, k).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	forget()
	wantQuery(t, s, "before", desk.TicketQuery{Tag: "old"})
	n, err := s.Reindex(ctx)
	if err != nil || n != 3 {
		t.Fatalf("Reindex = %d, %v; want 3", n, err)
	}
	wantQuery(t, s, "tag after Reindex", desk.TicketQuery{Tag: "old"}, 3, 2, 1)
	wantQuery(t, s, "a message after Reindex", desk.TicketQuery{Search: "gateway"}, 3, 2, 1)
	if got, total := queryIDs(t, s, desk.TicketQuery{Sort: desk.SortActivity, Limit: 1}); !slices.Equal(got, []desk.TicketID{3}) || total != 3 {
		t.Errorf("activity after Reindex: %v of %d, want [3] of 3", got, total)
	}

	// A store started on a server without the index version rebuilds them by itself.
	forget()
	s2, err := New(rdb, s.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	// The backfill records the version, then lets its lease go: wait for both.
	deadline := time.Now().Add(10 * time.Second)
	for (rdb.Get(ctx, s.keys.indexVersion()).Val() != indexVersion || rdb.Exists(ctx, s.keys.backfillLease()).Val() != 0) &&
		time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	wantQuery(t, s2, "tag after the backfill", desk.TicketQuery{Tag: "old"}, 3, 2, 1)
	if rdb.Exists(ctx, s.keys.backfillLease()).Val() != 0 {
		t.Errorf("the backfill's lease is still held 10 s after it started")
	}
}

// TestSearchWords: what a text indexes.
func TestSearchWords(t *testing.T) {
	for _, tt := range []struct {
		text string
		want []string
	}{
		{"The printers aren't working!", []string{"printer", "arent", "work"}},
		{"Не работает принтер, ёлки", []string{"работа", "принтер", "елк"}},
		{"a b c 7 42 x1", []string{"42", "x1"}},
		{"VPN vpn Vpn", []string{"vpn"}},
	} {
		if got := searchWords(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("searchWords(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
	long := ""
	for i := range 500 {
		long += " w" + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	if got := len(searchWords(long)); got != maxTextWords {
		t.Errorf("a long text indexes %d words, want %d", got, maxTextWords)
	}
}

// testQueryPeriod: the period of opening keeps the tickets whose opening (the created fact)
// is in it, alone and with every other filter, each order and pages; a ticket the bot's
// intake opened after later numbers, and one the bot solved (never opened), are counted as
// the statistics count them, not by their number.
func testQueryPeriod(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	// Tickets 1..8 opened at minutes 10, 20, …, 80, except: 3 left the intake at minute 75
	// (after 4..7), 6 was solved by the bot (closed, never opened).
	opened := map[desk.TicketID]int{1: 10, 2: 20, 3: 75, 4: 40, 5: 50, 7: 70, 8: 80}
	var changes []desk.Change
	for id := desk.TicketID(1); id <= 8; id++ {
		tk := queueTicket(id, desk.StatusOpen, func(tk *desk.Ticket) {
			tk.CreatedAt = at(int(id) * 10)
			tk.LastActivityAt = at(100 - int(id))
			tk.Category, tk.Assignee = "Billing", "U1"
			if id%2 == 0 {
				tk.Category, tk.Assignee, tk.Priority = "Technical", "U2", desk.PriorityHigh
			}
			switch id {
			case 2:
				tk.Status = desk.StatusClosed
			case 5:
				tk.Status = desk.StatusResolved
			case 6:
				tk.Status = desk.StatusClosed
			}
			tk.Subject = "printer " + id.String()
		})
		changes = append(changes, desk.SaveTicket{Ticket: tk})
		if m, ok := opened[id]; ok {
			changes = append(changes, desk.RecordFact{Fact: desk.Fact{Kind: desk.FactCreated, At: at(m), Ticket: id}})
		}
	}
	apply(t, s, changes...)
	all := desk.Statuses
	active := []desk.Status{desk.StatusNew, desk.StatusOpen, desk.StatusPending}
	period := func(from, to int) desk.TicketQuery {
		return desk.TicketQuery{Statuses: all, OpenedFrom: at(from), OpenedTo: at(to)}
	}
	with := func(q desk.TicketQuery, mod func(*desk.TicketQuery)) desk.TicketQuery { mod(&q); return q }
	tests := []struct {
		name string
		q    desk.TicketQuery
		want []desk.TicketID
	}{
		{"a number range", period(10, 30), []desk.TicketID{2, 1}},
		{"from inclusive, to exclusive", period(20, 40), []desk.TicketID{2}},
		{"oldest first in a range", with(period(40, 60), func(q *desk.TicketQuery) { q.Sort = desk.SortOldest }), []desk.TicketID{4, 5}},
		{"a range and statuses", with(period(40, 60), func(q *desk.TicketQuery) { q.Statuses = active }), []desk.TicketID{4}},
		{"with gaps", period(10, 50), []desk.TicketID{4, 2, 1}},
		{"a range by activity", with(period(40, 60), func(q *desk.TicketQuery) { q.Sort = desk.SortActivity }), []desk.TicketID{4, 5}},
		{"a range and a category", with(period(40, 60), func(q *desk.TicketQuery) { q.Category = "Technical" }), []desk.TicketID{4}},
		{"a range, a status and by priority", with(period(10, 30), func(q *desk.TicketQuery) {
			q.Statuses, q.Sort = []desk.Status{desk.StatusOpen, desk.StatusClosed}, desk.SortPriority
		}), []desk.TicketID{2, 1}},
		{"opened late by the intake", period(70, 80), []desk.TicketID{7, 3}},
		{"gaps: the intake's and the bot's", period(30, 90), []desk.TicketID{8, 7, 5, 4, 3}},
		{"only a start", desk.TicketQuery{Statuses: all, OpenedFrom: at(75)}, []desk.TicketID{8, 3}},
		{"only an end", desk.TicketQuery{Statuses: all, OpenedTo: at(20)}, []desk.TicketID{1}},
		{"nothing opened", period(81, 90), nil},
		{"with statuses", with(period(10, 90), func(q *desk.TicketQuery) { q.Statuses = active }), []desk.TicketID{8, 7, 4, 3, 1}},
		{"with a category", with(period(10, 60), func(q *desk.TicketQuery) { q.Category = "technical" }), []desk.TicketID{4, 2}},
		{"with a priority", with(period(30, 90), func(q *desk.TicketQuery) { q.Priority = desk.PriorityNormal }), []desk.TicketID{7, 5, 3}},
		{"with an assignee", with(period(10, 50), func(q *desk.TicketQuery) { q.Assignee = ptr("U1") }), []desk.TicketID{1}},
		{"with a search", with(period(10, 90), func(q *desk.TicketQuery) { q.Search = "#5" }), []desk.TicketID{5}},
		{"by activity", with(period(10, 60), func(q *desk.TicketQuery) { q.Sort = desk.SortActivity }), []desk.TicketID{1, 2, 4, 5}},
		{"by priority", with(period(10, 60), func(q *desk.TicketQuery) { q.Sort = desk.SortPriority }), []desk.TicketID{2, 4, 1, 5}},
		{"category and status and activity", with(period(10, 90), func(q *desk.TicketQuery) {
			q.Category, q.Statuses, q.Sort = "Billing", active, desk.SortActivity
		}), []desk.TicketID{1, 3, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantQuery(t, s, tt.name, tt.q, tt.want...) })
	}
	// A period whose tickets are a number range without gaps, and a filter most tickets pass:
	// the count is the period's, not the filter's (the search by number that such a filter
	// takes without a period must not count the filter's whole set).
	s2, _ := open(t, Options{})
	var range2 []desk.Change
	for id := desk.TicketID(1); id <= 12; id++ {
		tk := queueTicket(id, desk.StatusOpen, func(tk *desk.Ticket) {
			tk.CreatedAt, tk.Category = at(int(id)*10), "Billing"
			if id%3 == 0 {
				tk.Category = "Technical"
			}
			if id%4 == 0 {
				tk.Status = desk.StatusClosed
			}
		})
		range2 = append(range2, desk.SaveTicket{Ticket: tk}, desk.RecordFact{Fact: desk.Fact{Kind: desk.FactCreated, At: at(int(id) * 10), Ticket: id}})
	}
	apply(t, s2, range2...)
	wantQuery(t, s2, "a gapless range and a category", desk.TicketQuery{Statuses: all, Category: "Billing", OpenedFrom: at(40), OpenedTo: at(90)}, 8, 7, 5, 4)
	if got, total := queryIDs(t, s2, desk.TicketQuery{Statuses: all, Category: "Billing", OpenedFrom: at(40), OpenedTo: at(90), Limit: 2}); !slices.Equal(got, []desk.TicketID{8, 7}) || total != 4 {
		t.Errorf("a gapless range and a category, a page of 2: got %v (total %d), want [8 7] of 4", got, total)
	}
	// Pages of a period: the total is the period's, the page its slice, in both ways the
	// period is answered (a number range, and a set).
	for _, tt := range []struct {
		name string
		q    desk.TicketQuery
		want []desk.TicketID
		n    int
	}{
		{"a range, second page", with(period(10, 30), func(q *desk.TicketQuery) { q.Offset, q.Limit = 1, 1 }), []desk.TicketID{1}, 2},
		{"a set, second page", with(period(10, 90), func(q *desk.TicketQuery) { q.Offset, q.Limit = 3, 3 }), []desk.TicketID{4, 3, 2}, 7},
	} {
		got, total := queryIDs(t, s, tt.q)
		if !slices.Equal(got, tt.want) || total != tt.n {
			t.Errorf("%s: %v (total %d), want %v of %d", tt.name, got, total, tt.want, tt.n)
		}
	}
}

// testQuerySearchWalk: a search in every status by number, of words most tickets have, walks
// the numbers (query.go) and gives what the intersections give: the page at any offset, both
// orders, every word needed, the total; two common words that seldom come together exhaust
// the walk's cap and fall back; with a status filter the intersections answer.
func testQuerySearchWalk(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	const n = 600
	var alpha, both, rare []desk.TicketID // rare: "gamma" and "delta" together
	var changes []desk.Change
	for i := 1; i <= n; i++ {
		id := desk.TicketID(i)
		subject := []string{}
		if i%3 != 0 {
			subject = append(subject, "alpha")
			alpha = append(alpha, id)
		}
		if i%2 == 0 {
			subject = append(subject, "beta")
			if i%3 != 0 {
				both = append(both, id)
			}
		}
		// gamma and delta: each in half the tickets, together only in the first two.
		if i <= 2 || (i > 2 && i%2 == 1) {
			subject = append(subject, "gamma")
		}
		if i <= 2 || (i > 2 && i%2 == 0) {
			subject = append(subject, "delta")
		}
		if i <= 2 {
			rare = append(rare, id)
		}
		st := desk.StatusClosed
		if i%5 == 0 {
			st = desk.StatusOpen
		}
		changes = append(changes, desk.SaveTicket{Ticket: queueTicket(id, st, func(tk *desk.Ticket) { tk.Subject = strings.Join(subject, " ") })})
	}
	for c := range slices.Chunk(changes, 100) {
		apply(t, s, c...)
	}
	tests := []struct {
		name  string
		q     desk.TicketQuery
		all   []desk.TicketID // every match, in the query's order
		limit int
	}{
		{"one common word, newest", desk.TicketQuery{Search: "alpha"}, newestFirst(alpha), 10},
		{"one common word, a later page", desk.TicketQuery{Search: "alpha", Offset: 37}, newestFirst(alpha), 10},
		{"one common word, oldest", desk.TicketQuery{Search: "alpha", Sort: desk.SortOldest, Offset: 3}, alpha, 10},
		{"two words", desk.TicketQuery{Search: "alpha beta"}, newestFirst(both), 20},
		{"words seldom together", desk.TicketQuery{Search: "gamma delta"}, newestFirst(rare), 50},
		{"a number and a word", desk.TicketQuery{Search: "alpha 4"}, []desk.TicketID{4}, 10},
	}
	for _, tt := range tests {
		wantPage(t, s, tt.name, tt.q, tt.all, tt.limit)
	}
	var openAlpha []desk.TicketID
	for _, id := range newestFirst(alpha) {
		if id%5 == 0 {
			openAlpha = append(openAlpha, id)
		}
	}
	got, total := queryIDs(t, s, desk.TicketQuery{Search: "alpha", Statuses: []desk.Status{desk.StatusOpen}, Limit: 5})
	if !slices.Equal(got, openAlpha[:5]) || total != len(openAlpha) {
		t.Errorf("with a status: got %v (total %d), want %v (total %d)", got, total, openAlpha[:5], len(openAlpha))
	}
	// CountTo: the total may stop there (at least that many), the page is the same.
	got, total = queryIDs(t, s, desk.TicketQuery{Search: "alpha beta", Limit: 3, CountTo: 5})
	if want := newestFirst(both)[:3]; !slices.Equal(got, want) || total < 5 || total > len(both) {
		t.Errorf("CountTo 5: got %v (total %d), want %v and a total from 5 to %d", got, total, want, len(both))
	}
	// The total alone (Limit < 0), as /desk status asks for it: counted, no page.
	for _, q := range []desk.TicketQuery{
		{Search: "alpha", Statuses: []desk.Status{desk.StatusOpen}},
		{Search: "alpha", Statuses: []desk.Status{desk.StatusOpen, desk.StatusNew}},
	} {
		q.Limit = -1
		if got, total := queryIDs(t, s, q); len(got) != 0 || total != len(openAlpha) {
			t.Errorf("total alone of %+v: got %v (total %d), want no page and %d", q, got, total, len(openAlpha))
		}
	}
	if got, total := queryIDs(t, s, desk.TicketQuery{Search: "gamma delta", Limit: -1}); len(got) != 0 || total != len(rare) {
		t.Errorf("total alone in every status: got %v (total %d), want %d", got, total, len(rare))
	}
}

// testQueryDueSparse: the SLA's order keeps in its sort set only the tickets with a clock
// running or breached; the others follow them by number, alone, with filters, in pages that
// cross from one part to the other and within a period. Entries an older store wrote for
// tickets without a clock (scored noDue + number) are read as those, and go when a store
// starts.
func testQueryDueSparse(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	ctx := ctxT(t)
	clock := func(due time.Time, breached bool) func(*desk.Ticket) {
		return func(tk *desk.Ticket) {
			tk.Clocks = []desk.SLAClock{{Kind: "resolution", Since: at(1), Due: due, Breached: breached}}
		}
	}
	tickets := []desk.Ticket{
		queueTicket(1, desk.StatusNew, nil),
		queueTicket(2, desk.StatusOpen, clock(at(40), false)),
		queueTicket(3, desk.StatusOpen, clock(at(20), true)),
		queueTicket(4, desk.StatusPending, func(tk *desk.Ticket) { tk.Platform = "mattermost" }),
		queueTicket(5, desk.StatusNew, clock(at(30), false)),
		queueTicket(6, desk.StatusClosed, nil),
		queueTicket(7, desk.StatusNew, func(tk *desk.Ticket) { tk.Priority = desk.PriorityHigh }),
	}
	for _, tk := range tickets {
		apply(t, s, desk.SaveTicket{Ticket: tk}, desk.RecordFact{Fact: desk.Fact{Kind: desk.FactCreated, At: at(int(tk.ID)), Ticket: tk.ID}})
	}
	if n := rdb.ZCard(ctx, s.keys.index("due")).Val(); n != 3 {
		t.Errorf("the SLA's sort set holds %d tickets, want the 3 with a clock", n)
	}
	active := []desk.Status{desk.StatusNew, desk.StatusOpen, desk.StatusPending}
	check := func(when string) {
		t.Helper()
		wantQuery(t, s, when+": everything", desk.TicketQuery{Sort: desk.SortDue}, 3, 5, 2, 1, 4, 6, 7)
		wantQuery(t, s, when+": active", desk.TicketQuery{Sort: desk.SortDue, Statuses: active}, 3, 5, 2, 1, 4, 7)
		wantQuery(t, s, when+": slack", desk.TicketQuery{Sort: desk.SortDue, Platform: "slack"}, 3, 5, 2, 1, 6, 7)
		wantQuery(t, s, when+": normal, active", desk.TicketQuery{Sort: desk.SortDue, Priority: desk.PriorityNormal, Statuses: active}, 3, 5, 2, 1, 4)
		wantQuery(t, s, when+": high", desk.TicketQuery{Sort: desk.SortDue, Priority: desk.PriorityHigh}, 7)
		wantQuery(t, s, when+": opened in a period", desk.TicketQuery{Sort: desk.SortDue, OpenedFrom: at(2), OpenedTo: at(6)}, 3, 5, 2, 4)
		wantQuery(t, s, when+": slack, opened in a period", desk.TicketQuery{Sort: desk.SortDue, Platform: "slack", OpenedFrom: at(2), OpenedTo: at(6)}, 3, 5, 2)
		if got, total := queryIDs(t, s, desk.TicketQuery{Sort: desk.SortDue, OpenedFrom: at(2), OpenedTo: at(6), Offset: 2, Limit: 1}); !slices.Equal(got, []desk.TicketID{2}) || total != 4 {
			t.Errorf("%s: opened in a period, third: %v of %d, want [2] of 4", when, got, total)
		}
		for _, q := range []desk.TicketQuery{{Sort: desk.SortDue}, {Sort: desk.SortDue, Platform: "slack"}, {Sort: desk.SortDue, Statuses: active}} {
			all, total := queryIDs(t, s, q)
			for off := range len(all) + 1 {
				for _, lim := range []int{1, 2, 3} {
					q.Offset, q.Limit = off, lim
					got, n := queryIDs(t, s, q)
					want := all[min(off, len(all)):min(off+lim, len(all))]
					if !slices.Equal(got, want) || n != total {
						t.Errorf("%s: %+v = %v of %d, want %v of %d", when, q, got, n, want, total)
					}
				}
			}
		}
		if _, total := queryIDs(t, s, desk.TicketQuery{Sort: desk.SortDue, Statuses: active, Limit: -1}); total != 6 {
			t.Errorf("%s: count alone = %d, want 6", when, total)
		}
	}
	check("sparse")

	// Entries of tickets without a clock, as older stores wrote them, change nothing.
	for _, id := range []int64{1, 4, 6, 7} {
		rdb.ZAdd(ctx, s.keys.index("due"), redis.Z{Score: float64(noDue + id), Member: id})
	}
	check("with old entries")
	s2, err := New(rdb, s.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if n := rdb.ZCard(ctx, s.keys.index("due")).Val(); n != 3 {
		t.Errorf("after a store started, the SLA's sort set holds %d tickets, want 3", n)
	}

	// A clock that stops takes the ticket out of the sort set.
	tickets[1].Clocks = nil
	apply(t, s, desk.SaveTicket{Ticket: tickets[1]})
	if rdb.ZScore(ctx, s.keys.index("due"), "2").Err() == nil {
		t.Errorf("ticket 2 is still in the SLA's sort set without a clock")
	}
	wantQuery(t, s, "a clock stopped", desk.TicketQuery{Sort: desk.SortDue}, 3, 5, 1, 2, 4, 6, 7)
}

// testQueryPriorityDerived: the order by priority comes from the priorities' filter sets
// (no sort set of its own): the most urgent first, the oldest first within, alone, with
// filters, in a period, in every page; the count alone.
func testQueryPriorityDerived(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	ctx := ctxT(t)
	pri := func(p desk.Priority, mod func(*desk.Ticket)) func(*desk.Ticket) {
		return func(tk *desk.Ticket) {
			tk.Priority = p
			if mod != nil {
				mod(tk)
			}
		}
	}
	mm := func(tk *desk.Ticket) { tk.Platform = "mattermost" }
	tickets := []desk.Ticket{
		queueTicket(1, desk.StatusNew, pri(desk.PriorityLow, nil)),
		queueTicket(2, desk.StatusOpen, pri("", nil)),
		queueTicket(3, desk.StatusOpen, pri(desk.PriorityUrgent, mm)),
		queueTicket(4, desk.StatusPending, pri(desk.PriorityHigh, nil)),
		queueTicket(5, desk.StatusNew, pri(desk.PriorityUrgent, nil)),
		queueTicket(6, desk.StatusClosed, pri(desk.PriorityHigh, mm)),
		queueTicket(7, desk.StatusNew, pri(desk.PriorityNormal, nil)),
		queueTicket(8, desk.StatusOpen, pri(desk.PriorityLow, mm)),
	}
	for _, tk := range tickets {
		apply(t, s, desk.SaveTicket{Ticket: tk}, desk.RecordFact{Fact: desk.Fact{Kind: desk.FactCreated, At: at(int(tk.ID)), Ticket: tk.ID}})
	}
	if n := rdb.Exists(ctx, s.keys.index("prio")).Val(); n != 0 {
		t.Errorf("a sort set of priorities exists")
	}
	if n := rdb.Exists(ctx, s.keys.index("pri:normal")).Val(); n != 0 {
		t.Errorf("a set of the normal priority exists: they are the tickets in no other priority's set")
	}
	active := []desk.Status{desk.StatusNew, desk.StatusOpen, desk.StatusPending}
	for _, tt := range []struct {
		name string
		q    desk.TicketQuery
		want []desk.TicketID
	}{
		{"everything", desk.TicketQuery{}, []desk.TicketID{3, 5, 4, 6, 2, 7, 1, 8}},
		{"active", desk.TicketQuery{Statuses: active}, []desk.TicketID{3, 5, 4, 2, 7, 1, 8}},
		{"one status", desk.TicketQuery{Statuses: []desk.Status{desk.StatusOpen}}, []desk.TicketID{3, 2, 8}},
		{"mattermost", desk.TicketQuery{Platform: "mattermost"}, []desk.TicketID{3, 6, 8}},
		{"slack, active", desk.TicketQuery{Platform: "slack", Statuses: active}, []desk.TicketID{5, 4, 2, 7, 1}},
		{"normal", desk.TicketQuery{Priority: desk.PriorityNormal}, []desk.TicketID{2, 7}},
		{"opened in a period", desk.TicketQuery{OpenedFrom: at(2), OpenedTo: at(7)}, []desk.TicketID{3, 5, 4, 6, 2}},
		{"active, opened in a period", desk.TicketQuery{Statuses: active, OpenedFrom: at(2), OpenedTo: at(7)}, []desk.TicketID{3, 5, 4, 2}},
		{"search", desk.TicketQuery{Search: "cust3"}, []desk.TicketID{3}},
		{"normal, active", desk.TicketQuery{Priority: desk.PriorityNormal, Statuses: active}, []desk.TicketID{2, 7}},
		{"normal, opened in a period", desk.TicketQuery{Priority: desk.PriorityNormal, OpenedFrom: at(1), OpenedTo: at(7)}, []desk.TicketID{2}},
		{"one status, opened in a period", desk.TicketQuery{Statuses: []desk.Status{desk.StatusNew}, OpenedFrom: at(1), OpenedTo: at(8)}, []desk.TicketID{5, 7, 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			q.Sort = desk.SortPriority
			wantQuery(t, s, tt.name, q, tt.want...)
			for off := range len(tt.want) + 1 {
				for _, lim := range []int{1, 2, 3} {
					q.Offset, q.Limit = off, lim
					got, n := queryIDs(t, s, q)
					want := tt.want[min(off, len(tt.want)):min(off+lim, len(tt.want))]
					if !slices.Equal(got, want) || n != len(tt.want) {
						t.Errorf("offset %d, limit %d: %v of %d, want %v of %d", off, lim, got, n, want, len(tt.want))
					}
				}
			}
			q.Offset, q.Limit = 0, -1
			if _, n := queryIDs(t, s, q); n != len(tt.want) {
				t.Errorf("count alone = %d, want %d", n, len(tt.want))
			}
		})
	}
	// The normal priority in the other orders and with a search.
	wantQuery(t, s, "normal by number", desk.TicketQuery{Priority: desk.PriorityNormal}, 7, 2)
	wantQuery(t, s, "normal by activity", desk.TicketQuery{Priority: desk.PriorityNormal, Sort: desk.SortActivity}, 7, 2)
	wantQuery(t, s, "normal, SLA order", desk.TicketQuery{Priority: desk.PriorityNormal, Sort: desk.SortDue, Statuses: active}, 2, 7)
	wantQuery(t, s, "normal, a search", desk.TicketQuery{Priority: desk.PriorityNormal, Search: "cust7"}, 7)
	wantQuery(t, s, "normal, another's search", desk.TicketQuery{Priority: desk.PriorityNormal, Search: "cust3"})
	if _, n := queryIDs(t, s, desk.TicketQuery{Priority: desk.PriorityNormal, Statuses: active, Limit: -1}); n != 2 {
		t.Errorf("normal and active, counted = %d, want 2", n)
	}

	// A store that starts drops the sort set older stores kept.
	rdb.ZAdd(ctx, s.keys.index("prio"), redis.Z{Score: 1, Member: "1"})
	s2, err := New(rdb, s.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if n := rdb.Exists(ctx, s.keys.index("prio")).Val(); n != 0 {
		t.Errorf("the old sort set of priorities is left after a store started")
	}
}

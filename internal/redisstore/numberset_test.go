package redisstore

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// testNumberSets: filter and word sets past numberSpan members keep the numbers added after
// their key is full in buckets (numberset.go); every number is in exactly one of them, the
// sets stay intsets on Redis, and the queries read the union: filters, searches walked and
// intersected, the normal priority left out of the others, a change of value, and a set an
// older store wrote as one key past numberSpan members.
func testNumberSets(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	ctx := ctxT(t)
	const n = 1300
	var all, high, normal, toner []desk.TicketID
	var changes []desk.Change
	for i := 1; i <= n; i++ {
		id := desk.TicketID(i)
		all = append(all, id)
		st := desk.StatusClosed
		if i%4 == 0 {
			st = desk.StatusOpen
		}
		tk := queueTicket(id, st, func(tk *desk.Ticket) {
			tk.Category, tk.Subject = "Billing", "printer"
			if i%2 == 1 {
				tk.Priority = desk.PriorityHigh
			}
			if i%3 == 0 {
				tk.Subject += " toner"
			}
		})
		if i%2 == 1 {
			high = append(high, id)
		} else {
			normal = append(normal, id)
		}
		if i%3 == 0 {
			toner = append(toner, id)
		}
		changes = append(changes, desk.SaveTicket{Ticket: tk})
	}
	for c := range slices.Chunk(changes, 100) {
		apply(t, s, c...)
	}

	// Every number is in exactly one of the set's key and its bucket; the key holds
	// numberSpan, the buckets the rest, and each is an intset where Redis says so.
	cat := s.keys.index("cat:billing")
	if got := rdb.SCard(ctx, cat).Val(); got != numberSpan {
		t.Errorf("the category's own key holds %d numbers, want %d", got, numberSpan)
	}
	for _, id := range all {
		inKey := rdb.SIsMember(ctx, cat, int64(id)).Val()
		inBucket := rdb.SIsMember(ctx, s.keys.bucket(cat, int64(id)), int64(id)).Val()
		if inKey == inBucket {
			t.Fatalf("ticket %d: in the category's key %v, in its bucket %v: want exactly one", id, inKey, inBucket)
		}
	}
	for _, key := range []string{cat, s.keys.bucket(cat, 600), s.keys.bucket(cat, 1200), s.keys.word("printer"), s.keys.bucket(s.keys.word("printer"), 1200)} {
		enc, err := rdb.ObjectEncoding(ctx, key).Result()
		if err != nil {
			continue // a server without OBJECT ENCODING (miniredis)
		}
		if enc != "intset" {
			t.Errorf("%s is a %s, want an intset", key, enc)
		}
	}

	for _, tt := range []struct {
		name string
		q    desk.TicketQuery
		all  []desk.TicketID
		lim  int
	}{
		{"a category, first page", desk.TicketQuery{Category: "billing"}, newestFirst(all), 10},
		{"a category, a page across buckets", desk.TicketQuery{Category: "billing", Offset: 775}, newestFirst(all), 10},
		{"a category, oldest, past the own key", desk.TicketQuery{Category: "billing", Sort: desk.SortOldest, Offset: 508}, all, 10},
		{"a word in every ticket, walked", desk.TicketQuery{Search: "printer", Offset: 1000}, newestFirst(all), 7},
		{"two words", desk.TicketQuery{Search: "printer toner", Offset: 140}, newestFirst(toner), 10},
		{"a priority", desk.TicketQuery{Priority: desk.PriorityHigh, Offset: 600}, newestFirst(high), 10},
		{"the normal priority, the others left out", desk.TicketQuery{Priority: desk.PriorityNormal, Offset: 640}, newestFirst(normal), 20},
		{"by activity, with a filter", desk.TicketQuery{Category: "billing", Sort: desk.SortActivity}, newestFirst(all), 5},
	} {
		wantPage(t, s, tt.name, tt.q, tt.all, tt.lim)
	}
	var openAll []desk.TicketID
	for _, id := range newestFirst(all) {
		if id%4 == 0 {
			openAll = append(openAll, id)
		}
	}
	wantCount := func(what string, q desk.TicketQuery, want int) {
		t.Helper()
		q.Limit = -1
		if _, total := queryIDs(t, s, q); total != want {
			t.Errorf("%s: total %d, want %d", what, total, want)
		}
	}
	wantCount("open tickets of the category", desk.TicketQuery{Category: "billing", Statuses: []desk.Status{desk.StatusOpen}}, len(openAll))
	// The high priority's tickets are the odd numbers, never open (every fourth).
	wantCount("open tickets of high priority", desk.TicketQuery{Priority: desk.PriorityHigh, Statuses: []desk.Status{desk.StatusOpen}}, 0)

	// A change of value takes the ticket out of its bucket.
	moved := desk.TicketID(1000)
	apply(t, s, desk.SaveTicket{Ticket: queueTicket(moved, desk.StatusOpen, func(tk *desk.Ticket) { tk.Category, tk.Subject = "Hardware", "printer" })})
	if inNumberSet(ctx, rdb, s, cat, int64(moved)) {
		t.Errorf("ticket %d is still in the category it left", moved)
	}
	wantCount("the category after a ticket left it", desk.TicketQuery{Category: "billing"}, n-1)
	wantQuery(t, s, "the category it joined", desk.TicketQuery{Category: "hardware"}, moved)

	// A set an older store wrote as one key past numberSpan members: read with the numbers
	// added since, each once.
	legacy := s.keys.index("tag:legacy")
	var members []any
	for i := 1; i <= 600; i++ {
		members = append(members, strconv.Itoa(i))
	}
	if err := rdb.SAdd(ctx, legacy, members...).Err(); err != nil {
		t.Fatal(err)
	}
	retag := func(id desk.TicketID) {
		apply(t, s, desk.SaveTicket{Ticket: queueTicket(id, desk.StatusOpen, func(tk *desk.Ticket) {
			tk.Category, tk.Subject, tk.Tags = "Billing", "printer", []string{"legacy"}
		})})
	}
	retag(12)   // in the old key already
	retag(1204) // a new number: to its bucket
	if rdb.SIsMember(ctx, s.keys.bucket(legacy, 12), 12).Val() {
		t.Error("a number the old key has was added to its bucket too")
	}
	if !rdb.SIsMember(ctx, s.keys.bucket(legacy, 1204), 1204).Val() {
		t.Error("a number added to a full old key is not in its bucket")
	}
	wantCount("an old set with a number added", desk.TicketQuery{Tag: "legacy"}, 601)
	got, total := queryIDs(t, s, desk.TicketQuery{Tag: "legacy", Limit: 2})
	if want := []desk.TicketID{1204, 600}; !slices.Equal(got, want) || total != 601 {
		t.Errorf("an old set: got %v (total %d), want %v (total 601)", got, total, want)
	}
}

// testNumberSetsSplit: the number sets an older version wrote as one key past numberSpan
// members are split into their buckets when a store starts (once per server), and read the
// same before, during and after.
func testNumberSetsSplit(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	ctx := ctxT(t)
	const n = 700
	var all []any
	var changes []desk.Change
	for i := 1; i <= n; i++ {
		id := desk.TicketID(i)
		changes = append(changes, desk.SaveTicket{Ticket: queueTicket(id, desk.StatusOpen, func(tk *desk.Ticket) {
			tk.Category, tk.Subject = "Old", "legacy"
		})})
		all = append(all, strconv.Itoa(i))
	}
	for c := range slices.Chunk(changes, 100) {
		apply(t, s, c...)
	}
	// As an older version kept them: one key each, and no buckets.
	word, cat := s.keys.word(stemWord("legacy")), s.keys.index("cat:old")
	for _, set := range []string{word, cat} {
		if err := rdb.Del(ctx, set, s.keys.bucket(set, 1), s.keys.bucket(set, n)).Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.SAdd(ctx, set, all...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.Set(ctx, s.keys.seq(), n, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Del(ctx, s.keys.splitVersion()).Err(); err != nil {
		t.Fatal(err)
	}
	wantTotal := func(what string, q desk.TicketQuery, want int) {
		t.Helper()
		q.Limit = 3
		got, total := queryIDs(t, s, q)
		if !slices.Equal(got, []desk.TicketID{n, n - 1, n - 2}) || total != want {
			t.Errorf("%s: got %v (total %d), want [%d %d %d] (total %d)", what, got, total, n, n-1, n-2, want)
		}
	}
	wantTotal("the old word set", desk.TicketQuery{Search: "legacy"}, n)

	split, err := s.startSplit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if split == nil {
		t.Fatal("no split started on a server with tickets and no number sets' version")
	}
	<-split.done
	if v := rdb.Get(ctx, s.keys.splitVersion()).Val(); v != splitVersion {
		t.Errorf("number sets' version after the split = %q, want %q", v, splitVersion)
	}
	for _, set := range []string{word, cat} {
		if rdb.Exists(ctx, set).Val() != 0 {
			t.Errorf("%s is still a key of its own after the split", set)
		}
		for i := int64(1); i <= n; i++ {
			if !rdb.SIsMember(ctx, s.keys.bucket(set, i), i).Val() {
				t.Fatalf("%s: %d is not in its bucket after the split", set, i)
			}
		}
		if enc, err := rdb.ObjectEncoding(ctx, s.keys.bucket(set, 1)).Result(); err == nil && enc != "intset" {
			t.Errorf("%s's bucket is a %s, want an intset", set, enc)
		}
	}
	wantTotal("the word set after the split", desk.TicketQuery{Search: "legacy"}, n)
	wantTotal("the category after the split", desk.TicketQuery{Category: "old"}, n)

	// A number added afterwards fills a new key; a second start has nothing to split.
	apply(t, s, desk.SaveTicket{Ticket: queueTicket(n+1, desk.StatusOpen, func(tk *desk.Ticket) { tk.Category, tk.Subject = "Old", "legacy" })})
	if !rdb.SIsMember(ctx, word, n+1).Val() {
		t.Errorf("a number added after the split is not in the word set's new key")
	}
	if again, err := s.startSplit(ctx); err != nil || again != nil {
		t.Errorf("a second start split again (err %v)", err)
	}
}

// testNumberSetQueries: every way the query script answers, on number sets with buckets and
// plain ones together, against a model of the tickets: filters, searches walked and
// intersected, every order (by number, activity, priority, SLA), the normal priority left out
// of the others, totals alone, pages at any offset.
func testNumberSetQueries(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	const n = 1300
	statuses := []desk.Status{desk.StatusNew, desk.StatusOpen, desk.StatusPending, desk.StatusClosed}
	active := statuses[:3]
	var tickets []desk.Ticket
	var changes []desk.Change
	for i := 1; i <= n; i++ {
		tk := queueTicket(desk.TicketID(i), statuses[i%4], func(tk *desk.Ticket) {
			tk.LastActivityAt = at(0).Add(time.Duration(i*7%n) * time.Minute)
			switch {
			case i%5 == 0:
				tk.Priority = desk.PriorityUrgent
			case i%2 == 1:
				tk.Priority = desk.PriorityHigh
			case i%7 == 0:
				tk.Priority = desk.PriorityLow
			}
			tk.Category = "Billing"
			if i%3 == 0 {
				tk.Category = "Tech"
			}
			tk.Subject = "printer"
			if i%3 == 0 {
				tk.Subject += " toner"
			}
			if i%2 == 0 {
				tk.Subject += " jam"
			}
		})
		tickets = append(tickets, tk)
		changes = append(changes, desk.SaveTicket{Ticket: tk})
	}
	for c := range slices.Chunk(changes, 100) {
		apply(t, s, c...)
	}
	rank := map[desk.Priority]int{desk.PriorityUrgent: 0, desk.PriorityHigh: 1, "": 2, desk.PriorityNormal: 2, desk.PriorityLow: 3}
	has := func(tk desk.Ticket, word string) bool { return slices.Contains(strings.Fields(tk.Subject), word) }
	// model answers q from the tickets.
	model := func(q desk.TicketQuery) []desk.TicketID {
		var out []desk.Ticket
		for _, tk := range tickets {
			if len(q.Statuses) > 0 && !slices.Contains(q.Statuses, tk.Status) ||
				q.Category != "" && !strings.EqualFold(q.Category, tk.Category) ||
				q.Priority == desk.PriorityNormal && rank[tk.Priority] != 2 ||
				q.Priority != "" && q.Priority != desk.PriorityNormal && q.Priority != tk.Priority {
				continue
			}
			match := true
			for _, w := range strings.Fields(q.Search) {
				match = match && has(tk, w)
			}
			if match {
				out = append(out, tk)
			}
		}
		slices.SortFunc(out, func(a, b desk.Ticket) int {
			switch q.Sort {
			case desk.SortOldest, desk.SortDue: // no clock runs: by number
				return int(a.ID - b.ID)
			case desk.SortActivity:
				return b.LastActivityAt.Compare(a.LastActivityAt)
			case desk.SortPriority:
				if d := rank[a.Priority] - rank[b.Priority]; d != 0 {
					return d
				}
				return int(a.ID - b.ID)
			}
			return int(b.ID - a.ID)
		})
		ids := []desk.TicketID{}
		for _, tk := range out {
			ids = append(ids, tk.ID)
		}
		return ids
	}
	for _, q := range []desk.TicketQuery{
		{Category: "billing"},
		{Category: "billing", Statuses: []desk.Status{desk.StatusOpen}, Sort: desk.SortPriority},
		{Search: "printer jam"},
		{Search: "printer jam", Sort: desk.SortOldest},
		{Search: "jam", Statuses: active},
		{Search: "printer jam", Statuses: active, Sort: desk.SortActivity},
		{Priority: desk.PriorityHigh, Sort: desk.SortActivity},
		{Priority: desk.PriorityNormal, Sort: desk.SortPriority},
		{Priority: desk.PriorityNormal, Category: "billing"},
		{Sort: desk.SortPriority, Statuses: active},
		{Sort: desk.SortPriority},
		{Category: "tech", Search: "toner jam"},
		{Category: "billing", Search: "printer jam", Sort: desk.SortActivity},
		{Category: "tech", Search: "jam", Sort: desk.SortPriority},
		{Category: "billing", Statuses: active, Sort: desk.SortDue},
		{Priority: desk.PriorityUrgent, Search: "jam", Statuses: []desk.Status{desk.StatusPending}},
	} {
		want := model(q)
		if len(want) == 0 {
			t.Fatalf("%+v: the model has no match; the test wants some", q)
		}
		for _, off := range []int{0, 3, len(want) / 2, max(len(want)-4, 0)} {
			q.Offset = off
			wantPage(t, s, fmt.Sprintf("%+v", q), q, want, 9)
		}
		q.Offset, q.Limit = 0, -1
		if _, total := queryIDs(t, s, q); total != len(want) {
			t.Errorf("%+v, total alone: %d, want %d", q, total, len(want))
		}
	}
}

package redisstore

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// Stores written before 2026-12-07 (the layout that cost a one-message ticket 2.9 KB) are read
// and saved in place: these tests write their keys as that layout did and use them through
// the store.

// testLayoutUpgrade: a ticket saved by an older store is read (hash under the long field
// names), found by its customer and thread, queried, and saved again under the new layout,
// leaving the filter sets its old hash listed.
func testLayoutUpgrade(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	ctx := ctxT(t)
	k := s.keys
	p := k.prefix
	old := []any{
		"id", "7", "platform", "slack", "status", "open", "priority", "high", "category", "Billing",
		"tags", `["VPN"]`, "assignee", "U1", "assignee_name", "Sam", "cust", "U7", "cust_name", "jane.doe",
		"cust_display", "Jane Doe", "cust_avatar", "https://avatars.example.com/2024-01-05/0123456789012_0a1b2c3d4e5f",
		"cust_avatar~1", "_72.jpg", "dm", "D07", "triage", "C04TRIAGE01", "thread", "1710000000.000007",
		"created", "1741943186535", "activity", "1741943246535", "subject", "printer on fire",
		"ix", "pf:slack\npri:high\ncat:billing\ntag:vpn\nasg:u1",
	}
	cmds := [][]any{
		append([]any{"HSET", k.ticket(7)}, old...),
		{"SET", k.seq(), "7"},
		{"SET", p + "cust:slack:U7", "7"},
		{"SET", p + "thread:slack:1710000000.000007", "7"},
		{"ZADD", k.status(desk.StatusOpen), "7", "7"},
		{"ZADD", k.index("act"), "1741943246535", "7"},
		{"ZADD", k.index("prio"), "25769803769", "7"},
		{"ZADD", k.index("due"), "17592186044423", "7"},
		{"SET", k.indexVersion(), indexVersion},
		{"SADD", k.word("printer"), "7"},
		{"SET", p + "link:slack:D07:1710000000.000100", `{"t":7,"k":"customer","p":[["C04TRIAGE01","1710000000.000200"]]}`},
		{"SADD", k.ticketLinks(7), p + "link:slack:D07:1710000000.000100"},
	}
	for _, f := range []string{"pf:slack", "pri:high", "cat:billing", "tag:vpn", "asg:u1"} {
		cmds = append(cmds, []any{"SADD", k.index(f), "7"})
	}
	for _, c := range cmds {
		if err := rdb.Do(ctx, c...).Err(); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
	}
	want := desk.Ticket{ID: 7, Platform: "slack", Status: desk.StatusOpen, Priority: desk.PriorityHigh, Category: "Billing",
		Tags: []string{"VPN"}, Assignee: "U1", AssigneeName: "Sam",
		Customer: desk.User{ID: "U7", Name: "jane.doe", DisplayName: "Jane Doe",
			AvatarURL: "https://avatars.example.com/2024-01-05/0123456789012_0a1b2c3d4e5f_72.jpg"},
		DMChannel: "D07", TriageChannel: "C04TRIAGE01", ThreadID: "1710000000.000007",
		CreatedAt: time.UnixMilli(1741943186535).UTC(), LastActivityAt: time.UnixMilli(1741943246535).UTC(), Subject: "printer on fire"}
	want = normalize(want)
	got, err := s.Ticket(ctx, 7)
	if err != nil {
		t.Fatalf("Ticket: %v", err)
	}
	wantEqual(t, "old ticket", got, want)
	if got, err := s.CustomerTicket(ctx, "slack", "U7"); err != nil || got.ID != 7 {
		t.Errorf("CustomerTicket = %v, %v; want #7", got.ID, err)
	}
	if got, err := s.ThreadTicket(ctx, "slack", "1710000000.000007"); err != nil || got.ID != 7 {
		t.Errorf("ThreadTicket = %v, %v; want #7", got.ID, err)
	}
	if got, created := openTicket(t, s, newTicket("U7")); created || got.ID != 7 {
		t.Errorf("OpenTicket for the old ticket's customer = #%d (created %v), want #7", got.ID, created)
	}
	wantQuery(t, s, "old category", desk.TicketQuery{Category: "billing"}, 7)
	wantQuery(t, s, "old tag", desk.TicketQuery{Tag: "vpn", Sort: desk.SortPriority}, 7)
	wantQuery(t, s, "old subject", desk.TicketQuery{Search: "printer"}, 7)

	// Its link is found, and a new one kept beside it.
	oldLink := desk.MessageRef{Channel: "D07", ID: "1710000000.000100"}
	if l, err := s.Link(ctx, "slack", oldLink); err != nil || l.Ticket != 7 {
		t.Errorf("old link = %+v, %v", l, err)
	}
	newLink := desk.Link{Ticket: 7, Kind: desk.LinkAgent, Source: desk.MessageRef{Channel: "C04TRIAGE01", ID: "1710000000.000300"},
		Parts: []desk.MessageRef{{Channel: "D07", ID: "1710000000.000400"}}}
	apply(t, s, desk.PutLink{Platform: "slack", Link: newLink}, desk.PutLink{Platform: "slack", Link: newLink})
	names, err := s.linkNames(ctx, 7)
	if wantNames := []string{linkName("slack", newLink.Source), linkName("slack", oldLink)}; err != nil || !slices.Equal(names, wantNames) {
		t.Errorf("link names = %q, %v; want %q", names, err, wantNames)
	}

	// Touched and saved again: the new layout, out of the sets the old hash listed.
	apply(t, s, desk.TouchTicket{Ticket: 7, At: at(50)})
	if got, _ := s.Ticket(ctx, 7); !got.LastActivityAt.Equal(at(50)) {
		t.Errorf("activity after a touch = %v, want %v", got.LastActivityAt, at(50))
	}
	got.Category, got.Tags, got.Assignee, got.Priority = "Network", []string{"wifi"}, "U2", ""
	got.LastActivityAt = at(50)
	apply(t, s, desk.SaveTicket{Ticket: got})
	wantQuery(t, s, "old category after the save", desk.TicketQuery{Category: "billing"})
	wantQuery(t, s, "old tag after the save", desk.TicketQuery{Tag: "vpn"})
	wantQuery(t, s, "old assignee after the save", desk.TicketQuery{Assignee: ptr("U1")})
	wantQuery(t, s, "old priority after the save", desk.TicketQuery{Priority: desk.PriorityHigh})
	wantQuery(t, s, "new category", desk.TicketQuery{Category: "network"}, 7)
	wantQuery(t, s, "new priority", desk.TicketQuery{Priority: desk.PriorityNormal}, 7)
	fields := rdb.HKeys(ctx, k.ticket(7)).Val()
	for _, f := range fields {
		if len(f) > 2 && !strings.Contains(f, pieceSep) {
			t.Errorf("field %q after the save; want the short names only: %q", f, fields)
		}
	}
	again, err := s.Ticket(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "saved again", again, normalize(got))
	if got, err := s.ThreadTicket(ctx, "slack", "1710000000.000007"); err != nil || got.ID != 7 {
		t.Errorf("ThreadTicket after the save = %v, %v; want #7", got.ID, err)
	}
	if rdb.Exists(ctx, p+"thread:slack:1710000000.000007").Val() != 0 {
		t.Errorf("the old thread pointer is left after the save")
	}

	// A customer whose old pointer names a closed ticket gets a new one that follows it.
	for _, c := range [][]any{
		{"HSET", k.ticket(8), "id", "8", "platform", "slack", "status", "closed", "cust", "U8", "closed", "1741943186535"},
		{"SET", p + "cust:slack:U8", "8"},
		{"SET", k.seq(), "8"},
	} {
		if err := rdb.Do(ctx, c...).Err(); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
	}
	if got, err := s.CustomerTicket(ctx, "slack", "U8"); err != nil || got.ID != 8 || got.Status != desk.StatusClosed {
		t.Errorf("CustomerTicket of the old closed ticket = #%d %s, %v", got.ID, got.Status, err)
	}
	if got, created := openTicket(t, s, newTicket("U8")); !created || got.ID != 9 || got.Previous != 8 {
		t.Errorf("OpenTicket after the old closed ticket = #%d (created %v, previous %d), want a new #9 after #8", got.ID, created, got.Previous)
	}
	if got, err := s.CustomerTicket(ctx, "slack", "U8"); err != nil || got.ID != 9 {
		t.Errorf("CustomerTicket after the new ticket = #%d, %v; want #9", got.ID, err)
	}
	if rdb.Exists(ctx, p+"cust:slack:U8").Val() != 0 {
		t.Errorf("the old customer pointer is left once a new ticket was opened")
	}

	// Forgotten once closed: the links of both layouts, both pointers.
	again.Status, again.ClosedAt = desk.StatusClosed, at(55)
	apply(t, s, desk.SaveTicket{Ticket: again})
	if _, err := s.Forget(ctx, "slack", "U7", desk.User{ID: "ULEAD"}, at(56)); err != nil {
		t.Fatalf("Forget: %v", err)
	}
	for _, key := range []string{k.link("slack", oldLink), k.link("slack", newLink.Source), k.ticketLinks(7), p + "cust:slack:U7"} {
		if rdb.Exists(ctx, key).Val() != 0 {
			t.Errorf("%s is left after Forget", key)
		}
	}
	if _, err := s.CustomerTicket(ctx, "slack", "U7"); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("CustomerTicket after Forget = %v, want not found", err)
	}
}

// testFilterSetsWithoutList: a save moves a ticket between filter sets whether its hash lists
// them (values Lua cannot lower-case as Go does, line breaks, long values, tags JSON escapes)
// or not (the common case, derived from the fields).
func testFilterSetsWithoutList(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	ctx := ctxT(t)
	tests := []struct {
		name   string
		mod    func(*desk.Ticket)
		listed bool
	}{
		{"plain", func(tk *desk.Ticket) { tk.Category, tk.Tags, tk.Assignee = "Billing", []string{"VPN", "", "vpn"}, "U1" }, false},
		{"out of hours, unassigned", func(tk *desk.Ticket) { tk.OutOfHours, tk.Priority = true, desk.PriorityUrgent }, false},
		{"category beyond ASCII", func(tk *desk.Ticket) { tk.Category = "Überweisung" }, true},
		{"tag JSON escapes", func(tk *desk.Ticket) { tk.Tags = []string{`say "hi"`, "a<b"} }, true},
		{"long category", func(tk *desk.Ticket) { tk.Category = strings.Repeat("x", maxValue+1) }, true},
		{"line break", func(tk *desk.Ticket) { tk.Category = "two\nlines" }, true},
		{"assignee beyond ASCII", func(tk *desk.Ticket) { tk.Assignee = "Ärger" }, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := desk.TicketID(i + 1)
			tk := queueTicket(id, desk.StatusOpen, tt.mod)
			apply(t, s, desk.SaveTicket{Ticket: tk})
			if listed := rdb.HExists(ctx, s.keys.ticket(id), fIndexes).Val(); listed != tt.listed {
				t.Errorf("hash lists its filter sets: %v, want %v", listed, tt.listed)
			}
			filters, _, _ := s.keys.ticketIndex(tk)
			for _, f := range filters {
				if !rdb.SIsMember(ctx, s.keys.index(f), int64(id)).Val() {
					t.Errorf("not in %s after the first save", f)
				}
			}
			moved := queueTicket(id, desk.StatusOpen, func(tk *desk.Ticket) { tk.Category, tk.Assignee, tk.Priority = "Moved", "U9", desk.PriorityLow })
			apply(t, s, desk.SaveTicket{Ticket: moved})
			now, _, _ := s.keys.ticketIndex(moved)
			for _, f := range filters {
				if in := rdb.SIsMember(ctx, s.keys.index(f), int64(id)).Val(); in != slices.Contains(now, f) {
					t.Errorf("in %s after the save: %v, want %v", f, in, !in)
				}
			}
			for _, f := range now {
				if !rdb.SIsMember(ctx, s.keys.index(f), int64(id)).Val() {
					t.Errorf("not in %s after the save", f)
				}
			}
		})
	}
}

// testFactsUpgrade: facts an older store wrote into one set per kind (every day in it) are
// read beside those kept by day, by Facts and by a query's period of opening, in time order;
// a fact in both counts once, and nothing is written into the older set any more.
func testFactsUpgrade(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	ctx := ctxT(t)
	k := s.keys
	created := func(id desk.TicketID, at time.Time) desk.Fact {
		return desk.Fact{Kind: desk.FactCreated, At: at, Ticket: id}
	}
	// Tickets 1 to 3 and a first reply were recorded by the older store, as it wrote them.
	old := []desk.Fact{created(1, dayAt(0, 8)), created(2, dayAt(1, 9)), created(3, dayAt(2, 15))}
	reply := desk.Fact{Kind: desk.FactFirstResponse, At: dayAt(1, 10), Ticket: 2, Agent: "U_AGENT", Value: 3600}
	for _, f := range append(old, reply) {
		if err := rdb.ZAdd(ctx, k.fact(f.Kind), redis.Z{Score: float64(f.At.UnixMilli()), Member: encodeFact(f)}).Err(); err != nil {
			t.Fatalf("ZADD the older store's fact: %v", err)
		}
	}
	// Then the upgraded store: tickets 4 and 5 on the older facts' days, 6 later, and ticket
	// 3's opening once more (an event handled again across the upgrade).
	recent := []desk.Fact{created(4, dayAt(1, 12)), created(5, dayAt(2, 9)), created(6, dayAt(5, 1))}
	var changes []desk.Change
	for id := desk.TicketID(1); id <= 6; id++ {
		changes = append(changes, desk.SaveTicket{Ticket: queueTicket(id, desk.StatusOpen, nil)})
	}
	for _, f := range append(recent, old[2]) {
		changes = append(changes, desk.RecordFact{Fact: f})
	}
	apply(t, s, changes...)

	wantFacts(t, s, "both layouts", desk.FactCreated, dayAt(0, 0), farFuture, old[0], old[1], recent[0], recent[1], old[2], recent[2])
	wantFacts(t, s, "both layouts, day 1", desk.FactCreated, dayAt(1, 0), dayAt(2, 0), old[1], recent[0])
	wantFacts(t, s, "both layouts, from day 1 noon to day 2's end", desk.FactCreated, dayAt(1, 12), dayAt(3, 0), recent[0], recent[1], old[2])
	wantFacts(t, s, "the older store's reply", desk.FactFirstResponse, dayAt(0, 0), farFuture, reply)

	all := desk.Statuses
	wantQuery(t, s, "opened on day 1 in both layouts", desk.TicketQuery{Statuses: all, OpenedFrom: dayAt(1, 0), OpenedTo: dayAt(2, 0)}, 4, 2)
	wantQuery(t, s, "opened on days 0 to 2 in both layouts", desk.TicketQuery{Statuses: all, OpenedFrom: dayAt(0, 0), OpenedTo: dayAt(3, 0)}, 5, 4, 3, 2, 1)
	wantQuery(t, s, "opened from day 1 noon", desk.TicketQuery{Statuses: all, OpenedFrom: dayAt(1, 12)}, 6, 5, 4, 3)
	wantQuery(t, s, "opened before day 2", desk.TicketQuery{Statuses: all, OpenedTo: dayAt(2, 0)}, 4, 2, 1)

	if got := rdb.ZCard(ctx, k.fact(desk.FactCreated)).Val(); got != int64(len(old)) {
		t.Errorf("the older store's set holds %d openings, want its %d unchanged", got, len(old))
	}
}

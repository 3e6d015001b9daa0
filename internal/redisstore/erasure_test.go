package redisstore

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// testForget: CustomerData finds a customer's tickets (the latest and the closed one before
// it) with their histories, links, held messages and facts, and nothing of another customer;
// Forget refuses while a ticket is active, then erases the texts, the links, the customer's
// identity and pointer, keeps numbers and statistics, and leaves one "forgotten" entry.
func testForget(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	mk := func(user, subject string) desk.Ticket {
		t.Helper()
		tk, created := openTicket(t, s, newTicket(user))
		if !created {
			t.Fatalf("no new ticket for %s", user)
		}
		tk.Subject, tk.RatingComment, tk.Rating = subject, "thanks a lot", 4
		tk.Answers = []desk.Answer{{ID: "device", Ask: "Device?", Value: "my old laptop"}}
		src := desk.MessageRef{Channel: tk.DMChannel, ID: user + "." + tk.ID.String()[1:]}
		apply(t, s,
			desk.SaveTicket{Ticket: tk},
			desk.PutLink{Platform: "slack", Link: desk.Link{Ticket: tk.ID, Kind: desk.LinkCustomer, Source: src,
				Parts: []desk.MessageRef{{Channel: "C04TRIAGE01", ID: "copy." + tk.ID.String()[1:]}}}},
			desk.AppendEntry{Ticket: tk.ID, Entry: desk.Entry{At: at(3), Kind: "customer", Author: user, Name: "Jane Doe", Text: subject}},
			desk.RecordFact{Fact: desk.Fact{Kind: desk.FactCreated, At: at(2), Ticket: tk.ID}},
		)
		return tk
	}
	closeTicket := func(tk desk.Ticket) desk.Ticket {
		tk.Status, tk.ClosedAt = desk.StatusClosed, at(9)
		apply(t, s, desk.SaveTicket{Ticket: tk})
		return tk
	}
	first := closeTicket(mk("U1", "printer quarantined"))
	second := mk("U1", "printer jammed")
	apply(t, s, desk.HoldEvent{Ticket: second.ID, Event: desk.Event{ID: "held1", Platform: "slack", Kind: desk.CustomerMessage, Text: "still jammed"}})
	// second's message went in a joined post with another of U1's messages.
	src := desk.MessageRef{Channel: second.DMChannel, ID: "U1." + second.ID.String()[1:]}
	join := desk.Join{ID: "Ev1", Ticket: second.ID, Parts: []desk.JoinPart{
		{Event: "Ev1", Entry: "1-1", Source: src, Text: "printer jammed", Written: "printer jammed", At: at(3)},
		{Event: "Ev2", Entry: "1-2", Source: desk.MessageRef{Channel: second.DMChannel, ID: "U1.x"}, Text: "again", Written: "again", At: at(3)},
	}}
	apply(t, s, desk.PutJoin{Platform: "slack", Join: join},
		desk.PutLink{Platform: "slack", Link: desk.Link{Ticket: second.ID, Kind: desk.LinkCustomer, Source: src,
			Parts: []desk.MessageRef{{Channel: "C04TRIAGE01", ID: "copy." + second.ID.String()[1:]}}, Join: join.ID}})
	other := mk("U2", "printer missing")

	c, err := s.CustomerData(ctxT(t), "slack", "U1")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Tickets) != 2 || c.Tickets[0].Ticket.ID != second.ID || c.Tickets[1].Ticket.ID != first.ID {
		t.Fatalf("CustomerData tickets = %+v; want %s then %s", c.Tickets, second.ID, first.ID)
	}
	for _, td := range c.Tickets {
		if len(td.Transcript) != 1 || len(td.Links) != 1 || len(td.Facts) != 1 || td.Links[0].Kind != desk.LinkCustomer ||
			td.Links[0].Source.Channel != first.DMChannel || len(td.Links[0].Parts) != 1 {
			t.Errorf("ticket %s: transcript %+v links %+v facts %+v", td.Ticket.ID, td.Transcript, td.Links, td.Facts)
		}
		if td.Ticket.Customer.ID != "U1" {
			t.Errorf("ticket %s of another customer: %+v", td.Ticket.ID, td.Ticket.Customer)
		}
	}
	if j := c.Tickets[0].Joins; len(j) != 1 || j[0].ID != join.ID || len(j[0].Parts) != 2 || j[0].Parts[1].Written != "again" || len(c.Tickets[1].Joins) != 0 {
		t.Errorf("joins = %+v, %+v; want %s on the latest ticket", c.Tickets[0].Joins, c.Tickets[1].Joins, join.ID)
	}
	if len(c.Tickets[0].Held) != 1 || c.Tickets[0].Held[0].Text != "still jammed" {
		t.Errorf("held = %+v", c.Tickets[0].Held)
	}
	if got := c.Active(); len(got) != 1 || got[0] != second.ID {
		t.Errorf("Active = %v, want [%s]", got, second.ID)
	}

	lead := desk.User{ID: "ULEAD", DisplayName: "Lea Lead"}
	if _, err := s.Forget(ctxT(t), "slack", "U1", lead, at(20)); desk.ErrorCode(err) != desk.ECONFLICT {
		t.Fatalf("Forget with an active ticket = %v, want ECONFLICT", err)
	}
	if h, _ := s.Transcript(ctxT(t), second.ID); len(h) != 1 {
		t.Fatalf("a refused Forget changed the history: %+v", h)
	}
	second = closeTicket(second)
	rep, err := s.Forget(ctxT(t), "slack", "U1", lead, at(20))
	if err != nil || len(rep.Tickets) != 2 || rep.Entries != 2 || rep.Links != 2 {
		t.Fatalf("Forget = %+v, %v; want 2 tickets, 2 entries, 2 links", rep, err)
	}
	for _, tk := range []desk.Ticket{first, second} {
		got, err := s.Ticket(ctxT(t), tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Customer != (desk.User{}) || got.DMChannel != "" || got.Subject != "" || got.RatingComment != "" || len(got.Answers) != 0 {
			t.Errorf("ticket %s keeps the customer's data: %+v", tk.ID, got)
		}
		if got.Status != desk.StatusClosed || got.Rating != 4 || !got.CreatedAt.Equal(tk.CreatedAt) {
			t.Errorf("ticket %s lost what statistics need: %+v", tk.ID, got)
		}
		h, err := s.Transcript(ctxT(t), tk.ID)
		if err != nil || len(h) != 1 || h[0].Kind != desk.EntryForgotten || h[0].Author != "ULEAD" || h[0].Name != "Lea Lead" || h[0].Text != "" || !h[0].At.Equal(at(20)) {
			t.Errorf("history of %s after Forget = %+v, %v", tk.ID, h, err)
		}
		if n := rdb.Exists(ctxT(t), s.keys.ticketLinks(tk.ID), s.keys.held(tk.ID)).Val(); n != 0 {
			t.Errorf("ticket %s keeps %d link or held keys", tk.ID, n)
		}
		if ok, _ := rdb.ZScore(ctxT(t), s.keys.closed(), tk.ID.String()[1:]).Result(); ok != 0 {
			t.Errorf("ticket %s is still in the closed index", tk.ID)
		}
	}
	for _, src := range []string{"U1.1", "U1.2"} {
		if _, err := s.Link(ctxT(t), "slack", desk.MessageRef{Channel: first.DMChannel, ID: src}); desk.ErrorCode(err) != desk.ENOTFOUND {
			t.Errorf("link %s survived: %v", src, err)
		}
	}
	for _, w := range []string{"quarantin", "jam", "jane"} {
		for _, id := range []desk.TicketID{first.ID, second.ID} {
			if ok, _ := rdb.SIsMember(ctxT(t), s.keys.word(stemWord(w)), id.String()[1:]).Result(); ok {
				t.Errorf("ticket %s is still found by %q", id, w)
			}
		}
	}
	if ok, _ := rdb.SIsMember(ctxT(t), s.keys.word(stemWord("printer")), other.ID.String()[1:]).Result(); !ok {
		t.Errorf("the other customer's ticket lost its words")
	}
	if facts, _ := s.Facts(ctxT(t), desk.FactCreated, at(0), at(30)); len(facts) != 3 {
		t.Errorf("facts after Forget = %+v; want all 3 kept", facts)
	}
	if _, err := s.CustomerTicket(ctxT(t), "slack", "U1"); desk.ErrorCode(err) != desk.ENOTFOUND {
		t.Errorf("the customer pointer survived: %v", err)
	}
	if _, err := s.CustomerData(ctxT(t), "slack", "U1"); desk.ErrorCode(err) != desk.ENOTFOUND {
		t.Errorf("CustomerData after Forget = %v, want not found", err)
	}
	if _, err := s.Forget(ctxT(t), "slack", "U1", lead, at(21)); desk.ErrorCode(err) != desk.ENOTFOUND {
		t.Errorf("a second Forget = %v, want not found", err)
	}
	got, _ := s.Ticket(ctxT(t), other.ID)
	if h, _ := s.Transcript(ctxT(t), other.ID); got.Customer.ID != "U2" || got.Subject != "printer missing" || len(h) != 1 {
		t.Errorf("the other customer's ticket changed: %+v %+v", got, h)
	}
	// A new ticket of the forgotten customer starts a chain of its own.
	again, created := openTicket(t, s, newTicket("U1"))
	if !created || again.Previous != 0 {
		t.Errorf("the forgotten customer's new ticket = %+v, created %v; want no previous", again, created)
	}
}

// testForgetFactsBothLayouts: CustomerData finds a customer's facts whether an older store
// wrote them (one set per kind) or they are kept by day, each with its ticket and nothing of
// another customer's; Forget keeps the facts of both layouts, as the statistics need them.
func testForgetFactsBothLayouts(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	ctx := ctxT(t)
	first, _ := openTicket(t, s, newTicket("U1"))
	first.Status, first.ClosedAt = desk.StatusClosed, dayAt(4, 20)
	apply(t, s, desk.SaveTicket{Ticket: first})
	second, _ := openTicket(t, s, newTicket("U1"))
	other, _ := openTicket(t, s, newTicket("U2"))
	// The first ticket's facts and one of the other customer's, as an older store wrote them.
	oldFacts := []desk.Fact{
		{Kind: desk.FactCreated, At: dayAt(4, 10), Ticket: first.ID},
		{Kind: desk.FactResolved, At: dayAt(4, 18), Ticket: first.ID, Agent: "U_AGENT", Value: 28800},
		{Kind: desk.FactCreated, At: dayAt(4, 11), Ticket: other.ID},
	}
	for _, f := range oldFacts {
		if err := rdb.ZAdd(ctx, s.keys.fact(f.Kind), redis.Z{Score: float64(f.At.UnixMilli()), Member: encodeFact(f)}).Err(); err != nil {
			t.Fatalf("ZADD the older store's fact: %v", err)
		}
	}
	// The second ticket's, and another of the other customer's, kept by day.
	newFacts := []desk.Fact{
		{Kind: desk.FactCreated, At: dayAt(6, 9), Ticket: second.ID},
		{Kind: desk.FactFirstResponse, At: dayAt(7, 1), Ticket: second.ID, Agent: "U_AGENT", Value: 57600},
		{Kind: desk.FactResolved, At: dayAt(7, 2), Ticket: second.ID, Agent: "U_AGENT", Value: 61200},
		{Kind: desk.FactFirstResponse, At: dayAt(6, 9), Ticket: other.ID, Agent: "U_AGENT", Value: 165600},
	}
	for _, f := range newFacts {
		apply(t, s, desk.RecordFact{Fact: f})
	}

	c, err := s.CustomerData(ctx, "slack", "U1")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Tickets) != 2 || c.Tickets[0].Ticket.ID != second.ID || c.Tickets[1].Ticket.ID != first.ID {
		t.Fatalf("CustomerData tickets = %+v; want %s then %s", c.Tickets, second.ID, first.ID)
	}
	// CustomerData gathers the facts kind by kind (factKinds' order), each kind oldest first.
	wantEqual(t, "the second ticket's facts (kept by day)", c.Tickets[0].Facts, []desk.Fact{newFacts[0], newFacts[1], newFacts[2]})
	wantEqual(t, "the first ticket's facts (the older store's)", c.Tickets[1].Facts, []desk.Fact{oldFacts[0], oldFacts[1]})

	second.Status, second.ClosedAt = desk.StatusClosed, dayAt(7, 2)
	apply(t, s, desk.SaveTicket{Ticket: second})
	if _, err := s.Forget(ctx, "slack", "U1", desk.User{ID: "ULEAD"}, dayAt(8, 0)); err != nil {
		t.Fatalf("Forget: %v", err)
	}
	wantFacts(t, s, "openings after Forget", desk.FactCreated, dayAt(0, 0), farFuture, oldFacts[0], oldFacts[2], newFacts[0])
	wantFacts(t, s, "resolutions after Forget", desk.FactResolved, dayAt(0, 0), farFuture, oldFacts[1], newFacts[2])
	wantFacts(t, s, "first replies after Forget", desk.FactFirstResponse, dayAt(0, 0), farFuture, newFacts[3], newFacts[1])
}

// testUnpoint: the erasure's removal of a customer's pointer (TD.HUNPOINT, TD.UNPOINT) takes
// it away only while it points at a ticket forgotten or at none: a ticket opened since the
// erasure read the customer's tickets keeps its pointer, and so its conversation.
func testUnpoint(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	ctx := ctxT(t)
	tk, _ := openTicket(t, s, newTicket("U1"))
	n := tk.ID.String()[1:]
	cust := s.keys.customer("slack", "U1")
	pointed := func() string { return rdb.HGet(ctx, cust.key, cust.field).Val() }
	unpoint := func(ids ...any) {
		t.Helper()
		cmds := [][]any{
			append([]any{"TD.HUNPOINT", cust.key, cust.field, s.keys.ticketBase()}, ids...),
			append([]any{"TD.UNPOINT", cust.legacy, s.keys.ticketBase()}, ids...),
		}
		if err := s.applyScripted(ctx, cmds); err != nil {
			t.Fatal(err)
		}
	}
	if pointed() != n {
		t.Fatalf("the customer's pointer = %q, want %s", pointed(), n)
	}
	unpoint("998", "999")
	if pointed() != n {
		t.Errorf("the pointer to ticket %s, not among those forgotten, went", n)
	}
	unpoint("998", n)
	if pointed() != "" {
		t.Errorf("the pointer to a ticket forgotten stays: %q", pointed())
	}
	// A legacy pointer to a ticket that is no more goes, as does one to a ticket forgotten.
	rdb.Set(ctx, cust.legacy, "12345", 0)
	unpoint("998")
	if rdb.Exists(ctx, cust.legacy).Val() != 0 {
		t.Errorf("a legacy pointer to a ticket that is no more stays")
	}
	rdb.Set(ctx, cust.legacy, n, 0)
	unpoint("998")
	if rdb.Exists(ctx, cust.legacy).Val() != 1 {
		t.Errorf("a legacy pointer to a ticket not forgotten went")
	}
	unpoint(n)
	if rdb.Exists(ctx, cust.legacy).Val() != 0 {
		t.Errorf("a legacy pointer to a ticket forgotten stays")
	}
}

package redisstore

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// TestEntryWordsFollowTheirTransaction: the search words of history entries are written after
// the entries' transaction, merged (one SADD per word for every ticket that has it), found by
// a search made at once, and nothing is left marked as waiting.
func TestEntryWordsFollowTheirTransaction(t *testing.T) {
	s, rdb := openRedis(t, Options{})
	for id := desk.TicketID(1); id <= 3; id++ {
		apply(t, s, desk.SaveTicket{Ticket: queueTicket(id, desk.StatusOpen, func(tk *desk.Ticket) { tk.Subject = "Ticket " + id.String() })})
	}
	for id := desk.TicketID(1); id <= 3; id++ {
		apply(t, s, desk.AppendEntry{Ticket: id, Entry: desk.Entry{At: at(int(id)), Kind: "customer", Text: "the parcel never arrived " + strconv.Itoa(int(id))}})
	}
	wantQuery(t, s, "every ticket's message", desk.TicketQuery{Search: "parcel"}, 3, 2, 1)
	wantQuery(t, s, "one ticket's message", desk.TicketQuery{Search: "arrived 2"}, 2)
	members, err := rdb.SMembers(ctxT(t), s.keys.word("parcel")).Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(members)
	if !slices.Equal(members, []string{"1", "2", "3"}) {
		t.Errorf("w:parcel = %v, want the three tickets", members)
	}
	if n, err := rdb.SCard(ctxT(t), s.keys.index(wordsPending)).Result(); err != nil || n != 0 {
		t.Errorf("%d tickets still marked as waiting for their words (%v), want none", n, err)
	}

	// Queued words of several entries go as one script for every word.
	s.words.add(7, []string{"parcel", "arriv"})
	s.words.add(8, []string{"parcel"})
	p := rdb.TxPipeline()
	n, sent := s.queueWords(p)
	if n != 2 { // the script adding to w:arriv and w:parcel, SREM ix:wpend
		t.Errorf("queued words made %d commands, want 2", n)
	}
	if _, err := p.Exec(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	sent(true)
	if !s.words.empty() {
		t.Error("the word queue is not empty after its batch")
	}
	// Words of a batch that failed wait for the next one.
	s.words.add(9, []string{"lost"})
	_, sent = s.queueWords(rdb.TxPipeline())
	sent(false)
	if s.words.empty() {
		t.Error("words of a failed batch were dropped")
	}
}

// TestWordsLeftUnwrittenAreIndexedAtStart: a process that stopped between an entry's
// transaction and its words leaves the ticket marked in <p>ix:wpend; the next store to start
// on the server indexes that ticket's history again and clears the mark.
func TestWordsLeftUnwrittenAreIndexedAtStart(t *testing.T) {
	s, rdb := openRedis(t, Options{})
	apply(t, s, desk.SaveTicket{Ticket: queueTicket(4, desk.StatusOpen, func(tk *desk.Ticket) { tk.Subject = "Billing" })})
	// What a crash leaves: the entry and the mark, not the words.
	ctx := ctxT(t)
	push := s.appendCommand(4, desk.Entry{At: at(1), Kind: "customer", Text: "my invoice is wrong"})
	if err := rdb.Do(ctx, push...).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.SAdd(ctx, s.keys.index(wordsPending), "4").Err(); err != nil {
		t.Fatal(err)
	}
	if ok, _ := rdb.SIsMember(ctx, s.keys.word("invoic"), "4").Result(); ok {
		t.Fatal("the word is there before the recovery")
	}
	s2, err := New(rdb, s.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, _ := rdb.SIsMember(ctx, s.keys.word("invoic"), "4").Result()
		n, _ := rdb.SCard(ctx, s.keys.index(wordsPending)).Result()
		if ok && n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a start: word indexed %t, %d tickets still marked; want the word and no mark", ok, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	wantQuery(t, s2, "the recovered word", desk.TicketQuery{Search: "invoice"}, 4)
}

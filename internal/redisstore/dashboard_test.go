package redisstore

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// testSessions: a sign-in token can be looked at any number of times and used once, even by
// two browsers at once; the session it starts lasts until it ends, expires or its person's
// sessions are revoked; the database holds neither the token nor the session ID.
func testSessions(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	ctx := ctxT(t)
	ann := desk.Person{Platform: "slack", UserID: "U1", Name: "Ann"}
	apply(t, s, desk.PutSignin{Token: "tok-secret-1", Person: ann})
	for range 2 {
		if got, err := s.Signin(ctx, "tok-secret-1"); err != nil || got != ann {
			t.Fatalf("Signin = %+v, %v; want %+v", got, err, ann)
		}
	}
	if _, err := s.Signin(ctx, "tok-unknown"); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("Signin of an unknown token: %v, want not found", err)
	}
	var wg sync.WaitGroup
	ids := make([]string, 4)
	for i := range ids {
		wg.Go(func() { ids[i], _, _ = s.StartSession(ctx, "tok-secret-1", time.Hour) })
	}
	wg.Wait()
	var id string
	for _, v := range ids {
		if v != "" {
			if id != "" {
				t.Fatalf("one token started two sessions: %q", ids)
			}
			id = v
		}
	}
	if id == "" {
		t.Fatal("the token started no session")
	}
	if _, err := s.Signin(ctx, "tok-secret-1"); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("Signin after use: %v, want not found", err)
	}
	got, err := s.Session(ctx, id)
	if err != nil || got.Person != ann || got.Started.IsZero() {
		t.Fatalf("Session = %+v, %v", got, err)
	}
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		v, _ := rdb.Get(ctx, k).Result()
		if strings.Contains(k+v, "tok-secret-1") || strings.Contains(k+v, id) {
			t.Errorf("key %q (value %q) holds a token or session ID in the clear", k, v)
		}
	}
	// Ending one session leaves the others; a revoke ends all of a person's, and not others'.
	apply(t, s, desk.PutSignin{Token: "t2", Person: ann}, desk.PutSignin{Token: "t3", Person: ann},
		desk.PutSignin{Token: "t4", Person: desk.Person{Platform: "slack", UserID: "U2", Name: "Bob"}})
	second, _, err := s.StartSession(ctx, "t2", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EndSession(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, id); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("an ended session: %v", err)
	}
	if _, err := s.Session(ctx, second); err != nil {
		t.Errorf("ending one session ended another: %v", err)
	}
	bob, _, err := s.StartSession(ctx, "t4", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	apply(t, s, desk.EndSessions{Platform: "slack", UserID: "U1"})
	if _, err := s.Session(ctx, second); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("a revoked session: %v", err)
	}
	if _, err := s.Session(ctx, bob); err != nil {
		t.Errorf("revoking Ann's sessions ended Bob's: %v", err)
	}
	// A link asked for before the revoke still signs in afresh after it.
	third, _, err := s.StartSession(ctx, "t3", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, third); err != nil {
		t.Errorf("a session started after the revoke: %v", err)
	}
	// Sessions expire.
	short, _, err := func() (string, desk.Session, error) {
		apply(t, s, desk.PutSignin{Token: "t5", Person: ann})
		return s.StartSession(ctx, "t5", 50*time.Millisecond)
	}()
	if err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, s.keys.session(hashed(short))).Val(); ttl <= 0 || ttl > 50*time.Millisecond {
		t.Errorf("session TTL %v, want at most 50ms", ttl)
	}
	if ttl := rdb.PTTL(ctx, s.keys.signin(hashed("t4"))).Val(); ttl != -2*time.Nanosecond && ttl > 0 {
		t.Errorf("a used token still exists with TTL %v", ttl)
	}
	for _, c := range []desk.Change{desk.PutSignin{Person: ann}, desk.PutSignin{Token: "x"}, desk.EndSessions{Platform: "slack"}} {
		if err := s.Apply(ctx, c); desk.ErrorCode(err) != desk.EINVALID {
			t.Errorf("Apply(%+v) = %v, want invalid", c, err)
		}
	}
}

// testTicketChanges: every change that touches a ticket (saved, touched, its history or
// thread) is in the feed once per Apply, in order; a reader resumes after what it saw.
func testTicketChanges(t *testing.T, open opener) {
	s, _ := open(t, Options{})
	ctx := ctxT(t)
	start, err := s.LastTicketChange(ctx)
	if err != nil || start != "0-0" {
		t.Fatalf("LastTicketChange on an empty store = %q, %v", start, err)
	}
	tk := desk.Ticket{ID: 5, Platform: "fake", Status: desk.StatusNew, Customer: desk.User{ID: "U1"}}
	apply(t, s, desk.SaveTicket{Ticket: tk}, desk.AppendEntry{Ticket: 5, Entry: desk.Entry{Kind: "customer", Text: "hi"}})
	apply(t, s, desk.TouchTicket{Ticket: 5, At: time.Now()}, desk.AppendEntry{Ticket: 6, Entry: desk.Entry{Kind: "note"}})
	apply(t, s, desk.PutAnswer{Platform: "fake", Event: "e1", Text: "x"}) // no ticket
	got, err := s.TicketChanges(ctx, "0", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []desk.TicketID
	for _, c := range got {
		ids = append(ids, c.Ticket)
	}
	if want := []desk.TicketID{5, 5, 6}; len(ids) != 3 || ids[0] != want[0] || ids[1] != want[1] || ids[2] != want[2] {
		t.Fatalf("changes %v, want %v", ids, want)
	}
	last, err := s.LastTicketChange(ctx)
	if err != nil || last != got[2].Seq {
		t.Errorf("LastTicketChange = %q, %v; want %q", last, err, got[2].Seq)
	}
	more, err := s.TicketChanges(ctx, got[0].Seq, 10, 0)
	if err != nil || len(more) != 2 || more[0].Seq != got[1].Seq {
		t.Errorf("changes after the first: %+v, %v", more, err)
	}
	// A blocked reader wakes for a new change.
	done := make(chan []desk.TicketChange, 1)
	go func() {
		c, _ := s.TicketChanges(ctx, last, 10, 5*time.Second)
		done <- c
	}()
	time.Sleep(50 * time.Millisecond)
	apply(t, s, desk.SetThread{Ticket: 9, Platform: "fake", Channel: "C", Thread: "T"})
	select {
	case c := <-done:
		if len(c) != 1 || c[0].Ticket != 9 {
			t.Errorf("woke with %+v, want ticket 9", c)
		}
	case <-time.After(5 * time.Second):
		t.Error("a blocked reader did not wake for a change")
	}
}

package desk_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

var (
	t0       = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	now      = t0.Add(90 * time.Minute)
	customer = desk.User{ID: "U1", DisplayName: "Customer"}
	agentA   = desk.PersonActor(desk.User{ID: "A1", DisplayName: "Ann"}, true)
	agentB   = desk.PersonActor(desk.User{ID: "A2", DisplayName: "Bob"}, true)
	stranger = desk.PersonActor(desk.User{ID: "X1", DisplayName: "Xavier"}, false)
	policy   = desk.Policy{Categories: []string{"Billing", "Technical"}}
)

// ticketIn is a ticket in status s as it would be after a normal life: a new ticket has no
// answer yet; later ones were answered and assigned to Bob; resolved and closed ones are
// unrated.
func ticketIn(s desk.Status) desk.Ticket {
	t := desk.Ticket{ID: 7, Platform: "fake", Status: s, Priority: desk.PriorityNormal, Customer: customer,
		DMChannel: "D1", TriageChannel: "C1", ThreadID: "T1", CreatedAt: t0, LastActivityAt: t0}
	if s != desk.StatusNew && s != desk.StatusIntake {
		t.FirstResponseAt, t.Assignee, t.AssigneeName = t0.Add(time.Minute), "A2", "Bob"
	}
	switch s {
	case desk.StatusResolved:
		t.ResolvedAt = t0.Add(time.Hour)
	case desk.StatusClosed:
		t.ResolvedAt, t.ClosedAt = t0.Add(time.Hour), t0.Add(time.Hour)
	}
	return t
}

// want is what a step should do: either a refusal, or the status after it, the notice the
// customer gets (if any), the facts it records and whether the card and the rating question
// follow.
type want struct {
	refused desk.RefusalReason
	status  desk.Status
	notice  desk.NoticeKind
	facts   []desk.FactKind
	card    bool
	rating  bool
}

func refused(r desk.RefusalReason) want { return want{refused: r} }

func TestTakeEveryStatusAndStep(t *testing.T) {
	category := "Billing"
	steps := map[string]struct {
		step desk.Step
		by   desk.Actor
	}{
		"claim":    {desk.Step{Kind: desk.StepClaim}, agentA},
		"assign":   {desk.Step{Kind: desk.StepAssign, Assignee: &agentA}, agentB},
		"tag":      {desk.Step{Kind: desk.StepTag, Category: &category, Tags: []string{"vip"}, Priority: desk.PriorityHigh}, agentA},
		"priority": {desk.Step{Kind: desk.StepPriority, Priority: desk.PriorityUrgent}, agentA},
		"pending":  {desk.Step{Kind: desk.StepPending}, agentA},
		"resolve":  {desk.Step{Kind: desk.StepResolve}, agentA},
		"reopen":   {desk.Step{Kind: desk.StepReopen}, agentA},
		"close":    {desk.Step{Kind: desk.StepClose}, agentA},
		"rate":     {desk.Step{Kind: desk.StepRate, Rating: 4}, desk.PersonActor(customer, false)},
		"comment":  {desk.Step{Kind: desk.StepComment, Comment: "quick"}, desk.PersonActor(customer, false)},
		"respond":  {desk.Step{Kind: desk.StepRespond}, agentA},
		"wrote":    {desk.Step{Kind: desk.StepWrote}, desk.PersonActor(customer, false)},
	}
	I, N, O, P, R, C := desk.StatusIntake, desk.StatusNew, desk.StatusOpen, desk.StatusPending, desk.StatusResolved, desk.StatusClosed
	fr := []desk.FactKind{desk.FactFirstResponse}
	table := map[string]map[desk.Status]want{
		"claim": {I: refused(desk.RefuseInIntake),
			N: {status: O, notice: desk.NoticeClaimed, facts: fr, card: true},
			O: {status: O, notice: desk.NoticeClaimed, card: true},
			P: {status: P, notice: desk.NoticeClaimed, card: true},
			R: {status: R, notice: desk.NoticeClaimed, card: true},
			C: refused(desk.RefuseClosed),
		},
		"assign": {I: refused(desk.RefuseInIntake),
			N: {status: O, notice: desk.NoticeClaimed, facts: fr, card: true},
			O: {status: O, notice: desk.NoticeClaimed, card: true},
			P: {status: P, notice: desk.NoticeClaimed, card: true},
			R: {status: R, notice: desk.NoticeClaimed, card: true},
			C: refused(desk.RefuseClosed),
		},
		"tag":      {I: refused(desk.RefuseInIntake), N: {status: N, card: true}, O: {status: O, card: true}, P: {status: P, card: true}, R: {status: R, card: true}, C: refused(desk.RefuseClosed)},
		"priority": {I: refused(desk.RefuseInIntake), N: {status: N, card: true}, O: {status: O, card: true}, P: {status: P, card: true}, R: {status: R, card: true}, C: refused(desk.RefuseClosed)},
		"pending": {I: refused(desk.RefuseInIntake),
			N: {status: P, notice: desk.NoticePending, card: true},
			O: {status: P, notice: desk.NoticePending, card: true},
			P: refused(desk.RefuseAlreadyStatus), R: refused(desk.RefuseAlreadyStatus), C: refused(desk.RefuseClosed),
		},
		"resolve": {I: refused(desk.RefuseInIntake),
			N: {status: R, notice: desk.NoticeResolved, facts: []desk.FactKind{desk.FactResolved}, card: true, rating: true},
			O: {status: R, notice: desk.NoticeResolved, facts: []desk.FactKind{desk.FactResolved}, card: true, rating: true},
			P: {status: R, notice: desk.NoticeResolved, facts: []desk.FactKind{desk.FactResolved}, card: true, rating: true},
			R: refused(desk.RefuseAlreadyStatus), C: refused(desk.RefuseClosed),
		},
		"reopen": {I: refused(desk.RefuseInIntake),
			N: refused(desk.RefuseCannotReopen), O: refused(desk.RefuseCannotReopen),
			P: {status: O, notice: desk.NoticeReopened, card: true},
			R: {status: O, notice: desk.NoticeReopened, card: true},
			C: refused(desk.RefuseClosed),
		},
		"close": {I: refused(desk.RefuseInIntake),
			N: {status: C, notice: desk.NoticeClosed, card: true}, O: {status: C, notice: desk.NoticeClosed, card: true},
			P: {status: C, notice: desk.NoticeClosed, card: true}, R: {status: C, notice: desk.NoticeClosed, card: true},
			C: refused(desk.RefuseClosed),
		},
		"rate": {I: refused(desk.RefuseInIntake),
			N: refused(desk.RefuseRatingNotAllowed), O: refused(desk.RefuseRatingNotAllowed), P: refused(desk.RefuseRatingNotAllowed),
			R: {status: R, facts: []desk.FactKind{desk.FactRating}, card: true},
			C: {status: C, facts: []desk.FactKind{desk.FactRating}, card: true},
		},
		"comment": {I: refused(desk.RefuseInIntake), // none of these tickets is rated yet
			N: refused(desk.RefuseRatingNotAllowed), O: refused(desk.RefuseRatingNotAllowed), P: refused(desk.RefuseRatingNotAllowed),
			R: refused(desk.RefuseRatingNotAllowed), C: refused(desk.RefuseRatingNotAllowed),
		},
		"respond": {I: refused(desk.RefuseInIntake),
			N: {status: O, facts: fr, card: true}, O: {status: O}, P: {status: P}, R: {status: R}, C: {status: C},
		},
		"wrote": {I: {status: I},
			N: {status: N}, O: {status: O},
			P: {status: O, card: true},
			R: {status: O, notice: desk.NoticeReopened, card: true},
			C: refused(desk.RefuseClosed),
		},
	}
	for name, s := range steps {
		for _, status := range desk.Statuses {
			w, ok := table[name][status]
			if !ok {
				t.Fatalf("no expectation for %s on %s", name, status)
			}
			t.Run(name+"/"+string(status), func(t *testing.T) {
				before := ticketIn(status)
				o, err := before.Take(s.step, s.by, now, policy)
				check(t, before, o, err, w)
			})
		}
	}
}

// check compares what Take did with w, and that a refusal or an outcome is whole: a refusal
// changes nothing, an outcome always records the activity.
func check(t *testing.T, before desk.Ticket, o desk.Outcome, err error, w want) {
	t.Helper()
	if w.refused != "" {
		var r *desk.Refusal
		if !errors.As(err, &r) || r.Reason != w.refused {
			t.Fatalf("got %v, want refusal %s", err, w.refused)
		}
		if r.Ticket != before.ID || r.Status != before.Status {
			t.Errorf("refusal names ticket %s in %s, want %s in %s", r.Ticket, r.Status, before.ID, before.Status)
		}
		return
	}
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	if o.Ticket.Status != w.status || o.Was != before.Status {
		t.Errorf("status %s → %s, want %s → %s", o.Was, o.Ticket.Status, before.Status, w.status)
	}
	if !o.Ticket.LastActivityAt.Equal(now) {
		t.Errorf("last activity %v, want %v", o.Ticket.LastActivityAt, now)
	}
	var notices []desk.NoticeKind
	var facts []desk.FactKind
	card, rating := false, false
	for _, e := range o.Effects {
		switch e.Kind {
		case desk.EffectNotify:
			notices = append(notices, e.Notice)
		case desk.EffectFact:
			facts = append(facts, e.Fact.Kind)
			if e.Fact.Ticket != before.ID || !e.Fact.At.Equal(now) {
				t.Errorf("fact %+v, want ticket %s at %v", e.Fact, before.ID, now)
			}
		case desk.EffectCard:
			card = true
		case desk.EffectAskRating:
			rating = true
		}
	}
	var wantNotices []desk.NoticeKind
	if w.notice != "" {
		wantNotices = []desk.NoticeKind{w.notice}
	}
	if fmt.Sprint(notices) != fmt.Sprint(wantNotices) || fmt.Sprint(facts) != fmt.Sprint(w.facts) || card != w.card || rating != w.rating {
		t.Errorf("effects: notices %v facts %v card %v rating %v; want %v %v %v %v", notices, facts, card, rating, wantNotices, w.facts, w.card, w.rating)
	}
	if o.Changed() && (len(o.Entries) != 1 || o.Entries[0].Kind != "status" || !strings.HasPrefix(o.Entries[0].Text, string(before.Status)+" → "+string(w.status))) {
		t.Errorf("history %+v, want one status line", o.Entries)
	}
}

// TestPeopleWhoAreNotAgents: every agents' step is refused to a person who is not an agent,
// whatever the ticket's status, and the refusal comes before any other.
func TestPeopleWhoAreNotAgents(t *testing.T) {
	for _, k := range []desk.StepKind{desk.StepClaim, desk.StepAssign, desk.StepTag, desk.StepPriority, desk.StepPending,
		desk.StepResolve, desk.StepReopen, desk.StepClose, desk.StepRespond} {
		for _, status := range desk.Statuses {
			_, err := ticketIn(status).Take(desk.Step{Kind: k, Assignee: &agentA, Priority: desk.PriorityLow}, stranger, now, policy)
			if r, ok := errors.AsType[*desk.Refusal](err); !ok || r.Reason != desk.RefuseNotAgent {
				t.Errorf("%s on %s by a stranger: %v, want %s", k, status, err, desk.RefuseNotAgent)
			}
		}
	}
}

func TestRefusals(t *testing.T) {
	open := ticketIn(desk.StatusOpen)
	rated := ticketIn(desk.StatusResolved)
	rated.Rating = 3
	bad, unknown := "Nonsense", desk.Priority("sky-high")
	cust := desk.PersonActor(customer, false)
	tests := []struct {
		name   string
		t      desk.Ticket
		step   desk.Step
		by     desk.Actor
		reason desk.RefusalReason
		value  string
	}{
		{"claim one's own", open, desk.Step{Kind: desk.StepClaim}, agentB, desk.RefuseAlreadyYours, ""},
		{"a timer claims", open, desk.Step{Kind: desk.StepClaim}, desk.TimerActor, desk.RefuseNotAgent, "Timer"},
		{"assign to the assignee", open, desk.Step{Kind: desk.StepAssign, Assignee: &agentB}, agentA, desk.RefuseAlreadyAssigned, "Bob"},
		{"assign to a non-agent", open, desk.Step{Kind: desk.StepAssign, Assignee: &stranger}, agentA, desk.RefuseAssigneeNotAgent, "Xavier"},
		{"assign to nobody", open, desk.Step{Kind: desk.StepAssign}, agentA, desk.RefuseAssigneeNotAgent, ""},
		{"unknown category", open, desk.Step{Kind: desk.StepTag, Category: &bad}, agentA, desk.RefuseBadCategory, "Nonsense"},
		{"unknown priority in a tag", open, desk.Step{Kind: desk.StepTag, Priority: unknown}, agentA, desk.RefuseBadPriority, "sky-high"},
		{"unknown priority", open, desk.Step{Kind: desk.StepPriority, Priority: unknown}, agentA, desk.RefuseBadPriority, "sky-high"},
		{"rate by someone else", ticketIn(desk.StatusResolved), desk.Step{Kind: desk.StepRate, Rating: 5}, agentA, desk.RefuseRatingNotAllowed, ""},
		{"rate 0", ticketIn(desk.StatusResolved), desk.Step{Kind: desk.StepRate, Rating: 0}, cust, desk.RefuseRatingNotAllowed, ""},
		{"rate 6", ticketIn(desk.StatusResolved), desk.Step{Kind: desk.StepRate, Rating: 6}, cust, desk.RefuseRatingNotAllowed, ""},
		{"rate twice", rated, desk.Step{Kind: desk.StepRate, Rating: 5}, cust, desk.RefuseRatingNotAllowed, ""},
		{"empty comment", rated, desk.Step{Kind: desk.StepComment, Comment: "  "}, cust, desk.RefuseRatingNotAllowed, ""},
		{"comment by someone else", rated, desk.Step{Kind: desk.StepComment, Comment: "hi"}, agentA, desk.RefuseRatingNotAllowed, ""},
		{"unknown step", open, desk.Step{Kind: "dance"}, agentA, desk.RefuseUnknownStep, "dance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.t.Take(tt.step, tt.by, now, policy)
			r, ok := errors.AsType[*desk.Refusal](err)
			if !ok || r.Reason != tt.reason || r.Value != tt.value {
				t.Fatalf("got %v, want %s (%q)", err, tt.reason, tt.value)
			}
		})
	}
}

func TestStepDetails(t *testing.T) {
	t.Run("take never changes the ticket it is given", func(t *testing.T) {
		before := ticketIn(desk.StatusOpen)
		before.Tags = []string{"a", "b"}
		o, err := before.Take(desk.Step{Kind: desk.StepTag, Tags: []string{"-a", "c"}}, agentA, now, policy)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(before.Tags, []string{"a", "b"}) || !slices.Equal(o.Ticket.Tags, []string{"b", "c"}) {
			t.Errorf("tags before %v after %v", before.Tags, o.Ticket.Tags)
		}
	})
	t.Run("the tag form replaces the list and may clear the category", func(t *testing.T) {
		before := ticketIn(desk.StatusOpen)
		before.Category, before.Tags = "Billing", []string{"x"}
		empty, set := "", []string{"y", "z"}
		o, err := before.Take(desk.Step{Kind: desk.StepTag, Category: &empty, SetTags: &set}, agentA, now, policy)
		if err != nil || o.Ticket.Category != "" || !slices.Equal(o.Ticket.Tags, set) || o.Ticket.Priority != desk.PriorityNormal {
			t.Fatalf("got %+v, %v", o.Ticket, err)
		}
	})
	t.Run("claim credits the first response to the claimer and names them to the customer", func(t *testing.T) {
		o, err := ticketIn(desk.StatusNew).Take(desk.Step{Kind: desk.StepClaim}, agentA, now, policy)
		if err != nil {
			t.Fatal(err)
		}
		if o.Ticket.Assignee != "A1" || o.Ticket.AssigneeName != "Ann" || !o.Ticket.FirstResponseAt.Equal(now) {
			t.Errorf("ticket %+v", o.Ticket)
		}
		for _, e := range o.Effects {
			if e.Kind == desk.EffectFact && (e.Fact.Agent != "A1" || e.Fact.Value != int64(now.Sub(t0).Seconds())) {
				t.Errorf("fact %+v", e.Fact)
			}
			if e.Kind == desk.EffectNotify && e.Agent != "Ann" {
				t.Errorf("notice %+v", e)
			}
		}
		if len(o.Entries) != 1 || o.Entries[0].Author != "A1" || o.Entries[0].Text != "new → open" {
			t.Errorf("history %+v", o.Entries)
		}
	})
	t.Run("assign names the assignee in the history", func(t *testing.T) {
		o, _ := ticketIn(desk.StatusOpen).Take(desk.Step{Kind: desk.StepAssign, Assignee: &agentA}, agentB, now, policy)
		if len(o.Entries) != 1 || o.Entries[0].Text != "assign (assigned to Ann)" || o.Entries[0].Author != "A2" {
			t.Errorf("history %+v", o.Entries)
		}
	})
	t.Run("resolve credits the assignee, or the resolver when there is none", func(t *testing.T) {
		for _, tt := range []struct {
			assignee, want string
		}{{"A2", "A2"}, {"", "A1"}} {
			before := ticketIn(desk.StatusOpen)
			before.Assignee = tt.assignee
			o, _ := before.Take(desk.Step{Kind: desk.StepResolve}, agentA, now, policy)
			for _, e := range o.Effects {
				if e.Kind == desk.EffectFact && (e.Fact.Agent != tt.want || e.Fact.Value != int64(now.Sub(t0).Seconds())) {
					t.Errorf("assignee %q: fact %+v, want credit to %s", tt.assignee, e.Fact, tt.want)
				}
			}
		}
	})
	t.Run("a timer resolves without asking for a rating", func(t *testing.T) {
		o, err := ticketIn(desk.StatusPending).Take(desk.Step{Kind: desk.StepResolve}, desk.TimerActor, now, policy)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range o.Effects {
			if e.Kind == desk.EffectAskRating {
				t.Error("a timer's resolution asks for a rating")
			}
		}
		if o.Entries[0].Author != "timer" {
			t.Errorf("history %+v, want the timer as author", o.Entries)
		}
	})
	t.Run("a rated ticket is not asked again when resolved again", func(t *testing.T) {
		before := ticketIn(desk.StatusOpen)
		before.Rating = 5
		o, _ := before.Take(desk.Step{Kind: desk.StepResolve}, agentA, now, policy)
		for _, e := range o.Effects {
			if e.Kind == desk.EffectAskRating {
				t.Error("asked for a rating twice")
			}
		}
	})
	t.Run("a comment on a rated ticket", func(t *testing.T) {
		before := ticketIn(desk.StatusClosed)
		before.Rating = 2
		o, err := before.Take(desk.Step{Kind: desk.StepComment, Comment: "  too slow "}, desk.PersonActor(customer, false), now, policy)
		if err != nil || o.Ticket.RatingComment != "too slow" || o.Entries[0].Text != "comment: too slow" {
			t.Fatalf("got %+v %+v, %v", o.Ticket, o.Entries, err)
		}
	})
	t.Run("the rating credits the assignee", func(t *testing.T) {
		o, _ := ticketIn(desk.StatusResolved).Take(desk.Step{Kind: desk.StepRate, Rating: 4}, desk.PersonActor(customer, false), now, policy)
		if o.Ticket.Rating != 4 || o.Entries[0].Text != "rated 4/5" {
			t.Errorf("got %+v %+v", o.Ticket, o.Entries)
		}
		for _, e := range o.Effects {
			if e.Kind == desk.EffectFact && (e.Fact.Agent != "A2" || e.Fact.Value != 4) {
				t.Errorf("fact %+v", e.Fact)
			}
		}
	})
	t.Run("the first agent to answer an unassigned ticket is given it", func(t *testing.T) {
		for _, status := range []desk.Status{desk.StatusNew, desk.StatusOpen, desk.StatusPending} {
			before := ticketIn(status)
			before.Assignee, before.AssigneeName = "", ""
			o, err := before.Take(desk.Step{Kind: desk.StepRespond}, agentA, now, policy)
			if err != nil || o.Ticket.Assignee != "A1" || o.Ticket.AssigneeName != "Ann" {
				t.Fatalf("%s: %+v, %v", status, o.Ticket, err)
			}
			want := "assigned to Ann, the first to answer"
			if status == desk.StatusNew {
				want = "new → open (assigned to Ann, the first to answer)"
			}
			if len(o.Entries) != 1 || o.Entries[0].Text != want || o.Effects[0].Kind != desk.EffectCard {
				t.Errorf("%s: history %+v effects %+v, want %q and the card", status, o.Entries, o.Effects, want)
			}
			// The next answer, by someone else, changes nothing.
			o2, _ := o.Ticket.Take(desk.Step{Kind: desk.StepRespond}, agentB, now, policy)
			if o2.Ticket.Assignee != "A1" || len(o2.Entries) != 0 || len(o2.Effects) != 0 {
				t.Errorf("%s: a second answer gave %+v %+v", status, o2.Entries, o2.Effects)
			}
		}
	})
	t.Run("messages on an open ticket add no history line", func(t *testing.T) {
		o, _ := ticketIn(desk.StatusOpen).Take(desk.Step{Kind: desk.StepRespond}, agentA, now, policy)
		if len(o.Entries) != 0 || len(o.Effects) != 0 {
			t.Errorf("entries %+v effects %+v", o.Entries, o.Effects)
		}
	})
}

// TestResolvedCloseTimer: with a policy that closes resolved tickets, resolving sets the
// timer, leaving the resolved state cancels it, and a timer that comes after a reopening is
// refused as stale.
func TestResolvedCloseTimer(t *testing.T) {
	p := desk.Policy{ResolvedClose: 7 * 24 * time.Hour}
	timers := func(o desk.Outcome) []desk.Effect {
		var out []desk.Effect
		for _, e := range o.Effects {
			if e.Kind == desk.EffectTimer {
				out = append(out, e)
			}
		}
		return out
	}
	o, err := ticketIn(desk.StatusOpen).Take(desk.Step{Kind: desk.StepResolve}, agentA, now, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := timers(o); len(got) != 1 || got[0].Timer != desk.TimerClose || !got[0].At.Equal(now.Add(7*24*time.Hour)) {
		t.Errorf("timers after resolve: %+v", got)
	}
	for _, s := range []desk.Step{{Kind: desk.StepReopen}, {Kind: desk.StepClose}} {
		o, err := ticketIn(desk.StatusResolved).Take(s, agentA, now, p)
		if err != nil {
			t.Fatal(err)
		}
		if got := timers(o); len(got) != 1 || got[0].Timer != desk.TimerClose || !got[0].At.IsZero() {
			t.Errorf("timers after %s of a resolved ticket: %+v, want the close cancelled", s.Kind, got)
		}
	}
	o, _ = ticketIn(desk.StatusResolved).Take(desk.Step{Kind: desk.StepWrote}, desk.PersonActor(customer, false), now, p)
	if got := timers(o); len(got) != 1 || !got[0].At.IsZero() {
		t.Errorf("timers after the customer wrote on a resolved ticket: %+v, want the close cancelled", got)
	}
	o, err = ticketIn(desk.StatusResolved).Take(desk.Step{Kind: desk.StepClose}, desk.TimerActor, now, p)
	if err != nil || o.Ticket.Status != desk.StatusClosed || o.Entries[0].Author != "timer" {
		t.Errorf("the timer's close of a resolved ticket: %+v, %v", o, err)
	}
	for _, s := range []desk.Status{desk.StatusNew, desk.StatusOpen, desk.StatusPending} {
		if _, err := ticketIn(s).Take(desk.Step{Kind: desk.StepClose}, desk.TimerActor, now, p); !isRefusal(err, desk.RefuseStale) {
			t.Errorf("the timer's close of a %s ticket: %v, want stale", s, err)
		}
	}
	// Without the policy, no timers.
	o, _ = ticketIn(desk.StatusOpen).Take(desk.Step{Kind: desk.StepResolve}, agentA, now, policy)
	if got := timers(o); len(got) != 0 {
		t.Errorf("timers without the policy: %+v", got)
	}
}

func isRefusal(err error, reason desk.RefusalReason) bool {
	r, ok := errors.AsType[*desk.Refusal](err)
	return ok && r.Reason == reason
}

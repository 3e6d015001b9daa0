package desk_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
)

func TestFill(t *testing.T) {
	got := desk.Fill("Hi {customer}, {agent} here about {ticket}. {customer}? {other}", desk.Values{Customer: "Ada", Agent: "Bob", Ticket: "#12"})
	if want := "Hi Ada, Bob here about #12. Ada? {other}"; got != want {
		t.Errorf("Fill = %q, want %q", got, want)
	}
}

func TestCannedReplyIsFoundInAnyLetterCase(t *testing.T) {
	p := desk.Policy{Canned: []desk.Canned{{Name: "Restart", Text: "Hi"}}}
	if c, ok := p.CannedReply("restart"); !ok || c.Text != "Hi" {
		t.Errorf("CannedReply(restart) = %+v, %v", c, ok)
	}
	if _, ok := p.CannedReply("nope"); ok {
		t.Error("CannedReply(nope) found")
	}
}

// TestReplyWithChanges checks a canned reply's changes on every status a ticket can be
// answered in: the response always comes first, a change the ticket already has is left out,
// and a change the rules refuse refuses the whole reply.
func TestReplyWithChanges(t *testing.T) {
	cases := []struct {
		name     string
		from     desk.Status
		set      desk.Changes
		steps    []desk.StepKind
		status   desk.Status
		tags     []string
		priority desk.Priority
		refused  desk.RefusalReason
	}{
		{name: "plain reply to a new ticket", from: desk.StatusNew,
			steps: []desk.StepKind{desk.StepRespond}, status: desk.StatusOpen},
		{name: "pending", from: desk.StatusNew, set: desk.Changes{Status: desk.StatusPending},
			steps: []desk.StepKind{desk.StepRespond, desk.StepPending}, status: desk.StatusPending},
		{name: "pending when pending is just a reply", from: desk.StatusPending, set: desk.Changes{Status: desk.StatusPending},
			steps: []desk.StepKind{desk.StepRespond}, status: desk.StatusPending},
		{name: "open from pending", from: desk.StatusPending, set: desk.Changes{Status: desk.StatusOpen},
			steps: []desk.StepKind{desk.StepRespond, desk.StepReopen}, status: desk.StatusOpen},
		{name: "tags, priority and resolve, in that order", from: desk.StatusOpen,
			set:   desk.Changes{Status: desk.StatusResolved, Tags: []string{"needs-info", "-vip"}, Priority: desk.PriorityHigh},
			steps: []desk.StepKind{desk.StepRespond, desk.StepTag, desk.StepPriority, desk.StepResolve}, status: desk.StatusResolved,
			tags: []string{"billing", "needs-info"}, priority: desk.PriorityHigh},
		{name: "close", from: desk.StatusOpen, set: desk.Changes{Status: desk.StatusClosed},
			steps: []desk.StepKind{desk.StepRespond, desk.StepClose}, status: desk.StatusClosed},
		{name: "pending on a resolved ticket is refused", from: desk.StatusResolved, set: desk.Changes{Status: desk.StatusPending},
			refused: desk.RefuseAlreadyStatus},
		{name: "a ticket still with the bot is refused", from: desk.StatusIntake, refused: desk.RefuseInIntake},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tk := ticketIn(c.from)
			tk.Tags = []string{"billing", "vip"}
			outs, err := tk.Reply(c.set, agentA, now, policy)
			if c.refused != "" {
				var r *desk.Refusal
				if !errors.As(err, &r) || r.Reason != c.refused {
					t.Fatalf("Reply = %v, want refused %s", err, c.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var steps []desk.StepKind
			for _, o := range outs {
				steps = append(steps, o.Step)
			}
			if !slices.Equal(steps, c.steps) {
				t.Fatalf("steps %v, want %v", steps, c.steps)
			}
			last := outs[len(outs)-1].Ticket
			if last.Status != c.status {
				t.Errorf("status %s, want %s", last.Status, c.status)
			}
			if c.tags != nil && !slices.Equal(last.Tags, c.tags) {
				t.Errorf("tags %v, want %v", last.Tags, c.tags)
			}
			if c.priority != "" && last.Priority != c.priority {
				t.Errorf("priority %s, want %s", last.Priority, c.priority)
			}
			if last.FirstResponseAt.IsZero() {
				t.Error("the reply is not the ticket's response")
			}
			if slices.Equal(tk.Tags, last.Tags) && c.tags != nil {
				t.Error("the original ticket's tags were changed in place")
			}
		})
	}
}

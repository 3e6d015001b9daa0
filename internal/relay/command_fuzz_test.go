package relay

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/desktest"
)

// commandStore is the little of a store that /desk commands read without a lead's rights: one
// open ticket, number 7, and nothing else. Any other method is the embedded nil interface's and
// panics, so a command reaching further than that shows in the fuzz target.
type commandStore struct {
	desk.Store
	ticket desk.Ticket
}

func (s *commandStore) Ticket(_ context.Context, id desk.TicketID) (desk.Ticket, error) {
	if id != s.ticket.ID {
		return desk.Ticket{}, desk.ErrNotFound
	}
	t := s.ticket
	t.Tags = slices.Clone(t.Tags)
	return t, nil
}

func (s *commandStore) FindTickets(context.Context, desk.TicketFilter) (desk.TicketPage, error) {
	return desk.TicketPage{Tickets: []desk.Ticket{s.ticket}}, nil
}

func (s *commandStore) QueryTickets(context.Context, desk.TicketQuery) (desk.TicketResult, error) {
	return desk.TicketResult{Tickets: []desk.Ticket{s.ticket}, Total: 1}, nil
}

func (s *commandStore) Transcript(context.Context, desk.TicketID) ([]desk.Entry, error) {
	return []desk.Entry{{At: s.ticket.CreatedAt, Name: "Casey", Kind: "message", Text: "@here the printer <!channel>"}}, nil
}

// fixedClock is a clock that always tells the same time: commands read it, none waits.
type fixedClock time.Time

func (c fixedClock) Now() time.Time                     { return time.Time(c) }
func (fixedClock) After(time.Duration) <-chan time.Time { return nil }

func (s *commandStore) CountByStatus(context.Context) (map[desk.Status]int64, error) {
	return map[desk.Status]int64{s.ticket.Status: 1}, nil
}

// FuzzCommand runs any /desk command text from an agent and checks what a command answers:
// either one private answer to the agent in the channel they typed in, or a refusal the agent
// is told (a wrong call, an unknown ticket); never another error, never a panic. It also checks
// the pieces the command line is read with: the ticket number a command acts on, tags and
// the statistics period.
func FuzzCommand(f *testing.F) {
	for _, s := range []string{
		"", "help", "status", "list", "list mine", "list PENDING", "list a b", "find printer broken",
		"show 7", "show #7", "show 8", "claim 7", "claim 7 now", "assign 7 @alex", "assign 7 nobody",
		"tag 7 billing, #urgent vip", "tag 7 -vip", "priority 7 HIGH", "priority 7 extreme", "pending 7",
		"resolve 7", "reopen 7", "close 7", "stats 30d", "reload", "kb search reset", "kb show x",
		"send 7 reset-password", "reply 7 restart", "dashboard", "dashboard revoke @alex", "frobnicate @here",
		"claim 99999999999999999999", "claim -3", "claim 7:4", "\u00a0claim\t7\n",
	} {
		f.Add(s)
	}
	p := desktest.New("fake", desk.Limits{MaxText: 4000})
	agent := desk.User{ID: "U-AGENT", Name: "alex", DisplayName: "Alex"}
	p.AddAgent(agent)
	p.AddUser(desk.User{ID: "U-CUST", Name: "casey", DisplayName: "Casey"})
	now := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	store := &commandStore{ticket: desk.Ticket{
		ID: 7, Platform: "fake", Status: desk.StatusOpen, Priority: desk.PriorityNormal, Subject: "Printer",
		Customer: desk.User{ID: "U-CUST", Name: "casey"}, DMChannel: "D-CUST", CreatedAt: now.Add(-time.Hour),
		LastActivityAt: now.Add(-time.Hour), Tags: []string{"vip"},
	}}
	r, err := New(Options{
		Store: store, Platforms: []desk.Platform{p}, Clock: fixedClock(now),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, text string) {
		ev := desk.Event{
			ID: "cmd-1", Platform: "fake", Kind: desk.CommandRun, At: now, User: desk.User{ID: agent.ID},
			Channel: "C-ANY", Text: text, Action: "/desk",
		}
		d, err := r.runCommand(ctx, p, desk.Queued{Event: ev})
		if err != nil {
			if _, ok := r.refusalText(err, r.text(), p.Quote); !ok {
				t.Fatalf("/desk %q: error that is no refusal: %v", text, err)
			}
		} else {
			answers := 0
			for _, task := range d.tasks {
				if task.Kind == desk.TaskPost && task.Message.Ephemeral == agent.ID {
					answers++
					if task.Message.Channel != ev.Channel || task.Message.Text == "" {
						t.Fatalf("/desk %q: answer %+v is not a text in the agent's channel", text, task.Message)
					}
				}
			}
			if answers != 1 {
				t.Fatalf("/desk %q: %d answers to the agent, want 1 (tasks %+v)", text, answers, d.tasks)
			}
		}

		fields := strings.Fields(text)
		id := commandTicket(text)
		switch {
		case id < 0:
			t.Fatalf("commandTicket(%q) = %d", text, id)
		case id > 0:
			head, _, _ := strings.Cut(strings.TrimPrefix(fields[1], "#"), ":")
			if n, err := strconv.ParseInt(head, 10, 64); err != nil || desk.TicketID(n) != id {
				t.Fatalf("commandTicket(%q) = %d, not the number in %q", text, id, fields[1])
			}
			if got := ticketOf(id.String()); got != id {
				t.Fatalf("ticketOf(%q) = %d, want %d", id.String(), got, id)
			}
		}

		tags := splitTags(text)
		for i, tag := range tags {
			if tag == "" || strings.ContainsAny(tag, ", \n") || !strings.Contains(text, tag) || slices.Contains(tags[:i], tag) {
				t.Fatalf("splitTags(%q) = %q: tag %q is empty, repeated, holds a separator or is not in the text", text, tags, tag)
			}
		}

		if len(fields) > 0 {
			from, to, days, ok := period(now, fields[1:])
			if ok && (!from.Before(to) || to.Before(now) || (days != "" && days != strconv.Itoa(int(to.Sub(from).Round(24*time.Hour)/(24*time.Hour))))) {
				t.Fatalf("period(%q) = %v, %v, %q: not a period ending now of that many days", fields[1:], from, to, days)
			}
		}
	})
}

package relay_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/relay"
)

// readCounter is a store that counts the tickets its reads return.
type readCounter struct {
	desk.Store
	tickets atomic.Int64
}

func (c *readCounter) FindTickets(ctx context.Context, f desk.TicketFilter) (desk.TicketPage, error) {
	p, err := c.Store.FindTickets(ctx, f)
	c.tickets.Add(int64(len(p.Tickets)))
	return p, err
}

func (c *readCounter) QueryTickets(ctx context.Context, q desk.TicketQuery) (desk.TicketResult, error) {
	r, err := c.Store.QueryTickets(ctx, q)
	c.tickets.Add(int64(len(r.Tickets)))
	return r, err
}

func (c *readCounter) TicketsByID(ctx context.Context, ids []desk.TicketID) ([]desk.Ticket, error) {
	ts, err := c.Store.TicketsByID(ctx, ids)
	c.tickets.Add(int64(len(ts)))
	return ts, err
}

// TestStatusAndListReadAPage: with more active tickets than one answer shows, /desk status
// counts them from the indexes and /desk list shows a screenful and how many more, each
// reading about one page of tickets, not every active ticket.
func TestStatusAndListReadAPage(t *testing.T) {
	counter := &readCounter{}
	d := newDesk(t, func(o *relay.Options) {
		counter.Store = o.Store
		o.Store = counter
	})
	ctx := context.Background()
	const n = 130
	for i := range n {
		tk, _, err := d.store.OpenTicket(ctx, desk.Ticket{Platform: "fake", Status: desk.StatusNew,
			Customer:  desk.User{ID: fmt.Sprintf("UX%03d", i), DisplayName: fmt.Sprintf("Customer X%03d", i)},
			DMChannel: fmt.Sprintf("D-X%03d", i), CreatedAt: d.clock.Now(), LastActivityAt: d.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			tk.Status, tk.Assignee, tk.AssigneeName, tk.Priority = desk.StatusOpen, "A1", "Agent A1", desk.PriorityHigh
			if err := d.store.Apply(ctx, desk.SaveTicket{Ticket: tk}); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		command string
		want    []string
		lines   int   // lines of the answer
		most    int64 // tickets read
	}{
		{"status", []string{"130 active (65 new, 65 open, 0 pending), 65 unassigned", "By priority: 0 urgent, 65 high, 65 normal, 0 low.",
			"Oldest waiting for an answer: #2 from «Customer X001»"}, 0, 20},
		{"find customer", []string{"#130 [new", "… and more"}, 51, 55},
		{"list", []string{"#1 [open, high] «Customer X000» · «Agent A1»", "… and 80 more"}, 51, 55},
		{"list mine", []string{"#1 [open", "#3 [open", "… and 15 more"}, 51, 55},
		{"list unassigned", []string{"#2 [new", "… and 15 more"}, 51, 55},
		{"list pending", []string{"No tickets found"}, 1, 5},
	}
	for _, tt := range tests {
		before := counter.tickets.Load()
		got := d.command("A1", "C-TRIAGE", tt.command)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("/desk %s = %q, want it to hold %q", tt.command, got, w)
			}
		}
		if tt.command == "status" && strings.Contains(got, "SLA:") {
			t.Errorf("/desk status = %q: an SLA line without a clock running", got)
		}
		if tt.lines > 0 && strings.Count(got, "\n")+1 != tt.lines {
			t.Errorf("/desk %s has %d lines, want %d", tt.command, strings.Count(got, "\n")+1, tt.lines)
		}
		if read := counter.tickets.Load() - before; read > tt.most {
			t.Errorf("/desk %s read %d tickets, want at most %d", tt.command, read, tt.most)
		}
	}
}

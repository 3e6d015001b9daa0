package desk

// Erasure: a lead may export everything the desk stores about one customer (/desk export) or
// have it forgotten (/desk forget). A customer is known by their platform and user ID; their
// tickets are the one the customer pointer names and the closed ones before it (Previous).

// CustomerData is everything the store holds about one customer on a platform.
type CustomerData struct {
	Platform string
	UserID   string
	// Tickets are the customer's tickets, newest first.
	Tickets []TicketData
}

// TicketData is one ticket of a customer with everything stored about it.
type TicketData struct {
	Ticket     Ticket
	Transcript []Entry
	// Links are the mirrored messages of the ticket: what each source message was copied as.
	Links []Link
	// Joins are the joined posts the ticket's messages went in (Link.Join): what each carries.
	Joins []Join
	// Held are the customer's messages the first-line bot still holds back.
	Held []Event
	// Facts are the statistics facts recorded about the ticket.
	Facts []Fact
}

// Active returns the customer's tickets that are not closed.
func (c CustomerData) Active() []TicketID {
	var out []TicketID
	for _, t := range c.Tickets {
		if t.Ticket.Status != StatusClosed {
			out = append(out, t.Ticket.ID)
		}
	}
	return out
}

// Messages counts the messages (the customer's, the agents' replies and notes) in the
// customer's tickets' histories.
func (c CustomerData) Messages() int {
	n := 0
	for _, t := range c.Tickets {
		for _, e := range t.Transcript {
			if e.Kind == "customer" || e.Kind == "agent" || e.Kind == "note" {
				n++
			}
		}
	}
	return n
}

// ForgetReport says what Store.Forget erased.
type ForgetReport struct {
	Tickets []TicketID // the customer's tickets, newest first
	Entries int        // history entries removed
	Links   int        // mirrored-message links removed
}

// EntryForgotten and EntryExported are the history entries that record, with who and when
// and no content, that a lead had a customer's data forgotten or exported.
const (
	EntryForgotten = "forgotten"
	EntryExported  = "exported"
)

package relay

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// Erasure (/desk forget @user, leads): the lead is shown privately what will be erased and a
// Forget button. Its press goes through the queue in the customer's own shard (the button's
// value starts with the customer's latest ticket number), so it is handled in order with the
// customer's messages, once, by whichever replica holds that shard. A customer with a ticket
// still active is refused, naming it: erasing a conversation under way would leave the agents
// and the customer talking into nothing, so the lead closes it first on purpose. Then the
// app's copies of the customer's messages in the triage threads are deleted (what the
// platform refuses is reported), the store forgets the customer (Store.Forget) and the
// tickets' cards are shown again without their name. The copies of the agents' replies in the
// customer's own DM are the customer's and stay.

// The confirmation's buttons.
const (
	actionForget       = "forget"
	actionForgetCancel = "forget-cancel"
)

// forgetValue is the value of the confirmation's buttons: the customer's latest ticket (which
// routes the press to the customer's shard), the customer and the lead who asked.
func forgetValue(latest desk.TicketID, customer, lead string) string {
	return fmt.Sprintf("%d:%s:%s", latest, customer, lead)
}

// parseForgetValue reads forgetValue's parts.
func parseForgetValue(v string) (customer, lead string, ok bool) {
	_, rest, ok := strings.Cut(v, ":")
	i := strings.LastIndex(rest, ":")
	if !ok || i <= 0 || i == len(rest)-1 {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// ticketNumbers writes ticket numbers as "#3, #5".
func ticketNumbers(ids []desk.TicketID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	return strings.Join(s, ", ")
}

// customerData reads what is stored about u; found is false when nothing is.
func (r *Relay) customerData(ctx context.Context, p desk.Platform, userID string) (desk.CustomerData, bool, error) {
	c, err := r.store.CustomerData(ctx, p.Name(), userID)
	if errors.Is(err, desk.ErrNotFound) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("read what is stored about %s/%s: %w", p.Name(), userID, err)
	}
	return c, len(c.Tickets) > 0, nil
}

// threadCopies are the app's copies of the customer's messages in their tickets' threads.
func threadCopies(c desk.CustomerData) (refs []desk.MessageRef, tickets []desk.TicketID) {
	seen := map[desk.MessageRef]bool{}
	for _, t := range c.Tickets {
		for _, l := range t.Links {
			if l.Kind != desk.LinkCustomer {
				continue
			}
			for _, ref := range append(append([]desk.MessageRef(nil), l.Parts...), l.Files...) {
				if !seen[ref] { // a joined post carries several messages
					seen[ref] = true
					refs, tickets = append(refs, ref), append(tickets, t.Ticket.ID)
				}
			}
		}
	}
	return refs, tickets
}

// customerCommand answers /desk forget @user and /desk export @user (leads).
func (r *Relay) customerCommand(ctx context.Context, p desk.Platform, q desk.Queued, who desk.User, sub string, args []string, usage func() error) (decision, error) {
	var d decision
	ev := q.Event
	quote := quoterFor(p, ev)
	answer := func(text string, card *desk.Card) (decision, error) {
		if t, ok := r.answer(ctx, p, ev, text); ok {
			t.Message.Card = card
			d.task(t)
		}
		return d, nil
	}
	if !r.isLead(who) {
		return d, r.refuse(catalog.NotALead, map[string]any{"Command": r.opts.Command + " " + sub})
	}
	if len(args) != 1 {
		return d, usage()
	}
	u, err := r.findUser(ctx, p, args[0])
	if err != nil {
		return d, err
	}
	name := words(u.Label())
	c, found, err := r.customerData(ctx, p, u.ID)
	if err != nil {
		return d, err
	}
	if !found {
		return answer(r.say(quote, catalog.NothingStored, map[string]any{"User": name}), nil)
	}
	var ids []desk.TicketID
	for _, t := range c.Tickets {
		ids = append(ids, t.Ticket.ID)
	}
	if sub == "export" {
		return r.exportDecision(ctx, p, q, who, u, c)
	}
	if active := c.Active(); len(active) > 0 {
		return d, r.refuse(catalog.ForgetActive, map[string]any{"User": name, "Numbers": ticketNumbers(active), "Command": r.opts.Command})
	}
	copies, _ := threadCopies(c)
	text := r.say(quote, catalog.ForgetConfirm, map[string]any{"User": name, "Tickets": len(ids), "Numbers": ticketNumbers(ids),
		"Messages": c.Messages(), "Copies": len(copies)})
	value := forgetValue(ids[0], u.ID, who.ID)
	card := &desk.Card{Text: text, Actions: []desk.Action{
		{ID: actionForget, Label: r.text().Text(catalog.ButtonForget, nil), Value: value, Style: "danger"},
		{ID: actionForgetCancel, Label: r.text().Text(catalog.ButtonCancel, nil), Value: value},
	}}
	return answer(text, card)
}

// forgetPressed carries out a press of the confirmation's Forget or Cancel.
func (r *Relay) forgetPressed(ctx context.Context, p desk.Platform, q desk.Queued) error {
	ev := q.Event
	customer, lead, ok := parseForgetValue(ev.Value)
	if !ok {
		return r.drop(ctx, q, desk.DropUnknownAction)
	}
	who := r.who(ctx, p, ev.User)
	agent, err := r.isAgent(ctx, p, who)
	if err != nil {
		return fmt.Errorf("check whether %s is an agent: %w", who.ID, err)
	}
	command := r.opts.Command
	if !agent || !r.isLead(who) {
		return r.refused(ctx, p, q, r.refuse(catalog.NotALead, map[string]any{"Command": command + " forget"}))
	}
	if who.ID != lead {
		return r.refused(ctx, p, q, r.refuse(catalog.ForgetNotYours, map[string]any{"Command": command}))
	}
	quote := quoterFor(p, ev)
	u := r.who(ctx, p, desk.User{ID: customer})
	name := words(u.Label())
	var d decision
	answer := func(text string) error {
		if t, ok := r.answer(ctx, p, ev, text); ok {
			d.task(t)
		}
		return r.commit(ctx, q, d)
	}
	if ev.Action == actionForgetCancel {
		return answer(r.say(quote, catalog.ForgetCancelled, map[string]any{"User": name}))
	}
	c, found, err := r.customerData(ctx, p, customer)
	if err != nil {
		return err
	}
	if !found {
		// Forgotten already (a second press, or an attempt whose answer was lost).
		return answer(r.say(quote, catalog.NothingStored, map[string]any{"User": name}))
	}
	if active := c.Active(); len(active) > 0 {
		return r.refused(ctx, p, q, r.refuse(catalog.ForgetActive, map[string]any{"User": name, "Numbers": ticketNumbers(active), "Command": command}))
	}
	// The copies go first: once the store forgets the links, nothing says where they are.
	refs, of := threadCopies(c)
	deleted := 0
	var failedIn []desk.TicketID
	var failure error
	for i, ref := range refs {
		err := r.do(ctx, p, ref.Channel, func() error { return p.Delete(ctx, ref) })
		if aborted(err) {
			return err
		}
		if err != nil {
			failure = err
			if len(failedIn) == 0 || failedIn[len(failedIn)-1] != of[i] {
				failedIn = append(failedIn, of[i])
			}
			continue
		}
		deleted++
	}
	rep, err := r.store.Forget(ctx, p.Name(), customer, who, r.clock.Now())
	if desk.ErrorCode(err) == desk.ECONFLICT {
		return r.refused(ctx, p, q, r.refuse(catalog.ForgetActive, map[string]any{"User": name, "Numbers": "?", "Command": command}))
	}
	if err != nil {
		return err
	}
	r.log.Info("forgot a customer", "platform", p.Name(), "customer", customer, "lead", who.ID,
		"tickets", len(rep.Tickets), "entries", rep.Entries, "links", rep.Links, "copies_deleted", deleted, "copies_left", len(refs)-deleted)
	text := r.say(quote, catalog.ForgetDone, map[string]any{"User": name, "Tickets": len(rep.Tickets), "Numbers": ticketNumbers(rep.Tickets),
		"Messages": c.Messages(), "Copies": deleted})
	if failure != nil {
		text += "\n" + r.say(quote, catalog.ForgetFailed, map[string]any{"Count": len(refs) - deleted, "Numbers": ticketNumbers(failedIn), "Reason": reason(failure)})
	}
	// The cards show the customer's name: shown again, they show it no more.
	for _, t := range c.Tickets {
		if t.Ticket.HasThread() && t.Ticket.Platform == p.Name() {
			d.task(desk.Task{Kind: desk.TaskCard, Platform: p.Name(), Ticket: t.Ticket.ID})
		}
	}
	return answer(text)
}

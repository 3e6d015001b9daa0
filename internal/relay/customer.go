package relay

import (
	"context"
	"fmt"
	"strconv"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// customerMessage relays a customer's DM into their ticket's thread, opening the ticket and
// its thread first if needed.
func (r *Relay) customerMessage(ctx context.Context, p desk.Platform, q desk.Queued) error {
	ev := q.Event
	now := r.clock.Now()
	customer := r.who(ctx, p, ev.User)
	status := desk.StatusNew
	if r.policy().Intake.Enabled {
		status = desk.StatusIntake // the first-line bot talks with them first
	}
	t, _, err := r.store.OpenTicket(ctx, desk.Ticket{
		Platform:       p.Name(),
		Status:         status,
		Priority:       desk.PriorityNormal,
		Customer:       customer,
		DMChannel:      ev.Channel,
		Subject:        subject(ev.Text),
		Language:       r.language(customer),
		OpenedBy:       ev.ID,
		CreatedAt:      now,
		LastActivityAt: now,
	})
	if err != nil {
		return fmt.Errorf("open ticket for %s: %w", ev.User.ID, err)
	}
	if t.Status == desk.StatusIntake {
		return r.intakeMessage(ctx, p, q, t, customer)
	}
	// The event that opened the ticket finishes the opening, however often it is handled: the
	// store says which event that was, and every message it sends has its delivery key.
	opener := t.OpenedBy == ev.ID
	src := desk.MessageRef{Channel: ev.Channel, ID: ev.Message}
	var opening desk.Outcome
	if opener {
		// The opening's time rules first: the card shows the targets it starts.
		opening = desk.Open(t, now, r.policy())
		t = opening.Ticket
	}
	if !t.HasThread() {
		posted, err := r.postCard(ctx, p, &t, q, !opener)
		if err != nil {
			return err
		}
		if !posted {
			r.failed(ctx, p, q, src, desk.Outgoing{Channel: ev.Channel}, catalog.DeliveryFailedDM, "triage_channel_unavailable")
			return r.commit(ctx, q, decision{})
		}
	}
	if opener {
		if err := r.tellOpened(ctx, p, t, q.Redelivered); err != nil {
			return err
		}
	}

	// The message goes as the customer wrote it: the platform makes it inert on the way out.
	// One written before a message already relayed (the platform retried it after an
	// outage) says when it was written, so that agents do not misread the conversation.
	text := r.lateText(r.text(), ev, t.HeardAt)
	plan, err := r.planJoin(ctx, p, q, t, text)
	if err != nil {
		return err
	}
	t.HeardAt = later(t.HeardAt, ev.At)
	for _, f := range plan.followers {
		t.HeardAt = later(t.HeardAt, f.Event.At)
	}
	to := func() desk.Outgoing {
		return desk.Outgoing{Channel: t.TriageChannel, Thread: t.ThreadID, As: &customer}
	}
	refs, files, failure := r.sendPlanned(ctx, p, q, to(), text, &plan)
	if len(refs) == 0 && desk.Failed(failure) == desk.FailThreadGone {
		// Someone deleted the ticket's card, and its thread with it: the ticket gets a new
		// one, or the customer could never be heard again.
		r.log.Warn("ticket thread is gone; posting a new card", "platform", p.Name(), "ticket", int64(t.ID), "thread", t.ThreadID)
		t.TriageChannel, t.ThreadID = "", ""
		posted, err := r.postCard(ctx, p, &t, q, true)
		if err != nil {
			return err
		}
		if posted {
			refs, files, failure = r.sendPlanned(ctx, p, q, to(), text, &plan)
		}
	}
	if aborted(failure) {
		return failure
	}
	if failure != nil {
		r.failed(ctx, p, q, src, desk.Outgoing{Channel: ev.Channel}, catalog.DeliveryFailedDM, reason(failure))
		for _, f := range plan.followers {
			r.mark(ctx, p, desk.MessageRef{Channel: f.Event.Channel, ID: f.Event.Message}, desk.MarkFailed)
		}
	} else {
		r.delivered(p, q)
		r.mark(ctx, p, src, outcome(files, ev.Files))
		for _, f := range plan.followers {
			r.delivered(p, f)
			r.mark(ctx, p, desk.MessageRef{Channel: f.Event.Channel, ID: f.Event.Message}, desk.MarkDelivered)
		}
	}

	var d decision
	if opener {
		// Once this commit is in, the event is never handled again (a retry of a commit whose
		// answer was lost finds it done): the ticket need not remember its opener any longer.
		t.OpenedBy = ""
		opening.Ticket = t
		r.decide(&d, q, opening)
	}
	o, err := t.Take(desk.Step{Kind: desk.StepWrote}, desk.PersonActor(customer, false), now, r.policy())
	if err != nil {
		return fmt.Errorf("customer message on ticket %s: %w", t.ID, err) // a closed ticket is never the customer's active one
	}
	r.decide(&d, q, o)
	d.change(
		desk.PutLink{Platform: p.Name(), Link: desk.Link{Ticket: t.ID, Kind: desk.LinkCustomer, Source: src, Parts: refs, Files: files, Join: joinOf(plan, refs)}},
		desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: now, Kind: "customer", Author: customer.ID, Name: customer.Label(), Text: ev.Text, Files: ev.Files}},
	)
	d.change(r.joinedChanges(p, plan, refs, customer, now)...)
	if err := r.commit(ctx, q, d); err != nil {
		return err
	}
	if v := r.view(q.Shard); v != nil {
		for _, f := range plan.followers {
			v.take(f.Entry)
		}
	}
	if opener && !q.Redelivered {
		r.tickets.opened.WithLabelValues(p.Name()).Inc()
	}
	if o.Changed() {
		r.observeStep(p, o.Ticket, string(o.Step), o.Was)
	}
	return nil
}

// postCard posts the ticket's card as the root of a new thread in the triage channel and
// records where it is at once, so that agents' replies in it find the ticket. It reports false
// if the card could not be posted for good. Handling q again looks for the card it posted
// before. again says the ticket had a card that was deleted: the new one has a delivery key
// of its own (q's), and the ticket's history says so.
func (r *Relay) postCard(ctx context.Context, p desk.Platform, t *desk.Ticket, q desk.Queued, again bool) (bool, error) {
	card := r.card(p, *t)
	key := cardKey(t.ID)
	if again {
		key += ":" + q.Event.ID
	}
	ref, err := r.post(ctx, p, desk.Outgoing{Channel: p.TriageChannel(), Text: card.Title, Card: card, Key: key}, q.Redelivered)
	if aborted(err) {
		return false, err
	}
	if err != nil {
		r.log.Error("post ticket card", "platform", p.Name(), "ticket", int64(t.ID), "err", err)
		return false, nil
	}
	t.TriageChannel, t.ThreadID = ref.Channel, ref.ID
	changes := []desk.Change{desk.SetThread{Ticket: t.ID, Platform: t.Platform, Channel: ref.Channel, Thread: ref.ID}}
	if again {
		changes = append(changes, desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: r.clock.Now(), Kind: "system", Text: r.text().Text(catalog.CardPostedAgain, nil)}})
	}
	if err := r.store.Apply(ctx, changes...); err != nil {
		return false, fmt.Errorf("record thread of ticket %d: %w", t.ID, err)
	}
	return true, nil
}

// tellOpened tells the customer their new ticket's number, once: with reconcile it looks for
// the notice sent before.
func (r *Relay) tellOpened(ctx context.Context, p desk.Platform, t desk.Ticket, reconcile bool) error {
	_, err := r.post(ctx, p, desk.Outgoing{
		Channel: t.DMChannel,
		Text:    r.textFor(t).Text(catalog.TicketOpened, map[string]any{"Ticket": t.ID.String()}),
		Key:     "opened:" + strconv.FormatInt(int64(t.ID), 10),
	}, reconcile)
	if aborted(err) {
		return err
	}
	if err != nil {
		r.log.Warn("tell customer their ticket number", "platform", p.Name(), "ticket", int64(t.ID), "err", err)
	}
	return nil
}

package relay

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// handle carries out one queued event. It returns nil once the event's effects and its
// acknowledgement are recorded; an error means it should be handled again (the store or the
// relay was unavailable). Deliveries that fail for good are not errors: they are marked failed
// where their author sees them, and the event is done.
func (r *Relay) handle(ctx context.Context, q desk.Queued) error {
	ev := q.Event
	p := r.platforms[ev.Platform]
	if p == nil && ev.Platform != "" && ev.Kind.Valid() {
		// Recorded by a process that ran this platform (the same Redis, other settings): it
		// stays queued for the next one that does, instead of being lost.
		return errOtherPlatform
	}
	if p == nil || !ev.Kind.Valid() {
		return r.drop(ctx, q, desk.DropUndecodable)
	}
	switch ev.Kind {
	case desk.CustomerMessage:
		return r.customerMessage(ctx, p, q)
	case desk.AgentReply:
		return r.agentReply(ctx, p, q)
	case desk.CustomerEdit, desk.AgentEdit:
		return r.edit(ctx, p, q)
	case desk.CustomerDelete, desk.AgentDelete:
		return r.remove(ctx, p, q)
	case desk.ActionPressed:
		return r.action(ctx, p, q)
	case desk.FormSubmitted:
		return r.formSubmitted(ctx, p, q)
	case desk.CommandRun:
		return r.command(ctx, p, q)
	}
	return r.drop(ctx, q, desk.DropUnsupportedEv)
}

// drop acknowledges an event that has nothing to do, counting it under reason.
func (r *Relay) drop(ctx context.Context, q desk.Queued, reason desk.DropReason) error {
	r.Discard(q.Event.Platform, reason)
	return r.ack(ctx, q)
}

func (r *Relay) ack(ctx context.Context, q desk.Queued, changes ...desk.Change) error {
	changes = append(changes, desk.AckEvent{Shard: q.Shard, Entry: q.Entry})
	if err := r.store.Apply(ctx, changes...); err != nil {
		return fmt.Errorf("record event %s: %w", q.Event.ID, err)
	}
	return nil
}

// customerMessage relays a customer's DM into their ticket's thread, opening the ticket and
// its thread first if needed.
func (r *Relay) customerMessage(ctx context.Context, p desk.Platform, q desk.Queued) error {
	ev := q.Event
	now := r.clock.Now()
	customer := r.who(ctx, p, ev.User)
	t, _, err := r.store.OpenTicket(ctx, desk.Ticket{
		Platform:       p.Name(),
		Status:         desk.StatusNew,
		Priority:       desk.PriorityNormal,
		Customer:       customer,
		DMChannel:      ev.Channel,
		Subject:        subject(ev.Text),
		CreatedAt:      now,
		LastActivityAt: now,
	})
	if err != nil {
		return fmt.Errorf("open ticket for %s: %w", ev.User.ID, err)
	}
	src := desk.MessageRef{Channel: ev.Channel, ID: ev.Message}
	if !t.HasThread() {
		opened, err := r.openThread(ctx, p, &t, q.Redelivered)
		if err != nil {
			return err
		}
		if !opened {
			r.failed(ctx, p, q, src, desk.Outgoing{Channel: ev.Channel}, catalog.DeliveryFailedDM, "triage_channel_unavailable")
			return r.ack(ctx, q)
		}
	}
	changes := r.reopenOnMessage(ctx, p, &t, q)

	text := r.safeText(ctx, p, ev.Text)
	refs, files, failure := r.relayMessage(ctx, p, q, desk.Outgoing{
		Channel: t.TriageChannel, Thread: t.ThreadID, As: &customer,
	}, text, ev.Files)
	if len(refs) == 0 && desk.Failed(failure) == desk.FailThreadGone {
		// Someone deleted the ticket's card, and its thread with it: the ticket gets a new
		// one, or the customer could never be heard again.
		r.log.Warn("ticket thread is gone; posting a new card", "platform", p.Name(), "ticket", int64(t.ID), "thread", t.ThreadID)
		opened, err := r.rethread(ctx, p, &t, q.Redelivered)
		if err != nil {
			return err
		}
		if opened {
			refs, files, failure = r.relayMessage(ctx, p, q, desk.Outgoing{
				Channel: t.TriageChannel, Thread: t.ThreadID, As: &customer,
			}, text, ev.Files)
		}
	}
	if aborted(failure) {
		return failure
	}
	if failure != nil {
		r.failed(ctx, p, q, src, desk.Outgoing{Channel: ev.Channel}, catalog.DeliveryFailedDM, reason(failure))
	} else {
		r.delivered(p, q)
		r.mark(ctx, p, src, outcome(files, ev.Files))
	}
	t.LastActivityAt = now
	save := desk.Change(desk.TouchTicket{Ticket: t.ID, At: now})
	if len(changes) > 0 {
		save = desk.SaveTicket{Ticket: t} // the status changed too
	}
	return r.ack(ctx, q, append(changes,
		save,
		desk.PutLink{Platform: p.Name(), Link: desk.Link{Ticket: t.ID, Kind: desk.LinkCustomer, Source: src, Parts: refs, Files: files}},
		desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: now, Kind: "customer", Author: customer.ID, Name: customer.Label(), Text: ev.Text}},
	)...)
}

// reopenOnMessage applies the lifecycle to a customer's new message: a ticket waiting on the
// customer, or resolved, is open again.
func (r *Relay) reopenOnMessage(ctx context.Context, p desk.Platform, t *desk.Ticket, q desk.Queued) []desk.Change {
	if t.Status != desk.StatusPending && t.Status != desk.StatusResolved {
		return nil
	}
	was := t.Status
	t.Status = desk.StatusOpen
	if was == desk.StatusResolved {
		r.notice(ctx, p, q, "reopened", desk.Outgoing{Channel: t.DMChannel}, catalog.TicketReopened, map[string]any{"Ticket": t.ID.String()})
	}
	r.refreshCard(ctx, p, *t)
	return []desk.Change{desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{
		At: r.clock.Now(), Kind: "status", Author: t.Customer.ID, Name: t.Customer.Label(),
		Text: string(was) + " → " + string(desk.StatusOpen),
	}}}
}

// openThread posts the ticket's card as the root of a new thread in the triage channel and
// records it, then tells the customer their ticket number. It reports false if the card could
// not be posted for good.
func (r *Relay) openThread(ctx context.Context, p desk.Platform, t *desk.Ticket, reconcile bool) (bool, error) {
	opened, err := r.postCard(ctx, p, t, reconcile, r.fact(desk.FactCreated, *t, "", 0))
	if !opened || err != nil {
		return opened, err
	}
	r.tickets.opened.WithLabelValues(p.Name()).Inc()
	_, err = r.post(ctx, p, desk.Outgoing{
		Channel: t.DMChannel,
		Text:    r.text.Text(catalog.TicketOpened, map[string]any{"Ticket": t.ID.String()}),
		Key:     "opened:" + strconv.FormatInt(int64(t.ID), 10),
	}, reconcile)
	if aborted(err) {
		return false, err
	}
	if err != nil {
		r.log.Warn("tell customer their ticket number", "platform", p.Name(), "ticket", int64(t.ID), "err", err)
	}
	return true, nil
}

// rethread gives a ticket whose thread was deleted a new card, and so a new thread. It
// reports false if the card could not be posted for good.
func (r *Relay) rethread(ctx context.Context, p desk.Platform, t *desk.Ticket, reconcile bool) (bool, error) {
	gone := desk.Change(desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: r.clock.Now(), Kind: "system", Text: r.text.Text(catalog.CardPostedAgain, nil)}})
	t.TriageChannel, t.ThreadID = "", ""
	return r.postCard(ctx, p, t, reconcile, gone)
}

// postCard posts the ticket's card as the root of a new thread in the triage channel and
// records the thread with the ticket, together with changes. It reports false if the card
// could not be posted for good. With reconcile it first looks for a card posted before (the
// card's delivery key is the ticket's).
func (r *Relay) postCard(ctx context.Context, p desk.Platform, t *desk.Ticket, reconcile bool, changes ...desk.Change) (bool, error) {
	card := r.card(*t)
	ref, err := r.post(ctx, p, desk.Outgoing{
		Channel: p.TriageChannel(), Text: card.Title, Card: card, Key: cardKey(t.ID),
	}, reconcile)
	if aborted(err) {
		return false, err
	}
	if err != nil {
		r.log.Error("post ticket card", "platform", p.Name(), "ticket", int64(t.ID), "err", err)
		return false, nil
	}
	t.TriageChannel, t.ThreadID = ref.Channel, ref.ID
	if err := r.store.Apply(ctx, append([]desk.Change{desk.SaveTicket{Ticket: *t}}, changes...)...); err != nil {
		return false, fmt.Errorf("record thread of ticket %d: %w", t.ID, err)
	}
	return true, nil
}

// agentReply relays an agent's thread reply to the customer's DM, or keeps it in the channel
// as an internal note when it starts with the note prefix.
func (r *Relay) agentReply(ctx context.Context, p desk.Platform, q desk.Queued) error {
	ev := q.Event
	now := r.clock.Now()
	t, err := r.store.ThreadTicket(ctx, p.Name(), ev.Thread)
	if errors.Is(err, desk.ErrNotFound) {
		return r.drop(ctx, q, desk.DropUnknownThread)
	}
	if err != nil {
		return fmt.Errorf("find ticket of thread %s: %w", ev.Thread, err)
	}
	agent := r.who(ctx, p, ev.User)
	src := desk.MessageRef{Channel: ev.Channel, ID: ev.Message}
	if r.isNote(ev.Text) {
		r.mark(ctx, p, src, desk.MarkNote)
		return r.ack(ctx, q,
			desk.PutLink{Platform: p.Name(), Link: desk.Link{Ticket: t.ID, Kind: desk.LinkNote, Source: src}},
			desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: now, Kind: "note", Author: agent.ID, Name: agent.Label(), Text: ev.Text}},
		)
	}
	refs, files, failure := r.relayMessage(ctx, p, q, desk.Outgoing{Channel: t.DMChannel, As: &agent}, r.safeText(ctx, p, ev.Text), ev.Files)
	if aborted(failure) {
		return failure
	}
	changes := []desk.Change{
		desk.PutLink{Platform: p.Name(), Link: desk.Link{Ticket: t.ID, Kind: desk.LinkAgent, Source: src, Parts: refs, Files: files}},
		desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: now, Kind: "agent", Author: agent.ID, Name: agent.Label(), Text: ev.Text}},
	}
	if failure != nil {
		r.failed(ctx, p, q, src, desk.Outgoing{Channel: ev.Channel, Thread: ev.Thread}, catalog.DeliveryFailedNote, reason(failure))
		return r.ack(ctx, q, changes...)
	}
	r.delivered(p, q)
	r.mark(ctx, p, src, outcome(files, ev.Files))
	was := t.Status
	if err := r.ack(ctx, q, append(changes, r.answered(&t, agent, now)...)...); err != nil {
		return err
	}
	if t.Status != was {
		r.observeStep(p, t, "reply", was)
		r.refreshCard(ctx, p, t)
	}
	return nil
}

// answered records that an agent answered the customer at now: the ticket's first response
// (with its statistics fact) and a new ticket's move to open, with the changes that save them.
func (r *Relay) answered(t *desk.Ticket, agent desk.User, now time.Time) []desk.Change {
	var changes []desk.Change
	t.LastActivityAt = now
	if t.FirstResponseAt.IsZero() {
		t.FirstResponseAt = now
		changes = append(changes, r.fact(desk.FactFirstResponse, *t, agent.ID, int64(now.Sub(t.CreatedAt).Seconds())))
	}
	if t.Status == desk.StatusNew {
		t.Status = desk.StatusOpen
		changes = append(changes, desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{
			At: now, Kind: "status", Author: agent.ID, Name: agent.Label(), Text: "new → open",
		}})
	}
	if len(changes) == 0 {
		return []desk.Change{desk.TouchTicket{Ticket: t.ID, At: now}}
	}
	return append(changes, desk.SaveTicket{Ticket: *t}) // a first response or a status change
}

// outcome is the mark of a relayed message: delivered, or failed when some of its files did
// not come through (each was reported beside it).
func outcome(sent []desk.MessageRef, files []desk.File) desk.Mark {
	if len(sent) < len(files) {
		return desk.MarkFailed
	}
	return desk.MarkDelivered
}

func (r *Relay) isNote(text string) bool {
	return strings.HasPrefix(strings.TrimLeft(text, " \t\n"), r.opts.NotePrefix)
}

// relayMessage sends a text (split at the platform's limit) and files to the other side, each
// part with a delivery key derived from the event, so a second handling finds what the first
// sent. It returns the messages created and, if a part failed for good, that failure; parts
// sent before it stay sent and are returned. A file that fails does not fail the message: it
// is reported to its author, and the message is marked failed (see outcome).
func (r *Relay) relayMessage(ctx context.Context, p desk.Platform, q desk.Queued, to desk.Outgoing, text string, files []desk.File) (parts, fileRefs []desk.MessageRef, failure error) {
	ev := q.Event
	if strings.TrimSpace(text) != "" {
		for i, part := range Split(text, p.Limits().MaxText) {
			m := to
			m.Text, m.Key = part, partKey(ev, "t", i)
			ref, err := r.post(ctx, p, m, q.Redelivered)
			if err != nil {
				return parts, fileRefs, err
			}
			parts = append(parts, ref)
		}
	}
	for i, f := range files {
		m := to
		m.Key = partKey(ev, "f", i)
		ref, err := r.upload(ctx, p, m, f, q.Redelivered)
		if aborted(err) || (len(parts) == 0 && len(fileRefs) == 0 && desk.Failed(err) == desk.FailThreadGone) {
			// Nothing went yet and the thread is gone: the caller may open a new one.
			return parts, fileRefs, err
		}
		if err != nil {
			// One file failing does not fail the message: it is reported beside it.
			r.log.Warn("relay file", "platform", p.Name(), "event", ev.ID, "file", f.ID, "err", err)
			name := or(f.Name, f.ID)
			id, args := catalog.FileFailed, map[string]any{"Name": name, "Reason": reason(err)}
			if desk.Failed(err) == desk.FailTooLarge {
				id, args = catalog.FileTooLarge, map[string]any{"Name": name, "Limit": byteSize(r.opts.MaxFileBytes)}
			}
			// Its author is told beside their message (which is marked failed, see outcome);
			// agents also learn of a customer's file that did not come through.
			r.notice(ctx, p, q, "file"+strconv.Itoa(i), desk.Outgoing{Channel: ev.Channel, Thread: ev.Thread}, id, args)
			if ev.Kind == desk.CustomerMessage {
				r.notice(ctx, p, q, "file"+strconv.Itoa(i)+"-thread", desk.Outgoing{Channel: to.Channel, Thread: to.Thread}, id, args)
			}
			continue
		}
		fileRefs = append(fileRefs, ref)
	}
	return parts, fileRefs, nil
}

// linkOf finds what the event's message was mirrored as; found is false (and the event is
// dropped as unknown_message) when it was never mirrored, for example when it predates the app.
func (r *Relay) linkOf(ctx context.Context, p desk.Platform, q desk.Queued) (link desk.Link, found bool, err error) {
	src := desk.MessageRef{Channel: q.Event.Channel, ID: q.Event.Message}
	link, err = r.store.Link(ctx, p.Name(), src)
	if errors.Is(err, desk.ErrNotFound) {
		return link, false, r.drop(ctx, q, desk.DropUnknownMessage)
	}
	if err != nil {
		return link, false, fmt.Errorf("find copy of message %s: %w", src.ID, err)
	}
	return link, true, nil
}

// edit mirrors an edited message: each part of its copy is updated, new parts are added and
// parts no longer needed are deleted. An agent's reply edited into a note is withdrawn from
// the customer's DM; a note edited into a reply is delivered.
func (r *Relay) edit(ctx context.Context, p desk.Platform, q desk.Queued) error {
	ev := q.Event
	link, found, err := r.linkOf(ctx, p, q)
	if !found {
		return err
	}
	author := r.who(ctx, p, ev.User)
	entry := desk.AppendEntry{Ticket: link.Ticket, Entry: desk.Entry{At: r.clock.Now(), Kind: "edit", Author: author.ID, Name: author.Label(), Text: ev.Text}}
	switch {
	case link.Kind == desk.LinkNote && (r.isNote(ev.Text) || strings.TrimSpace(ev.Text) == ""):
		return r.ack(ctx, q, entry) // a note was never mirrored; its edit stays in the channel too
	case link.Kind == desk.LinkAgent && r.isNote(ev.Text):
		return r.withdraw(ctx, p, q, link, entry)
	}
	t, err := r.store.Ticket(ctx, link.Ticket)
	if err != nil {
		return fmt.Errorf("load ticket %d: %w", link.Ticket, err)
	}
	to := desk.Outgoing{Channel: t.TriageChannel, Thread: t.ThreadID, As: &author}
	if link.Kind != desk.LinkCustomer {
		to = desk.Outgoing{Channel: t.DMChannel, As: &author}
	}
	// A note whose prefix was edited away is meant for the customer now.
	becomesReply := link.Kind == desk.LinkNote
	if becomesReply {
		link.Kind = desk.LinkAgent
	}
	var parts []string
	if strings.TrimSpace(ev.Text) != "" {
		parts = Split(r.safeText(ctx, p, ev.Text), p.Limits().MaxText)
	}
	var refs []desk.MessageRef
	for i, part := range parts {
		m := to
		m.Text, m.Key = part, partKey(ev, "t", i)
		var ref desk.MessageRef
		if i < len(link.Parts) {
			ref = link.Parts[i]
			err = r.do(ctx, p, ref.Channel, func() error { return p.Update(ctx, ref, m) })
		} else {
			ref, err = r.post(ctx, p, m, q.Redelivered)
		}
		if aborted(err) {
			return err
		}
		if err != nil {
			// The copy keeps its old parts from here on, still linked so that a later edit or
			// deletion reaches them.
			r.failed(ctx, p, q, desk.MessageRef{Channel: ev.Channel, ID: ev.Message}, desk.Outgoing{Channel: ev.Channel, Thread: ev.Thread}, failedNotice(link.Kind), reason(err))
			link.Parts = append(refs, link.Parts[min(i, len(link.Parts)):]...)
			return r.ack(ctx, q, entry, desk.PutLink{Platform: p.Name(), Link: link})
		}
		refs = append(refs, ref)
	}
	for _, ref := range link.Parts[min(len(parts), len(link.Parts)):] {
		if err := r.do(ctx, p, ref.Channel, func() error { return p.Delete(ctx, ref) }); aborted(err) {
			return err
		} else if err != nil {
			r.log.Warn("delete surplus part of edited message", "platform", p.Name(), "err", err)
		}
	}
	link.Parts = refs
	changes := []desk.Change{entry, desk.PutLink{Platform: p.Name(), Link: link}}
	was := t.Status
	if becomesReply {
		r.unmark(ctx, p, link.Source, desk.MarkNote)
		r.mark(ctx, p, link.Source, desk.MarkDelivered)
		changes = append(changes, r.answered(&t, author, r.clock.Now())...) // an answer, at last
	}
	if err := r.ack(ctx, q, changes...); err != nil {
		return err
	}
	if t.Status != was {
		r.observeStep(p, t, "reply", was)
		r.refreshCard(ctx, p, t)
	}
	return nil
}

// withdraw takes back from the customer's DM the copy of a reply its agent turned into a note
// by an edit. A copy that cannot be deleted is reported to the agent and stays linked, so that
// a later edit or deletion tries again.
func (r *Relay) withdraw(ctx context.Context, p desk.Platform, q desk.Queued, link desk.Link, entry desk.Change) error {
	var failure error
	keep := func(refs []desk.MessageRef) ([]desk.MessageRef, error) {
		var left []desk.MessageRef
		for _, ref := range refs {
			err := r.do(ctx, p, ref.Channel, func() error { return p.Delete(ctx, ref) })
			if aborted(err) {
				return nil, err
			}
			if err != nil {
				left, failure = append(left, ref), err
			}
		}
		return left, nil
	}
	parts, err := keep(link.Parts)
	if err != nil {
		return err
	}
	files, err := keep(link.Files)
	if err != nil {
		return err
	}
	if failure != nil {
		r.failed(ctx, p, q, link.Source, desk.Outgoing{Channel: q.Event.Channel, Thread: q.Event.Thread}, catalog.WithdrawFailed, reason(failure))
		link.Parts, link.Files = parts, files
		return r.ack(ctx, q, entry, desk.PutLink{Platform: p.Name(), Link: link})
	}
	r.unmark(ctx, p, link.Source, desk.MarkDelivered)
	r.mark(ctx, p, link.Source, desk.MarkNote)
	link.Kind, link.Parts, link.Files = desk.LinkNote, nil, nil
	return r.ack(ctx, q, entry, desk.PutLink{Platform: p.Name(), Link: link})
}

// remove mirrors a deleted message: its copies are deleted too.
func (r *Relay) remove(ctx context.Context, p desk.Platform, q desk.Queued) error {
	ev := q.Event
	link, found, err := r.linkOf(ctx, p, q)
	if !found {
		return err
	}
	for _, ref := range append(link.Parts, link.Files...) {
		if err := r.do(ctx, p, ref.Channel, func() error { return p.Delete(ctx, ref) }); aborted(err) {
			return err
		} else if err != nil {
			r.log.Warn("delete copy of deleted message", "platform", p.Name(), "ticket", int64(link.Ticket), "err", err)
		}
	}
	author := r.who(ctx, p, ev.User)
	return r.ack(ctx, q,
		desk.DropLink{Platform: p.Name(), Source: desk.MessageRef{Channel: ev.Channel, ID: ev.Message}},
		desk.AppendEntry{Ticket: link.Ticket, Entry: desk.Entry{At: r.clock.Now(), Kind: "delete", Author: author.ID, Name: author.Label()}},
	)
}

// delivered records how long an event took from being recorded to being relayed.
func (r *Relay) delivered(p desk.Platform, q desk.Queued) {
	if at, ok := queuedAt(q.Entry); ok {
		r.metrics.Latency.WithLabelValues(p.Name()).Observe(r.clock.Now().Sub(at).Seconds())
	}
}

func failedNotice(k desk.LinkKind) string {
	if k == desk.LinkAgent {
		return catalog.DeliveryFailedNote
	}
	return catalog.DeliveryFailedDM
}

// failed makes a final delivery failure visible to its author: a failure mark on their
// message and a notice beside it with the reason. Nothing is dropped silently.
func (r *Relay) failed(ctx context.Context, p desk.Platform, q desk.Queued, src desk.MessageRef, where desk.Outgoing, notice, why string) {
	r.log.Error("delivery failed", "platform", p.Name(), "event", q.Event.ID, "kind", q.Event.Kind, "reason", why)
	r.mark(ctx, p, src, desk.MarkFailed)
	r.notice(ctx, p, q, "failed", where, notice, map[string]any{"Reason": why})
}

// notice posts a text of the catalog (not a relayed message) once per event and name.
func (r *Relay) notice(ctx context.Context, p desk.Platform, q desk.Queued, name string, where desk.Outgoing, id string, args map[string]any) {
	where.Text = r.text.Text(id, args)
	where.Key = partKey(q.Event, name, 0)
	if _, err := r.post(ctx, p, where, q.Redelivered); err != nil && !aborted(err) {
		r.log.Error("post notice", "platform", p.Name(), "event", q.Event.ID, "notice", id, "err", err)
	}
}

// mark puts a mark on a message; a mark that cannot be set is logged, not retried forever.
func (r *Relay) mark(ctx context.Context, p desk.Platform, ref desk.MessageRef, m desk.Mark) {
	if err := r.do(ctx, p, "", func() error { return p.Mark(ctx, ref, m) }); err != nil && !aborted(err) {
		r.log.Warn("mark message", "platform", p.Name(), "mark", m, "err", err)
	}
}

// unmark takes a mark off a message; like mark, a failure is logged, not retried forever.
func (r *Relay) unmark(ctx context.Context, p desk.Platform, ref desk.MessageRef, m desk.Mark) {
	if err := r.do(ctx, p, "", func() error { return p.Unmark(ctx, ref, m) }); err != nil && !aborted(err) {
		r.log.Warn("unmark message", "platform", p.Name(), "mark", m, "err", err)
	}
}

// refreshCard puts the ticket's current state on its card, in place.
func (r *Relay) refreshCard(ctx context.Context, p desk.Platform, t desk.Ticket) {
	if !t.HasThread() {
		return
	}
	card := r.card(t)
	ref := desk.MessageRef{Channel: t.TriageChannel, ID: t.ThreadID}
	m := desk.Outgoing{Channel: t.TriageChannel, Text: card.Title, Card: card, Key: cardKey(t.ID)}
	if err := r.do(ctx, p, ref.Channel, func() error { return p.Update(ctx, ref, m) }); err != nil && !aborted(err) {
		r.log.Warn("update ticket card", "platform", p.Name(), "ticket", int64(t.ID), "err", err)
	}
}

// subject is the start of a ticket's first message: one line of at most 80 characters, never
// cut inside a Slack link or mention (<…>).
func subject(text string) string {
	s := strings.Join(strings.Fields(text), " ")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79])
		if open := strings.LastIndex(s, "<"); open > strings.LastIndex(s, ">") {
			s = strings.TrimRight(s[:open], " ")
		}
		s += "…"
	}
	return s
}

func cardKey(id desk.TicketID) string { return "card:" + strconv.FormatInt(int64(id), 10) }

// partKey is the delivery key of one thing sent for an event: "e:<event>:<what><n>".
func partKey(ev desk.Event, what string, n int) string {
	return "e:" + ev.ID + ":" + what + strconv.Itoa(n)
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatInt(n>>20, 10) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

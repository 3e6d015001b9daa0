package relay

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

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
		return r.commit(ctx, q, decision{changes: []desk.Change{entry}}) // a note was never mirrored; its edit stays in the channel too
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
	if link.Join != "" {
		return r.commitJoined(ctx, p, q, link, to, ev.Text, entry, desk.PutLink{Platform: p.Name(), Link: link})
	}
	// A note whose prefix was edited away is meant for the customer now.
	becomesReply := link.Kind == desk.LinkNote
	if becomesReply {
		link.Kind = desk.LinkAgent
	}
	var parts []string
	if strings.TrimSpace(ev.Text) != "" {
		parts = Split(ev.Text, p.Limits().MaxText)
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
			return r.commit(ctx, q, decision{changes: []desk.Change{entry, desk.PutLink{Platform: p.Name(), Link: link}}})
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
	d := decision{changes: []desk.Change{entry, desk.PutLink{Platform: p.Name(), Link: link}}}
	if !becomesReply {
		return r.commit(ctx, q, d)
	}
	r.unmark(ctx, p, link.Source, desk.MarkNote)
	r.mark(ctx, p, link.Source, desk.MarkDelivered)
	return r.answered(ctx, p, q, t, author, d) // an answer, at last
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
		return r.commit(ctx, q, decision{changes: []desk.Change{entry, desk.PutLink{Platform: p.Name(), Link: link}}})
	}
	r.unmark(ctx, p, link.Source, desk.MarkDelivered)
	r.mark(ctx, p, link.Source, desk.MarkNote)
	link.Kind, link.Parts, link.Files = desk.LinkNote, nil, nil
	return r.commit(ctx, q, decision{changes: []desk.Change{entry, desk.PutLink{Platform: p.Name(), Link: link}}})
}

// remove mirrors a deleted message: its copies are deleted too.
func (r *Relay) remove(ctx context.Context, p desk.Platform, q desk.Queued) error {
	ev := q.Event
	link, found, err := r.linkOf(ctx, p, q)
	if !found {
		return err
	}
	author := r.who(ctx, p, ev.User)
	entry := desk.AppendEntry{Ticket: link.Ticket, Entry: desk.Entry{At: r.clock.Now(), Kind: "delete", Author: author.ID, Name: author.Label()}}
	drop := desk.DropLink{Platform: p.Name(), Source: desk.MessageRef{Channel: ev.Channel, ID: ev.Message}}
	if link.Join != "" {
		t, err := r.store.Ticket(ctx, link.Ticket)
		if err != nil {
			return fmt.Errorf("load ticket %d: %w", link.Ticket, err)
		}
		return r.commitJoined(ctx, p, q, link, desk.Outgoing{Channel: t.TriageChannel, Thread: t.ThreadID, As: &author}, "", entry, drop)
	}
	for _, ref := range append(link.Parts, link.Files...) {
		if err := r.do(ctx, p, ref.Channel, func() error { return p.Delete(ctx, ref) }); aborted(err) {
			return err
		} else if err != nil {
			r.log.Warn("delete copy of deleted message", "platform", p.Name(), "ticket", int64(link.Ticket), "err", err)
		}
	}
	return r.commit(ctx, q, decision{changes: []desk.Change{drop, entry}})
}

// reviseHeld mirrors an edit or a deletion of a customer's message that their ticket's intake
// still holds back (written while the first-line bot talked with them, not relayed yet, so
// without a link): the held message takes the new text, or goes, so that agents see it as it
// is when it is relayed, or not at all. It reports false, having done nothing, for any other
// message.
func (r *Relay) reviseHeld(ctx context.Context, p desk.Platform, q desk.Queued) (bool, error) {
	ev := q.Event
	if ev.Kind != desk.CustomerEdit && ev.Kind != desk.CustomerDelete {
		return false, nil
	}
	t, err := r.store.CustomerTicket(ctx, p.Name(), ev.User.ID)
	if errors.Is(err, desk.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("find the ticket of %s: %w", ev.User.ID, err)
	}
	held, err := r.store.Held(ctx, t.ID)
	if err != nil {
		return false, err
	}
	i := slices.IndexFunc(held, func(h desk.Event) bool { return h.Channel == ev.Channel && h.Message == ev.Message })
	if i < 0 {
		return false, nil
	}
	author := r.who(ctx, p, ev.User)
	entry := desk.Entry{At: r.clock.Now(), Kind: "edit", Author: author.ID, Name: author.Label(), Text: ev.Text}
	if ev.Kind == desk.CustomerDelete {
		entry.Kind, entry.Text = "delete", ""
		held = slices.Delete(held, i, i+1)
	} else {
		held[i].Text = ev.Text
	}
	return true, r.commit(ctx, q, decision{changes: []desk.Change{desk.ReplaceHeld{Ticket: t.ID, Events: held}, desk.AppendEntry{Ticket: t.ID, Entry: entry}}})
}

// commitJoined mirrors an edit (text) or a deletion ("") of a message that went in a joined
// post, and records it with entry and the change to its link: put (as it is after the edit)
// or dropped.
func (r *Relay) commitJoined(ctx context.Context, p desk.Platform, q desk.Queued, link desk.Link, to desk.Outgoing, text string, entry, linkChange desk.Change) error {
	link, changes, err := r.editJoined(ctx, p, q, link, to, text)
	if aborted(err) {
		return err
	}
	var de *desk.DeliveryError
	if err != nil && !errors.As(err, &de) {
		return err // the store's: tried again
	}
	if err != nil {
		ev := q.Event
		r.failed(ctx, p, q, desk.MessageRef{Channel: ev.Channel, ID: ev.Message}, desk.Outgoing{Channel: ev.Channel, Thread: ev.Thread}, failedNotice(link.Kind), reason(err))
	}
	if put, ok := linkChange.(desk.PutLink); ok {
		put.Link = link
		linkChange = put
	}
	return r.commit(ctx, q, decision{changes: append(changes, entry, linkChange)})
}

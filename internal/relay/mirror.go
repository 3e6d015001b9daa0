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

// This file holds what every relayed message goes through: sending a text in parts and its
// files with delivery keys, the marks on the original, and failure notices.

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
			name := words(or(f.Name, f.ID))
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

// lateText is the text an event's message is relayed with: as written, or, when it was
// written before the newest message already relayed the same way (newest), under a line that
// says when it was written. Platforms keep a thread in the order messages are posted, so a
// message a platform delivers late (its retry after an outage) cannot take its place.
func (r *Relay) lateText(c *catalog.Catalog, ev desk.Event, newest time.Time) string {
	if ev.At.IsZero() || newest.IsZero() || !ev.At.Before(newest) {
		return ev.Text
	}
	line := c.Text(catalog.MessageLate, map[string]any{"Time": ev.At.In(r.zone()).Format("Jan 2 15:04:05 MST")})
	if strings.TrimSpace(ev.Text) == "" {
		return line
	}
	return line + "\n" + ev.Text
}

// linkOf finds what the event's message was mirrored as; found is false when it was not
// mirrored: the edit or deletion is then done to the message held back by the intake
// (reviseHeld), or the event is dropped as unknown_message (a message that predates the app).
func (r *Relay) linkOf(ctx context.Context, p desk.Platform, q desk.Queued) (link desk.Link, found bool, err error) {
	src := desk.MessageRef{Channel: q.Event.Channel, ID: q.Event.Message}
	link, err = r.store.Link(ctx, p.Name(), src)
	if errors.Is(err, desk.ErrNotFound) {
		if held, err := r.reviseHeld(ctx, p, q); held || err != nil {
			return link, false, err
		}
		return link, false, r.drop(ctx, q, desk.DropUnknownMessage)
	}
	if err != nil {
		return link, false, fmt.Errorf("find copy of message %s: %w", src.ID, err)
	}
	return link, true, nil
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

// notice posts a text of the catalog (not a relayed message) once per event and name; the
// words among args are quoted for p.
func (r *Relay) notice(ctx context.Context, p desk.Platform, q desk.Queued, name string, where desk.Outgoing, id string, args map[string]any) {
	where.Text = r.say(p.Quote, id, args)
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

// refreshCard puts the ticket's current state on its card, in place. A card that no longer
// exists is no error: the ticket gets a new one when its customer writes.
func (r *Relay) refreshCard(ctx context.Context, p desk.Platform, t desk.Ticket) error {
	if !t.HasThread() {
		return nil
	}
	card := r.card(p, t)
	ref := desk.MessageRef{Channel: t.TriageChannel, ID: t.ThreadID}
	m := desk.Outgoing{Channel: t.TriageChannel, Text: card.Title, Card: card, Key: cardKey(t.ID)}
	if err := r.do(ctx, p, ref.Channel, func() error { return p.Update(ctx, ref, m) }); err != nil {
		return fmt.Errorf("update the card of ticket %s: %w", t.ID, err)
	}
	return nil
}

// subject is the start of a ticket's first message: one line of at most 80 characters, the
// last of them "…" when it was cut. It is cut wherever the 80 runes end: a subject is a
// person's words, quoted wherever it is shown, so a cut through markup stays harmless.
func subject(text string) string {
	s := strings.Join(strings.Fields(text), " ")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79]) + "…"
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

package relay

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/markup"
)

// Bursts. Every ticket's thread is in the one triage channel, and a platform takes only so many
// posts a second into a channel (Slack about one): when many customers write several messages
// at once, each message waiting its own turn would reach agents minutes after it was written.
// So a customer's message whose post has to wait its turn takes along the same customer's next
// messages already waiting in the shard's queue by then, joined into one post up to the
// platform's length limit, in order. A message alone is never held back for company: it waits
// only for the turn it would wait for anyway, and nothing is joined while the channel has no
// backlog. Each message keeps its own link (to the joined post, with the desk.Join record
// saying which part is its, so that an edit or a deletion changes that part only), its own
// transcript entry and its own delivery mark.
//
// A join is recorded before its post is sent: handling the first message again after a crash
// joins the same messages under the same delivery key, so the post is found rather than sent
// twice, and no message is both in a joined post and posted alone. The joined post's key is
// not the key of the first message posted alone, and a message handled again goes alone if it
// was posted alone, whatever join record turned up since (one written late, by a replica whose
// lease had lapsed): a lone post is never taken for the joined one, which would acknowledge
// the other messages unposted.

// joinPlan is how a customer message goes: alone (join.ID == ""), or first of a joined post
// with the queued messages taken along (followers). inTurn says its post has had its turn in
// the channel's pace already.
type joinPlan struct {
	join      desk.Join
	followers []desk.Queued
	inTurn    bool
}

func (j joinPlan) joined() bool { return j.join.ID != "" }

// planJoin decides how the customer message in hand (relayed as text into t's thread) goes.
func (r *Relay) planJoin(ctx context.Context, p desk.Platform, q desk.Queued, t desk.Ticket, text string) (joinPlan, error) {
	ev := q.Event
	if ev.Kind != desk.CustomerMessage {
		return joinPlan{}, nil
	}
	if q.Redelivered {
		// Only a join recorded before may be made again, and exactly as recorded, whatever
		// the queue or the settings say now: a post sent alone before a crash is found by its
		// key, and a joined post sent then carries what its record says.
		j, err := r.store.Join(ctx, p.Name(), ev.ID)
		switch {
		case errors.Is(err, desk.ErrNotFound):
			return joinPlan{}, nil
		case desk.ErrorCode(err) == desk.EINVALID:
			r.log.Error("join record unreadable; the message goes alone", "platform", p.Name(), "join", ev.ID, "err", err)
			return joinPlan{}, nil
		case err != nil:
			return joinPlan{}, fmt.Errorf("read join %s: %w", ev.ID, err)
		}
		// A join record that reached the store late (written by a replica whose lease had
		// lapsed meanwhile) may follow a post of the message alone: the message then went
		// alone, and the messages the record names were never posted with it. (An older
		// version's joined post has the first message's key: its record is followed as it is.)
		if j.OwnKey {
			alone := desk.Outgoing{Channel: t.TriageChannel, Thread: t.ThreadID, Key: partKey(ev, "t", 0)}
			if _, found, err := r.sentBefore(ctx, p, alone); err != nil || found {
				return joinPlan{}, err
			}
		}
		return rejoin(q, j), nil
	}
	v := r.view(q.Shard)
	l := p.Limits()
	if v == nil || !joinable(ev, text, l.MaxText) {
		return joinPlan{}, nil
	}
	if !r.pace.busy(p.Name(), t.TriageChannel, l.PostRate, l.PostBurst) {
		return joinPlan{}, nil // the channel keeps up: each message goes as it is
	}
	if len(r.followers(v, ev, text, t.HeardAt, l.MaxText)) == 0 {
		return joinPlan{}, nil // nothing waits to be taken along: no turn is taken here
	}
	waited, err := r.pace.wait(ctx, p.Name(), t.TriageChannel, l.PostRate, l.PostBurst)
	if err != nil {
		return joinPlan{}, err
	}
	plan := joinPlan{inTurn: true}
	if waited <= 0 {
		return plan, nil // no backlog: each message goes as it is
	}
	// What waits now, after the turn came.
	parts := r.followers(v, ev, text, t.HeardAt, l.MaxText)
	if len(parts) == 0 {
		return plan, nil
	}
	plan.join = desk.Join{ID: ev.ID, Ticket: t.ID, OwnKey: true, Parts: []desk.JoinPart{
		{Event: ev.ID, Entry: q.Entry, Source: desk.MessageRef{Channel: ev.Channel, ID: ev.Message}, Text: text, Written: ev.Text, At: ev.At},
	}}
	for _, f := range parts {
		plan.join.Parts = append(plan.join.Parts, f.part)
		plan.followers = append(plan.followers, f.q)
	}
	err = r.store.Apply(ctx, desk.PutJoin{Platform: p.Name(), Join: plan.join})
	if poisoned(err) {
		// A join the store refuses is not the message's fault: it goes alone.
		r.log.Error("join refused by the store; the message goes alone", "platform", p.Name(), "join", ev.ID, "err", err)
		return joinPlan{inTurn: true}, nil
	}
	if err != nil {
		return joinPlan{}, fmt.Errorf("record join %s: %w", ev.ID, err)
	}
	return plan, nil
}

// joinable says whether a customer message may go in a joined post: a text alone, within one
// post, whose markup ends within it (markup.Contained).
func joinable(ev desk.Event, text string, limit int) bool {
	return ev.Kind == desk.CustomerMessage && len(ev.Files) == 0 && strings.TrimSpace(text) != "" &&
		(limit < 1 || utf8.RuneCountInString(text) <= limit) && markup.Contained(text)
}

// follower is a queued message to take along, with its part of the joined post.
type follower struct {
	q    desk.Queued
	part desk.JoinPart
}

// followers are the messages of ev's author queued right after it, which may join its post
// (whose text is text) within limit. Another customer's messages in between are passed over
// (they belong to other tickets); anything else that may concern ev's ticket (an edit, a
// deletion, an agent's reply or click, a message with files) ends the run, so that the
// ticket's events keep their order. heard is when the newest message relayed so far was
// written (see lateText).
func (r *Relay) followers(v *queueView, ev desk.Event, text string, heard time.Time, limit int) []follower {
	size := utf8.RuneCountInString(text)
	heard = later(heard, ev.At)
	var out []follower
	for _, q := range v.ahead() {
		f := q.Event
		if f.Platform != ev.Platform || (f.Kind == desk.CustomerMessage && f.User.ID != ev.User.ID) {
			continue
		}
		if f.Kind != desk.CustomerMessage || f.User.ID != ev.User.ID || f.Channel != ev.Channel || q.Redelivered {
			break
		}
		ftext := r.lateText(r.text(), f, heard)
		if !joinable(f, ftext, limit) {
			break
		}
		size += utf8.RuneCountInString(desk.JoinSeparator) + utf8.RuneCountInString(ftext)
		if limit > 0 && size > limit {
			break
		}
		heard = later(heard, f.At)
		out = append(out, follower{q: q, part: desk.JoinPart{Event: f.ID, Entry: q.Entry, Source: desk.MessageRef{Channel: f.Channel, ID: f.Message}, Text: ftext, Written: f.Text, At: f.At}})
	}
	return out
}

// rejoin is the plan of a join recorded before, made from the record alone: its messages
// after the first were recorded unacknowledged with it and are acknowledged only with it,
// wherever they are in the queue now.
func rejoin(q desk.Queued, j desk.Join) joinPlan {
	plan := joinPlan{join: j}
	if len(j.Parts) < 2 {
		return plan
	}
	first := q.Event
	for _, part := range j.Parts[1:] {
		plan.followers = append(plan.followers, desk.Queued{Shard: q.Shard, Entry: part.Entry, Redelivered: true, Event: desk.Event{
			ID: part.Event, Platform: first.Platform, Kind: desk.CustomerMessage, User: first.User,
			Channel: part.Source.Channel, Message: part.Source.ID, Text: part.Written, At: part.At,
		}})
	}
	return plan
}

// sendPlanned sends a customer message as planned: joined, alone in a turn already taken, or
// the usual way (relayMessage).
func (r *Relay) sendPlanned(ctx context.Context, p desk.Platform, q desk.Queued, to desk.Outgoing, text string, plan *joinPlan) (parts, files []desk.MessageRef, failure error) {
	if !plan.joined() && !plan.inTurn {
		return r.relayMessage(ctx, p, q, to, text, q.Event.Files)
	}
	to.Text, to.Key = text, partKey(q.Event, "t", 0)
	if plan.joined() {
		// A key of its own: a post of the first message alone is never taken for it.
		to.Text = plan.join.Text()
		if plan.join.OwnKey {
			to.Key = partKey(q.Event, "j", 0)
		}
	}
	ref, err := r.postInTurn(ctx, p, to, q.Redelivered, plan.inTurn)
	plan.inTurn = false
	if err != nil {
		return nil, nil, err
	}
	return []desk.MessageRef{ref}, nil, nil
}

// joinOf is the Join the links of a planned post name: none when it went alone, or when
// nothing was posted (a later edit then goes as a post of its own).
func joinOf(plan joinPlan, refs []desk.MessageRef) string {
	if len(refs) == 0 {
		return ""
	}
	return plan.join.ID
}

// joinedChanges are the records of the messages a joined post took along, as the message in
// hand's own are made (customerMessage): each its link, history entry and acknowledgement.
func (r *Relay) joinedChanges(p desk.Platform, plan joinPlan, refs []desk.MessageRef, who desk.User, now time.Time) []desk.Change {
	var out []desk.Change
	for i, f := range plan.followers {
		ev := f.Event
		out = append(out,
			desk.PutLink{Platform: p.Name(), Link: desk.Link{Ticket: plan.join.Ticket, Kind: desk.LinkCustomer, Source: plan.join.Parts[i+1].Source, Parts: refs, Join: joinOf(plan, refs)}},
			desk.AppendEntry{Ticket: plan.join.Ticket, Entry: desk.Entry{At: now, Kind: "customer", Author: who.ID, Name: who.Label(), Text: ev.Text}},
			desk.AckEvent{Shard: f.Shard, Entry: f.Entry, Platform: ev.Platform, Event: ev.ID},
		)
	}
	return out
}

// editJoined mirrors an edit or a deletion (text "") of one message of a joined post: the post
// is updated with that part changed, or deleted once none is left. A part edited past what one
// post holds, or into markup that would run into the parts after it (markup.Contained), is
// left out of the joined post and goes as a post of its own, which its link then points to. It returns the message's link as it is now, without a Join when it left.
func (r *Relay) editJoined(ctx context.Context, p desk.Platform, q desk.Queued, link desk.Link, to desk.Outgoing, text string) (desk.Link, []desk.Change, error) {
	j, err := r.store.Join(ctx, p.Name(), link.Join)
	if errors.Is(err, desk.ErrNotFound) || desk.ErrorCode(err) == desk.EINVALID {
		// Cannot happen (a link and its join are written together, and forgotten together);
		// the change is in the ticket's history all the same.
		r.log.Error("joined message without its join; its post is left as it is", "platform", p.Name(), "join", link.Join, "err", err)
		return link, nil, nil
	}
	if err != nil {
		return link, nil, fmt.Errorf("read join %s: %w", link.Join, err)
	}
	i := slices.IndexFunc(j.Parts, func(part desk.JoinPart) bool { return part.Source == link.Source })
	if i < 0 || len(link.Parts) == 0 {
		// Cannot happen (a link and its join are written together); the change is in the
		// ticket's history all the same.
		r.log.Error("joined message not in its join; its post is left as it is", "platform", p.Name(), "join", j.ID)
		return link, nil, nil
	}
	post := link.Parts[0]
	limit := p.Limits().MaxText
	alone := text != "" && (!markup.Contained(text) || limit > 0 && utf8.RuneCountInString(withPart(j, i, text).Text()) > limit)
	if alone {
		j.Parts[i].Text = ""
	} else {
		j.Parts[i].Text = text
	}
	if rest := j.Text(); rest == "" {
		err = r.do(ctx, p, post.Channel, func() error { return p.Delete(ctx, post) })
	} else {
		m := to
		m.Text = rest
		err = r.do(ctx, p, post.Channel, func() error { return p.Update(ctx, post, m) })
	}
	if err != nil {
		// The post keeps what it showed, and so does the record, which says what it shows.
		return link, nil, err
	}
	changes := []desk.Change{desk.PutJoin{Platform: p.Name(), Join: j}}
	if !alone {
		return link, changes, nil
	}
	parts, _, failure := r.relayMessage(ctx, p, q, to, text, nil)
	if failure != nil {
		return link, changes, failure
	}
	link.Parts, link.Join = parts, ""
	return link, changes, nil
}

// withPart is j with part i's text replaced.
func withPart(j desk.Join, i int, text string) desk.Join {
	parts := slices.Clone(j.Parts)
	parts[i].Text = text
	j.Parts = parts
	return j
}

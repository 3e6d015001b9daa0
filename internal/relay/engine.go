package relay

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// This file is the engine's spine. Handling an event ends in one decision: the changes to
// record and the tasks to carry out on a platform afterwards (notices, the card, the rating
// question, answers). commit records the changes, the tasks (the event's outbox record) and
// the event's acknowledgement in one once-only store transaction, and only then carries the
// tasks out, each idempotent by its delivery key; their record is forgotten when they are
// done. A crash after the commit loses nothing: the shard's worker carries out what the
// outbox holds when it starts. A commit whose outcome was lost (a timeout while Redis ran it
// later) is not guessed at: the retry's transaction is refused as handled (desk.ErrHandled)
// and the worker carries out what the first one recorded.
//
// Relayed messages are the one thing sent before their record: the copy's platform ID is what
// gets recorded. They are found again by their delivery keys when an event is handled again.

// decision is what handling one event decided.
type decision struct {
	changes []desk.Change
	tasks   []desk.Task
}

func (d *decision) change(c ...desk.Change) { d.changes = append(d.changes, c...) }

// task adds tasks to d; a ticket's card is shown once, as it is when the tasks are carried out.
func (d *decision) task(ts ...desk.Task) {
	for _, t := range ts {
		if t.Kind == desk.TaskCard && slices.ContainsFunc(d.tasks, func(o desk.Task) bool { return o.Kind == desk.TaskCard && o.Ticket == t.Ticket }) {
			continue
		}
		d.tasks = append(d.tasks, t)
	}
}

// commit records d with q's acknowledgement, once, and then carries out its tasks.
func (r *Relay) commit(ctx context.Context, q desk.Queued, d decision) error {
	ev := q.Event
	changes := d.changes
	var record *desk.Outbox
	if len(d.tasks) > 0 {
		record = &desk.Outbox{Platform: ev.Platform, Event: ev.ID, At: r.clock.Now(), Tasks: d.tasks}
		changes = append(changes, desk.PutOutbox{Shard: q.Shard, Outbox: *record})
	}
	changes = append(changes, desk.AckEvent{Shard: q.Shard, Entry: q.Entry, Platform: ev.Platform, Event: ev.ID})
	err := r.store.Apply(ctx, changes...)
	if errors.Is(err, desk.ErrHandled) {
		// An earlier attempt took effect though its answer was lost: what it decided stands,
		// and what it left to do is in the outbox.
		r.log.Info("event was handled before; carrying out what it recorded", "platform", ev.Platform, "event", ev.ID, "kind", ev.Kind)
		return r.recoverOutbox(ctx, q.Shard)
	}
	if err != nil {
		return fmt.Errorf("record event %s: %w", ev.ID, err)
	}
	r.countFacts(ev.Platform, d.changes)
	if record == nil {
		return nil
	}
	return r.carryOut(ctx, q.Shard, *record, q.Redelivered)
}

// recoverOutbox carries out what a shard's outbox holds: tasks recorded before a crash, or by
// an attempt whose outcome was lost. Each task looks before it sends, so that nothing is sent
// twice. Records of a platform this process does not run are left for one that does.
func (r *Relay) recoverOutbox(ctx context.Context, shard int) error {
	records, err := r.store.Outbox(ctx, shard)
	if err != nil {
		return fmt.Errorf("read the outbox of shard %d: %w", shard, err)
	}
	for _, o := range records {
		if r.platforms[o.Platform] == nil {
			continue
		}
		if err := r.carryOut(ctx, shard, o, true); err != nil {
			return err
		}
	}
	return nil
}

// carryOut does an outbox record's tasks in order, from the first not done, recording its
// progress after each (with what the task learnt, such as where the rating question went) and
// forgetting the record after the last. A crash then repeats at most the task under way, and
// that one looks before it sends when reconcile is set. A task that fails for good is logged
// and counts as done, as a notice always did: it must not hold up the customer's later events.
// Only stopping leaves the record for the next start.
func (r *Relay) carryOut(ctx context.Context, shard int, o desk.Outbox, reconcile bool) error {
	p := r.platforms[o.Platform]
	for i := o.Done; i < len(o.Tasks); i++ {
		t := o.Tasks[i]
		learnt, err := r.do1(ctx, p, o, t, reconcile)
		if aborted(err) {
			return err
		}
		if err != nil {
			r.log.Warn("task failed", "platform", o.Platform, "event", o.Event, "task", i, "kind", t.Kind, "ticket", int64(t.Ticket), "err", err)
		}
		r.metrics.Tasks.WithLabelValues(o.Platform, string(t.Kind), taskResult(err)).Inc()
		reconcile = false // the tasks after the one under way at a crash were never started
		o.Done = i + 1
		progress := desk.Change(desk.DoneOutbox{Shard: shard, Platform: o.Platform, Event: o.Event})
		if o.Done < len(o.Tasks) {
			progress = desk.PutOutbox{Shard: shard, Outbox: o, Progress: true}
		}
		if err := r.store.Apply(ctx, append(learnt, progress)...); err != nil {
			return fmt.Errorf("record the progress of event %s's tasks: %w", o.Event, err)
		}
	}
	return nil
}

func taskResult(err error) string {
	if err != nil {
		return "failed"
	}
	return "ok"
}

// do1 carries out one task and returns what it learnt to record.
func (r *Relay) do1(ctx context.Context, p desk.Platform, o desk.Outbox, t desk.Task, reconcile bool) ([]desk.Change, error) {
	switch t.Kind {
	case desk.TaskPost:
		ref, err := r.post(ctx, p, t.Message, reconcile)
		if err != nil {
			return nil, err
		}
		switch t.Remember {
		case rememberRating:
			return []desk.Change{desk.SetRatingMessage{Ticket: t.Ticket, Ref: ref}}, nil
		case rememberBot:
			return []desk.Change{desk.SetBotMessage{Ticket: t.Ticket, Ref: ref}}, nil
		}
		return nil, nil
	case desk.TaskCard:
		tk, err := r.store.Ticket(ctx, t.Ticket)
		if err != nil {
			return nil, fmt.Errorf("load ticket %s for its card: %w", t.Ticket, err)
		}
		return nil, r.refreshCard(ctx, p, tk)
	case desk.TaskUpdate:
		m := t.Message
		return nil, r.do(ctx, p, t.Ref.Channel, func() error { return p.Update(ctx, t.Ref, m) })
	case desk.TaskAnswer:
		return []desk.Change{desk.PutAnswer{Platform: o.Platform, Event: t.Event, Text: t.Message.Text}}, nil
	case desk.TaskRelease:
		return r.release(ctx, p, t.Ticket, reconcile)
	case desk.TaskExport:
		return nil, r.export(ctx, p, t, reconcile)
	}
	return nil, fmt.Errorf("unknown task %q", t.Kind)
}

// Task.Remember values: the rating question, the bot's last question.
const (
	rememberRating = "rating"
	rememberBot    = "bot"
)

// decide adds an outcome of the ticket rules to d: the ticket and its history to save, the
// facts and timers to record, and the tasks that carry out its notices, card and rating
// question.
func (r *Relay) decide(d *decision, q desk.Queued, o desk.Outcome) {
	t := o.Ticket
	// A message that changes nothing but the ticket's activity is the hot path: one field.
	light := (o.Step == desk.StepRespond || o.Step == desk.StepWrote) && !o.Changed() && len(o.Entries) == 0 && !o.Clocks
	for _, e := range o.Effects {
		switch e.Kind {
		case desk.EffectFact:
			f := e.Fact
			f.Agent, f.Subject = strings.ReplaceAll(f.Agent, "|", ""), strings.ReplaceAll(f.Subject, "|", "")
			d.change(desk.RecordFact{Fact: f})
			light = false // the first response is on the ticket
		case desk.EffectTimer:
			id := strconv.FormatInt(int64(t.ID), 10) + ":" + e.Timer
			if e.At.IsZero() {
				d.change(desk.CancelTimer{ID: id})
				continue
			}
			d.change(desk.SetTimer{Timer: desk.Timer{ID: id, At: e.At, Shard: q.Shard, Event: desk.Event{
				ID: "timer:" + id, Platform: t.Platform, Kind: desk.TimerFired, Source: desk.SourceTimer,
				Ticket: t.ID, Action: e.Timer, Value: id,
			}}})
		case desk.EffectNotify:
			if t.DMChannel != "" {
				d.task(desk.Task{Kind: desk.TaskPost, Platform: t.Platform, Ticket: t.ID, Message: desk.Outgoing{
					Channel: t.DMChannel, Text: r.noticeText(e, t), Key: partKey(q.Event, "notice"+string(e.Notice), 0),
				}})
			}
		case desk.EffectCard:
			if t.HasThread() {
				d.task(desk.Task{Kind: desk.TaskCard, Platform: t.Platform, Ticket: t.ID})
			}
		case desk.EffectBot:
			d.task(r.botTasks(q.Event, t, e)...)
		case desk.EffectRelease:
			d.task(desk.Task{Kind: desk.TaskRelease, Platform: t.Platform, Ticket: t.ID})
		case desk.EffectAskRating:
			if t.DMChannel == "" {
				continue
			}
			if e.Again && t.RatingMessage.ID != "" {
				// The reminder takes over: the first question keeps its words, not its buttons.
				first := r.ratingQuestion(q.Event, t, false).Message
				d.task(desk.Task{Kind: desk.TaskUpdate, Platform: t.Platform, Ticket: t.ID, Ref: t.RatingMessage,
					Message: desk.Outgoing{Channel: t.RatingMessage.Channel, Text: first.Text, Card: &desk.Card{Text: first.Text}}})
			}
			d.task(r.ratingQuestion(q.Event, t, e.Again))
		}
	}
	if light {
		d.change(desk.TouchTicket{Ticket: t.ID, At: t.LastActivityAt, Heard: t.HeardAt, Told: t.ToldAt})
	} else {
		d.change(desk.SaveTicket{Ticket: t})
	}
	for _, e := range o.Entries {
		d.change(desk.AppendEntry{Ticket: t.ID, Entry: e})
	}
}

// noticeTexts are the catalog texts of the customers' notices.
var noticeTexts = map[desk.NoticeKind]string{
	desk.NoticeClaimed:  catalog.NoticeClaimed,
	desk.NoticePending:  catalog.NoticePending,
	desk.NoticeResolved: catalog.NoticeResolved,
	desk.NoticeReopened: catalog.TicketReopened,
	desk.NoticeClosed:   catalog.NoticeClosed,

	desk.NoticeNudge:        catalog.NoticeNudge,
	desk.NoticeAutoResolved: catalog.NoticeAutoResolved,
}

// noticeText is a customer's notice, the agent it names quoted for the ticket's platform.
func (r *Relay) noticeText(e desk.Effect, t desk.Ticket) string {
	if e.Notice == desk.NoticeAway {
		return r.awayText(t, e.At)
	}
	return sayIn(r.textFor(t), r.quoterOf(t.Platform), noticeTexts[e.Notice], map[string]any{"Ticket": t.ID.String(), "Agent": words(e.Agent)})
}

// ratingQuestion is the task that asks the customer for a score (again: the one reminder):
// five buttons, under the desk file's text for the customer's language when it has one, else
// the catalog's. Where it was posted is remembered on the ticket.
func (r *Relay) ratingQuestion(ev desk.Event, t desk.Ticket, again bool) desk.Task {
	id := strconv.FormatInt(int64(t.ID), 10)
	rules, which, what := r.policy().Rating, catalog.RatingQuestion, "rating"
	custom := rules.Question
	if again {
		which, what, custom = catalog.RatingReminder, "rating-reminder", rules.Reminder
	}
	text := r.textFor(t).Text(which, map[string]any{"Ticket": t.ID.String()})
	if own, ok := custom[r.languageOf(t)]; ok {
		text = desk.Fill(own, desk.Values{Customer: t.Customer.Label(), Agent: t.AssigneeName, Ticket: t.ID.String()})
	}
	card := &desk.Card{Text: text}
	for score := 1; score <= 5; score++ {
		card.Actions = append(card.Actions, desk.Action{ID: "rate", Label: strconv.Itoa(score), Value: id + ":" + strconv.Itoa(score)})
	}
	return desk.Task{Kind: desk.TaskPost, Platform: t.Platform, Ticket: t.ID, Remember: rememberRating,
		Message: desk.Outgoing{Channel: t.DMChannel, Text: card.Text, Card: card, Key: partKey(ev, what, 0)}}
}

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

// step is one change of the triage workflow, asked for by a button, a form or a command.
type step struct {
	kind     string    // claim, assign, tag, priority, pending, resolve, reopen, close, rate, comment
	agent    desk.User // assign: who gets the ticket
	category *string   // tag: the new category, if given
	tags     []string  // tag: tags to add ("-x" removes x)
	setTags  *[]string // tag form: the whole new tag list
	priority desk.Priority
	rating   int
	comment  string
}

// refusal is a step that cannot be taken, with the text that tells the person why. It changes
// nothing.
type refusal struct{ text string }

func (e *refusal) Error() string { return e.text }

func (r *Relay) refuse(id string, args map[string]any) error {
	return &refusal{text: r.text.Text(id, args)}
}

// agentSteps are the steps only agents may take.
var agentSteps = []string{"claim", "assign", "tag", "priority", "pending", "resolve", "reopen", "close"}

// apply checks st against the ticket's state and the actor, and carries it out: the ticket
// is saved with a history entry and statistics facts, its card is updated, and the customer is
// told what concerns them. It returns a short description of what was done.
func (r *Relay) apply(ctx context.Context, p desk.Platform, q desk.Queued, t desk.Ticket, who desk.User, st step) (string, error) {
	now := r.clock.Now()
	ticket := t.ID.String()
	args := map[string]any{"Ticket": ticket, "Status": string(t.Status)}
	if t.Status == desk.StatusClosed && st.kind != "rate" && st.kind != "comment" {
		return "", r.refuse(catalog.TicketClosed, args)
	}
	was := t.Status
	var changes []desk.Change
	var notice string
	var what string
	assign := func(agent desk.User) {
		t.Assignee, t.AssigneeName = agent.ID, agent.Label()
		if t.Status == desk.StatusNew {
			t.Status = desk.StatusOpen
		}
		if t.FirstResponseAt.IsZero() {
			t.FirstResponseAt = now
			changes = append(changes, r.fact(desk.FactFirstResponse, t, who.ID, int64(now.Sub(t.CreatedAt).Seconds())))
		}
		notice = catalog.NoticeClaimed
		args["Agent"] = agent.Label()
	}
	switch st.kind {
	case "claim":
		if t.Assignee == who.ID {
			return "", r.refuse(catalog.AlreadyYours, args)
		}
		assign(who)
		what = r.text.Text(catalog.StepClaimed, args)
	case "assign":
		ok, err := r.isAgent(ctx, p, st.agent)
		if err != nil {
			return "", fmt.Errorf("check agent %s: %w", st.agent.ID, err)
		}
		if !ok {
			return "", r.refuse(catalog.UserNotAgent, map[string]any{"User": st.agent.Label()})
		}
		if t.Assignee == st.agent.ID {
			args["Agent"] = st.agent.Label()
			return "", r.refuse(catalog.AlreadyAssigned, args)
		}
		assign(st.agent)
		what = r.text.Text(catalog.StepAssigned, args)
	case "tag":
		if st.category != nil {
			if *st.category != "" && !slices.Contains(r.opts.Categories, *st.category) {
				return "", r.refuse(catalog.BadCategory, map[string]any{"Value": *st.category, "Choices": strings.Join(r.opts.Categories, ", ")})
			}
			t.Category = *st.category
		}
		if st.setTags != nil {
			t.Tags = *st.setTags
		}
		for _, tag := range st.tags {
			if name, ok := strings.CutPrefix(tag, "-"); ok {
				t.Tags = slices.DeleteFunc(t.Tags, func(x string) bool { return x == name })
			} else if !slices.Contains(t.Tags, tag) {
				t.Tags = append(t.Tags, tag)
			}
		}
		if st.priority != "" {
			t.Priority = st.priority
		}
		args["Category"], args["Tags"], args["Priority"] = r.orNone(t.Category), r.orNone(strings.Join(t.Tags, ", ")), string(t.Priority)
		what = r.text.Text(catalog.StepTagged, args)
	case "priority":
		if !st.priority.Valid() {
			return "", r.refuse(catalog.BadPriority, map[string]any{"Value": string(st.priority), "Choices": joinPriorities()})
		}
		t.Priority = st.priority
		args["Priority"] = string(t.Priority)
		what = r.text.Text(catalog.StepPriority, args)
	case "pending":
		if t.Status == desk.StatusPending || t.Status == desk.StatusResolved {
			return "", r.refuse(catalog.AlreadyStatus, args)
		}
		t.Status = desk.StatusPending
		notice = catalog.NoticePending
		what = r.text.Text(catalog.StepPending, args)
	case "resolve":
		if t.Status == desk.StatusResolved {
			return "", r.refuse(catalog.AlreadyStatus, args)
		}
		t.Status, t.ResolvedAt = desk.StatusResolved, now
		agent := t.Assignee
		if agent == "" {
			agent = who.ID
		}
		changes = append(changes, r.fact(desk.FactResolved, t, agent, int64(now.Sub(t.CreatedAt).Seconds())))
		notice = catalog.NoticeResolved
		what = r.text.Text(catalog.StepResolved, args)
	case "reopen":
		if t.Status != desk.StatusResolved && t.Status != desk.StatusPending {
			return "", r.refuse(catalog.CannotReopen, args)
		}
		t.Status = desk.StatusOpen
		notice = catalog.TicketReopened
		what = r.text.Text(catalog.StepReopened, args)
	case "close":
		t.Status, t.ClosedAt = desk.StatusClosed, now
		notice = catalog.NoticeClosed
		what = r.text.Text(catalog.StepClosed, args)
	case "rate":
		if who.ID != t.Customer.ID || (t.Status != desk.StatusResolved && t.Status != desk.StatusClosed) || t.Rating != 0 || st.rating < 1 || st.rating > 5 {
			return "", r.refuse(catalog.RatingNotAllowed, args)
		}
		t.Rating = st.rating
		changes = append(changes, r.fact(desk.FactRating, t, t.Assignee, int64(st.rating)))
		what = r.text.Text(catalog.RatingThanks, map[string]any{"Ticket": ticket, "Score": st.rating})
	case "comment":
		if who.ID != t.Customer.ID || t.Rating == 0 || t.RatingComment != "" || strings.TrimSpace(st.comment) == "" {
			return "", r.refuse(catalog.RatingNotAllowed, args)
		}
		t.RatingComment = strings.TrimSpace(st.comment)
		what = r.text.Text(catalog.RatingCommented, map[string]any{"Ticket": ticket})
	default:
		return "", fmt.Errorf("unknown workflow step %q", st.kind)
	}
	t.LastActivityAt = now
	entry := desk.Entry{At: now, Kind: "action", Author: who.ID, Name: who.Label(), Text: st.kind}
	if t.Status != was {
		entry.Kind, entry.Text = "status", string(was)+" → "+string(t.Status)
	}
	switch st.kind {
	case "assign":
		entry.Text += " (assigned to " + st.agent.Label() + ")"
	case "rate":
		entry.Text = "rated " + strconv.Itoa(st.rating) + "/5"
	case "comment":
		entry.Kind, entry.Text = "rating", "comment: "+t.RatingComment
	}
	changes = append(changes, desk.SaveTicket{Ticket: t}, desk.AppendEntry{Ticket: t.ID, Entry: entry})
	if err := r.store.Apply(ctx, changes...); err != nil {
		return "", fmt.Errorf("record %s of ticket %d: %w", st.kind, t.ID, err)
	}
	r.observeStep(p, t, st.kind, was)
	r.refreshCard(ctx, p, t)
	if notice != "" && t.DMChannel != "" {
		r.notice(ctx, p, q, "notice", desk.Outgoing{Channel: t.DMChannel}, notice, args)
	}
	if st.kind == "resolve" && t.Rating == 0 {
		r.askRating(ctx, p, q, t)
	}
	return what, nil
}

// askRating sends the customer the satisfaction question: five buttons.
func (r *Relay) askRating(ctx context.Context, p desk.Platform, q desk.Queued, t desk.Ticket) {
	id := strconv.FormatInt(int64(t.ID), 10)
	card := &desk.Card{Text: r.text.Text(catalog.RatingQuestion, map[string]any{"Ticket": t.ID.String()})}
	for score := 1; score <= 5; score++ {
		card.Actions = append(card.Actions, desk.Action{ID: "rate", Label: strconv.Itoa(score), Value: id + ":" + strconv.Itoa(score)})
	}
	m := desk.Outgoing{Channel: t.DMChannel, Text: card.Text, Card: card, Key: partKey(q.Event, "rating", 0)}
	if _, err := r.post(ctx, p, m, q.Redelivered); err != nil && !aborted(err) {
		r.log.Warn("ask for a rating", "platform", p.Name(), "ticket", int64(t.ID), "err", err)
	}
}

// fact is a statistics fact about t, to record with the step that makes it true.
func (r *Relay) fact(kind desk.FactKind, t desk.Ticket, agent string, value int64) desk.Change {
	return desk.RecordFact{Fact: desk.Fact{Kind: kind, At: r.clock.Now(), Ticket: t.ID, Agent: strings.ReplaceAll(agent, "|", ""), Value: value}}
}

// loadTicket reads a ticket for a step, refusing a number that does not exist.
func (r *Relay) loadTicket(ctx context.Context, id desk.TicketID) (desk.Ticket, error) {
	t, err := r.store.Ticket(ctx, id)
	if errors.Is(err, desk.ErrNotFound) || id <= 0 {
		return t, r.refuse(catalog.NoSuchTicket, map[string]any{"Ticket": id.String()})
	}
	if err != nil {
		return t, fmt.Errorf("load ticket %d: %w", id, err)
	}
	return t, nil
}

// isLead reports whether a user is named in LEADS, by ID or handle.
func (r *Relay) isLead(u desk.User) bool {
	for _, l := range r.opts.Leads {
		l = strings.TrimPrefix(strings.TrimSpace(l), "@")
		if l != "" && (strings.EqualFold(l, u.ID) || strings.EqualFold(l, u.Name)) {
			return true
		}
	}
	return false
}

// orNone is s, or the catalog's word for an empty value.
func (r *Relay) orNone(s string) string {
	if s == "" {
		return r.text.Text(catalog.CardNone, nil)
	}
	return s
}

func joinPriorities() string {
	var ps []string
	for _, p := range desk.Priorities {
		ps = append(ps, string(p))
	}
	return strings.Join(ps, ", ")
}

// ticketOf reads the ticket number at the start of a button's value ("12" or "12:4").
func ticketOf(value string) desk.TicketID {
	head, _, _ := strings.Cut(value, ":")
	n, err := strconv.ParseInt(strings.TrimPrefix(head, "#"), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return desk.TicketID(n)
}

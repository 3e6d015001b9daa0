package relay

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// Form IDs: what a submitted form does.
const (
	formTag     = "tag"
	formAssign  = "assign"
	formComment = "comment"
)

// opensForm reports whether pressing the action opens a form. Those are handled at once in
// Ingest, not from the queue: the platform's trigger to open a form lives only 3 seconds, and
// opening a form changes nothing that would need recording.
func opensForm(action string) bool {
	return action == "assign" || action == "tag" || action == "comment"
}

// openForm answers a click that opens a form: the Tag or Assign form for agents, the rating
// comment for the customer.
func (r *Relay) openForm(ctx context.Context, p desk.Platform, ev desk.Event) error {
	ctx, cancel := context.WithTimeout(ctx, 2500*time.Millisecond)
	defer cancel()
	id := ev.Ticket
	if id == 0 {
		id = ticketOf(ev.Value)
	}
	t, err := r.loadTicket(ctx, id)
	if err == nil && ev.Action != "comment" {
		err = r.mayActAsAgent(ctx, p, ev.User, ev.Action)
	}
	if err == nil && t.Status == desk.StatusClosed && ev.Action != "comment" {
		err = r.refuse(catalog.TicketClosed, map[string]any{"Ticket": t.ID.String()})
	}
	if err == nil && ev.Action == "comment" && (ev.User.ID != t.Customer.ID || t.Rating == 0 || t.RatingComment != "") {
		err = r.refuse(catalog.RatingNotAllowed, map[string]any{"Ticket": t.ID.String()})
	}
	if err != nil {
		return r.answerRefusal(ctx, p, ev, err)
	}
	ticket := map[string]any{"Ticket": t.ID.String()}
	context := strconv.FormatInt(int64(t.ID), 10)
	var f desk.Form
	switch ev.Action {
	case "tag":
		f = desk.Form{ID: formTag, Title: r.text.Text(catalog.FormTagTitle, ticket), Submit: r.text.Text(catalog.FormSave, nil), Context: context,
			Fields: []desk.FormField{
				{ID: "category", Label: r.text.Text(catalog.FormCategory, nil), Kind: "select", Options: r.opts.Categories, Value: t.Category, Optional: true},
				{ID: "tags", Label: r.text.Text(catalog.FormTags, nil), Hint: r.text.Text(catalog.FormTagsHint, nil), Kind: "text", Value: strings.Join(t.Tags, ", "), Optional: true},
				{ID: "priority", Label: r.text.Text(catalog.FormPriority, nil), Kind: "select", Options: priorityNames(), Value: string(t.Priority)},
			}}
	case "assign":
		f = desk.Form{ID: formAssign, Title: r.text.Text(catalog.FormAssignTitle, ticket), Submit: r.text.Text(catalog.FormSave, nil), Context: context,
			Fields: []desk.FormField{{ID: "agent", Label: r.text.Text(catalog.FormAgent, nil), Kind: "user", Value: t.Assignee}}}
	case "comment":
		// The context also names the thanks message, so that the submission can update it.
		f = desk.Form{ID: formComment, Title: r.text.Text(catalog.FormCommentTitle, ticket), Submit: r.text.Text(catalog.FormSubmitComment, nil),
			Context: context + ":" + ev.Channel + ":" + ev.Message,
			Fields:  []desk.FormField{{ID: "comment", Label: r.text.Text(catalog.FormComment, nil), Kind: "textarea"}}}
	}
	if err := p.OpenForm(ctx, ev.Trigger, f); err != nil {
		// The click's trigger may have expired (the platform was slow to deliver it): nothing
		// changed, so the person is told to click again rather than the platform to retry.
		r.log.Warn("open form", "platform", p.Name(), "form", f.ID, "ticket", int64(t.ID), "err", err)
		return r.answerRefusal(ctx, p, ev, r.refuse(catalog.FormFailed, map[string]any{"Reason": reason(err)}))
	}
	return nil
}

// checkForm refuses at once, field by field, a form submission whose values cannot be taken:
// an unknown person or one who is not an agent to assign, an unknown category or priority. The
// person corrects the form while it is still open. What it cannot check now (the platform or
// the store is slow or down) is left to the worker, which checks everything again.
func (r *Relay) checkForm(ctx context.Context, p desk.Platform, ev desk.Event) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	problems := map[string]string{}
	switch ev.Action {
	case formAssign:
		agent, err := r.findUser(ctx, p, ev.Form["agent"])
		if ref, ok := err.(*refusal); ok {
			problems["agent"] = ref.text
			break
		}
		if err != nil {
			break
		}
		if ok, err := r.isAgent(ctx, p, agent); err == nil && !ok {
			problems["agent"] = r.text.Text(catalog.UserNotAgent, map[string]any{"User": r.who(ctx, p, agent).Label()})
		}
	case formTag:
		if c := strings.TrimSpace(ev.Form["category"]); c != "" && !slices.Contains(r.opts.Categories, c) {
			problems["category"] = r.text.Text(catalog.BadCategory, map[string]any{"Value": c, "Choices": strings.Join(r.opts.Categories, ", ")})
		}
		if pr := desk.Priority(strings.TrimSpace(ev.Form["priority"])); pr != "" && !pr.Valid() {
			problems["priority"] = r.text.Text(catalog.BadPriority, map[string]any{"Value": string(pr), "Choices": joinPriorities()})
		}
	}
	if len(problems) > 0 {
		return &desk.FormError{Fields: problems}
	}
	return nil
}

// mayActAsAgent refuses a person who is not an agent.
func (r *Relay) mayActAsAgent(ctx context.Context, p desk.Platform, u desk.User, what string) error {
	ok, err := r.isAgent(ctx, p, u)
	if err != nil {
		return fmt.Errorf("check whether %s is an agent: %w", u.ID, err)
	}
	if !ok {
		return r.refuse(catalog.NotAnAgent, map[string]any{"Command": what})
	}
	return nil
}

// answerRefusal tells the person who clicked or typed why nothing happened, privately. Any
// other error is returned for the caller to handle.
func (r *Relay) answerRefusal(ctx context.Context, p desk.Platform, ev desk.Event, err error) error {
	ref, ok := err.(*refusal)
	if !ok {
		return err
	}
	r.Discard(ev.Platform, desk.DropRefused)
	m := desk.Outgoing{Channel: ev.Channel, Thread: ev.Thread, Text: ref.text, Ephemeral: ev.User.ID, Reply: ev.Reply, Key: partKey(ev, "refusal", 0)}
	if m.Channel == "" && m.Reply == "" {
		m.Channel, m.Thread = r.whereSeen(ctx, p, ev)
	}
	if _, err := p.Post(ctx, m); err != nil {
		r.log.Warn("tell a refusal", "platform", p.Name(), "err", err)
	}
	return nil
}

// whereSeen is where to answer an event that came from no channel (a Slack modal's
// submission): in the thread of its ticket for an agent, in their DM for the ticket's
// customer, and in a DM with the app when there is no ticket.
func (r *Relay) whereSeen(ctx context.Context, p desk.Platform, ev desk.Event) (channel, thread string) {
	if t, err := r.store.Ticket(ctx, ticketOf(ev.Value)); err == nil && t.HasThread() {
		if ev.User.ID == t.Customer.ID {
			return t.DMChannel, ""
		}
		return t.TriageChannel, t.ThreadID
	}
	dm, err := p.OpenDM(ctx, ev.User.ID)
	if err != nil {
		r.log.Warn("open a DM for an answer", "platform", p.Name(), "user", ev.User.ID, "err", err)
	}
	return dm, ""
}

// action carries out a button pressed on a card or a notice.
func (r *Relay) action(ctx context.Context, p desk.Platform, q desk.Queued) error {
	ev := q.Event
	id := ev.Ticket
	if id == 0 {
		id = ticketOf(ev.Value)
	}
	st := step{kind: ev.Action}
	switch ev.Action {
	case "claim", "pending", "resolve", "reopen", "close":
	case "rate":
		_, score, _ := strings.Cut(ev.Value, ":")
		st.rating, _ = strconv.Atoi(score)
	default:
		return r.drop(ctx, q, desk.DropUnknownAction)
	}
	what, err := r.step(ctx, p, q, id, ev.User, st)
	if err != nil {
		if err := r.answerRefusal(ctx, p, ev, err); err != nil {
			return err
		}
		return r.ack(ctx, q)
	}
	if st.kind == "rate" {
		// The question becomes the thanks, with a button to add a comment.
		ref := desk.MessageRef{Channel: ev.Channel, ID: ev.Message}
		card := &desk.Card{Text: what, Actions: []desk.Action{{ID: "comment", Label: r.text.Text(catalog.ButtonComment, nil), Value: strconv.FormatInt(int64(id), 10)}}}
		if err := r.do(ctx, p, ref.Channel, func() error {
			return p.Update(ctx, ref, desk.Outgoing{Channel: ref.Channel, Text: what, Card: card})
		}); err != nil && !aborted(err) {
			r.log.Warn("thank for a rating", "platform", p.Name(), "err", err)
		}
	}
	return r.ack(ctx, q)
}

// formSubmitted carries out a submitted Tag, Assign or comment form.
func (r *Relay) formSubmitted(ctx context.Context, p desk.Platform, q desk.Queued) error {
	ev := q.Event
	id := ticketOf(ev.Value)
	var st step
	switch ev.Action {
	case formTag:
		category := strings.TrimSpace(ev.Form["category"])
		tags := splitTags(ev.Form["tags"])
		st = step{kind: "tag", category: &category, setTags: &tags, priority: desk.Priority(strings.TrimSpace(ev.Form["priority"]))}
		if st.priority != "" && !st.priority.Valid() {
			return r.refuseAndAck(ctx, p, q, r.refuse(catalog.BadPriority, map[string]any{"Value": string(st.priority), "Choices": joinPriorities()}))
		}
	case formAssign:
		agent, err := r.findUser(ctx, p, ev.Form["agent"])
		if err != nil {
			return r.refuseAndAck(ctx, p, q, err)
		}
		st = step{kind: "assign", agent: agent}
	case formComment:
		st = step{kind: "comment", comment: ev.Form["comment"]}
	default:
		return r.drop(ctx, q, desk.DropUnknownForm)
	}
	what, err := r.step(ctx, p, q, id, ev.User, st)
	if err != nil {
		return r.refuseAndAck(ctx, p, q, err)
	}
	if st.kind == "comment" {
		r.thankForComment(ctx, p, q, id, what)
	}
	return r.ack(ctx, q)
}

// thankForComment replaces the rating thanks (with its comment button) by a thanks for the
// comment; the comment form's context names that message.
func (r *Relay) thankForComment(ctx context.Context, p desk.Platform, q desk.Queued, id desk.TicketID, what string) {
	parts := strings.SplitN(q.Event.Value, ":", 3)
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		r.notice(ctx, p, q, "thanks", desk.Outgoing{Channel: q.Event.Channel}, catalog.RatingCommented, map[string]any{"Ticket": id.String()})
		return
	}
	ref := desk.MessageRef{Channel: parts[1], ID: parts[2]}
	t, err := r.store.Ticket(ctx, id)
	if err != nil {
		return
	}
	text := r.text.Text(catalog.RatingThanks, map[string]any{"Ticket": id.String(), "Score": t.Rating}) + " " + what
	if err := r.do(ctx, p, ref.Channel, func() error {
		return p.Update(ctx, ref, desk.Outgoing{Channel: ref.Channel, Text: text, Card: &desk.Card{Text: text}})
	}); err != nil && !aborted(err) {
		r.log.Warn("thank for a comment", "platform", p.Name(), "err", err)
	}
}

func (r *Relay) refuseAndAck(ctx context.Context, p desk.Platform, q desk.Queued, err error) error {
	if err := r.answerRefusal(ctx, p, q.Event, err); err != nil {
		return err
	}
	return r.ack(ctx, q)
}

// step loads the ticket, checks that who may take st, and applies it.
func (r *Relay) step(ctx context.Context, p desk.Platform, q desk.Queued, id desk.TicketID, who desk.User, st step) (string, error) {
	t, err := r.loadTicket(ctx, id)
	if err != nil {
		return "", err
	}
	who = r.who(ctx, p, who)
	for _, k := range agentSteps {
		if st.kind == k {
			if err := r.mayActAsAgent(ctx, p, who, st.kind); err != nil {
				return "", err
			}
		}
	}
	return r.apply(ctx, p, q, t, who, st)
}

// findUser resolves a name typed or picked in a form to a user, refusing unknown names.
func (r *Relay) findUser(ctx context.Context, p desk.Platform, handle string) (desk.User, error) {
	handle = strings.TrimSpace(handle)
	if handle == "" {
		return desk.User{}, r.refuse(catalog.UnknownUser, map[string]any{"User": "(nobody)"})
	}
	u, err := p.FindUser(ctx, handle)
	if err != nil {
		if desk.ErrorCode(err) == desk.ENOTFOUND || desk.Failed(err) == desk.FailNotFound {
			return desk.User{}, r.refuse(catalog.UnknownUser, map[string]any{"User": handle})
		}
		return desk.User{}, fmt.Errorf("find user %q: %w", handle, err)
	}
	return safeNames(u), nil
}

// splitTags reads tags typed as "a, b c": separated by commas or spaces, without empties or
// repeats.
func splitTags(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		f = strings.TrimPrefix(strings.TrimSpace(f), "#")
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func priorityNames() []string {
	out := make([]string, len(desk.Priorities))
	for i, p := range desk.Priorities {
		out[i] = string(p)
	}
	return out
}

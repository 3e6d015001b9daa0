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
	formClose   = "close" // the confirmation of the card's Close button
	formReply   = "reply" // an article or a canned reply to the customer
)

// opensForm reports whether pressing the action opens a form. Those are handled at once in
// Ingest, not from the queue: the platform's trigger to open a form lives only 3 seconds, and
// opening a form changes nothing that would need recording.
func opensForm(action string) bool {
	return action == "assign" || action == "tag" || action == "comment" || action == "close" || action == "reply"
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
		return r.tellNow(ctx, p, ev, err)
	}
	ticket := map[string]any{"Ticket": t.ID.String()}
	// The form's context names its ticket; the submission acts on that ticket only, as the
	// store has it (a forged context can name a ticket, never a message to change).
	context := strconv.FormatInt(int64(t.ID), 10)
	var f desk.Form
	switch ev.Action {
	case "tag":
		f = desk.Form{ID: formTag, Title: r.text().Text(catalog.FormTagTitle, ticket), Submit: r.text().Text(catalog.FormSave, nil), Context: context,
			Fields: []desk.FormField{
				{ID: "category", Label: r.text().Text(catalog.FormCategory, nil), Kind: "select", Options: r.policy().Categories, Value: t.Category, Optional: true},
				{ID: "tags", Label: r.text().Text(catalog.FormTags, nil), Hint: r.text().Text(catalog.FormTagsHint, nil), Kind: "text", Value: strings.Join(t.Tags, ", "), Optional: true},
				{ID: "priority", Label: r.text().Text(catalog.FormPriority, nil), Kind: "select", Options: priorityNames(), Value: string(t.Priority)},
			}}
	case "assign":
		f = desk.Form{ID: formAssign, Title: r.text().Text(catalog.FormAssignTitle, ticket), Submit: r.text().Text(catalog.FormSave, nil), Context: context,
			Fields: []desk.FormField{{ID: "agent", Label: r.text().Text(catalog.FormAgent, nil), Kind: "user", Value: t.Assignee}}}
	case "close":
		f = desk.Form{ID: formClose, Title: r.text().Text(catalog.FormCloseTitle, ticket), Submit: r.text().Text(catalog.FormCloseSubmit, nil), Context: context,
			Fields: []desk.FormField{{ID: "note", Label: r.text().Text(catalog.FormCloseNote, nil), Hint: r.text().Text(catalog.FormCloseHint, nil), Kind: "textarea", Optional: true}}}
	case "reply":
		f = r.replyForm(t, context)
	case "comment":
		f = desk.Form{ID: formComment, Title: r.text().Text(catalog.FormCommentTitle, ticket), Submit: r.text().Text(catalog.FormSubmitComment, nil), Context: context,
			Fields: []desk.FormField{{ID: "comment", Label: r.text().Text(catalog.FormComment, nil), Kind: "textarea"}}}
	}
	if err := p.OpenForm(ctx, ev.Trigger, f); err != nil {
		// The click's trigger may have expired (the platform was slow to deliver it): nothing
		// changed, so the person is told to click again rather than the platform to retry.
		r.log.Warn("open form", "platform", p.Name(), "form", f.ID, "ticket", int64(t.ID), "err", err)
		return r.tellNow(ctx, p, ev, r.refuse(catalog.FormFailed, map[string]any{"Reason": reason(err)}))
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
	q := quoterFor(p, ev)
	switch ev.Action {
	case formAssign:
		agent, err := r.findUser(ctx, p, ev.Form["agent"])
		if text, ok := r.refusalText(err, r.text(), q); ok {
			problems["agent"] = text
			break
		}
		if err != nil {
			break
		}
		if ok, err := r.isAgent(ctx, p, agent); err == nil && !ok {
			problems["agent"] = r.say(q, catalog.UserNotAgent, map[string]any{"User": words(r.who(ctx, p, agent).Label())})
		}
	case formTag:
		if c := strings.TrimSpace(ev.Form["category"]); c != "" && !slices.Contains(r.policy().Categories, c) {
			problems["category"] = r.say(q, catalog.BadCategory, map[string]any{"Value": words(c), "Choices": strings.Join(r.policy().Categories, ", ")})
		}
		if pr := desk.Priority(strings.TrimSpace(ev.Form["priority"])); pr != "" && !pr.Valid() {
			problems["priority"] = r.say(q, catalog.BadPriority, map[string]any{"Value": words(pr), "Choices": joinPriorities()})
		}
	case formReply:
		if _, _, err := r.replyChoice(ev.Form); err != nil {
			field := "canned" // the form has no article field without a knowledge base
			if r.opts.Articles != nil && r.opts.Articles.Len() > 0 {
				field = "article"
			}
			if text, ok := r.refusalText(err, r.text(), q); ok {
				problems[field] = text
			}
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

// action carries out a button pressed on a card or a notice.
func (r *Relay) action(ctx context.Context, p desk.Platform, q desk.Queued) error {
	ev := q.Event
	id := ev.Ticket
	if id == 0 {
		id = ticketOf(ev.Value)
	}
	if ev.Action == actionForget || ev.Action == actionForgetCancel {
		return r.forgetPressed(ctx, p, q)
	}
	st := desk.Step{Kind: desk.StepKind(ev.Action)}
	switch st.Kind {
	case desk.StepClaim, desk.StepPending, desk.StepResolve, desk.StepReopen, desk.StepClose:
		return r.runStep(ctx, p, q, id, st, nil)
	case desk.StepRate:
		_, score, _ := strings.Cut(ev.Value, ":")
		st.Rating, _ = strconv.Atoi(score)
		return r.runStep(ctx, p, q, id, st, func(o desk.Outcome) []desk.Task {
			// The question becomes the thanks, with a button to add a comment.
			c := r.textFor(o.Ticket)
			text := c.Text(catalog.RatingThanks, map[string]any{"Ticket": o.Ticket.ID.String(), "Score": o.Ticket.Rating})
			card := &desk.Card{Text: text, Actions: []desk.Action{{ID: "comment", Label: c.Text(catalog.ButtonComment, nil), Value: strconv.FormatInt(int64(id), 10)}}}
			return []desk.Task{r.replaceRating(q.Event, o.Ticket, text, card)}
		})
	case desk.StepPickCategory, desk.StepAnswer, desk.StepSkip, desk.StepSolved, desk.StepNeedPerson, desk.StepWantTicket, desk.StepNoTicket:
		_, arg, _ := strings.Cut(ev.Value, ":")
		return r.intakeAction(ctx, p, q, id, st.Kind, arg)
	}
	return r.drop(ctx, q, desk.DropUnknownAction)
}

// replaceRating is the task that puts text in place of the ticket's rating question, which
// the store names: a click or a form never chooses which message changes. Without a known
// question (asked by an older version), the clicked message is replaced if it is in the
// customer's DM, and otherwise the text is posted there.
func (r *Relay) replaceRating(ev desk.Event, t desk.Ticket, text string, card *desk.Card) desk.Task {
	ref := t.RatingMessage
	if ref.ID == "" && ev.Kind == desk.ActionPressed && ev.Channel == t.DMChannel && ev.Message != "" {
		ref = desk.MessageRef{Channel: ev.Channel, ID: ev.Message}
	}
	if ref.ID == "" {
		return desk.Task{Kind: desk.TaskPost, Platform: t.Platform, Ticket: t.ID, Message: desk.Outgoing{
			Channel: t.DMChannel, Text: text, Key: partKey(ev, "thanks", 0)}}
	}
	return desk.Task{Kind: desk.TaskUpdate, Platform: t.Platform, Ticket: t.ID, Ref: ref,
		Message: desk.Outgoing{Channel: ref.Channel, Text: text, Card: card}}
}

// formSubmitted carries out a submitted Tag, Assign or comment form.
func (r *Relay) formSubmitted(ctx context.Context, p desk.Platform, q desk.Queued) error {
	ev := q.Event
	id := ticketOf(ev.Value)
	var st desk.Step
	var done func(desk.Outcome) []desk.Task
	switch ev.Action {
	case formTag:
		category := strings.TrimSpace(ev.Form["category"])
		tags := splitTags(ev.Form["tags"])
		st = desk.Step{Kind: desk.StepTag, Category: &category, SetTags: &tags, Priority: desk.Priority(strings.TrimSpace(ev.Form["priority"]))}
	case formAssign:
		agent, err := r.findUser(ctx, p, ev.Form["agent"])
		if err != nil {
			return r.refused(ctx, p, q, err)
		}
		a, err := r.assignee(ctx, p, agent)
		if err != nil {
			return err
		}
		st = desk.Step{Kind: desk.StepAssign, Assignee: a}
	case formClose:
		st = desk.Step{Kind: desk.StepClose, Comment: strings.TrimSpace(ev.Form["note"])}
	case formReply:
		return r.replySubmitted(ctx, p, q)
	case formComment:
		st = desk.Step{Kind: desk.StepComment, Comment: ev.Form["comment"]}
		done = func(o desk.Outcome) []desk.Task {
			c := r.textFor(o.Ticket)
			text := c.Text(catalog.RatingThanks, map[string]any{"Ticket": o.Ticket.ID.String(), "Score": o.Ticket.Rating}) + " " +
				c.Text(catalog.RatingCommented, map[string]any{"Ticket": o.Ticket.ID.String()})
			return []desk.Task{r.replaceRating(ev, o.Ticket, text, &desk.Card{Text: text})}
		}
	default:
		return r.drop(ctx, q, desk.DropUnknownForm)
	}
	return r.runStep(ctx, p, q, id, st, done)
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
			return desk.User{}, r.refuse(catalog.UnknownUser, map[string]any{"User": words(handle)})
		}
		return desk.User{}, fmt.Errorf("find user %q: %w", handle, err)
	}
	return u, nil
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

// ticketOf reads the ticket number at the start of a button's value or a form's context
// ("12", "12:4" or "12:…").
func ticketOf(value string) desk.TicketID {
	head, _, _ := strings.Cut(value, ":")
	n, err := strconv.ParseInt(strings.TrimPrefix(head, "#"), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return desk.TicketID(n)
}

// orNone is s, or the catalog's word for an empty value.
func (r *Relay) orNone(s string) string {
	if s == "" {
		return r.text().Text(catalog.CardNone, nil)
	}
	return s
}

func joinPriorities() string { return strings.Join(priorityNames(), ", ") }

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

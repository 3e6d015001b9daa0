package relay

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// This file runs the first-line bot (the rules are desk/intake.go's): a customer's message on
// a ticket in intake is held back for the agents and, when the bot asked something, taken as
// the answer; the bot's messages are outbox tasks like any notice; the release to the agents
// is a task that posts the card, tells the ticket's number and relays what was held, in order.

// maxSuggestions is how many articles the bot shows at most.
const maxSuggestions = 3

// intakeMessage handles a customer's message on a ticket the bot still talks about. The
// event that opened the ticket starts the intake (the store says which event that was, so a
// crash in the middle starts it again, not twice).
func (r *Relay) intakeMessage(ctx context.Context, p desk.Platform, q desk.Queued, t desk.Ticket, customer desk.User) error {
	ev := q.Event
	now := r.clock.Now()
	pol := r.policy()
	var d decision
	switch {
	case t.OpenedBy == ev.ID && t.Stage == "":
		var suggested []string
		if pol.Intake.Suggest && r.opts.Articles != nil && strings.TrimSpace(ev.Text) != "" {
			for _, a := range r.opts.Articles.Suggest(ev.Text, t.Language, maxSuggestions) {
				suggested = append(suggested, a.ID)
			}
		}
		agent, err := r.isAgent(ctx, p, customer)
		if err != nil {
			return fmt.Errorf("check whether %s is an agent: %w", customer.ID, err)
		}
		t.OpenedBy = "" // once committed, this event is never handled again
		r.decide(&d, q, t.StartIntake(pol, suggested, agent, now))
	case t.Stage == desk.StageQuestion:
		o, err := t.Take(desk.Step{Kind: desk.StepAnswer, Comment: ev.Text}, desk.PersonActor(customer, false), now, pol)
		if err == nil {
			// The question's buttons go once a typed answer is taken (not when it is asked
			// again: the new question has its own).
			if len(o.Ticket.Answers) > len(t.Answers) && t.BotMessage.ID != "" {
				d.task(r.chose(p, o.Ticket, t.BotMessage, r.asked(ev, t), o.Ticket.Answers[len(o.Ticket.Answers)-1].Value))
			}
			r.decide(&d, q, o)
		}
	}
	d.change(
		desk.HoldEvent{Ticket: t.ID, Event: ev},
		desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: now, Kind: "customer", Author: customer.ID, Name: customer.Label(), Text: ev.Text, Files: ev.Files}},
	)
	if len(d.changes) == 2 {
		d.change(desk.TouchTicket{Ticket: t.ID, At: now})
	}
	return r.commit(ctx, q, d)
}

// botTasks are the tasks that say what the bot says for effect e on ticket t.
func (r *Relay) botTasks(ev desk.Event, t desk.Ticket, e desk.Effect) []desk.Task {
	p, ok := r.platforms[t.Platform]
	if !ok || t.DMChannel == "" {
		return nil
	}
	id := strconv.FormatInt(int64(t.ID), 10)
	pol := r.policy()
	c := r.textFor(t) // the customer's language
	button := func(action, label, value string) desk.Action {
		if value != "" {
			value = ":" + value
		}
		return desk.Action{ID: action, Label: label, Value: id + value}
	}
	post := func(n int, text string, actions ...desk.Action) desk.Task {
		m := desk.Outgoing{Channel: t.DMChannel, Text: text, Key: partKey(ev, "bot-"+string(e.Stage), n)}
		task := desk.Task{Kind: desk.TaskPost, Platform: t.Platform, Ticket: t.ID, Message: m}
		if len(actions) > 0 {
			task.Message.Card = &desk.Card{Text: text, Actions: actions}
			task.Remember = rememberBot
		}
		return task
	}
	switch e.Stage {
	case "":
		return []desk.Task{post(0, c.Text(catalog.BotThanks, nil))}
	case desk.StageSuggested:
		// One message: the articles, numbered, a "that solved it" for each, and the way to a
		// person; a click replaces all its buttons at once.
		var parts []string
		var actions []desk.Action
		for _, id := range t.Suggested {
			a, ok := r.article(id)
			if !ok {
				continue
			}
			n := len(actions) + 1
			parts = append(parts, strconv.Itoa(n)+". "+c.Text(catalog.BotArticle, map[string]any{"Title": a.Title, "Body": excerpt(reflow(a.Body), 700)}))
			label := c.Text(catalog.ButtonSolved, nil)
			if len(t.Suggested) > 1 {
				label += " (" + strconv.Itoa(n) + ")"
			}
			actions = append(actions, button("solved", label, a.ID))
		}
		parts = append(parts, c.Text(catalog.BotStillNeed, nil))
		actions = append(actions, button("human", c.Text(catalog.ButtonHuman, nil), ""))
		return []desk.Task{post(0, strings.Join(parts, "\n\n"), actions...)}
	case desk.StageCategory:
		var lines []string
		var actions []desk.Action
		for _, c := range pol.Intake.Categories {
			line := "• " + c.Name
			if c.Description != "" {
				line += " — " + c.Description
			}
			lines = append(lines, line)
			actions = append(actions, button("category", c.Name, c.Name))
		}
		actions = append(actions, button("skip", c.Text(catalog.ButtonSkip, nil), ""))
		text := sayIn(c, p.Quote, catalog.BotGreeting, map[string]any{"Name": words(t.Customer.Label()), "Categories": strings.Join(lines, "\n")})
		return []desk.Task{post(0, text, actions...)}
	case desk.StageQuestion:
		cat, ok := pol.Intake.Category(t.Category)
		if !ok || t.Question >= len(cat.Questions) {
			return nil
		}
		q := cat.Questions[t.Question]
		text := c.Text(catalog.BotQuestion, map[string]any{"Ask": q.Ask})
		if e.Again {
			text = c.Text(catalog.BotQuestionAgain, map[string]any{"Ask": q.Ask, "Choices": len(q.Choices) > 0})
		}
		var actions []desk.Action
		for _, choice := range q.Choices {
			actions = append(actions, button("answer", choice, choice))
		}
		if !q.Required {
			actions = append(actions, button("skip", c.Text(catalog.ButtonSkip, nil), ""))
		}
		// Each question (and each asking again) is a message of its own.
		n := t.Question * 2
		if e.Again {
			n++
		}
		return []desk.Task{post(n, text, actions...)}
	case desk.StageConfirm:
		return []desk.Task{post(0, c.Text(catalog.BotConfirm, nil),
			button("want_ticket", c.Text(catalog.ButtonWantTicket, nil), ""),
			button("no_ticket", c.Text(catalog.ButtonNoTicket, nil), ""))}
	}
	return nil
}

// article returns a knowledge-base article, if there is a knowledge base and it has one.
func (r *Relay) article(id string) (desk.Article, bool) {
	if r.opts.Articles == nil {
		return desk.Article{}, false
	}
	return r.opts.Articles.Article(id)
}

// listItem matches a line that starts a list item: "- ", "* ", "• ", "1. ", "2) ".
var listItem = regexp.MustCompile(`^\s*([-*•]|\d{1,3}[.)])\s`)

// reflow joins the lines of an article's paragraphs, which its file may wrap at any width
// (a YAML "|" block keeps every line break), so that chat wraps them to the reader's window.
// Blank lines still part paragraphs, and list items and indented lines keep their own line.
func reflow(body string) string {
	var b strings.Builder
	blank := true // the line before was blank (or there was none)
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		line = strings.TrimRight(line, " \t\r")
		switch {
		case strings.TrimSpace(line) == "":
			if !blank {
				b.WriteString("\n\n")
			}
			blank = true
			continue
		case blank:
		case listItem.MatchString(line) || strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t"):
			b.WriteString("\n")
		default:
			b.WriteString(" ")
			line = strings.TrimLeft(line, " \t")
		}
		b.WriteString(line)
		blank = false
	}
	return strings.TrimSpace(b.String())
}

// excerpt is the start of an article's body, at most n runes, cut at a word.
func excerpt(body string, n int) string {
	body = strings.TrimSpace(body)
	if rs := []rune(body); len(rs) > n {
		cut := string(rs[:n])
		if i := strings.LastIndexAny(cut, " \n"); i > n/2 {
			cut = cut[:i]
		}
		return cut + "…"
	}
	return body
}

// intakeAction carries out a click on one of the bot's buttons: an intake step by the
// customer, and the clicked message shows what was chosen (its buttons gone, so that it is not
// clicked twice).
func (r *Relay) intakeAction(ctx context.Context, p desk.Platform, q desk.Queued, id desk.TicketID, kind desk.StepKind, arg string) error {
	ev := q.Event
	st := desk.Step{Kind: kind}
	switch kind {
	case desk.StepPickCategory:
		st.Category = &arg
	case desk.StepAnswer:
		st.Comment = arg
	case desk.StepSolved:
		st.Article = arg
	}
	// What the clicked message asked stays on it, with the choice under it.
	var question string
	if before, err := r.store.Ticket(ctx, id); err == nil && before.Status == desk.StatusIntake {
		question = r.asked(ev, before)
	}
	return r.runStep(ctx, p, q, id, st, func(o desk.Outcome) []desk.Task {
		t := o.Ticket
		if ev.Channel != t.DMChannel || ev.Message == "" {
			return nil
		}
		c := r.textFor(t)
		label := arg
		switch kind {
		case desk.StepSkip:
			label = c.Text(catalog.ButtonSkip, nil)
		case desk.StepSolved:
			label = c.Text(catalog.ButtonSolved, nil)
		case desk.StepNeedPerson:
			label = c.Text(catalog.ButtonHuman, nil)
		case desk.StepWantTicket:
			label = c.Text(catalog.ButtonWantTicket, nil)
		case desk.StepNoTicket:
			label = c.Text(catalog.ButtonNoTicket, nil)
		}
		return []desk.Task{r.chose(p, t, desk.MessageRef{Channel: ev.Channel, ID: ev.Message}, question, label)}
	})
}

// chose is the task that puts what was chosen (a person's words: a button's label, an answer)
// in place of a bot message's buttons, so that it is not answered twice; what the message
// asked (question, "" if unknown) stays above it, so the conversation still reads whole.
func (r *Relay) chose(p desk.Platform, t desk.Ticket, ref desk.MessageRef, question, choice string) desk.Task {
	text := sayIn(r.textFor(t), p.Quote, catalog.BotChose, map[string]any{"Choice": words(choice)})
	if question != "" {
		text = question + "\n\n" + text
	}
	return desk.Task{Kind: desk.TaskUpdate, Platform: t.Platform, Ticket: t.ID, Ref: ref,
		Message: desk.Outgoing{Channel: ref.Channel, Text: text, Card: &desk.Card{Text: text}}}
}

// asked is what the bot said to ask for t's stage: the text of the message that asked it.
func (r *Relay) asked(ev desk.Event, t desk.Ticket) string {
	for _, task := range r.botTasks(ev, t, desk.Effect{Kind: desk.EffectBot, Stage: t.Stage}) {
		return task.Message.Text
	}
	return ""
}

// release hands a ticket to the agents (a TaskRelease): its card, its number told to the
// customer, then every message its intake held, relayed in order with its delivery mark. With
// reconcile (a crash or an earlier attempt), each looks before it sends. It returns what to
// record: the links of the relayed messages, and that nothing is held any longer.
func (r *Relay) release(ctx context.Context, p desk.Platform, id desk.TicketID, reconcile bool) ([]desk.Change, error) {
	t, err := r.store.Ticket(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load ticket %s to release it: %w", id, err)
	}
	held, err := r.store.Held(ctx, id)
	if err != nil {
		return nil, err
	}
	q := desk.Queued{Event: desk.Event{ID: "release-" + strconv.FormatInt(int64(id), 10), Platform: t.Platform}, Redelivered: reconcile}
	if !t.HasThread() {
		posted, err := r.postCard(ctx, p, &t, q, false)
		if err != nil {
			return nil, err
		}
		if !posted {
			return nil, fmt.Errorf("post the card of ticket %s: the triage channel refused it", id)
		}
	}
	if err := r.tellOpened(ctx, p, t, reconcile); err != nil {
		return nil, err
	}
	var changes []desk.Change
	for _, ev := range held {
		customer := r.who(ctx, p, ev.User)
		refs, files, failure := r.relayMessage(ctx, p, desk.Queued{Event: ev, Redelivered: reconcile},
			desk.Outgoing{Channel: t.TriageChannel, Thread: t.ThreadID, As: &customer}, ev.Text, ev.Files)
		if aborted(failure) {
			return nil, failure
		}
		src := desk.MessageRef{Channel: ev.Channel, ID: ev.Message}
		if failure != nil {
			r.failed(ctx, p, desk.Queued{Event: ev}, src, desk.Outgoing{Channel: ev.Channel}, catalog.DeliveryFailedDM, reason(failure))
		} else {
			r.mark(ctx, p, src, outcome(files, ev.Files))
		}
		changes = append(changes, desk.PutLink{Platform: p.Name(), Link: desk.Link{Ticket: t.ID, Kind: desk.LinkCustomer, Source: src, Parts: refs, Files: files}})
	}
	r.tickets.opened.WithLabelValues(p.Name()).Inc()
	return append(changes, desk.DropHeld{Ticket: id}), nil
}

package relay

import (
	"context"
	"fmt"
	"strings"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// This file is the agents' side of the knowledge base and the canned replies: /desk kb search
// and show, /desk send N ID (an article) and /desk reply N NAME (a canned reply).

// kbFound is how many articles /desk kb search lists at most.
const kbFound = 5

// kbCommand answers /desk kb search WORDS and /desk kb show ID.
func (r *Relay) kbCommand(q quoter, args []string, usage func() error) (string, error) {
	if len(args) < 2 {
		return "", usage()
	}
	if r.opts.Articles == nil || r.opts.Articles.Len() == 0 {
		return r.text().Text(catalog.KBNotLoaded, nil), nil
	}
	cmd := r.opts.Command
	switch strings.ToLower(args[0]) {
	case "search":
		query := strings.Join(args[1:], " ")
		found := r.opts.Articles.Suggest(query, r.policy().Language, kbFound)
		if len(found) == 0 {
			return r.say(q, catalog.KBNone, map[string]any{"Query": words(query), "Command": cmd}), nil
		}
		lines := make([]string, len(found))
		for i, a := range found {
			lines[i] = r.text().Text(catalog.KBLine, map[string]any{"ID": a.ID, "Title": a.Title, "Lang": a.Lang})
		}
		return r.say(q, catalog.KBFound, map[string]any{"Query": words(query), "Lines": strings.Join(lines, "\n"), "Command": cmd}), nil
	case "show":
		if len(args) != 2 {
			return "", usage()
		}
		a, err := r.knownArticle(args[1])
		if err != nil {
			return "", err
		}
		return r.text().Text(catalog.KBArticle, map[string]any{"ID": a.ID, "Lang": a.Lang, "Category": a.Category,
			"Title": a.Title, "Body": a.Body, "Command": cmd}), nil
	}
	return "", usage()
}

// knownArticle is the article id, or the refusal that there is none.
func (r *Relay) knownArticle(id string) (desk.Article, error) {
	if r.opts.Articles == nil || r.opts.Articles.Len() == 0 {
		return desk.Article{}, r.refuse(catalog.KBNotLoaded, nil)
	}
	a, ok := r.opts.Articles.Article(id)
	if !ok {
		return a, r.refuse(catalog.KBUnknown, map[string]any{"ID": words(id), "Command": r.opts.Command})
	}
	return a, nil
}

// sendReply decides /desk send N ID and /desk reply N NAME: the article or the filled-in
// canned reply goes to ticket N's customer as the agent's reply, and into the ticket's thread
// as the agent's, so that the thread shows what the customer got; it is the agent's response
// on the ticket, with the canned reply's changes; its use is counted. Nothing is sent when
// anything is refused.
func (r *Relay) sendReply(ctx context.Context, p desk.Platform, q desk.Queued, sub string, id desk.TicketID, name string) (decision, error) {
	var d decision
	ev := q.Event
	now := r.clock.Now()
	t, err := r.loadTicket(ctx, id)
	if err != nil {
		return d, err
	}
	agent := r.who(ctx, p, ev.User)
	var text, answer string
	var set desk.Changes
	fact := desk.Fact{At: now, Ticket: t.ID, Agent: agent.ID, Value: now.UnixMilli()}
	switch sub {
	case "send":
		a, err := r.knownArticle(name)
		if err != nil {
			return d, err
		}
		text = r.textFor(t).Text(catalog.BotArticle, map[string]any{"Title": a.Title, "Body": reflow(a.Body)})
		fact.Kind, fact.Subject = desk.FactArticleSent, a.ID
		answer = r.text().Text(catalog.SentArticle, map[string]any{"ID": a.ID, "Ticket": t.ID.String()})
	case "reply":
		pol := r.policy()
		c, ok := pol.CannedReply(name)
		if !ok {
			names := make([]string, len(pol.Canned))
			for i, c := range pol.Canned {
				names[i] = c.Name
			}
			return d, r.refuse(catalog.CannedUnknown, map[string]any{"Name": words(name), "Names": strings.Join(names, ", ")})
		}
		text = desk.Fill(c.Text, desk.Values{Customer: t.Customer.Label(), Agent: agent.Label(), Ticket: t.ID.String()})
		set = c.Set
		fact.Kind, fact.Subject = desk.FactCannedSent, c.Name
	default:
		return d, fmt.Errorf("sendReply: unknown subcommand %q", sub)
	}
	if t.DMChannel == "" {
		return d, r.refuse(catalog.NoDMChannel, map[string]any{"Ticket": t.ID.String()})
	}
	outs, err := t.Reply(set, desk.PersonActor(agent, true), now, r.policy())
	if err != nil {
		return d, err
	}
	// The reply first, to the customer and then into the thread; then what it changes, whose
	// notices (such as the rating question) follow it.
	reply := func(n int, channel, thread string) desk.Task {
		return desk.Task{Kind: desk.TaskPost, Platform: t.Platform, Ticket: t.ID,
			Message: desk.Outgoing{Channel: channel, Thread: thread, Text: text, As: &agent, Key: partKey(ev, "reply", n)}}
	}
	d.task(reply(0, t.DMChannel, ""))
	if t.HasThread() {
		d.task(reply(1, t.TriageChannel, t.ThreadID))
	}
	d.change(desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: now, Kind: "agent", Author: agent.ID, Name: agent.Label(), Text: text}})
	d.change(desk.RecordFact{Fact: fact})
	for _, o := range outs {
		r.decide(&d, q, o)
		if o.Changed() {
			r.observeStep(p, o.Ticket, string(o.Step), o.Was)
		}
	}
	if sub == "reply" {
		answer = r.text().Text(catalog.SentCanned, map[string]any{"Name": fact.Subject, "Ticket": t.ID.String(),
			"Status": string(outs[len(outs)-1].Ticket.Status)})
	}
	if task, ok := r.answer(ctx, p, ev, answer); ok {
		d.task(task)
	}
	return d, nil
}

// replyForm is the card's Reply… form: an article (those suggested for the request, in the
// customer's language, else its ID typed) or a canned reply, to send the customer as the
// agent's reply, as /desk send and /desk reply do.
func (r *Relay) replyForm(t desk.Ticket, context string) desk.Form {
	f := desk.Form{ID: formReply, Title: r.text().Text(catalog.FormReplyTitle, map[string]any{"Ticket": t.ID.String()}),
		Submit: r.text().Text(catalog.FormReplySubmit, nil), Context: context}
	article := desk.FormField{ID: "article", Label: r.text().Text(catalog.FormArticle, nil), Kind: "text", Optional: true,
		Hint: r.text().Text(catalog.FormArticleHint, map[string]any{"Command": r.opts.Command})}
	if r.opts.Articles != nil && r.opts.Articles.Len() > 0 {
		seen := map[string]bool{}
		add := func(a desk.Article) {
			if !seen[a.ID] {
				seen[a.ID] = true
				article.Options = append(article.Options, a.ID+articleSep+a.Title)
			}
		}
		for _, a := range r.opts.Articles.Suggest(t.Subject, r.languageOf(t), kbFound) {
			add(a)
		}
		for _, id := range t.Suggested {
			if a, ok := r.opts.Articles.Article(id); ok {
				add(a)
			}
		}
		if len(article.Options) > 0 {
			article.Kind = "select"
		}
		f.Fields = append(f.Fields, article)
	}
	if canned := r.policy().Canned; len(canned) > 0 {
		field := desk.FormField{ID: "canned", Label: r.text().Text(catalog.FormCanned, nil), Kind: "select", Optional: true}
		for _, c := range canned {
			field.Options = append(field.Options, c.Name)
		}
		f.Fields = append(f.Fields, field)
	}
	return f
}

// articleSep parts an article's ID from its title in the Reply… form's choices.
const articleSep = " — "

// hasReplies reports whether the desk has anything for the Reply… form to offer.
func (r *Relay) hasReplies() bool {
	return (r.opts.Articles != nil && r.opts.Articles.Len() > 0) || len(r.policy().Canned) > 0
}

// replyChoice reads the Reply… form: "send" and an article ID, or "reply" and a canned
// reply's name; exactly one must be chosen.
func (r *Relay) replyChoice(form map[string]string) (sub, name string, err error) {
	article, _, _ := strings.Cut(strings.TrimSpace(form["article"]), articleSep)
	canned := strings.TrimSpace(form["canned"])
	switch {
	case article != "" && canned != "":
		return "", "", r.refuse(catalog.FormReplyOne, nil)
	case article != "":
		return "send", strings.TrimSpace(article), nil
	case canned != "":
		return "reply", canned, nil
	}
	return "", "", r.refuse(catalog.FormReplyOne, nil)
}

// replySubmitted sends what the Reply… form chose, as /desk send N ID or /desk reply N NAME
// would; only an agent may.
func (r *Relay) replySubmitted(ctx context.Context, p desk.Platform, q desk.Queued) error {
	ev := q.Event
	sub, name, err := r.replyChoice(ev.Form)
	if err == nil {
		err = r.mayActAsAgent(ctx, p, ev.User, r.opts.Command+" "+sub)
	}
	if err != nil {
		return r.refused(ctx, p, q, err)
	}
	d, err := r.sendReply(ctx, p, q, sub, ticketOf(ev.Value), name)
	if err != nil {
		return r.refused(ctx, p, q, err)
	}
	return r.commit(ctx, q, d)
}

package relay

import (
	"context"
	"fmt"
	"strings"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// usages are the subcommands' argument forms, for the answer to a wrong call.
var usages = map[string]string{
	"list":      "list [new|open|pending|resolved|closed|mine|unassigned]",
	"show":      "show N",
	"claim":     "claim N",
	"assign":    "assign N @agent",
	"tag":       "tag N tag… (-tag removes one)",
	"priority":  "priority N low|normal|high|urgent",
	"pending":   "pending N",
	"resolve":   "resolve N",
	"reopen":    "reopen N",
	"close":     "close N",
	"find":      "find words… (in number, subject, customer, category, tags, assignee, messages)",
	"stats":     "stats [today|7d|30d|90d]",
	"reload":    "reload",
	"kb":        "kb search words… | kb show ID",
	"send":      "send N ARTICLE-ID (the article to ticket N's customer)",
	"reply":     "reply N NAME (a canned reply to ticket N's customer)",
	"dashboard": "dashboard | dashboard revoke @agent (leads)",
	"forget":    "forget @user (leads: erase a customer's data, after a confirmation)",
	"export":    "export @user (leads: a JSON file of everything stored about a customer)",
}

// commandTicket reads the ticket number a command acts on ("claim 12" → 12), so that Ingest
// can queue the command in that ticket's shard, in order with its other events.
func commandTicket(text string) desk.TicketID {
	f := strings.Fields(text)
	if len(f) < 2 {
		return 0
	}
	return ticketOf(f[1])
}

// command runs the slash command and answers the person privately: a step on a ticket is
// committed with its answer, a question is answered.
func (r *Relay) command(ctx context.Context, p desk.Platform, q desk.Queued) error {
	d, err := r.runCommand(ctx, p, q)
	if err != nil {
		return r.refused(ctx, p, q, err)
	}
	return r.commit(ctx, q, d)
}

// runCommand decides what a command does: the decision carries its answer.
func (r *Relay) runCommand(ctx context.Context, p desk.Platform, q desk.Queued) (decision, error) {
	ev := q.Event
	var d decision
	answer := func(text string) (decision, error) {
		if t, ok := r.answer(ctx, p, ev, text); ok {
			d.task(t)
		}
		return d, nil
	}
	args := strings.Fields(ev.Text)
	cmd := r.opts.Command
	quote := quoterFor(p, ev) // how the answer writes people's words
	if ev.Action != "" && ev.Action != cmd {
		// The platform routed another slash command here (a second command pointing at the
		// app, or DESK_COMMAND not matching the platform's configuration).
		return answer(r.say(quote, catalog.UnknownCmd, map[string]any{"Name": words(ev.Action), "Command": cmd}))
	}
	sub := "help"
	if len(args) > 0 {
		sub = strings.ToLower(args[0])
		args = args[1:]
	}
	who := r.who(ctx, p, ev.User)
	agent, err := r.isAgent(ctx, p, who)
	if err != nil {
		return d, fmt.Errorf("check whether %s is an agent: %w", ev.User.ID, err)
	}
	if sub == "help" {
		if !agent {
			return answer(r.text().Text(catalog.CustomerHelp, map[string]any{"Command": cmd}))
		}
		return answer(r.text().Text(catalog.Usage, map[string]any{"Command": cmd}))
	}
	if _, known := usages[sub]; !known && sub != "status" {
		usage := catalog.Usage
		if !agent {
			usage = catalog.CustomerHelp // customers are not shown the agents' commands
		}
		return answer(r.say(quote, catalog.UnknownSub, map[string]any{"Command": cmd, "Sub": words(sub)}) + "\n\n" + r.text().Text(usage, map[string]any{"Command": cmd}))
	}
	if !agent {
		return d, r.refuse(catalog.NotAnAgent, map[string]any{"Command": cmd + " " + sub})
	}
	usage := func() error {
		return r.refuse(catalog.UsageOf, map[string]any{"Command": cmd, "Usage": usages[sub]})
	}
	var text string
	switch sub {
	case "status":
		text, err = r.queueStatus(ctx, quote)
	case "list":
		text, err = r.list(ctx, quote, who, args)
	case "find":
		if len(args) == 0 {
			return d, usage()
		}
		text, err = r.find(ctx, quote, args)
	case "stats":
		if !r.isLead(who) {
			return d, r.refuse(catalog.NotALead, map[string]any{"Command": cmd + " stats"})
		}
		text, err = r.statsText(ctx, p, quote, args, usage)
	case "reload":
		if !r.isLead(who) {
			return d, r.refuse(catalog.NotALead, map[string]any{"Command": cmd + " reload"})
		}
		if len(args) != 0 {
			return d, usage()
		}
		text = r.reload()
	case "kb":
		text, err = r.kbCommand(quote, args, usage)
	case "dashboard":
		return r.dashboardCommand(ctx, p, q, who, args, usage)
	case "forget", "export":
		return r.customerCommand(ctx, p, q, who, sub, args, usage)
	case "send", "reply":
		if len(args) != 2 || ticketOf(args[0]) == 0 {
			return d, usage()
		}
		return r.sendReply(ctx, p, q, sub, ticketOf(args[0]), args[1])
	default:
		// Subcommands that act on one ticket: "sub N …".
		if len(args) == 0 || ticketOf(args[0]) == 0 {
			return d, usage()
		}
		id := ticketOf(args[0])
		if sub == "show" {
			t, err := r.loadTicket(ctx, id)
			if err != nil {
				return d, err
			}
			text, err = r.show(ctx, quote, t)
			if err != nil {
				return d, err
			}
			return answer(text)
		}
		st, err := r.commandStep(ctx, p, sub, args[1:], usage)
		if err != nil {
			return d, err
		}
		o, err := r.take(ctx, p, ev, id, st)
		if err != nil {
			return d, err
		}
		r.decide(&d, q, o)
		r.observeStep(p, o.Ticket, string(o.Step), o.Was)
		return answer(r.text().Text(catalog.Done, map[string]any{"What": r.stepDone(quote, o)}))
	}
	if err != nil {
		return d, err
	}
	return answer(text)
}

// reload reads the desk's files again and says what came of it.
func (r *Relay) reload() string {
	if r.opts.Reload == nil {
		return r.text().Text(catalog.ReloadNothing, nil)
	}
	summary, err := r.opts.Reload()
	if err != nil {
		r.log.Warn("reload the desk's files", "err", err)
		return r.text().Text(catalog.ReloadFailed, map[string]any{"Problems": err.Error(), "Summary": summary})
	}
	r.log.Info("reloaded the desk's files", "summary", summary)
	return r.text().Text(catalog.Reloaded, map[string]any{"Summary": summary})
}

// commandStep reads the step a subcommand asks for from its arguments.
func (r *Relay) commandStep(ctx context.Context, p desk.Platform, sub string, args []string, usage func() error) (desk.Step, error) {
	st := desk.Step{Kind: desk.StepKind(sub)}
	switch sub {
	case "claim", "pending", "resolve", "reopen", "close":
		if len(args) != 0 {
			return st, usage()
		}
	case "assign":
		if len(args) != 1 {
			return st, usage()
		}
		u, err := r.findUser(ctx, p, args[0])
		if err != nil {
			return st, err
		}
		if st.Assignee, err = r.assignee(ctx, p, u); err != nil {
			return st, err
		}
	case "tag":
		if len(args) == 0 {
			return st, usage()
		}
		st.Tags = splitTags(strings.Join(args, " "))
	case "priority":
		if len(args) != 1 {
			return st, usage()
		}
		st.Priority = desk.Priority(strings.ToLower(args[0]))
	}
	return st, nil
}

package relay

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// usages are the subcommands' argument forms, for the answer to a wrong call.
var usages = map[string]string{
	"list":     "list [new|open|pending|resolved|closed|mine|unassigned]",
	"show":     "show N",
	"claim":    "claim N",
	"assign":   "assign N @agent",
	"tag":      "tag N tag… (-tag removes one)",
	"priority": "priority N low|normal|high|urgent",
	"pending":  "pending N",
	"resolve":  "resolve N",
	"reopen":   "reopen N",
	"close":    "close N",
	"find":     "find words… (in number, subject, customer, category, tags, assignee)",
	"stats":    "stats [today|7d|30d|90d]",
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

// command runs the slash command and answers the person privately.
func (r *Relay) command(ctx context.Context, p desk.Platform, q desk.Queued) error {
	ev := q.Event
	text, err := r.runCommand(ctx, p, q)
	if err != nil {
		if ref, ok := err.(*refusal); ok {
			r.Discard(ev.Platform, desk.DropRefused)
			text = ref.text
		} else {
			return err
		}
	}
	m := desk.Outgoing{Channel: ev.Channel, Text: text, Ephemeral: ev.User.ID, Reply: ev.Reply, Key: partKey(ev, "answer", 0)}
	if _, err := r.post(ctx, p, m, false); err != nil && !aborted(err) {
		r.log.Warn("answer command", "platform", p.Name(), "event", ev.ID, "err", err)
	} else if aborted(err) {
		return err
	}
	return r.ack(ctx, q)
}

func (r *Relay) runCommand(ctx context.Context, p desk.Platform, q desk.Queued) (string, error) {
	ev := q.Event
	args := strings.Fields(ev.Text)
	cmd := r.opts.Command
	if ev.Action != "" && ev.Action != cmd {
		// The platform routed another slash command here (a second command pointing at the
		// app, or DESK_COMMAND not matching the platform's configuration).
		return r.text.Text(catalog.UnknownCmd, map[string]any{"Name": ev.Action, "Command": cmd}), nil
	}
	sub := "help"
	if len(args) > 0 {
		sub = strings.ToLower(args[0])
		args = args[1:]
	}
	agent, err := r.isAgent(ctx, p, ev.User)
	if err != nil {
		return "", fmt.Errorf("check whether %s is an agent: %w", ev.User.ID, err)
	}
	if sub == "help" {
		if !agent {
			return r.text.Text(catalog.CustomerHelp, map[string]any{"Command": cmd}), nil
		}
		return r.text.Text(catalog.Usage, map[string]any{"Command": cmd}), nil
	}
	if _, known := usages[sub]; !known && sub != "status" {
		usage := catalog.Usage
		if !agent {
			usage = catalog.CustomerHelp // customers are not shown the agents' commands
		}
		return r.text.Text(catalog.UnknownSub, map[string]any{"Command": cmd, "Sub": sub}) + "\n\n" + r.text.Text(usage, map[string]any{"Command": cmd}), nil
	}
	if !agent {
		return "", r.refuse(catalog.NotAnAgent, map[string]any{"Command": cmd + " " + sub})
	}
	who := r.who(ctx, p, ev.User)
	usage := func() error {
		return r.refuse(catalog.UsageOf, map[string]any{"Command": cmd, "Usage": usages[sub]})
	}
	// Subcommands that act on one ticket: "sub N …".
	var id desk.TicketID
	if sub != "status" && sub != "list" && sub != "find" && sub != "stats" {
		if len(args) == 0 || ticketOf(args[0]) == 0 {
			return "", usage()
		}
		id, args = ticketOf(args[0]), args[1:]
	}
	switch sub {
	case "status":
		return r.queueStatus(ctx)
	case "list":
		return r.list(ctx, who, args)
	case "find":
		if len(args) == 0 {
			return "", usage()
		}
		return r.find(ctx, args)
	case "stats":
		if !r.isLead(who) {
			return "", r.refuse(catalog.NotALead, map[string]any{"Command": cmd + " stats"})
		}
		from, to, days, ok := period(r.clock.Now(), args)
		if !ok {
			return "", usage()
		}
		label := r.text.Text(catalog.PeriodToday, nil)
		if days != "" {
			label = r.text.Text(catalog.PeriodDays, map[string]any{"Days": days})
		}
		s, err := r.Stats(ctx, from, to)
		if err != nil {
			return "", err
		}
		for id, a := range s.ByAgent {
			if a.Name == id { // no ticket named them: ask the platform
				a.Name = r.who(ctx, p, desk.User{ID: id}).Label()
			}
		}
		return s.Text(r.text, label), nil
	case "show":
		t, err := r.loadTicket(ctx, id)
		if err != nil {
			return "", err
		}
		return r.show(ctx, t)
	}
	st := step{kind: sub}
	switch sub {
	case "claim", "pending", "resolve", "reopen", "close":
		if len(args) != 0 {
			return "", usage()
		}
	case "assign":
		if len(args) != 1 {
			return "", usage()
		}
		u, err := r.findUser(ctx, p, args[0])
		if err != nil {
			return "", err
		}
		st.agent = u
	case "tag":
		if len(args) == 0 {
			return "", usage()
		}
		st.tags = splitTags(strings.Join(args, " "))
	case "priority":
		if len(args) != 1 {
			return "", usage()
		}
		st.priority = desk.Priority(strings.ToLower(args[0]))
	}
	t, err := r.loadTicket(ctx, id)
	if err != nil {
		return "", err
	}
	what, err := r.apply(ctx, p, q, t, who, st)
	if err != nil {
		return "", err
	}
	return r.text.Text(catalog.Done, map[string]any{"What": what}), nil
}

// queueStatus is the queue at a glance: active tickets by status and priority, and the one
// waiting longest for a first answer.
func (r *Relay) queueStatus(ctx context.Context) (string, error) {
	active, err := r.store.Tickets(ctx, []desk.Status{desk.StatusNew, desk.StatusOpen, desk.StatusPending}, 0)
	if err != nil {
		return "", fmt.Errorf("read the queue: %w", err)
	}
	counts, err := r.store.CountByStatus(ctx)
	if err != nil {
		return "", err
	}
	byPriority := map[desk.Priority]int{}
	var oldest *desk.Ticket
	unassigned := 0
	for i, t := range active {
		byPriority[t.Priority]++
		if t.Assignee == "" {
			unassigned++
		}
		if t.Status == desk.StatusNew && (oldest == nil || t.CreatedAt.Before(oldest.CreatedAt)) {
			oldest = &active[i]
		}
	}
	args := map[string]any{
		"Active": len(active), "New": counts[desk.StatusNew], "Open": counts[desk.StatusOpen], "Pending": counts[desk.StatusPending],
		"Unassigned": unassigned, "Resolved": counts[desk.StatusResolved], "Closed": counts[desk.StatusClosed],
		"Urgent": byPriority[desk.PriorityUrgent], "High": byPriority[desk.PriorityHigh],
		"Normal": byPriority[desk.PriorityNormal], "Low": byPriority[desk.PriorityLow], "Oldest": "",
	}
	if oldest != nil {
		args["Oldest"], args["Customer"], args["Age"] = oldest.ID.String(), oldest.Customer.Label(), age(r.clock.Now().Sub(oldest.CreatedAt))
	}
	return r.text.Text(catalog.QueueStatus, args), nil
}

// list shows active tickets, or those in one status, mine or unassigned.
func (r *Relay) list(ctx context.Context, who desk.User, args []string) (string, error) {
	statuses := []desk.Status{desk.StatusNew, desk.StatusOpen, desk.StatusPending}
	filter := func(desk.Ticket) bool { return true }
	if len(args) > 1 {
		return "", r.refuse(catalog.UsageOf, map[string]any{"Command": r.opts.Command, "Usage": usages["list"]})
	}
	if len(args) == 1 {
		switch a := strings.ToLower(args[0]); {
		case a == "mine":
			filter = func(t desk.Ticket) bool { return t.Assignee == who.ID }
		case a == "unassigned":
			filter = func(t desk.Ticket) bool { return t.Assignee == "" }
		case desk.Status(a).Valid():
			statuses = []desk.Status{desk.Status(a)}
		default:
			return "", r.refuse(catalog.UsageOf, map[string]any{"Command": r.opts.Command, "Usage": usages["list"]})
		}
	}
	ts, err := r.store.Tickets(ctx, statuses, 0)
	if err != nil {
		return "", fmt.Errorf("list tickets: %w", err)
	}
	var lines []string
	for _, t := range ts {
		if filter(t) {
			lines = append(lines, r.line(t))
		}
	}
	return r.lines(lines), nil
}

// find searches tickets (the active ones and the latest closed) by subject, customer,
// category and tags: every word must match.
func (r *Relay) find(ctx context.Context, words []string) (string, error) {
	ts, err := r.store.Tickets(ctx, desk.Statuses, 0)
	if err != nil {
		return "", fmt.Errorf("search tickets: %w", err)
	}
	var lines []string
	for i := len(ts) - 1; i >= 0; i-- {
		t := ts[i]
		hay := strings.ToLower(strings.Join([]string{t.ID.String(), t.Subject, t.Customer.Label(), t.Customer.Name, t.Category, strings.Join(t.Tags, " "), t.AssigneeName}, " "))
		match := true
		for _, w := range words {
			if !strings.Contains(hay, strings.ToLower(w)) {
				match = false
				break
			}
		}
		if match {
			lines = append(lines, r.line(t))
		}
	}
	return r.lines(lines), nil
}

// lines joins list lines, at most 50, or says nothing was found.
func (r *Relay) lines(lines []string) string {
	if len(lines) == 0 {
		return r.text.Text(catalog.NothingFound, nil)
	}
	if len(lines) > 50 {
		return strings.Join(lines[:50], "\n") + "\n" + r.text.Text(catalog.ListMore, map[string]any{"More": len(lines) - 50})
	}
	return strings.Join(lines, "\n")
}

// line is one ticket in a list.
func (r *Relay) line(t desk.Ticket) string {
	return r.text.Text(catalog.ListLine, map[string]any{
		"Ticket": t.ID.String(), "Status": string(t.Status), "Priority": string(t.Priority), "Customer": t.Customer.Label(),
		"Assignee": or(t.AssigneeName, r.text.Text(catalog.CardUnassigned, nil)), "Age": age(r.clock.Now().Sub(t.LastActivityAt)),
		"Subject": Defang(t.Subject),
	})
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// show is one ticket with its card's facts and its last history lines.
func (r *Relay) show(ctx context.Context, t desk.Ticket) (string, error) {
	entries, err := r.store.Transcript(ctx, t.ID)
	if err != nil {
		return "", err
	}
	lines := []string{r.line(t)}
	if t.Category != "" || len(t.Tags) > 0 {
		lines = append(lines, r.text.Text(catalog.ShowTags, map[string]any{"Category": r.orNone(t.Category), "Tags": r.orNone(strings.Join(t.Tags, ", "))}))
	}
	if t.Rating != 0 {
		lines = append(lines, r.text.Text(catalog.ShowRating, map[string]any{"Score": t.Rating, "Comment": Defang(t.RatingComment)}))
	}
	if len(entries) > 10 {
		entries = entries[len(entries)-10:]
	}
	for _, e := range entries {
		text := e.Text
		if len([]rune(text)) > 120 {
			text = string([]rune(text)[:120]) + "…"
		}
		lines = append(lines, r.text.Text(catalog.ShowEntry, map[string]any{"At": e.At.Format("2006-01-02 15:04"), "Name": e.Name, "Kind": e.Kind, "Text": Defang(text)}))
	}
	return strings.Join(lines, "\n"), nil
}

// period reads a statistics period ("today", "7d", "30d", …) ending now; days is "" for today.
func period(now time.Time, args []string) (from, to time.Time, days string, ok bool) {
	p := "7d"
	if len(args) > 1 {
		return from, to, "", false
	}
	if len(args) == 1 {
		p = strings.ToLower(args[0])
	}
	to = now.Add(time.Millisecond) // the period includes this moment
	switch p {
	case "today":
		y, m, d := now.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, now.Location()), to, "", true
	case "week":
		p = "7d"
	case "month":
		p = "30d"
	}
	if n, err := strconv.Atoi(strings.TrimSuffix(p, "d")); err == nil && strings.HasSuffix(p, "d") && n > 0 && n <= 3660 {
		return now.Add(-time.Duration(n) * 24 * time.Hour), to, strconv.Itoa(n), true
	}
	return from, to, "", false
}

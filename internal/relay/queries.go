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

// This file answers the commands that only read: the queue at a glance, lists, search, one
// ticket's history and the statistics.

// active are the statuses of tickets still being worked on.
var active = []desk.Status{desk.StatusNew, desk.StatusOpen, desk.StatusPending}

// queueStatus is the queue at a glance: active tickets by status and priority, and the one
// waiting longest for a first answer. It reads counts from the queue's indexes
// (QueryTickets' totals) and, for the SLA line, only the tickets with a clock running, in the
// SLA's order: never every active ticket, so it answers as fast with 10,000 of them.
func (r *Relay) queueStatus(ctx context.Context, q quoter) (string, error) {
	counts, err := r.store.CountByStatus(ctx)
	if err != nil {
		return "", fmt.Errorf("count tickets: %w", err)
	}
	count := func(f desk.TicketQuery) (int, error) {
		f.Statuses, f.Limit = active, -1 // the total alone
		res, err := r.store.QueryTickets(ctx, f)
		if err != nil {
			return 0, fmt.Errorf("count active tickets: %w", err)
		}
		return res.Total, nil
	}
	// The normal priority is every active ticket of no other priority: counted as the rest,
	// not by a query of its own (the store has no set of it, index.go).
	n := counts[desk.StatusNew] + counts[desk.StatusOpen] + counts[desk.StatusPending]
	byPriority := map[desk.Priority]int{desk.PriorityNormal: int(n)}
	for _, p := range desk.Priorities {
		if p == desk.PriorityNormal {
			continue
		}
		if byPriority[p], err = count(desk.TicketQuery{Priority: p}); err != nil {
			return "", err
		}
		byPriority[desk.PriorityNormal] -= byPriority[p]
	}
	byPriority[desk.PriorityNormal] = max(byPriority[desk.PriorityNormal], 0)
	nobody := ""
	unassigned, err := count(desk.TicketQuery{Assignee: &nobody})
	if err != nil {
		return "", err
	}
	oldest, err := r.store.QueryTickets(ctx, desk.TicketQuery{Statuses: []desk.Status{desk.StatusNew}, Sort: desk.SortOldest, Limit: 1})
	if err != nil {
		return "", fmt.Errorf("find the oldest new ticket: %w", err)
	}
	sla, err := r.slaWatch(ctx)
	if err != nil {
		return "", err
	}
	args := map[string]any{
		"Active": n, "New": counts[desk.StatusNew], "Open": counts[desk.StatusOpen], "Pending": counts[desk.StatusPending],
		"Unassigned": unassigned, "Resolved": counts[desk.StatusResolved], "Closed": counts[desk.StatusClosed],
		"Urgent": byPriority[desk.PriorityUrgent], "High": byPriority[desk.PriorityHigh],
		"Normal": byPriority[desk.PriorityNormal], "Low": byPriority[desk.PriorityLow], "Oldest": "",
	}
	if len(oldest.Tickets) > 0 {
		o := oldest.Tickets[0]
		args["Oldest"], args["Customer"], args["Age"] = o.ID.String(), words(o.Customer.Label()), age(r.clock.Now().Sub(o.CreatedAt))
	}
	out := r.say(q, catalog.QueueStatus, args)
	if sla.any {
		out += "\n" + r.slaLine(sla)
	}
	return out, nil
}

// slaWatch sums up the SLA of the active tickets from those with a clock running (or a
// breached one not done), which come first in the SLA's order (desk.SortDue), in pages that
// grow from 10 tickets to 500; the first ticket without one ends the walk.
func (r *Relay) slaWatch(ctx context.Context) (slaWatch, error) {
	sla := slaWatch{now: r.clock.Now()}
	// The first ticket of the SLA's order in any status (a cheap walk of the whole order):
	// without a clock running there, none is, and there is nothing to walk.
	first, err := r.store.QueryTickets(ctx, desk.TicketQuery{Sort: desk.SortDue, Limit: 1})
	if err != nil {
		return sla, fmt.Errorf("read the queue's SLA: %w", err)
	}
	if len(first.Tickets) == 0 || !slaRunning(first.Tickets[0]) {
		return sla, nil // no SLA line: nothing to watch
	}
	f := desk.TicketQuery{Statuses: active, Sort: desk.SortDue, Limit: 10}
	for {
		page, err := r.store.QueryTickets(ctx, f)
		if err != nil {
			return sla, fmt.Errorf("read the queue's SLA: %w", err)
		}
		for _, t := range page.Tickets {
			if !slaRunning(t) {
				sla.any = sla.any || len(t.Clocks) > 0
				return sla, nil
			}
			sla.add(t)
		}
		if len(page.Tickets) < f.Limit {
			return sla, nil
		}
		f.Offset += f.Limit
		f.Limit = min(f.Limit*4, 500)
	}
}

// slaRunning reports whether a ticket has a clock that counts in the SLA line: one running,
// or one breached and not done.
func slaRunning(t desk.Ticket) bool {
	return slices.ContainsFunc(t.Clocks, func(c desk.SLAClock) bool { return c.Running() || (c.Breached && !c.Done) })
}

// slaWatch sums up the SLA of the active tickets: how many breached or are at risk, and the
// clock that breaches next.
type slaWatch struct {
	now              time.Time
	any              bool
	breached, atRisk int
	next             desk.SLAClock
	nextTicket       desk.TicketID
}

func (w *slaWatch) add(t desk.Ticket) {
	worst := desk.SLAOnTrack
	for _, c := range t.Clocks {
		w.any = true
		switch s := c.State(w.now); {
		case s == desk.SLABreached && !c.Done:
			worst = desk.SLABreached
		case s == desk.SLAAtRisk && worst != desk.SLABreached:
			worst = desk.SLAAtRisk
		}
	}
	switch worst {
	case desk.SLABreached:
		w.breached++
	case desk.SLAAtRisk:
		w.atRisk++
	}
	if c, ok := t.NextBreach(); ok && !c.Due.Before(w.now) && (w.next.Due.IsZero() || c.Due.Before(w.next.Due)) {
		w.next, w.nextTicket = c, t.ID
	}
}

// slaLine is the status's SLA line.
func (r *Relay) slaLine(w slaWatch) string {
	args := map[string]any{"Breached": w.breached, "AtRisk": w.atRisk, "Next": ""}
	if w.nextTicket != 0 {
		args["Next"], args["Target"] = w.nextTicket.String(), r.text().Text(slaNames[w.next.Kind], nil)
		args["Due"], args["Left"] = r.dueTime(w.next.Due, w.next.Target), left(w.next.Due.Sub(w.now))
	}
	return r.text().Text(catalog.QueueSLA, args)
}

// list shows active tickets, or those in one status, mine or unassigned, oldest first: one
// screenful from the queue's indexes (QueryTickets), with how many more there are.
func (r *Relay) list(ctx context.Context, q quoter, who desk.User, args []string) (string, error) {
	f := desk.TicketQuery{Statuses: active}
	if len(args) > 1 {
		return "", r.refuse(catalog.UsageOf, map[string]any{"Command": r.opts.Command, "Usage": usages["list"]})
	}
	if len(args) == 1 {
		nobody := ""
		switch a := strings.ToLower(args[0]); {
		case a == "mine":
			f.Assignee = &who.ID
		case a == "unassigned":
			f.Assignee = &nobody
		case desk.Status(a).Valid():
			f.Statuses = []desk.Status{desk.Status(a)}
		default:
			return "", r.refuse(catalog.UsageOf, map[string]any{"Command": r.opts.Command, "Usage": usages["list"]})
		}
	}
	f.Sort, f.Limit = desk.SortOldest, maxLines
	res, err := r.store.QueryTickets(ctx, f)
	if err != nil {
		return "", fmt.Errorf("list tickets: %w", err)
	}
	if len(res.Tickets) == 0 {
		return r.text().Text(catalog.NothingFound, nil), nil
	}
	lines := make([]string, 0, len(res.Tickets)+1)
	for _, t := range res.Tickets {
		lines = append(lines, r.line(q, t))
	}
	if more := res.Total - len(res.Tickets); more > 0 {
		lines = append(lines, r.text().Text(catalog.ListMore, map[string]any{"More": more}))
	}
	return strings.Join(lines, "\n"), nil
}

// maxLines is the most tickets one answer lists.
const maxLines = 50

// find searches tickets, newest first, through the search index (QueryTickets, the
// dashboard's search): every word must be in the ticket's subject, customer's name, category,
// tags, assignee's name or history, in any form of the word, or be its number. It reads one
// screenful of tickets, whatever the number of tickets the desk holds.
func (r *Relay) find(ctx context.Context, q quoter, terms []string) (string, error) {
	res, err := r.store.QueryTickets(ctx, desk.TicketQuery{Search: strings.Join(terms, " "), Limit: maxLines, CountTo: maxLines + 1})
	if err != nil {
		return "", fmt.Errorf("search tickets: %w", err)
	}
	if len(res.Tickets) == 0 {
		return r.text().Text(catalog.NothingFound, nil), nil
	}
	lines := make([]string, 0, len(res.Tickets)+1)
	for _, t := range res.Tickets {
		lines = append(lines, r.line(q, t))
	}
	if res.Total > len(res.Tickets) {
		lines = append(lines, r.text().Text(catalog.FindMore, nil))
	}
	return strings.Join(lines, "\n"), nil
}

// statsText is the statistics of a period ("today", "7d", …) for a lead.
func (r *Relay) statsText(ctx context.Context, p desk.Platform, q quoter, args []string, usage func() error) (string, error) {
	from, to, days, ok := period(r.clock.Now(), args)
	if !ok {
		return "", usage()
	}
	label := r.text().Text(catalog.PeriodToday, nil)
	if days != "" {
		label = r.text().Text(catalog.PeriodDays, map[string]any{"Days": days})
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
	return s.Text(r.text(), label, q), nil
}

// line is one ticket in a list, with people's words quoted by q.
func (r *Relay) line(q quoter, t desk.Ticket) string {
	var assignee any = words(t.AssigneeName)
	if t.AssigneeName == "" {
		assignee = r.text().Text(catalog.CardUnassigned, nil)
	}
	line := r.say(q, catalog.ListLine, map[string]any{
		"Ticket": t.ID.String(), "Status": string(t.Status), "Priority": string(t.Priority), "Customer": words(t.Customer.Label()),
		"Assignee": assignee, "Age": age(r.clock.Now().Sub(t.LastActivityAt)), "Subject": words(t.Subject),
	})
	// A breached target first, else the one that breaches next.
	if i := slices.IndexFunc(t.Clocks, func(c desk.SLAClock) bool { return c.Running() && c.State(r.clock.Now()) == desk.SLABreached }); i >= 0 {
		line += r.text().Text(catalog.ListSLABreached, map[string]any{"Target": r.text().Text(slaNames[t.Clocks[i].Kind], nil)})
	} else if c, ok := t.NextBreach(); ok {
		line += r.text().Text(catalog.ListSLA, map[string]any{"Target": r.text().Text(slaNames[c.Kind], nil),
			"Due": r.dueTime(c.Due, c.Target), "State": r.text().Text(slaStates[c.State(r.clock.Now())], nil)})
	}
	return line
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// show is one ticket with its card's facts and its last history lines, with people's words
// (names, tags, the rating comment, what each history line says) quoted by q.
func (r *Relay) show(ctx context.Context, q quoter, t desk.Ticket) (string, error) {
	entries, err := r.store.Transcript(ctx, t.ID)
	if err != nil {
		return "", err
	}
	lines := []string{r.line(q, t)}
	if t.Category != "" || len(t.Tags) > 0 {
		lines = append(lines, r.text().Text(catalog.ShowTags, map[string]any{"Category": r.orNone(t.Category), "Tags": r.orNone(quoteList(q, t.Tags))}))
	}
	if t.Rating != 0 {
		lines = append(lines, r.say(q, catalog.ShowRating, map[string]any{"Score": t.Rating, "Comment": words(t.RatingComment)}))
	}
	if len(entries) > 10 {
		entries = entries[len(entries)-10:]
	}
	for _, e := range entries {
		text := e.Text
		if len([]rune(text)) > 120 {
			text = string([]rune(text)[:120]) + "…"
		}
		lines = append(lines, r.say(q, catalog.ShowEntry, map[string]any{"At": e.At.Format("2006-01-02 15:04"), "Name": words(e.Name), "Kind": e.Kind, "Text": words(text)}))
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

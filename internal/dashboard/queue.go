package dashboard

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// pageSize is the most rows a page of the queue shows.
const pageSize = 50

// csvPage is how many tickets the CSV export reads per query.
const csvPage = 1000

// activeStatuses are the statuses the queue shows unless a filter asks for others: every
// ticket the agents have to act on or may still hear about.
var activeStatuses = []desk.Status{desk.StatusNew, desk.StatusOpen, desk.StatusPending}

// filter is the queue's filter, read from the query string: the only ticket data a URL of the
// dashboard carries.
type filter struct {
	Statuses   []desk.Status
	Priority   desk.Priority
	Category   string
	Tag        string
	Assignee   string // a user ID
	Mine       bool
	Unassigned bool
	OutOfHours bool
	Search     string
	// OpenedFrom and OpenedTo are the period of opening as asked (openedLayouts): a date is
	// a whole day of the desk's clock, to inclusive; an instant is exact, to exclusive.
	OpenedFrom, OpenedTo string
	Sort                 string // "number" (default), "activity", "age", "priority", "due"
	Page                 int
}

// openedLayouts are the forms a bound of the period of opening may take: a date (the form's
// date input), an instant with its zone (RFC 3339, as the statistics link), or a local time
// of the desk's clock (the form's datetime-local input, which the page uses for an instant).
var openedLayouts = []string{time.DateOnly, time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04"}

// openedBound reads a bound of the period of opening in loc: its instant, whether it is a
// whole day, and false when it is none of openedLayouts. A day ends the period at its end
// when it is the end (end set).
func openedBound(v string, loc *time.Location, end bool) (at time.Time, day, ok bool) {
	for _, layout := range openedLayouts {
		t, err := time.ParseInLocation(layout, v, loc)
		if err != nil {
			continue
		}
		if layout == time.DateOnly {
			if end {
				t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
			}
			return t, true, true
		}
		return t, false, true
	}
	return time.Time{}, false, false
}

// instant is how a link writes an instant of the period of opening: RFC 3339 to the
// millisecond, the store's precision.
const instant = "2006-01-02T15:04:05.000Z07:00"

// sorts are the queue's orders, by their query value.
var sorts = []string{"number", "activity", "age", "priority", "due"}

func readFilter(q url.Values) filter {
	f := filter{Priority: desk.Priority(q.Get("priority")), Category: q.Get("category"), Tag: q.Get("tag"),
		Assignee: q.Get("assignee"), Mine: q.Get("mine") == "1", Unassigned: q.Get("unassigned") == "1",
		OutOfHours: q.Get("ooh") == "1", Search: strings.TrimSpace(q.Get("q")), Sort: q.Get("sort")}
	for _, s := range q["status"] {
		if st := desk.Status(s); st.Valid() && !slices.Contains(f.Statuses, st) {
			f.Statuses = append(f.Statuses, st)
		}
	}
	if !f.Priority.Valid() {
		f.Priority = ""
	}
	if !slices.Contains(sorts, f.Sort) {
		f.Sort = "number"
	}
	for _, b := range []struct {
		into *string
		name string
	}{{&f.OpenedFrom, "opened_from"}, {&f.OpenedTo, "opened_to"}} {
		if v := strings.TrimSpace(q.Get(b.name)); v != "" {
			if _, _, ok := openedBound(v, time.UTC, false); ok {
				*b.into = v
			}
		}
	}
	f.Page, _ = strconv.Atoi(q.Get("page"))
	f.Page = max(f.Page, 1)
	return f
}

// dateInput is a bound of the period of opening as the queue's form shows it: a date input
// for a whole day, a datetime-local one (to the millisecond, in the desk's clock) for an
// instant, so that sending the form again keeps the period exactly.
type dateInput struct{ Type, Value string }

// openedInput is the form's input for a bound v of the period of opening.
func openedInput(v string, loc *time.Location, end bool) dateInput {
	t, day, ok := openedBound(v, loc, end)
	switch {
	case !ok:
		return dateInput{Type: "date"}
	case day:
		return dateInput{Type: "date", Value: v}
	}
	return dateInput{Type: "datetime-local", Value: t.In(loc).Format("2006-01-02T15:04:05.000")}
}

// query is the filter as a query string, with the page set to page (0: none).
func (f filter) query(page int) string {
	q := url.Values{}
	for _, s := range f.Statuses {
		q.Add("status", string(s))
	}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("priority", string(f.Priority))
	set("category", f.Category)
	set("tag", f.Tag)
	set("assignee", f.Assignee)
	set("q", f.Search)
	set("opened_from", f.OpenedFrom)
	set("opened_to", f.OpenedTo)
	if f.Mine {
		q.Set("mine", "1")
	}
	if f.Unassigned {
		q.Set("unassigned", "1")
	}
	if f.OutOfHours {
		q.Set("ooh", "1")
	}
	if f.Sort != "number" {
		q.Set("sort", f.Sort)
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	return q.Encode()
}

// storeQuery is the filter as the store's query for viewer v, with dates of the period of
// opening in loc, or false when it can match no ticket (mine and another person's, or
// unassigned and someone's).
func (f filter) storeQuery(v *viewer, loc *time.Location) (desk.TicketQuery, bool) {
	q := desk.TicketQuery{Statuses: f.Statuses, Priority: f.Priority, Category: f.Category, Tag: f.Tag,
		OutOfHours: f.OutOfHours, Search: f.Search, Sort: sortOrders[f.Sort]}
	if f.OpenedFrom != "" {
		q.OpenedFrom, _, _ = openedBound(f.OpenedFrom, loc, false)
	}
	if f.OpenedTo != "" {
		q.OpenedTo, _, _ = openedBound(f.OpenedTo, loc, true)
	}
	if len(q.Statuses) == 0 {
		q.Statuses = activeStatuses
	}
	if f.Assignee != "" {
		q.Assignee = &f.Assignee
	}
	if f.Mine {
		if q.Assignee != nil && *q.Assignee != v.UserID {
			return q, false
		}
		q.Assignee, q.Platform = &v.UserID, v.Platform
	}
	if f.Unassigned {
		if q.Assignee != nil {
			return q, false
		}
		nobody := ""
		q.Assignee = &nobody
	}
	return q, true
}

// sortOrders are the store's orders of the queue's sorts.
var sortOrders = map[string]desk.TicketSort{"number": desk.SortNewest, "activity": desk.SortActivity, "age": desk.SortOldest,
	"priority": desk.SortPriority, "due": desk.SortDue}

func prio(t desk.Ticket) desk.Priority {
	if t.Priority == "" {
		return desk.PriorityNormal
	}
	return t.Priority
}

// find returns the tickets the filter matches from the offset on (at most limit), in its
// order, and how many it matches in all: one query of the store's indexes.
func (d *Dashboard) find(ctx context.Context, f filter, v *viewer, offset, limit int) ([]desk.Ticket, int, error) {
	q, ok := f.storeQuery(v, d.opts.Now().Location())
	if !ok {
		return nil, 0, nil
	}
	q.Offset, q.Limit = offset, limit
	res, err := d.opts.Store.QueryTickets(ctx, q)
	if err != nil {
		return nil, 0, unavailable(fmt.Errorf("list tickets: %w", err))
	}
	// The store orders ties of the same score by their number's text; the page takes the
	// queue's own order of ties.
	sortTickets(res.Tickets, f.Sort, d.opts.Now())
	return res.Tickets, res.Total, nil
}

// sortTickets puts tickets in the queue's order: newest first by default; most recent
// activity; oldest first; most urgent first; soonest SLA breach first (breached ones first of
// all, tickets without a running clock last).
func sortTickets(ts []desk.Ticket, by string, now time.Time) {
	newest := func(a, b desk.Ticket) int { return cmp.Compare(b.ID, a.ID) }
	switch by {
	case "activity":
		slices.SortStableFunc(ts, func(a, b desk.Ticket) int {
			return cmp.Or(b.LastActivityAt.Compare(a.LastActivityAt), newest(a, b))
		})
	case "age":
		slices.SortStableFunc(ts, func(a, b desk.Ticket) int { return cmp.Compare(a.ID, b.ID) })
	case "priority":
		slices.SortStableFunc(ts, func(a, b desk.Ticket) int {
			return cmp.Or(cmp.Compare(slices.Index(desk.Priorities, prio(b)), slices.Index(desk.Priorities, prio(a))), -newest(a, b))
		})
	case "due":
		key := func(t desk.Ticket) time.Time {
			if c, ok := t.NextBreach(); ok {
				return c.Due
			}
			for _, c := range t.Clocks {
				if c.State(now) == desk.SLABreached && !c.Done {
					return time.Time{} // breached and still open: first of all
				}
			}
			return time.Unix(1<<40, 0)
		}
		slices.SortStableFunc(ts, func(a, b desk.Ticket) int { return cmp.Or(key(a).Compare(key(b)), -newest(a, b)) })
	default:
		slices.SortStableFunc(ts, newest)
	}
}

// row is one ticket as the queue shows it.
type row struct {
	desk.Ticket
	Priority desk.Priority
	Age      string
	Activity string
	SLA      string // the most pressing clock's state and due time, "" without one
	SLAState desk.SLAState
}

func makeRow(t desk.Ticket, now time.Time) row {
	r := row{Ticket: t, Priority: prio(t), Age: ago(now, t.CreatedAt), Activity: ago(now, t.LastActivityAt)}
	r.SLA, r.SLAState = slaSummary(t, now)
	return r
}

// slaSummary is the state of a ticket's most pressing clock: a breached one, else the next to
// breach, else a paused one.
func slaSummary(t desk.Ticket, now time.Time) (string, desk.SLAState) {
	for _, c := range t.Clocks {
		if !c.Done && c.State(now) == desk.SLABreached {
			return string(c.Kind) + " breached", desk.SLABreached
		}
	}
	if c, ok := t.NextBreach(); ok {
		st := c.State(now)
		return fmt.Sprintf("%s due in %s", c.Kind, span(c.Due.Sub(now))), st
	}
	for _, c := range t.Clocks {
		if !c.Done {
			return string(c.Kind) + " paused", desk.SLAPaused
		}
	}
	return "", ""
}

// choice is one checkbox of a filter.
type choice struct {
	Value   string
	Checked bool
}

// queueData is the queue page's data.
type queueData struct {
	Filter    filter
	Rows      []row
	Total     int
	Truncated bool
	Page      int
	// Prev, Next and CSV are the addresses of the neighbouring pages ("" when none) and of
	// the filter's CSV, whole: html/template would escape a query string written after a
	// "?" in the template as one value ("a=1&b=2" to "a%3d1%26b%3d2"), which loses the
	// filter.
	Prev, Next, CSV string
	Seq             string // the changes feed's position when the page was made
	StatusChoices   []choice
	Priorities      []desk.Priority
	Sorts           []string
	// OpenedFrom and OpenedTo are the form's inputs of the period of opening.
	OpenedFrom, OpenedTo dateInput
}

// queue shows the active tickets that match the filter, a page at a time.
func (d *Dashboard) queue(w http.ResponseWriter, r *http.Request) {
	v := viewerOf(r)
	f := readFilter(r.URL.Query())
	seq, err := d.opts.Store.LastTicketChange(r.Context())
	if err != nil {
		d.fail(w, r, unavailable(err))
		return
	}
	ts, total, err := d.find(r.Context(), f, v, (f.Page-1)*pageSize, pageSize)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	now := d.opts.Now()
	loc := now.Location()
	data := queueData{Filter: f, Total: total, Page: f.Page, Seq: seq, Priorities: desk.Priorities, Sorts: sorts,
		OpenedFrom: openedInput(f.OpenedFrom, loc, false), OpenedTo: openedInput(f.OpenedTo, loc, true)}
	data.Prev, data.Next, data.CSV = f.links(total)
	for _, st := range desk.Statuses[1:] { // not intake: agents do not see those yet
		data.StatusChoices = append(data.StatusChoices, choice{Value: string(st), Checked: slices.Contains(f.Statuses, st)})
	}
	for _, t := range ts {
		data.Rows = append(data.Rows, makeRow(t, now))
	}
	name := "queue.html"
	if r.Header.Get("X-Fragment") == "queue" {
		name = "queue-rows"
	}
	d.render(w, http.StatusOK, name, page{Title: "Queue", Viewer: v, Flash: takeFlash(w, r), Data: data})
}

// links returns the addresses of the pages before and after f's ("" for none) among total
// tickets, and of the CSV of all of them.
func (f filter) links(total int) (prev, next, csv string) {
	at := func(path string, page int) string {
		if q := f.query(page); q != "" {
			return path + "?" + q
		}
		return path
	}
	if f.Page > 1 {
		prev = at("/dashboard", f.Page-1)
	}
	if f.Page*pageSize < total {
		next = at("/dashboard", f.Page+1)
	}
	return prev, next, at("/dashboard/tickets.csv", 0)
}

// csvHeader is the tickets CSV's columns.
var csvHeader = []string{"number", "platform", "status", "priority", "category", "tags", "subject", "customer_id", "customer",
	"assignee_id", "assignee", "language", "out_of_hours", "created_at", "first_response_at", "resolved_at", "closed_at",
	"last_activity_at", "rating", "rating_comment", "sla"}

// queueCSV exports every ticket the filter matches, one row each with every time and field.
func (d *Dashboard) queueCSV(w http.ResponseWriter, r *http.Request) {
	f := readFilter(r.URL.Query())
	v := viewerOf(r)
	ts, total, err := d.find(r.Context(), f, v, 0, csvPage)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	now := d.opts.Now()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="tickets-`+now.UTC().Format("20060102-150405")+`.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader)
	// The CSV is read a query at a time; a ticket that moves between two queries may be
	// missed or written twice, as in any export of a live queue.
	for offset := 0; ; {
		for _, t := range ts {
			writeCSVRow(cw, t, now)
		}
		offset += len(ts)
		if offset >= total || len(ts) == 0 {
			break
		}
		if ts, _, err = d.find(r.Context(), f, v, offset, csvPage); err != nil {
			break // the rows so far are sent: a download cannot show an error page midway
		}
	}
	cw.Flush()
}

// writeCSVRow writes one ticket's row of the tickets CSV.
func writeCSVRow(cw *csv.Writer, t desk.Ticket, now time.Time) {
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	sla, _ := slaSummary(t, now)
	rating := ""
	if t.Rating > 0 {
		rating = strconv.Itoa(t.Rating)
	}
	_ = cw.Write(csvSafe([]string{strconv.FormatInt(int64(t.ID), 10), t.Platform, string(t.Status), string(prio(t)), t.Category,
		strings.Join(t.Tags, " "), t.Subject, t.Customer.ID, t.Customer.Label(), t.Assignee, t.AssigneeName, t.Language,
		strconv.FormatBool(t.OutOfHours), stamp(t.CreatedAt), stamp(t.FirstResponseAt), stamp(t.ResolvedAt), stamp(t.ClosedAt),
		stamp(t.LastActivityAt), rating, t.RatingComment, sla}))
}

// csvSafe keeps a spreadsheet from running a cell as a formula: customers write the subjects
// and comments, and a cell starting with = + - @ (or a tab or CR) is one to Excel and friends.
func csvSafe(cells []string) []string {
	for i, c := range cells {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			cells[i] = "'" + c
		}
	}
	return cells
}

// ago says how long ago t was, in the largest whole unit.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return span(now.Sub(t))
}

// span writes a duration in its largest whole unit: 45s, 12m, 3h, 2d.
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(max(int(d/time.Second), 0)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d"
}

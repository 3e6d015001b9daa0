package dashboard

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// steps are the actions the ticket page offers: the same steps as the card's buttons and the
// slash command, with what each takes from its form.
var steps = []desk.StepKind{desk.StepClaim, desk.StepAssign, desk.StepTag, desk.StepPriority, desk.StepPending,
	desk.StepResolve, desk.StepReopen, desk.StepClose}

// stepFields are the form fields a step passes to the engine.
var stepFields = map[desk.StepKind][]string{
	desk.StepAssign:   {"agent"},
	desk.StepTag:      {"category", "tags", "priority"},
	desk.StepPriority: {"priority"},
}

// entryView is one line of a ticket's history as the page shows it.
type entryView struct {
	desk.Entry
	Internal bool       // an internal note: never shown to the customer
	Links    []fileLink // the files the message carried, each fetched through the dashboard
}

// fileLink is a file of the history as the page links it: through the app, which checks the
// session and fetches it from the platform; never the platform's own address, which needs the
// bot's token.
type fileLink struct {
	Href string
	Name string
	Size int64
}

// clockView is one SLA clock as the page shows it.
type clockView struct {
	desk.SLAClock
	State desk.SLAState
}

// ticketData is the ticket page's data.
type ticketData struct {
	Row        row
	Thread     string // the address of the ticket's thread on its platform, "" when unknown
	Platform   string // the platform's name as people write it: Slack, Mattermost
	History    []entryView
	Clocks     []clockView
	CanAct     bool   // the viewer's platform is the ticket's: the engine knows them as an actor
	Event      string // the ID the page's forms give their step, so a double submit has one effect
	Seq        string
	Buttons    []desk.StepKind // the steps that take nothing but a click
	Priorities []desk.Priority
}

// ticketID reads the {id} of a ticket URL.
func ticketID(r *http.Request) (desk.TicketID, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(r.PathValue("id"), "#"), 10, 64)
	if err != nil || n <= 0 {
		return 0, desk.Errorf(desk.ENOTFOUND, "There is no such ticket.")
	}
	return desk.TicketID(n), nil
}

// ticketWithHistory reads a ticket and its history for a page. When either cannot be read
// it answers the request itself (not found, or unavailable) and reports false.
func (d *Dashboard) ticketWithHistory(w http.ResponseWriter, r *http.Request, id desk.TicketID) (desk.Ticket, []desk.Entry, bool) {
	t, err := d.opts.Store.Ticket(r.Context(), id)
	if errors.Is(err, desk.ErrNotFound) {
		d.fail(w, r, desk.Errorf(desk.ENOTFOUND, "%s", d.text(catalog.DashNoSuchTicket, "Ticket", id.String())))
		return t, nil, false
	}
	if err != nil {
		d.fail(w, r, unavailable(err))
		return t, nil, false
	}
	history, err := d.opts.Store.Transcript(r.Context(), id)
	if err != nil {
		d.fail(w, r, unavailable(err))
		return t, nil, false
	}
	return t, history, true
}

// ticket shows a ticket's whole history and its actions.
func (d *Dashboard) ticket(w http.ResponseWriter, r *http.Request) {
	v := viewerOf(r)
	id, err := ticketID(r)
	if err != nil {
		d.fail(w, r, desk.Errorf(desk.ENOTFOUND, "%s", d.text(catalog.DashNoSuchTicket, "Ticket", "")))
		return
	}
	seq, err := d.opts.Store.LastTicketChange(r.Context())
	if err != nil {
		d.fail(w, r, unavailable(err))
		return
	}
	t, history, ok := d.ticketWithHistory(w, r, id)
	if !ok {
		return
	}
	now := d.opts.Now()
	data := ticketData{Row: makeRow(t, now), CanAct: t.Platform == v.Platform, Event: newEventID(), Seq: seq,
		Buttons: []desk.StepKind{desk.StepClaim, desk.StepPending, desk.StepResolve, desk.StepReopen, desk.StepClose}, Priorities: desk.Priorities,
		Thread: d.permalink(r.Context(), t), Platform: d.platformName(t.Platform)}
	for _, e := range history {
		ev := entryView{Entry: e, Internal: e.Kind == "note"}
		for _, f := range e.Files {
			ev.Links = append(ev.Links, fileLink{Href: fileHref(id, f.ID), Name: cmp.Or(f.Name, f.ID), Size: f.Size})
		}
		data.History = append(data.History, ev)
	}
	for _, c := range t.Clocks {
		data.Clocks = append(data.Clocks, clockView{SLAClock: c, State: c.State(now)})
	}
	name := "ticket.html"
	if r.Header.Get("X-Fragment") == "ticket" {
		name = "ticket-body"
	}
	d.render(w, http.StatusOK, name, page{Title: t.ID.String() + " " + t.Subject, Viewer: v, Flash: takeFlash(w, r), Data: data})
}

// eventIDPattern is the form of the event IDs the ticket page makes.
var eventIDPattern = regexp.MustCompile(`^dash-[A-Za-z0-9_-]{22}$`)

// newEventID makes the ID of a step a page will ask for.
func newEventID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "dash-" + base64.RawURLEncoding.EncodeToString(b)
}

// step hands a step from the ticket page to the engine, as the signed-in agent, and shows the
// engine's answer on the ticket page.
func (d *Dashboard) step(w http.ResponseWriter, r *http.Request) {
	v := viewerOf(r)
	id, err := ticketID(r)
	if err != nil {
		d.fail(w, r, desk.Errorf(desk.ENOTFOUND, "%s", d.text(catalog.DashNoSuchTicket, "Ticket", "")))
		return
	}
	kind := desk.StepKind(r.PathValue("step"))
	if !slices.Contains(steps, kind) {
		d.fail(w, r, desk.Errorf(desk.ENOTFOUND, "%s", d.text(catalog.DashNoSuchAction)))
		return
	}
	event := r.PostFormValue("event")
	if !eventIDPattern.MatchString(event) {
		d.fail(w, r, desk.Errorf(desk.EINVALID, "%s", d.text(catalog.DashFormStale)))
		return
	}
	t, err := d.opts.Store.Ticket(r.Context(), id)
	if errors.Is(err, desk.ErrNotFound) {
		d.fail(w, r, desk.Errorf(desk.ENOTFOUND, "%s", d.text(catalog.DashNoSuchTicket, "Ticket", id.String())))
		return
	}
	if err != nil {
		d.fail(w, r, unavailable(err))
		return
	}
	if t.Platform != v.Platform {
		d.fail(w, r, desk.Errorf(desk.EFORBIDDEN, "%s", d.text(catalog.DashElsewhere, "Ticket", id.String(), "Platform", d.platformName(t.Platform))))
		return
	}
	form := map[string]string{}
	for _, f := range stepFields[kind] {
		if val, ok := r.PostForm[f]; ok && len(val) > 0 {
			form[f] = val[0]
		}
	}
	answer, err := d.opts.Desk.Do(r.Context(), desk.Event{ID: event, Platform: t.Platform, Kind: desk.StepAsked,
		Source: desk.SourceDashboard, User: desk.User{ID: v.UserID}, Ticket: id, Action: string(kind), Form: form, At: d.opts.Now()})
	if err != nil {
		d.fail(w, r, fmt.Errorf("%s of %s: %w", kind, id, err))
		return
	}
	d.setFlash(w, answer)
	http.Redirect(w, r, "/dashboard/tickets/"+strconv.FormatInt(int64(id), 10), http.StatusSeeOther)
}

// flashCookie carries the answer to a step across the redirect that follows it, briefly.
const flashCookie = "threadesk_flash"

func (d *Dashboard) setFlash(w http.ResponseWriter, text string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(text)), Path: "/dashboard",
		MaxAge: 60, HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteLaxMode})
}

// takeFlash reads the flash and forgets it.
func takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/dashboard", MaxAge: -1, Expires: time.Unix(1, 0)})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return ""
	}
	return string(b)
}

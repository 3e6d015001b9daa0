package relay

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// This file shows the desk's time rules: the SLA reminders and breach alerts a timer fires,
// the targets on a ticket's card, and the out-of-hours reply's words.

// timerFired carries out the step a timer of the desk's came due for. A step the ticket no
// longer allows (a ticket closed meanwhile, a clock stopped) is dropped: nobody waits for the
// answer. An SLA reminder or alert goes into the ticket's thread, naming its assignee; an
// alert also goes into the triage channel, naming the leads.
func (r *Relay) timerFired(ctx context.Context, p desk.Platform, q desk.Queued) error {
	return r.runStep(ctx, p, q, q.Event.Ticket, desk.TimerStep(q.Event.Action), func(o desk.Outcome) []desk.Task {
		var tasks []desk.Task
		for _, e := range o.Effects {
			if e.Kind == desk.EffectSLA {
				tasks = append(tasks, r.slaTasks(ctx, p, q.Event, o.Ticket, e)...)
			}
		}
		return tasks
	})
}

// slaNames are the catalog texts of the targets' names.
var slaNames = map[desk.SLAKind]string{
	desk.SLAFirstResponse: catalog.SLAFirstResponse,
	desk.SLANextResponse:  catalog.SLANextResponse,
	desk.SLAResolution:    catalog.SLAResolution,
}

// slaStates are the catalog texts of the targets' states.
var slaStates = map[desk.SLAState]string{
	desk.SLAOnTrack:  catalog.SLAOnTrack,
	desk.SLAAtRisk:   catalog.SLAAtRisk,
	desk.SLABreached: catalog.SLABreachedState,
	desk.SLAPaused:   catalog.SLAPaused,
	desk.SLAMet:      catalog.SLAMet,
}

// slaTasks are the posts of an SLA reminder or alert e on ticket t.
func (r *Relay) slaTasks(ctx context.Context, p desk.Platform, ev desk.Event, t desk.Ticket, e desk.Effect) []desk.Task {
	c, _ := t.Clock(e.SLA)
	mention := ""
	if t.Assignee != "" {
		mention = p.Mention(r.who(ctx, p, desk.User{ID: t.Assignee, DisplayName: ""}))
	}
	args := map[string]any{
		"Mention": mention, "Ticket": t.ID.String(), "Target": r.text().Text(slaNames[e.SLA], nil),
		"Due": r.dueTime(e.At, c.Target), "Left": left(e.At.Sub(r.clock.Now())), "Goal": span(c.Target),
	}
	var tasks []desk.Task
	which := catalog.SLAReminder
	if e.Alert {
		which = catalog.SLABreached
	}
	if t.HasThread() {
		tasks = append(tasks, desk.Task{Kind: desk.TaskPost, Platform: t.Platform, Ticket: t.ID, Message: desk.Outgoing{
			Channel: t.TriageChannel, Thread: t.ThreadID, Text: r.text().Text(which, args), Key: partKey(ev, "sla", 0)}})
	}
	if e.Alert {
		args["Leads"] = r.mentionLeads(ctx, p)
		args["Subject"] = p.Quote(t.Subject)
		args["Assignee"] = p.Quote(t.AssigneeName)
		tasks = append(tasks, desk.Task{Kind: desk.TaskPost, Platform: t.Platform, Ticket: t.ID, Message: desk.Outgoing{
			Channel: p.TriageChannel(), Text: r.text().Text(catalog.SLALeads, args), Key: partKey(ev, "sla-leads", 0)}})
	}
	return tasks
}

// mentionLeads names the leads (LEADS, by ID or handle) so that the platform notifies them.
// One the platform does not know (not yet a member, or a slot nobody holds, as in the
// sandbox) is left out; one it cannot look up now is named as written.
func (r *Relay) mentionLeads(ctx context.Context, p desk.Platform) string {
	var out []string
	for _, l := range r.opts.Leads {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		u, err := p.FindUser(ctx, l)
		switch {
		case errors.Is(err, desk.ErrNotFound):
			r.log.Debug("a lead to alert is not on the platform", "platform", p.Name(), "lead", l)
		case err != nil:
			r.log.Warn("find a lead to alert", "platform", p.Name(), "lead", l, "err", err)
			out = append(out, p.Quote("@"+strings.TrimPrefix(l, "@")))
		default:
			out = append(out, p.Mention(u))
		}
	}
	return strings.Join(out, " ")
}

// zone is the desk's time zone: its hours', else UTC.
func (r *Relay) zone() *time.Location {
	if z := r.policy().Zone; z != nil {
		return z
	}
	return time.UTC
}

// dueTime writes when a target is due for agents, in the desk's time zone: "Dec 7 14:30 MSK",
// to the second for a target of minutes ("Dec 7 14:30:05 MSK").
func (r *Relay) dueTime(t time.Time, target time.Duration) string {
	if target < 10*time.Minute {
		return t.In(r.zone()).Format("Jan 2 15:04:05 MST")
	}
	return t.In(r.zone()).Format("Jan 2 15:04 MST")
}

// left writes how long is left until something due: "15m", "2h", or to the second under a
// minute ("12s").
func left(d time.Duration) string {
	if d < time.Minute {
		return span(max(d.Round(time.Second), 0))
	}
	return age((d + 30*time.Second).Truncate(time.Minute))
}

// span writes a target's length as the desk file does: 30m, 4h, 1h30m, 3d.
func span(d time.Duration) string {
	const day = 24 * time.Hour
	var b strings.Builder
	for _, u := range []struct {
		d    time.Duration
		unit string
	}{{day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.unit)
			d -= n * u.d
		}
	}
	if b.Len() == 0 {
		return "0s"
	}
	return b.String()
}

// slaField is the card's line of the ticket's targets, one clock a line: "first response: due
// Dec 7 14:30 MSK · at risk".
func (r *Relay) slaField(t desk.Ticket) (desk.Field, bool) {
	now := r.clock.Now()
	var lines []string
	for _, k := range desk.SLAKinds {
		c, ok := t.Clock(k)
		if !ok {
			continue
		}
		due := ""
		if c.Running() && !c.Due.IsZero() {
			due = r.dueTime(c.Due, c.Target)
		}
		lines = append(lines, r.text().Text(catalog.CardSLAClock, map[string]any{
			"Target": r.text().Text(slaNames[k], nil), "Due": due, "State": r.text().Text(slaStates[c.State(now)], nil)}))
	}
	if len(lines) == 0 {
		return desk.Field{}, false
	}
	return desk.Field{Label: r.text().Text(catalog.CardSLA, nil), Value: strings.Join(lines, "\n")}, true
}

// awayText is the out-of-hours reply to ticket t's customer: when the team is back, in the
// customer's time zone when the platform tells it, else the desk's; and the holiday, if the
// desk is closed for one today.
func (r *Relay) awayText(t desk.Ticket, back time.Time) string {
	zone := r.zone()
	if tz := t.Customer.TimeZone; tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			zone = loc
		}
	}
	holiday := ""
	if h := r.policy().Hours; h != nil {
		holiday = h.ClosedFor(r.clock.Now())
	}
	lang := r.languageOf(t)
	return catalog.For(lang).Text(catalog.NoticeAway, map[string]any{
		"When": catalog.When(lang, back.In(zone), r.clock.Now()), "Zone": zone.String(), "Holiday": holiday})
}

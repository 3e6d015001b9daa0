package dashboard

import (
	"fmt"
	"html/template"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// lang is one language of the pages: its catalog, and the clock for "how long ago".
type lang struct {
	code string
	c    *catalog.Catalog
	now  func() time.Time
}

// t renders a catalog text; kv are its arguments as name, value pairs.
func (l *lang) t(id string, kv ...any) string {
	var args map[string]any
	if len(kv) > 0 {
		args = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			name, _ := kv[i].(string)
			args[name] = kv[i+1]
		}
	}
	return l.c.Text(id, args)
}

// name is the catalog's name of a value (a status, a priority, a step…) under prefix, or the
// value itself when the catalog has none: a value added later still shows.
func (l *lang) name(prefix, value string) string {
	id := prefix + "." + value
	if s := l.c.Text(id, nil); s != id {
		return s
	}
	return strings.ReplaceAll(value, "_", " ")
}

// span writes a duration in its largest whole unit: 45s, 12m, 3h, 2d (45 с, 12 мин…).
func (l *lang) span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return l.t(catalog.DashSeconds, "N", max(int(d/time.Second), 0))
	case d < time.Hour:
		return l.t(catalog.DashMinutes, "N", int(d/time.Minute))
	case d < 48*time.Hour:
		return l.t(catalog.DashHours, "N", int(d/time.Hour))
	}
	return l.t(catalog.DashDays, "N", int(d/(24*time.Hour)))
}

// slaKindIDs and slaStateIDs are the catalog's names of the SLA's targets and states, which
// the chat's cards use too.
var (
	slaKindIDs = map[desk.SLAKind]string{desk.SLAFirstResponse: catalog.SLAFirstResponse,
		desk.SLANextResponse: catalog.SLANextResponse, desk.SLAResolution: catalog.SLAResolution}
	slaStateIDs = map[desk.SLAState]string{desk.SLAOnTrack: catalog.SLAOnTrack, desk.SLAAtRisk: catalog.SLAAtRisk,
		desk.SLABreached: catalog.SLABreachedState, desk.SLAPaused: catalog.SLAPaused, desk.SLAMet: catalog.SLAMet}
)

func (l *lang) slaKind(k desk.SLAKind) string {
	if id, ok := slaKindIDs[k]; ok {
		return l.t(id)
	}
	return strings.ReplaceAll(string(k), "_", " ")
}

func (l *lang) slaState(s desk.SLAState) string {
	if id, ok := slaStateIDs[s]; ok {
		return l.t(id)
	}
	return strings.ReplaceAll(string(s), "_", " ")
}

// sla is the state of a ticket's most pressing clock, as the queue shows it: a breached one,
// else the next to breach, else a paused one ("" without one).
func (l *lang) sla(t desk.Ticket) string {
	now := l.now()
	for _, c := range t.Clocks {
		if !c.Done && c.State(now) == desk.SLABreached {
			return l.t(catalog.DashSLABreached, "Target", l.slaKind(c.Kind))
		}
	}
	if c, ok := t.NextBreach(); ok {
		return l.t(catalog.DashSLADueIn, "Target", l.slaKind(c.Kind), "Left", l.span(c.Due.Sub(now)))
	}
	for _, c := range t.Clocks {
		if !c.Done {
			return l.t(catalog.DashSLAPaused, "Target", l.slaKind(c.Kind))
		}
	}
	return ""
}

// clock is one SLA clock of the ticket page: its target, state and due time or length.
func (l *lang) clock(c clockView) string {
	s := l.t(catalog.DashSLAClock, "Target", l.slaKind(c.Kind), "State", l.slaState(c.State))
	switch {
	case c.Running() && !c.Due.IsZero():
		s += " " + l.t(catalog.DashSLADue, "When", catalog.Stamp(l.code, c.Due))
	case c.Done:
		s += " " + l.t(catalog.DashSLAAfter, "Span", l.span(c.Elapsed))
	}
	return s
}

// statusChange is how the engine records a status change in the history: "open → pending",
// maybe followed by more.
var statusChange = regexp.MustCompile(`^([a-z_]+) → ([a-z_]+)(.*)$`)

// entryText is a history line's text. The engine records steps, status changes and SLA
// events by their values ("claim", "new → open", "first_response breached"): those are named
// in the page's language; people's words stay as they were written.
func (l *lang) entryText(e desk.Entry) string {
	if l.code == "en" {
		return e.Text // the engine's own words
	}
	switch e.Kind {
	case "action", "intake":
		if !strings.ContainsAny(e.Text, " :") && e.Text != "" {
			return l.name("dash.step", e.Text)
		}
	case "status":
		if m := statusChange.FindStringSubmatch(e.Text); m != nil {
			return l.name("dash.status", m[1]) + " → " + l.name("dash.status", m[2]) + m[3]
		}
	case "sla":
		kind, state, ok := strings.Cut(e.Text, " ")
		if _, known := slaKindIDs[desk.SLAKind(kind)]; ok && known {
			st := desk.SLAState(strings.ReplaceAll(state, " ", "_"))
			if _, known := slaStateIDs[st]; known {
				return l.t(catalog.DashSLAClock, "Target", l.slaKind(desk.SLAKind(kind)), "State", l.slaState(st))
			}
		}
	}
	return e.Text
}

// size writes a file's size: 512 B, 1.5 KB, 12 MB (with a decimal comma in Russian).
func (l *lang) size(n int64) string {
	num := func(v float64) string {
		s := strconv.FormatFloat(v, 'f', 1, 64)
		s = strings.TrimSuffix(s, ".0")
		if l.code == "ru" {
			s = strings.ReplaceAll(s, ".", ",")
		}
		return s
	}
	switch {
	case n < 1024:
		return l.t(catalog.DashBytes, "N", strconv.FormatInt(max(n, 0), 10))
	case n < 1024*1024:
		return l.t(catalog.DashKB, "N", num(float64(n)/1024))
	}
	return l.t(catalog.DashMB, "N", num(float64(n)/(1024*1024)))
}

// period is the name of the statistics' period as asked (a period value, or from and to).
func (l *lang) period(period, from, to string) string {
	if from != "" || to != "" {
		return l.t(catalog.DashPeriodCustom, "From", from, "To", to)
	}
	switch period {
	case "today":
		return l.t(catalog.PeriodToday)
	case "30d", "90d":
		return l.t(catalog.PeriodDays, "Days", strings.TrimSuffix(period, "d"))
	}
	return l.t(catalog.PeriodDays, "Days", "7")
}

// funcs are the helpers the page templates use, in language l. Every value they return is
// escaped by html/template like any other: none returns template.HTML.
func funcs(l *lang) template.FuncMap {
	return template.FuncMap{
		"t":    l.t,
		"lang": func() string { return l.code },
		"stamp": func(t time.Time) string {
			if t.IsZero() {
				return "–"
			}
			return catalog.Stamp(l.code, t)
		},
		"iso": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		},
		"ago": func(t time.Time) string {
			if t.IsZero() {
				return "–"
			}
			return l.span(l.now().Sub(t))
		},
		"join":       strings.Join,
		"dur":        l.span,
		"status":     func(s any) string { return l.name("dash.status", fmt.Sprint(s)) },
		"prio":       func(p any) string { return l.name("dash.priority", fmt.Sprint(p)) },
		"sortname":   func(s string) string { return l.name("dash.sort", s) },
		"periodname": func(s string) string { return l.name("dash.period", s) },
		"step":       func(s any) string { return l.name("dash.step", fmt.Sprint(s)) },
		"kind":       func(s string) string { return l.name("dash.kind", s) },
		"sla":        l.sla,
		"clock":      l.clock,
		// slakind names an SLA target of the statistics: "first_response", or with its
		// priority, "first_response:high".
		"slakind": func(s string) string {
			kind, pr, ok := strings.Cut(s, ":")
			if !ok {
				return l.slaKind(desk.SLAKind(kind))
			}
			return l.slaKind(desk.SLAKind(kind)) + " · " + l.name("dash.priority", pr)
		},
		"entry":  l.entryText,
		"size":   l.size,
		"period": l.period,
		"day": func(unix int64, unit string, in time.Time) string {
			return catalog.Day(l.code, time.Unix(unix, 0).In(in.Location()), unit == "hour")
		},
		// charttext is what static/charts.js writes on the charts, handed to it as JSON.
		"charttext": func() map[string]string {
			return map[string]string{
				"opened": l.t(catalog.DashColOpened), "resolved": l.t(catalog.DashChartResolved),
				"firstResponse": l.t(catalog.DashChartFR), "resolution": l.t(catalog.DashChartRes),
				"hour": l.t(catalog.DashHour), "s": l.t(catalog.DashSeconds, "N", "{n}"), "m": l.t(catalog.DashMinutes, "N", "{n}"),
				"h": l.t(catalog.DashHours, "N", "{n}"), "d": l.t(catalog.DashDays, "N", "{n}"),
				"average": l.t(catalog.DashAverage), "ratings": l.t(catalog.DashRatings), "slaShare": l.t(catalog.DashMetPct),
				"met": l.t(catalog.DashMet), "breached": l.t(catalog.DashBreached),
			}
		},
		"eq2": func(a, b any) bool { return a == b },
		"has": func(list any, v string) bool {
			switch l := list.(type) {
			case []string:
				for _, s := range l {
					if s == v {
						return true
					}
				}
			}
			return false
		},
		"seconds": func(d time.Duration) int64 { return int64(d / time.Second) },
	}
}

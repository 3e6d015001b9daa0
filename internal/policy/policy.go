// Package policy reads the desk policy file (the DESK_CONFIG setting): the desk's language,
// the categories and questions of the first-line bot, business hours, SLA targets, auto-close,
// the satisfaction question and canned replies. The file is YAML, decoded strictly: an unknown
// key is an error. Load checks the whole file and reports every problem at once, each naming
// the file, the line and the field; a Holder keeps the policy the running desk reads and
// reloads it, keeping the old one when the new file is invalid.
//
// A Policy is read-only once loaded: the desk shares one between goroutines, and a reload
// replaces it whole rather than changing it.
package policy

import (
	"fmt"
	"strings"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// Language is a language customers and agents can be spoken to in.
type Language string

// The languages the desk speaks.
const (
	English Language = "en"
	Russian Language = "ru"
)

// Languages lists every language the file may name.
var Languages = []Language{English, Russian}

// Policy is the desk policy file, checked, with its defaults filled in. Every section of the
// file is optional; a section that is not written leaves its feature as it is without a file
// (see Default).
type Policy struct {
	// File is the path the policy was read from; "" for Default.
	File string
	// Language is the agents' language and the customers' default; English unless written.
	Language Language
	// Categories are offered to a customer before a ticket opens, in the file's order.
	Categories []Category
	Intake     Intake
	// Hours are the business hours; nil when the file has none, and then the desk is always
	// open (business time is calendar time).
	Hours        *Hours
	SLA          SLA
	AutoClose    AutoClose
	Satisfaction Satisfaction
	// Canned are the canned replies, in the file's order.
	Canned []Canned
}

// Category is one choice of the intake's category picker.
type Category struct {
	Name        string
	Description string // optional; shown beside the name
	// Questions are asked one at a time after the category is picked; the answers go on the
	// ticket's card.
	Questions []Question
}

// Question is one intake question. Its ID is unique within its category and keys the answer.
type Question struct {
	ID  string
	Ask string // the question as the customer reads it
	// Required questions must be answered (true unless the file says required: false); an
	// optional one can be skipped. The intake timeout opens the ticket either way.
	Required bool
	// Choices, when given, are the only answers (buttons); otherwise the answer is free text.
	Choices []string
}

// Intake is how the first-line bot greets a customer who has no active ticket.
type Intake struct {
	// Enabled is true when the file has an intake section whose enabled is not false.
	Enabled bool
	// Timeout is how long the bot waits for the customer to answer before opening the
	// ticket anyway with what it knows; default 10 minutes.
	Timeout time.Duration
	// Suggest lets the bot suggest knowledge-base articles before a ticket opens; default
	// true (it has effect only when KB_PATH is set).
	Suggest bool
}

// SLA holds the service-level targets per priority.
type SLA struct {
	// Targets has an entry for each priority the file gives targets for.
	Targets map[desk.Priority]Target
	// RemindAt is the share of a target (0.75 for 75%) at which a reminder goes into the
	// ticket's thread; default 0.75; 0 when the file says remind_at: off.
	RemindAt float64
}

// For returns the targets of priority p, and whether the file gives any.
func (s SLA) For(p desk.Priority) (Target, bool) {
	t, ok := s.Targets[p]
	return t, ok
}

// Target is the SLA of one priority. A zero duration means no target of that kind.
type Target struct {
	FirstResponse time.Duration // from opening to the first agent's reply
	NextResponse  time.Duration // from a customer's message to the next reply, after the first
	Resolution    time.Duration // from opening to resolution
	// BusinessHours counts the targets in business hours (default true); false counts calendar
	// time. Without Hours in the policy both are the same.
	BusinessHours bool
}

// AutoClose holds the timers that move quiet tickets on. A zero duration means that step
// never happens. Without an auto_close section all three are zero, as without a file; with
// one, each key not written takes its default.
type AutoClose struct {
	PendingNudge   time.Duration // a ticket waiting on the customer is nudged; default 3 days
	PendingResolve time.Duration // …and resolved after this long without an answer; default 7 days
	ResolvedClose  time.Duration // a resolved ticket is closed; default 7 days
}

// Ask says when the satisfaction question is asked.
type Ask string

// When to ask for a rating.
const (
	AskOff       Ask = "off"
	AskOnResolve Ask = "on_resolve" // the default, as without a file
	AskOnClose   Ask = "on_close"
)

// Satisfaction is the rating question's rules.
type Satisfaction struct {
	Ask Ask
	// RemindAfter is when one reminder goes to a customer who has not rated; 0: none.
	RemindAfter time.Duration
	// Question and Reminder replace the catalog's texts for the languages they have.
	Question map[Language]string
	Reminder map[Language]string
}

// Canned is a canned reply an agent sends with /desk reply NAME; Changes is what it also sets
// on the ticket. The desk's rules own them (desk.Canned, desk.Ticket.Reply).
type (
	Canned  = desk.Canned
	Changes = desk.Changes
)

// Default is the policy without a file: today's desk, with no bot, no business hours, no SLA,
// no auto-close, and the rating question asked on resolve.
func Default() *Policy {
	return &Policy{
		Language:     English,
		Intake:       Intake{Timeout: defaultIntakeTimeout, Suggest: true},
		SLA:          SLA{RemindAt: defaultRemindAt},
		Satisfaction: Satisfaction{Ask: AskOnResolve},
	}
}

// The defaults of keys not written.
const (
	defaultIntakeTimeout  = 10 * time.Minute
	defaultRemindAt       = 0.75
	defaultPendingNudge   = 3 * day
	defaultPendingResolve = 7 * day
	defaultResolvedClose  = 7 * day
)

// Category returns the category named name (as written in the file), if there is one.
func (p *Policy) Category(name string) (Category, bool) {
	for _, c := range p.Categories {
		if c.Name == name {
			return c, true
		}
	}
	return Category{}, false
}

// CategoryNames lists the categories' names in the file's order.
func (p *Policy) CategoryNames() []string {
	names := make([]string, len(p.Categories))
	for i, c := range p.Categories {
		names[i] = c.Name
	}
	return names
}

// Summary says in one line what the policy sets, for check-config and for the answer to a
// reload.
func (p *Policy) Summary() string {
	var parts []string
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	add("language %s", p.Language)
	questions := 0
	for _, c := range p.Categories {
		questions += len(c.Questions)
	}
	add("%s (%s)", count(len(p.Categories), "category", "categories"), count(questions, "question", "questions"))
	if p.Intake.Enabled {
		suggest := "with suggestions"
		if !p.Intake.Suggest {
			suggest = "without suggestions"
		}
		add("intake on (timeout %s, %s)", FormatDuration(p.Intake.Timeout), suggest)
	} else {
		add("intake off")
	}
	if h := p.Hours; h != nil {
		days := 0
		for _, ws := range h.Week {
			if len(ws) > 0 {
				days++
			}
		}
		add("business hours in %s (%s a week, %s, %s)", h.Location, count(days, "day", "days"),
			count(len(h.Holidays), "holiday", "holidays"), count(len(h.WorkingDays), "extra working day", "extra working days"))
	} else {
		add("no business hours")
	}
	var with []string
	for _, pr := range desk.Priorities {
		if _, ok := p.SLA.Targets[pr]; ok {
			with = append(with, string(pr))
		}
	}
	if len(with) > 0 {
		add("SLA for %s", strings.Join(with, ", "))
	} else {
		add("no SLA")
	}
	if p.AutoClose == (AutoClose{}) {
		add("no auto-close")
	} else {
		add("auto-close on")
	}
	add("rating %s", p.Satisfaction.Ask)
	add("%s", count(len(p.Canned), "canned reply", "canned replies"))
	return strings.Join(parts, ", ")
}

// count writes n with the singular or plural noun.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Desk is the part of the policy the ticket engine's rules read (desk.Policy): the language,
// the categories (with the settings' own as the Tag form's choices when the file names none),
// the first-line bot, and auto-close of resolved tickets.
func (p *Policy) Desk(categories []string) desk.Policy {
	d := desk.Policy{
		Language:       string(p.Language),
		Categories:     categories,
		ResolvedClose:  p.AutoClose.ResolvedClose,
		Intake:         desk.Intake{Enabled: p.Intake.Enabled, Timeout: p.Intake.Timeout, Suggest: p.Intake.Suggest},
		Canned:         p.Canned,
		PendingNudge:   p.AutoClose.PendingNudge,
		PendingResolve: p.AutoClose.PendingResolve,
		Rating: desk.Rating{Ask: desk.RatingAsk(p.Satisfaction.Ask), RemindAfter: p.Satisfaction.RemindAfter,
			Question: texts(p.Satisfaction.Question), Reminder: texts(p.Satisfaction.Reminder)},
	}
	if len(p.Categories) > 0 {
		d.Categories = p.CategoryNames()
	}
	for _, c := range p.Categories {
		dc := desk.Category{Name: c.Name, Description: c.Description}
		for _, q := range c.Questions {
			dc.Questions = append(dc.Questions, desk.Question{ID: q.ID, Ask: q.Ask, Choices: q.Choices, Required: q.Required})
		}
		d.Intake.Categories = append(d.Intake.Categories, dc)
	}
	if p.Hours != nil {
		d.Hours, d.Zone = p.Hours, p.Hours.Location // never a nil *Hours in the interface
	}
	if len(p.SLA.Targets) > 0 {
		d.SLA = desk.SLA{Targets: map[desk.Priority]desk.SLATarget{}, RemindAt: p.SLA.RemindAt}
		for pr, t := range p.SLA.Targets {
			d.SLA.Targets[pr] = desk.SLATarget{FirstResponse: t.FirstResponse, NextResponse: t.NextResponse,
				Resolution: t.Resolution, BusinessHours: t.BusinessHours}
		}
	}
	return d
}

// texts keys a text per language by the language's code, as the desk's rules do.
func texts(m map[Language]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for lang, text := range m {
		out[string(lang)] = text
	}
	return out
}

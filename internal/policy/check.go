package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/threadesk/threadesk/internal/desk"
)

// buttonText is the most a button's label may hold: Slack's limit for a button's text, which
// Mattermost's buttons also fit. Category names and choices become buttons.
const buttonText = 75

var (
	// questionID keys an answer on the card and in button values.
	questionID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	// cannedName follows /desk reply: one word.
	cannedName = regexp.MustCompile(`^[\p{L}\p{N}_-]{1,64}$`)
	// placeholder is anything in braces without spaces: known names and misspelt ones alike.
	placeholder = regexp.MustCompile(`\{([^{}\s]*)\}`)
)

// check turns the decoded file into a Policy, with defaults for what it does not write, and
// records every problem.
func (c *checker) check(r *rawPolicy) *Policy {
	p := Default()
	p.File = c.file
	if r.Language != "" {
		p.Language = c.language("language", r.Language)
	}
	p.Categories = c.categories(r.Categories)
	if r.Intake != nil {
		p.Intake = c.intake(r.Intake)
	}
	if r.Hours != nil {
		p.Hours = c.hours(r.Hours)
	}
	if r.SLA != nil {
		p.SLA = c.sla(r.SLA)
	}
	if r.AutoClose != nil {
		p.AutoClose = c.autoClose(r.AutoClose)
	}
	if r.Satisfaction != nil {
		p.Satisfaction = c.satisfaction(r.Satisfaction)
	}
	p.Canned = c.canned(r.Canned)
	return p
}

// languageNames are what people write for a language instead of its code.
var languageNames = map[string]Language{
	"english": English, "eng": English, "английский": English,
	"russian": Russian, "rus": Russian, "русский": Russian,
}

func (c *checker) language(path, s string) Language {
	if l := Language(s); slices.Contains(Languages, l) {
		return l
	}
	hint := "write en or ru"
	if l := Language(strings.ToLower(s)); slices.Contains(Languages, l) {
		hint = "write " + string(l)
	} else if l, ok := languageNames[strings.ToLower(s)]; ok {
		hint = "write " + string(l)
	}
	c.add(path, "%q is not a language the desk speaks (%s)", s, hint)
	return English
}

// duration reads the duration at path, recording a problem when it is not one.
func (c *checker) duration(path, s string) time.Duration {
	d, err := parseDuration(s, false)
	if err != nil {
		c.add(path, "%s", err.Error())
	}
	return d
}

// sameAs says where an earlier value that s repeats was written.
func (c *checker) sameAs(path string) string {
	return fmt.Sprintf("%s, line %d", path, c.lineOf(path))
}

func (c *checker) categories(raw []rawCategory) []Category {
	var cats []Category
	names := map[string]string{} // folded name → path of the first category with it
	for i, rc := range raw {
		path := fmt.Sprintf("categories[%d]", i)
		cat := Category{Name: strings.TrimSpace(rc.Name), Description: strings.TrimSpace(rc.Description)}
		switch n := utf8.RuneCountInString(cat.Name); {
		case n == 0:
			c.add(path+".name", "missing: every category needs a name, shown on its button")
		case n > buttonText:
			c.add(path+".name", "%q has %d characters; a button shows at most %d", cat.Name, n, buttonText)
		}
		if first, dup := names[strings.ToLower(cat.Name)]; dup && cat.Name != "" {
			c.add(path+".name", "%q is already a category's name (%s): names must differ", cat.Name, c.sameAs(first))
		} else {
			names[strings.ToLower(cat.Name)] = path + ".name"
		}
		cat.Questions = c.questions(path, rc.Questions)
		cats = append(cats, cat)
	}
	return cats
}

func (c *checker) questions(category string, raw []rawQuestion) []Question {
	var qs []Question
	ids := map[string]string{}
	for j, rq := range raw {
		path := fmt.Sprintf("%s.questions[%d]", category, j)
		q := Question{ID: strings.TrimSpace(rq.ID), Ask: strings.TrimSpace(rq.Ask), Required: true}
		switch {
		case q.ID == "":
			c.add(path+".id", "missing: every question needs an id, which keys its answer (letters, digits, - and _)")
		case !questionID.MatchString(q.ID):
			c.add(path+".id", "%q is not an id: use up to 64 letters (a-z), digits, - and _", q.ID)
		}
		if first, dup := ids[q.ID]; dup && q.ID != "" {
			c.add(path+".id", "%q is already the id of a question of this category (%s): ids must differ", q.ID, c.sameAs(first))
		} else {
			ids[q.ID] = path + ".id"
		}
		if q.Ask == "" {
			c.add(path+".ask", "missing: write the question as the customer should read it")
		}
		if rq.Required != nil {
			q.Required = *rq.Required
		}
		q.Choices = c.choices(path+".choices", rq.Choices)
		qs = append(qs, q)
	}
	return qs
}

func (c *checker) choices(path string, raw []string) []string {
	if raw == nil {
		return nil
	}
	if len(raw) < 2 {
		c.add(path, "%d choices is no choice: give at least two, or leave choices out for an answer in the customer's words", len(raw))
	}
	var choices []string
	seen := map[string]bool{}
	for k, s := range raw {
		s = strings.TrimSpace(s)
		cp := fmt.Sprintf("%s[%d]", path, k)
		switch n := utf8.RuneCountInString(s); {
		case n == 0:
			c.add(cp, "empty: write the choice as its button should show it")
		case n > buttonText:
			c.add(cp, "%q has %d characters; a button shows at most %d", s, n, buttonText)
		case seen[strings.ToLower(s)]:
			c.add(cp, "%q is given twice", s)
		}
		seen[strings.ToLower(s)] = true
		choices = append(choices, s)
	}
	return choices
}

func (c *checker) intake(r *rawIntake) Intake {
	in := Intake{Enabled: true, Timeout: defaultIntakeTimeout, Suggest: true}
	if r.Enabled != nil {
		in.Enabled = *r.Enabled
	}
	if r.Timeout != "" {
		in.Timeout = c.duration("intake.timeout", r.Timeout)
	}
	if r.Suggest != nil {
		in.Suggest = *r.Suggest
	}
	return in
}

// aWindow is a window placed in the week, for finding overlaps.
type aWindow struct {
	path  string
	day   string
	w     Window
	start time.Duration // since Monday's midnight
}

func (c *checker) hours(r *rawHours) *Hours {
	h := &Hours{Location: time.UTC}
	if r.Timezone == "" {
		c.add("hours.timezone", "missing: write the desk's time zone, an IANA name such as Europe/Moscow")
	} else if loc, err := parseZone(r.Timezone); err != nil {
		c.add("hours.timezone", "%s", err.Error())
	} else {
		h.Location = loc
	}

	if r.Week == nil {
		c.add("hours.week", `missing: name the open days with their windows, such as mon: ["09:00-18:00"]; days not named are closed`)
	} else {
		days := [...][]string{r.Week.Mon, r.Week.Tue, r.Week.Wed, r.Week.Thu, r.Week.Fri, r.Week.Sat, r.Week.Sun}
		var all []aWindow
		for i, wd := range weekdayKeys {
			for k, s := range days[i] {
				path := fmt.Sprintf("hours.week.%s[%d]", wd.key, k)
				w, err := parseWindow(s)
				if err != nil {
					c.add(path, "%s", err.Error())
					continue
				}
				h.Week[wd.day] = append(h.Week[wd.day], w)
				all = append(all, aWindow{path, wd.key, w, time.Duration(i)*day + w.Start})
			}
			slices.SortFunc(h.Week[wd.day], func(a, b Window) int { return int(a.Start - b.Start) })
		}
		c.overlaps(all)
		if len(all) == 0 && !c.isFailed("hours.week") && !c.hasProblemUnder("hours.week") {
			c.add("hours.week", "no day has a window, so the desk would never be open")
		}
	}

	holidays := map[Date]string{}
	for i, rh := range r.Holidays {
		path := fmt.Sprintf("hours.holidays[%d]", i)
		if rh.Date == "" {
			c.add(path+".date", "missing: write the holiday's date, YYYY-MM-DD")
			continue
		}
		d, err := parseDate(rh.Date)
		if err != nil {
			c.add(path+".date", "%s", err.Error())
			continue
		}
		if first, dup := holidays[d]; dup {
			c.add(path+".date", "%s is already a holiday (%s)", d, c.sameAs(first))
			continue
		}
		holidays[d] = path + ".date"
		h.Holidays = append(h.Holidays, Holiday{Date: d, Name: strings.TrimSpace(rh.Name)})
	}
	slices.SortFunc(h.Holidays, func(a, b Holiday) int { return a.Date.compare(b.Date) })

	working := map[Date]string{}
	for i, s := range r.WorkingDays {
		path := fmt.Sprintf("hours.working_days[%d]", i)
		d, err := parseDate(s)
		switch {
		case err != nil:
			c.add(path, "%s", err.Error())
			continue
		case working[d] != "":
			c.add(path, "%s is already an extra working day (%s)", d, c.sameAs(working[d]))
			continue
		case holidays[d] != "":
			c.add(path, "%s is also a holiday (%s): it cannot be both", d, c.sameAs(holidays[d]))
			continue
		case len(h.Week[d.Weekday()]) > 0:
			c.add(path, "%s is a %s, a working day already: extra working days are for days the week leaves closed", d, d.Weekday())
			continue
		}
		working[d] = path
		h.WorkingDays = append(h.WorkingDays, d)
	}
	slices.SortFunc(h.WorkingDays, Date.compare)
	return h
}

// hasProblemUnder reports whether a problem was recorded at path or inside it.
func (c *checker) hasProblemUnder(path string) bool {
	return slices.ContainsFunc(c.problems, func(p Problem) bool {
		return p.Field == path || strings.HasPrefix(p.Field, path+".") || strings.HasPrefix(p.Field, path+"[")
	})
}

// overlaps records windows that overlap another, of the same day or of the day before when
// that one crosses midnight (Sunday's into Monday's too).
func (c *checker) overlaps(all []aWindow) {
	const week = 7 * day
	for j, b := range all {
		for _, a := range all[:j] {
			length := func(x aWindow) time.Duration { return x.w.End - x.w.Start }
			for _, shift := range []time.Duration{-week, 0, week} {
				bs := b.start + shift
				if bs < a.start+length(a) && a.start < bs+length(b) {
					c.add(b.path, "%s overlaps %s's %s (%s)", b.w, a.day, a.w, a.path)
					break
				}
			}
		}
	}
}

// priorityTargets pairs each priority with its raw targets.
func priorityTargets(r *rawSLA) []struct {
	p desk.Priority
	t *rawTarget
} {
	return []struct {
		p desk.Priority
		t *rawTarget
	}{{desk.PriorityLow, r.Low}, {desk.PriorityNormal, r.Normal}, {desk.PriorityHigh, r.High}, {desk.PriorityUrgent, r.Urgent}}
}

func (c *checker) sla(r *rawSLA) SLA {
	s := SLA{Targets: map[desk.Priority]Target{}, RemindAt: defaultRemindAt}
	for _, pt := range priorityTargets(r) {
		if pt.t == nil {
			continue
		}
		path := "sla." + string(pt.p)
		t := Target{BusinessHours: true}
		if pt.t.BusinessHours != nil {
			t.BusinessHours = *pt.t.BusinessHours
		}
		for _, d := range []struct {
			key string
			raw string
			to  *time.Duration
		}{
			{"first_response", pt.t.FirstResponse, &t.FirstResponse},
			{"next_response", pt.t.NextResponse, &t.NextResponse},
			{"resolution", pt.t.Resolution, &t.Resolution},
		} {
			if d.raw != "" {
				*d.to = c.duration(path+"."+d.key, d.raw)
			}
		}
		if pt.t.FirstResponse == "" && pt.t.NextResponse == "" && pt.t.Resolution == "" {
			c.add(path, "sets no target: write first_response, next_response or resolution, or leave %s out", pt.p)
		}
		if t.FirstResponse > 0 && t.Resolution > 0 && t.Resolution < t.FirstResponse {
			c.add(path+".resolution", "%s is less than first_response %s: the ticket would have to be resolved before its first answer is due",
				FormatDuration(t.Resolution), FormatDuration(t.FirstResponse))
		}
		s.Targets[pt.p] = t
	}
	if r.RemindAt != "" {
		s.RemindAt = c.percent("sla.remind_at", r.RemindAt)
	}
	return s
}

var percentSyntax = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*%$`)

// percent reads a share written as a percentage (75%), or off (0).
func (c *checker) percent(path, s string) float64 {
	if s == "off" {
		return 0
	}
	m := percentSyntax.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		hint := "write one such as 75%, or off"
		if v, err := strconv.ParseFloat(s, 64); err == nil && v > 0 && v < 100 {
			if v < 1 {
				v *= 100
			}
			hint = "write " + strconv.FormatFloat(v, 'f', -1, 64) + "%"
		}
		c.add(path, "%q is not a percentage (%s)", s, hint)
		return defaultRemindAt
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	if v <= 0 || v >= 100 {
		c.add(path, "%s is not between 0%% and 100%%: the reminder comes at that share of the target, before the breach (or write off)", s)
		return defaultRemindAt
	}
	return v / 100
}

// offOrDuration reads a duration that may be off (0).
func (c *checker) offOrDuration(path, s string, def time.Duration) time.Duration {
	switch s {
	case "":
		return def
	case "off":
		return 0
	}
	d, err := parseDuration(s, true)
	if err != nil {
		c.add(path, "%s", err.Error())
	}
	return d
}

func (c *checker) autoClose(r *rawAutoClose) AutoClose {
	a := AutoClose{
		PendingNudge:   c.offOrDuration("auto_close.pending_nudge", r.PendingNudge, defaultPendingNudge),
		PendingResolve: c.offOrDuration("auto_close.pending_resolve", r.PendingResolve, defaultPendingResolve),
		ResolvedClose:  c.offOrDuration("auto_close.resolved_close", r.ResolvedClose, defaultResolvedClose),
	}
	if a.PendingNudge > 0 && a.PendingResolve > 0 && a.PendingNudge >= a.PendingResolve {
		c.add("auto_close.pending_nudge", "%s is not before pending_resolve %s: both count from when the ticket began waiting on the customer, and the nudge comes first (or write off)",
			FormatDuration(a.PendingNudge), FormatDuration(a.PendingResolve))
	}
	return a
}

func (c *checker) satisfaction(r *rawSatisfaction) Satisfaction {
	s := Satisfaction{Ask: AskOnResolve}
	switch Ask(r.Ask) {
	case "":
	case AskOff, AskOnResolve, AskOnClose:
		s.Ask = Ask(r.Ask)
	default:
		c.add("satisfaction.ask", "%q is not off, on_resolve or on_close", r.Ask)
	}
	if r.RemindAfter != "" {
		s.RemindAfter = c.duration("satisfaction.remind_after", r.RemindAfter)
	}
	s.Question = c.texts("satisfaction.question", r.Question)
	s.Reminder = c.texts("satisfaction.reminder", r.Reminder)
	return s
}

// texts reads a text per language.
func (c *checker) texts(path string, r *rawTexts) map[Language]string {
	if r == nil {
		return nil
	}
	m := map[Language]string{}
	for _, t := range []struct {
		lang Language
		text string
	}{{English, r.En}, {Russian, r.Ru}} {
		if text := strings.TrimSpace(t.text); text != "" {
			c.placeholders(join(path, string(t.lang)), text)
			m[t.lang] = text
		}
	}
	if len(m) == 0 {
		c.add(path, "has no text: write one per language (en, ru), or leave %s out", path[strings.LastIndex(path, ".")+1:])
	}
	return m
}

// placeholders records every {name} of text that Fill would not fill.
func (c *checker) placeholders(path, text string) {
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
		name := m[1]
		if slices.Contains(desk.Placeholders, name) || seen[name] {
			continue
		}
		seen[name] = true
		known := "{customer}, {agent} or {ticket}"
		if guess := closest(name, desk.Placeholders); guess != "" {
			c.add(path, "{%s} is not a placeholder: did you mean {%s}? (known: %s)", name, guess, known)
		} else {
			c.add(path, "{%s} is not a placeholder (known: %s)", name, known)
		}
	}
}

// cannedStatuses are the statuses a canned reply may set: every one an agent can give.
var cannedStatuses = []desk.Status{desk.StatusOpen, desk.StatusPending, desk.StatusResolved, desk.StatusClosed}

func (c *checker) canned(raw []rawCanned) []Canned {
	var replies []Canned
	names := map[string]string{}
	for i, rc := range raw {
		path := fmt.Sprintf("canned[%d]", i)
		r := Canned{Name: strings.TrimSpace(rc.Name), Text: strings.TrimSpace(rc.Text)}
		switch {
		case r.Name == "":
			c.add(path+".name", "missing: every canned reply needs a name, for /desk reply NAME")
		case !cannedName.MatchString(r.Name):
			c.add(path+".name", "%q cannot follow /desk reply: use one word of up to 64 letters, digits, - and _", r.Name)
		}
		if first, dup := names[strings.ToLower(r.Name)]; dup && r.Name != "" {
			c.add(path+".name", "%q is already a canned reply's name (%s): names must differ, in any letter case", r.Name, c.sameAs(first))
		} else {
			names[strings.ToLower(r.Name)] = path + ".name"
		}
		if r.Text == "" {
			c.add(path+".text", "missing: write the reply the customer gets")
		}
		c.placeholders(path+".text", r.Text)
		if rc.Set != nil {
			r.Set = c.changes(path+".set", rc.Set)
		}
		replies = append(replies, r)
	}
	return replies
}

func (c *checker) changes(path string, r *rawSet) Changes {
	var ch Changes
	if r.Status != "" {
		switch s := desk.Status(r.Status); {
		case slices.Contains(cannedStatuses, s):
			ch.Status = s
		case s == desk.StatusNew:
			c.add(path+".status", "a reply cannot make a ticket new: write open, pending, resolved or closed")
		default:
			c.add(path+".status", "%q is not a status (write open, pending, resolved or closed)", r.Status)
		}
	}
	for i, tag := range r.Tags {
		tp := fmt.Sprintf("%s.tags[%d]", path, i)
		name := strings.TrimPrefix(strings.TrimSpace(tag), "-")
		switch {
		case name == "":
			c.add(tp, "empty: write the tag (-tag removes one)")
		case strings.ContainsFunc(name, func(r rune) bool { return r == ' ' || r == '\t' }):
			c.add(tp, "%q has a space: a tag is one word", tag)
		default:
			ch.Tags = append(ch.Tags, strings.TrimSpace(tag))
		}
	}
	if r.Tags != nil && len(r.Tags) == 0 {
		c.add(path+".tags", "is empty: name the tags to add, or leave tags out")
	}
	if r.Priority != "" {
		switch p := desk.Priority(r.Priority); {
		case p.Valid():
			ch.Priority = p
		case desk.Priority(strings.ToLower(r.Priority)).Valid():
			c.add(path+".priority", "%q is not a priority (write %s)", r.Priority, strings.ToLower(r.Priority))
		default:
			c.add(path+".priority", "%q is not a priority (write low, normal, high or urgent)", r.Priority)
		}
	}
	if ch.Empty() && r.Status == "" && r.Tags == nil && r.Priority == "" {
		c.add(path, "changes nothing: write status, tags or priority, or leave set out")
	}
	return ch
}

package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	// The zone database is embedded so that any image (distroless, scratch) knows every zone
	// the file may name.
	_ "time/tzdata"
)

// Hours are the desk's business hours. Business-time arithmetic (issue 11) reads them; this
// package only checks and holds them.
type Hours struct {
	// Location is the desk's time zone, in which every window and date is read.
	Location *time.Location
	// Week holds each weekday's windows, indexed by time.Weekday (Week[time.Monday]), sorted by
	// start; a day with none is closed.
	Week [7][]Window
	// Holidays are closed days, sorted by date.
	Holidays []Holiday
	// WorkingDays are extra working days (a Saturday worked in exchange for a bridge day),
	// sorted. They have the windows of the first weekday, from Monday on, that has any.
	WorkingDays []Date
}

// Window is one stretch of business hours, as wall-clock times of the day it starts: Start
// and End are the clock readings as durations since that day's midnight, so 09:00-18:00 is 9h
// to 18h. A window that crosses midnight ends past 24h: 22:00-06:00 is 22h to 30h, and ends
// at 06:00 on the next day. On days when the clock changes, read them as clock times, not as
// time elapsed since midnight.
type Window struct {
	Start, End time.Duration
}

// String writes the window as the file does: 09:00-18:00.
func (w Window) String() string {
	end := w.End
	if end > day {
		end -= day
	}
	return clock(w.Start) + "-" + clock(end)
}

// clock writes a time of day as HH:MM (24:00 for the end of the day).
func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// Holiday is a closed day with its name, for the out-of-hours reply.
type Holiday struct {
	Date Date
	Name string // optional
}

// Date is a day of the calendar, in the desk's time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// String writes the date as the file does: 2027-01-01.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// In returns the midnight that starts d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.In(time.UTC).Weekday() }

// compare orders dates.
func (d Date) compare(e Date) int { return d.In(time.UTC).Compare(e.In(time.UTC)) }

// Holiday returns the holiday on d, if d is one.
func (h *Hours) Holiday(d Date) (Holiday, bool) {
	for _, x := range h.Holidays {
		if x.Date == d {
			return x, true
		}
	}
	return Holiday{}, false
}

// WindowsOn returns the windows that start on d: none on a holiday, those of the weekday on
// a usual day, and those of the first working weekday on an extra working day. A window of
// the day before that crosses midnight into d is the day before's.
func (h *Hours) WindowsOn(d Date) []Window {
	if _, ok := h.Holiday(d); ok {
		return nil
	}
	if slices.Contains(h.WorkingDays, d) {
		return h.extraDayWindows()
	}
	return h.Week[d.Weekday()]
}

// extraDayWindows are the windows of an extra working day: those of the first weekday, from
// Monday on, that has any.
func (h *Hours) extraDayWindows() []Window {
	for i := range 7 {
		if ws := h.Week[(int(time.Monday)+i)%7]; len(ws) > 0 {
			return ws
		}
	}
	return nil
}

// weekdayKeys are the file's names of the days, Monday first, with their time.Weekday.
var weekdayKeys = []struct {
	key string
	day time.Weekday
}{
	{"mon", time.Monday}, {"tue", time.Tuesday}, {"wed", time.Wednesday}, {"thu", time.Thursday},
	{"fri", time.Friday}, {"sat", time.Saturday}, {"sun", time.Sunday},
}

var windowSyntax = regexp.MustCompile(`^(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$`)

// parseWindow reads a window, HH:MM-HH:MM; an end before the start crosses midnight, and
// 24:00 is the end of the day.
func parseWindow(s string) (Window, error) {
	hint := "write HH:MM-HH:MM, such as 09:00-18:00"
	m := windowSyntax.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Window{}, fmt.Errorf("%q is not a window (%s)", s, hint)
	}
	at := func(h, mm string) (time.Duration, bool) {
		hours, _ := strconv.Atoi(h)
		minutes, _ := strconv.Atoi(mm)
		if minutes > 59 || hours > 24 || hours == 24 && minutes > 0 {
			return 0, false
		}
		return time.Duration(hours)*time.Hour + time.Duration(minutes)*time.Minute, true
	}
	start, ok1 := at(m[1], m[2])
	end, ok2 := at(m[3], m[4])
	switch {
	case !ok1 || !ok2:
		return Window{}, fmt.Errorf("%q is not a window: a time of day runs from 00:00 to 24:00 (%s)", s, hint)
	case start == day:
		return Window{}, fmt.Errorf("%q starts at 24:00, the end of the day: write 00:00 instead", s)
	case start == end:
		return Window{}, fmt.Errorf("%q is empty: for a whole day write 00:00-24:00", s)
	case end < start:
		end += day // crosses midnight
	}
	return Window{Start: start, End: end}, nil
}

var dateSyntax = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})$`)

// parseDate reads a date, YYYY-MM-DD.
func parseDate(s string) (Date, error) {
	m := dateSyntax.FindStringSubmatch(s)
	if m == nil {
		return Date{}, fmt.Errorf("%q is not a date (write YYYY-MM-DD, such as 2027-01-01)", s)
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	date := Date{y, time.Month(mo), d}
	if mo < 1 || mo > 12 || DateOf(date.In(time.UTC)) != date {
		return Date{}, fmt.Errorf("%s is not a day of the calendar", s)
	}
	return date, nil
}

// zoneAreas are the first parts of IANA zone names, tried before a bare city name to suggest
// the full name (Moscow: Europe/Moscow).
var zoneAreas = []string{"Europe", "Asia", "America", "Africa", "Australia", "Pacific", "Atlantic", "Indian", "Antarctica"}

// parseZone reads an IANA time zone name.
func parseZone(s string) (*time.Location, error) {
	if s == "Local" || strings.HasPrefix(s, "/") || strings.Contains(s, "..") {
		return nil, fmt.Errorf("%q is not a time zone name (write an IANA name such as Europe/Moscow)", s)
	}
	loc, err := time.LoadLocation(s)
	if err == nil {
		return loc, nil
	}
	words := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '_' })
	for i, w := range words {
		r, size := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToUpper(r)) + w[size:]
	}
	if city := strings.Join(words, "_"); city != "" && !strings.Contains(city, "/") {
		for _, area := range zoneAreas {
			if _, err := time.LoadLocation(area + "/" + city); err == nil {
				return nil, fmt.Errorf("%q is not a time zone (write %s/%s)", s, area, city)
			}
		}
	}
	return nil, fmt.Errorf("%q is not a time zone (write an IANA name such as Europe/Moscow or UTC)", s)
}

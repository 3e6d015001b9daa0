package policy

import (
	"iter"
	"slices"
	"time"
)

// This file is the desk's business-time arithmetic: whether the desk is open at an instant,
// when it opens next, and how much business time lies between two instants. SLA targets and
// out-of-hours replies are built on it.
//
// Every method walks the desk's calendar day by day and turns each day's windows into
// concrete instants with time.Date in the desk's zone. A window is read by the clock, so a
// 09:00-18:00 window is 09:00 to 18:00 on the day the clocks change too, and a whole-day window
// holds 23 or 25 hours of business time on those days. When a window's start or end names a
// clock time that a change skips or repeats, it is the instant time.Date picks for it; a
// window left empty that way is closed.
//
// A nil *Hours is a desk without business hours: it is always open, and business time is
// calendar time.

// horizon is how many days in a row without a window the walk crosses before it gives up: a
// desk closed for three years is taken to be closed for good, so NextOpen and Add return the
// zero time rather than search forever.
const horizon = 3 * 366

// interval is a stretch of business time, from its start (inclusive) to its end (exclusive).
type interval struct {
	from, to time.Time
}

// Open reports whether the desk is open at t: whether t falls inside a window, its start
// included and its end not.
func (h *Hours) Open(t time.Time) bool {
	if h == nil {
		return true
	}
	for iv := range h.intervals(t) {
		if iv.from.After(t) {
			return false
		}
		if t.Before(iv.to) {
			return true
		}
	}
	return false
}

// NextOpen returns t when the desk is open at t, and otherwise the start of the next window.
// It returns the zero time when no window opens within the horizon (a week without windows).
// The result is in the desk's zone.
func (h *Hours) NextOpen(t time.Time) time.Time {
	if h == nil {
		return t
	}
	for iv := range h.intervals(t) {
		if t.Before(iv.to) {
			return latest(iv.from, t).In(h.location())
		}
	}
	return time.Time{}
}

// Add returns the instant at which d of business time has passed after t. Time outside the
// windows does not count, so adding to a closed instant starts at the next opening. When the
// last of d runs out at the end of a window, Add returns that end, not the next opening. A d
// of zero or less returns t. Add returns the zero time when d cannot be reached within the
// horizon. The result is in the desk's zone.
func (h *Hours) Add(t time.Time, d time.Duration) time.Time {
	if h == nil {
		return t.Add(d)
	}
	if d <= 0 {
		return t.In(h.location())
	}
	left := d
	for iv := range h.intervals(t) {
		if !t.Before(iv.to) {
			continue // the interval ended before t
		}
		from := latest(iv.from, t)
		if have := iv.to.Sub(from); left > have {
			left -= have
			continue
		}
		return from.Add(left).In(h.location())
	}
	return time.Time{}
}

// Between returns the business time from a (included) to b (excluded): how long the desk is
// open in between. It is zero when b is not after a.
func (h *Hours) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if h == nil {
		return b.Sub(a)
	}
	var total time.Duration
	for iv := range h.intervals(a) {
		if !iv.from.Before(b) {
			break
		}
		from, to := latest(iv.from, a), earliest(iv.to, b)
		if to.After(from) {
			total += to.Sub(from)
		}
	}
	return total
}

// Closure returns the holiday on t's date in the desk's zone, if that date is one, so that an
// out-of-hours reply can name it. It speaks of the date only: a window of the day before that
// crosses midnight still keeps the desk open in the early hours of a holiday.
func (h *Hours) Closure(t time.Time) (Holiday, bool) {
	if h == nil {
		return Holiday{}, false
	}
	return h.Holiday(DateOf(t.In(h.location())))
}

// intervals yields the desk's business time in order, as intervals built from the windows
// that start on the day before t's date (whose windows may cross midnight into it) and on
// every day after. Windows that overlap or touch are merged into one interval, so no instant
// is counted twice. The walk ends when the caller stops it, or when horizon days in a row
// have no window.
func (h *Hours) intervals(t time.Time) iter.Seq[interval] {
	loc := h.location()
	first := addDays(DateOf(t.In(loc)), -1)
	return func(yield func(interval) bool) {
		var (
			cur     interval   // the interval being merged, not yet yielded
			started bool       // whether cur holds an interval
			today   []interval // the day's intervals, reused from day to day
			idle    int        // days in a row without a window
		)
		for d := first; idle <= horizon; d = addDays(d, 1) {
			// A day's windows all start at or after its midnight, so an interval that ends
			// before it can grow no further and is ready.
			if started && cur.to.Before(d.In(loc)) {
				if !yield(cur) {
					return
				}
				started = false
			}
			today = h.dayIntervals(d, loc, today[:0])
			if len(today) == 0 {
				idle++
				continue
			}
			idle = 0
			for _, iv := range today {
				switch {
				case !started:
					cur, started = iv, true
				case !iv.from.After(cur.to):
					cur.to = latest(cur.to, iv.to) // overlaps or touches: merge
				default:
					if !yield(cur) {
						return
					}
					cur = iv
				}
			}
		}
		if started {
			yield(cur)
		}
	}
}

// dayIntervals appends to buf the intervals of the windows that start on d, sorted by start,
// and returns it. A window that the clock change leaves empty is left out.
func (h *Hours) dayIntervals(d Date, loc *time.Location, buf []interval) []interval {
	for _, w := range h.WindowsOn(d) {
		iv := interval{from: wallClock(d, w.Start, loc), to: wallClock(d, w.End, loc)}
		if iv.to.After(iv.from) {
			buf = append(buf, iv)
		}
	}
	slices.SortFunc(buf, func(a, b interval) int { return a.from.Compare(b.from) })
	return buf
}

// location is the desk's zone; UTC when Hours were built without one.
func (h *Hours) location() *time.Location {
	if h.Location == nil {
		return time.UTC
	}
	return h.Location
}

// wallClock returns the instant at which the clock in loc reads the time of day offset on d.
// An offset of a day or more reads on a following day: 30h on d is 06:00 the day after. The
// offset is a clock reading, not time elapsed since midnight, so it is not added to
// midnight as a duration (that would be an hour off on the days the clocks change).
func wallClock(d Date, offset time.Duration, loc *time.Location) time.Time {
	days := int(offset / day)
	offset %= day
	hour := int(offset / time.Hour)
	minute := int(offset % time.Hour / time.Minute)
	second := int(offset % time.Minute / time.Second)
	nsec := int(offset % time.Second)
	return time.Date(d.Year, d.Month, d.Day+days, hour, minute, second, nsec, loc)
}

// addDays returns the date n days after d (before it, for a negative n).
func addDays(d Date, n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}

// latest returns the later of two instants.
func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// earliest returns the earlier of two instants.
func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// ClosedFor is the name of the holiday in force at t (desk.Calendar), "" when t's day is none
// or its holiday has no name.
func (h *Hours) ClosedFor(t time.Time) string {
	x, _ := h.Closure(t)
	return x.Name
}

package policy

import (
	"math/rand/v2"
	"testing"
	"time"

	// The tests name zones; the zone database is embedded so that they run on any machine.
	_ "time/tzdata"
)

const hour = time.Hour

// zone loads an IANA time zone for a test.
func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// clockIn reads "2027-01-08 17:00" as a clock time in loc.
func clockIn(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// utc reads "2027-01-08 17:00" as a time in UTC, for instants a clock time would leave
// ambiguous.
func utc(t testing.TB, s string) time.Time {
	t.Helper()
	return clockIn(t, time.UTC, s)
}

// officeWeek returns Monday to Friday, 09:00-18:00, in loc.
func officeWeek(loc *time.Location) *Hours {
	h := &Hours{Location: loc}
	for d := time.Monday; d <= time.Friday; d++ {
		h.Week[d] = []Window{{9 * hour, 18 * hour}}
	}
	return h
}

// everyDay returns hours with the same windows every day of the week, in loc.
func everyDay(loc *time.Location, ws ...Window) *Hours {
	h := &Hours{Location: loc}
	for d := range h.Week {
		h.Week[d] = ws
	}
	return h
}

// The cases below are run by the check helpers: each names the method, the instants it is
// given and what it must return.

// openCase is one Open question.
type openCase struct {
	at   time.Time
	want bool
}

// instantCase is one NextOpen question, or one Add question when d is set.
type instantCase struct {
	at   time.Time
	d    time.Duration
	want time.Time
}

// betweenCase is one Between question.
type betweenCase struct {
	a, b time.Time
	want time.Duration
}

// checkOpen runs Open cases.
func checkOpen(t *testing.T, h *Hours, cases []openCase) {
	t.Helper()
	for _, tc := range cases {
		if got := h.Open(tc.at); got != tc.want {
			t.Errorf("Open(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

// checkNextOpen runs NextOpen cases and checks that the results are in the desk's zone.
func checkNextOpen(t *testing.T, h *Hours, cases []instantCase) {
	t.Helper()
	for _, tc := range cases {
		got := h.NextOpen(tc.at)
		if !got.Equal(tc.want) {
			t.Errorf("NextOpen(%s) = %s, want %s", tc.at, got, tc.want)
		}
		if !got.IsZero() && got.Location() != h.Location {
			t.Errorf("NextOpen(%s) is in %s, want %s", tc.at, got.Location(), h.Location)
		}
	}
}

// checkAdd runs Add cases and checks that the results are in the desk's zone.
func checkAdd(t *testing.T, h *Hours, cases []instantCase) {
	t.Helper()
	for _, tc := range cases {
		got := h.Add(tc.at, tc.d)
		if !got.Equal(tc.want) {
			t.Errorf("Add(%s, %s) = %s, want %s", tc.at, tc.d, got, tc.want)
		}
		if !got.IsZero() && got.Location() != h.Location {
			t.Errorf("Add(%s, %s) is in %s, want %s", tc.at, tc.d, got.Location(), h.Location)
		}
	}
}

// checkBetween runs Between cases.
func checkBetween(t *testing.T, h *Hours, cases []betweenCase) {
	t.Helper()
	for _, tc := range cases {
		if got := h.Between(tc.a, tc.b); got != tc.want {
			t.Errorf("Between(%s, %s) = %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestCalendarOfficeWeek checks a plain Monday to Friday, 09:00-18:00 week: the window's
// start is open and its end is not, the weekend is skipped, and instants given in another
// zone are read in the desk's.
func TestCalendarOfficeWeek(t *testing.T) {
	moscow := zone(t, "Europe/Moscow")
	h := officeWeek(moscow)
	at := func(s string) time.Time { return clockIn(t, moscow, s) }
	friday := at("2027-01-08 17:00")

	checkOpen(t, h, []openCase{
		{at("2027-01-04 08:59"), false},
		{at("2027-01-04 09:00"), true},
		{at("2027-01-04 17:59"), true},
		{at("2027-01-04 18:00").Add(-time.Nanosecond), true},
		{at("2027-01-04 18:00"), false},
		{at("2027-01-09 12:00"), false}, // Saturday
		{friday.UTC(), true},            // 14:00 UTC is 17:00 in Moscow
	})
	checkNextOpen(t, h, []instantCase{
		{at: at("2027-01-08 18:00"), want: at("2027-01-11 09:00")},
		{at: at("2027-01-08 20:00"), want: at("2027-01-11 09:00")},
		{at: at("2027-01-10 23:59"), want: at("2027-01-11 09:00")},
		{at: at("2027-01-11 08:00"), want: at("2027-01-11 09:00")},
		{at: at("2027-01-11 10:00"), want: at("2027-01-11 10:00")},
		{at: at("2027-01-11 10:00").UTC(), want: at("2027-01-11 10:00")},
	})
	checkAdd(t, h, []instantCase{
		{friday, 2 * hour, at("2027-01-11 10:00")},
		{friday.UTC(), 2 * hour, at("2027-01-11 10:00")},
		{friday, hour, at("2027-01-08 18:00")}, // runs out at the window's end
		{friday, hour + time.Minute, at("2027-01-11 09:01")},
		{at("2027-01-09 12:00"), hour, at("2027-01-11 10:00")},
		{at("2027-01-04 09:00"), 27 * hour, at("2027-01-06 18:00")},
		{at("2027-01-04 09:00"), 45 * hour, at("2027-01-08 18:00")},
		{at("2027-01-04 09:00"), 45*hour + time.Minute, at("2027-01-11 09:01")},
		{at("2027-01-09 12:00"), 0, at("2027-01-09 12:00")},
		{at("2027-01-09 12:00"), -hour, at("2027-01-09 12:00")},
	})
	checkBetween(t, h, []betweenCase{
		{friday, at("2027-01-11 10:00"), 2 * hour},
		{friday.UTC(), at("2027-01-11 10:00").UTC(), 2 * hour},
		{at("2027-01-04 00:00"), at("2027-01-09 00:00"), 45 * hour},
		{at("2027-01-04 10:30"), at("2027-01-04 11:00"), 30 * time.Minute},
		{at("2027-01-09 00:00"), at("2027-01-10 23:59"), 0},
		{at("2027-01-11 10:00"), friday, 0},
		{friday, friday, 0},
	})
}

// TestCalendarHolidays checks that a holiday closes its day, that Closure names it in the
// desk's zone, and that an extra working Saturday has Monday's window.
func TestCalendarHolidays(t *testing.T) {
	moscow := zone(t, "Europe/Moscow")
	h := officeWeek(moscow)
	h.Holidays = []Holiday{
		{Date{2027, time.January, 1}, "New Year"},
		{Date{2027, time.January, 7}, "Christmas"},
	}
	h.WorkingDays = []Date{{2027, time.January, 9}}
	at := func(s string) time.Time { return clockIn(t, moscow, s) }

	checkOpen(t, h, []openCase{
		{at("2027-01-01 10:00"), false},
		{at("2027-01-07 10:00"), false},
		{at("2027-01-09 10:00"), true}, // the working Saturday
		{at("2027-01-09 18:00"), false},
		{at("2027-01-16 10:00"), false}, // a usual Saturday
	})
	checkNextOpen(t, h, []instantCase{
		{at: at("2026-12-31 18:00"), want: at("2027-01-04 09:00")},
		{at: at("2027-01-06 18:00"), want: at("2027-01-08 09:00")},
		{at: at("2027-01-08 18:00"), want: at("2027-01-09 09:00")},
	})
	checkAdd(t, h, []instantCase{
		{at("2026-12-31 17:00"), 2 * hour, at("2027-01-04 10:00")},
		{at("2027-01-06 17:00"), 2 * hour, at("2027-01-08 10:00")},
		{at("2027-01-08 17:00"), 2 * hour, at("2027-01-09 10:00")},
	})
	checkBetween(t, h, []betweenCase{
		{at("2027-01-04 00:00"), at("2027-01-11 00:00"), 45 * hour}, // less Thursday, plus Saturday
		{at("2027-01-01 00:00"), at("2027-01-04 00:00"), 0},
	})

	for _, tc := range []struct {
		at   time.Time
		want string // the holiday's name, or "" for none
	}{
		{at("2027-01-01 10:00"), "New Year"},
		{utc(t, "2026-12-31 21:00"), "New Year"}, // midnight in Moscow
		{utc(t, "2026-12-31 20:59"), ""},
		{at("2027-01-07 23:59"), "Christmas"},
		{at("2027-01-09 10:00"), ""},
	} {
		hol, ok := h.Closure(tc.at)
		if got := hol.Name; ok != (tc.want != "") || got != tc.want {
			t.Errorf("Closure(%s) = %q, %v, want %q", tc.at, got, ok, tc.want)
		}
	}
}

// TestCalendarAcrossMidnight checks windows that cross midnight: they belong to the day they
// start, so a holiday on that day removes the part after midnight too, and one on the next
// day does not.
func TestCalendarAcrossMidnight(t *testing.T) {
	moscow := zone(t, "Europe/Moscow")
	at := func(s string) time.Time { return clockIn(t, moscow, s) }

	t.Run("nightly", func(t *testing.T) {
		h := everyDay(moscow, Window{22 * hour, 30 * hour})
		checkOpen(t, h, []openCase{
			{at("2027-02-01 21:59"), false},
			{at("2027-02-01 22:00"), true},
			{at("2027-02-02 03:00"), true},
			{at("2027-02-02 05:59"), true},
			{at("2027-02-02 06:00"), false},
		})
		checkNextOpen(t, h, []instantCase{
			{at: at("2027-02-02 03:00"), want: at("2027-02-02 03:00")},
			{at: at("2027-02-02 12:00"), want: at("2027-02-02 22:00")},
		})
		checkAdd(t, h, []instantCase{
			{at("2027-02-01 05:00"), 2 * hour, at("2027-02-01 23:00")},
			{at("2027-02-01 23:00"), 7 * hour, at("2027-02-02 06:00")},
			{at("2027-02-01 23:00"), 8 * hour, at("2027-02-02 23:00")},
		})
		checkBetween(t, h, []betweenCase{
			{at("2027-02-01 00:00"), at("2027-02-02 00:00"), 8 * hour},
			{at("2027-02-01 00:00"), at("2027-02-08 00:00"), 56 * hour},
		})
	})

	// Friday 20:00-02:00, whose tail falls on Saturday.
	fridayNight := func() *Hours {
		h := &Hours{Location: moscow}
		h.Week[time.Friday] = []Window{{20 * hour, 26 * hour}}
		return h
	}

	t.Run("Friday night", func(t *testing.T) {
		h := fridayNight()
		checkOpen(t, h, []openCase{
			{at("2027-02-05 19:59"), false},
			{at("2027-02-06 01:00"), true},
			{at("2027-02-06 02:00"), false},
		})
		checkNextOpen(t, h, []instantCase{
			{at: at("2027-02-06 01:30"), want: at("2027-02-06 01:30")},
			{at: at("2027-02-06 02:00"), want: at("2027-02-12 20:00")},
		})
		checkAdd(t, h, []instantCase{
			{at("2027-02-05 19:00"), 6 * hour, at("2027-02-06 02:00")},
			{at("2027-02-05 19:00"), 7 * hour, at("2027-02-12 21:00")},
			{at("2027-02-06 01:00"), 2 * hour, at("2027-02-12 21:00")},
		})
		checkBetween(t, h, []betweenCase{
			{at("2027-02-06 00:00"), at("2027-02-07 00:00"), 2 * hour},
			{at("2027-02-01 00:00"), at("2027-02-08 00:00"), 6 * hour},
		})
	})

	t.Run("holiday on Friday", func(t *testing.T) {
		h := fridayNight()
		h.Holidays = []Holiday{{Date{2027, time.February, 5}, "Bridge"}}
		checkOpen(t, h, []openCase{{at("2027-02-06 01:00"), false}})
		checkNextOpen(t, h, []instantCase{{at: at("2027-02-06 01:00"), want: at("2027-02-12 20:00")}})
		checkBetween(t, h, []betweenCase{{at("2027-02-05 00:00"), at("2027-02-07 00:00"), 0}})
		if _, ok := h.Closure(at("2027-02-06 01:00")); ok {
			t.Error("Closure on Saturday names Friday's holiday")
		}
	})

	t.Run("holiday on Saturday", func(t *testing.T) {
		h := fridayNight()
		h.Holidays = []Holiday{{Date{2027, time.February, 6}, "Feast"}}
		checkOpen(t, h, []openCase{{at("2027-02-06 01:00"), true}})
		checkBetween(t, h, []betweenCase{{at("2027-02-05 00:00"), at("2027-02-07 00:00"), 6 * hour}})
		if hol, ok := h.Closure(at("2027-02-06 01:00")); !ok || hol.Name != "Feast" {
			t.Errorf("Closure on Saturday = %+v, %v, want Feast", hol, ok)
		}
	})
}

// TestCalendarOverlaps checks that windows which overlap or touch, on one day or across
// midnight, count their common time once.
func TestCalendarOverlaps(t *testing.T) {
	moscow := zone(t, "Europe/Moscow")
	at := func(s string) time.Time { return clockIn(t, moscow, s) }
	h := &Hours{Location: moscow}
	h.Week[time.Monday] = []Window{{22 * hour, 30 * hour}}
	h.Week[time.Tuesday] = []Window{{0, 8 * hour}}
	h.Week[time.Wednesday] = []Window{{12 * hour, 18 * hour}, {9 * hour, 13 * hour}, {10 * hour, 11 * hour}} // unsorted on purpose
	h.Week[time.Thursday] = []Window{{9 * hour, 12 * hour}, {12 * hour, 18 * hour}}

	checkOpen(t, h, []openCase{
		{at("2027-02-02 05:00"), true},
		{at("2027-02-02 07:59"), true},
		{at("2027-02-02 08:00"), false},
		{at("2027-02-03 12:30"), true},
		{at("2027-02-04 12:00"), true},
	})
	checkNextOpen(t, h, []instantCase{
		{at: at("2027-02-02 08:00"), want: at("2027-02-03 09:00")},
	})
	checkAdd(t, h, []instantCase{
		{at("2027-02-01 21:00"), 10 * hour, at("2027-02-02 08:00")},
		{at("2027-02-01 22:00"), 9 * hour, at("2027-02-02 07:00")},
		{at("2027-02-03 09:00"), 9 * hour, at("2027-02-03 18:00")},
		{at("2027-02-04 11:00"), 2 * hour, at("2027-02-04 13:00")},
	})
	checkBetween(t, h, []betweenCase{
		{at("2027-02-01 00:00"), at("2027-02-03 00:00"), 10 * hour},
		{at("2027-02-03 00:00"), at("2027-02-04 00:00"), 9 * hour},
		{at("2027-02-04 00:00"), at("2027-02-05 00:00"), 9 * hour},
	})
}

// TestCalendarDST checks that windows are read by the clock on the days it changes: a
// whole-day window holds 23 or 25 hours, and a window across the change holds an hour less or
// more than usual.
func TestCalendarDST(t *testing.T) {
	newYork := zone(t, "America/New_York")
	berlin := zone(t, "Europe/Berlin")

	t.Run("whole days", func(t *testing.T) {
		for _, tc := range []struct {
			loc    *time.Location
			window Window
			date   string
			want   time.Duration
		}{
			{newYork, Window{0, 24 * hour}, "2027-03-07", 24 * hour},
			{newYork, Window{0, 24 * hour}, "2027-03-14", 23 * hour}, // spring forward
			{newYork, Window{0, 24 * hour}, "2027-11-07", 25 * hour}, // fall back
			{newYork, Window{9 * hour, 18 * hour}, "2027-03-14", 9 * hour},
			{berlin, Window{hour, 4 * hour}, "2027-03-21", 3 * hour},
			{berlin, Window{hour, 4 * hour}, "2027-03-28", 2 * hour}, // 02:00 becomes 03:00
			{berlin, Window{hour, 4 * hour}, "2027-10-31", 4 * hour}, // 03:00 becomes 02:00
			{berlin, Window{9 * hour, 18 * hour}, "2027-10-31", 9 * hour},
			{berlin, Window{22 * hour, 28 * hour}, "2027-03-27", 5 * hour}, // Saturday night into the change
			{berlin, Window{22 * hour, 28 * hour}, "2027-10-30", 7 * hour},
		} {
			// The window is the date's only one; its tail may fall on the next day.
			from := clockIn(t, tc.loc, tc.date+" 00:00")
			h := &Hours{Location: tc.loc}
			h.Week[from.Weekday()] = []Window{tc.window}
			if got := h.Between(from, from.AddDate(0, 0, 2)); got != tc.want {
				t.Errorf("%s %s on %s: Between = %s, want %s", tc.loc, tc.window, tc.date, got, tc.want)
			}
		}
	})

	t.Run("New York Sundays", func(t *testing.T) {
		h := &Hours{Location: newYork}
		h.Week[time.Sunday] = []Window{{0, 24 * hour}}
		checkOpen(t, h, []openCase{
			{utc(t, "2027-03-14 07:30"), true}, // 03:30 EDT
			{utc(t, "2027-11-07 05:30"), true}, // the first 01:30
			{utc(t, "2027-11-07 06:30"), true}, // the second 01:30
			{utc(t, "2027-11-08 05:00"), false},
		})
		checkAdd(t, h, []instantCase{
			// 23 hours on March 14, then one on March 21.
			{clockIn(t, newYork, "2027-03-13 12:00"), 24 * hour, clockIn(t, newYork, "2027-03-21 01:00")},
			{clockIn(t, newYork, "2027-03-13 12:00"), 23 * hour, clockIn(t, newYork, "2027-03-15 00:00")},
			{clockIn(t, newYork, "2027-11-06 12:00"), 24 * hour, utc(t, "2027-11-08 04:00")}, // 23:00 EST
			{clockIn(t, newYork, "2027-11-06 12:00"), 25 * hour, clockIn(t, newYork, "2027-11-08 00:00")},
			{clockIn(t, newYork, "2027-11-06 12:00"), 26 * hour, clockIn(t, newYork, "2027-11-14 01:00")},
		})
	})

	t.Run("Berlin nights", func(t *testing.T) {
		h := &Hours{Location: berlin}
		h.Week[time.Sunday] = []Window{{hour, 4 * hour}}
		checkOpen(t, h, []openCase{
			{utc(t, "2027-03-28 00:59"), true},  // 01:59 CET
			{utc(t, "2027-03-28 01:00"), true},  // 03:00 CEST
			{utc(t, "2027-03-28 02:00"), false}, // 04:00 CEST
			{utc(t, "2027-10-31 00:30"), true},  // 02:30 CEST
			{utc(t, "2027-10-31 01:30"), true},  // 02:30 CET
			{utc(t, "2027-10-31 03:00"), false}, // 04:00 CET
		})
		checkAdd(t, h, []instantCase{
			{clockIn(t, berlin, "2027-03-28 00:00"), 2 * hour, utc(t, "2027-03-28 02:00")},
			{clockIn(t, berlin, "2027-10-31 00:00"), 4 * hour, utc(t, "2027-10-31 03:00")},
			{clockIn(t, berlin, "2027-10-31 00:00"), 2 * hour, utc(t, "2027-10-31 01:00")}, // 02:00 CET
		})
	})
}

// TestCalendarYear checks a whole year of an office week with holidays and working Saturdays
// against a count of its working days made with a plain loop over the dates, in zones with
// and without clock changes. Split into months, the year adds up to the same.
func TestCalendarYear(t *testing.T) {
	holidays := []Holiday{
		{Date{2027, time.January, 1}, "New Year"},
		{Date{2027, time.January, 4}, ""}, {Date{2027, time.January, 5}, ""},
		{Date{2027, time.January, 6}, ""}, {Date{2027, time.January, 7}, "Christmas"},
		{Date{2027, time.January, 8}, ""},
		{Date{2027, time.February, 23}, ""},
		{Date{2027, time.March, 8}, ""},
		{Date{2027, time.March, 28}, "Easter"}, // a Sunday, closed anyway
		{Date{2027, time.May, 3}, ""},
		{Date{2027, time.May, 10}, ""},
		{Date{2027, time.June, 14}, ""},
		{Date{2027, time.November, 4}, ""},
		{Date{2027, time.December, 31}, ""},
	}
	working := []Date{{2027, time.January, 9}, {2027, time.November, 6}}

	// The independent count: weekdays that are not holidays, and the working Saturdays.
	closed := map[Date]bool{}
	for _, hol := range holidays {
		closed[hol.Date] = true
	}
	extra := map[Date]bool{}
	for _, d := range working {
		extra[d] = true
	}
	days := 0
	for d := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == 2027; d = d.AddDate(0, 0, 1) {
		date := DateOf(d)
		weekday := d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
		if (weekday && !closed[date]) || extra[date] {
			days++
		}
	}
	want := time.Duration(days) * 9 * hour

	for _, name := range []string{"Europe/Moscow", "Europe/Berlin", "America/New_York", "Asia/Kolkata"} {
		t.Run(name, func(t *testing.T) {
			loc := zone(t, name)
			h := officeWeek(loc)
			h.Holidays = holidays
			h.WorkingDays = working
			from := time.Date(2027, 1, 1, 0, 0, 0, 0, loc)
			to := time.Date(2028, 1, 1, 0, 0, 0, 0, loc)
			if got := h.Between(from, to); got != want {
				t.Errorf("Between(%s, %s) = %s, want %s (%d working days)", from, to, got, want, days)
			}
			var sum time.Duration
			for m := range 12 {
				sum += h.Between(from.AddDate(0, m, 0), from.AddDate(0, m+1, 0))
			}
			if sum != want {
				t.Errorf("the months add up to %s, want %s", sum, want)
			}
			if got := h.Add(from, want); !got.Equal(time.Date(2027, 12, 30, 18, 0, 0, 0, loc)) {
				t.Errorf("Add(%s, a year's hours) = %s, want the end of the last working day", from, got)
			}
		})
	}
}

// TestCalendarInverse checks, for many random instants and durations, that Add and Between
// undo each other, that Between adds up over a split, and that Open and NextOpen agree with
// them.
func TestCalendarInverse(t *testing.T) {
	moscow := zone(t, "Europe/Moscow")
	newYork := zone(t, "America/New_York")
	berlin := zone(t, "Europe/Berlin")

	office := officeWeek(moscow)
	office.Holidays = []Holiday{{Date{2027, time.January, 1}, "New Year"}, {Date{2027, time.May, 3}, ""}}
	office.WorkingDays = []Date{{2027, time.January, 9}}
	nightly := everyDay(moscow, Window{22 * hour, 30 * hour})
	nightly.Week[time.Friday] = []Window{{9 * hour, 13 * hour}, {20 * hour, 26 * hour}}
	nightly.Holidays = []Holiday{{Date{2027, time.March, 5}, ""}}
	overlapping := &Hours{Location: moscow}
	overlapping.Week[time.Monday] = []Window{{22 * hour, 30 * hour}}
	overlapping.Week[time.Tuesday] = []Window{{0, 8 * hour}, {7 * hour, 12 * hour}}
	overlapping.Week[time.Thursday] = []Window{{9*hour + 30*time.Minute, 12 * hour}, {12 * hour, 18 * hour}}
	sundays := officeWeek(newYork)
	sundays.Week[time.Sunday] = []Window{{0, 24 * hour}}
	berlinNights := officeWeek(berlin)
	berlinNights.Week[time.Sunday] = []Window{{hour, 4 * hour}}
	berlinNights.Week[time.Saturday] = []Window{{22 * hour, 26 * hour}}

	r := rand.New(rand.NewPCG(2027, 11))
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	span := int64(400 * 24 * hour)
	for _, tc := range []struct {
		name string
		h    *Hours
	}{
		{"office", office}, {"nightly", nightly}, {"overlapping", overlapping},
		{"New York Sundays", sundays}, {"Berlin nights", berlinNights},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.h
			for range 2000 {
				at := start.Add(time.Duration(r.Int64N(span)))
				d := time.Duration(1 + r.Int64N(int64(200*hour)))
				end := h.Add(at, d)
				if got := h.Between(at, end); got != d {
					t.Fatalf("Between(t, Add(t, %s)) = %s, t = %s", d, got, at)
				}

				u := at.Add(time.Duration(r.Int64N(int64(400 * hour))))
				b := h.Between(at, u)
				back := h.Add(at, b)
				if b > 0 && h.Open(u) && !back.Equal(u) {
					t.Fatalf("Add(t, Between(t, u)) = %s, want u = %s (t = %s, open)", back, u, at)
				}
				if !h.NextOpen(back).Equal(h.NextOpen(u)) {
					t.Fatalf("NextOpen(Add(t, Between(t, u))) = %s, want NextOpen(u) = %s (t = %s, u = %s)",
						h.NextOpen(back), h.NextOpen(u), at, u)
				}

				mid := at.Add(u.Sub(at) / 3)
				if sum := h.Between(at, mid) + h.Between(mid, u); sum != b {
					t.Fatalf("Between over [%s, %s) and [%s, %s) = %s, want %s", at, mid, mid, u, sum, b)
				}

				open := h.Open(at)
				if one := h.Between(at, at.Add(time.Nanosecond)); open != (one == time.Nanosecond) {
					t.Fatalf("Open(%s) = %v, but Between over the next nanosecond = %s", at, open, one)
				}
				next := h.NextOpen(at)
				if !h.Open(next) || h.Between(at, next) != 0 || open && !next.Equal(at) {
					t.Fatalf("NextOpen(%s) = %s, which is not the next open instant", at, next)
				}
			}
		})
	}
}

// TestCalendarNeverOpen checks hours without a window in the week: the desk never opens, so
// NextOpen and Add give up with the zero time and Between finds nothing.
func TestCalendarNeverOpen(t *testing.T) {
	moscow := zone(t, "Europe/Moscow")
	h := &Hours{Location: moscow}
	// An extra working day takes the windows of a weekday, and there are none.
	h.WorkingDays = []Date{{2027, time.January, 9}}
	h.Holidays = []Holiday{{Date{2027, time.January, 1}, "New Year"}}
	at := clockIn(t, moscow, "2027-01-04 10:00")

	if h.Open(at) {
		t.Errorf("Open(%s) = true", at)
	}
	if got := h.NextOpen(at); !got.IsZero() {
		t.Errorf("NextOpen(%s) = %s, want the zero time", at, got)
	}
	if got := h.Add(at, time.Minute); !got.IsZero() {
		t.Errorf("Add(%s, 1m) = %s, want the zero time", at, got)
	}
	if got := h.Between(at, at.AddDate(5, 0, 0)); got != 0 {
		t.Errorf("Between over five years = %s, want 0", got)
	}
	if hol, ok := h.Closure(clockIn(t, moscow, "2027-01-01 10:00")); !ok || hol.Name != "New Year" {
		t.Errorf("Closure on New Year = %+v, %v", hol, ok)
	}
}

// TestCalendarNilHours checks that a desk without business hours is always open and counts
// calendar time.
func TestCalendarNilHours(t *testing.T) {
	var h *Hours
	at := time.Date(2027, 1, 1, 3, 0, 0, 0, time.UTC)
	if !h.Open(at) {
		t.Error("Open = false")
	}
	if got := h.NextOpen(at); !got.Equal(at) {
		t.Errorf("NextOpen = %s, want %s", got, at)
	}
	for _, d := range []time.Duration{90 * time.Minute, 0, -hour} {
		if got, want := h.Add(at, d), at.Add(d); !got.Equal(want) {
			t.Errorf("Add(%s) = %s, want %s", d, got, want)
		}
	}
	if got := h.Between(at, at.Add(50*hour)); got != 50*hour {
		t.Errorf("Between = %s, want 50h", got)
	}
	if got := h.Between(at.Add(hour), at); got != 0 {
		t.Errorf("Between backwards = %s, want 0", got)
	}
	if _, ok := h.Closure(at); ok {
		t.Error("Closure = true")
	}
}

// BenchmarkAdd measures Add of three business days (27 hours of an office week) from random
// instants of a year with holidays.
func BenchmarkAdd(b *testing.B) {
	moscow := zone(b, "Europe/Moscow")
	h := officeWeek(moscow)
	h.Holidays = []Holiday{
		{Date{2027, time.January, 1}, "New Year"}, {Date{2027, time.January, 7}, "Christmas"},
		{Date{2027, time.February, 23}, ""}, {Date{2027, time.March, 8}, ""},
		{Date{2027, time.May, 3}, ""}, {Date{2027, time.May, 10}, ""},
		{Date{2027, time.June, 14}, ""}, {Date{2027, time.November, 4}, ""},
	}
	h.WorkingDays = []Date{{2027, time.January, 9}}
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2027, 1, 1, 0, 0, 0, 0, moscow)
	instants := make([]time.Time, 1024)
	for i := range instants {
		instants[i] = start.Add(time.Duration(r.Int64N(int64(365 * 24 * hour))))
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if h.Add(instants[i%len(instants)], 27*hour).IsZero() {
			b.Fatal("Add gave up")
		}
	}
}

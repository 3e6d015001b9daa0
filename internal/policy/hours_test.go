package policy

import (
	"strings"
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	h := time.Hour
	for _, tc := range []struct {
		in   string
		want Window
		err  string
	}{
		{"09:00-18:00", Window{9 * h, 18 * h}, ""},
		{"9:30-12:15", Window{9*h + 30*time.Minute, 12*h + 15*time.Minute}, ""},
		{"09:00 - 18:00", Window{9 * h, 18 * h}, ""},
		{"18:00-24:00", Window{18 * h, 24 * h}, ""},
		{"00:00-24:00", Window{0, 24 * h}, ""},
		{"22:00-06:00", Window{22 * h, 30 * h}, ""}, // crosses midnight
		{"23:30-00:00", Window{23*h + 30*time.Minute, 24 * h}, ""},
		{"12:00-12:00", Window{}, "is empty"},
		{"24:00-06:00", Window{}, "write 00:00 instead"},
		{"09:60-18:00", Window{}, "runs from 00:00 to 24:00"},
		{"9-18", Window{}, "is not a window (write HH:MM-HH:MM"},
		{"09:00", Window{}, "is not a window"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseWindow(tc.in)
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("parseWindow(%q): %v", tc.in, err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("parseWindow(%q) error %v, want one with %q", tc.in, err, tc.err)
			case got != tc.want:
				t.Errorf("parseWindow(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestWindowString(t *testing.T) {
	for in, want := range map[string]string{"09:00-18:00": "09:00-18:00", "22:00-06:00": "22:00-06:00", "00:00-24:00": "00:00-24:00", "23:00-00:00": "23:00-24:00"} {
		w, err := parseWindow(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.String(); got != want {
			t.Errorf("%s: String() = %s, want %s", in, got, want)
		}
	}
}

func TestParseDate(t *testing.T) {
	if d, err := parseDate("2028-02-29"); err != nil || d != (Date{2028, time.February, 29}) || d.String() != "2028-02-29" {
		t.Errorf("parseDate(2028-02-29) = %v, %v", d, err)
	}
	for _, bad := range []string{"2027-02-29", "2027-13-01", "2027-00-10", "2027-1-1", "01.01.2027", "tomorrow"} {
		if d, err := parseDate(bad); err == nil {
			t.Errorf("parseDate(%q) = %v, want an error", bad, d)
		}
	}
}

// TestParseZone checks zones from the embedded database (any image knows them) and the
// suggestion for a bare city.
func TestParseZone(t *testing.T) {
	for _, name := range []string{"Europe/Moscow", "Asia/Vladivostok", "America/Argentina/Buenos_Aires", "UTC"} {
		if loc, err := parseZone(name); err != nil || loc.String() != name {
			t.Errorf("parseZone(%q) = %v, %v", name, loc, err)
		}
	}
	for in, want := range map[string]string{
		"Moscow":        "write Europe/Moscow",
		"new york":      "write America/New_York",
		"Local":         "not a time zone name",
		"/etc/zoneinfo": "not a time zone name",
		"Mars/Olympus":  "write an IANA name such as Europe/Moscow or UTC",
	} {
		if _, err := parseZone(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseZone(%q) error %v, want one with %q", in, err, want)
		}
	}
}

// TestWindowsOn checks which windows start on a date: the weekday's, none on a holiday, the
// first working weekday's on an extra working day.
func TestWindowsOn(t *testing.T) {
	h := time.Hour
	hours := &Hours{Location: time.UTC}
	hours.Week[time.Tuesday] = []Window{{9 * h, 18 * h}} // Monday is closed: the first working weekday is Tuesday
	hours.Week[time.Friday] = []Window{{9 * h, 13 * h}, {14 * h, 17 * h}}
	hours.Week[time.Saturday] = []Window{{22 * h, 30 * h}}
	hours.Holidays = []Holiday{{Date{2027, time.January, 5}, "Bridge"}}
	hours.WorkingDays = []Date{{2027, time.January, 10}}
	for _, tc := range []struct {
		date Date
		want string
	}{
		{Date{2027, time.January, 4}, ""},                        // Monday, closed
		{Date{2027, time.January, 5}, ""},                        // Tuesday, a holiday
		{Date{2027, time.January, 12}, "09:00-18:00"},            // Tuesday
		{Date{2027, time.January, 8}, "09:00-13:00 14:00-17:00"}, // Friday
		{Date{2027, time.January, 9}, "22:00-06:00"},             // Saturday, into Sunday
		{Date{2027, time.January, 10}, "09:00-18:00"},            // Sunday, an extra working day: Tuesday's hours
	} {
		var got []string
		for _, w := range hours.WindowsOn(tc.date) {
			got = append(got, w.String())
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("WindowsOn(%s, a %s) = %q, want %q", tc.date, tc.date.Weekday(), got, tc.want)
		}
	}
	if hol, ok := hours.Holiday(Date{2027, time.January, 5}); !ok || hol.Name != "Bridge" {
		t.Errorf("Holiday = %+v, %v", hol, ok)
	}
}

// TestDateIn checks that a date's midnight is the desk's, not the machine's.
func TestDateIn(t *testing.T) {
	moscow, err := parseZone("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	d := Date{2027, time.January, 1}
	got := d.In(moscow)
	if want := time.Date(2026, time.December, 31, 21, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("%s in Moscow starts at %s, want %s", d, got.UTC(), want)
	}
	if DateOf(got) != d {
		t.Errorf("DateOf(%s) = %s", got, DateOf(got))
	}
}

package policy

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"90s", 90 * time.Second, ""},
		{"30m", 30 * time.Minute, ""},
		{"4h", 4 * time.Hour, ""},
		{"3d", 3 * day, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"2d3h4m5s", 2*day + 3*time.Hour + 4*time.Minute + 5*time.Second, ""},
		{"365d", 365 * day, ""},
		{"30 minutes", 0, `"30 minutes" is not a duration (write 30m)`},
		{"2 hrs", 0, `"2 hrs" is not a duration (write 2h)`},
		{"1 day", 0, `"1 day" is not a duration (write 1d)`},
		{"3 недели", 0, `"3 недели" is not a duration (write 21d)`},
		{"15 мин.", 0, `"15 мин." is not a duration (write 15m)`},
		{"1h 30m", 0, `"1h 30m" is not a duration (write 1h30m)`},
		{"1.5h", 0, `"1.5h" is not a duration (write 1h30m)`},
		{"30m1h", 0, `"30m1h" is not a duration (write 1h30m)`},
		{"10", 0, `"10" is not a duration (it has no unit: write 10s, 10m, 10h or 10d)`},
		{"0", 0, `0 is no time at all: write a duration of at least 1s`},
		{"0d0h", 0, `0d0h is no time at all: write a duration of at least 1s`},
		{"-5m", 0, `"-5m" is not a duration (write a number and a unit, such as 90s, 30m, 4h, 3d or 1h30m)`},
		{"500ms", 0, `"500ms" is not a duration (write a number and a unit, such as 90s, 30m, 4h, 3d or 1h30m)`},
		{"366d", 0, `366d is more than a year: write at most 365d`},
		{"9000h", 0, `9000h is more than a year: write at most 365d`},
		{"99999999999999999999d", 0, `99999999999999999999d is more than a year: write at most 365d`},
		{"364d48h", 0, `364d48h is more than a year: write at most 365d`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseDuration(tc.in, false)
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("parseDuration(%q): %v", tc.in, err)
			case tc.err != "" && (err == nil || err.Error() != tc.err):
				t.Errorf("parseDuration(%q) error %v, want %s", tc.in, err, tc.err)
			case got != tc.want:
				t.Errorf("parseDuration(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// TestFormatDuration checks that durations are written back the way the file writes them, so
// that every duration FormatDuration writes parses to itself.
func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{90 * time.Second, "1m30s"},
		{10 * time.Minute, "10m"},
		{36 * time.Hour, "1d12h"},
		{7 * day, "7d"},
		{day + time.Second, "1d1s"},
	} {
		got := FormatDuration(tc.in)
		if got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.in, got, tc.want)
		}
		if back, err := parseDuration(got, false); err != nil || back != tc.in {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", got, back, err, tc.in)
		}
	}
}

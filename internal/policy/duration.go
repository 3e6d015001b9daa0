package policy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// day is the file's d unit: 24 hours of calendar time.
const day = 24 * time.Hour

// maxDuration bounds every duration of the file: nothing in it needs more than a year, and the
// bound keeps the sum of its parts from overflowing.
const maxDuration = 365 * day

// durationSyntax is the file's way of writing a duration: days, hours, minutes and seconds,
// each a whole number, in that order, at least one of them: 90s, 30m, 4h, 3d, 1h30m, 1d12h.
var durationSyntax = regexp.MustCompile(`^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$`)

// parseDuration reads a duration as the file writes it. Its error is the problem's text,
// with what to write instead; orOff adds that off is also an answer.
func parseDuration(s string, orOff bool) (time.Duration, error) {
	off := ""
	if orOff {
		off = ", or off"
	}
	m := durationSyntax.FindStringSubmatch(s)
	if m == nil || s == "" {
		if n, err := strconv.Atoi(s); err == nil && n == 0 {
			return 0, fmt.Errorf("%s is no time at all: write a duration of at least 1s%s", s, off)
		}
		return 0, fmt.Errorf("%q is not a duration (%s%s)", s, durationHint(s), off)
	}
	var d time.Duration
	for i, unit := range []time.Duration{day, time.Hour, time.Minute, time.Second} {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.ParseInt(m[i+1], 10, 64)
		if err == nil && n <= int64(maxDuration/unit) {
			d += time.Duration(n) * unit
		}
		if err != nil || n > int64(maxDuration/unit) || d > maxDuration {
			return 0, fmt.Errorf("%s is more than a year: write at most 365d%s", s, off)
		}
	}
	if d == 0 {
		return 0, fmt.Errorf("%s is no time at all: write a duration of at least 1s%s", s, off)
	}
	return d, nil
}

// unitWords are the ways people spell the units in words, in English and Russian, so that a
// duration written in words gets the right suggestion.
var unitWords = map[string]string{
	"s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
	"с": "s", "сек": "s", "секунд": "s", "секунды": "s", "секунда": "s", "секунду": "s",
	"m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
	"м": "m", "мин": "m", "минут": "m", "минуты": "m", "минута": "m", "минуту": "m",
	"h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
	"ч": "h", "час": "h", "часа": "h", "часов": "h",
	"d": "d", "day": "d", "days": "d",
	"д": "d", "дн": "d", "день": "d", "дня": "d", "дней": "d",
	"w": "w", "wk": "w", "week": "w", "weeks": "w",
	"неделя": "w", "недели": "w", "недель": "w", "неделю": "w",
}

var amountAndWord = regexp.MustCompile(`^(\d+)\s*([\p{L}]+)\.?$`)

// durationHint says how to write what s seems to mean.
func durationHint(s string) string {
	s = strings.TrimSpace(s)
	if _, err := strconv.Atoi(s); err == nil {
		return fmt.Sprintf("it has no unit: write %[1]ss, %[1]sm, %[1]sh or %[1]sd", s)
	}
	if m := amountAndWord.FindStringSubmatch(s); m != nil {
		switch unit := unitWords[strings.ToLower(m[2])]; unit {
		case "":
		case "w":
			if n, err := strconv.Atoi(m[1]); err == nil && n <= 52 {
				return fmt.Sprintf("write %dd", n*7)
			}
		default:
			return "write " + m[1] + unit
		}
	}
	// 1h 30m, 1 h: the right units with spaces.
	if joined := strings.Join(strings.Fields(s), ""); joined != s && durationSyntax.MatchString(joined) && joined != "" {
		return "write " + joined
	}
	// Go's own syntax with the units in another order, or with fractions: 1.5h, 30m1h.
	if d, err := time.ParseDuration(s); err == nil && d > 0 && d%time.Second == 0 {
		return "write " + FormatDuration(d)
	}
	return "write a number and a unit, such as 90s, 30m, 4h, 3d or 1h30m"
}

// FormatDuration writes d as the file does: 90s is 1m30s, 36h is 1d12h. It is used in the
// problems' texts and summaries, so that what Threadesk writes can be pasted into the file.
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.unit
		}
	}
	if b.Len() == 0 {
		return d.String() // under a second: not a duration the file can write
	}
	return b.String()
}

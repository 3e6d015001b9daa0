package main

import (
	"strings"
	"testing"
	"time"
)

// TestConfigRetention: RETENTION is read in days as people write it (365d), or in Go's units;
// unset keeps everything; a value that cannot be read, or one under an hour, is refused with
// what to write.
func TestConfigRetention(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  time.Duration
		err   string
	}{
		{"", 0, ""},
		{"365d", 365 * 24 * time.Hour, ""},
		{"30d", 30 * 24 * time.Hour, ""},
		{"36h", 36 * time.Hour, ""},
		{"a year", 0, `RETENTION="a year" is not a duration: write a number of days such as 365d`},
		{"-3d", 0, "RETENTION"},
		{"10m", 0, "RETENTION=10m0s is too short: write at least 1h"},
	} {
		setEnv(t, map[string]string{"RETENTION": tc.value})
		if tc.value == "" {
			clearEnv(t)
		}
		c, err := LoadConfig()
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("RETENTION=%q: %v", tc.value, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("RETENTION=%q: error %v, want one saying %q", tc.value, err, tc.err)
		case tc.err == "" && time.Duration(c.Retention) != tc.want:
			t.Errorf("RETENTION=%q read as %v, want %v", tc.value, time.Duration(c.Retention), tc.want)
		}
	}
}

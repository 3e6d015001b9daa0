package slack

import (
	"testing"
	"time"
)

// TestTsTimeBeyondRecording: a timestamp past the year 9999 (found by FuzzEvents) is no time,
// so the event takes the time it arrives instead of one that cannot be recorded as JSON
// (which made the store fail and Slack retry it for ever).
func TestTsTimeBeyondRecording(t *testing.T) {
	tests := []struct {
		ts   string
		want time.Time
	}{
		{"1503435956.000247", time.Unix(1503435956, 247000).UTC()},
		{"253402300799.999999", time.Unix(253402300799, 999999000).UTC()},
		{"253402300800", time.Time{}},
		{"99999999999999", time.Time{}},
		{"9223372036854775807.1", time.Time{}},
		{"0", time.Time{}},
		{"", time.Time{}},
	}
	for _, tt := range tests {
		if got := tsTime(tt.ts); !got.Equal(tt.want) {
			t.Errorf("tsTime(%q) = %v, want %v", tt.ts, got, tt.want)
		}
	}
}

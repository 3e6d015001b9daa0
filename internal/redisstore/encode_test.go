package redisstore

import (
	"strings"
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
)

func TestTicketLongValues(t *testing.T) {
	tests := []struct {
		name   string
		value  string
		fields int // hash fields the display name takes
	}{
		{"short", "Jane Doe", 1},
		{"exactly the limit", strings.Repeat("a", maxValue), 1},
		{"one byte over", strings.Repeat("b", maxValue+1), 2},
		{"multibyte runes across pieces", strings.Repeat("日本語🙂", 30), 7}, // 390 bytes
		{"three pieces", strings.Repeat("c", 3*maxValue), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := desk.Ticket{ID: 3, Platform: "slack", Customer: desk.User{ID: "U1", DisplayName: tt.value}}
			pairs := encodeTicket(in)
			m := map[string]string{}
			fields := 0
			for i := 0; i < len(pairs); i += 2 {
				f, v := pairs[i].(string), pairs[i+1].(string)
				if len(v) > maxValue {
					t.Errorf("field %s holds %d bytes, want at most %d", f, len(v), maxValue)
				}
				if strings.HasPrefix(f, fCustDisplay) {
					fields++
				}
				m[f] = v
			}
			if fields != tt.fields {
				t.Errorf("display name takes %d fields, want %d", fields, tt.fields)
			}
			got, err := ticketFromMap(m)
			if err != nil {
				t.Fatalf("ticketFromMap: %v", err)
			}
			wantEqual(t, "ticket", got, in)
		})
	}
}

func TestTicketFromMapRejectsBadNumbers(t *testing.T) {
	tests := []struct {
		name string
		m    map[string]string
	}{
		{"id", map[string]string{fID: "x"}},
		{"time", map[string]string{fID: "1", fCreated: "yesterday"}},
		{"tags", map[string]string{fID: "1", fTags: "[vpn"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ticketFromMap(tt.m); err == nil {
				t.Errorf("ticketFromMap(%v) succeeded, want an error", tt.m)
			}
		})
	}
}

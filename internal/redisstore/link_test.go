package redisstore

import (
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
)

// TestLinkEncoding: every link reads back as written; the common one (a message and its one
// copy) stays within the 44 bytes Redis keeps in one allocation with its object (embstr);
// links written as JSON by stores before 2026-12-07 are still read.
func TestLinkEncoding(t *testing.T) {
	src := desk.MessageRef{Channel: "D0500000039", ID: "1794896229.100000"}
	for _, tt := range []struct {
		name string
		l    desk.Link
		max  int // bytes, 0 for no bound
	}{
		{"customer message, one copy", desk.Link{Ticket: 41, Kind: desk.LinkCustomer, Parts: []desk.MessageRef{{Channel: "C04TRIAGE01", ID: "1794896229.200000"}}}, 44},
		{"Mattermost agent reply", desk.Link{Ticket: 123456, Kind: desk.LinkAgent, Parts: []desk.MessageRef{{Channel: "c5nxq1k8qjfbpk3uz3ta4gmtwa", ID: "ypwmcmsw1tgzmfr6a7kkaxn7oc"}}}, 0},
		{"note", desk.Link{Ticket: 7, Kind: desk.LinkNote}, 8},
		{"parts, files and a join", desk.Link{Ticket: 7, Kind: desk.LinkCustomer, Join: "Ev0123ABCD",
			Parts: []desk.MessageRef{{Channel: "C1", ID: "1.1"}, {Channel: "C1", ID: "1.2"}}, Files: []desk.MessageRef{{Channel: "C1", ID: "F1"}}}, 0},
		{"a kind not listed", desk.Link{Ticket: 7, Kind: "bot", Parts: []desk.MessageRef{{Channel: "C1", ID: "1.1"}}}, 0},
		{"no ticket", desk.Link{Kind: desk.LinkAgent}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := encodeLink(tt.l)
			if err != nil {
				t.Fatal(err)
			}
			if tt.max > 0 && len(b) > tt.max {
				t.Errorf("encoded in %d bytes, want at most %d", len(b), tt.max)
			}
			got, err := decodeLink(src, b)
			if err != nil {
				t.Fatalf("decodeLink: %v", err)
			}
			want := tt.l
			want.Source = src
			wantEqual(t, "link", got, want)
		})
	}
	old := `{"t":41,"k":"customer","p":[["C04TRIAGE01","1794896229.200000"]],"f":[["C04TRIAGE01","F1"]],"j":"Ev1"}`
	got, err := decodeLink(src, []byte(old))
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "link written as JSON", got, desk.Link{Ticket: 41, Kind: desk.LinkCustomer, Source: src, Join: "Ev1",
		Parts: []desk.MessageRef{{Channel: "C04TRIAGE01", ID: "1794896229.200000"}}, Files: []desk.MessageRef{{Channel: "C04TRIAGE01", ID: "F1"}}})
	for _, bad := range []string{"", "\x01", "\x01\x05\x01\x09", "\x07abc"} {
		if _, err := decodeLink(src, []byte(bad)); err == nil {
			t.Errorf("decodeLink(%q) = nil error, want one", bad)
		}
	}
}

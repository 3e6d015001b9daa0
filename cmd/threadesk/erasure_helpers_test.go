package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// Helpers of the erasure end-to-end tests (/desk export and /desk forget on each platform).

// erasureExport is the part of /desk export's JSON these tests read.
type erasureExport struct {
	Platform string `json:"platform"`
	UserID   string `json:"user_id"`
	Tickets  []struct {
		Number   int64 `json:"number"`
		Customer struct {
			ID string `json:"id"`
		} `json:"customer"`
		History []struct {
			Kind   string `json:"kind"`
			Author string `json:"author"`
			Text   string `json:"text"`
		} `json:"history"`
	} `json:"tickets"`
}

// checkExport decodes an export and fails the test unless it is of customer on platform, with
// one ticket per number in tickets, whose histories hold every text of want (as "kind:text")
// and whose bytes hold nothing of foreign (another customer's ID and words).
func checkExport(t *testing.T, data []byte, platform, customer string, tickets []int64, want, foreign []string) {
	t.Helper()
	var doc erasureExport
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("the export is no JSON: %v\n%s", err, data)
	}
	if doc.Platform != platform || doc.UserID != customer {
		t.Errorf("export of %s/%s, want %s/%s", doc.Platform, doc.UserID, platform, customer)
	}
	var numbers []int64
	var history []string
	for _, tk := range doc.Tickets {
		numbers = append(numbers, tk.Number)
		if tk.Customer.ID != customer {
			t.Errorf("exported ticket #%d is of %q, want %q", tk.Number, tk.Customer.ID, customer)
		}
		for _, e := range tk.History {
			history = append(history, e.Kind+":"+e.Text)
		}
	}
	slices.Sort(numbers)
	if !slices.Equal(numbers, slices.Sorted(slices.Values(tickets))) {
		t.Errorf("exported tickets %v, want %v", numbers, tickets)
	}
	joined := strings.Join(history, "|")
	for _, w := range want {
		if !strings.Contains(joined, w) {
			t.Errorf("exported history %q lacks %q", joined, w)
		}
	}
	for _, f := range foreign {
		if strings.Contains(string(data), f) {
			t.Errorf("the export holds %q, another customer's:\n%s", f, data)
		}
	}
}

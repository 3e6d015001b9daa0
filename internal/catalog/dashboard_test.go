package catalog_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/threadesk/threadesk/internal/catalog"
)

// dashboardSamples are the arguments of the dashboard's texts that take any; every other
// dashboard text is a label and renders with none.
var dashboardSamples = map[string][]map[string]any{
	catalog.DashSignInAs:     {{"Name": "Анна"}},
	catalog.DashLinkUnknown:  {{"Command": "/desk dashboard"}},
	catalog.DashLinkNoToken:  {{"Command": "/desk dashboard"}},
	catalog.DashNoSuchTicket: {{"Ticket": "#12"}, {"Ticket": ""}},
	catalog.DashElsewhere:    {{"Ticket": "#12", "Platform": "slack"}},
	catalog.DashBadPriority:  {{"Value": "huge"}},
	catalog.DashBadPeriod:    {{"Value": "1y"}},
	catalog.DashTickets:      {{"N": 1}, {"N": 3}, {"N": 5}},
	catalog.DashTruncated:    {{"N": "20000"}},
	catalog.DashPageN:        {{"N": 2}},
	catalog.DashUpdated:      {{"Time": "14:05:09"}},
	catalog.DashSeconds:      {{"N": 45}},
	catalog.DashMinutes:      {{"N": 12}},
	catalog.DashHours:        {{"N": 3}},
	catalog.DashDays:         {{"N": 2}},
	catalog.DashSLABreached:  {{"Target": "first response"}},
	catalog.DashSLADueIn:     {{"Target": "first response", "Left": "3h"}},
	catalog.DashSLAPaused:    {{"Target": "resolution"}},
	catalog.DashSLAClock:     {{"Target": "resolution", "State": "met"}},
	catalog.DashSLADue:       {{"When": "3 Jan 2027, 14:00 UTC"}},
	catalog.DashSLAAfter:     {{"Span": "3h"}},
	catalog.DashSolvedBy:     {{"Article": "reset-password"}},
	catalog.DashThread:       {{"Platform": "Slack"}},
	catalog.DashActThere:     {{"Platform": "mattermost"}},
	catalog.DashBytes:        {{"N": "512"}},
	catalog.DashKB:           {{"N": "1.5"}},
	catalog.DashMB:           {{"N": "12"}},
	catalog.DashPeriodCustom: {{"From": "2027-01-01", "To": "2027-01-31"}},
	catalog.DashFRTile:       {{"P90": "20m"}},
	catalog.DashResTile:      {{"P90": "2h"}},
	catalog.DashSatTile:      {{"N": 1}, {"N": 4}},
}

func init() {
	for id := range catalog.English {
		if !strings.HasPrefix(id, "dash.") {
			continue
		}
		if args, ok := dashboardSamples[id]; ok {
			samples[id] = args
		} else {
			samples[id] = []map[string]any{nil}
		}
	}
}

// TestDashboardPlurals: the queue's count of tickets takes the form its number asks for.
func TestDashboardPlurals(t *testing.T) {
	tests := []struct {
		lang  string
		forms map[int]string
	}{
		{"en", map[int]string{1: "1 ticket", 2: "2 tickets", 5: "5 tickets", 21: "21 tickets"}},
		{"ru", map[int]string{1: "1 заявка", 2: "2 заявки", 5: "5 заявок", 11: "11 заявок", 21: "21 заявка", 22: "22 заявки", 111: "111 заявок"}},
	}
	for _, tt := range tests {
		for n, want := range tt.forms {
			t.Run(fmt.Sprintf("%s/%d", tt.lang, n), func(t *testing.T) {
				if got := fmt.Sprint(n, " ", catalog.For(tt.lang).Text(catalog.DashTickets, map[string]any{"N": n})); got != want {
					t.Errorf("got %q, want %q", got, want)
				}
			})
		}
	}
}

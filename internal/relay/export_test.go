package relay

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// TestExportHoldsJoinedPosts: a message that went in a joined post is exported with the join
// it went in, and the join with every part's text as written and as shown: the record is data
// stored about the customer too.
func TestExportHoldsJoinedPosts(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	src := desk.MessageRef{Channel: "D1", ID: "m1"}
	c := desk.CustomerData{Platform: "slack", UserID: "U1", Tickets: []desk.TicketData{{
		Ticket: desk.Ticket{ID: 7, Status: desk.StatusNew, Customer: desk.User{ID: "U1"}},
		Links:  []desk.Link{{Ticket: 7, Kind: desk.LinkCustomer, Source: src, Parts: []desk.MessageRef{{Channel: "C1", ID: "p1"}}, Join: "Ev1"}},
		Joins: []desk.Join{{ID: "Ev1", Ticket: 7, Parts: []desk.JoinPart{
			{Event: "Ev1", Source: src, Text: "hello", Written: "hello", At: at},
			{Event: "Ev2", Source: desk.MessageRef{Channel: "D1", ID: "m2"}, Text: "⏱ late: again", Written: "again", At: at},
		}}},
	}}}
	b, err := exportJSON(c, at)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tickets []struct {
			Links []struct {
				Join string `json:"joined_post"`
			} `json:"mirrored_messages"`
			Joins []struct {
				ID    string `json:"id"`
				Parts []struct {
					Source  struct{ Channel, ID string } `json:"source"`
					Written string                       `json:"written"`
					Shown   string                       `json:"shown"`
				} `json:"parts"`
			} `json:"joined_posts"`
		} `json:"tickets"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	tk := doc.Tickets[0]
	if len(tk.Links) != 1 || tk.Links[0].Join != "Ev1" {
		t.Errorf("links = %+v, want the join named", tk.Links)
	}
	if len(tk.Joins) != 1 || len(tk.Joins[0].Parts) != 2 || tk.Joins[0].Parts[1].Written != "again" ||
		tk.Joins[0].Parts[1].Shown != "⏱ late: again" || tk.Joins[0].Parts[1].Source.ID != "m2" {
		t.Errorf("joined posts = %+v\n%s", tk.Joins, b)
	}
}

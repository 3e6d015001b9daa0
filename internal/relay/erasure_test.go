package relay_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/desktest"
)

// copiesOf are the live copies of a customer's messages in a ticket's thread.
func (d *deskHarness) copiesOf(t desk.Ticket, label string) []desktest.Message {
	var out []desktest.Message
	for _, m := range d.p.Messages("C-TRIAGE", t.ThreadID) {
		if m.As == label {
			out = append(out, m)
		}
	}
	return out
}

// newTicketOf waits for user's ticket other than old and returns it.
func (d *deskHarness) newTicketOf(user string, old desk.TicketID) desk.Ticket {
	d.t.Helper()
	var t desk.Ticket
	if !d.p.Wait(5*time.Second, func() bool {
		var err error
		t, err = d.store.CustomerTicket(context.Background(), "fake", user)
		return err == nil && t.ID != old && t.HasThread()
	}) {
		d.t.Fatalf("no new ticket for %s", user)
	}
	return t
}

// confirmation is the lead's last private answer with buttons.
func (d *deskHarness) confirmation(user string) desktest.Message {
	d.t.Helper()
	d.drain()
	var last desktest.Message
	for _, m := range d.p.Messages("C-TRIAGE", "") {
		if m.Ephemeral == user && m.Card != nil && len(m.Card.Actions) > 0 {
			last = m
		}
	}
	if last.Card == nil {
		d.t.Fatal("no confirmation with buttons")
	}
	return last
}

// pressFor presses a button and returns the private answer it gets.
func (d *deskHarness) pressFor(user, action, value string) string {
	d.t.Helper()
	before := len(d.answers(user))
	if err := d.press(user, "C-TRIAGE", "", action, value); err != nil {
		d.t.Fatal(err)
	}
	if !d.p.Wait(5*time.Second, func() bool { return len(d.answers(user)) > before }) {
		d.t.Fatalf("no answer to %s", action)
	}
	return d.answers(user)[before]
}

// TestForgetCustomer: /desk forget is for leads; an unknown person and one with nothing stored
// are told so; an active ticket is refused by number; the confirmation says what goes, Cancel
// changes nothing, another lead's press is refused, and Forget deletes the app's copies in the
// threads (reporting the one the platform refuses), forgets the transcripts, links and the
// customer's names, shows the cards without the name, and keeps another customer's ticket.
func TestForgetCustomer(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	first := d.open("U1")
	d.ingest(reply("A2", first.ThreadID, nextID("r"), "we are looking into it"))
	d.ingest(say("U1", nextID("m"), "it was order 4711"))
	d.drain()
	d.command("A2", "C-TRIAGE", "close 1")
	d.ingest(say("U1", nextID("m"), "another thing entirely"))
	second := d.newTicketOf("U1", first.ID)
	other := d.open("U2")

	for _, c := range []struct{ user, text, want string }{
		{"A2", "forget @u1", "Only leads (the LEADS setting) may use /desk forget."},
		{"U1", "forget @u1", "for support agents"},
		{"A1", "forget @nobody", "Nobody called «@nobody» was found."},
		{"A1", "forget", "Usage: /desk forget @user"},
		{"A1", "forget @a2-handle", "Nothing is stored about «Agent A2»."},
		{"A1", "forget @u1", "«Customer U1» still has an active ticket (#2): close it first (/desk close N), then forget."},
	} {
		if got := d.command(c.user, "C-TRIAGE", c.text); !strings.Contains(got, c.want) {
			t.Errorf("%s: %q = %q, want %q", c.user, c.text, got, c.want)
		}
	}
	if m := d.p.Messages("C-TRIAGE", ""); len(m) > 0 && m[len(m)-1].Card != nil && len(m[len(m)-1].Card.Actions) > 0 {
		t.Fatal("a refused forget showed buttons")
	}
	d.command("A2", "C-TRIAGE", "close 2")

	got := d.command("A1", "C-TRIAGE", "forget @u1")
	for _, want := range []string{"Forget «Customer U1»?", "2 tickets (#2, #1)", "4 messages", "3 copies"} {
		if !strings.Contains(got, want) {
			t.Errorf("confirmation = %q, want %q in it", got, want)
		}
	}
	confirm := d.confirmation("A1")
	if ids := buttons(confirm.Card); strings.Join(ids, ",") != "forget,forget-cancel" {
		t.Fatalf("confirmation buttons = %v", ids)
	}
	value := confirm.Card.Actions[0].Value

	if got := d.pressFor("A1", "forget-cancel", value); got != "Nothing about «Customer U1» was forgotten." {
		t.Errorf("Cancel = %q", got)
	}
	if c, err := d.store.CustomerData(ctx, "fake", "U1"); err != nil || len(c.Tickets) != 2 || c.Messages() != 4 {
		t.Fatalf("after Cancel: %+v, %v; want everything kept", c, err)
	}
	if got := d.pressFor("A1", "forget", "2:U1:A2"); !strings.Contains(got, "Only the lead who asked") {
		t.Errorf("a press for another lead's confirmation = %q", got)
	}
	if got := d.pressFor("A2", "forget", value); !strings.Contains(got, "Only leads") {
		t.Errorf("a non-lead's press = %q", got)
	}

	copies := append(d.copiesOf(first, "Customer U1"), d.copiesOf(second, "Customer U1")...)
	if len(copies) != 3 {
		t.Fatalf("copies of U1's messages in the threads = %d, want 3", len(copies))
	}
	refused := copies[1].Ref
	d.p.SetFail(func(c desktest.Call) error {
		if c.Op == "delete" && c.ID == refused.ID {
			return &desk.DeliveryError{Op: "delete", Reason: "cant_delete_message"}
		}
		return nil
	})
	got = d.pressFor("A1", "forget", value)
	d.p.SetFail(nil)
	for _, want := range []string{"Forgot «Customer U1»: 2 tickets (#2, #1), 4 messages", "2 copies deleted",
		"1 copy in the threads of #1 could not be deleted (cant_delete_message)"} {
		if !strings.Contains(got, want) {
			t.Errorf("report = %q, want %q in it", got, want)
		}
	}
	d.drain()
	for _, c := range copies {
		m, _ := d.p.Message(c.Ref)
		if want := c.Ref == refused; m.Deleted == want {
			t.Errorf("copy %s deleted = %v, want %v", c.Ref.ID, m.Deleted, !want)
		}
	}
	if _, err := d.store.CustomerTicket(ctx, "fake", "U1"); desk.ErrorCode(err) != desk.ENOTFOUND {
		t.Errorf("the customer is still known: %v", err)
	}
	for _, tk := range []desk.Ticket{first, second} {
		got := d.ticket(tk.ID)
		if got.Customer != (desk.User{}) || got.Subject != "" || got.DMChannel != "" {
			t.Errorf("%s keeps the customer: %+v", tk.ID, got)
		}
		h, _ := d.store.Transcript(ctx, tk.ID)
		if len(h) != 1 || h[0].Kind != desk.EntryForgotten || h[0].Author != "A1" || h[0].Text != "" {
			t.Errorf("history of %s = %+v; want one forgotten entry by A1", tk.ID, h)
		}
		card := d.card(tk)
		if strings.Contains(card.Title, "Customer U1") || !strings.Contains(card.Title, "(forgotten)") {
			t.Errorf("card of %s after forget: %q", tk.ID, card.Title)
		}
	}
	for _, m := range d.p.Messages("D-U1", "") {
		if m.Key == "user-message" {
			continue
		}
		if _, err := d.store.Link(ctx, "fake", m.Ref); err == nil {
			t.Errorf("a link of U1's DM survived: %v", m.Ref)
		}
	}
	if got := d.ticket(other.ID); got.Customer.ID != "U2" {
		t.Errorf("U2's ticket changed: %+v", got)
	}
	if h, _ := d.store.Transcript(ctx, other.ID); len(h) == 0 || h[0].Kind == desk.EntryForgotten {
		t.Errorf("U2's history changed: %+v", h)
	}
	if got := d.pressFor("A1", "forget", value); got != "Nothing is stored about «Customer U1»." {
		t.Errorf("a second press = %q", got)
	}
}

// TestExportCustomer: /desk export is for leads; it uploads into the lead's DM a JSON file of
// the customer's tickets with their histories and links and nothing of another customer,
// records who exported in each ticket's history, and posts the JSON as text when the upload
// fails.
func TestExportCustomer(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	tk := d.open("U1")
	d.ingest(reply("A2", tk.ThreadID, nextID("r"), "we are looking into it"))
	d.ingest(say("U2", nextID("m"), "the secret of U2"))
	d.ticketOf("U2")
	d.drain()

	if got := d.command("A2", "C-TRIAGE", "export @u1"); !strings.Contains(got, "Only leads") {
		t.Errorf("an agent's export = %q", got)
	}
	if got := d.command("A1", "C-TRIAGE", "export @nobody"); !strings.Contains(got, "Nobody called") {
		t.Errorf("export of nobody = %q", got)
	}
	if got := d.command("A1", "C-TRIAGE", "export @u1"); got != "The export of «Customer U1» (1 ticket) is in your direct messages with the app." {
		t.Errorf("export answer = %q", got)
	}
	var file []byte
	if !d.p.Wait(5*time.Second, func() bool {
		for _, m := range d.p.Messages("D-A1", "") {
			if m.File != nil {
				file = m.File
				return true
			}
		}
		return false
	}) {
		t.Fatal("no file in A1's DM")
	}
	var doc struct {
		Platform string `json:"platform"`
		UserID   string `json:"user_id"`
		Tickets  []struct {
			Number   int64 `json:"number"`
			Customer struct {
				ID          string `json:"id"`
				DisplayName string `json:"display_name"`
			} `json:"customer"`
			Subject string `json:"subject"`
			History []struct {
				Kind   string `json:"kind"`
				Author string `json:"author"`
				Text   string `json:"text"`
			} `json:"history"`
			Links []struct {
				Kind   string `json:"kind"`
				Copies []struct{ Channel, ID string }
			} `json:"mirrored_messages"`
			Facts []struct {
				Kind string `json:"kind"`
			} `json:"statistics"`
		} `json:"tickets"`
	}
	if err := json.Unmarshal(file, &doc); err != nil {
		t.Fatalf("the export is no JSON: %v\n%s", err, file)
	}
	if doc.Platform != "fake" || doc.UserID != "U1" || len(doc.Tickets) != 1 {
		t.Fatalf("export = %+v", doc)
	}
	et := doc.Tickets[0]
	if et.Number != int64(tk.ID) || et.Customer.ID != "U1" || et.Customer.DisplayName != "Customer U1" || et.Subject == "" {
		t.Errorf("exported ticket = %+v", et)
	}
	var texts []string
	for _, e := range et.History {
		texts = append(texts, e.Kind+":"+e.Text)
	}
	joined := strings.Join(texts, "|")
	for _, want := range []string{"customer:my order has not arrived", "agent:we are looking into it", "exported:"} {
		if !strings.Contains(joined, want) {
			t.Errorf("exported history %q lacks %q", joined, want)
		}
	}
	if len(et.Links) < 2 || len(et.Facts) == 0 {
		t.Errorf("exported links %+v facts %+v; want both directions and the statistics", et.Links, et.Facts)
	}
	if s := string(file); strings.Contains(s, "U2") || strings.Contains(s, "secret") {
		t.Errorf("the export holds another customer's data:\n%s", s)
	}
	h, _ := d.store.Transcript(ctx, tk.ID)
	if last := h[len(h)-1]; last.Kind != desk.EntryExported || last.Author != "A1" || last.Text != "" {
		t.Errorf("history's last entry = %+v; want the export by A1, without content", last)
	}

	d.p.SetFail(func(c desktest.Call) error {
		if c.Op == "upload" {
			return &desk.DeliveryError{Op: "upload", Reason: "missing_scope"}
		}
		return nil
	})
	d.command("A1", "C-TRIAGE", "export @u1")
	if !d.p.Wait(5*time.Second, func() bool {
		ms := d.p.Messages("D-A1", "")
		for i, m := range ms {
			if strings.Contains(m.Text, "The file could not be uploaded («missing_scope»)") && i+1 < len(ms) && strings.Contains(ms[i+1].Text, `"user_id": "U1"`) {
				return true
			}
		}
		return false
	}) {
		t.Error("without uploads the JSON did not come as text")
	}
}

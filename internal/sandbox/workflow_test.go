package sandbox

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
)

func TestFindUser(t *testing.T) {
	f := newFixture(t)
	ada := f.user(t, "Ada Lovelace", RoleCustomer)
	bob := f.user(t, "Bob", RoleAgent)
	ctx := context.Background()
	for _, tt := range []struct {
		handle, want string
	}{
		{"ada.lovelace", ada},
		{"@ada.lovelace", ada},
		{" @Ada.Lovelace ", ada},
		{"bob", bob},
		{bob, bob},
		{"@" + bob, bob},
		{"<@" + bob + ">", bob},
		{"<@" + bob + "|bob>", bob},
	} {
		t.Run(tt.handle, func(t *testing.T) {
			u, err := f.sb.FindUser(ctx, tt.handle)
			if err != nil || u.ID != tt.want {
				t.Errorf("FindUser(%q) = %+v, %v; want %s", tt.handle, u, err, tt.want)
			}
		})
	}
	for _, handle := range []string{"", "@", "carol", "<@u0>", "ada"} {
		t.Run("unknown "+handle, func(t *testing.T) {
			_, err := f.sb.FindUser(ctx, handle)
			if deliveryReason(err) != "user_not_found" || !errors.Is(err, desk.ErrNotFound) {
				t.Errorf("FindUser(%q) = %v, want user_not_found wrapping ErrNotFound", handle, err)
			}
		})
	}
	if u, _ := f.sb.FindUser(ctx, "bob"); u != (desk.User{ID: bob, Name: "bob", DisplayName: "Bob"}) {
		t.Errorf("FindUser gives %+v, want ID, handle and display name", u)
	}
}

func TestInTriage(t *testing.T) {
	f := newFixture(t)
	ada := f.user(t, "Ada", RoleCustomer)
	bob := f.user(t, "Bob", RoleAgent)
	for _, tt := range []struct {
		user string
		want bool
	}{{bob, true}, {ada, false}, {"u0", false}, {"", false}} {
		got, err := f.sb.InTriage(context.Background(), tt.user)
		if err != nil || got != tt.want {
			t.Errorf("InTriage(%q) = %v, %v; want %v", tt.user, got, err, tt.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.sb.InTriage(ctx, bob); deliveryReason(err) != "canceled" {
		t.Errorf("InTriage with a canceled context = %v, want a canceled failure", err)
	}
}

// TestUserFormField checks the person picker: the value is a user ID, and only an agent's is
// taken.
func TestUserFormField(t *testing.T) {
	f := newFixture(t)
	bob := f.user(t, "Bob", RoleAgent)
	cy := f.user(t, "Cy", RoleAgent)
	ada := f.user(t, "Ada", RoleCustomer)
	card := f.card(t)
	f.call(t, "POST", "/sandbox/api/actions", map[string]any{"user": bob, "message": card.ID, "action": "tag", "value": "1"})
	err := f.sb.OpenForm(context.Background(), f.ing.last(t, 0).Trigger, desk.Form{
		ID: "assign", Title: "Assign #1", Context: "1",
		Fields: []desk.FormField{{ID: "agent", Label: "Agent", Kind: "user", Value: bob}},
	})
	if err != nil {
		t.Fatalf("OpenForm with a user field: %v", err)
	}
	snap := f.sb.snapshot()
	form := snap.Forms[0]
	if ff := form.Fields[0]; ff.Kind != "user" || ff.Value != bob {
		t.Errorf("form field = %+v, want kind user with the current value", ff)
	}
	submit := func(v string) (int, map[string]any) {
		t.Helper()
		return f.call(t, "POST", "/sandbox/api/forms/"+form.ID+"/submit", map[string]any{"user": bob, "values": map[string]string{"agent": v}})
	}
	for _, tt := range []struct {
		name, value, problem string
	}{
		{"nobody", "", "Please fill this in."},
		{"a customer", ada, "Please pick one of the agents."},
		{"an unknown ID", "u0", "Please pick one of the agents."},
		{"a handle instead of an ID", "cy", "Please pick one of the agents."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out := submit(tt.value)
			fields, _ := out["fields"].(map[string]any)
			if code != http.StatusUnprocessableEntity || fields["agent"] != tt.problem {
				t.Errorf("submit %q: %d %v, want 422 with agent: %q", tt.value, code, out, tt.problem)
			}
		})
	}
	if got := len(f.ing.Events()); got != 1 {
		t.Fatalf("refused submissions made %d events", got-1)
	}
	// The app refuses what was entered: the form stays open with the app's words on the field.
	f.ing.mu.Lock()
	f.ing.fail = &desk.FormError{Fields: map[string]string{"agent": "Cy is away"}}
	f.ing.mu.Unlock()
	code, out := submit(cy)
	if fields, _ := out["fields"].(map[string]any); code != http.StatusUnprocessableEntity || fields["agent"] != "Cy is away" {
		t.Errorf("submit refused by the app: %d %v, want 422 with the app's problem on agent", code, out)
	}
	if snap := f.sb.snapshot(); len(snap.Forms) != 1 {
		t.Errorf("forms after a refusal: %d, want the form still open", len(snap.Forms))
	}
	f.ing.mu.Lock()
	f.ing.fail = nil
	f.ing.mu.Unlock()
	if code, out := submit(cy); code != http.StatusOK {
		t.Fatalf("submit an agent: %d %v", code, out)
	}
	if ev := f.ing.last(t, 1); ev.Kind != desk.FormSubmitted || ev.Action != "assign" || ev.Value != "1" || ev.Form["agent"] != cy {
		t.Errorf("event = %+v, want the assign form with agent %s", ev, cy)
	}
}

// TestCardUpdatedInPlace checks that a card the app replaces offers its new buttons and no
// longer its old ones, in a customer's DM as in the triage channel.
func TestCardUpdatedInPlace(t *testing.T) {
	f := newFixture(t)
	ada := f.user(t, "Ada", RoleCustomer)
	ctx := context.Background()
	question := &desk.Card{Text: "How satisfied are you?", Actions: []desk.Action{
		{ID: "rate", Label: "1", Value: "1:1"}, {ID: "rate", Label: "5", Value: "1:5", Style: "primary"},
	}}
	ref, err := f.sb.Post(ctx, desk.Outgoing{Channel: f.dm(t, ada), Text: question.Text, Card: question, Key: "rating-1"})
	if err != nil {
		t.Fatal(err)
	}
	press := func(action, value string) int {
		t.Helper()
		code, _ := f.call(t, "POST", "/sandbox/api/actions", map[string]any{"user": ada, "message": ref.ID, "action": action, "value": value})
		return code
	}
	if code := press("rate", "1:5"); code != http.StatusOK {
		t.Fatalf("rate: status %d", code)
	}
	if ev := f.ing.last(t, 0); ev.Action != "rate" || ev.Value != "1:5" || ev.Channel != "D-"+ada || ev.Message != ref.ID || ev.Trigger == "" {
		t.Errorf("rate event = %+v", ev)
	}
	before := f.message(t, ref.ID)
	thanks := &desk.Card{Text: "Thank you!", Actions: []desk.Action{{ID: "comment", Label: "Add a comment", Value: "1"}}}
	if err := f.sb.Update(ctx, ref, desk.Outgoing{Channel: ref.Channel, Text: thanks.Text, Card: thanks}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	after := f.message(t, ref.ID)
	if after.Card == nil || after.Card.Text != "Thank you!" || len(after.Card.Actions) != 1 || after.Edited || after.Rev <= before.Rev {
		t.Errorf("after the update: %+v", after)
	}
	if code := press("rate", "1:1"); code != http.StatusNotFound {
		t.Errorf("a button the card no longer has: status %d, want 404", code)
	}
	if code := press("comment", "1"); code != http.StatusOK {
		t.Errorf("the new button: status %d, want 200", code)
	}
}

// TestEphemeralToACustomer checks that an answer meant for one customer is theirs alone.
func TestEphemeralToACustomer(t *testing.T) {
	f := newFixture(t)
	ada := f.user(t, "Ada", RoleCustomer)
	ref, err := f.sb.Post(context.Background(), desk.Outgoing{Channel: f.dm(t, ada), Text: "Only agents can use /desk list.", Ephemeral: ada})
	if err != nil {
		t.Fatalf("Post an ephemeral answer in a DM: %v", err)
	}
	if m := f.message(t, ref.ID); m.Ephemeral != ada || m.Channel != "D-"+ada {
		t.Errorf("message = %+v, want ephemeral to %s in their DM", m, ada)
	}
	if err := f.sb.Update(context.Background(), ref, desk.Outgoing{Text: "x"}); deliveryReason(err) != "cant_update_message" {
		t.Errorf("Update of an ephemeral answer = %v, want cant_update_message", err)
	}
}

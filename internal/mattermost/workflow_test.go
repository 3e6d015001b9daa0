package mattermost

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
)

// appAdapter starts an adapter whose callbacks (PUBLIC_URL) are served on loopback, so that
// the fake server can call them as Mattermost does.
func appAdapter(t *testing.T, f *fakeMM, in *fakeIngester) *Adapter {
	t.Helper()
	var a *Adapter
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/mattermost/actions":
			a.ActionHandler().ServeHTTP(w, r)
		case "/mattermost/dialogs":
			a.DialogHandler().ServeHTTP(w, r)
		case "/mattermost/command":
			a.CommandHandler().ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(app.Close)
	cfg := testConfig(f)
	cfg.PublicURL = app.URL
	a = started(t, f, cfg, in)
	return a
}

// buttonOf returns the rendered ID of the card button for a desk action.
func buttonOf(t *testing.T, p *model.Post, action string) string {
	t.Helper()
	for _, att := range p.Attachments() {
		for _, b := range att.Actions {
			if b.Integration != nil && b.Integration.Context[ctxAction] == action {
				return b.Id
			}
		}
	}
	t.Fatalf("post %s has no %q button", p.Id, action)
	return ""
}

// lastEvent waits for the ingester to hold n events and returns the last one.
func lastEvent(t *testing.T, in *fakeIngester, n int) desk.Event {
	t.Helper()
	var ev desk.Event
	waitFor(t, "an event", func() bool {
		evs, _, _ := in.snapshot()
		if len(evs) >= n {
			ev = evs[n-1]
			return true
		}
		return false
	})
	return ev
}

func TestCardButtonsThroughTheServer(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	in := newIngester()
	a := appAdapter(t, f, in)
	ctx := context.Background()
	actions := []desk.Action{
		{ID: "claim", Label: "Claim", Value: "7", Style: "primary"},
		{ID: "assign", Label: "Assign…", Value: "7"},
		{ID: "resolve", Label: "Resolve", Value: "7"},
	}
	ref, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Text: "Ticket #7", Card: &desk.Card{Title: "Ticket #7", Actions: actions}, Key: "card:7"})
	if err != nil {
		t.Fatal(err)
	}
	card := f.Post(ref.ID)

	// Every button carries its action and value, signed, and calls PUBLIC_URL.
	for _, act := range actions {
		t.Run(act.ID, func(t *testing.T) {
			id := buttonOf(t, card, act.ID)
			res, err := f.Click(ctx, w.agent.Id, ref.ID, id)
			if err != nil || res.Status != 200 {
				t.Fatalf("click = %+v, %v", res, err)
			}
			evs, _, _ := in.snapshot()
			ev := lastEvent(t, in, len(evs))
			if ev.Kind != desk.ActionPressed || ev.Action != act.ID || ev.Value != "7" || ev.User.ID != w.agent.Id || ev.User.Name != "alex" ||
				ev.Channel != w.triage.Id || ev.Message != ref.ID || ev.Thread != ref.ID || ev.Trigger != res.Trigger {
				t.Errorf("event = %+v", ev)
			}
		})
	}

	// Someone outside the channel cannot click at all (the server refuses).
	if _, err := f.Click(ctx, w.customer.Id, ref.ID, buttonOf(t, card, "claim")); err == nil {
		t.Errorf("a customer clicked a card in the triage channel")
	}

	// A forged click (context altered on the way) is refused and records nothing.
	f.Mu.Lock()
	att := f.Posts[ref.ID].Attachments()
	att[0].Actions[0].Integration.Context[ctxValue] = "8"
	f.Posts[ref.ID].AddProp(model.PostPropsAttachments, att)
	f.Mu.Unlock()
	before, _, _ := in.snapshot()
	res, err := f.Click(ctx, w.agent.Id, ref.ID, att[0].Actions[0].Id)
	if err != nil || res.Status != http.StatusForbidden {
		t.Errorf("forged click = %+v, %v; want 403", res, err)
	}
	if after, _, _ := in.snapshot(); len(after) != len(before) {
		t.Errorf("a forged click was recorded")
	}
}

func TestRatingButtonsInTheCustomersDM(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	in := newIngester()
	a := appAdapter(t, f, in)
	ctx := context.Background()
	dm, err := a.OpenDM(ctx, w.customer.Id)
	if err != nil {
		t.Fatal(err)
	}
	card := &desk.Card{Text: "How did we do on #3?"}
	for _, s := range []string{"1", "2", "3", "4", "5"} {
		card.Actions = append(card.Actions, desk.Action{ID: "rate", Label: s, Value: "3:" + s})
	}
	ref, err := a.Post(ctx, desk.Outgoing{Channel: dm, Text: card.Text, Card: card, Key: "rating"})
	if err != nil {
		t.Fatal(err)
	}
	p := f.Post(ref.ID)
	buttons := p.Attachments()[0].Actions
	if len(buttons) != 5 {
		t.Fatalf("%d buttons, want 5", len(buttons))
	}
	res, err := f.Click(ctx, w.customer.Id, ref.ID, buttons[3].Id)
	if err != nil || res.Status != 200 {
		t.Fatalf("click = %+v, %v", res, err)
	}
	ev := lastEvent(t, in, 1)
	if ev.Action != "rate" || ev.Value != "3:4" || ev.Channel != dm || ev.Message != ref.ID || ev.Thread != "" || ev.User.ID != w.customer.Id {
		t.Errorf("event = %+v", ev)
	}

	// The core turns the question into thanks with a comment button, in place.
	thanks := &desk.Card{Text: "Thanks!", Actions: []desk.Action{{ID: "comment", Label: "Add a comment", Value: "3"}}}
	if err := a.Update(ctx, ref, desk.Outgoing{Channel: dm, Text: "Thanks!", Card: thanks}); err != nil {
		t.Fatal(err)
	}
	p = f.Post(ref.ID)
	res, err = f.Click(ctx, w.customer.Id, ref.ID, buttonOf(t, p, "comment"))
	if err != nil || res.Status != 200 {
		t.Fatalf("comment click = %+v, %v", res, err)
	}
	if ev := lastEvent(t, in, 2); ev.Action != "comment" || ev.Value != "3" || ev.Trigger != res.Trigger {
		t.Errorf("comment event = %+v", ev)
	}
}

func TestAssignFormWithUserPicker(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	in := newIngester()
	a := appAdapter(t, f, in)
	ctx := context.Background()
	ref, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Text: "Ticket #9", Card: &desk.Card{Title: "Ticket #9",
		Actions: []desk.Action{{ID: "assign", Label: "Assign…", Value: "9"}}}, Key: "card:9"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.Click(ctx, w.admin.Id, ref.ID, buttonOf(t, f.Post(ref.ID), "assign"))
	if err != nil || res.Status != 200 {
		t.Fatalf("click = %+v, %v", res, err)
	}
	click := lastEvent(t, in, 1)

	// The core opens the form with the click's trigger, within the click.
	form := desk.Form{ID: "assign", Title: "Assign #9", Submit: "Save", Context: "9",
		Fields: []desk.FormField{{ID: "agent", Label: "Agent", Kind: "user", Value: w.agent.Id}}}
	if err := a.OpenForm(ctx, click.Trigger, form); err != nil {
		t.Fatalf("OpenForm: %v", err)
	}
	dialogs := f.OpenedDialogs()
	if len(dialogs) != 1 {
		t.Fatalf("%d dialogs, want 1", len(dialogs))
	}
	el := dialogs[0].Dialog.Elements[0]
	if el.Type != "select" || el.DataSource != "users" || el.Name != "agent" || el.Default != w.agent.Id || len(el.Options) != 0 {
		t.Errorf("user picker = %+v, want a select with data_source users", el)
	}

	// Mattermost submits the picked user's ID as a plain string.
	status, body, err := f.SubmitDialog(ctx, w.admin.Id, dialogs[0], map[string]any{"agent": w.agent.Id})
	if err != nil || status != 200 {
		t.Fatalf("submit = %d %s, %v", status, body, err)
	}
	ev := lastEvent(t, in, 2)
	if ev.Kind != desk.FormSubmitted || ev.Action != "assign" || ev.Value != "9" || ev.Form["agent"] != w.agent.Id ||
		ev.User.ID != w.admin.Id || ev.Channel != w.triage.Id || ev.Thread != ref.ID {
		t.Errorf("submission = %+v", ev)
	}
	u, err := a.FindUser(ctx, ev.Form["agent"])
	if err != nil || u.ID != w.agent.Id {
		t.Errorf("FindUser(picked ID) = %+v, %v", u, err)
	}

	// A submission the core refuses for what was entered keeps the dialog open, showing why.
	in.mu.Lock()
	in.refuse = &desk.FormError{Fields: map[string]string{"agent": "Carol is not an agent"}}
	in.mu.Unlock()
	status, body, err = f.SubmitDialog(ctx, w.admin.Id, dialogs[0], map[string]any{"agent": w.customer.Id})
	var answer model.SubmitDialogResponse
	if err != nil || status != 200 || json.Unmarshal(body, &answer) != nil || answer.Errors["agent"] != "Carol is not an agent" {
		t.Errorf("refused submit = %d %s, %v; want 200 with the field's error", status, body, err)
	}

}

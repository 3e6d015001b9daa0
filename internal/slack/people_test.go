package slack

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

// people adds to the workspace (the bot and Jane, U1) people so that jane.doe is on the third
// page of users.list (the fake answers two users a page), after a deleted namesake.
func people(fake *fakeSlack) {
	for _, u := range []slacktest.User{
		{ID: "U0ANN0001", Name: "ann", DisplayName: "Ann", RealName: "Ann Agent"},
		{ID: "U0OLDJANE", Name: "jane.doe", DisplayName: "JD", Deleted: true},
		{ID: "U0BOB0001", Name: "bob", DisplayName: "", RealName: "Bob Builder"},
		{ID: "U0JANE001", Name: "jane.doe", DisplayName: "JD", RealName: "Jane Doe", Image: "https://avatars.example/jd_72.png"},
	} {
		fake.AddUser(u)
	}
}

func TestFindUser(t *testing.T) {
	fake := newFakeSlack(t)
	people(fake)
	a := newTestAdapter(t, fake, newIngester())
	jane := desk.User{ID: "U0JANE001", Name: "jane.doe", DisplayName: "JD", AvatarURL: "https://avatars.example/jd_72.png"}
	tests := []struct {
		name, handle string
		want         desk.User
		listCalls    int // users.list calls made
	}{
		{"escaped mention with name", "<@U0JANE001|jane.doe>", jane, 0},
		{"escaped mention", "<@U0JANE001>", jane, 0},
		{"bare ID from a user picker", "U0JANE001", jane, 0},
		{"handle with @, on the third page", "@jane.doe", jane, 3},
		{"handle without @, deleted namesake skipped", "jane.doe", jane, 3},
		{"display name, any case", "@jd", jane, 3},
		{"second page", "@ann", desk.User{ID: "U0ANN0001", Name: "ann", DisplayName: "Ann"}, 2},
		{"first page", "Jane", desk.User{ID: "U1", Name: "jane", DisplayName: "Jane", AvatarURL: "https://avatars.example/jane_72.png"}, 1},
		{"real name used as display name", "bob", desk.User{ID: "U0BOB0001", Name: "bob", DisplayName: "Bob Builder"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(fake.callsTo("users.list"))
			got, err := a.FindUser(context.Background(), tt.handle)
			if err != nil {
				t.Fatalf("FindUser(%q): %v", tt.handle, err)
			}
			tt.want.ProfileURL = "https://test.slack.com/team/" + tt.want.ID // from auth.test's workspace URL
			if got != tt.want {
				t.Errorf("FindUser(%q): got %+v, want %+v", tt.handle, got, tt.want)
			}
			if n := len(fake.callsTo("users.list")) - before; n != tt.listCalls {
				t.Errorf("users.list calls: got %d, want %d", n, tt.listCalls)
			}
		})
	}

	for _, handle := range []string{"@nobody", "<@U0NOBODY1|nobody>", "U0NOBODY1", "", "@"} {
		t.Run("unknown "+handle, func(t *testing.T) {
			_, err := a.FindUser(context.Background(), handle)
			if !errors.Is(err, desk.ErrNotFound) {
				t.Errorf("FindUser(%q): got %v, want ErrNotFound", handle, err)
			}
		})
	}

	t.Run("users.list rate-limited", func(t *testing.T) {
		fake.failNext("users.list", 429, map[string]string{"Retry-After": "3"}, map[string]any{"ok": false, "error": "ratelimited"})
		_, err := a.FindUser(context.Background(), "@jane.doe")
		de := desk.AsDeliveryError(err)
		if err == nil || errors.Is(err, desk.ErrNotFound) || !de.Temporary || de.RetryAfter != 3*time.Second {
			t.Errorf("got %v, want a temporary error to retry after 3s", err)
		}
	})
}

func TestInTriage(t *testing.T) {
	fake := newFakeSlack(t)
	people(fake)
	fake.SetMembers(fakeTriage, fakeBotUser, "U0ANN0001", "U0BOB0001", "U0CAROL01", "U0DAVE001")
	a := newTestAdapter(t, fake, newIngester())
	ctx := context.Background()

	check := func(user string, want bool) {
		t.Helper()
		got, err := a.InTriage(ctx, user)
		if err != nil {
			t.Fatalf("InTriage(%s): %v", user, err)
		}
		if got != want {
			t.Errorf("InTriage(%s): got %v, want %v", user, got, want)
		}
	}
	check("U0DAVE001", true) // on the last of three pages
	calls := fake.callsTo("conversations.members")
	if len(calls) != 3 {
		t.Fatalf("conversations.members calls: got %d, want 3 (pages of 2)", len(calls))
	}
	for i, c := range calls {
		if c.Args["channel"] != fakeTriage || (i > 0 && c.Args["cursor"] == "") {
			t.Errorf("call %d: %v", i, c.Args)
		}
	}
	check("U0ANN0001", true)
	check(fakeBotUser, true) // a member (the core never counts the app, a bot, as an agent)
	check("U0JANE001", false)
	if got := len(fake.callsTo("conversations.members")); got != 3 {
		t.Errorf("members not cached: %d calls, want 3", got)
	}

	// Jane joins the channel; she counts once the cached list is older than membersTTL.
	fake.SetMembers(fakeTriage, fakeBotUser, "U0ANN0001", "U0JANE001")
	check("U0JANE001", false)
	a.agents.mu.Lock()
	a.agents.at = time.Now().Add(-membersTTL - time.Second)
	a.agents.mu.Unlock()
	check("U0JANE001", true)
	check("U0DAVE001", false)

	// A failing lookup is an error, not a "no", and does not replace the cached list.
	a.agents.mu.Lock()
	a.agents.at = time.Now().Add(-membersTTL - time.Second)
	a.agents.mu.Unlock()
	fake.failNext("conversations.members", 503, nil, "down")
	if _, err := a.InTriage(ctx, "U0JANE001"); desk.AsDeliveryError(err) == nil || !desk.AsDeliveryError(err).Temporary {
		t.Errorf("InTriage during an outage: got %v, want a temporary delivery error", err)
	}
	check("U0JANE001", true)
}

func TestInTriageUnknownChannel(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester(), func(c *Config) { c.TriageChannel = "C0GONE0001" })
	_, err := a.InTriage(context.Background(), "U0ANN0001")
	if de := desk.AsDeliveryError(err); err == nil || de.Kind != desk.FailNotFound || de.Reason != "channel_not_found" || de.Temporary {
		t.Errorf("got %v, want a final not-found (channel_not_found)", err)
	}
}

// TestUserPickerForm opens the Assign form, whose "user" field is a users_select, then submits
// it through the interactivity endpoint: the chosen user's ID comes back as the field's value.
func TestUserPickerForm(t *testing.T) {
	fake := newFakeSlack(t)
	people(fake)
	in := newIngester()
	a := newTestAdapter(t, fake, in)
	tests := []struct {
		name, value, wantInitial string
	}{
		{"current assignee preselected", "U0ANN0001", "U0ANN0001"},
		{"unassigned", "", ""},
		{"not a user ID", "ann", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := desk.Form{ID: "assign", Title: "Assign #12", Submit: "Save", Context: "12",
				Fields: []desk.FormField{{ID: "agent", Label: "Agent", Kind: "user", Value: tt.value}}}
			if err := a.OpenForm(context.Background(), fake.Trigger(), form); err != nil {
				t.Fatalf("OpenForm: %v", err)
			}
			views := fake.Views()
			v := views[len(views)-1]
			block := v.View["blocks"].([]any)[0].(map[string]any)
			el := block["element"].(map[string]any)
			initial, _ := el["initial_user"].(string)
			if block["type"] != "input" || block["block_id"] != "agent" || el["type"] != "users_select" || el["action_id"] != "agent" || initial != tt.wantInitial {
				t.Errorf("input block: got %v, want a users_select with initial_user %q", block, tt.wantInitial)
			}

			payload := fake.ViewSubmission(slacktest.User{ID: "U0ANN0001", Name: "ann"}, v, map[string]string{"agent": "U0JANE001"})
			w := serve(a.InteractivityHandler(), signedRequest(t, "/slack/interactivity", "application/x-www-form-urlencoded", slacktest.Form(payload), testSecret, time.Now()))
			if w.Code != 200 {
				t.Fatalf("submission: %d %s", w.Code, w.Body)
			}
			events, _ := in.got()
			got := events[len(events)-1]
			if got.Kind != desk.FormSubmitted || got.Action != "assign" || got.Value != "12" || fmt.Sprint(got.Form) != "map[agent:U0JANE001]" {
				t.Errorf("event: got %+v", got)
			}
		})
	}
}

func TestOpenFormExpiredTrigger(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	err := a.OpenForm(context.Background(), "12345.67890.not-issued", desk.Form{ID: "tag", Title: "Tag"})
	if de := desk.AsDeliveryError(err); err == nil || de.Reason != "invalid_trigger_id" || de.Temporary {
		t.Errorf("got %v, want a final invalid_trigger_id", err)
	}
}

package relay_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/relay"
)

// TestDashboardSigninLink: /desk dashboard gives an agent a private link whose token signs
// them in, once; a customer is refused and gets no token; a lead's revoke ends an agent's
// sessions and an agent's revoke is refused; without a dashboard the command says so.
func TestDashboardSigninLink(t *testing.T) {
	d := newDesk(t, func(o *relay.Options) { o.DashboardURL = "https://desk.example.com/dashboard" })
	ctx := context.Background()
	answer := d.command("A2", "C-TRIAGE", "dashboard")
	m := regexp.MustCompile(`https://desk\.example\.com/dashboard/signin\?token=([A-Za-z0-9_-]{40,})`).FindStringSubmatch(answer)
	if m == nil || !strings.Contains(answer, "10 minutes") {
		t.Fatalf("answer = %q, want a sign-in link valid 10 minutes", answer)
	}
	token, _ := url.QueryUnescape(m[1])
	who, err := d.store.Signin(ctx, token)
	if want := (desk.Person{Platform: "fake", UserID: "A2", Name: "Agent A2"}); err != nil || who != want {
		t.Fatalf("the link signs in %+v (%v), want %+v", who, err, want)
	}
	for _, c := range d.p.Messages("C-TRIAGE", "") {
		if strings.Contains(c.Text, token) && c.Ephemeral != "A2" {
			t.Errorf("the link was shown to %q, not only to A2", c.Ephemeral)
		}
	}
	if again := d.command("A2", "C-TRIAGE", "dashboard"); again == answer {
		t.Error("a second link repeats the first token")
	}
	session, _, err := d.store.StartSession(ctx, token, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	if got := d.command("U1", "D-U1", "dashboard"); !strings.Contains(got, "for support agents") || strings.Contains(got, "token=") {
		t.Errorf("a customer's /desk dashboard = %q, want a refusal", got)
	}
	if got := d.command("A2", "C-TRIAGE", "dashboard revoke @a1-handle"); !strings.Contains(got, "Only leads") {
		t.Errorf("an agent's revoke = %q, want refused", got)
	}
	if _, err := d.store.Session(ctx, session); err != nil {
		t.Fatalf("the session ended before any revoke: %v", err)
	}
	if got := d.command("A1", "C-TRIAGE", "dashboard revoke @a2-handle"); !strings.Contains(got, "Every dashboard session of «Agent A2» is ended") {
		t.Errorf("a lead's revoke = %q", got)
	}
	if _, err := d.store.Session(ctx, session); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("the session after a revoke: %v, want ended", err)
	}
	for text, want := range map[string]string{
		"dashboard revoke @nobody": "Nobody called «@nobody»",
		"dashboard please":         "Usage: /desk dashboard",
	} {
		if got := d.command("A1", "C-TRIAGE", text); !strings.Contains(got, want) {
			t.Errorf("%q = %q, want %q", text, got, want)
		}
	}

	off := newDesk(t)
	if got := off.command("A1", "C-TRIAGE", "dashboard"); got != "The dashboard is not served by this app." {
		t.Errorf("without a dashboard: %q", got)
	}
}

// TestPersonIsAskedOfThePlatform: Person follows the platform: an agent removed from the triage
// channel is no longer one, and only a LEADS agent is a lead.
func TestPersonIsAskedOfThePlatform(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	for _, c := range []struct {
		user        string
		agent, lead bool
	}{{"A1", true, true}, {"A2", true, false}, {"U1", false, false}} {
		u, agent, lead, err := d.relay.Person(ctx, "fake", c.user)
		if err != nil || agent != c.agent || lead != c.lead || u.ID != c.user {
			t.Errorf("Person(%s) = %+v agent %v lead %v, %v; want agent %v lead %v", c.user, u, agent, lead, err, c.agent, c.lead)
		}
	}
	d.p.RemoveAgent("A1")
	if _, agent, lead, err := d.relay.Person(ctx, "fake", "A1"); err != nil || agent || lead {
		t.Errorf("A1 removed from triage: agent %v lead %v, %v", agent, lead, err)
	}
	if _, _, _, err := d.relay.Person(ctx, "nowhere", "A1"); desk.ErrorCode(err) != desk.ENOTFOUND {
		t.Errorf("an unknown platform: %v", err)
	}
}

package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/threadesk/threadesk/internal/mattermost/mattermosttest"
)

func TestMattermostSetupCommand(t *testing.T) {
	f := mattermosttest.New(t, "")
	f.Seed()
	t.Setenv("MATTERMOST_URL", f.URL)
	t.Setenv("MATTERMOST_ADMIN_TOKEN", mattermosttest.AdminToken)
	t.Setenv("MATTERMOST_TEAM", "support")
	t.Setenv("MATTERMOST_TRIAGE_CHANNEL", "helpdesk-triage")
	t.Setenv("PUBLIC_URL", "https://desk.example.com")
	t.Setenv("MATTERMOST_BOT_USERNAME", "helpdesk")
	var out, errs bytes.Buffer
	if code := mattermostSetup(&out, &errs); code != 0 {
		t.Fatalf("mattermost-setup exited %d: %s", code, errs.String())
	}
	for _, want := range []string{"MATTERMOST_URL=" + f.URL, "MATTERMOST_TOKEN=", "MATTERMOST_TEAM=support",
		"MATTERMOST_TRIAGE_CHANNEL=", "MATTERMOST_COMMAND_TOKEN=", "PUBLIC_URL=https://desk.example.com"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// Without the admin token it names what is missing and changes nothing.
	t.Setenv("MATTERMOST_ADMIN_TOKEN", "")
	out.Reset()
	errs.Reset()
	if code := mattermostSetup(&out, &errs); code != 2 || !strings.Contains(errs.String(), "MATTERMOST_ADMIN_TOKEN") {
		t.Errorf("without an admin token: exit %d, %q", code, errs.String())
	}
}

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
	if code := mattermostSetup(nil, &out, &errs); code != 0 {
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
	if code := mattermostSetup(nil, &out, &errs); code != 2 || !strings.Contains(errs.String(), "MATTERMOST_ADMIN_TOKEN") {
		t.Errorf("without an admin token: exit %d, %q", code, errs.String())
	}
}

// TestMattermostSetupHelp checks that -h shows the setup's usage, what it does and what it
// leaves to an admin, and runs nothing: the settings point at a server that does not answer,
// which a setup that ran would report with exit status 1.
func TestMattermostSetupHelp(t *testing.T) {
	clearEnv(t)
	t.Setenv("MATTERMOST_URL", "http://127.0.0.1:1")
	t.Setenv("MATTERMOST_ADMIN_TOKEN", "admin")
	t.Setenv("MATTERMOST_TEAM", "support")
	t.Setenv("MATTERMOST_TRIAGE_CHANNEL", "triage")
	t.Setenv("PUBLIC_URL", "https://desk.example.com")
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-help"}} {
		t.Run(args[0], func(t *testing.T) {
			var out, errs bytes.Buffer
			if code := runCommand("mattermost-setup", args, &out, &errs); code != 0 {
				t.Fatalf("mattermost-setup %s exited %d: %s", args[0], code, errs.String())
			}
			help := out.String()
			for _, want := range []string{"usage: threadesk mattermost-setup", "What it does", "What it does not do", "PUBLIC_URL/mattermost/command"} {
				if !strings.Contains(help, want) {
					t.Errorf("help lacks %q:\n%s", want, help)
				}
			}
			for _, d := range settingDocs(setupConfig{}) {
				if !strings.Contains(help, "  "+d.Name+" (") {
					t.Errorf("help does not list %s", d.Name)
				}
			}
			for _, p := range mattermostPrerequisites {
				if !strings.Contains(help, p.setting) {
					t.Errorf("help does not name the server setting %s", p.setting)
				}
			}
		})
	}
	var out, errs bytes.Buffer
	if code := runCommand("help", []string{"mattermost-setup"}, &out, &errs); code != 0 || !strings.Contains(out.String(), "usage: threadesk mattermost-setup") {
		t.Errorf("threadesk help mattermost-setup: exit %d, %q", code, out.String())
	}
}

// TestMattermostSetupNamesEveryMissingSetting runs the setup with nothing set: it names every
// required setting at once, and contacts no server.
func TestMattermostSetupNamesEveryMissingSetting(t *testing.T) {
	clearEnv(t)
	t.Setenv("MATTERMOST_TEAM", "  ") // blank counts as unset
	var out, errs bytes.Buffer
	if code := runCommand("mattermost-setup", nil, &out, &errs); code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, errs.String())
	}
	for _, want := range []string{"MATTERMOST_URL", "MATTERMOST_ADMIN_TOKEN", "MATTERMOST_TEAM", "MATTERMOST_TRIAGE_CHANNEL", "PUBLIC_URL", "Nothing was changed"} {
		if !strings.Contains(errs.String(), want) {
			t.Errorf("error does not name %s:\n%s", want, errs.String())
		}
	}
	if strings.Contains(errs.String(), "envconfig") {
		t.Errorf("error shows envconfig's internals:\n%s", errs.String())
	}
	if out.Len() != 0 {
		t.Errorf("printed settings although nothing was set up: %q", out.String())
	}
}

// TestMattermostSetupRefusesArguments checks that the setup takes no arguments or unknown
// flags, and says how to get its usage.
func TestMattermostSetupRefusesArguments(t *testing.T) {
	for _, args := range [][]string{{"--dry-run"}, {"now"}} {
		var out, errs bytes.Buffer
		if code := runCommand("mattermost-setup", args, &out, &errs); code != 2 || !strings.Contains(errs.String(), "mattermost-setup -h") {
			t.Errorf("mattermost-setup %q: exit %d, %q", args, code, errs.String())
		}
	}
}

package slack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gopkg.in/yaml.v2"

	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

// TestManifest checks the app manifest against what the adapter does: /desk escapes mentions
// (so "assign 12 @ann" carries ann's user ID), every Web API method the adapter calls is
// allowed by one of the bot scopes (per the method reference), and the events it handles are
// subscribed.
func TestManifest(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "manifests", "slack-app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			SlashCommands []struct {
				Command      string `yaml:"command"`
				URL          string `yaml:"url"`
				ShouldEscape bool   `yaml:"should_escape"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				RequestURL string   `yaml:"request_url"`
				BotEvents  []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled    bool   `yaml:"is_enabled"`
				RequestURL string `yaml:"request_url"`
			} `yaml:"interactivity"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/desk" || !m.Features.SlashCommands[0].ShouldEscape ||
		m.Features.SlashCommands[0].URL != "https://YOUR-HOST/slack/commands" {
		t.Errorf("slash commands: got %+v, want /desk at /slack/commands with should_escape: true", m.Features.SlashCommands)
	}
	if m.Settings.Events.RequestURL != "https://YOUR-HOST/slack/events" || !m.Settings.Interactivity.Enabled || m.Settings.Interactivity.RequestURL != "https://YOUR-HOST/slack/interactivity" {
		t.Errorf("request URLs: got %+v", m.Settings)
	}
	for _, ev := range []string{"message.im", "message.channels", "message.groups"} {
		if !slices.Contains(m.Settings.Events.BotEvents, ev) {
			t.Errorf("bot event %s not subscribed", ev)
		}
	}

	methods := []string{
		"auth.test", "conversations.list", "conversations.members", "conversations.open", "conversations.history",
		"conversations.replies", "chat.postMessage", "chat.postEphemeral", "chat.update", "chat.delete",
		"reactions.add", "users.info", "users.list", "views.open", "files.getUploadURLExternal",
		"files.completeUploadExternal", "files.info", "files.delete",
	}
	dir := filepath.Join(slacktest.SpecsDir(t), "slack", "methods")
	for _, method := range methods {
		b, err := os.ReadFile(filepath.Join(dir, method+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var spec struct {
			Scope struct {
				Bot []string `json:"bot"`
			} `json:"scope"`
			NoScope bool `json:"no_scope_required"`
		}
		if err := json.Unmarshal(b, &spec); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if spec.NoScope || len(spec.Scope.Bot) == 0 {
			continue
		}
		if !slices.ContainsFunc(spec.Scope.Bot, func(s string) bool { return slices.Contains(m.OAuth.Scopes.Bot, s) }) {
			t.Errorf("%s needs one of the bot scopes %v; the manifest has %v", method, spec.Scope.Bot, m.OAuth.Scopes.Bot)
		}
	}
	for _, scope := range []string{"channels:read", "groups:read", "users:read", "chat:write.customize"} {
		if !slices.Contains(m.OAuth.Scopes.Bot, scope) {
			t.Errorf("scope %s missing", scope)
		}
	}
}

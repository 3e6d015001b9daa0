package mattermost

import (
	"context"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
)

func TestSetup(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	// The bot account the seed made is another one; Setup makes "helpdesk".
	cfg := SetupConfig{URL: f.URL, AdminToken: adminToken, Team: "support", TriageChannel: "support-triage", PublicURL: "https://desk.example.com/", BotUsername: "helpdesk"}
	ctx := context.Background()

	first, err := Setup(ctx, cfg)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	if !first.CreatedBot || !first.CreatedChannel || !first.CreatedCommand || first.BotToken == "" || first.CommandToken == "" || first.TeamID != w.teamID {
		t.Fatalf("first Setup = %+v", first)
	}
	f.Mu.Lock()
	cmd := f.Commands[first.CommandID]
	inTeam := f.TeamMembers[w.teamID][first.BotUserID]
	inChannel := f.Members[first.TriageChannelID][first.BotUserID]
	f.Mu.Unlock()
	if cmd == nil || cmd.Trigger != "desk" || cmd.URL != "https://desk.example.com/mattermost/command" || cmd.Method != model.CommandMethodPost || cmd.TeamId != w.teamID {
		t.Errorf("command = %+v", cmd)
	}
	if !inTeam || !inChannel {
		t.Errorf("bot in team %v, in channel %v; want both", inTeam, inChannel)
	}

	// The settings Setup prints make a working adapter.
	settings := map[string]string{}
	for _, kv := range first.Settings(cfg) {
		settings[kv[0]] = kv[1]
	}
	acfg := Config{URL: settings["MATTERMOST_URL"], Token: settings["MATTERMOST_TOKEN"], Team: settings["MATTERMOST_TEAM"],
		TriageChannel: settings["MATTERMOST_TRIAGE_CHANNEL"], CommandTokens: ParseCommandTokens(settings["MATTERMOST_COMMAND_TOKEN"]),
		PublicURL: settings["PUBLIC_URL"], Secret: testSecret}
	a := started(t, f, acfg, newIngester())
	if a.BotUserID() != first.BotUserID || a.TriageChannel() != first.TriageChannelID {
		t.Errorf("adapter runs as %s in %s, want %s in %s", a.BotUserID(), a.TriageChannel(), first.BotUserID, first.TriageChannelID)
	}

	// Again, after someone pointed the command elsewhere: everything is reused and repaired.
	f.Mu.Lock()
	f.Commands[first.CommandID].URL = "https://old.example.com/cmd"
	f.Mu.Unlock()
	second, err := Setup(ctx, cfg)
	if err != nil {
		t.Fatalf("second Setup: %v", err)
	}
	if second.CreatedBot || second.CreatedChannel || second.CreatedCommand || second.BotUserID != first.BotUserID || second.CommandToken != first.CommandToken || second.TriageChannelID != first.TriageChannelID {
		t.Errorf("second Setup = %+v, want everything reused", second)
	}
	f.Mu.Lock()
	url := f.Commands[first.CommandID].URL
	n := len(f.Commands)
	f.Mu.Unlock()
	if url != "https://desk.example.com/mattermost/command" || n != 1 {
		t.Errorf("after second Setup: %d commands, URL %s", n, url)
	}
}

func TestSetupErrors(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	base := SetupConfig{URL: f.URL, AdminToken: adminToken, Team: "support", TriageChannel: "triage", PublicURL: "https://desk.example.com"}
	tests := []struct {
		name    string
		edit    func(*SetupConfig)
		wantErr string
	}{
		{"not an admin", func(c *SetupConfig) { c.AdminToken = botToken; c.BotUsername = "helpdesk" }, "create bot"},
		{"name taken by a person", func(c *SetupConfig) { c.BotUsername = w.agent.Username }, "is not a bot"},
		{"unknown team", func(c *SetupConfig) { c.Team = "nope" }, `find team "nope"`},
		{"missing settings", func(c *SetupConfig) { c.PublicURL = "" }, "PUBLIC_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.edit(&cfg)
			_, err := Setup(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Setup error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

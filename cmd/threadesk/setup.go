package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/threadesk/threadesk/internal/mattermost"
)

// setupConfig is what `threadesk mattermost-setup` reads from the environment. Its tags
// describe each setting, like Config's for the desk.
type setupConfig struct {
	URL           string `envconfig:"MATTERMOST_URL" required:"true" desc:"the Mattermost server's URL"`
	AdminToken    string `envconfig:"MATTERMOST_ADMIN_TOKEN" required:"true" desc:"a system admin's personal access token; used for the setup only, never printed"`
	Team          string `envconfig:"MATTERMOST_TEAM" required:"true" desc:"name of the team the desk lives in; the team must exist"`
	TriageChannel string `envconfig:"MATTERMOST_TRIAGE_CHANNEL" required:"true" desc:"name or ID of the triage channel; a name no channel of the team has yet makes a new public channel"`
	PublicURL     string `envconfig:"PUBLIC_URL" required:"true" desc:"where Mattermost reaches Threadesk; the slash command is registered at PUBLIC_URL/mattermost/command"`
	DeskCommand   string `envconfig:"DESK_COMMAND" default:"/desk" desc:"the slash command to register"`
	BotUsername   string `envconfig:"MATTERMOST_BOT_USERNAME" default:"threadesk" desc:"the bot account's username"`
}

func mattermostSetup(out, errs io.Writer) int {
	var c setupConfig
	if err := envconfig.Process("", &c); err != nil {
		fmt.Fprintln(errs, "threadesk mattermost-setup:", err)
		return 2
	}
	for _, s := range [][2]string{{"MATTERMOST_URL", c.URL}, {"MATTERMOST_ADMIN_TOKEN", c.AdminToken},
		{"MATTERMOST_TEAM", c.Team}, {"MATTERMOST_TRIAGE_CHANNEL", c.TriageChannel}, {"PUBLIC_URL", c.PublicURL}} {
		if strings.TrimSpace(s[1]) == "" {
			fmt.Fprintf(errs, "threadesk mattermost-setup: %s is required\n", s[0])
			return 2
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := mattermost.SetupConfig{
		URL: c.URL, AdminToken: c.AdminToken, Team: c.Team, TriageChannel: c.TriageChannel,
		PublicURL: c.PublicURL, BotUsername: c.BotUsername, Command: strings.TrimPrefix(c.DeskCommand, "/"),
	}
	res, err := mattermost.Setup(ctx, cfg)
	if err != nil {
		fmt.Fprintln(errs, "threadesk mattermost-setup:", err)
		return 1
	}
	fmt.Fprintln(out, "# Threadesk is set up on Mattermost. Run it with these settings (and REDIS_URL):")
	for _, kv := range res.Settings(cfg) {
		fmt.Fprintf(out, "%s=%s\n", kv[0], kv[1])
	}
	return 0
}

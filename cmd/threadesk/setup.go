package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/threadesk/threadesk/internal/mattermost"
)

// setupConfig is what `threadesk mattermost-setup` reads from the environment.
type setupConfig struct {
	URL           string `envconfig:"MATTERMOST_URL" required:"true"`
	AdminToken    string `envconfig:"MATTERMOST_ADMIN_TOKEN" required:"true"`
	Team          string `envconfig:"MATTERMOST_TEAM" required:"true"`
	TriageChannel string `envconfig:"MATTERMOST_TRIAGE_CHANNEL" required:"true"`
	PublicURL     string `envconfig:"PUBLIC_URL" required:"true"`
	DeskCommand   string `envconfig:"DESK_COMMAND" default:"/desk"`
	BotUsername   string `envconfig:"MATTERMOST_BOT_USERNAME" default:"threadesk"`
}

const usage = `usage: threadesk [command]

With no command, threadesk runs the support desk (settings come from the environment; see the
README). Commands:

  mattermost-setup   with MATTERMOST_URL, MATTERMOST_ADMIN_TOKEN (a system admin's personal
                     access token), MATTERMOST_TEAM, MATTERMOST_TRIAGE_CHANNEL and PUBLIC_URL:
                     create or reuse the bot account and its token, add it to the team and the
                     triage channel, register the slash command, and print the settings to use
  help               show this text
`

// subcommand runs a command given on the command line and returns the exit status.
func subcommand(name string, args []string) int {
	switch name {
	case "mattermost-setup":
		return mattermostSetup(os.Stdout, os.Stderr)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return 0
	}
	fmt.Fprintf(os.Stderr, "threadesk: unknown command %q\n\n%s", name, usage)
	return 2
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

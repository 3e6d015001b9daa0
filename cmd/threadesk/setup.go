package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/threadesk/threadesk/internal/mattermost"
)

// setupConfig is what `threadesk mattermost-setup` reads from the environment. Its tags are
// the table its help prints, like Config's for the desk.
type setupConfig struct {
	URL           string `envconfig:"MATTERMOST_URL" required:"true" desc:"the Mattermost server's URL"`
	AdminToken    string `envconfig:"MATTERMOST_ADMIN_TOKEN" required:"true" desc:"a system admin's personal access token; used for the setup only, never printed"`
	Team          string `envconfig:"MATTERMOST_TEAM" required:"true" desc:"name of the team the desk lives in; the team must exist"`
	TriageChannel string `envconfig:"MATTERMOST_TRIAGE_CHANNEL" required:"true" desc:"name or ID of the triage channel; a name no channel of the team has yet makes a new public channel"`
	PublicURL     string `envconfig:"PUBLIC_URL" required:"true" desc:"where Mattermost reaches Threadesk; the slash command is registered at PUBLIC_URL/mattermost/command"`
	DeskCommand   string `envconfig:"DESK_COMMAND" default:"/desk" desc:"the slash command to register"`
	BotUsername   string `envconfig:"MATTERMOST_BOT_USERNAME" default:"threadesk" desc:"the bot account's username"`
}

// mattermostPrerequisites are the server settings a system admin must switch on before
// mattermost-setup and Threadesk can work: the setup does not change the server's
// configuration. Its help lists them, and the README's Install on Mattermost names each one (a
// test holds it to that).
var mattermostPrerequisites = []struct{ setting, what string }{
	{"ServiceSettings.EnableUserAccessTokens",
		"System Console → Integrations → Integration Management → Enable Personal Access Tokens: the admin's token and the bot's are personal access tokens"},
	{"ServiceSettings.EnableBotAccountCreation",
		"System Console → Integrations → Bot Accounts → Enable Bot Account Creation: needed while the bot account does not exist yet"},
	{"ServiceSettings.EnableCommands",
		"System Console → Integrations → Integration Management → Enable Custom Slash Commands: the desk's command is one"},
	{"ServiceSettings.AllowedUntrustedInternalConnections",
		"System Console → Environment → Developer → Allow untrusted internal connections to: when PUBLIC_URL's host is a private or loopback address, list that host here, or Mattermost refuses to call the slash command, the buttons and the dialogs"},
}

const setupUsageHead = `usage: threadesk mattermost-setup

Sets Threadesk up on a Mattermost server with a system admin's personal access token, and
prints the settings to run Threadesk with. It takes no arguments; it reads the environment:

`

const setupUsageDoes = `
What it does (running it again is safe; each run makes the bot a new token):
  - checks the admin token and finds the team;
  - creates the bot account, or reuses it (enabling it again if it was disabled), and gives
    it a new personal access token;
  - adds the bot to the team and to the triage channel, creating that channel (public) when
    the team has no channel of that name;
  - registers the slash command DESK_COMMAND to POST to PUBLIC_URL/mattermost/command, or
    points an existing command of that name there;
  - prints MATTERMOST_URL, MATTERMOST_TOKEN, MATTERMOST_TEAM, MATTERMOST_TRIAGE_CHANNEL,
    MATTERMOST_COMMAND_TOKEN and PUBLIC_URL for Threadesk.

What it does not do:
  - create the team, add agents to the triage channel (its members are the agents), revoke
    the bot's earlier tokens, or start Threadesk and Redis;
  - change the server's configuration. A system admin switches these on first:
`

// printSetupUsage writes `threadesk mattermost-setup -h`.
func printSetupUsage(w io.Writer) {
	fmt.Fprint(w, setupUsageHead)
	printSettings(w, settingDocs(setupConfig{}))
	fmt.Fprint(w, setupUsageDoes)
	for _, p := range mattermostPrerequisites {
		fmt.Fprintf(w, "      %s\n", p.setting)
		for _, line := range wrap(p.what, 100-10) {
			fmt.Fprintf(w, "          %s\n", line)
		}
	}
}

// mattermostSetup runs `threadesk mattermost-setup args…` and returns the exit status.
func mattermostSetup(args []string, out, errs io.Writer) int {
	fs := flag.NewFlagSet("mattermost-setup", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported below, in our words
	fs.Usage = func() {}
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		printSetupUsage(out)
		return 0
	case err != nil:
		fmt.Fprintf(errs, "threadesk mattermost-setup: %v; threadesk mattermost-setup -h shows its usage\n", err)
		return 2
	case fs.NArg() > 0:
		fmt.Fprintf(errs, "threadesk mattermost-setup: takes no arguments (settings come from the environment), got %q; threadesk mattermost-setup -h shows its usage\n", fs.Args())
		return 2
	}

	var c setupConfig
	problems := readEnv(&c)
	for _, u := range []struct{ setting, value string }{{"MATTERMOST_URL", c.URL}, {"PUBLIC_URL", c.PublicURL}} {
		if text := httpURLProblem(u.setting, u.value); text != "" {
			problems = append(problems, problem{u.setting, text})
		}
	}
	if !strings.HasPrefix(c.DeskCommand, "/") || len(c.DeskCommand) < 2 {
		problems = append(problems, problem{"DESK_COMMAND", fmt.Sprintf("DESK_COMMAND=%q is not a slash command: write one such as /desk, or unset it", c.DeskCommand)})
	}
	if len(problems) > 0 {
		fmt.Fprintf(errs, "threadesk mattermost-setup: %v\nNothing was changed on the server.\n", settingsError{problems, "threadesk mattermost-setup -h"})
		return 2
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
		fmt.Fprintln(errs, "If the server refused, check the settings a system admin must switch on first: threadesk mattermost-setup -h lists them.")
		return 1
	}
	fmt.Fprintln(out, "# Threadesk is set up on Mattermost. Run it with these settings (and REDIS_URL):")
	for _, kv := range res.Settings(cfg) {
		fmt.Fprintf(out, "%s=%s\n", kv[0], kv[1])
	}
	return 0
}

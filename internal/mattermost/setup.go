package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// SetupConfig is what `threadesk mattermost-setup` needs: an administrator's token and where
// the desk should live. Setup does the clicking an operator would otherwise do in the System
// Console.
type SetupConfig struct {
	URL           string // MATTERMOST_URL
	AdminToken    string // a system administrator's personal access token
	Team          string // team name
	TriageChannel string // channel name or ID; a missing channel (by name) is created
	PublicURL     string // PUBLIC_URL, where Mattermost sends the slash command

	BotUsername    string // default "threadesk"
	BotDisplayName string // default "Threadesk"
	Command        string // slash command trigger without "/", default "desk"

	HTTPClient *http.Client // nil uses a client with a 30 s timeout
}

// SetupResult is what Setup made or found, ready to be printed as settings.
type SetupResult struct {
	BotUserID       string
	BotToken        string // a new personal access token of the bot: MATTERMOST_TOKEN
	TeamID          string
	TriageChannelID string
	CommandID       string
	CommandToken    string // MATTERMOST_COMMAND_TOKEN
	CreatedBot      bool
	CreatedChannel  bool
	CreatedCommand  bool
}

// Settings returns the environment settings the app needs, in a stable order, to print as
// NAME=value lines.
func (r SetupResult) Settings(cfg SetupConfig) [][2]string {
	return [][2]string{
		{"MATTERMOST_URL", strings.TrimRight(cfg.URL, "/")},
		{"MATTERMOST_TOKEN", r.BotToken},
		{"MATTERMOST_TEAM", cfg.Team},
		{"MATTERMOST_TRIAGE_CHANNEL", r.TriageChannelID},
		{"MATTERMOST_COMMAND_TOKEN", r.CommandToken},
		{"PUBLIC_URL", strings.TrimRight(cfg.PublicURL, "/")},
	}
}

// Setup creates or reuses the bot account, gives it a new access token, adds it to the team
// and the triage channel, and registers (or updates) the slash command to POST to
// PUBLIC_URL/mattermost/command. Running it again is safe; it only makes a new bot token.
func Setup(ctx context.Context, cfg SetupConfig) (SetupResult, error) {
	var res SetupResult
	if cfg.URL == "" || cfg.AdminToken == "" || cfg.Team == "" || cfg.TriageChannel == "" || cfg.PublicURL == "" {
		return res, errors.New("mattermost setup needs the server URL, an admin token, the team, the triage channel and PUBLIC_URL")
	}
	if cfg.BotUsername == "" {
		cfg.BotUsername = "threadesk"
	}
	if cfg.BotDisplayName == "" {
		cfg.BotDisplayName = "Threadesk"
	}
	cfg.Command = strings.TrimPrefix(cfg.Command, "/")
	if cfg.Command == "" {
		cfg.Command = "desk"
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	c := model.NewAPIv4Client(strings.TrimRight(cfg.URL, "/"))
	copied := *hc
	copied.Transport = jsonContentType{base: hc.Transport}
	c.HTTPClient = &copied
	c.SetToken(cfg.AdminToken)

	if _, resp, err := c.GetMe(ctx, ""); err != nil {
		return res, fmt.Errorf("check the admin token: %w", deliveryError("users.me", resp, err))
	}
	team, resp, err := c.GetTeamByName(ctx, cfg.Team, "")
	if err != nil {
		return res, fmt.Errorf("find team %q: %w", cfg.Team, deliveryError("teams.name", resp, err))
	}
	res.TeamID = team.Id

	if err := setupBot(ctx, c, cfg, &res); err != nil {
		return res, err
	}
	tok, resp, err := c.CreateUserAccessToken(ctx, res.BotUserID, "threadesk", 0)
	if err != nil {
		return res, fmt.Errorf("create an access token for the bot: %w", deliveryError("users.tokens", resp, err))
	}
	res.BotToken = tok.Token

	if _, resp, err := c.AddTeamMember(ctx, team.Id, res.BotUserID); err != nil {
		return res, fmt.Errorf("add the bot to team %q: %w", cfg.Team, deliveryError("teams.members", resp, err))
	}
	if err := setupChannel(ctx, c, cfg, &res); err != nil {
		return res, err
	}
	if _, resp, err := c.AddChannelMember(ctx, res.TriageChannelID, res.BotUserID); err != nil {
		return res, fmt.Errorf("add the bot to the triage channel: %w", deliveryError("channels.members", resp, err))
	}
	if err := setupCommand(ctx, c, cfg, &res); err != nil {
		return res, err
	}
	return res, nil
}

func setupBot(ctx context.Context, c *model.Client4, cfg SetupConfig, res *SetupResult) error {
	u, resp, err := c.GetUserByUsername(ctx, cfg.BotUsername, "")
	switch {
	case err == nil && !u.IsBot:
		return fmt.Errorf("user %q exists and is not a bot; choose another bot name", cfg.BotUsername)
	case err == nil:
		res.BotUserID = u.Id
		bot, resp, err := c.GetBot(ctx, u.Id, "")
		if err != nil {
			return fmt.Errorf("read bot %q: %w", cfg.BotUsername, deliveryError("bots.get", resp, err))
		}
		if bot.DeleteAt != 0 {
			if _, resp, err := c.EnableBot(ctx, u.Id); err != nil {
				return fmt.Errorf("enable bot %q: %w", cfg.BotUsername, deliveryError("bots.enable", resp, err))
			}
		}
		return nil
	case resp == nil || resp.StatusCode != http.StatusNotFound:
		return fmt.Errorf("look up user %q: %w", cfg.BotUsername, deliveryError("users.username", resp, err))
	}
	bot, resp, err := c.CreateBot(ctx, &model.Bot{
		Username:    cfg.BotUsername,
		DisplayName: cfg.BotDisplayName,
		Description: "Support desk: DM it for help; agents answer in the triage channel.",
	})
	if err != nil {
		return fmt.Errorf("create bot %q: %w", cfg.BotUsername, deliveryError("bots.create", resp, err))
	}
	res.BotUserID, res.CreatedBot = bot.UserId, true
	return nil
}

func setupChannel(ctx context.Context, c *model.Client4, cfg SetupConfig, res *SetupResult) error {
	if idPattern.MatchString(cfg.TriageChannel) {
		if ch, _, err := c.GetChannel(ctx, cfg.TriageChannel); err == nil && ch.TeamId == res.TeamID {
			res.TriageChannelID = ch.Id
			return nil
		}
	}
	ch, resp, err := c.GetChannelByName(ctx, cfg.TriageChannel, res.TeamID, "")
	if err == nil {
		res.TriageChannelID = ch.Id
		return nil
	}
	if resp == nil || resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("find channel %q: %w", cfg.TriageChannel, deliveryError("channels.name", resp, err))
	}
	ch, resp, err = c.CreateChannel(ctx, &model.Channel{
		TeamId:      res.TeamID,
		Name:        cfg.TriageChannel,
		DisplayName: cfg.TriageChannel,
		Type:        model.ChannelTypeOpen,
		Purpose:     "Support tickets: one thread per request.",
	})
	if err != nil {
		return fmt.Errorf("create channel %q: %w", cfg.TriageChannel, deliveryError("channels.create", resp, err))
	}
	res.TriageChannelID, res.CreatedChannel = ch.Id, true
	return nil
}

func setupCommand(ctx context.Context, c *model.Client4, cfg SetupConfig, res *SetupResult) error {
	url := strings.TrimRight(cfg.PublicURL, "/") + "/mattermost/command"
	cmds, resp, err := c.ListCommands(ctx, res.TeamID, true)
	if err != nil {
		return fmt.Errorf("list slash commands: %w", deliveryError("commands.list", resp, err))
	}
	for _, cmd := range cmds {
		if cmd.Trigger != cfg.Command || cmd.DeleteAt != 0 {
			continue
		}
		if cmd.URL != url || cmd.Method != model.CommandMethodPost {
			cmd.URL, cmd.Method = url, model.CommandMethodPost
			if cmd, resp, err = c.UpdateCommand(ctx, cmd); err != nil {
				return fmt.Errorf("update /%s: %w", cfg.Command, deliveryError("commands.update", resp, err))
			}
		}
		res.CommandID, res.CommandToken = cmd.Id, cmd.Token
		return nil
	}
	cmd, resp, err := c.CreateCommand(ctx, &model.Command{
		TeamId:           res.TeamID,
		Trigger:          cfg.Command,
		Method:           model.CommandMethodPost,
		URL:              url,
		DisplayName:      cfg.BotDisplayName,
		Description:      "Support desk commands",
		AutoComplete:     true,
		AutoCompleteDesc: "Support desk: status, list, show, claim, resolve, help",
		AutoCompleteHint: "[help]",
		Username:         cfg.BotUsername,
	})
	if err != nil {
		return fmt.Errorf("create /%s: %w", cfg.Command, deliveryError("commands.create", resp, err))
	}
	res.CommandID, res.CommandToken, res.CreatedCommand = cmd.Id, cmd.Token, true
	return nil
}

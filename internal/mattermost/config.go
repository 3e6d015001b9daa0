package mattermost

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config is what the adapter needs to know about one Mattermost installation. The lead's
// envconfig struct fills it from the MATTERMOST_* settings and PUBLIC_URL.
type Config struct {
	// URL is the server's address (MATTERMOST_URL), e.g. https://chat.example.com.
	URL string
	// Token is the bot account's access token (MATTERMOST_TOKEN).
	Token string
	// Team is the name of the team the triage channel is in (MATTERMOST_TEAM).
	Team string
	// TriageChannel is the triage channel's name or ID in Team (MATTERMOST_TRIAGE_CHANNEL).
	TriageChannel string
	// CommandTokens are the tokens Mattermost sends with the slash command
	// (MATTERMOST_COMMAND_TOKEN, comma-separated); a command request with none of them is
	// refused.
	CommandTokens []string
	// PublicURL is where Mattermost reaches the app (PUBLIC_URL); button and dialog callbacks
	// point at PublicURL + "/mattermost/actions" and "/mattermost/dialogs".
	PublicURL string
	// Secret signs the context of buttons and the state of dialogs, so that a request to the
	// action or dialog endpoint that the app did not cause is refused. At least 32 bytes.
	Secret []byte

	// PostRate and PostBurst are the pacing the core applies per channel (Limits). Mattermost's
	// API rate limit defaults to 10 requests per second per token. Zero means the default, a
	// negative rate no pacing.
	PostRate  float64
	PostBurst int
	// MaxText is the longest post in runes; Mattermost allows 16383.
	MaxText int

	// SkipNamePrefix leaves the "**Name:**" prefix out of relayed messages. Set it when the
	// server shows override_username (ServiceSettings.EnablePostUsernameOverride), which
	// already shows the author's name.
	SkipNamePrefix bool
	// CommandAck, when set, is the ephemeral text the slash command request is answered with
	// at once; the core's real answer follows through the command's response URL.
	CommandAck string
	// CatchUpOverlap is how far before the saved high-water mark a catch-up starts reading,
	// to cover posts whose events arrived out of order. Default 30 s.
	CatchUpOverlap time.Duration
	// ReconnectMin and ReconnectMax bound the back-off between WebSocket reconnects.
	// Defaults 1 s and 1 min.
	ReconnectMin, ReconnectMax time.Duration
}

// The defaults applied by New to zero values.
const (
	DefaultPostRate       = 10
	DefaultPostBurst      = 10
	DefaultMaxText        = 16383
	DefaultCatchUpOverlap = 30 * time.Second
	MinSecretLen          = 32
)

// ParseCommandTokens splits the MATTERMOST_COMMAND_TOKEN setting into its tokens.
func ParseCommandTokens(s string) []string {
	var out []string
	for t := range strings.SplitSeq(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func (c *Config) validate() error {
	var errs []error
	if _, err := url.ParseRequestURI(c.URL); err != nil || c.URL == "" {
		errs = append(errs, fmt.Errorf("MATTERMOST_URL %q is not a URL", c.URL))
	}
	if c.Token == "" {
		errs = append(errs, errors.New("MATTERMOST_TOKEN is empty"))
	}
	if c.Team == "" {
		errs = append(errs, errors.New("MATTERMOST_TEAM is empty"))
	}
	if c.TriageChannel == "" {
		errs = append(errs, errors.New("MATTERMOST_TRIAGE_CHANNEL is empty"))
	}
	if len(c.Secret) < MinSecretLen {
		errs = append(errs, fmt.Errorf("the action secret has %d bytes, want at least %d", len(c.Secret), MinSecretLen))
	}
	if c.PublicURL == "" {
		errs = append(errs, errors.New("PUBLIC_URL is empty: Mattermost could not call back buttons and dialogs"))
	}
	return errors.Join(errs...)
}

func (c *Config) defaults() {
	c.URL = strings.TrimRight(c.URL, "/")
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.PostRate == 0 {
		c.PostRate = DefaultPostRate
	}
	if c.PostBurst == 0 {
		c.PostBurst = DefaultPostBurst
	}
	if c.MaxText == 0 {
		c.MaxText = DefaultMaxText
	}
	if c.CatchUpOverlap == 0 {
		c.CatchUpOverlap = DefaultCatchUpOverlap
	}
	if c.ReconnectMin == 0 {
		c.ReconnectMin = time.Second
	}
	if c.ReconnectMax == 0 {
		c.ReconnectMax = time.Minute
	}
}

package mattermost

import (
	"context"
	"net/url"
	"strings"
)

// Permalink is a post's address in Mattermost's web app: MATTERMOST_URL/<team>/pl/<post ID>,
// which Mattermost redirects to the post in its channel and thread. It needs no API call: the
// post ID alone names the post across the server.
func (a *Adapter) Permalink(ctx context.Context, channel, messageID string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return strings.TrimSuffix(a.cfg.URL, "/") + "/" + url.PathEscape(a.cfg.Team) + "/pl/" + url.PathEscape(messageID), nil
}

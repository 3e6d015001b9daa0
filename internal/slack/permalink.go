package slack

import (
	"context"

	slackgo "github.com/slack-go/slack"
)

// Permalink asks Slack for a message's address (chat.getPermalink), which knows the
// workspace's own domain (and Enterprise Grid's, and GovSlack's) better than any URL the app
// could build from the channel and ts.
func (a *Adapter) Permalink(ctx context.Context, channel, messageID string) (string, error) {
	link, err := a.api.GetPermalinkContext(ctx, &slackgo.PermalinkParameters{Channel: channel, Ts: messageID})
	if err != nil {
		return "", deliveryError("chat.getPermalink", err)
	}
	return link, nil
}

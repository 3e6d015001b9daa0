package slack

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/threadesk/threadesk/internal/desk"
)

// membersTTL is how long the triage channel's member list is trusted. Someone who just joined
// the channel waits at most this long to be recognised as an agent.
const membersTTL = time.Minute

// agents caches the triage channel's members: the agents.
type agents struct {
	mu      sync.Mutex
	members map[string]bool
	at      time.Time
}

// mention matches Slack's escaped user mention, as slash commands with escaping send it:
// <@U123ABC> or <@U123ABC|jane>.
var mention = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$`)

// userID matches a bare Slack user ID.
var userID = regexp.MustCompile(`^[UW][A-Z0-9]{6,}$`)

// FindUser resolves a mention (<@U123>), a user ID or a handle (@jane, jane) to the user.
// Handles are looked up in users.list, matching the user name or display name.
func (a *Adapter) FindUser(ctx context.Context, handle string) (desk.User, error) {
	handle = strings.TrimSpace(handle)
	if m := mention.FindStringSubmatch(handle); m != nil {
		return a.UserInfo(ctx, m[1])
	}
	if userID.MatchString(handle) {
		return a.UserInfo(ctx, handle)
	}
	name := strings.ToLower(strings.TrimPrefix(handle, "@"))
	if name == "" {
		return desk.User{}, fmt.Errorf("find user %q: %w", handle, desk.ErrNotFound)
	}
	p := a.api.GetUsersPaginated(slackgo.GetUsersOptionLimit(200))
	for {
		var err error
		p, err = p.Next(ctx)
		if p.Done(err) {
			break
		}
		if err != nil {
			return desk.User{}, deliveryError("users.list", err)
		}
		for _, u := range p.Users {
			if !u.Deleted && (strings.ToLower(u.Name) == name || strings.ToLower(u.Profile.DisplayName) == name) {
				return a.UserInfo(ctx, u.ID)
			}
		}
	}
	return desk.User{}, fmt.Errorf("find user %q: %w", handle, desk.ErrNotFound)
}

// InTriage reports whether the user is a member of the triage channel.
func (a *Adapter) InTriage(ctx context.Context, user string) (bool, error) {
	a.agents.mu.Lock()
	defer a.agents.mu.Unlock()
	if a.agents.members == nil || a.clock().Now().Sub(a.agents.at) > membersTTL {
		members := make(map[string]bool)
		params := &slackgo.GetUsersInConversationParameters{ChannelID: a.TriageChannel(), Limit: 1000}
		for {
			ids, cursor, err := a.api.GetUsersInConversationContext(ctx, params)
			if err != nil {
				return false, deliveryError("conversations.members", err)
			}
			for _, id := range ids {
				members[id] = true
			}
			if cursor == "" {
				break
			}
			params.Cursor = cursor
		}
		a.agents.members, a.agents.at = members, a.clock().Now()
	}
	return a.agents.members[user], nil
}

package mattermost

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
)

type cachedUser struct {
	user desk.User
	at   time.Time
}

// userTTL is how long a looked-up user's name and picture are reused.
const userTTL = 10 * time.Minute

// UserInfo returns a user's handle, display name and picture, cached for a few minutes.
func (a *Adapter) UserInfo(ctx context.Context, userID string) (desk.User, error) {
	a.mu.Lock()
	c, ok := a.users[userID]
	a.mu.Unlock()
	if ok && a.clock.Now().Sub(c.at) < userTTL {
		return c.user, nil
	}
	u, resp, err := a.client.GetUser(ctx, userID, "")
	if err != nil {
		return desk.User{}, deliveryError("users.get", resp, err)
	}
	du := a.deskUser(u)
	a.mu.Lock()
	a.users[userID] = cachedUser{user: du, at: a.clock.Now()}
	a.mu.Unlock()
	return du, nil
}

func (a *Adapter) deskUser(u *model.User) desk.User {
	display := u.Nickname
	if display == "" {
		display = strings.TrimSpace(u.FirstName + " " + u.LastName)
	}
	if display == "" {
		display = u.Username
	}
	return desk.User{
		ID:          u.Id,
		Name:        u.Username,
		DisplayName: display,
		AvatarURL:   a.cfg.URL + "/api/v4/users/" + u.Id + "/image",
		// Mattermost has no profile page; this opens a conversation with the person.
		ProfileURL: a.cfg.URL + "/" + a.cfg.Team + "/messages/@" + u.Username,
		IsBot:      u.IsBot,
		Locale:     u.Locale,
		TimeZone:   u.GetPreferredTimezone(),
	}
}

// FindUser resolves what someone typed to name a person, "@jane" or "jane" (or a user ID),
// to that user.
func (a *Adapter) FindUser(ctx context.Context, handle string) (desk.User, error) {
	name := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(handle), "@"))
	if name == "" {
		return desk.User{}, fmt.Errorf("find user %q: %w", handle, desk.ErrNotFound)
	}
	if idPattern.MatchString(name) {
		if u, err := a.UserInfo(ctx, name); err == nil {
			return u, nil
		}
	}
	u, resp, err := a.client.GetUserByUsername(ctx, name, "")
	if err != nil {
		return desk.User{}, deliveryError("users.username", resp, err)
	}
	return a.deskUser(u), nil
}

// InTriage reports whether a user is a member of the triage channel.
func (a *Adapter) InTriage(ctx context.Context, userID string) (bool, error) {
	_, resp, err := a.client.GetChannelMember(ctx, a.triageID, userID, "")
	switch {
	case err == nil:
		return true, nil
	case resp != nil && resp.StatusCode == http.StatusNotFound:
		return false, nil
	}
	return false, deliveryError("channels.members", resp, err)
}

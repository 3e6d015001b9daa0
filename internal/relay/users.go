package relay

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// userCache remembers what platforms told about users for a while, so that relaying a
// message does not cost a user lookup every time.
type userCache struct {
	ttl   time.Duration
	clock desk.Clock

	mu    sync.Mutex
	users map[string]cachedUser
}

type cachedUser struct {
	user    desk.User
	expires time.Time
}

// who completes what an event says about its author (often only an ID) with the platform's
// profile. A failed lookup is no reason to hold a message back: the ID is shown instead.
func (r *Relay) who(ctx context.Context, p desk.Platform, u desk.User) desk.User {
	if u.DisplayName != "" {
		return u
	}
	key := p.Name() + "\x00" + u.ID
	c := &r.users
	c.mu.Lock()
	cu, ok := c.users[key]
	c.mu.Unlock()
	if ok && c.clock.Now().Before(cu.expires) {
		return cu.user
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	info, err := p.UserInfo(ctx, u.ID)
	if err != nil {
		r.log.Warn("look up user", "platform", p.Name(), "user", u.ID, "err", err)
		return u
	}
	c.mu.Lock()
	if c.users == nil {
		c.users = make(map[string]cachedUser)
	}
	c.users[key] = cachedUser{user: info, expires: c.clock.Now().Add(c.ttl)}
	c.mu.Unlock()
	return info
}

// isAgent applies the one rule of who is an agent (desk.IsAgent) to u: a person the platform
// counts as a member of the triage channel, and not a bot.
func (r *Relay) isAgent(ctx context.Context, p desk.Platform, u desk.User) (bool, error) {
	in, err := p.InTriage(ctx, u.ID)
	if err != nil || !in {
		return false, err
	}
	return desk.IsAgent(r.who(ctx, p, u), in), nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

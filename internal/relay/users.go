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

// maxUsers bounds the cache: a desk answers far more distinct customers than it needs to
// remember at once. Past it, adding one first drops the expired entries, then, if the cache is
// still full, a tenth of it (any: an entry dropped is looked up again when needed).
const maxUsers = 10_000

// put remembers u under key until the cache's ttl from now. c.mu is held.
func (c *userCache) put(key string, u desk.User, now time.Time) {
	if c.users == nil {
		c.users = make(map[string]cachedUser)
	}
	if _, ok := c.users[key]; !ok && len(c.users) >= maxUsers {
		for k, cu := range c.users {
			if !now.Before(cu.expires) {
				delete(c.users, k)
			}
		}
		for k := range c.users {
			if len(c.users) < maxUsers*9/10 {
				break
			}
			delete(c.users, k)
		}
	}
	c.users[key] = cachedUser{user: u, expires: now.Add(c.ttl)}
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
	c.put(key, info, c.clock.Now())
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

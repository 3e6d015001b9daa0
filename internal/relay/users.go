package relay

import (
	"context"
	"strconv"
	"strings"
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
		return safeNames(u)
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
		return safeNames(u)
	}
	info = safeNames(info)
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

// safeNames makes a person's names safe to write wherever they are shown: a customer who calls
// themselves "@here" or "<!channel>" must not ping the triage channel with every message, nor
// one called "[pay here](http://…)" show agents a link.
func safeNames(u desk.User) desk.User {
	u.Name, u.DisplayName = safeName(u.Name), safeName(u.DisplayName)
	return u
}

// nameMarkup breaks what would make a name a link: Markdown's "[text](url)", Slack's <url|text>,
// and a bare scheme that clients turn into a link.
var nameMarkup = strings.NewReplacer("](", "]"+wordJoiner+"(", "<", "‹", ">", "›", "://", ":"+wordJoiner+"//")

func safeName(name string) string { return nameMarkup.Replace(Defang(name)) }

// maxNamedMentions bounds the user lookups one text may cost.
const maxNamedMentions = 10

// safeText is a text made safe to relay (see Defang), with the people it mentions by ID only
// (Slack's <@U123>) shown by name, so that the other side reads "@Ann" rather than "@U123".
func (r *Relay) safeText(ctx context.Context, p desk.Platform, text string) string {
	if !strings.Contains(text, "<@") {
		return Defang(text)
	}
	names := map[string]string{}
	text = userMention.ReplaceAllStringFunc(text, func(m string) string {
		sub := userMention.FindStringSubmatch(m)
		if sub[2] != "" {
			return m // it carries its label
		}
		name, ok := names[sub[1]]
		if !ok {
			if len(names) >= maxNamedMentions {
				return m
			}
			if u := r.who(ctx, p, desk.User{ID: sub[1]}); u.Label() != u.ID {
				name = u.Label()
			}
			names[sub[1]] = name
		}
		if name == "" {
			return m
		}
		return "<@" + sub[1] + "|" + strings.ReplaceAll(name, ">", "") + ">"
	})
	return Defang(text)
}

package relay

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// dashboardCommand answers /desk dashboard with a private sign-in link, recorded with the
// answer (a link is never shown that does not work), and /desk dashboard revoke @agent (leads)
// by ending every session of that person.
func (r *Relay) dashboardCommand(ctx context.Context, p desk.Platform, q desk.Queued, who desk.User, args []string, usage func() error) (decision, error) {
	var d decision
	answer := func(text string) (decision, error) {
		if t, ok := r.answer(ctx, p, q.Event, text); ok {
			d.task(t)
		}
		return d, nil
	}
	if r.opts.DashboardURL == "" {
		return answer(r.text().Text(catalog.DashboardOff, nil))
	}
	switch {
	case len(args) == 0:
		token, err := newToken()
		if err != nil {
			return d, err
		}
		d.change(desk.PutSignin{Token: token, Person: desk.Person{Platform: p.Name(), UserID: who.ID, Name: who.Label()}})
		link := strings.TrimSuffix(r.opts.DashboardURL, "/") + "/signin?token=" + url.QueryEscape(token)
		return answer(r.text().Text(catalog.DashboardLink, map[string]any{"URL": link}))
	case len(args) == 2 && strings.EqualFold(args[0], "revoke"):
		if !r.isLead(who) {
			return d, r.refuse(catalog.NotALead, map[string]any{"Command": r.opts.Command + " dashboard revoke"})
		}
		u, err := r.findUser(ctx, p, args[1])
		if err != nil {
			return d, err
		}
		d.change(desk.EndSessions{Platform: p.Name(), UserID: u.ID})
		return answer(r.say(quoterFor(p, q.Event), catalog.DashboardRevoked, map[string]any{"User": words(u.Label())}))
	}
	return d, usage()
}

// newToken makes a sign-in token: 32 random bytes, URL-safe.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make sign-in token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Person says who a dashboard user is now, as the chat platform knows them: whether they are
// an agent (a member of the triage channel) and a lead. The dashboard asks at every request, so
// that someone removed from the triage channel loses access at once.
func (r *Relay) Person(ctx context.Context, platform, userID string) (u desk.User, agent, lead bool, err error) {
	p, ok := r.platforms[platform]
	if !ok {
		return desk.User{}, false, false, desk.Errorf(desk.ENOTFOUND, "unknown platform %q", platform)
	}
	u = r.who(ctx, p, desk.User{ID: userID})
	if agent, err = r.isAgent(ctx, p, u); err != nil {
		return u, false, false, fmt.Errorf("check whether %s is an agent: %w", userID, err)
	}
	return u, agent, agent && r.isLead(u), nil
}

// Language is the desk's language as the catalog knows it ("en", "ru"): the policy's
// `language`, read at each call so that a reloaded policy shows at once. The dashboard's pages
// are written in it.
func (r *Relay) Language() string {
	if code, ok := catalog.Match(r.policy().Language); ok {
		return code
	}
	return "en"
}

// Platform is a chat platform the relay serves, by name: the dashboard asks it for a ticket
// thread's link and for the files in a ticket's history.
func (r *Relay) Platform(name string) (desk.Platform, bool) {
	p, ok := r.platforms[name]
	return p, ok
}

package slack

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/markup"
)

// This file is where people's words become safe to post on Slack: Quote for the words the core
// embeds in its own texts, inert for a relayed message, plainName for the name a relayed message
// is shown under.

// Quote implements desk.Platform. Slack's three control characters are escaped (&, <, >), so
// that no <!channel>, <@U…>, <#C…> or <url|text> in s is markup any more and s reads as typed
// wherever Slack shows mrkdwn; a word joiner follows the "@" of a plain @word and goes into a
// web address, so that neither becomes a mention or a link where Slack parses plain text.
// Where the adapter puts a composed text into plain_text instead (a card's header, a form's
// errors), it takes the escaping off again (unquote).
//
// Words from a message or a command come escaped already (Slack sends "a &lt; b" for what
// was typed "a < b"), words from a profile or a form do not: an "&" that starts one of the
// three entities is left as it is, so that either kind reads as typed.
func (a *Adapter) Quote(s string) string { return quote(s) }

// Mention names u in Slack's mention syntax, which notifies them.
func (a *Adapter) Mention(u desk.User) string { return "<@" + u.ID + ">" }

func quote(s string) string {
	s = bareAmpersand.ReplaceAllStringFunc(s, func(m string) string {
		if m == "&" {
			return "&amp;"
		}
		return m
	})
	s = strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s)
	return markup.BreakAutolinks(markup.BreakMentions(s))
}

// bareAmpersand matches every "&", with the entity it starts when it starts one of Slack's.
var bareAmpersand = regexp.MustCompile(`&(?:amp;|lt;|gt;)?`)

// unquote turns a composed text (mrkdwn, people's words quoted) into plain_text, which Slack
// shows as it is: the entities of Slack's escaping become characters again.
var unquote = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace

// Slack's mention markup, as messages carry it: the special mentions <!channel>, <!here> and
// <!everyone> (with or without a |label), a user group <!subteam^S…|@team>, and a user
// <@U…> or <@U…|name>. A mention is also recognised where the text ends before its ">": the
// core splits long messages, and a part may end inside one.
var (
	specialMention = regexp.MustCompile(`<!(channel|here|everyone)(?:\|[^>]*)?(?:>|$)`)
	groupMention   = regexp.MustCompile(`<!subteam\^[A-Za-z0-9]+(?:\|@?([^>]*))?(?:>|$)`)
	userMention    = regexp.MustCompile(`<@([A-Za-z0-9._-]+)(?:\|([^>]*))?(?:>|$)`)
)

// maxNamedMentions bounds the user lookups one relayed message may cost.
const maxNamedMentions = 10

// inert makes a relayed message's text (a person's whole message) inert and keeps the rest of
// its formatting: every special, group and user mention becomes "@", a word joiner and the
// name, so it reads the same but pings nobody. A user mentioned by ID only is shown by their
// name, looked up (and cached) for at most maxNamedMentions people per message and within
// mentionLookup in all; an unknown ID, or one not looked up, stays an ID.
func (a *Adapter) inert(ctx context.Context, text string) string {
	if !strings.Contains(text, "<") {
		return text
	}
	text = specialMention.ReplaceAllStringFunc(text, func(m string) string {
		return markup.Mention(specialMention.FindStringSubmatch(m)[1])
	})
	text = groupMention.ReplaceAllStringFunc(text, func(m string) string {
		name := groupMention.FindStringSubmatch(m)[1]
		if name == "" {
			name = "group"
		}
		return markup.Mention(name)
	})
	if !strings.Contains(text, "<@") {
		return text
	}
	ctx, cancel := context.WithTimeout(ctx, mentionLookup)
	defer cancel()
	looked := 0
	return userMention.ReplaceAllStringFunc(text, func(m string) string {
		sub := userMention.FindStringSubmatch(m)
		if sub[2] != "" {
			return markup.Mention(sub[2]) // it carries its label
		}
		name, known := a.names.get(sub[1], a.clock().Now())
		if !known && looked < maxNamedMentions {
			looked++
			name = a.mentionName(ctx, sub[1])
		}
		if name == "" {
			return markup.Mention(sub[1])
		}
		// A name is what its owner chose: quoted, so that it cannot bring markup of its own.
		return markup.Mention(quote(name))
	})
}

// plainName is a person's name as a relayed message shows it under (chat.postMessage's
// username): plain text for Slack, which never parses it, and still written to ping nobody
// and link nowhere should a client ever do.
func plainName(label string) string {
	label = specialMention.ReplaceAllStringFunc(label, func(m string) string {
		return markup.Mention(specialMention.FindStringSubmatch(m)[1])
	})
	return markup.BreakAutolinks(markup.BreakMentions(label))
}

// mentionTTL is how long a mentioned person's name is reused, and mentionLookup how long
// looking up the people one message mentions may take.
const (
	mentionTTL    = 10 * time.Minute
	mentionLookup = 5 * time.Second
)

// mentionName looks up the name to show for a user mentioned by ID, remembering it (and that
// nobody has the ID) for mentionTTL. It returns "" when the name is not to be had: the ID is
// shown then.
func (a *Adapter) mentionName(ctx context.Context, id string) string {
	u, err := a.UserInfo(ctx, id)
	switch {
	case err == nil:
		name := u.Label()
		if name == u.ID {
			name = ""
		}
		a.names.put(id, name, a.clock().Now())
		return name
	case errors.Is(err, desk.ErrNotFound):
		a.names.put(id, "", a.clock().Now())
	default:
		a.log.WarnContext(ctx, "look up a mentioned user", "user", id, "err", err)
	}
	return ""
}

// mentionNames caches the names of people mentioned by ID in relayed messages.
type mentionNames struct {
	mu    sync.Mutex
	names map[string]cachedName
}

type cachedName struct {
	name    string // "" when nobody has the ID
	expires time.Time
}

// get returns the cached name of id, and whether there is one still valid at now.
func (c *mentionNames) get(id string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.names[id]
	if !ok || !now.Before(n.expires) {
		return "", false
	}
	return n.name, true
}

// put remembers the name of id from now for mentionTTL. A full cache forgets what has
// expired, or else everything.
func (c *mentionNames) put(id, name string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.names == nil {
		c.names = make(map[string]cachedName)
	}
	if len(c.names) >= maxCachedNames {
		for k, n := range c.names {
			if !now.Before(n.expires) {
				delete(c.names, k)
			}
		}
		if len(c.names) >= maxCachedNames {
			clear(c.names)
		}
	}
	c.names[id] = cachedName{name: name, expires: now.Add(mentionTTL)}
}

// maxCachedNames bounds the cache of mentioned people's names.
const maxCachedNames = 10000

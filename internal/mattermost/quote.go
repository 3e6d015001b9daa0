package mattermost

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/markup"
)

// This file is where people's words become safe to post on Mattermost: Quote for the words the
// core embeds in its own texts, inert for a relayed message. Both only add invisible word
// joiners, so what they write reads the same in Markdown and in plain text (a dialog's
// errors, an attachment's title, the name a post is shown under).

// Quote implements desk.Platform: a word joiner after the "@" of every @mention (@channel,
// @all, @here, @someone), after the "~" of a ~channel link and the "#" of a #hashtag, between
// the brackets and what follows them in Markdown's links and images ("](", "][", "]:"), and
// inside web addresses, so that no mention in s pings anyone and nothing in it becomes a link.
// The rest of Markdown (emphasis, code) is left: it changes how s looks, never who is pinged
// or where a click goes.
func (a *Adapter) Quote(s string) string { return quote(s) }

// Mention names u by their username, which notifies them (an @ with nothing that could be a
// name after it when the username is unknown).
func (a *Adapter) Mention(u desk.User) string {
	if u.Name == "" {
		return quote(u.Label())
	}
	return "@" + u.Name
}

func quote(s string) string {
	s = markup.BreakMentions(s)
	if strings.ContainsAny(s, "~#") {
		s = channelLink.ReplaceAllString(s, "${1}${2}"+markup.WordJoiner+"${3}")
	}
	return markup.BreakAutolinks(markdownLinks.Replace(s))
}

var (
	// channelLink is a ~channel-name link or a #hashtag (a search) at a word start.
	channelLink = regexp.MustCompile(`(^|[^\p{L}\p{N}_])([~#])([\p{L}\p{N}_])`)
	// markdownLinks are the joints of Markdown's [text](url), [text][ref] and [ref]: url.
	markdownLinks = strings.NewReplacer("](", "]"+markup.WordJoiner+"(", "][", "]"+markup.WordJoiner+"[", "]:", "]"+markup.WordJoiner+":")
)

// inert makes a relayed message (a person's whole message) inert for posting as the bot: its
// @mentions get a word joiner after the "@", so they read the same and ping nobody, and the
// rest of its Markdown is kept. The text must stay within max runes: when the joiners would
// take it over, its mentions get the fullwidth "＠" instead, which adds nothing.
func inert(text string, max int) string {
	out := markup.BreakMentions(text)
	if len(out) != len(text) && utf8.RuneCountInString(out) > max {
		out = markup.SwapMentions(text)
	}
	return out
}

// speaker is the name a relayed message is shown under (override_username, or the name
// prefix): quoted, so that it pings nobody and links nowhere.
func speaker(u *desk.User) string { return quote(u.Label()) }

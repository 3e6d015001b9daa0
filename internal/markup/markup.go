// Package markup holds what the chat adapters share about writing people's words into what
// they post: the invisible word joiner that keeps a mention or a link readable while making it
// inert. Each adapter knows its own platform's syntax (Slack's <!channel>, Markdown's links);
// only what is the same on several platforms lives here.
package markup

import (
	"regexp"
	"strings"
)

// WordJoiner is an invisible character that joins the characters around it into one word. Put
// after an "@" it keeps the mention readable ("@here") but no platform reads it as one; put
// inside "://" it keeps a web address readable but no client makes it a link.
const WordJoiner = "\u2060"

// Mention is how an inert mention of name reads: "@", a word joiner, the name.
func Mention(name string) string { return "@" + WordJoiner + name }

// plainMention is an "@" that starts a word and is followed by a name: Mattermost's @channel,
// @all, @here and @someone, and what Slack would take for a mention if it parsed plain text.
// An "@" inside a word (jane@example.com) or alone ("meet @ 5pm") is none.
var plainMention = regexp.MustCompile(`(^|[^\p{L}\p{N}_.@])@([\p{L}\p{N}_])`)

// BreakMentions puts a word joiner after the "@" of every plain @word mention in s.
func BreakMentions(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return plainMention.ReplaceAllString(s, "${1}@"+WordJoiner+"${2}")
}

// fullwidthAt is an at sign that reads like "@" but that no platform takes for a mention.
const fullwidthAt = "\uFF20"

// SwapMentions makes every plain @word mention in s inert without making s longer: its "@"
// becomes the fullwidth at sign "＠". It is for a text that must not grow by a single
// character, where BreakMentions would add one per mention.
func SwapMentions(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return plainMention.ReplaceAllString(s, "${1}"+fullwidthAt+"${2}")
}

// autolinks are what clients turn into links without any markup: a scheme's "://" and a bare
// "www." address.
var autolinks = strings.NewReplacer("://", ":"+WordJoiner+"//", "www.", "www"+WordJoiner+".", "WWW.", "WWW"+WordJoiner+".")

// BreakAutolinks puts a word joiner into every web address in s that a client would turn into
// a link by itself, so that it shows as text.
func BreakAutolinks(s string) string { return autolinks.Replace(s) }

// Contained reports whether the markup of text ends within it, so that text can be posted
// just before or after another one, a paragraph apart, without formatting it: it holds no code
// fence (``` or ~~~, which runs on to the next fence, in Slack and Markdown alike, and is not
// counted here: a fence closed within text may still be left open by an edit) and no line
// opening Slack's ">>>" quote (which takes in all that follows). Emphasis, quotes with ">",
// lists and headings end at a blank line on both platforms.
func Contained(text string) bool {
	if strings.Contains(text, "```") || strings.Contains(text, "~~~") {
		return false
	}
	for line := range strings.Lines(text) {
		if strings.HasPrefix(strings.TrimLeft(line, " \t"), ">>>") {
			return false
		}
	}
	return true
}

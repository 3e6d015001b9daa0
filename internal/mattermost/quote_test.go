package mattermost

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/mattermost/mattermosttest"
)

const wj = "\u2060" // the word joiner that makes a mention or a link inert

// Quote writes a person's words so that, in a text or card the app posts, they read as typed
// (it only adds invisible word joiners) and nothing in them pings or links.
func TestQuote(t *testing.T) {
	a := &Adapter{}
	for _, tt := range []struct{ name, in, want string }{
		{"plain", "Carol *C*", "Carol *C*"},
		{"mentions", "@channel, (@all) @here and @someone.", "@" + wj + "channel, (@" + wj + "all) @" + wj + "here and @" + wj + "someone."},
		{"channel link and hashtag", "see ~town-square #urgent", "see ~" + wj + "town-square #" + wj + "urgent"},
		{"markdown link and image", "[pay here](http://evil) ![x](https://evil/p.png)", "[pay here]" + wj + "(http:" + wj + "//evil) ![x]" + wj + "(https:" + wj + "//evil/p.png)"},
		{"reference link", "[pay][1] [1]: evil", "[pay]" + wj + "[1] [1]" + wj + ": evil"},
		{"bare address", "www.evil.example", "www" + wj + ".evil.example"},
		{"email and lone at", "jane@example.com meet @ 5", "jane@example.com meet @ 5"},
		{"empty", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := a.Quote(tt.in); got != tt.want {
				t.Errorf("Quote(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := strings.ReplaceAll(a.Quote(tt.in), wj, ""); got != tt.in {
				t.Errorf("Quote(%q) reads %q, want it as typed", tt.in, got)
			}
		})
	}
}

// A relayed message (Outgoing.As) reaches Mattermost inert but readable: its @mentions get a
// word joiner after the "@", the rest of its Markdown is kept; its edit too. The name it is
// shown under, as the prefix or as override_username, is quoted.
func TestRelayedMentionsArriveInert(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	a := started(t, f, testConfig(f), newIngester())
	ctx := context.Background()
	root := f.UserPost(w.bot.Id, w.triage.Id, "", "card")
	as := &desk.User{ID: w.customer.Id, DisplayName: "@here Carol [x](http://evil)"}
	text := "@channel @all @here @someone: **bold** [a link](https://example.com), mail jane@example.com"
	ref, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Thread: root.Id, Text: text, As: as, Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	name := "@" + wj + "here Carol [x]" + wj + "(http:" + wj + "//evil)"
	inert := "@" + wj + "channel @" + wj + "all @" + wj + "here @" + wj + "someone: **bold** [a link](https://example.com), mail jane@example.com"
	p := f.Post(ref.ID)
	if want := "**" + escapeMarkdown(name) + ":** " + inert; p.Message != want {
		t.Errorf("relayed post:\n got %q\nwant %q", p.Message, want)
	}
	if got := p.GetProp(model.PostPropsOverrideUsername); got != name {
		t.Errorf("override_username %q, want %q", got, name)
	}
	if err := a.Update(ctx, ref, desk.Outgoing{Channel: w.triage.Id, Text: "edited @channel", As: as}); err != nil {
		t.Fatal(err)
	}
	if got := f.Post(ref.ID).Message; !strings.HasSuffix(got, ":** edited @"+wj+"channel") {
		t.Errorf("edited post %q, want the mention inert", got)
	}
}

// A relayed part as long as Limits allows, full of mentions, still fits Mattermost's limit
// once inert: the mentions get a fullwidth "＠" instead of a joiner.
func TestInertTextStaysWithinTheLimit(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	a := started(t, f, testConfig(f), newIngester())
	text := strings.Repeat("@a ", a.Limits().MaxText/3)
	ref, err := a.Post(context.Background(), desk.Outgoing{Channel: w.triage.Id, Text: text, As: &desk.User{DisplayName: "Carol"}})
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	got := f.Post(ref.ID).Message
	if n := utf8.RuneCountInString(got); n > mattermosttest.MaxPostRunes || strings.Contains(got, " @a") || !strings.Contains(got, " ＠a") {
		t.Errorf("post of %d runes starting %q, want every mention inert within %d", n, got[:40], mattermosttest.MaxPostRunes)
	}
}

// A card and a notice the core composes embed people's words quoted by Quote: on Mattermost
// whatever a name, subject, tag or comment holds reaches the attachment and the message with
// its mentions and links broken; a field linking to a profile links only its label.
func TestQuotedWordsInCardsAndNotices(t *testing.T) {
	f := newFakeMM(t)
	w := seed(f)
	a := started(t, f, testConfig(f), newIngester())
	ctx := context.Background()
	name := "Ann @channel [pay](http://evil)"
	card := &desk.Card{Title: "Ticket #1 · " + a.Quote(name), Fields: []desk.Field{
		{Label: "Tags", Value: a.Quote("vip") + ", " + a.Quote("~town-square"), Short: true},
		{Label: "Satisfaction", Value: "2/5: “" + a.Quote("slow @here") + "”", Short: true},
		{Label: "Customer", Value: a.Quote(name), URL: "https://mm.example/support/messages/@ann", Short: true},
	}}
	ref, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Text: card.Title, Card: card, Key: "card:1"})
	if err != nil {
		t.Fatal(err)
	}
	notice, err := a.Post(ctx, desk.Outgoing{Channel: w.triage.Id, Text: a.Quote("@all Bob") + " is now looking after your ticket #1.", Key: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	att := f.Post(ref.ID).Attachments()[0]
	texts := []string{att.Title, att.Fallback, f.Post(notice.ID).Message}
	for _, fl := range att.Fields {
		texts = append(texts, fl.Value.(string))
	}
	all := strings.Join(texts, "\n")
	for _, live := range []string{"@channel", "@here", "@all", "[pay](", "http://evil", "~town"} {
		if strings.Contains(all, live) {
			t.Errorf("a person's words are live (%q) in what was posted:\n%s", live, all)
		}
	}
	for _, want := range []string{
		"Ticket #1 · Ann @" + wj + "channel [pay]" + wj + "(http:" + wj + "//evil)",
		"vip, ~" + wj + "town-square",
		"2/5: “slow @" + wj + "here”",
		"[Ann @" + wj + "channel (pay)" + wj + "(http:" + wj + "//evil)](https://mm.example/support/messages/@ann)",
		"@" + wj + "all Bob is now looking after your ticket #1.",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("posted texts lack %q:\n%s", want, all)
		}
	}
}

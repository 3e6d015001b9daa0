package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"strconv"
	"strings"
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

const wj = "\u2060" // the word joiner that makes a mention or a link inert

// Quote writes a person's words so that, in a text or card the app posts, they read as typed
// and nothing in them is markup: Slack's three control characters are escaped (an "&" that
// starts one of Slack's entities is left, for words that came escaped in a message), and
// plain mentions and web addresses get a word joiner.
func TestQuote(t *testing.T) {
	a := &Adapter{}
	for _, tt := range []struct{ name, in, want string }{
		{"plain", "Jane Doe", "Jane Doe"},
		{"special mentions", "<!channel> <!here|here> <!everyone>", "&lt;!channel&gt; &lt;!here|here&gt; &lt;!everyone&gt;"},
		{"user and group mentions", "<@U024BE7LH> <!subteam^S1|@team>", "&lt;@" + wj + "U024BE7LH&gt; &lt;!subteam^S1|@" + wj + "team&gt;"},
		{"links", "<https://evil.example|pay here>", "&lt;https:" + wj + "//evil.example|pay here&gt;"},
		{"bare web addresses", "see http://evil.example or www.evil.example", "see http:" + wj + "//evil.example or www" + wj + ".evil.example"},
		{"plain mentions", "@here, (@channel) and @jane", "@" + wj + "here, (@" + wj + "channel) and @" + wj + "jane"},
		{"ampersand", "R&D & co", "R&amp;D &amp; co"},
		{"escaped already", "a &lt; b &amp;&gt; c", "a &lt; b &amp;&gt; c"},
		{"email", "jane@example.com", "jane@example.com"},
		{"empty", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := a.Quote(tt.in)
			if got != tt.want {
				t.Errorf("Quote(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.ContainsAny(got, "<>") {
				t.Errorf("Quote(%q) = %q holds markup", tt.in, got)
			}
		})
	}
}

// A relayed message (Outgoing.As) reaches Slack inert but readable: every special, group and
// user mention becomes "@", a word joiner and the name; a user mentioned by ID only is shown
// by name (looked up once, then cached), an unknown ID stays an ID; the rest of the
// formatting is kept. Its edit (chat.update) and a file's comment are made inert the same way.
func TestRelayedMentionsArriveInert(t *testing.T) {
	fake := newFakeSlack(t)
	fake.AddUser(slacktest.User{ID: "U2", Name: "bob", DisplayName: "Bob <!here>"})
	a := newTestAdapter(t, fake, newIngester())
	root := fake.UserMessage(fakeTriage, "UAGENT", "a root", "")
	ctx := context.Background()
	text := "<!channel> <!here> <!here|here> <!everyone|everyone> <!subteam^S0123|@support-team> <!subteam^S9> " +
		"<@U1> <@U1|jane> <@U2> <@UNOBODY1> *bold* <https://example.com|a link> &lt;b&gt; @here"
	want := "@" + wj + "channel @" + wj + "here @" + wj + "here @" + wj + "everyone @" + wj + "support-team @" + wj + "group " +
		"@" + wj + "Jane @" + wj + "jane @" + wj + "Bob &lt;!here&gt; @" + wj + "UNOBODY1 *bold* <https://example.com|a link> &lt;b&gt; @here"
	as := &desk.User{ID: "U3", DisplayName: "Carol"}
	ref, err := a.Post(ctx, desk.Outgoing{Channel: fakeTriage, Thread: root.TS, Text: text, As: as, Key: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fake.callsTo("chat.postMessage")[0].Args["text"]; got != want {
		t.Errorf("relayed text:\n got %q\nwant %q", got, want)
	}
	if _, err := a.Post(ctx, desk.Outgoing{Channel: fakeTriage, Thread: root.TS, Text: "again <@U1> <@U2> <@UNOBODY1>", As: as, Key: "k2"}); err != nil {
		t.Fatal(err)
	}
	if got, want := fake.callsTo("chat.postMessage")[1].Args["text"], "again @"+wj+"Jane @"+wj+"Bob &lt;!here&gt; @"+wj+"UNOBODY1"; got != want {
		t.Errorf("second relayed text %q, want %q", got, want)
	}
	looked := map[string]int{}
	for _, c := range fake.callsTo("users.info") {
		looked[c.Args["user"]]++
	}
	if looked["U1"] != 1 || looked["U2"] != 1 || looked["UNOBODY1"] != 1 {
		t.Errorf("users.info calls %v, want one per person mentioned by ID only, cached after", looked)
	}

	if err := a.Update(ctx, ref, desk.Outgoing{Channel: fakeTriage, Text: "edited <!channel> <@U1>", As: as}); err != nil {
		t.Fatal(err)
	}
	if got, want := fake.callsTo("chat.update")[0].Args["text"], "edited @"+wj+"channel @"+wj+"Jane"; got != want {
		t.Errorf("edited text %q, want %q", got, want)
	}
	if _, err := a.Upload(ctx, desk.Outgoing{Channel: fakeTriage, Thread: root.TS, Text: "see <!here>", As: &desk.User{DisplayName: "<!channel> Carol"}},
		desk.File{ID: "F1", Name: "a.png", Size: 3}, bytes.NewReader([]byte("png"))); err != nil {
		t.Fatal(err)
	}
	c := fake.callsTo("files.completeUploadExternal")[0].Args
	if got, want := c["initial_comment"], "see @"+wj+"here"; got != want {
		t.Errorf("file comment %q, want %q", got, want)
	}
	if got, want := c["username"], "@"+wj+"channel Carol"; got != want {
		t.Errorf("file share's name %q, want %q, inert as a message's", got, want)
	}
}

// A long message is split by the core; a part that ends inside a mention is made inert too.
func TestAMentionCutAtTheEndOfAPartIsInert(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	for i, part := range []string{"first part <!here|every", "second part <@U1|Jane Do"} {
		if _, err := a.Post(context.Background(), desk.Outgoing{Channel: fakeTriage, Text: part, As: &desk.User{DisplayName: "Carol"}, Key: "k" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	calls := fake.callsTo("chat.postMessage")
	if got := calls[0].Args["text"]; got != "first part @"+wj+"here" {
		t.Errorf("first part %q", got)
	}
	if got := calls[1].Args["text"]; got != "second part @"+wj+"Jane Do" {
		t.Errorf("second part %q", got)
	}
}

// One relayed message costs at most maxNamedMentions user lookups, however many people it
// mentions by ID; the others stay IDs.
func TestMentionLookupsAreBounded(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	var text []string
	for i := range maxNamedMentions + 5 {
		text = append(text, "<@UX"+strconv.Itoa(100+i)+">")
	}
	if _, err := a.Post(context.Background(), desk.Outgoing{Channel: fakeTriage, Text: strings.Join(text, " "), As: &desk.User{DisplayName: "Carol"}}); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.callsTo("users.info")); n != maxNamedMentions {
		t.Errorf("users.info calls = %d, want %d", n, maxNamedMentions)
	}
	if got := fake.callsTo("chat.postMessage")[0].Args["text"]; strings.Contains(got, "<@") || !strings.Contains(got, "@"+wj+"UX114") {
		t.Errorf("relayed text %q, want every mention inert, the last ones as IDs", got)
	}
}

// The name a relayed message is shown under (username) is plain text for Slack; it is still
// written to ping nobody and link nowhere.
func TestSpeakerNameIsSafe(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	as := &desk.User{ID: "U3", DisplayName: "<!channel> @here http://evil.example <b>"}
	if _, err := a.Post(context.Background(), desk.Outgoing{Channel: fakeTriage, Text: "hi", As: as}); err != nil {
		t.Fatal(err)
	}
	want := "@" + wj + "channel @" + wj + "here http:" + wj + "//evil.example <b>"
	if got := fake.callsTo("chat.postMessage")[0].Args["username"]; got != want {
		t.Errorf("username %q, want %q", got, want)
	}
}

// A card and a notice the core composes embed people's words quoted by Quote: on Slack
// whatever a name, subject, tag or comment holds reaches the blocks and the text as escaped,
// inert text; the header, which is plain_text, shows the name as typed; a field linking to a
// profile links only its label; a form's errors, plain text too, read as typed.
func TestQuotedWordsInCardsAndNotices(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	ctx := context.Background()
	name := "Ann <!channel> & <https://evil|co>"
	title := "Ticket #1 · " + a.Quote(name)
	card := &desk.Card{Title: title, Fields: []desk.Field{
		{Label: "Tags", Value: a.Quote("vip") + ", " + a.Quote("<!here>"), Short: true},
		{Label: "Satisfaction", Value: "2/5: “" + a.Quote("slow @here <@U1>") + "”", Short: true},
		{Label: "Customer", Value: a.Quote(name), URL: "https://example.slack.com/team/U9", Short: true},
		{Label: "Subject", Value: a.Quote("Please reset <@U2> and <https://evil.example/reset|Rese…")},
	}}
	if _, err := a.Post(ctx, desk.Outgoing{Channel: fakeTriage, Text: title, Card: card, Key: "card:1"}); err != nil {
		t.Fatal(err)
	}
	notice := a.Quote("<!here> Bob") + " is now looking after your ticket #1."
	if _, err := a.Post(ctx, desk.Outgoing{Channel: fakeTriage, Text: notice, Key: "n1"}); err != nil {
		t.Fatal(err)
	}
	calls := fake.callsTo("chat.postMessage")
	var blocks []struct {
		Type string `json:"type"`
		Text struct {
			Type, Text string
		} `json:"text"`
		Fields []struct{ Text string } `json:"fields"`
	}
	if err := json.Unmarshal([]byte(calls[0].Args["blocks"]), &blocks); err != nil {
		t.Fatal(err)
	}
	// Word joiners are invisible: the header reads as the name was typed.
	if got, want := strings.ReplaceAll(blocks[0].Text.Text, wj, ""), "Ticket #1 · "+name; blocks[0].Type != "header" || got != want {
		t.Errorf("header %q, want the name as typed: %q", got, want)
	}
	var mrkdwn []string
	for _, b := range blocks[1:] {
		mrkdwn = append(mrkdwn, b.Text.Text)
		for _, f := range b.Fields {
			mrkdwn = append(mrkdwn, f.Text)
		}
	}
	all := strings.Join(append(mrkdwn, calls[0].Args["text"], calls[1].Args["text"]), "\n")
	for _, live := range []string{"<!channel>", "<!here>", "<https://evil", "<@U", "@here", "https://evil"} {
		if strings.Contains(all, live) {
			t.Errorf("a person's words are live (%q) in what was posted:\n%s", live, all)
		}
	}
	for _, want := range []string{
		"*Tags*\nvip, &lt;!here&gt;",
		"*Satisfaction*\n2/5: “slow @" + wj + "here &lt;@" + wj + "U1&gt;”",
		"*Customer*\n<https://example.slack.com/team/U9|Ann &lt;!channel&gt; &amp; &lt;https:" + wj + "//evil¦co&gt;>",
		"*Subject*\nPlease reset &lt;@" + wj + "U2&gt; and &lt;https:" + wj + "//evil.example/reset|Rese…",
		"Ticket #1 · Ann &lt;!channel&gt; &amp; &lt;https:" + wj + "//evil|co&gt;",
		"&lt;!here&gt; Bob is now looking after your ticket #1.",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("posted texts lack %q:\n%s", want, all)
		}
	}
	if got, want := formErrors(&desk.FormError{Fields: map[string]string{"agent": a.Quote("<b> & co") + " is not an agent"}})["errors"],
		map[string]string{"agent": "<b> & co is not an agent"}; !maps.Equal(got.(map[string]string), want) {
		t.Errorf("form errors %v, want %v", got, want)
	}
}

package slack

import (
	"regexp"
	"strings"
	"testing"

	"github.com/threadesk/threadesk/internal/markup"
)

// FuzzQuote checks Slack's escaping of people's words on any text: no <, > or bare & is left,
// so no <!channel>, <@U…> or <url|text> is markup; no plain @mention or autolink is left;
// quoting again changes nothing (words may come escaped already); and taking the escaping off
// (unquote) gives the text back, word joiners aside, when it held none of Slack's entities.
// plainName, the name a relayed message is shown under, likewise holds no live mention.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{
		"<!channel> hi", "<@U123|alex> and <#C1|general>", "a &lt; b & c &amp; d", "<https://evil.example|click>",
		"@here www.example.com", "&amp;lt;", "<!subteam^S1|@team>", "x <!here",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := quote(s)
		if strings.ContainsAny(q, "<>") {
			t.Fatalf("quote(%q) = %q holds < or >", s, q)
		}
		if strings.Contains(entity.ReplaceAllString(q, ""), "&") {
			t.Fatalf("quote(%q) = %q holds a bare &", s, q)
		}
		if markup.BreakMentions(q) != q || strings.Contains(q, "://") || strings.Contains(q, "www.") {
			t.Fatalf("quote(%q) = %q holds a live mention or link", s, q)
		}
		if again := quote(q); again != q {
			t.Fatalf("quote is not idempotent on %q: %q, then %q", s, q, again)
		}
		if !strings.Contains(s, "&amp;") && !strings.Contains(s, "&lt;") && !strings.Contains(s, "&gt;") {
			if got := unjoin(unquote(q)); got != unjoin(s) {
				t.Fatalf("unquote(quote(%q)) = %q", s, got)
			}
		}
		name := plainName(s)
		if specialMention.MatchString(name) || markup.BreakMentions(name) != name {
			t.Fatalf("plainName(%q) = %q holds a live mention", s, name)
		}
	})
}

// entity is one of the three entities of Slack's escaping.
var entity = regexp.MustCompile(`&(?:amp|lt|gt);`)

func unjoin(s string) string { return strings.ReplaceAll(s, markup.WordJoiner, "") }

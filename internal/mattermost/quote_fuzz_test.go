package mattermost

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/threadesk/threadesk/internal/markup"
)

// FuzzQuote checks Mattermost's neutralising of people's words on any text. quote leaves no
// @mention, ~channel link, #hashtag, Markdown link joint or autolink; quoting again changes
// nothing; and it only adds word joiners. inert leaves no @mention, only adds word joiners or
// swaps at signs, and keeps within its limit a text that was within it.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{
		"@channel look", "~town-square and #urgent", "[click](https://evil.example) ![img][ref]\n[ref]: http://x",
		"mail jane@example.com", "www.example.com", "@\u2060here", "(@all)", "＠here @here",
	} {
		f.Add(s, 20)
	}
	f.Fuzz(func(t *testing.T, s string, limit int) {
		q := quote(s)
		switch {
		case markup.BreakMentions(q) != q:
			t.Fatalf("quote(%q) = %q holds an @mention", s, q)
		case channelLink.MatchString(q):
			t.Fatalf("quote(%q) = %q holds a ~channel link or #hashtag", s, q)
		case strings.Contains(q, "](") || strings.Contains(q, "][") || strings.Contains(q, "]:"):
			t.Fatalf("quote(%q) = %q holds a Markdown link", s, q)
		case strings.Contains(q, "://") || strings.Contains(q, "www."):
			t.Fatalf("quote(%q) = %q holds an autolink", s, q)
		case quote(q) != q:
			t.Fatalf("quote is not idempotent on %q: %q, then %q", s, q, quote(q))
		case unjoin(q) != unjoin(s):
			t.Fatalf("quote(%q) = %q changed more than word joiners", s, q)
		}

		if limit < 0 {
			limit = -limit
		}
		limit %= 1 << 16
		out := inert(s, limit)
		if markup.BreakMentions(out) != out {
			t.Fatalf("inert(%q) = %q holds an @mention", s, out)
		}
		if n := utf8.RuneCountInString(s); n <= limit && utf8.RuneCountInString(out) > limit {
			t.Fatalf("inert(%q, %d) = %q: over the limit", s, limit, out)
		}
		if unjoin(out) != unjoin(s) && strings.ReplaceAll(out, "＠", "@") != strings.ReplaceAll(s, "＠", "@") {
			t.Fatalf("inert(%q) = %q changed more than word joiners or at signs", s, out)
		}
	})
}

func unjoin(s string) string { return strings.ReplaceAll(s, markup.WordJoiner, "") }

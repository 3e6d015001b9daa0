package markup

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzMentions checks the shared neutralising on any text: after BreakMentions and
// SwapMentions no plain @mention is left, doing it again changes nothing, and the text is the
// same but for the word joiners added (BreakMentions) or the at signs swapped, rune for rune
// (SwapMentions); after BreakAutolinks no "://" or "www." is left, and again only word joiners
// were added.
func FuzzMentions(f *testing.F) {
	for _, s := range []string{
		"@here please", "ping @channel and @all now", "jane@example.com", "meet @ 5pm", "(@jane)", "@@x",
		"x@y @z", "@\u2060here", "＠here", "@Жанна и @_bot", "see https://example.com or www.example.com",
		"WWW.EXAMPLE.COM, ftp://x", "a.@b", "\xff@a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		broken := BreakMentions(s)
		if plainMention.MatchString(broken) {
			t.Fatalf("BreakMentions(%q) = %q still holds a mention", s, broken)
		}
		if again := BreakMentions(broken); again != broken {
			t.Fatalf("BreakMentions is not idempotent on %q: %q, then %q", s, broken, again)
		}
		if withoutJoiners(broken) != withoutJoiners(s) {
			t.Fatalf("BreakMentions(%q) = %q changed more than word joiners", s, broken)
		}

		swapped := SwapMentions(s)
		if plainMention.MatchString(swapped) {
			t.Fatalf("SwapMentions(%q) = %q still holds a mention", s, swapped)
		}
		if again := SwapMentions(swapped); again != swapped {
			t.Fatalf("SwapMentions is not idempotent on %q: %q, then %q", s, swapped, again)
		}
		if utf8.RuneCountInString(swapped) != utf8.RuneCountInString(s) ||
			strings.ReplaceAll(swapped, fullwidthAt, "@") != strings.ReplaceAll(s, fullwidthAt, "@") {
			t.Fatalf("SwapMentions(%q) = %q changed more than at signs", s, swapped)
		}

		linked := BreakAutolinks(s)
		if strings.Contains(linked, "://") || strings.Contains(linked, "www.") || strings.Contains(linked, "WWW.") {
			t.Fatalf("BreakAutolinks(%q) = %q still holds a link", s, linked)
		}
		if again := BreakAutolinks(linked); again != linked {
			t.Fatalf("BreakAutolinks is not idempotent on %q: %q, then %q", s, linked, again)
		}
		if withoutJoiners(linked) != withoutJoiners(s) {
			t.Fatalf("BreakAutolinks(%q) = %q changed more than word joiners", s, linked)
		}
	})
}

func withoutJoiners(s string) string { return strings.ReplaceAll(s, WordJoiner, "") }

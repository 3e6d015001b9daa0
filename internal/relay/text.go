package relay

import (
	"strings"
	"unicode/utf8"
)

// Split cuts text into parts of at most limit runes each, without losing or changing a
// character: joined back together, the parts are the text. It prefers to cut after a blank
// line, then after a line break, then after a space, and cuts inside a word only when one
// word alone is longer than the limit. A limit below 1 means no limit.
func Split(text string, limit int) []string {
	if limit < 1 || utf8.RuneCountInString(text) <= limit {
		return []string{text}
	}
	var parts []string
	for utf8.RuneCountInString(text) > limit {
		head := prefixRunes(text, limit)
		cut := lastBoundary(head)
		parts = append(parts, text[:cut])
		text = text[cut:]
	}
	if text != "" {
		parts = append(parts, text)
	}
	return parts
}

// prefixRunes returns the first n runes of s.
func prefixRunes(s string, n int) string {
	i := 0
	for range n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

// lastBoundary returns where to cut head: just after its last paragraph break, line break or
// space, in that order of preference, as long as that keeps at least half of head (so parts do
// not become tiny); otherwise after the whole of head.
func lastBoundary(head string) int {
	minimum := len(head) / 2
	for _, sep := range []string{"\n\n", "\n", " "} {
		if i := strings.LastIndex(head, sep); i >= 0 && i+len(sep) > minimum {
			return i + len(sep)
		}
	}
	return len(head)
}

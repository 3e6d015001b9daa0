package relay

import (
	"strings"
	"unicode/utf8"
)

// Split cuts text into parts of at most limit runes each, without losing or changing a
// character but the whitespace each cut falls on: the parts, with that whitespace between
// them, are the text. It prefers to cut at a blank line, then at a line break, then at a
// space, and cuts inside a word only when one word alone is longer than the limit. No part
// ends or starts with the whitespace of a cut, so none shows trailing blank lines. A limit
// below 1 means no limit.
func Split(text string, limit int) []string {
	if limit < 1 || utf8.RuneCountInString(text) <= limit {
		return []string{text}
	}
	var parts []string
	for utf8.RuneCountInString(text) > limit {
		head := prefixRunes(text, limit)
		end, next := lastBoundary(head)
		part := strings.TrimRight(text[:end], " \n")
		if part == "" {
			part, next = head, len(head) // only whitespace before the cut: keep it whole
		}
		parts = append(parts, part)
		// More blank lines after a line cut go too, but not the next line's indentation.
		skip := " "
		if strings.HasPrefix(text[end:], "\n") {
			skip = "\n"
		}
		text = strings.TrimLeft(text[next:], skip)
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

// lastBoundary returns where to cut head: at its last paragraph break, line break or space,
// in that order of preference, as long as that keeps at least half of head (so parts do not
// become tiny); otherwise after the whole of head. end is where the part before the cut ends,
// next where the text after it begins.
func lastBoundary(head string) (end, next int) {
	minimum := len(head) / 2
	for _, sep := range []string{"\n\n", "\n", " "} {
		if i := strings.LastIndex(head, sep); i >= 0 && i+len(sep) > minimum {
			return i, i + len(sep)
		}
	}
	return len(head), len(head)
}

package relay_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/threadesk/threadesk/internal/relay"
)

// FuzzSplit checks Split's contract on any text and limit: every part is within the limit in
// runes, no part is empty, valid UTF-8 stays valid, and the parts are the text, in order, with
// nothing lost or changed but the spaces and line breaks each cut fell on.
func FuzzSplit(f *testing.F) {
	f.Add("hello world", 5)
	f.Add("first paragraph\n\nsecond paragraph\nwith a line\n\n\n  indented", 12)
	f.Add("Привет, мир! Как дела? 👋🏽 ok", 4)
	f.Add("averyveryverylongwordwithoutanyspaces", 7)
	f.Add("   \n\n   ", 2)
	f.Add("a\xffb\xfe c", 2)
	f.Fuzz(func(t *testing.T, text string, limit int) {
		limit %= 300 // a small limit cuts often; a huge one only returns the text
		parts := relay.Split(text, limit)
		if len(parts) == 0 {
			t.Fatalf("Split(%q, %d) returned no part", text, limit)
		}
		if limit < 1 || utf8.RuneCountInString(text) <= limit {
			if len(parts) != 1 || parts[0] != text {
				t.Fatalf("Split(%q, %d) = %q, want the text whole", text, limit, parts)
			}
			return
		}
		rest := text
		for i, p := range parts {
			if p == "" {
				t.Fatalf("Split(%q, %d): part %d is empty: %q", text, limit, i, parts)
			}
			if n := utf8.RuneCountInString(p); n > limit {
				t.Fatalf("Split(%q, %d): part %d has %d runes: %q", text, limit, i, n, p)
			}
			if utf8.ValidString(text) && !utf8.ValidString(p) {
				t.Fatalf("Split(%q, %d): part %d is not valid UTF-8: %q", text, limit, i, p)
			}
			var ok bool
			if rest, ok = cutPart(rest, p); !ok {
				t.Fatalf("Split(%q, %d): part %d %q is not the text's next piece (left: %q)", text, limit, i, p, rest)
			}
		}
		if strings.Trim(rest, " \n") != "" {
			t.Fatalf("Split(%q, %d) lost %q at the end: %q", text, limit, rest, parts)
		}
	})
}

// cutPart removes part from the start of rest, after only spaces and line breaks (where the
// cut before it fell), and reports whether part was there.
func cutPart(rest, part string) (string, bool) {
	for i := 0; ; i++ {
		if strings.HasPrefix(rest[i:], part) {
			return rest[i+len(part):], true
		}
		if i == len(rest) || (rest[i] != ' ' && rest[i] != '\n') {
			return rest, false
		}
	}
}

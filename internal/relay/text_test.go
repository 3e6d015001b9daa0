package relay

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplit(t *testing.T) {
	words := strings.Repeat("lorem ipsum dolor sit amet ", 800) // 21,600 characters
	lines := strings.Repeat("a line of text\n", 300)
	tests := []struct {
		name  string
		text  string
		limit int
		parts int // expected number of parts, 0 = at least two
	}{
		{"short stays whole", "hello", 10, 1},
		{"exactly the limit", "0123456789", 10, 1},
		{"no limit", words, 0, 1},
		{"20000 characters of words", words[:20000], 4000, 0},
		{"lines", lines, 1000, 0},
		{"one long word", strings.Repeat("x", 25), 10, 3},
		{"multibyte runes", strings.Repeat("héllo wörld ✓ ", 100), 50, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.text, tt.limit)
			if !joinsBack(got, tt.text) {
				t.Fatalf("parts do not join back to the text with whitespace between them")
			}
			if tt.parts > 0 && len(got) != tt.parts {
				t.Errorf("got %d parts, want %d", len(got), tt.parts)
			}
			if tt.parts == 0 && len(got) < 2 {
				t.Errorf("got %d parts, want several", len(got))
			}
			for i, p := range got {
				if tt.limit > 0 && utf8.RuneCountInString(p) > tt.limit {
					t.Errorf("part %d has %d runes, over the limit %d", i, utf8.RuneCountInString(p), tt.limit)
				}
				if !utf8.ValidString(p) {
					t.Errorf("part %d is not valid UTF-8", i)
				}
			}
		})
	}
	t.Run("cuts on word boundaries", func(t *testing.T) {
		parts := Split(words[:20000], 4000)
		for i, p := range parts[:len(parts)-1] {
			if !strings.HasSuffix(p, "amet") && !strings.HasSuffix(p, "lorem") && !strings.HasSuffix(p, "ipsum") && !strings.HasSuffix(p, "dolor") && !strings.HasSuffix(p, "sit") {
				t.Errorf("part %d ends inside a word: %q", i, p[len(p)-10:])
			}
		}
	})
	t.Run("prefers line breaks", func(t *testing.T) {
		parts := Split(lines, 1000)
		for i, p := range parts[:len(parts)-1] {
			if !strings.HasSuffix(p, "a line of text") || !strings.HasPrefix(parts[i+1], "a line of text") {
				t.Errorf("part %d is not cut at a line break", i)
			}
		}
	})
}

// joinsBack reports whether parts, in order, are text with only whitespace between them
// (nothing but the whitespace of the cuts left out).
func joinsBack(parts []string, text string) bool {
	rest := text
	for i, p := range parts {
		if !strings.HasPrefix(rest, p) {
			return false
		}
		rest = rest[len(p):]
		if i < len(parts)-1 {
			rest = strings.TrimLeft(rest, " \n")
		}
	}
	return rest == ""
}

// TestSplitLeavesNoBlankLinesAtACut: a cut at a paragraph break leaves neither part with the
// blank lines, and the next line keeps its indentation.
func TestSplitLeavesNoBlankLinesAtACut(t *testing.T) {
	text := strings.Repeat("x", 30) + "\n\n\n" + strings.Repeat("y", 30)
	if got := Split(text, 40); len(got) != 2 || got[0] != strings.Repeat("x", 30) || got[1] != strings.Repeat("y", 30) {
		t.Errorf("Split = %q", got)
	}
	code := strings.Repeat("x", 30) + "\n    indented()\n"
	if got := Split(code, 40); len(got) != 2 || got[1] != "    indented()\n" {
		t.Errorf("Split = %q, want the second line's indentation kept", got)
	}
}

func TestReflowJoinsWrappedLines(t *testing.T) {
	body := "Owners find every invoice under Admin → Billing, as\nPDF. To change the address,\n  fill in Admin.\n\nSteps:\n- open Billing\n- press Download\n1. or ask us\n\n\nThanks.\n"
	want := "Owners find every invoice under Admin → Billing, as PDF. To change the address,\n  fill in Admin.\n\nSteps:\n- open Billing\n- press Download\n1. or ask us\n\nThanks."
	if got := reflow(body); got != want {
		t.Errorf("reflow =\n%q\nwant\n%q", got, want)
	}
}

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
			if strings.Join(got, "") != tt.text {
				t.Fatalf("parts do not join back to the text")
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
		for i, p := range Split(words[:20000], 4000) {
			if i < 4 && !strings.HasSuffix(p, " ") {
				t.Errorf("part %d ends inside a word: %q", i, p[len(p)-10:])
			}
		}
	})
	t.Run("prefers line breaks", func(t *testing.T) {
		for i, p := range Split(lines, 1000) {
			if !strings.HasSuffix(p, "\n") {
				t.Errorf("part %d does not end at a line break", i)
			}
		}
	})
}

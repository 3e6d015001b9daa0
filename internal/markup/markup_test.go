package markup

import (
	"testing"
	"unicode/utf8"
)

func TestBreakMentions(t *testing.T) {
	for _, tt := range []struct{ name, in, want, swapped string }{
		{"plain text", "hello there", "hello there", "hello there"},
		{"channel", "@channel help", "@\u2060channel help", "\uFF20channel help"},
		{"all and here", "(@all) and @here.", "(@\u2060all) and @\u2060here.", "(\uFF20all) and \uFF20here."},
		{"person", "cc @jane.doe", "cc @\u2060jane.doe", "cc \uFF20jane.doe"},
		{"adjacent", "@a @b", "@\u2060a @\u2060b", "\uFF20a \uFF20b"},
		{"non-latin", "@команда", "@\u2060команда", "\uFF20команда"},
		{"email untouched", "mail jane@example.com", "mail jane@example.com", "mail jane@example.com"},
		{"lone at sign", "meet @ 5pm", "meet @ 5pm", "meet @ 5pm"},
		{"inert already", Mention("here"), Mention("here"), Mention("here")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := BreakMentions(tt.in); got != tt.want {
				t.Errorf("BreakMentions(%q) = %q, want %q", tt.in, got, tt.want)
			}
			got := SwapMentions(tt.in)
			if got != tt.swapped {
				t.Errorf("SwapMentions(%q) = %q, want %q", tt.in, got, tt.swapped)
			}
			if utf8.RuneCountInString(got) != utf8.RuneCountInString(tt.in) {
				t.Errorf("SwapMentions(%q) = %q changes the length", tt.in, got)
			}
		})
	}
}

func TestBreakAutolinks(t *testing.T) {
	for in, want := range map[string]string{
		"http://evil.example/x":  "http:\u2060//evil.example/x",
		"ftp://x and https://y":  "ftp:\u2060//x and https:\u2060//y",
		"www.evil.example":       "www\u2060.evil.example",
		"no address: 10:30 here": "no address: 10:30 here",
	} {
		if got := BreakAutolinks(in); got != want {
			t.Errorf("BreakAutolinks(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestContained: texts whose markup can run into a text posted after them are told apart.
func TestContained(t *testing.T) {
	for text, want := range map[string]bool{
		"plain":                  true,
		"*bold* and _it_ `code`": true,
		"*opened":                true, // ends at the blank line after it
		"> a quote\nand more":    true,
		"# heading\n- list":      true,
		"```go\nx := 1":          false,
		"```go\nx := 1\n```":     false, // an edit may leave it open
		"inline ```x``` too":     false,
		"~~~\ncode":              false,
		">>> the rest":           false,
		"first\n  >>> quoted":    false,
		"a >>> b":                true, // not at a line's start
		"":                       true,
	} {
		if got := Contained(text); got != want {
			t.Errorf("Contained(%q) = %v, want %v", text, got, want)
		}
	}
}

package redisstore

import (
	"fmt"
	"testing"
)

// TestStemCache: the cache gives Snowball's stems, and stays within its bound however many
// words it sees.
func TestStemCache(t *testing.T) {
	c := stemCache{m: map[string]string{}}
	for _, w := range []string{"printers", "printer", "принтера", "running", "42", "printers"} {
		if got, want := c.stem(w), stemWord(w); got != want {
			t.Errorf("stem(%q) = %q, want %q", w, got, want)
		}
	}
	for i := range 3 * maxStems {
		c.stem(fmt.Sprintf("word%dx", i))
	}
	if n := len(c.m); n > maxStems {
		t.Errorf("the cache holds %d words, want at most %d", n, maxStems)
	}
	if got, want := c.stem("printers"), "printer"; got != want {
		t.Errorf("stem(printers) after the cache started afresh = %q, want %q", got, want)
	}
}

// BenchmarkSearchWords: the words of a typical short message, as every relayed message's are
// indexed.
func BenchmarkSearchWords(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		searchWords(fmt.Sprintf("Hello, my order has not arrived yet, can you help? (load message #%d)", i))
	}
}

// BenchmarkSearchWordsUncached is BenchmarkSearchWords stemming every word with Snowball.
func BenchmarkSearchWordsUncached(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		for _, w := range splitWords(fmt.Sprintf("Hello, my order has not arrived yet, can you help? (load message #%d)", i)) {
			stemWord(w)
		}
	}
}

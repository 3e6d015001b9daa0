package redisstore

import (
	"strings"
	"unicode"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/russian"
)

// The search index (see index.go) keeps, per word, the set of tickets that have it. A word is
// what searchWords makes of a text, the same for what is indexed and for what is searched:
// lower case with ё folded to е, letters and digits only (an apostrophe inside a word is
// dropped: don't is dont), at least two characters, reduced to its Snowball stem in the
// language of its script (Cyrillic: Russian, otherwise English), so that "printers" finds
// "printer" and "принтера" finds "принтер". It is the knowledge base's analysis (internal/kb)
// without its synonyms and typo correction, which suit ranking articles, not exact filters.

// Limits of what one text adds to the index.
const (
	// maxWordLen drops longer "words" (hashes, encoded data, run-together URLs): nobody
	// searches for them and each would be a set of its own.
	maxWordLen = 40
	// maxTextWords bounds the distinct words one text (a subject, one message) indexes: a
	// pasted log would otherwise add thousands of one-ticket sets.
	maxTextWords = 200
)

// stopWords are the commonest English and Russian words. They are in nearly every ticket, so
// their sets would be the largest of the index and match everything; they are neither indexed
// nor searched for.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`the and for are but not you your with this that have has had was were be been
		is it its of on in to at by an or as if so do does did from they them their there we our us he she his her
		him me my what when where which who how can could would should will just than then into about also any all
		и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот от
		меня еще нет о из ему теперь когда даже ну ли если уже или ни быть был него до вас нибудь опять уж вам
		ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто
		чего раз тоже себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой
		тем чтобы нее были куда зачем всех никогда можно при наконец два об другой хоть после над больше тот через
		эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том
		нельзя такой им более всегда конечно всю между это`) {
		stopWords[w] = true
	}
}

// searchWords returns the distinct index words of text, in the order they first appear, at
// most maxTextWords of them.
func searchWords(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range splitWords(text) {
		n := len([]rune(w))
		if n < 2 || n > maxWordLen || stopWords[w] {
			continue
		}
		w = stems.stem(w)
		if w == "" || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
		if len(out) == maxTextWords {
			break
		}
	}
	return out
}

// splitWords lowers text, folds ё to е and splits it into runs of letters and digits; an
// apostrophe between two letters does not split a word.
func splitWords(text string) []string {
	rs := []rune(strings.ReplaceAll(strings.ToLower(text), "ё", "е"))
	var out []string
	var cur []rune
	for i, r := range rs {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur = append(cur, r)
		case isApostrophe(r) && len(cur) > 0 && i+1 < len(rs) && unicode.IsLetter(rs[i+1]):
		default:
			if len(cur) > 0 {
				out = append(out, string(cur))
				cur = cur[:0]
			}
		}
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}

func isApostrophe(r rune) bool {
	return r == '\'' || r == '’' || r == '`' || r == 'ʼ' || r == '‘'
}

// stemWord is a word's Snowball stem in the language of its script; numbers stay as they are.
func stemWord(w string) string {
	cyrillic, letters := false, false
	for _, r := range w {
		switch {
		case unicode.Is(unicode.Cyrillic, r):
			cyrillic, letters = true, true
		case unicode.IsLetter(r):
			letters = true
		}
	}
	switch {
	case !letters:
		return w
	case cyrillic:
		return russian.Stem(w, true)
	}
	return english.Stem(w, true)
}

// ticketNumber reads a search word that names a ticket by number ("42", "#42" is split to it),
// 0 when it is not one.
func ticketNumber(w string) int64 {
	if w == "" || len(w) > 15 {
		return 0
	}
	var n int64
	for _, r := range w {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int64(r-'0')
	}
	return n
}

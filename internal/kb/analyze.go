package kb

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/russian"
)

// Text becomes terms in three steps, the same for articles and questions:
//
//  1. tokens: lower case, ё folded to е, apostrophes dropped inside words (can't is cant),
//     anything but letters and digits splits words; each word gets its Snowball stem by its
//     script (Cyrillic: Russian, otherwise English), so a mixed question ("не приходит SMS")
//     is stemmed word by word;
//  2. (questions only) a word the index does not know is corrected to a near word it does
//     (typos.go);
//  3. terms: phrases of the synonym lexicon become their concept, and the stop words left
//     are dropped.

//go:embed stopwords.txt
var stopwordsText string

//go:embed synonyms.txt
var synonymsText string

// lex is the shipped lexicon: stop words and synonym phrases.
var lex = mustLexicon(stopwordsText, synonymsText)

// A token is one word of a text.
type token struct {
	surface string  // the normalised word
	stem    string  // its stem; a stop word is its own stem
	stop    bool    // a stop word
	weight  float64 // 1, or less for a word corrected from a typo
}

// A term is what the index and the scoring work with: a stem, or a concept of the lexicon
// ("~" and its name), with the weight of the words it came from.
type term struct {
	text   string
	weight float64
}

// normalize lowers text and folds ё to е.
func normalize(s string) string {
	s = strings.ToLower(s)
	return strings.ReplaceAll(s, "ё", "е")
}

// isApostrophe reports the characters people type as apostrophes.
func isApostrophe(r rune) bool {
	return r == '\'' || r == '’' || r == '`' || r == 'ʼ' || r == '‘'
}

// words splits normalised text into words of letters and digits; an apostrophe between two
// letters is dropped (don't is dont), everything else separates words.
func words(s string) []string {
	var out []string
	rs := []rune(normalize(s))
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(foldLookAlikes(cur)))
			cur = cur[:0]
		}
	}
	for i, r := range rs {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur = append(cur, r)
		case isApostrophe(r) && len(cur) > 0 && i+1 < len(rs) && unicode.IsLetter(rs[i+1]):
			// skipped: the word goes on
		default:
			flush()
		}
	}
	flush()
	return out
}

// Letters that look alike in the Latin and Cyrillic alphabets (lower case), each way.
var (
	latinLookAlike    = map[rune]rune{'a': 'а', 'b': 'в', 'c': 'с', 'e': 'е', 'h': 'н', 'k': 'к', 'm': 'м', 'o': 'о', 'p': 'р', 't': 'т', 'x': 'х', 'y': 'у'}
	cyrillicLookAlike = map[rune]rune{'а': 'a', 'в': 'b', 'с': 'c', 'е': 'e', 'н': 'h', 'к': 'k', 'м': 'm', 'о': 'o', 'р': 'p', 'т': 't', 'х': 'x', 'у': 'y', 'і': 'i'}
)

// foldLookAlikes writes a word that mixes the two alphabets (a Russian word typed with a
// Latin "c" or "o" on a keyboard switched halfway, "cкорость") in the alphabet of most of its
// letters, when each letter of the other has a look-alike there; any other word is returned
// as it is. w is lower case, and may be changed in place.
func foldLookAlikes(w []rune) []rune {
	cyr, lat := alphabets(w)
	if cyr == 0 || lat == 0 {
		return w
	}
	to, minority := latinLookAlike, unicode.Latin
	if lat > cyr {
		to, minority = cyrillicLookAlike, unicode.Cyrillic
	}
	out := slices.Clone(w)
	for i, r := range out {
		if unicode.Is(minority, r) {
			c, ok := to[r]
			if !ok {
				return w
			}
			out[i] = c
		}
	}
	return out
}

// alphabets counts the Cyrillic and the Latin letters of rs.
func alphabets(rs []rune) (cyrillic, latin int) {
	for _, r := range rs {
		switch {
		case unicode.Is(unicode.Cyrillic, r):
			cyrillic++
		case unicode.Is(unicode.Latin, r):
			latin++
		}
	}
	return cyrillic, latin
}

// isCyrillic reports whether a word has Cyrillic letters, and so is stemmed as Russian.
func isCyrillic(w string) bool {
	for _, r := range w {
		if unicode.Is(unicode.Cyrillic, r) {
			return true
		}
	}
	return false
}

// isNumber reports whether a word is only digits.
func isNumber(w string) bool {
	for _, r := range w {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return w != ""
}

// hasDigit reports whether a word has a digit (429, 300mb, 10am).
func hasDigit(w string) bool {
	return strings.ContainsFunc(w, unicode.IsDigit)
}

// stem is a word's Snowball stem, in the language of its script.
func stem(w string) string {
	switch {
	case isNumber(w):
		return w
	case isCyrillic(w):
		return russian.Stem(w, true)
	}
	return english.Stem(w, true)
}

// tokens splits text into tokens.
func (l *lexicon) tokens(text string) []token {
	ws := words(text)
	out := make([]token, len(ws))
	for i, w := range ws {
		t := token{surface: w, weight: 1}
		if l.stop[w] {
			t.stop, t.stem = true, w
		} else {
			t.stem = stem(w)
			// A form of a stop word is one too (looked, needs), unless the lexicon
			// knows the form itself.
			t.stop = l.stop[t.stem] && !l.stems[t.stem]
		}
		out[i] = t
	}
	return out
}

// maxSkip is how many stop words a phrase may skip in the text ("charged me twice").
const maxSkip = 2

// terms turns tokens into terms: the longest phrase of the lexicon starting at each token
// becomes its concept; the remaining stop words and one-letter words are dropped.
func (l *lexicon) terms(toks []token) []term {
	var out []term
	for i := 0; i < len(toks); {
		if concept, next, weight := l.match(toks, i); next > i {
			out = append(out, term{concept, weight})
			i = next
			continue
		}
		t := toks[i]
		i++
		if t.stop || len([]rune(t.surface)) < 2 {
			continue
		}
		out = append(out, term{t.stem, t.weight})
	}
	return out
}

// match finds the longest phrase of the lexicon that starts at toks[i]. It returns its
// concept, the index after it and the smallest weight of its words, or next == i when no
// phrase starts there. A word matches a phrase's word by its stem, by its exact form for
// the phrase words written =word, or as another form of the phrase word's stem (sameWord:
// "включении" for "включить"), at derivedWeight.
func (l *lexicon) match(toks []token, i int) (concept string, next int, weight float64) {
	next = i
	type state struct {
		node    *phraseNode
		at      int // the next token to read
		end     int // after the last token matched
		skipped int
		weight  float64
	}
	stack := []state{{l.root, i, i, 0, 1}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s.node.concept != "" && s.end > next {
			concept, next, weight = s.node.concept, s.end, s.weight
		}
		if s.at >= len(toks) {
			continue
		}
		t := toks[s.at]
		w := min(s.weight, t.weight)
		// Pushed last, so taken first: of two phrases as long, the exact form's wins.
		exact, byStem := s.node.next["="+t.surface], s.node.next[t.stem]
		if t.stop {
			byStem = nil // a stop word matches only itself
		}
		if byStem != nil {
			stack = append(stack, state{byStem, s.at + 1, s.at + 1, s.skipped, w})
		} else if !t.stop {
			for _, d := range s.node.derived(t.stem) {
				stack = append(stack, state{d, s.at + 1, s.at + 1, s.skipped, min(w, derivedWeight)})
			}
		}
		if exact != nil {
			stack = append(stack, state{exact, s.at + 1, s.at + 1, s.skipped, w})
		}
		// A stop word inside a phrase may be skipped, but a phrase never starts or ends
		// with a skip.
		if t.stop && s.at > i && s.skipped < maxSkip {
			stack = append(stack, state{s.node, s.at + 1, s.end, s.skipped + 1, s.weight})
		}
	}
	return concept, next, weight
}

// A lexicon holds the stop words and the synonym phrases.
type lexicon struct {
	stop  map[string]bool
	root  *phraseNode
	words map[string]bool // every word of every phrase, for typo correction
	stems map[string]bool // every stem of every phrase
}

// A phraseNode is a node of the phrase trie, keyed by stems ("=word" for a word to match
// exactly, unstemmed).
type phraseNode struct {
	next    map[string]*phraseNode
	concept string
	// byPrefix lists the keys of next by their first prefixLen letters, for finding the
	// phrase words a word is another form of.
	byPrefix map[string][]string
}

// derived returns the children whose key is another form of the word with stem s.
func (n *phraseNode) derived(s string) []*phraseNode {
	r := []rune(s)
	if len(r) < prefixLen || isNumber(s) {
		return nil
	}
	var out []*phraseNode
	for _, k := range n.byPrefix[string(r[:prefixLen])] {
		if sameWord(r, []rune(k)) {
			out = append(out, n.next[k])
		}
	}
	return out
}

// index fills byPrefix in n and below it.
func (n *phraseNode) index() {
	for k, child := range n.next {
		if r := []rune(k); len(r) >= prefixLen && !strings.HasPrefix(k, "=") {
			if n.byPrefix == nil {
				n.byPrefix = map[string][]string{}
			}
			key := string(r[:prefixLen])
			n.byPrefix[key] = append(n.byPrefix[key], k)
		}
		child.index()
	}
	for _, keys := range n.byPrefix {
		slices.Sort(keys)
	}
}

func mustLexicon(stopwords, synonyms string) *lexicon {
	l, err := newLexicon(stopwords, synonyms)
	if err != nil {
		panic(err)
	}
	return l
}

// newLexicon reads the stop-word list (words separated by blanks) and the synonym list (one
// concept a line, its phrases separated by commas); # starts a comment in both.
func newLexicon(stopwords, synonyms string) (*lexicon, error) {
	l := &lexicon{stop: map[string]bool{}, root: &phraseNode{}, words: map[string]bool{}, stems: map[string]bool{}}
	for _, line := range strings.Split(stopwords, "\n") {
		line, _, _ = strings.Cut(line, "#")
		for _, w := range strings.Fields(line) {
			l.stop[normalize(w)] = true
		}
	}
	owner := map[string]int{} // a phrase's key path → the line of its concept
	for n, line := range strings.Split(synonyms, "\n") {
		line, _, _ = strings.Cut(line, "#")
		if strings.TrimSpace(line) == "" {
			continue
		}
		phrases := strings.Split(line, ",")
		concept := ""
		for _, p := range phrases {
			var keys []string
			for _, part := range strings.Fields(p) {
				exact := strings.HasPrefix(part, "=")
				for _, w := range words(strings.TrimPrefix(part, "=")) {
					l.words[w] = true
					switch {
					case exact, l.stop[w]:
						// A stop word in a phrase must be that very word.
						keys = append(keys, "="+w)
					default:
						s := stem(w)
						l.stems[s] = true
						keys = append(keys, s)
					}
				}
			}
			if len(keys) == 0 {
				return nil, fmt.Errorf("synonyms line %d: an empty phrase", n+1)
			}
			if concept == "" {
				concept = "~" + strings.ReplaceAll(strings.Join(keys, "_"), "=", "")
			}
			path := strings.Join(keys, " ")
			if first, dup := owner[path]; dup && first != n+1 {
				return nil, fmt.Errorf("synonyms line %d: %q is already a phrase of line %d", n+1, strings.TrimSpace(p), first)
			}
			owner[path] = n + 1
			node := l.root
			for _, k := range keys {
				if node.next == nil {
					node.next = map[string]*phraseNode{}
				}
				child := node.next[k]
				if child == nil {
					child = &phraseNode{}
					node.next[k] = child
				}
				node = child
			}
			node.concept = concept
		}
	}
	l.root.index()
	return l, nil
}

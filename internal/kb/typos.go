package kb

import (
	"slices"
	"strings"

	"github.com/kljensen/snowball/russian"
)

// Customers misspell (pasword, акаунт, востановить) and inflect or derive words differently
// from the article (восстановить against восстановление, subscribe against subscription).
// Two mechanisms bridge that, both against the index's own vocabulary, so they adapt to
// whatever knowledge base is loaded:
//
//   - correct: a question's word that neither the index nor the lexicon knows, in any form,
//     is replaced by the nearest word they do know within a small edit distance
//     (Damerau–Levenshtein: one edit for words of 6 to 8 letters, two from 9), sharing its
//     first letter; the term it gives counts typoWeight of an exact one;
//   - read as Russian: a word of Latin letters neither knows is read as Russian typed in
//     them (ne rabotaet, premium) when the Russian word is known, at typoWeight too; a
//     question most of whose words are read so is taken to be in Russian;
//   - expand: a question's stem also matches the index's stems that are the same word with
//     a longer or shorter ending (one is a prefix of the other but for at most one letter,
//     and they share at least prefixLen letters), at derivedWeight.

const (
	typoWeight    = 0.8
	derivedWeight = 0.8
	// minTypoLen is the shortest word corrected: shorter words are too often real words
	// the articles happen not to use (taken is not token).
	minTypoLen = 6
)

// correct replaces, in place, the words of a question that the index does not know.
func (ix *index) correct(toks []token) (translits int) {
	for i := range toks {
		t := &toks[i]
		r := []rune(t.surface)
		if t.stop || isNumber(t.surface) || ix.knows(t.surface, t.stem) {
			continue
		}
		if cyr, ok := ix.fromTranslit(t.surface); ok {
			// Russian typed in Latin letters (ne rabotaet): read as the Russian word when
			// the articles or the lexicon know it.
			t.readAs(cyr)
			translits++
			continue
		}
		if best := ix.nearest(r); best != "" {
			t.readAs(best)
			continue
		}
		if lat, ok := ix.fromLoanword(t.surface); ok {
			// A Latin product name typed in Cyrillic letters (впс): read as the Latin word.
			t.readAs(lat)
		}
	}
	return translits
}

// readAs makes t the word w, which the index or the lexicon knows, read from what the
// customer typed: at typoWeight.
func (t *token) readAs(w string) {
	t.surface, t.weight = w, typoWeight
	if lex.stop[w] {
		t.stop, t.stem = true, w
	} else {
		t.stem = stem(w)
	}
}

// nearest is the vocabulary's word nearest to r within the typo distance for its length
// (one edit from minTypoLen letters, two from 9), sharing its first letter, or "".
func (ix *index) nearest(r []rune) string {
	if len(r) < minTypoLen {
		return ""
	}
	limit := 1
	if len(r) >= 9 {
		limit = 2
	}
	return ix.closest(r, limit, nil)
}

// closest is the vocabulary's word nearest to r within limit edits, sharing its first
// letter, among those keep accepts (all when nil), or "".
func (ix *index) closest(r []rune, limit int, keep func(word string) bool) string {
	best, bestDist := "", limit+1
	for _, v := range ix.vocab[r[0]] {
		if v.runes < len(r)-limit || v.runes > len(r)+limit || keep != nil && !keep(v.word) {
			continue
		}
		if d := editDistance(r, []rune(v.word), limit); d < bestDist {
			best, bestDist = v.word, d
		}
	}
	return best
}

// knows reports whether the index or the lexicon knows a word, in this form or another.
func (ix *index) knows(word, stem string) bool {
	return ix.terms[stem] || lex.stems[stem] || lex.words[word] || lex.stop[word] || ix.hasDerived(stem)
}

// translit is how Russian is commonly typed in Latin letters, longest spellings first.
var translit = []struct{ latin, cyrillic string }{
	{"shch", "щ"}, {"sch", "щ"}, {"zh", "ж"}, {"kh", "х"}, {"ts", "ц"}, {"ch", "ч"}, {"sh", "ш"},
	{"ya", "я"}, {"yu", "ю"}, {"yo", "е"}, {"ye", "е"}, {"a", "а"}, {"b", "б"}, {"v", "в"},
	{"g", "г"}, {"d", "д"}, {"e", "е"}, {"z", "з"}, {"i", "и"}, {"k", "к"}, {"l", "л"},
	{"m", "м"}, {"n", "н"}, {"o", "о"}, {"p", "п"}, {"r", "р"}, {"s", "с"}, {"t", "т"},
	{"u", "у"}, {"f", "ф"}, {"h", "х"}, {"c", "ц"}, {"w", "в"}, {"x", "кс"}, {"j", "й"},
	{"q", "к"}, {"y", "ы"}, {"|", ""}, {"E", "э"},
}

// fromTranslit reads a word of Latin letters as Russian typed in them (rabotaet: работает),
// when the index or the lexicon knows the Russian word. Spellings that read two ways are
// tried both ways: sch is щ or сч (schet: счет), ts is ц or тс (gruzitsya: грузится), i
// after a vowel is и or й (sait: сайт, kartoi: картой), e at the start е or э (eto: это),
// and a soft sign people leave out may be wanted (softSigns: delat, skolko, vladeltsa,
// svyazatsya: делать, сколько, владельца, связаться).
func (ix *index) fromTranslit(w string) (string, bool) {
	for _, v := range translitSpellings(w) {
		cyr, ok := transliterate(v)
		if !ok {
			return "", false
		}
		for _, c := range softSigns(cyr) {
			if ix.knows(c, stem(c)) {
				return c, true
			}
		}
	}
	return "", false
}

// softSigns lists the readings of a Russian word typed without its soft signs, the word
// itself first: with a soft sign after its last consonant (делать), in the verb ending -ться
// (связаться), or after one л, н, т, д, с or з between a vowel and a consonant (сколько,
// владельца, письмо), one place at a time.
func softSigns(w string) []string {
	out := []string{w}
	add := func(v string) {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	r := []rune(w)
	if len(r) > 0 && isConsonant(r[len(r)-1]) {
		add(w + "ь")
	}
	if base, ok := strings.CutSuffix(w, "тся"); ok {
		add(base + "ться")
	}
	for i := 1; i+1 < len(r); i++ {
		if strings.ContainsRune("лнтдсз", r[i]) && isConsonant(r[i+1]) && isVowel(r[i-1]) {
			add(string(r[:i+1]) + "ь" + string(r[i+1:]))
		}
	}
	return out
}

// The Russian vowels and consonants (й among them).
const (
	russianVowels     = "аеиоуыэюяё"
	russianConsonants = "бвгджзйклмнпрстфхцчшщ"
)

// isVowel and isConsonant report whether r is a Russian vowel, or a consonant.
func isVowel(r rune) bool { return strings.ContainsRune(russianVowels, r) }

func isConsonant(r rune) bool { return strings.ContainsRune(russianConsonants, r) }

// translitSpellings lists the ways of reading w that fromTranslit tries, the plainest first:
// each ambiguous spelling is marked for transliterate (| parts letters, j is й, E is э).
func translitSpellings(w string) []string {
	out := []string{w}
	each := func(f func(string) string) {
		for _, v := range out {
			if r := f(v); r != v && !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	each(func(v string) string { return strings.ReplaceAll(v, "sch", "s|ch") })
	each(func(v string) string { return strings.ReplaceAll(v, "ts", "t|s") })
	each(softI)
	each(func(v string) string {
		if strings.HasPrefix(v, "e") {
			return "E" + v[1:]
		}
		return v
	})
	return out
}

// softI writes an i that follows a vowel as j (й).
func softI(w string) string {
	b := []byte(w)
	for i := 1; i < len(b); i++ {
		if b[i] == 'i' && strings.IndexByte("aeouy", b[i-1]) >= 0 {
			b[i] = 'j'
		}
	}
	return string(b)
}

// transliterate reads Latin letters as Russian typed in them; y is й after a vowel (moy:
// мой), ы otherwise (vy: вы), and | separates letters read apart. ok is false for a word
// with other letters.
func transliterate(w string) (string, bool) {
	var b strings.Builder
	vowel := false
	for rest := w; rest != ""; {
		found := false
		for _, tr := range translit {
			if !strings.HasPrefix(rest, tr.latin) {
				continue
			}
			c := tr.cyrillic
			if tr.latin == "y" && vowel {
				c = "й"
			}
			b.WriteString(c)
			vowel = strings.ContainsAny(c, russianVowels)
			rest, found = rest[len(tr.latin):], true
			break
		}
		if !found {
			return "", false
		}
	}
	return b.String(), true
}

// loanLetters is how a Latin word is commonly written in Cyrillic letters, read back; the
// letters that read two ways (в: v or w; к and с: c) are tried both ways by fromLoanword.
var loanLetters = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ж': "zh", 'з': "z", 'и': "i",
	'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s",
	'т': "t", 'у': "u", 'ф': "f", 'х': "h", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "sch",
	'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya",
}

// fromLoanword reads a Cyrillic word as a Latin one written in Cyrillic letters (впс: VPS,
// пин: PIN, вордпресс: WordPress, ддосят: DDoS), when the Russian articles use the Latin
// word: the word itself or its Russian stem, letter by letter, the same or (from five
// letters) one edit away from a word they use. (An English article's word is not enough: a
// Russian word the Russian articles lack is more often Russian than a loan.)
func (ix *index) fromLoanword(w string) (string, bool) {
	ru := ix.part("ru")
	if !isCyrillic(w) || ru == nil {
		return "", false
	}
	for _, form := range slices.Compact([]string{w, russian.Stem(w, true)}) {
		// Four readings: в as v or w, times к and с as k and s or as c.
		var reads [4]strings.Builder
		for _, r := range form {
			l, ok := loanLetters[r]
			if !ok {
				return "", false // not only Cyrillic letters
			}
			for i := range reads {
				switch {
				case r == 'в' && i&1 != 0:
					reads[i].WriteString("w")
				case (r == 'к' || r == 'с') && i&2 != 0:
					reads[i].WriteString("c")
				default:
					reads[i].WriteString(l)
				}
			}
		}
		for i := range reads {
			lat := reads[i].String()
			if lat == "" {
				continue
			}
			if ru.has(stem(lat)) {
				return lat, true
			}
			if r := []rune(lat); len(r) >= 5 {
				if near := ix.closest(r, 1, func(w string) bool { return ru.has(stem(w)) }); near != "" {
					return near, true
				}
			}
		}
	}
	return "", false
}

// part returns the index's part of a language, or nil.
func (ix *index) part(lang string) *part {
	for _, p := range ix.parts {
		if p.lang == lang {
			return p
		}
	}
	return nil
}

// has reports whether the part's articles have the term.
func (p *part) has(term string) bool {
	_, ok := p.postings[term]
	return ok
}

// hasDerived reports whether some part knows another form of the stem.
func (ix *index) hasDerived(s string) bool {
	for _, p := range ix.parts {
		if len(p.derived(s)) > 0 {
			return true
		}
	}
	return false
}

// A match is a term of the index that a question's term matches, and how well (1 for the
// term itself).
type match struct {
	text   string
	weight float64
}

// expand lists the part's terms that the question's term t matches: itself when the part
// has it, and its other forms.
func (p *part) expand(t string) []match {
	var out []match
	if _, ok := p.postings[t]; ok {
		out = append(out, match{t, 1})
	}
	for _, d := range p.derived(t) {
		out = append(out, match{d, derivedWeight})
	}
	return out
}

// derived lists the part's stems, other than s, that are another form of the same word.
func (p *part) derived(s string) []string {
	if strings.HasPrefix(s, "~") || isNumber(s) {
		return nil
	}
	r := []rune(s)
	if len(r) < prefixLen {
		return nil
	}
	var out []string
	for _, v := range p.byPrefix[string(r[:prefixLen])] {
		if v != s && sameWord(r, []rune(v)) {
			out = append(out, v)
		}
	}
	return out
}

// sameWord reports whether two stems look like forms of one word: the shorter is a prefix
// of the longer but for at most its last letter, and they differ in length by at most 4.
func sameWord(a, b []rune) bool {
	short, long := a, b
	if len(short) > len(long) {
		short, long = long, short
	}
	if len(long)-len(short) > 4 {
		return false
	}
	common := 0
	for common < len(short) && short[common] == long[common] {
		common++
	}
	return common >= prefixLen && common >= len(short)-1
}

// editDistance is the optimal-string-alignment (Damerau–Levenshtein) distance of a and b,
// or limit+1 when it is larger than limit.
func editDistance(a, b []rune, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if prev[len(b)] > limit {
		return limit + 1
	}
	return prev[len(b)]
}

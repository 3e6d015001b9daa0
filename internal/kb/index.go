package kb

import (
	"math"
	"slices"
	"strings"
)

// The fields of an article that are indexed, and how much a term found in each counts
// (BM25F): the title says what the article answers, keywords are the operator's own words
// for it, the category is a weak hint, the body is long and says much besides.
const (
	fieldTitle = iota
	fieldKeywords
	fieldCategory
	fieldBody
	numFields
)

var (
	fieldWeight = [numFields]float64{3, 2.5, 0.5, 1}
	// fieldB is BM25's length normalisation per field: none for the one-word category,
	// little for short titles and keyword lists, the usual 0.75 for bodies.
	fieldB = [numFields]float64{0.3, 0.3, 0, 0.75}
)

// k1 is BM25's term-frequency saturation.
const k1 = 1.2

// An index holds one part per language and the vocabulary shared by all of them.
type index struct {
	parts []*part // in the order of Languages
	// terms is every term of every part, for telling known words from unknown ones.
	terms map[string]bool
	// vocab is every word (not stem) of the articles and of the lexicon, by first letter,
	// for typo correction.
	vocab map[rune][]vocabWord
}

// A vocabWord is a word of the vocabulary and how many times the articles use it.
type vocabWord struct {
	word  string
	runes int
	count int
}

// A part is the index of the articles of one language, with its own statistics: a word's
// rarity among the Russian articles says nothing about the English ones.
type part struct {
	lang     string
	articles []int // the Base's index of each document
	lens     [][numFields]float64
	avgLen   [numFields]float64
	postings map[string][]posting
	// heads are, per document, the distinct terms of its title and of each keyword: the
	// statements of what the article answers.
	heads [][][]string
	// byPrefix lists the stems of the part by their first prefixLen letters, for finding
	// other forms of a question's word (восстановить, восстановление).
	byPrefix map[string][]string
}

// A posting is one document's counts of a term, per field.
type posting struct {
	doc int32
	tf  [numFields]float32
}

const prefixLen = 5

// buildIndex analyses every article and indexes it in the part of its language.
func buildIndex(articles []Article) *index {
	ix := &index{terms: map[string]bool{}, vocab: map[rune][]vocabWord{}}
	counts := map[string]int{}
	byLang := map[string]*part{}
	for _, lang := range Languages {
		p := &part{lang: lang, postings: map[string][]posting{}, byPrefix: map[string][]string{}}
		ix.parts = append(ix.parts, p)
		byLang[lang] = p
	}
	for i, a := range articles {
		p := byLang[a.Lang]
		doc := int32(len(p.articles))
		p.articles = append(p.articles, i)
		texts := [numFields]string{a.Title, strings.Join(a.Keywords, " ; "), a.Category, a.Body}
		heads := [][]string{distinctTerms(lex.terms(lex.tokens(a.Title)))}
		for _, k := range a.Keywords {
			heads = append(heads, distinctTerms(lex.terms(lex.tokens(k))))
		}
		p.heads = append(p.heads, heads)
		var lens [numFields]float64
		tfs := map[string]*[numFields]float32{}
		for f, text := range texts {
			toks := lex.tokens(text)
			for _, t := range toks {
				if !t.stop {
					counts[t.surface]++
				}
			}
			for _, t := range lex.terms(toks) {
				tf := tfs[t.text]
				if tf == nil {
					tf = new([numFields]float32)
					tfs[t.text] = tf
				}
				tf[f]++
				lens[f]++
			}
		}
		p.lens = append(p.lens, lens)
		for text, tf := range tfs {
			p.postings[text] = append(p.postings[text], posting{doc, *tf})
		}
	}
	for _, p := range ix.parts {
		n := float64(len(p.articles))
		for _, l := range p.lens {
			for f := range numFields {
				p.avgLen[f] += l[f] / n
			}
		}
		for text, list := range p.postings {
			ix.terms[text] = true
			slices.SortFunc(list, func(a, b posting) int { return int(a.doc - b.doc) })
			if !strings.HasPrefix(text, "~") && !isNumber(text) {
				if r := []rune(text); len(r) >= prefixLen {
					key := string(r[:prefixLen])
					p.byPrefix[key] = append(p.byPrefix[key], text)
				}
			}
		}
	}
	for w := range lex.words {
		counts[w] += 0
	}
	for w, c := range counts {
		r := []rune(w)
		if len(r) < 4 || isNumber(w) {
			continue
		}
		ix.vocab[r[0]] = append(ix.vocab[r[0]], vocabWord{w, len(r), c})
	}
	for _, list := range ix.vocab {
		// Most used first, so that of equally near words the common one wins.
		slices.SortFunc(list, func(a, b vocabWord) int {
			if a.count != b.count {
				return b.count - a.count
			}
			return strings.Compare(a.word, b.word)
		})
	}
	return ix
}

// idf is the inverse document frequency of a term found in df of the part's documents.
func (p *part) idf(df int) float64 {
	n := float64(len(p.articles))
	return math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5))
}

// weightedTF is BM25F's combined term frequency of a posting: each field's count, weighted
// and normalised by the field's length.
func (p *part) weightedTF(po posting) float64 {
	lens := p.lens[po.doc]
	var tf float64
	for f := range numFields {
		if po.tf[f] == 0 {
			continue
		}
		norm := 1.0
		if p.avgLen[f] > 0 {
			norm = 1 - fieldB[f] + fieldB[f]*lens[f]/p.avgLen[f]
		}
		tf += fieldWeight[f] * float64(po.tf[f]) / norm
	}
	return tf
}

// saturate is BM25's saturation of a term frequency, from 0 towards k1+1.
func saturate(tf float64) float64 { return tf * (k1 + 1) / (tf + k1) }

// distinctTerms lists the texts of ts once each.
func distinctTerms(ts []term) []string {
	var out []string
	for _, t := range ts {
		if !slices.Contains(out, t.text) {
			out = append(out, t.text)
		}
	}
	return out
}

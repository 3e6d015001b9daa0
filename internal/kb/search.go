package kb

import (
	"slices"
)

// Search returns up to n articles that answer the question, best first, and none when no
// article is relevant enough to suggest. Articles in the question's language come before the
// others. The question's language is that of its script when most of its letters are
// Cyrillic (ru) or Latin (en); otherwise lang ("" for en).
func (b *Base) Search(query, lang string, n int) []Result {
	if n <= 0 || len(b.articles) == 0 {
		return nil
	}
	terms, lang := b.analyze(query, lang)
	if len(terms) == 0 {
		return nil
	}
	parts := slices.Clone(b.index.parts)
	slices.SortStableFunc(parts, func(x, y *part) int {
		switch {
		case x.lang == lang && y.lang != lang:
			return -1
		case y.lang == lang && x.lang != lang:
			return 1
		}
		return 0
	})
	// Every part's candidates are judged on their own, then against the best of all parts,
	// so that a weak article in the question's language does not come before a clear answer
	// in the other.
	// An article in another language needs more: to beat the question language's best
	// candidate, suggested or not, by otherLangEdge.
	found := make([][]scored, len(parts))
	best, own := 0.0, 0.0
	for i, p := range parts {
		var top float64
		found[i], top = p.suggest(terms)
		if p.lang == lang {
			own = top
		}
		for _, s := range found[i] {
			best = max(best, s.rank)
		}
	}
	var out []Result
	for i, p := range parts {
		for _, s := range found[i] {
			if s.rank >= relativeToBest*best && (p.lang == lang || s.rank >= otherLangEdge*own) {
				out = append(out, Result{ID: b.articles[p.articles[s.doc]].ID, Score: s.confidence})
			}
		}
	}
	if len(out) > n {
		out = out[:n]
	}
	// The order decides, not the confidence alone (a title matched raises an article, one in
	// the question's language comes first): each score is kept below the one before it, so
	// that whoever sorts by score reads the same order.
	for i := 1; i < len(out); i++ {
		out[i].Score = max(min(out[i].Score, out[i-1].Score-scoreStep), 0)
	}
	return out
}

// analyze returns the question's terms, its typos and transliterations read as the words the
// base knows, and its language: its script's, Russian when most of its words are Russian
// typed in Latin letters, else lang.
func (b *Base) analyze(query, lang string) ([]term, string) {
	lang = questionLang(query, lang)
	toks := lex.tokens(query)
	if n := b.index.correct(toks); 2*n > len(toks) {
		lang = "ru" // Russian typed in Latin letters, most of its words
	}
	return uniqueTerms(lex.terms(toks)), lang
}

// scoreStep is the least difference between the scores of two articles suggested one after
// the other: the precision `threadesk kb search` prints them with.
const scoreStep = 0.001

// questionLang is the language a question is written in: its script's when most of its
// letters tell, else the hint.
func questionLang(query, hint string) string {
	cyrillic, latin := alphabets([]rune(query))
	switch {
	case cyrillic > 2*latin:
		return "ru"
	case latin > 2*cyrillic:
		return "en"
	case slices.Contains(Languages, hint):
		return hint
	}
	return "en"
}

// uniqueTerms keeps the first of each term, with the largest weight it was given.
func uniqueTerms(ts []term) []term {
	var out []term
	at := map[string]int{}
	for _, t := range ts {
		if i, ok := at[t.text]; ok {
			out[i].weight = max(out[i].weight, t.weight)
			continue
		}
		at[t.text] = len(out)
		out = append(out, t)
	}
	return out
}

package kb

import (
	"cmp"
	"slices"
)

// Ranking and the decision to suggest.
//
// Each term of the question is scored against the documents of a part with BM25F, through
// every index term it matches (itself, another form of the word, a typo's correction); a
// document counts only its best match per question term, so a word is not rewarded twice.
//
// Whether a document is relevant enough is not decided by its raw score, which grows with
// the question's length and the base's size, but by ratios against what the question asks:
//
//   - coverage: the share of the question's weight (the sum of its terms' IDF, each term
//     weighted by how well it was matched) that the document matches. A question word that
//     no article of the part knows still weighs, at unknownWeight times the IDF of the
//     rarest word, so a question about something the base does not cover (a near-miss
//     sharing one word with an article, an unrelated request) is left unanswered; each
//     further unknown word weighs furtherUnknown of that, as the more a customer writes
//     the more of it is context ("kids are starving", "second time this month"), not the
//     topic; a number the base does not know (an amount, a time) weighs nothing;
//   - confidence: the document's score divided by the score of a document that had every
//     question term once in its title; the Score a Result reports;
//   - head: the largest share of the document's title, or of one of its keywords, that the
//     question matches: whether the question asks what the article is about, rather than
//     sharing a word with its body. Documents are ordered by confidence × (1 + head).
//
// A document is suggested when its coverage and confidence pass their thresholds (lower
// ones when the question names it: its head is namedHead or more, and the question's other
// words are more likely context, "lost my card on the bus last night") and it ranks at
// least relativeToBest of the best suggestion of any language, so weak runners-up
// are not shown beside a clear answer. One in a language other than the question's must also
// outrank the question language's best document, suggested or not, by otherLangEdge: a
// Russian question gets an English article only when no Russian one comes near.

// The thresholds were chosen on the development questions of testdata (quality_test.go),
// among round values, and checked on the held-out ones; the named ones on three corpora
// written by others (a bank, an online school, a hosting provider: quality_test.go's
// -outside), where they answered 9 questions of 300 more and suggested nothing more for
// the unanswerable ones, nor on ours. furtherUnknown on seven others' corpora (those three,
// a mobile operator, food delivery, and two written unseen on 2026-12-08, ride hailing and a
// utility): top-1 55.5% -> 60.1% of 705 questions, false suggestions 14 -> 17 of 90 (on the
// two unseen ones 60.5% -> 63.4%, 6 -> 7 of 30), ours unchanged; 0.5 was the knee among
// 0.4-0.8 (0.4: 22 false), and weighing only the third unknown word on, or each further
// one by a power of it, did less. On four corpora of software products written after it and
// never tuned on (a CRM, video meetings, cloud storage, an online store builder), with the
// soft signs of the same day: top-1 62.6% -> 67.1% of 401, false suggestions 14 -> 14 of 61.
const (
	unknownWeight  = 1.0
	minCoverage    = 0.40
	minConfidence  = 0.35
	namedHead      = 0.75
	namedCoverage  = 0.25
	namedConf      = 0.25
	relativeToBest = 0.5
	headBoost      = 1.0
	otherLangEdge  = 1.5
	furtherUnknown = 0.5
)

// A scored document of a part.
type scored struct {
	doc        int32
	score      float64 // BM25F
	coverage   float64
	confidence float64
	head       float64 // the best share of its title or of one keyword the question matches
	rank       float64 // what orders the documents: confidence, raised by head
}

// suggest scores the part's documents for the question's terms and returns those relevant
// enough to suggest, best first.
func (p *part) suggest(terms []term) (out []scored, top float64) {
	for i, d := range p.score(terms) {
		if i == 0 {
			top = d.rank
		}
		named := d.head >= namedHead && d.coverage >= namedCoverage && d.confidence >= namedConf
		if named || d.coverage >= minCoverage && d.confidence >= minConfidence {
			out = append(out, d)
		}
	}
	return out, top
}

// score returns every document that matches a term of the question, best first, with its
// coverage and confidence.
func (p *part) score(terms []term) []scored {
	n := len(p.articles)
	if n == 0 {
		return nil
	}
	score := make([]float64, n)
	covered := make([]float64, n)
	best := make([]float64, n)
	bestMass := make([]float64, n)
	var touched []int32
	var total float64
	matched := map[string]float64{} // index terms the question matches, and how well
	unknown := unknownWeight * p.idf(1)
	unknowns := 0 // the question's words no article of the part knows, so far
	onlyNumbers := !slices.ContainsFunc(terms, func(t term) bool { return !hasDigit(t.text) })
	for _, t := range terms {
		matches := p.expand(t.text)
		mass := 0.0
		for _, m := range matches {
			mass = max(mass, m.weight*p.idf(len(p.postings[m.text])))
		}
		for _, m := range matches {
			matched[m.text] = max(matched[m.text], t.weight*m.weight)
		}
		// A number (an amount, a date, an error code) is context more often than the topic:
		// one the base does not know weighs nothing, and one it knows raises the score of the
		// documents that have it without weighing in the question's coverage, so that a "30"
		// that happens to be in some article costs no other article its coverage (unless the
		// question is only numbers: then they are its topic).
		number := hasDigit(t.text) && !onlyNumbers
		switch {
		case len(matches) == 0 && hasDigit(t.text):
			continue
		case len(matches) == 0:
			mass = unknown
			if unknowns++; unknowns > 1 {
				mass *= furtherUnknown
			}
		}
		if !number {
			total += t.weight * mass
		}
		for _, m := range matches {
			list := p.postings[m.text]
			idf := p.idf(len(list))
			for _, po := range list {
				s := t.weight * m.weight * idf * saturate(p.weightedTF(po))
				if best[po.doc] == 0 {
					touched = append(touched, po.doc)
				}
				if s > best[po.doc] {
					best[po.doc], bestMass[po.doc] = s, t.weight*m.weight*idf
					if number {
						bestMass[po.doc] = 0
					}
				}
			}
		}
		for _, d := range touched {
			score[d] += best[d]
			covered[d] += bestMass[d]
			best[d], bestMass[d] = 0, 0
		}
		touched = touched[:0]
	}
	if total == 0 {
		return nil
	}
	perfect := total * saturate(fieldWeight[fieldTitle])
	var out []scored
	for d, s := range score {
		if s > 0 {
			out = append(out, scored{doc: int32(d), score: s, coverage: covered[d] / total, confidence: s / perfect})
		}
	}
	for i := range out {
		out[i].rank = out[i].confidence
		// A document far below the confidence threshold is never suggested, nor near the
		// best: its head is not worth working out (the costliest part at 5,000 articles).
		if out[i].confidence >= minConfidence/2 {
			out[i].head = p.headCoverage(out[i].doc, matched)
			out[i].rank *= 1 + headBoost*out[i].head
		}
	}
	slices.SortFunc(out, func(a, b scored) int {
		if c := cmp.Compare(b.rank, a.rank); c != 0 {
			return c
		}
		return cmp.Compare(a.doc, b.doc)
	})
	return out
}

// headCoverage is the largest share of the document's title, or of one of its keywords,
// that the question's matched terms cover, each term by its IDF.
func (p *part) headCoverage(doc int32, matched map[string]float64) float64 {
	best := 0.0
	for _, head := range p.heads[doc] {
		var got, all float64
		for _, t := range head {
			idf := p.idf(len(p.postings[t]))
			all += idf
			got += matched[t] * idf
		}
		if all > 0 {
			best = max(best, got/all)
		}
	}
	return best
}

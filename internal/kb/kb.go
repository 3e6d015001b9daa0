// Package kb is the knowledge base: the articles of the file KB_PATH names, and the ranking
// that decides which of them answer a customer's question.
//
// A Base is built once per load: the articles are analysed (tokens, Snowball stems for
// English and Russian, ё folded to е, stop words dropped, support-domain synonyms and
// colloquialisms mapped to shared concepts) into one index per language. Search scores a
// question against it with BM25F over title, keywords, category and body, tolerating typos
// and Russian word-formation through near matches against the index's vocabulary, and then
// decides whether the best articles are relevant enough to suggest at all (see relevance.go):
// a question the base cannot answer gets nothing, not its least bad article.
package kb

import (
	"slices"
)

// Languages are the languages articles and questions may be in.
var Languages = []string{"en", "ru"}

// An Article is one entry of the knowledge base.
type Article struct {
	ID       string   // unique; letters, digits and dashes
	Lang     string   // en or ru
	Title    string   // the question or task the article answers
	Body     string   // the answer
	Keywords []string // optional words and phrases customers use for it
	Category string   // optional
	Line     int      // where the article starts in its file, for messages
}

// A Result is one article suggested for a question.
type Result struct {
	ID string
	// Score is the article's relevance to the question: about 1 for an article that
	// covers everything the question asks, lower for partial ones. Only articles above the
	// suggestion threshold are ever returned, and each has a lower score than the one before.
	Score float64
}

// A Base is a loaded knowledge base with its index. It is safe for concurrent use: nothing
// changes it after New.
type Base struct {
	articles []Article
	byID     map[string]int
	index    *index
}

// New checks articles (IDs, languages, required fields) and builds their index. Its error
// joins one *Error per problem; file is the name they carry.
func New(file string, articles []Article) (*Base, error) {
	return build(file, articles, func(i int, _ string) int { return articles[i].Line })
}

// build is New with the line of each field of each article, which a file knows better.
func build(file string, articles []Article, lineOf func(i int, field string) int) (*Base, error) {
	if err := check(file, articles, lineOf); err != nil {
		return nil, err
	}
	b := &Base{articles: slices.Clone(articles), byID: make(map[string]int, len(articles))}
	for i, a := range b.articles {
		b.byID[a.ID] = i
	}
	b.index = buildIndex(b.articles)
	return b, nil
}

// Len is the number of articles.
func (b *Base) Len() int { return len(b.articles) }

// Articles returns every article, in the file's order.
func (b *Base) Articles() []Article { return slices.Clone(b.articles) }

// Article returns the article with the given ID.
func (b *Base) Article(id string) (Article, bool) {
	i, ok := b.byID[id]
	if !ok {
		return Article{}, false
	}
	return b.articles[i], true
}

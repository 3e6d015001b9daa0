package kb

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// generatedBase builds a knowledge base of n articles for measuring: the test corpus's
// articles, then variants of them whose titles and bodies mix the corpus's words with
// made-up ones (so the vocabulary grows as a real base's would), in both languages.
func generatedBase(t testing.TB, n int) *Base {
	t.Helper()
	real := loadTestBase(t).Articles()
	rng := rand.New(rand.NewPCG(1, 2))
	var corpus [2][]string // words of the English and the Russian articles
	for _, a := range real {
		l := 0
		if a.Lang == "ru" {
			l = 1
		}
		corpus[l] = append(corpus[l], strings.Fields(a.Title+" "+a.Body)...)
	}
	letters := [2][]rune{[]rune("abcdefghijklmnopqrstuvwxyz"), []rune("абвгдежзийклмнопрстуфхцчшщыэюя")}
	made := func(l int) string {
		w := make([]rune, 4+rng.IntN(7))
		for i := range w {
			w[i] = letters[l][rng.IntN(len(letters[l]))]
		}
		return string(w)
	}
	var invented [2][]string
	for l := range 2 {
		for range 15000 {
			invented[l] = append(invented[l], made(l))
		}
	}
	text := func(l, words int) string {
		out := make([]string, words)
		for i := range out {
			if rng.IntN(3) == 0 {
				out[i] = invented[l][rng.IntN(len(invented[l]))]
			} else {
				out[i] = corpus[l][rng.IntN(len(corpus[l]))]
			}
		}
		return strings.Join(out, " ")
	}
	articles := append([]Article(nil), real...)
	for i := len(articles); i < n; i++ {
		l, lang := i%2, Languages[i%2]
		articles = append(articles, Article{
			ID: fmt.Sprintf("gen-%d", i), Lang: lang, Title: text(l, 4+rng.IntN(6)), Body: text(l, 60+rng.IntN(120)),
			Keywords: []string{text(l, 1), text(l, 2)}, Category: text(l, 1), Line: i + 1,
		})
	}
	b, err := New("generated", articles)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var benchQuestions = []string{
	"Hello! I've been locked out since yesterday because I can't remember my login password. How do I get a new one?",
	"you charged me twice this month!!",
	"Здравствуйте, с карты два раза сняли оплату за подписку, верните лишнее",
	"не приходит код двухфакторки, телефон сбросили до заводских",
	"can I pay with bitcoin?",
	"страница грузится бесконечно в браузере, что делать?",
}

// BenchmarkSearch5000 measures one question against 5,000 articles; the target is 50 ms.
func BenchmarkSearch5000(b *testing.B) {
	base := generatedBase(b, 5000)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		base.Search(benchQuestions[i%len(benchQuestions)], "", 3)
		i++
	}
}

// BenchmarkLoad5000 measures building the index of 5,000 articles, done once per load.
func BenchmarkLoad5000(b *testing.B) {
	base := generatedBase(b, 5000)
	articles := base.Articles()
	b.ResetTimer()
	for b.Loop() {
		if _, err := New("generated", articles); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSearchFast checks that a question against 5,000 articles is answered within 50 ms (on
// average over a few questions; allowing for the race detector's slowdown).
func TestSearchFast(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 5,000 articles")
	}
	base := generatedBase(t, 5000)
	start := time.Now()
	const rounds = 3
	for range rounds {
		for _, q := range benchQuestions {
			base.Search(q, "", 3)
		}
	}
	per := time.Since(start) / (rounds * time.Duration(len(benchQuestions)))
	limit := 50 * time.Millisecond * raceSlowdown
	t.Logf("%v per question at 5,000 articles (limit %v)", per, limit)
	if per > limit {
		t.Errorf("a question takes %v at 5,000 articles, want at most %v", per, limit)
	}
}

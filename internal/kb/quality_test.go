package kb

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// misses, given as -misses=dev (or heldout, outside, or all), lists every question of that
// set the ranking gets wrong, with what it suggested, the question's terms and where the
// wanted article stood (explain).
var misses = flag.String("misses", "", "list the questions of this set (dev, heldout, outside or all) that the ranking gets wrong")

// outside, given as -outside=DIR[,DIR…], also measures the ranking on corpora written by
// others (each DIR with a kb.yaml and a questions.yaml whose unanswerable questions want
// "none"), and logs their rates: how the ranking does on material it was not tuned on.
var outside = flag.String("outside", "", "comma-separated directories of other corpora (kb.yaml, questions.yaml) to measure too")

// A question of the test corpus and the article that answers it ("" when none does).
type question struct {
	Q    string `yaml:"q"`
	Want string `yaml:"want"`
}

// questionSets are the corpus's files of questions: the development set the ranking was
// tuned on, and the held-out set written with it but run only at the end.
var questionSets = []struct{ name, file string }{
	{"dev", "questions.yaml"},
	{"heldout", "heldout.yaml"},
}

func loadQuestions(t testing.TB, path string) []question {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Questions []question `yaml:"questions"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for i := range doc.Questions {
		if doc.Questions[i].Want == "none" {
			doc.Questions[i].Want = ""
		}
	}
	return doc.Questions
}

// rates are the ranking's results on a set of questions.
type rates struct {
	answerable, top1, top3, unanswered int // answerable questions: right first, right in the first three, nothing suggested
	unanswerable, falseSuggestions     int // questions no article answers, and those that got a suggestion
}

func (r *rates) add(o rates) {
	r.answerable += o.answerable
	r.top1 += o.top1
	r.top3 += o.top3
	r.unanswered += o.unanswered
	r.unanswerable += o.unanswerable
	r.falseSuggestions += o.falseSuggestions
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (r rates) Top1() float64             { return ratio(r.top1, r.answerable) }
func (r rates) Top3() float64             { return ratio(r.top3, r.answerable) }
func (r rates) FalseSuggestions() float64 { return ratio(r.falseSuggestions, r.unanswerable) }

func (r rates) String() string {
	return fmt.Sprintf("top-1 %.3f (%d/%d), top-3 %.3f (%d/%d), no answer %d, false suggestions %.3f (%d/%d)",
		r.Top1(), r.top1, r.answerable, r.Top3(), r.top3, r.answerable, r.unanswered,
		r.FalseSuggestions(), r.falseSuggestions, r.unanswerable)
}

// evaluate asks b every question, as a customer of the question's language would, and
// counts the outcomes; with show it logs every question it got wrong.
func evaluate(t *testing.T, b *Base, qs []question, show bool) rates {
	t.Helper()
	var r rates
	for _, q := range qs {
		got := b.Search(q.Q, "", 3)
		ids := make([]string, len(got))
		for i, g := range got {
			ids[i] = g.ID
			// Whoever sorts the suggestions by score must read the order they came in.
			if i > 0 && g.Score >= got[i-1].Score {
				t.Errorf("%q: score %.3f of %s, after %.3f of %s: want it lower down the list", q.Q, g.Score, g.ID, got[i-1].Score, got[i-1].ID)
			}
		}
		right := true
		if q.Want == "" {
			r.unanswerable++
			if len(got) > 0 {
				r.falseSuggestions++
				right = false
			}
		} else {
			r.answerable++
			switch i := slices.Index(ids, q.Want); {
			case i == 0:
				r.top1++
				r.top3++
			case i > 0:
				r.top3++
				right = false
			default:
				if len(got) == 0 {
					r.unanswered++
				}
				right = false
			}
		}
		if show && !right {
			t.Logf("MISS want %-24q got %v: %s%s", q.Want, got, q.Q, explain(b, q.Q, q.Want))
		}
	}
	return r
}

// TestRanking measures the ranking on the whole corpus (testdata: 52 articles in English and
// Russian, and questions as customers write them) and fails below top-1 0.8, top-3 0.95, or
// with false suggestions above 0.1 of the questions no article answers. It prints the rates
// of the development and held-out sets apart too.
func TestRanking(t *testing.T) {
	b := loadTestBase(t)
	var all rates
	for _, set := range questionSets {
		r := evaluate(t, b, loadQuestions(t, filepath.Join("testdata", set.file)), *misses == set.name || *misses == "all")
		t.Logf("%-8s %v", set.name, r)
		all.add(r)
	}
	t.Logf("%-8s %v", "all", all)
	if all.answerable < 150 || all.unanswerable < 20 {
		t.Errorf("the corpus has %d answerable and %d unanswerable questions, want at least 150 and 20", all.answerable, all.unanswerable)
	}
	if all.Top1() < 0.8 || all.Top3() < 0.95 || all.FalseSuggestions() > 0.1 {
		t.Errorf("ranking below its targets (top-1 ≥ 0.8, top-3 ≥ 0.95, false suggestions ≤ 0.1): %v", all)
	}
}

// TestRankingOthers measures the ranking on corpora others wrote without seeing it or ours
// (testdata/others: a mobile bank, an online school, a hosting provider, a mobile operator,
// a food delivery app, ride hailing, a utility, a CRM, video meetings, cloud storage, an
// online store builder), and on those given by -outside, and fails when the others' rates
// fall below what they were when the last were added (top-1 0.62, false suggestions 31 of
// 151): they stand for knowledge bases the ranking was not tuned on.
func TestRankingOthers(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "others", "*"))
	if err != nil || len(dirs) < 11 {
		t.Fatalf("testdata/others: %v %v", dirs, err)
	}
	others := measureOthers(t, dirs)
	if others.Top1() < 0.62 || others.falseSuggestions > 31 {
		t.Errorf("ranking on the others' corpora below its floor (top-1 ≥ 0.62, false suggestions ≤ 31): %v", others)
	}
	if *outside != "" {
		measureOthers(t, strings.Split(*outside, ","))
	}
}

// explain says, for a question whose article was missed, the question's terms and where the
// wanted article stood in its language's part: its rank there, coverage, confidence and head
// (relevance.go), against the thresholds that decide.
func explain(b *Base, query, want string) string {
	terms, _ := b.analyze(query, "")
	var ts []string
	for _, t := range terms {
		ts = append(ts, t.text)
	}
	where := "matches no term"
	for _, p := range b.index.parts {
		for i, s := range p.score(terms) {
			if b.articles[p.articles[s.doc]].ID == want {
				where = fmt.Sprintf("#%d of its part, coverage %.2f, confidence %.2f, head %.2f", i+1, s.coverage, s.confidence, s.head)
			}
		}
	}
	if want == "" {
		where = ""
	}
	return fmt.Sprintf("\n\t\tterms %v; wanted article %s", ts, where)
}

// measureOthers evaluates the corpora in dirs, each a kb.yaml and a questions.yaml, logging
// their rates and returning their sum.
func measureOthers(t *testing.T, dirs []string) rates {
	t.Helper()
	var others rates
	for _, dir := range dirs {
		ob, err := Load(filepath.Join(dir, "kb.yaml"), "en")
		if err != nil {
			t.Fatal(err)
		}
		r := evaluate(t, ob, loadQuestions(t, filepath.Join(dir, "questions.yaml")), *misses == "outside" || *misses == "all")
		t.Logf("%-8s %v", filepath.Base(dir), r)
		others.add(r)
	}
	t.Logf("%-8s %v", "together", others)
	return others
}

package kb

import (
	"errors"
	"slices"
	"testing"
)

// FuzzParse reads any file as the knowledge base: Parse never panics, gives either a base or
// an error made of *Error (each naming the file), and a base it gives holds only articles
// that pass its own checks: a valid, unique id, a known language, a title and a body, each
// found again by its id.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"articles:\n  - id: reset-password\n    title: Reset your password\n    body: Use the link.\n    tags: [login]\n",
		"articles:\n  - {id: a, lang: ru, title: Т, body: Б, category: x}\n  - {id: a, title: t, body: b}\n",
		"articles: [{id: -x-, title: [a], body: b, lang: de}]\n", "", "articles: 3\n", "- a\n- b\n",
		"articles:\n  - id: a\n    id: b\n", "articles: [{id: a, title: t, body: b, unknown: 1}]\n", "{",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Parse("kb.yaml", data, "en")
		if (b == nil) == (err == nil) {
			t.Fatalf("Parse(%q) = %v, %v: want a base or an error", data, b, err)
		}
		if err != nil {
			errs := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				errs = j.Unwrap()
			}
			for _, e := range errs {
				var ke *Error
				if !errors.As(e, &ke) || ke.File != "kb.yaml" {
					t.Fatalf("Parse(%q): error %v is no *kb.Error of the file", data, e)
				}
			}
			return
		}
		var ids []string
		for _, a := range b.Articles() {
			if len(a.problems()) > 0 || slices.Contains(ids, a.ID) {
				t.Fatalf("Parse(%q) kept article %+v: %v, or its id twice", data, a, a.problems())
			}
			ids = append(ids, a.ID)
			if got, ok := b.Article(a.ID); !ok || got.ID != a.ID || got.Title != a.Title {
				t.Fatalf("Parse(%q): article %q is not found by its id: %+v, %v", data, a.ID, got, ok)
			}
		}
		if b.Len() != len(ids) {
			t.Fatalf("Parse(%q): Len %d, %d articles", data, b.Len(), len(ids))
		}
	})
}

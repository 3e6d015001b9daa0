package kb

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseArticles(t *testing.T) {
	data := `articles:
  - id: reset-password
    lang: en
    title: How do I reset my password?
    body: |
      Open the sign-in page.
    keywords: [password, login]
    category: Account
  - id: ru-reset
    title: Как восстановить пароль
    body: Нажмите «Забыли пароль?».
`
	b, err := Parse("kb.yaml", []byte(data), "ru")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b.Len(), 2; got != want {
		t.Fatalf("Len = %d, want %d", got, want)
	}
	a, ok := b.Article("reset-password")
	if !ok {
		t.Fatal("no reset-password")
	}
	if a.Lang != "en" || a.Title != "How do I reset my password?" || a.Body != "Open the sign-in page." ||
		strings.Join(a.Keywords, ",") != "password,login" || a.Category != "Account" || a.Line != 2 {
		t.Errorf("reset-password = %+v", a)
	}
	if ru, _ := b.Article("ru-reset"); ru.Lang != "ru" {
		t.Errorf("an article without lang is in %q, want the default ru", ru.Lang)
	}
	if _, ok := b.Article("nope"); ok {
		t.Error("Article found an id that is not there")
	}
}

// TestParseErrors checks that every problem of a file is reported, each naming the file, the
// line and the field.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       []string
	}{
		{"empty", "", []string{"kb.yaml:1: articles: missing"}},
		{"not yaml", "articles:\n  - id: a\n    title: x: y\n", []string{"kb.yaml:3: not valid YAML: mapping values are not allowed"}},
		{"unknown top key", "articles: []\nfaq: []\n", []string{"kb.yaml:2: faq: unknown field"}},
		{"articles not a list", "articles: {id: a}\n", []string{"kb.yaml:1: articles: must be a list"}},
		{"unknown field", "articles:\n  - id: a\n    title: T\n    body: B\n    titel: T\n",
			[]string{"kb.yaml:5: articles[0].titel: unknown field: an article has id, lang, title, body, keywords, category"}},
		{"missing fields", "articles:\n  - lang: en\n", []string{
			"kb.yaml:2: articles[0].id: missing", "kb.yaml:2: articles[0].title: missing", "kb.yaml:2: articles[0].body: missing"}},
		{"bad id", "articles:\n  - id: reset password\n    title: T\n    body: B\n",
			[]string{`kb.yaml:2: articles[0].id: "reset password" may hold only letters, digits and dashes`}},
		{"underscore id", "articles:\n  - id: reset_password\n    title: T\n    body: B\n",
			[]string{`kb.yaml:2: articles[0].id: "reset_password" may hold only`}},
		{"duplicate id", "articles:\n  - {id: a, title: T, body: B}\n  - id: a\n    title: T\n    body: B\n",
			[]string{`kb.yaml:3: articles[1].id: "a" is also the id of the article at line 2`}},
		{"bad lang", "articles:\n  - id: a\n    title: T\n    body: B\n    lang: de\n",
			[]string{`kb.yaml:5: articles[0].lang: "de" is neither en nor ru`}},
		{"keywords not a list", "articles:\n  - id: a\n    title: T\n    body: B\n    keywords: password\n",
			[]string{"kb.yaml:5: articles[0].keywords: must be a list"}},
		{"title a list", "articles:\n  - id: a\n    title: [T]\n    body: B\n",
			[]string{"kb.yaml:3: articles[0].title: must be text, not a list"}},
		{"repeated field", "articles:\n  - id: a\n    title: T\n    title: U\n    body: B\n",
			[]string{"kb.yaml:4: articles[0].title: repeated (first at line 3)"}},
		{"article not a mapping", "articles:\n  - just text\n", []string{"kb.yaml:2: articles[0]: must be a mapping"}},
		{"two problems", "articles:\n  - id: a\n    title: T\n    body: B\n    lang: de\n  - id: b\n    body: B\n",
			[]string{"kb.yaml:5: articles[0].lang", "kb.yaml:6: articles[1].title: missing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("kb.yaml", []byte(tc.data), "en")
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error\n%v\nlacks %q", err, want)
				}
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("error %v is not an *Error", err)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "none.yaml"), ""); err == nil || !strings.Contains(err.Error(), "none.yaml") {
		t.Errorf("Load of a missing file: %v, want an error naming it", err)
	}
	path := filepath.Join(t.TempDir(), "kb.yaml")
	if err := os.WriteFile(path, []byte("articles:\n  - {id: a, title: T, body: B, lang: xx}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, "")
	if err == nil || !strings.HasPrefix(err.Error(), path+":2: articles[0].lang") {
		t.Errorf("Load = %v, want an error starting with %s:2: articles[0].lang", err, path)
	}
	if _, err := Load(path, "de"); err == nil || !strings.Contains(err.Error(), "default language") {
		t.Errorf("Load with default language de: %v", err)
	}
}

func TestNewChecksArticles(t *testing.T) {
	_, err := New("generated", []Article{{ID: "a", Lang: "en", Title: "T", Body: "B", Line: 1}, {ID: "a", Lang: "en", Title: "T", Body: "B", Line: 2}})
	if err == nil || !strings.Contains(err.Error(), "generated:2: articles[1].id") {
		t.Errorf("New with a repeated id: %v", err)
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// testKB is the knowledge base of internal/kb's tests: 52 articles in English and Russian.
var testKB = filepath.Join("..", "..", "internal", "kb", "testdata", "kb.yaml")

// kbSearch runs `threadesk kb args…` and returns its exit status, output and errors.
func kbSearch(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errs bytes.Buffer
	code := runCommand("kb", args, &out, &errs)
	return code, out.String(), errs.String()
}

// TestKbSearch checks `threadesk kb search`: one ID<TAB>score line per suggestion, best
// first; nothing for a question no article answers; exit 0 in both cases.
func TestKbSearch(t *testing.T) {
	t.Setenv("KB_PATH", "")
	line := regexp.MustCompile(`^[\p{L}\p{N}-]+\t[0-9]+\.[0-9]{3}$`)
	for _, tc := range []struct {
		name  string
		args  []string
		first string // "" for no output
		max   int
	}{
		{"english", []string{"search", "-kb", testKB, "hi, I forgot my pasword and cant get in"}, "reset-password", 3},
		{"russian", []string{"search", "-kb", testKB, "-lang", "ru", "Здравствуйте!", "Не", "могу", "вспомнить", "пароль"}, "ru-reset-password", 3},
		{"one", []string{"search", "-kb", testKB, "-n", "1", "how", "do", "I", "cancel", "my", "subscription"}, "cancel-subscription", 1},
		{"flags after words", []string{"search", "-kb", testKB, "cancel", "my", "subscription", "-n", "1"}, "cancel-subscription", 1},
		{"nothing", []string{"search", "-kb", testKB, "do you have a dark mode?"}, "", 0},
		{"greeting", []string{"search", "-kb", testKB, "hello"}, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := kbSearch(t, tc.args...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if tc.first == "" {
				if out != "" {
					t.Errorf("output %q, want none", out)
				}
				return
			}
			if len(lines) > tc.max {
				t.Errorf("%d lines, want at most %d:\n%s", len(lines), tc.max, out)
			}
			for _, l := range lines {
				if !line.MatchString(l) {
					t.Errorf("line %q is not ID<TAB>score", l)
				}
			}
			if !strings.HasPrefix(lines[0], tc.first+"\t") {
				t.Errorf("output\n%s\nwant %s first", out, tc.first)
			}
		})
	}
}

// TestKbSearchFile checks where the file comes from and what an invalid one does: exit 1 and
// each problem on stderr with file, line and field.
func TestKbSearchFile(t *testing.T) {
	t.Setenv("KB_PATH", testKB)
	if code, out, _ := kbSearch(t, "search", "reset", "password"); code != 0 || !strings.HasPrefix(out, "reset-password\t") {
		t.Errorf("with KB_PATH: exit %d, output %q", code, out)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	data := "articles:\n  - id: a\n    title: T\n    body: B\n    lang: de\n  - id: b\n    titel: T\n    body: B\n"
	if err := os.WriteFile(bad, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := kbSearch(t, "search", "-kb", bad, "reset password")
	if code != 1 || out != "" {
		t.Errorf("invalid file: exit %d, output %q; want 1 and none", code, out)
	}
	for _, want := range []string{bad + ":5: articles[0].lang:", bad + ":7: articles[1].titel: unknown field", bad + ":6: articles[1].title: missing"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr\n%s\nlacks %q", errs, want)
		}
	}
	if code, _, errs := kbSearch(t, "search", "-kb", filepath.Join(t.TempDir(), "none.yaml"), "x"); code != 1 || !strings.Contains(errs, "none.yaml") {
		t.Errorf("missing file: exit %d, stderr %q", code, errs)
	}
}

// TestKbSearchDeskLanguage: articles without a lang are in the desk's language, the desk
// policy file's (DESK_CONFIG), as the running desk reads them, and so is the customer's
// language for a question whose letters do not tell; a desk file that cannot be read is said
// on stderr, and the command goes on in English.
func TestKbSearchDeskLanguage(t *testing.T) {
	t.Setenv("KB_PATH", "")
	dir := t.TempDir()
	kbFile, desk := filepath.Join(dir, "kb.yaml"), filepath.Join(dir, "desk.yaml")
	data := "articles:\n" +
		"  - {id: ru-404, title: Ошибка 404, body: \"Страница не найдена: ошибка 404.\"}\n" +
		"  - {id: en-404, lang: en, title: Error 404, body: \"Page not found: error 404.\"}\n"
	if err := os.WriteFile(kbFile, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(desk, []byte("language: ru\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	search := func() (int, string, string) { return kbSearch(t, "search", "-kb", kbFile, "404") }

	t.Setenv("DESK_CONFIG", desk)
	if code, out, errs := search(); code != 0 || !strings.HasPrefix(out, "ru-404\t") || strings.Contains(out, "en-404") || errs != "" {
		t.Errorf("desk in Russian: exit %d, output %q, stderr %q; want ru-404 alone (Russian, and a Russian customer's)", code, out, errs)
	}
	t.Setenv("DESK_CONFIG", "")
	if code, out, _ := search(); code != 0 || !strings.Contains(out, "en-404") {
		t.Errorf("no desk file: exit %d, output %q; want en-404 among them (both articles English)", code, out)
	}
	t.Setenv("DESK_CONFIG", filepath.Join(dir, "missing.yaml"))
	if code, out, errs := search(); code != 0 || !strings.Contains(out, "en-404") || !strings.Contains(errs, "DESK_CONFIG not read") {
		t.Errorf("unreadable desk file: exit %d, output %q, stderr %q; want the English reading and the reason", code, out, errs)
	}
}

func TestKbSearchUsage(t *testing.T) {
	t.Setenv("KB_PATH", "")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"-h"}, 0, "usage: threadesk kb search"},
		{"search help", []string{"search", "-h"}, 0, "usage: threadesk kb search"},
		{"no command", nil, 2, "usage: threadesk kb search"},
		{"unknown command", []string{"show", "x"}, 2, `unknown command "show"`},
		{"no file", []string{"search", "reset"}, 2, "give -kb FILE or set KB_PATH"},
		{"no question", []string{"search", "-kb", testKB}, 2, "no question"},
		{"bad lang", []string{"search", "-kb", testKB, "-lang", "de", "x"}, 2, `-lang "de"`},
		{"bad n", []string{"search", "-kb", testKB, "-n", "0", "x"}, 2, "-n 0"},
		{"bad flag", []string{"search", "-x", "y"}, 2, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := kbSearch(t, tc.args...)
			if code != tc.code || !strings.Contains(out+errs, tc.want) {
				t.Errorf("exit %d, output %q, stderr %q; want %d and %q", code, out, errs, tc.code, tc.want)
			}
		})
	}
}

// TestReadmeKnowledgeBase checks that the README's Knowledge base section has what an
// operator needs: the file format, the command and the setting.
func TestReadmeKnowledgeBase(t *testing.T) {
	section := readmeSection(t, "Knowledge base")
	for _, want := range []string{"`KB_PATH`", "articles:", "keywords:", "threadesk kb search [-kb FILE] [-lang en|ru] [-n 3] QUERY…", "`ID<TAB>score`"} {
		if !strings.Contains(section, want) {
			t.Errorf("Knowledge base section lacks %q", want)
		}
	}
}

// TestConfigKBPath checks that a KB_PATH the desk cannot use is refused at start.
func TestConfigKBPath(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "kb.yaml")
	if err := os.WriteFile(bad, []byte("articles:\n  - {id: a, title: T}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := Config{KBPath: bad}.Check()
	if err == nil || !strings.Contains(err.Error(), "KB_PATH") || !strings.Contains(err.Error(), bad+":2: articles[0].body: missing") {
		t.Errorf("Check with an invalid KB_PATH: %v", err)
	}
	for _, p := range (Config{KBPath: testKB}).problems() {
		if p.setting == "KB_PATH" {
			t.Errorf("a valid KB_PATH is refused: %s", p.text)
		}
	}
}

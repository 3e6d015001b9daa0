package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoFile reads a file of the repository, from this package's directory.
func repoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readmeSection returns the README's section under "## title", up to the next "## " heading.
func readmeSection(t *testing.T, title string) string {
	t.Helper()
	readme := repoFile(t, "README.md")
	start := strings.Index(readme, "\n## "+title+"\n")
	if start < 0 {
		t.Fatalf("README has no section %q", title)
	}
	rest := readme[start+len(title)+5:]
	if end := strings.Index(rest, "\n## "); end >= 0 {
		rest = rest[:end]
	}
	return rest
}

// TestReadmeSettingsMatchConfig holds the README's Settings tables to the one table of the
// settings, the tags of Config (and of setupConfig for the settings only the setup reads):
// every setting in both, with the same default and the same meaning (the README's without its
// Markdown code marks).
func TestReadmeSettingsMatchConfig(t *testing.T) {
	row := regexp.MustCompile("^\\| `([A-Z0-9_]+)` \\| (.*?) \\| (.*) \\|$")
	type entry struct{ def, meaning string }
	readme := map[string]entry{}
	for _, line := range strings.Split(readmeSection(t, "Settings"), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		m := row.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("Settings row is not | `NAME` | default | meaning |: %s", line)
			continue
		}
		def := m[2]
		switch {
		case def == "(none)":
			def = ""
		case strings.HasPrefix(def, "`") && strings.HasSuffix(def, "`"):
			def = strings.Trim(def, "`")
		default:
			t.Errorf("%s: default %q is neither (none) nor `value`", m[1], m[2])
		}
		if _, dup := readme[m[1]]; dup {
			t.Errorf("%s: twice in the README", m[1])
		}
		readme[m[1]] = entry{def, strings.ReplaceAll(m[3], "`", "")}
	}

	want := append(settingDocs(Config{}), setupOnlySettings()...)
	for _, d := range want {
		got, ok := readme[d.Name]
		if !ok {
			t.Errorf("%s is a setting but not in the README's Settings", d.Name)
			continue
		}
		delete(readme, d.Name)
		if got.def != d.Default {
			t.Errorf("%s: README default %q, code default %q", d.Name, got.def, d.Default)
		}
		if got.meaning != d.Meaning {
			t.Errorf("%s: README meaning\n\t%q\nthe desc tag\n\t%q", d.Name, got.meaning, d.Meaning)
		}
	}
	for name := range readme {
		t.Errorf("%s is in the README's Settings but no setting of the code", name)
	}
}

package policy

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// readmeSection returns the README's "Desk policy file" section.
func readmeSection(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "\n## Desk policy file\n")
	if start < 0 {
		t.Fatal(`README has no section "Desk policy file"`)
	}
	rest := readme[start+1:]
	if end := strings.Index(rest[3:], "\n## "); end >= 0 {
		rest = rest[:end+3]
	}
	return rest
}

// TestReadmeExampleIsProducts checks that the README's example is PRODUCT.md's (copied into
// testdata/product.yaml) and valid.
func TestReadmeExampleIsProducts(t *testing.T) {
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(readmeSection(t), -1)
	if len(blocks) == 0 {
		t.Fatal("the README's Desk policy file section has no yaml example")
	}
	product, err := os.ReadFile("testdata/product.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if blocks[0][1] != string(product) {
		t.Errorf("the README's example is not PRODUCT.md's:\n%s", blocks[0][1])
	}
	for _, b := range blocks {
		if _, err := Parse("README.md", []byte(b[1])); err != nil {
			t.Errorf("a README example is invalid:\n%v", err)
		}
	}
}

// TestReadmeDocumentsEveryKey checks that the README's table names every key the file may
// hold (priorities written PRIORITY, days DAY, languages LANG), and no key the file does not.
func TestReadmeDocumentsEveryKey(t *testing.T) {
	section := readmeSection(t)
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_.\\[\\]A-Z]+)` \\|").FindAllStringSubmatch(section, -1) {
		documented[m[1]] = true
	}
	placeholders := []struct {
		re   *regexp.Regexp
		name string
	}{
		{regexp.MustCompile(`^sla\.(low|normal|high|urgent)\.`), "sla.PRIORITY."},
		{regexp.MustCompile(`\.(mon|tue|wed|thu|fri|sat|sun)$`), ".DAY"},
		{regexp.MustCompile(`\.(en|ru)$`), ".LANG"},
	}
	generic := func(path string) string {
		for _, p := range placeholders {
			path = p.re.ReplaceAllString(path, p.name)
		}
		return path
	}
	var leaves func(tp reflect.Type, path string)
	want := map[string]bool{}
	leaves = func(tp reflect.Type, path string) {
		for tp.Kind() == reflect.Pointer || tp.Kind() == reflect.Slice && tp.Elem().Kind() == reflect.Struct {
			if tp.Kind() == reflect.Slice {
				path += "[]"
			}
			tp = tp.Elem()
		}
		if tp.Kind() != reflect.Struct {
			want[generic(path)] = true
			return
		}
		for i := range tp.NumField() {
			name, _, _ := strings.Cut(tp.Field(i).Tag.Get("yaml"), ",")
			leaves(tp.Field(i).Type, join(path, name))
		}
	}
	leaves(reflect.TypeFor[rawPolicy](), "")
	for key := range want {
		if !documented[key] {
			t.Errorf("the README's table does not document %s", key)
		}
	}
	for key := range documented {
		if !want[key] {
			t.Errorf("the README's table documents %s, which the file does not have", key)
		}
	}
}

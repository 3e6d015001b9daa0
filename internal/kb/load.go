package kb

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// An Error is one problem of a knowledge-base file, named by the file, the line and the
// field (such as articles[3].lang) it is about.
type Error struct {
	File  string
	Line  int // 0 when the problem has no line
	Field string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// fields are the keys an article may have, in the order the messages list them.
var fields = []string{"id", "lang", "title", "body", "keywords", "category"}

// Load reads and indexes the knowledge base in the file at path. Articles without a lang
// are in defaultLang (the desk's language; "" means en). Its error names the file, and the
// line and field of every problem.
func Load(path, defaultLang string) (*Base, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the knowledge base: %w", err)
	}
	return Parse(path, data, defaultLang)
}

// Parse is Load of data read from the file named file.
//
// The YAML is decoded strictly: an unknown key, a repeated key, a value of the wrong shape
// (a list where text belongs, or the reverse) is an error, like a missing id, title or body,
// an id that is not letters, digits and dashes or that another article has, and a lang other
// than en or ru. Every problem is reported, not only the first.
func Parse(file string, data []byte, defaultLang string) (*Base, error) {
	if defaultLang == "" {
		defaultLang = "en"
	}
	if !slices.Contains(Languages, defaultLang) {
		return nil, fmt.Errorf("knowledge base %s: default language %q is neither en nor ru", file, defaultLang)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, syntaxError(file, err)
	}
	d := decoder{file: file}
	articles := d.document(&root, defaultLang)
	lineOf := func(i int, field string) int {
		if line := d.lines[i][field]; line > 0 {
			return line
		}
		return articles[i].Line
	}
	if len(d.errs) == 0 {
		return build(file, articles, lineOf)
	}
	// Report the articles' own problems too, but not again for a field already reported
	// (a title that is a list is not also missing).
	reported := map[string]bool{}
	for _, err := range d.errs {
		reported[err.(*Error).Field] = true
	}
	errs := d.errs
	if err := check(file, articles, lineOf); err != nil {
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			if !reported[e.(*Error).Field] {
				errs = append(errs, e)
			}
		}
	}
	slices.SortStableFunc(errs, func(a, b error) int { return a.(*Error).Line - b.(*Error).Line })
	return nil, errors.Join(errs...)
}

// yamlLine finds the line in the YAML library's messages ("yaml: line 7: mapping values are
// not allowed in this context").
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns the YAML library's error about text that is not YAML into an *Error.
func syntaxError(file string, err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: "not valid YAML: " + m[2]}
	}
	return &Error{File: file, Msg: "not valid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// decoder walks the YAML tree of a file, keeping every problem it meets and the line of
// every field of every article.
type decoder struct {
	file  string
	errs  []error
	lines []map[string]int
}

func (d *decoder) fail(line int, field, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// document decodes the whole file: a mapping whose only key is articles.
func (d *decoder) document(root *yaml.Node, defaultLang string) []Article {
	if root.Kind == 0 || len(root.Content) == 0 {
		d.fail(1, "articles", "missing: the file is empty; it must hold articles: with a list of articles")
		return nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		d.fail(doc.Line, "", "the file must be a mapping with articles: and a list of articles")
		return nil
	}
	var list *yaml.Node
	seen := map[string]int{}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		key, value := doc.Content[i], doc.Content[i+1]
		if first, dup := seen[key.Value]; dup {
			d.fail(key.Line, key.Value, "repeated (first at line %d)", first)
			continue
		}
		seen[key.Value] = key.Line
		if key.Value != "articles" {
			d.fail(key.Line, key.Value, "unknown field: the file has only articles:")
			continue
		}
		list = value
	}
	if list == nil {
		d.fail(doc.Line, "articles", "missing: the file must hold articles: with a list of articles")
		return nil
	}
	if isNull(list) {
		return nil
	}
	if list.Kind != yaml.SequenceNode {
		d.fail(list.Line, "articles", "must be a list of articles (each starting with - id: …)")
		return nil
	}
	articles := make([]Article, 0, len(list.Content))
	for i, item := range list.Content {
		articles = append(articles, d.article(i, item, defaultLang))
	}
	return articles
}

// article decodes one item of the list.
func (d *decoder) article(i int, n *yaml.Node, defaultLang string) Article {
	a := Article{Line: n.Line}
	lines := map[string]int{}
	d.lines = append(d.lines, lines)
	name := fmt.Sprintf("articles[%d]", i)
	if n.Kind != yaml.MappingNode {
		d.fail(n.Line, name, "must be a mapping of %s", strings.Join(fields, ", "))
		return a
	}
	for j := 0; j+1 < len(n.Content); j += 2 {
		key, value := n.Content[j], n.Content[j+1]
		field := name + "." + key.Value
		if first, dup := lines[key.Value]; dup {
			d.fail(key.Line, field, "repeated (first at line %d)", first)
			continue
		}
		lines[key.Value] = key.Line
		switch key.Value {
		case "id", "lang", "title", "body", "category":
			s, ok := d.text(field, value)
			if !ok {
				continue
			}
			switch key.Value {
			case "id":
				a.ID = s
			case "lang":
				a.Lang = s
			case "title":
				a.Title = s
			case "body":
				a.Body = s
			case "category":
				a.Category = s
			}
		case "keywords":
			a.Keywords = d.list(field, value)
		default:
			d.fail(key.Line, field, "unknown field: an article has %s", strings.Join(fields, ", "))
		}
	}
	if _, set := lines["lang"]; !set {
		a.Lang = defaultLang
	}
	return a
}

// text decodes a field that holds one piece of text.
func (d *decoder) text(field string, n *yaml.Node) (string, bool) {
	switch {
	case isNull(n):
		return "", true
	case n.Kind == yaml.ScalarNode:
		return strings.TrimSpace(n.Value), true
	case n.Kind == yaml.AliasNode && n.Alias != nil && n.Alias.Kind == yaml.ScalarNode:
		return strings.TrimSpace(n.Alias.Value), true
	}
	d.fail(n.Line, field, "must be text, not a %s", kindName(n))
	return "", false
}

// list decodes keywords: a list of texts.
func (d *decoder) list(field string, n *yaml.Node) []string {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(n.Line, field, "must be a list, like [password, login], not a %s", kindName(n))
		return nil
	}
	var out []string
	for k, item := range n.Content {
		if s, ok := d.text(fmt.Sprintf("%s[%d]", field, k), item); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "reference to another node"
	}
	return "text"
}

// A problem is what is wrong with one field of an article.
type problem struct{ field, msg string }

// check reports every problem of articles as one *Error each, joined.
func check(file string, articles []Article, lineOf func(i int, field string) int) error {
	var errs []error
	firstLine := map[string]int{}
	for i, a := range articles {
		ps := a.problems()
		if first, dup := firstLine[a.ID]; dup && a.ID != "" {
			ps = append(ps, problem{"id", fmt.Sprintf("%q is also the id of the article at line %d: ids must be unique", a.ID, first)})
		} else if a.ID != "" {
			firstLine[a.ID] = lineOf(i, "id")
		}
		for _, p := range ps {
			errs = append(errs, &Error{File: file, Line: lineOf(i, p.field), Field: fmt.Sprintf("articles[%d].%s", i, p.field), Msg: p.msg})
		}
	}
	return errors.Join(errs...)
}

// problems lists what is wrong with the article itself.
func (a Article) problems() []problem {
	var ps []problem
	switch {
	case a.ID == "":
		ps = append(ps, problem{"id", "missing: every article needs a unique id of letters, digits and dashes"})
	case !validID(a.ID):
		ps = append(ps, problem{"id", fmt.Sprintf("%q may hold only letters, digits and dashes (like reset-password)", a.ID)})
	}
	if !slices.Contains(Languages, a.Lang) {
		ps = append(ps, problem{"lang", fmt.Sprintf("%q is neither en nor ru", a.Lang)})
	}
	if a.Title == "" {
		ps = append(ps, problem{"title", "missing: every article needs a title"})
	}
	if a.Body == "" {
		ps = append(ps, problem{"body", "missing: every article needs a body"})
	}
	return ps
}

// validID reports whether id is letters, digits and dashes, not starting or ending with a
// dash.
func validID(id string) bool {
	if strings.HasPrefix(id, "-") || strings.HasSuffix(id, "-") {
		return false
	}
	for _, r := range id {
		if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads and checks the policy file at path. Its error is an *Error listing every problem
// of the file, or the reason the file could not be read.
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read desk policy file: %w", err)
	}
	return Parse(path, data)
}

// Parse checks data, the text of the policy file named file (the name its problems carry).
// Its error is an *Error listing every problem.
func Parse(file string, data []byte) (*Policy, error) {
	c := &checker{file: file, byPath: map[string]*yaml.Node{}, failed: map[string]bool{}}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		// An empty file (or one of comments only) sets nothing: every section is optional.
	case err != nil:
		c.syntax(err)
		return nil, c.err()
	default:
		var next yaml.Node
		if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
			line := next.Line
			if err != nil {
				line = syntaxLine(err)
			}
			c.problems = append(c.problems, Problem{File: file, Line: line,
				Text: "the file holds a second YAML document (after ---): keep the whole policy in one"})
		}
		c.walk(&doc, "", 0)
	}

	var raw rawPolicy
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			c.syntax(err)
			return nil, c.err()
		}
		for _, msg := range te.Errors {
			c.decodeProblem(msg)
		}
	}
	p := c.check(&raw)
	if err := c.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// checker turns the file into a Policy, collecting every problem on the way. It knows where
// each key of the file is written (walk), so that a problem found after decoding still names
// its line.
type checker struct {
	file     string
	problems []Problem
	byPath   map[string]*yaml.Node // the value written at each path
	keys     []keyAt               // every key written, in the file's order
	used     map[*yaml.Node]bool   // nodes a decoder error has been matched to
	values   []valueAt             // every value written, in the file's order
	// failed are the paths whose value the decoder could not take: they are left out, and
	// checking them would only report them again as missing.
	failed map[string]bool
}

type keyAt struct {
	parent string
	key    *yaml.Node
}

type valueAt struct {
	path string
	node *yaml.Node
}

// walk records where every key and value of the document is written.
func (c *checker) walk(n *yaml.Node, path string, depth int) {
	if n == nil || depth > 64 {
		return
	}
	if n.Kind != yaml.DocumentNode {
		if _, ok := c.byPath[path]; !ok {
			c.byPath[path] = n
		}
		c.values = append(c.values, valueAt{path, n})
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, child := range n.Content {
			c.walk(child, path, depth+1)
		}
	case yaml.MappingNode, yaml.SequenceNode:
		c.walkChildren(n, path, depth+1)
	}
	// An alias (*name) is not followed: what it repeats is recorded where it is written, and
	// a problem with the repeated value names the line of the alias.
}

// walkChildren records the keys and values inside n, a mapping or a sequence at path.
func (c *checker) walkChildren(n *yaml.Node, path string, depth int) {
	if n == nil || depth > 64 {
		return
	}
	switch n.Kind {
	case yaml.SequenceNode:
		for i, item := range n.Content {
			c.walk(item, fmt.Sprintf("%s[%d]", path, i), depth+1)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				// <<: *defaults merges another mapping's keys into this one; like an alias,
				// they are recorded where they are written.
				continue
			}
			c.keys = append(c.keys, keyAt{path, k})
			c.walk(v, join(path, k.Value), depth+1)
		}
	}
}

// join appends a key to a path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// parent returns the path that holds path ("" for a top-level key).
func parent(path string) string {
	i := max(strings.LastIndex(path, "."), strings.LastIndex(path, "["))
	if i < 0 {
		return ""
	}
	return path[:i]
}

// lineOf returns the line where path is written or, when it is not, where the nearest
// mapping or list that holds it is.
func (c *checker) lineOf(path string) int {
	line, _ := c.position(path)
	return line
}

// position is lineOf with the column.
func (c *checker) position(path string) (line, column int) {
	for {
		if n, ok := c.byPath[path]; ok {
			return n.Line, n.Column
		}
		if path == "" {
			return 1, 0
		}
		path = parent(path)
	}
}

// isFailed reports whether path, or what holds it, could not be decoded.
func (c *checker) isFailed(path string) bool {
	for {
		if c.failed[path] {
			return true
		}
		if path == "" {
			return false
		}
		path = parent(path)
	}
}

// add records a problem with the value at path.
func (c *checker) add(path, format string, args ...any) {
	if c.isFailed(path) {
		return
	}
	line, col := c.position(path)
	c.problems = append(c.problems, Problem{File: c.file, Line: line, Field: path, Text: fmt.Sprintf(format, args...), column: col})
}

// err returns the problems found, in the order of their lines, or nil.
func (c *checker) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	slices.SortStableFunc(c.problems, func(a, b Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.column - b.column
	})
	return &Error{File: c.file, Problems: c.problems}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems are the YAML library's parser errors (as opposed to its scanner's). It
// reports them with a line counted from 0, so they are one line early.
var parserProblems = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'", "did not find expected '-' indicator",
	"did not find expected key", "did not find expected node content", "found undefined tag handle",
	"did not find expected <document start>", "did not find expected <stream-start>",
}

// syntaxLine returns the line a YAML syntax error names, counted from 1, or 1.
func syntaxLine(err error) int {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return 1
	}
	n, _ := strconv.Atoi(m[1])
	if slices.Contains(parserProblems, m[2]) {
		n++
	}
	return n
}

// syntax records a file that is not YAML at all. Nothing else can be checked then.
func (c *checker) syntax(err error) {
	text := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		text = m[2]
	}
	if strings.Contains(text, "did not find expected ',' or") {
		// The YAML library refuses a ? in a plain scalar inside braces, where people write
		// questions: {id: plan, ask: Which plan?}.
		text += ` (inside { } and [ ], quote text that holds ?, : or #, such as ask: "Which plan?")`
	}
	c.problems = append(c.problems, Problem{File: c.file, Line: syntaxLine(err), Text: "not valid YAML: " + text})
}

var (
	unknownField  = regexp.MustCompile(`^line (\d+): field (.+) not found in type (\S+)$`)
	mismatch      = regexp.MustCompile("^line (\\d+): cannot unmarshal (!!\\w+)(?: `(.*)`)? into (\\S+)$")
	duplicateKey  = regexp.MustCompile(`^line (\d+): mapping key "(.*)" already defined at line (\d+)$`)
	duplicateName = regexp.MustCompile(`^line (\d+): field (.+) already set in type (\S+)$`)
)

// decodeProblem turns one of the strict decoder's messages into a problem that names the
// field and says what to write.
func (c *checker) decodeProblem(msg string) {
	if c.used == nil {
		c.used = map[*yaml.Node]bool{}
	}
	if m := unknownField.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		path := c.keyPath(line, m[2])
		c.addAt(line, path, "%s", unknownKeyText(m[2], m[3], parent(path)))
		return
	}
	if m := duplicateKey.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		path := c.keyPath(line, m[2])
		c.addAt(line, path, "written twice (first on line %s): keep one", m[3])
		// The decoder leaves a mapping with a repeated key out entirely.
		c.failed[parent(path)] = true
		return
	}
	if m := duplicateName.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		path := c.keyPath(line, m[2])
		c.addAt(line, path, "written twice: keep one")
		return
	}
	if m := mismatch.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		tag, value := m[2], strings.TrimSuffix(m[3], "...")
		path, n := "", (*yaml.Node)(nil)
		for _, v := range c.values {
			if v.node.Line == line && !c.used[v.node] && nodeMatches(v.node, tag, value) {
				path, n = v.path, v.node
				c.used[n] = true
				break
			}
		}
		got := describeNode(n, tag, m[3])
		want := describeType(m[4])
		if path == "" {
			c.addAt(line, "", "want %s for the whole file, got %s", want, got)
		} else {
			c.addAt(line, path, "want %s, got %s", want, got)
		}
		c.failed[path] = true
		return
	}
	c.problems = append(c.problems, Problem{File: c.file, Line: 1, Text: msg})
}

// addAt records a problem at a known line (one the decoder named).
func (c *checker) addAt(line int, path, format string, args ...any) {
	col := 0
	if n, ok := c.byPath[path]; ok && n.Line == line {
		col = n.Column
	}
	c.problems = append(c.problems, Problem{File: c.file, Line: line, Field: path, Text: fmt.Sprintf(format, args...), column: col})
}

// keyPath finds the key written as name on line, not matched before, and returns its path;
// when none is found (an unusual layout), the name alone.
func (c *checker) keyPath(line int, name string) string {
	for _, k := range c.keys {
		if k.key.Line == line && k.key.Value == name && !c.used[k.key] {
			c.used[k.key] = true
			return join(k.parent, name)
		}
	}
	return name
}

// nodeMatches reports whether n is the value a decoder message describes by its tag and its
// (possibly shortened) text.
func nodeMatches(n *yaml.Node, tag, value string) bool {
	switch tag {
	case "!!seq":
		return n.Kind == yaml.SequenceNode
	case "!!map":
		return n.Kind == yaml.MappingNode
	}
	return n.Kind == yaml.ScalarNode && n.ShortTag() == tag && strings.HasPrefix(n.Value, value)
}

// describeNode says what was written, for "want X, got Y".
func describeNode(n *yaml.Node, tag, shortValue string) string {
	switch tag {
	case "!!seq":
		return "a list"
	case "!!map":
		return "a mapping"
	}
	if n != nil {
		return strconv.Quote(n.Value)
	}
	return strconv.Quote(shortValue)
}

// describeType says what the decoder wanted, from the Go type it names.
func describeType(goType string) string {
	goType = strings.TrimLeft(goType, "*")
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case goType == "string":
		return "text"
	case goType == "bool":
		return "true or false"
	case goType == "policy.rawPolicy":
		return "a mapping of sections (" + strings.Join(rawKeys[goType], ", ") + ")"
	}
	if keys, ok := rawKeys[goType]; ok {
		return "a mapping (" + strings.Join(keys, ", ") + ")"
	}
	return goType
}

// unknownKeyText says what is wrong with a key the file does not have in that place: the key
// it probably means, or where the key belongs, and the keys that place has.
func unknownKeyText(key, goType, where string) string {
	known := rawKeys[strings.TrimLeft(goType, "*")]
	place := "here"
	if where == "" {
		place = "at the top level"
	}
	list := fmt.Sprintf("%s: %s", place, strings.Join(known, ", "))
	if guess := closest(key, known); guess != "" {
		return fmt.Sprintf("unknown key: did you mean %s? (known %s)", guess, list)
	}
	if homes := keyHomes[key]; len(homes) > 0 {
		return fmt.Sprintf("unknown key here: %s belongs in %s (known %s)", key, strings.Join(homes, " or "), list)
	}
	return fmt.Sprintf("unknown key (known %s)", list)
}

// closest returns the known key that key most probably misspells, or "".
func closest(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		d := editDistance(strings.ToLower(key), k)
		if d < bestDist && d < max(len(k)/2, 1)+1 {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}

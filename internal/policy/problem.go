package policy

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a policy file, in plain words that say what to write
// instead.
type Problem struct {
	File  string
	Line  int    // 1-based
	Field string // the key's path, such as sla.urgent.first_response or categories[0].name; "" for the whole file
	Text  string

	column int // orders the problems of one line
}

// String writes the problem as editors and compilers do: FILE:LINE: FIELD: TEXT.
func (p Problem) String() string {
	if p.Field == "" {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Text)
	}
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Field, p.Text)
}

// Error is every problem found in a policy file, in the order of their lines. A file with
// problems is not used at all.
type Error struct {
	File     string
	Problems []Problem
}

// Error lists the problems, one a line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

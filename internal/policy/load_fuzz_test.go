package policy_test

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/threadesk/threadesk/internal/policy"
)

// FuzzParse reads any file as the desk policy: Parse never panics, gives either a policy or an
// *policy.Error (never both, never neither) whose every problem names the file and a line
// within it, and reading the same text again gives the same answer.
func FuzzParse(f *testing.F) {
	if product, err := os.ReadFile("testdata/product.yaml"); err == nil {
		f.Add(product)
	}
	for _, s := range []string{
		"", "# nothing\n", "language: ru\n", "languag: en\n", "sla: {urgent: {first_response: 30}}\n",
		"hours: {timezone: Mars/Olympus, week: {mon: [\"18:00-09:00\"]}}\n", "a: 1\n---\nb: 2\n",
		"categories: [{name: Billing, questions: [{id: x, ask: y, choices: []}]}]\n", "&a [*a]", ":\t-",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := policy.Parse("desk.yaml", data)
		if (p == nil) == (err == nil) {
			t.Fatalf("Parse(%q) = %v, %v: want a policy or an error", data, p, err)
		}
		if err != nil {
			var pe *policy.Error
			if !errors.As(err, &pe) || len(pe.Problems) == 0 {
				t.Fatalf("Parse(%q): error %v is no *policy.Error with problems", data, err)
			}
			// YAML breaks lines at \n, \r\n and a lone \r.
			lines := 1 + strings.Count(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") + strings.Count(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r")
			for _, pr := range pe.Problems {
				if pr.File != "desk.yaml" || pr.Line < 0 || pr.Line > lines+1 || pr.Text == "" {
					t.Fatalf("Parse(%q): problem %+v names no line of the file", data, pr)
				}
			}
		}
		p2, err2 := policy.Parse("desk.yaml", data)
		if !reflect.DeepEqual(p, p2) || (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("Parse(%q) gives different answers: %v, %v then %v, %v", data, p, err, p2, err2)
		}
	})
}

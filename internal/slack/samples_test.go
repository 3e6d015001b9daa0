package slack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sampleDir holds real Slack payloads (every field ever seen, values anonymised to "").
var sampleDir = filepath.Join("..", "..", "..", "shared", "specs", "slack", "samples")

// sample loads a payload from sampleDir as a template: the anonymised empty strings are
// dropped (Slack sends real values there, some of them numbers) and set holds the values
// of the test, by dotted path ("event.channel", "actions.0.value"); a nil value deletes.
func sample(t *testing.T, name string, set map[string]any) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sampleDir, name))
	if err != nil {
		t.Fatalf("read sample %s: %v", name, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("parse sample %s: %v", name, err)
	}
	pruneEmpty(m)
	for path, v := range set {
		setPath(t, m, strings.Split(path, "."), v)
	}
	return m
}

func pruneEmpty(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && s == "" {
				delete(x, k)
				continue
			}
			x[k] = pruneEmpty(e)
		}
	case []any:
		out := x[:0]
		for _, e := range x {
			if s, ok := e.(string); ok && s == "" {
				continue
			}
			out = append(out, pruneEmpty(e))
		}
		return out
	}
	return v
}

func setPath(t *testing.T, node any, path []string, v any) {
	t.Helper()
	switch x := node.(type) {
	case map[string]any:
		if len(path) == 1 {
			if v == nil {
				delete(x, path[0])
			} else {
				x[path[0]] = v
			}
			return
		}
		next, ok := x[path[0]]
		if !ok {
			next = map[string]any{}
			x[path[0]] = next
		}
		setPath(t, next, path[1:], v)
	case []any:
		i, err := strconv.Atoi(path[0])
		if err != nil || i >= len(x) {
			t.Fatalf("sample path: bad index %q", path[0])
		}
		if len(path) == 1 {
			x[i] = v
			return
		}
		setPath(t, x[i], path[1:], v)
	default:
		t.Fatalf("sample path: %q is not an object or array", path[0])
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

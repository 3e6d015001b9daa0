package slacktest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// SpecsDir returns the shared API references, <repo>/../shared/specs, found by walking up from
// the working directory (a test's package directory) to the module's go.mod. It fails the test
// when they are missing: a fake that cannot check its calls would let the adapter drift.
func SpecsDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("slacktest: working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("slacktest: no go.mod above the working directory")
		}
		dir = parent
	}
	specs := filepath.Join(dir, "..", "shared", "specs")
	if _, err := os.Stat(filepath.Join(specs, "slack", "methods")); err != nil {
		t.Fatalf("slacktest: Slack API reference not found at %s (the repository's ../shared/specs): %v", specs, err)
	}
	return specs
}

// methodSpec is the part of a Web API method's reference the fake checks.
type methodSpec struct {
	Args struct {
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	} `json:"args"`
	Errors map[string]json.RawMessage `json:"errors"`
	// JSONInput says the method reads its arguments from a JSON body (absent: not known to).
	JSONInput bool `json:"json_input_supported"`
}

// specs caches the method references of one specs directory.
type specs struct {
	dir string
	mu  sync.Mutex
	m   map[string]*methodSpec
}

var (
	specsMu    sync.Mutex
	specsByDir = map[string]*specs{}
)

func specsIn(dir string) *specs {
	specsMu.Lock()
	defer specsMu.Unlock()
	s := specsByDir[dir]
	if s == nil {
		s = &specs{dir: dir, m: map[string]*methodSpec{}}
		specsByDir[dir] = s
	}
	return s
}

// method returns the reference of a Web API method, or nil when Slack has no such method.
func (s *specs) method(method string) (*methodSpec, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.m[method]; ok {
		return m, nil
	}
	if strings.ContainsAny(method, "/\\") || method == "" {
		return nil, nil
	}
	b, err := os.ReadFile(filepath.Join(s.dir, "slack", "methods", method+".json"))
	if os.IsNotExist(err) {
		s.m[method] = nil
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read reference of %s: %w", method, err)
	}
	var m methodSpec
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse reference of %s: %w", method, err)
	}
	s.m[method] = &m
	return &m, nil
}

// CheckCall lists what Slack would not understand in a call of method with args: an unknown
// method, a missing required argument, an argument the method does not take. The token may come
// as a Bearer header instead of an argument.
func CheckCall(t testing.TB, specsDir, method string, args map[string]string, bearer string) []string {
	t.Helper()
	spec, err := specsIn(specsDir).method(method)
	if err != nil {
		t.Fatalf("slacktest: %v", err)
	}
	if spec == nil {
		return []string{fmt.Sprintf("unknown Web API method %q", method)}
	}
	var problems []string
	for _, req := range spec.Args.Required {
		if req == "token" && bearer != "" {
			continue
		}
		if _, ok := args[req]; !ok {
			problems = append(problems, fmt.Sprintf("%s: required argument %q missing (got %v)", method, req, keys(args)))
		}
	}
	for _, name := range keys(args) {
		if _, ok := spec.Args.Properties[name]; !ok {
			problems = append(problems, fmt.Sprintf("%s: unknown argument %q", method, name))
		}
	}
	return problems
}

// CheckJSONBody lists what Slack would not read in a call of method whose arguments came as
// a JSON body: a method whose reference does not say it reads one, or a token in the body
// (Slack reads a JSON call's token from its Authorization header only).
func CheckJSONBody(t testing.TB, specsDir, method string, args map[string]string) []string {
	t.Helper()
	spec, err := specsIn(specsDir).method(method)
	if err != nil {
		t.Fatalf("slacktest: %v", err)
	}
	var problems []string
	if spec != nil && !spec.JSONInput {
		problems = append(problems, fmt.Sprintf("%s: arguments sent as JSON, which the method's reference does not say it reads (json_input_supported)", method))
	}
	if _, ok := args["token"]; ok {
		problems = append(problems, fmt.Sprintf("%s: a token in a JSON body is not read: send it in the Authorization header", method))
	}
	return problems
}

// commonErrors are error codes every Web API method may answer.
var commonErrors = []string{"invalid_auth", "not_authed", "ratelimited", "internal_error", "fatal_error", "service_unavailable", "not_allowed_token_type", "invalid_arguments"}

// knownError reports whether method's reference lists code (or code is common to all methods).
func (s *specs) knownError(method, code string) bool {
	if slices.Contains(commonErrors, code) {
		return true
	}
	spec, err := s.method(method)
	if err != nil || spec == nil {
		return false
	}
	_, ok := spec.Errors[code]
	return ok
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

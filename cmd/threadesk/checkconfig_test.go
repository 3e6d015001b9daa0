package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exampleDesk is the shipped example policy, from this package's directory.
const exampleDesk = "../../manifests/desk.example.yaml"

// badDesk writes a policy file with three problems on known lines and returns its path.
func badDesk(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "desk.yaml")
	text := "language: en\nintake: {timeout: 10 minutes}\nsla:\n  urgent: {first_response: 30m, resolution: 4h}\n  critical: {first_response: 1h}\ncanned:\n  - {name: hi, text: \"Hi {client}\"}\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runCheck runs `threadesk check-config args…`.
func runCheck(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errs bytes.Buffer
	code = runCommand("check-config", args, &out, &errs)
	return code, out.String(), errs.String()
}

// TestCheckConfigValid checks a valid file: exit 0 and one line that sums it up.
func TestCheckConfigValid(t *testing.T) {
	clearEnv(t)
	code, out, errs := runCheck(t, exampleDesk)
	if code != 0 || errs != "" {
		t.Fatalf("check-config %s: exit %d, stderr %q", exampleDesk, code, errs)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, exampleDesk+" is valid: ") {
		t.Errorf("output is not one line saying the file is valid: %q", out)
	}
	for _, want := range []string{"4 categories", "intake on", "Europe/Moscow", "SLA for low, normal, high, urgent", "3 canned replies"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q: %s", want, out)
		}
	}
}

// TestCheckConfigProblems checks a file with problems: exit 1, every problem on its own line
// with the file, the line and the field, then how many there were; nothing on stdout.
func TestCheckConfigProblems(t *testing.T) {
	clearEnv(t)
	path := badDesk(t)
	code, out, errs := runCheck(t, path)
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q; want 1 and nothing", code, out)
	}
	want := path + `:2: intake.timeout: "10 minutes" is not a duration (write 10m)
` + path + `:5: sla.critical: unknown key (known here: low, normal, high, urgent, remind_at)
` + path + `:7: canned[0].text: {client} is not a placeholder (known: {customer}, {agent} or {ticket})
threadesk check-config: ` + path + ` has 3 problems; the desk would not use it
`
	if errs != want {
		t.Errorf("stderr:\n%s\nwant\n%s", errs, want)
	}
}

// TestCheckConfigUsage checks the ways the command can be used wrongly, its help, and a file
// that cannot be read.
func TestCheckConfigUsage(t *testing.T) {
	clearEnv(t)
	for _, tc := range []struct {
		name       string
		args       []string
		code       int
		out, errs  string
		stdoutOnly bool
	}{
		{"help", []string{"-h"}, 0, "usage: threadesk check-config [FILE]", "", true},
		{"no file", nil, 2, "", "name the file to check", false},
		{"two files", []string{"a.yaml", "b.yaml"}, 2, "", "takes one file", false},
		{"unknown flag", []string{"-strict", "a.yaml"}, 2, "", "threadesk check-config -h shows its usage", false},
		{"missing file", []string{"no-such-desk.yaml"}, 1, "", "no-such-desk.yaml: no such file or directory", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCheck(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errs)
			}
			if !strings.Contains(out, tc.out) || !strings.Contains(errs, tc.errs) {
				t.Errorf("stdout %q, stderr %q; want %q and %q in them", out, errs, tc.out, tc.errs)
			}
			if tc.stdoutOnly && errs != "" || !tc.stdoutOnly && out != "" {
				t.Errorf("stdout %q, stderr %q: written to the wrong one", out, errs)
			}
		})
	}
}

// TestCheckConfigReadsDeskConfig checks that without FILE the command checks the file
// DESK_CONFIG names.
func TestCheckConfigReadsDeskConfig(t *testing.T) {
	setEnv(t, map[string]string{"DESK_CONFIG": badDesk(t)})
	if code, _, errs := runCheck(t); code != 1 || !strings.Contains(errs, "3 problems") {
		t.Errorf("check-config with DESK_CONFIG set to a bad file: exit %d, %q", code, errs)
	}
	t.Setenv("DESK_CONFIG", exampleDesk)
	if code, out, _ := runCheck(t); code != 0 || !strings.Contains(out, "is valid") {
		t.Errorf("check-config with DESK_CONFIG set to the example: exit %d, %q", code, out)
	}
}

// TestCheckConfigInHelp checks that threadesk -h names the command.
func TestCheckConfigInHelp(t *testing.T) {
	var out, errs bytes.Buffer
	if code := runCommand("-h", nil, &out, &errs); code != 0 || !strings.Contains(out.String(), "\n  check-config FILE ") {
		t.Errorf("threadesk -h (exit %d) does not list check-config:\n%s", code, out.String())
	}
}

// TestLoadConfigDeskConfig checks DESK_CONFIG at start: a valid file is taken; one with
// problems or one that cannot be read stops the desk, as one problem of the settings that
// lists the file's problems.
func TestLoadConfigDeskConfig(t *testing.T) {
	setEnv(t, map[string]string{"DESK_CONFIG": exampleDesk})
	c, err := LoadConfig()
	if err != nil || c.DeskConfig != exampleDesk {
		t.Fatalf("LoadConfig with the example: %v (DeskConfig %q)", err, c.DeskConfig)
	}

	path := badDesk(t)
	t.Setenv("DESK_CONFIG", path)
	_, err = LoadConfig()
	if err == nil {
		t.Fatal("LoadConfig accepted a desk policy file with problems")
	}
	msg := err.Error()
	if strings.Count(msg, "\n  - ") != 1 || !strings.Contains(msg, "DESK_CONFIG="+path+" has 3 problems") {
		t.Errorf("not one problem of DESK_CONFIG:\n%s", msg)
	}
	for _, line := range []string{path + ":2: intake.timeout:", path + ":5: sla.critical:", path + ":7: canned[0].text:"} {
		if !strings.Contains(msg, "\n      "+line) {
			t.Errorf("error lacks %q:\n%s", line, msg)
		}
	}

	t.Setenv("DESK_CONFIG", filepath.Join(t.TempDir(), "gone.yaml"))
	if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), "gone.yaml cannot be read (no such file or directory)") {
		t.Errorf("LoadConfig with a missing file: %v", err)
	}
}

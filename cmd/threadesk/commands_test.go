package main

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"
)

// TestHelpListsEverySetting runs `threadesk -h` (and its spellings): it shows the commands and
// every setting with its default and meaning, from Config's tags and, for the settings only the
// setup reads, setupConfig's.
func TestHelpListsEverySetting(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "-help", "help"} {
		t.Run(arg, func(t *testing.T) {
			var out, errs bytes.Buffer
			if code := runCommand(arg, nil, &out, &errs); code != 0 {
				t.Fatalf("threadesk %s exited %d: %s", arg, code, errs.String())
			}
			help := out.String()
			for _, want := range []string{"usage: threadesk", "mattermost-setup", "version"} {
				if !strings.Contains(help, want) {
					t.Errorf("help lacks %q", want)
				}
			}
			if strings.Contains(help, "see the README") {
				t.Errorf("help sends the reader to the README, which the container image does not hold:\n%s", help)
			}
			docs := append(settingDocs(Config{}), setupOnlySettings()...)
			if len(docs) < 30 {
				t.Fatalf("only %d settings documented", len(docs))
			}
			for _, d := range docs {
				head := "  " + d.Name + "\n"
				if d.Default != "" {
					head = "  " + d.Name + " (default " + d.Default + ")\n"
				}
				i := strings.Index(help, head)
				if i < 0 {
					t.Errorf("help lacks the line %q", head)
					continue
				}
				// The meaning follows, wrapped: compare it without the line breaks.
				rest := strings.Join(strings.Fields(help[i+len(head):]), " ")
				if !strings.HasPrefix(rest, d.Meaning) {
					t.Errorf("%s: help does not give its meaning %q right after it", d.Name, d.Meaning)
				}
			}
		})
	}
}

// TestConfigTagsComplete checks that every setting carries what the help prints: a name and a
// meaning.
func TestConfigTagsComplete(t *testing.T) {
	for _, spec := range []any{Config{}, setupConfig{}} {
		docs := settingDocs(spec)
		if len(docs) == 0 {
			t.Fatalf("%T: no settings", spec)
		}
		seen := map[string]bool{}
		for _, d := range docs {
			if d.Meaning == "" {
				t.Errorf("%T: %s has no desc tag", spec, d.Name)
			}
			if seen[d.Name] {
				t.Errorf("%T: %s twice", spec, d.Name)
			}
			seen[d.Name] = true
		}
	}
	// A setting both read must mean the same default to both.
	app := map[string]settingDoc{}
	for _, d := range settingDocs(Config{}) {
		app[d.Name] = d
	}
	for _, d := range settingDocs(setupConfig{}) {
		if a, ok := app[d.Name]; ok && a.Default != d.Default {
			t.Errorf("%s: default %q for the desk, %q for the setup", d.Name, a.Default, d.Default)
		}
	}
}

func TestVersionText(t *testing.T) {
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want []string
		not  []string
	}{
		{"no build info", nil, []string{"threadesk devel"}, []string{"revision"}},
		{"go run", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			[]string{"threadesk devel", "go1.26.8"}, []string{"revision"}},
		{"module version", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, []string{"threadesk v1.4.0"}, []string{"devel"}},
		{"built from git", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261206034231-f51e3d8468ad"},
			Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "f51e3d8468ad290f7e8cfc5a62553fdea455d07f"},
				{Key: "vcs.time", Value: "2026-12-06T03:42:31Z"}, {Key: "vcs.modified", Value: "false"}}},
			[]string{"threadesk v0.0.0-20261206034231-f51e3d8468ad", "revision f51e3d8468ad290f7e8cfc5a62553fdea455d07f", "2026-12-06T03:42:31Z"},
			[]string{"uncommitted"}},
		{"built from a changed checkout", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}}},
			[]string{"threadesk devel", "revision abc123 with uncommitted changes"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := versionText(tc.bi)
			for _, want := range tc.want {
				if !strings.Contains(got, want) {
					t.Errorf("versionText = %q, want it to contain %q", got, want)
				}
			}
			for _, not := range tc.not {
				if strings.Contains(got, not) {
					t.Errorf("versionText = %q, want no %q", got, not)
				}
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		var out, errs bytes.Buffer
		if code := runCommand(arg, nil, &out, &errs); code != 0 {
			t.Fatalf("threadesk %s exited %d: %s", arg, code, errs.String())
		}
		// Test binaries carry no module version: "devel".
		if !strings.HasPrefix(out.String(), "threadesk ") {
			t.Errorf("threadesk %s printed %q", arg, out.String())
		}
	}
	var out, errs bytes.Buffer
	if code := runCommand("version", []string{"extra"}, &out, &errs); code != 2 {
		t.Errorf("threadesk version extra exited %d, want 2", code)
	}
}

func TestUnknownSubcommand(t *testing.T) {
	var out, errs bytes.Buffer
	if code := runCommand("frobnicate", nil, &out, &errs); code != 2 || !strings.Contains(errs.String(), "threadesk -h") {
		t.Errorf("unknown command: exit %d, %q", code, errs.String())
	}
}

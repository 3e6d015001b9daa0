package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v2"
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

// threadeskRun matches a shell line that runs the threadesk program (after any NAME=value
// settings), and captures how it is named.
var threadeskRun = regexp.MustCompile(`(?:^|\s)(\S*threadesk)(?:\s|$)`)

// TestReadmeSlackInstall checks Install on Slack: the program it runs is the one `make build`
// writes (or the container image), the events URL is verified again once Threadesk runs, and
// changing DESK_COMMAND sends the reader to the manifest, whose command is DESK_COMMAND's
// default.
func TestReadmeSlackInstall(t *testing.T) {
	section := readmeSection(t, "Install on Slack")
	checkRunsBuiltBinary(t, section)

	run := strings.Index(section, "bin/threadesk\n")
	retry := strings.Index(section, "*Retry*")
	if run < 0 || retry < 0 || retry < run || !strings.Contains(section, "*Event Subscriptions*") {
		t.Errorf("Install on Slack does not say to retry the events URL's verification under Event Subscriptions once Threadesk runs")
	}
	if !strings.Contains(section, "`url_verification`") {
		t.Errorf("Install on Slack does not say that Slack verifies the events URL at creation")
	}

	if !strings.Contains(section, "`DESK_COMMAND`") || !strings.Contains(section, "manifests/slack-app.yaml") {
		t.Errorf("Install on Slack does not say that changing DESK_COMMAND means changing the manifest's command")
	}
	var m struct {
		Features struct {
			SlashCommands []struct {
				Command string `yaml:"command"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
	}
	manifest := repoFile(t, "manifests/slack-app.yaml")
	if err := yaml.Unmarshal([]byte(manifest), &m); err != nil {
		t.Fatal(err)
	}
	var def string
	for _, d := range settingDocs(Config{}) {
		if d.Name == "DESK_COMMAND" {
			def = d.Default
		}
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != def {
		t.Errorf("manifest slash commands %+v, want one: %s, DESK_COMMAND's default", m.Features.SlashCommands, def)
	}
	if !strings.Contains(manifest, "DESK_COMMAND") {
		t.Errorf("the manifest does not say that its command must be DESK_COMMAND")
	}
}

// checkRunsBuiltBinary checks that every shell line of section that runs threadesk runs the
// binary `make build` writes, and that section says where it and the image come from.
func checkRunsBuiltBinary(t *testing.T, section string) {
	t.Helper()
	out := regexp.MustCompile(`(?m)^build:.*\n(?:\t.*\n)*?\t.*-o (\S+) \./cmd/threadesk`).FindStringSubmatch(repoFile(t, "Makefile"))
	if out == nil {
		t.Fatal("Makefile's build target does not write ./cmd/threadesk with -o")
	}
	for _, want := range []string{"`make build`", "`make docker`", "`" + out[1] + "`"} {
		if !strings.Contains(section, want) {
			t.Errorf("section does not say where the program comes from: no %s", want)
		}
	}
	runs := 0
	inCode := false
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inCode = !inCode
			continue
		}
		if !inCode {
			continue
		}
		for _, m := range threadeskRun.FindAllStringSubmatch(line, -1) {
			runs++
			if m[1] != out[1] {
				t.Errorf("runs %q, which nothing builds; `make build` writes %s: %s", m[1], out[1], line)
			}
		}
	}
	if runs == 0 {
		t.Errorf("section runs no threadesk")
	}
}

// TestReadmeMattermostInstall checks Install on Mattermost: the server settings an admin must
// switch on first (the same list `mattermost-setup -h` prints), and what the setup does not do.
func TestReadmeMattermostInstall(t *testing.T) {
	section := readmeSection(t, "Install on Mattermost")
	checkRunsBuiltBinary(t, section)
	for _, p := range mattermostPrerequisites {
		if !strings.Contains(section, "`"+p.setting+"`") {
			t.Errorf("Install on Mattermost does not name %s", p.setting)
		}
	}
	for _, want := range []string{"`PUBLIC_URL`", "does not change the server's configuration", "mattermost-setup -h"} {
		if !strings.Contains(section, want) {
			t.Errorf("Install on Mattermost lacks %q", want)
		}
	}
}

// TestReadmeDevelopmentNamesTestTools checks that Development names every tool scripts/test
// looks for, and says to install them by hand where apt-get is missing, as the script does.
func TestReadmeDevelopmentNamesTestTools(t *testing.T) {
	script := repoFile(t, "scripts/test")
	start := strings.Index(script, "ensure_tools() {")
	end := strings.Index(script[start:], "\n}\n")
	if start < 0 || end < 0 {
		t.Fatal("scripts/test has no ensure_tools function")
	}
	tools := regexp.MustCompile(`command -v (\S+)`).FindAllStringSubmatch(script[start:start+end], -1)
	if len(tools) < 3 {
		t.Fatalf("ensure_tools checks only %v", tools)
	}
	if !strings.Contains(repoFile(t, "scripts/lib.sh"), "install them by hand") {
		t.Fatal("scripts/lib.sh no longer says to install by hand; update this test and the README")
	}
	section := readmeSection(t, "Development")
	for _, tool := range tools {
		if !strings.Contains(section, "`"+tool[1]+"`") {
			t.Errorf("Development does not name `%s`, which scripts/test needs", tool[1])
		}
	}
	for _, want := range []string{"`apt-get`", "by hand"} {
		if !strings.Contains(section, want) {
			t.Errorf("Development lacks %q", want)
		}
	}
}

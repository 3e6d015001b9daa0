package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
)

// subcommand runs a command given on the command line and returns the exit status.
func subcommand(name string, args []string) int {
	return runCommand(name, args, os.Stdout, os.Stderr)
}

// runCommand is subcommand writing to out and errs.
func runCommand(name string, args []string, out, errs io.Writer) int {
	switch name {
	case "mattermost-setup":
		return mattermostSetup(args, out, errs)
	case "kb":
		return kbCommand(args, out, errs)
	case "check-config":
		return checkConfig(args, out, errs)
	case "version", "-version", "--version":
		if len(args) > 0 {
			fmt.Fprintf(errs, "threadesk version: takes no arguments, got %q\n", args)
			return 2
		}
		bi, _ := debug.ReadBuildInfo()
		fmt.Fprintln(out, versionText(bi))
		return 0
	case "help", "-h", "-help", "--help":
		if len(args) > 0 && args[0] == "mattermost-setup" {
			printSetupUsage(out)
			return 0
		}
		printUsage(out)
		return 0
	}
	fmt.Fprintf(errs, "threadesk: unknown command %q; threadesk -h lists the commands and the settings\n", name)
	return 2
}

const usageHead = `usage: threadesk [command]

Threadesk is a support desk inside Slack and Mattermost. With no command it runs the desk for
the platforms its settings configure or, with none, the sandbox: a local page, at the address
it prints, where you play customers and agents against the real desk.

Commands:
  mattermost-setup   set Threadesk up on a Mattermost server (threadesk mattermost-setup -h)
  kb search QUERY…   the knowledge-base articles suggested for a question (threadesk kb -h)
  check-config FILE  check a desk policy file (DESK_CONFIG) without starting
  version            print the version and the commit it was built from
  help               show this text (also -h, --help)

Settings are environment variables:

`

// printUsage writes `threadesk -h`: the commands and every setting with its default and
// meaning, from the tags of Config and, for the settings only mattermost-setup reads, of
// setupConfig.
func printUsage(w io.Writer) {
	fmt.Fprint(w, usageHead)
	printSettings(w, settingDocs(Config{}))
	fmt.Fprint(w, "\nRead only by threadesk mattermost-setup:\n\n")
	printSettings(w, setupOnlySettings())
}

// setupOnlySettings are the settings setupConfig reads and Config does not.
func setupOnlySettings() []settingDoc {
	app := settingDocs(Config{})
	var docs []settingDoc
	for _, d := range settingDocs(setupConfig{}) {
		if !slices.ContainsFunc(app, func(a settingDoc) bool { return a.Name == d.Name }) {
			d.Required = false // required by the setup, not by the desk: shown in its own help
			docs = append(docs, d)
		}
	}
	return docs
}

// versionText describes the build: the module version, and the commit and its time when the
// binary was built from a git checkout; "devel" stands for a version the build did not record.
func versionText(bi *debug.BuildInfo) string {
	version := "devel"
	if bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		version = bi.Main.Version
	}
	var b strings.Builder
	b.WriteString("threadesk " + version)
	if bi == nil {
		return b.String()
	}
	var revision, at string
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if revision != "" {
		b.WriteString("\nrevision " + revision)
		if modified {
			b.WriteString(" with uncommitted changes")
		}
		if at != "" {
			b.WriteString(", committed " + at)
		}
	}
	if bi.GoVersion != "" {
		b.WriteString("\nbuilt with " + bi.GoVersion)
	}
	return b.String()
}

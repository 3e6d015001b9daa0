package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/threadesk/threadesk/internal/policy"
)

const checkConfigUsage = `usage: threadesk check-config [FILE]

Checks a desk policy file (the DESK_CONFIG setting; FILE defaults to it) without starting the
desk. A valid file gets one line that sums up what it sets, and exit status 0. Otherwise every
problem is listed, one a line as FILE:LINE: FIELD: what is wrong and what to write, and the
exit status is 1; it is 2 when the command itself is used wrongly.

The desk checks the file the same way when it starts (and refuses to start on problems) and
when it reloads it (SIGHUP, /desk reload), keeping the policy it has when the new file has
problems.
`

// checkConfig runs `threadesk check-config [FILE]` and returns the exit status.
func checkConfig(args []string, out, errs io.Writer) int {
	fset := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fset.SetOutput(io.Discard) // errors are reported below, in our words
	fset.Usage = func() {}
	switch err := fset.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(out, checkConfigUsage)
		return 0
	case err != nil:
		fmt.Fprintf(errs, "threadesk check-config: %v; threadesk check-config -h shows its usage\n", err)
		return 2
	case fset.NArg() > 1:
		fmt.Fprintf(errs, "threadesk check-config: takes one file, got %q\n", fset.Args())
		return 2
	}
	file := fset.Arg(0)
	if file == "" {
		file = os.Getenv("DESK_CONFIG")
	}
	if file == "" {
		fmt.Fprintln(errs, "threadesk check-config: name the file to check (threadesk check-config desk.yaml), or set DESK_CONFIG")
		return 2
	}

	p, err := policy.Load(file)
	var pe *policy.Error
	switch {
	case errors.As(err, &pe):
		fmt.Fprintln(errs, pe.Error())
		fmt.Fprintf(errs, "threadesk check-config: %s has %s; the desk would not use it\n", file, problemCount(len(pe.Problems)))
		return 1
	case err != nil:
		fmt.Fprintf(errs, "threadesk check-config: %v\n", err)
		return 1
	}
	fmt.Fprintf(out, "%s is valid: %s\n", file, p.Summary())
	return 0
}

// problemCount writes "1 problem" or "n problems".
func problemCount(n int) string {
	if n == 1 {
		return "1 problem"
	}
	return fmt.Sprintf("%d problems", n)
}

// deskConfigProblem says, for the settings' check at start, what is wrong with the file
// DESK_CONFIG names: every problem of its content, or why it cannot be read.
func deskConfigProblem(file string, err error) string {
	var pe *policy.Error
	if errors.As(err, &pe) {
		var b strings.Builder
		fmt.Fprintf(&b, "DESK_CONFIG=%s has %s (threadesk check-config checks it without starting):", file, problemCount(len(pe.Problems)))
		for _, p := range pe.Problems {
			b.WriteString("\n      " + p.String())
		}
		return b.String()
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		err = pathErr.Err
	}
	return fmt.Sprintf("DESK_CONFIG=%s cannot be read (%v): write the path of the desk policy file, or unset it", file, err)
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/threadesk/threadesk/internal/kb"
	"github.com/threadesk/threadesk/internal/policy"
)

const kbUsage = `usage: threadesk kb search [-kb FILE] [-lang en|ru] [-n 3] QUERY…

Prints the knowledge-base articles the bot would suggest for the question QUERY, best first,
one "ID<TAB>score" line each, and nothing when no article is relevant enough to suggest.
Exits 0 in both cases; 1 when the file cannot be read or is invalid (each problem is named by
file, line and field); 2 when the command is used wrongly.

  -kb FILE    the knowledge base (default: KB_PATH)
  -lang LANG  the customer's language, en or ru, for a question whose script does not tell
              (default: the desk's); articles in the question's language come first
  -n N        at most N articles (default 3)

Articles without a lang are in the desk's language: the desk policy file's (DESK_CONFIG),
else English, as the running desk reads them.
`

// kbCommand runs `threadesk kb args…` and returns the exit status.
func kbCommand(args []string, out, errs io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		if len(args) == 0 {
			fmt.Fprint(errs, kbUsage)
			return 2
		}
		fmt.Fprint(out, kbUsage)
		return 0
	}
	if args[0] != "search" {
		fmt.Fprintf(errs, "threadesk kb: unknown command %q; threadesk kb -h shows its usage\n", args[0])
		return 2
	}
	fs := flag.NewFlagSet("kb search", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported below, in our words
	fs.Usage = func() {}
	file := fs.String("kb", os.Getenv("KB_PATH"), "")
	lang := fs.String("lang", "", "")
	n := fs.Int("n", 3, "")
	// Flags may come after words of the question too: parse again after each word.
	var words []string
	rest := args[1:]
	for {
		switch err := fs.Parse(rest); {
		case errors.Is(err, flag.ErrHelp):
			fmt.Fprint(out, kbUsage)
			return 0
		case err != nil:
			fmt.Fprintf(errs, "threadesk kb search: %v; threadesk kb -h shows its usage\n", err)
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		words = append(words, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	switch {
	case *file == "":
		fmt.Fprintln(errs, "threadesk kb search: no knowledge base: give -kb FILE or set KB_PATH")
		return 2
	case *lang != "" && !slices.Contains(kb.Languages, *lang):
		fmt.Fprintf(errs, "threadesk kb search: -lang %q is neither en nor ru\n", *lang)
		return 2
	case *n < 1:
		fmt.Fprintf(errs, "threadesk kb search: -n %d: give at least 1\n", *n)
		return 2
	case len(words) == 0:
		fmt.Fprintln(errs, "threadesk kb search: no question given; threadesk kb -h shows its usage")
		return 2
	}
	// Articles without a lang are in the desk's language, as the running desk reads them: the
	// desk file's (DESK_CONFIG), else English.
	deskLang := "en"
	if path := os.Getenv("DESK_CONFIG"); path != "" {
		p, err := policy.Load(path)
		if err != nil {
			fmt.Fprintf(errs, "threadesk kb search: DESK_CONFIG not read, so articles without a lang are taken as English: %v\n", err)
		} else {
			deskLang = string(p.Language)
		}
	}
	if *lang == "" {
		*lang = deskLang // the customers' default
	}
	base, err := kb.Load(*file, deskLang)
	if err != nil {
		fmt.Fprintln(errs, err) // each problem on its line, starting with file:line:
		return 1
	}
	for _, r := range base.Search(strings.Join(words, " "), *lang, *n) {
		fmt.Fprintf(out, "%s\t%.3f\n", r.ID, r.Score)
	}
	return 0
}

package relay

import (
	"strings"

	"github.com/threadesk/threadesk/internal/catalog"

	"github.com/threadesk/threadesk/internal/desk"
)

// This file is where people's words meet the texts the core composes. The core knows which
// strings are a person's (names, subjects, rating comments, tags, history lines, what someone
// typed into a command or a form) and has each written with the quoting of where the text
// goes (desk.Platform.Quote); it never inspects markup itself. A relayed message is no text
// the core composes: it goes out as it came, and the adapter makes it inert.

// quoter writes a person's words for where a text goes.
type quoter func(string) string

// asTyped is the quoting of a destination that shows text as text: the dashboard.
func asTyped(s string) string { return s }

// words marks a person's words among the arguments of a catalog text: say quotes them.
type words string

// say composes catalog text id for a destination quoted by q: every words value among args
// goes through q, every other value is the app's own.
func (r *Relay) say(q quoter, id string, args map[string]any) string {
	return sayIn(r.text(), q, id, args)
}

// sayIn is say in catalog c.
func sayIn(c *catalog.Catalog, q quoter, id string, args map[string]any) string {
	if len(args) == 0 {
		return c.Text(id, args)
	}
	out := make(map[string]any, len(args))
	for k, v := range args {
		if w, ok := v.(words); ok {
			v = ""
			if w != "" {
				v = q(string(w))
			}
		}
		out[k] = v
	}
	return c.Text(id, out)
}

// quoterFor is the quoting of an answer to ev: as typed for the dashboard, which shows text
// as text, and the platform's everywhere else.
func quoterFor(p desk.Platform, ev desk.Event) quoter {
	if ev.Source == desk.SourceDashboard {
		return asTyped
	}
	return p.Quote
}

// quoterOf is the quoting of the platform named platform. Tickets of a platform this
// process does not run are never handled here; were one, its words would be left as typed.
func (r *Relay) quoterOf(platform string) quoter {
	if p, ok := r.platforms[platform]; ok {
		return p.Quote
	}
	return asTyped
}

// quoteList quotes each of a person's words in items (tags) and joins them with ", ".
func quoteList(q quoter, items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = q(s)
	}
	return strings.Join(out, ", ")
}

// text is the catalog of the agents' language: Options.Catalog, or the policy's language.
func (r *Relay) text() *catalog.Catalog {
	if r.fixedText != nil {
		return r.fixedText
	}
	return catalog.For(r.policy().Language)
}

// textFor is the catalog of ticket t's customer: their language, or the agents' when the
// ticket does not know it.
func (r *Relay) textFor(t desk.Ticket) *catalog.Catalog {
	if t.Language == "" {
		return r.text()
	}
	return catalog.For(t.Language)
}

// languageOf is the code of the language ticket t's customer is written in (see textFor).
func (r *Relay) languageOf(t desk.Ticket) string {
	if t.Language != "" {
		return t.Language
	}
	if code, ok := catalog.Match(r.policy().Language); ok {
		return code
	}
	return "en"
}

// language is the language to write to customer u in: theirs, when the platform tells it and
// the catalog has it; otherwise the desk's.
func (r *Relay) language(u desk.User) string {
	if code, ok := catalog.Match(u.Locale); ok {
		return code
	}
	if code, ok := catalog.Match(r.policy().Language); ok {
		return code
	}
	return "en"
}

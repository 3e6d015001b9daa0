package catalog

import "strings"

// The languages the catalog ships, by their ISO 639-1 code, each parsed once with its plural
// rule. A table that does not parse stops the program at start (and fails the tests first).
var languages = []struct {
	code    string
	catalog *Catalog
}{
	{"en", Default},
	{"ru", must(NewLanguage(RussianPlural, Russian))},
}

// Languages lists the codes of the languages the catalog ships, English first: the values
// a desk's `language` may take.
func Languages() []string {
	codes := make([]string, len(languages))
	for i, l := range languages {
		codes[i] = l.code
	}
	return codes
}

// Match finds the shipped language of a locale as a platform reports it ("ru", "ru-RU",
// "ru_RU", "RU"): its code, or "" and false when the catalog has no such language (then the
// caller falls back: for a customer, to the desk's language).
func Match(locale string) (string, bool) {
	code, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(locale)), "-")
	code, _, _ = strings.Cut(code, "_")
	for _, l := range languages {
		if l.code == code {
			return code, true
		}
	}
	return "", false
}

// For is the catalog of a language, by code or locale (see Match); English for a language the
// catalog does not ship.
func For(locale string) *Catalog {
	code, _ := Match(locale)
	for _, l := range languages {
		if l.code == code {
			return l.catalog
		}
	}
	return Default
}

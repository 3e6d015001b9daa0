package dashboard

import (
	"html/template"
	"strings"
	"time"
)

// funcs are the helpers the page templates use. Every value they return is escaped by
// html/template like any other: none returns template.HTML.
var funcs = template.FuncMap{
	"stamp": func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"iso": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	"join":  strings.Join,
	"dur":   func(d time.Duration) string { return span(d) },
	"title": func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"eq2":   func(a, b any) bool { return a == b },
	"has": func(list any, v string) bool {
		switch l := list.(type) {
		case []string:
			for _, s := range l {
				if s == v {
					return true
				}
			}
		}
		return false
	},
	"seconds": func(d time.Duration) int64 { return int64(d / time.Second) },
}

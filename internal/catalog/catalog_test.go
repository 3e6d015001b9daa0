package catalog_test

import (
	"strings"
	"testing"

	"github.com/threadesk/threadesk/internal/catalog"
)

func TestTranslations(t *testing.T) {
	c, err := catalog.New(map[string]string{catalog.TicketOpened: "Merci ! Ticket {{.Ticket}} ouvert."})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Text(catalog.TicketOpened, map[string]any{"Ticket": "#3"}); got != "Merci ! Ticket #3 ouvert." {
		t.Errorf("translated text = %q", got)
	}
	// A text the table leaves out falls back to English.
	if got := c.Text(catalog.NoticeClosed, map[string]any{"Ticket": "#3"}); !strings.Contains(got, "#3 is closed") {
		t.Errorf("fallback text = %q", got)
	}
	tests := []struct {
		name  string
		table map[string]string
	}{
		{"text that does not parse", map[string]string{catalog.TicketOpened: "{{.Ticket"}},
		{"unknown message ID", map[string]string{"no.such.message": "hello"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := catalog.New(tt.table); err == nil {
				t.Errorf("New accepted a broken table")
			}
		})
	}
}

func TestMissingArgumentShowsTheID(t *testing.T) {
	// A programming error (an argument not given) is visible, never an empty message.
	if got := catalog.Default.Text(catalog.TicketOpened, nil); got != catalog.TicketOpened {
		t.Errorf("text without its argument = %q, want the message ID", got)
	}
	if got := catalog.Default.Text("no.such.message", nil); got != "no.such.message" {
		t.Errorf("unknown ID renders %q", got)
	}
}

func TestPlurals(t *testing.T) {
	en := map[int]string{0: "0 ratings", 1: "1 rating", 2: "2 ratings", 11: "11 ratings", 21: "21 ratings"}
	for n, want := range en {
		text := catalog.Default.Text(catalog.StatsAgent, map[string]any{"Name": "Ann", "Responses": n, "Median": "1m", "Resolved": 0, "Satisfaction": "–"})
		if wantResp := strings.Replace(strings.Replace(want, "ratings", "first responses", 1), "rating", "first response", 1); !strings.Contains(text, wantResp) {
			t.Errorf("%d: %q, want %q", n, text, wantResp)
		}
	}
	// A count written out as a string (the days of a period) takes plurals too.
	for days, want := range map[string]string{"1": "the last 1 day", "7": "the last 7 days", "30": "the last 30 days"} {
		if got := catalog.Default.Text(catalog.PeriodDays, map[string]any{"Days": days}); got != want {
			t.Errorf("period of %s days = %q, want %q", days, got, want)
		}
	}
	if got := catalog.Default.Text(catalog.PeriodDays, map[string]any{"Days": "many"}); got != catalog.PeriodDays {
		t.Errorf("plural of a word renders %q, want the message ID", got)
	}
	// Russian has three forms: 1, 21, 101 · 2–4, 22–24 · 0, 5–20, 25–30, 111–114.
	ru, err := catalog.NewLanguage(catalog.RussianPlural, map[string]string{catalog.ListMore: "… и ещё {{.More}} {{plural .More \"заявка\" \"заявки\" \"заявок\"}}"})
	if err != nil {
		t.Fatal(err)
	}
	for n, want := range map[int]string{1: "заявка", 21: "заявка", 101: "заявка", 2: "заявки", 4: "заявки", 22: "заявки", 0: "заявок", 5: "заявок", 11: "заявок", 12: "заявок", 14: "заявок", 25: "заявок", 111: "заявок", 112: "заявок"} {
		if got := ru.Text(catalog.ListMore, map[string]any{"More": n}); !strings.HasSuffix(got, " "+want) {
			t.Errorf("Russian %d: %q, want %s", n, got, want)
		}
	}
}

// TestHelpReadsInAnyFont: the command reference is a list, one command a line, not columns
// lined up with spaces (which proportional fonts in Slack, Mattermost and the sandbox undo), in
// every language.
func TestHelpReadsInAnyFont(t *testing.T) {
	for _, lang := range catalog.Languages() {
		help := catalog.For(lang).Text(catalog.Usage, map[string]any{"Command": "/desk"})
		lines := strings.Split(help, "\n")
		if len(lines) < 10 {
			t.Fatalf("%s help has %d lines", lang, len(lines))
		}
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l, "• ") || !strings.Contains(l, " — ") || strings.Contains(l, "  ") {
				t.Errorf("%s help line %q is not a list item", lang, l)
			}
		}
		if strings.ContainsAny(help, "<>") {
			t.Errorf("%s help has angle brackets, which Slack reads as markup: %q", lang, help)
		}
	}
}

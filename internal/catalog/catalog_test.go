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

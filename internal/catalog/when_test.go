package catalog_test

import (
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/catalog"
)

// TestWhen: today, tomorrow and a later day, in English and Russian, read in the time's own
// location (late on Friday in New York is already Saturday in Moscow).
func TestWhen(t *testing.T) {
	moscow, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 4, 20, 0, 0, 0, moscow) // Friday evening
	tests := []struct {
		at     time.Time
		en, ru string
	}{
		{now.Add(2 * time.Hour), "today at 22:00", "сегодня в 22:00"},
		{time.Date(2026, 12, 5, 9, 0, 0, 0, moscow), "tomorrow at 09:00", "завтра в 09:00"},
		{time.Date(2026, 12, 7, 9, 0, 0, 0, moscow), "on Monday 7 December at 09:00", "в понедельник, 7 декабря, в 09:00"},
		{time.Date(2026, 12, 8, 9, 30, 0, 0, moscow), "on Tuesday 8 December at 09:30", "во вторник, 8 декабря, в 09:30"},
		{time.Date(2027, 1, 2, 9, 0, 0, 0, moscow), "on Saturday 2 January at 09:00", "в субботу, 2 января, в 09:00"},
	}
	for _, tt := range tests {
		if got := catalog.When("en", tt.at, now); got != tt.en {
			t.Errorf("When(en, %s) = %q, want %q", tt.at, got, tt.en)
		}
		if got := catalog.When("ru", tt.at, now); got != tt.ru {
			t.Errorf("When(ru, %s) = %q, want %q", tt.at, got, tt.ru)
		}
	}
	newYork, _ := time.LoadLocation("America/New_York")
	monday := time.Date(2026, 12, 7, 9, 0, 0, 0, moscow).In(newYork) // Monday 01:00 in New York
	if got := catalog.When("en", monday, now); got != "on Monday 7 December at 01:00" {
		t.Errorf("in New York: %q", got)
	}
}

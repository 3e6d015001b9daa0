package catalog

import (
	"fmt"
	"time"
)

// When writes a time to come in language lang ("en", "ru") as people say it, for a sentence
// such as "we are back WHEN": "today at 14:00", "tomorrow at 09:00", "on Monday 7 December
// at 09:00". t and now are read in t's location, in which the reader lives.
func When(lang string, t, now time.Time) string {
	now = now.In(t.Location())
	clock := t.Format("15:04")
	ty, tm, td := t.Date()
	ny, nm, nd := now.Date()
	days := int(time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC).Sub(time.Date(ny, nm, nd, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
	ru := lang == "ru"
	switch {
	case days == 0 && ru:
		return "сегодня в " + clock
	case days == 0:
		return "today at " + clock
	case days == 1 && ru:
		return "завтра в " + clock
	case days == 1:
		return "tomorrow at " + clock
	case ru:
		return fmt.Sprintf("%s %s, %d %s, в %s", russianOn(t.Weekday()), russianWeekdays[t.Weekday()], td, russianMonths[tm-1], clock)
	}
	return fmt.Sprintf("on %s %d %s at %s", t.Weekday(), td, tm, clock)
}

// russianWeekdays are the days of the week as they follow "в" ("в понедельник"), by
// time.Weekday; russianMonths the months as they follow a day's number ("7 декабря").
var (
	russianWeekdays = [7]string{"воскресенье", "понедельник", "вторник", "среду", "четверг", "пятницу", "субботу"}
	russianMonths   = [12]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"}
)

// russianOn is the preposition before a day of the week: "во вторник", "в среду".
func russianOn(d time.Weekday) string {
	if d == time.Tuesday {
		return "во"
	}
	return "в"
}

// Stamp writes a moment for a table or a history in language lang, in UTC, as its readers
// write dates: "2027-01-03 14:05 UTC" in English (sortable, unambiguous), "3 января 2027,
// 14:05 UTC" in Russian.
func Stamp(lang string, t time.Time) string {
	t = t.UTC()
	if lang == "ru" {
		return fmt.Sprintf("%d %s %d, %s UTC", t.Day(), russianMonths[t.Month()-1], t.Year(), t.Format("15:04"))
	}
	return t.Format("2006-01-02 15:04 UTC")
}

// Day writes the day (and, with clock, the hour) that a row of a table over time stands for,
// short, in t's location: "Mon 4 Jan", "Mon 4 Jan 15:00"; "пн, 4 янв.", "пн, 4 янв., 15:00".
func Day(lang string, t time.Time, clock bool) string {
	if lang == "ru" {
		s := fmt.Sprintf("%s, %d %s", russianShortWeekdays[t.Weekday()], t.Day(), russianShortMonths[t.Month()-1])
		if clock {
			s += ", " + t.Format("15:04")
		}
		return s
	}
	if clock {
		return t.Format("Mon 2 Jan 15:04")
	}
	return t.Format("Mon 2 Jan")
}

// russianShortWeekdays and russianShortMonths are the short forms a Russian calendar uses.
var (
	russianShortWeekdays = [7]string{"вс", "пн", "вт", "ср", "чт", "пт", "сб"}
	russianShortMonths   = [12]string{"янв.", "февр.", "мар.", "апр.", "мая", "июн.", "июл.", "авг.", "сент.", "окт.", "нояб.", "дек."}
)

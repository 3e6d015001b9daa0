package relay

import (
	"strings"
	"time"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// card builds the neutral card of a ticket: what agents see at the root of its thread.
func (r *Relay) card(t desk.Ticket) *desk.Card {
	args := func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	none := r.text.Text(catalog.CardNone, nil)
	customer := t.Customer.Label()
	if t.Customer.ProfileURL != "" {
		customer += " (" + t.Customer.ProfileURL + ")"
	}
	c := &desk.Card{
		Title: r.text.Text(catalog.CardTitle, args("Ticket", t.ID.String(), "Customer", t.Customer.Label())),
		Fields: []desk.Field{
			{Label: r.text.Text(catalog.CardStatus, nil), Value: string(t.Status), Short: true},
			{Label: r.text.Text(catalog.CardPriority, nil), Value: string(t.Priority), Short: true},
			{Label: r.text.Text(catalog.CardCategory, nil), Value: or(t.Category, none), Short: true},
			{Label: r.text.Text(catalog.CardTags, nil), Value: or(strings.Join(t.Tags, ", "), none), Short: true},
			{Label: r.text.Text(catalog.CardAssignee, nil), Value: or(t.Assignee, r.text.Text(catalog.CardUnassigned, nil)), Short: true},
			{Label: r.text.Text(catalog.CardCustomer, nil), Value: customer, Short: true},
		},
	}
	if t.Previous != 0 {
		c.Fields = append(c.Fields, desk.Field{Label: r.text.Text(catalog.CardPrevious, nil), Value: t.Previous.String(), Short: true})
	}
	now := r.now()
	c.Context = r.text.Text(catalog.CardContext, args("Age", age(now.Sub(t.CreatedAt)), "Activity", age(now.Sub(t.LastActivityAt))))
	return c
}

// age renders a duration the way people say it: "3m", "2h", "5d".
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "<1m"
	case d < time.Hour:
		return itoa(int64(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		return itoa(int64(d/time.Hour)) + "h"
	}
	return itoa(int64(d/(24*time.Hour))) + "d"
}

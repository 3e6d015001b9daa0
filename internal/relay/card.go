package relay

import (
	"strconv"
	"strings"
	"time"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// card builds the neutral card of a ticket: what agents see at the root of its thread on p.
// Everything people wrote on it (the customer's and the assignee's names, tags, the rating
// comment) is quoted for p.
func (r *Relay) card(p desk.Platform, t desk.Ticket) *desk.Card {
	args := func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	none := r.text().Text(catalog.CardNone, nil)
	assignee := r.text().Text(catalog.CardUnassigned, nil)
	if a := or(t.AssigneeName, t.Assignee); a != "" {
		assignee = p.Quote(a)
	}
	customer := p.Quote(t.Customer.Label())
	if t.Customer.ID == "" {
		customer = r.text().Text(catalog.CustomerForgotten, nil) // forgotten on request (/desk forget)
	}
	c := &desk.Card{
		Title: r.say(p.Quote, catalog.CardTitle, args("Ticket", t.ID.String(), "Customer", customer)),
		Fields: []desk.Field{
			{Label: r.text().Text(catalog.CardStatus, nil), Value: string(t.Status), Short: true},
			{Label: r.text().Text(catalog.CardPriority, nil), Value: string(t.Priority), Short: true},
			{Label: r.text().Text(catalog.CardCategory, nil), Value: or(t.Category, none), Short: true},
			{Label: r.text().Text(catalog.CardTags, nil), Value: or(quoteList(p.Quote, t.Tags), none), Short: true},
			{Label: r.text().Text(catalog.CardAssignee, nil), Value: assignee, Short: true},
			{Label: r.text().Text(catalog.CardCustomer, nil), Value: customer, URL: t.Customer.ProfileURL, Short: true},
		},
	}
	if t.Rating != 0 {
		c.Fields = append(c.Fields, desk.Field{Label: r.text().Text(catalog.CardRating, nil),
			Value: r.say(p.Quote, catalog.CardRated, args("Score", t.Rating, "Comment", words(t.RatingComment))), Short: true})
	}
	if f, ok := r.slaField(t); ok {
		c.Fields = append(c.Fields, f)
	}
	if t.OutOfHours {
		c.Fields = append(c.Fields, desk.Field{Label: r.text().Text(catalog.CardOutOfHours, nil), Value: r.text().Text(catalog.CardOutOfHoursIs, nil), Short: true})
	}
	if t.Previous != 0 {
		c.Fields = append(c.Fields, desk.Field{Label: r.text().Text(catalog.CardPrevious, nil), Value: t.Previous.String(), Short: true})
	}
	// What the request is about, so that agents scanning the channel see it without opening the
	// thread: its opening words, and what the first-line bot learnt.
	if t.Subject != "" {
		c.Text = p.Quote(t.Subject)
	}
	for _, a := range t.Answers {
		c.Fields = append(c.Fields, desk.Field{Label: a.Ask, Value: p.Quote(a.Value)})
	}
	if len(t.Suggested) > 0 {
		titles := make([]string, 0, len(t.Suggested))
		for _, id := range t.Suggested {
			if a, ok := r.article(id); ok {
				titles = append(titles, a.Title+" ("+id+")")
			} else {
				titles = append(titles, id)
			}
		}
		c.Fields = append(c.Fields, desk.Field{Label: r.text().Text(catalog.CardSuggested, nil), Value: strings.Join(titles, "; ")})
	}
	c.Actions = r.cardActions(t)
	// Times, not ages: a card is only rewritten when the ticket changes, and "5m ago" would go
	// on saying so for days.
	c.Context = r.text().Text(catalog.CardContext, args("Opened", cardTime(t.CreatedAt), "Activity", cardTime(t.LastActivityAt)))
	return c
}

// cardTime renders a time on a card: "Nov 25 15:04", in UTC.
func cardTime(t time.Time) string { return t.UTC().Format("Jan 2 15:04") }

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

// cardActions are the buttons a ticket's card offers in its status. A closed ticket has none;
// Close asks for confirmation (a form), since it cannot be undone.
func (r *Relay) cardActions(t desk.Ticket) []desk.Action {
	id := strconv.FormatInt(int64(t.ID), 10)
	button := func(action, label, style string) desk.Action {
		return desk.Action{ID: action, Label: r.text().Text(label, nil), Value: id, Style: style}
	}
	switch t.Status {
	case desk.StatusClosed:
		return nil
	case desk.StatusResolved:
		return []desk.Action{button("reopen", catalog.ButtonReopen, ""), button("close", catalog.ButtonClose, "danger")}
	}
	// Claim only while nobody looks after the ticket: a card is the same for every agent, and
	// the one who holds it would see a Claim that does nothing. Assign… hands it on.
	var actions []desk.Action
	if t.Assignee == "" {
		actions = append(actions, button("claim", catalog.ButtonClaim, "primary"))
	}
	actions = append(actions, button("assign", catalog.ButtonAssign, ""), button("tag", catalog.ButtonTag, ""))
	if r.hasReplies() {
		actions = append(actions, button("reply", catalog.ButtonReply, ""))
	}
	if t.Status == desk.StatusPending {
		actions = append(actions, button("reopen", catalog.ButtonReopen, ""))
	} else {
		actions = append(actions, button("pending", catalog.ButtonPending, ""))
	}
	return append(actions, button("resolve", catalog.ButtonResolve, "primary"), button("close", catalog.ButtonClose, "danger"))
}

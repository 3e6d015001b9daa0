// Package catalog holds every text Threadesk shows to customers and agents, keyed by a message
// ID, so that a second language is a new table here and no change to logic.
package catalog

import (
	"fmt"
	"strings"
	"text/template"
)

// Message IDs. Each names one text; its arguments are given as a map to Catalog.Text.
const (
	TicketOpened       = "ticket.opened"        // customer: ack of a new ticket {{.Ticket}}
	TicketReopened     = "ticket.reopened"      // customer: a resolved ticket reopened {{.Ticket}}
	CardTitle          = "card.title"           // agents: card title {{.Ticket}} {{.Customer}}
	CardStatus         = "card.status"          // field label
	CardPriority       = "card.priority"        // field label
	CardCategory       = "card.category"        // field label
	CardTags           = "card.tags"            // field label
	CardAssignee       = "card.assignee"        // field label
	CardCustomer       = "card.customer"        // field label
	CardPrevious       = "card.previous"        // field label
	CardUnassigned     = "card.unassigned"      // value of an empty assignee
	CardNone           = "card.none"            // value of an empty field
	CardContext        = "card.context"         // {{.Age}} {{.Activity}}
	DeliveryFailedDM   = "delivery.failed.dm"   // customer: {{.Reason}}
	DeliveryFailedNote = "delivery.failed.note" // agents: {{.Reason}}
	FileTooLarge       = "file.too_large"       // {{.Name}} {{.Limit}}
	FileFailed         = "file.failed"          // {{.Name}} {{.Reason}}
	NoteMarked         = "note.marked"          // agents: shown on an internal note
	MessageRemoved     = "message.removed"      // shown where a mirrored message was deleted
)

// English is the default language's table.
var English = map[string]string{
	TicketOpened:       "Thanks, we have received your message and opened ticket {{.Ticket}}. An agent will answer here.",
	TicketReopened:     "Ticket {{.Ticket}} is open again; an agent will answer here.",
	CardTitle:          "Ticket {{.Ticket}} · {{.Customer}}",
	CardStatus:         "Status",
	CardPriority:       "Priority",
	CardCategory:       "Category",
	CardTags:           "Tags",
	CardAssignee:       "Assignee",
	CardCustomer:       "Customer",
	CardPrevious:       "Follows",
	CardUnassigned:     "unassigned",
	CardNone:           "none",
	CardContext:        "Opened {{.Age}} ago · last activity {{.Activity}} ago",
	DeliveryFailedDM:   "Sorry, your message could not be passed on to our support team ({{.Reason}}). Please send it again.",
	DeliveryFailedNote: "⚠️ Not delivered to the customer: {{.Reason}}",
	FileTooLarge:       "File {{.Name}} was not passed on: it is larger than {{.Limit}}.",
	FileFailed:         "File {{.Name}} could not be passed on: {{.Reason}}",
	NoteMarked:         "internal note, not sent to the customer",
	MessageRemoved:     "(message deleted)",
}

// Catalog renders texts of one language, falling back to English for missing entries.
type Catalog struct {
	tmpl map[string]*template.Template
}

// New parses a language table over the English one. It fails on a text that does not parse
// or an ID that English does not know, so a broken translation is found at start.
func New(table map[string]string) (*Catalog, error) {
	c := &Catalog{tmpl: make(map[string]*template.Template, len(English))}
	for id, text := range English {
		if t, ok := table[id]; ok {
			text = t
		}
		t, err := template.New(id).Option("missingkey=error").Parse(text)
		if err != nil {
			return nil, fmt.Errorf("parse message %s: %w", id, err)
		}
		c.tmpl[id] = t
	}
	for id := range table {
		if _, ok := English[id]; !ok {
			return nil, fmt.Errorf("unknown message ID %q", id)
		}
	}
	return c, nil
}

// Default is the English catalog.
var Default = must(New(nil))

func must(c *Catalog, err error) *Catalog {
	if err != nil {
		panic(err)
	}
	return c
}

// Text renders a message. A missing ID or argument is a programming error and renders as the
// ID itself so that it is noticed, never as an empty message.
func (c *Catalog) Text(id string, args map[string]any) string {
	t, ok := c.tmpl[id]
	if !ok {
		return id
	}
	var b strings.Builder
	if err := t.Execute(&b, args); err != nil {
		return id
	}
	return b.String()
}

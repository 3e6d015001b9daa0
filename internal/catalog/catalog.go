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
	CardContext        = "card.context"         // {{.Opened}} {{.Activity}}: times, UTC
	DeliveryFailedDM   = "delivery.failed.dm"   // customer: {{.Reason}}
	DeliveryFailedNote = "delivery.failed.note" // agents: {{.Reason}}
	WithdrawFailed     = "withdraw.failed"      // agents: {{.Reason}}
	CardPostedAgain    = "card.posted_again"    // transcript: the ticket's card was deleted and posted anew
	CardDeleted        = "card.deleted"         // transcript: the ticket's card was deleted on the platform
	FileTooLarge       = "file.too_large"       // {{.Name}} {{.Limit}}
	FileFailed         = "file.failed"          // {{.Name}} {{.Reason}}

	CardRating = "card.rating" // field label
	CardRated  = "card.rated"  // {{.Score}} {{.Comment}}

	ButtonClaim   = "button.claim"
	ButtonAssign  = "button.assign"
	ButtonTag     = "button.tag"
	ButtonPending = "button.pending"
	ButtonResolve = "button.resolve"
	ButtonReopen  = "button.reopen"
	ButtonClose   = "button.close"
	ButtonComment = "button.comment"

	FormTagTitle      = "form.tag.title"
	FormAssignTitle   = "form.assign.title"
	FormCommentTitle  = "form.comment.title"
	FormSave          = "form.save"
	FormCategory      = "form.category"
	FormTags          = "form.tags"
	FormTagsHint      = "form.tags.hint"
	FormPriority      = "form.priority"
	FormAgent         = "form.agent"
	FormComment       = "form.comment"
	FormSubmitComment = "form.comment.submit"

	NoticeClaimed    = "notice.claimed"     // customer: {{.Ticket}} {{.Agent}}
	NoticeResolved   = "notice.resolved"    // customer: {{.Ticket}}
	NoticeClosed     = "notice.closed"      // customer: {{.Ticket}}
	NoticePending    = "notice.pending"     // customer: {{.Ticket}}
	RatingQuestion   = "rating.question"    // customer: {{.Ticket}}
	RatingThanks     = "rating.thanks"      // customer: {{.Ticket}} {{.Score}}
	RatingCommented  = "rating.commented"   // customer: {{.Ticket}}
	RatingNotAllowed = "rating.not_allowed" // customer: {{.Ticket}}

	Done          = "done"           // agent: {{.What}}
	NotAnAgent    = "not_an_agent"   // {{.Command}}
	NotALead      = "not_a_lead"     // {{.Command}}
	NoSuchTicket  = "no_such_ticket" // {{.Ticket}}
	TicketClosed  = "ticket.closed"  // {{.Ticket}}
	AlreadyStatus = "already_status" // {{.Ticket}} {{.Status}}
	CannotReopen  = "cannot_reopen"  // {{.Ticket}} {{.Status}}
	UserNotAgent  = "user_not_agent" // {{.User}}
	UnknownUser   = "unknown_user"   // {{.User}}
	BadPriority   = "bad_priority"   // {{.Value}} {{.Choices}}
	BadCategory   = "bad_category"   // {{.Value}} {{.Choices}}
	Usage         = "usage"          // {{.Command}}: the full command reference
	UsageOf       = "usage.of"       // {{.Command}} {{.Usage}}: one subcommand's usage
	CustomerHelp  = "help.customer"  // {{.Command}}
	UnknownSub    = "unknown_sub"    // {{.Command}} {{.Sub}}
	UnknownCmd    = "unknown_cmd"    // {{.Name}} {{.Command}}
	NothingFound  = "nothing_found"
	FormFailed    = "form.failed" // {{.Reason}}

	// Answers to workflow steps: {{.Ticket}} and, where named, {{.Agent}} {{.Category}}
	// {{.Tags}} {{.Priority}}.
	StepClaimed     = "step.claimed"
	StepAssigned    = "step.assigned"
	StepTagged      = "step.tagged"
	StepPriority    = "step.priority"
	StepPending     = "step.pending"
	StepResolved    = "step.resolved"
	StepReopened    = "step.reopened"
	StepClosed      = "step.closed"
	AlreadyYours    = "step.already_yours"
	AlreadyAssigned = "step.already_assigned"

	QueueStatus = "queue.status" // see the English text for its arguments
	ListLine    = "list.line"    // {{.Ticket}} {{.Status}} {{.Priority}} {{.Customer}} {{.Assignee}} {{.Age}} {{.Subject}}
	ListMore    = "list.more"    // {{.More}}
	FindMore    = "find.more"    // more tickets match than are shown
	FindLimit   = "find.limit"   // {{.Searched}}: the search stopped after that many tickets
	ShowTags    = "show.tags"    // {{.Category}} {{.Tags}}
	ShowRating  = "show.rating"  // {{.Score}} {{.Comment}}
	ShowEntry   = "show.entry"   // {{.At}} {{.Name}} {{.Kind}} {{.Text}}
	PeriodToday = "period.today"
	PeriodDays  = "period.days" // {{.Days}}
	StatsText   = "stats.text"  // see the English text for its arguments
	StatsAgent  = "stats.agent" // {{.Name}} {{.Responses}} {{.Median}} {{.Resolved}} {{.Satisfaction}}
	NoData      = "no_data"
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
	CardContext:        "Opened {{.Opened}} · last activity {{.Activity}} (UTC)",
	DeliveryFailedDM:   "Sorry, your message could not be passed on to our support team ({{.Reason}}). Please send it again.",
	DeliveryFailedNote: "⚠️ Not delivered to the customer: {{.Reason}}",
	WithdrawFailed:     "⚠️ This reply became a note, but the customer's copy could not be taken back: {{.Reason}}",
	CardPostedAgain:    "The ticket's card was deleted; a new one was posted.",
	CardDeleted:        "The ticket's card was deleted; a new one is posted when the customer writes again.",
	FileTooLarge:       "File {{.Name}} was not passed on: it is larger than {{.Limit}}.",
	FileFailed:         "File {{.Name}} could not be passed on: {{.Reason}}",

	CardRating: "Satisfaction",
	CardRated:  "{{.Score}}/5{{if .Comment}}: “{{.Comment}}”{{end}}",

	ButtonClaim:   "Claim",
	ButtonAssign:  "Assign…",
	ButtonTag:     "Tag…",
	ButtonPending: "Waiting on customer",
	ButtonResolve: "Resolve",
	ButtonReopen:  "Reopen",
	ButtonClose:   "Close",
	ButtonComment: "Add a comment",

	FormTagTitle:      "Tag ticket {{.Ticket}}",
	FormAssignTitle:   "Assign ticket {{.Ticket}}",
	FormCommentTitle:  "Your feedback on {{.Ticket}}",
	FormSave:          "Save",
	FormCategory:      "Category",
	FormTags:          "Tags",
	FormTagsHint:      "Separated by commas or spaces",
	FormPriority:      "Priority",
	FormAgent:         "Agent",
	FormComment:       "Comment",
	FormSubmitComment: "Send",

	NoticeClaimed:    "{{.Agent}} is now looking after your ticket {{.Ticket}}.",
	NoticeResolved:   "Ticket {{.Ticket}} is resolved. If anything is still wrong, just reply here and it will be reopened.",
	NoticeClosed:     "Ticket {{.Ticket}} is closed. Write here any time to open a new one.",
	NoticePending:    "We are waiting for your answer on ticket {{.Ticket}}; reply here when you can.",
	RatingQuestion:   "How satisfied are you with the help on ticket {{.Ticket}}? (1 = not at all, 5 = very)",
	RatingThanks:     "Thank you! You rated ticket {{.Ticket}} {{.Score}}/5.",
	RatingCommented:  "Thank you for your comment on ticket {{.Ticket}}.",
	RatingNotAllowed: "Ticket {{.Ticket}} cannot be rated now.",

	Done:          "✅ {{.What}}",
	NotAnAgent:    "{{.Command}} is for support agents (members of the triage channel). To get help, just write your question here.",
	NotALead:      "Only leads (the LEADS setting) may use {{.Command}}.",
	NoSuchTicket:  "There is no ticket {{.Ticket}}.",
	TicketClosed:  "Ticket {{.Ticket}} is closed; a new message from the customer opens a new ticket.",
	AlreadyStatus: "Ticket {{.Ticket}} is already {{.Status}}.",
	CannotReopen:  "Ticket {{.Ticket}} is {{.Status}}; only pending or resolved tickets can be reopened.",
	UserNotAgent:  "{{.User}} is not an agent (agents are the people in the triage channel; bots never are).",
	UnknownUser:   "Nobody called {{.User}} was found.",
	BadPriority:   "“{{.Value}}” is not a priority; use one of {{.Choices}}.",
	BadCategory:   "“{{.Value}}” is not a category; use one of {{.Choices}}.",
	Usage: `Usage: {{.Command}} <subcommand>
  help                          this text
  status                        the queue at a glance
  list [status|mine|unassigned] active tickets (or those in a status)
  show N                        a ticket and its recent history
  claim N                       take ticket N
  assign N @agent               give ticket N to an agent
  tag N tag…                    add tags (-tag removes one)
  priority N low|normal|high|urgent
  pending N                     waiting on the customer
  resolve N | reopen N | close N
  find words                    search tickets
  stats [today|7d|30d|90d]      statistics (leads)`,
	UsageOf:      "Usage: {{.Command}} {{.Usage}}",
	CustomerHelp: "Write your question here and our support team will answer in this conversation. {{.Command}} is for agents.",
	UnknownSub:   "Unknown subcommand “{{.Sub}}”. Try {{.Command}} help.",
	UnknownCmd:   "Unknown command {{.Name}}: this app answers {{.Command}}. Try {{.Command}} help.",
	NothingFound: "No tickets found.",
	FormFailed:   "The form could not be opened ({{.Reason}}); please click again.",

	StepClaimed:     "You claimed {{.Ticket}}.",
	StepAssigned:    "{{.Ticket}} is assigned to {{.Agent}}.",
	StepTagged:      "{{.Ticket}}: category {{.Category}}, tags {{.Tags}}, priority {{.Priority}}.",
	StepPriority:    "{{.Ticket}} has priority {{.Priority}}.",
	StepPending:     "{{.Ticket}} is waiting on the customer.",
	StepResolved:    "{{.Ticket}} is resolved.",
	StepReopened:    "{{.Ticket}} is open again.",
	StepClosed:      "{{.Ticket}} is closed.",
	AlreadyYours:    "{{.Ticket}} is already yours.",
	AlreadyAssigned: "{{.Ticket}} is already assigned to {{.Agent}}.",

	QueueStatus: `Queue: {{.Active}} active ({{.New}} new, {{.Open}} open, {{.Pending}} pending), {{.Unassigned}} unassigned; {{.Resolved}} resolved, {{.Closed}} closed.
By priority: {{.Urgent}} urgent, {{.High}} high, {{.Normal}} normal, {{.Low}} low.
{{if .Oldest}}Oldest waiting for an answer: {{.Oldest}} from {{.Customer}}, {{.Age}} old.{{else}}Nobody is waiting for a first answer.{{end}}`,
	ListLine:    "{{.Ticket}} [{{.Status}}, {{.Priority}}] {{.Customer}} · {{.Assignee}} · {{.Age}} ago{{if .Subject}} · {{.Subject}}{{end}}",
	ListMore:    "… and {{.More}} more",
	FindMore:    "… and more: add words to narrow the search.",
	FindLimit:   "(searched the newest {{.Searched}} tickets)",
	ShowTags:    "Category {{.Category}}; tags {{.Tags}}",
	ShowRating:  "Rated {{.Score}}/5{{if .Comment}}: “{{.Comment}}”{{end}}",
	ShowEntry:   "{{.At}} {{.Name}} ({{.Kind}}): {{.Text}}",
	PeriodToday: "today",
	PeriodDays:  "the last {{.Days}} days",
	StatsText: `Statistics for {{.Period}}
Opened: {{.Opened}} · now {{.New}} new, {{.Open}} open, {{.Pending}} pending, {{.Resolved}} resolved, {{.Closed}} closed
First response: median {{.FRMedian}}, p90 {{.FRP90}} ({{.FRCount}} tickets)
Resolution: median {{.ResMedian}}, p90 {{.ResP90}} ({{.ResCount}} tickets)
{{if .Ratings}}Satisfaction: {{.Average}}/5 from {{.Ratings}} ratings (1★ {{.R1}} · 2★ {{.R2}} · 3★ {{.R3}} · 4★ {{.R4}} · 5★ {{.R5}}){{else}}Satisfaction: no ratings{{end}}{{if .Categories}}
By category: {{.Categories}}{{end}}{{range .Agents}}
• {{.}}{{end}}`,
	StatsAgent: "{{.Name}}: {{.Responses}} first responses (median {{.Median}}), {{.Resolved}} resolved, satisfaction {{.Satisfaction}}",
	NoData:     "–",
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

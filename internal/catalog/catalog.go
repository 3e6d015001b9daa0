// Package catalog holds every text Threadesk shows to customers and agents, keyed by a message
// ID, in each language it ships: English (the default) and Russian, complete. A language is a
// table here and no change to logic; For gives a language's catalog by code or locale.
package catalog

import (
	"fmt"
	"strconv"
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
	MessageLate        = "message.late"         // {{.Time}}: when a message relayed after later ones was written

	CardRating = "card.rating" // field label
	CardRated  = "card.rated"  // {{.Score}} {{.Comment}}

	ButtonClaim   = "button.claim"
	ButtonAssign  = "button.assign"
	ButtonTag     = "button.tag"
	ButtonReply   = "button.reply" // opens the form of an article or canned reply to send
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
	FormCloseTitle    = "form.close.title"  // {{.Ticket}}
	FormCloseSubmit   = "form.close.submit" // the button that closes
	FormCloseNote     = "form.close.note"   // field label
	FormCloseHint     = "form.close.hint"   // what closing does
	FormReplyTitle    = "form.reply.title"  // {{.Ticket}}
	FormReplySubmit   = "form.reply.submit"
	FormArticle       = "form.reply.article"      // field label
	FormArticleHint   = "form.reply.article_hint" // {{.Command}}
	FormCanned        = "form.reply.canned"       // field label
	FormReplyOne      = "form.reply.one"          // neither or both chosen

	NoticeClaimed      = "notice.claimed"       // customer: {{.Ticket}} {{.Agent}}
	NoticeResolved     = "notice.resolved"      // customer: {{.Ticket}}
	NoticeClosed       = "notice.closed"        // customer: {{.Ticket}}
	NoticePending      = "notice.pending"       // customer: {{.Ticket}}
	RatingQuestion     = "rating.question"      // customer: {{.Ticket}}
	RatingReminder     = "rating.reminder"      // customer: {{.Ticket}}, once, when they have not rated
	NoticeNudge        = "notice.nudge"         // customer: {{.Ticket}} still waits on them
	NoticeAutoResolved = "notice.auto_resolved" // customer: {{.Ticket}} resolved without their answer
	RatingThanks       = "rating.thanks"        // customer: {{.Ticket}} {{.Score}}
	RatingCommented    = "rating.commented"     // customer: {{.Ticket}}
	RatingNotAllowed   = "rating.not_allowed"   // customer: {{.Ticket}}

	Done          = "done"           // agent: {{.What}}
	NotAnAgent    = "not_an_agent"   // {{.Command}}
	NotALead      = "not_a_lead"     // {{.Command}}
	NoSuchTicket  = "no_such_ticket" // {{.Ticket}}
	TicketClosed  = "ticket.closed"  // {{.Ticket}}
	AlreadyStatus = "already_status" // {{.Ticket}} {{.Status}}
	CannotReopen  = "cannot_reopen"  // {{.Ticket}} {{.Status}}
	ClosedStays   = "closed_stays"   // {{.Ticket}}: a closed ticket is not reopened
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
	ShowTags    = "show.tags"    // {{.Category}} {{.Tags}}
	ShowRating  = "show.rating"  // {{.Score}} {{.Comment}}
	ShowEntry   = "show.entry"   // {{.At}} {{.Name}} {{.Kind}} {{.Text}}
	PeriodToday = "period.today"
	PeriodDays  = "period.days" // {{.Days}}: a number written out, "7"
	StatsText   = "stats.text"  // see the English text for its arguments
	StatsAgent  = "stats.agent" // {{.Name}} {{.Responses}} {{.Median}} {{.Resolved}} {{.Satisfaction}}
	NoData      = "no_data"
	// StatsBot is the first-line bot's part: {{.Done}} {{.TimedOut}} intakes and {{.Categories}}
	// ("name done/timed out · …"); {{.Shown}} {{.Deflected}} and {{.Articles}} ("id shown/solved
	// · …"); {{.ArticlesSent}} {{.CannedSent}} and {{.Sent}} ("name count · …").
	StatsBot = "stats.bot"
	// StatsSLA is the SLA's part: {{.Targets}} ("target priority met/breached (share met),
	// median M, p90 P / target · …") and {{.Agents}} ("name met/breached · …").
	StatsSLA    = "stats.sla"
	StatsMedian = "stats.median" // the word "median"
	// QueueSLA is /desk status's SLA line: {{.Breached}} {{.AtRisk}} tickets, and the {{.Next}}
	// ticket to breach (or ""), its {{.Target}}, {{.Due}} and {{.Left}}. ListSLA ends a list's
	// line with its next target ({{.Target}} {{.Due}} {{.State}}); ListSLABreached with a
	// running target ({{.Target}}) that is breached already.
	QueueSLA        = "queue.sla"
	ListSLA         = "list.sla"
	ListSLABreached = "list.sla_breached"

	// The first-line bot: what it says to a customer before their ticket reaches the agents.
	BotGreeting      = "bot.greeting"       // {{.Name}} {{.Categories}}: one "• name — description" line each
	BotQuestion      = "bot.question"       // {{.Ask}}
	BotQuestionAgain = "bot.question.again" // {{.Ask}} {{.Choices}} (true when the answer is one of some)
	BotArticle       = "bot.article"        // {{.Title}} {{.Body}}
	BotStillNeed     = "bot.still_need"     // after the articles
	BotThanks        = "bot.thanks"         // an article solved it
	BotConfirm       = "bot.confirm"        // an agent wrote to the app
	BotChose         = "bot.chose"          // {{.Choice}}: what a clicked bot message says was chosen
	BotOver          = "bot.over"           // a click on a bot message whose question is over
	ButtonSkip       = "button.skip"        //
	ButtonSolved     = "button.solved"      //
	ButtonHuman      = "button.human"       //
	ButtonWantTicket = "button.want_ticket" //
	ButtonNoTicket   = "button.no_ticket"   //
	CardSuggested    = "card.suggested"     // field label: the articles the bot suggested
	TicketInIntake   = "ticket.in_intake"   // {{.Ticket}}: agents cannot act on it yet

	Reloaded      = "reload.done"    // {{.Summary}}: what is in effect now
	ReloadFailed  = "reload.failed"  // {{.Problems}} {{.Summary}}: kept what was loaded
	ReloadNothing = "reload.nothing" // no files to reload

	// The dashboard's sign-in from chat.
	DashboardLink    = "dashboard.link"    // {{.URL}}: the private sign-in link, single use, 10 minutes
	DashboardOff     = "dashboard.off"     // the app does not serve the dashboard
	DashboardRevoked = "dashboard.revoked" // {{.User}}: every dashboard session of that person ended

	// A customer's data: /desk forget and /desk export (leads). {{.User}} is the customer as
	// the lead named them; {{.Numbers}} ticket numbers ("#3, #5"); {{.Command}} the command.
	ForgetConfirm     = "forget.confirm"   // {{.User}} {{.Tickets}} {{.Numbers}} {{.Messages}} {{.Copies}}
	ForgetCancelled   = "forget.cancelled" // {{.User}}
	ForgetDone        = "forget.done"      // {{.User}} {{.Tickets}} {{.Numbers}} {{.Messages}} {{.Copies}}
	ForgetFailed      = "forget.failed"    // {{.Count}} {{.Numbers}} {{.Reason}}: copies not deleted
	ForgetActive      = "forget.active"    // {{.User}} {{.Numbers}} {{.Command}}
	ForgetNotYours    = "forget.not_yours" // {{.Command}}: a confirmation pressed by another lead
	NothingStored     = "customer.nothing" // {{.User}}
	ExportReady       = "export.ready"     // {{.User}} {{.Tickets}}
	ExportCaption     = "export.caption"   // {{.User}} {{.Tickets}}
	ExportAsText      = "export.as_text"   // {{.Reason}}: the upload failed, the JSON follows
	ButtonForget      = "button.forget"    //
	ButtonCancel      = "button.cancel"    //
	CustomerForgotten = "card.forgotten"   // the customer of a forgotten ticket, on its card

	// The agents' knowledge-base and canned-reply commands.
	KBFound       = "kb.found"       // {{.Query}} {{.Lines}} {{.Command}}: the articles found, one KBLine each
	KBLine        = "kb.line"        // {{.ID}} {{.Title}} {{.Lang}}
	KBNone        = "kb.none"        // {{.Query}} {{.Command}}: no article is relevant enough
	KBArticle     = "kb.article"     // {{.ID}} {{.Lang}} {{.Category}} {{.Title}} {{.Body}} {{.Command}}
	KBUnknown     = "kb.unknown"     // {{.ID}} {{.Command}}
	KBNotLoaded   = "kb.not_loaded"  // no knowledge base (KB_PATH)
	CannedUnknown = "canned.unknown" // {{.Name}} {{.Names}} ("" when the desk has none)
	SentArticle   = "sent.article"   // {{.ID}} {{.Ticket}}: the answer to /desk send
	SentCanned    = "sent.canned"    // {{.Name}} {{.Ticket}} {{.Status}} (the status now)
	NoDMChannel   = "ticket.no_dm"   // {{.Ticket}}: the customer cannot be written to

	// The business hours and SLA: the out-of-hours reply to a customer ({{.When}} the team is
	// back, written by catalog.When, in {{.Zone}}); the reminder and the breach alert in a
	// ticket's thread ({{.Mention}} the assignee or "", {{.Target}} the target's name, {{.Due}}
	// when, {{.Left}} how long is left, {{.Goal}} the target's length); the alert to the leads
	// in the triage channel; the targets' names and states, for cards and lists.
	NoticeAway       = "notice.away"        // customer: {{.When}} {{.Zone}} {{.Holiday}}
	SLAReminder      = "sla.reminder"       // {{.Mention}} {{.Ticket}} {{.Target}} {{.Due}} {{.Left}}
	SLABreached      = "sla.breached"       // {{.Mention}} {{.Ticket}} {{.Target}} {{.Goal}}
	SLALeads         = "sla.leads"          // {{.Leads}} {{.Ticket}} {{.Target}} {{.Goal}} {{.Subject}} {{.Assignee}}
	SLAFirstResponse = "sla.first_response" // the targets' names
	SLANextResponse  = "sla.next_response"
	SLAResolution    = "sla.resolution"
	SLAOnTrack       = "sla.on_track" // the states of a target
	SLAAtRisk        = "sla.at_risk"
	SLABreachedState = "sla.breached_state"
	SLAPaused        = "sla.paused"
	SLAMet           = "sla.met"
	CardSLA          = "card.sla"       // field label
	CardSLAClock     = "card.sla.clock" // {{.Target}} {{.Due}} (or "") {{.State}}
	CardOutOfHours   = "card.ooh"       // field label
	CardOutOfHoursIs = "card.ooh.value"
)

// English is the default language's table.
var English = merge(map[string]string{
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
	MessageLate:        "⏱ Written {{.Time}}; it arrived after later messages.",

	CardRating: "Satisfaction",
	CardRated:  "{{.Score}}/5{{if .Comment}}: “{{.Comment}}”{{end}}",

	ButtonClaim:   "Claim",
	ButtonAssign:  "Assign…",
	ButtonTag:     "Tag…",
	ButtonReply:   "Reply…",
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
	FormCloseTitle:    "Close {{.Ticket}}?",
	FormCloseSubmit:   "Close ticket",
	FormCloseNote:     "Note for agents",
	FormCloseHint:     "Optional. The customer is told the ticket is closed; their next message opens a new ticket.",
	FormReplyTitle:    "Reply to {{.Ticket}}",
	FormReplySubmit:   "Send",
	FormArticle:       "Knowledge-base article",
	FormArticleHint:   "The article's ID; find one with {{.Command}} kb search WORDS.",
	FormCanned:        "Canned reply",
	FormReplyOne:      "Choose one: an article or a canned reply.",

	NoticeClaimed:      "{{.Agent}} is now looking after your ticket {{.Ticket}}.",
	NoticeResolved:     "Ticket {{.Ticket}} is resolved. If anything is still wrong, just reply here and it will be reopened.",
	NoticeClosed:       "Ticket {{.Ticket}} is closed. Write here any time to open a new one.",
	NoticePending:      "We are waiting for your answer on ticket {{.Ticket}}; reply here when you can.",
	RatingQuestion:     "How satisfied are you with the help on ticket {{.Ticket}}? (1 = not at all, 5 = very)",
	RatingReminder:     "One last thing about ticket {{.Ticket}}: how satisfied are you with the help? (1 = not at all, 5 = very)",
	NoticeNudge:        "Ticket {{.Ticket}} is waiting for your reply. Just write here when you can; if it is no longer needed, it will be resolved on its own.",
	NoticeAutoResolved: "Ticket {{.Ticket}} is resolved, since we have not heard back from you. If you still need help, just reply here and it will be reopened.",
	RatingThanks:       "Thank you! You rated ticket {{.Ticket}} {{.Score}}/5.",
	RatingCommented:    "Thank you for your comment on ticket {{.Ticket}}.",
	RatingNotAllowed:   "Ticket {{.Ticket}} cannot be rated now.",

	Done:          "✅ {{.What}}",
	NotAnAgent:    "{{.Command}} is for support agents (members of the triage channel). To get help, just write your question here.",
	NotALead:      "Only leads (the LEADS setting) may use {{.Command}}.",
	NoSuchTicket:  "There is no ticket {{.Ticket}}.",
	TicketClosed:  "Ticket {{.Ticket}} is closed; a new message from the customer opens a new ticket.",
	AlreadyStatus: "Ticket {{.Ticket}} is already {{.Status}}.",
	CannotReopen:  "Ticket {{.Ticket}} is {{.Status}}; only pending or resolved tickets can be reopened.",
	ClosedStays:   "Ticket {{.Ticket}} is closed and stays closed: when the customer writes again, a new ticket opens, linked to this one.",
	UserNotAgent:  "{{.User}} is not an agent (agents are the people in the triage channel; bots never are).",
	UnknownUser:   "Nobody called {{.User}} was found.",
	BadPriority:   "“{{.Value}}” is not a priority; use one of {{.Choices}}.",
	BadCategory:   "“{{.Value}}” is not a category; use one of {{.Choices}}.",
	// One command a line, each followed by what it does: no columns lined up with spaces,
	// which proportional fonts undo.
	Usage: `Usage: {{.Command}} SUBCOMMAND, one of:
• help — this text
• status — the queue at a glance
• list [new|open|pending|resolved|closed|mine|unassigned] — active tickets, or those in a status
• show N — ticket N and its recent history
• claim N — take ticket N
• assign N @agent — give ticket N to an agent
• tag N tag… — add tags (-tag removes one)
• priority N low|normal|high|urgent — set ticket N's priority
• pending N — ticket N waits on the customer
• resolve N · reopen N · close N — move ticket N on
• find words… — search tickets
• kb search words… · kb show ID — the knowledge base
• send N ID — send article ID to ticket N's customer as your reply
• reply N NAME — send the canned reply NAME to ticket N's customer
• dashboard — a sign-in link to the web dashboard
• stats [today|7d|30d|90d] — statistics (leads)
• reload — read the desk's files again (leads)
• dashboard revoke @agent — sign an agent out of the dashboard everywhere (leads)
• export @user — a JSON file of everything stored about a customer (leads)
• forget @user — erase a customer's data, after a confirmation (leads)`,
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
	ShowTags:    "Category {{.Category}}; tags {{.Tags}}",
	ShowRating:  "Rated {{.Score}}/5{{if .Comment}}: “{{.Comment}}”{{end}}",
	ShowEntry:   "{{.At}} {{.Name}} ({{.Kind}}): {{.Text}}",
	PeriodToday: "today",
	PeriodDays:  "the last {{.Days}} {{plural .Days \"day\" \"days\"}}",
	StatsText: `Statistics for {{.Period}}
Opened: {{.Opened}} · now {{.New}} new, {{.Open}} open, {{.Pending}} pending, {{.Resolved}} resolved, {{.Closed}} closed
First response: median {{.FRMedian}}, p90 {{.FRP90}} ({{.FRCount}} {{plural .FRCount "ticket" "tickets"}})
Resolution: median {{.ResMedian}}, p90 {{.ResP90}} ({{.ResCount}} {{plural .ResCount "ticket" "tickets"}})
{{if .Ratings}}Satisfaction: {{.Average}}/5 from {{.Ratings}} {{plural .Ratings "rating" "ratings"}} (1★ {{.R1}} · 2★ {{.R2}} · 3★ {{.R3}} · 4★ {{.R4}} · 5★ {{.R5}}){{else}}Satisfaction: no ratings{{end}}{{if .Categories}}
By category: {{.Categories}}{{end}}{{range .Agents}}
• {{.}}{{end}}`,
	StatsAgent: "{{.Name}}: {{.Responses}} first {{plural .Responses \"response\" \"responses\"}} (median {{.Median}}), {{.Resolved}} resolved, satisfaction {{.Satisfaction}}",
	NoData:     "–",
	StatsBot: `First-line bot: {{.Done}} {{plural .Done "intake" "intakes"}} completed, {{.TimedOut}} timed out{{if .Categories}} (by category, completed/timed out: {{.Categories}}){{end}}
Articles: shown {{.Shown}} {{plural .Shown "time" "times"}}, solved {{.Deflected}} {{plural .Deflected "question" "questions"}}{{if .Articles}} (shown/solved: {{.Articles}}){{end}}
Sent by agents: {{.ArticlesSent}} {{plural .ArticlesSent "article" "articles"}}, {{.CannedSent}} canned {{plural .CannedSent "reply" "replies"}}{{if .Sent}} ({{.Sent}}){{end}}`,

	StatsSLA:        "SLA, met/breached: {{.Targets}}{{if .Agents}}\nSLA by agent, met/breached: {{.Agents}}{{end}}",
	StatsMedian:     "median",
	QueueSLA:        "SLA: {{.Breached}} breached, {{.AtRisk}} at risk.{{if .Next}} Next to breach: {{.Next}}, {{.Target}} due {{.Due}} (in {{.Left}}).{{end}}",
	ListSLA:         " · {{.Target}} due {{.Due}}, {{.State}}",
	ListSLABreached: " · {{.Target}}: SLA breached",

	BotGreeting:      "Hi {{.Name}}! What is your question about?\n{{.Categories}}",
	BotQuestion:      "{{.Ask}}",
	BotQuestionAgain: "{{.Ask}} ({{if .Choices}}please pick one of the answers{{else}}please write an answer{{end}})",
	BotArticle:       "{{.Title}}\n{{.Body}}",
	BotStillNeed:     "If none of these answers your question, an agent will help you.",
	BotThanks:        "Glad that helped! Write here again any time.",
	BotConfirm:       "You are one of this desk's agents. Do you want to open a ticket as a customer?",
	BotChose:         "✔ {{.Choice}}",
	BotOver:          "That question is over; write here if you need anything else.",
	ButtonSkip:       "Skip",
	ButtonSolved:     "That solved it",
	ButtonHuman:      "I still need a person",
	ButtonWantTicket: "Open a ticket",
	ButtonNoTicket:   "No, thanks",
	CardSuggested:    "Articles suggested",
	TicketInIntake:   "Ticket {{.Ticket}} is still with the first-line bot; it reaches the triage channel once the customer has answered.",
	Reloaded:         "Reloaded: {{.Summary}}",
	ReloadFailed:     "Nothing changed where a file has problems; the desk keeps what it had.\n{{.Problems}}{{if .Summary}}\nIn effect: {{.Summary}}{{end}}",
	ReloadNothing:    "There is nothing to reload: DESK_CONFIG and KB_PATH are not set.",

	DashboardLink:    "Your sign-in link to the dashboard, for you only: {{.URL}}\nIt works once, within 10 minutes.",
	DashboardOff:     "The dashboard is not served by this app.",
	DashboardRevoked: "Every dashboard session of {{.User}} is ended; they can sign in again with a new link.",

	ForgetConfirm:     `Forget {{.User}}? This erases from the desk's storage their {{.Tickets}} {{plural .Tickets "ticket" "tickets"}} ({{.Numbers}}) with {{.Messages}} {{plural .Messages "message" "messages"}} of history, and deletes the app's {{.Copies}} {{plural .Copies "copy" "copies"}} of their messages in the triage threads. Ticket numbers and anonymous statistics stay. This cannot be undone.`,
	ForgetCancelled:   "Nothing about {{.User}} was forgotten.",
	ForgetDone:        `Forgot {{.User}}: {{.Tickets}} {{plural .Tickets "ticket" "tickets"}} ({{.Numbers}}), {{.Messages}} {{plural .Messages "message" "messages"}} of history; {{.Copies}} {{plural .Copies "copy" "copies"}} deleted from the triage threads.`,
	ForgetFailed:      `{{.Count}} {{plural .Count "copy" "copies"}} in the threads of {{.Numbers}} could not be deleted ({{.Reason}}): please delete them by hand.`,
	ForgetActive:      "{{.User}} still has an active ticket ({{.Numbers}}): close it first ({{.Command}} close N), then forget.",
	ForgetNotYours:    "Only the lead who asked may confirm this; run {{.Command}} forget again.",
	NothingStored:     "Nothing is stored about {{.User}}.",
	ExportReady:       `The export of {{.User}} ({{.Tickets}} {{plural .Tickets "ticket" "tickets"}}) is in your direct messages with the app.`,
	ExportCaption:     `Everything stored about {{.User}} ({{.Tickets}} {{plural .Tickets "ticket" "tickets"}}), as JSON.`,
	ExportAsText:      "The file could not be uploaded ({{.Reason}}); the JSON follows as text.",
	ButtonForget:      "Forget",
	ButtonCancel:      "Cancel",
	CustomerForgotten: "(forgotten)",

	KBFound:       "Articles for “{{.Query}}”, best first:\n{{.Lines}}\n{{.Command}} kb show ID shows one; {{.Command}} send N ID sends it to the customer of ticket N.",
	KBLine:        "• {{.ID}} — {{.Title}} ({{.Lang}})",
	KBNone:        "No article answers “{{.Query}}” well enough. Try other words; {{.Command}} kb show ID shows an article you know.",
	KBArticle:     "{{.ID}} ({{.Lang}}{{if .Category}}, {{.Category}}{{end}}): {{.Title}}\n{{.Body}}\n\n{{.Command}} send N {{.ID}} sends it to the customer of ticket N.",
	KBUnknown:     "There is no article {{.ID}}; {{.Command}} kb search WORDS finds one.",
	KBNotLoaded:   "No knowledge base is loaded: the operator sets KB_PATH to the articles' file.",
	CannedUnknown: "There is no canned reply {{.Name}}.{{if .Names}} The desk has: {{.Names}}.{{else}} The desk has none: they are the canned section of the desk file (DESK_CONFIG).{{end}}",
	SentArticle:   "Sent article {{.ID}} to the customer of ticket {{.Ticket}}.",
	SentCanned:    "Sent the canned reply {{.Name}} to the customer of ticket {{.Ticket}}; the ticket is {{.Status}}.",
	NoDMChannel:   "Ticket {{.Ticket}} has no conversation with its customer to write to.",

	NoticeAway:       "Thank you for your message. Our team is away right now{{if .Holiday}} ({{.Holiday}}){{end}}; we are back {{.When}} ({{.Zone}}) and will answer you then.",
	SLAReminder:      "⏰ {{if .Mention}}{{.Mention}} {{end}}Ticket {{.Ticket}}: {{.Target}} is due {{.Due}}, {{.Left}} left.",
	SLABreached:      "🚨 {{if .Mention}}{{.Mention}} {{end}}Ticket {{.Ticket}} missed its {{.Target}} target of {{.Goal}}.",
	SLALeads:         "🚨 {{if .Leads}}{{.Leads}} {{end}}Ticket {{.Ticket}}{{if .Subject}} ({{.Subject}}){{end}} missed its {{.Target}} target of {{.Goal}}; {{if .Assignee}}{{.Assignee}} looks after it.{{else}}nobody looks after it.{{end}}",
	SLAFirstResponse: "first response",
	SLANextResponse:  "next response",
	SLAResolution:    "resolution",
	SLAOnTrack:       "on track",
	SLAAtRisk:        "at risk",
	SLABreachedState: "breached",
	SLAPaused:        "paused",
	SLAMet:           "met",
	CardSLA:          "SLA",
	CardSLAClock:     "{{.Target}}: {{if .Due}}due {{.Due}} · {{end}}{{.State}}",
	CardOutOfHours:   "Came in",
	CardOutOfHoursIs: "out of hours",
}, dashboardEnglish)

// Catalog renders texts of one language, falling back to English for missing entries.
type Catalog struct {
	tmpl map[string]*template.Template
}

// PluralRule picks which of a language's plural forms goes with n: an index into the forms a
// text gives (`{{plural .N "ticket" "tickets"}}`).
type PluralRule func(n int) int

// The plural rules of the languages the catalog knows, from the CLDR: English has one form for
// 1 and one for the rest; Russian one for 1, 21, 31…, one for 2–4, 22–24…, one for the rest.
var (
	EnglishPlural PluralRule = func(n int) int {
		if n == 1 {
			return 0
		}
		return 1
	}
	RussianPlural PluralRule = func(n int) int {
		n = max(n, -n)
		switch {
		case n%10 == 1 && n%100 != 11:
			return 0
		case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
			return 1
		}
		return 2
	}
)

// New parses a language table over the English one, with English plurals. It fails on a text
// that does not parse or an ID that English does not know, so a broken translation is found at
// start.
func New(table map[string]string) (*Catalog, error) { return NewLanguage(EnglishPlural, table) }

// NewLanguage parses a language table over the English one, with the language's plural rule
// for the table's texts (English texts left in keep English plurals).
func NewLanguage(rule PluralRule, table map[string]string) (*Catalog, error) {
	c := &Catalog{tmpl: make(map[string]*template.Template, len(English))}
	for id, text := range English {
		r := EnglishPlural
		if t, ok := table[id]; ok {
			text, r = t, rule
		}
		t, err := template.New(id).Option("missingkey=error").Funcs(template.FuncMap{"plural": plural(r)}).Parse(text)
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

// plural is the template function that writes the form of a word for n, by rule: {{plural .N
// "rating" "ratings"}} for English, three forms for Russian. n is an integer or a string of
// digits (a count already written out, such as the days of a period). With fewer forms than
// the rule asks for, the last one given serves.
func plural(rule PluralRule) func(n any, forms ...string) (string, error) {
	return func(n any, forms ...string) (string, error) {
		var i int
		switch v := n.(type) {
		case int:
			i = v
		case int64:
			i = int(v)
		case string:
			var err error
			if i, err = strconv.Atoi(v); err != nil {
				return "", fmt.Errorf("plural of %q: not a number", v)
			}
		default:
			return "", fmt.Errorf("plural of %T", n)
		}
		if len(forms) == 0 {
			return "", fmt.Errorf("plural without forms")
		}
		return forms[min(rule(i), len(forms)-1)], nil
	}
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

package catalog

// The first-line bot's texts: what it says to a customer before their ticket reaches the
// agents, and what the card shows of it.
const (
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
	CardSubject      = "card.subject"       // field label
	CardSuggested    = "card.suggested"     // field label: the articles the bot suggested
	TicketInIntake   = "ticket.in_intake"   // {{.Ticket}}: agents cannot act on it yet
)

func init() {
	for id, text := range map[string]string{
		BotGreeting:      "Hi {{.Name}}! What is your question about?\n{{.Categories}}",
		BotQuestion:      "{{.Ask}}",
		BotQuestionAgain: "{{.Ask}} ({{if .Choices}}please pick one of the answers{{else}}please write an answer{{end}})",
		BotArticle:       "*{{.Title}}*\n{{.Body}}",
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
		CardSubject:      "Request",
		CardSuggested:    "Articles suggested",
		TicketInIntake:   "Ticket {{.Ticket}} is still with the first-line bot; it reaches the triage channel once the customer has answered.",
	} {
		English[id] = text
	}
	Default = must(New(nil))
}

package desk

// Card is the platform-neutral model of a ticket card (or any message with fields and buttons).
// Each adapter renders it natively: Block Kit on Slack, attachments on Mattermost, HTML in the
// sandbox.
type Card struct {
	Title   string
	Text    string
	Fields  []Field
	Actions []Action
	Context string // a small line under the card, such as age and last activity
}

// Field is one labelled value on a card.
type Field struct {
	Label string
	Value string
	URL   string // where the value links to (a person's profile), if anywhere
	Short bool   // may sit beside another short field
}

// Action is a button on a card. Pressing it reaches the core as an EventAction with ID and Value.
type Action struct {
	ID    string // what the button does, e.g. "claim"
	Label string
	Value string // the argument, e.g. the ticket number
	Style string // "", "primary" or "danger"
}

// Package slack is Threadesk's Slack adapter. It implements desk.Platform on the Slack Web API
// (through github.com/slack-go/slack) and translates what Slack sends (Events API callbacks,
// interactivity payloads and slash commands, over HTTP or Socket Mode) into desk.Events that it
// hands to a desk.Ingester.
//
// The adapter never decides ticket rules. It only knows where a message was written (a DM with
// the app, a thread in the triage channel, somewhere else) and acknowledges Slack once the
// ingester has recorded the event, so a crash between the two makes Slack deliver again rather
// than lose the event.
//
// Slack's markup is the adapter's knowledge too, not the core's: it quotes the people's words
// the core embeds in its texts (Quote), and makes a relayed message inert on its way out, its
// mentions shown as names that ping nobody (quote.go).
package slack

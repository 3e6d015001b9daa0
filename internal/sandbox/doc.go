// Package sandbox is Threadesk's built-in chat platform: an in-memory chat server with one
// triage channel ("triage") and a direct-message channel with the app per person ("D-<user>"),
// and a web page at GET /sandbox where one person plays several customers and agents against
// the real core. It is a complete desk.Platform, so cards, buttons, forms, ephemeral command
// answers and delivery marks all show in the page. cmd/threadesk starts it when no platform
// credentials are configured.
//
// Every action taken in the page becomes a desk.Event with a fresh ID and goes to
// desk.Ingester.Ingest before the request is answered; what the app posts through the
// Platform never becomes an event, so nothing loops. A customer's message in their DM is a
// CustomerMessage (edits CustomerEdit, deletions CustomerDelete); an agent's reply in a thread of
// the triage channel is an AgentReply (AgentEdit, AgentDelete) with Thread = the root's ID; a
// top-level message in the triage channel is discarded with reason "not_in_thread". A click on
// a card button is an ActionPressed with the button's ID and Value, a fresh Trigger that opens
// one form within 30 s, and Thread = the root of the thread the card is in (the card's own ID
// when it is the root). The slash command is a CommandRun with Text = its arguments and
// Channel = the triage channel for agents, the DM for customers. A form submission is a
// FormSubmitted with Action = the form's ID, Value = its Context and Form = one value per field
// (multiselect values comma-separated; a "user" field, the person picker, holds the user ID of
// an agent: the page offers the agents by name, and any other value is refused with 422).
//
// Cards work wherever the app posts them: a customer presses the buttons of a card in their DM
// (the rating question) as an agent presses those of a ticket card. An ephemeral message goes
// to its one addressee, customer or agent, in the channel it was posted in. FindUser takes a
// handle (with or without "@"), a user ID, or a mention written "<@ID>".
//
// The triage channel's Dashboard button signs the agent being played in to the web dashboard
// as chat does: the page runs the slash command "dashboard" as them (POST /sandbox/api/commands)
// and opens the private sign-in link of the app's answer in a new tab, which cannot reach back
// into the sandbox's page. The sandbox has no route of its own for it.
//
// IDs carry a random suffix per process ("m12-3fa9c1"), so a store that outlives the process
// never confuses a new message with an old one. User handles ("ada.lovelace") are stable and
// unique, so they are a way to name sandbox people in settings such as LEADS. The other is the
// page's "lead" choice: people added as leads get IDs set aside when the sandbox is made
// (LeadIDs, "lead1-3fa9c1"), which cmd/threadesk adds to the core's leads, since the core reads
// its list of leads once.
//
// # HTTP routes (all under /sandbox; mount Handler for "/sandbox" and "/sandbox/")
//
//	GET  /sandbox                          the page (static files under /sandbox/static/)
//	GET  /sandbox/stream                   Server-Sent Events: "snapshot" (the whole state, with
//	                                       "instance", which changes when the program restarts,
//	                                       and "maxUpload") on connect, then "user", "message",
//	                                       "form" and "form_closed" {"id"} as things change;
//	                                       comment heartbeats
//	GET  /sandbox/files/{id}               a shared file's bytes
//	GET  /sandbox/api/state                the snapshot as JSON
//	POST /sandbox/api/users                {"name","role":"customer"|"agent","lead"} → 201 user
//	                                       (a lead is an agent with one of LeadIDs as ID; 409
//	                                       when all MaxLeads are given out)
//	POST /sandbox/api/messages             {"user","text","thread"} (JSON, or multipart with
//	                                       "file" parts) → 201 {"message"}
//	POST /sandbox/api/messages/{id}/edit   {"user","text"} → 200 {"message"}
//	POST /sandbox/api/messages/{id}/delete {"user"} → 200 {"message"}
//	POST /sandbox/api/messages/{id}/retry  {"user"}: send the app again, with the same event IDs,
//	                                       what it did not take about this message
//	POST /sandbox/api/actions              {"user","message","action","value"} → 200 {"ok","event"}
//	POST /sandbox/api/commands             {"user","text"} (arguments; a leading "/desk" is dropped)
//	POST /sandbox/api/forms/{id}/submit    {"user","values":{"field":"value"}} → 200; 422 with
//	                                       "fields" when values are missing or not an option
//	POST /sandbox/api/forms/{id}/cancel    {"user"} → 200
//
// Refused requests answer {"error": text for people, "code": a desk error code, "fields": …}
// with 400 (bad JSON or input), 403 (someone else's message or form), 404 (unknown user,
// message, thread, button or form), 409, 413 (too large), 415 (not JSON) or 422. When the
// ingester fails the answer is 503: a message, edit or deletion stays in the sandbox as
// written, flagged with the error ("error" in the message JSON) until a retry succeeds; a
// click, command or form submission leaves nothing behind.
//
// The page's test hooks (data-testid attributes) are listed at the top of web/sandbox.js.
package sandbox

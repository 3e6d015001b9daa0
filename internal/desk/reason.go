package desk

// DropReason names why an event was dropped on purpose. Every drop, in an adapter or in the
// core, uses one of these: they are the one list of the threadesk_events_dropped_total
// metric's reason label, so that every dropped event is accounted for by name.
type DropReason string

// The drop reasons. Adapters drop what is not for the desk before it reaches the core; the
// core drops what it cannot or need not handle.
const (
	// Dropped by adapters.
	DropNotInThread     DropReason = "not_in_thread"           // a top-level message in the triage channel
	DropOtherChannel    DropReason = "other_channel"           // a message in a channel the desk does not watch
	DropUnchanged       DropReason = "unchanged"               // an edit that changed nothing the desk relays
	DropSystemMessage   DropReason = "system_message"          // a join, leave or other platform notice
	DropBadEvent        DropReason = "bad_event"               // a payload that does not decode
	DropUnsupported     DropReason = "unsupported_event"       // an event type the desk does not use
	DropUnsupportedKind DropReason = "unsupported_interaction" // an interaction type the desk does not use
	DropNoAction        DropReason = "no_action"               // an interaction that carries no action
	DropFormCancelled   DropReason = "dialog_cancelled"        // a form closed without submitting

	// Dropped by the core when an event arrives.
	DropOwnMessage DropReason = "own_message"  // the app's own message coming back
	DropBotMessage DropReason = "bot_message"  // another bot's message: bots are neither customers nor agents
	DropInvalid    DropReason = "invalid"      // malformed: refused with an error
	DropDuplicate  DropReason = "duplicate"    // a redelivery of an event recorded before
	DropFormError  DropReason = "form_refused" // a form submission refused for its values

	// Dropped by the core when an event is handled.
	DropUndecodable    DropReason = "undecodable"     // a queue entry that does not decode
	DropUnprocessable  DropReason = "unprocessable"   // an event whose effects the store refuses
	DropUnsupportedEv  DropReason = "unsupported"     // a kind this version does not handle
	DropUnknownThread  DropReason = "unknown_thread"  // a reply in a thread that is no ticket's
	DropUnknownMessage DropReason = "unknown_message" // an edit or deletion of a message never mirrored
	DropUnknownAction  DropReason = "unknown_action"  // a button this version does not know
	DropUnknownForm    DropReason = "unknown_form"    // a form this version does not know
	DropRefused        DropReason = "refused"         // a step refused by the ticket's rules (the person is told)
)

// DropReasons lists every reason, for metrics to start at zero.
var DropReasons = []DropReason{
	DropNotInThread, DropOtherChannel, DropUnchanged, DropSystemMessage, DropBadEvent,
	DropUnsupported, DropUnsupportedKind, DropNoAction, DropFormCancelled,
	DropOwnMessage, DropBotMessage, DropInvalid, DropDuplicate, DropFormError,
	DropUndecodable, DropUnprocessable, DropUnsupportedEv, DropUnknownThread, DropUnknownMessage,
	DropUnknownAction, DropUnknownForm, DropRefused,
}

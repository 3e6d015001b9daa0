package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/threadesk/threadesk/internal/desk"
)

// This file translates what Slack sends into desk.Events, one function per kind of payload,
// for both transports: the HTTP handlers and Socket Mode parse their payloads into slack-go's
// types and call the same functions, then deliver the outcome with (*Adapter).deliver.

// inbound is the outcome of translating one payload: an event to ingest, a reason it was
// dropped on purpose, or neither (a payload that only needs acknowledging, like view_closed).
type inbound struct {
	event   *desk.Event
	discard desk.DropReason
}

func ingest(ev desk.Event) inbound           { return inbound{event: &ev} }
func discard(reason desk.DropReason) inbound { return inbound{discard: reason} }
func ackOnly() inbound                       { return inbound{} }

// deliver hands the outcome to the ingester. Only a nil return allows acknowledging Slack. An
// error is answered through web.Status: a form refused for its values keeps the modal open, an
// event the core refuses for what it is (EINVALID, ETOOLARGE) is a 4xx that Slack is asked not
// to retry (nothing was recorded, and sending it again cannot change the answer), and anything
// else is a failure on our side that Slack retries.
func (a *Adapter) deliver(ctx context.Context, in inbound) error {
	switch {
	case in.discard != "":
		a.in.Discard(PlatformName, in.discard)
		a.log.DebugContext(ctx, "slack payload discarded", "reason", in.discard)
		return nil
	case in.event == nil:
		return nil
	}
	ev := *in.event
	if err := a.in.Ingest(ctx, ev); err != nil {
		if _, ok := errors.AsType[*desk.FormError](err); ok {
			a.log.InfoContext(ctx, "slack form submission refused", "event", ev.ID, "form", ev.Action, "err", err)
			return err // shown on the modal, which stays open
		}
		if refused(err) {
			a.log.WarnContext(ctx, "slack event refused", "event", ev.ID, "kind", ev.Kind, "err", err)
			return err
		}
		a.log.ErrorContext(ctx, "slack event not recorded", "event", ev.ID, "kind", ev.Kind, "err", err)
		return err
	}
	a.log.DebugContext(ctx, "slack event recorded", "event", ev.ID, "kind", ev.Kind, "channel", ev.Channel, "message", ev.Message)
	return nil
}

// fromEventsAPI translates an Events API callback. The event's ID is the envelope's event_id,
// which Slack keeps on every redelivery.
func (a *Adapter) fromEventsAPI(e slackevents.EventsAPIEvent) inbound {
	cb, ok := e.Data.(*slackevents.EventsAPICallbackEvent)
	if e.Type != slackevents.CallbackEvent || !ok {
		return ackOnly()
	}
	switch inner := e.InnerEvent.Data.(type) {
	case *slackevents.MessageEvent:
		return a.fromMessage(cb.EventID, inner)
	}
	return discard(desk.DropUnsupported)
}

// fromMessage classifies a message event by where it was written: a DM with the app is the
// customer's, a reply in a thread of the triage channel an agent's; everything else is dropped
// with a reason. Who may speak is the core's rule: a message written by a bot or an app reaches
// it with User.IsBot set, and only the app's own messages, whose echo the adapter alone can
// recognise, are dropped here (desk.DropOwnMessage, the core's own reason for them). The one
// own message that matters is a ticket card deleted in the triage channel: see threadDeleted.
func (a *Adapter) fromMessage(eventID string, m *slackevents.MessageEvent) inbound {
	var (
		msg     *slackgo.Msg // the message the event is about
		verb    = "message"
		deleted string // the ts of a deleted message
	)
	switch m.SubType {
	case "", "file_share", "thread_broadcast", "me_message", "bot_message":
		msg = m.Message
	case "message_changed":
		msg, verb = m.Message, "edit"
		if msg != nil && msg.SubType == subtypeTombstone {
			// A message deleted while it had thread replies: Slack keeps a placeholder in its
			// place and reports the deletion as this change. It is a deletion all the same.
			verb, deleted = "delete", msg.Timestamp
			msg = m.PreviousMessage
			if msg == nil {
				msg = &slackgo.Msg{Timestamp: deleted, ThreadTimestamp: m.Message.ThreadTimestamp}
			}
		}
	case "message_deleted":
		msg, verb, deleted = m.PreviousMessage, "delete", m.DeletedTimeStamp
		if msg == nil {
			msg = &slackgo.Msg{Timestamp: m.DeletedTimeStamp}
		}
	default:
		return discard(desk.DropSystemMessage) // joins, topic changes and the like
	}
	if msg == nil {
		msg = &slackgo.Msg{}
	}
	if verb == "delete" && a.isCard(m.Channel, msg) {
		return ingest(a.threadDeleted(eventID, m, firstOf(deleted, msg.Timestamp)))
	}
	if a.isOwn(msg) {
		return discard(desk.DropOwnMessage)
	}
	if verb == "edit" && m.PreviousMessage != nil && m.PreviousMessage.Text == msg.Text && len(m.PreviousMessage.Files) == len(msg.Files) {
		// Slack also reports unfurls and thread metadata as changes; the text is the same.
		return discard(desk.DropUnchanged)
	}

	ev := desk.Event{
		ID:       eventID,
		Platform: PlatformName,
		At:       firstTime(tsTime(firstOf(m.EventTimeStamp, m.TimeStamp, msg.Timestamp)), a.clock().Now().UTC()),
		User:     author(msg),
		Channel:  m.Channel,
		Message:  msg.Timestamp,
	}
	if verb == "delete" {
		ev.Message = firstOf(deleted, msg.Timestamp)
	} else {
		ev.Text = msg.Text
		ev.Files = files(msg.Files)
	}

	switch {
	case m.ChannelType == slackevents.ChannelTypeIM || (m.ChannelType == "" && strings.HasPrefix(m.Channel, "D")):
		ev.Kind = map[string]desk.EventKind{"message": desk.CustomerMessage, "edit": desk.CustomerEdit, "delete": desk.CustomerDelete}[verb]
	case m.Channel != "" && m.Channel == a.TriageChannel():
		if msg.ThreadTimestamp == "" || msg.ThreadTimestamp == msg.Timestamp {
			return discard(desk.DropNotInThread)
		}
		ev.Thread = msg.ThreadTimestamp
		ev.Kind = map[string]desk.EventKind{"message": desk.AgentReply, "edit": desk.AgentEdit, "delete": desk.AgentDelete}[verb]
	default:
		return discard(desk.DropOtherChannel)
	}
	return ingest(ev)
}

// subtypeTombstone is the subtype of the placeholder Slack leaves where a message with thread
// replies was deleted ("This message was deleted."), so that its replies keep their thread.
const subtypeTombstone = "tombstone"

// isCard reports whether msg, as it was before it was deleted, is a message the app posted at
// the top level of the triage channel: a ticket card, the root of a ticket's thread. (The app
// posts other top-level messages there too; the core knows which roots are tickets' cards.)
func (a *Adapter) isCard(channel string, msg *slackgo.Msg) bool {
	return channel != "" && channel == a.TriageChannel() && msg.Timestamp != "" && a.isOwn(msg) &&
		(msg.ThreadTimestamp == "" || msg.ThreadTimestamp == msg.Timestamp)
}

// threadDeleted is the event of a ticket card deleted in the triage channel (message_deleted,
// or message_changed to a tombstone when the card had replies), so that the core gives the
// ticket a new card when its customer next writes: Slack itself never refuses a reply posted
// into a deleted thread. Slack does not say who deleted a message, so the event is the app's.
// It is not marked IsBot: it is no message a bot wrote, and the core drops those at once.
func (a *Adapter) threadDeleted(eventID string, m *slackevents.MessageEvent, card string) desk.Event {
	self, _ := a.self()
	return desk.Event{
		ID:       eventID,
		Platform: PlatformName,
		Kind:     desk.ThreadDeleted,
		At:       firstTime(tsTime(firstOf(m.EventTimeStamp, m.TimeStamp)), a.clock().Now().UTC()),
		User:     desk.User{ID: self},
		Channel:  m.Channel,
		Thread:   card,
		Message:  card,
	}
}

// isOwn reports whether msg was posted by this app: its author is the app's bot user, or its
// bot ID (or bot profile) is the app's. Answering them would loop.
func (a *Adapter) isOwn(msg *slackgo.Msg) bool {
	selfUser, selfBot := a.self()
	return (selfUser != "" && msg.User == selfUser) ||
		(selfBot != "" && (msg.BotID == selfBot || (msg.BotProfile != nil && msg.BotProfile.ID == selfBot)))
}

// author is who wrote msg. A message written by a bot or an app (a bot ID or profile, or a
// bot_message) is marked IsBot, for the core to drop; a legacy integration's bot_message has no
// user, and is then named by its bot ID.
func author(msg *slackgo.Msg) desk.User {
	u := desk.User{ID: msg.User}
	if msg.BotID != "" || msg.BotProfile != nil || msg.SubType == "bot_message" {
		u.IsBot = true
		u.ID = firstOf(msg.User, msg.BotID)
		if msg.BotProfile != nil {
			u.ID = firstOf(u.ID, msg.BotProfile.ID)
			u.Name = msg.BotProfile.Name
		}
		u.Name = firstOf(msg.Username, u.Name)
	}
	return u
}

// fromInteraction translates a click (block_actions) or a submitted modal (view_submission).
// A closed modal needs only an acknowledgement; other interactions are dropped.
func (a *Adapter) fromInteraction(cb slackgo.InteractionCallback, raw []byte) inbound {
	ev := desk.Event{
		ID:       firstOf(cb.TriggerID, digest(raw)),
		Platform: PlatformName,
		At:       a.clock().Now().UTC(),
		User:     desk.User{ID: cb.User.ID, Name: firstOf(cb.User.Name, cb.User.Profile.DisplayName)},
		Trigger:  cb.TriggerID,
		Reply:    cb.ResponseURL,
	}
	switch cb.Type {
	case slackgo.InteractionTypeBlockActions:
		if len(cb.ActionCallback.BlockActions) == 0 {
			return discard(desk.DropNoAction)
		}
		act := cb.ActionCallback.BlockActions[0]
		ev.Kind = desk.ActionPressed
		ev.At = firstTime(tsTime(act.ActionTs), ev.At)
		ev.Action = actionOf(act.ActionID)
		ev.Value = firstOf(act.Value, act.SelectedOption.Value)
		ev.Channel = firstOf(cb.Channel.ID, cb.Container.ChannelID)
		ev.Message = firstOf(cb.Message.Timestamp, cb.Container.MessageTs)
		ev.Thread = firstOf(cb.Message.ThreadTimestamp, cb.Container.ThreadTs)
		if ev.Thread == ev.Message {
			ev.Thread = ""
		}
		return ingest(ev)
	case slackgo.InteractionTypeViewSubmission:
		ev.Kind = desk.FormSubmitted
		ev.Action = cb.View.CallbackID
		ev.Value = cb.View.PrivateMetadata
		ev.Form = formValues(cb.View.State)
		if len(cb.ResponseURLs) > 0 {
			ev.Reply = cb.ResponseURLs[0].ResponseURL
		}
		return ingest(ev)
	case slackgo.InteractionTypeViewClosed:
		return ackOnly()
	}
	return discard(desk.DropUnsupportedKind)
}

// formValues flattens a submitted modal's state to one string per field: the field ID is the
// action ID (see formView), a person picker gives the user's ID, and a multi-select's values
// are comma-joined.
func formValues(state *slackgo.ViewState) map[string]string {
	values := map[string]string{}
	if state == nil {
		return values
	}
	for blockID, actions := range state.Values {
		for actionID, v := range actions {
			key := firstOf(actionID, blockID)
			switch {
			case v.SelectedOption.Value != "":
				values[key] = v.SelectedOption.Value
			case v.SelectedUser != "":
				values[key] = v.SelectedUser
			case len(v.SelectedUsers) > 0:
				values[key] = strings.Join(v.SelectedUsers, ",")
			case len(v.SelectedOptions) > 0:
				parts := make([]string, 0, len(v.SelectedOptions))
				for _, o := range v.SelectedOptions {
					parts = append(parts, o.Value)
				}
				values[key] = strings.Join(parts, ",")
			default:
				values[key] = v.Value
			}
		}
	}
	return values
}

// fromCommand translates the slash command. Its ID is the trigger_id, unique per invocation,
// or a digest of the request when Slack sent none.
func (a *Adapter) fromCommand(cmd slackgo.SlashCommand, raw []byte) inbound {
	return ingest(desk.Event{
		ID:       firstOf(cmd.TriggerID, digest(raw)),
		Platform: PlatformName,
		Kind:     desk.CommandRun,
		At:       a.clock().Now().UTC(),
		User:     desk.User{ID: cmd.UserID, Name: cmd.UserName},
		Channel:  cmd.ChannelID,
		Text:     strings.TrimSpace(cmd.Text),
		Action:   cmd.Command,
		Trigger:  cmd.TriggerID,
		Reply:    cmd.ResponseURL,
	})
}

func files(in []slackgo.File) []desk.File {
	var out []desk.File
	for _, f := range in {
		out = append(out, desk.File{
			ID:       f.ID,
			Name:     firstOf(f.Name, f.Title),
			MimeType: f.Mimetype,
			Size:     int64(f.Size),
			URL:      firstOf(f.URLPrivate, f.URLPrivateDownload),
		})
	}
	return out
}

// tsTime reads a Slack timestamp ("1503435956.000247") as a time; zero when it is none, or
// when it lies beyond the year 9999, which no recorded event can hold (JSON's times end there).
func tsTime(ts string) time.Time {
	secs, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || s <= 0 || s > lastRecordable {
		return time.Time{}
	}
	var us int64
	if frac != "" {
		frac = (frac + "000000")[:6]
		us, _ = strconv.ParseInt(frac, 10, 64)
	}
	return time.Unix(s, us*1000).UTC()
}

// lastRecordable is the last second of the year 9999 in Unix time.
const lastRecordable = 253402300799

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// digest names a payload that carries no ID of its own; a redelivery of the same bytes gets
// the same name.
func digest(raw []byte) string {
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:12])
}

package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/threadesk/threadesk/internal/desk"
)

// deliveryEventType is the metadata event type of every message the app posts. Its payload's
// "key" is the delivery key, which Find looks for after a crash.
const deliveryEventType = "threadesk_delivery"

// How far Find looks back: a delivery it is asked about was attempted moments before a crash,
// so it is among the latest messages of its channel or thread.
const (
	findPageSize = 200
	findMaxPages = 5
)

// marks maps the core's marks to reaction names.
var marks = map[desk.Mark]string{
	desk.MarkDelivered: "white_check_mark",
	desk.MarkFailed:    "warning",
	desk.MarkNote:      "memo",
}

// Post sends m with chat.postMessage, or, for an ephemeral answer, to its response URL or with
// chat.postEphemeral. The delivery key travels in the message metadata.
func (a *Adapter) Post(ctx context.Context, m desk.Outgoing) (desk.MessageRef, error) {
	m = a.outgoing(ctx, m)
	if m.Reply != "" {
		return a.respond(ctx, m)
	}
	if m.Ephemeral != "" {
		// chat.postEphemeral ignores message metadata, and nothing looks an answer seen by
		// one person up by its key: the key is not sent.
		m.Key = ""
		ts, err := a.api.PostEphemeralContext(ctx, m.Channel, m.Ephemeral, a.messageOptions(m)...)
		if err != nil {
			return desk.MessageRef{}, deliveryError("chat.postEphemeral", err)
		}
		return desk.MessageRef{Channel: m.Channel, ID: ts}, nil
	}
	channel, ts, err := a.api.PostMessageContext(ctx, m.Channel, a.messageOptions(m)...)
	if err != nil {
		return desk.MessageRef{}, deliveryError("chat.postMessage", err)
	}
	a.log.DebugContext(ctx, "slack message posted", "channel", channel, "ts", ts, "thread", m.Thread, "key", m.Key)
	return desk.MessageRef{Channel: channel, ID: ts}, nil
}

// respond answers a command or action through its response_url. The answer is always
// ephemeral: a command may be run in any channel, customers may be in it, and what the desk
// answers (queues, tickets) is for the person who asked. Slack does not say where such an
// answer went, so the returned reference has no message ID.
func (a *Adapter) respond(ctx context.Context, m desk.Outgoing) (desk.MessageRef, error) {
	opts := append(a.messageOptions(m), slackgo.MsgOptionResponseURL(m.Reply, slackgo.ResponseTypeEphemeral))
	if _, _, err := a.api.PostMessageContext(ctx, m.Channel, opts...); err != nil {
		return desk.MessageRef{}, deliveryError("response_url", err)
	}
	return desk.MessageRef{Channel: m.Channel}, nil
}

// outgoing is m as it goes out: a relayed message (m.As set) made inert (see inert). A text
// the core composed is sent as it is: it embeds people's words only quoted (Quote).
func (a *Adapter) outgoing(ctx context.Context, m desk.Outgoing) desk.Outgoing {
	if m.As != nil {
		m.Text = a.inert(ctx, m.Text)
	}
	return m
}

// messageOptions are the chat.* arguments for m: text (the fallback when there is a card),
// blocks, thread, the speaker's name and picture (chat:write.customize), and the delivery key.
func (a *Adapter) messageOptions(m desk.Outgoing) []slackgo.MsgOption {
	text := m.Text
	if text == "" && m.Card != nil {
		text = m.Card.Title
	}
	opts := []slackgo.MsgOption{slackgo.MsgOptionText(text, false)}
	if m.Card != nil {
		opts = append(opts, slackgo.MsgOptionBlocks(cardBlocks(m.Card)...))
	}
	if m.Thread != "" {
		opts = append(opts, slackgo.MsgOptionTS(m.Thread))
	}
	if m.As != nil {
		opts = append(opts, slackgo.MsgOptionUsername(shownName(m.As)))
		if m.As.AvatarURL != "" {
			opts = append(opts, slackgo.MsgOptionIconURL(m.As.AvatarURL))
		}
	}
	if m.Key != "" {
		opts = append(opts, slackgo.MsgOptionMetadata(deliveryMetadata(m.Key)))
	}
	return opts
}

func deliveryMetadata(key string) slackgo.SlackMetadata {
	return slackgo.SlackMetadata{EventType: deliveryEventType, EventPayload: map[string]any{"key": key}}
}

// Update replaces a message's text and blocks with chat.update. A message that had a card and
// is updated to plain text loses its blocks.
func (a *Adapter) Update(ctx context.Context, ref desk.MessageRef, m desk.Outgoing) error {
	m = a.outgoing(ctx, m)
	text := m.Text
	if text == "" && m.Card != nil {
		text = m.Card.Title
	}
	opts := []slackgo.MsgOption{slackgo.MsgOptionText(text, false)}
	if m.Card != nil {
		opts = append(opts, slackgo.MsgOptionBlocks(cardBlocks(m.Card)...))
	} else {
		opts = append(opts, slackgo.MsgOptionBlocks())
	}
	if m.Key != "" {
		opts = append(opts, slackgo.MsgOptionMetadata(deliveryMetadata(m.Key)))
	}
	if _, _, _, err := a.api.UpdateMessageContext(ctx, ref.Channel, ref.ID, opts...); err != nil {
		return deliveryError("chat.update", err)
	}
	return nil
}

// Delete removes a message with chat.delete, or a shared file with files.delete when the
// reference is the file (see Upload).
func (a *Adapter) Delete(ctx context.Context, ref desk.MessageRef) error {
	if isFileID(ref.ID) {
		if err := a.api.DeleteFileContext(ctx, ref.ID); err != nil {
			return deliveryError("files.delete", err)
		}
		return nil
	}
	if _, _, err := a.api.DeleteMessageContext(ctx, ref.Channel, ref.ID); err != nil {
		return deliveryError("chat.delete", err)
	}
	return nil
}

// Mark adds the reaction for mark. A reaction that is already there counts as success, so the
// core may mark again after a crash.
func (a *Adapter) Mark(ctx context.Context, ref desk.MessageRef, mark desk.Mark) error {
	name, ok := marks[mark]
	if !ok {
		return permanent("reactions.add", desk.FailOther, "unknown_mark", fmt.Errorf("no reaction for mark %q", mark))
	}
	if isFileID(ref.ID) {
		// A file whose message could not be located carries no reaction; the mark is
		// cosmetic, so this is not worth failing the delivery for.
		return nil
	}
	err := a.api.AddReactionContext(ctx, name, slackgo.NewRefToMessage(ref.Channel, ref.ID))
	var apiErr slackgo.SlackErrorResponse
	if errors.As(err, &apiErr) && apiErr.Err == "already_reacted" {
		return nil
	}
	return deliveryError("reactions.add", err)
}

// Unmark removes the reaction of a mark with reactions.remove; one that is not there
// (no_reaction) is no error.
func (a *Adapter) Unmark(ctx context.Context, ref desk.MessageRef, mark desk.Mark) error {
	name, ok := marks[mark]
	if !ok || isFileID(ref.ID) {
		return nil
	}
	err := a.api.RemoveReactionContext(ctx, name, slackgo.NewRefToMessage(ref.Channel, ref.ID))
	var apiErr slackgo.SlackErrorResponse
	if errors.As(err, &apiErr) && apiErr.Err == "no_reaction" {
		return nil
	}
	return deliveryError("reactions.remove", err)
}

// Find looks for the app's message carrying delivery key key among the latest messages of a
// thread (conversations.replies) or of a channel (conversations.history).
func (a *Adapter) Find(ctx context.Context, channel, thread, key string) (desk.MessageRef, error) {
	cursor := ""
	for range findMaxPages {
		var (
			msgs []slackgo.Message
			op   string
			err  error
		)
		if thread != "" {
			op = "conversations.replies"
			msgs, _, cursor, err = a.api.GetConversationRepliesContext(ctx, &slackgo.GetConversationRepliesParameters{
				ChannelID: channel, Timestamp: thread, Cursor: cursor, Limit: findPageSize, IncludeAllMetadata: true,
			})
		} else {
			op = "conversations.history"
			var res *slackgo.GetConversationHistoryResponse
			res, err = a.api.GetConversationHistoryContext(ctx, &slackgo.GetConversationHistoryParameters{
				ChannelID: channel, Cursor: cursor, Limit: findPageSize, IncludeAllMetadata: true,
			})
			if res != nil {
				msgs, cursor = res.Messages, res.ResponseMetaData.NextCursor
			}
		}
		if err != nil {
			return desk.MessageRef{}, deliveryError(op, err)
		}
		for _, msg := range msgs {
			if msg.Metadata.EventType == deliveryEventType && msg.Metadata.EventPayload["key"] == key {
				return desk.MessageRef{Channel: channel, ID: msg.Timestamp}, nil
			}
		}
		if cursor == "" {
			break
		}
	}
	return desk.MessageRef{}, fmt.Errorf("find delivery %s in %s: %w", key, channel, desk.ErrNotFound)
}

// OpenDM opens (or finds) the app's direct-message channel with a user.
func (a *Adapter) OpenDM(ctx context.Context, userID string) (string, error) {
	ch, _, _, err := a.api.OpenConversationContext(ctx, &slackgo.OpenConversationParameters{Users: []string{userID}})
	if err != nil {
		return "", deliveryError("conversations.open", err)
	}
	return ch.ID, nil
}

// UserInfo returns a user's handle, the name people see (display name, else real name), the
// 72-pixel avatar, whether the user is a bot, and their locale (slack-go asks users.info with
// include_locale).
func (a *Adapter) UserInfo(ctx context.Context, userID string) (desk.User, error) {
	u, err := a.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		return desk.User{}, deliveryError("users.info", err)
	}
	display := u.Profile.DisplayName
	if display == "" {
		display = u.Profile.RealName
	}
	if display == "" {
		display = u.RealName
	}
	a.mu.RLock()
	team := a.teamURL
	a.mu.RUnlock()
	profile := ""
	if team != "" {
		profile = strings.TrimRight(team, "/") + "/team/" + u.ID
	}
	return desk.User{
		ID:          u.ID,
		Name:        u.Name,
		DisplayName: display,
		AvatarURL:   u.Profile.Image72,
		ProfileURL:  profile,
		IsBot:       u.IsBot,
		Locale:      u.Locale,
		TimeZone:    u.TZ,
	}, nil
}

// OpenForm opens f as a modal for the user whose click gave trigger.
func (a *Adapter) OpenForm(ctx context.Context, trigger string, f desk.Form) error {
	if _, err := a.api.OpenViewContext(ctx, trigger, formView(f)); err != nil {
		return deliveryError("views.open", err)
	}
	return nil
}

package mattermost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
)

// PropKey is the post prop that carries the core's delivery key, so Find can recognise a post
// the app made before a crash.
const PropKey = "threadesk_key"

// The reactions that render desk marks.
var markEmoji = map[desk.Mark]string{
	desk.MarkDelivered: "white_check_mark",
	desk.MarkFailed:    "warning",
	desk.MarkNote:      "memo",
}

// Post creates a post (a thread reply when m.Thread is set), an ephemeral post when
// m.Ephemeral is set, or answers a slash command through its response URL when m.Reply is.
// Ephemeral posts need the create_post_ephemeral permission, which Mattermost gives only to
// system admins: when the server refuses it, Post (from then on) sends the answer to its
// reader in a direct message from the bot instead, so that it stays private.
func (a *Adapter) Post(ctx context.Context, m desk.Outgoing) (desk.MessageRef, error) {
	if m.Reply != "" {
		return desk.MessageRef{Channel: m.Channel}, a.respond(ctx, m)
	}
	p := a.buildPost(m)
	if m.Ephemeral != "" {
		if !a.noEphemeral.Load() {
			created, resp, err := a.client.CreatePostEphemeral(ctx, &model.PostEphemeral{UserID: m.Ephemeral, Post: p})
			if err == nil {
				return desk.MessageRef{Channel: created.ChannelId, ID: created.Id}, nil
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				return desk.MessageRef{}, deliveryError("posts.ephemeral", resp, err)
			}
			// create_post_ephemeral is a system admin's permission, which bots usually lack.
			a.noEphemeral.Store(true)
			a.log.Warn("the bot may not post ephemeral messages (create_post_ephemeral); private answers are sent as direct messages")
		}
		dm, err := a.OpenDM(ctx, m.Ephemeral)
		if err != nil {
			return desk.MessageRef{}, err
		}
		p = a.buildPost(m)
		p.ChannelId, p.RootId = dm, ""
	}
	created, resp, err := a.client.CreatePost(ctx, p)
	if err != nil {
		return desk.MessageRef{}, deliveryError("posts.create", resp, err)
	}
	return desk.MessageRef{Channel: created.ChannelId, ID: created.Id}, nil
}

// buildPost renders an Outgoing as a Mattermost post.
func (a *Adapter) buildPost(m desk.Outgoing) *model.Post {
	// An empty, not nil, file list: Client4 would send null, which the API description refuses.
	p := &model.Post{ChannelId: m.Channel, RootId: m.Thread, Message: a.messageText(m), FileIds: model.StringArray{}}
	p.SetProps(a.props(m))
	return p
}

// messageText is the post's message, or nothing for a card (its text is in the attachment). A
// text the core composed goes as it is: it embeds people's words only quoted (Quote). A
// relayed message is made inert (see inert) and follows its author's name when the server
// does not show the name the post is made under.
func (a *Adapter) messageText(m desk.Outgoing) string {
	if m.Card != nil {
		return ""
	}
	if m.As == nil {
		return m.Text
	}
	prefix := ""
	if !a.cfg.SkipNamePrefix {
		prefix = "**" + prefixName(speaker(m.As)) + ":** "
	}
	return prefix + inert(m.Text, a.cfg.MaxText-utf8.RuneCountInString(prefix))
}

// prefixName is a (quoted) name escaped for the "**Name:** " prefix and cut, once escaped, to
// fit the room Limits keeps for the prefix, so that the post never exceeds Mattermost's limit.
func prefixName(label string) string {
	name := []rune(escapeMarkdown(label))
	if len(name) > namePrefixReserve-10 {
		name = name[:namePrefixReserve-10]
		// Never end on a lone escaping backslash: it would escape the prefix's own "**".
		if n := len(name) - len(strings.TrimRight(string(name), `\`)); n%2 == 1 {
			name = name[:len(name)-1]
		}
	}
	return string(name)
}

// props are the post's props: the delivery key, the author's name and picture for servers
// that show them (a bot token may set these integration props), and the card.
func (a *Adapter) props(m desk.Outgoing) model.StringInterface {
	props := model.StringInterface{}
	if m.Key != "" {
		props[PropKey] = m.Key
	}
	if m.As != nil {
		props[model.PostPropsOverrideUsername] = speaker(m.As)
		if m.As.AvatarURL != "" {
			props[model.PostPropsOverrideIconURL] = m.As.AvatarURL
		}
		props[model.PostPropsFromWebhook] = "true"
	}
	if m.Card != nil {
		// An ephemeral post roots no thread: it is never stored.
		root := m.Thread == "" && m.Ephemeral == ""
		props[model.PostPropsAttachments] = []*model.MessageAttachment{a.attachment(m.Text, m.Card, root)}
	}
	return props
}

// escapeMarkdown keeps a display name from breaking the bold prefix.
func escapeMarkdown(s string) string {
	return strings.NewReplacer("*", `\*`, "_", `\_`, "`", "\\`", "~", `\~`, "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`).Replace(s)
}

// respond answers a slash command through its response URL, which Mattermost accepts for a
// while after the command (several times).
func (a *Adapter) respond(ctx context.Context, m desk.Outgoing) error {
	cr := model.CommandResponse{ResponseType: model.CommandResponseTypeInChannel, Text: m.Text}
	if m.Ephemeral != "" {
		cr.ResponseType = model.CommandResponseTypeEphemeral
	}
	if m.Card != nil {
		cr.Attachments = []*model.MessageAttachment{a.attachment(m.Text, m.Card, m.Ephemeral == "")}
		cr.Text = ""
	}
	body, err := json.Marshal(cr)
	if err != nil {
		return fmt.Errorf("encode command response: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.Reply, bytes.NewReader(body))
	if err != nil {
		return &desk.DeliveryError{Op: "command.response", Reason: "bad_response_url", Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := a.http.Do(req)
	if err != nil {
		return &desk.DeliveryError{Op: "command.response", Reason: "network", Temporary: true, Err: err}
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	if res.StatusCode >= 300 {
		return deliveryError("command.response", model.BuildResponse(res), fmt.Errorf("status %d", res.StatusCode))
	}
	return nil
}

// Update replaces a post's message and props (including its card). It leaves the post's files
// alone: model.PostPatch would send "file_ids": null, which the API description refuses, so
// the patch is sent with only the fields it changes.
func (a *Adapter) Update(ctx context.Context, ref desk.MessageRef, m desk.Outgoing) error {
	patch := struct {
		Message string                `json:"message"`
		Props   model.StringInterface `json:"props"`
	}{a.messageText(m), a.props(m)}
	r, err := a.client.DoAPIPutJSON(ctx, "/posts/"+url.PathEscape(ref.ID)+"/patch", patch)
	if r != nil {
		defer r.Body.Close()
		_, _ = io.Copy(io.Discard, r.Body)
	}
	return deliveryError("posts.patch", model.BuildResponse(r), err)
}

// Delete removes a post.
func (a *Adapter) Delete(ctx context.Context, ref desk.MessageRef) error {
	resp, err := a.client.DeletePost(ctx, ref.ID)
	return deliveryError("posts.delete", resp, err)
}

// Mark puts the mark's reaction on a post, as the bot.
func (a *Adapter) Mark(ctx context.Context, ref desk.MessageRef, mark desk.Mark) error {
	emoji, ok := markEmoji[mark]
	if !ok {
		return &desk.DeliveryError{Op: "reactions.save", Reason: "unknown_mark", Err: fmt.Errorf("mark %q", mark)}
	}
	_, resp, err := a.client.SaveReaction(ctx, &model.Reaction{UserId: a.botID, PostId: ref.ID, EmojiName: emoji})
	return deliveryError("reactions.save", resp, err)
}

// Unmark removes the bot's reaction of a mark; one that is not there is no error.
func (a *Adapter) Unmark(ctx context.Context, ref desk.MessageRef, mark desk.Mark) error {
	emoji, ok := markEmoji[mark]
	if !ok {
		return nil
	}
	resp, err := a.client.DeleteReaction(ctx, &model.Reaction{UserId: a.botID, PostId: ref.ID, EmojiName: emoji})
	if err := deliveryError("reactions.delete", resp, err); err != nil && !errors.Is(err, desk.ErrNotFound) {
		return err
	}
	return nil
}

// findPageSize is how many recent posts of a channel Find looks through.
const findPageSize = 200

// Find looks for a post the bot made with the delivery key: in the thread when one is given,
// else among the channel's latest posts.
func (a *Adapter) Find(ctx context.Context, channel, thread, key string) (desk.MessageRef, error) {
	var list *model.PostList
	var resp *model.Response
	var err error
	if thread != "" {
		list, resp, err = a.client.GetPostThread(ctx, thread, "", false)
		if err != nil {
			return desk.MessageRef{}, deliveryError("posts.thread", resp, err)
		}
	} else {
		list, resp, err = a.client.GetPostsForChannel(ctx, channel, 0, findPageSize, "", false, false)
		if err != nil {
			return desk.MessageRef{}, deliveryError("channels.posts", resp, err)
		}
	}
	for _, id := range list.Order {
		p := list.Posts[id]
		if p == nil || p.UserId != a.botID || p.DeleteAt != 0 {
			continue
		}
		if k, _ := p.GetProp(PropKey).(string); k == key && key != "" {
			return desk.MessageRef{Channel: p.ChannelId, ID: p.Id}, nil
		}
	}
	return desk.MessageRef{}, fmt.Errorf("find post with key in %s: %w", channel, desk.ErrNotFound)
}

// OpenDM returns the direct channel between the bot and a user, creating it if need be.
func (a *Adapter) OpenDM(ctx context.Context, userID string) (string, error) {
	ch, resp, err := a.client.CreateDirectChannel(ctx, a.botID, userID)
	if err != nil {
		return "", deliveryError("channels.direct", resp, err)
	}
	a.rememberChannel(ch.Id, ch.Type)
	return ch.Id, nil
}

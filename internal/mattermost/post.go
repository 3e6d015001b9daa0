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
	"strconv"
	"strings"
	"unicode"

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

// maxUpload caps what Upload reads into memory (Client4 uploads from a byte slice).
const maxUpload = 100 << 20

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

// messageText is the post's message: the text, after the author's name when the post speaks
// for someone, or nothing for a card (its text is in the attachment).
func (a *Adapter) messageText(m desk.Outgoing) string {
	if m.Card != nil {
		return ""
	}
	if m.As == nil || a.cfg.SkipNamePrefix {
		return m.Text
	}
	return "**" + prefixName(m.As.Label()) + ":** " + m.Text
}

// prefixName is a name escaped for the "**Name:** " prefix and cut, once escaped, to fit the
// room Limits keeps for the prefix, so that the post never exceeds Mattermost's limit.
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
		props[model.PostPropsOverrideUsername] = m.As.Label()
		if m.As.AvatarURL != "" {
			props[model.PostPropsOverrideIconURL] = m.As.AvatarURL
		}
		props[model.PostPropsFromWebhook] = "true"
	}
	if m.Card != nil {
		props[model.PostPropsAttachments] = []*model.MessageAttachment{a.attachment(m.Text, m.Card)}
	}
	return props
}

// attachment renders a card as a message attachment with fields and buttons. Each button's
// context is signed so ActionHandler can tell real clicks from forged requests.
func (a *Adapter) attachment(fallback string, c *desk.Card) *model.MessageAttachment {
	att := &model.MessageAttachment{
		Fallback: fallback,
		Title:    c.Title,
		Text:     c.Text,
		Footer:   c.Context,
	}
	if att.Fallback == "" {
		att.Fallback = c.Title
	}
	for _, f := range c.Fields {
		value := f.Value
		if f.URL != "" {
			value = "[" + strings.NewReplacer("[", "(", "]", ")").Replace(value) + "](" + f.URL + ")"
		}
		att.Fields = append(att.Fields, &model.MessageAttachmentField{Title: f.Label, Value: value, Short: model.SlackCompatibleBool(f.Short)})
	}
	for i, act := range c.Actions {
		att.Actions = append(att.Actions, &model.PostAction{
			Id:    actionID(act.ID, i),
			Type:  model.PostActionTypeButton,
			Name:  act.Label,
			Style: buttonStyle(act.Style),
			Integration: &model.PostActionIntegration{
				URL:     a.cfg.PublicURL + "/mattermost/actions",
				Context: signAction(a.cfg.Secret, act.ID, act.Value, ""),
			},
		})
	}
	return att
}

// actionID makes a button ID of letters and digits only: Mattermost routes clicks by it and
// mishandles other characters.
func actionID(id string, i int) string {
	var b strings.Builder
	for _, r := range id {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	return b.String() + strconv.Itoa(i)
}

func buttonStyle(s string) string {
	switch s {
	case "primary", "danger":
		return s
	}
	return "default"
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
		cr.Attachments = []*model.MessageAttachment{a.attachment(m.Text, m.Card)}
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

// UserInfo returns a user's handle, display name and picture, cached for a few minutes.
func (a *Adapter) UserInfo(ctx context.Context, userID string) (desk.User, error) {
	a.mu.Lock()
	c, ok := a.users[userID]
	a.mu.Unlock()
	if ok && a.clock.Now().Sub(c.at) < userTTL {
		return c.user, nil
	}
	u, resp, err := a.client.GetUser(ctx, userID, "")
	if err != nil {
		return desk.User{}, deliveryError("users.get", resp, err)
	}
	du := a.deskUser(u)
	a.mu.Lock()
	a.users[userID] = cachedUser{user: du, at: a.clock.Now()}
	a.mu.Unlock()
	return du, nil
}

func (a *Adapter) deskUser(u *model.User) desk.User {
	display := u.Nickname
	if display == "" {
		display = strings.TrimSpace(u.FirstName + " " + u.LastName)
	}
	if display == "" {
		display = u.Username
	}
	return desk.User{
		ID:          u.Id,
		Name:        u.Username,
		DisplayName: display,
		AvatarURL:   a.cfg.URL + "/api/v4/users/" + u.Id + "/image",
		// Mattermost has no profile page; this opens a conversation with the person.
		ProfileURL: a.cfg.URL + "/" + a.cfg.Team + "/messages/@" + u.Username,
		IsBot:      u.IsBot,
	}
}

// FindUser resolves what someone typed to name a person, "@jane" or "jane" (or a user ID),
// to that user.
func (a *Adapter) FindUser(ctx context.Context, handle string) (desk.User, error) {
	name := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(handle), "@"))
	if name == "" {
		return desk.User{}, fmt.Errorf("find user %q: %w", handle, desk.ErrNotFound)
	}
	if idPattern.MatchString(name) {
		if u, err := a.UserInfo(ctx, name); err == nil {
			return u, nil
		}
	}
	u, resp, err := a.client.GetUserByUsername(ctx, name, "")
	if err != nil {
		return desk.User{}, deliveryError("users.username", resp, err)
	}
	return a.deskUser(u), nil
}

// InTriage reports whether a user is a member of the triage channel.
func (a *Adapter) InTriage(ctx context.Context, userID string) (bool, error) {
	_, resp, err := a.client.GetChannelMember(ctx, a.triageID, userID, "")
	switch {
	case err == nil:
		return true, nil
	case resp != nil && resp.StatusCode == http.StatusNotFound:
		return false, nil
	}
	return false, deliveryError("channels.members", resp, err)
}

// Dialog limits Mattermost enforces.
const (
	dialogTitleMax    = 24
	elementNameMax    = 24
	helpTextMax       = 150
	textMaxLength     = 150
	textareaMaxLength = 3000
)

// OpenForm opens an interactive dialog for the user whose click gave trigger. The dialog's
// state carries the form ID and context, signed, to DialogHandler.
func (a *Adapter) OpenForm(ctx context.Context, trigger string, f desk.Form) error {
	state, err := signState(a.cfg.Secret, dialogState{Form: f.ID, Context: f.Context, Post: a.clickedPost(trigger)})
	if err != nil {
		return fmt.Errorf("sign dialog state: %w", err)
	}
	d := model.Dialog{
		CallbackId:  f.ID,
		Title:       truncate(f.Title, dialogTitleMax),
		SubmitLabel: f.Submit,
		State:       state,
	}
	for _, ff := range f.Fields {
		el := model.DialogElement{
			DisplayName: truncate(ff.Label, elementNameMax),
			Name:        ff.ID,
			Default:     ff.Value,
			Optional:    ff.Optional,
			HelpText:    truncate(ff.Hint, helpTextMax),
		}
		switch ff.Kind {
		case "textarea":
			el.Type, el.MaxLength = "textarea", textareaMaxLength
		case "user":
			el.Type, el.DataSource = "select", "users"
		case "select", "multiselect":
			el.Type = "select"
			el.MultiSelect = ff.Kind == "multiselect"
			for _, o := range ff.Options {
				el.Options = append(el.Options, &model.PostActionOptions{Text: o, Value: o})
			}
		default:
			el.Type, el.MaxLength = "text", textMaxLength
		}
		d.Elements = append(d.Elements, el)
	}
	resp, err := a.client.OpenInteractiveDialog(ctx, model.OpenDialogRequest{
		TriggerId: trigger,
		URL:       a.cfg.PublicURL + "/mattermost/dialogs",
		Dialog:    d,
	})
	return deliveryError("actions.dialogs.open", resp, err)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Upload puts a file into m.Channel and posts it (under m.Thread, with m.Text).
func (a *Adapter) Upload(ctx context.Context, m desk.Outgoing, f desk.File, content io.Reader) (desk.MessageRef, error) {
	data, err := io.ReadAll(io.LimitReader(content, maxUpload+1))
	if err != nil {
		return desk.MessageRef{}, fmt.Errorf("read file %s for upload: %w", f.ID, err)
	}
	if len(data) > maxUpload {
		return desk.MessageRef{}, &desk.DeliveryError{Op: "files.upload", Kind: desk.FailTooLarge, Reason: "file_too_large", Err: desk.Errorf(desk.ETOOLARGE, "file larger than %d bytes", maxUpload)}
	}
	name := f.Name
	if name == "" {
		name = "file"
	}
	up, resp, err := a.client.UploadFile(ctx, data, m.Channel, name)
	if err != nil {
		return desk.MessageRef{}, deliveryError("files.upload", resp, err)
	}
	if len(up.FileInfos) == 0 {
		return desk.MessageRef{}, &desk.DeliveryError{Op: "files.upload", Reason: "no_file_info", Temporary: true, Err: errors.New("upload answered without file info")}
	}
	p := a.buildPost(desk.Outgoing{Channel: m.Channel, Thread: m.Thread, Text: m.Text, As: m.As, Key: m.Key})
	p.FileIds = model.StringArray{up.FileInfos[0].Id}
	created, resp, err := a.client.CreatePost(ctx, p)
	if err != nil {
		return desk.MessageRef{}, deliveryError("posts.create", resp, err)
	}
	return desk.MessageRef{Channel: created.ChannelId, ID: created.Id}, nil
}

// Download fetches a shared file's bytes.
func (a *Adapter) Download(ctx context.Context, f desk.File) (io.ReadCloser, error) {
	data, resp, err := a.client.GetFile(ctx, f.ID)
	if err != nil {
		return nil, deliveryError("files.get", resp, err)
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

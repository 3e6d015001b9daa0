package mattermosttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// The calls below are the server's side of integrations: what Mattermost sends to the app
// when a person clicks a button, submits a dialog or runs a slash command.

// ClickResult is what came of a click: the app's HTTP status and its answer.
type ClickResult struct {
	Status   int
	Response model.PostActionIntegrationResponse
	Trigger  string // the trigger ID sent with the click
}

// Click presses a button of a post's attachment as user, the way Mattermost does: it POSTs a
// PostActionIntegrationRequest with the button's stored context to the button's integration
// URL, with a fresh trigger ID, and applies the answer (an update of the post, an ephemeral
// text). Like the server, it refuses a user who cannot read the post's channel.
func (f *Server) Click(ctx context.Context, userID, postID, actionID string) (ClickResult, error) {
	f.Mu.Lock()
	post, ok := f.Posts[postID]
	if !ok || post.DeleteAt != 0 {
		f.Mu.Unlock()
		return ClickResult{}, fmt.Errorf("click: no post %s", postID)
	}
	if !f.Members[post.ChannelId][userID] {
		f.Mu.Unlock()
		return ClickResult{}, fmt.Errorf("click: user %s is not in the post's channel", userID)
	}
	var action *model.PostAction
	for _, att := range post.Attachments() {
		for _, a := range att.Actions {
			if a.Id == actionID {
				action = a
			}
		}
	}
	if action == nil || action.Integration == nil {
		f.Mu.Unlock()
		return ClickResult{}, fmt.Errorf("click: post %s has no button %q", postID, actionID)
	}
	ch := f.Channels[post.ChannelId]
	req := model.PostActionIntegrationRequest{
		UserId:      userID,
		UserName:    f.Users[userID].Username,
		ChannelId:   ch.Id,
		ChannelName: ch.Name,
		TeamId:      ch.TeamId,
		PostId:      post.Id,
		TriggerId:   f.newTriggerLocked(userID, ch.Id),
		Type:        model.PostActionTypeButton,
		Context:     action.Integration.Context,
	}
	if t := f.Teams[ch.TeamId]; t != nil {
		req.TeamName = t.Name
	}
	target := action.Integration.URL
	f.Mu.Unlock()

	res := ClickResult{Trigger: req.TriggerId}
	status, body, err := f.callApp(ctx, target, "application/json", nil, jsonBody(req))
	res.Status = status
	if err != nil || status != http.StatusOK {
		return res, err
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &res.Response); err != nil {
			return res, fmt.Errorf("click: the app answered %q: %w", body, err)
		}
	}
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if u := res.Response.Update; u != nil {
		if p := f.Posts[postID]; p != nil {
			p.Message = u.Message
			if u.GetProps() != nil {
				p.SetProps(u.GetProps())
			}
			p.EditAt = f.NowLocked()
			p.UpdateAt = p.EditAt
			f.BroadcastLocked(model.WebsocketEventPostEdited, p)
		}
	}
	if res.Response.EphemeralText != "" {
		f.Ephemerals = append(f.Ephemerals, Ephemeral{UserID: userID, ChannelID: req.ChannelId, Message: res.Response.EphemeralText})
	}
	return res, nil
}

// newTriggerLocked gives out a trigger ID for a user's click or command in a channel.
func (f *Server) newTriggerLocked(userID, channelID string) string {
	id := newID() + ":" + userID
	f.triggers[id] = trigger{user: userID, channel: channelID, at: time.Now()}
	return id
}

// SubmitDialog submits a dialog the app opened as user, the way Mattermost does: it POSTs a
// SubmitDialogRequest with the dialog's callback ID and state and the submission to the
// dialog's URL. It returns the app's status and answer body (errors per field, if any).
func (f *Server) SubmitDialog(ctx context.Context, userID string, d model.OpenDialogRequest, submission map[string]any) (int, []byte, error) {
	f.Mu.Lock()
	tr, issued := f.triggers[d.TriggerId]
	if issued && tr.user != userID {
		f.Mu.Unlock()
		return 0, nil, fmt.Errorf("submit dialog: it was opened for %s, not %s", tr.user, userID)
	}
	req := model.SubmitDialogRequest{
		Type:       "dialog_submission",
		URL:        d.URL,
		CallbackId: d.Dialog.CallbackId,
		State:      d.Dialog.State,
		UserId:     userID,
		ChannelId:  tr.channel,
		Submission: submission,
	}
	if ch := f.Channels[tr.channel]; ch != nil {
		req.TeamId = ch.TeamId
	}
	f.Mu.Unlock()
	return f.callApp(ctx, d.URL, "application/json", nil, jsonBody(req))
}

// Command is a slash command as a person types it.
type Command struct {
	URL     string // the command's request URL (the app's /mattermost/command)
	Token   string // the command's token, as Mattermost sends it
	Trigger string // the command word, e.g. "/desk"
	UserID  string
	Channel string
	Text    string // the arguments
}

// RunCommand runs a slash command the way Mattermost does: a form POST to the command's URL
// with "Authorization: Token …", the command's fields and a response URL on this server
// (what the app posts there is in CommandResponses). It returns the app's status and its
// immediate answer.
func (f *Server) RunCommand(ctx context.Context, c Command) (int, model.CommandResponse, error) {
	f.Mu.Lock()
	ch := f.Channels[c.Channel]
	user := f.Users[c.UserID]
	if ch == nil || user == nil {
		f.Mu.Unlock()
		return 0, model.CommandResponse{}, fmt.Errorf("run command: unknown channel %s or user %s", c.Channel, c.UserID)
	}
	form := url.Values{
		"channel_id":   {ch.Id},
		"channel_name": {ch.Name},
		"team_id":      {ch.TeamId},
		"user_id":      {user.Id},
		"user_name":    {user.Username},
		"command":      {c.Trigger},
		"text":         {c.Text},
		"token":        {c.Token},
		"response_url": {f.URL + "/hooks/commands/" + newID()},
		"trigger_id":   {f.newTriggerLocked(user.Id, ch.Id)},
	}
	if t := f.Teams[ch.TeamId]; t != nil {
		form.Set("team_domain", t.Name)
	}
	f.Mu.Unlock()
	header := http.Header{"Authorization": {"Token " + c.Token}}
	status, body, err := f.callApp(ctx, c.URL, "application/x-www-form-urlencoded", header, []byte(form.Encode()))
	var cr model.CommandResponse
	if err == nil && status == http.StatusOK && len(bytes.TrimSpace(body)) > 0 {
		if jerr := json.Unmarshal(body, &cr); jerr != nil {
			cr.Text = string(body) // Mattermost shows a plain-text answer as is
		}
	}
	return status, cr, err
}

func jsonBody(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// callApp POSTs a body to the app and returns its status and answer.
func (f *Server) callApp(ctx context.Context, target, contentType string, header http.Header, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("call the app at %s: %w", target, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Mattermost-Bot/1.1")
	res, err := f.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("call the app at %s: %w", target, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return res.StatusCode, nil, fmt.Errorf("read the app's answer from %s: %w", target, err)
	}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && res.StatusCode == http.StatusOK && len(bytes.TrimSpace(out)) > 0 && contentType == "application/json" {
		return res.StatusCode, out, fmt.Errorf("the app answered %s with Content-Type %q, not JSON", target, res.Header.Get("Content-Type"))
	}
	return res.StatusCode, out, nil
}

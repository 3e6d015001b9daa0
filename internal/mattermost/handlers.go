package mattermost

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/web"
)

// Body limits of the callbacks: a command is a short form, an action or dialog a small JSON.
const (
	maxCommandBody = 64 << 10
	maxActionBody  = 1 << 20
)

// CommandHandler serves POST /mattermost/command, the slash command. Mattermost sends the
// command's token as "Authorization: Token …" (and in the form); a request without one of the
// configured tokens gets 401 and changes nothing. The command is recorded as a CommandRun
// event whose Reply is the response URL the core answers through. Errors are answered as
// every handler's are (see answerError).
func (a *Adapter) CommandHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !postOnly(w, r) {
			return
		}
		if err := parseCommandForm(w, r); err != nil {
			a.answerError(w, r, "read command", malformed(err, "the command request is not a form"))
			return
		}
		token := ""
		if scheme, t, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Token") {
			token = strings.TrimSpace(t)
		} else {
			token = r.PostForm.Get("token")
		}
		if !a.commandTokenOK(token) {
			a.answerError(w, r, "check command token", desk.Errorf(desk.EUNAUTHORIZED, "invalid command token"))
			return
		}
		f := r.PostForm
		if f.Get("user_id") == "" || f.Get("channel_id") == "" {
			a.answerError(w, r, "read command", desk.Errorf(desk.EINVALID, "command without user_id or channel_id"))
			return
		}
		ev := desk.Event{
			ID:       "cmd:" + eventKey(f.Get("trigger_id")),
			Platform: PlatformName,
			Kind:     desk.CommandRun,
			At:       a.clock.Now(),
			User:     desk.User{ID: f.Get("user_id"), Name: f.Get("user_name")},
			Channel:  f.Get("channel_id"),
			Text:     strings.TrimSpace(f.Get("text")),
			Action:   commandName(f.Get("command")),
			Trigger:  f.Get("trigger_id"),
			Reply:    f.Get("response_url"),
		}
		if err := a.in.Ingest(r.Context(), ev); err != nil {
			a.answerError(w, r, "record command", err, "event", ev.ID)
			return
		}
		if a.cfg.CommandAck == "" {
			w.WriteHeader(http.StatusOK)
			return
		}
		web.WriteJSON(w, http.StatusOK, model.CommandResponse{ResponseType: model.CommandResponseTypeEphemeral, Text: a.cfg.CommandAck})
	})
}

// parseCommandForm reads the command's form into r.PostForm. The body is read whole, within
// maxCommandBody, before it is parsed, whatever its Content-Type says: a body over the limit is
// answered 413 as such, not taken for a form without fields (400).
func parseCommandForm(w http.ResponseWriter, r *http.Request) error {
	body, err := web.ReadBody(w, r, maxCommandBody)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		return r.ParseMultipartForm(maxCommandBody)
	}
	return r.ParseForm()
}

// commandTokenOK compares token with every configured token in constant time.
func (a *Adapter) commandTokenOK(token string) bool {
	ok := 0
	for _, t := range a.cfg.CommandTokens {
		ok |= subtle.ConstantTimeCompare([]byte(token), []byte(t))
	}
	return token != "" && ok == 1
}

// ActionHandler serves POST /mattermost/actions, the buttons on cards. Mattermost does not
// sign these requests, so the button's context carries the app's own signature; a click whose
// context is missing or altered gets 403 and changes nothing.
func (a *Adapter) ActionHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req model.PostActionIntegrationRequest
		if !a.decodeJSON(w, r, "read action", &req) {
			return
		}
		action, value, ticket, root, err := verifyAction(a.cfg.Secret, req.Context)
		if err != nil {
			a.answerError(w, r, "check action signature", desk.Errorf(desk.EFORBIDDEN, "invalid action context"), "user", req.UserId, "post", req.PostId)
			return
		}
		ev := desk.Event{
			ID:       "act:" + eventKey(req.TriggerId),
			Platform: PlatformName,
			Kind:     desk.ActionPressed,
			At:       a.clock.Now(),
			User:     desk.User{ID: req.UserId, Name: req.UserName},
			Channel:  req.ChannelId,
			Message:  req.PostId,
			Action:   action,
			Value:    value,
			Trigger:  req.TriggerId,
		}
		if req.ChannelId == a.triageID && req.PostId != "" && root != "0" {
			// Buttons on posts in the triage channel that root a thread are on ticket cards:
			// an answer to the click (a refusal) belongs in that thread. One on an ephemeral
			// answer or a reply is answered in the channel: its post roots no thread (an
			// ephemeral post is not even stored), and Mattermost refuses a reply to it.
			// Buttons signed before posts said whether they root a thread were on cards.
			ev.Thread = req.PostId
		}
		if n, err := strconv.ParseInt(strings.TrimPrefix(ticket, "#"), 10, 64); err == nil {
			ev.Ticket = desk.TicketID(n)
		}
		a.rememberClick(req.TriggerId, req.PostId)
		if err := a.in.Ingest(r.Context(), ev); err != nil {
			a.answerError(w, r, "record action", err, "event", ev.ID)
			return
		}
		web.WriteJSON(w, http.StatusOK, model.PostActionIntegrationResponse{})
	})
}

// DialogHandler serves POST /mattermost/dialogs, interactive dialog submissions. The dialog's
// state, signed by OpenForm, must verify; a cancelled dialog is acknowledged and nothing else.
func (a *Adapter) DialogHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req model.SubmitDialogRequest
		if !a.decodeJSON(w, r, "read dialog", &req) {
			return
		}
		st, err := verifyState(a.cfg.Secret, req.State)
		if err != nil {
			a.answerError(w, r, "check dialog state", desk.Errorf(desk.EFORBIDDEN, "invalid dialog state"), "user", req.UserId)
			return
		}
		if req.Cancelled {
			a.in.Discard(PlatformName, desk.DropFormCancelled)
			web.WriteJSON(w, http.StatusOK, struct{}{})
			return
		}
		form := make(map[string]string, len(req.Submission))
		for k, v := range req.Submission {
			form[k] = formValue(v)
		}
		thread := ""
		if req.ChannelId == a.triageID {
			thread = st.Post // the card whose button opened the dialog
		}
		ev := desk.Event{
			Thread: thread,
			// The state is unique per opened dialog, so a double submission is one event.
			ID:       "form:" + shortHash(req.State, req.UserId),
			Platform: PlatformName,
			Kind:     desk.FormSubmitted,
			At:       a.clock.Now(),
			User:     desk.User{ID: req.UserId},
			Channel:  req.ChannelId,
			Action:   st.Form,
			Value:    st.Context,
			Form:     form,
		}
		if err := a.in.Ingest(r.Context(), ev); err != nil {
			if fe, ok := errors.AsType[*desk.FormError](err); ok {
				// Refused for what was entered: the dialog stays open, showing why per field,
				// in the answer Mattermost reads for that.
				web.WriteJSON(w, http.StatusOK, model.SubmitDialogResponse{Errors: fe.Fields})
				return
			}
			a.answerError(w, r, "record dialog", err, "event", ev.ID)
			return
		}
		web.WriteJSON(w, http.StatusOK, struct{}{})
	})
}

// clickTTL is how long a click's post is remembered for the form it may open; Mattermost's
// trigger IDs live 3 seconds.
const clickTTL = time.Minute

// rememberClick notes the post a click's trigger came from, for OpenForm.
func (a *Adapter) rememberClick(trigger, post string) {
	if trigger == "" || post == "" {
		return
	}
	now := a.clock.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, c := range a.clicks {
		if now.Sub(c.at) > clickTTL {
			delete(a.clicks, k)
		}
	}
	a.clicks[trigger] = click{post: post, at: now}
}

// clickedPost returns the post a trigger's click came from, if known.
func (a *Adapter) clickedPost(trigger string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.clicks[trigger].post
}

// formValue renders a dialog value as text: several values (a multiselect) comma-separated.
func formValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		parts := make([]string, 0, len(v))
		for _, x := range v {
			parts = append(parts, formValue(x))
		}
		return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), ",")
	}
	return fmt.Sprint(v)
}

// eventKey derives an event ID from a trigger ID, which Mattermost makes anew for every click
// and command; without one, every request is its own event.
func eventKey(trigger string) string {
	if trigger == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		return "r" + hex.EncodeToString(b)
	}
	return shortHash(trigger)
}

// decodeJSON reads a callback's JSON body into v, or answers the request (405, 413 or 400)
// and reports false. op names the step for the log.
func (a *Adapter) decodeJSON(w http.ResponseWriter, r *http.Request, op string, v any) bool {
	if !postOnly(w, r) {
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxActionBody)
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		a.answerError(w, r, op, malformed(err, "the request body is not the expected JSON object"))
		return false
	}
	return true
}

// postOnly answers a request of another method than POST with 405 and reports false. No desk
// error code stands for a wrong method, so the answer has the shape of web.Error's, written
// directly.
func postOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodPost {
		return true
	}
	w.Header().Set("Allow", http.MethodPost)
	web.WriteJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
	return false
}

// malformed is the error for a request body that could not be read as what was expected: the
// body's own error when it did not arrive within its route's bounds (413 for the size limit,
// 408 for the time, 503 when the server has no room for it: web.Status), and otherwise an
// EINVALID with msg (400).
func malformed(err error, msg string) error {
	if web.BodyError(err) {
		return err // 413, 408 or 503 (web.Status)
	}
	return desk.Errorf(desk.EINVALID, "%s", msg)
}

// answerError answers a request that failed, through the one table from desk error codes to
// HTTP statuses (web.Status, web.Error): 400 for a malformed request, 401 for a bad command
// token, 403 for a bad signature, 413 for a body over the limit, 503 when the store cannot
// record, 500 for anything else. What an outage or an internal failure says may name Redis or
// other internals, so those answers carry a fixed text; the full error goes to the log only,
// with op (the step that failed) and attrs.
func (a *Adapter) answerError(w http.ResponseWriter, r *http.Request, op string, err error, attrs ...any) {
	status := web.Status(err)
	answer, log := err, a.log.Warn
	switch status {
	case http.StatusServiceUnavailable:
		answer, log = desk.Errorf(desk.EUNAVAILABLE, "the desk cannot record this now; try again in a moment"), a.log.Error
	case http.StatusInternalServerError:
		answer, log = desk.Errorf(desk.EINTERNAL, "internal error"), a.log.Error
	}
	log("mattermost callback refused", append([]any{"op", op, "path", r.URL.Path, "status", status, "remote", r.RemoteAddr, "err", err}, attrs...)...)
	web.Error(w, answer)
}

// commandName is the slash command as typed ("/desk"); Mattermost sends it with or without
// the slash depending on the version.
func commandName(c string) string {
	if c == "" || strings.HasPrefix(c, "/") {
		return c
	}
	return "/" + c
}

package mattermost

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
)

// Body limits of the callbacks: a command is a short form, an action or dialog a small JSON.
const (
	maxCommandBody = 64 << 10
	maxActionBody  = 1 << 20
)

// CommandHandler serves POST /mattermost/command, the slash command. Mattermost sends the
// command's token as "Authorization: Token …" (and in the form); a request without one of the
// configured tokens gets 401 and changes nothing. The command is recorded as a CommandRun
// event whose Reply is the response URL the core answers through.
func (a *Adapter) CommandHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxCommandBody)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "malformed command form", http.StatusBadRequest)
			return
		}
		token := ""
		if scheme, t, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Token") {
			token = strings.TrimSpace(t)
		} else {
			token = r.PostForm.Get("token")
		}
		if !a.commandTokenOK(token) {
			a.log.Warn("mattermost command with a bad token", "remote", r.RemoteAddr)
			http.Error(w, "invalid command token", http.StatusUnauthorized)
			return
		}
		f := r.PostForm
		if f.Get("user_id") == "" || f.Get("channel_id") == "" {
			http.Error(w, "command without user_id or channel_id", http.StatusBadRequest)
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
			a.log.Error("ingest mattermost command", "event", ev.ID, "err", err)
			http.Error(w, "could not record the command", http.StatusInternalServerError)
			return
		}
		if a.cfg.CommandAck == "" {
			w.WriteHeader(http.StatusOK)
			return
		}
		writeJSON(w, model.CommandResponse{ResponseType: model.CommandResponseTypeEphemeral, Text: a.cfg.CommandAck})
	})
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
		if !decodeJSON(w, r, &req) {
			return
		}
		action, value, ticket, err := verifyAction(a.cfg.Secret, req.Context)
		if err != nil {
			a.log.Warn("mattermost action with a bad signature", "user", req.UserId, "post", req.PostId)
			http.Error(w, "invalid action context", http.StatusForbidden)
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
		if req.ChannelId == a.triageID && req.PostId != "" {
			// Buttons in the triage channel are on ticket cards, the roots of their threads:
			// an answer to the click (a refusal) belongs in that thread.
			ev.Thread = req.PostId
		}
		if n, err := strconv.ParseInt(strings.TrimPrefix(ticket, "#"), 10, 64); err == nil {
			ev.Ticket = desk.TicketID(n)
		}
		a.rememberClick(req.TriggerId, req.PostId)
		if err := a.in.Ingest(r.Context(), ev); err != nil {
			a.log.Error("ingest mattermost action", "event", ev.ID, "err", err)
			http.Error(w, "could not record the action", http.StatusInternalServerError)
			return
		}
		writeJSON(w, model.PostActionIntegrationResponse{})
	})
}

// DialogHandler serves POST /mattermost/dialogs, interactive dialog submissions. The dialog's
// state, signed by OpenForm, must verify; a cancelled dialog is acknowledged and nothing else.
func (a *Adapter) DialogHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req model.SubmitDialogRequest
		if !decodeJSON(w, r, &req) {
			return
		}
		st, err := verifyState(a.cfg.Secret, req.State)
		if err != nil {
			a.log.Warn("mattermost dialog with a bad state", "user", req.UserId)
			http.Error(w, "invalid dialog state", http.StatusForbidden)
			return
		}
		if req.Cancelled {
			a.in.Discard(PlatformName, desk.DropFormCancelled)
			writeJSON(w, struct{}{})
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
			var fe *desk.FormError
			if errors.As(err, &fe) {
				// Refused for what was entered: the dialog stays open, showing why per field.
				writeJSON(w, model.SubmitDialogResponse{Errors: fe.Fields})
				return
			}
			a.log.Error("ingest mattermost dialog", "event", ev.ID, "err", err)
			http.Error(w, "could not record the form", http.StatusInternalServerError)
			return
		}
		writeJSON(w, struct{}{})
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

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxActionBody)
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return false
		}
		http.Error(w, "malformed JSON body", http.StatusBadRequest)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// commandName is the slash command as typed ("/desk"); Mattermost sends it with or without
// the slash depending on the version.
func commandName(c string) string {
	if c == "" || strings.HasPrefix(c, "/") {
		return c
	}
	return "/" + c
}

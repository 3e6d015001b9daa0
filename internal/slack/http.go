package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/threadesk/threadesk/internal/desk"
)

// maxBody is the most a request from Slack may carry. Event and interaction payloads are a few
// kilobytes; a message with many blocks or files stays well under this.
const maxBody = 1 << 20

// EventsHandler serves POST /slack/events: the Events API's url_verification handshake and
// event callbacks. It answers 200 only once the event is recorded (or deliberately dropped), so
// that Slack retries anything that was not; a retry (X-Slack-Retry-Num) carries the same
// event_id, which the core deduplicates.
func (a *Adapter) EventsHandler() http.Handler {
	return a.verified(func(w http.ResponseWriter, r *http.Request, body []byte) {
		// The envelope is decoded once, its inner event kept raw and decoded once more into
		// the message event below: every message Slack sends takes this path.
		var outer struct {
			Type      string          `json:"type"`
			Challenge string          `json:"challenge"`
			EventID   string          `json:"event_id"`
			Event     json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal(body, &outer); err != nil {
			http.Error(w, "slack events: body is not a JSON event envelope", http.StatusBadRequest)
			return
		}
		log := func() *slog.Logger {
			return a.log.With("event", outer.EventID, "retry", r.Header.Get("X-Slack-Retry-Num"))
		}
		switch outer.Type {
		case slackevents.URLVerification:
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]string{"challenge": outer.Challenge})
			return
		case slackevents.AppRateLimited:
			log().WarnContext(r.Context(), "slack rate-limited event delivery to the app; some events were not sent")
			w.WriteHeader(http.StatusOK)
			return
		case slackevents.CallbackEvent:
		default:
			http.Error(w, "slack events: unknown envelope type "+strconv.Quote(outer.Type), http.StatusBadRequest)
			return
		}
		if outer.EventID == "" {
			http.Error(w, "slack events: event_callback without event_id", http.StatusBadRequest)
			return
		}
		var inner struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(outer.Event, &inner); err != nil {
			http.Error(w, "slack events: event_callback without an event", http.StatusBadRequest)
			return
		}
		var in inbound
		if inner.Type != "message" {
			// No other inner event type is ours.
			in = discard(desk.DropUnsupported)
		} else {
			var m slackevents.MessageEvent
			if err := json.Unmarshal(outer.Event, &m); err != nil {
				log().WarnContext(r.Context(), "slack event not understood", "err", err)
				http.Error(w, "slack events: malformed message event", http.StatusBadRequest)
				return
			}
			in = a.fromMessage(outer.EventID, &m)
		}
		if err := a.deliver(r.Context(), in); err != nil {
			http.Error(w, "slack events: event not recorded, retry later", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// InteractivityHandler serves POST /slack/interactivity: button clicks (block_actions) and
// modal submissions. A submission is answered with an empty 200, which closes the modal.
func (a *Adapter) InteractivityHandler() http.Handler {
	return a.verified(func(w http.ResponseWriter, r *http.Request, body []byte) {
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("payload") == "" {
			http.Error(w, "slack interactivity: expected a form with a payload field", http.StatusBadRequest)
			return
		}
		payload := []byte(form.Get("payload"))
		var cb slackgo.InteractionCallback
		if err := json.Unmarshal(payload, &cb); err != nil {
			http.Error(w, "slack interactivity: payload is not an interaction JSON object", http.StatusBadRequest)
			return
		}
		if cb.Type == "" {
			http.Error(w, "slack interactivity: payload has no type", http.StatusBadRequest)
			return
		}
		if err := a.deliver(r.Context(), a.fromInteraction(cb, payload)); err != nil {
			if fe, ok := errors.AsType[*desk.FormError](err); ok {
				// Refused for what was entered: the modal stays open, showing why per field.
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(formErrors(fe))
				return
			}
			http.Error(w, "slack interactivity: not recorded, try again", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// formErrors is the answer to a view_submission that keeps the modal open and shows, under
// each input block (whose block_id is the field's ID), what is wrong with it.
func formErrors(fe *desk.FormError) map[string]any {
	return map[string]any{"response_action": "errors", "errors": fe.Fields}
}

// CommandsHandler serves POST /slack/commands. It answers with an empty 200 as soon as the
// command is recorded; the core answers through the command's response_url.
func (a *Adapter) CommandsHandler() http.Handler {
	return a.verified(func(w http.ResponseWriter, r *http.Request, body []byte) {
		r.Body = io.NopCloser(bytes.NewReader(body))
		cmd, err := slackgo.SlashCommandParse(r)
		if err == nil && r.PostForm.Get("ssl_check") == "1" {
			// Slack checks the endpoint's certificate now and then; nothing to record.
			w.WriteHeader(http.StatusOK)
			return
		}
		if err != nil || cmd.Command == "" || cmd.UserID == "" {
			http.Error(w, "slack commands: expected a slash command form (command, user_id, …)", http.StatusBadRequest)
			return
		}
		if err := a.deliver(r.Context(), a.fromCommand(cmd, body)); err != nil {
			http.Error(w, "slack commands: not recorded, try again", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// verified wraps a handler with what every Slack request needs: POST only, a bounded body, and
// a valid v0 signature over "v0:timestamp:body" with a timestamp less than five minutes off.
// A request that fails the check gets 401 and reaches nothing.
func (a *Adapter) verified(next func(http.ResponseWriter, *http.Request, []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		case err != nil:
			http.Error(w, "could not read request body", http.StatusBadRequest)
			return
		}
		sv, err := slackgo.NewSecretsVerifier(r.Header, a.cfg.SigningSecret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			a.log.WarnContext(r.Context(), "slack request rejected", "path", r.URL.Path, "err", err)
			http.Error(w, "invalid Slack signature", http.StatusUnauthorized)
			return
		}
		next(w, r, body)
	})
}

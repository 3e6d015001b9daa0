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
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/web"
)

// maxBody is the most a request from Slack may carry. Event and interaction payloads are a few
// kilobytes; a message with many blocks or files stays well under this.
const maxBody = 1 << 20

// EventsHandler serves POST /slack/events: the Events API's url_verification handshake and
// event callbacks. It answers 200 only once the event is recorded (or deliberately dropped), so
// that Slack retries anything that was not; a retry (X-Slack-Retry-Num) carries the same
// event_id, which the core deduplicates. An event refused for what it is (malformed, too large)
// is answered with its 4xx and X-Slack-No-Retry, so that Slack does not send it again in vain.
func (a *Adapter) EventsHandler() http.Handler {
	return a.verified(func(w http.ResponseWriter, r *http.Request, body []byte) error {
		// The envelope is decoded once, its inner event kept raw and decoded once more into
		// the message event below: every message Slack sends takes this path.
		var outer struct {
			Type      string          `json:"type"`
			Challenge string          `json:"challenge"`
			EventID   string          `json:"event_id"`
			Event     json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal(body, &outer); err != nil {
			return desk.Errorf(desk.EINVALID, "slack events: body is not a JSON event envelope")
		}
		log := func() *slog.Logger {
			return a.log.With("event", outer.EventID, "retry", r.Header.Get("X-Slack-Retry-Num"))
		}
		switch outer.Type {
		case slackevents.URLVerification:
			web.WriteJSON(w, http.StatusOK, map[string]string{"challenge": outer.Challenge})
			return nil
		case slackevents.AppRateLimited:
			log().WarnContext(r.Context(), "slack rate-limited event delivery to the app; some events were not sent")
			w.WriteHeader(http.StatusOK)
			return nil
		case slackevents.CallbackEvent:
		default:
			return desk.Errorf(desk.EINVALID, "slack events: unknown envelope type %s", strconv.Quote(outer.Type))
		}
		if outer.EventID == "" {
			return desk.Errorf(desk.EINVALID, "slack events: event_callback without event_id")
		}
		var inner struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(outer.Event, &inner); err != nil {
			return desk.Errorf(desk.EINVALID, "slack events: event_callback without an event")
		}
		var in inbound
		if inner.Type != "message" {
			// No other inner event type is ours.
			in = discard(desk.DropUnsupported)
		} else {
			var m slackevents.MessageEvent
			if err := json.Unmarshal(outer.Event, &m); err != nil {
				log().WarnContext(r.Context(), "slack event not understood", "err", err)
				return desk.Errorf(desk.EINVALID, "slack events: malformed message event")
			}
			in = a.fromMessage(outer.EventID, &m)
		}
		if err := a.deliver(r.Context(), in); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	})
}

// InteractivityHandler serves POST /slack/interactivity: button clicks (block_actions) and
// modal submissions. A submission is answered with an empty 200, which closes the modal.
func (a *Adapter) InteractivityHandler() http.Handler {
	return a.verified(func(w http.ResponseWriter, r *http.Request, body []byte) error {
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("payload") == "" {
			return desk.Errorf(desk.EINVALID, "slack interactivity: expected a form with a payload field")
		}
		payload := []byte(form.Get("payload"))
		var cb slackgo.InteractionCallback
		if err := json.Unmarshal(payload, &cb); err != nil {
			return desk.Errorf(desk.EINVALID, "slack interactivity: payload is not an interaction JSON object")
		}
		if cb.Type == "" {
			return desk.Errorf(desk.EINVALID, "slack interactivity: payload has no type")
		}
		if err := a.deliver(r.Context(), a.fromInteraction(cb, payload)); err != nil {
			if fe, ok := errors.AsType[*desk.FormError](err); ok {
				// Refused for what was entered: the modal stays open, showing why per field.
				// Slack reads this answer only from a 200.
				web.WriteJSON(w, http.StatusOK, formErrors(fe))
				return nil
			}
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	})
}

// formErrors is the answer to a view_submission that keeps the modal open and shows, under
// each input block (whose block_id is the field's ID), what is wrong with it. Slack shows these
// as plain text, so the core's texts lose their escaping (unquote).
func formErrors(fe *desk.FormError) map[string]any {
	errs := make(map[string]string, len(fe.Fields))
	for field, text := range fe.Fields {
		errs[field] = unquote(text)
	}
	return map[string]any{"response_action": "errors", "errors": errs}
}

// CommandsHandler serves POST /slack/commands. It answers with an empty 200 as soon as the
// command is recorded; the core answers through the command's response_url.
func (a *Adapter) CommandsHandler() http.Handler {
	return a.verified(func(w http.ResponseWriter, r *http.Request, body []byte) error {
		r.Body = io.NopCloser(bytes.NewReader(body))
		cmd, err := slackgo.SlashCommandParse(r)
		if err == nil && r.PostForm.Get("ssl_check") == "1" {
			// Slack checks the endpoint's certificate now and then; nothing to record.
			w.WriteHeader(http.StatusOK)
			return nil
		}
		if err != nil || cmd.Command == "" || cmd.UserID == "" {
			return desk.Errorf(desk.EINVALID, "slack commands: expected a slash command form (command, user_id, …)")
		}
		if err := a.deliver(r.Context(), a.fromCommand(cmd, body)); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	})
}

// verified wraps a handler with what every Slack request needs: POST only, a bounded body, and
// a valid v0 signature over "v0:timestamp:body" with a timestamp less than five minutes off.
// A request that fails the check gets 401 and reaches nothing. Every error, the check's and the
// handler's, is answered through the one table of statuses (web.Error).
func (a *Adapter) verified(next func(http.ResponseWriter, *http.Request, []byte) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := a.verify(w, r, next); err != nil {
			a.answerError(w, err)
		}
	})
}

func (a *Adapter) verify(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request, []byte) error) error {
	if r.Method != http.MethodPost {
		return &web.MethodError{Allow: http.MethodPost}
	}
	// What can be checked without the body is checked before reading it: a request that
	// cannot be Slack's costs no memory and no wait.
	if err := checkHeaders(r.Header, time.Now()); err != nil {
		a.log.WarnContext(r.Context(), "slack request rejected", "path", r.URL.Path, "err", err)
		return desk.Errorf(desk.EUNAUTHORIZED, "invalid Slack signature")
	}
	body, err := web.ReadBody(w, r, maxBody)
	if err != nil {
		if web.BodyError(err) {
			a.log.InfoContext(r.Context(), "slack request body not read", "path", r.URL.Path, "err", err)
			return err
		}
		return desk.Errorf(desk.EINVALID, "could not read the request body")
	}
	sv, err := slackgo.NewSecretsVerifier(r.Header, a.cfg.SigningSecret)
	if err == nil {
		_, _ = sv.Write(body)
		err = sv.Ensure()
	}
	if err != nil {
		a.log.WarnContext(r.Context(), "slack request rejected", "path", r.URL.Path, "err", err)
		return desk.Errorf(desk.EUNAUTHORIZED, "invalid Slack signature")
	}
	return next(w, r, body)
}

// maxSkew is how far a request's timestamp may be from now, either way: Slack's own rule
// against replayed requests.
const maxSkew = 5 * time.Minute

// checkHeaders checks what a signed request from Slack carries besides its body: a
// timestamp within maxSkew of now and a v0 signature.
func checkHeaders(h http.Header, now time.Time) error {
	ts := h.Get("X-Slack-Request-Timestamp")
	if ts == "" {
		return errors.New("no X-Slack-Request-Timestamp")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("X-Slack-Request-Timestamp is not a number")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return errors.New("X-Slack-Request-Timestamp more than 5 minutes off")
	}
	if !strings.HasPrefix(h.Get("X-Slack-Signature"), "v0=") {
		return errors.New("no v0 X-Slack-Signature")
	}
	return nil
}

// answerError answers a Slack request that failed. A refusal of the request itself (a 4xx
// other than 401) also carries X-Slack-No-Retry: Slack retries a failed Events API delivery
// three times, and the same request would be refused each time. A bad signature is retried as
// Slack likes (a secret being rotated may pass later), and a failure on our side (5xx) must be:
// the event was not recorded.
func (a *Adapter) answerError(w http.ResponseWriter, err error) {
	// A body that did not arrive in time (408) may arrive whole next time.
	if status := web.Status(err); refused(err) && status != http.StatusUnauthorized && status != http.StatusRequestTimeout {
		w.Header().Set("X-Slack-No-Retry", "1")
	}
	web.Error(w, err)
}

// refused reports whether err refuses a request for what it is (a 4xx), as opposed to failing
// to handle it (a 5xx): sending the same request again cannot change the answer.
func refused(err error) bool {
	status := web.Status(err)
	return status >= 400 && status < 500
}

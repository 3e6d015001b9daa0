package sandbox

// This file hands what the page does to the app: the one way it reaches the core.

import (
	"context"
	"errors"
	"net/http"

	"github.com/threadesk/threadesk/internal/desk"
)

// ingestOnly hands the app an event that leaves nothing in the sandbox when it fails (a click,
// a command, a submission), answering 200 or 503. It reports success.
func (s *Sandbox) ingestOnly(w http.ResponseWriter, r *http.Request, ev desk.Event) bool {
	if err := s.ingest(r.Context(), ev); err != nil {
		s.mu.Lock()
		delete(s.triggers, ev.Trigger)
		s.mu.Unlock()
		if fe, ok := errors.AsType[*desk.FormError](err); ok {
			// The app refused what was entered: the form stays open, showing why.
			e := apiErr(http.StatusUnprocessableEntity, desk.EINVALID, "Some fields need attention.")
			e.Fields = fe.Fields
			writeError(w, e)
			return false
		}
		writeError(w, apiErr(http.StatusServiceUnavailable, desk.EUNAVAILABLE,
			"The app did not take this ("+desk.ErrorMessage(err)+"); try again later."))
		return false
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "event": ev.ID})
	return true
}

func (s *Sandbox) ingest(ctx context.Context, ev desk.Event) error {
	if s.ing == nil {
		return desk.Errorf(desk.EUNAVAILABLE, "no app is connected to the sandbox")
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ingestTimeout)
	defer cancel()
	if err := s.ing.Ingest(ctx, ev); err != nil {
		s.log.Warn("sandbox event not ingested", "event", ev.ID, "kind", ev.Kind, "user", ev.User.ID, "err", err)
		return err
	}
	return nil
}

func (s *Sandbox) discard(reason desk.DropReason) {
	if s.ing != nil {
		s.ing.Discard(Name, reason)
	}
}

// event starts an event by u with a fresh ID. Callers hold mu.
func (s *Sandbox) event(kind desk.EventKind, u *user) desk.Event {
	return desk.Event{ID: s.newID("e"), Platform: Name, Kind: kind, At: s.clock.Now(), User: u.desk()}
}

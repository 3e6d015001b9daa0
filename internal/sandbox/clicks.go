package sandbox

// This file holds what people do in the page besides writing: card buttons, the slash command,
// and the forms buttons open.

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/threadesk/threadesk/internal/desk"
)

// pressAction is POST /sandbox/api/actions {"user","message","action","value"}: a click on a
// card button the user can see.
func (s *Sandbox) pressAction(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User    string `json:"user"`
		Message string `json:"message"`
		Action  string `json:"action"`
		Value   string `json:"value"`
	}
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	s.ingestMu.Lock()
	defer s.ingestMu.Unlock()
	s.mu.Lock()
	u, e := s.knownUser(req.User)
	var msg *message
	if e == nil {
		var ok bool
		msg, ok = s.messages[req.Message]
		if !ok || msg.Deleted || !s.visible(u, msg) {
			e = apiErr(http.StatusNotFound, desk.ENOTFOUND, "no such message")
		} else if msg.Card == nil || !slices.ContainsFunc(msg.Card.Actions, func(a desk.Action) bool {
			return a.ID == req.Action && a.Value == req.Value
		}) {
			e = apiErr(http.StatusNotFound, desk.ENOTFOUND, "no such button on this message")
		}
	}
	if e != nil {
		s.mu.Unlock()
		writeError(w, e)
		return
	}
	ev := s.event(desk.ActionPressed, u)
	ev.Channel, ev.Message, ev.Thread = msg.Channel, msg.ID, msg.Thread
	if ev.Thread == "" && msg.Channel == TriageChannel && msg.Ephemeral == "" {
		// A card roots its thread; a private answer (a confirmation) roots none, and an
		// answer to its buttons is another private answer in the channel.
		ev.Thread = msg.ID
	}
	ev.Action, ev.Value, ev.Trigger = req.Action, req.Value, s.newTrigger(u.ID)
	s.mu.Unlock()
	s.ingestOnly(w, r, ev)
}

// runCommand is POST /sandbox/api/commands {"user","text"}: the slash command with its
// arguments (a leading "/desk" is dropped), run in the triage channel by an agent or in the
// DM by a customer.
func (s *Sandbox) runCommand(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User string `json:"user"`
		Text string `json:"text"`
	}
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	args := strings.TrimSpace(req.Text)
	if rest, ok := strings.CutPrefix(args, s.command); ok && (rest == "" || rest[0] == ' ') {
		args = strings.TrimSpace(rest)
	}
	if e := checkText(args, maxCommand, true); e != nil {
		writeError(w, e)
		return
	}
	u, ok := s.actAs(w, req.User)
	if !ok {
		return
	}
	defer s.ingestMu.Unlock()
	ev := s.event(desk.CommandRun, u)
	ev.Channel, ev.Text, ev.Trigger = u.DM, args, s.newTrigger(u.ID)
	if u.Role == RoleAgent {
		ev.Channel = TriageChannel
	}
	s.mu.Unlock()
	s.ingestOnly(w, r, ev)
}

// submitForm is POST /sandbox/api/forms/{id}/submit {"user","values":{"field":"value"}}. Values
// of a multiselect are comma-separated. Missing required values and unknown options answer 422
// with "fields" naming each problem; the form stays open until the app took the submission.
func (s *Sandbox) submitForm(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User   string            `json:"user"`
		Values map[string]string `json:"values"`
	}
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	s.ingestMu.Lock()
	defer s.ingestMu.Unlock()
	s.mu.Lock()
	u, p, e := s.ownForm(req.User, r.PathValue("id"))
	var values map[string]string
	if e == nil {
		values, e = s.checkForm(p.Form, req.Values)
	}
	if e != nil {
		s.mu.Unlock()
		writeError(w, e)
		return
	}
	ev := s.event(desk.FormSubmitted, u)
	ev.Channel, ev.Action, ev.Value, ev.Form = u.DM, p.Form.ID, p.Form.Context, values
	if u.Role == RoleAgent {
		ev.Channel = TriageChannel
	}
	s.mu.Unlock()
	if !s.ingestOnly(w, r, ev) {
		return
	}
	s.closeForm(p.ID)
}

// cancelForm is POST /sandbox/api/forms/{id}/cancel {"user"}. The app is not told, as on Slack
// without notify_on_close.
func (s *Sandbox) cancelForm(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User string `json:"user"`
	}
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	s.mu.Lock()
	_, p, e := s.ownForm(req.User, r.PathValue("id"))
	s.mu.Unlock()
	if e != nil {
		writeError(w, e)
		return
	}
	s.closeForm(p.ID)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Sandbox) closeForm(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.forms, id)
	s.formSeq = slices.DeleteFunc(s.formSeq, func(f string) bool { return f == id })
	s.publish("form_closed", map[string]string{"id": id})
}

// newTrigger returns a trigger that lets the app open one form for userID, and forgets expired
// ones. Callers hold mu.
func (s *Sandbox) newTrigger(userID string) string {
	now := s.clock.Now()
	for id, t := range s.triggers {
		if now.Sub(t.at) > triggerTTL {
			delete(s.triggers, id)
		}
	}
	id := s.newID("t")
	s.triggers[id] = trigger{user: userID, at: now}
	return id
}

// ownForm returns the user and the open form formID shown to them. Callers hold mu.
func (s *Sandbox) ownForm(userID, formID string) (*user, *pendingForm, *apiError) {
	u, e := s.knownUser(userID)
	if e != nil {
		return nil, nil, e
	}
	p, ok := s.forms[formID]
	if !ok {
		return nil, nil, apiErr(http.StatusNotFound, desk.ENOTFOUND, "no such form (it was closed)")
	}
	if p.User != u.ID {
		return nil, nil, apiErr(http.StatusForbidden, desk.EFORBIDDEN, "this form is shown to someone else")
	}
	return u, p, nil
}

// checkForm validates submitted values against f and returns one value per field. A "user"
// field takes the ID of an agent: the page offers the agents, as Slack's and Mattermost's
// pickers offer the workspace's people. Callers hold mu.
func (s *Sandbox) checkForm(f desk.Form, in map[string]string) (map[string]string, *apiError) {
	for id := range in {
		if !slices.ContainsFunc(f.Fields, func(ff desk.FormField) bool { return ff.ID == id }) {
			return nil, invalid("unknown form field " + strconv.Quote(id))
		}
	}
	out := make(map[string]string, len(f.Fields))
	problems := map[string]string{}
	for _, ff := range f.Fields {
		v := strings.TrimSpace(in[ff.ID])
		out[ff.ID] = v
		switch {
		case v == "" && !ff.Optional:
			problems[ff.ID] = "Please fill this in."
		case utf8.RuneCountInString(v) > maxInputText:
			problems[ff.ID] = "This is too long."
		case v != "" && ff.Kind == "select" && !slices.Contains(ff.Options, v):
			problems[ff.ID] = "Please pick one of the options."
		case v != "" && ff.Kind == "user" && !s.isAgent(v):
			problems[ff.ID] = "Please pick one of the agents."
		case v != "" && ff.Kind == "multiselect":
			for _, o := range strings.Split(v, ",") {
				if !slices.Contains(ff.Options, strings.TrimSpace(o)) {
					problems[ff.ID] = "Please pick from the options."
				}
			}
		}
	}
	if len(problems) > 0 {
		e := apiErr(http.StatusUnprocessableEntity, desk.EINVALID, "Some fields need attention.")
		e.Fields = problems
		return nil, e
	}
	return out, nil
}

package sandbox

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/threadesk/threadesk/internal/desk"
)

// Limits of what the page may send.
const (
	maxJSONBody  = 256 << 10 // one API request without a file
	maxInputText = 40000     // runes in one message, as on Slack; more than MaxText, so splitting shows
	maxName      = 64        // runes in a person's name
	maxCommand   = 4000      // runes of slash-command arguments
	// ingestTimeout bounds one hand-over to the ingester, so that a stuck store shows in the
	// page as an error instead of a spinner.
	ingestTimeout = 10 * time.Second
)

//go:embed web
var webFS embed.FS

// Handler serves the page, its live stream, its files and its JSON API, all under /sandbox.
// Mount it for both "/sandbox" and "/sandbox/". State-changing requests from other origins are
// refused (http.CrossOriginProtection), so that no web page can act in the sandbox.
func (s *Sandbox) Handler() http.Handler {
	static, err := fs.Sub(webFS, "web")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sandbox", s.servePage)
	mux.Handle("GET /sandbox/{$}", http.RedirectHandler("/sandbox", http.StatusMovedPermanently))
	mux.Handle("GET /sandbox/static/", http.StripPrefix("/sandbox/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /sandbox/stream", s.serveStream)
	mux.HandleFunc("GET /sandbox/files/{id}", s.serveFile)
	mux.HandleFunc("GET /sandbox/api/state", s.serveState)
	mux.HandleFunc("POST /sandbox/api/users", s.createUser)
	mux.HandleFunc("POST /sandbox/api/messages", s.sendMessage)
	mux.HandleFunc("POST /sandbox/api/messages/{id}/edit", s.editMessage)
	mux.HandleFunc("POST /sandbox/api/messages/{id}/delete", s.deleteMessage)
	mux.HandleFunc("POST /sandbox/api/messages/{id}/retry", s.retryMessage)
	mux.HandleFunc("POST /sandbox/api/actions", s.pressAction)
	mux.HandleFunc("POST /sandbox/api/forms/{id}/submit", s.submitForm)
	mux.HandleFunc("POST /sandbox/api/forms/{id}/cancel", s.cancelForm)
	mux.HandleFunc("POST /sandbox/api/commands", s.runCommand)
	mux.HandleFunc("/sandbox/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, apiErr(http.StatusNotFound, desk.ENOTFOUND, "no such API route"))
	})
	return http.NewCrossOriginProtection().Handler(mux)
}

func (s *Sandbox) servePage(w http.ResponseWriter, r *http.Request) {
	page, err := webFS.ReadFile("web/index.html")
	if err != nil {
		writeError(w, apiErr(http.StatusInternalServerError, desk.EINTERNAL, "page missing"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(page)
}

func (s *Sandbox) serveState(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	snap := s.snapshot()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, snap)
}

// serveFile serves a shared file. Only raster images are shown inline; anything else is a
// download, so that an uploaded page or script never runs with the sandbox's origin.
func (s *Sandbox) serveFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f, ok := s.files[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		writeError(w, apiErr(http.StatusNotFound, desk.ENOTFOUND, "no such file"))
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	switch f.MimeType {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		h.Set("Content-Type", f.MimeType)
		h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": f.Name}))
	default:
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	}
	h.Set("Content-Length", strconv.Itoa(len(f.data)))
	_, _ = w.Write(f.data)
}

// createUser is POST /sandbox/api/users {"name": "Ada", "role": "customer"|"agent"} → 201 user.
func (s *Sandbox) createUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string `json:"name"`
		Role Role   `json:"role"`
	}
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	name := strings.TrimSpace(req.Name)
	switch {
	case name == "":
		writeError(w, invalid("name is required"))
		return
	case utf8.RuneCountInString(name) > maxName:
		writeError(w, invalid("name is longer than 64 characters"))
		return
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		writeError(w, invalid("name contains control characters"))
		return
	case req.Role != RoleCustomer && req.Role != RoleAgent:
		writeError(w, invalid(`role must be "customer" or "agent"`))
		return
	}
	s.mu.Lock()
	u := &user{ID: s.newID("u"), Name: name, Handle: s.uniqueHandle(name), Role: req.Role}
	u.DM = "D-" + u.ID
	s.users[u.ID] = u
	s.userSeq = append(s.userSeq, u.ID)
	s.channels[u.DM] = u.ID
	v := viewUser(u)
	s.publish("user", v)
	s.mu.Unlock()
	s.log.Info("sandbox user created", "user", u.ID, "role", u.Role)
	writeJSON(w, http.StatusCreated, v)
}

// uniqueHandle turns a name into a handle no one else has ("Ada Lovelace" → "ada.lovelace",
// then "ada.lovelace2"). Callers hold mu.
func (s *Sandbox) uniqueHandle(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ' || r == '.':
			if b.Len() > 0 && !strings.HasSuffix(b.String(), ".") {
				b.WriteByte('.')
			}
		}
	}
	base := strings.Trim(b.String(), ".")
	if base == "" {
		base = "user"
	}
	taken := func(h string) bool {
		for _, u := range s.users {
			if u.Handle == h {
				return true
			}
		}
		return false
	}
	h := base
	for n := 2; taken(h); n++ {
		h = base + strconv.Itoa(n)
	}
	return h
}

// sendMessage is POST /sandbox/api/messages: a customer's message in their DM, or an agent's
// reply in a ticket thread (thread = the root's ID; without it, a top-level message in the
// triage channel, which the app ignores). JSON {"user","text","thread"}, or multipart/form-data
// with the same fields and one or more "file" parts.
func (s *Sandbox) sendMessage(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User   string `json:"user"`
		Text   string `json:"text"`
		Thread string `json:"thread"`
	}
	type upload struct {
		name, mimeType string
		data           []byte
	}
	var uploads []upload
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		limit := s.maxUpload + maxJSONBody
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if err := r.ParseMultipartForm(limit); err != nil {
			writeError(w, bodyError(err))
			return
		}
		defer r.MultipartForm.RemoveAll()
		req.User, req.Text, req.Thread = r.FormValue("user"), r.FormValue("text"), r.FormValue("thread")
		for _, fh := range r.MultipartForm.File["file"] {
			if fh.Size > s.maxUpload {
				writeError(w, apiErr(http.StatusRequestEntityTooLarge, desk.ETOOLARGE, "file "+fh.Filename+" is too large"))
				return
			}
			f, err := fh.Open()
			if err != nil {
				writeError(w, invalid("cannot read file "+fh.Filename))
				return
			}
			data, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				writeError(w, invalid("cannot read file "+fh.Filename))
				return
			}
			name := strings.TrimSpace(fh.Filename)
			if name == "" {
				name = "file"
			}
			uploads = append(uploads, upload{name: name, mimeType: fh.Header.Get("Content-Type"), data: data})
		}
	} else if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if e := checkText(req.Text, maxInputText, len(uploads) > 0); e != nil {
		writeError(w, e)
		return
	}

	u, ok := s.actAs(w, req.User)
	if !ok {
		return
	}
	defer s.ingestMu.Unlock()
	msg := &message{Author: u.ID, Text: req.Text, At: s.clock.Now()}
	kind := desk.CustomerMessage
	switch {
	case u.Role == RoleCustomer && req.Thread != "":
		s.mu.Unlock()
		writeError(w, invalid("a customer's DM has no threads"))
		return
	case u.Role == RoleCustomer:
		msg.Channel = u.DM
	default:
		msg.Channel, msg.Thread, kind = TriageChannel, req.Thread, desk.AgentReply
		if root, ok := s.messages[req.Thread]; req.Thread != "" && (!ok || root.Channel != TriageChannel || root.Thread != "" || root.Ephemeral != "" || root.Deleted) {
			s.mu.Unlock()
			writeError(w, apiErr(http.StatusNotFound, desk.ENOTFOUND, "no such thread in the triage channel"))
			return
		}
	}
	msg.ID = s.newID("m")
	for _, up := range uploads {
		msg.Files = append(msg.Files, s.addFile(up.name, up.mimeType, up.data))
	}
	s.addMessage(msg)
	ev := s.event(kind, u)
	ev.Channel, ev.Message, ev.Thread, ev.Text, ev.Files = msg.Channel, msg.ID, msg.Thread, msg.Text, slices.Clone(msg.Files)
	s.mu.Unlock()

	if kind == desk.AgentReply && msg.Thread == "" {
		s.discard(desk.DropNotInThread)
		writeJSON(w, http.StatusCreated, map[string]any{"message": s.view(msg)})
		return
	}
	s.deliver(w, r, msg, ev, http.StatusCreated)
}

// editMessage is POST /sandbox/api/messages/{id}/edit {"user","text"}: people edit only their
// own messages.
func (s *Sandbox) editMessage(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User string `json:"user"`
		Text string `json:"text"`
	}
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if e := checkText(req.Text, maxInputText, false); e != nil {
		writeError(w, e)
		return
	}
	s.changeOwn(w, r, req.User, func(msg *message) {
		if msg.Text != req.Text {
			msg.Text, msg.Edited = req.Text, true
		}
	}, desk.CustomerEdit, desk.AgentEdit)
}

// deleteMessage is POST /sandbox/api/messages/{id}/delete {"user"}.
func (s *Sandbox) deleteMessage(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User string `json:"user"`
	}
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	s.changeOwn(w, r, req.User, func(msg *message) {
		msg.Deleted, msg.Text = true, ""
	}, desk.CustomerDelete, desk.AgentDelete)
}

// changeOwn applies change to the requester's own live message {id} and tells the app, as a
// customer's or an agent's event depending on where the message is.
func (s *Sandbox) changeOwn(w http.ResponseWriter, r *http.Request, userID string, change func(*message), customerKind, agentKind desk.EventKind) {
	s.ingestMu.Lock()
	defer s.ingestMu.Unlock()
	s.mu.Lock()
	u, msg, e := s.ownMessage(userID, r.PathValue("id"))
	if e == nil && msg.Deleted {
		e = apiErr(http.StatusConflict, desk.ECONFLICT, "the message was deleted")
	}
	if e != nil {
		s.mu.Unlock()
		writeError(w, e)
		return
	}
	change(msg)
	s.changed(msg)
	kind := customerKind
	if msg.Channel == TriageChannel {
		kind = agentKind
	}
	ev := s.event(kind, u)
	ev.Channel, ev.Message, ev.Thread, ev.Text = msg.Channel, msg.ID, msg.Thread, msg.Text
	s.mu.Unlock()

	if msg.Channel == TriageChannel && msg.Thread == "" {
		s.discard(desk.DropNotInThread)
		writeJSON(w, http.StatusOK, map[string]any{"message": s.view(msg)})
		return
	}
	s.deliver(w, r, msg, ev, http.StatusOK)
}

// retryMessage is POST /sandbox/api/messages/{id}/retry {"user"}: hand the app again, with the
// same event IDs, what it did not take about the requester's message.
func (s *Sandbox) retryMessage(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User string `json:"user"`
	}
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	s.ingestMu.Lock()
	defer s.ingestMu.Unlock()
	s.mu.Lock()
	_, msg, e := s.ownMessage(req.User, r.PathValue("id"))
	if e == nil && len(msg.pending) == 0 {
		e = apiErr(http.StatusConflict, desk.ECONFLICT, "nothing to retry: the app has this message")
	}
	s.mu.Unlock()
	if e != nil {
		writeError(w, e)
		return
	}
	s.deliver(w, r, msg, desk.Event{}, http.StatusOK)
}

// deliver hands the app the events about msg it has not taken yet, then ev (unless ev.ID is
// empty), in order. What it does not take stays pending on the message, which shows the error,
// and the request answers 503. Callers hold ingestMu.
func (s *Sandbox) deliver(w http.ResponseWriter, r *http.Request, msg *message, ev desk.Event, status int) {
	s.mu.Lock()
	queue := slices.Clone(msg.pending)
	if ev.ID != "" {
		queue = append(queue, ev)
	}
	s.mu.Unlock()
	var err error
	done := 0
	for _, q := range queue {
		if err = s.ingest(r.Context(), q); err != nil {
			break
		}
		done++
	}
	s.mu.Lock()
	msg.pending = queue[done:]
	msg.Error = ""
	if err != nil {
		msg.Error = "not delivered to the app: " + desk.ErrorMessage(err)
	}
	if len(msg.pending) == 0 {
		msg.pending = nil
	}
	s.changed(msg)
	v := viewMessage(msg)
	s.mu.Unlock()
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{
			"error": "The app did not take this (" + desk.ErrorMessage(err) + "); retry later.",
			"code":  desk.EUNAVAILABLE, "message": v,
		})
		return
	}
	writeJSON(w, status, map[string]any{"message": v})
}

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
	if ev.Thread == "" && msg.Channel == TriageChannel {
		ev.Thread = msg.ID // the card roots the thread
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

func (s *Sandbox) view(msg *message) messageView {
	s.mu.Lock()
	defer s.mu.Unlock()
	return viewMessage(msg)
}

// visible reports whether u sees msg in the page: customers their DM, agents the triage
// channel and their DM, ephemeral messages only their addressee. Callers hold mu.
func (s *Sandbox) visible(u *user, msg *message) bool {
	if msg.Ephemeral != "" && msg.Ephemeral != u.ID {
		return false
	}
	return msg.Channel == u.DM || (msg.Channel == TriageChannel && u.Role == RoleAgent)
}

// knownUser returns the user with ID id. Callers hold mu.
func (s *Sandbox) knownUser(id string) (*user, *apiError) {
	if id == "" {
		return nil, invalid("user is required")
	}
	u, ok := s.users[id]
	if !ok {
		return nil, apiErr(http.StatusNotFound, desk.ENOTFOUND, "no such user")
	}
	return u, nil
}

// isAgent reports whether id is the ID of an agent. Callers hold mu.
func (s *Sandbox) isAgent(id string) bool {
	u, ok := s.users[id]
	return ok && u.Role == RoleAgent
}

// ownMessage returns the user and their own message msgID. Callers hold mu.
func (s *Sandbox) ownMessage(userID, msgID string) (*user, *message, *apiError) {
	u, e := s.knownUser(userID)
	if e != nil {
		return nil, nil, e
	}
	msg, ok := s.messages[msgID]
	if !ok || !s.visible(u, msg) {
		return nil, nil, apiErr(http.StatusNotFound, desk.ENOTFOUND, "no such message")
	}
	if msg.Author != u.ID {
		return nil, nil, apiErr(http.StatusForbidden, desk.EFORBIDDEN, "you can only change your own messages")
	}
	return u, msg, nil
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

func checkText(text string, limit int, mayBeEmpty bool) *apiError {
	switch {
	case !utf8.ValidString(text):
		return invalid("text is not valid UTF-8")
	case strings.TrimSpace(text) == "" && !mayBeEmpty:
		return invalid("text is required")
	case utf8.RuneCountInString(text) > limit:
		return apiErr(http.StatusRequestEntityTooLarge, desk.ETOOLARGE, "text is longer than "+strconv.Itoa(limit)+" characters")
	}
	return nil
}

// apiError is a refused API request: its HTTP status and the JSON body
// {"error": message, "code": desk code, "fields": {field: problem}}.
type apiError struct {
	Status  int               `json:"-"`
	Code    string            `json:"code"`
	Message string            `json:"error"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func apiErr(status int, code, msg string) *apiError {
	return &apiError{Status: status, Code: code, Message: msg}
}

func invalid(msg string) *apiError { return apiErr(http.StatusBadRequest, desk.EINVALID, msg) }

// decodeJSON reads one JSON object of at most maxJSONBody bytes, with no unknown fields.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) *apiError {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return apiErr(http.StatusUnsupportedMediaType, desk.EINVALID, "send application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("bad JSON: more than one value")
	}
	return nil
}

func bodyError(err error) *apiError {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return apiErr(http.StatusRequestEntityTooLarge, desk.ETOOLARGE, "request body too large")
	}
	return invalid("bad request body: " + err.Error())
}

func writeError(w http.ResponseWriter, e *apiError) { writeJSON(w, e.Status, e) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// actAs takes the locks a page action holds (ingestMu, so that events reach the ingester in
// the order they happened, then mu) and resolves the acting user. For an unknown user it
// answers the request, releases both and reports false; otherwise the caller releases mu, and
// ingestMu once the event is ingested.
func (s *Sandbox) actAs(w http.ResponseWriter, id string) (*user, bool) {
	s.ingestMu.Lock()
	s.mu.Lock()
	u, e := s.knownUser(id)
	if e != nil {
		s.mu.Unlock()
		s.ingestMu.Unlock()
		writeError(w, e)
		return nil, false
	}
	return u, true
}

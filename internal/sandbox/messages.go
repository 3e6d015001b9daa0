package sandbox

// This file holds what people write in the page: a message sent, edited, deleted or tried again,
// and its hand-over to the app.

import (
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/threadesk/threadesk/internal/desk"
)

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
			if e := bodyError(err); e.Status == http.StatusRequestEntityTooLarge {
				writeError(w, apiErr(e.Status, e.Code, "The files together are larger than the "+sizeText(s.maxUpload)+" the sandbox accepts in one message."))
			} else {
				writeError(w, e)
			}
			return
		}
		defer r.MultipartForm.RemoveAll()
		req.User, req.Text, req.Thread = r.FormValue("user"), r.FormValue("text"), r.FormValue("thread")
		for _, fh := range r.MultipartForm.File["file"] {
			if fh.Size > s.maxUpload {
				writeError(w, apiErr(http.StatusRequestEntityTooLarge, desk.ETOOLARGE, fh.Filename+" is larger than the "+sizeText(s.maxUpload)+" the sandbox accepts."))
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

// sizeText writes a number of bytes the way the page does ("10 MB", "1.5 KB", "900 bytes").
func sizeText(n int64) string {
	unit := func(size int64, name string) string {
		if n%size == 0 {
			return strconv.FormatInt(n/size, 10) + " " + name
		}
		return strconv.FormatFloat(float64(n)/float64(size), 'f', 1, 64) + " " + name
	}
	switch {
	case n >= 1<<20:
		return unit(1<<20, "MB")
	case n >= 1<<10:
		return unit(1<<10, "KB")
	}
	return strconv.FormatInt(n, 10) + " bytes"
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

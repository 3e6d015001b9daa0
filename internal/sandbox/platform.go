package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/threadesk/threadesk/internal/desk"
)

var _ desk.Platform = (*Sandbox)(nil)

// failure returns the *desk.DeliveryError of a refused call. Reasons follow Slack's error codes
// so that the core meets the same words on every platform; not-found failures also wrap
// desk.ErrNotFound, as the Platform contract asks.
func failure(op, reason string) error {
	de := &desk.DeliveryError{Op: op, Reason: reason}
	switch reason {
	case "thread_not_found":
		de.Kind, de.Err = desk.FailThreadGone, desk.ErrNotFound
	case "channel_not_found", "message_not_found", "user_not_found", "file_not_found":
		de.Kind, de.Err = desk.FailNotFound, desk.ErrNotFound
	case "file_too_large":
		de.Kind = desk.FailTooLarge
	}
	return de
}

// canceled maps a done context to a temporary failure: the call may succeed when retried.
func canceled(op string, err error) error {
	return &desk.DeliveryError{Op: op, Reason: "canceled", Temporary: true, Err: err}
}

// Name returns "sandbox".
func (s *Sandbox) Name() string { return Name }

// Limits returns the sandbox's text limit and no pacing: it takes messages as fast as they come.
func (s *Sandbox) Limits() desk.Limits { return desk.Limits{MaxText: s.maxText} }

// TriageChannel returns "triage".
func (s *Sandbox) TriageChannel() string { return TriageChannel }

// Post creates a message from the app. It refuses what a real platform refuses (unknown
// channel or thread, text over MaxText, nothing to show) so that the core's handling of those
// failures can be seen in the sandbox too.
func (s *Sandbox) Post(ctx context.Context, m desk.Outgoing) (desk.MessageRef, error) {
	if err := ctx.Err(); err != nil {
		return desk.MessageRef{}, canceled("post", err)
	}
	if m.Text == "" && m.Card == nil {
		return desk.MessageRef{}, failure("post", "no_text")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msg, err := s.appMessage("post", m)
	if err != nil {
		return desk.MessageRef{}, err
	}
	s.addMessage(msg)
	return desk.MessageRef{Channel: msg.Channel, ID: msg.ID}, nil
}

// appMessage checks m and turns it into a message of the app. Callers hold mu.
func (s *Sandbox) appMessage(op string, m desk.Outgoing) (*message, error) {
	if _, ok := s.channels[m.Channel]; !ok {
		return nil, failure(op, "channel_not_found")
	}
	if m.Thread != "" {
		root, ok := s.messages[m.Thread]
		if !ok || root.Channel != m.Channel || root.Thread != "" || root.Ephemeral != "" {
			return nil, failure(op, "thread_not_found")
		}
	}
	if utf8.RuneCountInString(m.Text) > s.maxText {
		return nil, failure(op, "msg_too_long")
	}
	if m.Ephemeral != "" {
		if _, ok := s.users[m.Ephemeral]; !ok {
			return nil, failure(op, "user_not_found")
		}
	}
	return &message{
		ID: s.newID("m"), Channel: m.Channel, Thread: m.Thread, As: cloneUser(m.As), Text: m.Text,
		Card: cloneCard(m.Card), Key: m.Key, Ephemeral: m.Ephemeral, At: s.clock.Now(),
	}, nil
}

// appOwned returns the app's message at ref, or the failure a platform gives for it. Callers
// hold mu.
func (s *Sandbox) appOwned(op string, ref desk.MessageRef) (*message, error) {
	msg, ok := s.messages[ref.ID]
	switch {
	case !ok || msg.Channel != ref.Channel || msg.Deleted:
		return nil, failure(op, "message_not_found")
	case msg.Author != "" || msg.Ephemeral != "":
		return nil, failure(op, "cant_update_message")
	}
	return msg, nil
}

// Update replaces the text and card of a message the app posted. A changed plain text shows as
// edited; a card updated in place does not, as in the chat apps.
func (s *Sandbox) Update(ctx context.Context, ref desk.MessageRef, m desk.Outgoing) error {
	if err := ctx.Err(); err != nil {
		return canceled("update", err)
	}
	if m.Text == "" && m.Card == nil {
		return failure("update", "no_text")
	}
	if utf8.RuneCountInString(m.Text) > s.maxText {
		return failure("update", "msg_too_long")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msg, err := s.appOwned("update", ref)
	if err != nil {
		return err
	}
	if m.Card == nil && msg.Card == nil && m.Text != msg.Text {
		msg.Edited = true
	}
	msg.Text, msg.Card = m.Text, cloneCard(m.Card)
	if m.As != nil {
		msg.As = cloneUser(m.As)
	}
	s.changed(msg)
	return nil
}

// Delete removes a message the app posted. The page keeps a "deleted" placeholder, so that a
// thread whose root was deleted still shows its replies.
func (s *Sandbox) Delete(ctx context.Context, ref desk.MessageRef) error {
	if err := ctx.Err(); err != nil {
		return canceled("delete", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msg, err := s.appOwned("delete", ref)
	if err != nil {
		return err
	}
	msg.Deleted, msg.Text, msg.Card, msg.Files = true, "", nil, nil
	s.changed(msg)
	return nil
}

// Upload shares a file from the app into m.Channel (under m.Thread), with m.Text as its comment.
func (s *Sandbox) Upload(ctx context.Context, m desk.Outgoing, f desk.File, content io.Reader) (desk.MessageRef, error) {
	if err := ctx.Err(); err != nil {
		return desk.MessageRef{}, canceled("upload", err)
	}
	data, err := io.ReadAll(io.LimitReader(content, s.maxUpload+1))
	if err != nil {
		return desk.MessageRef{}, &desk.DeliveryError{Op: "upload", Reason: "read_failed", Temporary: true, Err: err}
	}
	if int64(len(data)) > s.maxUpload {
		return desk.MessageRef{}, failure("upload", "file_too_large")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msg, err := s.appMessage("upload", m)
	if err != nil {
		return desk.MessageRef{}, err
	}
	msg.Files = []desk.File{s.addFile(f.Name, f.MimeType, data)}
	s.addMessage(msg)
	return desk.MessageRef{Channel: msg.Channel, ID: msg.ID}, nil
}

// addFile stores a file's bytes and returns how events and the page name it. Callers hold mu.
func (s *Sandbox) addFile(name, mimeType string, data []byte) desk.File {
	if mimeType == "" {
		mimeType = "application/octet-stream"
	}
	id := s.newID("f")
	f := desk.File{ID: id, Name: name, MimeType: mimeType, Size: int64(len(data)), URL: fileURL(id)}
	s.files[id] = &file{File: f, data: data}
	return f
}

// Download opens a file shared in the sandbox, by its ID.
func (s *Sandbox) Download(ctx context.Context, f desk.File) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, canceled("download", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.files[f.ID]
	if !ok {
		return nil, failure("download", "file_not_found")
	}
	return io.NopCloser(bytes.NewReader(stored.data)), nil
}

// Mark puts a mark on any message (the app's or a person's); marking twice is not an error, so
// that the core may retry a mark whose answer it lost.
func (s *Sandbox) Mark(ctx context.Context, ref desk.MessageRef, mark desk.Mark) error {
	if err := ctx.Err(); err != nil {
		return canceled("mark", err)
	}
	switch mark {
	case desk.MarkDelivered, desk.MarkFailed, desk.MarkNote:
	default:
		return failure("mark", "invalid_name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msg, ok := s.messages[ref.ID]
	if !ok || msg.Channel != ref.Channel || msg.Deleted {
		return failure("mark", "message_not_found")
	}
	if !slices.Contains(msg.Marks, mark) {
		msg.Marks = append(msg.Marks, mark)
		s.changed(msg)
	}
	return nil
}

// Unmark takes a mark off a message; a mark that is not there is no error.
func (s *Sandbox) Unmark(ctx context.Context, ref desk.MessageRef, mark desk.Mark) error {
	if err := ctx.Err(); err != nil {
		return canceled("unmark", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msg, ok := s.messages[ref.ID]
	if !ok || msg.Channel != ref.Channel || msg.Deleted {
		return failure("unmark", "message_not_found")
	}
	if i := slices.Index(msg.Marks, mark); i >= 0 {
		msg.Marks = slices.Delete(slices.Clone(msg.Marks), i, i+1)
		s.changed(msg)
	}
	return nil
}

// Find returns the newest live message the app posted with delivery key key in channel (and
// under thread, when given).
func (s *Sandbox) Find(ctx context.Context, channel, thread, key string) (desk.MessageRef, error) {
	if err := ctx.Err(); err != nil {
		return desk.MessageRef{}, canceled("find", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.channels[channel]; !ok {
		return desk.MessageRef{}, failure("find", "channel_not_found")
	}
	if key != "" {
		for _, id := range slices.Backward(s.msgSeq) {
			m := s.messages[id]
			if m.Channel == channel && m.Key == key && !m.Deleted && (thread == "" || m.Thread == thread) {
				return desk.MessageRef{Channel: channel, ID: id}, nil
			}
		}
	}
	return desk.MessageRef{}, fmt.Errorf("find delivery %q in %s: %w", key, channel, desk.ErrNotFound)
}

// OpenDM returns the user's DM channel with the app. Every sandbox user has one.
func (s *Sandbox) OpenDM(ctx context.Context, userID string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", canceled("open_dm", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return "", failure("open_dm", "user_not_found")
	}
	return u.DM, nil
}

// UserInfo returns a sandbox user's ID, handle and display name.
func (s *Sandbox) UserInfo(ctx context.Context, userID string) (desk.User, error) {
	if err := ctx.Err(); err != nil {
		return desk.User{}, canceled("user_info", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return desk.User{}, failure("user_info", "user_not_found")
	}
	return u.desk(), nil
}

// FindUser implements desk.Platform: handle is a sandbox handle, with or without "@", a user ID,
// or a mention written the Slack way ("<@u3-ab12cd>").
func (s *Sandbox) FindUser(ctx context.Context, handle string) (desk.User, error) {
	if err := ctx.Err(); err != nil {
		return desk.User{}, canceled("find_user", err)
	}
	handle = strings.TrimSpace(handle)
	if id, ok := strings.CutPrefix(handle, "<@"); ok && strings.HasSuffix(id, ">") {
		handle, _, _ = strings.Cut(strings.TrimSuffix(id, ">"), "|")
	}
	handle = strings.TrimPrefix(handle, "@")
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[handle]; ok {
		return u.desk(), nil
	}
	handle = strings.ToLower(handle)
	for _, id := range s.userSeq {
		if u := s.users[id]; handle != "" && u.Handle == handle {
			return u.desk(), nil
		}
	}
	return desk.User{}, failure("find_user", "user_not_found")
}

// InTriage implements desk.Platform: the triage channel's members are the people created as
// agents in the page.
func (s *Sandbox) InTriage(ctx context.Context, userID string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, canceled("in_triage", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.isAgent(userID), nil
}

// OpenForm shows f to the person whose click or command gave trigger. A trigger works once and
// for a short time, as on Slack and Mattermost.
func (s *Sandbox) OpenForm(ctx context.Context, trig string, f desk.Form) error {
	if err := ctx.Err(); err != nil {
		return canceled("open_form", err)
	}
	if f.ID == "" || f.Title == "" {
		return failure("open_form", "invalid_form")
	}
	for _, ff := range f.Fields {
		switch ff.Kind {
		case "text", "textarea", "select", "multiselect", "user":
		default:
			return failure("open_form", "invalid_form")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.triggers[trig]
	if !ok {
		return failure("open_form", "invalid_trigger_id")
	}
	delete(s.triggers, trig)
	if s.clock.Now().Sub(t.at) > triggerTTL {
		return failure("open_form", "expired_trigger_id")
	}
	p := &pendingForm{ID: s.newID("F"), User: t.user, Form: cloneForm(f)}
	s.forms[p.ID] = p
	s.formSeq = append(s.formSeq, p.ID)
	s.publish("form", viewForm(p))
	return nil
}

// Quote implements desk.Platform: people's words are left as they are. The page puts every
// text into the document as text (never as HTML) and knows no mentions and no link markup,
// so nothing in them can ping anyone or make a link; for the same reason a relayed message
// goes out unchanged.
func (s *Sandbox) Quote(text string) string { return text }

// Mention names u as the sandbox page shows people.
func (s *Sandbox) Mention(u desk.User) string { return "@" + u.Label() }

// Ping always succeeds: the sandbox lives in the process.
func (s *Sandbox) Ping(ctx context.Context) error { return ctx.Err() }

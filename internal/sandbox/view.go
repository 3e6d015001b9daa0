package sandbox

import (
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// The JSON the page reads: the snapshot on connect, then one of these per change. The page
// never sees Go field names, so the domain types can change without breaking it.

type snapshotView struct {
	// Instance names this run of the sandbox: it changes when the program restarts, which tells
	// the page that every person, message and form it knew is gone.
	Instance  string        `json:"instance"`
	Triage    string        `json:"triage"`
	Command   string        `json:"command"`
	NotePre   string        `json:"notePrefix"`
	MaxText   int           `json:"maxText"`
	MaxUpload int64         `json:"maxUpload"`
	Users     []userView    `json:"users"`
	Messages  []messageView `json:"messages"`
	Forms     []formView    `json:"forms"`
}

type userView struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Handle string `json:"handle"`
	Role   Role   `json:"role"`
	Lead   bool   `json:"lead"`
	DM     string `json:"dm"`
}

type personaView struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	AvatarURL   string `json:"avatarUrl,omitempty"`
}

type messageView struct {
	ID        string       `json:"id"`
	Channel   string       `json:"channel"`
	Thread    string       `json:"thread,omitempty"`
	Author    string       `json:"author,omitempty"`
	FromApp   bool         `json:"fromApp"`
	As        *personaView `json:"as,omitempty"`
	Text      string       `json:"text"`
	Card      *cardView    `json:"card,omitempty"`
	Files     []fileView   `json:"files"`
	Marks     []desk.Mark  `json:"marks"`
	Key       string       `json:"key,omitempty"`
	Ephemeral string       `json:"ephemeral,omitempty"`
	Edited    bool         `json:"edited"`
	Deleted   bool         `json:"deleted"`
	Error     string       `json:"error,omitempty"`
	At        time.Time    `json:"at"`
	Rev       int64        `json:"rev"`
}

type fileView struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	MimeType string `json:"mimeType"`
	Size     int64  `json:"size"`
	URL      string `json:"url"`
}

type cardView struct {
	Title   string       `json:"title"`
	Text    string       `json:"text,omitempty"`
	Fields  []fieldView  `json:"fields"`
	Actions []actionView `json:"actions"`
	Context string       `json:"context,omitempty"`
}

type fieldView struct {
	Label string `json:"label"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

type actionView struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Value string `json:"value"`
	Style string `json:"style,omitempty"`
}

type formView struct {
	ID     string          `json:"id"`
	User   string          `json:"user"`
	FormID string          `json:"formId"`
	Title  string          `json:"title"`
	Submit string          `json:"submit"`
	Fields []formFieldView `json:"fields"`
}

type formFieldView struct {
	ID       string   `json:"id"`
	Label    string   `json:"label"`
	Kind     string   `json:"kind"`
	Options  []string `json:"options"`
	Value    string   `json:"value"`
	Optional bool     `json:"optional"`
	Hint     string   `json:"hint,omitempty"`
}

func viewUser(u *user) userView {
	return userView{ID: u.ID, Name: u.Name, Handle: u.Handle, Role: u.Role, Lead: u.Lead, DM: u.DM}
}

func viewMessage(m *message) messageView {
	v := messageView{
		ID: m.ID, Channel: m.Channel, Thread: m.Thread, Author: m.Author, FromApp: m.Author == "",
		Text: m.Text, Files: []fileView{}, Marks: append([]desk.Mark{}, m.Marks...), Key: m.Key,
		Ephemeral: m.Ephemeral, Edited: m.Edited, Deleted: m.Deleted, Error: m.Error, At: m.At, Rev: m.Rev,
	}
	if m.As != nil {
		v.As = &personaView{ID: m.As.ID, Name: m.As.Name, DisplayName: m.As.DisplayName, AvatarURL: m.As.AvatarURL}
	}
	for _, f := range m.Files {
		v.Files = append(v.Files, viewFile(f))
	}
	if c := m.Card; c != nil {
		cv := &cardView{Title: c.Title, Text: c.Text, Context: c.Context, Fields: []fieldView{}, Actions: []actionView{}}
		for _, f := range c.Fields {
			cv.Fields = append(cv.Fields, fieldView{Label: f.Label, Value: f.Value, Short: f.Short})
		}
		for _, a := range c.Actions {
			cv.Actions = append(cv.Actions, actionView{ID: a.ID, Label: a.Label, Value: a.Value, Style: a.Style})
		}
		v.Card = cv
	}
	return v
}

func viewFile(f desk.File) fileView {
	return fileView{ID: f.ID, Name: f.Name, MimeType: f.MimeType, Size: f.Size, URL: fileURL(f.ID)}
}

func fileURL(id string) string { return "/sandbox/files/" + id }

func viewForm(p *pendingForm) formView {
	v := formView{ID: p.ID, User: p.User, FormID: p.Form.ID, Title: p.Form.Title, Submit: p.Form.Submit, Fields: []formFieldView{}}
	for _, f := range p.Form.Fields {
		v.Fields = append(v.Fields, formFieldView{
			ID: f.ID, Label: f.Label, Kind: f.Kind, Options: append([]string{}, f.Options...),
			Value: f.Value, Optional: f.Optional, Hint: f.Hint,
		})
	}
	return v
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

package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// Export (/desk export @user, leads): the command records an "exported" entry (who, when) in
// the history of each of the customer's tickets and, with it, a task that gives the lead the
// file: everything stored about the customer as JSON, read when the task is carried out and
// uploaded into the lead's DM with the app. Where the upload fails for good, the JSON is
// posted there as text instead.

// exportDecision is /desk export's decision: the history entries, the answer and the file.
func (r *Relay) exportDecision(ctx context.Context, p desk.Platform, q desk.Queued, who, u desk.User, c desk.CustomerData) (decision, error) {
	var d decision
	ev := q.Event
	dm, err := p.OpenDM(ctx, who.ID)
	if err != nil {
		return d, fmt.Errorf("open a DM with %s for an export: %w", who.ID, err)
	}
	now := r.clock.Now()
	for _, t := range c.Tickets {
		d.change(desk.AppendEntry{Ticket: t.Ticket.ID, Entry: desk.Entry{At: now, Kind: desk.EntryExported, Author: who.ID, Name: who.Label()}})
	}
	args := map[string]any{"User": words(u.Label()), "Tickets": len(c.Tickets)}
	if t, ok := r.answer(ctx, p, ev, r.say(quoterFor(p, ev), catalog.ExportReady, args)); ok {
		d.task(t)
	}
	d.task(desk.Task{Kind: desk.TaskExport, Platform: p.Name(), Customer: u.ID, Message: desk.Outgoing{
		Channel: dm, Text: sayIn(r.text(), p.Quote, catalog.ExportCaption, args), Key: partKey(ev, "export", 0),
	}})
	return d, nil
}

// export carries out a TaskExport: the file into the lead's DM, once.
func (r *Relay) export(ctx context.Context, p desk.Platform, t desk.Task, reconcile bool) error {
	c, _, err := r.customerData(ctx, p, t.Customer)
	if err != nil {
		return err
	}
	b, err := exportJSON(c, r.clock.Now())
	if err != nil {
		return err
	}
	m := t.Message
	file := desk.File{Name: "threadesk-" + p.Name() + "-" + fileSafe(t.Customer) + ".json", MimeType: "application/json", Size: int64(len(b))}
	err = r.retry(ctx, p, m.Channel, func(last *desk.DeliveryError) error {
		if reconcile || ambiguous(last) {
			if _, ok, err := r.sentBefore(ctx, p, m); err != nil || ok {
				return err
			}
		}
		_, err := p.Upload(ctx, m, file, bytes.NewReader(b))
		return err
	})
	r.countDelivery(p, err)
	if err == nil || aborted(err) {
		return err
	}
	r.log.Warn("upload an export; posting it as text", "platform", p.Name(), "err", err)
	parts := Split(string(b), p.Limits().MaxText)
	head := desk.Outgoing{Channel: m.Channel, Text: r.text().Text(catalog.ExportAsText, map[string]any{"Reason": p.Quote(reason(err))}), Key: m.Key + ":text"}
	if _, err := r.post(ctx, p, head, reconcile); err != nil {
		return err
	}
	for i, part := range parts {
		if _, err := r.post(ctx, p, desk.Outgoing{Channel: m.Channel, Text: part, Key: fmt.Sprintf("%s:%d", m.Key, i)}, reconcile); err != nil {
			return err
		}
	}
	return nil
}

// fileSafe keeps letters, digits, '-' and '_' of s, for a file's name.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, s)
}

// The export's JSON: stable snake_case names, times in RFC 3339, empty values left out.
type (
	exportDoc struct {
		Platform   string         `json:"platform"`
		UserID     string         `json:"user_id"`
		ExportedAt time.Time      `json:"exported_at"`
		Tickets    []exportTicket `json:"tickets"`
	}
	exportUser struct {
		ID          string `json:"id"`
		Name        string `json:"name,omitempty"`
		DisplayName string `json:"display_name,omitempty"`
		AvatarURL   string `json:"avatar_url,omitempty"`
		ProfileURL  string `json:"profile_url,omitempty"`
		Locale      string `json:"locale,omitempty"`
		TimeZone    string `json:"time_zone,omitempty"`
	}
	exportTicket struct {
		Number          int64           `json:"number"`
		Status          desk.Status     `json:"status"`
		Priority        desk.Priority   `json:"priority,omitempty"`
		Category        string          `json:"category,omitempty"`
		Tags            []string        `json:"tags,omitempty"`
		Assignee        string          `json:"assignee,omitempty"`
		AssigneeName    string          `json:"assignee_name,omitempty"`
		Customer        exportUser      `json:"customer"`
		DMChannel       string          `json:"dm_channel,omitempty"`
		TriageChannel   string          `json:"triage_channel,omitempty"`
		Thread          string          `json:"thread,omitempty"`
		Previous        int64           `json:"previous,omitempty"`
		Language        string          `json:"language,omitempty"`
		Subject         string          `json:"subject,omitempty"`
		Answers         []desk.Answer   `json:"intake_answers,omitempty"`
		Suggested       []string        `json:"suggested_articles,omitempty"`
		Deflected       string          `json:"solved_by_article,omitempty"`
		Rating          int             `json:"rating,omitempty"`
		RatingComment   string          `json:"rating_comment,omitempty"`
		OutOfHours      bool            `json:"out_of_hours,omitempty"`
		CreatedAt       time.Time       `json:"created_at,omitzero"`
		FirstResponseAt time.Time       `json:"first_response_at,omitzero"`
		ResolvedAt      time.Time       `json:"resolved_at,omitzero"`
		ClosedAt        time.Time       `json:"closed_at,omitzero"`
		LastActivityAt  time.Time       `json:"last_activity_at,omitzero"`
		History         []exportEntry   `json:"history"`
		Links           []exportLink    `json:"mirrored_messages,omitempty"`
		Joins           []exportJoin    `json:"joined_posts,omitempty"`
		Held            []exportHeld    `json:"held_messages,omitempty"`
		Facts           []exportFact    `json:"statistics,omitempty"`
		Clocks          []desk.SLAClock `json:"sla_clocks,omitempty"`
	}
	exportEntry struct {
		At     time.Time    `json:"at"`
		Kind   string       `json:"kind"`
		Author string       `json:"author,omitempty"`
		Name   string       `json:"name,omitempty"`
		Text   string       `json:"text,omitempty"`
		Files  []exportFile `json:"files,omitempty"`
	}
	exportFile struct {
		ID   string `json:"id"`
		Name string `json:"name,omitempty"`
		Type string `json:"type,omitempty"`
		Size int64  `json:"size,omitempty"`
	}
	exportLink struct {
		Kind   desk.LinkKind `json:"kind"`
		Source exportRef     `json:"source"`
		Copies []exportRef   `json:"copies,omitempty"`
		Files  []exportRef   `json:"file_copies,omitempty"`
		Join   string        `json:"joined_post,omitempty"`
	}
	// exportJoin is a post that carried several of the customer's messages (Link.Join).
	exportJoin struct {
		ID    string           `json:"id"`
		Parts []exportJoinPart `json:"parts"`
	}
	exportJoinPart struct {
		Source  exportRef `json:"source"`
		Written string    `json:"written,omitempty"`
		Shown   string    `json:"shown,omitempty"`
		At      time.Time `json:"at,omitzero"`
	}
	exportRef struct {
		Channel string `json:"channel"`
		ID      string `json:"id"`
	}
	exportHeld struct {
		At    time.Time    `json:"at"`
		Text  string       `json:"text,omitempty"`
		Files []exportFile `json:"files,omitempty"`
	}
	exportFact struct {
		Kind    desk.FactKind `json:"kind"`
		At      time.Time     `json:"at"`
		Agent   string        `json:"agent,omitempty"`
		Subject string        `json:"subject,omitempty"`
		Value   int64         `json:"value"`
	}
)

// exportJSON writes everything stored about a customer as the export's JSON.
func exportJSON(c desk.CustomerData, now time.Time) ([]byte, error) {
	files := func(fs []desk.File) []exportFile {
		var out []exportFile
		for _, f := range fs {
			out = append(out, exportFile{ID: f.ID, Name: f.Name, Type: f.MimeType, Size: f.Size})
		}
		return out
	}
	refs := func(rs []desk.MessageRef) []exportRef {
		var out []exportRef
		for _, r := range rs {
			out = append(out, exportRef(r))
		}
		return out
	}
	doc := exportDoc{Platform: c.Platform, UserID: c.UserID, ExportedAt: now.UTC(), Tickets: []exportTicket{}}
	for _, td := range c.Tickets {
		t := td.Ticket
		u := t.Customer
		et := exportTicket{
			Number: int64(t.ID), Status: t.Status, Priority: t.Priority, Category: t.Category, Tags: t.Tags,
			Assignee: t.Assignee, AssigneeName: t.AssigneeName,
			Customer:  exportUser{ID: u.ID, Name: u.Name, DisplayName: u.DisplayName, AvatarURL: u.AvatarURL, ProfileURL: u.ProfileURL, Locale: u.Locale, TimeZone: u.TimeZone},
			DMChannel: t.DMChannel, TriageChannel: t.TriageChannel, Thread: t.ThreadID, Previous: int64(t.Previous),
			Language: t.Language, Subject: t.Subject, Answers: t.Answers, Suggested: t.Suggested, Deflected: t.Deflected,
			Rating: t.Rating, RatingComment: t.RatingComment, OutOfHours: t.OutOfHours,
			CreatedAt: t.CreatedAt, FirstResponseAt: t.FirstResponseAt, ResolvedAt: t.ResolvedAt, ClosedAt: t.ClosedAt, LastActivityAt: t.LastActivityAt,
			History: []exportEntry{}, Clocks: t.Clocks,
		}
		for _, e := range td.Transcript {
			et.History = append(et.History, exportEntry{At: e.At, Kind: e.Kind, Author: e.Author, Name: e.Name, Text: e.Text, Files: files(e.Files)})
		}
		for _, l := range td.Links {
			et.Links = append(et.Links, exportLink{Kind: l.Kind, Source: exportRef(l.Source), Copies: refs(l.Parts), Files: refs(l.Files), Join: l.Join})
		}
		for _, j := range td.Joins {
			ej := exportJoin{ID: j.ID, Parts: []exportJoinPart{}}
			for _, part := range j.Parts {
				ej.Parts = append(ej.Parts, exportJoinPart{Source: exportRef(part.Source), Written: part.Written, Shown: part.Text, At: part.At})
			}
			et.Joins = append(et.Joins, ej)
		}
		for _, h := range td.Held {
			et.Held = append(et.Held, exportHeld{At: h.At, Text: h.Text, Files: files(h.Files)})
		}
		for _, f := range td.Facts {
			et.Facts = append(et.Facts, exportFact{Kind: f.Kind, At: f.At, Agent: f.Agent, Subject: f.Subject, Value: f.Value})
		}
		doc.Tickets = append(doc.Tickets, et)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("write the export of %s/%s: %w", c.Platform, c.UserID, err)
	}
	return b, nil
}

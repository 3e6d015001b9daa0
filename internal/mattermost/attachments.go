package mattermost

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
)

// attachment renders a card as a message attachment with fields and buttons, for a post that
// roots a thread or not. Each button's context is signed so ActionHandler can tell real clicks
// from forged requests.
func (a *Adapter) attachment(fallback string, c *desk.Card, root bool) *model.MessageAttachment {
	att := &model.MessageAttachment{
		Fallback: fallback,
		Title:    c.Title,
		Text:     c.Text,
		Footer:   c.Context,
	}
	if att.Fallback == "" {
		att.Fallback = c.Title
	}
	for _, f := range c.Fields {
		value := f.Value
		if f.URL != "" {
			value = "[" + strings.NewReplacer("[", "(", "]", ")").Replace(value) + "](" + f.URL + ")"
		}
		att.Fields = append(att.Fields, &model.MessageAttachmentField{Title: f.Label, Value: value, Short: model.SlackCompatibleBool(f.Short)})
	}
	for i, act := range c.Actions {
		att.Actions = append(att.Actions, &model.PostAction{
			Id:    actionID(act.ID, i),
			Type:  model.PostActionTypeButton,
			Name:  act.Label,
			Style: buttonStyle(act.Style),
			Integration: &model.PostActionIntegration{
				URL:     a.cfg.PublicURL + "/mattermost/actions",
				Context: signAction(a.cfg.Secret, act.ID, act.Value, "", root),
			},
		})
	}
	return att
}

// actionID makes a button ID of letters and digits only: Mattermost routes clicks by it and
// mishandles other characters.
func actionID(id string, i int) string {
	var b strings.Builder
	for _, r := range id {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	return b.String() + strconv.Itoa(i)
}

func buttonStyle(s string) string {
	switch s {
	case "primary", "danger":
		return s
	}
	return "default"
}

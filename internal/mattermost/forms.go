package mattermost

import (
	"context"
	"fmt"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
)

// Dialog limits Mattermost enforces.
const (
	dialogTitleMax    = 24
	elementNameMax    = 24
	helpTextMax       = 150
	textMaxLength     = 150
	textareaMaxLength = 3000
)

// OpenForm opens an interactive dialog for the user whose click gave trigger. The dialog's
// state carries the form ID and context, signed, to DialogHandler.
func (a *Adapter) OpenForm(ctx context.Context, trigger string, f desk.Form) error {
	state, err := signState(a.cfg.Secret, dialogState{Form: f.ID, Context: f.Context, Post: a.clickedPost(trigger)})
	if err != nil {
		return fmt.Errorf("sign dialog state: %w", err)
	}
	d := model.Dialog{
		CallbackId:  f.ID,
		Title:       truncate(f.Title, dialogTitleMax),
		SubmitLabel: f.Submit,
		State:       state,
	}
	for _, ff := range f.Fields {
		el := model.DialogElement{
			DisplayName: truncate(ff.Label, elementNameMax),
			Name:        ff.ID,
			Default:     ff.Value,
			Optional:    ff.Optional,
			HelpText:    truncate(ff.Hint, helpTextMax),
		}
		switch ff.Kind {
		case "textarea":
			el.Type, el.MaxLength = "textarea", textareaMaxLength
		case "user":
			el.Type, el.DataSource = "select", "users"
		case "select", "multiselect":
			el.Type = "select"
			el.MultiSelect = ff.Kind == "multiselect"
			for _, o := range ff.Options {
				el.Options = append(el.Options, &model.PostActionOptions{Text: o, Value: o})
			}
		default:
			el.Type, el.MaxLength = "text", textMaxLength
		}
		d.Elements = append(d.Elements, el)
	}
	resp, err := a.client.OpenInteractiveDialog(ctx, model.OpenDialogRequest{
		TriggerId: trigger,
		URL:       a.cfg.PublicURL + "/mattermost/dialogs",
		Dialog:    d,
	})
	return deliveryError("actions.dialogs.open", resp, err)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

package slack

import (
	"strconv"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/threadesk/threadesk/internal/desk"
)

// Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks). Texts beyond them make
// Slack refuse the whole message with invalid_blocks, so they are cut here with an ellipsis.
const (
	maxHeaderText  = 150
	maxSectionText = 3000
	maxFieldText   = 2000
	maxFields      = 10
	maxButtonText  = 75
	maxButtonValue = 2000
	maxActions     = 25
	maxContextText = 3000
	maxModalTitle  = 24
	maxModalSubmit = 24
	maxInputLabel  = 2000
	maxInputHint   = 2000
	maxOptionText  = 75
	maxOptionValue = 150
	maxOptions     = 100
	maxMetadata    = 3000
)

// cardBlocks renders a ticket card as Block Kit: a header with the title, a section with the
// text, sections of fields (short fields two abreast, long ones on their own), a context line,
// and one or more actions blocks of buttons whose action_id and value are the card actions'
// ID and Value, so that a click comes back as exactly that action.
func cardBlocks(c *desk.Card) []slackgo.Block {
	var blocks []slackgo.Block
	// The card's texts are composed by the core, people's words in them quoted (Quote): they
	// are mrkdwn as they are, and the header, which is plain_text, takes the escaping off.
	if c.Title != "" {
		blocks = append(blocks, slackgo.NewHeaderBlock(plain(unquote(c.Title), maxHeaderText)))
	}
	if c.Text != "" {
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(c.Text, maxSectionText), nil, nil))
	}
	var short []*slackgo.TextBlockObject
	flush := func() {
		for len(short) > 0 {
			n := min(len(short), maxFields)
			blocks = append(blocks, slackgo.NewSectionBlock(nil, short[:n], nil))
			short = short[n:]
		}
	}
	for _, f := range c.Fields {
		value := f.Value
		if f.URL != "" {
			value = "<" + escapeURL(f.URL) + "|" + linkLabel(f.Value) + ">"
		}
		text := "*" + f.Label + "*\n" + value
		if f.Short {
			short = append(short, mrkdwn(text, maxFieldText))
			continue
		}
		flush()
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(text, maxSectionText), nil, nil))
	}
	flush()
	if c.Context != "" {
		blocks = append(blocks, slackgo.NewContextBlock("", mrkdwn(c.Context, maxContextText)))
	}
	blocks = append(blocks, actionBlocks(c.Actions)...)
	return blocks
}

// actionBlocks lays buttons out in actions blocks. Slack wants action_ids unique within a block
// and at most 25 elements in one, so a repeated ID or a full block starts a new block.
func actionBlocks(actions []desk.Action) []slackgo.Block {
	var (
		blocks   []slackgo.Block
		elements []slackgo.BlockElement
		seen     = map[string]int{}
	)
	flush := func() {
		if len(elements) > 0 {
			blocks = append(blocks, slackgo.NewActionBlock("", elements...))
		}
		elements, seen = nil, map[string]int{}
	}
	for _, act := range actions {
		if len(elements) == maxActions {
			flush()
		}
		// Slack wants action IDs unique within a block: buttons of one action (the scores of
		// a rating) are told apart by a suffix that actionOf takes off again.
		id := act.ID
		if n := seen[act.ID]; n > 0 {
			id += actionSuffix + strconv.Itoa(n)
		}
		seen[act.ID]++
		b := slackgo.NewButtonBlockElement(id, truncate(act.Value, maxButtonValue), plain(act.Label, maxButtonText))
		switch act.Style {
		case "primary":
			b.Style = slackgo.StylePrimary
		case "danger":
			b.Style = slackgo.StyleDanger
		}
		elements = append(elements, b)
	}
	flush()
	return blocks
}

// actionSuffix separates an action's ID from the number that makes it unique in its block.
const actionSuffix = "~"

// actionOf is the core's action of a button's action_id.
func actionOf(actionID string) string {
	action, _, _ := strings.Cut(actionID, actionSuffix)
	return action
}

// formView renders a form as a modal. Each field is an input block whose block_id and action_id
// are the field's ID, so that the submission's values map back to field IDs; callback_id and
// private_metadata carry the form's ID and Context back with the submission.
func formView(f desk.Form) slackgo.ModalViewRequest {
	submit := f.Submit
	if submit == "" {
		submit = "Save"
	}
	view := slackgo.ModalViewRequest{
		Type:            slackgo.VTModal,
		Title:           plain(f.Title, maxModalTitle),
		Submit:          plain(submit, maxModalSubmit),
		Close:           plain("Cancel", maxModalSubmit),
		CallbackID:      f.ID,
		PrivateMetadata: truncate(f.Context, maxMetadata),
	}
	for _, field := range f.Fields {
		var hint *slackgo.TextBlockObject
		if field.Hint != "" {
			hint = plain(field.Hint, maxInputHint)
		}
		input := slackgo.NewInputBlock(field.ID, plain(field.Label, maxInputLabel), hint, formElement(field))
		input.Optional = field.Optional
		view.Blocks.BlockSet = append(view.Blocks.BlockSet, input)
	}
	return view
}

// formElement is the input element for one form field: a plain-text input (multi-line for
// "textarea"), a static select, a multi-select, or a person picker (users_select, for "user"),
// with the field's initial value.
func formElement(field desk.FormField) slackgo.BlockElement {
	switch field.Kind {
	case "user":
		// Slack lists the workspace's people itself; the submission carries the chosen user's
		// ID, which is what a "user" field's value is.
		sel := slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeUser, nil, field.ID)
		if v := strings.TrimSpace(field.Value); userID.MatchString(v) {
			sel.InitialUser = v
		}
		return sel
	case "select":
		opts := options(field.Options)
		sel := slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic, nil, field.ID, opts...)
		if o := findOption(opts, strings.TrimSpace(field.Value)); o != nil {
			sel.InitialOption = o
		}
		return sel
	case "multiselect":
		opts := options(field.Options)
		sel := slackgo.NewOptionsMultiSelectBlockElement(slackgo.MultiOptTypeStatic, nil, field.ID, opts...)
		for _, v := range strings.Split(field.Value, ",") {
			if o := findOption(opts, strings.TrimSpace(v)); o != nil {
				sel.InitialOptions = append(sel.InitialOptions, o)
			}
		}
		return sel
	}
	in := slackgo.NewPlainTextInputBlockElement(nil, field.ID)
	in.Multiline = field.Kind == "textarea"
	in.InitialValue = field.Value
	return in
}

func options(values []string) []*slackgo.OptionBlockObject {
	opts := make([]*slackgo.OptionBlockObject, 0, min(len(values), maxOptions))
	for _, v := range values[:min(len(values), maxOptions)] {
		opts = append(opts, slackgo.NewOptionBlockObject(truncate(v, maxOptionValue), plain(v, maxOptionText), nil))
	}
	return opts
}

func findOption(opts []*slackgo.OptionBlockObject, value string) *slackgo.OptionBlockObject {
	for _, o := range opts {
		if value != "" && o.Value == value {
			return o
		}
	}
	return nil
}

func plain(s string, limit int) *slackgo.TextBlockObject {
	if s == "" {
		s = " " // Slack refuses empty text objects
	}
	return slackgo.NewTextBlockObject(slackgo.PlainTextType, truncate(s, limit), true, false)
}

func mrkdwn(s string, limit int) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.MarkdownType, truncate(s, limit), false, false)
}

// truncate cuts s to at most limit runes, ending in an ellipsis when it cut.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	r := []rune(s)
	if len(r) <= limit {
		return s
	}
	return string(r[:limit-1]) + "…"
}

// escapeURL escapes what would end a link's URL early in mrkdwn.
func escapeURL(s string) string {
	return strings.NewReplacer("<", "%3C", ">", "%3E", "|", "%7C").Replace(s)
}

// linkLabel is a composed text (people's words in it quoted) made fit to be a link's label:
// without a ">" or "|", which would end it or split it.
func linkLabel(s string) string {
	return strings.NewReplacer(">", "&gt;", "|", "¦").Replace(s)
}

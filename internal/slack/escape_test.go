package slack

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
)

// Card field values are data: whatever they hold (a customer's comment, a tag) cannot make a
// mention or a link in Slack's mrkdwn; a field with a URL links only its own label.
func TestCardFieldsAreEscaped(t *testing.T) {
	blocks := cardBlocks(&desk.Card{Title: "Ticket #1", Fields: []desk.Field{
		{Label: "Satisfaction", Value: "2/5: slow <!channel> & <https://evil|click>"},
		{Label: "Customer", Value: "Ann <b>", URL: "https://example.slack.com/team/U1"},
	}})
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(blocks); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, live := range []string{"<!channel>", "<https://evil", "Ann <b>"} {
		if strings.Contains(got, live) {
			t.Errorf("blocks hold %q unescaped: %s", live, got)
		}
	}
	for _, want := range []string{"&lt;!channel&gt; &amp; &lt;https://evil|click&gt;", "<https://example.slack.com/team/U1|Ann &lt;b&gt;>"} {
		if !strings.Contains(got, want) {
			t.Errorf("blocks lack %q: %s", want, got)
		}
	}
}

package slack

import (
	"encoding/json"
	"testing"

	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

// sample loads a real Slack payload (specs/slack/samples) as a template with the test's values
// set by dotted path; see slacktest.Sample.
func sample(t *testing.T, name string, set map[string]any) map[string]any {
	t.Helper()
	return slacktest.Sample(t, slacktest.SpecsDir(t), name, set)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

package slack

import (
	"testing"

	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

// fakeSlack is the spec-checked fake Slack of package slacktest, with the workspace these
// tests expect: the bot, #general, #random, #triage and Jane (U1).
type fakeSlack struct {
	*slacktest.Server
	srv *slacktest.Server
}

const (
	fakeBotToken = slacktest.BotToken
	fakeBotUser  = slacktest.BotUser
	fakeBotID    = slacktest.BotID
	fakeTriage   = slacktest.Triage
)

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	s := slacktest.New(t, slacktest.SpecsDir(t))
	s.AddUser(slacktest.User{ID: "U1", Name: "jane", DisplayName: "Jane", RealName: "Jane Doe", Image: "https://avatars.example/jane_72.png"})
	return &fakeSlack{Server: s, srv: s}
}

func (f *fakeSlack) apiURL() string                         { return f.APIURL() }
func (f *fakeSlack) callsTo(method string) []slacktest.Call { return f.Calls(method) }
func (f *fakeSlack) callCount() int                         { return f.CallCount() }
func (f *fakeSlack) failNext(method string, status int, header map[string]string, body any) {
	f.FailNext(method, status, header, body)
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/redistest"
	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

// Helpers of the Slack end-to-end tests: the real program (NewMain, Run, Close) against the
// spec-checked fake Slack of internal/slack/slacktest, driven with signed requests built from
// Slack's real payload shapes.

const (
	slackSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	slackWait   = 20 * time.Second
)

// The people of the test workspace: two agents (members of the triage channel) and customers.
var (
	slackAnn = slacktest.User{ID: "U0ANN0001", Name: "ann", DisplayName: "Ann", RealName: "Ann Agent", Image: "https://avatars.example/ann_72.png"}
	slackBob = slacktest.User{ID: "U0BOB0001", Name: "bob", DisplayName: "Bob", RealName: "Bob Agent", Image: "https://avatars.example/bob_72.png"}
)

// slackCustomer is the n-th customer; their DM with the app is "D" + ID.
func slackCustomer(n int) slacktest.User {
	return slacktest.User{ID: fmt.Sprintf("U0CUST%03d", n), Name: fmt.Sprintf("cust%d", n), DisplayName: fmt.Sprintf("Customer %d", n),
		RealName: fmt.Sprintf("Customer Number %d", n), Image: fmt.Sprintf("https://avatars.example/cust%d_72.png", n)}
}

func slackDM(u slacktest.User) string { return "D" + u.ID }

// slackWorkspace starts a fake Slack with the agents in the triage channel and customers
// 1..customers in the workspace.
func slackWorkspace(t *testing.T, customers int) *slacktest.Server {
	t.Helper()
	fake := slacktest.New(t, slacktest.SpecsDir(t))
	fake.AddUser(slackAnn)
	fake.AddUser(slackBob)
	for i := 1; i <= customers; i++ {
		fake.AddUser(slackCustomer(i))
	}
	fake.SetMembers(slacktest.Triage, slacktest.BotUser, slackAnn.ID, slackBob.ID)
	return fake
}

// slackConfig is the program's configuration (the defaults of Config's tags) for the fake
// Slack, with the test's own Redis prefix and a free port.
func slackConfig(t *testing.T, fake *slacktest.Server) Config {
	t.Helper()
	cfg := defaultConfig(t)
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.RedisURL = "redis://" + redistest.Addr(t)
	cfg.RedisPrefix = redistest.Prefix(t)
	cfg.SlackBotToken = slacktest.BotToken
	cfg.SlackSigningSecret = slackSecret
	cfg.SlackTriageChannel = "#triage"
	cfg.SlackAPIURL = fake.APIURL()
	cfg.QueueShards = 4
	cfg.SlackPostRate = 1000
	cfg.SlackPostBurst = 1000
	cfg.DeliveryGiveUpAfter = time.Minute
	cfg.MaxFileMB = 10
	cfg.ShutdownTimeout = 10 * time.Second
	cfg.LogLevel = "warn"
	if err := cfg.Check(); err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// slackApp is a running Main with the fake Slack it talks to.
type slackApp struct {
	*Main
	t      *testing.T
	fake   *slacktest.Server
	client *http.Client
	closed atomic.Bool
	echoed atomic.Int64 // own messages delivered back, see echo
}

// startSlackApp runs Main with cfg and closes it when the test ends.
func startSlackApp(t *testing.T, fake *slacktest.Server, cfg Config) *slackApp {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	m := NewMain(cfg, log)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		t.Fatalf("Run: %v", err)
	}
	a := &slackApp{Main: m, t: t, fake: fake, client: &http.Client{Timeout: 20 * time.Second}}
	t.Cleanup(func() {
		if err := a.close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return a
}

// close stops the program once.
func (a *slackApp) close() error {
	if a.closed.Swap(true) {
		return nil
	}
	a.client.CloseIdleConnections()
	return a.Close()
}

// send POSTs body to path signed with secret at the given time, with extra headers, and
// returns the answer's status.
func (a *slackApp) send(path string, body []byte, secret string, at time.Time, header http.Header) int {
	a.t.Helper()
	r, err := slacktest.NewRequest("http://"+a.Addr.String()+path, secret, body, at)
	if err != nil {
		a.t.Fatal(err)
	}
	for k, v := range header {
		r.Header[k] = v
	}
	resp, err := a.client.Do(r)
	if err != nil {
		a.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// echo has the fake Slack deliver the app's own messages back to it as events, as Slack does
// (the app reads the channels it writes in). Each must be acknowledged and have no effect.
func (a *slackApp) echo() {
	a.fake.OnEvent(func(body []byte) {
		r, err := slacktest.NewRequest("http://"+a.Addr.String()+"/slack/events", slackSecret, body, time.Now())
		if err != nil {
			panic(err)
		}
		resp, err := a.client.Do(r)
		if a.closed.Load() {
			return
		}
		if err != nil {
			a.t.Errorf("echo of the app's own message: %v", err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			a.t.Errorf("echo of the app's own message: got %d, want 200", resp.StatusCode)
		}
		a.echoed.Add(1)
	})
}

// event delivers an Events API callback as Slack does and fails unless it is acknowledged.
func (a *slackApp) event(body []byte) {
	a.t.Helper()
	if got := a.send("/slack/events", body, slackSecret, time.Now(), nil); got != http.StatusOK {
		a.t.Fatalf("POST /slack/events: got %d, want 200", got)
	}
}

// interact delivers an interaction payload and fails unless it is acknowledged.
func (a *slackApp) interact(payload map[string]any) {
	a.t.Helper()
	if got := a.send("/slack/interactivity", slacktest.Form(payload), slackSecret, time.Now(), nil); got != http.StatusOK {
		a.t.Fatalf("POST /slack/interactivity: got %d, want 200", got)
	}
}

// command runs a slash command and fails unless it is acknowledged.
func (a *slackApp) command(form url.Values) {
	a.t.Helper()
	if got := a.send("/slack/commands", []byte(form.Encode()), slackSecret, time.Now(), nil); got != http.StatusOK {
		a.t.Fatalf("POST /slack/commands: got %d, want 200", got)
	}
}

// say records a message of user in channel (under thread) in the fake and delivers its event.
func (a *slackApp) say(eventID string, user slacktest.User, channel, thread, text string, files ...slacktest.File) slacktest.Message {
	a.t.Helper()
	m := a.fake.UserMessage(channel, user.ID, text, thread)
	a.event(a.fake.MessageEvent(eventID, m, slackChannelType(channel), files...))
	return m
}

func slackChannelType(channel string) string {
	if strings.HasPrefix(channel, "D") {
		return "im"
	}
	return "channel"
}

// slackEventually calls cond until it reports true, failing the test with cond's last
// explanation if that does not happen within slackWait.
func slackEventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(slackWait)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s: %s", slackWait, what, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// drained waits until the app has handled every event it recorded, tasks included: after it,
// anything a request caused is visible.
func (a *slackApp) drained() {
	a.t.Helper()
	slackEventually(a.t, "the queue to drain", func() (bool, string) {
		n, err := a.Store.QueueDepth(context.Background())
		return err == nil && n == 0, fmt.Sprintf("depth %d (%v)", n, err)
	})
}

// slackCard waits for the ticket card: the top-level message of the triage channel whose
// text names the customer.
func slackCard(t *testing.T, fake *slacktest.Server, customer slacktest.User) slacktest.Message {
	t.Helper()
	var card slacktest.Message
	slackEventually(t, "the ticket card of "+customer.DisplayName, func() (bool, string) {
		for _, m := range fake.Messages(slacktest.Triage) {
			if m.Thread == "" && m.BotID == slacktest.BotID && strings.HasSuffix(m.Text, " · "+customer.DisplayName) {
				card = m
				return true, ""
			}
		}
		return false, fmt.Sprintf("triage channel: %s", slackTexts(fake.Messages(slacktest.Triage)))
	})
	return card
}

// slackReplies returns the app's replies in a thread (the root excluded).
func slackReplies(fake *slacktest.Server, channel, thread string) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range fake.Thread(channel, thread) {
		if m.TS != thread && m.BotID == slacktest.BotID {
			out = append(out, m)
		}
	}
	return out
}

// slackReplyLines are the lines of the app's replies in a thread, in order: a post that joined
// several messages gives one line each (its parts are a blank line apart), and a late
// message's marker is a line of its own.
func slackReplyLines(fake *slacktest.Server, channel, thread string) []string {
	var out []string
	for _, m := range slackReplies(fake, channel, thread) {
		for line := range strings.SplitSeq(m.Text, "\n") {
			if line != "" {
				out = append(out, line)
			}
		}
	}
	return out
}

// slackFromApp returns the app's messages in a channel.
func slackFromApp(fake *slacktest.Server, channel string) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range fake.Messages(channel) {
		if m.BotID == slacktest.BotID {
			out = append(out, m)
		}
	}
	return out
}

func slackTexts(msgs []slacktest.Message) string {
	var out []string
	for _, m := range msgs {
		out = append(out, fmt.Sprintf("%q", m.Text))
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// slackWithText returns the messages whose text is text.
func slackWithText(msgs []slacktest.Message, text string) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range msgs {
		if m.Text == text {
			out = append(out, m)
		}
	}
	return out
}

// slackContaining returns the messages whose text contains part.
func slackContaining(msgs []slacktest.Message, part string) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range msgs {
		if strings.Contains(m.Text, part) {
			out = append(out, m)
		}
	}
	return out
}

// slackBlocks decodes a message's blocks.
func slackBlocks(t *testing.T, m slacktest.Message) []map[string]any {
	t.Helper()
	var blocks []map[string]any
	if len(m.Blocks) > 0 {
		if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
			t.Fatalf("blocks of %s: %v", m.TS, err)
		}
	}
	return blocks
}

// slackButtons lists a message's buttons as "action_id=value".
func slackButtons(t *testing.T, m slacktest.Message) []string {
	t.Helper()
	var out []string
	for _, b := range slackBlocks(t, m) {
		if b["type"] != "actions" {
			continue
		}
		for _, e := range b["elements"].([]any) {
			el := e.(map[string]any)
			out = append(out, fmt.Sprintf("%v=%v", el["action_id"], el["value"]))
		}
	}
	return out
}

// slackField returns the value of a card field with label (fields render as "*Label*\nvalue").
func slackField(t *testing.T, m slacktest.Message, label string) string {
	t.Helper()
	for _, b := range slackBlocks(t, m) {
		fields, _ := b["fields"].([]any)
		if text, ok := b["text"].(map[string]any); ok {
			fields = append(fields, text)
		}
		for _, f := range fields {
			text, _ := f.(map[string]any)["text"].(string)
			if v, ok := strings.CutPrefix(text, "*"+label+"*\n"); ok {
				return v
			}
		}
	}
	return ""
}

// slackHasButtons reports whether a message has buttons with each action ID.
func slackHasButtons(t *testing.T, m slacktest.Message, actions ...string) bool {
	t.Helper()
	buttons := slackButtons(t, m)
	for _, act := range actions {
		if !slices.ContainsFunc(buttons, func(b string) bool { return strings.HasPrefix(b, act+"=") }) {
			return false
		}
	}
	return true
}

// slackResponses returns the bodies posted to response URLs, as text and response_type.
func slackResponses(fake *slacktest.Server) []string {
	var out []string
	for _, r := range fake.Responses() {
		out = append(out, fmt.Sprintf("%v|%v", r.Body["response_type"], r.Body["text"]))
	}
	return out
}

// slackSameBytes reports whether a file uploaded by the app has exactly data.
func slackSameBytes(fake *slacktest.Server, fileID string, data []byte) bool {
	f, ok := fake.Uploaded(fileID)
	return ok && bytes.Equal(f.Data, data)
}

// slackOneAckEach fails the test unless every customer was told "opened ticket" exactly once.
func slackOneAckEach(t *testing.T, fake *slacktest.Server, customers []slacktest.User) {
	t.Helper()
	for _, cust := range customers {
		acks := 0
		for _, m := range slackFromApp(fake, slackDM(cust)) {
			if strings.Contains(m.Text, "opened ticket") {
				acks++
			}
		}
		if acks != 1 {
			t.Errorf("%s got %d acknowledgements of their ticket, want 1", cust.Name, acks)
		}
	}
}

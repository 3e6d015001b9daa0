package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/mattermost/mattermosttest"
	"github.com/threadesk/threadesk/internal/redistest"
)

// TestMattermostLogsKeepSecrets is TestLogsKeepSecrets for Mattermost: it runs the built
// binary with LOG_LEVEL=debug against the fake Mattermost through a customer's DM over the
// WebSocket, the ticket's card, an agent's reply in its thread, edits both ways, a click on
// Claim, /desk commands with the command token, and forged requests (a button's context
// without the app's signature, a command with a wrong token), and then searches everything it
// logged for the bot token, the command tokens, the app's action secret (in any of the
// encodings a careless log line would use), the metrics token and every text it was given:
// none may appear, at any level.
func TestMattermostLogsKeepSecrets(t *testing.T) {
	bin := buildBinary(t)
	w := mmNewWorld(t)
	port, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	base := "http://" + addr
	prefix := redistest.Prefix(t)
	const (
		metricsToken = "metrics-token-7d2a4c9e1f"
		forgedToken  = "forged-command-token-3b8e"
	)
	var logged syncBuffer
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"HTTP_ADDR=" + addr,
		"PUBLIC_URL=" + base,
		"REDIS_URL=redis://" + redistest.Addr(t),
		"REDIS_PREFIX=" + prefix,
		"QUEUE_SHARDS=4",
		"LOG_LEVEL=debug",
		"METRICS_TOKEN=" + metricsToken,
		"MATTERMOST_URL=" + w.URL,
		"MATTERMOST_TOKEN=" + mattermosttest.BotToken,
		"MATTERMOST_TEAM=support",
		"MATTERMOST_TRIAGE_CHANNEL=triage",
		"MATTERMOST_COMMAND_TOKEN=" + mmCommandToken,
	}
	cmd.Stdout, cmd.Stderr = &logged, &logged
	dialled := w.Dialled()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the binary: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // when the test stopped it already, this does nothing
		<-exited
	})
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	mmEventually(t, "the binary ready and its WebSocket up", func() (bool, string) {
		resp, err := client.Get(base + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK && w.Dialled() > dialled && w.SocketCount() > 0,
			fmt.Sprintf("%s, %d sockets", resp.Status, w.SocketCount())
	})
	post := func(path, contentType string, header http.Header, body string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header.Clone()
		if req.Header == nil {
			req.Header = http.Header{}
		}
		req.Header.Set("Content-Type", contentType)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	run := func(token, user, channel, text string) int {
		t.Helper()
		status, _, err := w.RunCommand(context.Background(), mattermosttest.Command{
			URL: base + "/mattermost/command", Token: token, Trigger: "/desk", UserID: user, Channel: channel, Text: text,
		})
		if err != nil {
			t.Fatalf("/desk %s: %v", text, err)
		}
		return status
	}

	texts := []string{
		"customer-words-a71f my account number is 4242",
		"agent-words-b82e please restart the router",
		"customer-edit-d04f the edited text",
		"agent-edit-e15a the corrected reply",
		"find-words-c93d",
		"forged-command-words-f26b",
		"forged-action-words-0a7c",
	}
	dm := w.DM(w.Bot.Id, w.Customer.Id)
	first := w.UserPost(w.Customer.Id, dm.Id, "", texts[0])
	card := w.card(t, 1)
	w.waitPost(t, w.Triage.Id, card.Id, "**Carol Customer:** "+texts[0])
	// Claim first: the agent's reply would claim the ticket, and the button be gone.
	w.click(t, w.Agent.Id, w.Post(card.Id), "claim", "1")
	mmEventually(t, "the card to show the claim", func() (bool, string) {
		s := mmCardField(w.Post(card.Id), "Status")
		return s == "open", s
	})
	reply := w.UserPost(w.Agent.Id, w.Triage.Id, card.Id, texts[1])
	w.waitPost(t, dm.Id, "", "**Alex the Agent:** "+texts[1])
	w.UserEdit(first.Id, texts[2])
	w.UserEdit(reply.Id, texts[3])
	w.waitPost(t, w.Triage.Id, card.Id, "**Carol Customer:** "+texts[2])
	w.waitPost(t, dm.Id, "", "**Alex the Agent:** "+texts[3])

	for _, text := range []string{"find " + texts[4], "show 1"} {
		if status := run(mmCommandToken, w.Agent.Id, w.Triage.Id, text); status != http.StatusOK {
			t.Errorf("/desk %s: %d, want 200", text, status)
		}
	}
	w.hook(t, 2)

	// Forged requests are logged too, as refused; a wrong token may be a real one of another
	// integration, so it is as secret as the right one.
	if status := run(forgedToken, w.Agent.Id, w.Triage.Id, texts[5]); status != http.StatusUnauthorized {
		t.Errorf("command with a wrong token: %d, want 401", status)
	}
	form := url.Values{"user_id": {w.Agent.Id}, "channel_id": {w.Triage.Id}, "text": {texts[5]}, "token": {forgedToken}}
	if status := post("/mattermost/command", "application/x-www-form-urlencoded", nil, form.Encode()); status != http.StatusUnauthorized {
		t.Errorf("command with a wrong form token: %d, want 401", status)
	}
	forged, _ := json.Marshal(model.PostActionIntegrationRequest{UserId: w.Agent.Id, ChannelId: w.Triage.Id, PostId: card.Id, TriggerId: "t1",
		Context: map[string]any{"action": "close", "value": texts[6], "ticket": "", "sig": "AAAA"}})
	if status := post("/mattermost/actions", "application/json", nil, string(forged)); status != http.StatusForbidden {
		t.Errorf("forged action: %d, want 403", status)
	}
	metrics, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	metrics.Header.Set("Authorization", "Bearer "+metricsToken)
	if resp, err := client.Do(metrics); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET /metrics with the token: %v %v, want 200", resp, err)
	} else {
		resp.Body.Close()
	}

	// The action secret, as the binary stored it (redisstore's key "secret:mattermost-actions").
	secret, err := redistest.Client(t).Get(context.Background(), prefix+"secret:mattermost-actions").Bytes()
	if err != nil || len(secret) < 32 {
		t.Fatalf("the action secret in Redis: %d bytes, %v", len(secret), err)
	}

	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Errorf("the binary stopped with SIGTERM: %v, want exit status 0", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("the binary did not stop within 20s of SIGTERM")
	}
	log := logged.String()
	if !strings.Contains(log, "level=DEBUG") {
		t.Fatalf("no debug lines logged; the test proves nothing:\n%s", log)
	}
	secrets := map[string]string{
		"the bot token":               mattermosttest.BotToken,
		"the command token":           mmCommandToken,
		"the forged command token":    forgedToken,
		"the metrics token":           metricsToken,
		"the action secret":           string(secret),
		"the action secret in hex":    hex.EncodeToString(secret),
		"the action secret base64":    base64.RawStdEncoding.EncodeToString(secret),
		"the action secret base64url": base64.RawURLEncoding.EncodeToString(secret),
	}
	logKeepsSecrets(t, log, secrets, texts)
}

package main

import (
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

// TestLogsKeepSecrets runs the built binary for Slack with LOG_LEVEL=debug through a
// customer's DM, the ticket's card, an agent's reply carried back, a click on Claim and slash
// commands, and then searches everything it logged for the bot token, the signing secret, the
// metrics token and every text it was given: none may appear, at any level. Meanwhile the
// binary, with a platform configured, serves no sandbox, and /metrics wants its token.
func TestLogsKeepSecrets(t *testing.T) {
	bin := buildBinary(t)
	fake := slackWorkspace(t, 1)
	b := newSlackBinary(t, bin, fake)
	const metricsToken = "metrics-token-5c1e7d0a9b"
	b.env = append(b.env, "LOG_LEVEL=debug", "METRICS_TOKEN="+metricsToken)
	var logged syncBuffer
	cmd := exec.Command(b.bin)
	cmd.Env = b.env
	cmd.Stderr = &logged
	cmd.Stdout = &logged
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	base := "http://" + b.addr
	slackEventually(t, "the binary answers /healthz", func() (bool, string) {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})

	cust := slackCustomers(1)[0]
	texts := []string{
		"customer-words-a71f my invoice number is 4242",
		"agent-words-b82e please restart the router",
		"find-words-c93d",
		"customer-edit-d04f the edited text",
	}
	m := fake.UserMessage(slackDM(cust), cust.ID, texts[0], "")
	b.post("/slack/events", fake.MessageEvent("EvLog1", m, "im"))
	card := slackCard(t, fake, cust)
	slackEventually(t, "the customer's message in the thread", func() (bool, string) {
		return len(slackContaining(slackReplies(fake, slacktest.Triage, card.TS), texts[0])) == 1, slackTexts(slackReplies(fake, slacktest.Triage, card.TS))
	})
	reply := fake.UserMessage(slacktest.Triage, slackAnn.ID, texts[1], card.TS)
	b.post("/slack/events", fake.MessageEvent("EvLog2", reply, "channel"))
	slackEventually(t, "the agent's reply in the customer's DM", func() (bool, string) {
		return len(slackContaining(slackFromApp(fake, slackDM(cust)), texts[1])) == 1, slackTexts(fake.Messages(slackDM(cust)))
	})
	b.post("/slack/events", fake.EditEvent("EvLog3", m, texts[3], "im"))
	b.post("/slack/interactivity", slacktest.Form(fake.BlockAction(slackAnn, slackCardNow(fake, card), "claim", "1")))
	b.post("/slack/commands", []byte(fake.SlashCommand(slackAnn, slacktest.Triage, "/desk", "find "+texts[2]).Encode()))
	b.post("/slack/commands", []byte(fake.SlashCommand(slackAnn, slacktest.Triage, "/desk", "show 1").Encode()))
	slackEventually(t, "both commands answered and the edit mirrored", func() (bool, string) {
		edited := len(slackContaining(slackReplies(fake, slacktest.Triage, card.TS), texts[3])) == 1
		return len(slackResponses(fake)) >= 2 && edited, fmt.Sprintf("%d answers, edit mirrored %v", len(slackResponses(fake)), edited)
	})
	// A request with a bad signature is logged too (as rejected): with its body's text.
	bad, err := slacktest.NewRequest(base+"/slack/events", "not-the-secret", fake.MessageEvent("EvLog4", fake.UserMessage(slackDM(cust), cust.ID, "forged-words-e15a", ""), "im"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.DefaultClient.Do(bad); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged request: %v %v, want 401", err, resp)
	} else {
		resp.Body.Close()
	}
	texts = append(texts, "forged-words-e15a")

	// With a platform configured there is no sandbox, page or API.
	for _, path := range []string{"/sandbox", "/sandbox/", "/sandbox/api/state", "/"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404 with Slack configured", path, resp.StatusCode)
		}
	}
	// /metrics wants its token.
	for _, tt := range []struct {
		name, auth string
		want       int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"wrong token", "Bearer nope", http.StatusUnauthorized},
		{"token as basic", "Basic " + metricsToken, http.StatusUnauthorized},
		{"the token", "Bearer " + metricsToken, http.StatusOK},
	} {
		r, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
		if tt.auth != "" {
			r.Header.Set("Authorization", tt.auth)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("GET /metrics with %s = %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
		if tt.want == http.StatusOK && !strings.Contains(string(body), "threadesk_tickets_active{status=\"open\"}") {
			t.Errorf("GET /metrics with the token: no threadesk_tickets_active{status=\"open\"} in\n%.500s", body)
		}
	}

	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _, _ = cmd.Process.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Error("the binary did not stop")
	}
	log := logged.String()
	if !strings.Contains(log, "level=DEBUG") {
		t.Fatalf("no debug lines logged; the test proves nothing:\n%s", log)
	}
	secrets := map[string]string{"the bot token": slacktest.BotToken, "the signing secret": slackSecret, "the metrics token": metricsToken}
	logKeepsSecrets(t, log, secrets, texts)
}

// logKeepsSecrets fails the test for every secret (by what it is) and every text, or the
// first word of one, found in log, naming the line.
func logKeepsSecrets(t *testing.T, log string, secrets map[string]string, texts []string) {
	t.Helper()
	for i, text := range texts {
		secrets[fmt.Sprintf("text %d", i)] = text
		// Any distinctive part of a text, too (a subject cut from it, a word of it).
		secrets[fmt.Sprintf("text %d's first word", i)] = strings.Fields(text)[0]
	}
	for what, secret := range secrets {
		if i := strings.Index(log, secret); i >= 0 {
			line := log[strings.LastIndex(log[:i], "\n")+1:]
			line, _, _ = strings.Cut(line, "\n")
			t.Errorf("the log contains %s: %s", what, line)
		}
	}
	t.Logf("%d lines logged, %d at debug level", strings.Count(log, "\n"), strings.Count(log, "level=DEBUG"))
}

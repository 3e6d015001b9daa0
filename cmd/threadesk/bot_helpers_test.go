package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/redistest"
)

// The desk of the first-line bot's end-to-end tests (bot_slack_test.go,
// bot_mattermost_test.go): two categories, one of them with a question; the bot suggests
// articles; one canned reply. The intake's timeout is long: no test waits for it.
const botPolicy = `language: en
categories:
  - name: Billing
    description: Invoices, payments, refunds
    questions:
      - {id: invoice, ask: "What is the invoice number?"}
  - name: Technical
    description: Errors and crashes
intake: {enabled: true, timeout: 10m, suggest: true}
canned:
  - {name: restart, text: "Hi {customer}, please restart the app and tell me if it helps.", set: {status: pending}}
`

// botKB is the knowledge base of those tests: threadesk kb search suggests find-invoices for
// "my invoice is wrong" and "where is my invoice", reset-password-ru for "Я забыл пароль и не
// могу войти", and nothing for "do you have a dark mode?".
const botKB = `articles:
  - id: find-invoices
    lang: en
    title: Where can I find my invoices?
    category: Billing
    keywords: [invoice, receipt, wrong invoice]
    body: |
      Open Settings, then Billing, then Invoices. Every invoice can be downloaded as a PDF.
      If an invoice is wrong, tell us its number and we will send a corrected one.
  - id: reset-password
    lang: en
    title: How do I reset my password?
    category: Account
    keywords: [forgot password, reset link, login]
    body: |
      Open the sign-in page and choose "Forgot password?". We send a reset link to your email.
  - id: reset-password-ru
    lang: ru
    title: Как сбросить пароль?
    category: Account
    keywords: [забыл пароль, вход]
    body: |
      Откройте страницу входа и нажмите «Забыли пароль?». Мы пришлём ссылку на почту.
`

// The texts the bot's customers read, as the catalog words them (English, and Russian for the
// customer whose platform says ru).
const (
	botSolved       = "That solved it"
	botHuman        = "I still need a person"
	botStillNeed    = "If none of these answers your question, an agent will help you."
	botThanks       = "Glad that helped! Write here again any time."
	botInvoiceAsk   = "What is the invoice number?"
	botInvoiceTitle = "Where can I find my invoices?"
	botInvoiceBody  = "Open Settings, then Billing, then Invoices."
	botSuggested    = "Articles suggested"
	botInvoiceHint  = "Where can I find my invoices? (find-invoices)"
	botSolvedRU     = "Это помогло"
	botHumanRU      = "Нужен специалист"
	botStillNeedRU  = "Если это не помогло, вам ответит специалист."
	botSkipRU       = "Пропустить"
	botGreetingRU   = "Здравствуйте"
)

// botDeskFiles writes the policy and the knowledge base into the test's temporary directory
// and returns their paths, for DESK_CONFIG and KB_PATH.
func botDeskFiles(t *testing.T) (deskConfig, kbPath string) {
	t.Helper()
	dir := t.TempDir()
	deskConfig, kbPath = filepath.Join(dir, "desk.yaml"), filepath.Join(dir, "kb.yaml")
	if err := os.WriteFile(deskConfig, []byte(botPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kbPath, []byte(botKB), 0o644); err != nil {
		t.Fatal(err)
	}
	return deskConfig, kbPath
}

// botBinary is the built threadesk binary (buildBinary) running as a process of its own, as an
// operator runs it: its settings are its environment, nothing else.
type botBinary struct {
	t       *testing.T
	addr    string // where it listens, host:port; PUBLIC_URL is http:// and this
	client  *http.Client
	stopped atomic.Bool
}

// startBotBinary starts bin with settings (over the test's own Redis prefix, four queue shards,
// warnings only, and a free port that is both HTTP_ADDR and PUBLIC_URL, since Mattermost's
// buttons must know where to call back) and waits until /readyz says Redis and the platforms
// are reachable. The process is stopped with SIGTERM when the test ends, and must exit 0.
func startBotBinary(t *testing.T, bin string, settings map[string]string) *botBinary {
	t.Helper()
	port, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	b := &botBinary{t: t, addr: "127.0.0.1:" + strconv.Itoa(port), client: &http.Client{Timeout: 20 * time.Second}}
	env := map[string]string{
		"PATH":         os.Getenv("PATH"),
		"HOME":         os.Getenv("HOME"),
		"HTTP_ADDR":    b.addr,
		"PUBLIC_URL":   "http://" + b.addr,
		"REDIS_URL":    "redis://" + redistest.Addr(t),
		"REDIS_PREFIX": redistest.Prefix(t),
		"QUEUE_SHARDS": "4",
		"LOG_LEVEL":    "warn",
	}
	for k, v := range settings {
		env[k] = v
	}
	cmd := exec.Command(bin)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = t.Output(), t.Output()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the binary: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		b.stopped.Store(true)
		b.client.CloseIdleConnections()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("the binary stopped with SIGTERM: %v, want exit status 0", err)
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("the binary did not stop within 20s of SIGTERM")
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			t.Fatalf("the binary exited at start: %v", err)
		default:
		}
		var last string
		resp, err := b.client.Get(b.url("/readyz"))
		if err != nil {
			last = err.Error()
		} else {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return b
			}
			last = resp.Status
		}
		if time.Now().After(deadline) {
			t.Fatalf("the binary is not ready after 30s: /readyz: %s", last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// url is the address of one of the binary's endpoints.
func (b *botBinary) url(path string) string { return "http://" + b.addr + path }

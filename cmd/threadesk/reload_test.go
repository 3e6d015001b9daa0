package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/policy"
	"github.com/threadesk/threadesk/internal/redistest"
)

// The desk files of the reload tests: a policy whose bot offers customers categories (no
// suggestions, so that the first thing a customer is shown is the list of categories), in
// versions, and a knowledge base of one article, then two.
const (
	reloadPolicy1 = `language: en
categories:
  - name: Billing
    description: Invoices, payments, refunds
intake: {enabled: true, timeout: 10m, suggest: false}
`
	reloadPolicy2 = `language: en
categories:
  - name: Billing
    description: Invoices, payments, refunds
  - name: Technical
    description: Errors and crashes
intake: {enabled: true, timeout: 10m, suggest: false}
`
	// reloadPolicyBad has a misspelt key on line 8.
	reloadPolicyBad = `language: en
categories:
  - name: Billing
    description: Invoices, payments, refunds
  - name: Technical
    description: Errors and crashes
  - name: Sales
    descripton: Plans and prices
intake: {enabled: true, timeout: 10m, suggest: false}
`
	reloadPolicy3 = `language: en
categories:
  - name: Billing
    description: Invoices, payments, refunds
  - name: Technical
    description: Errors and crashes
  - name: Sales
    description: Plans and prices
intake: {enabled: true, timeout: 10m, suggest: false}
`
	reloadKB1 = `articles:
  - id: find-invoices
    lang: en
    title: Where can I find my invoices?
    keywords: [invoice, receipt]
    body: Open Settings, then Billing, then Invoices.
`
	reloadKB2 = reloadKB1 + `  - id: export-csv
    lang: en
    title: How do I export my data to CSV?
    keywords: [export, csv, spreadsheet]
    body: Open Reports and choose Export, then CSV.
`
	// reloadQuery finds export-csv in reloadKB2 and nothing in reloadKB1 (threadesk kb search).
	reloadQuery   = "export my data to csv"
	reloadFoundKB = "• export-csv — How do I export my data to CSV? (en)"
	reloadBadLine = ":8: categories[2].descripton: unknown key"
)

// reloadFiles writes reloadPolicy1 and reloadKB1 into a temporary directory and returns their
// paths, for DESK_CONFIG and KB_PATH.
func reloadFiles(t *testing.T) (deskConfig, kbPath string) {
	t.Helper()
	dir := t.TempDir()
	deskConfig, kbPath = filepath.Join(dir, "desk.yaml"), filepath.Join(dir, "kb.yaml")
	reloadWrite(t, deskConfig, reloadPolicy1)
	reloadWrite(t, kbPath, reloadKB1)
	return deskConfig, kbPath
}

// reloadWrite replaces the file at path with text.
func reloadWrite(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// reloadSummary is what a reload says is in effect with the policy text and a knowledge base
// of articles ("2 articles", "1 article").
func reloadSummary(t *testing.T, text, articles string) string {
	t.Helper()
	p, err := policy.Parse("desk.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return p.Summary() + "; knowledge base: " + articles
}

// reloadView is the sandbox's state as these tests read it: messages with their buttons.
type reloadView struct {
	Messages []struct {
		ID      string `json:"id"`
		Channel string `json:"channel"`
		FromApp bool   `json:"fromApp"`
		Text    string `json:"text"`
		Card    *struct {
			Actions []struct {
				ID    string `json:"id"`
				Label string `json:"label"`
				Value string `json:"value"`
			} `json:"actions"`
		} `json:"card"`
	} `json:"messages"`
}

// reloadOffered adds a new customer named name, has them write to the desk, and returns the
// categories the bot offers them (its category buttons), in order.
func reloadOffered(t *testing.T, a *app, name string) []string {
	t.Helper()
	c := a.user(name, "customer")
	a.say(c, "hello, I have a question", "")
	var offered []string
	eventually(t, "the categories offered to "+name, func() (bool, string) {
		_, _, body := a.get("/sandbox/api/state")
		var s reloadView
		if err := json.Unmarshal(body, &s); err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, m := range s.Messages {
			if m.Channel != c.DM || !m.FromApp {
				continue
			}
			seen = append(seen, m.Text)
			if m.Card == nil {
				continue
			}
			offered = nil
			for _, b := range m.Card.Actions {
				if b.ID == "category" {
					offered = append(offered, b.Label)
				}
			}
			if len(offered) > 0 {
				return true, ""
			}
		}
		return false, fmt.Sprintf("the app wrote %q to %s", seen, name)
	})
	return offered
}

// TestSandboxReloadDeskFiles: a lead's /desk reload reads the desk policy file and the
// knowledge base again. After both files change (a category and an article added), the answer
// says what is in effect, a new customer is offered the new category and /desk kb search finds
// the new article. A policy file with a problem is not taken: the answer names the file, the
// line and the field, says what stays in effect, and the next customer is offered what was
// offered before. A non-lead's /desk reload is refused and reads nothing: changed files (a
// category added, an article taken out) are taken only when a lead reloads, and the answer
// counts the one article left as "1 article".
func TestSandboxReloadDeskFiles(t *testing.T) {
	deskConfig, kbPath := reloadFiles(t)
	a := startApp(t, map[string]string{"DESK_CONFIG": deskConfig, "KB_PATH": kbPath})
	var bob sbUser
	a.mustPost("/sandbox/api/users", map[string]any{"name": "Bob", "role": "agent", "lead": true}, http.StatusCreated, &bob)
	dee := a.user("Dee", "agent")

	if got := reloadOffered(t, a, "Ada"); !slices.Equal(got, []string{"Billing"}) {
		t.Fatalf("at start Ada is offered %q, want [Billing]", got)
	}
	if got := a.command(dee, "/desk kb search "+reloadQuery); strings.Contains(got, "export-csv") {
		t.Fatalf("at start /desk kb search %s answers %q, want no article", reloadQuery, got)
	}

	// Both files change; a lead reloads them.
	reloadWrite(t, deskConfig, reloadPolicy2)
	reloadWrite(t, kbPath, reloadKB2)
	if got, want := a.command(bob, "/desk reload"), "Reloaded: "+reloadSummary(t, reloadPolicy2, "2 articles"); got != want {
		t.Errorf("/desk reload answers %q, want %q", got, want)
	}
	if got := reloadOffered(t, a, "Cleo"); !slices.Equal(got, []string{"Billing", "Technical"}) {
		t.Errorf("after the reload Cleo is offered %q, want [Billing Technical]", got)
	}
	if got := a.command(dee, "/desk kb search "+reloadQuery); !strings.Contains(got, reloadFoundKB) {
		t.Errorf("after the reload /desk kb search %s answers %q, want it to list %q", reloadQuery, got, reloadFoundKB)
	}

	// A policy file with a problem: named, and not taken.
	reloadWrite(t, deskConfig, reloadPolicyBad)
	_, problem := policy.Load(deskConfig)
	if problem == nil {
		t.Fatal("reloadPolicyBad is valid")
	}
	got := a.command(bob, "/desk reload")
	want := catalog.Default.Text(catalog.ReloadFailed, map[string]any{
		"Problems": "DESK_CONFIG: " + problem.Error(), "Summary": reloadSummary(t, reloadPolicy2, "2 articles")})
	if got != want {
		t.Errorf("/desk reload of a file with a problem answers %q, want %q", got, want)
	}
	if !strings.Contains(got, deskConfig+reloadBadLine) {
		t.Errorf("/desk reload of a file with a problem answers %q: it does not name %s", got, deskConfig+reloadBadLine)
	}
	if got := reloadOffered(t, a, "Eve"); !slices.Equal(got, []string{"Billing", "Technical"}) {
		t.Errorf("after the failed reload Eve is offered %q, want what was in effect: [Billing Technical]", got)
	}
	if got := a.command(dee, "/desk kb search "+reloadQuery); !strings.Contains(got, reloadFoundKB) {
		t.Errorf("after the failed reload /desk kb search %s answers %q, want it to list %q", reloadQuery, got, reloadFoundKB)
	}

	// Valid files again, one more category and one article fewer: an agent who is not a lead
	// cannot have them read; a lead can.
	reloadWrite(t, deskConfig, reloadPolicy3)
	reloadWrite(t, kbPath, reloadKB1)
	if got, want := a.command(dee, "/desk reload"), catalog.Default.Text(catalog.NotALead, map[string]any{"Command": "/desk reload"}); got != want {
		t.Errorf("Dee (an agent, no lead) ran /desk reload: %q, want %q", got, want)
	}
	if got := reloadOffered(t, a, "Fay"); !slices.Equal(got, []string{"Billing", "Technical"}) {
		t.Errorf("after a non-lead's reload Fay is offered %q, want [Billing Technical]: the file was read", got)
	}
	if got := a.command(dee, "/desk kb search "+reloadQuery); !strings.Contains(got, reloadFoundKB) {
		t.Errorf("after a non-lead's reload /desk kb search %s answers %q, want it to list %q: the file was read", reloadQuery, got, reloadFoundKB)
	}
	if got, want := a.command(bob, "/desk reload"), "Reloaded: "+reloadSummary(t, reloadPolicy3, "1 article"); got != want {
		t.Errorf("/desk reload answers %q, want %q", got, want)
	}
	if got := reloadOffered(t, a, "Gus"); !slices.Equal(got, []string{"Billing", "Technical", "Sales"}) {
		t.Errorf("after the lead's reload Gus is offered %q, want [Billing Technical Sales]", got)
	}
	if got := a.command(dee, "/desk kb search "+reloadQuery); strings.Contains(got, "export-csv") {
		t.Errorf("after the article was taken out /desk kb search %s answers %q, want no article", reloadQuery, got)
	}
}

// syncBuffer is a bytes.Buffer that a process's output and the test may use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestBinarySIGHUPReloadsDeskFiles: the built binary, running the sandbox on DESK_CONFIG and
// KB_PATH, reads both files again on SIGHUP: after they change (a category and an article
// added) a new customer is offered the new category and /desk kb search finds the new
// article, and the log says what is in effect. A policy file with a problem is not taken on
// SIGHUP: the log names the file, the line and the field, the process goes on, and the next
// customer is offered what was offered before. The process still stops cleanly on SIGTERM.
func TestBinarySIGHUPReloadsDeskFiles(t *testing.T) {
	bin := buildBinary(t)
	deskConfig, kbPath := reloadFiles(t)
	port, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"HTTP_ADDR=" + addr,
		"REDIS_URL=redis://" + redistest.Addr(t), "REDIS_PREFIX=" + redistest.Prefix(t),
		"QUEUE_SHARDS=4", "LOG_LEVEL=info",
		"DESK_CONFIG=" + deskConfig, "KB_PATH=" + kbPath,
	}
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the binary: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("the binary's log:\n%s", logs.String())
		}
	})
	running := func(when string) {
		t.Helper()
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("%s the binary exited: %v", when, err)
		default:
		}
	}
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	// The sandbox's HTTP API of the process, through the in-process tests' helpers.
	a := &app{Main: &Main{Addr: tcp}, t: t, client: &http.Client{Timeout: 20 * time.Second}, closed: true}
	deadline := time.Now().Add(30 * time.Second)
	for {
		running("at start")
		resp, err := a.client.Get(a.url("/readyz"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the binary is not ready after 30s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var bob sbUser
	a.mustPost("/sandbox/api/users", map[string]any{"name": "Bob", "role": "agent", "lead": true}, http.StatusCreated, &bob)
	if got := reloadOffered(t, a, "Ada"); !slices.Equal(got, []string{"Billing"}) {
		t.Fatalf("at start Ada is offered %q, want [Billing]", got)
	}
	if got := a.command(bob, "/desk kb search "+reloadQuery); strings.Contains(got, "export-csv") {
		t.Fatalf("at start /desk kb search %s answers %q, want no article", reloadQuery, got)
	}

	// hup sends SIGHUP and waits for the log line that says what came of it.
	hup := func(logged string) string {
		t.Helper()
		before := len(logs.String())
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatalf("SIGHUP: %v", err)
		}
		var line string
		eventually(t, "the log of the reload", func() (bool, string) {
			running("after SIGHUP")
			for l := range strings.Lines(logs.String()[before:]) {
				if strings.Contains(l, logged) {
					line = l
					return true, ""
				}
			}
			return false, fmt.Sprintf("no line with %q in %q", logged, logs.String()[before:])
		})
		return line
	}

	// Both files change: SIGHUP takes them.
	reloadWrite(t, deskConfig, reloadPolicy2)
	reloadWrite(t, kbPath, reloadKB2)
	line := hup("reloaded the desk's files")
	if want := strconv.Quote(reloadSummary(t, reloadPolicy2, "2 articles")); !strings.Contains(line, "in_effect="+want) {
		t.Errorf("the log of the reload says %q, want in_effect=%s", line, want)
	}
	if got := reloadOffered(t, a, "Cleo"); !slices.Equal(got, []string{"Billing", "Technical"}) {
		t.Errorf("after SIGHUP Cleo is offered %q, want [Billing Technical]", got)
	}
	if got := a.command(bob, "/desk kb search "+reloadQuery); !strings.Contains(got, reloadFoundKB) {
		t.Errorf("after SIGHUP /desk kb search %s answers %q, want it to list %q", reloadQuery, got, reloadFoundKB)
	}

	// A policy file with a problem: the log names it; the process keeps what it had.
	reloadWrite(t, deskConfig, reloadPolicyBad)
	line = hup("kept what was loaded")
	if !strings.Contains(line, deskConfig+reloadBadLine) {
		t.Errorf("the log of the failed reload says %q: it does not name %s", line, deskConfig+reloadBadLine)
	}
	if want := strconv.Quote(reloadSummary(t, reloadPolicy2, "2 articles")); !strings.Contains(line, "in_effect="+want) {
		t.Errorf("the log of the failed reload says %q, want in_effect=%s", line, want)
	}
	if got := reloadOffered(t, a, "Eve"); !slices.Equal(got, []string{"Billing", "Technical"}) {
		t.Errorf("after SIGHUP with a file with a problem Eve is offered %q, want what was in effect: [Billing Technical]", got)
	}
	running("at the end")

	stopped = true
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
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
}

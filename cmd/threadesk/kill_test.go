package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/redistest"
	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

// TestKilledBinaryLosesNothing runs the real binary as Slack drives it, stops it right after
// Slack's events were acknowledged (Slack is slow, so most are still unhandled) with SIGKILL or
// SIGTERM, starts it again on the same Redis, and finds every message relayed exactly once, in
// order. A SIGTERM stop exits 0 promptly, leaving what it could not finish queued.
func TestKilledBinaryLosesNothing(t *testing.T) {
	bin := buildBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) { killAndRestart(t, bin, sig) })
	}
}

// The binary is built once per run of the package's tests, into binDir (removed by TestMain).
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// buildBinary builds the threadesk binary (once for all the tests that run it) and returns
// its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "threadesk-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "threadesk")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatalf("build the binary: %v", binErr)
	}
	return binPath
}

// TestMain runs the tests and removes the binary they built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// slackBinary runs the built binary against a fake Slack on a Redis prefix of its own; start
// starts one process of it and waits until it answers.
type slackBinary struct {
	t    *testing.T
	bin  string
	addr string
	env  []string
}

func newSlackBinary(t *testing.T, bin string, fake *slacktest.Server) *slackBinary {
	t.Helper()
	port, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	return &slackBinary{t: t, bin: bin, addr: addr, env: append(os.Environ(),
		"HTTP_ADDR="+addr,
		"REDIS_URL=redis://"+redistest.Addr(t),
		"REDIS_PREFIX="+redistest.Prefix(t),
		"SLACK_BOT_TOKEN="+slacktest.BotToken,
		"SLACK_SIGNING_SECRET="+slackSecret,
		"SLACK_TRIAGE_CHANNEL=#triage",
		"SLACK_API_URL="+fake.APIURL(),
		"LOG_LEVEL=warn",
		"SLACK_POST_RATE=0", // the fake limits posts where a test wants Slack slow
	)}
}

func (b *slackBinary) start() *exec.Cmd {
	t := b.t
	t.Helper()
	cmd := exec.Command(b.bin)
	cmd.Env = b.env
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the binary: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + b.addr + "/healthz"); err == nil {
			resp.Body.Close()
			return cmd
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the binary did not answer /healthz")
	return nil
}

// post sends a signed request to the binary as Slack does and fails unless it answers 200.
func (b *slackBinary) post(path string, body []byte) {
	r, err := slacktest.NewRequest("http://"+b.addr+path, slackSecret, body, time.Now())
	if err != nil {
		b.t.Error(err)
		return
	}
	resp, err := http.DefaultClient.Do(r.WithContext(context.Background()))
	if err != nil || resp.StatusCode != http.StatusOK {
		b.t.Errorf("POST %s: %v %v", path, err, resp)
		return
	}
	resp.Body.Close()
}

func killAndRestart(t *testing.T, bin string, sig syscall.Signal) {
	fake := slackWorkspace(t, 3)
	fake.SetPostLimit(1, 1) // Slack is slow: the relay is still working when it is killed
	b := newSlackBinary(t, bin, fake)
	addr, start := b.addr, b.start

	first := start()
	customers := slackCustomers(3)
	written := map[string][]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, cust := range customers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				text := fmt.Sprintf("kill %s message %02d", cust.Name, i)
				m := fake.UserMessage(slackDM(cust), cust.ID, text, "")
				r, err := slacktest.NewRequest("http://"+addr+"/slack/events", slackSecret, fake.MessageEvent(fmt.Sprintf("EvK%s%s%02d", sig, cust.ID, i), m, "im"), time.Now())
				if err != nil {
					t.Error(err)
					return
				}
				resp, err := http.DefaultClient.Do(r.WithContext(context.Background()))
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Errorf("%s: POST /slack/events: %v %v", text, err, resp)
					return
				}
				resp.Body.Close()
				mu.Lock()
				written[cust.ID] = append(written[cust.ID], text)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	stopped := time.Now()
	if err := first.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	state, _ := first.Process.Wait()
	if sig == syscall.SIGTERM {
		if state == nil || state.ExitCode() != 0 || time.Since(stopped) > 20*time.Second {
			t.Errorf("SIGTERM: exit %v after %v, want 0 within the shutdown timeout", state, time.Since(stopped))
		}
	}
	var before int
	for _, m := range fake.Messages(slacktest.Triage) {
		if m.Thread != "" {
			before++
		}
	}
	t.Logf("%d of 15 messages were relayed before the kill", before)
	if before == 15 {
		t.Log("everything was relayed before the kill; the restart has nothing left to do")
	}

	fake.SetPostLimit(0, 0)
	restarted := time.Now()
	start()
	slackAllRelayed(t, fake, customers, written)
	t.Logf("relayed the rest %v after the restart", time.Since(restarted).Round(time.Millisecond))
	slackOneAckEach(t, fake, customers)
}

// TestKilledBinaryFinishesSteps: six agents' Resolve clicks are acknowledged and committed, and
// the binary is killed with SIGKILL while Slack is slow, so that the steps' last effects (the
// rating questions) are still to be carried out. Started again, it carries them out: every
// customer gets the resolution notice and the rating question exactly once, and every card
// shows the ticket resolved.
func TestKilledBinaryFinishesSteps(t *testing.T) {
	bin := buildBinary(t)
	fake := slackWorkspace(t, 6)
	b := newSlackBinary(t, bin, fake)
	first := b.start()
	customers := slackCustomers(6)
	cards := map[string]slacktest.Message{}
	for i, cust := range customers {
		m := fake.UserMessage(slackDM(cust), cust.ID, "help me", "")
		b.post("/slack/events", fake.MessageEvent(fmt.Sprintf("EvS%02d", i), m, "im"))
	}
	for _, cust := range customers {
		cards[cust.ID] = slackCard(t, fake, cust)
	}
	slackEventually(t, "every ticket opened and acknowledged", func() (bool, string) {
		for _, cust := range customers {
			if len(slackContaining(slackFromApp(fake, slackDM(cust)), "opened ticket")) != 1 {
				return false, cust.Name + ": " + slackTexts(fake.Messages(slackDM(cust)))
			}
			if len(slackContaining(slackReplies(fake, slacktest.Triage, cards[cust.ID].TS), "help me")) != 1 {
				return false, cust.Name + "'s message not in the thread yet"
			}
		}
		return true, ""
	})
	fake.SetPostLimit(0.01, 1) // Slack is slow now: a second post into a DM waits 100 s
	var wg sync.WaitGroup
	for _, cust := range customers {
		wg.Go(func() {
			card := slackCardNow(fake, cards[cust.ID])
			number, _, _ := strings.Cut(strings.TrimPrefix(card.Text, "Ticket #"), " ")
			b.post("/slack/interactivity", slacktest.Form(fake.BlockAction(slackAnn, card, "resolve", number)))
		})
	}
	wg.Wait()
	// The steps are committed and under way: each card shows it (the card follows the notice),
	// while the rating questions wait for the slow Slack.
	slackEventually(t, "every card resolved", func() (bool, string) {
		for _, cust := range customers {
			if got := slackField(t, slackCardNow(fake, cards[cust.ID]), "Status"); got != "resolved" {
				return false, cust.Name + "'s card shows " + got
			}
		}
		return true, ""
	})
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = first.Process.Wait()
	told, asked := 0, 0
	for _, cust := range customers {
		told += len(slackContaining(slackFromApp(fake, slackDM(cust)), "is resolved"))
		asked += len(slackContaining(slackFromApp(fake, slackDM(cust)), "How satisfied are you"))
	}
	t.Logf("before the kill: %d of 6 customers were told, %d asked for a rating", told, asked)

	fake.SetPostLimit(0, 0)
	b.start()
	slackEventually(t, "every resolution carried out once", func() (bool, string) {
		for _, cust := range customers {
			dm := slackFromApp(fake, slackDM(cust))
			questions := 0
			for _, m := range dm {
				if strings.Contains(m.Text, "How satisfied are you") {
					questions++
				}
			}
			if n := len(slackContaining(dm, "is resolved")); n != 1 || questions != 1 {
				return false, fmt.Sprintf("%s: %d notices, %d rating questions: %s", cust.Name, n, questions, slackTexts(dm))
			}
			if got := slackField(t, slackCardNow(fake, cards[cust.ID]), "Status"); got != "resolved" {
				return false, fmt.Sprintf("%s's card shows %q", cust.Name, got)
			}
		}
		return true, ""
	})
	// Nothing more comes later: the counts stay at one.
	b2 := 0
	for _, cust := range customers {
		b2 += len(slackContaining(slackFromApp(fake, slackDM(cust)), "is resolved"))
	}
	if b2 != 6 {
		t.Errorf("%d resolution notices in all, want 6", b2)
	}
}

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
	bin := filepath.Join(t.TempDir(), "threadesk")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the binary: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) { killAndRestart(t, bin, sig) })
	}
}

func killAndRestart(t *testing.T, bin string, sig syscall.Signal) {
	fake := slackWorkspace(t, 3)
	fake.SetPostLimit(1, 1) // Slack is slow: the relay is still working when it is killed
	port, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	env := append(os.Environ(),
		"HTTP_ADDR="+addr,
		"REDIS_URL=redis://"+redistest.Addr(t),
		"REDIS_PREFIX="+redistest.Prefix(t),
		"SLACK_BOT_TOKEN="+slacktest.BotToken,
		"SLACK_SIGNING_SECRET="+slackSecret,
		"SLACK_TRIAGE_CHANNEL=#triage",
		"SLACK_API_URL="+fake.APIURL(),
		"LOG_LEVEL=warn",
		"SLACK_POST_RATE=0", // the fake limits the first run; pacing is not what this test is about
	)
	start := func() *exec.Cmd {
		t.Helper()
		cmd := exec.Command(bin)
		cmd.Env = env
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("start the binary: %v", err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
				resp.Body.Close()
				return cmd
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("the binary did not answer /healthz")
		return nil
	}

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

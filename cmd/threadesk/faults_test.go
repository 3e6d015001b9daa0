package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/redistest"
	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

// slackDelivery is one event as Slack delivers it: POSTed until the app answers 200, again
// after each failure or timeout (Slack gives up on an answer after 3 s), with
// X-Slack-Retry-Num on the retries.
type slackDelivery struct {
	addr string
	body []byte
}

// attempt POSTs the delivery once, as Slack's retry n, and returns the status (0 when the app
// did not answer within Slack's 3 s) and how long the answer took.
func (d slackDelivery) attempt(t *testing.T, n int) (int, time.Duration) {
	t.Helper()
	r, err := slacktest.NewRequest("http://"+d.addr+"/slack/events", slackSecret, d.body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		r.Header.Set("X-Slack-Retry-Num", strconv.Itoa(n))
		r.Header.Set("X-Slack-Retry-Reason", "http_error")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	resp, err := http.DefaultClient.Do(r.WithContext(ctx))
	took := time.Since(start)
	if err != nil {
		return 0, took
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, took
}

// TestRedisFrozenIngestFailsFast: while Redis does not answer (its process stopped, its
// connections open), Slack's event requests get a 5xx well inside Slack's 3 s, so Slack
// retries them, and /readyz says 503 within 2 s; once Redis answers again, the retried events
// are relayed once each and /readyz is 200 again.
func TestRedisFrozenIngestFailsFast(t *testing.T) {
	bin := buildBinary(t)
	redis := redistest.StartServer(t)
	t.Cleanup(redis.Thaw)
	fake := slackWorkspace(t, 1)
	b := newSlackBinary(t, bin, fake)
	b.env = append(b.env, "REDIS_URL=redis://"+redis.Addr)
	b.start()
	cust := slackCustomer(1)
	deliver := func(i int) slackDelivery {
		text := fmt.Sprintf("frozen message %d", i)
		m := fake.UserMessage(slackDM(cust), cust.ID, text, "")
		return slackDelivery{addr: b.addr, body: fake.MessageEvent("EvF"+strconv.Itoa(i), m, "im")}
	}
	first := deliver(0)
	if status, _ := first.attempt(t, 0); status != http.StatusOK {
		t.Fatalf("before the freeze: %d", status)
	}
	slackCard(t, fake, cust)

	redis.Freeze()
	frozen := time.Now()
	// Readiness follows within a second or two.
	var readyAfter time.Duration
	for time.Since(frozen) < 10*time.Second {
		if status, _ := httpGet(t, "http://"+b.addr+"/readyz"); status == http.StatusServiceUnavailable {
			readyAfter = time.Since(frozen)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if readyAfter == 0 || readyAfter > 2*time.Second {
		t.Errorf("/readyz said 503 %v after Redis froze, want within 2 s", readyAfter)
	}
	var pending []slackDelivery
	var slowest time.Duration
	for i := 1; i <= 3; i++ {
		d := deliver(i)
		status, took := d.attempt(t, 0)
		if status < 500 || took > 2500*time.Millisecond {
			t.Errorf("event %d with Redis frozen: status %d after %v, want a 5xx within 2.5 s", i, status, took.Round(time.Millisecond))
		}
		slowest = max(slowest, took)
		pending = append(pending, d)
	}
	t.Logf("with Redis frozen: /readyz said 503 %v after the freeze; events were answered 5xx within %v",
		readyAfter.Round(time.Millisecond), slowest.Round(time.Millisecond))

	redis.Thaw()
	// Slack retries each until it is answered 200.
	var wg sync.WaitGroup
	for _, d := range pending {
		wg.Go(func() {
			for n := 1; n <= 20; n++ {
				if status, _ := d.attempt(t, n); status == http.StatusOK {
					return
				}
				time.Sleep(200 * time.Millisecond)
			}
			t.Error("a retried event was never accepted after Redis came back")
		})
	}
	wg.Wait()
	// Each message is in the thread once. Redis ran the writes it had received before it
	// froze in an order of its own, so a message may come after one written later: it then
	// says when it was written.
	card := slackCard(t, fake, cust)
	slackEventually(t, "every message once, the late ones marked", func() (bool, string) {
		var got []string
		for _, m := range slackReplies(fake, slacktest.Triage, card.TS) {
			got = append(got, m.Text)
		}
		return lateButWhole(got, []string{"frozen message 0", "frozen message 1", "frozen message 2", "frozen message 3"}), strings.Join(got, "\n")
	})
	slackEventually(t, "/readyz 200 again", func() (bool, string) {
		status, body := httpGet(t, "http://"+b.addr+"/readyz")
		return status == http.StatusOK, body
	})
}

// TestRedisRestartedMidBurst: three customers write while Redis is killed and started again
// on its data 3 s later; the app answers 5xx while Redis is gone (recording an event waits 2
// s at most: a shorter outage is ridden out, the event recorded once Redis is back), Slack
// retries, and every message the app acknowledged, and every one retried until
// acknowledged, reaches the thread once.
func TestRedisRestartedMidBurst(t *testing.T) {
	bin := buildBinary(t)
	redis := redistest.StartServer(t)
	failures := burstThrough(t, bin, "redis://"+redis.Addr, func(string) {
		redis.Kill()
		time.Sleep(3 * time.Second)
		redis.Restart(t) // stopped when the test ends
	})
	if failures == 0 {
		t.Error("no request failed while Redis was down: the test did not test the outage")
	}
}

// lateButWhole reports whether a thread's texts are the messages written, each once, where
// every message that comes after one written later says it is late, and no other does.
func lateButWhole(got, written []string) bool {
	if len(got) != len(written) {
		return false
	}
	order := map[string]int{}
	for i, w := range written {
		order[w] = i
	}
	newest := -1
	seen := map[int]bool{}
	for _, g := range got {
		line, text, marked := strings.Cut(g, "\n")
		if !marked {
			text = g
		}
		i, ok := order[text]
		if !ok || seen[i] || marked != (i < newest) || (marked && !strings.HasPrefix(line, "⏱ Written ")) {
			return false
		}
		seen[i] = true
		newest = max(newest, i)
	}
	return true
}

// httpGet returns a GET's status and body (0 when it failed).
// httpGet returns a GET's status and body (0 when it failed).
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

// TestSentinelFailoverAndClusterMidBurst runs the binary on a real Sentinel setup, with the
// master failed over to its replica while three customers write, and on a real 3-master
// Cluster whose slot moves to another master, or whose master dies and its replica takes
// over: every message acknowledged (or retried by Slack until acknowledged) reaches its
// thread once and in order, and each customer is told their ticket number once.
func TestSentinelFailoverAndClusterMidBurst(t *testing.T) {
	bin := buildBinary(t)
	t.Run("sentinel failover", func(t *testing.T) {
		s := redistest.StartSentinel(t, 1)
		burstThrough(t, bin, s.URL(), func(string) { s.Failover(t) })
	})
	t.Run("cluster slot migration", func(t *testing.T) {
		// The installation's slot (its keys are under one hash tag: the prefix, wrapped)
		// moves to another master while the customers write.
		c := redistest.StartCluster(t)
		burstThrough(t, bin, c.URL(), func(prefix string) {
			from, to, moved := c.MigrateSlot(t, "{"+strings.TrimSuffix(prefix, ":")+"}:x", 20*time.Millisecond)
			t.Logf("the installation's slot moved from %s to %s mid-burst (%d keys, 20 at a time)", from, to, moved)
		})
	})
	t.Run("cluster master failover", func(t *testing.T) {
		// The installation's master gets a replica, then dies (SIGKILL) mid-burst: the other
		// masters promote the replica. What the app was told was written is on it (a write
		// waits for a connected replica of its slot's master).
		c := redistest.StartCluster(t)
		burstThrough(t, bin, c.URL(), func(prefix string) {
			key := "{" + strings.TrimSuffix(prefix, ":") + "}:x"
			c.FailOver(t, key, c.AddReplica(t, key))
		})
	})
}

// burstThrough runs the binary on redisURL while three customers write twelve messages each,
// retrying as Slack does; midway it calls fault (if any). Then it checks every message was
// relayed once, in order, and every customer got one "opened ticket". It returns how many
// requests were answered other than 200 (and retried).
func burstThrough(t *testing.T, bin, redisURL string, fault func(prefix string)) int {
	fake := slackWorkspace(t, 3)
	b := newSlackBinary(t, bin, fake)
	b.env = append(b.env, "REDIS_URL="+redisURL)
	b.start()
	customers := slackCustomers(3)
	written := map[string][]string{}
	var mu sync.Mutex
	failures, accepted := 0, 0
	var wg sync.WaitGroup
	for _, cust := range customers {
		wg.Go(func() {
			for i := range 12 {
				text := fmt.Sprintf("burst %s message %02d", cust.Name, i)
				m := fake.UserMessage(slackDM(cust), cust.ID, text, "")
				d := slackDelivery{addr: b.addr, body: fake.MessageEvent(fmt.Sprintf("EvB%s%02d", cust.ID, i), m, "im")}
				for n := 0; ; n++ {
					if status, _ := d.attempt(t, n); status == http.StatusOK {
						break
					}
					mu.Lock()
					failures++
					mu.Unlock()
					if n > 300 { // a Cluster failover takes the node timeout, 5 s, and a vote
						t.Errorf("%s was never accepted", text)
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
				mu.Lock()
				written[cust.ID] = append(written[cust.ID], text)
				accepted++
				mu.Unlock()
				time.Sleep(30 * time.Millisecond)
			}
		})
	}
	if fault != nil {
		// Midway: once a third of the messages are in, however slow the machine is.
		for {
			mu.Lock()
			n := accepted
			mu.Unlock()
			if n >= 12 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		fault(envValue(b.env, "REDIS_PREFIX"))
	}
	wg.Wait()
	slackAllRelayed(t, fake, customers, written)
	slackOneAckEach(t, fake, customers)
	t.Logf("36 messages relayed once and in order; %d requests were answered 5xx and retried", failures)
	return failures
}

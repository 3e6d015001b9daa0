package main

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

// TestSlackOutageForAMinute: for a minute Slack's Web API misbehaves, first answering every
// call 503 for 30 s, then taking 4 s over each (longer than the 3 s /readyz gives it) for 30
// s, while three customers keep writing. Their messages are acknowledged at once throughout
// (recording them needs Redis only); /readyz says 503 during the outage and 200 again after
// it; then every message reaches its thread once, in order, each with its ✅ mark.
func TestSlackOutageForAMinute(t *testing.T) {
	if testing.Short() {
		t.Skip("a minute of outage")
	}
	t.Parallel()
	const phase = 30 * time.Second
	bin := buildBinary(t)
	fake := slackWorkspace(t, 3)
	b := newSlackBinary(t, bin, fake)
	b.start()
	customers := slackCustomers(3)
	written := map[string][]string{}
	var sources []slacktest.Message
	var mu sync.Mutex
	say := func(cust slacktest.User, i int) {
		text := fmt.Sprintf("outage %s message %02d", cust.Name, i)
		m := fake.UserMessage(slackDM(cust), cust.ID, text, "")
		d := slackDelivery{addr: b.addr, body: fake.MessageEvent("EvO"+cust.ID+strconv.Itoa(i), m, "im")}
		if status, took := d.attempt(t, 0); status != http.StatusOK || took > 2*time.Second {
			t.Errorf("%s: answered %d after %v, want 200 at once whatever Slack does", text, status, took.Round(time.Millisecond))
		}
		mu.Lock()
		written[cust.ID] = append(written[cust.ID], text)
		sources = append(sources, m)
		mu.Unlock()
	}
	for _, cust := range customers {
		say(cust, 0)
	}
	for _, cust := range customers {
		slackCard(t, fake, cust)
	}
	slackEventually(t, "/readyz 200 before the outage", func() (bool, string) {
		status, body := httpGet(t, "http://"+b.addr+"/readyz")
		return status == http.StatusOK, body
	})

	// readyDuring polls /readyz while a phase lasts: when it first said 503 (counted from when
	// that request was sent: a check of the platform may take its 3 s before it answers),
	// whether it said 200 after that, and whether it said 200 at all.
	readyDuring := func(d time.Duration, start time.Time) (notReady time.Duration, flapped, ready bool) {
		for time.Since(start) < d {
			asked := time.Since(start)
			status, _ := httpGet(t, "http://"+b.addr+"/readyz")
			switch {
			case status == http.StatusServiceUnavailable && notReady == 0:
				notReady = max(asked, time.Millisecond)
			case status == http.StatusOK && notReady > 0:
				flapped = true
			}
			ready = ready || status == http.StatusOK
			time.Sleep(250 * time.Millisecond)
		}
		return notReady, flapped, ready
	}
	// The customers write every 2 s through both phases.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, cust := range customers {
		wg.Go(func() {
			for i := 1; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Second):
				}
				say(cust, i)
			}
		})
	}
	began := time.Now()
	fake.SetOutage(slacktest.Outage{Status: http.StatusServiceUnavailable})
	notReady5xx, flapped5xx, _ := readyDuring(phase, began)
	fake.SetOutage(slacktest.Outage{Delay: 4 * time.Second})
	_, _, readySlow := readyDuring(phase, time.Now())
	close(stop)
	wg.Wait()
	fake.SetOutage(slacktest.Outage{})
	ended := time.Now()
	var readyAgain time.Duration
	for time.Since(ended) < 30*time.Second {
		if status, _ := httpGet(t, "http://"+b.addr+"/readyz"); status == http.StatusOK {
			readyAgain = time.Since(ended)
			break
		}
		time.Sleep(250 * time.Millisecond)
	}

	// /readyz follows the platform: its answer is reused for 10 s (platformCheckEvery), and a
	// check gets 3 s.
	follow := platformCheckEvery + 4*time.Second
	if notReady5xx == 0 || notReady5xx > follow || flapped5xx {
		t.Errorf("/readyz with Slack answering 503: not ready after %v (flapped back: %t), want within %v and for the rest of it", notReady5xx, flapped5xx, follow)
	}
	if readySlow {
		t.Error("/readyz said 200 while Slack took 4 s a call, want 503 throughout")
	}
	if readyAgain == 0 || readyAgain > follow {
		t.Errorf("/readyz 200 again %v after Slack recovered, want within %v", readyAgain, follow)
	}

	// Deliveries retried through the outage back off to at most 30 s apart (the relay's RetryMax): the
	// last ones may go that long after Slack is back.
	recovered := time.Now()
	for time.Since(recovered) < 90*time.Second && !allInThreads(fake, customers, written) {
		time.Sleep(250 * time.Millisecond)
	}
	took := time.Since(recovered)
	slackAllRelayed(t, fake, customers, written)
	for _, m := range sources {
		slackEventually(t, "✅ on "+m.Text, func() (bool, string) {
			now, _ := fake.Message(m.Channel, m.TS)
			return slices.Contains(now.Reactions, "white_check_mark"), fmt.Sprint(now.Reactions)
		})
	}
	slackOneAckEach(t, fake, customers)
	t.Logf("%d messages written during a minute of Slack trouble, each relayed once in order %v after it ended; /readyz said 503 %v into the 503s, stayed so through the slow calls, and 200 %v after",
		len(sources), took.Round(time.Millisecond), notReady5xx.Round(time.Millisecond), readyAgain.Round(time.Millisecond))
}

// allInThreads says whether each customer's thread holds exactly what they wrote, in order.
func allInThreads(fake *slacktest.Server, customers []slacktest.User, written map[string][]string) bool {
	for _, cust := range customers {
		if got := slackThreadLines(fake, cust); strings.Join(got, "\n") != strings.Join(written[cust.ID], "\n") {
			return false
		}
	}
	return true
}

// slackThreadLines are the lines of the app's replies in the thread of cust's ticket card, the
// latest card naming them (none if there is none yet): each message alone or joined in a post.
func slackThreadLines(fake *slacktest.Server, cust slacktest.User) []string {
	var card slacktest.Message
	for _, m := range fake.Messages(slacktest.Triage) {
		if m.Thread == "" && strings.HasSuffix(m.Text, " · "+cust.DisplayName) {
			card = m
		}
	}
	if card.TS == "" {
		return nil
	}
	return slackReplyLines(fake, slacktest.Triage, card.TS)
}

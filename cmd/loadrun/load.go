package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// signingSecret signs the load's events; the relay is started with it.
const signingSecret = "load-signing-secret"

// customerID and dmOf name customer i and their DM channel with the app, like Slack's IDs.
func customerID(i int) string { return fmt.Sprintf("UL%07d", i) }
func dmOf(i int) string       { return fmt.Sprintf("DL%07d", i) }

// eventBody is the Events API callback of customer message seq from customer cust: a message
// in the app's DM, as Slack sends it.
func eventBody(seq, cust int) []byte {
	ts := tsOf(seq)
	b := make([]byte, 0, 512)
	b = append(b, `{"token":"verification-token","team_id":"TLOAD","api_app_id":"ALOAD","type":"event_callback","event_id":"EvLOAD`...)
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, `","event_time":`...)
	b = strconv.AppendInt(b, time.Now().Unix(), 10)
	b = append(b, `,"event":{"type":"message","channel":"`...)
	b = append(b, dmOf(cust)...)
	b = append(b, `","user":"`...)
	b = append(b, customerID(cust)...)
	b = append(b, `","text":"`...)
	b = append(b, textOf(seq)...)
	b = append(b, `","ts":"`...)
	b = append(b, ts...)
	b = append(b, `","event_ts":"`...)
	b = append(b, ts...)
	b = append(b, `","channel_type":"im"}}`...)
	return b
}

// sign sets Slack's request signature headers: v0=hex(HMAC-SHA256(secret, "v0:ts:body")).
func sign(h http.Header, secret string, body []byte, now time.Time) {
	ts := strconv.FormatInt(now.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
}

// loadGen sends customer messages to the relay's Events API endpoint, closed loop: each
// sender sends its next message as soon as the previous one was answered.
type loadGen struct {
	url       string
	client    *http.Client
	senders   int
	customers int
	track     *tracker

	accepted atomic.Int64 // 200 answers, all phases
	failed   atomic.Int64 // other answers and transport errors, all phases
	errMu    sync.Mutex
	firstErr string
	full     atomic.Bool // the tracker ran out of sequence numbers
}

func newLoadGen(url string, senders, customers int, t *tracker) *loadGen {
	tr := &http.Transport{
		MaxIdleConns:        senders * 2,
		MaxIdleConnsPerHost: senders * 2,
		IdleConnTimeout:     90 * time.Second,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	}
	return &loadGen{url: url, client: &http.Client{Transport: tr, Timeout: 30 * time.Second},
		senders: senders, customers: customers, track: t}
}

// send posts message seq of customer cust and records the outcome.
func (g *loadGen) send(ctx context.Context, seq, cust int) bool {
	body := eventBody(seq, cust)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url, bytes.NewReader(body))
	if err != nil {
		g.fail(err.Error())
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	sign(req.Header, signingSecret, body, time.Now())
	g.track.sentAt[seq].Store(g.track.now())
	resp, err := g.client.Do(req)
	if err != nil {
		g.fail(err.Error())
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		g.fail("HTTP " + resp.Status)
		return false
	}
	g.track.accepted[seq].Store(true)
	g.accepted.Add(1)
	return true
}

func (g *loadGen) fail(msg string) {
	if g.failed.Add(1) == 1 {
		g.errMu.Lock()
		g.firstErr = msg
		g.errMu.Unlock()
	}
}

// phase runs the senders: sender w owns customers w, w+senders, w+2·senders, … and cycles
// through them, so each customer's messages are sent one after the other. With once, each
// sender sends one message per customer and stops; otherwise it stops at deadline. It returns
// the 200 answers of the phase and how long it took.
func (g *loadGen) phase(ctx context.Context, once bool, deadline time.Time) (accepted int64, took time.Duration) {
	before := g.accepted.Load()
	start := time.Now()
	runSenders(ctx, g.senders, g.customers, once, deadline, g.track, &g.full, func(ctx context.Context, seq, cust int) { g.send(ctx, seq, cust) })
	return g.accepted.Load() - before, time.Since(start)
}

// runSenders runs the senders of a phase (see loadGen.phase) until they are done: send sends
// customer cust's message numbered seq. full is set when the tracker runs out of numbers.
func runSenders(ctx context.Context, senders, customers int, once bool, deadline time.Time, t *tracker, full *atomic.Bool, send func(ctx context.Context, seq, cust int)) {
	var wg sync.WaitGroup
	for w := range senders {
		wg.Go(func() {
			for cust := w; ctx.Err() == nil; cust += senders {
				if cust >= customers {
					if once {
						return
					}
					cust = w
				}
				if !once && !time.Now().Before(deadline) {
					return
				}
				seq := t.take()
				if seq < 0 {
					full.Store(true)
					return
				}
				send(ctx, seq, cust)
			}
		})
	}
	wg.Wait()
}

// drain waits until every accepted message has reached the mock, or timeout.
func (g *loadGen) drain(ctx context.Context, timeout time.Duration) error {
	end := time.Now().Add(timeout)
	for {
		got, want := g.track.delivered.Load(), g.accepted.Load()
		if got >= want {
			return nil
		}
		if time.Now().After(end) {
			return fmt.Errorf("backlog not drained after %v: %d of %d accepted messages relayed", timeout, got, want)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// window is what the measured phase gave.
type window struct {
	accepted    int64         // 200 answers
	took        time.Duration // from the first send to the last answer
	delivered   int           // measured messages relayed
	deliverSpan time.Duration // from the first send to the last relayed copy
	p50, p99    time.Duration // send to relayed copy at the mock
}

func (w window) acceptRate() float64  { return float64(w.accepted) / w.took.Seconds() }
func (w window) deliverRate() float64 { return float64(w.delivered) / w.deliverSpan.Seconds() }

// measure reads the latencies and the delivery span of messages [from, to), sent from start
// on (tracker time).
func (t *tracker) measure(from, to int, start int64) (delivered int, span time.Duration, p50, p99 time.Duration) {
	lat := make([]time.Duration, 0, to-from)
	var last int64
	for seq := from; seq < to && seq < len(t.sentAt); seq++ {
		a := t.arrived[seq].Load()
		if !t.accepted[seq].Load() || a == 0 {
			continue
		}
		lat = append(lat, time.Duration(a-t.sentAt[seq].Load()))
		last = max(last, a)
	}
	if len(lat) == 0 {
		return 0, 0, 0, 0
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)] }
	return len(lat), time.Duration(last - start), pct(0.50), pct(0.99)
}

// audit is the exactly-once check over messages [0, n).
type audit struct {
	sent, accepted, lost, duplicated int
	unmarked, remarked               int // delivery marks missing or set twice
	lostExamples, dupExamples        []int
}

func (t *tracker) audit() audit {
	var a audit
	n := min(int(t.next.Load()), len(t.sentAt))
	for seq := range n {
		if t.sentAt[seq].Load() == 0 {
			continue
		}
		a.sent++
		copies, marks := t.copies[seq].Load(), t.marks[seq].Load()
		if copies > 1 {
			a.duplicated++
			if len(a.dupExamples) < 5 {
				a.dupExamples = append(a.dupExamples, seq)
			}
		}
		if !t.accepted[seq].Load() {
			continue // not acknowledged: the relay may or may not have recorded it
		}
		a.accepted++
		if copies == 0 {
			a.lost++
			if len(a.lostExamples) < 5 {
				a.lostExamples = append(a.lostExamples, seq)
			}
		}
		switch {
		case marks == 0:
			a.unmarked++
		case marks > 1:
			a.remarked++
		}
	}
	return a
}

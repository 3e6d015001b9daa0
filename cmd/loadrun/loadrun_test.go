package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"
)

func TestSequenceRoundTrips(t *testing.T) {
	for _, seq := range []int{0, 1, 999_999, 1_000_000, 1_234_567} {
		if got := seqOfTS(tsOf(seq)); got != seq {
			t.Errorf("seqOfTS(tsOf(%d)) = %d", seq, got)
		}
		if got := seqOfText(textOf(seq)); got != seq {
			t.Errorf("seqOfText(textOf(%d)) = %d", seq, got)
		}
	}
	for _, bad := range []string{"", "1.2", "abc", "1700000000", "1700000000.x"} {
		if got := seqOfTS(bad); got != -1 {
			t.Errorf("seqOfTS(%q) = %d, want -1", bad, got)
		}
	}
	if got := seqOfText("no marker"); got != -1 {
		t.Errorf("seqOfText without marker = %d, want -1", got)
	}
}

// TestEventIsSignedAndParses checks the load's requests against what the Slack adapter
// checks: slack-go's signature verifier and a well-formed DM message event.
func TestEventIsSignedAndParses(t *testing.T) {
	body := eventBody(42, 7)
	h := http.Header{}
	sign(h, signingSecret, body, time.Now())
	sv, err := slackgo.NewSecretsVerifier(h, signingSecret)
	if err != nil {
		t.Fatal(err)
	}
	sv.Write(body)
	if err := sv.Ensure(); err != nil {
		t.Errorf("signature rejected: %v", err)
	}
	var ev struct {
		Type    string `json:"type"`
		EventID string `json:"event_id"`
		Event   struct {
			Type, Channel, User, Text, TS, ChannelType string
		} `json:"event"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, body)
	}
	got := []string{ev.Type, ev.EventID, ev.Event.Type, ev.Event.Channel, ev.Event.User, ev.Event.TS}
	want := []string{"event_callback", "EvLOAD42", "message", "DL0000007", "UL0000007", tsOf(42)}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("field %d: got %q, want %q", i, got[i], want[i])
		}
	}
	if seqOfText(ev.Event.Text) != 42 {
		t.Errorf("text %q does not carry its sequence number", ev.Event.Text)
	}
}

// TestMockRecordsCopiesAndMarks drives the mock with slack-go, as the relay does.
func TestMockRecordsCopiesAndMarks(t *testing.T) {
	m, err := startMockSlack()
	if err != nil {
		t.Fatal(err)
	}
	defer m.close()
	tr := newTracker(10)
	m.track.Store(tr)
	api := slackgo.New(mockBotToken, slackgo.OptionAPIURL(m.url))
	ctx := context.Background()
	if _, err := api.AuthTestContext(ctx); err != nil {
		t.Fatalf("auth.test: %v", err)
	}
	// The card (no thread) is no copy; two copies of message 3 are a duplicate.
	if _, _, err := api.PostMessageContext(ctx, mockTriage, slackgo.MsgOptionText("card", false)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		ch, ts, err := api.PostMessageContext(ctx, mockTriage, slackgo.MsgOptionText(textOf(3), false), slackgo.MsgOptionTS("1.000001"))
		if err != nil || ch != mockTriage || ts == "" {
			t.Fatalf("post: %q %q %v", ch, ts, err)
		}
	}
	if err := api.AddReactionContext(ctx, "white_check_mark", slackgo.NewRefToMessage(dmOf(1), tsOf(3))); err != nil {
		t.Fatal(err)
	}
	tr.sentAt[3].Store(1)
	tr.accepted[3].Store(true)
	tr.sentAt[4].Store(1)
	tr.accepted[4].Store(true)
	tr.next.Store(5)
	a := tr.audit()
	if a.duplicated != 1 || a.lost != 1 || a.unmarked != 1 || a.accepted != 2 {
		t.Errorf("audit = %+v, want 1 duplicated (3), 1 lost (4), 1 unmarked (4), 2 accepted", a)
	}
	if got := m.takeCalls()["chat.postMessage"]; got != 3 {
		t.Errorf("chat.postMessage calls = %d, want 3", got)
	}
	bad := slackgo.New("xoxb-wrong", slackgo.OptionAPIURL(m.url))
	if _, err := bad.AuthTestContext(ctx); err == nil {
		t.Error("a wrong token was accepted")
	}
}

func TestParseBare(t *testing.T) {
	out := "mode=relay c=64 dur=5.00s ops=40000 errs=0 rate=8000/s p50=7.5ms p90=12ms p99=21.25ms max=40ms allocs/op=256.6 bytes/op=33000 GOMAXPROCS=2\n"
	got, err := parseBare(out)
	if err != nil {
		t.Fatal(err)
	}
	if got.rate != 8000 || got.ops != 40000 || got.p50 != 7500*time.Microsecond || got.p99 != 21250*time.Microsecond {
		t.Errorf("got %+v", got)
	}
	if _, err := parseBare("panic: no redis"); err == nil {
		t.Error("output without a result line was accepted")
	}
	fill := parseFill("fill: tickets=100000 msgs/ticket=0 used_memory delta=44400000 bytes => 444 bytes/ticket\n" +
		"fill: tickets=100000 msgs/ticket=10 used_memory delta=474300000 bytes => 4743 bytes/ticket\n")
	if fill[0] != 444 || fill[10] != 4743 {
		t.Errorf("parseFill = %v", fill)
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestScaleRunSmall runs the scale run on 200 tickets (the binary's start apart, which the
// real run measures) and checks what it loaded and measured against the store itself.
func TestScaleRunSmall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out strings.Builder
	o := scaleOptions{tickets: 200, messages: 4, closed: 0.9, writers: 4, oneMsg: 20, sample: 50, runs: 2, skipStart: true}
	res, err := runScale(ctx, o, &out)
	if err != nil {
		t.Fatalf("runScale: %v\n%s", err, out.String())
	}
	if res.open+res.closed != 200 || res.messages != 800 || res.closed < 150 || res.open < 5 {
		t.Errorf("loaded %d open + %d closed tickets, %d messages; want 200 tickets about 90 %% closed, 800 messages", res.open, res.closed, res.messages)
	}
	// A closed ticket's transcript: its 4 messages and two status lines, each its text and
	// some 40 bytes, in a list (not a 4 KB stream node).
	if tx := res.closedKeys.parts["transcript"]; tx <= 0 || tx > 6*(float64(res.textBytes)/float64(res.messages)+60)+120 {
		t.Errorf("closed transcript = %.0f bytes for 6 entries of %.0f bytes of text", tx, float64(res.textBytes)/float64(res.messages))
	}
	if res.openKeys.parts["ticket hash"] <= 0 || res.oneMsgAll <= 0 || res.oneMsgKeys.parts["transcript"] <= 0 {
		t.Errorf("missing figures: open %+v, one message %.0f %+v", res.openKeys, res.oneMsgAll, res.oneMsgKeys)
	}
	want := []string{"status", "list", "find", "show", "stats 30d"}
	if len(res.commands) < len(want) {
		t.Fatalf("timed %d commands: %+v", len(res.commands), res.commands)
	}
	for _, c := range res.commands {
		if c.median <= 0 || c.answer == "" {
			t.Errorf("/desk %s: %v, answer %q", c.command, c.median, c.answer)
		}
		switch {
		case c.command == "status" && !strings.Contains(c.answer, "active"),
			c.command == "list" && !strings.HasPrefix(c.answer, "#"),
			strings.HasPrefix(c.command, "show ") && !strings.HasPrefix(c.answer, "#"+strings.TrimPrefix(c.command, "show ")),
			c.command == "stats 30d" && !strings.Contains(c.answer, "30 days"):
			t.Errorf("/desk %s answered %q", c.command, c.answer)
		}
	}
	for _, line := range []string{"open ticket, transcript apart:", "closed ticket with its transcript, per message:", "ticket with one short message", "/desk status"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("the report has no %q:\n%s", line, out.String())
		}
	}
}

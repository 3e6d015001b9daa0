package slack

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack/socketmode"

	"github.com/threadesk/threadesk/internal/desk"
)

// fakeSocket drives the fake's Socket Mode side.
type fakeSocket struct {
	t    *testing.T
	fake *fakeSlack
}

func newFakeSocket(t *testing.T, fake *fakeSlack) *fakeSocket {
	t.Helper()
	fake.EnableSocket()
	return &fakeSocket{t: t, fake: fake}
}

// write sends v over the app's current connection.
func (s *fakeSocket) write(v any) {
	s.t.Helper()
	if err := s.fake.SocketSend(v); err != nil {
		s.t.Fatalf("fake socket: %v", err)
	}
}

// connections waits until the app has made n connections.
func (s *fakeSocket) connections(n int) {
	s.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.fake.SocketConnections() < n {
		if time.Now().After(deadline) {
			s.t.Fatalf("Socket Mode connections: got %d, want %d", s.fake.SocketConnections(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ack waits for the next acknowledgement and returns its envelope ID.
func (s *fakeSocket) ack() string {
	s.t.Helper()
	id, err := s.fake.SocketAck(5 * time.Second)
	if err != nil {
		s.t.Fatal(err)
	}
	return id
}

func envelope(t *testing.T, id, kind string, payload any) map[string]any {
	t.Helper()
	return map[string]any{"envelope_id": id, "type": kind, "accepts_response_payload": kind != "events_api", "retry_attempt": 0, "payload": payload}
}

func socketAdapter(t *testing.T) (*fakeSlack, *fakeSocket, *fakeIngester) {
	t.Helper()
	fake := newFakeSlack(t)
	sock := newFakeSocket(t, fake)
	in := newIngester()
	newTestAdapter(t, fake, in, func(c *Config) { c.AppToken = "xapp-1-test"; c.SigningSecret = "" })
	sock.connections(1)
	return fake, sock, in
}

func dmEvent(t *testing.T, eventID, text string) map[string]any {
	t.Helper()
	return messageEvent(t, "MessagePayload.json", eventID, map[string]any{
		"event.channel": "D0CUST", "event.channel_type": "im", "event.user": "U1", "event.text": text, "event.ts": "1700000001.000100",
	})
}

func TestSocketModeEventsAckedAfterIngest(t *testing.T) {
	fake, sock, in := socketAdapter(t)
	if got := fake.callsTo("apps.connections.open"); len(got) != 1 || got[0].Bearer != "xapp-1-test" {
		t.Fatalf("apps.connections.open: %+v, want one call with the app token", got)
	}

	sock.write(envelope(t, "env-1", "events_api", dmEvent(t, "EvS1", "hello over socket")))
	if got := sock.ack(); got != "env-1" {
		t.Fatalf("ack: got %q, want env-1", got)
	}
	events, _ := in.got()
	if len(events) != 1 || events[0].ID != "EvS1" || events[0].Kind != desk.CustomerMessage || events[0].Text != "hello over socket" {
		t.Fatalf("events: %+v", events)
	}

	// An envelope whose ingest fails is not acknowledged; envelopes are handled in order, so
	// the next acknowledgement seen is the following envelope's.
	in.failWith(errStoreDown)
	for len(in.notify) > 0 {
		<-in.notify
	}
	sock.write(envelope(t, "env-2", "events_api", dmEvent(t, "EvS2", "lost?")))
	select {
	case <-in.notify:
	case <-time.After(5 * time.Second):
		t.Fatal("env-2 never reached the ingester")
	}
	in.failWith(nil)
	sock.write(envelope(t, "env-3", "events_api", dmEvent(t, "EvS3", "after")))
	if got := sock.ack(); got != "env-3" {
		t.Fatalf("ack: got %q, want env-3 (env-2 failed and must not be acknowledged)", got)
	}

	// Slack redelivers env-2; now it is recorded and acknowledged.
	sock.write(envelope(t, "env-2", "events_api", dmEvent(t, "EvS2", "lost?")))
	if got := sock.ack(); got != "env-2" {
		t.Fatalf("ack: got %q, want env-2", got)
	}
	events, _ = in.got()
	var ids []string
	for _, ev := range events {
		ids = append(ids, ev.ID)
	}
	if got, want := strings.Join(ids, ","), "EvS1,EvS3,EvS2"; got != want {
		t.Errorf("recorded events: got %s, want %s", got, want)
	}
}

func TestSocketModeInteractiveAndCommands(t *testing.T) {
	_, sock, in := socketAdapter(t)
	sock.write(envelope(t, "env-a", "interactive", map[string]any{
		"type": "block_actions", "trigger_id": "trig.s1", "response_url": "https://hooks.slack.com/actions/x",
		"user": map[string]any{"id": "UAGENT", "name": "ann"}, "channel": map[string]any{"id": fakeTriage},
		"container": map[string]any{"type": "message", "message_ts": "1700000000.000001", "channel_id": fakeTriage},
		"message":   map[string]any{"type": "message", "ts": "1700000000.000001"},
		"actions":   []any{map[string]any{"action_id": "resolve", "block_id": "b1", "value": "12", "type": "button", "action_ts": "1700000060.000001"}},
	}))
	if got := sock.ack(); got != "env-a" {
		t.Fatalf("ack: got %q", got)
	}
	sock.write(envelope(t, "env-c", "slash_commands", map[string]any{
		"command": "/desk", "text": "status", "channel_id": fakeTriage, "user_id": "UAGENT", "user_name": "ann",
		"response_url": "https://hooks.slack.com/commands/x", "trigger_id": "trig.s2",
	}))
	if got := sock.ack(); got != "env-c" {
		t.Fatalf("ack: got %q", got)
	}
	sock.write(envelope(t, "env-u", "events_api", map[string]any{
		"type": "event_callback", "event_id": "EvU", "event": map[string]any{"type": "no_such_event_type"},
	}))
	if got := sock.ack(); got != "env-u" {
		t.Fatalf("ack of an unparseable envelope: got %q", got)
	}
	events, discarded := in.got()
	if len(events) != 2 || events[0].Kind != desk.ActionPressed || events[0].Action != "resolve" || events[0].ID != "trig.s1" ||
		events[1].Kind != desk.CommandRun || events[1].Text != "status" || events[1].ID != "trig.s2" {
		t.Errorf("events: %+v", events)
	}
	if len(discarded) != 1 || discarded[0] != desk.DropUnsupported {
		t.Errorf("discarded: %v", discarded)
	}
}

// An event the core refuses for what it is (malformed) is acknowledged over Socket Mode: there
// no status can tell Slack to stop, and every redelivery would be refused again. One that could
// not be recorded is not (see TestSocketModeEventsAckedAfterIngest).
func TestSocketModeRefusedEventAcknowledged(t *testing.T) {
	_, sock, in := socketAdapter(t)
	in.failWith(desk.Errorf(desk.EINVALID, "event has no user"))
	sock.write(envelope(t, "env-bad", "events_api", dmEvent(t, "EvBad", "who wrote this?")))
	if got := sock.ack(); got != "env-bad" {
		t.Fatalf("ack: got %q, want env-bad", got)
	}
	if events, _ := in.got(); len(events) != 0 {
		t.Errorf("recorded: %+v", events)
	}
}

// A modal submission refused for what was entered is acknowledged with the field errors, so
// that the modal stays open showing them.
func TestSocketModeFormRefusalKeepsTheModalOpen(t *testing.T) {
	fake, sock, in := socketAdapter(t)
	in.mu.Lock()
	in.err = &desk.FormError{Fields: map[string]string{"agent": "Carl is not an agent"}}
	in.mu.Unlock()
	sock.write(envelope(t, "env-v", "interactive", map[string]any{
		"type": "view_submission", "trigger_id": "trig.v1", "user": map[string]any{"id": "UAGENT", "name": "ann"},
		"view": map[string]any{"id": "V1", "type": "modal", "callback_id": "assign", "private_metadata": "12",
			"state": map[string]any{"values": map[string]any{"agent": map[string]any{"agent": map[string]any{"type": "users_select", "selected_user": "UCARL"}}}}},
	}))
	if got := sock.ack(); got != "env-v" {
		t.Fatalf("ack: got %q", got)
	}
	var answer struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(fake.SocketAnswer("env-v"), &answer); err != nil || answer.ResponseAction != "errors" || answer.Errors["agent"] != "Carl is not an agent" {
		t.Errorf("ack payload %s (%v), want response_action errors on agent", fake.SocketAnswer("env-v"), err)
	}
}

// One customer whose events make the intake wait does not hold up other people's envelopes:
// they are recorded and acknowledged meanwhile.
func TestSocketModeOneSlowCustomerHoldsUpNobodyElse(t *testing.T) {
	_, sock, in := socketAdapter(t)
	release := make(chan struct{})
	in.mu.Lock()
	in.gate = func(ev desk.Event) {
		if ev.Channel == "DSLOW" {
			<-release
		}
	}
	in.mu.Unlock()
	defer close(release)
	// More envelopes than any fixed buffer would take, all from the held customer.
	for i := range 100 {
		slow := dmEvent(t, "EvSlow"+strconv.Itoa(i), "slow")
		slow["event"].(map[string]any)["channel"] = "DSLOW"
		sock.write(envelope(t, "env-slow"+strconv.Itoa(i), "events_api", slow))
	}
	sock.write(envelope(t, "env-cmd", "slash_commands", map[string]any{
		"command": "/desk", "text": "status", "channel_id": fakeTriage, "user_id": "UAGENT", "user_name": "ann",
		"response_url": "https://hooks.slack.com/commands/x", "trigger_id": "trig.q1",
	}))
	if got := sock.ack(); got != "env-cmd" {
		t.Fatalf("ack: got %q, want env-cmd while the slow customer's event is held", got)
	}
}

func TestSocketModeReconnectsOnDisconnect(t *testing.T) {
	fake, sock, in := socketAdapter(t)
	sock.write(map[string]any{"type": "disconnect", "reason": "refresh_requested"})
	sock.connections(2)
	if got := len(fake.callsTo("apps.connections.open")); got != 2 {
		t.Errorf("apps.connections.open calls: got %d, want 2", got)
	}
	sock.write(envelope(t, "env-r", "events_api", dmEvent(t, "EvR", "after reconnect")))
	if got := sock.ack(); got != "env-r" {
		t.Fatalf("ack: got %q", got)
	}
	if events, _ := in.got(); len(events) != 1 || events[0].ID != "EvR" {
		t.Errorf("events: %+v", events)
	}
}

// In Socket Mode, readiness fails once the connection has been lost for longer than a
// reconnect takes (events can only arrive over it), and is back once it is up again.
func TestSocketModeReadiness(t *testing.T) {
	fake := newFakeSlack(t)
	sock := newFakeSocket(t, fake)
	a := newTestAdapter(t, fake, newIngester(), func(c *Config) { c.AppToken = "xapp-1-test"; c.SigningSecret = "" })
	a.socketGrace = time.Millisecond
	sock.connections(1)
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Second)
	for a.Ping(ctx) != nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := a.Ping(ctx); err != nil {
		t.Fatalf("Ping while connected: %v", err)
	}
	a.handleSocketEvent(ctx, nil, socketmode.Event{Type: socketmode.EventTypeConnectionError, Data: errors.New("connection refused")})
	time.Sleep(5 * time.Millisecond)
	if err := a.Ping(ctx); desk.AsDeliveryError(err).Reason != "socket_mode_disconnected" {
		t.Errorf("Ping with the connection lost: %v, want socket_mode_disconnected", err)
	}
	a.handleSocketEvent(ctx, nil, socketmode.Event{Type: socketmode.EventTypeConnected})
	if err := a.Ping(ctx); err != nil {
		t.Errorf("Ping once reconnected: %v", err)
	}
}

package slack

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/threadesk/threadesk/internal/desk"
)

// fakeSocket is the WebSocket side of Socket Mode: every connection gets a hello, and what the
// app sends back (acknowledgements) is collected.
type fakeSocket struct {
	t     *testing.T
	conns chan *websocket.Conn
	acks  chan map[string]any
	mu    sync.Mutex // serialises writes
}

func newFakeSocket(t *testing.T, fake *fakeSlack) *fakeSocket {
	t.Helper()
	s := &fakeSocket{t: t, conns: make(chan *websocket.Conn, 4), acks: make(chan map[string]any, 16)}
	// slack-go dials with the Origin of Slack's own site, as Slack expects.
	upgrader := websocket.Upgrader{CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "https://api.slack.com" }}
	fake.mu.Lock()
	fake.wsURL = "ws" + strings.TrimPrefix(fake.srv.URL, "http") + "/ws"
	fake.ws = func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("fake socket: upgrade: %v", err)
			return
		}
		t.Cleanup(func() { conn.Close() })
		s.write(conn, map[string]any{"type": "hello", "num_connections": 1, "connection_info": map[string]any{"app_id": "A1"}})
		s.conns <- conn
		go func() {
			for {
				var msg map[string]any
				if err := conn.ReadJSON(&msg); err != nil {
					return
				}
				s.acks <- msg
			}
		}()
	}
	fake.mu.Unlock()
	return s
}

func (s *fakeSocket) write(conn *websocket.Conn, v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := conn.WriteJSON(v); err != nil {
		s.t.Errorf("fake socket: write: %v", err)
	}
}

func (s *fakeSocket) conn() *websocket.Conn {
	s.t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-time.After(5 * time.Second):
		s.t.Fatal("no Socket Mode connection")
		return nil
	}
}

// ack waits for the next acknowledgement and returns its envelope ID.
func (s *fakeSocket) ack() string {
	s.t.Helper()
	select {
	case a := <-s.acks:
		id, _ := a["envelope_id"].(string)
		return id
	case <-time.After(5 * time.Second):
		s.t.Fatal("no acknowledgement")
		return ""
	}
}

func envelope(t *testing.T, id, kind string, payload any) map[string]any {
	t.Helper()
	return map[string]any{"envelope_id": id, "type": kind, "accepts_response_payload": kind != "events_api", "retry_attempt": 0, "payload": payload}
}

func socketAdapter(t *testing.T) (*fakeSlack, *fakeSocket, *fakeIngester, *websocket.Conn) {
	t.Helper()
	fake := newFakeSlack(t)
	sock := newFakeSocket(t, fake)
	in := newIngester()
	newTestAdapter(t, fake, in, func(c *Config) { c.AppToken = "xapp-1-test"; c.SigningSecret = "" })
	return fake, sock, in, sock.conn()
}

func dmEvent(t *testing.T, eventID, text string) map[string]any {
	t.Helper()
	return messageEvent(t, "MessagePayload.json", eventID, map[string]any{
		"event.channel": "D0CUST", "event.channel_type": "im", "event.user": "U1", "event.text": text, "event.ts": "1700000001.000100",
	})
}

func TestSocketModeEventsAckedAfterIngest(t *testing.T) {
	fake, sock, in, conn := socketAdapter(t)
	if got := fake.callsTo("apps.connections.open"); len(got) != 1 || got[0].Bearer != "xapp-1-test" {
		t.Fatalf("apps.connections.open: %+v, want one call with the app token", got)
	}

	sock.write(conn, envelope(t, "env-1", "events_api", dmEvent(t, "EvS1", "hello over socket")))
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
	sock.write(conn, envelope(t, "env-2", "events_api", dmEvent(t, "EvS2", "lost?")))
	select {
	case <-in.notify:
	case <-time.After(5 * time.Second):
		t.Fatal("env-2 never reached the ingester")
	}
	in.failWith(nil)
	sock.write(conn, envelope(t, "env-3", "events_api", dmEvent(t, "EvS3", "after")))
	if got := sock.ack(); got != "env-3" {
		t.Fatalf("ack: got %q, want env-3 (env-2 failed and must not be acknowledged)", got)
	}

	// Slack redelivers env-2; now it is recorded and acknowledged.
	sock.write(conn, envelope(t, "env-2", "events_api", dmEvent(t, "EvS2", "lost?")))
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
	_, sock, in, conn := socketAdapter(t)
	sock.write(conn, envelope(t, "env-a", "interactive", map[string]any{
		"type": "block_actions", "trigger_id": "trig.s1", "response_url": "https://hooks.slack.com/actions/x",
		"user": map[string]any{"id": "UAGENT", "name": "ann"}, "channel": map[string]any{"id": fakeTriage},
		"container": map[string]any{"type": "message", "message_ts": "1700000000.000001", "channel_id": fakeTriage},
		"message":   map[string]any{"type": "message", "ts": "1700000000.000001"},
		"actions":   []any{map[string]any{"action_id": "resolve", "block_id": "b1", "value": "12", "type": "button", "action_ts": "1700000060.000001"}},
	}))
	if got := sock.ack(); got != "env-a" {
		t.Fatalf("ack: got %q", got)
	}
	sock.write(conn, envelope(t, "env-c", "slash_commands", map[string]any{
		"command": "/desk", "text": "status", "channel_id": fakeTriage, "user_id": "UAGENT", "user_name": "ann",
		"response_url": "https://hooks.slack.com/commands/x", "trigger_id": "trig.s2",
	}))
	if got := sock.ack(); got != "env-c" {
		t.Fatalf("ack: got %q", got)
	}
	sock.write(conn, envelope(t, "env-u", "events_api", map[string]any{
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
	if len(discarded) != 1 || discarded[0] != "unsupported_event" {
		t.Errorf("discarded: %v", discarded)
	}
}

func TestSocketModeReconnectsOnDisconnect(t *testing.T) {
	fake, sock, in, conn := socketAdapter(t)
	sock.write(conn, map[string]any{"type": "disconnect", "reason": "refresh_requested"})
	conn2 := sock.conn()
	if got := len(fake.callsTo("apps.connections.open")); got != 2 {
		t.Errorf("apps.connections.open calls: got %d, want 2", got)
	}
	sock.write(conn2, envelope(t, "env-r", "events_api", dmEvent(t, "EvR", "after reconnect")))
	if got := sock.ack(); got != "env-r" {
		t.Fatalf("ack: got %q", got)
	}
	if events, _ := in.got(); len(events) != 1 || events[0].ID != "EvR" {
		t.Errorf("events: %+v", events)
	}
}

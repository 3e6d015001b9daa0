package slacktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// socket is the Socket Mode side of the fake: the WebSocket apps.connections.open points to.
type socket struct {
	mu    sync.Mutex // serialises writes and guards conn
	conn  *websocket.Conn
	conns int
	ready chan struct{} // closed while a connection is up
	acks  chan string   // envelope IDs the app acknowledged
	mu2   sync.Mutex
	answ  map[string]json.RawMessage // the payload of each acknowledgement that carried one
	done  chan struct{}
}

// EnableSocket makes apps.connections.open answer with the fake's WebSocket, which greets
// every connection with hello and collects the app's acknowledgements (see SocketSend and
// SocketAck).
func (s *Server) EnableSocket() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.socket == nil {
		s.socket = &socket{ready: make(chan struct{}), acks: make(chan string, 1024), done: make(chan struct{})}
	}
}

// SocketConnections counts the WebSocket connections the app made.
func (s *Server) SocketConnections() int {
	sock := s.sock()
	if sock == nil {
		return 0
	}
	sock.mu.Lock()
	defer sock.mu.Unlock()
	return sock.conns
}

func (s *Server) sock() *socket {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.socket
}

func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	sock := s.sock()
	if sock == nil {
		http.NotFound(w, r)
		return
	}
	// slack-go dials with the Origin of Slack's own site, as Slack expects.
	upgrader := websocket.Upgrader{CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "https://api.slack.com" }}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.t.Errorf("slacktest: socket upgrade: %v", err)
		return
	}
	sock.mu.Lock()
	if sock.conn != nil {
		_ = sock.conn.Close()
	}
	sock.conn = conn
	sock.conns++
	err = conn.WriteJSON(map[string]any{"type": "hello", "num_connections": 1, "connection_info": map[string]any{"app_id": "A1"},
		"debug_info": map[string]any{"host": "slacktest", "approximate_connection_time": 18060}})
	select {
	case <-sock.ready:
	default:
		close(sock.ready)
	}
	sock.mu.Unlock()
	if err != nil {
		return
	}
	go func() {
		defer func() {
			sock.mu.Lock()
			if sock.conn == conn {
				sock.conn = nil
				sock.ready = make(chan struct{})
			}
			sock.mu.Unlock()
			_ = conn.Close()
		}()
		for {
			var msg struct {
				EnvelopeID string          `json:"envelope_id"`
				Payload    json.RawMessage `json:"payload"`
			}
			if err := conn.ReadJSON(&msg); err != nil {
				return
			}
			if msg.EnvelopeID != "" && len(msg.Payload) > 0 && string(msg.Payload) != "null" {
				sock.mu2.Lock()
				if sock.answ == nil {
					sock.answ = map[string]json.RawMessage{}
				}
				sock.answ[msg.EnvelopeID] = msg.Payload
				sock.mu2.Unlock()
			}
			if msg.EnvelopeID != "" {
				select {
				case sock.acks <- msg.EnvelopeID:
				case <-sock.done:
					return
				}
			}
		}
	}()
}

// SocketSend writes v (an envelope, see Envelope, or a disconnect request) to the app's
// current Socket Mode connection, waiting up to 10 seconds for the app to connect.
func (s *Server) SocketSend(v any) error {
	sock := s.sock()
	if sock == nil {
		return errors.New("slacktest: Socket Mode is not enabled")
	}
	deadline := time.After(10 * time.Second)
	for {
		sock.mu.Lock()
		ready := sock.ready
		if sock.conn != nil {
			err := sock.conn.WriteJSON(v)
			sock.mu.Unlock()
			return err
		}
		sock.mu.Unlock()
		select {
		case <-ready:
		case <-deadline:
			return errors.New("slacktest: the app did not connect over Socket Mode")
		case <-sock.done:
			return errors.New("slacktest: closed")
		}
	}
}

// SocketAck waits up to timeout for the app's next acknowledgement and returns its envelope ID.
func (s *Server) SocketAck(timeout time.Duration) (string, error) {
	sock := s.sock()
	if sock == nil {
		return "", errors.New("slacktest: Socket Mode is not enabled")
	}
	select {
	case id := <-sock.acks:
		return id, nil
	case <-time.After(timeout):
		return "", fmt.Errorf("slacktest: no Socket Mode acknowledgement within %s", timeout)
	}
}

// SocketAnswer returns the payload the app's acknowledgement of an envelope carried (the
// answer to a view_submission, for example), or nil.
func (s *Server) SocketAnswer(envelopeID string) json.RawMessage {
	sock := s.sock()
	if sock == nil {
		return nil
	}
	sock.mu2.Lock()
	defer sock.mu2.Unlock()
	return sock.answ[envelopeID]
}

// Envelope wraps a payload the way Socket Mode delivers it. kind is events_api, interactive or
// slash_commands.
func Envelope(id, kind string, payload any) map[string]any {
	return map[string]any{"envelope_id": id, "type": kind, "accepts_response_payload": kind != "events_api", "retry_attempt": 0, "retry_reason": "", "payload": payload}
}

func (sock *socket) close() {
	sock.mu.Lock()
	defer sock.mu.Unlock()
	select {
	case <-sock.done:
	default:
		close(sock.done)
	}
	if sock.conn != nil {
		_ = sock.conn.Close()
	}
}

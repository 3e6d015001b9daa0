package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// streamBuffer is how many changes a stream may fall behind before it is dropped.
const streamBuffer = 256

// frame is one Server-Sent Event: a name and its JSON data.
type frame struct {
	event string
	data  []byte
}

type subscriber struct {
	ch chan frame // closed when the stream is dropped or the sandbox closes
}

// subscribe registers a stream and returns the state it starts from; both happen under one
// lock, so no change falls between the snapshot and the first notification.
func (s *Sandbox) subscribe() (*subscriber, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, fmt.Errorf("sandbox closed")
	}
	snap, err := json.Marshal(s.snapshot())
	if err != nil {
		return nil, nil, fmt.Errorf("encode snapshot: %w", err)
	}
	sub := &subscriber{ch: make(chan frame, streamBuffer)}
	s.subs[sub] = struct{}{}
	return sub, snap, nil
}

func (s *Sandbox) unsubscribe(sub *subscriber) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.subs[sub]; ok {
		delete(s.subs, sub)
		close(sub.ch)
	}
}

// serveStream is GET /sandbox/stream: a "snapshot" event with the whole state, then "user",
// "message", "form" and "form_closed" events as things change, and a comment line every
// heartbeat interval.
func (s *Sandbox) serveStream(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	// A stream outlives any server-wide write timeout; lift it for this response.
	_ = rc.SetWriteDeadline(time.Time{})
	sub, snap, err := s.subscribe()
	if err != nil {
		writeError(w, apiErr(http.StatusServiceUnavailable, "unavailable", "the sandbox is shutting down"))
		return
	}
	defer s.unsubscribe(sub)

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprintf(w, "retry: 1000\nevent: snapshot\ndata: %s\n\n", snap); err != nil {
		return
	}
	if err := rc.Flush(); err != nil {
		return
	}
	tick := time.NewTicker(s.heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case f, ok := <-sub.ch:
			if !ok {
				return
			}
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", f.event, f.data); err != nil {
				return
			}
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

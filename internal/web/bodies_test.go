package web_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/threadesk/threadesk/internal/web"
)

// bodyServer serves a handler that reads its body with web.ReadBody and answers 200 or the
// error, at /plain (no handler timeout) and /timed (with one, as the platforms' routes).
func bodyServer(t *testing.T) (*httptest.Server, *web.Server) {
	t.Helper()
	srv := web.New(slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := web.ReadBody(w, r, 1<<20); err != nil {
			web.Error(w, err)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	srv.Handle("POST /plain", h, web.Route{BodyTimeout: 500 * time.Millisecond})
	srv.Handle("POST /timed", h, web.Route{BodyTimeout: 500 * time.Millisecond, Timeout: web.DefaultTimeout})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts, srv
}

// send writes a request's head declaring length bytes and then body, and returns the answer's
// status and how long it took.
func send(t *testing.T, ts *httptest.Server, path string, length int, body string) (int, time.Duration) {
	t.Helper()
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", path, length, body)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%s: no answer: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

// TestBodyBounds: a body that stops arriving is answered 408 once the route's body timeout has
// passed, with or without a handler timeout; one declared over the limit 413 at once; one whole
// 200; and the budget of bodies in flight is back at zero after each.
func TestBodyBounds(t *testing.T) {
	ts, srv := bodyServer(t)
	for _, path := range []string{"/plain", "/timed"} {
		tests := []struct {
			name   string
			length int
			body   string
			want   int
			within time.Duration
		}{
			{"whole", 3, "abc", 200, 400 * time.Millisecond},
			{"stops arriving", 100, "abc", 408, 1500 * time.Millisecond},
			{"declared too large", 2 << 20, "abc", 413, 400 * time.Millisecond},
		}
		for _, tt := range tests {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				got, took := send(t, ts, path, tt.length, tt.body)
				if got != tt.want || took > tt.within {
					t.Errorf("answer %d after %v, want %d within %v", got, took, tt.want, tt.within)
				}
				if n := srv.InFlight(); n != 0 {
					t.Errorf("%d bytes still in flight, want 0", n)
				}
			})
		}
	}
}

// TestBodyBudget: while large bodies hold the budget, another large one is answered 503 at
// once, and a small one still gets through.
func TestBodyBudget(t *testing.T) {
	ts, srv := bodyServer(t)
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	// Bodies of 1 MB that never finish: as many as the budget lets in.
	for range web.DefaultBodyBudget >> 20 {
		c, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST /plain HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\nx", 1<<20)
		held = append(held, c)
	}
	deadline := time.Now().Add(2 * time.Second)
	for srv.InFlight() < web.DefaultBodyBudget-(8<<20) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.InFlight(); n < web.DefaultBodyBudget-(9<<20) {
		t.Fatalf("%d bytes in flight, want the budget's share for large bodies", n)
	}
	if got, took := send(t, ts, "/plain", 1<<20, strings.Repeat("x", 10)); got != http.StatusServiceUnavailable || took > 400*time.Millisecond {
		t.Errorf("large body while the budget is full: %d after %v, want 503 at once", got, took)
	}
	if got, took := send(t, ts, "/plain", 3, "abc"); got != http.StatusOK || took > 400*time.Millisecond {
		t.Errorf("small body while the budget is full of large ones: %d after %v, want 200 at once", got, took)
	}
}

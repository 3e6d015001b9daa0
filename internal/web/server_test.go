package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/web"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func get(t *testing.T, h http.Handler, method, path, body string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	return rec.Code, rec.Body.String()
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	var storeDown atomic.Bool
	var platformCalls atomic.Int32
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "threadesk_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Inc()
	s := web.New(quiet(), reg,
		web.Check{Name: "redis", Run: func(context.Context) error {
			if storeDown.Load() {
				return errors.New("connection refused")
			}
			return nil
		}},
		web.Check{Name: "slack", Every: time.Hour, Run: func(context.Context) error {
			platformCalls.Add(1)
			return nil
		}},
	)
	h := s.Handler()
	if code, _ := get(t, h, "GET", "/healthz", ""); code != 200 {
		t.Errorf("healthz = %d", code)
	}
	if code, body := get(t, h, "GET", "/readyz", ""); code != 200 || !strings.Contains(body, `"ready":true`) {
		t.Errorf("readyz = %d %s, want 200 ready", code, body)
	}
	storeDown.Store(true)
	code, body := get(t, h, "GET", "/readyz", "")
	if code != 503 || !strings.Contains(body, "connection refused") {
		t.Errorf("readyz with Redis down = %d %s, want 503 naming the failure", code, body)
	}
	if n := platformCalls.Load(); n != 1 {
		t.Errorf("platform checked %d times in two probes, want 1 (cached)", n)
	}
	if code, body := get(t, h, "GET", "/metrics", ""); code != 200 || !strings.Contains(body, "threadesk_test_total 1") {
		t.Errorf("metrics = %d, missing the registry's counter", code)
	}
	if code, _ := get(t, h, "POST", "/healthz", ""); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d, want 405", code)
	}
}

func TestRouteLimits(t *testing.T) {
	s := web.New(quiet(), prometheus.NewRegistry())
	s.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			web.Error(w, err)
			return
		}
		_, _ = w.Write(b)
	}), web.Route{MaxBody: 10})
	s.Handle("POST /slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}), web.Route{Timeout: 50 * time.Millisecond})
	h := s.Handler()
	if code, body := get(t, h, "POST", "/echo", "small"); code != 200 || body != "small" {
		t.Errorf("small body = %d %q", code, body)
	}
	if code, body := get(t, h, "POST", "/echo", strings.Repeat("x", 11)); code != 413 || !strings.Contains(body, "too large") {
		t.Errorf("oversize body = %d %q, want 413", code, body)
	}
	if code, _ := get(t, h, "POST", "/slow", ""); code != 503 {
		t.Errorf("slow handler = %d, want 503", code)
	}
}

// TestInlineRoute: an Inline route runs its handler on the server's own ResponseWriter (no
// http.TimeoutHandler in between: flushing works), with the route's timeout as its context's
// deadline and the same body bounds as any route.
func TestInlineRoute(t *testing.T) {
	s := web.New(quiet(), prometheus.NewRegistry())
	probe := func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			web.Error(w, err)
			return
		}
		if _, ok := r.Context().Deadline(); !ok {
			http.Error(w, "no deadline", http.StatusTeapot)
			return
		}
		if err := http.NewResponseController(w).Flush(); err != nil {
			http.Error(w, "wrapped writer: "+err.Error(), http.StatusTeapot)
			return
		}
		_, _ = io.WriteString(w, "direct")
	}
	s.Handle("POST /inline", http.HandlerFunc(probe), web.Route{MaxBody: 10, Timeout: time.Second, Inline: true})
	s.Handle("POST /wrapped", http.HandlerFunc(probe), web.Route{MaxBody: 10, Timeout: time.Second})
	s.Handle("POST /inline-slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		web.Error(w, desk.Errorf(desk.EUNAVAILABLE, "cannot record the event now"))
	}), web.Route{Timeout: 50 * time.Millisecond, Inline: true})
	h := s.Handler()
	if code, body := get(t, h, "POST", "/inline", "small"); code != 200 || body != "direct" {
		t.Errorf("inline route = %d %q, want 200 direct", code, body)
	}
	if code, body := get(t, h, "POST", "/wrapped", "small"); code != http.StatusTeapot || !strings.Contains(body, "wrapped writer") {
		t.Errorf("TimeoutHandler route = %d %q, want the probe to see a wrapped writer", code, body)
	}
	if code, _ := get(t, h, "POST", "/inline", strings.Repeat("x", 11)); code != 413 {
		t.Errorf("inline route, oversize body = %d, want 413", code)
	}
	start := time.Now()
	if code, _ := get(t, h, "POST", "/inline-slow", ""); code != 503 {
		t.Errorf("inline route past its deadline = %d, want 503", code)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("inline route past its deadline answered after %v", took)
	}
}

func TestErrorStatuses(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{desk.Errorf(desk.EINVALID, "bad"), 400},
		{desk.Errorf(desk.EUNAUTHORIZED, "who"), 401},
		{desk.Errorf(desk.EFORBIDDEN, "no"), 403},
		{desk.Errorf(desk.ETOOLARGE, "big"), 413},
		{desk.Errorf(desk.EUNAVAILABLE, "down"), 503},
		{errors.New("boom"), 500},
	}
	for _, tt := range tests {
		if got := web.Status(tt.err); got != tt.want {
			t.Errorf("Status(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestErrorStatusesOfHTTPFailures(t *testing.T) {
	if got := web.Status(fmt.Errorf("read body: %w", &http.MaxBytesError{Limit: 10})); got != http.StatusRequestEntityTooLarge {
		t.Errorf("Status(body too large) = %d, want 413", got)
	}
	if got := web.Status(&web.MethodError{Allow: http.MethodPost}); got != http.StatusMethodNotAllowed {
		t.Errorf("Status(MethodError) = %d, want 405", got)
	}
}

// TestErrorBodies: a refusal tells the sender what is wrong with the request in its own words;
// a failure on the server's side never shows its cause (a Redis address, a driver's text),
// even when a domain error quotes it.
func TestErrorBodies(t *testing.T) {
	redis := errors.New("dial tcp 10.0.0.7:6379: connect: connection refused")
	tests := []struct {
		name       string
		err        error
		wantStatus int
		want       string // the whole error message
		header     [2]string
	}{
		{"refusal", fmt.Errorf("ingest: %w", desk.Errorf(desk.EINVALID, "event has no user")), 400, "event has no user", [2]string{}},
		{"too large by the desk's rule", desk.Errorf(desk.ETOOLARGE, "message text is larger than 163840 bytes"), 413, "message text is larger than 163840 bytes", [2]string{}},
		{"body over the route's limit", &http.MaxBytesError{Limit: 10}, 413, "request body too large", [2]string{}},
		{"wrong method", &web.MethodError{Allow: "POST"}, 405, "method not allowed", [2]string{"Allow", "POST"}},
		{"internal error", fmt.Errorf("record event: %w", redis), 500, "internal error", [2]string{}},
		{"unavailable quoting its cause", desk.Errorf(desk.EUNAVAILABLE, "cannot record the event now: %v", redis), 503, "temporarily unavailable; try again later", [2]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			web.Error(rec, tt.err)
			var body struct{ Error string }
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q is not JSON: %v", rec.Body, err)
			}
			if rec.Code != tt.wantStatus || body.Error != tt.want {
				t.Errorf("got %d %q, want %d %q", rec.Code, body.Error, tt.wantStatus, tt.want)
			}
			if strings.Contains(rec.Body.String(), "6379") || strings.Contains(rec.Body.String(), "10.0.0.7") {
				t.Errorf("body %q shows an internal cause", rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if h := tt.header; h[0] != "" && rec.Header().Get(h[0]) != h[1] {
				t.Errorf("header %s = %q, want %q", h[0], rec.Header().Get(h[0]), h[1])
			}
		})
	}
}

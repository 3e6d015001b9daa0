package web_test

import (
	"context"
	"errors"
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

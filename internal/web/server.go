// Package web is Threadesk's HTTP face: the server every endpoint is mounted on, with size
// limits and timeouts on every route, health and readiness checks, Prometheus metrics, and the
// one table that maps domain error codes to HTTP statuses.
package web

import (
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/threadesk/threadesk/internal/desk"
)

// Defaults for routes mounted without their own limits.
const (
	DefaultMaxBody = 1 << 20          // platforms' webhooks are far smaller
	DefaultTimeout = 10 * time.Second // platforms give up after 3 s anyway
)

// Route limits: how big a request body may be, how long it may take to arrive, and how long
// the handler may take. A zero Timeout leaves the handler unbounded (for long-lived streams);
// their writes are still bounded by the handler itself.
type Route struct {
	MaxBody int64
	Timeout time.Duration
	// BodyTimeout bounds the reading of the body, from the handler's first read; zero is
	// DefaultBodyTimeout.
	BodyTimeout time.Duration
	// Unbudgeted leaves the route's bodies out of the server's budget of bodies in flight
	// (the sandbox's uploads, larger than the budget, from this machine only).
	Unbudgeted bool
	// Inline runs the handler on the connection's own goroutine, its request's context
	// ending after Timeout, instead of under http.TimeoutHandler (a goroutine and a buffered
	// copy of the answer per request, a few per cent of the CPU of a busy event route). It is
	// for handlers that answer by their context's deadline themselves, such as the platforms'
	// event routes, which bound their store calls and answer 503 when one runs out. The body's
	// bounds (size, time, the server's budget) are the same.
	Inline bool
}

// Check is one readiness check (the store, a platform), run with a deadline.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
	// Every is how long a result is reused, so that a probe every second does not turn into a
	// platform API call every second. Zero checks every time.
	Every time.Duration
	// Timeout bounds one run of the check; default 3 s.
	Timeout time.Duration
}

// Server holds the routes. Create it with New.
type Server struct {
	mux    *http.ServeMux
	log    *slog.Logger
	checks []*cachedCheck
	bodies bodyBudget // memory held by request bodies being read, every route together

	metrics      http.Handler
	metricsToken string // when set, /metrics wants it as a bearer token
}

type cachedCheck struct {
	Check
	mu   sync.Mutex
	at   time.Time
	last error
}

// New returns a server with /healthz, /readyz and /metrics mounted. reg is the registry whose
// metrics /metrics exposes.
func New(log *slog.Logger, reg *prometheus.Registry, checks ...Check) *Server {
	s := &Server{mux: http.NewServeMux(), log: log, bodies: bodyBudget{total: DefaultBodyBudget}}
	for _, c := range checks {
		s.checks = append(s.checks, &cachedCheck{Check: c})
	}
	s.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}), Route{})
	s.Handle("GET /readyz", http.HandlerFunc(s.ready), Route{})
	s.metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	s.Handle("GET /metrics", http.HandlerFunc(s.serveMetrics), Route{})
	return s
}

// RequireMetricsToken limits /metrics to requests carrying "Authorization: Bearer token";
// others get 401. An empty token leaves /metrics open.
func (s *Server) RequireMetricsToken(token string) { s.metricsToken = token }

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if s.metricsToken != "" {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.metricsToken)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			Error(w, desk.Errorf(desk.EUNAUTHORIZED, "a bearer token is required"))
			return
		}
	}
	s.metrics.ServeHTTP(w, r)
}

// Handle mounts h at pattern (a ServeMux pattern such as "POST /slack/events") with the
// route's limits: a body over MaxBody fails to read (handlers answer 413), one that does not
// arrive within BodyTimeout too (408), one for which the server's budget of bodies in flight
// has no room fails at once (503), and a handler running over Timeout is answered 503.
func (s *Server) Handle(pattern string, h http.Handler, rt Route) {
	if rt.MaxBody == 0 {
		rt.MaxBody = DefaultMaxBody
	}
	switch {
	case rt.Timeout > 0 && rt.Inline:
		inner := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), rt.Timeout)
			defer cancel()
			inner.ServeHTTP(w, r.WithContext(ctx))
		})
	case rt.Timeout > 0:
		h = http.TimeoutHandler(h, rt.Timeout, `{"error":"timed out"}`)
	}
	// The body is guarded outside the TimeoutHandler: its read deadline is set on the
	// connection, which only the server's own ResponseWriter reaches.
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, done := s.guard(w, r, rt)
		defer done()
		h.ServeHTTP(w, r)
	}))
}

// Handler returns the server's root handler.
func (s *Server) Handler() http.Handler { return s.mux }

// ready answers 200 when every check passes and 503 naming the failing ones otherwise.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	results := make(map[string]string, len(s.checks))
	status := http.StatusOK
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, c := range s.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := c.run(r.Context())
			mu.Lock()
			defer mu.Unlock()
			results[c.Name] = "ok"
			if err != nil {
				results[c.Name] = err.Error()
				status = http.StatusServiceUnavailable
			}
		}()
	}
	wg.Wait()
	if status != http.StatusOK {
		s.log.Warn("not ready", "checks", results)
	}
	WriteJSON(w, status, map[string]any{"ready": status == http.StatusOK, "checks": results})
}

func (c *cachedCheck) run(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Every > 0 && !c.at.IsZero() && time.Since(c.at) < c.Every {
		return c.last
	}
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(c.Timeout, 3*time.Second))
	defer cancel()
	c.last, c.at = c.Run(ctx), time.Now()
	return c.last
}

// WriteJSON writes v as a JSON response with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// codes maps each domain error code to its HTTP status: the one place this is decided.
var codes = map[string]int{
	desk.ECONFLICT:     http.StatusConflict,
	desk.EINVALID:      http.StatusBadRequest,
	desk.ENOTFOUND:     http.StatusNotFound,
	desk.EFORBIDDEN:    http.StatusForbidden,
	desk.EUNAUTHORIZED: http.StatusUnauthorized,
	desk.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	desk.EUNAVAILABLE:  http.StatusServiceUnavailable,
	desk.EINTERNAL:     http.StatusInternalServerError,
}

// MethodError is a request made with a method its route does not take. Routes mounted with a
// method in their pattern get this answer from the ServeMux already; handlers that are also
// served on their own (the platforms' webhooks) return it themselves.
type MethodError struct {
	Allow string // the method the route takes, e.g. "POST"
}

func (e *MethodError) Error() string { return "method not allowed; use " + e.Allow }

// Status returns the HTTP status for err. A body cut off by a route's size limit is 413, one
// that did not arrive in time 408, one the server has no room for now 503, a request with the
// wrong method 405.
func Status(err error) int {
	switch {
	case isBodyTooLarge(err):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrBodyTimeout):
		return http.StatusRequestTimeout
	case errors.Is(err, ErrBodyBudget):
		return http.StatusServiceUnavailable
	}
	if _, ok := errors.AsType[*MethodError](err); ok {
		return http.StatusMethodNotAllowed
	}
	if s, ok := codes[desk.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error answers a request with err's status and a JSON body carrying a message for the person
// or program that sent it. A refusal (4xx) carries the domain error's human message. A failure
// on the server's side (5xx) carries only a fixed sentence: its cause (a Redis address, a
// driver's error text) is for the logs, and a wrapped domain message may quote it.
func Error(w http.ResponseWriter, err error) {
	status := Status(err)
	msg := desk.ErrorMessage(err)
	if me, ok := errors.AsType[*MethodError](err); ok {
		w.Header().Set("Allow", me.Allow)
		msg = "method not allowed"
	}
	switch {
	case status == http.StatusServiceUnavailable:
		msg = "temporarily unavailable; try again later"
	case status >= 500:
		msg = "internal error"
	case isBodyTooLarge(err):
		msg = "request body too large"
	case errors.Is(err, ErrBodyTimeout):
		msg = ErrBodyTimeout.Error()
	}
	WriteJSON(w, status, map[string]string{"error": msg})
}

// isBodyTooLarge reports whether err is a body cut off by a size limit (http.MaxBytesReader).
func isBodyTooLarge(err error) bool {
	_, ok := errors.AsType[*http.MaxBytesError](err)
	return ok
}

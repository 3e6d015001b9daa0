package web

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the bounds on request bodies while they are read.
const (
	// DefaultBodyTimeout is how long a request body may take to arrive once a handler starts
	// reading it. The platforms send their callbacks from data centres in milliseconds; a
	// sender that dribbles its body (a slow-loris) is cut off at this bound and answered 408.
	DefaultBodyTimeout = 5 * time.Second
	// DefaultBodyBudget is the most memory the bodies being read may hold, every request of
	// the server together; a request that would go over it is answered 503 before its body
	// is read.
	DefaultBodyBudget = 32 << 20
	// smallBody and smallReserve keep room for ordinary requests when large bodies fill the
	// budget: a body over smallBody may use the budget only up to smallReserve short of it,
	// so that many senders of large bodies cannot crowd out the platforms' callbacks, which
	// are a few kilobytes.
	smallBody    = 64 << 10
	smallReserve = 8 << 20
)

// Errors of reading a request body within its route's bounds. Status maps them to 408 and 503.
var (
	ErrBodyTimeout = errors.New("request body not received in time")
	ErrBodyBudget  = errors.New("too many request bodies in flight")
)

// BodyError reports whether err is a request body's failure to arrive within its route's
// bounds (too large, too slow, or no memory for it now), as opposed to a body that arrived
// and is malformed. A handler passes such an error on to Error as it is.
func BodyError(err error) bool {
	return isBodyTooLarge(err) || errors.Is(err, ErrBodyTimeout) || errors.Is(err, ErrBodyBudget)
}

// bodyBudget counts the bytes that request bodies being read may hold.
type bodyBudget struct {
	mu    sync.Mutex
	total int64
	used  int64
}

// reserve takes n bytes of the budget, or reports false when they are not there. A large body
// leaves smallReserve for small ones.
func (b *bodyBudget) reserve(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	limit := b.total
	if n > smallBody {
		limit -= smallReserve
	}
	if b.used+n > limit {
		return false
	}
	b.used += n
	return true
}

func (b *bodyBudget) release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
}

// InFlight returns the bytes request bodies being read hold now, as the server's budget
// counts them.
func (s *Server) InFlight() int64 {
	s.bodies.mu.Lock()
	defer s.bodies.mu.Unlock()
	return s.bodies.used
}

// guardedBody is a request body read within its route's bounds: at its first read it reserves
// what the body may take of the server's budget (its Content-Length, or the route's limit when
// it is sent in chunks), refuses a declared length over the limit without reading it, and sets
// the connection's read deadline; when the body has been read, the deadline is lifted again.
type guardedBody struct {
	body     io.ReadCloser // already limited by http.MaxBytesReader
	rc       *http.ResponseController
	length   int64 // the request's Content-Length, -1 when unknown
	max      int64
	timeout  time.Duration // <= 0: none
	budget   *bodyBudget   // nil: not counted
	started  bool
	deadline bool
	reserved int64
	err      error
	complete atomic.Bool // read to its end: the connection's end is the client's leaving
}

func (g *guardedBody) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if !g.started {
		g.started = true
		if err := g.start(); err != nil {
			return 0, g.fail(err)
		}
	}
	n, err := g.body.Read(p)
	if err != nil {
		if isTimeout(err) {
			err = ErrBodyTimeout
		}
		return n, g.fail(err)
	}
	return n, nil
}

func (g *guardedBody) start() error {
	if g.length > g.max {
		return &http.MaxBytesError{Limit: g.max}
	}
	if g.budget != nil {
		n := g.max
		if g.length >= 0 {
			n = g.length
		}
		if !g.budget.reserve(n) {
			return ErrBodyBudget
		}
		g.reserved = n
	}
	if g.timeout > 0 {
		g.deadline = g.rc.SetReadDeadline(time.Now().Add(g.timeout)) == nil
	}
	return nil
}

// fail ends the body with err: io.EOF when it was read to its end, when the deadline is lifted
// so that the server's own watch on the connection after the body does not time out. Any other
// end leaves the connection's reads failing from now on: the server would otherwise wait for
// the rest of a small body before answering (to discard it), as long as its sender dribbles.
func (g *guardedBody) fail(err error) error {
	g.err = err
	if err == io.EOF {
		g.complete.Store(true)
		if g.deadline {
			_ = g.rc.SetReadDeadline(time.Time{})
		}
	} else {
		_ = g.rc.SetReadDeadline(time.Now())
	}
	g.deadline = false
	return err
}

func (g *guardedBody) Close() error { return g.body.Close() }

// release gives back the body's share of the budget once its handler is done with it.
func (g *guardedBody) release() {
	if g.budget != nil && g.reserved > 0 {
		g.budget.release(g.reserved)
		g.reserved = 0
	}
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

// guard wraps r's body in the route's bounds and returns the request to hand on, with a
// function to call when the handler is done. The request's context is the connection's,
// except that until the body has been read to its end the connection's end does not cancel
// it: a body that stops arriving is cut off by its read deadline (which ends the connection),
// and its handler answers 408 instead of having its context cancelled under it
// (http.TimeoutHandler would answer 503); a client that leaves midway makes the body fail.
func (s *Server) guard(w http.ResponseWriter, r *http.Request, rt Route) (*http.Request, func()) {
	body := http.MaxBytesReader(w, r.Body, rt.MaxBody)
	if r.Body == nil || r.Body == http.NoBody {
		r.Body = body
		return r, func() {}
	}
	g := &guardedBody{body: body, rc: http.NewResponseController(w), length: r.ContentLength, max: rt.MaxBody, timeout: rt.BodyTimeout}
	if g.timeout == 0 {
		g.timeout = DefaultBodyTimeout
	}
	if !rt.Unbudgeted {
		g.budget = &s.bodies
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	stop := context.AfterFunc(r.Context(), func() {
		if g.complete.Load() {
			cancel()
		}
	})
	r = r.WithContext(ctx)
	r.Body = g
	return r, func() {
		stop()
		cancel()
		g.release()
	}
}

// ReadBody reads r's body, at most max bytes, into a buffer sized by its Content-Length, so
// that a body held in memory costs what its sender declared and no more. Its errors are the
// body's (see BodyError) or the connection's.
func ReadBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, &http.MaxBytesError{Limit: max}
	}
	size := int64(512)
	if r.ContentLength >= 0 {
		size = r.ContentLength + 1 // room to see the end without growing
	}
	// The first read is into a small buffer: it is the one that takes the body's share of the
	// server's budget (guardedBody), and a body refused there must not have cost its declared
	// size already. A crowd of large bodies was allocated whole before being refused.
	buf := make([]byte, 0, min(size, 512))
	body := http.MaxBytesReader(w, r.Body, max)
	for {
		if len(buf) == cap(buf) {
			if int64(cap(buf)) < size {
				grown := make([]byte, len(buf), size)
				copy(grown, buf)
				buf = grown
			} else {
				buf = append(buf, 0)[:len(buf)]
			}
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

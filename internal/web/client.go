package web

import (
	"net/http"
	"time"
)

// NewClient returns an HTTP client for calling a platform's API. Unlike http.DefaultClient it
// keeps enough idle connections per host for every queue worker to reuse one (the default
// keeps two, so concurrent deliveries would open a new TLS connection almost every call), and
// it bounds every call by timeout.
func NewClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: t, Timeout: timeout}
}

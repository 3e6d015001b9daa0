package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// servePprof serves Go's profiler on PPROF_ADDR, a listener of its own so that it is never
// reachable where the platforms and browsers are (HTTP_ADDR). It stays off unless set.
func (m *Main) servePprof() error {
	if m.Config.PprofAddr == "" {
		return nil
	}
	l, err := net.Listen("tcp", m.Config.PprofAddr)
	if err != nil {
		return fmt.Errorf("listen on PPROF_ADDR %s: %w", m.Config.PprofAddr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("pprof server", "err", err)
		}
	}()
	m.Log.Warn("Go's profiler is served", "addr", l.Addr().String())
	m.closers = append(m.closers, srv.Close)
	return nil
}

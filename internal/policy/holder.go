package policy

import (
	"errors"
	"sync"
	"sync/atomic"
)

// ErrNoFile is Reload's answer when the desk runs without a policy file (DESK_CONFIG unset).
var ErrNoFile = errors.New("no desk policy file to reload: DESK_CONFIG is not set")

// Holder keeps the policy the running desk reads. Policy is safe to call from any goroutine at
// any time; Reload replaces the policy whole, so a reader sees the old one or the new one,
// never a mixture.
type Holder struct {
	path   string
	reload sync.Mutex // one reload at a time, so that the last file read is the one kept
	cur    atomic.Pointer[Policy]
}

// Open loads the policy file at path into a new Holder. With path "" (DESK_CONFIG unset) the
// Holder holds Default and Reload has nothing to read.
func Open(path string) (*Holder, error) {
	h := &Holder{path: path}
	if path == "" {
		h.cur.Store(Default())
		return h, nil
	}
	p, err := Load(path)
	if err != nil {
		return nil, err
	}
	h.cur.Store(p)
	return h, nil
}

// NewHolder returns a Holder of p that has no file to reload, for tests and for callers that
// build a policy themselves.
func NewHolder(p *Policy) *Holder {
	h := &Holder{}
	h.cur.Store(p)
	return h
}

// Path is the file the Holder reloads, "" when there is none.
func (h *Holder) Path() string { return h.path }

// Policy returns the current policy. The caller must not change it.
func (h *Holder) Policy() *Policy { return h.cur.Load() }

// Reload reads the file again. When the file is valid its policy replaces the current one,
// and Reload returns it; otherwise the current policy stays, and the error says why: an
// *Error listing every problem, the reason the file could not be read, or ErrNoFile.
func (h *Holder) Reload() (*Policy, error) {
	if h.path == "" {
		return nil, ErrNoFile
	}
	h.reload.Lock()
	defer h.reload.Unlock()
	p, err := Load(h.path)
	if err != nil {
		return nil, err
	}
	h.cur.Store(p)
	return p, nil
}

package mattermost

import (
	"context"
	"sync"
)

// Cursor keeps the adapter's high-water mark: the latest post time (Unix milliseconds, the
// server's clock) whose event was recorded or deliberately dropped. After a restart or a
// dropped WebSocket the adapter reads everything modified since then over REST, so the lead
// persists it (in Redis) to make the catch-up cover the time the app was down.
type Cursor interface {
	Load(ctx context.Context) (int64, error)
	Save(ctx context.Context, ms int64) error
}

// MemoryCursor is a Cursor that forgets on restart, for tests and single runs.
type MemoryCursor struct {
	mu sync.Mutex
	ms int64
}

// Load returns the saved mark.
func (c *MemoryCursor) Load(context.Context) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ms, nil
}

// Save stores the mark.
func (c *MemoryCursor) Save(_ context.Context, ms int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ms = ms
	return nil
}

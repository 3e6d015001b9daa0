package slack

import (
	"context"
	"sync"
)

// background holds the goroutines the adapter runs on its own (Socket Mode's connection, its
// read loop and its lanes): they all run under one context that stop cancels, and stop returns
// only once every one of them has returned, so that nothing of the adapter outlives Close.
type background struct {
	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
	closed bool
	wg     sync.WaitGroup
}

// run starts f in a goroutine under the background context, which is made on first use from
// parent's values but not its cancellation: the adapter's goroutines live until stop, not
// until the context Start was given ends. It reports false, starting nothing, once stop has
// been called.
func (b *background) run(parent context.Context, f func(ctx context.Context)) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	if b.ctx == nil {
		b.ctx, b.cancel = context.WithCancel(context.WithoutCancel(parent))
	}
	ctx := b.ctx
	b.wg.Go(func() { f(ctx) })
	return true
}

// stopped reports whether stop has been called.
func (b *background) stopped() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// stop cancels the background context and waits for every goroutine started with run. It may
// be called any number of times, at once from several goroutines, and when nothing was started.
// A goroutine started by run may itself call run (it holds the count above zero meanwhile), but
// not stop, which would wait for itself.
func (b *background) stop() {
	b.mu.Lock()
	b.closed = true
	cancel := b.cancel
	b.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	b.wg.Wait()
}

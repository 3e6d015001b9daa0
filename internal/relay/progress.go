package relay

import "sync"

// shardWatch is what this process knows of one queue shard's progress while its worker runs
// here: how many events the worker has finished, and a channel closed when that changes. The
// intake's backpressure (waitForRoom) waits on it instead of asking Redis for the shard's depth
// again and again: a look at the depth every 20 ms for every waiting request was one Redis
// round trip per waiting request, the largest single cost of a busy relay's intake.
type shardWatch struct {
	mu      sync.Mutex
	running bool          // the shard's worker runs in this process
	done    uint64        // events the worker finished since the process started
	added   uint64        // events this process's intake recorded in the shard
	wake    chan struct{} // closed and replaced when done or running change
}

func newShardWatches(n int) []*shardWatch {
	ws := make([]*shardWatch, n)
	for i := range ws {
		ws[i] = &shardWatch{wake: make(chan struct{})}
	}
	return ws
}

// look returns whether the worker runs here, how many events it finished and the intake
// recorded, and a channel closed at the next change of the first two.
func (w *shardWatch) look() (running bool, done, added uint64, wake <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.running, w.done, w.added, w.wake
}

// recorded notes that the intake recorded an event in the shard.
func (w *shardWatch) recorded() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.added++
}

// finished notes that the worker finished n events (handled them, or set them aside).
func (w *shardWatch) finished(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done += uint64(n)
	close(w.wake)
	w.wake = make(chan struct{})
}

// setRunning notes that the shard's worker started or stopped here.
func (w *shardWatch) setRunning(running bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.running = running
	close(w.wake)
	w.wake = make(chan struct{})
}

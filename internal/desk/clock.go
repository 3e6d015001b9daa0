package desk

import (
	"context"
	"time"
)

// Clock tells the time and waits. Every part of Threadesk that reads the time or waits for
// some (delivery backoff, pacing, busy waits, timers) asks the clock it was given, so that
// tests run them in virtual time with a fake clock (github.com/jonboulle/clockwork's fake
// clock satisfies this interface) instead of sleeping.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives the time once d has passed.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
var SystemClock Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Sleep waits for d on c, or until ctx ends (then it returns ctx's error).
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.After(d):
		return nil
	}
}

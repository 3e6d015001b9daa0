package relay

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/threadesk/threadesk/internal/desk"
)

// aborted reports whether err means the relay is stopping (or its work was cancelled), as
// opposed to a delivery that failed for good: an aborted event stays queued.
func aborted(err error) bool {
	return errors.Is(err, errStopping) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// retry runs one platform call until it succeeds, fails for good, or the relay stops. A 429
// waits exactly the Retry-After the platform gave (and holds the whole channel for that long);
// other temporary failures back off exponentially with jitter. A failure is final when the
// platform says so, or when the call has kept failing for GiveUpAfter. fn is told the previous
// attempt's error, so that after an ambiguous failure it can look before sending again.
func (r *Relay) retry(ctx context.Context, p desk.Platform, channel string, fn func(last *desk.DeliveryError) error) error {
	start := r.clock.Now()
	backoff := r.opts.RetryInitial
	var last *desk.DeliveryError
	for {
		if err := leaseHeld(ctx); err != nil {
			return err
		}
		err := fn(last)
		if err == nil || aborted(err) || errors.Is(err, desk.ErrNotFound) {
			return err
		}
		de := desk.AsDeliveryError(err)
		if !de.Temporary {
			return de
		}
		if r.clock.Now().Sub(start) >= r.opts.GiveUpAfter {
			return &desk.DeliveryError{Op: de.Op, Reason: "gave_up_after_" + de.Reason, Err: de}
		}
		wait, reason := jitter(backoff), de.Reason
		backoff = min(backoff*2, r.opts.RetryMax)
		if de.RetryAfter > 0 {
			wait, reason = de.RetryAfter, "rate_limited"
			if channel != "" {
				r.pace.hold(ctx, p.Name(), channel, wait)
			}
		}
		r.metrics.Retries.WithLabelValues(p.Name(), reason).Inc()
		r.log.Info("platform call failed; retrying", "platform", p.Name(), "op", de.Op, "reason", de.Reason, "wait", wait)
		if err := r.wait(ctx, wait); err != nil {
			return err
		}
		last = de
	}
}

// ambiguous reports whether a failed send may nevertheless have arrived: every failure except
// a rate limit (which the platform refused before doing anything) and a refusal.
func ambiguous(last *desk.DeliveryError) bool {
	return last != nil && last.RetryAfter == 0
}

// post sends m once and only once: with reconcile (an event handled again after a crash) or
// after an ambiguous failure, it first looks for a message already carrying m.Key.
func (r *Relay) post(ctx context.Context, p desk.Platform, m desk.Outgoing, reconcile bool) (desk.MessageRef, error) {
	return r.postInTurn(ctx, p, m, reconcile, false)
}

// postInTurn is post for a message that may have had its turn in the channel's pace already
// (inTurn): its first try then goes at once; a retry waits for a turn of its own.
func (r *Relay) postInTurn(ctx context.Context, p desk.Platform, m desk.Outgoing, reconcile, inTurn bool) (desk.MessageRef, error) {
	var ref desk.MessageRef
	err := r.retry(ctx, p, m.Channel, func(last *desk.DeliveryError) error {
		// Ephemeral answers cannot be looked up, and one shown twice harms nobody.
		if (reconcile || ambiguous(last)) && m.Ephemeral == "" {
			if found, ok, err := r.sentBefore(ctx, p, m); err != nil || ok {
				ref = found
				return err
			}
		}
		if m.Ephemeral == "" && !inTurn {
			l := p.Limits()
			if _, err := r.pace.wait(ctx, p.Name(), m.Channel, l.PostRate, l.PostBurst); err != nil {
				return err
			}
		}
		inTurn = false
		if err := leaseHeld(ctx); err != nil {
			return err // its turn may have taken long
		}
		var err error
		ref, err = p.Post(ctx, m)
		return err
	})
	r.countDelivery(p, err)
	return ref, err
}

// sentBefore looks for a message already carrying m's delivery key: one an earlier attempt
// (before a crash, or before an ambiguous failure) did deliver.
func (r *Relay) sentBefore(ctx context.Context, p desk.Platform, m desk.Outgoing) (desk.MessageRef, bool, error) {
	found, err := p.Find(ctx, m.Channel, m.Thread, m.Key)
	switch {
	case err == nil:
		r.metrics.Deliveries.WithLabelValues(p.Name(), "reconciled").Inc()
		return found, true, nil
	case errors.Is(err, desk.ErrNotFound):
		return desk.MessageRef{}, false, nil
	}
	return desk.MessageRef{}, false, err
}

// upload relays one file: it downloads it from where the user shared it and uploads it next
// to the relayed text, with the same once-only guarantee as post.
func (r *Relay) upload(ctx context.Context, p desk.Platform, m desk.Outgoing, f desk.File, reconcile bool) (desk.MessageRef, error) {
	if f.Size > r.opts.MaxFileBytes {
		return desk.MessageRef{}, errFileTooLarge
	}
	var ref desk.MessageRef
	err := r.retry(ctx, p, m.Channel, func(last *desk.DeliveryError) error {
		if reconcile || ambiguous(last) {
			if found, ok, err := r.sentBefore(ctx, p, m); err != nil || ok {
				ref = found
				return err
			}
		}
		content, err := p.Download(ctx, f)
		if err != nil {
			return err
		}
		defer content.Close()
		l := p.Limits()
		if _, err := r.pace.wait(ctx, p.Name(), m.Channel, l.PostRate, l.PostBurst); err != nil {
			return err
		}
		// A file whose size was not told may still be too large: reading past the limit fails
		// the upload for good, rather than sharing a file cut short.
		capped := &cappedReader{r: content, left: r.opts.MaxFileBytes}
		ref, err = p.Upload(ctx, m, f, capped)
		if capped.over {
			return errFileTooLarge
		}
		return err
	})
	r.countDelivery(p, err)
	return ref, err
}

// errFileTooLarge is the final failure of a file larger than MaxFileBytes.
var errFileTooLarge = &desk.DeliveryError{Op: "upload", Kind: desk.FailTooLarge, Reason: "file_too_large"}

// cappedReader reads at most left bytes; reading more fails, and over says so.
type cappedReader struct {
	r    io.Reader
	left int64
	over bool
}

func (c *cappedReader) Read(b []byte) (int, error) {
	if c.left < 0 {
		return 0, errFileTooLarge
	}
	if int64(len(b)) > c.left+1 {
		b = b[:c.left+1]
	}
	n, err := c.r.Read(b)
	c.left -= int64(n)
	if c.left < 0 {
		c.over = true
		return 0, errFileTooLarge
	}
	return n, err
}

// do runs a platform call that changes something already there (update, delete, mark) with
// retries. A thing that no longer exists counts as done.
func (r *Relay) do(ctx context.Context, p desk.Platform, channel string, call func() error) error {
	err := r.retry(ctx, p, channel, func(*desk.DeliveryError) error { return call() })
	if errors.Is(err, desk.ErrNotFound) {
		return nil
	}
	return err
}

func (r *Relay) countDelivery(p desk.Platform, err error) {
	switch {
	case err == nil:
		r.metrics.Deliveries.WithLabelValues(p.Name(), "ok").Inc()
	case !aborted(err):
		r.metrics.Deliveries.WithLabelValues(p.Name(), "failed").Inc()
	}
}

// reason is the short text shown to people when a delivery failed for good.
func reason(err error) string {
	var de *desk.DeliveryError
	if errors.As(err, &de) {
		return de.Reason
	}
	return fmt.Sprint(err)
}

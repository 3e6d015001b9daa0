package desk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Error codes shared by every package. Each is mapped to an HTTP status in one place
// (internal/web) and to chat text in one place (the message catalog).
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EFORBIDDEN    = "forbidden"
	EUNAUTHORIZED = "unauthorized"
	ETOOLARGE     = "too_large"
	EUNAVAILABLE  = "unavailable"
)

// Error is a domain error with a code and a message fit to show the person who caused it.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other
// error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of the first *Error in err's chain, and a generic
// text for any other error, so that internal details never reach a user.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrNotFound is returned by stores and platforms when the thing looked up does not exist.
var ErrNotFound = &Error{Code: ENOTFOUND, Message: "not found"}

// Failure classifies a failed platform call in neutral terms: the core acts on the class,
// never on a platform's own error strings, which stay in DeliveryError.Reason for people and
// logs.
type Failure string

// The failure classes the core acts on. A failure of none of them is a refusal for another
// reason: final unless the adapter marks it temporary.
const (
	FailOther       Failure = ""             // refused for another reason (see Reason)
	FailNotFound    Failure = "not_found"    // the message, channel, user or file does not exist
	FailThreadGone  Failure = "thread_gone"  // the thread to post into no longer exists (its root was deleted)
	FailRateLimited Failure = "rate_limited" // the platform asks to slow down
	FailUnavailable Failure = "unavailable"  // the platform answered that it failed on its side (a 5xx)
	FailTooLarge    Failure = "too_large"    // what was sent is over the platform's or the desk's limit
)

// DeliveryError is what adapters return when a platform call fails, so that the core can tell
// a failure worth retrying from a final one without knowing the platform.
type DeliveryError struct {
	Op         string        // the platform call, e.g. "chat.postMessage"
	Kind       Failure       // what the core makes of it
	Reason     string        // the platform's own short reason, e.g. "channel_not_found", "http_503", for people and logs
	Temporary  bool          // a retry may succeed (network error, 5xx, rate limit)
	RetryAfter time.Duration // the wait the platform asked for (429 Retry-After), if any
	Err        error
}

func (e *DeliveryError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Op, e.Reason, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Op, e.Reason)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// AsDeliveryError returns the *DeliveryError in err's chain. A domain *Error becomes a final
// failure with its code as the reason (not found for ENOTFOUND); any other error is treated as
// temporary (a network or transport failure) with the reason "error".
func AsDeliveryError(err error) *DeliveryError {
	if de, ok := errors.AsType[*DeliveryError](err); ok {
		return de
	}
	if e, ok := errors.AsType[*Error](err); ok {
		de := &DeliveryError{Op: "deliver", Reason: e.Code, Err: err}
		if e.Code == ENOTFOUND {
			de.Kind = FailNotFound
		}
		return de
	}
	return &DeliveryError{Op: "deliver", Reason: "error", Temporary: true, Err: err}
}

// Failed returns the failure class of err: FailOther for nil or an unclassified failure.
func Failed(err error) Failure {
	if err == nil {
		return FailOther
	}
	return AsDeliveryError(err).Kind
}

// RateLimited reports whether err is a platform asking to slow down (HTTP 429): the platform
// is reachable and the credentials work, so a readiness check counts it as a success.
func RateLimited(err error) bool {
	de, ok := errors.AsType[*DeliveryError](err)
	return ok && (de.RetryAfter > 0 || de.Kind == FailRateLimited)
}

// FormError is a form submission refused for what was entered in it: Fields maps a field's ID
// to what is wrong with it. Nothing was recorded; adapters show the problems on the form, which
// stays open for the person to correct (Slack's response_action "errors", Mattermost's dialog
// "errors").
type FormError struct {
	Fields map[string]string
}

func (e *FormError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for f, msg := range e.Fields {
		parts = append(parts, f+": "+msg)
	}
	slices.Sort(parts)
	return "form refused: " + strings.Join(parts, "; ")
}

// Busy reports whether err is a platform asking to wait (a 429) or failing on its side for a
// while (a 5xx), as opposed to refusing what was asked.
func Busy(err error) bool {
	de, ok := errors.AsType[*DeliveryError](err)
	return ok && (de.RetryAfter > 0 || de.Kind == FailRateLimited || de.Kind == FailUnavailable)
}

// WhileBusy runs try until it succeeds, fails for another reason than Busy, or patience has
// run out: between tries it waits what the platform asked (Retry-After) or a growing backoff,
// telling waiting first. Adapters use it for their start-up checks, so that a busy platform
// delays the start instead of stopping the app.
func WhileBusy(ctx context.Context, clock Clock, patience time.Duration, try func() error, waiting func(err error, wait time.Duration)) error {
	deadline := clock.Now().Add(patience)
	backoff := time.Second
	for {
		err := try()
		if err == nil || !Busy(err) || clock.Now().After(deadline) {
			return err
		}
		wait := backoff
		if de := AsDeliveryError(err); de.RetryAfter > 0 {
			wait = de.RetryAfter
		}
		if left := deadline.Sub(clock.Now()); wait > left {
			if left <= 0 {
				return err
			}
			wait = left // then one last try
		}
		backoff = min(backoff*2, 10*time.Second)
		waiting(err, wait)
		if err := Sleep(ctx, clock, wait); err != nil {
			return err
		}
	}
}

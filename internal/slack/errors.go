package slack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"

	slackgo "github.com/slack-go/slack"

	"github.com/threadesk/threadesk/internal/desk"
)

// temporaryReasons are Slack error strings (answers with ok:false) that a later retry may not
// get: Slack's own trouble and rate limits reported in the body rather than with a 429.
var temporaryReasons = map[string]bool{
	"ratelimited":         true,
	"rate_limited":        true,
	"internal_error":      true,
	"fatal_error":         true,
	"service_unavailable": true,
	"request_timeout":     true,
}

// notFoundReasons are Slack error strings that mean the thing asked for does not exist; the
// DeliveryError for them also wraps desk.ErrNotFound so the core can tell with errors.Is.
// chat.update answers message_not_found for a ticket card that was deleted.
var notFoundReasons = map[string]bool{
	"channel_not_found": true,
	"message_not_found": true,
	"user_not_found":    true,
	"file_not_found":    true,
	"file_deleted":      true,
}

// threadGone is the one Slack error string that says a thread no longer exists: of the methods
// the adapter calls, only conversations.replies lists it ("Value for `ts` was missing or
// invalid", where ts "must be the timestamp of an existing message"), answered when the root
// of the thread Find looks in was deleted. chat.postMessage lists no such error: Slack takes a
// reply into a deleted thread, which is why a deleted card is reported as desk.ThreadDeleted.
// It is not a not-found (no desk.ErrNotFound): the thread, not the message looked for, is
// gone, and the core answers that with a new card.
const threadGone = "thread_not_found"

// deliveryError turns what slack-go returned for the Web API method op into a
// *desk.DeliveryError, so that the core can tell failures worth retrying from final ones
// without knowing Slack. It returns nil for nil.
func deliveryError(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *desk.DeliveryError
	if errors.As(err, &de) {
		return err
	}
	d := &desk.DeliveryError{Op: op, Err: err}
	var (
		rateLimited *slackgo.RateLimitedError
		status      slackgo.StatusCodeError
		apiErr      slackgo.SlackErrorResponse
		netErr      net.Error
		urlErr      *url.Error
	)
	switch {
	case errors.As(err, &rateLimited):
		d.Kind, d.Reason, d.Temporary, d.RetryAfter = desk.FailRateLimited, "ratelimited", true, rateLimited.RetryAfter
	case errors.As(err, &status):
		d.Reason = "http_" + strconv.Itoa(status.Code)
		d.Temporary = status.Code >= 500 || status.Code == 429 || status.Code == 408
		switch {
		case status.Code == 429:
			d.Kind = desk.FailRateLimited
		case status.Code >= 500:
			d.Kind = desk.FailUnavailable
		}
	case errors.As(err, &apiErr):
		d.Reason = apiErr.Err
		d.Temporary = temporaryReasons[apiErr.Err]
		switch {
		case apiErr.Err == "ratelimited" || apiErr.Err == "rate_limited":
			d.Kind = desk.FailRateLimited
		case d.Temporary:
			d.Kind = desk.FailUnavailable
		case apiErr.Err == threadGone:
			d.Kind = desk.FailThreadGone
		case notFoundReasons[apiErr.Err]:
			d.Kind = desk.FailNotFound
			d.Err = fmt.Errorf("%w: %w", desk.ErrNotFound, err)
		}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		d.Reason, d.Temporary = "timeout", true
	case errors.As(err, &netErr), errors.As(err, &urlErr):
		d.Reason, d.Temporary = "network", true
	default:
		// Anything else is a transport or decoding failure on our side of the call, such as a
		// truncated answer: nothing tells that Slack refused the request, so it is retried.
		d.Reason, d.Temporary = "error", true
	}
	return d
}

// permanent returns a final *desk.DeliveryError for a request the adapter refuses to make.
func permanent(op string, kind desk.Failure, reason string, err error) error {
	return &desk.DeliveryError{Op: op, Kind: kind, Reason: reason, Err: err}
}

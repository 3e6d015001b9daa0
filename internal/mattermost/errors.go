package mattermost

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
)

// deliveryError turns a failed Client4 call into a *desk.DeliveryError, so the core can tell a
// failure worth retrying (network, 5xx, rate limit) from a final one without knowing
// Mattermost. A 404 also wraps desk.ErrNotFound. It returns nil when err is nil.
func deliveryError(op string, resp *model.Response, err error) error {
	if err == nil {
		return nil
	}
	de := &desk.DeliveryError{Op: op, Err: err}
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	appErr, _ := errors.AsType[*model.AppError](err)
	if appErr != nil && status == 0 {
		status = appErr.StatusCode
	}
	switch {
	case status == 0:
		de.Reason, de.Temporary = "network", true
	case status == http.StatusTooManyRequests:
		de.Kind, de.Reason, de.Temporary = desk.FailRateLimited, "rate_limited", true
		if resp != nil {
			de.RetryAfter = retryAfter(resp.Header)
		}
	case status >= 500:
		de.Kind, de.Reason, de.Temporary = desk.FailUnavailable, "http_"+strconv.Itoa(status), true
	default:
		de.Reason = "http_" + strconv.Itoa(status)
		if appErr != nil && appErr.Id != "" {
			de.Reason = appErr.Id
		}
		switch {
		case appErr != nil && appErr.Id == rootGone:
			de.Kind = desk.FailThreadGone
		case status == http.StatusRequestEntityTooLarge || (appErr != nil && slices.Contains(tooLong, appErr.Id)):
			de.Kind = desk.FailTooLarge
		}
	}
	if status == http.StatusNotFound {
		de.Kind = desk.FailNotFound
		de.Err = fmt.Errorf("%w: %w", desk.ErrNotFound, err)
	}
	return de
}

// rootGone is the error Mattermost answers a reply whose root post does not exist (or was
// deleted) with. Mattermost tells its refusals apart by these error IDs only (all are 400).
const rootGone = "api.post.create_post.root_id.app_error"

// tooLong are the errors Mattermost answers a post whose message is over its limit with: the
// current ID and the one of older servers. (A file over the limit is a 413.)
var tooLong = []string{"model.post.is_valid.message_length.app_error", "model.post.is_valid.msg.app_error"}

// retryAfter reads the wait a 429 asks for: Retry-After in seconds (or as a date), or else
// Mattermost's X-Ratelimit-Reset, seconds until the limit resets, which its API reference also
// gives as the UTC epoch second it resets at: a number past maxRelative is read so. No wait
// is longer than maxRetryAfter.
func retryAfter(h http.Header) time.Duration {
	for _, name := range []string{"Retry-After", "X-Ratelimit-Reset"} {
		v := strings.TrimSpace(h.Get(name))
		if v == "" {
			continue
		}
		if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 {
			if name == "X-Ratelimit-Reset" && n > maxRelative {
				return boundWait(time.Until(time.Unix(int64(n), 0)))
			}
			return boundWait(time.Duration(min(n, maxRetryAfter.Seconds()) * float64(time.Second)))
		}
		if t, err := http.ParseTime(v); err == nil {
			return boundWait(time.Until(t))
		}
	}
	return 0
}

// boundWait keeps a wait between none and maxRetryAfter.
func boundWait(d time.Duration) time.Duration { return min(max(d, 0), maxRetryAfter) }

// maxRelative is the largest X-Ratelimit-Reset read as seconds to wait (a year); maxRetryAfter
// the longest wait a 429 is allowed to ask for.
const (
	maxRelative   = 365 * 24 * 3600
	maxRetryAfter = time.Hour
)

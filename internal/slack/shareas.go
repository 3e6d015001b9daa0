package slack

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/threadesk/threadesk/internal/desk"
)

// Slack lets a file share message show another name and icon, as chat.postMessage does
// (files.completeUploadExternal's username and icon_url, with chat:write.customize), but
// slack-go's CompleteUploadExternalParameters has no field for them. So the adapter gives
// slack-go an HTTP client that adds them to that one method's form when the call's context
// carries them (withShareAs); every other request goes through unchanged, and slack-go still
// makes the call and reads its answer and errors.

// shareAsKey is the context key of the name and icon a file share is to show.
type shareAsKey struct{}

// shareAs is the name and icon of a file share.
type shareAs struct{ username, iconURL string }

// withShareAs returns ctx carrying the name and icon the file share made with it shows.
func withShareAs(ctx context.Context, username, iconURL string) context.Context {
	return context.WithValue(ctx, shareAsKey{}, shareAs{username, iconURL})
}

// shareAsClient is the HTTP client slack-go calls Slack with (slackgo.OptionHTTPClient).
type shareAsClient struct{ *http.Client }

// Do adds the name and icon of withShareAs to a files.completeUploadExternal form.
func (c shareAsClient) Do(req *http.Request) (*http.Response, error) {
	as, ok := req.Context().Value(shareAsKey{}).(shareAs)
	if !ok || req.Method != http.MethodPost || !strings.HasSuffix(req.URL.Path, "/files.completeUploadExternal") ||
		req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || req.Body == nil {
		return c.Client.Do(req)
	}
	body, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	form.Set("username", as.username)
	if as.iconURL != "" {
		form.Set("icon_url", as.iconURL)
	}
	encoded := form.Encode()
	req = req.Clone(req.Context())
	req.Body, req.ContentLength = io.NopCloser(strings.NewReader(encoded)), int64(len(encoded))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(encoded)), nil }
	return c.Client.Do(req)
}

// shownName is the name a message or file share the app posts for someone shows (the
// username of chat:write.customize): their label, inert, within Slack's 80 characters.
func shownName(u *desk.User) string { return truncate(plainName(u.Label()), 80) }

package slack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/threadesk/threadesk/internal/desk"
)

// maxBufferedUpload is the most an upload of unknown size is read into memory to learn the
// length that files.getUploadURLExternal needs up front.
const maxBufferedUpload = 100 << 20

// shareWaits are the pauses between the looks Upload takes at files.info for the message that
// shares the file; Slack posts it shortly after files.completeUploadExternal returns.
var shareWaits = []time.Duration{0, 200 * time.Millisecond, 500 * time.Millisecond, time.Second}

// Upload shares a file into m.Channel (under m.Thread) in Slack's three steps:
// files.getUploadURLExternal, the upload itself, and files.completeUploadExternal with m.Text as
// the comment and, as a message would, the speaker's name and icon (shareas.go). It returns
// the message that carries the file, found through files.info; if Slack has not posted it
// yet, the reference's ID is the file ID, which Delete accepts.
//
// A file share cannot carry message metadata, so Find does not locate uploads by their key.
func (a *Adapter) Upload(ctx context.Context, m desk.Outgoing, f desk.File, content io.Reader) (desk.MessageRef, error) {
	size := f.Size
	if size <= 0 {
		data, err := io.ReadAll(io.LimitReader(content, maxBufferedUpload+1))
		if err != nil {
			return desk.MessageRef{}, fmt.Errorf("read file %s to upload: %w", f.ID, err)
		}
		if len(data) > maxBufferedUpload {
			return desk.MessageRef{}, permanent("files.getUploadURLExternal", desk.FailTooLarge, "file_too_large", fmt.Errorf("file %s exceeds %d bytes", f.ID, maxBufferedUpload))
		}
		size, content = int64(len(data)), bytes.NewReader(data)
	} else {
		content = io.LimitReader(content, size)
	}
	if size == 0 {
		return desk.MessageRef{}, permanent("files.getUploadURLExternal", desk.FailOther, "empty_file", fmt.Errorf("file %s is empty", f.ID))
	}
	name := f.Name
	if name == "" && f.ID != "" {
		// Sent without its details ("file_access": "check_file_info"): files.info has them.
		if info, _, _, err := a.api.GetFileInfoContext(ctx, f.ID, 0, 0); err == nil {
			name = firstOf(info.Name, info.Title)
		}
	}
	if name == "" {
		name = "file"
	}

	up, err := a.api.GetUploadURLExternalContext(ctx, slackgo.GetUploadURLExternalParameters{FileName: name, FileSize: int(size)})
	if err != nil {
		return desk.MessageRef{}, deliveryError("files.getUploadURLExternal", err)
	}
	if err := a.api.UploadToURL(ctx, slackgo.UploadToURLParameters{UploadURL: up.UploadURL, Reader: content, Filename: name}); err != nil {
		return desk.MessageRef{}, deliveryError("files.upload_url", err)
	}
	complete := ctx
	if m.As != nil {
		complete = withShareAs(ctx, shownName(m.As), m.As.AvatarURL)
	}
	_, err = a.api.CompleteUploadExternalContext(complete, slackgo.CompleteUploadExternalParameters{
		Files:           []slackgo.FileSummary{{ID: up.FileID, Title: name}},
		Channel:         m.Channel,
		ThreadTimestamp: m.Thread,
		InitialComment:  a.outgoing(ctx, m).Text,
	})
	if err != nil {
		return desk.MessageRef{}, deliveryError("files.completeUploadExternal", err)
	}
	ts, err := a.shareTS(ctx, up.FileID, m.Channel, m.Thread)
	if err != nil || ts == "" {
		a.log.WarnContext(ctx, "slack file share message not located", "file", up.FileID, "channel", m.Channel, "err", err)
		return desk.MessageRef{Channel: m.Channel, ID: up.FileID}, nil
	}
	return desk.MessageRef{Channel: m.Channel, ID: ts}, nil
}

// shareTS looks through files.info for the ts of the message sharing fileID in channel.
func (a *Adapter) shareTS(ctx context.Context, fileID, channel, thread string) (string, error) {
	for _, wait := range shareWaits {
		if err := desk.Sleep(ctx, a.clock(), wait); err != nil {
			return "", err
		}
		file, _, _, err := a.api.GetFileInfoContext(ctx, fileID, 0, 0)
		if err != nil {
			return "", deliveryError("files.info", err)
		}
		for _, shares := range []map[string][]slackgo.ShareFileInfo{file.Shares.Public, file.Shares.Private} {
			for _, s := range shares[channel] {
				if thread == "" || s.ThreadTs == thread {
					return s.Ts, nil
				}
			}
		}
	}
	return "", nil
}

// Download opens a file's url_private with the bot token as a Bearer token. The token is only
// ever sent over https to Slack's own hosts, or to the configured API host (tests, GovSlack).
func (a *Adapter) Download(ctx context.Context, f desk.File) (io.ReadCloser, error) {
	const op = "files.download"
	if f.URL == "" {
		// Slack sends some files without their URLs ("file_access": "check_file_info"):
		// files.info tells them.
		info, _, _, err := a.api.GetFileInfoContext(ctx, f.ID, 0, 0)
		if err != nil {
			return nil, deliveryError("files.info", err)
		}
		f.URL = firstOf(info.URLPrivateDownload, info.URLPrivate)
	}
	if err := a.mayReceiveToken(f.URL); err != nil {
		return nil, permanent(op, desk.FailOther, "untrusted_url", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.URL, nil)
	if err != nil {
		return nil, permanent(op, desk.FailOther, "bad_url", err)
	}
	req.Header.Set("Authorization", "Bearer "+a.cfg.BotToken)
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, deliveryError(op, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			return nil, &desk.DeliveryError{Op: op, Kind: desk.FailNotFound, Reason: "file_not_found", Err: desk.ErrNotFound}
		}
		return nil, deliveryError(op, slackgo.StatusCodeError{Code: resp.StatusCode, Status: resp.Status})
	}
	// Without access, Slack redirects to the sign-in page (with redir= the file's path)
	// instead of failing; that page must not be relayed as the file.
	if final := resp.Request.URL; final.Query().Get("redir") != "" && final.Path != req.URL.Path {
		resp.Body.Close()
		return nil, permanent(op, desk.FailOther, "file_access_denied", fmt.Errorf("download of file %s was redirected to sign-in", f.ID))
	}
	return resp.Body, nil
}

// mayReceiveToken allows https URLs on slack.com, slack-gov.com and their subdomains, and
// URLs on the configured API host.
func (a *Adapter) mayReceiveToken(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("file URL %q is not absolute", raw)
	}
	host := strings.ToLower(u.Hostname())
	if u.Scheme == "https" {
		for _, domain := range []string{"slack.com", "slack-gov.com"} {
			if host == domain || strings.HasSuffix(host, "."+domain) {
				return nil
			}
		}
	}
	if api, err := url.Parse(a.apiURL); err == nil && api.Scheme == u.Scheme && strings.EqualFold(api.Host, u.Host) {
		return nil
	}
	return fmt.Errorf("refusing to send the bot token to %s", u.Host)
}

// isFileID reports whether a message reference names a file (F…) rather than a message ts.
func isFileID(id string) bool { return strings.HasPrefix(id, "F") }

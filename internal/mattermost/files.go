package mattermost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
)

// maxUpload caps what Upload reads into memory (Client4 uploads from a byte slice).
const maxUpload = 100 << 20

// Upload puts a file into m.Channel and posts it (under m.Thread, with m.Text).
func (a *Adapter) Upload(ctx context.Context, m desk.Outgoing, f desk.File, content io.Reader) (desk.MessageRef, error) {
	data, err := io.ReadAll(io.LimitReader(content, maxUpload+1))
	if err != nil {
		return desk.MessageRef{}, fmt.Errorf("read file %s for upload: %w", f.ID, err)
	}
	if len(data) > maxUpload {
		return desk.MessageRef{}, &desk.DeliveryError{Op: "files.upload", Kind: desk.FailTooLarge, Reason: "file_too_large", Err: desk.Errorf(desk.ETOOLARGE, "file larger than %d bytes", maxUpload)}
	}
	name := f.Name
	if name == "" {
		name = "file"
	}
	up, resp, err := a.client.UploadFile(ctx, data, m.Channel, name)
	if err != nil {
		return desk.MessageRef{}, deliveryError("files.upload", resp, err)
	}
	if len(up.FileInfos) == 0 {
		return desk.MessageRef{}, &desk.DeliveryError{Op: "files.upload", Reason: "no_file_info", Temporary: true, Err: errors.New("upload answered without file info")}
	}
	p := a.buildPost(desk.Outgoing{Channel: m.Channel, Thread: m.Thread, Text: m.Text, As: m.As, Key: m.Key})
	p.FileIds = model.StringArray{up.FileInfos[0].Id}
	created, resp, err := a.client.CreatePost(ctx, p)
	if err != nil {
		return desk.MessageRef{}, deliveryError("posts.create", resp, err)
	}
	return desk.MessageRef{Channel: created.ChannelId, ID: created.Id}, nil
}

// Download fetches a shared file's bytes.
func (a *Adapter) Download(ctx context.Context, f desk.File) (io.ReadCloser, error) {
	data, resp, err := a.client.GetFile(ctx, f.ID)
	if err != nil {
		return nil, deliveryError("files.get", resp, err)
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

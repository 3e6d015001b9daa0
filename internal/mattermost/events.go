package mattermost

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
)

// change is what happened to a post: the three kinds of WebSocket events the adapter follows.
type change int

const (
	posted change = iota
	edited
	deleted
)

// kinds maps where a post was written and what happened to it to the event kind.
var kinds = map[bool][3]desk.EventKind{
	true:  {desk.CustomerMessage, desk.CustomerEdit, desk.CustomerDelete},
	false: {desk.AgentReply, desk.AgentEdit, desk.AgentDelete},
}

// translate turns a post change into a desk event, or names the reason it is dropped.
// channelType may be empty; it is then looked up. An error means the translation could not be
// done now (the server did not answer) and should be tried again later.
//
// The app's own posts are dropped here, since answering them would loop, except the deletion
// of a ticket card (a root post of the app's in the triage channel), which is a ThreadDeleted
// event. Other bots' posts are translated like anyone's, with User.IsBot set: whose words are
// relayed is the core's rule.
func (a *Adapter) translate(ctx context.Context, c change, p *model.Post, channelType model.ChannelType) (desk.Event, desk.DropReason, error) {
	if p.UserId == a.botID {
		if c == deleted && p.ChannelId == a.triageID && p.RootId == "" {
			return a.cardDeleted(ctx, p), "", nil
		}
		return desk.Event{}, desk.DropOwnMessage, nil
	}
	if isSystemType(p.Type) {
		return desk.Event{}, desk.DropSystemMessage, nil
	}
	if c == edited && p.EditAt == 0 {
		// The server also sends post_edited when it changes a post itself (a pin, link
		// previews); only a person's edit sets EditAt.
		return desk.Event{}, desk.DropUnchanged, nil
	}
	customer := false
	switch {
	case p.ChannelId == a.triageID:
		if p.RootId == "" {
			return desk.Event{}, desk.DropNotInThread, nil
		}
	default:
		if channelType == "" {
			t, err := a.channelType(ctx, p.ChannelId)
			if err != nil {
				if de, ok := errors.AsType[*desk.DeliveryError](err); ok && !de.Temporary {
					return desk.Event{}, desk.DropOtherChannel, nil
				}
				return desk.Event{}, "", fmt.Errorf("look up channel %s of post %s: %w", p.ChannelId, p.Id, err)
			}
			channelType = t
		} else {
			a.rememberChannel(p.ChannelId, channelType)
		}
		if channelType != model.ChannelTypeDirect {
			return desk.Event{}, desk.DropOtherChannel, nil
		}
		customer = true
	}

	ev := desk.Event{
		Platform: PlatformName,
		Kind:     kinds[customer][c],
		Channel:  p.ChannelId,
		Message:  p.Id,
		User:     a.author(ctx, p.UserId),
	}
	if byIntegration(p) {
		// Known from the post even when the author's account could not be looked up, and
		// for a webhook, whose posts carry its owner's account.
		ev.User.IsBot = true
	}
	if !customer {
		ev.Thread = p.RootId
	}
	switch c {
	case posted:
		ev.ID = p.Id
		ev.At = time.UnixMilli(p.CreateAt)
		ev.Text = p.Message
		ev.Files = files(p)
	case edited:
		ev.ID = fmt.Sprintf("%s:%d", p.Id, p.EditAt)
		ev.At = time.UnixMilli(p.EditAt)
		ev.Text = p.Message
		ev.Files = files(p)
	case deleted:
		ev.ID = p.Id + ":deleted"
		if p.DeleteAt > 0 {
			ev.At = time.UnixMilli(p.DeleteAt)
		}
	}
	return ev, "", nil
}

// cardDeleted is the ThreadDeleted event of a deleted ticket card. Any root post of the app's
// in the triage channel counts: the core knows which of them root a ticket's thread. The
// deleter is known from the post's deleteBy prop, which the server sets on the deleted post
// (read by a catch-up) and the WebSocket event's delete_by fills in (sent to system admins
// only); otherwise the app stands for them. The ID is the one every deletion has, so that the
// WebSocket and a catch-up record it once.
func (a *Adapter) cardDeleted(ctx context.Context, p *model.Post) desk.Event {
	by, _ := p.GetProp(model.PostPropsDeleteBy).(string)
	if by == "" {
		by = a.botID
	}
	ev := desk.Event{
		ID:       p.Id + ":deleted",
		Platform: PlatformName,
		Kind:     desk.ThreadDeleted,
		Channel:  p.ChannelId,
		Thread:   p.Id,
		User:     a.author(ctx, by),
	}
	if p.DeleteAt > 0 {
		ev.At = time.UnixMilli(p.DeleteAt)
	}
	return ev
}

// author describes a post's author; when the server cannot say, the ID alone will do rather
// than holding the event back.
func (a *Adapter) author(ctx context.Context, userID string) desk.User {
	u, err := a.UserInfo(ctx, userID)
	if err != nil {
		a.log.Warn("look up post author", "user", userID, "err", err)
		return desk.User{ID: userID}
	}
	return u
}

// files lists a post's attachments, with names and sizes when the post carries their
// metadata.
func files(p *model.Post) []desk.File {
	if len(p.FileIds) == 0 {
		return nil
	}
	known := map[string]*model.FileInfo{}
	if p.Metadata != nil {
		for _, fi := range p.Metadata.Files {
			known[fi.Id] = fi
		}
	}
	out := make([]desk.File, 0, len(p.FileIds))
	for _, id := range p.FileIds {
		f := desk.File{ID: id}
		if fi := known[id]; fi != nil {
			f.Name, f.MimeType, f.Size = fi.Name, fi.MimeType, fi.Size
		}
		out = append(out, f)
	}
	return out
}

// itemTime is when the change happened on the server's clock, in Unix milliseconds, or 0 when
// the post does not say (a post_deleted event carries the post as it was before).
func itemTime(c change, p *model.Post) int64 {
	switch c {
	case posted:
		return p.CreateAt
	case edited:
		return p.EditAt
	}
	return p.DeleteAt
}

// handle translates one post change and records it: Ingest for events, Discard for the rest.
// The cursor advances only once the event is recorded; an error means it was not, and the
// caller must come back to it (through a catch-up).
func (a *Adapter) handle(ctx context.Context, c change, p *model.Post, channelType model.ChannelType) error {
	ev, reason, err := a.translate(ctx, c, p, channelType)
	if err != nil {
		return err
	}
	mark := itemTime(c, p)
	if mark > lastRecordable {
		// A time no event can be recorded at (JSON's times end with the year 9999) is no
		// time: it neither dates the event nor moves the cursor past every later post.
		mark = 0
	}
	switch {
	case reason != "":
		a.in.Discard(PlatformName, reason)
	case a.seen(ev.ID):
		// Recorded already in this run: a catch-up overlapping what the WebSocket delivered.
	default:
		if ms := ev.At.UnixMilli(); ms <= 0 || ms > lastRecordable {
			ev.At = a.clock.Now()
		}
		err := a.in.Ingest(ctx, ev)
		switch code := desk.ErrorCode(err); {
		case err == nil:
			a.remember(ev.ID, mark)
			a.log.Debug("mattermost event", "kind", ev.Kind, "event", ev.ID, "channel", ev.Channel)
		case code == desk.EINVALID || code == desk.ETOOLARGE:
			// Refused for what it is (the core counts it): handing it over again cannot
			// change that, and holding the cursor here would stop every later event.
			a.log.Warn("mattermost event refused", "kind", ev.Kind, "event", ev.ID, "err", err)
		default:
			return fmt.Errorf("ingest %s %s: %w", ev.Kind, ev.ID, err)
		}
	}
	a.advance(mark)
	return nil
}

// lastRecordable is the last millisecond of the year 9999 in Unix time.
const lastRecordable = 253402300799999

// seen reports whether an event was ingested recently by this process. The core deduplicates
// anyway; this only spares it the overlap of every catch-up.
func (a *Adapter) seen(id string) bool {
	a.curMu.Lock()
	defer a.curMu.Unlock()
	_, ok := a.recent[id]
	return ok
}

func (a *Adapter) remember(id string, mark int64) {
	a.curMu.Lock()
	defer a.curMu.Unlock()
	if mark == 0 {
		mark = a.mark
	}
	a.recent[id] = mark
	if len(a.recent) > 4096 {
		horizon := a.mark - 2*a.cfg.CatchUpOverlap.Milliseconds()
		for k, m := range a.recent {
			if m < horizon {
				delete(a.recent, k)
			}
		}
	}
}

// advance moves the mark forward (never back). The cursor is saved with it at most every
// cursorSaveEvery, not once per event (a Redis write each): what a crash loses of it is the
// last moment's events, read again by the catch-up after the restart, which starts an overlap
// before the mark anyway and whose events the core knows by their IDs.
func (a *Adapter) advance(mark int64) {
	a.curMu.Lock()
	defer a.curMu.Unlock()
	if mark <= a.mark {
		return
	}
	a.mark = mark
	if a.saving == nil && !a.closed {
		a.saving = time.AfterFunc(cursorSaveEvery, a.saveScheduled)
	}
}

// cursorSaveEvery is how often the cursor is saved while the mark moves.
const cursorSaveEvery = 100 * time.Millisecond

// saveScheduled is a save scheduled by advance; one that fails is tried again a moment later.
func (a *Adapter) saveScheduled() {
	err := a.saveMark()
	a.curMu.Lock()
	defer a.curMu.Unlock()
	a.saving = nil
	if a.closed || a.saved >= a.mark {
		return
	}
	wait := cursorSaveEvery
	if err != nil {
		a.log.Warn("save the mattermost cursor; trying again", "err", err)
		wait = time.Second
	}
	a.saving = time.AfterFunc(wait, a.saveScheduled)
}

// saveMark saves the mark if the cursor is behind it.
func (a *Adapter) saveMark() error {
	a.curMu.Lock()
	mark, saved := a.mark, a.saved
	a.curMu.Unlock()
	if mark <= saved {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := a.cursor.Save(ctx, mark); err != nil {
		return fmt.Errorf("save mattermost cursor: %w", err)
	}
	a.curMu.Lock()
	a.saved = max(a.saved, mark)
	a.curMu.Unlock()
	return nil
}

// byIntegration reports whether a post was written by a machine: a bot account (the server
// marks its posts from_bot) or an incoming webhook (from_webhook, under its owner's account).
func byIntegration(p *model.Post) bool {
	return p.GetProp(model.PostPropsFromBot) == "true" || p.GetProp(model.PostPropsFromWebhook) == "true"
}

// isSystemType reports post types Mattermost writes itself (joins, header changes, …).
func isSystemType(t string) bool { return strings.HasPrefix(t, model.PostSystemMessagePrefix) }

package mattermost

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
)

// run keeps a WebSocket session going until ctx ends, with exponential back-off between
// failed attempts. Every session first catches up over REST on what it may have missed.
//
// Nothing recorded from here waits for a busy queue shard (desk.WithoutIntakeWait): events
// come one after the other over one connection, and the catch-up reads them in one loop, so a
// wait for one customer's backlog would hold up every later event of every customer, where
// over HTTP it slows down only the sender.
func (a *Adapter) run(ctx context.Context) {
	ctx = desk.WithoutIntakeWait(ctx)
	backoff := a.cfg.ReconnectMin
	for ctx.Err() == nil {
		started := a.clock.Now()
		err := a.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if a.clock.Now().Sub(started) > 10*a.cfg.ReconnectMin {
			backoff = a.cfg.ReconnectMin // it was up a good while: a fresh failure
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		a.log.Warn("mattermost websocket down, reconnecting", "err", err, "wait", wait)
		if desk.Sleep(ctx, a.clock, wait) != nil {
			return
		}
		backoff = min(2*backoff, a.cfg.ReconnectMax)
	}
}

// session connects, catches up and follows events until the connection fails, an event cannot
// be recorded, or ctx ends.
func (a *Adapter) session(ctx context.Context) error {
	if err := a.loadCursor(ctx); err != nil {
		return err
	}
	ws, err := a.dial(ctx)
	if err != nil {
		return err
	}
	ws.Listen()
	defer closeSocket(ws)

	// Catch up only once the socket is open, so that nothing falls between the two.
	if err := a.catchUp(ctx); err != nil {
		return fmt.Errorf("catch up: %w", err)
	}
	return a.consume(ctx, ws)
}

// loadCursor reads the high-water mark once per run. With none saved yet (the first start of
// an installation) it starts from now rather than replaying the bot's whole history.
func (a *Adapter) loadCursor(ctx context.Context) error {
	a.curMu.Lock()
	loaded := a.loaded
	a.curMu.Unlock()
	if loaded {
		return nil
	}
	ms, err := a.cursor.Load(ctx)
	if err != nil {
		return fmt.Errorf("load mattermost cursor: %w", err)
	}
	fresh := ms == 0
	if fresh {
		ms = a.clock.Now().UnixMilli()
		if err := a.cursor.Save(ctx, ms); err != nil {
			return fmt.Errorf("save mattermost cursor: %w", err)
		}
	}
	a.curMu.Lock()
	a.mark, a.loaded, a.fresh = ms, true, fresh
	a.saved = max(a.saved, ms)
	a.curMu.Unlock()
	return nil
}

func (a *Adapter) dial(ctx context.Context) (*model.WebSocketClient, error) {
	wsURL := a.cfg.URL
	switch {
	case strings.HasPrefix(wsURL, "https://"):
		wsURL = "wss://" + strings.TrimPrefix(wsURL, "https://")
	case strings.HasPrefix(wsURL, "http://"):
		wsURL = "ws://" + strings.TrimPrefix(wsURL, "http://")
	}
	// The Mattermost client dials without a context, so ctx reaches only the TCP connect; the
	// connections made are closed when ctx ends, so that Close does not wait out a server
	// that accepted the connection and never finished the handshake.
	var mu sync.Mutex
	var conns []net.Conn
	dialer := &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: 15 * time.Second,
		NetDialContext: func(_ context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if err == nil {
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
			return c, err
		},
	}
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	ws, err := model.NewWebSocketClient4WithDialer(dialer, wsURL, a.cfg.Token)
	stop()
	if err != nil {
		return nil, fmt.Errorf("connect websocket: %w", err)
	}
	return ws, nil
}

// closeSocket closes ws and drains its channels until its reader goroutine closes them, so
// that the reader, which may be blocked handing over an event, ends before the session does,
// and with it the client's writer and ping watchdog. The connection is closed first: a write
// in progress then fails at once instead of keeping the client's Close waiting for its writer.
func closeSocket(ws *model.WebSocketClient) {
	_ = ws.Conn.Close()
	ws.Close()
	events, responses := ws.EventChannel, ws.ResponseChannel
	for events != nil || responses != nil {
		select {
		case _, ok := <-events:
			if !ok {
				events = nil
			}
		case _, ok := <-responses:
			if !ok {
				responses = nil
			}
		case <-ws.PingTimeoutChannel:
			// A watchdog blocked reporting a timeout could not see that the reader ended.
		}
	}
}

// consume follows the socket's events until it fails.
func (a *Adapter) consume(ctx context.Context, ws *model.WebSocketClient) error {
	responses := ws.ResponseChannel
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-ws.EventChannel:
			if !ok {
				if ws.ListenError != nil {
					return fmt.Errorf("websocket closed: %w", ws.ListenError)
				}
				return errors.New("websocket closed")
			}
			if err := a.onEvent(ctx, ev); err != nil {
				return err
			}
		case _, ok := <-responses:
			if !ok {
				responses = nil
			}
		case <-ws.PingTimeoutChannel:
			return errors.New("websocket ping timeout")
		}
	}
}

var wsChanges = map[model.WebsocketEventType]change{
	model.WebsocketEventPosted:      posted,
	model.WebsocketEventPostEdited:  edited,
	model.WebsocketEventPostDeleted: deleted,
}

// onEvent handles one WebSocket event. The post comes JSON-encoded inside data.post.
func (a *Adapter) onEvent(ctx context.Context, ev *model.WebSocketEvent) error {
	c, ok := wsChanges[ev.EventType()]
	if !ok {
		return nil
	}
	data := ev.GetData()
	raw, _ := data["post"].(string)
	var p model.Post
	if err := json.Unmarshal([]byte(raw), &p); err != nil || p.Id == "" || p.ChannelId == "" {
		a.log.Warn("mattermost event without a readable post", "event", ev.EventType())
		a.in.Discard(PlatformName, desk.DropBadEvent)
		return nil
	}
	if by, _ := data["delete_by"].(string); c == deleted && by != "" {
		// The post comes as it was before the deletion; the server records the deleter in
		// the deleted post's props, where a catch-up finds it too.
		p.AddProp(model.PostPropsDeleteBy, by)
	}
	channelType, _ := data["channel_type"].(string)
	return a.handle(ctx, c, &p, model.ChannelType(channelType))
}

// Catch-up limits: the server returns at most 1000 posts per "since" request, and at most 200
// per page of a channel's posts.
const (
	sincePageMax  = 1000
	sincePagesMax = 50
	pageSize      = 200
	pagesMax      = 250 // 50,000 posts written in one channel while away
)

type item struct {
	c  change
	p  *model.Post
	ct model.ChannelType
	at int64
}

// catchUp reads what changed since the cursor (less an overlap for events that arrived out of
// order) in the triage channel and the bot's direct channels, and feeds it through the same
// translation as WebSocket events, oldest first. Overlaps are harmless: events carry the same
// IDs either way and the core deduplicates them.
func (a *Adapter) catchUp(ctx context.Context) error {
	// With several replicas, one that stayed connected kept recording events and moved the
	// shared mark on: what it recorded is not read again here, so a dropped connection is
	// caught up on once, not by every replica from its own last event.
	if ms, err := a.cursor.Load(ctx); err == nil {
		a.curMu.Lock()
		if ms > a.mark {
			a.mark = ms
		}
		a.curMu.Unlock()
	}
	a.curMu.Lock()
	since := a.mark - a.cfg.CatchUpOverlap.Milliseconds()
	if a.fresh {
		// A mark just made from our own clock: no events were seen before it to overlap.
		since, a.fresh = a.mark, false
	}
	a.curMu.Unlock()

	type target struct {
		id string
		ct model.ChannelType
	}
	targets := []target{{a.triageID, model.ChannelTypeOpen}}
	chans, resp, err := a.client.GetChannelsForTeamForUser(ctx, a.teamID, a.botID, false, "")
	if err != nil {
		return fmt.Errorf("list the bot's channels: %w", deliveryError("users.teams.channels", resp, err))
	}
	seen := map[string]bool{a.triageID: true}
	for _, ch := range chans {
		// Direct channels with posts since the mark; reading every DM the bot ever had would
		// make each reconnect cost thousands of calls.
		if ch.Type == model.ChannelTypeDirect && max(ch.LastPostAt, ch.LastRootPostAt) > since {
			targets = append(targets, target{ch.Id, ch.Type})
			seen[ch.Id] = true
			a.rememberChannel(ch.Id, ch.Type)
		}
	}
	if a.active != nil {
		// Edits and deletions do not move a channel's last post time: the DMs of open tickets
		// are read whatever their last post.
		ids, err := a.active(ctx)
		if err != nil {
			return fmt.Errorf("list the DMs of open tickets: %w", err)
		}
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				targets = append(targets, target{id, model.ChannelTypeDirect})
				a.rememberChannel(id, model.ChannelTypeDirect)
			}
		}
	}

	var items []item
	for _, t := range targets {
		posts, err := a.postsSince(ctx, t.id, since)
		if err != nil {
			return err
		}
		// Deleting a root deletes its replies with it, at the same time; over the WebSocket
		// the server reports the root only, and so does the catch-up: a reply of the thread
		// is no deletion of its own (that would withdraw an agent's answer from the customer).
		rootsGone := map[string]int64{}
		for _, p := range posts {
			if p.RootId == "" && p.DeleteAt > 0 {
				rootsGone[p.Id] = p.DeleteAt
			}
		}
		for _, p := range posts {
			switch {
			case p.DeleteAt > 0 && p.RootId != "" && rootsGone[p.RootId] == p.DeleteAt:
			case p.DeleteAt > 0:
				if p.DeleteAt > since {
					items = append(items, item{deleted, p, t.ct, p.DeleteAt})
				}
			default:
				if p.CreateAt > since {
					items = append(items, item{posted, p, t.ct, p.CreateAt})
				}
				if p.EditAt > since {
					items = append(items, item{edited, p, t.ct, p.EditAt})
				}
			}
		}
	}
	slices.SortStableFunc(items, func(x, y item) int { return cmp.Compare(x.at, y.at) })
	for _, it := range items {
		if err := a.handle(ctx, it.c, it.p, it.ct); err != nil {
			return err
		}
	}
	if len(items) > 0 {
		a.log.Info("mattermost catch-up", "channels", len(targets), "changes", len(items))
	}
	a.caughtUp.Add(1)
	return nil
}

// postsSince returns the posts of a channel changed after since. For that the server answers
// 1000 posts at most, picked in no order of time (its spec leaves the client "to fill any
// missing holes"): asking again from the latest change of a full answer passes over changes
// the answer left out. So after a full answer the posts written since are also read page by
// page, newest first, down to since: no post written while the app was away is missed. Edits
// and deletions of older posts past the server's 1000 may be, which is logged.
func (a *Adapter) postsSince(ctx context.Context, channelID string, since int64) ([]*model.Post, error) {
	seen := map[string]*model.Post{}
	full := false
	from := since
	for range sincePagesMax {
		list, resp, err := a.client.GetPostsSince(ctx, channelID, from, false)
		if err != nil {
			return nil, fmt.Errorf("read posts of %s since %d: %w", channelID, from, deliveryError("channels.posts", resp, err))
		}
		next := from
		for _, p := range list.Posts {
			if p.ChannelId != channelID {
				continue
			}
			seen[p.Id] = p
			next = max(next, p.UpdateAt)
		}
		if len(list.Posts) < sincePageMax || next == from {
			break
		}
		full = true
		from = next
	}
	if full {
		if err := a.postsWrittenSince(ctx, channelID, since, seen); err != nil {
			return nil, err
		}
		a.log.Warn("more than 1000 posts of a channel changed while the app was away: every post written meanwhile is caught up, but edits and deletions of older posts may be missed",
			"channel", channelID, "posts", len(seen))
	}
	out := make([]*model.Post, 0, len(seen))
	for _, p := range seen {
		out = append(out, p)
	}
	return out, nil
}

// postsWrittenSince adds to seen the posts of a channel created after since, read page by
// page, newest first. A post written meanwhile only pushes older ones to a later page: read
// twice, not missed.
func (a *Adapter) postsWrittenSince(ctx context.Context, channelID string, since int64, seen map[string]*model.Post) error {
	for page := range pagesMax {
		list, resp, err := a.client.GetPostsForChannel(ctx, channelID, page, pageSize, "", false, false)
		if err != nil {
			return fmt.Errorf("read page %d of the posts of %s: %w", page, channelID, deliveryError("channels.posts", resp, err))
		}
		older := len(list.Order) < pageSize
		for _, id := range list.Order {
			p := list.Posts[id]
			switch {
			case p == nil || p.ChannelId != channelID:
			case p.CreateAt <= since:
				older = true
			case seen[p.Id] == nil:
				seen[p.Id] = p
			}
		}
		if older {
			return nil
		}
	}
	a.log.Warn("the catch-up read its most pages of a channel's posts and stopped", "channel", channelID, "pages", pagesMax)
	return nil
}

package dashboard

import (
	"context"
	"sync"
	"time"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// permalinks remembers the addresses of tickets' threads: a message's permalink never
// changes, and the ticket page is fetched again at every change of its ticket.
type permalinks struct {
	mu sync.Mutex
	m  map[string]string
}

// maxPermalinks bounds the memory: past it, the cache starts again empty.
const maxPermalinks = 10000

func (c *permalinks) get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[key]
	return s, ok
}

func (c *permalinks) put(key, link string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxPermalinks {
		c.m = map[string]string{}
	}
	c.m[key] = link
}

// platform is the chat platform a ticket lives on, if the Desk gives platforms.
func (d *Dashboard) platform(name string) (desk.Platform, bool) {
	ps, ok := d.opts.Desk.(Platforms)
	if !ok {
		return nil, false
	}
	return ps.Platform(name)
}

// permalink is the address of a ticket's thread on its platform, or "" when the platform has
// no such links or cannot say now: the page is shown all the same, without the link.
func (d *Dashboard) permalink(ctx context.Context, t desk.Ticket) string {
	if !t.HasThread() {
		return ""
	}
	p, ok := d.platform(t.Platform)
	if !ok {
		return ""
	}
	pl, ok := p.(desk.Permalinker)
	if !ok {
		return ""
	}
	key := t.Platform + "\x00" + t.TriageChannel + "\x00" + t.ThreadID
	if link, ok := d.links.get(key); ok {
		return link
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	link, err := pl.Permalink(ctx, t.TriageChannel, t.ThreadID)
	if err != nil {
		d.log.Warn("ticket thread's permalink", "platform", t.Platform, "ticket", int64(t.ID), "err", err)
		return ""
	}
	d.links.put(key, link)
	return link
}

// platformName is a platform's name as people write it.
func (d *Dashboard) platformName(name string) string {
	switch name {
	case "slack":
		return "Slack"
	case "mattermost":
		return "Mattermost"
	case "sandbox":
		return d.text(catalog.DashSandbox)
	}
	return name
}

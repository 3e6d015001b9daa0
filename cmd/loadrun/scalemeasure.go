package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/desktest"
	"github.com/threadesk/threadesk/internal/redisstore"
	"github.com/threadesk/threadesk/internal/relay"
)

// prefix is the store's default key prefix, which the scale run uses.
const prefix = "td:"

// ticketKeys sums MEMORY USAGE (exact: SAMPLES 0) of the keys of the given tickets, per
// ticket: its hash, customer pointer, thread index, transcript list, the set of its links and
// the links themselves.
func ticketKeys(ctx context.Context, rdb *redis.Client, ids []desk.TicketID) (keyCost, error) {
	k := keyCost{n: len(ids), parts: map[string]float64{}}
	if len(ids) == 0 {
		return k, nil
	}
	for _, id := range ids {
		n := strconv.FormatInt(int64(id), 10)
		f, err := rdb.HMGet(ctx, prefix+"t:"+n, "pf", "cu", "th").Result()
		if err != nil {
			return k, fmt.Errorf("read ticket %s: %w", n, err)
		}
		str := func(i int) string { s, _ := f[i].(string); return s }
		// The ticket's link keys: link records in its transcript list (an element that starts
		// with byte 2, then the key without the prefix), or a set in stores before 2026-12-07.
		links, err := rdb.SMembers(ctx, prefix+"tl:"+n).Result()
		if err != nil {
			return k, fmt.Errorf("read the links of ticket %s: %w", n, err)
		}
		tx, err := rdb.LRange(ctx, prefix+"tx:"+n, 0, -1).Result()
		if err != nil {
			return k, fmt.Errorf("read the transcript of ticket %s: %w", n, err)
		}
		for _, v := range tx {
			if l, ok := strings.CutPrefix(v, "\x02"); ok && !slices.Contains(links, prefix+l) {
				links = append(links, prefix+l)
			}
		}
		for part, p := range map[string][2]string{"customer pointer": {"cu", str(1)}, "thread index": {"th", str(2)}} {
			v, err := pointerShare(ctx, rdb, prefix, p[0], str(0), p[1])
			if err != nil {
				return k, err
			}
			k.parts[part] += float64(v)
		}
		keys := map[string][]string{
			"ticket hash": {prefix + "t:" + n},
			"transcript":  {prefix + "tx:" + n},
			"links' set":  {prefix + "tl:" + n},
			"links":       links,
		}
		for part, ks := range keys {
			for _, key := range ks {
				v, err := rdb.MemoryUsage(ctx, key, 0).Result()
				if err != nil && err != redis.Nil {
					return k, fmt.Errorf("MEMORY USAGE %s: %w", key, err)
				}
				k.parts[part] += float64(v)
			}
		}
	}
	for part := range k.parts {
		k.parts[part] /= float64(len(ids))
	}
	return k, nil
}

// sharedKinds are the keys every ticket has a share in, by the patterns that find them (a
// number set's buckets, nb:<n>:<set>, count with their set).
var sharedKinds = []struct {
	name     string
	patterns []string
}{
	{"search words (w:* and their buckets)", []string{prefix + "w:*", prefix + "nb:*:w:*"}},
	{"queue indexes (ix:* and their buckets)", []string{prefix + "ix:*", prefix + "nb:*:ix:*"}},
	{"status sets (st:*)", []string{prefix + "st:*"}},
	{"statistics facts (fact:*)", []string{prefix + "fact:*"}},
	{"closed index", []string{prefix + "closed"}},
	{"changes feed", []string{prefix + "changes"}},
}

// sample returns up to n of ids, spread over them.
func sample(ids []desk.TicketID, n int) []desk.TicketID {
	if len(ids) <= n {
		return ids
	}
	out := make([]desk.TicketID, 0, n)
	for i := range n {
		out = append(out, ids[i*len(ids)/n])
	}
	return out
}

// measureScaleMemory measures the open and closed tickets' own keys on samples, and every
// shared key whole.
func measureScaleMemory(ctx context.Context, rdb *redis.Client, h *history, n int, res *scaleResult) error {
	var err error
	if res.openKeys, err = ticketKeys(ctx, rdb, sample(h.openIDs, n)); err != nil {
		return err
	}
	if res.closedKeys, err = ticketKeys(ctx, rdb, sample(h.closedIDs, n)); err != nil {
		return err
	}
	res.shared = map[string]int64{}
	for _, k := range sharedKinds {
		for _, pattern := range k.patterns {
			iter := rdb.Scan(ctx, 0, pattern, 10000).Iterator()
			for iter.Next(ctx) {
				v, err := rdb.MemoryUsage(ctx, iter.Val(), 0).Result()
				if err != nil {
					return fmt.Errorf("MEMORY USAGE %s: %w", iter.Val(), err)
				}
				res.shared[k.name] += v
			}
			if err := iter.Err(); err != nil {
				return fmt.Errorf("SCAN %s: %w", pattern, err)
			}
		}
	}
	return nil
}

// oneShortMessage is the text of the one-message tickets.
const oneShortMessage = "my VPN is down since 9"

// measureOneMessage adds n open tickets with one short message each, as the relay writes a
// first message (the ticket, its card's thread, the copy's link, the transcript entry, the
// opening's fact), and measures what they cost in all: INFO used_memory before and after, so
// that their places in the shared indexes (100,000 tickets' sets) count, and their own keys.
func measureOneMessage(ctx context.Context, rdb *redis.Client, store *redisstore.Store, h *history, n int, res *scaleResult) error {
	if n <= 0 {
		return nil
	}
	before, err := usedMemory(ctx, rdb)
	if err != nil {
		return err
	}
	ids := make([]desk.TicketID, 0, n)
	for i := range n {
		c := h.customer(h.o.tickets + i)
		at := h.now.Add(-time.Duration(n-i) * time.Second).Truncate(time.Millisecond)
		dm := fmt.Sprintf("D0%09d", 500000000+h.o.tickets+i)
		t, _, err := store.OpenTicket(ctx, desk.Ticket{Platform: scalePlatform, Status: desk.StatusNew, Customer: c,
			DMChannel: dm, CreatedAt: at, LastActivityAt: at, Subject: oneShortMessage})
		if err != nil {
			return err
		}
		t.TriageChannel, t.ThreadID = scaleTriage, fmt.Sprintf("%d.%06d", at.Unix(), 300000+i%100000)
		src := desk.MessageRef{Channel: dm, ID: fmt.Sprintf("%d.%06d", at.Unix(), 400000+i%100000)}
		err = store.Apply(ctx,
			desk.SaveTicket{Ticket: t},
			desk.RecordFact{Fact: desk.Fact{Kind: desk.FactCreated, At: at, Ticket: t.ID}},
			desk.PutLink{Platform: scalePlatform, Link: desk.Link{Ticket: t.ID, Kind: desk.LinkCustomer, Source: src,
				Parts: []desk.MessageRef{{Channel: scaleTriage, ID: fmt.Sprintf("%d.%06d", at.Unix(), 500000+i%100000)}}}},
			desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: at, Kind: "customer", Author: c.ID, Name: c.Label(), Text: oneShortMessage}},
			desk.TouchTicket{Ticket: t.ID, At: at})
		if err != nil {
			return err
		}
		ids = append(ids, t.ID)
	}
	after, err := usedMemory(ctx, rdb)
	if err != nil {
		return err
	}
	res.oneMsgAll = float64(after-before) / float64(n)
	res.oneMsgText = float64(len(oneShortMessage))
	res.oneMsgKeys, err = ticketKeys(ctx, rdb, sample(ids, 200))
	return err
}

// commandTiming is how long one slash command took to answer, over several runs.
type commandTiming struct {
	command      string
	first        time.Duration
	median, most time.Duration
	answer       string // the first line of its answer
}

// timeCommands runs the read-only slash commands as the app does, in process: a relay on the
// loaded store with a fake platform, each command ingested as the platform's event and timed
// until its answer is posted (queue, worker, store reads, answer). Each runs runs times.
func timeCommands(ctx context.Context, w io.Writer, store *redisstore.Store, h *history, runs int) ([]commandTiming, error) {
	p := desktest.New(scalePlatform, desk.Limits{MaxText: 40000})
	lead := agent(0)
	for i := range scaleAgents {
		p.AddAgent(agent(i))
	}
	answered := make(chan desktest.Message, 16)
	p.SetAfterPost(func(m desktest.Message) {
		if m.Ephemeral == lead.ID {
			answered <- m
		}
	})
	r, err := relay.New(relay.Options{Store: store, Platforms: []desk.Platform{p}, Leads: []string{lead.ID},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = r.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	// A running app has read its statistics cache (in the background, as it starts): the
	// commands are timed once that is done, as a lead would meet them.
	warm := time.Now()
	if _, err := r.Stats(ctx, warm.Add(-90*24*time.Hour), warm); err != nil {
		return nil, fmt.Errorf("warm the statistics: %w", err)
	}
	fmt.Fprintf(w, "the relay's statistics cache read the last 90 days in %v before the commands were timed\n", time.Since(warm).Round(time.Millisecond))

	// A word most tickets have, one a few have, and a ticket in the middle of the history.
	rnd := rand.New(rand.NewPCG(3, 4))
	common, rare := h.words[2], h.words[vocabulary/2+rnd.IntN(vocabulary/4)]
	show := h.ids[len(h.ids)/2]
	if len(h.closedIDs) > 0 {
		show = h.closedIDs[len(h.closedIDs)/2]
	}
	cmds := []string{"status", "list", "find " + common, "find " + rare, "find " + common + " " + h.words[5], "show " + strconv.FormatInt(int64(show), 10), "stats 30d"}
	var out []commandTiming
	seq := 0
	for _, cmd := range cmds {
		var times []time.Duration
		var answer string
		for range runs {
			seq++
			ev := desk.Event{ID: fmt.Sprintf("scale-cmd-%d", seq), Platform: scalePlatform, Kind: desk.CommandRun, At: time.Now(),
				User: lead, Channel: p.TriageChannel(), Text: cmd}
			start := time.Now()
			if err := r.Ingest(ctx, ev); err != nil {
				return nil, fmt.Errorf("/desk %s: %w", cmd, err)
			}
			select {
			case m := <-answered:
				times = append(times, time.Since(start))
				answer, _, _ = strings.Cut(m.Text, "\n")
			case <-time.After(30 * time.Second):
				return nil, fmt.Errorf("/desk %s: no answer within 30s", cmd)
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		t := commandTiming{command: cmd, first: times[0], answer: answer}
		sorted := slices.Clone(times)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
		t.median, t.most = sorted[len(sorted)/2], sorted[len(sorted)-1]
		out = append(out, t)
	}
	return out, nil
}

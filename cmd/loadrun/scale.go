package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/redisstore"
)

// The scale run (-scale N; scripts/scale) loads a history of N tickets into a private
// redis-server through the store's own write path and measures what that history costs:
// Redis memory per open and per closed ticket and per message, the slash commands' answer
// times on it (scalecmds.go) and the real binary's start-up time and resident memory on it
// (scalebinary.go). It prints "TARGET MISSED" for a target missed.

// scaleOptions are the scale run's flags.
type scaleOptions struct {
	tickets   int     // tickets loaded
	messages  int     // messages per ticket
	closed    float64 // share of the tickets closed
	writers   int     // goroutines writing tickets
	oneMsg    int     // one-short-message tickets added after the load, for their cost in all
	sample    int     // tickets of each kind sampled for MEMORY USAGE
	runs      int     // runs of each command timed
	relayBin  string
	keep      bool
	skipStart bool // do not start the binary (the small test)
	short     bool // every message is oneShortMessage (with -messages 1: the measure)
	intset    int  // set-max-intset-entries of the redis-server, 0 for its default (512)
}

// The scale run's targets.
const (
	targetOpenTicket  = 1024 // bytes per open ticket, transcript apart
	targetOneMessage  = 1536 // bytes per ticket with one short message, in all
	targetPerMsgExtra = 200  // bytes per message over twice its text, closed tickets
	targetCommand     = 100 * time.Millisecond
)

// The people of the loaded history.
const (
	scalePlatform = "slack"
	scaleTriage   = "C04TRIAGE01"
	scaleLead     = "U04AGENT000"
	scaleAgents   = 20
)

// scaleResult is what a scale run measured.
type scaleResult struct {
	tickets, open, closed, messages int
	textBytes                       int64 // the messages' text
	load                            time.Duration
	usedBefore, usedAfter           int64 // INFO used_memory around the load
	openKeys, closedKeys            keyCost
	shared                          map[string]int64 // MEMORY USAGE of the keys shared by tickets, by kind
	oneMsgAll                       float64          // used_memory per one-short-message ticket
	oneMsgKeys                      keyCost
	oneMsgText                      float64
	commands                        []commandTiming
	binary                          binaryFigures
	missed                          []string
}

// keyCost is the MEMORY USAGE of the keys of sampled tickets, per ticket, by kind of key.
type keyCost struct {
	n     int
	parts map[string]float64
}

func (k keyCost) total(skip ...string) float64 {
	var sum float64
	for name, v := range k.parts {
		if !contains(skip, name) {
			sum += v
		}
	}
	return sum
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// runScale runs the scale run and prints its report.
func runScale(ctx context.Context, o scaleOptions, out io.Writer) (res scaleResult, err error) {
	dir, cleanup, err := workDir("threadesk-scale-", o.keep, out)
	if err != nil {
		return res, err
	}
	defer cleanup(&err)
	start := time.Now()
	fmt.Fprintf(out, "scale run %s: %d tickets (%.0f %% closed), %d messages each, %d writers, GOMAXPROCS %d, %d CPUs\n",
		start.Format(time.RFC3339), o.tickets, o.closed*100, o.messages, o.writers, runtime.GOMAXPROCS(0), runtime.NumCPU())

	rs, addr, err := startRedis(ctx, dir)
	if err != nil {
		return res, err
	}
	defer rs.stop(5 * time.Second)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	// Opened as the app opens it, with a connection pool sized for the queue's readers.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := redisstore.Open(ctx, "redis://"+addr, redisstore.Options{Logger: quiet})
	if err != nil {
		return res, fmt.Errorf("open the store: %w", err)
	}
	defer store.Close()
	if o.intset > 0 {
		// Sets of ticket numbers up to this size stay intsets (4 bytes a number) instead of
		// hash tables (about 50 bytes a number): the search words' and filters' sets.
		if err := rdb.ConfigSet(ctx, "set-max-intset-entries", strconv.Itoa(o.intset)).Err(); err != nil {
			return res, fmt.Errorf("CONFIG SET set-max-intset-entries: %w", err)
		}
	}
	intset, err := rdb.ConfigGet(ctx, "set-max-intset-entries").Result()
	if err != nil {
		return res, fmt.Errorf("CONFIG GET: %w", err)
	}
	fmt.Fprintf(out, "redis-server %s (--save '' --appendonly no, set-max-intset-entries %s), default prefix td:\n", addr, intset["set-max-intset-entries"])

	res.tickets = o.tickets
	if res.usedBefore, err = usedMemory(ctx, rdb); err != nil {
		return res, err
	}
	gen := newHistory(o)
	t0 := time.Now()
	if err := gen.load(ctx, store, o.writers, out); err != nil {
		return res, err
	}
	res.load = time.Since(t0)
	res.open, res.closed, res.messages, res.textBytes = int(gen.open.Load()), int(gen.closedN.Load()), int(gen.msgs.Load()), gen.text.Load()
	if res.usedAfter, err = usedMemory(ctx, rdb); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "loaded %d tickets (%d open, %d closed), %d messages (%.0f bytes of text on average) in %v: %.0f tickets/s, %.0f messages/s\n",
		res.tickets, res.open, res.closed, res.messages, float64(res.textBytes)/float64(res.messages), res.load.Round(time.Second),
		float64(res.tickets)/res.load.Seconds(), float64(res.messages)/res.load.Seconds())

	if err := measureScaleMemory(ctx, rdb, gen, o.sample, &res); err != nil {
		return res, err
	}
	if err := measureOneMessage(ctx, rdb, store, gen, o.oneMsg, &res); err != nil {
		return res, err
	}
	if res.commands, err = timeCommands(ctx, out, store, gen, o.runs); err != nil {
		return res, err
	}
	if !o.skipStart {
		if o.relayBin, err = threadeskBinary(ctx, o.relayBin, dir); err != nil {
			return res, err
		}
		if res.binary, err = measureBinary(ctx, o.relayBin, dir, addr); err != nil {
			return res, err
		}
	}
	scaleReport(out, o, &res)
	fmt.Fprintf(out, "\ntotal %v\n", time.Since(start).Round(time.Second))
	return res, nil
}

// usedMemory reads INFO used_memory.
func usedMemory(ctx context.Context, rdb *redis.Client) (int64, error) {
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, fmt.Errorf("INFO memory: %w", err)
	}
	var v int64
	for _, line := range strings.Split(info, "\r\n") {
		if s, ok := strings.CutPrefix(line, "used_memory:"); ok {
			fmt.Sscan(s, &v)
		}
	}
	return v, nil
}

// history makes the loaded tickets: ticket i (from 0) has customer i, so every customer is
// distinct; its messages alternate customer and agent, with words drawn from a vocabulary
// by a Zipf law as people's words are. It is deterministic for a given size.
type history struct {
	o     scaleOptions
	now   time.Time
	words []string
	// what was loaded
	open, closedN, msgs atomic.Int64
	text                atomic.Int64
	mu                  sync.Mutex
	ids                 []desk.TicketID // by ticket index
	openIDs, closedIDs  []desk.TicketID
}

// vocabulary is the number of distinct words the messages are drawn from.
const vocabulary = 5000

func newHistory(o scaleOptions) *history {
	h := &history{o: o, now: time.Now().UTC(), ids: make([]desk.TicketID, o.tickets)}
	r := rand.New(rand.NewPCG(1, 2))
	syll := []string{"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "de", "po", "gra", "ster", "tion", "print", "net", "log", "pay", "mail"}
	seen := map[string]bool{}
	for len(h.words) < vocabulary {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			h.words = append(h.words, w)
		}
	}
	return h
}

// customer is the customer of ticket i.
func (h *history) customer(i int) desk.User {
	id := fmt.Sprintf("U0%09d", 400000000+i)
	return desk.User{ID: id, Name: fmt.Sprintf("customer.%d", i), DisplayName: fmt.Sprintf("Customer %d", i),
		AvatarURL: fmt.Sprintf("https://avatars.slack-edge.com/2026-01-05/%013d_0a1b2c3d4e5f6071_72.jpg", 6412345678901+i)}
}

// agent is agent n, agent 0 being the lead.
func agent(n int) desk.User {
	return desk.User{ID: fmt.Sprintf("U04AGENT%03d", n), Name: fmt.Sprintf("agent.%d", n), DisplayName: fmt.Sprintf("Agent %d", n)}
}

// sentence is a message of 6 to 20 words.
func (h *history) sentence(r *rand.Rand, z *rand.Zipf) string {
	n := 6 + r.IntN(15)
	ws := make([]string, n)
	for i := range ws {
		ws[i] = h.words[z.Uint64()]
	}
	return strings.Join(ws, " ")
}

// load writes every ticket with writers goroutines.
func (h *history) load(ctx context.Context, store *redisstore.Store, writers int, out io.Writer) error {
	var next atomic.Int64
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w)+7, 11))
			z := rand.NewZipf(r, 1.1, 2, vocabulary-1)
			for {
				i := int(next.Add(1) - 1)
				if i >= h.o.tickets || ctx.Err() != nil {
					return
				}
				if err := h.write(ctx, store, r, z, i); err != nil {
					errs <- fmt.Errorf("ticket %d: %w", i, err)
					return
				}
				if done := i + 1; done%(max(h.o.tickets/10, 1)) == 0 {
					fmt.Fprintf(out, "  %d tickets written, %v\n", done, time.Since(start).Round(time.Second))
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

// write writes ticket i as the relay does: OpenTicket, then the changes of its card, its
// messages (each a link of the copy, the transcript entry and the activity) and, for a closed
// one, its resolution and close, with the statistics' facts. The changes of one ticket go in
// a few Apply calls rather than one per message, to load quickly.
func (h *history) write(ctx context.Context, store *redisstore.Store, r *rand.Rand, z *rand.Zipf, i int) error {
	span := 90 * 24 * time.Hour
	created := h.now.Add(-span + time.Duration(float64(span)*float64(i)/float64(h.o.tickets))).Truncate(time.Millisecond)
	cust := h.customer(i)
	dm := fmt.Sprintf("D0%09d", 500000000+i)
	t, _, err := store.OpenTicket(ctx, desk.Ticket{Platform: scalePlatform, Status: desk.StatusNew, Customer: cust,
		DMChannel: dm, CreatedAt: created, LastActivityAt: created})
	if err != nil {
		return err
	}
	ag := agent(1 + r.IntN(scaleAgents-1))
	closed := r.Float64() < h.o.closed
	t.TriageChannel, t.ThreadID = scaleTriage, fmt.Sprintf("%d.%06d", created.Unix(), i%1000000)
	t.Status, t.Assignee, t.AssigneeName = desk.StatusOpen, ag.ID, ag.Label()
	t.Priority = desk.Priorities[r.IntN(len(desk.Priorities))]
	t.Category = []string{"Billing", "Technical", "Account", "General"}[r.IntN(4)]
	t.Tags = []string{h.words[r.IntN(50)]}
	first := h.sentence(r, z)
	if h.o.short {
		first = oneShortMessage
	}
	t.Subject = first
	if len(t.Subject) > 60 {
		t.Subject = t.Subject[:60]
	}
	changes := []desk.Change{desk.RecordFact{Fact: desk.Fact{Kind: desk.FactCreated, At: created, Ticket: t.ID, Subject: t.Category}}}
	at := created
	var text int64
	for m := range h.o.messages {
		at = at.Add(time.Duration(1+r.IntN(30)) * time.Minute)
		body := first
		switch {
		case h.o.short:
			body = oneShortMessage
		case m > 0:
			body = h.sentence(r, z)
		}
		text += int64(len(body))
		who, kind, linkKind := cust, "customer", desk.LinkCustomer
		src := desk.MessageRef{Channel: dm, ID: fmt.Sprintf("%d.%06d", at.Unix(), 100000+m)}
		copyRef := desk.MessageRef{Channel: scaleTriage, ID: fmt.Sprintf("%d.%06d", at.Unix(), 200000+m)}
		if m%2 == 1 {
			who, kind, linkKind = ag, "agent", desk.LinkAgent
			src, copyRef = copyRef, desk.MessageRef{Channel: dm, ID: src.ID}
			if m == 1 {
				t.FirstResponseAt = at
				changes = append(changes, desk.RecordFact{Fact: desk.Fact{Kind: desk.FactFirstResponse, At: at, Ticket: t.ID, Agent: ag.ID,
					Value: int64(at.Sub(created).Seconds())}})
			}
		}
		changes = append(changes,
			desk.PutLink{Platform: scalePlatform, Link: desk.Link{Ticket: t.ID, Kind: linkKind, Source: src, Parts: []desk.MessageRef{copyRef}}},
			desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: at, Kind: kind, Author: who.ID, Name: who.Label(), Text: body}},
			desk.TouchTicket{Ticket: t.ID, At: at})
	}
	t.LastActivityAt = at
	if closed {
		t.Status, t.ResolvedAt, t.ClosedAt = desk.StatusClosed, at.Add(time.Hour), at.Add(7*24*time.Hour)
		t.Rating = 1 + r.IntN(5)
		changes = append(changes,
			desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: t.ResolvedAt, Kind: "status", Author: ag.ID, Name: ag.Label(), Text: "resolved"}},
			desk.RecordFact{Fact: desk.Fact{Kind: desk.FactResolved, At: t.ResolvedAt, Ticket: t.ID, Agent: ag.ID, Value: int64(t.ResolvedAt.Sub(created).Seconds())}},
			desk.RecordFact{Fact: desk.Fact{Kind: desk.FactRating, At: t.ResolvedAt, Ticket: t.ID, Agent: ag.ID, Value: int64(t.Rating)}},
			desk.AppendEntry{Ticket: t.ID, Entry: desk.Entry{At: t.ClosedAt, Kind: "status", Text: "closed"}})
	}
	changes = append(changes, desk.SaveTicket{Ticket: t})
	if err := store.Apply(ctx, changes...); err != nil {
		return err
	}
	h.msgs.Add(int64(h.o.messages))
	h.text.Add(text)
	h.mu.Lock()
	h.ids[i] = t.ID
	if closed {
		h.closedN.Add(1)
		h.closedIDs = append(h.closedIDs, t.ID)
	} else {
		h.open.Add(1)
		h.openIDs = append(h.openIDs, t.ID)
	}
	h.mu.Unlock()
	return nil
}

// scaleReport prints the figures against the targets and records the targets missed.
func scaleReport(out io.Writer, o scaleOptions, res *scaleResult) {
	miss := func(what string, got, target float64, unit string) {
		line := fmt.Sprintf("TARGET MISSED: %s = %.0f %s (target %.0f)", what, got, unit, target)
		res.missed = append(res.missed, line)
		fmt.Fprintln(out, line)
	}
	parts := func(k keyCost) string {
		var b []string
		for _, name := range []string{"ticket hash", "customer pointer", "thread index", "transcript", "links' set", "links"} {
			b = append(b, fmt.Sprintf("%s %.0f", name, k.parts[name]))
		}
		return strings.Join(b, ", ")
	}
	perTicketAll := float64(res.usedAfter-res.usedBefore) / float64(res.tickets)
	var shared int64
	var sharedParts []string
	for _, k := range sharedKinds {
		shared += res.shared[k.name]
		sharedParts = append(sharedParts, fmt.Sprintf("%s %.0f", k.name, float64(res.shared[k.name])/float64(res.tickets)))
	}
	sharedPer := float64(shared) / float64(res.tickets)
	text := float64(res.textBytes) / float64(res.messages)

	fmt.Fprintf(out, "\nRedis memory (MEMORY USAGE, exact; %d open and %d closed tickets sampled)\n", res.openKeys.n, res.closedKeys.n)
	fmt.Fprintf(out, "all in: used_memory grew %.1f MB for %d tickets: %.0f bytes per ticket, %.0f per message\n",
		float64(res.usedAfter-res.usedBefore)/1e6, res.tickets, perTicketAll, perTicketAll/float64(o.messages))
	fmt.Fprintf(out, "shared keys, per ticket: %.0f bytes (%s)\n", sharedPer, strings.Join(sharedParts, ", "))
	openOwn := res.openKeys.total("transcript", "links' set", "links")
	fmt.Fprintf(out, "open ticket, transcript apart: %.0f bytes (hash, customer pointer, thread index; target ≤ %d); its keys: %s\n",
		openOwn, targetOpenTicket, parts(res.openKeys))
	if openOwn > targetOpenTicket {
		miss("bytes per open ticket, transcript apart", openOwn, targetOpenTicket, "bytes")
	}
	// The target's figure: the closed ticket with its transcript (hash, customer pointer,
	// thread index, transcript), per message. Its messages' links and its share of the
	// indexes are per-message costs too, shown beside it.
	closedTicket := res.closedKeys.total("links' set", "links")
	closedMsgs := float64(o.messages + 2) // its messages and two status lines
	perMsg := closedTicket / float64(o.messages)
	links := (res.closedKeys.parts["links' set"] + res.closedKeys.parts["links"]) / float64(o.messages)
	allIn := perMsg + links + sharedPer/float64(o.messages)
	limit := 2*text + targetPerMsgExtra
	fmt.Fprintf(out, "closed ticket with its transcript: %.0f bytes (%s); transcript %.0f bytes for %.0f entries, %.0f per entry\n",
		closedTicket, parts(res.closedKeys), res.closedKeys.parts["transcript"], closedMsgs, res.closedKeys.parts["transcript"]/closedMsgs)
	fmt.Fprintf(out, "closed ticket with its transcript, per message: %.0f bytes for %.0f bytes of text (target ≤ 2 × text + %d = %.0f)\n",
		perMsg, text, targetPerMsgExtra, limit)
	fmt.Fprintf(out, "  beside it, per message: its link and the ticket's set of links %.0f, its share of the shared keys (search words, indexes, facts) %.0f: %.0f bytes per message all in\n",
		links, sharedPer/float64(o.messages), allIn)
	if perMsg > limit {
		miss("bytes per message of a closed ticket with its transcript", perMsg, limit, "bytes")
	}
	if o.messages == 1 && o.short {
		// The issue's own measure: a store of one-short-message tickets, used_memory per ticket.
		fmt.Fprintf(out, "ticket with one short message (%d of them, %.0f bytes of text), all in (used_memory per ticket): %.0f bytes (target < %d)\n",
			res.tickets, text, perTicketAll, targetOneMessage)
		if perTicketAll >= targetOneMessage {
			miss("bytes per ticket with one short message, in all, in a store of such tickets", perTicketAll, targetOneMessage, "bytes")
		}
	}
	if o.oneMsg > 0 {
		fmt.Fprintf(out, "ticket with one short message (%.0f bytes of text), %d added to the history: %.0f bytes in all (used_memory; target < %d); its own keys %.0f (%s)\n",
			res.oneMsgText, o.oneMsg, res.oneMsgAll, targetOneMessage, res.oneMsgKeys.total(), parts(res.oneMsgKeys))
		if res.oneMsgAll >= targetOneMessage {
			miss("bytes per ticket with one short message, in all", res.oneMsgAll, targetOneMessage, "bytes")
		}
	}

	fmt.Fprintf(out, "\nslash commands on that history (in process: ingested as the platform's event, until the answer is posted; %d runs each)\n", o.runs)
	for _, c := range res.commands {
		fmt.Fprintf(out, "/desk %-40s first %7v  median %7v  max %7v  (target < %v)  %q\n", c.command, c.first.Round(10*time.Microsecond),
			c.median.Round(10*time.Microsecond), c.most.Round(10*time.Microsecond), targetCommand, truncate(c.answer, 70))
		if c.median >= targetCommand {
			miss("/desk "+c.command+" median answer time", float64(c.median.Milliseconds()), float64(targetCommand.Milliseconds()), "ms")
		}
	}

	if b := res.binary; b.startup > 0 {
		fmt.Fprintf(out, "\nthreadesk binary on that history (%d tickets; sandbox on the private redis-server)\n", b.ticketsAtRun)
		fmt.Fprintf(out, "start-up to /readyz 200: %v; resident memory: %.1f MB when ready, %.1f MB once the start's background work was done (%v after exec; peak %.1f MB)\n",
			b.startup.Round(time.Millisecond), float64(b.rssReady)/(1<<20), float64(b.rssSettled)/(1<<20), b.settled.Round(time.Second), float64(b.hwm)/(1<<20))
		reads := func(m map[string]int64) string {
			return fmt.Sprintf("HGETALL %d, HGET %d, HMGET %d, LRANGE %d, XRANGE %d, SCAN %d, KEYS %d",
				m["hgetall"], m["hget"], m["hmget"], m["lrange"], m["xrange"], m["scan"], m["keys"])
		}
		fmt.Fprintf(out, "Redis reads until ready: %s\n", reads(b.readsReady))
		fmt.Fprintf(out, "Redis reads until settled (the statistics cache's warm-up in the background reads the tickets of the last 90 days' facts): %s\n", reads(b.readsSettled))
		if read := b.readsReady["hgetall"] + b.readsReady["lrange"] + b.readsReady["xrange"]; read >= b.ticketsAtRun/10 {
			miss("tickets or transcripts read before /readyz", float64(read), float64(b.ticketsAtRun/10), "reads")
		}
	}
	if len(res.missed) == 0 {
		fmt.Fprintln(out, "\nevery target met")
	}
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

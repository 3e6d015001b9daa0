package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mattermost/mattermost/server/public/model"
	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/mattermost/mattermosttest"
)

// The Mattermost path (-platform mattermost): the relay's binary on the fake Mattermost server
// of package mattermosttest (REST API v4 checked against the published OpenAPI description,
// WebSocket events as the server sends them). Customers post in their DMs with the bot; the
// server sends each post to the app's WebSocket as a "posted" event; the app relays it into
// the ticket's thread in the triage channel with a REST call and marks it with a reaction. An
// agent's WebSocket, connected like any client, sees each copy arrive.
//
// A WebSocket event has no answer, so the platform cannot be slowed down by the app the way an
// HTTP answer slows a Slack sender: each of the -c senders sends its next message once the
// copy of its last one has arrived (closed loop on the copy). There is no bound to compare
// with; the figures are the relay's own: msg/s, latency from the post to its copy, CPU per
// message. The fake, the senders and the agent's socket run in this process (loadrun's CPU).

// mmRound is what one Mattermost round measured.
type mmRound struct {
	window
	relayCPU, redisCPU, loadCPU time.Duration
	calls                       map[string]int64
}

// fakeT lets the fake server, written for tests, run in this program: it records failures
// instead of failing a test, and runs the clean-ups when the round ends. Only the methods the
// fake calls are implemented; the embedded interface is nil.
type fakeT struct {
	testing.TB
	mu       sync.Mutex
	failures []string
	cleanups []func()
}

func (t *fakeT) Helper()                   {}
func (t *fakeT) Name() string              { return "loadrun" }
func (t *fakeT) Cleanup(f func())          { t.mu.Lock(); t.cleanups = append(t.cleanups, f); t.mu.Unlock() }
func (t *fakeT) Logf(string, ...any)       {}
func (t *fakeT) Errorf(f string, a ...any) { t.fail(fmt.Sprintf(f, a...)) }
func (t *fakeT) Fatalf(f string, a ...any) {
	t.fail(fmt.Sprintf(f, a...))
	panic("fake Mattermost: " + fmt.Sprintf(f, a...))
}

func (t *fakeT) fail(msg string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failures = append(t.failures, msg)
}

// close runs the clean-ups, last first, and returns the failures recorded.
func (t *fakeT) close() []string {
	t.mu.Lock()
	cs := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failures
}

// mmWorld is the fake server with the load's cast: the usual one (mattermosttest.Seed) and
// the customers with their DMs.
type mmWorld struct {
	f          *mattermosttest.Server
	w          mattermosttest.World
	customers  []*model.User
	dms        []*model.Channel
	agentToken string
}

const mmAgentToken = "load-agent-token-0123456789"

func newMMWorld(tb testing.TB, customers int) *mmWorld {
	f := mattermosttest.New(tb, "")
	mw := &mmWorld{f: f, w: f.Seed(), agentToken: mmAgentToken}
	f.Mu.Lock()
	f.Tokens[mmAgentToken] = mw.w.Agent.Id
	f.Mu.Unlock()
	for i := range customers {
		u := f.AddUser(fmt.Sprintf("customer%06d", i), "Customer", fmt.Sprint(i), false, "", mw.w.TeamID)
		mw.customers = append(mw.customers, u)
		mw.dms = append(mw.dms, f.DM(mw.w.Bot.Id, u.Id))
	}
	return mw
}

// mmEnv is the relay's environment for the fake: no per-channel pacing, and no pacing of the
// token's requests (the fake has no rate limit).
func (mw *mmWorld) env() []string {
	return []string{
		"MATTERMOST_URL=" + mw.f.URL,
		"MATTERMOST_TOKEN=" + mattermosttest.BotToken,
		"MATTERMOST_TEAM=support",
		"MATTERMOST_TRIAGE_CHANNEL=triage",
		"MATTERMOST_COMMAND_TOKEN=load-command-token-0123456789",
		"MATTERMOST_POST_RATE=" + unpacedRate,
		"MATTERMOST_POST_BURST=" + unpacedBurst,
		"MATTERMOST_REQUEST_RATE=" + unpacedRate,
	}
}

// mmLoad sends customer posts and follows their copies.
type mmLoad struct {
	mw       *mmWorld
	track    *tracker
	senders  int
	posts    sync.Map // customer post ID → seq, for the delivery marks
	waiters  sync.Map // seq → chan struct{}, closed when the copy arrives
	accepted atomic.Int64
	lost     atomic.Int64 // copies waited for in vain (copyWait)
	full     atomic.Bool
}

// copyWait is how long a sender waits for a copy before it sends its next message anyway.
const copyWait = 30 * time.Second

// watch follows the triage channel as an agent's client does and records each copy.
func (l *mmLoad) watch(ctx context.Context) (func(), error) {
	url := "ws" + strings.TrimPrefix(l.mw.f.URL, "http") + "/api/v4/websocket"
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("agent's WebSocket: %w", err)
	}
	if err := conn.WriteJSON(map[string]any{"seq": 1, "action": "authentication_challenge", "data": map[string]any{"token": l.mw.agentToken}}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("agent's WebSocket: %w", err)
	}
	// The server sends posts to the socket once it took the token: wait for its hello.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var ev struct {
			Event string `json:"event"`
		}
		if err := conn.ReadJSON(&ev); err != nil {
			conn.Close()
			return nil, fmt.Errorf("agent's WebSocket: no hello: %w", err)
		}
		if ev.Event == string(model.WebsocketEventHello) {
			break
		}
	}
	_ = conn.SetReadDeadline(time.Time{})
	triage := l.mw.w.Triage.Id
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var ev struct {
				Event string `json:"event"`
				Data  struct {
					Post string `json:"post"`
				} `json:"data"`
			}
			if json.Unmarshal(msg, &ev) != nil || ev.Event != string(model.WebsocketEventPosted) {
				continue
			}
			var p struct {
				ChannelID string `json:"channel_id"`
				RootID    string `json:"root_id"`
				Message   string `json:"message"`
			}
			if json.Unmarshal([]byte(ev.Data.Post), &p) != nil || p.ChannelID != triage || p.RootID == "" {
				continue
			}
			seq := seqOfText(p.Message)
			if seq < 0 {
				continue // a notice, not a copy
			}
			l.track.relayed(seq)
			if w, ok := l.waiters.LoadAndDelete(seq); ok {
				close(w.(chan struct{}))
			}
		}
	}()
	return func() { conn.Close(); <-done }, nil
}

// send posts message seq as customer cust and waits for its copy.
func (l *mmLoad) send(ctx context.Context, seq, cust int) {
	w := make(chan struct{})
	l.waiters.Store(seq, w)
	l.track.sentAt[seq].Store(l.track.now())
	p := l.mw.f.UserPost(l.mw.customers[cust].Id, l.mw.dms[cust].Id, "", textOf(seq))
	l.posts.Store(p.Id, seq)
	l.track.accepted[seq].Store(true)
	l.accepted.Add(1)
	select {
	case <-w:
	case <-ctx.Done():
	case <-time.After(copyWait):
		l.lost.Add(1)
	}
}

// phase is loadGen.phase for Mattermost: each sender cycles through its own customers.
func (l *mmLoad) phase(ctx context.Context, once bool, deadline time.Time) (int64, time.Duration) {
	before := l.accepted.Load()
	start := time.Now()
	runSenders(ctx, l.senders, len(l.mw.customers), once, deadline, l.track, &l.full, l.send)
	return l.accepted.Load() - before, time.Since(start)
}

// marks counts the delivery marks (reactions) on the customers' posts.
func (l *mmLoad) marks() {
	l.mw.f.Mu.Lock()
	var posts []string
	for _, r := range l.mw.f.Reactions {
		posts = append(posts, r.PostId)
	}
	l.mw.f.Mu.Unlock()
	for _, id := range posts {
		if seq, ok := l.posts.Load(id); ok {
			l.track.marked(seq.(int))
		}
	}
}

// runMattermost is loadrun -platform mattermost.
func runMattermost(ctx context.Context, o options) (err error) {
	dir, cleanup, err := workDir("threadesk-load-mm-", o.keep, os.Stdout)
	if err != nil {
		return err
	}
	defer cleanup(&err)
	start := time.Now()
	fmt.Printf("loadrun %s: Mattermost, %d rounds, -c %d, -d %v, %d customers, %d shards\n",
		start.Format(time.RFC3339), o.rounds, o.conc, o.dur, o.customers, o.shards)
	if o.relayBin, err = threadeskBinary(ctx, o.relayBin, dir); err != nil {
		return err
	}
	rs, addr, err := startRedis(ctx, dir)
	if err != nil {
		return err
	}
	defer rs.stop(5 * time.Second)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	fmt.Printf("redis-server %s, fake Mattermost (mattermosttest, every request checked against ../shared/specs/mattermost/openapi.yaml) in this process, no per-channel pacing\n\n", addr)

	var rounds []mmRound
	for round := 1; round <= o.rounds; round++ {
		r, err := runMattermostRound(ctx, o, round, dir, rs, addr, rdb)
		if err != nil {
			return fmt.Errorf("round %d, Mattermost: %w", round, err)
		}
		rounds = append(rounds, r)
		fmt.Printf("round %d Mattermost: %.0f msg/s, p50 %v, p99 %v (%d messages); CPU per message: threadesk %v, redis-server %v, loadrun (senders, fake server, agent's socket) %v\n",
			round, r.deliverRate(), r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.delivered,
			r.relayCPU.Round(time.Microsecond), r.redisCPU.Round(time.Microsecond), r.loadCPU.Round(time.Microsecond))
	}

	fmt.Printf("\n== Mattermost: WebSocket posted in, REST out, -c %d, -d %v (%d customers, %d shards)\n", o.conc, o.dur, o.customers, o.shards)
	fmt.Printf("%-7s %12s %9s %9s | %14s %14s\n", "round", "relay msg/s", "p50 ms", "p99 ms", "threadesk µs", "redis µs")
	var rr, p50, p99, cpu, rcpu []float64
	for i, r := range rounds {
		rr, p50, p99 = append(rr, r.deliverRate()), append(p50, ms(r.p50)), append(p99, ms(r.p99))
		cpu, rcpu = append(cpu, float64(r.relayCPU.Microseconds())), append(rcpu, float64(r.redisCPU.Microseconds()))
		fmt.Printf("%-7d %12.0f %9.2f %9.2f | %14.0f %14.0f\n", i+1, rr[i], p50[i], p99[i], cpu[i], rcpu[i])
	}
	fmt.Printf("%-7s %12.0f %9.2f %9.2f | %14.0f %14.0f\n", "median", median(rr), median(p50), median(p99), median(cpu), median(rcpu))
	fmt.Println("relay msg/s = copies in the triage threads per second (first post to last copy); latency = customer's post → its copy's posted event at an agent's WebSocket; CPU per relayed message.")
	if len(rounds) > 0 {
		last := rounds[len(rounds)-1]
		fmt.Println("Mattermost API calls per message in the measured window:", formatCalls(last.calls, last.delivered))
	}
	fmt.Println("No bound is given for the Mattermost path: these are the relay's own figures.")
	fmt.Printf("\ntotal %v\n", time.Since(start).Round(time.Second))
	return nil
}

// runMattermostRound runs one round on a fresh fake server and an emptied Redis and checks
// that every message was relayed exactly once.
func runMattermostRound(ctx context.Context, o options, round int, dir string, rs *child, addr string, rdb *redis.Client) (r mmRound, err error) {
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		return r, fmt.Errorf("FLUSHALL: %w", err)
	}
	tb := &fakeT{}
	defer func() {
		if fails := tb.close(); len(fails) > 0 && err == nil {
			err = fmt.Errorf("the fake Mattermost saw requests the real server would refuse: %s", strings.Join(fails[:min(len(fails), 5)], "; "))
		}
	}()
	mw := newMMWorld(tb, o.customers)
	capacity := o.customers + int((o.warmup+o.dur).Seconds()*20_000) + 1000
	t := newTracker(capacity)
	l := &mmLoad{mw: mw, track: t, senders: o.conc}

	extra := []string{"REDIS_PREFIX=" + o.prefix}
	pprofAddr := ""
	if o.profile != "" {
		port, err := freePort()
		if err != nil {
			return r, err
		}
		pprofAddr = fmt.Sprintf("127.0.0.1:%d", port)
		extra = append(extra, "PPROF_ADDR="+pprofAddr)
	}
	proc, _, err := startRelay(ctx, o.relayBin, dir, round, mw.env(), addr, o.shards, extra...)
	if err != nil {
		return r, err
	}
	defer proc.stop(30 * time.Second)
	// The app's WebSocket is up once the fake counts its socket.
	for deadline := time.Now().Add(20 * time.Second); mw.f.SocketCount() == 0; {
		if time.Now().After(deadline) {
			return r, fmt.Errorf("the relay did not connect its WebSocket:\n%s", proc.tail(20))
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopWatch, err := l.watch(ctx)
	if err != nil {
		return r, err
	}
	defer stopWatch()

	// Open every ticket, then warm up.
	l.phase(ctx, true, time.Time{})
	l.phase(ctx, false, time.Now().Add(o.warmup))
	calls0 := mmCalls(mw.f)

	from := int(t.next.Load())
	startAt := t.now()
	cpu0, rcpu0, lcpu0 := cpuTime(proc.cmd.Process.Pid), cpuTime(rs.cmd.Process.Pid), cpuTime(os.Getpid())
	profiled := make(chan error, 1)
	if pprofAddr != "" {
		go func() { profiled <- fetchProfile(ctx, pprofAddr, o.dur, profileFile(o.profile+"-mattermost", round)) }()
	} else {
		profiled <- nil
	}
	accepted, took := l.phase(ctx, false, time.Now().Add(o.dur))
	to := min(int(t.next.Load()), capacity)
	cpu1, rcpu1, lcpu1 := cpuTime(proc.cmd.Process.Pid), cpuTime(rs.cmd.Process.Pid), cpuTime(os.Getpid())
	if err := <-profiled; err != nil {
		fmt.Printf("round %d: no CPU profile: %v\n", round, err)
	} else if pprofAddr != "" {
		fmt.Printf("round %d: CPU profile of threadesk's measured window in %s\n", round, profileFile(o.profile+"-mattermost", round))
	}
	// Marks follow their copies: give the last ones a moment, and a late duplicate time to show.
	time.Sleep(500 * time.Millisecond)
	r.calls = mmCallsSince(mw.f, calls0)
	l.marks()

	r.accepted, r.took = accepted, took
	r.delivered, r.deliverSpan, r.p50, r.p99 = t.measure(from, to, startAt)
	if r.delivered > 0 {
		r.relayCPU = (cpu1 - cpu0) / time.Duration(r.delivered)
		r.redisCPU = (rcpu1 - rcpu0) / time.Duration(r.delivered)
		r.loadCPU = (lcpu1 - lcpu0) / time.Duration(r.delivered)
	}
	if l.full.Load() {
		fmt.Printf("round %d: the senders ran out of sequence numbers (%d); the window was cut short\n", round, capacity)
	}
	a := t.audit()
	if a.unmarked > 0 || a.remarked > 0 {
		fmt.Printf("round %d: delivery marks: %d missing, %d set more than once\n", round, a.unmarked, a.remarked)
	}
	if a.lost > 0 || a.duplicated > 0 {
		return r, fmt.Errorf("EXACTLY-ONCE VIOLATED: of %d posted messages %d were lost (e.g. %v) and %d relayed more than once (e.g. %v)",
			a.accepted, a.lost, a.lostExamples, a.duplicated, a.dupExamples)
	}
	fmt.Printf("round %d: exactly once: %d messages posted, each relayed once\n", round, a.accepted)
	if done, err := proc.exited(); done {
		return r, fmt.Errorf("threadesk exited during the run (%v):\n%s", err, proc.tail(20))
	}
	if err := proc.stop(30 * time.Second); err != nil && !isSignalExit(err) {
		return r, fmt.Errorf("stop threadesk: %w\n%s", err, proc.tail(20))
	}
	return r, nil
}

// mmCalls counts the fake's API calls so far, per route.
func mmCalls(f *mattermosttest.Server) int {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return len(f.Calls)
}

// mmCallsSince counts the API calls made after the first n, per route.
func mmCallsSince(f *mattermosttest.Server, n int) map[string]int64 {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	out := map[string]int64{}
	for _, c := range f.Calls[min(n, len(f.Calls)):] {
		out[c]++
	}
	return out
}

// Command loadrun is Threadesk's load benchmark (run it with scripts/load). It drives the real
// threadesk binary through the inbound HTTP path a platform uses, Slack's Events API with
// signed requests, against a real redis-server and an in-process mock of the Slack Web API,
// and holds the result to the bare bound measured in the same run by ../shared/perf/bare-relay
// (one Redis round trip and one outbound call per message; see ../shared/perf/README.md).
//
// Each round runs, in alternating order, bare-relay -mode relay and the relay's own run:
//
//  1. a fresh threadesk process on an emptied Redis, no per-channel pacing (the mock has no
//     rate limit);
//  2. one message per customer, which opens every ticket (card, acknowledgement, first copy),
//     then a warm-up of -warmup, each followed by waiting for the backlog to drain;
//  3. the measured window: -c senders, each cycling through its own customers (so every
//     customer's messages are sent one after the other), sending signed events closed loop
//     for -d, then waiting for the backlog to drain.
//
// It prints, per round and as medians: accepted msg/s (200 answers), delivered msg/s (relayed
// copies at the mock, from the first send to the last copy), and the added latency p50/p99
// from sending an event to its copy arriving at the mock; next to them the bound's msg/s, p50
// and p99 (bare-relay -calls 2: its app makes two outbound calls per message, as the relay
// must: the copy and the delivery mark), and the ratios relay/bound msg/s and relay p99 / bound
// p99 held to the targets (≥ 0.7 and ≤ 2). For comparison, each round also runs bare-relay
// -calls 1 and prints the relay's ratios to that. Then the Redis memory per open
// ticket (MEMORY USAGE of the ticket hash, the customer pointer and the thread index;
// transcript, links and dedupe markers apart, per message) against the 1 KB target, and
// bare-relay -mode fill's bytes per bare ticket.
//
// With -one-sender (the default) the same alternation runs again at 1 sender, on at most 100
// customers, and the p99 ratio there is held to the same target. -platform mattermost runs the
// Mattermost path instead (mattermost.go): WebSocket posted events in, REST out, on the fake
// server of internal/mattermost/mattermosttest, with its own figures and no bound.
//
// Every message must be relayed exactly once: a message lost or relayed twice makes loadrun
// exit 1. A missed performance target only prints a "TARGET MISSED" line, since the machines
// are shared and noisy.
//
// Flags:
//
//	-d 5s            length of the measured window of each relay round, and of bare-relay's -d
//	-rounds 3        rounds; each runs bare-relay and the relay once, in alternating order
//	-c 64            concurrent senders (and bare-relay's -c)
//	-customers 2000  customers, hence open tickets
//	-warmup 1s       unmeasured load after the tickets are open
//	-shards 32       QUEUE_SHARDS of the relay
//	-drain 2m        how long to wait for the backlog to drain before failing
//	-memsample 500   open tickets (and links, markers) sampled for MEMORY USAGE
//	-bare DIR        bare-relay's source, built with go build (default ../shared/perf/bare-relay)
//	-bare-bin FILE   a prebuilt bare-relay instead
//	-single          also run bare-relay -calls 1 (one outbound call), quoted beside the bound (default true)
//	-threadesk FILE  a prebuilt threadesk binary instead of building ./cmd/threadesk
//	-redis-prefix    REDIS_PREFIX of the relay (default td:)
//	-keep            keep the work directory (logs of redis-server and threadesk)
//	-one-sender      also alternate the relay and bare-relay -calls 2 at 1 sender (on at most 100
//	                 customers) and hold the p99 ratio there to its target (default true)
//	-compare FILE    another threadesk binary (say, an earlier build), run right after each relay
//	                 round on the same load, and printed beside it: a paired comparison
//	-platform slack  slack: the Events API path above. mattermost: WebSocket "posted" events in,
//	                 REST out, on the fake server of internal/mattermost/mattermosttest (see
//	                 mattermost.go); each sender sends its next post once the copy of its last
//	                 one arrived; no bound, the relay's own msg/s, latency and CPU per message
//	-profile FILE    write threadesk's CPU profile (pprof) of each round's measured window to
//	                 FILE-roundN.pprof; threadesk then serves Go's profiler on PPROF_ADDR
//
// With -scale N it runs the scale run instead (scripts/scale; scale.go): N tickets of history
// loaded through the store's Apply into a private redis-server, then Redis memory per open and
// closed ticket and per message, a one-short-message ticket in all, the read-only slash
// commands' answer times (in process, as the app answers them) and the threadesk binary's
// start-up time and resident memory on that history. Its own flags:
//
//	-scale N         tickets loaded (scripts/scale: 100000)
//	-messages 20     messages per ticket, alternately the customer's and an agent's
//	-closed 0.9      share of the tickets closed
//	-writers 8       goroutines writing tickets
//	-onemsg 2000     one-short-message tickets added after the load, measured in all
//	-runs 5          runs of each slash command timed
//	-short           every message the same short text (-messages 1 -closed 0 -short: a store
//	                 of one-short-message tickets, measured in all as issue 13 did)
//	-intset 0        CONFIG SET set-max-intset-entries to this first (0: the default, 512)
//
// and -memsample (tickets of each kind sampled for MEMORY USAGE), -threadesk and -keep as above.
//
// It must run from the repository root (scripts/load sees to that).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

type options struct {
	dur, warmup, drain time.Duration
	rounds, conc       int
	customers, shards  int
	memSample          int
	bareDir, bareBin   string
	single             bool
	relayBin           string
	prefix             string
	keep               bool
	profile            string // file name stem of the relay's CPU profiles; "" for none
	platform           string // slack or mattermost
	oneSender          bool   // also run the rounds at 1 sender (the p99 target holds there too)
	compareBin         string // another threadesk binary run right after each relay round
}

func main() {
	var o options
	flag.DurationVar(&o.dur, "d", 5*time.Second, "measured window per round (and bare-relay's -d)")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds, each running bare-relay and the relay once")
	flag.IntVar(&o.conc, "c", 64, "concurrent senders (and bare-relay's -c)")
	flag.IntVar(&o.customers, "customers", 2000, "customers, hence open tickets")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load after the tickets are open")
	flag.IntVar(&o.shards, "shards", 32, "QUEUE_SHARDS of the relay")
	flag.DurationVar(&o.drain, "drain", 2*time.Minute, "longest wait for the backlog to drain")
	flag.IntVar(&o.memSample, "memsample", 500, "tickets, links and markers sampled for MEMORY USAGE")
	flag.StringVar(&o.bareDir, "bare", filepath.Join("..", "shared", "perf", "bare-relay"), "bare-relay source directory")
	flag.StringVar(&o.bareBin, "bare-bin", "", "prebuilt bare-relay binary (skips the build)")
	flag.BoolVar(&o.single, "single", true, "also run bare-relay -calls 1 (one outbound call per message), quoted beside the bound (-calls 2)")
	flag.StringVar(&o.relayBin, "threadesk", "", "prebuilt threadesk binary (skips the build)")
	flag.StringVar(&o.prefix, "redis-prefix", "td:", "REDIS_PREFIX of the relay")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory with the logs")
	flag.BoolVar(&o.oneSender, "one-sender", true, "also alternate the relay and the bound at 1 sender (100 customers) and hold the p99 ratio there to its target")
	flag.StringVar(&o.compareBin, "compare", "", "another threadesk binary (an earlier build) run right after each relay round, for a paired comparison")
	flag.StringVar(&o.platform, "platform", "slack", "slack (Events API over HTTP, held to bare-relay) or mattermost (WebSocket posted events in, REST out, on the fake server of internal/mattermost/mattermosttest; no bound)")
	flag.StringVar(&o.profile, "profile", "", "write threadesk's CPU profile of each round's measured window to FILE-roundN.pprof (threadesk runs with PPROF_ADDR)")
	var so scaleOptions
	flag.IntVar(&so.tickets, "scale", 0, "the scale run instead (scripts/scale): load this many tickets and measure (scale.go)")
	flag.IntVar(&so.messages, "messages", 20, "scale run: messages per ticket")
	flag.Float64Var(&so.closed, "closed", 0.9, "scale run: share of the tickets closed")
	flag.IntVar(&so.writers, "writers", 8, "scale run: goroutines writing tickets")
	flag.IntVar(&so.oneMsg, "onemsg", 2000, "scale run: one-short-message tickets added after the load")
	flag.IntVar(&so.runs, "runs", 5, "scale run: runs of each slash command timed")
	flag.IntVar(&so.intset, "intset", 0, "scale run: CONFIG SET set-max-intset-entries to this before loading (0: the server's default, 512)")
	flag.BoolVar(&so.short, "short", false, "scale run: every message is one short text (with -messages 1 -closed 0: a store of one-short-message tickets)")
	flag.Parse()
	if so.tickets > 0 {
		so.sample, so.relayBin, so.keep = o.memSample, o.relayBin, o.keep
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		_, err := runScale(ctx, so, os.Stdout)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadrun:", err)
			os.Exit(1)
		}
		return
	}
	if o.customers < o.conc {
		fmt.Fprintln(os.Stderr, "loadrun: -customers must be at least -c")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch o.platform {
	case "slack":
		err = run(ctx, o)
	case "mattermost":
		err = runMattermost(ctx, o)
	default:
		fmt.Fprintln(os.Stderr, "loadrun: -platform is slack or mattermost")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadrun:", err)
		os.Exit(1)
	}
}

// relayRound is what one round of the relay measured.
type relayRound struct {
	window
	calls map[string]int64 // Web API calls of the measured window
	cmds  map[string]int64 // Redis commands of the measured window (INFO commandstats)
	// drainRate is the relay's delivery rate once the senders stopped: copies that arrived
	// after the window, per second until the last one.
	drainRate float64
	// CPU time per relayed message of the measured window and its drain.
	relayCPU, redisCPU, loadCPU time.Duration // loadCPU: this program's senders and mock
}

func run(ctx context.Context, o options) (err error) {
	dir, cleanup, err := workDir("threadesk-load-", o.keep, os.Stdout)
	if err != nil {
		return err
	}
	defer cleanup(&err)

	start := time.Now()
	fmt.Printf("loadrun %s: %d rounds, -c %d, -d %v, %d customers, %d shards, GOMAXPROCS %d, %d CPUs\n",
		start.Format(time.RFC3339), o.rounds, o.conc, o.dur, o.customers, o.shards, runtime.GOMAXPROCS(0), runtime.NumCPU())
	if o.relayBin, err = threadeskBinary(ctx, o.relayBin, dir); err != nil {
		return err
	}
	src, err := filepath.Abs(o.bareDir)
	if err != nil {
		return err
	}
	if o.bareBin == "" {
		o.bareBin = filepath.Join(dir, "bare-relay")
		if err := goBuild(ctx, src, ".", o.bareBin); err != nil {
			return err
		}
	}

	rs, addr, err := startRedis(ctx, dir)
	if err != nil {
		return err
	}
	defer rs.stop(5 * time.Second)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	mock, err := startMockSlack()
	if err != nil {
		return err
	}
	defer mock.close()
	fmt.Printf("redis-server %s (--save '' --appendonly no), mock Slack Web API %s, no per-channel pacing (SLACK_POST_RATE=%s: the mock has no rate limit)\n\n",
		addr, mock.url, unpacedRate)

	var (
		relays   []relayRound
		compares []relayRound // the -compare binary, each right after the relay's round
		bares    []bareResult // the bound: bare-relay -calls 2 (the copy and the delivery mark)
		singles  []bareResult // bare-relay -calls 1, for comparison
		mem      memory
	)
	for round := 1; round <= o.rounds; round++ {
		relayFirst := round%2 == 1
		for step := range 2 {
			if (step == 0) == relayFirst {
				last := round == o.rounds
				r, m, err := runRelayRound(ctx, o, round, dir, rs, addr, rdb, mock, last)
				if err != nil {
					return fmt.Errorf("round %d, relay: %w", round, err)
				}
				relays = append(relays, r)
				if last {
					mem = m
				}
				if o.compareBin != "" {
					oc := o
					oc.relayBin, oc.profile = o.compareBin, ""
					c, _, err := runRelayRound(ctx, oc, 200+round, dir, rs, addr, rdb, mock, false)
					if err != nil {
						return fmt.Errorf("round %d, -compare binary: %w", round, err)
					}
					compares = append(compares, c)
					fmt.Printf("round %d -compare binary: delivered %.0f msg/s, p50 %v, p99 %v; CPU per message: threadesk %v, redis-server %v\n",
						round, c.deliverRate(), c.p50.Round(10*time.Microsecond), c.p99.Round(10*time.Microsecond), c.relayCPU.Round(time.Microsecond), c.redisCPU.Round(time.Microsecond))
				}
				fmt.Printf("round %d relay: accepted %.0f msg/s, delivered %.0f msg/s (%.0f msg/s once the senders stopped), p50 %v, p99 %v (%d messages); CPU per message: threadesk %v, redis-server %v, loadrun (load and mock) %v\n",
					round, r.acceptRate(), r.deliverRate(), r.drainRate, r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.delivered,
					r.relayCPU.Round(time.Microsecond), r.redisCPU.Round(time.Microsecond), r.loadCPU.Round(time.Microsecond))
				continue
			}
			b, err := runBareRound(ctx, o, round, 2, rs, addr, rdb)
			if err != nil {
				return err
			}
			bares = append(bares, b)
			if o.single {
				b, err := runBareRound(ctx, o, round, 1, rs, addr, rdb)
				if err != nil {
					return err
				}
				singles = append(singles, b)
			}
		}
	}

	// The p99 target holds at 1 sender too: the same alternation with one sender, on fewer
	// customers (opening 2,000 tickets one at a time would take most of the run).
	var lone []relayRound
	var loneBares []bareResult
	if o.oneSender {
		o1 := o
		o1.conc, o1.customers = 1, min(o.customers, 100)
		for round := 1; round <= o.rounds; round++ {
			relayFirst := round%2 == 1
			for step := range 2 {
				if (step == 0) == relayFirst {
					r, _, err := runRelayRound(ctx, o1, 100+round, dir, rs, addr, rdb, mock, false)
					if err != nil {
						return fmt.Errorf("round %d at 1 sender, relay: %w", round, err)
					}
					lone = append(lone, r)
					fmt.Printf("round %d relay at 1 sender: %.0f msg/s, p50 %v, p99 %v (%d messages); CPU per message: threadesk %v\n",
						round, r.deliverRate(), r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.delivered, r.relayCPU.Round(time.Microsecond))
					continue
				}
				b, err := runBareRound(ctx, o1, round, 2, rs, addr, rdb)
				if err != nil {
					return err
				}
				loneBares = append(loneBares, b)
			}
		}
	}

	// bare-relay -mode fill empties the database: it runs last.
	out, _, err := runBare(ctx, o.bareBin, addr, "-mode", "fill")
	if err != nil {
		return err
	}
	fill := parseFill(out)

	report(o, relays, bares, singles, mem, fill)
	if len(lone) > 0 {
		reportOneSender(lone, loneBares)
	}
	if len(compares) == len(relays) && len(compares) > 0 {
		reportCompare(relays, compares)
	}
	fmt.Printf("\ntotal %v\n", time.Since(start).Round(time.Second))
	return nil
}

// runBareRound runs one bare-relay -mode relay -calls calls on an emptied Redis and prints its
// result.
func runBareRound(ctx context.Context, o options, round, calls int, rs *child, addr string, rdb *redis.Client) (bareResult, error) {
	name := fmt.Sprintf("bare -calls %d", calls)
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		return bareResult{}, fmt.Errorf("FLUSHALL: %w", err)
	}
	rcpu0 := cpuTime(rs.cmd.Process.Pid)
	out, cpu, err := runBare(ctx, o.bareBin, addr, "-mode", "relay", "-calls", fmt.Sprint(calls), "-c", fmt.Sprint(o.conc), "-d", o.dur.String())
	if err != nil {
		return bareResult{}, err
	}
	b, err := parseBare(out)
	if err != nil {
		return bareResult{}, err
	}
	fmt.Printf("round %d %s: %s\n", round, name, b.line)
	if b.ops > 0 {
		// Its warm-up (0.5 s) is in the CPU time but not in ops: an upper bound.
		fmt.Printf("round %d %s: CPU per message (warm-up included): bare-relay %v (load, app and mock), redis-server %v\n", round, name,
			(cpu / time.Duration(b.ops)).Round(time.Microsecond), ((cpuTime(rs.cmd.Process.Pid) - rcpu0) / time.Duration(b.ops)).Round(time.Microsecond))
	}
	return b, nil
}

// runRelayRound runs one round of the relay on an emptied Redis and checks that every message
// was relayed exactly once. With measureMem it also measures Redis memory before stopping.
func runRelayRound(ctx context.Context, o options, round int, dir string, rs *child, addr string, rdb *redis.Client, mock *mockSlack, measureMem bool) (relayRound, memory, error) {
	var mem memory
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		return relayRound{}, mem, fmt.Errorf("FLUSHALL: %w", err)
	}
	// Room for the opening messages and for the windows at up to 100k msg/s.
	capacity := o.customers + int((o.warmup+o.dur).Seconds()*100_000) + 1000
	t := newTracker(capacity)
	mock.track.Store(t)
	defer mock.track.Store(nil)

	extra := []string{"REDIS_PREFIX=" + o.prefix}
	pprofAddr := ""
	if o.profile != "" {
		port, err := freePort()
		if err != nil {
			return relayRound{}, mem, err
		}
		pprofAddr = "127.0.0.1:" + strconv.Itoa(port)
		extra = append(extra, "PPROF_ADDR="+pprofAddr)
	}
	proc, base, err := startRelay(ctx, o.relayBin, dir, round, slackEnv(mock.url), addr, o.shards, extra...)
	if err != nil {
		return relayRound{}, mem, err
	}
	defer proc.stop(30 * time.Second)
	g := newLoadGen(base+"/slack/events", o.conc, o.customers, t)

	// Open every ticket, then warm up.
	g.phase(ctx, true, time.Time{})
	if err := g.drain(ctx, o.drain); err != nil {
		return relayRound{}, mem, fmt.Errorf("opening tickets: %w", err)
	}
	g.phase(ctx, false, time.Now().Add(o.warmup))
	if err := g.drain(ctx, o.drain); err != nil {
		return relayRound{}, mem, fmt.Errorf("warm-up: %w", err)
	}
	mock.takeCalls()
	if err := rdb.ConfigResetStat(ctx).Err(); err != nil {
		return relayRound{}, mem, fmt.Errorf("CONFIG RESETSTAT: %w", err)
	}

	from := int(t.next.Load())
	startAt := t.now()
	cpu0, rcpu0, lcpu0 := cpuTime(proc.cmd.Process.Pid), cpuTime(rs.cmd.Process.Pid), cpuTime(os.Getpid())
	profiled := make(chan error, 1)
	if pprofAddr != "" {
		go func() { profiled <- fetchProfile(ctx, pprofAddr, o.dur, profileFile(o.profile, round)) }()
	} else {
		profiled <- nil
	}
	accepted, took := g.phase(ctx, false, time.Now().Add(o.dur))
	to := min(int(t.next.Load()), capacity)
	stoppedAt, deliveredAtStop := t.now(), t.delivered.Load()
	if err := g.drain(ctx, o.drain); err != nil {
		return relayRound{}, mem, fmt.Errorf("measured window: %w", err)
	}
	cpu1, rcpu1, lcpu1 := cpuTime(proc.cmd.Process.Pid), cpuTime(rs.cmd.Process.Pid), cpuTime(os.Getpid())
	if err := <-profiled; err != nil {
		fmt.Printf("round %d: no CPU profile: %v\n", round, err)
	} else if pprofAddr != "" {
		fmt.Printf("round %d: CPU profile of threadesk's measured window in %s (go tool pprof -top %s)\n", round, profileFile(o.profile, round), profileFile(o.profile, round))
	}
	time.Sleep(200 * time.Millisecond) // a late duplicate would show up now
	var r relayRound
	r.accepted, r.took = accepted, took
	r.delivered, r.deliverSpan, r.p50, r.p99 = t.measure(from, to, startAt)
	if rest := t.delivered.Load() - deliveredAtStop; rest > 0 && r.deliverSpan > time.Duration(stoppedAt-startAt) {
		r.drainRate = float64(rest) / (r.deliverSpan - time.Duration(stoppedAt-startAt)).Seconds()
	}
	if r.delivered > 0 {
		r.relayCPU = (cpu1 - cpu0) / time.Duration(r.delivered)
		r.redisCPU = (rcpu1 - rcpu0) / time.Duration(r.delivered)
		r.loadCPU = (lcpu1 - lcpu0) / time.Duration(r.delivered)
	}
	r.calls = mock.takeCalls()
	if r.cmds, err = commandStats(ctx, rdb); err != nil {
		return r, mem, err
	}

	if g.full.Load() {
		fmt.Printf("round %d: the senders ran out of sequence numbers (%d); the window was cut short\n", round, capacity)
	}
	if n := g.failed.Load(); n > 0 {
		fmt.Printf("round %d: %d events not accepted (first: %s)\n", round, n, g.firstErr)
	}
	a := t.audit()
	if a.unmarked > 0 || a.remarked > 0 {
		fmt.Printf("round %d: delivery marks: %d missing, %d set more than once\n", round, a.unmarked, a.remarked)
	}
	if n := t.stray.Load(); n > 0 {
		fmt.Printf("round %d: %d relayed texts or marks named no message of this run\n", round, n)
	}
	if a.lost > 0 || a.duplicated > 0 {
		return r, mem, fmt.Errorf("EXACTLY-ONCE VIOLATED: of %d accepted messages %d were lost (e.g. %v) and %d relayed more than once (e.g. %v)",
			a.accepted, a.lost, a.lostExamples, a.duplicated, a.dupExamples)
	}
	fmt.Printf("round %d: exactly once: %d messages sent, %d accepted, each relayed once\n", round, a.sent, a.accepted)
	if done, err := proc.exited(); done {
		return r, mem, fmt.Errorf("threadesk exited during the run (%v):\n%s", err, proc.tail(20))
	}
	if measureMem {
		if mem, err = measureMemory(ctx, addr, o.prefix, o.memSample); err != nil {
			return r, mem, err
		}
	}
	if err := proc.stop(30 * time.Second); err != nil && !isSignalExit(err) {
		return r, mem, fmt.Errorf("stop threadesk: %w\n%s", err, proc.tail(20))
	}
	return r, mem, nil
}

// isSignalExit reports whether err is only the exit status of a process we asked to stop.
func isSignalExit(err error) bool {
	var ee interface{ ExitCode() int }
	return errors.As(err, &ee) && ee.ExitCode() == -1
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// report prints the table, the ratios against the targets, and the memory figures.
func report(o options, relays []relayRound, bares, singles []bareResult, mem memory, fill map[int]float64) {
	fmt.Printf("\n== Throughput and added latency, -c %d, -d %v (relay: %d customers, %d shards)\n", o.conc, o.dur, o.customers, o.shards)
	fmt.Printf("%-7s %12s %12s %9s %9s | %10s %9s %9s | %9s %9s\n",
		"round", "relay msg/s", "accepted/s", "p50 ms", "p99 ms", "bound msg/s", "p50 ms", "p99 ms", "msg/s ×", "p99 ×")
	var rr, ra, rp50, rp99, br, bp50, bp99 []float64
	for i := range relays {
		r, b := relays[i], bares[i]
		rr, ra = append(rr, r.deliverRate()), append(ra, r.acceptRate())
		rp50, rp99 = append(rp50, ms(r.p50)), append(rp99, ms(r.p99))
		br, bp50, bp99 = append(br, b.rate), append(bp50, ms(b.p50)), append(bp99, ms(b.p99))
		fmt.Printf("%-7d %12.0f %12.0f %9.2f %9.2f | %10.0f %9.2f %9.2f | %9.2f %9.2f\n",
			i+1, rr[i], ra[i], rp50[i], rp99[i], br[i], bp50[i], bp99[i], rr[i]/br[i], rp99[i]/bp99[i])
	}
	mr, mb, mrp, mbp := median(rr), median(br), median(rp99), median(bp99)
	fmt.Printf("%-7s %12.0f %12.0f %9.2f %9.2f | %10.0f %9.2f %9.2f | %9.2f %9.2f\n",
		"median", mr, median(ra), median(rp50), mrp, mb, median(bp50), mbp, mr/mb, mrp/mbp)
	fmt.Println("relay msg/s = relayed copies at the mock per second (first send to last copy); latency = event sent → copy at the mock.")
	fmt.Println("bound = ../shared/perf/bare-relay -mode relay -calls 2, its latency = request sent → 200 after its one Redis MULTI and two outbound POSTs (the copy and the delivery mark the relay must make).")
	if len(relays) > 0 {
		last := relays[len(relays)-1]
		fmt.Println("Web API calls per message in the measured window:", formatCalls(last.calls, last.delivered))
		fmt.Println("Redis commands per message in the measured window (commands inside scripts and MULTI count too):", formatCalls(last.cmds, last.delivered))
	}
	verdict("throughput: relay / bound msg/s", mr/mb, ">=", 0.7)
	verdict("p99 latency: relay / bound p99", mrp/mbp, "<=", 2)
	if len(singles) == len(relays) && len(singles) > 0 {
		var kr, kp99 []float64
		for _, b := range singles {
			kr, kp99 = append(kr, b.rate), append(kp99, ms(b.p99))
		}
		mk, mkp := median(kr), median(kp99)
		fmt.Printf("\nFor comparison, bare-relay -calls 1 (one outbound call per message): median %.0f msg/s, p99 %.2f ms;\n", mk, mkp)
		fmt.Printf("relay / that: msg/s × %.2f, p99 × %.2f (the targets are held to -calls 2, above).\n", mr/mk, mrp/mkp)
	}

	fmt.Printf("\n== Redis memory (MEMORY USAGE, last round, %d open tickets sampled, %d transcript entries)\n", mem.tickets, mem.entries)
	fmt.Printf("per open ticket: %.0f bytes = ticket hash %.0f + customer pointer %.0f + thread index %.0f\n",
		mem.perTicket, mem.hash, mem.cust, mem.thread)
	fmt.Printf("per message:     transcript entry %.0f bytes (tx:<n>, %s), link %.0f bytes (%d sampled), dedupe marker %.0f bytes (seen:…, %d sampled, expires after 72h)\n",
		mem.transcript, mem.transcriptFmt, mem.link, mem.linkN, mem.seen, mem.seenN)
	if mem.handledN > 0 {
		fmt.Printf("                 and, apart from the marker (the shard's, on a Cluster), its handled mark %.0f bytes (seen:…, %d sampled, expires after 72h)\n", mem.handled, mem.handledN)
	}
	fmt.Printf("used_memory after the last round: %d bytes\n", mem.usedMemory)
	if v, ok := fill[0]; ok {
		fmt.Printf("bare-relay -mode fill: %.0f bytes per bare ticket (hash + 2 pointers)", v)
		if v10, ok := fill[10]; ok {
			fmt.Printf(", %.0f with 10 transcript messages", v10)
		}
		fmt.Println()
	}
	verdict("memory: bytes per open ticket, transcript apart", mem.perTicket, "<=", 1024)
}

// reportCompare prints the relay beside the -compare binary, round by round.
func reportCompare(relays, compares []relayRound) {
	fmt.Printf("\n== This binary beside the -compare binary (each round: this one, then that one)\n")
	fmt.Printf("%-7s %10s %10s %8s | %8s %8s | %10s %10s | %9s %9s\n", "round", "msg/s", "compare", "×", "p99 ms", "compare", "CPU µs", "compare", "redis µs", "compare")
	var x, cpu, ccpu []float64
	for i := range relays {
		r, c := relays[i], compares[i]
		x = append(x, r.deliverRate()/c.deliverRate())
		cpu, ccpu = append(cpu, float64(r.relayCPU.Microseconds())), append(ccpu, float64(c.relayCPU.Microseconds()))
		fmt.Printf("%-7d %10.0f %10.0f %8.2f | %8.1f %8.1f | %10d %10d | %9d %9d\n", i+1, r.deliverRate(), c.deliverRate(), x[i],
			ms(r.p99), ms(c.p99), r.relayCPU.Microseconds(), c.relayCPU.Microseconds(), r.redisCPU.Microseconds(), c.redisCPU.Microseconds())
	}
	fmt.Printf("median: msg/s × %.2f; threadesk CPU per message %.0f µs against %.0f µs\n", median(x), median(cpu), median(ccpu))
}

// reportOneSender prints the rounds at 1 sender and holds the p99 ratio to its target.
func reportOneSender(relays []relayRound, bares []bareResult) {
	fmt.Printf("\n== Added latency at 1 sender (relay: %d customers)\n", 100)
	fmt.Printf("%-7s %12s %9s %9s | %10s %9s %9s | %9s\n", "round", "relay msg/s", "p50 ms", "p99 ms", "bound msg/s", "p50 ms", "p99 ms", "p99 ×")
	var rp50, rp99, br, bp50, bp99, rr []float64
	for i := range relays {
		r, b := relays[i], bares[i]
		rr, rp50, rp99 = append(rr, r.deliverRate()), append(rp50, ms(r.p50)), append(rp99, ms(r.p99))
		br, bp50, bp99 = append(br, b.rate), append(bp50, ms(b.p50)), append(bp99, ms(b.p99))
		fmt.Printf("%-7d %12.0f %9.2f %9.2f | %10.0f %9.2f %9.2f | %9.2f\n", i+1, rr[i], rp50[i], rp99[i], br[i], bp50[i], bp99[i], rp99[i]/bp99[i])
	}
	fmt.Printf("%-7s %12.0f %9.2f %9.2f | %10.0f %9.2f %9.2f | %9.2f\n", "median", median(rr), median(rp50), median(rp99), median(br), median(bp50), median(bp99), median(rp99)/median(bp99))
	verdict("p99 latency at 1 sender: relay / bound p99", median(rp99)/median(bp99), "<=", 2)
}

func verdict(what string, got float64, op string, target float64) {
	met := (op == ">=" && got >= target) || (op == "<=" && got <= target)
	if met {
		fmt.Printf("target met:    %s = %.2f (target %s %g)\n", what, got, op, target)
		return
	}
	fmt.Printf("TARGET MISSED: %s = %.2f (target %s %g)\n", what, got, op, target)
}

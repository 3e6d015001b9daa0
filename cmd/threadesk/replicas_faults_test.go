package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/redisstore"
	"github.com/threadesk/threadesk/internal/redistest"
	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

// TestReplicasUnderFaults runs three replicas of the binary against the Slack fake on each kind
// of Redis (one server, Sentinel, a 3-master Cluster) while six customers write, through the
// replicas in turn, as Slack does (retrying what is not answered 200), and midway brings a
// fault: a replica killed with SIGKILL, a replica frozen (SIGSTOP) past its lease and let go on
// after its shards were taken over, Redis killed and started again, a Sentinel failover, the
// Cluster slots of the installation and of a queue shard moved to another master, the
// Cluster master of the installation killed and its replica promoted. On the
// Cluster every master must hold keys of the installation: the queue shards' keys spread.
// For each it prints what issue 15 asks to be shown — messages sent, acknowledged, relayed
// once, doubled, lost, out of order, and the time the dead replica's shards took to be taken
// over — and fails unless every acknowledged message was relayed once and in order.
// scripts/faults runs it alone and prints the table.
func TestReplicasUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("three replicas on three kinds of Redis")
	}
	t.Parallel()
	bin := buildBinary(t)
	type backend struct {
		url   string
		fault func(prefix string) // besides the replica killed, if any
	}
	cases := []struct {
		name  string
		start func(t *testing.T) backend
		kill  replicaFault
	}{
		{"one server, a replica killed", func(t *testing.T) backend {
			return backend{url: "redis://" + redistest.StartServer(t).Addr}
		}, replicaKilled},
		{"one server, a replica frozen past its lease", func(t *testing.T) backend {
			return backend{url: "redis://" + redistest.StartServer(t).Addr}
		}, replicaFrozen},
		{"one server, Redis restarted", func(t *testing.T) backend {
			s := redistest.StartServer(t)
			return backend{url: "redis://" + s.Addr, fault: func(string) { s.Kill(); time.Sleep(time.Second); s.Restart(t) }}
		}, replicaKept},
		{"Sentinel, failed over, a replica killed", func(t *testing.T) backend {
			s := redistest.StartSentinel(t, 1)
			return backend{url: s.URL(), fault: func(string) { s.Failover(t) }}
		}, replicaKilled},
		{"Cluster: its slots moved, a replica killed", func(t *testing.T) backend {
			c := redistest.StartCluster(t)
			return backend{url: c.URL(), fault: func(prefix string) {
				c.MigrateSlot(t, prefix+"x", 20*time.Millisecond)
				c.MigrateSlot(t, strings.Replace(prefix, "}", "/ix}", 1)+"x", 20*time.Millisecond) // the index slot's
				c.MigrateSlot(t, redisstore.LeaseKey(prefix, 0), 20*time.Millisecond)
			}}
		}, replicaKilled},
		{"Cluster master failed over, a replica killed", func(t *testing.T) backend {
			// The installation's master gets a replica mid-burst, then dies: the Cluster
			// promotes the replica, with every write the app was told was made.
			c := redistest.StartCluster(t)
			return backend{url: c.URL(), fault: func(prefix string) {
				c.FailOver(t, prefix+"x", c.AddReplica(t, prefix+"x"))
			}}
		}, replicaKilled},
	}
	var mu sync.Mutex
	var lines []string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.start(t)
			f := replicasBurst(t, bin, b.url, b.fault, c.kill)
			mu.Lock()
			lines = append(lines, fmt.Sprintf("%-44s %5d %5d %5d %5d %5d %5d %9s", c.name, f.sent, f.acknowledged, f.once, f.doubled, f.lost, f.outOfOrder, f.takeover))
			mu.Unlock()
			if f.doubled+f.lost+f.outOfOrder > 0 || f.once != f.acknowledged {
				t.Errorf("%+v: want every acknowledged message relayed once, in order", f)
			}
		})
	}
	t.Logf("three replicas, six customers, Slack retrying what is not answered 200:\n%-44s %5s %5s %5s %5s %5s %5s %9s\n%s",
		"", "sent", "ack", "once", "twice", "lost", "order", "takeover", strings.Join(lines, "\n"))
}

// leaseHolders counts the 32 queue shards by the replica holding each ("" none, "?" unknown:
// Redis did not answer).
func leaseHolders(rdb redis.Cmdable, prefix string) map[string]int {
	count := map[string]int{}
	for i := range 32 {
		h, err := rdb.Get(context.Background(), redisstore.LeaseKey(prefix, i)).Result()
		if err != nil && err != redis.Nil {
			h = "?"
		}
		count[h]++
	}
	return count
}

// replicaFault is what happens to the second replica midway through replicasBurst.
type replicaFault int

const (
	replicaKept   replicaFault = iota
	replicaKilled              // SIGKILL
	// replicaFrozen: SIGSTOP for three leases, then SIGCONT, as a paused VM: its shards are
	// taken over meanwhile, and the events it had in hand must not be posted again by it.
	replicaFrozen
)

// burstFigures are what replicasBurst counts.
type burstFigures struct {
	sent, acknowledged, once, doubled, lost, outOfOrder int
	takeover                                            string
}

// replicasBurst runs three replicas on redisURL; six customers write eight messages each
// through them in turn; after the third round fault is brought (if any) and the second replica
// killed or frozen, as kill says. It returns the figures once every acknowledged message
// is relayed, or after two minutes.
func replicasBurst(t *testing.T, bin, redisURL string, fault func(prefix string), kill replicaFault) burstFigures {
	const rounds = 8
	fake := slackWorkspace(t, 6)
	fake.SetPostLimit(15, 5) // Slack is slow: the replicas have events in hand at the fault
	base := newSlackBinary(t, bin, fake)
	// The installation's slot on a Cluster, and a slot of each queue shard's own.
	tag := "rf" + strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	prefix := "{" + tag + "}:"
	var reps []*slackBinary
	for i := range 3 {
		port, err := redistest.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		r := *base
		r.addr = "127.0.0.1:" + strconv.Itoa(port)
		r.env = append(append([]string(nil), base.env...), "HTTP_ADDR="+r.addr, "REDIS_URL="+redisURL, "REDIS_PREFIX="+prefix,
			"INSTANCE_NAME=replica-"+strconv.Itoa(i+1), "SHARD_LEASE=2s")
		reps = append(reps, &r)
	}
	procs := make([]*exec.Cmd, len(reps))
	for i, r := range reps {
		procs[i] = r.start()
	}
	target, err := redisstore.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := target.NewClient()
	t.Cleanup(func() { _ = rdb.Close() })
	holders := func() map[string]int { return leaseHolders(rdb, prefix) }
	slackEventually(t, "the shards spread over three replicas", func() (bool, string) {
		c := holders()
		return c["replica-1"] >= 8 && c["replica-2"] >= 8 && c["replica-3"] >= 8, fmt.Sprint(c)
	})

	customers := slackCustomers(6)
	var f burstFigures
	written := map[string][]string{}
	dead := -1
	send := func(round int) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i, cust := range customers {
			wg.Go(func() {
				n := (round + i) % len(reps)
				if n == dead {
					n = (n + 1) % len(reps)
				}
				text := fmt.Sprintf("faults %s message %02d", cust.Name, round)
				m := fake.UserMessage(slackDM(cust), cust.ID, text, "")
				d := slackDelivery{addr: reps[n].addr, body: fake.MessageEvent(fmt.Sprintf("EvRF%s%02d", cust.ID, round), m, "im")}
				mu.Lock()
				f.sent++
				mu.Unlock()
				// Slack retries an event until it is answered 200, here for up to a minute.
				for try := 0; try < 300; try++ {
					if status, _ := d.attempt(t, try); status == http.StatusOK {
						mu.Lock()
						f.acknowledged++
						written[cust.ID] = append(written[cust.ID], text)
						mu.Unlock()
						return
					}
					time.Sleep(200 * time.Millisecond)
				}
			})
		}
		wg.Wait()
	}
	for round := range 3 {
		send(round)
	}
	faulted := time.Now()
	faultDone := make(chan struct{})
	if fault != nil {
		// Beside the replica's death; the burst waits for it before it ends, so that a fault
		// that fails does so while the test runs.
		go func() {
			defer close(faultDone)
			fault(prefix)
		}()
	} else {
		close(faultDone)
	}
	tookOver := make(chan time.Duration, 1)
	if kill != replicaKept {
		dead = 1
		if kill == replicaKilled {
			if err := procs[dead].Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_, _ = procs[dead].Process.Wait()
		} else {
			if err := procs[dead].Process.Signal(syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			go func() {
				time.Sleep(6 * time.Second) // three leases
				_ = procs[dead].Process.Signal(syscall.SIGCONT)
			}()
		}
		go func() {
			for time.Since(faulted) < time.Minute {
				if c := holders(); c["replica-2"] == 0 && c["replica-1"]+c["replica-3"] == 32 {
					tookOver <- time.Since(faulted)
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			close(tookOver)
		}()
	} else {
		close(tookOver)
	}
	for round := 3; round < rounds; round++ {
		send(round)
	}
	<-faultDone
	f.takeover = "-"
	if kill != replicaKept {
		if d, ok := <-tookOver; ok {
			f.takeover = d.Round(100 * time.Millisecond).String()
		} else {
			f.takeover = "never"
		}
	}

	// What each thread shows, line by line (joined posts cut at their lines, late markers left
	// out), once every acknowledged message is there or a minute has passed.
	threadLines := func(cust slacktest.User) []string {
		return slices.DeleteFunc(slackThreadLines(fake, cust), func(line string) bool { return !strings.HasPrefix(line, "faults ") })
	}
	// After a Sentinel failover nothing is written until the new master has a replica, and
	// the retries of what waited back off to 30 s apart: two minutes, not one.
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		all := true
		for _, cust := range customers {
			if len(threadLines(cust)) < len(written[cust.ID]) {
				all = false
			}
		}
		if all {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(time.Second) // anything posted twice has had time to show
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		var mu sync.Mutex
		held, transcripts, links := map[string]int{}, map[string]int{}, map[string]int{}
		err := cc.ForEachMaster(context.Background(), func(ctx context.Context, node *redis.Client) error {
			keys, err := node.Keys(ctx, "{"+tag+"*").Result()
			mu.Lock()
			defer mu.Unlock()
			held[node.Options().Addr] = len(keys)
			for _, k := range keys {
				switch {
				case !strings.HasPrefix(k, "{"+tag+"/p"):
				case strings.Contains(k, "}:tx:"):
					transcripts[node.Options().Addr]++
				case strings.Contains(k, "}:link:"):
					links[node.Options().Addr]++
				}
			}
			return err
		})
		t.Logf("keys of the installation by master: %v; tickets' transcripts (in their partitions' slots): %v; messages' links (in their messages' partitions): %v",
			held, transcripts, links)
		if err != nil || len(held) != 3 || slices.Contains(slices.Collect(maps.Values(held)), 0) {
			t.Errorf("keys of the installation by master: %v (%v); want some on each of the three", held, err)
		}
		if n := sumValues(transcripts); n < len(customers) {
			t.Errorf("%d transcripts in the tickets' partitions, want one for each of the %d customers' tickets at least", n, len(customers))
		}
		// A link's partition is its message's: the links of one ticket spread too.
		if n := sumValues(links); n < len(customers) || len(links) < 2 {
			t.Errorf("messages' links by master: %v; want one for each of the %d customers at least, on more than one master", links, len(customers))
		}
	}
	// The queue's indexes agree with the tickets (on a Cluster they are carried into a slot
	// of their own after each step, and that slot moved during the burst).
	st, err := redisstore.New(rdb, redisstore.Options{Prefix: prefix})
	if err != nil {
		t.Fatalf("open the store to check its indexes: %v", err)
	}
	defer st.Close()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		bad := indexMismatches(t, rdb, st, prefix)
		if len(bad) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the queue's indexes disagree with the tickets: %v", bad)
			break
		}
	}
	for _, cust := range customers {
		got := threadLines(cust)
		last := -1
		for _, w := range written[cust.ID] {
			switch n := strings.Count(strings.Join(got, "\n")+"\n", w+"\n"); {
			case n == 0:
				f.lost++
				t.Logf("%s: %q was acknowledged and never relayed; the thread reads:\n%s", cust.ID, w, strings.Join(slackThreadLines(fake, cust), "\n"))
				continue
			case n == 1:
				f.once++
			default:
				f.doubled++
			}
			at := slices.Index(got, w)
			if at < last {
				f.outOfOrder++
				t.Logf("%s: %q came after a later message; the thread reads:\n%s", cust.ID, w, strings.Join(slackThreadLines(fake, cust), "\n"))
			}
			last = max(last, at)
		}
	}
	return f
}

// indexMismatches lists how the status indexes disagree with the tickets: a ticket listed
// under a status it does not have, or tickets in no status's index.
func indexMismatches(t *testing.T, rdb redis.UniversalClient, st *redisstore.Store, prefix string) []string {
	t.Helper()
	ctx := context.Background()
	var bad []string
	total := 0
	for _, status := range desk.Statuses {
		res, err := st.QueryTickets(ctx, desk.TicketQuery{Statuses: []desk.Status{status}, Limit: 500})
		if err != nil {
			return []string{err.Error()}
		}
		for _, tk := range res.Tickets {
			if tk.Status != status {
				bad = append(bad, fmt.Sprintf("ticket %d is %s, listed as %s", tk.ID, tk.Status, status))
			}
		}
		if len(res.Tickets) != min(res.Total, 500) {
			bad = append(bad, fmt.Sprintf("%d tickets listed as %s, %d of them found", res.Total, status, len(res.Tickets)))
		}
		total += res.Total
	}
	n, _ := rdb.Get(ctx, prefix+"seq").Int()
	if total != n {
		bad = append(bad, fmt.Sprintf("%d tickets, %d in the status indexes", n, total))
	}
	for id := 1; id <= n; id++ {
		if _, err := st.Ticket(ctx, desk.TicketID(id)); err != nil {
			bad = append(bad, fmt.Sprintf("ticket %d: %v", id, err))
		}
	}
	return bad
}

// sumValues adds up a map's values.
func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

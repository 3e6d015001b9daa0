package main

import (
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/redistest"
	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

// TestThreeReplicasOneKilled runs three processes of the real binary on one Redis, as three
// replicas behind a load balancer (each its own INSTANCE_NAME, SHARD_LEASE 2s). Six customers
// write six messages each, every message through the next replica in turn; halfway, while
// Slack is slow and the replicas have events in hand, one replica is killed with SIGKILL and
// the rest of the traffic goes to the other two. Every acknowledged message reaches its
// ticket's thread exactly once and in the order written, each customer gets one "opened
// ticket", and the dead replica's shards are taken over.
func TestThreeReplicasOneKilled(t *testing.T) {
	bin := buildBinary(t)
	fake := slackWorkspace(t, 6)
	fake.SetPostLimit(15, 5) // Slack is slow: the replicas are still working when one dies
	base := newSlackBinary(t, bin, fake)
	var reps []*slackBinary
	for i := range 3 {
		port, err := redistest.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		b := *base
		b.addr = "127.0.0.1:" + strconv.Itoa(port)
		b.env = append(append([]string(nil), base.env...), "HTTP_ADDR="+b.addr, "INSTANCE_NAME=replica-"+strconv.Itoa(i+1), "SHARD_LEASE=2s")
		reps = append(reps, &b)
	}
	procs := make([]*exec.Cmd, len(reps))
	for i, b := range reps {
		procs[i] = b.start()
	}
	// The replicas spread the 32 shards between them before traffic starts.
	rdb := redistest.Client(t)
	prefix := envValue(base.env, "REDIS_PREFIX")
	holders := func() map[string]int { return leaseHolders(rdb, prefix) }
	slackEventually(t, "the shards spread over three replicas", func() (bool, string) {
		c := holders()
		return c["replica-1"] >= 10 && c["replica-2"] >= 10 && c["replica-3"] >= 10, fmt.Sprint(c)
	})

	customers := slackCustomers(6)
	written := map[string][]string{}
	dead := -1
	send := func(round int) {
		for i, cust := range customers {
			n := (round + i) % len(reps)
			if n == dead {
				n = (n + 1) % len(reps)
			}
			text := fmt.Sprintf("replica %s message %02d", cust.Name, round)
			m := fake.UserMessage(slackDM(cust), cust.ID, text, "")
			r, err := slacktest.NewRequest("http://"+reps[n].addr+"/slack/events", slackSecret,
				fake.MessageEvent(fmt.Sprintf("EvR%s%02d", cust.ID, round), m, "im"), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("%s through replica %d: %v %v", text, n+1, err, resp)
			}
			resp.Body.Close()
			written[cust.ID] = append(written[cust.ID], text)
		}
	}
	for round := range 3 {
		send(round)
	}
	dead = 1
	killed := time.Now()
	if err := procs[dead].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = procs[dead].Process.Wait()
	tookOver := make(chan time.Duration, 1)
	go func() {
		for time.Since(killed) < 30*time.Second {
			if c := holders(); c["replica-2"] == 0 && c["replica-1"]+c["replica-3"] == 32 {
				tookOver <- time.Since(killed)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		close(tookOver)
	}()
	for round := 3; round < 6; round++ {
		send(round)
	}
	takeover, ok := <-tookOver
	if !ok {
		t.Fatalf("the dead replica's shards were not taken over in 30s: %v", holders())
	}
	if takeover > 4*time.Second {
		t.Errorf("the dead replica's shards were taken over after %v, want within SHARD_LEASE (2s) and a round", takeover)
	}
	slackAllRelayed(t, fake, customers, written)
	t.Logf("the shards of the replica killed were taken over within %v (SHARD_LEASE 2s); every message relayed %v after the kill",
		takeover.Round(100*time.Millisecond), time.Since(killed).Round(100*time.Millisecond))
	slackOneAckEach(t, fake, customers)
}

// envValue is the value of a NAME=value entry of env (the last one wins, as in a process).
func envValue(env []string, name string) string {
	v := ""
	for _, e := range env {
		if k, val, ok := strings.Cut(e, "="); ok && k == name {
			v = val
		}
	}
	return v
}

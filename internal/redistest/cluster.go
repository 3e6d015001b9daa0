package redistest

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClusterSetup is a Redis Cluster of three masters without replicas, real redis-server
// processes on loopback that stop when the test ends.
type ClusterSetup struct {
	Nodes []*Server
}

// URL is the REDIS_URL of the cluster, naming every node.
func (c *ClusterSetup) URL() string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr
	}
	return "redis-cluster://" + strings.Join(addrs, ",")
}

// StartCluster starts three cluster-enabled nodes in a directory of the test's own, joins them
// with redis-cli --cluster create (the 16384 slots split between them) and returns once every
// node reports cluster_state:ok.
func StartCluster(t testing.TB) *ClusterSetup {
	t.Helper()
	cli := binary(t, "redis-cli")
	dir := t.TempDir()
	start := time.Now()
	c := &ClusterSetup{}
	for range 3 {
		c.Nodes = append(c.Nodes, startServer(t, dir, "node", true, func(port int) []string {
			return append(dataArgs(dir, port), "--cluster-enabled", "yes",
				"--cluster-config-file", "nodes-"+strconv.Itoa(port)+".conf", "--cluster-node-timeout", "5000")
		}))
	}
	args := []string{"--cluster", "create"}
	for _, n := range c.Nodes {
		args = append(args, n.Addr)
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Logf("cluster nodes %s started in %s", c.URL(), time.Since(start).Round(time.Millisecond))
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	t.Logf("redis-cli --cluster create done at %s", time.Since(start).Round(time.Millisecond))
	for _, n := range c.Nodes {
		rdb := n.Client(t)
		if err := waitFor(15*time.Second, func(ctx context.Context) error {
			info, err := rdb.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:3") {
				return fmt.Errorf("node %s: %s", n.Addr, info)
			}
			return nil
		}); err != nil {
			t.Fatalf("cluster not ready: %v", err)
		}
	}
	t.Logf("cluster ready in %s", time.Since(start).Round(time.Millisecond))
	return c
}

// MigrateSlot moves the hash slot of key from the node that serves it to the next node, as
// `redis-cli --cluster reshard` does, while clients keep working: the slot is marked
// migrating and importing, its keys are moved a few at a time with MIGRATE (pausing between
// batches, so that traffic meets the slot half moved: ASK redirections, and TRYAGAIN for a
// command whose keys are split), then every node is told the new owner. It returns the
// addresses of the nodes the slot moved from and to, and how many keys moved.
func (c *ClusterSetup) MigrateSlot(t testing.TB, key string, pause time.Duration) (from, to string, moved int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	first := c.Nodes[0].Client(t)
	slot, err := first.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		t.Fatalf("CLUSTER KEYSLOT %s: %v", key, err)
	}
	owner, err := c.owner(ctx, t, first, int(slot))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(c.Nodes))
	src := -1
	for i, n := range c.Nodes {
		if ids[i], err = n.Client(t).ClusterMyID(ctx).Result(); err != nil {
			t.Fatalf("CLUSTER MYID on %s: %v", n.Addr, err)
		}
		if ids[i] == owner {
			src = i
		}
	}
	if src < 0 {
		t.Fatalf("slot %d is served by %s, none of the nodes", slot, owner)
	}
	dst := (src + 1) % len(c.Nodes)
	s, d := c.Nodes[src].Client(t), c.Nodes[dst].Client(t)
	setslot := func(rdb *redis.Client, args ...any) {
		if err := rdb.Do(ctx, append([]any{"CLUSTER", "SETSLOT", slot}, args...)...).Err(); err != nil {
			t.Fatalf("CLUSTER SETSLOT %d %v: %v", slot, args, err)
		}
	}
	setslot(d, "IMPORTING", ids[src])
	setslot(s, "MIGRATING", ids[dst])
	host, port, _ := strings.Cut(c.Nodes[dst].Addr, ":")
	for {
		keys, err := s.ClusterGetKeysInSlot(ctx, int(slot), 20).Result()
		if err != nil {
			t.Fatalf("CLUSTER GETKEYSINSLOT %d: %v", slot, err)
		}
		if len(keys) == 0 {
			break
		}
		args := []any{"MIGRATE", host, port, "", 0, 5000, "KEYS"}
		for _, k := range keys {
			args = append(args, k)
		}
		if err := s.Do(ctx, args...).Err(); err != nil {
			t.Fatalf("MIGRATE %d keys of slot %d: %v", len(keys), slot, err)
		}
		moved += len(keys)
		time.Sleep(pause)
	}
	for _, n := range []*redis.Client{d, s} {
		setslot(n, "NODE", ids[dst])
	}
	for i, n := range c.Nodes {
		if i != src && i != dst {
			setslot(n.Client(t), "NODE", ids[dst])
		}
	}
	return c.Nodes[src].Addr, c.Nodes[dst].Addr, moved
}

// owner is the ID of the node that serves slot (its master), as rdb's node sees the cluster.
func (c *ClusterSetup) owner(ctx context.Context, t testing.TB, rdb *redis.Client, slot int) (string, error) {
	t.Helper()
	shards, err := rdb.ClusterShards(ctx).Result()
	if err != nil {
		return "", err
	}
	for _, sh := range shards {
		for _, r := range sh.Slots {
			if int64(slot) < r.Start || int64(slot) > r.End {
				continue
			}
			for _, n := range sh.Nodes {
				if n.Role == "master" {
					return n.ID, nil
				}
			}
		}
	}
	return "", fmt.Errorf("slot %d is served by no node", slot)
}

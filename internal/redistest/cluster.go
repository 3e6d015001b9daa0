package redistest

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClusterSetup is a Redis Cluster of three masters without replicas (AddReplica gives one a
// replica, not among Nodes), real redis-server processes on loopback that stop when the test
// ends.
type ClusterSetup struct {
	Nodes []*Server // the masters
	dir   string
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
	c := &ClusterSetup{dir: dir}
	for range 3 {
		c.Nodes = append(c.Nodes, c.startNode(t))
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

// startNode starts a cluster-enabled node that belongs to no cluster yet.
func (c *ClusterSetup) startNode(t testing.TB) *Server {
	t.Helper()
	return startServer(t, c.dir, "node", true, func(port int) []string {
		return append(dataArgs(c.dir, port), "--cluster-enabled", "yes",
			"--cluster-config-file", "nodes-"+strconv.Itoa(port)+".conf", "--cluster-node-timeout", "5000",
			"--repl-diskless-sync-delay", "0")
	})
}

// MasterOf returns the master serving key's hash slot, and its node ID.
func (c *ClusterSetup) MasterOf(t testing.TB, key string) (*Server, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	slot, owner := c.slotOf(ctx, t, key)
	for _, n := range c.Nodes {
		if id, err := n.Client(t).ClusterMyID(ctx).Result(); err == nil && id == owner {
			return n, owner
		}
	}
	t.Fatalf("slot %d is served by %s, none of the nodes", slot, owner)
	return nil, ""
}

// PrefixSlots returns a hash-tagged key prefix, new to the cluster, whose installation's slot
// ("{tag}:") and index slot ("{tag/ix}:", redisstore's) are served by one master when
// together is set, by two otherwise.
func (c *ClusterSetup) PrefixSlots(t testing.TB, together bool) string {
	t.Helper()
	for n := 0; ; n++ {
		p := fmt.Sprintf("{slots%d-%d}:", time.Now().UnixNano(), n)
		inst, _ := c.MasterOf(t, p)
		ix, _ := c.MasterOf(t, strings.Replace(p, "}", "/ix}", 1))
		if (inst == ix) == together {
			return p
		}
	}
}

// AddReplica starts a node that joins the cluster as the replica of the master serving key's
// hash slot, and returns it once the master counts it as a connected replica in sync.
func (c *ClusterSetup) AddReplica(t testing.TB, key string) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	master, owner := c.MasterOf(t, key)
	r := c.startNode(t)
	rc := r.Client(t)
	host, port, _ := strings.Cut(master.Addr, ":")
	if err := rc.ClusterMeet(ctx, host, port).Err(); err != nil {
		t.Fatalf("CLUSTER MEET %s: %v", master.Addr, err)
	}
	// The new node must know the master before it can follow it.
	if err := waitFor(15*time.Second, func(ctx context.Context) error {
		return rc.Do(ctx, "CLUSTER", "REPLICATE", owner).Err()
	}); err != nil {
		t.Fatalf("CLUSTER REPLICATE %s on %s: %v", owner, r.Addr, err)
	}
	if err := waitFor(15*time.Second, func(ctx context.Context) error {
		info, err := master.Client(t).Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if !strings.Contains(info, "connected_slaves:1") || !strings.Contains(info, "state=online") {
			return fmt.Errorf("master %s: %s", master.Addr, info)
		}
		// And the replica has loaded what it was sent: until then it has nothing to take
		// over with.
		mine, err := rc.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if !strings.Contains(mine, "master_link_status:up") || !strings.Contains(mine, "master_sync_in_progress:0") {
			return fmt.Errorf("replica %s: %s", r.Addr, mine)
		}
		// And every master knows it as the master's replica: they vote for it when the
		// master fails, and only for a replica they know.
		id, err := rc.ClusterMyID(ctx).Result()
		if err != nil {
			return err
		}
		for _, n := range c.Nodes {
			nodes, err := n.Client(t).ClusterNodes(ctx).Result()
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(strings.Split(nodes, "\n"), func(line string) bool {
				f := strings.Fields(line)
				return len(f) > 3 && f[0] == id && strings.Contains(f[2], "slave") && f[3] == owner
			}) {
				return fmt.Errorf("master %s does not know %s as the replica of %s yet", n.Addr, r.Addr, owner)
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("replica %s of %s: %v", r.Addr, master.Addr, err)
	}
	t.Logf("replica %s follows %s, the master of %s", r.Addr, master.Addr, key)
	return r
}

// FailOver kills the master serving key's slot (SIGKILL), which must have a replica
// (AddReplica), and returns once that replica, promoted by the other masters' vote, serves
// the slot (within the node timeout, 5 s, and an election).
func (c *ClusterSetup) FailOver(t testing.TB, key string, replica *Server) {
	t.Helper()
	master, _ := c.MasterOf(t, key)
	start := time.Now()
	master.Kill()
	rc := replica.Client(t)
	if err := waitFor(30*time.Second, func(ctx context.Context) error {
		role, err := rc.Do(ctx, "ROLE").Slice()
		if err != nil {
			return err
		}
		info, err := rc.ClusterInfo(ctx).Result()
		if err != nil {
			return err
		}
		if len(role) == 0 || role[0] != "master" || !strings.Contains(info, "cluster_state:ok") {
			return fmt.Errorf("replica %s: role %v, %s", replica.Addr, role, info)
		}
		return nil
	}); err != nil {
		t.Fatalf("failover of %s to %s: %v", master.Addr, replica.Addr, err)
	}
	for i, n := range c.Nodes {
		if n == master {
			c.Nodes[i] = replica
		}
	}
	t.Logf("master %s killed; its replica %s serves its slots after %v", master.Addr, replica.Addr, time.Since(start).Round(time.Millisecond))
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
	slot, owner := c.slotOf(ctx, t, key)
	ids := make([]string, len(c.Nodes))
	var err error
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
		keys, err := s.ClusterGetKeysInSlot(ctx, slot, 20).Result()
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

// slotOf returns key's hash slot and the ID of the master serving it.
func (c *ClusterSetup) slotOf(ctx context.Context, t testing.TB, key string) (int, string) {
	t.Helper()
	first := c.Nodes[0].Client(t)
	slot, err := first.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		t.Fatalf("CLUSTER KEYSLOT %s: %v", key, err)
	}
	owner, err := c.owner(ctx, t, first, int(slot))
	if err != nil {
		t.Fatal(err)
	}
	return int(slot), owner
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

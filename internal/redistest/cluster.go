package redistest

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
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

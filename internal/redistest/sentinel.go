package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// MasterName is the name the sentinels of StartSentinel monitor their master by.
const MasterName = "mymaster"

// SentinelSetup is a master, its replica and the sentinels that monitor them, all real
// redis-server processes on loopback that stop when the test ends.
type SentinelSetup struct {
	Master    *Server
	Replica   *Server
	Sentinels []*Server
}

// URL is the REDIS_URL of the setup: every sentinel, database 0, the master's name.
func (s *SentinelSetup) URL() string {
	addrs := make([]string, len(s.Sentinels))
	for i, sn := range s.Sentinels {
		addrs[i] = sn.Addr
	}
	return "redis-sentinel://" + strings.Join(addrs, ",") + "/0?master=" + MasterName
}

// StartSentinel starts a master, one replica of it and n sentinels (quorum: a majority of
// them) in a directory of the test's own, and returns once the replica has synced and every
// sentinel knows it, so that a failover can pick it.
func StartSentinel(t testing.TB, n int) *SentinelSetup {
	t.Helper()
	return startSentinel(t, n, true)
}

// StartLoneSentinel starts a master without any replica and n sentinels that monitor it, as
// a small installation may run Sentinel: Replica is nil, and no failover can happen.
func StartLoneSentinel(t testing.TB, n int) *SentinelSetup {
	t.Helper()
	return startSentinel(t, n, false)
}

func startSentinel(t testing.TB, n int, withReplica bool) *SentinelSetup {
	t.Helper()
	if n < 1 {
		n = 1
	}
	dir := t.TempDir()
	start := time.Now()
	s := &SentinelSetup{}
	// A diskless sync waits 5 s by default for more replicas to join it: none will. Both
	// servers get the setting, since the replica becomes master on a failover.
	data := func(port int) []string { return append(dataArgs(dir, port), "--repl-diskless-sync-delay", "0") }
	s.Master = startServer(t, dir, "master", false, data)
	if withReplica {
		s.startReplica(t, dir, data)
		t.Logf("master %s and replica %s in sync after %s", s.Master.Addr, s.Replica.Addr, time.Since(start).Round(time.Millisecond))
	}
	s.startSentinels(t, dir, n)
	t.Logf("sentinels %s ready after %s", s.URL(), time.Since(start).Round(time.Millisecond))
	return s
}

// startReplica starts the master's replica and waits until it has synced.
func (s *SentinelSetup) startReplica(t testing.TB, dir string, data func(port int) []string) {
	t.Helper()
	s.Replica = startServer(t, dir, "replica", false, func(port int) []string {
		return append(data(port), "--replicaof", "127.0.0.1", strconv.Itoa(s.Master.Port))
	})
	replica := s.Replica.Client(t)
	if err := waitFor(10*time.Second, func(ctx context.Context) error {
		info, err := replica.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if !strings.Contains(info, "master_link_status:up") {
			return fmt.Errorf("replica %s has not synced with master %s: %s", s.Replica.Addr, s.Master.Addr, info)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// startSentinels starts n sentinels monitoring the master, and returns once each knows the
// master and, if there is one, the replica in good health.
func (s *SentinelSetup) startSentinels(t testing.TB, dir string, n int) {
	t.Helper()
	quorum := n/2 + 1
	for i := range n {
		s.Sentinels = append(s.Sentinels, startServer(t, dir, "sentinel", false, func(port int) []string {
			// A sentinel rewrites its configuration file, so each has one of its own.
			conf := filepath.Join(dir, fmt.Sprintf("sentinel-%d-%d.conf", i, port))
			text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\n"+
				"sentinel monitor %s 127.0.0.1 %d %d\n"+
				"sentinel down-after-milliseconds %s 1000\n"+
				"sentinel failover-timeout %s 10000\n",
				port, dir, MasterName, s.Master.Port, quorum, MasterName, MasterName)
			if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			return []string{conf, "--sentinel"}
		}))
	}
	for _, sn := range s.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: sn.Addr})
		t.Cleanup(func() { _ = sc.Close() })
		if err := waitFor(15*time.Second, func(ctx context.Context) error {
			replicas, err := sc.Replicas(ctx, MasterName).Result()
			if err != nil || s.Replica == nil {
				return err
			}
			for _, r := range replicas {
				if net.JoinHostPort(r["ip"], r["port"]) == s.Replica.Addr && !strings.Contains(r["flags"], "disconnected") &&
					!strings.Contains(r["flags"], "s_down") && r["master-link-status"] == "ok" {
					return nil
				}
			}
			return fmt.Errorf("sentinel %s does not know replica %s in good health yet: %v", sn.Addr, s.Replica.Addr, replicas)
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// MasterAddr asks the first sentinel that answers which server is master now.
func (s *SentinelSetup) MasterAddr(ctx context.Context) (string, error) {
	var lastErr error
	for _, sn := range s.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: sn.Addr})
		addr, err := sc.GetMasterAddrByName(ctx, MasterName).Result()
		_ = sc.Close()
		if err == nil && len(addr) == 2 {
			return net.JoinHostPort(addr[0], addr[1]), nil
		}
		lastErr = err
	}
	return "", fmt.Errorf("ask the sentinels for master %s: %v", MasterName, lastErr)
}

// Failover makes the sentinels promote the replica (SENTINEL FAILOVER) and returns once every
// sentinel names it master and it takes writes. The old master is demoted to its replica by
// the sentinels soon after.
//
// A sentinel gives a failover up when the replica it promotes has not become master within
// failover-timeout (10 s here), which a machine short of processor time can make happen,
// and then waits twice that before it tries again by itself: so while the sentinels still
// name the old master after a wait, the command is given again, for up to a minute.
func (s *SentinelSetup) Failover(t testing.TB) {
	t.Helper()
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.Sentinels[0].Addr})
	defer sc.Close()
	deadline := time.Now().Add(time.Minute)
	for ask := true; ; {
		if ask {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := sc.Failover(ctx, MasterName).Err()
			cancel()
			if err != nil && !strings.Contains(err.Error(), "INPROG") {
				t.Fatalf("SENTINEL FAILOVER %s: %v", MasterName, err)
			}
		}
		err := s.waitMasterWithin(t, s.Replica, 15*time.Second)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("failover to %s: %v", s.Replica.Addr, err)
		}
		master, merr := s.MasterAddr(context.Background())
		if ask = merr == nil && master != s.Replica.Addr; ask {
			t.Logf("the sentinels still name %s master (%v): asking for the failover again", master, err)
		}
	}
}

// waitMasterWithin waits up to within until every sentinel names want master and want
// answers as one, and returns why not.
func (s *SentinelSetup) waitMasterWithin(t testing.TB, want *Server, within time.Duration) error {
	t.Helper()
	c := want.Client(t)
	return waitFor(within, func(ctx context.Context) error {
		for _, sn := range s.Sentinels {
			sc := redis.NewSentinelClient(&redis.Options{Addr: sn.Addr})
			addr, err := sc.GetMasterAddrByName(ctx, MasterName).Result()
			_ = sc.Close()
			if err != nil {
				return err
			}
			if got := net.JoinHostPort(addr[0], addr[1]); got != want.Addr {
				return fmt.Errorf("sentinel %s names %s master, want %s", sn.Addr, got, want.Addr)
			}
		}
		role, err := c.Do(ctx, "ROLE").Slice()
		if err != nil {
			return err
		}
		if len(role) == 0 || role[0] != "master" {
			return fmt.Errorf("%s has role %v, want master", want.Addr, role)
		}
		return nil
	})
}

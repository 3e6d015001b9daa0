package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// binaryFigures is what the real binary showed on the loaded history.
type binaryFigures struct {
	startup      time.Duration    // from exec to the first 200 of /readyz
	rssReady     int64            // VmRSS at that moment, bytes
	rssSettled   int64            // VmRSS once the start's background work is done
	settled      time.Duration    // when that was, from exec
	hwm          int64            // VmHWM then: the most it held
	readsReady   map[string]int64 // Redis commands that read tickets, run until ready
	readsSettled map[string]int64 // and until settled
	ticketsAtRun int64            // tickets in the store
}

// measureBinary starts the threadesk binary on the loaded store (no platform configured: the
// sandbox, on the private redis-server) and measures its start-up time to /readyz 200, its
// resident memory, and the ticket reads Redis served meanwhile (start-up must not read every
// ticket).
func measureBinary(ctx context.Context, bin, dir, addr string) (binaryFigures, error) {
	var f binaryFigures
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	n, err := rdb.Get(ctx, prefix+"seq").Int64()
	if err != nil {
		return f, fmt.Errorf("read the ticket counter: %w", err)
	}
	f.ticketsAtRun = n
	if err := rdb.ConfigResetStat(ctx).Err(); err != nil {
		return f, fmt.Errorf("CONFIG RESETSTAT: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return f, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"REDIS_URL=redis://"+addr,
		"LOG_LEVEL=info",
	)
	start := time.Now()
	c, err := startChild("threadesk", filepath.Join(dir, "threadesk-scale.log"), cmd)
	if err != nil {
		return f, err
	}
	defer c.stop(10 * time.Second)
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/readyz"
	for {
		if done, err := c.exited(); done {
			return f, fmt.Errorf("threadesk exited at start (%v):\n%s", err, c.tail(20))
		}
		if time.Since(start) > 60*time.Second {
			return f, fmt.Errorf("threadesk was not ready within 60s:\n%s", c.tail(20))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.startup = time.Since(start)
	f.rssReady, _ = procStatus(c.cmd.Process.Pid, "VmRSS")
	if f.readsReady, err = ticketReads(ctx, rdb); err != nil {
		return f, err
	}
	// Then the background work of a start (the statistics cache's warm-up reads the tickets
	// of the last 90 days' facts): until Redis serves no more ticket reads for two seconds.
	settle := time.Now()
	last, quiet := int64(-1), 0
	for quiet < 2 && time.Since(settle) < 2*time.Minute {
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return f, ctx.Err()
		}
		if f.readsSettled, err = ticketReads(ctx, rdb); err != nil {
			return f, err
		}
		n := f.readsSettled["hgetall"] + f.readsSettled["lrange"] + f.readsSettled["xrange"]
		if n == last {
			quiet++
		} else {
			last, quiet = n, 0
		}
	}
	f.settled = time.Since(start)
	f.rssSettled, _ = procStatus(c.cmd.Process.Pid, "VmRSS")
	f.hwm, _ = procStatus(c.cmd.Process.Pid, "VmHWM")
	return f, nil
}

// ticketReads are the Redis commands that read tickets or transcripts served since the last
// CONFIG RESETSTAT.
func ticketReads(ctx context.Context, rdb *redis.Client) (map[string]int64, error) {
	stats, err := commandStats(ctx, rdb)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, name := range []string{"hgetall", "hget", "hmget", "lrange", "xrange", "scan", "keys"} {
		out[name] = stats[name]
	}
	return out, nil
}

// procStatus reads a size field ("VmRSS") of /proc/<pid>/status, in bytes.
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			var kb int64
			if _, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb); err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

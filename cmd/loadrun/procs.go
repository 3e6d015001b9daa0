package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// freePort returns a loopback TCP port nobody listens on right now, never 6379.
func freePort() (int, error) {
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if port != 6379 {
			return port, nil
		}
	}
	return 0, errors.New("find a free port: only 6379 came up")
}

// child is a process this program started; stop ends it by its PID only.
type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has ended
	err  error         // how it ended, once done is closed
	log  string        // file with its output
}

func startChild(name, logFile string, cmd *exec.Cmd) (*child, error) {
	f, err := os.Create(logFile)
	if err != nil {
		return nil, fmt.Errorf("create log of %s: %w", name, err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, done: make(chan struct{}), log: logFile}
	go func() {
		c.err = cmd.Wait()
		f.Close()
		close(c.done)
	}()
	return c, nil
}

// exited reports whether the process has ended, with its error.
func (c *child) exited() (bool, error) {
	select {
	case <-c.done:
		return true, c.err
	default:
		return false, nil
	}
}

// stop asks the process to end (SIGTERM), waits up to grace, then kills it.
func (c *child) stop(grace time.Duration) error {
	if done, err := c.exited(); done {
		return err
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return c.err
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("%s did not stop within %v; killed", c.name, grace)
	}
}

// tail returns the last lines of the process's output, for error reports.
func (c *child) tail(lines int) string {
	b, _ := os.ReadFile(c.log)
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// startRedis starts a private redis-server without persistence on a free port.
func startRedis(ctx context.Context, dir string) (*child, string, error) {
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return nil, "", err
		}
		cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", dir)
		c, err := startChild("redis-server", filepath.Join(dir, fmt.Sprintf("redis-%d.log", port)), cmd)
		if err != nil {
			return nil, "", err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		rdb := redis.NewClient(&redis.Options{Addr: addr})
		for i := 0; i < 100; i++ {
			if done, _ := c.exited(); done {
				break
			}
			if lastErr = rdb.Ping(ctx).Err(); lastErr == nil {
				rdb.Close()
				return c, addr, nil
			}
			time.Sleep(50 * time.Millisecond)
		}
		rdb.Close()
		lastErr = fmt.Errorf("redis-server on port %d did not start: %s", port, c.tail(5))
		_ = c.stop(2 * time.Second)
	}
	return nil, "", lastErr
}

// workDir makes a run's work directory under prefix. cleanup removes it unless keep is set or
// the run failed (*err set), and then says where the logs are kept.
func workDir(prefix string, keep bool, out io.Writer) (dir string, cleanup func(err *error), err error) {
	dir, err = os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, fmt.Errorf("make work directory: %w", err)
	}
	return dir, func(err *error) {
		if keep || *err != nil {
			fmt.Fprintln(out, "logs kept in", dir)
			return
		}
		os.RemoveAll(dir)
	}, nil
}

// threadeskBinary is bin, or the threadesk binary built into dir when bin is "".
func threadeskBinary(ctx context.Context, bin, dir string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	bin = filepath.Join(dir, "threadesk")
	return bin, goBuild(ctx, ".", "./cmd/threadesk", bin)
}

// goBuild builds the main package in dir into out.
func goBuild(ctx context.Context, dir, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s in %s: %w\n%s", pkg, dir, err, b)
	}
	return nil
}

// slackEnv is the relay's environment for the mock Slack Web API at mockURL: Events API over
// HTTP, no per-channel pacing (the mock has no rate limit).
func slackEnv(mockURL string) []string {
	return []string{
		"SLACK_BOT_TOKEN=" + mockBotToken,
		"SLACK_SIGNING_SECRET=" + signingSecret,
		"SLACK_TRIAGE_CHANNEL=" + mockTriage,
		"SLACK_API_URL=" + mockURL,
		"SLACK_POST_RATE=" + unpacedRate,
		"SLACK_POST_BURST=" + unpacedBurst,
	}
}

// startRelay starts the threadesk binary with the platform's settings (platformEnv, such as
// slackEnv), state in the private redis-server. It returns once /healthz answers. extra is
// added to its environment (PPROF_ADDR for -profile).
func startRelay(ctx context.Context, bin, dir string, round int, platformEnv []string, redisAddr string, shards int, extra ...string) (*child, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(append(append(os.Environ(), extra...), platformEnv...),
		"HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"PUBLIC_URL=http://127.0.0.1:"+strconv.Itoa(port),
		"REDIS_URL=redis://"+redisAddr,
		"QUEUE_SHARDS="+strconv.Itoa(shards),
		"LOG_LEVEL=info",
	)
	c, err := startChild("threadesk", filepath.Join(dir, fmt.Sprintf("threadesk-round%d.log", round)), cmd)
	if err != nil {
		return nil, "", err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if done, err := c.exited(); done {
			return nil, "", fmt.Errorf("threadesk exited at start (%v):\n%s", err, c.tail(20))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, base, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = c.stop(5 * time.Second)
	return nil, "", fmt.Errorf("threadesk did not answer /healthz within 30s:\n%s", c.tail(20))
}

// The pace given to the relay: effectively none.
const (
	unpacedRate  = "0"
	unpacedBurst = "1000000"
)

// bareResult is what bare-relay -mode relay printed.
type bareResult struct {
	rate     float64
	p50, p99 time.Duration
	ops      int
	line     string
}

var bareLine = regexp.MustCompile(`ops=(\d+) .*rate=([0-9.]+)/s p50=(\S+) p90=\S+ p99=(\S+)`)

func parseBare(out string) (bareResult, error) {
	for _, line := range strings.Split(out, "\n") {
		m := bareLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		ops, _ := strconv.Atoi(m[1])
		rate, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return bareResult{}, fmt.Errorf("bare-relay rate %q: %w", m[2], err)
		}
		p50, err1 := time.ParseDuration(m[3])
		p99, err2 := time.ParseDuration(m[4])
		if err := errors.Join(err1, err2); err != nil {
			return bareResult{}, fmt.Errorf("bare-relay latencies in %q: %w", line, err)
		}
		return bareResult{rate: rate, p50: p50, p99: p99, ops: ops, line: strings.TrimSpace(line)}, nil
	}
	return bareResult{}, fmt.Errorf("no result line in bare-relay's output:\n%s", out)
}

var fillLine = regexp.MustCompile(`msgs/ticket=(\d+) .*=> ([0-9.]+) bytes/ticket`)

// parseFill reads bare-relay -mode fill: bytes per bare ticket, by messages per ticket.
func parseFill(out string) map[int]float64 {
	res := map[int]float64{}
	for _, m := range fillLine.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		v, _ := strconv.ParseFloat(m[2], 64)
		res[n] = v
	}
	return res
}

// runBare runs bare-relay with args against redisAddr and returns its output and the CPU
// time it used.
func runBare(ctx context.Context, bin, redisAddr string, args ...string) (string, time.Duration, error) {
	cmd := exec.CommandContext(ctx, bin, append(args, "-redis", redisAddr)...)
	cmd.SysProcAttr = childAttr()
	b, err := cmd.CombinedOutput()
	if err != nil {
		return string(b), 0, fmt.Errorf("bare-relay %s: %w\n%s", strings.Join(args, " "), err, b)
	}
	return string(b), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// cpuTime is the CPU time (user + system) a process has used so far, read from /proc; zero
// where there is no /proc.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// profileFile names the CPU profile of a round: stem-roundN.pprof.
func profileFile(stem string, round int) string {
	return fmt.Sprintf("%s-round%d.pprof", strings.TrimSuffix(stem, ".pprof"), round)
}

// fetchProfile takes threadesk's CPU profile for d from its PPROF_ADDR and writes it to file.
func fetchProfile(ctx context.Context, addr string, d time.Duration, file string) error {
	secs := max(int(d.Round(time.Second)/time.Second), 1)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fetch the CPU profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch the CPU profile: %s", resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read the CPU profile: %w", err)
	}
	return os.WriteFile(file, b, 0o644)
}

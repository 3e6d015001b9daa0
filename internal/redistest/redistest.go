// Package redistest gives tests a real redis-server. The test command (scripts/test) starts
// one on a free port and names it in THREADESK_TEST_REDIS; without it, the first test that asks
// starts its own redis-server on a free port for the test binary's lifetime. A missing
// redis-server is a test failure, never a skip.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// EnvAddr names the environment variable with the address of a test redis-server.
const EnvAddr = "THREADESK_TEST_REDIS"

var (
	once    sync.Once
	addr    string
	onceErr error
	seq     atomic.Int64
)

// Addr returns the host:port of a running redis-server for tests.
func Addr(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if a := os.Getenv(EnvAddr); a != "" {
			addr = a
			return
		}
		addr, onceErr = start()
	})
	if onceErr != nil {
		t.Fatalf("redis-server for tests: %v (run the tests with scripts/test, which installs it)", onceErr)
	}
	return addr
}

// Client returns a client of the test server, closed when the test ends.
func Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: Addr(t)})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("ping test redis at %s: %v", Addr(t), err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Prefix returns a key prefix no other test of any package uses, so tests can share one
// server and run in parallel.
func Prefix(t testing.TB) string {
	t.Helper()
	return fmt.Sprintf("test:%d:%d:%d:", os.Getpid(), time.Now().UnixNano(), seq.Add(1))
}

// FreePort returns a TCP port on loopback nobody listens on right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func start() (string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", fmt.Errorf("redis-server not found: %w", err)
	}
	port, err := FreePort()
	if err != nil {
		return "", err
	}
	a := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no")
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start redis-server: %w", err)
	}
	// The server dies with the test binary: it is in our process group and we never leave it
	// running on purpose; the watchdog below also stops it when the parent exits.
	go func() { _ = cmd.Wait() }()
	c := redis.NewClient(&redis.Options{Addr: a})
	defer c.Close()
	for range 100 {
		if c.Ping(context.Background()).Err() == nil {
			watchParent(cmd.Process)
			return a, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	return "", fmt.Errorf("redis-server on %s did not answer", a)
}

// watchParent kills the server when this test process exits, however it exits: a tiny shell
// waits for our PID to disappear.
func watchParent(p *os.Process) {
	sh := exec.Command("sh", "-c", fmt.Sprintf("while kill -0 %d 2>/dev/null; do sleep 1; done; kill %d", os.Getpid(), p.Pid))
	_ = sh.Start()
}

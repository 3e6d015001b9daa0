package redistest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is one redis-server process a test started (a data node or a sentinel). It stops
// when the test ends.
type Server struct {
	// Addr is its host:port on loopback.
	Addr string
	// Port is Addr's port.
	Port int

	name   string
	cmd    *exec.Cmd
	guard  *os.Process // the watchdog that kills the server should the test binary die
	log    string
	exited chan struct{}
	stop   sync.Once
}

// The ports helpers pick: below the kernel's ephemeral range (32768+), so that outgoing
// connections never hold them, with room for a cluster node's bus port (port+10000) there too.
const (
	portLow  = 12000
	portHigh = 22000
	busShift = 10000
)

var (
	portsMu sync.Mutex
	taken   = map[int]bool{} // ports handed out to this test binary, never handed out twice
)

// pickPort returns a loopback port nobody listens on, nor on port+10000 when bus is set.
func pickPort(bus bool) (int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 200 {
		p := portLow + rand.IntN(portHigh-portLow)
		if taken[p] || taken[p+busShift] || p == 6379 || (bus && p+busShift == 6379) {
			continue
		}
		if !canListen(p) || (bus && !canListen(p+busShift)) {
			continue
		}
		taken[p] = true
		if bus {
			taken[p+busShift] = true
		}
		return p, nil
	}
	return 0, errors.New("no free loopback port found")
}

func canListen(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// binary finds a program the helpers run; a missing one fails the test, never skips it.
func binary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found (%v): install Redis (Debian: apt-get install redis-server redis-tools; scripts/test does)", name, err)
	}
	return p
}

// startServer starts redis-server in dir with args made for a port (and the port's bus port
// when bus is set), waits until it answers PING and stops it when the test ends. A port taken
// between the check and the bind makes it try another.
func startServer(t testing.TB, dir, name string, bus bool, args func(port int) []string) *Server {
	t.Helper()
	bin := binary(t, "redis-server")
	var lastErr error
	for range 5 {
		port, err := pickPort(bus)
		if err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port), Port: port, name: name,
			log: filepath.Join(dir, fmt.Sprintf("%s-%d.log", name, port)), exited: make(chan struct{})}
		a := append(args(port), "--logfile", s.log)
		s.cmd = exec.Command(bin, a...)
		s.cmd.Dir = dir
		if err := s.cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		go func() { _ = s.cmd.Wait(); close(s.exited) }()
		s.guard = guard(s.cmd.Process)
		t.Cleanup(s.Stop)
		if lastErr = s.waitReady(10 * time.Second); lastErr == nil {
			return s
		}
		s.Stop()
		if !strings.Contains(s.logTail(), "Address already in use") {
			break
		}
	}
	t.Fatalf("start %s: %v", name, lastErr)
	return nil
}

// waitReady waits until the server answers PING, and fails early when it exits.
func (s *Server) waitReady(within time.Duration) error {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("%s on %s exited at start: %s", s.name, s.Addr, s.logTail())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s on %s did not answer within %s: %s", s.name, s.Addr, within, s.logTail())
}

// Stop ends the server (SIGTERM, then SIGKILL after 5 s) and waits until it is gone. It is
// safe to call more than once.
func (s *Server) Stop() {
	s.stop.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		s.unguard()
	})
}

// Kill ends the server at once, as a crash would, and waits until it is gone.
func (s *Server) Kill() {
	s.stop.Do(func() {
		_ = s.cmd.Process.Kill()
		<-s.exited
		s.unguard()
	})
}

// guard starts a tiny shell that kills p once this test process is gone, however it ends
// (even by SIGKILL, when no cleanup runs).
func guard(p *os.Process) *os.Process {
	sh := exec.Command("sh", "-c", fmt.Sprintf("while kill -0 %d 2>/dev/null; do sleep 1; done; kill %d", os.Getpid(), p.Pid))
	if err := sh.Start(); err != nil {
		return nil
	}
	go func() { _ = sh.Wait() }()
	return sh.Process
}

// unguard stops the watchdog of a server that has stopped, so that it never signals a
// process that later gets the same PID.
func (s *Server) unguard() {
	if s.guard != nil {
		_ = s.guard.Kill()
	}
}

// Client returns a plain client of this one server, closed when the test ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// logTail is the end of the server's log, for error messages.
func (s *Server) logTail() string {
	b, err := os.ReadFile(s.log)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return strings.Join(lines, "\n")
}

// waitFor polls cond every 50 ms until it returns nil or within has passed, then returns its
// last error.
func waitFor(within time.Duration, cond func(ctx context.Context) error) error {
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := cond(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dataArgs are the arguments of a data node without persistence.
func dataArgs(dir string, port int) []string {
	return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--daemonize", "no"}
}

// StartServer starts a redis-server of the test's own (on a free port, in a temporary
// directory, appending every write to its log so that a restart loses nothing), for tests
// that stop, freeze or restart Redis and so cannot use the shared one. It stops when the
// test ends.
func StartServer(t testing.TB) *Server {
	t.Helper()
	dir := t.TempDir()
	return startServer(t, dir, "redis", false, func(port int) []string { return persistentArgs(dir, port) })
}

// Restart starts the server again on the same port and data, after Kill or Stop, and returns
// the new process.
func (s *Server) Restart(t testing.TB) *Server {
	t.Helper()
	dir := filepath.Dir(s.log)
	n := &Server{Addr: s.Addr, Port: s.Port, name: s.name, log: s.log, exited: make(chan struct{})}
	n.cmd = exec.Command(binary(t, "redis-server"), append(persistentArgs(dir, s.Port), "--logfile", s.log)...)
	n.cmd.Dir = dir
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("restart %s: %v", s.name, err)
	}
	go func() { _ = n.cmd.Wait(); close(n.exited) }()
	n.guard = guard(n.cmd.Process)
	t.Cleanup(n.Stop)
	if err := n.waitReady(10 * time.Second); err != nil {
		t.Fatalf("restart %s: %v", s.name, err)
	}
	return n
}

// Freeze stops the server's process (SIGSTOP): connections stay open and nothing answers, as
// when Redis hangs or the network drops packets. Thaw lets it go on.
func (s *Server) Freeze() { _ = s.cmd.Process.Signal(syscall.SIGSTOP) }

// Thaw lets a frozen server go on (SIGCONT).
func (s *Server) Thaw() { _ = s.cmd.Process.Signal(syscall.SIGCONT) }

// persistentArgs are the arguments of a server that logs every write before answering.
func persistentArgs(dir string, port int) []string {
	return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
		"--appendfsync", "always", "--dir", dir, "--daemonize", "no"}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/redistest"
)

// waitTimeout bounds every wait for the program to do something; the sandbox and a local
// Redis take milliseconds, so reaching it means the thing will not happen.
const waitTimeout = 15 * time.Second

// app is a running Main with an HTTP client for it.
type app struct {
	*Main
	t      *testing.T
	client *http.Client
	closed bool
}

// startApp loads the configuration from env (on a cleared environment, with the test's own
// Redis, a unique key prefix and a free port unless env says otherwise), runs Main and closes
// it when the test ends. Unless env names DESK_CONFIG (an empty value: the sandbox's built-in
// examples, bot included), the desk runs on a policy file that sets nothing: the tests that
// are not about the first-line bot meet no bot.
func startApp(t *testing.T, env map[string]string) *app {
	t.Helper()
	return startAppWith(t, env)
}

// startAppWith is startApp with the configuration changed by tweaks after it is read, for
// what is not a setting.
func startAppWith(t *testing.T, env map[string]string, tweaks ...func(*Config)) *app {
	t.Helper()
	full := map[string]string{
		"REDIS_URL":    "redis://" + redistest.Addr(t),
		"REDIS_PREFIX": redistest.Prefix(t),
		"HTTP_ADDR":    "127.0.0.1:0",
		"QUEUE_SHARDS": "8",
		"DESK_CONFIG":  noBotPolicy(t),
	}
	for k, v := range env {
		full[k] = v
	}
	setEnv(t, full)
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	for _, f := range tweaks {
		f(&cfg)
	}
	return runApp(t, cfg)
}

// noBotPolicy writes a desk policy file that sets nothing (the desk as without a file) and
// returns its path.
func noBotPolicy(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "desk.yaml")
	if err := os.WriteFile(path, []byte("# nothing set: no bot, no hours, no SLA\nlanguage: en\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runApp runs Main with cfg and closes it when the test ends.
func runApp(t *testing.T, cfg Config) *app {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	m := NewMain(cfg, log)
	a := &app{Main: m, t: t, client: &http.Client{
		Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() {
		if !a.closed {
			if err := a.close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	})
	return a
}

// close stops the program once.
func (a *app) close() error {
	a.closed = true
	a.client.CloseIdleConnections()
	return a.Close()
}

func (a *app) url(path string) string { return "http://" + a.Addr.String() + path }

// get returns the status and body of GET path.
func (a *app) get(path string) (int, http.Header, []byte) {
	a.t.Helper()
	resp, err := a.client.Get(a.url(path))
	if err != nil {
		a.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatalf("GET %s: read body: %v", path, err)
	}
	return resp.StatusCode, resp.Header, body
}

// post sends body (a value to encode as JSON, or a []byte sent as is) to path and decodes the
// JSON answer into out (if not nil). It returns the status, or an error if there was no answer.
func (a *app) post(path, contentType string, body any, out any) (int, error) {
	var raw []byte
	switch b := body.(type) {
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			return 0, err
		}
	}
	resp, err := a.client.Post(a.url(path), contentType, bytes.NewReader(raw))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %q: %w", data, err)
		}
	}
	return resp.StatusCode, nil
}

// mustPost is post that fails the test unless the answer has status want.
func (a *app) mustPost(path string, body any, want int, out any) {
	a.t.Helper()
	var raw json.RawMessage
	status, err := a.post(path, "application/json", body, &raw)
	if err != nil {
		a.t.Fatalf("POST %s: %v", path, err)
	}
	if status != want {
		a.t.Fatalf("POST %s %v: status %d, want %d: %s", path, body, status, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			a.t.Fatalf("POST %s: decode %s: %v", path, raw, err)
		}
	}
}

// The sandbox's JSON, as far as these tests read it.
type (
	sbUser struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Role string `json:"role"`
		DM   string `json:"dm"`
	}
	sbMessage struct {
		ID      string `json:"id"`
		Channel string `json:"channel"`
		Thread  string `json:"thread"`
		Author  string `json:"author"`
		FromApp bool   `json:"fromApp"`
		As      *struct {
			ID          string `json:"id"`
			DisplayName string `json:"displayName"`
		} `json:"as"`
		Text string `json:"text"`
		Card *struct {
			Title string `json:"title"`
		} `json:"card"`
		Marks     []string `json:"marks"`
		Ephemeral string   `json:"ephemeral"`
		Deleted   bool     `json:"deleted"`
		Error     string   `json:"error"`
	}
	sbState struct {
		NotePrefix string      `json:"notePrefix"`
		Command    string      `json:"command"`
		Users      []sbUser    `json:"users"`
		Messages   []sbMessage `json:"messages"`
	}
)

func (m sbMessage) marked(mark string) bool { return slices.Contains(m.Marks, mark) }

func (m sbMessage) asName() string {
	if m.As == nil {
		return ""
	}
	return m.As.DisplayName
}

// find returns the messages that match.
func (s sbState) find(match func(sbMessage) bool) []sbMessage {
	var out []sbMessage
	for _, m := range s.Messages {
		if match(m) {
			out = append(out, m)
		}
	}
	return out
}

// byID returns the message with the ID.
func (s sbState) byID(id string) (sbMessage, bool) {
	for _, m := range s.Messages {
		if m.ID == id {
			return m, true
		}
	}
	return sbMessage{}, false
}

// state returns the sandbox's state over HTTP.
func (a *app) state() sbState {
	a.t.Helper()
	status, _, body := a.get("/sandbox/api/state")
	if status != http.StatusOK {
		a.t.Fatalf("GET /sandbox/api/state: %d %s", status, body)
	}
	var s sbState
	if err := json.Unmarshal(body, &s); err != nil {
		a.t.Fatalf("decode state: %v", err)
	}
	return s
}

// sandboxState reads the state straight from the sandbox's handler, which works after Close.
func (a *app) sandboxState() sbState {
	a.t.Helper()
	rec := httptest.NewRecorder()
	a.Sandbox.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sandbox/api/state", nil))
	if rec.Code != http.StatusOK {
		a.t.Fatalf("sandbox state: %d %s", rec.Code, rec.Body)
	}
	var s sbState
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		a.t.Fatalf("decode state: %v", err)
	}
	return s
}

func (a *app) user(name, role string) sbUser {
	a.t.Helper()
	var u sbUser
	a.mustPost("/sandbox/api/users", map[string]string{"name": name, "role": role}, http.StatusCreated, &u)
	return u
}

// say posts a message as user (in a thread if thread is set) and returns it.
func (a *app) say(user sbUser, text, thread string) sbMessage {
	a.t.Helper()
	var resp struct {
		Message sbMessage `json:"message"`
	}
	a.mustPost("/sandbox/api/messages", map[string]string{"user": user.ID, "text": text, "thread": thread}, http.StatusCreated, &resp)
	return resp.Message
}

// metrics returns the samples of /metrics: series ("name{a="b",c="d"}", labels sorted as
// Prometheus writes them) to value.
func (a *app) metrics() map[string]float64 {
	a.t.Helper()
	status, _, body := a.get("/metrics")
	if status != http.StatusOK {
		a.t.Fatalf("GET /metrics: %d", status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			a.t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// metricFamilies returns the names of the metric families /metrics declares.
func (a *app) metricFamilies() map[string]bool {
	a.t.Helper()
	_, _, body := a.get("/metrics")
	out := map[string]bool{}
	for line := range strings.Lines(string(body)) {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			out[strings.Fields(rest)[0]] = true
		}
	}
	return out
}

// eventually calls cond until it reports true, failing the test with cond's last explanation
// if that does not happen within waitTimeout.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s: %s", waitTimeout, what, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// redisServer is a redis-server of one test, which the test may kill and start again. Its data
// survives that (append-only file, synced on every write), as a production Redis's would.
type redisServer struct {
	t    *testing.T
	port int
	dir  string
	cmd  *exec.Cmd

	watchdog *exec.Cmd
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	port, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	r := &redisServer{t: t, port: port, dir: t.TempDir()}
	r.start()
	t.Cleanup(r.kill)
	return r
}

func (r *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

func (r *redisServer) start() {
	r.t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		r.t.Fatalf("redis-server: %v", err)
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no")
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	r.cmd = cmd
	// Should this test binary die without its cleanups, the server goes with it.
	watchdog := exec.Command("sh", "-c", fmt.Sprintf("while kill -0 %d 2>/dev/null; do sleep 1; done; kill -9 %d 2>/dev/null", os.Getpid(), cmd.Process.Pid))
	if err := watchdog.Start(); err == nil {
		r.watchdog = watchdog
	}
	c := redis.NewClient(&redis.Options{Addr: r.addr(), MaxRetries: -1})
	defer c.Close()
	eventually(r.t, "redis-server on "+r.addr(), func() (bool, string) {
		err := c.Ping(context.Background()).Err()
		return err == nil, fmt.Sprint(err)
	})
}

// kill stops the server at once (SIGKILL), as a crash or a lost node would.
func (r *redisServer) kill() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
	if r.watchdog != nil {
		_ = r.watchdog.Process.Kill()
		_ = r.watchdog.Wait()
		r.watchdog = nil
	}
}

// defaultConfig is Config with the default of every setting, whatever the environment holds:
// the settings are read under a prefix no variable has.
func defaultConfig(t *testing.T) Config {
	t.Helper()
	var c Config
	if err := envconfig.Process("threadesk_test_defaults_only", &c); err != nil {
		t.Fatalf("default settings: %v", err)
	}
	return c
}

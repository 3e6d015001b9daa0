package slack

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// specDir holds the Slack Web API reference (one JSON file per method) that the fake checks
// every request against, so that it cannot drift from the real API.
var specDir = filepath.Join("..", "..", "..", "shared", "specs", "slack", "methods")

// methodSpec is the part of a method's reference the fake checks.
type methodSpec struct {
	Args struct {
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	} `json:"args"`
}

var (
	specMu sync.Mutex
	specs  = map[string]*methodSpec{}
)

// loadSpec returns the reference of a Web API method, or nil when Slack has no such method.
func loadSpec(t testing.TB, method string) *methodSpec {
	t.Helper()
	specMu.Lock()
	defer specMu.Unlock()
	if s, ok := specs[method]; ok {
		return s
	}
	if _, err := os.Stat(specDir); err != nil {
		t.Fatalf("Slack method reference not found at %s (the repository's ../shared/specs): %v", specDir, err)
	}
	b, err := os.ReadFile(filepath.Join(specDir, method+".json"))
	if os.IsNotExist(err) || strings.ContainsAny(method, "/\\") {
		specs[method] = nil
		return nil
	}
	if err != nil {
		t.Fatalf("read spec of %s: %v", method, err)
	}
	var s methodSpec
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("parse spec of %s: %v", method, err)
	}
	specs[method] = &s
	return &s
}

// apiCall is one request the fake received for a Web API method.
type apiCall struct {
	Method string
	Args   map[string]string // form, query or top-level JSON arguments; JSON values kept raw
	Bearer string
}

// fakeMessage is a message the fake keeps so that history and replies can return it.
type fakeMessage struct {
	Channel, TS, Thread, Text, User, BotID string
	Metadata                               json.RawMessage
}

// failure is a canned answer the fake gives instead of its normal one.
type failure struct {
	status int
	header map[string]string
	body   any
}

// fakeSlack is an httptest fake of the Slack Web API (and of the file, upload and response
// URLs Slack hands out). Every request to /api/<method> is checked against the method's
// reference: the method must exist, its required arguments be present (the token may come as a
// Bearer header), and it must carry no argument the reference does not know.
type fakeSlack struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	calls     []apiCall
	fail      map[string][]failure // per method, answered in order before normal answers
	messages  []fakeMessage
	nextTS    int
	uploads   map[string][]byte    // file ID → bytes received at its upload URL
	shares    map[string][3]string // file ID → channel, ts, thread_ts
	files     map[string][]byte    // download path → bytes
	responses []map[string]any     // bodies posted to response URLs
	users     map[string]map[string]any
	wsURL     string           // what apps.connections.open answers, when set
	ws        http.HandlerFunc // serves wsURL
}

const (
	fakeBotToken = "xoxb-test-token"
	fakeBotUser  = "UBOT"
	fakeBotID    = "BBOT"
	fakeTriage   = "C0TRIAGE"
)

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	f := &fakeSlack{
		t:       t,
		fail:    map[string][]failure{},
		uploads: map[string][]byte{},
		shares:  map[string][3]string{},
		files:   map[string][]byte{},
		users: map[string]map[string]any{
			"U1": {"id": "U1", "name": "jane", "real_name": "Jane Doe", "is_bot": false,
				"profile": map[string]any{"display_name": "Jane", "real_name": "Jane Doe", "image_72": "https://avatars.example/jane_72.png"}},
		},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", f.serveAPI)
	mux.HandleFunc("POST /upload/{file}", f.serveUpload)
	mux.HandleFunc("GET /files/{name}", f.serveFile)
	mux.HandleFunc("POST /response/{id}", f.serveResponse)
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		h := f.ws
		f.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// apiURL is what the adapter's SLACK_API_URL is set to.
func (f *fakeSlack) apiURL() string { return f.srv.URL + "/api/" }

// failNext makes the next call of method answer with status, header and body.
func (f *fakeSlack) failNext(method string, status int, header map[string]string, body any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method] = append(f.fail[method], failure{status, header, body})
}

// callsTo returns the calls made to method, in order.
func (f *fakeSlack) callsTo(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// callCount counts every Web API call.
func (f *fakeSlack) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeSlack) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	args, err := requestArgs(r)
	if err != nil {
		f.t.Errorf("fake slack: %s: unreadable arguments: %v", method, err)
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_arguments"})
		return
	}
	bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	for _, p := range checkCall(f.t, method, args, bearer) {
		f.t.Errorf("fake slack: %s", p)
	}

	f.mu.Lock()
	f.calls = append(f.calls, apiCall{Method: method, Args: args, Bearer: bearer})
	if q := f.fail[method]; len(q) > 0 {
		fl := q[0]
		f.fail[method] = q[1:]
		f.mu.Unlock()
		for k, v := range fl.header {
			w.Header().Set(k, v)
		}
		writeJSON(w, fl.status, fl.body)
		return
	}
	f.mu.Unlock()

	token := firstOf(bearer, args["token"])
	if method == "apps.connections.open" {
		if !strings.HasPrefix(token, "xapp-") {
			writeJSON(w, 200, map[string]any{"ok": false, "error": "not_allowed_token_type"})
			return
		}
	} else if token != fakeBotToken {
		writeJSON(w, 200, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	writeJSON(w, 200, f.answer(method, args))
}

// checkCall lists what Slack would not understand in a call: an unknown method, a missing
// required argument, an argument the method does not take.
func checkCall(t testing.TB, method string, args map[string]string, bearer string) []string {
	spec := loadSpec(t, method)
	if spec == nil {
		return []string{fmt.Sprintf("unknown Web API method %q", method)}
	}
	var problems []string
	for _, req := range spec.Args.Required {
		if req == "token" && bearer != "" {
			continue
		}
		if _, ok := args[req]; !ok {
			problems = append(problems, fmt.Sprintf("%s: required argument %q missing (got %v)", method, req, keys(args)))
		}
	}
	for _, name := range keys(args) {
		if _, ok := spec.Args.Properties[name]; !ok {
			problems = append(problems, fmt.Sprintf("%s: unknown argument %q", method, name))
		}
	}
	return problems
}

// answer is the fake's normal answer to a checked call.
func (f *fakeSlack) answer(method string, args map[string]string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	ok := func(kv ...any) map[string]any {
		m := map[string]any{"ok": true}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	switch method {
	case "auth.test":
		return ok("user_id", fakeBotUser, "bot_id", fakeBotID, "team_id", "T1", "user", "threadesk", "team", "Test", "url", "https://test.slack.com/")
	case "conversations.list":
		if args["cursor"] == "" {
			return ok("channels", []any{map[string]any{"id": "C0GENERAL", "name": "general"}},
				"response_metadata", map[string]any{"next_cursor": "page2"})
		}
		return ok("channels", []any{map[string]any{"id": fakeTriage, "name": "triage"}},
			"response_metadata", map[string]any{"next_cursor": ""})
	case "chat.postMessage":
		f.nextTS++
		ts := fmt.Sprintf("1700000000.%06d", f.nextTS)
		f.messages = append(f.messages, fakeMessage{
			Channel: args["channel"], TS: ts, Thread: args["thread_ts"], Text: args["text"],
			User: fakeBotUser, BotID: fakeBotID, Metadata: json.RawMessage(args["metadata"]),
		})
		return ok("channel", args["channel"], "ts", ts, "message", map[string]any{"type": "message", "ts": ts, "text": args["text"], "bot_id": fakeBotID})
	case "chat.postEphemeral":
		return ok("message_ts", "1700000099.000001")
	case "chat.update":
		return ok("channel", args["channel"], "ts", args["ts"], "text", args["text"])
	case "chat.delete":
		return ok("channel", args["channel"], "ts", args["ts"])
	case "reactions.add":
		return ok()
	case "conversations.history", "conversations.replies":
		var msgs []any
		for _, m := range f.messages {
			inThread := m.Thread == args["ts"] || m.TS == args["ts"]
			if m.Channel != args["channel"] || (method == "conversations.replies" && !inThread) {
				continue
			}
			msg := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "user": m.User, "bot_id": m.BotID}
			if m.Thread != "" {
				msg["thread_ts"] = m.Thread
			}
			if len(m.Metadata) > 0 && args["include_all_metadata"] == "1" {
				msg["metadata"] = m.Metadata
			}
			msgs = append(msgs, msg)
		}
		if method == "conversations.history" {
			slices.Reverse(msgs) // newest first
		}
		return ok("messages", msgs, "has_more", false, "response_metadata", map[string]any{"next_cursor": ""})
	case "conversations.open":
		return ok("channel", map[string]any{"id": "D" + args["users"]})
	case "users.info":
		u, found := f.users[args["user"]]
		if !found {
			return map[string]any{"ok": false, "error": "user_not_found"}
		}
		return ok("user", u)
	case "views.open":
		return ok("view", map[string]any{"id": "V1"})
	case "files.getUploadURLExternal":
		id := fmt.Sprintf("F%06d", len(f.uploads)+1)
		f.uploads[id] = nil
		return ok("upload_url", f.srv.URL+"/upload/"+id, "file_id", id)
	case "files.completeUploadExternal":
		var files []map[string]string
		_ = json.Unmarshal([]byte(args["files"]), &files)
		var out []any
		for _, fl := range files {
			f.nextTS++
			f.shares[fl["id"]] = [3]string{args["channel_id"], fmt.Sprintf("1700000000.%06d", f.nextTS), args["thread_ts"]}
			out = append(out, map[string]any{"id": fl["id"], "title": fl["title"]})
		}
		return ok("files", out)
	case "files.info":
		share, found := f.shares[args["file"]]
		if !found {
			return map[string]any{"ok": false, "error": "file_not_found"}
		}
		return ok("file", map[string]any{"id": args["file"], "shares": map[string]any{
			"public": map[string]any{share[0]: []any{map[string]any{"ts": share[1], "thread_ts": share[2]}}},
		}})
	case "files.delete":
		return ok()
	case "apps.connections.open":
		return ok("url", f.wsURL)
	}
	return map[string]any{"ok": false, "error": "fake_not_implemented"}
}

// serveUpload keeps the bytes of the multipart "file" part posted to an upload URL.
func (f *fakeSlack) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("file")
	mr, err := r.MultipartReader()
	if err != nil {
		f.t.Errorf("fake slack: upload %s is not multipart: %v", id, err)
		http.Error(w, "bad upload", http.StatusBadRequest)
		return
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			http.Error(w, "bad upload", http.StatusBadRequest)
			return
		}
		if part.FormName() == "file" {
			data, _ := io.ReadAll(part)
			f.mu.Lock()
			f.uploads[id] = data
			f.mu.Unlock()
		}
	}
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(f.uploads[id])))
}

// serveFile serves a shared file's url_private, only to the bot token.
func (f *fakeSlack) serveFile(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+fakeBotToken {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	f.mu.Lock()
	data, ok := f.files[r.PathValue("name")]
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write(data)
}

// serveResponse records what is posted to a response_url.
func (f *fakeSlack) serveResponse(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "" {
		f.t.Errorf("fake slack: a response_url must not receive a token")
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		f.t.Errorf("fake slack: response_url body is not JSON: %v", err)
	}
	f.mu.Lock()
	f.responses = append(f.responses, body)
	f.mu.Unlock()
	writeJSON(w, 200, map[string]any{"ok": true})
}

// requestArgs reads a call's arguments the way Slack does: from the query string, a
// form-encoded body, or a JSON body's top-level keys.
func requestArgs(r *http.Request) (map[string]string, error) {
	args := map[string]string{}
	for k, v := range r.URL.Query() {
		args[k] = v[0]
	}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	switch {
	case len(body) == 0:
	case ctype == "application/json":
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				args[k] = s
			} else {
				args[k] = string(v)
			}
		}
	default:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		for k, v := range form {
			args[k] = v[0]
		}
	}
	return args, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestFakeChecksCalls makes sure the fake's check of every call can fail.
func TestFakeChecksCalls(t *testing.T) {
	tests := []struct {
		name, method string
		args         map[string]string
		bearer       string
		want         string
	}{
		{"valid with bearer", "chat.postMessage", map[string]string{"channel": "C1", "text": "hi"}, "xoxb", ""},
		{"valid with token arg", "chat.delete", map[string]string{"token": "xoxb", "channel": "C1", "ts": "1.2"}, "", ""},
		{"unknown method", "chat.postMessages", map[string]string{}, "xoxb", "unknown Web API method"},
		{"retired upload", "files.upload.v3", nil, "xoxb", "unknown Web API method"},
		{"missing required", "chat.update", map[string]string{"channel": "C1"}, "xoxb", `required argument "ts" missing`},
		{"missing token", "auth.test", map[string]string{}, "", `required argument "token" missing`},
		{"unknown argument", "reactions.add", map[string]string{"channel": "C1", "name": "x", "timestamp": "1.2", "emoji": "x"}, "xoxb", `unknown argument "emoji"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(checkCall(t, tt.method, tt.args, tt.bearer), "; ")
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

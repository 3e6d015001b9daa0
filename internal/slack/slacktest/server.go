// Package slacktest is a fake Slack for tests of the Slack adapter and of the whole program:
// a Web API server that checks every call against Slack's method reference (in the shared
// specs) and keeps what a workspace would (messages per channel, reactions, files, modals,
// answers to response URLs), the URLs Slack hands out (file downloads, uploads, response URLs,
// the Socket Mode WebSocket), failure and rate-limit injection, and helpers to build requests
// the way Slack sends them (signed, from the real payload shapes).
package slacktest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The workspace every Server starts with.
const (
	BotToken = "xoxb-test-token" // the bot token the fake accepts
	AppToken = "xapp-1-test"     // an app-level token for Socket Mode
	BotUser  = "UBOT"            // the app's bot user
	BotID    = "BBOT"            // the app's bot ID
	TeamID   = "T1"
	Triage   = "C0TRIAGE" // a channel named "triage", the app a member
	General  = "C0GENERAL"
	Random   = "C0RANDOM"
)

// TriggerLife is how long a trigger_id may be used to open a modal.
const TriggerLife = 3 * time.Second

// Call is one request the fake received for a Web API method.
type Call struct {
	Method string
	Args   map[string]string // form, query or top-level JSON arguments; JSON values kept raw
	Bearer string
	At     time.Time
	Status int // the HTTP status answered
}

// Message is a message as the fake keeps it.
type Message struct {
	Channel, TS, Thread string // Thread is the root's ts for a reply, empty otherwise
	Text                string
	User, BotID         string
	Username, IconURL   string          // what chat.postMessage was given
	Blocks              json.RawMessage // as posted or last updated
	Metadata            json.RawMessage
	Files               []string // IDs of files shared with the message
	Reactions           []string
	Edits               int // chat.update calls
	Deleted             bool
	// Tombstone is set on a deleted thread root that had replies: Slack keeps a placeholder in
	// its place (see DeleteMessage).
	Tombstone bool
}

// User is a member of the fake workspace.
type User struct {
	ID, Name, DisplayName, RealName, Image string
	IsBot, Deleted                         bool
	// Locale is what users.info and users.list answer when asked with include_locale=true
	// ("en-US", "ru-RU"); without it, or empty, the answer leaves it out.
	Locale string
	// TZ is the user's time zone ("America/New_York"), which users.info and users.list tell
	// as tz whatever the arguments, as Slack does; empty leaves it out.
	TZ string
}

// File is a file someone shared, served at URLPrivate to the bot token only.
type File struct {
	ID, Name, Mimetype, URLPrivate string
	Data                           []byte
}

// Response is a body posted to a response URL.
type Response struct {
	URL  string
	Body map[string]any
}

// View is a modal opened with views.open.
type View struct {
	Trigger string
	View    map[string]any
}

// failure is a canned answer given instead of the normal one; with after, the call is
// carried out first, as when Slack did the work but its answer was lost.
type failure struct {
	status int
	header map[string]string
	body   any
	after  bool
}

// echo is a change the app made that Slack reports back to it as an event.
type echo struct {
	kind      string // "new", "changed", "deleted"
	m         Message
	prevText  string
	replies   int  // for "deleted": the replies the message had
	tombstone bool // for "deleted": it left a tombstone
}

// bucket is one channel's allowance of chat.postMessage calls.
type bucket struct {
	tokens float64
	last   time.Time
}

// Server is the fake. Create it with New; it stops when the test ends. All methods are safe
// for concurrent use.
type Server struct {
	URL string // the server's base URL; the Web API is at URL + "/api/"

	t     testing.TB
	specs *specs
	srv   *httptest.Server

	mu        sync.Mutex
	calls     []Call
	fail      map[string][]failure
	messages  []*Message
	lastTS    int64 // microseconds of the latest ts handed out
	users     []*User
	channels  [][2]string // id, name; in conversations.list order
	members   map[string][]string
	files     map[string]*File
	uploads   map[string]*File // file ID → what was uploaded to its upload URL
	responses []Response
	views     []View
	triggers  map[string]time.Time
	nextID    int

	// PageCap is the most items users.list, conversations.list and conversations.members
	// return per page, whatever the limit asked for (Slack may return fewer than asked), so
	// that callers must follow cursors. Set it before use; 0 means no cap.
	PageCap int

	rate, burst float64 // chat.postMessage per channel; 0 = unlimited
	outage      Outage
	buckets     map[string]*bucket
	limited     int

	socket *socket

	deliver  func([]byte) // see OnEvent
	echoes   []echo       // changes to report, collected under mu
	echoQ    chan []byte
	echoDone chan struct{}
	echoWG   sync.WaitGroup
}

// New starts a fake Slack whose calls are checked against the method reference under
// specsDir (see SpecsDir). Its workspace has the app's bot user, channels #general, #random and
// #triage (C0TRIAGE, the app and no one else a member), and no other users.
func New(t testing.TB, specsDir string) *Server {
	t.Helper()
	s := &Server{
		t:        t,
		specs:    specsIn(specsDir),
		fail:     map[string][]failure{},
		users:    []*User{{ID: BotUser, Name: "threadesk", DisplayName: "Threadesk", IsBot: true}},
		channels: [][2]string{{General, "general"}, {Random, "random"}, {Triage, "triage"}},
		members:  map[string][]string{Triage: {BotUser}, General: {}, Random: {}},
		files:    map[string]*File{},
		uploads:  map[string]*File{},
		triggers: map[string]time.Time{},
		buckets:  map[string]*bucket{},
		PageCap:  2,
	}
	if _, err := s.specs.method("auth.test"); err != nil {
		t.Fatalf("slacktest: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("POST /upload/{file}", s.serveUpload)
	mux.HandleFunc("GET /files/{id}/{name}", s.serveFile)
	mux.HandleFunc("POST /response/{id}", s.serveResponse)
	mux.HandleFunc("GET /ws", s.serveSocket)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops the server, the delivery of events (see OnEvent) and any Socket Mode
// connection. The test's end does it too.
func (s *Server) Close() {
	s.mu.Lock()
	sock := s.socket
	done := s.echoDone
	s.echoDone = nil
	s.mu.Unlock()
	if done != nil {
		close(done)
		s.echoWG.Wait()
	}
	if sock != nil {
		sock.close()
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// APIURL is what SLACK_API_URL is set to.
func (s *Server) APIURL() string { return s.URL + "/api/" }

// AddUser adds (or replaces) a member of the workspace.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, old := range s.users {
		if old.ID == u.ID {
			s.users[i] = &u
			return
		}
	}
	s.users = append(s.users, &u)
}

// SetMembers sets who is in a channel; the channel is created if new.
func (s *Server) SetMembers(channel string, users ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members[channel] = slices.Clone(users)
}

// AddFile makes a file someone shared downloadable at its url_private, as Slack serves it:
// only with the bot token.
func (s *Server) AddFile(name, mimetype string, data []byte) File {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	f := &File{ID: fmt.Sprintf("FSHARED%04d", s.nextID), Name: name, Mimetype: mimetype, Data: slices.Clone(data)}
	f.URLPrivate = s.URL + "/files/" + f.ID + "/" + url.PathEscape(name)
	s.files[f.ID] = f
	return *f
}

// UserMessage records a message a person wrote (the fake's side of an event the test is about
// to send) and returns it with its new ts. thread is the root's ts for a thread reply.
func (s *Server) UserMessage(channel, user, text, thread string) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Message{Channel: channel, TS: s.newTS(), Thread: thread, Text: text, User: user}
	s.messages = append(s.messages, m)
	return *m
}

// Trigger hands out a trigger_id, as Slack puts in an interaction payload; views.open accepts
// it for TriggerLife.
func (s *Server) Trigger() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	id := fmt.Sprintf("%d.%d.%s", 1000000+s.nextID, time.Now().UnixNano()%1e9, randomHex(16))
	s.triggers[id] = time.Now()
	return id
}

// ResponseURL hands out a response_url, as Slack puts in a command or interaction payload.
func (s *Server) ResponseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	return s.URL + "/response/" + strconv.Itoa(s.nextID)
}

// SetPostLimit makes chat.postMessage answer 429 with Retry-After when a channel gets more than
// perSecond messages a second beyond a burst, as Slack does (about one per second per channel).
// Zero removes the limit.
func (s *Server) SetPostLimit(perSecond float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate, s.burst, s.buckets = perSecond, float64(burst), map[string]*bucket{}
}

// RateLimited counts the calls answered with 429 because of SetPostLimit.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited
}

// Outage is how the whole Web API misbehaves while it lasts (SetOutage): each call is held
// Delay first, then answered Status (a 5xx) without doing anything, or, with Status 0, done
// and answered as usual, only late (also when its caller has given up waiting).
type Outage struct {
	Status int
	Delay  time.Duration
}

// SetOutage makes every Web API call behave as o says until it is set back to the zero Outage.
func (s *Server) SetOutage(o Outage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outage = o
}

// FailNext makes the next call of method answer with status, header and body instead.
func (s *Server) FailNext(method string, status int, header map[string]string, body any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[method] = append(s.fail[method], failure{status: status, header: header, body: body})
}

// FailAfterNext makes the next call of method do its work and then answer status, as when
// Slack posted a message but the answer was lost on the way: the caller cannot tell whether it
// took effect.
func (s *Server) FailAfterNext(method string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[method] = append(s.fail[method], failure{status: status, body: "upstream request timeout", after: true})
}

// OnEvent has the fake report the app's own changes back to it, as Slack does when the app is
// subscribed to message events of the channels it writes in: deliver gets, one after the other,
// the Events API callback of every message the app posts, changes or deletes. A test delivers
// them to the app (signed) to check that the app ignores its own messages.
func (s *Server) OnEvent(deliver func(body []byte)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliver = deliver
	if s.echoQ != nil {
		return
	}
	s.echoQ, s.echoDone = make(chan []byte, 10000), make(chan struct{})
	q, done := s.echoQ, s.echoDone
	s.echoWG.Add(1)
	go func() {
		defer s.echoWG.Done()
		for {
			select {
			case <-done:
				return
			case body := <-q:
				s.mu.Lock()
				d := s.deliver
				s.mu.Unlock()
				d(body)
			}
		}
	}()
}

// Calls returns the calls made to method (all calls when method is empty), in order.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// CallCount counts every Web API call.
func (s *Server) CallCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// Messages returns the messages of a channel that are not deleted, thread replies included,
// in the order they were posted.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.Channel == channel && !m.Deleted {
			out = append(out, m.clone())
		}
	}
	return out
}

// Thread returns a thread's root and its replies that are not deleted, in order.
func (s *Server) Thread(channel, ts string) []Message {
	var out []Message
	for _, m := range s.Messages(channel) {
		if m.TS == ts || m.Thread == ts {
			out = append(out, m)
		}
	}
	return out
}

// Message returns one message, deleted or not.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.find(channel, ts); m != nil {
		return m.clone(), true
	}
	return Message{}, false
}

// Uploaded returns what was uploaded for a file ID through files.getUploadURLExternal.
func (s *Server) Uploaded(fileID string) (File, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.uploads[fileID]
	if !ok {
		return File{}, false
	}
	return *f, true
}

// Responses returns what was posted to response URLs, in order.
func (s *Server) Responses() []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.responses)
}

// Views returns the modals opened, in order.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.views)
}

func (m *Message) clone() Message {
	c := *m
	c.Files, c.Reactions = slices.Clone(m.Files), slices.Clone(m.Reactions)
	return c
}

// find returns a message by channel and ts; s.mu is held.
func (s *Server) find(channel, ts string) *Message {
	for _, m := range s.messages {
		if m.Channel == channel && m.TS == ts {
			return m
		}
	}
	return nil
}

// newTS returns a ts later than every earlier one; s.mu is held.
func (s *Server) newTS() string {
	now := time.Now().UnixMicro()
	if now <= s.lastTS {
		now = s.lastTS + 1
	}
	s.lastTS = now
	return fmt.Sprintf("%d.%06d", now/1e6, now%1e6)
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	args, err := requestArgs(r)
	if err != nil {
		s.t.Errorf("slacktest: %s: unreadable arguments: %v", method, err)
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_arguments"})
		return
	}
	bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	problems := CheckCall(s.t, s.specs.dir, method, args, bearer)
	if ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ctype == "application/json" {
		problems = append(problems, CheckJSONBody(s.t, s.specs.dir, method, args)...)
	}
	for _, p := range problems {
		s.t.Errorf("slacktest: %s", p)
	}
	call := Call{Method: method, Args: args, Bearer: bearer, At: time.Now(), Status: 200}

	s.mu.Lock()
	outage := s.outage
	s.mu.Unlock()
	// A late call is done even when its caller gave up waiting meanwhile, as Slack does: the
	// caller cannot tell whether it took effect.
	time.Sleep(outage.Delay)
	if outage.Status != 0 {
		call.Status = outage.Status
		s.mu.Lock()
		s.calls = append(s.calls, call)
		s.mu.Unlock()
		writeJSON(w, outage.Status, map[string]any{"ok": false, "error": "service_unavailable"})
		return
	}

	s.mu.Lock()
	var lost *failure
	if q := s.fail[method]; len(q) > 0 {
		fl := q[0]
		s.fail[method] = q[1:]
		call.Status = fl.status
		if fl.after {
			lost = &fl
		} else {
			s.calls = append(s.calls, call)
			s.mu.Unlock()
			for k, v := range fl.header {
				w.Header().Set(k, v)
			}
			writeJSON(w, fl.status, fl.body)
			return
		}
	}
	if method == "chat.postMessage" && !s.allow(args["channel"]) {
		s.limited++
		call.Status = http.StatusTooManyRequests
		s.calls = append(s.calls, call)
		s.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	s.calls = append(s.calls, call)
	s.mu.Unlock()

	token := firstOf(bearer, args["token"])
	switch {
	case method == "apps.connections.open" && !strings.HasPrefix(token, "xapp-"):
		writeJSON(w, 200, map[string]any{"ok": false, "error": "not_allowed_token_type"})
		return
	case method != "apps.connections.open" && token != BotToken:
		writeJSON(w, 200, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	answer := s.answer(method, args)
	if answer["ok"] == false {
		if code, _ := answer["error"].(string); !s.specs.knownError(method, code) {
			s.t.Errorf("slacktest: the fake answered %s with %q, which its reference does not list", method, code)
		}
	}
	s.reportEchoes()
	if lost != nil {
		writeJSON(w, lost.status, lost.body)
		return
	}
	writeJSON(w, 200, answer)
}

// reportEchoes queues the events of the app's changes for OnEvent's deliver.
func (s *Server) reportEchoes() {
	s.mu.Lock()
	echoes, q := s.echoes, s.echoQ
	s.echoes = nil
	s.mu.Unlock()
	if q == nil {
		return
	}
	for _, e := range echoes {
		q <- s.echoEvent(e)
	}
}

// allow takes one message from channel's allowance; s.mu is held.
func (s *Server) allow(channel string) bool {
	if s.rate <= 0 {
		return true
	}
	now := time.Now()
	b := s.buckets[channel]
	if b == nil {
		b = &bucket{tokens: s.burst, last: now}
		s.buckets[channel] = b
	}
	b.tokens = math.Min(s.burst, b.tokens+now.Sub(b.last).Seconds()*s.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func ok(kv ...any) map[string]any {
	m := map[string]any{"ok": true}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func refuse(code string) map[string]any { return map[string]any{"ok": false, "error": code} }

// answer is the fake's answer to a checked call.
func (s *Server) answer(method string, args map[string]string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch method {
	case "auth.test":
		return ok("user_id", BotUser, "bot_id", BotID, "team_id", TeamID, "user", "threadesk", "team", "Test", "url", "https://test.slack.com/")
	case "conversations.list":
		var all []any
		for _, c := range s.channels {
			all = append(all, map[string]any{"id": c[0], "name": c[1], "is_channel": true})
		}
		page, next, err := s.page(all, args)
		if err != "" {
			return refuse(err)
		}
		return ok("channels", page, "response_metadata", map[string]any{"next_cursor": next})
	case "conversations.members":
		members, found := s.members[args["channel"]]
		if !found {
			return refuse("channel_not_found")
		}
		var all []any
		for _, m := range members {
			all = append(all, m)
		}
		page, next, err := s.page(all, args)
		if err != "" {
			return refuse(err)
		}
		return ok("members", page, "response_metadata", map[string]any{"next_cursor": next})
	case "users.list":
		var all []any
		for _, u := range s.users {
			all = append(all, userJSON(u, args["include_locale"] == "true"))
		}
		page, next, err := s.page(all, args)
		if err != "" {
			return refuse(err)
		}
		return ok("members", page, "cache_ts", time.Now().Unix(), "response_metadata", map[string]any{"next_cursor": next})
	case "users.info":
		for _, u := range s.users {
			if u.ID == args["user"] {
				return ok("user", userJSON(u, args["include_locale"] == "true"))
			}
		}
		return refuse("user_not_found")
	case "conversations.open":
		users := strings.Split(args["users"], ",")
		if len(users) != 1 || users[0] == "" {
			return refuse("not_enough_users")
		}
		return ok("channel", map[string]any{"id": "D" + users[0]})
	case "chat.postMessage":
		return s.post(args)
	case "chat.postEphemeral":
		return ok("message_ts", s.newTS())
	case "chat.getPermalink":
		m := s.find(args["channel"], args["message_ts"])
		if m == nil || m.Deleted {
			return refuse("message_not_found")
		}
		link := "https://test.slack.com/archives/" + m.Channel + "/p" + strings.ReplaceAll(m.TS, ".", "")
		if m.Thread != "" && m.Thread != m.TS {
			link += "?thread_ts=" + m.Thread + "&cid=" + m.Channel
		}
		return ok("channel", m.Channel, "permalink", link)
	case "chat.update":
		m := s.find(args["channel"], args["ts"])
		if m == nil || m.Deleted {
			// A deleted message, tombstone or not, no longer exists for the app: "No message
			// exists with the requested timestamp."
			return refuse("message_not_found")
		}
		if m.BotID != BotID {
			return refuse("cant_update_message")
		}
		if problem := checkBlocks(args["blocks"]); problem != "" {
			s.t.Errorf("slacktest: chat.update: %s", problem)
			return refuse("invalid_blocks")
		}
		s.echoes = append(s.echoes, echo{kind: "changed", m: m.clone(), prevText: m.Text})
		m.Text, m.Blocks, m.Edits = args["text"], json.RawMessage(args["blocks"]), m.Edits+1
		s.echoes[len(s.echoes)-1].m.Text = m.Text
		if md, has := args["metadata"]; has {
			m.Metadata = json.RawMessage(md)
		}
		return ok("channel", m.Channel, "ts", m.TS, "text", m.Text)
	case "chat.delete":
		m := s.find(args["channel"], args["ts"])
		if m == nil || m.Deleted {
			return refuse("message_not_found")
		}
		if m.BotID != BotID {
			return refuse("cant_delete_message")
		}
		before, replies := m.clone(), s.replyCount(m)
		tombstoned := s.remove(m)
		s.echoes = append(s.echoes, echo{kind: "deleted", m: before, replies: replies, tombstone: tombstoned})
		return ok("channel", m.Channel, "ts", m.TS)
	case "reactions.add":
		m := s.find(args["channel"], args["timestamp"])
		if m == nil || m.Deleted {
			return refuse("message_not_found")
		}
		if slices.Contains(m.Reactions, args["name"]) {
			return refuse("already_reacted")
		}
		m.Reactions = append(m.Reactions, args["name"])
		return ok()
	case "reactions.remove":
		m := s.find(args["channel"], args["timestamp"])
		if m == nil || m.Deleted {
			return refuse("message_not_found")
		}
		i := slices.Index(m.Reactions, args["name"])
		if i < 0 {
			return refuse("no_reaction")
		}
		m.Reactions = slices.Delete(m.Reactions, i, i+1)
		return ok()
	case "conversations.history", "conversations.replies":
		return s.history(method, args)
	case "views.open":
		return s.openView(args)
	case "files.getUploadURLExternal":
		size, err := strconv.Atoi(args["length"])
		if err != nil || size <= 0 {
			return refuse("missing_argument")
		}
		s.nextID++
		id := fmt.Sprintf("FUP%05d", s.nextID)
		s.uploads[id] = &File{ID: id, Name: args["filename"]}
		return ok("upload_url", s.URL+"/upload/"+id, "file_id", id)
	case "files.completeUploadExternal":
		return s.completeUpload(args)
	case "files.info":
		if f, shared := s.files[args["file"]]; shared {
			// A file someone shared: its URLs, as for a file_share event.
			return ok("file", s.filesJSON([]File{*f})[0])
		}
		for _, m := range s.messages {
			if slices.Contains(m.Files, args["file"]) && !m.Deleted {
				share := map[string]any{"ts": m.TS}
				if m.Thread != "" {
					share["thread_ts"] = m.Thread
				}
				kind := "public"
				if strings.HasPrefix(m.Channel, "D") || strings.HasPrefix(m.Channel, "G") {
					kind = "private"
				}
				return ok("file", map[string]any{"id": args["file"], "shares": map[string]any{kind: map[string]any{m.Channel: []any{share}}}})
			}
		}
		return refuse("file_not_found")
	case "files.delete":
		found := false
		for _, m := range s.messages {
			if i := slices.Index(m.Files, args["file"]); i >= 0 {
				m.Files = slices.Delete(m.Files, i, i+1)
				if len(m.Files) == 0 {
					m.Deleted = true
				}
				found = true
			}
		}
		if !found {
			return refuse("file_not_found")
		}
		return ok()
	case "apps.connections.open":
		if s.socket == nil {
			return refuse("internal_error")
		}
		return ok("url", "ws"+strings.TrimPrefix(s.URL, "http")+"/ws")
	}
	s.t.Errorf("slacktest: the fake does not implement %s", method)
	return refuse("internal_error")
}

// post carries out chat.postMessage; s.mu is held.
func (s *Server) post(args map[string]string) map[string]any {
	channel := args["channel"]
	if channel == "" || !(strings.HasPrefix(channel, "D") || s.members[channel] != nil) {
		return refuse("channel_not_found")
	}
	if !strings.HasPrefix(channel, "D") && !slices.Contains(s.members[channel], BotUser) {
		return refuse("not_in_channel")
	}
	if args["text"] == "" && args["blocks"] == "" {
		return refuse("no_text")
	}
	if problem := checkBlocks(args["blocks"]); problem != "" {
		s.t.Errorf("slacktest: chat.postMessage: %s", problem)
		return refuse("invalid_blocks")
	}
	if md := args["metadata"]; md != "" {
		var meta struct {
			EventType    string         `json:"event_type"`
			EventPayload map[string]any `json:"event_payload"`
		}
		if err := json.Unmarshal([]byte(md), &meta); err != nil || meta.EventType == "" || meta.EventPayload == nil {
			s.t.Errorf("slacktest: chat.postMessage: metadata %s lacks event_type or event_payload", md)
			return refuse("invalid_metadata_format")
		}
	}
	if th := args["thread_ts"]; th != "" {
		// A root that was deleted still takes replies, as on Slack, whose reference of
		// chat.postMessage lists no error for a deleted thread: the app learns of the deletion
		// from the event (see DeleteMessage), not from here.
		root := s.find(channel, th)
		if root == nil || root.Thread != "" {
			return refuse("cannot_reply_to_message") // not a top-level message of the channel
		}
	}
	m := &Message{
		Channel: channel, TS: s.newTS(), Thread: args["thread_ts"], Text: args["text"],
		User: BotUser, BotID: BotID, Username: args["username"], IconURL: args["icon_url"],
		Blocks: json.RawMessage(args["blocks"]), Metadata: json.RawMessage(args["metadata"]),
	}
	s.messages = append(s.messages, m)
	s.echoes = append(s.echoes, echo{kind: "new", m: m.clone()})
	msg := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "user": BotUser, "bot_id": BotID}
	if m.Thread != "" {
		msg["thread_ts"] = m.Thread
	}
	return ok("channel", channel, "ts", m.TS, "message", msg)
}

// history answers conversations.history (top-level messages, newest first) and
// conversations.replies (a thread's root and replies, oldest first); s.mu is held.
func (s *Server) history(method string, args map[string]string) map[string]any {
	channel := args["channel"]
	if !(strings.HasPrefix(channel, "D") || s.members[channel] != nil) {
		return refuse("channel_not_found")
	}
	var all []any
	for _, m := range s.messages {
		if m.Channel != channel || (m.Deleted && !m.Tombstone) {
			continue
		}
		if method == "conversations.history" && m.Thread != "" {
			continue
		}
		if method == "conversations.replies" && m.TS != args["ts"] && m.Thread != args["ts"] {
			continue
		}
		if m.Tombstone {
			all = append(all, tombstoneJSON(m.TS, s.replyCount(m)))
			continue
		}
		msg := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "user": m.User}
		if m.BotID != "" {
			msg["bot_id"] = m.BotID
		}
		if m.Thread != "" {
			msg["thread_ts"] = m.Thread
		}
		if len(m.Metadata) > 0 && args["include_all_metadata"] != "" && args["include_all_metadata"] != "0" && args["include_all_metadata"] != "false" {
			msg["metadata"] = m.Metadata
		}
		all = append(all, msg)
	}
	if method == "conversations.replies" && len(all) == 0 {
		return refuse("thread_not_found")
	}
	if method == "conversations.history" {
		slices.Reverse(all)
	}
	limit := 100
	if n, err := strconv.Atoi(args["limit"]); err == nil && n > 0 {
		limit = min(n, 1000)
	}
	start := 0
	if c := args["cursor"]; c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "next:"))
		if err != nil || n < 0 || n > len(all) {
			return refuse("invalid_cursor")
		}
		start = n
	}
	end := min(start+limit, len(all))
	next := ""
	if end < len(all) {
		next = "next:" + strconv.Itoa(end)
	}
	return ok("messages", all[start:end], "has_more", next != "", "response_metadata", map[string]any{"next_cursor": next})
}

// page cuts one page out of all by the call's limit and cursor, and PageCap; s.mu is held.
func (s *Server) page(all []any, args map[string]string) (page []any, next, problem string) {
	limit := len(all)
	if n, err := strconv.Atoi(args["limit"]); err == nil && n > 0 {
		limit = n
	}
	if s.PageCap > 0 {
		limit = min(limit, s.PageCap)
	}
	start := 0
	if c := args["cursor"]; c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "next:"))
		if err != nil || n < 0 || n > len(all) {
			return nil, "", "invalid_cursor"
		}
		start = n
	}
	end := min(start+limit, len(all))
	if end < len(all) {
		next = "next:" + strconv.Itoa(end)
	}
	return slices.Clone(all[start:end]), next, ""
}

// openView carries out views.open, which needs a trigger_id handed out by Trigger that is less
// than TriggerLife old; s.mu is held.
func (s *Server) openView(args map[string]string) map[string]any {
	issued, known := s.triggers[args["trigger_id"]]
	switch {
	case !known:
		return refuse("invalid_trigger_id")
	case time.Since(issued) > TriggerLife:
		return refuse("expired_trigger_id")
	}
	var view map[string]any
	if err := json.Unmarshal([]byte(args["view"]), &view); err != nil {
		s.t.Errorf("slacktest: views.open: view is not a JSON object: %v", err)
		return refuse("invalid_arguments")
	}
	if view["type"] != "modal" {
		s.t.Errorf("slacktest: views.open: view type %v, want modal", view["type"])
		return refuse("invalid_arguments")
	}
	blocks, _ := json.Marshal(view["blocks"])
	if problem := checkBlocks(string(blocks)); problem != "" {
		s.t.Errorf("slacktest: views.open: %s", problem)
		return refuse("invalid_arguments")
	}
	delete(s.triggers, args["trigger_id"])
	s.views = append(s.views, View{Trigger: args["trigger_id"], View: view})
	s.nextID++
	return ok("view", map[string]any{"id": fmt.Sprintf("V%05d", s.nextID), "callback_id": view["callback_id"]})
}

// completeUpload shares uploaded files into a channel as one message; s.mu is held.
func (s *Server) completeUpload(args map[string]string) map[string]any {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(args["files"]), &files); err != nil || len(files) == 0 {
		s.t.Errorf("slacktest: files.completeUploadExternal: files %q is not a JSON array of {id, title}", args["files"])
		return refuse("file_not_found")
	}
	channel := firstOf(args["channel_id"], args["channels"])
	m := &Message{Channel: channel, TS: s.newTS(), Thread: args["thread_ts"], Text: args["initial_comment"], User: BotUser, BotID: BotID}
	var out []any
	for _, f := range files {
		up, found := s.uploads[f.ID]
		if !found || up.Data == nil {
			return refuse("file_not_found")
		}
		m.Files = append(m.Files, f.ID)
		out = append(out, map[string]any{"id": f.ID, "title": f.Title})
	}
	if channel != "" {
		if !(strings.HasPrefix(channel, "D") || s.members[channel] != nil) {
			return refuse("channel_not_found")
		}
		s.messages = append(s.messages, m)
		s.echoes = append(s.echoes, echo{kind: "new", m: m.clone()})
	}
	return ok("files", out)
}

// userJSON is a user as users.info and users.list describe them. The locale is only there
// when the caller asked with include_locale=true, which defaults to false; the time zone is
// always there when the user has one.
func userJSON(u *User, withLocale bool) map[string]any {
	m := map[string]any{
		"id": u.ID, "team_id": TeamID, "name": u.Name, "real_name": u.RealName, "deleted": u.Deleted, "is_bot": u.IsBot,
		"profile": map[string]any{"display_name": u.DisplayName, "real_name": u.RealName, "image_72": u.Image},
	}
	if withLocale && u.Locale != "" {
		m["locale"] = u.Locale
	}
	if u.TZ != "" {
		m["tz"] = u.TZ
	}
	return m
}

// knownBlocks are the Block Kit block types the app may send.
var knownBlocks = []string{"actions", "context", "divider", "header", "image", "input", "section", "rich_text"}

// checkBlocks reports what Slack would refuse in a blocks argument: not a JSON array of at
// most 50 blocks of known types, button texts over 75 characters, a repeated action_id in one
// block. An absent argument is fine.
func checkBlocks(raw string) string {
	if raw == "" || raw == "null" {
		return ""
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return "blocks are not a JSON array of objects: " + err.Error()
	}
	if len(blocks) > 50 {
		return fmt.Sprintf("%d blocks, Slack takes at most 50", len(blocks))
	}
	for i, b := range blocks {
		typ, _ := b["type"].(string)
		if !slices.Contains(knownBlocks, typ) {
			return fmt.Sprintf("block %d has unknown type %q", i, typ)
		}
		elements, _ := b["elements"].([]any)
		if el, ok := b["element"]; ok {
			elements = append(elements, el)
		}
		seen := map[string]bool{}
		for _, e := range elements {
			el, _ := e.(map[string]any)
			id, _ := el["action_id"].(string)
			if id != "" && seen[id] {
				return fmt.Sprintf("block %d repeats action_id %q", i, id)
			}
			seen[id] = true
			if text, ok := el["text"].(map[string]any); ok && el["type"] == "button" {
				if t, _ := text["text"].(string); len([]rune(t)) > 75 || t == "" {
					return fmt.Sprintf("block %d: button text %q is empty or over 75 characters", i, t)
				}
			}
		}
	}
	return ""
}

// serveUpload keeps the bytes of the multipart "file" part (or the raw body) posted to an
// upload URL.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("file")
	s.mu.Lock()
	up, found := s.uploads[id]
	s.mu.Unlock()
	if !found {
		http.NotFound(w, r)
		return
	}
	var data []byte
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ctype == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
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
			if part.FormName() == "file" || part.FileName() != "" {
				data, _ = io.ReadAll(part)
			}
		}
	} else {
		data, _ = io.ReadAll(r.Body)
	}
	if data == nil {
		data = []byte{}
	}
	s.mu.Lock()
	up.Data = data
	s.mu.Unlock()
	_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(data)))
}

// serveFile serves a shared file's url_private, only to the bot token. Without it, Slack
// redirects to its sign-in page; the fake answers 403.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+BotToken {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	s.mu.Lock()
	f, found := s.files[r.PathValue("id")]
	s.mu.Unlock()
	if !found {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.Mimetype)
	_, _ = w.Write(f.Data)
}

// serveResponse records what is posted to a response URL, which takes no token.
func (s *Server) serveResponse(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "" {
		s.t.Errorf("slacktest: a response_url must not receive a token")
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		s.t.Errorf("slacktest: response_url body is not JSON: %v", err)
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.responses = append(s.responses, Response{URL: s.URL + r.URL.Path, Body: body})
	s.mu.Unlock()
	_, _ = io.WriteString(w, "ok")
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

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The mock Slack workspace the relay talks to.
const (
	mockBotToken = "xoxb-load-token"
	mockBotUser  = "UBOTLOAD"
	mockBotID    = "BBOTLOAD"
	mockTriage   = "C0TRIAGE"
	// tsEpoch is the seconds part of the first customer message timestamp; see tsOf.
	tsEpoch = 1700000000
	// textMarker precedes the sequence number in every customer text, so that the relayed copy
	// names the message it is a copy of.
	textMarker = "load message #"
)

// tsOf is the Slack timestamp of customer message seq: unique per message and readable back
// with seqOfTS, so that reactions.add names the message it marks.
func tsOf(seq int) string {
	return strconv.Itoa(tsEpoch+seq/1_000_000) + "." + fmt.Sprintf("%06d", seq%1_000_000)
}

// seqOfTS reads back what tsOf wrote; -1 when ts is not one of ours.
func seqOfTS(ts string) int {
	secs, micros, ok := strings.Cut(ts, ".")
	if !ok {
		return -1
	}
	s, err1 := strconv.Atoi(secs)
	u, err2 := strconv.Atoi(micros)
	if err1 != nil || err2 != nil || s < tsEpoch || u < 0 || u >= 1_000_000 {
		return -1
	}
	return (s-tsEpoch)*1_000_000 + u
}

// textOf is the text of customer message seq.
func textOf(seq int) string {
	return "Hello, my order has not arrived yet, can you help? (" + textMarker + strconv.Itoa(seq) + ")"
}

// seqOfText finds the sequence number in a relayed text; -1 when there is none.
func seqOfText(text string) int {
	_, rest, ok := strings.Cut(text, textMarker)
	if !ok {
		return -1
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil {
		return -1
	}
	return n
}

// tracker records, per customer message, when it was sent and when (and how often) its copy
// and its delivery mark reached the mock. Sequence numbers index fixed arrays, so that the hot
// path takes no lock.
type tracker struct {
	base    time.Time      // all times are nanoseconds since base (monotonic)
	sentAt  []atomic.Int64 // 0 until sent
	arrived []atomic.Int64 // arrival of the first copy
	copies  []atomic.Int32 // relayed copies seen in the thread
	marks   []atomic.Int32 // reactions.add calls on the customer's message
	// accepted is set when the relay answered 200 to the message's event.
	accepted  []atomic.Bool
	next      atomic.Int64 // next sequence number
	delivered atomic.Int64 // messages whose first copy arrived
	stray     atomic.Int64 // relayed texts or marks that name no message of ours
}

func newTracker(capacity int) *tracker {
	return &tracker{
		base:     time.Now(),
		sentAt:   make([]atomic.Int64, capacity),
		arrived:  make([]atomic.Int64, capacity),
		copies:   make([]atomic.Int32, capacity),
		marks:    make([]atomic.Int32, capacity),
		accepted: make([]atomic.Bool, capacity),
	}
}

// now is the time since base in nanoseconds; never 0.
func (t *tracker) now() int64 { return int64(time.Since(t.base)) + 1 }

// take returns the next sequence number, or -1 when the arrays are full.
func (t *tracker) take() int {
	n := int(t.next.Add(1) - 1)
	if n >= len(t.sentAt) {
		return -1
	}
	return n
}

func (t *tracker) relayed(seq int) {
	if seq < 0 || seq >= len(t.copies) {
		t.stray.Add(1)
		return
	}
	now := t.now()
	if t.copies[seq].Add(1) == 1 {
		t.arrived[seq].Store(now)
		t.delivered.Add(1)
	}
}

func (t *tracker) marked(seq int) {
	if seq < 0 || seq >= len(t.marks) {
		t.stray.Add(1)
		return
	}
	t.marks[seq].Add(1)
}

// mockSlack answers the Web API calls the relay makes, fast and like Slack: ok, channel, ts.
// It counts calls per method so that the report can say what one relayed message costs.
type mockSlack struct {
	track atomic.Pointer[tracker]
	srv   *http.Server
	url   string

	nextTS atomic.Int64
	mu     sync.Mutex
	calls  map[string]int64
}

func startMockSlack() (*mockSlack, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the mock Slack API: %w", err)
	}
	m := &mockSlack{calls: map[string]int64{}, url: "http://" + l.Addr().String() + "/api/"}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", m.serve)
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := m.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("mock Slack API stopped:", err)
		}
	}()
	return m, nil
}

func (m *mockSlack) close() { _ = m.srv.Close() }

// takeCalls returns the calls per method since the last takeCalls and starts counting anew.
func (m *mockSlack) takeCalls() map[string]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.calls
	m.calls = map[string]int64{}
	return c
}

func (m *mockSlack) serve(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	m.mu.Lock()
	m.calls[method]++
	m.mu.Unlock()
	if tok := r.Form.Get("token"); tok != mockBotToken && r.Header.Get("Authorization") != "Bearer "+mockBotToken {
		writeRaw(w, `{"ok":false,"error":"invalid_auth"}`)
		return
	}
	t := m.track.Load()
	switch method {
	case "auth.test":
		writeRaw(w, `{"ok":true,"url":"https://load.slack.com/","team":"Load","user":"threadesk","team_id":"TLOAD","user_id":"`+mockBotUser+`","bot_id":"`+mockBotID+`"}`)
	case "chat.postMessage":
		channel, thread := r.Form.Get("channel"), r.Form.Get("thread_ts")
		if t != nil && channel == mockTriage && thread != "" {
			t.relayed(seqOfText(r.Form.Get("text")))
		}
		ts := strconv.Itoa(tsEpoch+500_000_000) + "." + fmt.Sprintf("%06d", m.nextTS.Add(1)%1_000_000)
		writeRaw(w, `{"ok":true,"channel":"`+channel+`","ts":"`+ts+`","message":{"type":"message","ts":"`+ts+`","bot_id":"`+mockBotID+`"}}`)
	case "reactions.add":
		if t != nil {
			t.marked(seqOfTS(r.Form.Get("timestamp")))
		}
		writeRaw(w, `{"ok":true}`)
	case "chat.update":
		writeRaw(w, `{"ok":true,"channel":"`+r.Form.Get("channel")+`","ts":"`+r.Form.Get("ts")+`"}`)
	case "users.info":
		u := r.Form.Get("user")
		// Names and avatar URL as long as real ones, so that the ticket hash has its real size.
		writeRaw(w, `{"ok":true,"user":{"id":"`+u+`","name":"customer.`+strings.ToLower(u)+`","real_name":"Customer `+u+
			`","is_bot":false,"profile":{"display_name":"Customer `+u+`","real_name":"Customer `+u+
			`","image_72":"https://avatars.slack-edge.com/2024-05-14/7123456789012_0f1e2d3c4b5a69788796_72.png"}}}`)
	case "conversations.open":
		writeRaw(w, `{"ok":true,"channel":{"id":"D`+r.Form.Get("users")+`"}}`)
	case "conversations.list":
		writeRaw(w, `{"ok":true,"channels":[{"id":"`+mockTriage+`","name":"triage"}],"response_metadata":{"next_cursor":""}}`)
	case "conversations.replies", "conversations.history":
		// Only asked after a crash or an ambiguous failure, which a clean run never has.
		writeRaw(w, `{"ok":true,"messages":[],"has_more":false,"response_metadata":{"next_cursor":""}}`)
	default:
		writeRaw(w, `{"ok":false,"error":"unknown_method"}`)
	}
}

func writeRaw(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(body))
}

// formatCalls prints calls per method, divided by n messages.
func formatCalls(calls map[string]int64, n int) string {
	names := make([]string, 0, len(calls))
	for k := range calls {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, k := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %.2f", k, float64(calls[k])/float64(max(n, 1)))
	}
	return b.String()
}

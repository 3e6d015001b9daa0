package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/sandbox"
)

// TestEndpoints checks the program's fixed HTTP face in sandbox mode.
func TestEndpoints(t *testing.T) {
	a := startApp(t, nil)
	if a.Sandbox == nil {
		t.Fatal("no platform configured, but the sandbox does not run")
	}
	if got, want := a.URL, fmt.Sprintf("http://localhost:%d", a.Addr.(*net.TCPAddr).Port); got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}

	status, h, _ := a.get("/")
	if status != http.StatusFound || h.Get("Location") != "/sandbox" {
		t.Errorf("GET / = %d Location %q, want 302 to /sandbox", status, h.Get("Location"))
	}
	status, h, body := a.get("/sandbox")
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "sandbox.js") {
		t.Errorf("GET /sandbox = %d %q, want the page", status, h.Get("Content-Type"))
	}
	if status, _, body := a.get("/healthz"); status != http.StatusOK {
		t.Errorf("GET /healthz = %d %s, want 200", status, body)
	}
	status, _, body = a.get("/readyz")
	var ready struct {
		Ready  bool              `json:"ready"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal(body, &ready); err != nil {
		t.Fatalf("readyz body %s: %v", body, err)
	}
	if status != http.StatusOK || !ready.Ready || ready.Checks["redis"] != "ok" {
		t.Errorf("GET /readyz = %d %s, want 200 with redis ok", status, body)
	}
	if status, _, _ := a.get("/nope"); status != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", status)
	}
	families := a.metricFamilies()
	for _, name := range []string{"threadesk_queue_depth", "go_goroutines", "process_cpu_seconds_total"} {
		if !families[name] {
			t.Errorf("/metrics has no %s", name)
		}
	}
}

// TestSandboxRelaysBothWays runs the whole program on real Redis and drives it through the
// sandbox's JSON API: a customer's message opens ticket #1 and shows in its thread, an agent's
// reply reaches the customer's DM, an internal note does not, and the store and the metrics
// say what happened.
func TestSandboxRelaysBothWays(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	ada := a.user("Ada Lovelace", "customer")
	bob := a.user("Bob Agent", "agent")

	// The customer writes: a ticket card opens a thread in triage, the message is mirrored into
	// it under the customer's name, the customer learns the ticket number, and the message is
	// marked delivered.
	sent := a.say(ada, "My VPN is down", "")
	if sent.Channel != ada.DM {
		t.Fatalf("customer message in %q, want their DM %q", sent.Channel, ada.DM)
	}
	var card sbMessage
	eventually(t, "the ticket thread with the mirrored message", func() (bool, string) {
		s := a.state()
		cards := s.find(func(m sbMessage) bool { return m.Channel == sandbox.TriageChannel && m.Thread == "" && m.Card != nil })
		if len(cards) != 1 {
			return false, fmt.Sprintf("%d cards in triage", len(cards))
		}
		card = cards[0]
		mirrored := s.find(func(m sbMessage) bool { return m.Thread == card.ID && m.FromApp && m.Text == "My VPN is down" })
		own, _ := s.byID(sent.ID)
		return len(mirrored) == 1 && own.marked("delivered"), fmt.Sprintf("mirrored %+v, own marks %v", mirrored, own.Marks)
	})
	if !strings.Contains(card.Card.Title, "#1") || !strings.Contains(card.Card.Title, "Ada Lovelace") {
		t.Errorf("card title = %q, want ticket #1 of Ada Lovelace", card.Card.Title)
	}
	s := a.state()
	mirrored := s.find(func(m sbMessage) bool { return m.Thread == card.ID && m.Text == "My VPN is down" })[0]
	if got, want := mirrored.asName(), "Ada Lovelace"; got != want {
		t.Errorf("mirrored message shown as %q, want %q", got, want)
	}
	acks := s.find(func(m sbMessage) bool { return m.Channel == ada.DM && m.FromApp && strings.Contains(m.Text, "#1") })
	if len(acks) != 1 {
		t.Errorf("the customer got %d messages naming ticket #1, want 1: %+v", len(acks), s.find(func(m sbMessage) bool { return m.Channel == ada.DM }))
	}

	// The agent answers in the thread: the answer reaches the DM under the agent's name.
	answer := a.say(bob, "Please restart the client", card.ID)
	eventually(t, "the agent's answer in the DM", func() (bool, string) {
		s := a.state()
		got := s.find(func(m sbMessage) bool {
			return m.Channel == ada.DM && m.FromApp && m.Text == "Please restart the client"
		})
		own, _ := s.byID(answer.ID)
		return len(got) == 1 && got[0].asName() == "Bob Agent" && own.marked("delivered"),
			fmt.Sprintf("copies %+v, answer marks %v", got, own.Marks)
	})

	// An internal note stays in the thread, marked as a note.
	note := a.say(bob, "// it is the certificate again", card.ID)
	eventually(t, "the note mark", func() (bool, string) {
		own, _ := a.state().byID(note.ID)
		return own.marked("note"), fmt.Sprintf("marks %v", own.Marks)
	})
	if leaked := a.state().find(func(m sbMessage) bool { return m.Channel == ada.DM && strings.Contains(m.Text, "certificate") }); len(leaked) != 0 {
		t.Errorf("the internal note reached the customer: %+v", leaked)
	}
	if own, _ := a.state().byID(note.ID); own.marked("delivered") {
		t.Errorf("note marked %v, a note is not delivered anywhere", own.Marks)
	}

	// A top-level message in triage is not about a ticket: the app drops it.
	a.say(bob, "lunch anyone?", "")

	// The store has the ticket and its history.
	tk, err := a.Store.CustomerTicket(ctx, sandbox.Name, ada.ID)
	if err != nil {
		t.Fatalf("customer's ticket: %v", err)
	}
	if tk.ID != 1 || tk.ThreadID != card.ID || tk.Status != desk.StatusOpen || tk.DMChannel != ada.DM {
		t.Errorf("ticket = #%d thread %q status %s DM %q; want #1 in %q, open, DM %q", tk.ID, tk.ThreadID, tk.Status, tk.DMChannel, card.ID, ada.DM)
	}
	entries, err := a.Store.Transcript(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Kind+": "+e.Name+": "+e.Text)
	}
	want := []string{
		"customer: Ada Lovelace: My VPN is down",
		"agent: Bob Agent: Please restart the client",
		"status: Bob Agent: new → open (assigned to Bob Agent, the first to answer)",
		"note: Bob Agent: // it is the certificate again",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("transcript:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	// The metrics count all of it.
	eventually(t, "an empty queue", func() (bool, string) {
		v, ok := a.metrics()["threadesk_queue_depth"]
		return ok && v == 0, fmt.Sprintf("threadesk_queue_depth = %v (present %v)", v, ok)
	})
	m := a.metrics()
	for _, tc := range []struct {
		series string
		min    float64
		max    float64
	}{
		{`threadesk_events_in_total{kind="customer.message",platform="sandbox"}`, 1, 1},
		{`threadesk_events_in_total{kind="agent.reply",platform="sandbox"}`, 2, 2},
		{`threadesk_events_dropped_total{platform="sandbox",reason="not_in_thread"}`, 1, 1},
		{`threadesk_deliveries_total{platform="sandbox",result="ok"}`, 2, 1e9}, // card, ack, mirror, answer
		{`threadesk_delivery_latency_seconds_count{platform="sandbox"}`, 2, 2}, // the message and the answer
	} {
		v, ok := m[tc.series]
		if !ok || v < tc.min || v > tc.max {
			t.Errorf("%s = %v (present %v), want between %v and %v", tc.series, v, ok, tc.min, tc.max)
		}
	}
	if v := m[`threadesk_deliveries_total{platform="sandbox",result="failed"}`]; v != 0 {
		t.Errorf("%v failed deliveries, want none", v)
	}
}

// TestNotePrefixSetting runs with INTERNAL_NOTE_PREFIX set: replies starting with it stay in
// the thread, the default "//" is an ordinary reply, and the page is told the prefix.
func TestNotePrefixSetting(t *testing.T) {
	a := startApp(t, map[string]string{"INTERNAL_NOTE_PREFIX": "!!", "DESK_COMMAND": "/helpdesk"})
	ada := a.user("Ada", "customer")
	bob := a.user("Bob", "agent")
	a.say(ada, "hello", "")
	var thread string
	eventually(t, "the ticket thread", func() (bool, string) {
		cards := a.state().find(func(m sbMessage) bool { return m.Card != nil })
		if len(cards) == 0 {
			return false, "no card"
		}
		thread = cards[0].ID
		return true, ""
	})
	note := a.say(bob, "!! between us", thread)
	reply := a.say(bob, "// shown to the customer", thread)
	eventually(t, "the note mark and the relayed reply", func() (bool, string) {
		s := a.state()
		n, _ := s.byID(note.ID)
		r, _ := s.byID(reply.ID)
		return n.marked("note") && r.marked("delivered"), fmt.Sprintf("note marks %v, reply marks %v", n.Marks, r.Marks)
	})
	s := a.state()
	if got := s.find(func(m sbMessage) bool { return m.Channel == ada.DM && m.Text == "// shown to the customer" }); len(got) != 1 {
		t.Errorf("reply copies in the DM = %d, want 1", len(got))
	}
	if got := s.find(func(m sbMessage) bool { return m.Channel == ada.DM && strings.Contains(m.Text, "between us") }); len(got) != 0 {
		t.Errorf("the note reached the customer: %+v", got)
	}
	if s.Command != "/helpdesk" {
		t.Errorf("page is told command %q, want DESK_COMMAND /helpdesk", s.Command)
	}
	// The page's hints name the note prefix; it must be the configured one.
	if s.NotePrefix != "!!" {
		t.Errorf("page is told note prefix %q, want INTERNAL_NOTE_PREFIX %q", s.NotePrefix, "!!")
	}
}

// TestLeadsSetting runs with LEADS naming one agent by handle: that agent may run the lead
// command "/desk stats", another agent is told it is for leads only.
func TestLeadsSetting(t *testing.T) {
	a := startApp(t, map[string]string{"LEADS": "U-nobody, bob.agent"})
	bob := a.user("Bob Agent", "agent") // handle bob.agent
	carol := a.user("Carol", "agent")
	notALead := catalog.Default.Text(catalog.NotALead, map[string]any{"Command": "/desk stats"})

	answer := func(u sbUser) string {
		t.Helper()
		a.mustPost("/sandbox/api/commands", map[string]string{"user": u.ID, "text": "/desk stats"}, http.StatusOK, nil)
		var text string
		eventually(t, "the answer to "+u.Name, func() (bool, string) {
			got := a.state().find(func(m sbMessage) bool { return m.Ephemeral == u.ID })
			if len(got) == 0 {
				return false, "no answer"
			}
			text = got[0].Text
			return true, ""
		})
		return text
	}
	if got := answer(carol); got != notALead {
		t.Errorf("Carol (not in LEADS) got %q, want %q", got, notALead)
	}
	if got := answer(bob); got == notALead || got == "" {
		t.Errorf("Bob (in LEADS as bob.agent) got %q, want the statistics", got)
	}
}

// TestSandboxRefusesBadRequests sends what no page sends: each is refused with a 4xx, and no
// event reaches the core.
func TestSandboxRefusesBadRequests(t *testing.T) {
	a := startApp(t, nil)
	ada := a.user("Ada", "customer")
	for _, tc := range []struct {
		name        string
		path        string
		contentType string
		body        []byte
		want        int
	}{
		{"malformed JSON", "/sandbox/api/messages", "application/json", []byte(`{"user":"` + ada.ID + `","text":`), http.StatusBadRequest},
		{"not JSON", "/sandbox/api/messages", "text/plain", []byte(`{"user":"` + ada.ID + `","text":"hi"}`), http.StatusUnsupportedMediaType},
		{"unknown field", "/sandbox/api/messages", "application/json", []byte(`{"user":"` + ada.ID + `","text":"hi","admin":true}`), http.StatusBadRequest},
		{"two values", "/sandbox/api/messages", "application/json", []byte(`{"user":"` + ada.ID + `","text":"hi"}{}`), http.StatusBadRequest},
		{"oversize body", "/sandbox/api/messages", "application/json",
			[]byte(`{"user":"` + ada.ID + `","text":"` + strings.Repeat("a", 300<<10) + `"}`), http.StatusRequestEntityTooLarge},
		{"empty text", "/sandbox/api/messages", "application/json", []byte(`{"user":"` + ada.ID + `","text":"   "}`), http.StatusBadRequest},
		{"unknown user", "/sandbox/api/messages", "application/json", []byte(`{"user":"u999","text":"hi"}`), http.StatusNotFound},
		{"customer in a thread", "/sandbox/api/messages", "application/json", []byte(`{"user":"` + ada.ID + `","text":"hi","thread":"m1"}`), http.StatusBadRequest},
		{"malformed user", "/sandbox/api/users", "application/json", []byte(`{"name":`), http.StatusBadRequest},
		{"bad role", "/sandbox/api/users", "application/json", []byte(`{"name":"Eve","role":"admin"}`), http.StatusBadRequest},
		{"malformed command", "/sandbox/api/commands", "application/json", []byte(`[`), http.StatusBadRequest},
		{"no such route", "/sandbox/api/nope", "application/json", []byte(`{}`), http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var answer struct {
				Error string `json:"error"`
				Code  string `json:"code"`
			}
			status, err := a.post(tc.path, tc.contentType, tc.body, &answer)
			if err != nil {
				t.Fatalf("POST: %v", err)
			}
			if status != tc.want {
				t.Errorf("status = %d, want %d (%+v)", status, tc.want, answer)
			}
			if answer.Error == "" || answer.Code == "" {
				t.Errorf("answer %+v has no error text or code", answer)
			}
		})
	}

	// Another site's page cannot act in the sandbox.
	req, err := http.NewRequest(http.MethodPost, a.url("/sandbox/api/messages"), strings.NewReader(`{"user":"`+ada.ID+`","text":"csrf"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST = %d, want 403", resp.StatusCode)
	}

	if msgs := a.state().Messages; len(msgs) != 0 {
		t.Errorf("refused requests left messages: %+v", msgs)
	}
	for series, v := range a.metrics() {
		if strings.HasPrefix(series, "threadesk_events_in_total") && v != 0 {
			t.Errorf("%s = %v, want no event recorded", series, v)
		}
	}
	if n, err := a.Store.QueueDepth(context.Background()); err != nil || n != 0 {
		t.Errorf("queue depth = %d, %v; want 0", n, err)
	}
}

// TestRedisOutage runs the program on a Redis of its own and kills it: readiness fails, the
// sandbox refuses a message with 503 and shows it as not delivered; once Redis is back, a retry
// relays it once into the same ticket.
func TestRedisOutage(t *testing.T) {
	rs := startRedis(t)
	a := startApp(t, map[string]string{"REDIS_URL": "redis://" + rs.addr()})
	ada := a.user("Ada", "customer")
	first := a.say(ada, "first", "")
	var card string
	eventually(t, "the first message delivered", func() (bool, string) {
		s := a.state()
		m, _ := s.byID(first.ID)
		if cards := s.find(func(m sbMessage) bool { return m.Card != nil }); len(cards) == 1 {
			card = cards[0].ID
		}
		return m.marked("delivered") && card != "", fmt.Sprintf("marks %v, card %q", m.Marks, card)
	})

	rs.kill()
	eventually(t, "/readyz to fail", func() (bool, string) {
		status, _, body := a.get("/readyz")
		return status == http.StatusServiceUnavailable && !strings.Contains(string(body), `"redis":"ok"`), fmt.Sprintf("%d %s", status, body)
	})
	if status, _, _ := a.get("/healthz"); status != http.StatusOK {
		t.Errorf("/healthz = %d during the outage, want 200 (the process is alive)", status)
	}

	var refused struct {
		Error   string    `json:"error"`
		Code    string    `json:"code"`
		Message sbMessage `json:"message"`
	}
	status, err := a.post("/sandbox/api/messages", "application/json", map[string]string{"user": ada.ID, "text": "second"}, &refused)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusServiceUnavailable || refused.Code != desk.EUNAVAILABLE {
		t.Fatalf("message during the outage = %d %+v, want 503 %s", status, refused, desk.EUNAVAILABLE)
	}
	second := refused.Message
	s := a.state()
	if m, ok := s.byID(second.ID); !ok || m.Error == "" || m.marked("delivered") {
		t.Errorf("refused message in the page = %+v (found %v), want it flagged with an error and not delivered", m, ok)
	}
	if copies := s.find(func(m sbMessage) bool { return m.FromApp && m.Text == "second" }); len(copies) != 0 {
		t.Errorf("refused message was relayed: %+v", copies)
	}

	rs.start()
	eventually(t, "/readyz to pass again", func() (bool, string) {
		status, _, body := a.get("/readyz")
		return status == http.StatusOK, fmt.Sprintf("%d %s", status, body)
	})
	a.mustPost("/sandbox/api/messages/"+second.ID+"/retry", map[string]string{"user": ada.ID}, http.StatusOK, nil)
	eventually(t, "the retried message delivered", func() (bool, string) {
		m, _ := a.state().byID(second.ID)
		return m.marked("delivered") && m.Error == "", fmt.Sprintf("%+v", m)
	})
	s = a.state()
	if copies := s.find(func(m sbMessage) bool { return m.FromApp && m.Text == "second" }); len(copies) != 1 || copies[0].Thread != card {
		t.Errorf("copies of the retried message = %+v, want one in thread %s", copies, card)
	}
	if cards := s.find(func(m sbMessage) bool { return m.Card != nil }); len(cards) != 1 {
		t.Errorf("%d ticket cards, want 1: Redis kept ticket #1", len(cards))
	}
}

// TestCloseLosesNothing sends messages from several customers while the program stops, then
// starts it again on the same Redis: every message the sandbox acknowledged is in its ticket's
// history exactly once, in the order it was sent, and the queue is empty.
func TestCloseLosesNothing(t *testing.T) {
	a := startApp(t, nil)
	cfg := a.Config
	const customers, perCustomer = 3, 15
	var users []sbUser
	for i := range customers {
		users = append(users, a.user(fmt.Sprintf("Customer %d", i), "customer"))
	}

	var (
		mu       sync.Mutex
		accepted = map[string][]string{} // user ID → texts acknowledged with 201, in order
		refused  = map[string][]string{} // user ID → texts not acknowledged
		count    int
		closeNow = make(chan struct{})
		once     sync.Once
		wg       sync.WaitGroup
	)
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perCustomer {
				text := fmt.Sprintf("%s message %d", u.Name, i)
				status, err := a.post("/sandbox/api/messages", "application/json", map[string]string{"user": u.ID, "text": text}, nil)
				mu.Lock()
				if err == nil && status == http.StatusCreated {
					accepted[u.ID] = append(accepted[u.ID], text)
					count++
					if count == customers*perCustomer/2 {
						once.Do(func() { close(closeNow) })
					}
				} else {
					refused[u.ID] = append(refused[u.ID], text)
				}
				mu.Unlock()
				if err != nil {
					return // the server is gone
				}
			}
		}()
	}
	<-closeNow
	start := time.Now()
	if err := a.close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Close took %s", d)
	}
	wg.Wait()
	total := 0
	for _, texts := range accepted {
		total += len(texts)
	}
	t.Logf("%d messages acknowledged before the stop, %d refused", total, customers*perCustomer-total)

	// What the first run relayed, it relayed once.
	before := a.sandboxState()
	seen := map[string]int{}
	for _, m := range before.find(func(m sbMessage) bool { return m.FromApp && m.Thread != "" }) {
		seen[m.Text]++
	}
	for text, n := range seen {
		if n > 1 {
			t.Errorf("first run relayed %q %d times", text, n)
		}
	}

	// A new process on the same Redis takes over what was left.
	b := runApp(t, cfg)
	ctx := context.Background()
	eventually(t, "the queue to drain", func() (bool, string) {
		n, err := b.Store.QueueDepth(ctx)
		return err == nil && n == 0, fmt.Sprintf("depth %d, %v", n, err)
	})
	for _, u := range users {
		want := accepted[u.ID]
		if len(want) == 0 {
			continue
		}
		var got []string
		eventually(t, "the history of "+u.Name, func() (bool, string) {
			tk, err := b.Store.CustomerTicket(ctx, sandbox.Name, u.ID)
			if err != nil {
				return false, err.Error()
			}
			entries, err := b.Store.Transcript(ctx, tk.ID)
			if err != nil {
				return false, err.Error()
			}
			got = got[:0]
			for _, e := range entries {
				if e.Kind == "customer" {
					got = append(got, e.Text)
				}
			}
			return len(got) >= len(want), fmt.Sprintf("%d of %d messages", len(got), len(want))
		})
		// Acknowledged messages: each exactly once, in order. Refused ones: at most once (a
		// request cut off by the stop may have been recorded before its answer was lost).
		counts := map[string]int{}
		for _, text := range got {
			counts[text]++
		}
		var order []string
		for _, text := range got {
			if contains(want, text) {
				order = append(order, text)
			}
		}
		if strings.Join(order, "|") != strings.Join(want, "|") {
			t.Errorf("%s: acknowledged messages in the history = %q, want %q", u.Name, order, want)
		}
		for text, n := range counts {
			if n > 1 {
				t.Errorf("%s: %q is %d times in the history", u.Name, text, n)
			}
			if !contains(want, text) && !contains(refused[u.ID], text) {
				t.Errorf("%s: unknown text %q in the history", u.Name, text)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestCloseWithOpenPage stops the program while a page holds the sandbox's live stream open:
// Close must end the stream and return promptly, without error.
func TestCloseWithOpenPage(t *testing.T) {
	a := startApp(t, nil)
	resp, err := a.client.Get(a.url("/sandbox/stream"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d %q %v", resp.StatusCode, line, err)
	}
	start := time.Now()
	err = a.close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %s with a page open, want a prompt stop", d.Round(time.Millisecond))
	}
	if err != nil {
		t.Errorf("Close with a page open: %v", err)
	}
}

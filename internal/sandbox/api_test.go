package sandbox

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
)

func TestCreateUser(t *testing.T) {
	f := newFixture(t)
	code, out := f.call(t, "POST", "/sandbox/api/users", map[string]any{"name": "  Grace Hopper ", "role": "agent"})
	if code != http.StatusCreated {
		t.Fatalf("status %d %v", code, out)
	}
	if out["name"] != "Grace Hopper" || out["handle"] != "grace.hopper" || out["role"] != "agent" || out["dm"] != "D-"+out["id"].(string) {
		t.Errorf("created %v", out)
	}
	tests := []struct {
		name string
		body any
		want int
	}{
		{"no name", map[string]any{"name": " ", "role": "customer"}, 400},
		{"long name", map[string]any{"name": strings.Repeat("n", 65), "role": "customer"}, 400},
		{"control characters", map[string]any{"name": "a\nb", "role": "customer"}, 400},
		{"bad role", map[string]any{"name": "x", "role": "admin"}, 400},
		{"unknown field", map[string]any{"name": "x", "role": "agent", "admin": true}, 400},
		{"bad JSON", `{"name":`, 400},
		{"two values", `{"name":"x","role":"agent"} {}`, 400},
		{"oversize", `{"name":"` + strings.Repeat("x", maxJSONBody) + `"}`, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := f.call(t, "POST", "/sandbox/api/users", tt.body)
			if code != tt.want || out["error"] == "" || out["code"] == "" {
				t.Errorf("status %d %v, want %d with error and code", code, out, tt.want)
			}
		})
	}
	req := httptest.NewRequest("POST", "/sandbox/api/users", strings.NewReader(`{"name":"x","role":"agent"}`))
	req.Header.Set("Content-Type", "text/plain")
	if code, _ := f.serve(t, req); code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain body: status %d, want 415", code)
	}
	if got := len(f.sb.snapshot().Users); got != 1 {
		t.Errorf("%d users after refused requests, want 1", got)
	}
}

// A lead is an agent whose ID is one of LeadIDs, set aside before anyone is added; the page
// sees who is a lead.
func TestCreateLead(t *testing.T) {
	f := newFixture(t)
	ids := f.sb.LeadIDs()
	if len(ids) != MaxLeads || !slices.Equal(ids, f.sb.LeadIDs()) {
		t.Fatalf("LeadIDs = %v, want %d IDs, the same every time", ids, MaxLeads)
	}
	code, out := f.call(t, "POST", "/sandbox/api/users", map[string]any{"name": "Bob", "role": "agent", "lead": true})
	if code != http.StatusCreated || out["id"] != ids[0] || out["lead"] != true || out["role"] != "agent" {
		t.Fatalf("create a lead: %d %v, want 201 with ID %s and lead true", code, out, ids[0])
	}
	agent := f.user(t, "Dee", RoleAgent)
	if slices.Contains(ids, agent) {
		t.Errorf("an agent who is no lead got a lead's ID %s", agent)
	}
	if u := f.sb.snapshot().Users; len(u) != 2 || !u[0].Lead || u[1].Lead {
		t.Errorf("snapshot users = %+v, want Bob a lead and Dee not", u)
	}
	if code, out := f.call(t, "POST", "/sandbox/api/users", map[string]any{"name": "Ada", "role": "customer", "lead": true}); code != http.StatusBadRequest {
		t.Errorf("a customer as lead: %d %v, want 400", code, out)
	}
	for i := 2; i <= MaxLeads; i++ {
		f.call(t, "POST", "/sandbox/api/users", map[string]any{"name": "Lead", "role": "agent", "lead": true})
	}
	code, out = f.call(t, "POST", "/sandbox/api/users", map[string]any{"name": "One too many", "role": "agent", "lead": true})
	if code != http.StatusConflict || !strings.Contains(out["error"].(string), "add this person as an agent") {
		t.Errorf("a lead past MaxLeads: %d %v, want 409 saying to add an agent", code, out)
	}
	if u, err := f.sb.UserInfo(context.Background(), ids[MaxLeads-1]); err != nil || u.ID != ids[MaxLeads-1] {
		t.Errorf("the last lead = %+v, %v", u, err)
	}
}

func TestCustomerMessage(t *testing.T) {
	f := newFixture(t)
	ada := f.user(t, "Ada", RoleCustomer)
	code, out := f.call(t, "POST", "/sandbox/api/messages", map[string]any{"user": ada, "text": "My printer is on fire"})
	if code != http.StatusCreated {
		t.Fatalf("status %d %v", code, out)
	}
	msg := out["message"].(map[string]any)
	ev := f.ing.last(t, 0)
	want := desk.Event{
		ID: ev.ID, Platform: "sandbox", Kind: desk.CustomerMessage, At: f.clock.Now(),
		User:    desk.User{ID: ada, Name: "ada", DisplayName: "Ada"},
		Channel: "D-" + ada, Message: msg["id"].(string), Text: "My printer is on fire",
	}
	if ev.ID == "" || !eventsEqual(ev, want) {
		t.Errorf("event = %+v\nwant    %+v", ev, want)
	}
	if msg["channel"] != "D-"+ada || msg["author"] != ada || msg["fromApp"] != false {
		t.Errorf("message = %v", msg)
	}
	// A second message has a new event ID.
	f.call(t, "POST", "/sandbox/api/messages", map[string]any{"user": ada, "text": "still burning"})
	if second := f.ing.last(t, 1); second.ID == ev.ID {
		t.Errorf("two messages share event ID %s", ev.ID)
	}
}

func eventsEqual(a, b desk.Event) bool {
	return a.ID == b.ID && a.Platform == b.Platform && a.Kind == b.Kind && a.At.Equal(b.At) && a.User == b.User &&
		a.Channel == b.Channel && a.Message == b.Message && a.Thread == b.Thread && a.Text == b.Text &&
		a.Ticket == b.Ticket && a.Action == b.Action && a.Value == b.Value && a.Trigger == b.Trigger &&
		len(a.Files) == len(b.Files) && len(a.Form) == len(b.Form)
}

func TestAgentReply(t *testing.T) {
	f := newFixture(t)
	bob := f.user(t, "Bob", RoleAgent)
	ada := f.user(t, "Ada", RoleCustomer)
	root := f.card(t)

	code, out := f.call(t, "POST", "/sandbox/api/messages", map[string]any{"user": bob, "text": "On it", "thread": root.ID})
	if code != http.StatusCreated {
		t.Fatalf("status %d %v", code, out)
	}
	ev := f.ing.last(t, 0)
	if ev.Kind != desk.AgentReply || ev.Channel != TriageChannel || ev.Thread != root.ID || ev.Text != "On it" ||
		ev.Message != out["message"].(map[string]any)["id"] || ev.User.ID != bob {
		t.Errorf("event = %+v", ev)
	}

	// A top-level message in the triage channel is recorded in the sandbox and discarded.
	code, _ = f.call(t, "POST", "/sandbox/api/messages", map[string]any{"user": bob, "text": "lunch?"})
	if code != http.StatusCreated {
		t.Errorf("top-level message: status %d", code)
	}
	if got, want := f.ing.Discards(), []string{"sandbox/not_in_thread"}; !equal(got, want) {
		t.Errorf("discards = %v, want %v", got, want)
	}

	for _, tt := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"unknown thread", map[string]any{"user": bob, "text": "x", "thread": "m0"}, 404},
		{"thread rooted at a reply", map[string]any{"user": bob, "text": "x", "thread": ev.Message}, 404},
		{"customer in a thread", map[string]any{"user": ada, "text": "x", "thread": root.ID}, 400},
		{"unknown user", map[string]any{"user": "u0", "text": "x"}, 404},
		{"no user", map[string]any{"text": "x"}, 400},
		{"empty text", map[string]any{"user": bob, "text": "  ", "thread": root.ID}, 400},
		{"text too long", map[string]any{"user": bob, "text": strings.Repeat("a", maxInputText+1), "thread": root.ID}, 413},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if code, out := f.call(t, "POST", "/sandbox/api/messages", tt.body); code != tt.want || out["error"] == nil {
				t.Errorf("status %d %v, want %d", code, out, tt.want)
			}
		})
	}
	if got := len(f.ing.Events()); got != 1 {
		t.Errorf("%d events after refused requests, want 1", got)
	}
}

func TestEditAndDelete(t *testing.T) {
	f := newFixture(t)
	ada := f.user(t, "Ada", RoleCustomer)
	eve := f.user(t, "Eve", RoleCustomer)
	bob := f.user(t, "Bob", RoleAgent)
	root := f.card(t)
	send := func(body map[string]any) string {
		t.Helper()
		code, out := f.call(t, "POST", "/sandbox/api/messages", body)
		if code != http.StatusCreated {
			t.Fatalf("send: %d %v", code, out)
		}
		return out["message"].(map[string]any)["id"].(string)
	}
	mine := send(map[string]any{"user": ada, "text": "helo"})
	reply := send(map[string]any{"user": bob, "text": "hi", "thread": root.ID})
	n := len(f.ing.Events())

	code, out := f.call(t, "POST", "/sandbox/api/messages/"+mine+"/edit", map[string]any{"user": ada, "text": "hello"})
	if code != 200 || out["message"].(map[string]any)["edited"] != true {
		t.Fatalf("edit: %d %v", code, out)
	}
	if ev := f.ing.last(t, n); ev.Kind != desk.CustomerEdit || ev.Message != mine || ev.Channel != "D-"+ada || ev.Text != "hello" {
		t.Errorf("edit event = %+v", ev)
	}
	f.call(t, "POST", "/sandbox/api/messages/"+reply+"/edit", map[string]any{"user": bob, "text": "hi there"})
	if ev := f.ing.last(t, n+1); ev.Kind != desk.AgentEdit || ev.Message != reply || ev.Thread != root.ID || ev.Text != "hi there" {
		t.Errorf("agent edit event = %+v", ev)
	}
	f.call(t, "POST", "/sandbox/api/messages/"+reply+"/delete", map[string]any{"user": bob})
	if ev := f.ing.last(t, n+2); ev.Kind != desk.AgentDelete || ev.Message != reply || ev.Thread != root.ID {
		t.Errorf("agent delete event = %+v", ev)
	}
	code, _ = f.call(t, "POST", "/sandbox/api/messages/"+mine+"/delete", map[string]any{"user": ada})
	if ev := f.ing.last(t, n+3); code != 200 || ev.Kind != desk.CustomerDelete || ev.Message != mine || ev.Channel != "D-"+ada {
		t.Errorf("delete: %d, event %+v", code, ev)
	}
	if m := f.message(t, mine); !m.Deleted || m.Text != "" {
		t.Errorf("deleted message = %+v", m)
	}

	other := send(map[string]any{"user": ada, "text": "x"})
	n = len(f.ing.Events())
	for _, tt := range []struct {
		name, path string
		body       map[string]any
		want       int
	}{
		{"someone else's", "/sandbox/api/messages/" + other + "/edit", map[string]any{"user": eve, "text": "y"}, 404},
		{"the app's", "/sandbox/api/messages/" + root.ID + "/edit", map[string]any{"user": bob, "text": "y"}, 403},
		{"an agent's, by another agent", "/sandbox/api/messages/" + root.ID + "/delete", map[string]any{"user": bob}, 403},
		{"deleted", "/sandbox/api/messages/" + mine + "/edit", map[string]any{"user": ada, "text": "y"}, 409},
		{"unknown", "/sandbox/api/messages/m0/delete", map[string]any{"user": ada}, 404},
		{"empty text", "/sandbox/api/messages/" + other + "/edit", map[string]any{"user": ada, "text": ""}, 400},
		{"nothing to retry", "/sandbox/api/messages/" + other + "/retry", map[string]any{"user": ada}, 409},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if code, out := f.call(t, "POST", tt.path, tt.body); code != tt.want {
				t.Errorf("status %d %v, want %d", code, out, tt.want)
			}
		})
	}
	if got := len(f.ing.Events()); got != n {
		t.Errorf("refused changes made %d events", got-n)
	}
}

func TestIngestFailureFlagsTheMessageUntilRetried(t *testing.T) {
	f := newFixture(t)
	ada := f.user(t, "Ada", RoleCustomer)
	f.ing.setFail(desk.Errorf(desk.EUNAVAILABLE, "store is down"))

	code, out := f.call(t, "POST", "/sandbox/api/messages", map[string]any{"user": ada, "text": "anyone?"})
	if code != http.StatusServiceUnavailable || out["code"] != "unavailable" || !strings.Contains(out["error"].(string), "store is down") {
		t.Fatalf("status %d %v, want 503 with the reason", code, out)
	}
	id := out["message"].(map[string]any)["id"].(string)
	if m := f.message(t, id); m.Text != "anyone?" || m.Error == "" {
		t.Errorf("message after a failed ingest = %+v, want it kept and flagged", m)
	}
	// An edit while the app has not taken the message waits behind it.
	if code, _ := f.call(t, "POST", "/sandbox/api/messages/"+id+"/edit", map[string]any{"user": ada, "text": "anyone there?"}); code != 503 {
		t.Errorf("edit while failing: status %d, want 503", code)
	}
	if code, _ := f.call(t, "POST", "/sandbox/api/messages/"+id+"/retry", map[string]any{"user": ada}); code != 503 {
		t.Errorf("retry while failing: status %d, want 503", code)
	}
	if got := len(f.ing.Events()); got != 0 {
		t.Fatalf("%d events recorded while failing", got)
	}

	f.ing.setFail(nil)
	code, out = f.call(t, "POST", "/sandbox/api/messages/"+id+"/retry", map[string]any{"user": ada})
	if code != 200 {
		t.Fatalf("retry: %d %v", code, out)
	}
	evs := f.ing.Events()
	if len(evs) != 2 || evs[0].Kind != desk.CustomerMessage || evs[1].Kind != desk.CustomerEdit || evs[0].Text != "anyone?" || evs[1].Text != "anyone there?" {
		t.Fatalf("events after retry = %+v, want the message then the edit", evs)
	}
	if m := f.message(t, id); m.Error != "" {
		t.Errorf("error after a successful retry = %q", m.Error)
	}
	// A retry carries the event IDs of the first attempt, so the core can deduplicate.
	f.ing.setFail(errors.New("flaky"))
	code, _ = f.call(t, "POST", "/sandbox/api/messages", map[string]any{"user": ada, "text": "again"})
	f.ing.setFail(nil)
	f.sb.mu.Lock()
	var pendingID, msgID string
	for _, m := range f.sb.messages {
		if m.Text == "again" {
			pendingID, msgID = m.pending[0].ID, m.ID
		}
	}
	f.sb.mu.Unlock()
	f.call(t, "POST", "/sandbox/api/messages/"+msgID+"/retry", map[string]any{"user": ada})
	if ev := f.ing.last(t, 2); code != 503 || ev.ID != pendingID {
		t.Errorf("retried event ID %s, want the first attempt's %s", ev.ID, pendingID)
	}
}

func TestUploadFromThePage(t *testing.T) {
	f := newFixture(t)
	ada := f.user(t, "Ada", RoleCustomer)
	multipartReq := func(content string) *http.Request {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		w.WriteField("user", ada)
		w.WriteField("text", "screenshot")
		fw, _ := w.CreateFormFile("file", "shot.png")
		io.WriteString(fw, content)
		w.Close()
		req := httptest.NewRequest("POST", "/sandbox/api/messages", &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		return req
	}
	code, out := f.serve(t, multipartReq("PNGDATA"))
	if code != http.StatusCreated {
		t.Fatalf("status %d %v", code, out)
	}
	ev := f.ing.last(t, 0)
	if ev.Kind != desk.CustomerMessage || ev.Text != "screenshot" || len(ev.Files) != 1 || ev.Files[0].Name != "shot.png" || ev.Files[0].Size != 7 {
		t.Fatalf("event = %+v", ev)
	}
	rc, err := f.sb.Download(context.Background(), ev.Files[0])
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	if string(data) != "PNGDATA" {
		t.Errorf("downloaded %q", data)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, httptest.NewRequest("GET", ev.Files[0].URL, nil))
	if rec.Code != 200 || rec.Body.String() != "PNGDATA" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET %s: %d %q %v", ev.Files[0].URL, rec.Code, rec.Body.String(), rec.Header())
	}

	// Refusals name the file and the limit.
	if code, out := f.serve(t, multipartReq(strings.Repeat("x", 1<<10+1))); code != http.StatusRequestEntityTooLarge || out["error"] != "shot.png is larger than the 1 KB the sandbox accepts." {
		t.Errorf("oversize file: %d %q, want 413 naming shot.png and 1 KB", code, out["error"])
	}
	if code, out := f.serve(t, multipartReq(strings.Repeat("x", 300<<10))); code != http.StatusRequestEntityTooLarge || out["error"] != "The files together are larger than the 1 KB the sandbox accepts in one message." {
		t.Errorf("oversize body: %d %q, want 413 naming the limit", code, out["error"])
	}
	if got := len(f.ing.Events()); got != 1 {
		t.Errorf("%d events after refused uploads, want 1", got)
	}
}

func TestSizeText(t *testing.T) {
	for n, want := range map[int64]string{10 << 20: "10 MB", 1 << 10: "1 KB", 1536: "1.5 KB", 900: "900 bytes", 3<<20 + 1<<19: "3.5 MB"} {
		if got := sizeText(n); got != want {
			t.Errorf("sizeText(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestPressAction(t *testing.T) {
	f := newFixture(t)
	bob := f.user(t, "Bob", RoleAgent)
	ada := f.user(t, "Ada", RoleCustomer)
	card := f.card(t)
	dmCard, err := f.sb.Post(context.Background(), desk.Outgoing{Channel: f.dm(t, ada), Text: "Did that help?",
		Card: &desk.Card{Title: "Did that help?", Actions: []desk.Action{{ID: "kb_solved", Label: "That solved it", Value: "7"}}}})
	if err != nil {
		t.Fatal(err)
	}

	code, out := f.call(t, "POST", "/sandbox/api/actions", map[string]any{"user": bob, "message": card.ID, "action": "claim", "value": "1"})
	if code != 200 {
		t.Fatalf("click: %d %v", code, out)
	}
	ev := f.ing.last(t, 0)
	if ev.Kind != desk.ActionPressed || ev.Action != "claim" || ev.Value != "1" || ev.Trigger == "" || ev.User.ID != bob ||
		ev.Channel != TriageChannel || ev.Message != card.ID || ev.Thread != card.ID || out["event"] != ev.ID {
		t.Errorf("event = %+v (answer %v)", ev, out)
	}
	if code, _ := f.call(t, "POST", "/sandbox/api/actions", map[string]any{"user": ada, "message": dmCard.ID, "action": "kb_solved", "value": "7"}); code != 200 {
		t.Errorf("customer click in their DM: status %d", code)
	}
	if ev := f.ing.last(t, 1); ev.Channel != "D-"+ada || ev.Thread != "" || ev.Action != "kb_solved" {
		t.Errorf("customer click event = %+v", ev)
	}
	// A private answer with buttons in triage (the confirmation of /desk forget) roots no
	// thread: the answer to its click is another private answer, not a reply under it.
	private, err := f.sb.Post(context.Background(), desk.Outgoing{Channel: TriageChannel, Ephemeral: bob, Text: "Forget Ada?",
		Card: &desk.Card{Title: "Forget Ada?", Actions: []desk.Action{{ID: "forget", Label: "Forget", Value: "1:" + ada + ":" + bob}}}})
	if err != nil {
		t.Fatal(err)
	}
	if code, out := f.call(t, "POST", "/sandbox/api/actions", map[string]any{"user": bob, "message": private.ID, "action": "forget", "value": "1:" + ada + ":" + bob}); code != 200 {
		t.Errorf("click on a private answer: %d %v", code, out)
	}
	if ev := f.ing.last(t, 2); ev.Channel != TriageChannel || ev.Message != private.ID || ev.Thread != "" {
		t.Errorf("click on a private answer: event %+v, want it in triage outside any thread", ev)
	}

	for _, tt := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"unknown button", map[string]any{"user": bob, "message": card.ID, "action": "delete_everything", "value": "1"}, 404},
		{"forged value", map[string]any{"user": bob, "message": card.ID, "action": "claim", "value": "2"}, 404},
		{"customer in triage", map[string]any{"user": ada, "message": card.ID, "action": "claim", "value": "1"}, 404},
		{"agent in a customer's DM", map[string]any{"user": bob, "message": dmCard.ID, "action": "kb_solved", "value": "7"}, 404},
		{"unknown user", map[string]any{"user": "u0", "message": card.ID, "action": "claim", "value": "1"}, 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if code, out := f.call(t, "POST", "/sandbox/api/actions", tt.body); code != tt.want {
				t.Errorf("status %d %v, want %d", code, out, tt.want)
			}
		})
	}
	f.ing.setFail(errors.New("down"))
	if code, out := f.call(t, "POST", "/sandbox/api/actions", map[string]any{"user": bob, "message": card.ID, "action": "claim", "value": "1"}); code != 503 || out["error"] == nil {
		t.Errorf("click while the app is down: %d %v, want 503", code, out)
	}
	if got := len(f.ing.Events()); got != 3 {
		t.Errorf("%d events, want 3", got)
	}
}

func TestRunCommand(t *testing.T) {
	f := newFixture(t)
	bob := f.user(t, "Bob", RoleAgent)
	ada := f.user(t, "Ada", RoleCustomer)
	tests := []struct {
		user, text, wantText, wantChannel string
	}{
		{bob, "/desk list open", "list open", TriageChannel},
		{bob, "status", "status", TriageChannel},
		{bob, "/desk", "", TriageChannel},
		{ada, "/desk help", "help", "D-" + ada},
		{bob, "/desktop", "/desktop", TriageChannel},
	}
	for i, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if code, out := f.call(t, "POST", "/sandbox/api/commands", map[string]any{"user": tt.user, "text": tt.text}); code != 200 {
				t.Fatalf("status %d %v", code, out)
			}
			ev := f.ing.last(t, i)
			if ev.Kind != desk.CommandRun || ev.Text != tt.wantText || ev.Channel != tt.wantChannel || ev.Trigger == "" || ev.User.ID != tt.user {
				t.Errorf("event = %+v, want text %q in %s", ev, tt.wantText, tt.wantChannel)
			}
		})
	}
	if code, _ := f.call(t, "POST", "/sandbox/api/commands", map[string]any{"user": "u0", "text": "list"}); code != 404 {
		t.Errorf("unknown user: status %d, want 404", code)
	}
}

func TestForms(t *testing.T) {
	f := newFixture(t)
	bob := f.user(t, "Bob", RoleAgent)
	cy := f.user(t, "Cy", RoleAgent)
	card := f.card(t)
	open := func() string {
		t.Helper()
		f.call(t, "POST", "/sandbox/api/actions", map[string]any{"user": bob, "message": card.ID, "action": "tag", "value": "1"})
		evs := f.ing.Events()
		err := f.sb.OpenForm(context.Background(), evs[len(evs)-1].Trigger, desk.Form{
			ID: "tag", Title: "Tag #1", Context: "1", Fields: []desk.FormField{
				{ID: "priority", Label: "Priority", Kind: "select", Options: []string{"low", "high"}},
				{ID: "tags", Label: "Tags", Kind: "multiselect", Options: []string{"vpn", "mail"}, Optional: true},
				{ID: "note", Label: "Note", Kind: "textarea", Optional: true},
			}})
		if err != nil {
			t.Fatalf("OpenForm: %v", err)
		}
		snap := f.sb.snapshot()
		return snap.Forms[len(snap.Forms)-1].ID
	}
	form := open()
	submit := func(user string, values map[string]string) (int, map[string]any) {
		return f.call(t, "POST", "/sandbox/api/forms/"+form+"/submit", map[string]any{"user": user, "values": values})
	}
	n := len(f.ing.Events())

	code, out := submit(bob, map[string]string{"tags": "vpn,printer"})
	fields, _ := out["fields"].(map[string]any)
	if code != 422 || fields["priority"] == nil || fields["tags"] == nil || fields["note"] != nil {
		t.Errorf("invalid values: %d %v, want 422 naming priority and tags", code, out)
	}
	if code, _ := submit(bob, map[string]string{"priority": "low", "colour": "red"}); code != 400 {
		t.Errorf("unknown field: status %d, want 400", code)
	}
	if code, _ := submit(cy, map[string]string{"priority": "low"}); code != 403 {
		t.Errorf("someone else's form: status %d, want 403", code)
	}
	f.ing.setFail(errors.New("down"))
	if code, _ := submit(bob, map[string]string{"priority": "high"}); code != 503 {
		t.Errorf("submit while the app is down: status %d, want 503", code)
	}
	if got := len(f.sb.snapshot().Forms); got != 1 {
		t.Errorf("%d open forms after a failed submission, want 1", got)
	}
	f.ing.setFail(nil)
	if got := len(f.ing.Events()); got != n {
		t.Fatalf("refused submissions made %d events", got-n)
	}

	if code, out := submit(bob, map[string]string{"priority": "high", "tags": "vpn,mail"}); code != 200 {
		t.Fatalf("submit: %d %v", code, out)
	}
	ev := f.ing.last(t, n)
	if ev.Kind != desk.FormSubmitted || ev.Action != "tag" || ev.Value != "1" || ev.Channel != TriageChannel ||
		ev.Form["priority"] != "high" || ev.Form["tags"] != "vpn,mail" || ev.Form["note"] != "" || len(ev.Form) != 3 {
		t.Errorf("event = %+v", ev)
	}
	if got := len(f.sb.snapshot().Forms); got != 0 {
		t.Errorf("%d open forms after submitting, want 0", got)
	}
	if code, _ := submit(bob, map[string]string{"priority": "high"}); code != 404 {
		t.Errorf("submit of a closed form: status %d, want 404", code)
	}

	form = open()
	if code, _ := f.call(t, "POST", "/sandbox/api/forms/"+form+"/cancel", map[string]any{"user": cy}); code != 403 {
		t.Errorf("cancel of someone else's form: status %d, want 403", code)
	}
	if code, _ := f.call(t, "POST", "/sandbox/api/forms/"+form+"/cancel", map[string]any{"user": bob}); code != 200 {
		t.Errorf("cancel: status %d", code)
	}
	if got := len(f.sb.snapshot().Forms); got != 0 {
		t.Errorf("%d open forms after cancelling, want 0", got)
	}
}

func TestPageAndProtection(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ path, contentType, contains string }{
		{"/sandbox", "text/html; charset=utf-8", `data-testid="customer-create"`},
		{"/sandbox/static/sandbox.js", "text/javascript; charset=utf-8", "EventSource"},
		{"/sandbox/static/sandbox.css", "text/css; charset=utf-8", ".card"},
	} {
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		if rec.Code != 200 || rec.Header().Get("Content-Type") != tt.contentType || !strings.Contains(rec.Body.String(), tt.contains) {
			t.Errorf("GET %s: %d %q", tt.path, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, httptest.NewRequest("GET", "/sandbox", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("page CSP = %q", csp)
	}
	req := httptest.NewRequest("POST", "/sandbox/api/users", strings.NewReader(`{"name":"Mallory","role":"agent"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if code, _ := f.serve(t, req); code != http.StatusForbidden {
		t.Errorf("cross-site POST: status %d, want 403", code)
	}
	if code, out := f.call(t, "POST", "/sandbox/api/nope", map[string]any{}); code != 404 || out["error"] == nil {
		t.Errorf("unknown API route: %d %v", code, out)
	}
	if got := len(f.sb.snapshot().Users); got != 0 {
		t.Errorf("%d users after a cross-site request, want 0", got)
	}
}

package mattermost

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/desk"
)

// handlerAdapter is an adapter whose HTTP handlers can be called without a server.
func handlerAdapter(t *testing.T, edit func(*Config)) (*Adapter, *fakeIngester) {
	t.Helper()
	cfg := Config{URL: "http://127.0.0.1:1", Token: "t", Team: "support", TriageChannel: "triage",
		CommandTokens: ParseCommandTokens(" cmd-token-one , cmd-token-two,"), PublicURL: "https://desk.example.com", Secret: testSecret}
	if edit != nil {
		edit(&cfg)
	}
	in := newIngester()
	a, err := New(cfg, in, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	return a, in
}

func commandRequest(auth string, form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/mattermost/command", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	return r
}

func commandForm(token string) url.Values {
	return url.Values{
		"channel_id": {"chan1"}, "channel_name": {"triage"}, "command": {"/desk"}, "team_domain": {"support"},
		"team_id": {"team1"}, "text": {" claim 12 "}, "token": {token}, "trigger_id": {"trig-abc"},
		"user_id": {"user1"}, "user_name": {"alex"}, "response_url": {"https://mm.example.com/hooks/commands/xyz"},
	}
}

func TestCommandHandler(t *testing.T) {
	tests := []struct {
		name       string
		auth       string
		formToken  string
		failIngest bool
		wantStatus int
		wantEvent  bool
	}{
		{"first token", "Token cmd-token-one", "cmd-token-one", false, 200, true},
		{"second token", "Token cmd-token-two", "cmd-token-two", false, 200, true},
		{"token only in the form", "", "cmd-token-one", false, 200, true},
		{"wrong token", "Token nope", "nope", false, 401, false},
		{"wrong header, right form token", "Token nope", "cmd-token-one", false, 401, false},
		{"missing token", "", "", false, 401, false},
		{"prefix of a token", "Token cmd-token", "", false, 401, false},
		{"ingest fails", "Token cmd-token-one", "", true, 500, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, in := handlerAdapter(t, nil)
			in.failNext = map[bool]int{true: 1}[tt.failIngest]
			rec := httptest.NewRecorder()
			a.CommandHandler().ServeHTTP(rec, commandRequest(tt.auth, commandForm(tt.formToken)))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", rec.Code, tt.wantStatus, rec.Body)
			}
			evs, _, _ := in.snapshot()
			if !tt.wantEvent {
				if len(evs) != 0 {
					t.Fatalf("events = %+v, want none", evs)
				}
				return
			}
			if len(evs) != 1 {
				t.Fatalf("events = %d, want 1", len(evs))
			}
			ev := evs[0]
			want := desk.Event{ID: "cmd:" + shortHash("trig-abc"), Platform: "mattermost", Kind: desk.CommandRun, At: ev.At,
				User: desk.User{ID: "user1", Name: "alex"}, Channel: "chan1", Text: "claim 12", Trigger: "trig-abc",
				Reply: "https://mm.example.com/hooks/commands/xyz"}
			if ev.ID != want.ID || ev.Kind != want.Kind || ev.User != want.User || ev.Channel != want.Channel || ev.Text != want.Text || ev.Reply != want.Reply || ev.Trigger != want.Trigger || ev.Platform != want.Platform {
				t.Errorf("event = %+v, want %+v", ev, want)
			}
			if rec.Body.Len() != 0 {
				t.Errorf("body = %q, want empty without CommandAck", rec.Body)
			}
		})
	}

	t.Run("ack text", func(t *testing.T) {
		a, _ := handlerAdapter(t, func(c *Config) { c.CommandAck = "On it…" })
		rec := httptest.NewRecorder()
		a.CommandHandler().ServeHTTP(rec, commandRequest("Token cmd-token-one", commandForm("")))
		var got model.CommandResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.ResponseType != "ephemeral" || got.Text != "On it…" {
			t.Errorf("answer = %s (%v), want an ephemeral ack", rec.Body, err)
		}
	})
	t.Run("same trigger is the same event", func(t *testing.T) {
		a, in := handlerAdapter(t, nil)
		for range 2 {
			a.CommandHandler().ServeHTTP(httptest.NewRecorder(), commandRequest("Token cmd-token-one", commandForm("")))
		}
		evs, attempts, _ := in.snapshot()
		if len(evs) != 1 || attempts[evs[0].ID] != 2 {
			t.Errorf("events = %d, attempts %v; want one event delivered twice", len(evs), attempts)
		}
	})
	t.Run("no tokens configured", func(t *testing.T) {
		a, in := handlerAdapter(t, func(c *Config) { c.CommandTokens = nil })
		rec := httptest.NewRecorder()
		a.CommandHandler().ServeHTTP(rec, commandRequest("Token ", commandForm("")))
		if evs, _, _ := in.snapshot(); rec.Code != 401 || len(evs) != 0 {
			t.Errorf("status %d with %d events, want 401 and none", rec.Code, len(evs))
		}
	})
	t.Run("GET", func(t *testing.T) {
		a, _ := handlerAdapter(t, nil)
		rec := httptest.NewRecorder()
		a.CommandHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mattermost/command", nil))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("status = %d, want 405", rec.Code)
		}
	})
}

// oldAction is a button context as signed before it said whether its post roots a thread.
func oldAction(secret []byte, action, value, ticket string) map[string]any {
	return map[string]any{ctxAction: action, ctxValue: value, ctxTicket: ticket,
		ctxSig: base64.RawURLEncoding.EncodeToString(mac(secret, "mattermost-action", action, value, ticket))}
}

// clickRequest is what Mattermost sends when someone presses the button.
func clickRequest(t *testing.T, context map[string]any) *http.Request {
	t.Helper()
	body, err := json.Marshal(model.PostActionIntegrationRequest{
		UserId: "user1", UserName: "alex", ChannelId: "chan1", TeamId: "team1", PostId: "post1",
		TriggerId: "trig-1", Type: "button", Context: context,
	})
	if err != nil {
		t.Fatal(err)
	}
	return httptest.NewRequest(http.MethodPost, "/mattermost/actions", bytes.NewReader(body))
}

func TestActionHandler(t *testing.T) {
	a, _ := handlerAdapter(t, nil)
	// The context exactly as Post renders it onto a card.
	att := a.attachment("t", &desk.Card{Actions: []desk.Action{{ID: "claim", Label: "Claim", Value: "12"}}}, true)
	good := att.Actions[0].Integration.Context
	roundTrip := func(m map[string]any) map[string]any {
		b, _ := json.Marshal(m)
		var out map[string]any
		_ = json.Unmarshal(b, &out)
		return out
	}
	with := func(k string, v any) map[string]any {
		m := roundTrip(good)
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	other := signAction([]byte("another-secret-another-secret-another"), "claim", "12", "", true)

	tests := []struct {
		name       string
		context    map[string]any
		failIngest bool
		wantStatus int
	}{
		{"signed", roundTrip(good), false, 200},
		{"altered value", with("value", "13"), false, 403},
		{"altered action", with("action", "resolve"), false, 403},
		{"ticket added", with("ticket", "99"), false, 403},
		{"altered root", with("root", "0"), false, 403},
		{"root of another kind", with("root", 1), false, 403},
		{"missing signature", with("sig", nil), false, 403},
		{"garbage signature", with("sig", "!!!"), false, 403},
		{"signed with another secret", roundTrip(other), false, 403},
		{"no context", nil, false, 403},
		{"ingest fails", roundTrip(good), true, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, in := handlerAdapter(t, nil)
			in.failNext = map[bool]int{true: 1}[tt.failIngest]
			rec := httptest.NewRecorder()
			a.ActionHandler().ServeHTTP(rec, clickRequest(t, tt.context))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", rec.Code, tt.wantStatus, rec.Body)
			}
			evs, _, _ := in.snapshot()
			if tt.wantStatus != 200 {
				if len(evs) != 0 {
					t.Fatalf("events = %+v, want none", evs)
				}
				return
			}
			if got := strings.TrimSpace(rec.Body.String()); !strings.HasPrefix(got, "{") {
				t.Errorf("body = %q, want a JSON object", got)
			}
			if len(evs) != 1 {
				t.Fatalf("events = %d, want 1", len(evs))
			}
			ev := evs[0]
			if ev.Kind != desk.ActionPressed || ev.Action != "claim" || ev.Value != "12" || ev.Trigger != "trig-1" || ev.User.ID != "user1" || ev.Channel != "chan1" || ev.Message != "post1" || ev.ID != "act:"+shortHash("trig-1") {
				t.Errorf("event = %+v", ev)
			}
		})
	}

	t.Run("answered in the thread of a root post only", func(t *testing.T) {
		for _, c := range []struct {
			name    string
			context map[string]any
			channel string
			thread  string
		}{
			{"card", signAction(testSecret, "claim", "12", "", true), "triage-id", "post1"},
			{"a root post elsewhere (a DM)", signAction(testSecret, "rate", "3:4", "", true), "elsewhere", ""},
			{"ephemeral answer in the triage channel", signAction(testSecret, "forget", "U1", "", false), "triage-id", ""},
			{"signed before roots were said, in the triage channel", oldAction(testSecret, "claim", "12", ""), "triage-id", "post1"},
			{"signed before roots were said, elsewhere", oldAction(testSecret, "claim", "12", ""), "elsewhere", ""},
		} {
			a, in := handlerAdapter(t, nil)
			a.triageID = "triage-id"
			body, _ := json.Marshal(model.PostActionIntegrationRequest{UserId: "user1", ChannelId: c.channel, PostId: "post1", TriggerId: "trig-" + c.name, Context: roundTrip(c.context)})
			req := httptest.NewRequest(http.MethodPost, "/mattermost/actions", bytes.NewReader(body))
			rec := httptest.NewRecorder()
			a.ActionHandler().ServeHTTP(rec, req)
			evs, _, _ := in.snapshot()
			if rec.Code != 200 || len(evs) != 1 || evs[0].Thread != c.thread {
				t.Errorf("%s: status %d, events %+v; want the thread %q", c.name, rec.Code, evs, c.thread)
			}
		}
	})

	t.Run("malformed body", func(t *testing.T) {
		a, in := handlerAdapter(t, nil)
		rec := httptest.NewRecorder()
		a.ActionHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mattermost/actions", strings.NewReader("{")))
		if evs, _, _ := in.snapshot(); rec.Code != 400 || len(evs) != 0 {
			t.Errorf("status %d, %d events; want 400 and none", rec.Code, len(evs))
		}
	})
	t.Run("body too large", func(t *testing.T) {
		a, _ := handlerAdapter(t, nil)
		big := `{"user_id":"` + strings.Repeat("x", maxActionBody) + `"}`
		rec := httptest.NewRecorder()
		a.ActionHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mattermost/actions", strings.NewReader(big)))
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("status = %d, want 413", rec.Code)
		}
	})
}

func dialogRequest(t *testing.T, req model.SubmitDialogRequest) *http.Request {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return httptest.NewRequest(http.MethodPost, "/mattermost/dialogs", bytes.NewReader(body))
}

func TestDialogHandler(t *testing.T) {
	state, err := signState(testSecret, dialogState{Form: "tag", Context: "12"})
	if err != nil {
		t.Fatal(err)
	}
	submission := map[string]any{"category": "hardware", "tags": []any{"vip", "bug"}, "urgent": true, "count": 3.0, "note": nil}
	base := model.SubmitDialogRequest{Type: "dialog_submission", CallbackId: "tag", State: state, UserId: "user1", ChannelId: "chan1", TeamId: "team1", Submission: submission}

	t.Run("submitted", func(t *testing.T) {
		a, in := handlerAdapter(t, nil)
		rec := httptest.NewRecorder()
		a.DialogHandler().ServeHTTP(rec, dialogRequest(t, base))
		if rec.Code != 200 {
			t.Fatalf("status = %d (%s)", rec.Code, rec.Body)
		}
		evs, _, _ := in.snapshot()
		if len(evs) != 1 {
			t.Fatalf("events = %d, want 1", len(evs))
		}
		ev := evs[0]
		wantForm := map[string]string{"category": "hardware", "tags": "vip,bug", "urgent": "true", "count": "3", "note": ""}
		if ev.Kind != desk.FormSubmitted || ev.Action != "tag" || ev.Value != "12" || ev.User.ID != "user1" || ev.Channel != "chan1" || len(ev.Form) != len(wantForm) {
			t.Fatalf("event = %+v", ev)
		}
		for k, v := range wantForm {
			if ev.Form[k] != v {
				t.Errorf("Form[%s] = %q, want %q", k, ev.Form[k], v)
			}
		}
		// A double submission of the same dialog is the same event.
		a.DialogHandler().ServeHTTP(httptest.NewRecorder(), dialogRequest(t, base))
		if evs, attempts, _ := in.snapshot(); len(evs) != 1 || attempts[ev.ID] != 2 {
			t.Errorf("after resubmission: %d events, attempts %v", len(evs), attempts)
		}
	})

	forged := base
	forged.State = strings.Replace(state, state[:4], "AAAA", 1)
	noState := base
	noState.State = ""
	otherState, _ := signState([]byte("another-secret-another-secret-another"), dialogState{Form: "tag", Context: "12"})
	other := base
	other.State = otherState
	cancelled := base
	cancelled.Cancelled = true
	cancelled.Submission = nil
	tests := []struct {
		name       string
		req        model.SubmitDialogRequest
		failIngest bool
		wantStatus int
	}{
		{"altered state", forged, false, 403},
		{"no state", noState, false, 403},
		{"other secret", other, false, 403},
		{"cancelled", cancelled, false, 200},
		{"ingest fails", base, true, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, in := handlerAdapter(t, nil)
			in.failNext = map[bool]int{true: 1}[tt.failIngest]
			rec := httptest.NewRecorder()
			a.DialogHandler().ServeHTTP(rec, dialogRequest(t, tt.req))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if evs, _, _ := in.snapshot(); len(evs) != 0 {
				t.Errorf("events = %+v, want none", evs)
			}
		})
	}
	t.Run("malformed", func(t *testing.T) {
		a, _ := handlerAdapter(t, nil)
		rec := httptest.NewRecorder()
		a.DialogHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mattermost/dialogs", strings.NewReader(`{"state": 5}`)))
		if rec.Code != 400 {
			t.Errorf("status = %d, want 400", rec.Code)
		}
	})
}

// Every callback answers its errors through the one table from desk error codes to HTTP
// statuses, with web.Error's JSON body; what the store or anything internal said never reaches
// the answer.
func TestHandlersAnswerErrorsThroughOneTable(t *testing.T) {
	const internals = "dial tcp 10.0.0.7:6379: connect: connection refused"
	outage := desk.Errorf(desk.EUNAVAILABLE, "cannot record the event now: %s", internals)
	a, _ := handlerAdapter(t, nil)
	card := a.attachment("t", &desk.Card{Actions: []desk.Action{{ID: "claim", Label: "Claim", Value: "12"}}}, true)
	signed := func() map[string]any {
		b, _ := json.Marshal(card.Actions[0].Integration.Context)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return m
	}
	state, err := signState(testSecret, dialogState{Form: "tag", Context: "12"})
	if err != nil {
		t.Fatal(err)
	}
	dialog := model.SubmitDialogRequest{Type: "dialog_submission", CallbackId: "tag", State: state, UserId: "user1", ChannelId: "chan1", Submission: map[string]any{"category": "x"}}
	badDialog := dialog
	badDialog.State = "nope.nope"
	noUser := commandForm("cmd-token-one")
	noUser.Del("user_id")
	tooLargeForm := commandForm("cmd-token-one")
	tooLargeForm.Set("text", strings.Repeat("x", maxCommandBody))
	post := func(path, body string) func() *http.Request {
		return func() *http.Request { return httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)) }
	}

	type handler func(*Adapter) http.Handler
	command := func(a *Adapter) http.Handler { return a.CommandHandler() }
	action := func(a *Adapter) http.Handler { return a.ActionHandler() }
	dialogs := func(a *Adapter) http.Handler { return a.DialogHandler() }
	tests := []struct {
		name       string
		handler    handler
		req        func() *http.Request
		ingest     error // what Ingest answers
		wantStatus int
	}{
		{"command: bad token", command, func() *http.Request { return commandRequest("Token nope", commandForm("")) }, nil, 401},
		{"command: no user", command, func() *http.Request { return commandRequest("Token cmd-token-one", noUser) }, nil, 400},
		{"command: not a form", command, func() *http.Request {
			r := commandRequest("Token cmd-token-one", nil)
			r.Body = io.NopCloser(strings.NewReader("text=%zz"))
			return r
		}, nil, 400},
		{"command: body too large", command, func() *http.Request { return commandRequest("", tooLargeForm) }, nil, 413},
		{"command: store outage", command, func() *http.Request { return commandRequest("Token cmd-token-one", commandForm("")) }, outage, 503},
		{"command: refused by the core", command, func() *http.Request { return commandRequest("Token cmd-token-one", commandForm("")) }, desk.Errorf(desk.EINVALID, "event has no user"), 400},
		{"command: internal failure", command, func() *http.Request { return commandRequest("Token cmd-token-one", commandForm("")) }, errors.New(internals), 500},
		{"action: malformed", action, post("/mattermost/actions", "{"), nil, 400},
		{"action: body too large", action, post("/mattermost/actions", `{"user_id":"`+strings.Repeat("x", maxActionBody)+`"}`), nil, 413},
		{"action: bad signature", action, func() *http.Request { return clickRequest(t, nil) }, nil, 403},
		{"action: store outage", action, func() *http.Request { return clickRequest(t, signed()) }, outage, 503},
		{"action: internal failure", action, func() *http.Request { return clickRequest(t, signed()) }, fmt.Errorf("record: %w", errors.New(internals)), 500},
		{"dialog: malformed", dialogs, post("/mattermost/dialogs", `{"state": 5}`), nil, 400},
		{"dialog: body too large", dialogs, post("/mattermost/dialogs", `{"state":"`+strings.Repeat("x", maxActionBody)+`"}`), nil, 413},
		{"dialog: bad state", dialogs, func() *http.Request { return dialogRequest(t, badDialog) }, nil, 403},
		{"dialog: store outage", dialogs, func() *http.Request { return dialogRequest(t, dialog) }, outage, 503},
		{"dialog: internal failure", dialogs, func() *http.Request { return dialogRequest(t, dialog) }, errors.New(internals), 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, in := handlerAdapter(t, nil)
			in.refuse = tt.ingest
			rec := httptest.NewRecorder()
			tt.handler(a).ServeHTTP(rec, tt.req())
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d (%s)", rec.Code, tt.wantStatus, rec.Body)
			}
			var body struct {
				Error string `json:"error"`
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want web.Error's JSON", ct)
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error == "" {
				t.Errorf("body = %q (%v), want web.Error's {\"error\": …}", rec.Body, err)
			}
			if strings.Contains(rec.Body.String(), "6379") || strings.Contains(rec.Body.String(), "tcp") {
				t.Errorf("body = %q shows internal error text", rec.Body)
			}
			if evs, _, _ := in.snapshot(); len(evs) != 0 {
				t.Errorf("events = %+v, want none", evs)
			}
		})
	}

	// A form the core refuses for its values keeps the dialog open, in Mattermost's own shape.
	t.Run("dialog: form refused", func(t *testing.T) {
		a, in := handlerAdapter(t, nil)
		in.refuse = &desk.FormError{Fields: map[string]string{"category": "unknown category"}}
		rec := httptest.NewRecorder()
		a.DialogHandler().ServeHTTP(rec, dialogRequest(t, dialog))
		var got model.SubmitDialogResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != 200 || err != nil || got.Errors["category"] != "unknown category" {
			t.Errorf("answer = %d %s, want 200 with the field's error", rec.Code, rec.Body)
		}
	})
}

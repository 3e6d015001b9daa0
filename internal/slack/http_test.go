package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// signedRequest builds a request the way Slack does: X-Slack-Request-Timestamp and an
// X-Slack-Signature of "v0=" + hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)).
func signedRequest(t *testing.T, path, ctype string, body []byte, secret string, at time.Time) *http.Request {
	t.Helper()
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
	r.Header.Set("Content-Type", ctype)
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func postEvent(t *testing.T, a *Adapter, payload map[string]any) *httptest.ResponseRecorder {
	t.Helper()
	return serve(a.EventsHandler(), signedRequest(t, "/slack/events", "application/json", mustJSON(t, payload), testSecret, time.Now()))
}

// messageEvent is an Events API callback for a message, built on the sample payload.
func messageEvent(t *testing.T, file, eventID string, set map[string]any) map[string]any {
	t.Helper()
	base := map[string]any{
		"type":              "event_callback",
		"event_id":          eventID,
		"event_time":        1700000100,
		"event.bot_id":      nil,
		"event.bot_profile": nil,
		"event.blocks":      nil,
		"event.attachments": nil,
		"event.files":       nil,
	}
	for k, v := range set {
		base[k] = v
	}
	return sample(t, "events/"+file, base)
}

func TestEventsURLVerification(t *testing.T) {
	fake := newFakeSlack(t)
	a := newTestAdapter(t, fake, newIngester())
	w := postEvent(t, a, map[string]any{"type": "url_verification", "token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"`) {
		t.Errorf("got %d %s", w.Code, w.Body)
	}
}

func TestEventsTranslation(t *testing.T) {
	dm := map[string]any{"event.channel": "D0CUST", "event.channel_type": "im", "event.user": "U1"}
	triage := map[string]any{"event.channel": fakeTriage, "event.channel_type": "channel", "event.user": "UAGENT"}
	with := func(base map[string]any, kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	file := map[string]any{"id": "F1", "name": "shot.png", "mimetype": "image/png", "size": 2048, "url_private": "https://files.slack.com/files-pri/T1-F1/shot.png"}

	tests := []struct {
		name    string
		sample  string
		set     map[string]any
		want    *desk.Event // nil: discarded
		discard desk.DropReason
	}{
		{
			name:   "customer DM",
			sample: "MessagePayload.json",
			set:    with(dm, "event.text", "help, my printer", "event.ts", "1700000001.000100", "event.event_ts", "1700000001.000100"),
			want: &desk.Event{Kind: desk.CustomerMessage, Channel: "D0CUST", Message: "1700000001.000100", Text: "help, my printer",
				User: desk.User{ID: "U1"}, At: time.Unix(1700000001, 100000).UTC()},
		},
		{
			name:   "customer file share",
			sample: "MessageFileSharePayload.json",
			set:    with(dm, "event.subtype", "file_share", "event.text", "see this", "event.ts", "1700000002.000100", "event.files", []any{file}),
			want: &desk.Event{Kind: desk.CustomerMessage, Channel: "D0CUST", Message: "1700000002.000100", Text: "see this", User: desk.User{ID: "U1"},
				Files: []desk.File{{ID: "F1", Name: "shot.png", MimeType: "image/png", Size: 2048, URL: "https://files.slack.com/files-pri/T1-F1/shot.png"}}},
		},
		{
			name:   "customer edit",
			sample: "MessageChangedPayload.json",
			set: with(dm, "event.subtype", "message_changed", "event.user", nil,
				"event.message", map[string]any{"type": "message", "user": "U1", "text": "help, my scanner", "ts": "1700000001.000100"},
				"event.previous_message", map[string]any{"type": "message", "user": "U1", "text": "help, my printer", "ts": "1700000001.000100"}),
			want: &desk.Event{Kind: desk.CustomerEdit, Channel: "D0CUST", Message: "1700000001.000100", Text: "help, my scanner", User: desk.User{ID: "U1"}},
		},
		{
			name:   "customer delete",
			sample: "MessageDeletedPayload.json",
			set: with(dm, "event.subtype", "message_deleted", "event.user", nil, "event.deleted_ts", "1700000001.000100",
				"event.previous_message", map[string]any{"type": "message", "user": "U1", "text": "help", "ts": "1700000001.000100"}),
			want: &desk.Event{Kind: desk.CustomerDelete, Channel: "D0CUST", Message: "1700000001.000100", User: desk.User{ID: "U1"}},
		},
		{
			name:   "agent reply in thread",
			sample: "MessagePayload.json",
			set:    with(triage, "event.text", "on my way", "event.ts", "1700000003.000100", "event.thread_ts", "1700000000.000001"),
			want: &desk.Event{Kind: desk.AgentReply, Channel: fakeTriage, Message: "1700000003.000100", Thread: "1700000000.000001",
				Text: "on my way", User: desk.User{ID: "UAGENT"}},
		},
		{
			name:   "agent edit in thread",
			sample: "MessageChangedPayload.json",
			set: with(triage, "event.subtype", "message_changed", "event.user", nil,
				"event.message", map[string]any{"type": "message", "user": "UAGENT", "text": "on my way!", "ts": "1700000003.000100", "thread_ts": "1700000000.000001"},
				"event.previous_message", map[string]any{"type": "message", "user": "UAGENT", "text": "on my way", "ts": "1700000003.000100", "thread_ts": "1700000000.000001"}),
			want: &desk.Event{Kind: desk.AgentEdit, Channel: fakeTriage, Message: "1700000003.000100", Thread: "1700000000.000001",
				Text: "on my way!", User: desk.User{ID: "UAGENT"}},
		},
		{
			name:   "agent delete in thread",
			sample: "MessageDeletedPayload.json",
			set: with(triage, "event.subtype", "message_deleted", "event.user", nil, "event.deleted_ts", "1700000003.000100",
				"event.previous_message", map[string]any{"type": "message", "user": "UAGENT", "text": "oops", "ts": "1700000003.000100", "thread_ts": "1700000000.000001"}),
			want: &desk.Event{Kind: desk.AgentDelete, Channel: fakeTriage, Message: "1700000003.000100", Thread: "1700000000.000001", User: desk.User{ID: "UAGENT"}},
		},
		{
			name:    "top-level in triage",
			sample:  "MessagePayload.json",
			set:     with(triage, "event.text", "anyone around?", "event.ts", "1700000004.000100"),
			discard: desk.DropNotInThread,
		},
		{
			name:    "other channel",
			sample:  "MessagePayload.json",
			set:     with(triage, "event.channel", "C0GENERAL", "event.text", "lunch?", "event.ts", "1700000005.000100", "event.thread_ts", "1700000000.000001"),
			discard: desk.DropOtherChannel,
		},
		{
			name:    "own message by bot profile",
			sample:  "MessageBotPayload.json",
			set:     with(dm, "event.user", fakeBotUser, "event.bot_id", fakeBotID, "event.text", "Ticket #1 opened", "event.ts", "1700000006.000100"),
			discard: desk.DropOwnMessage,
		},
		{
			name:    "own message by bot user",
			sample:  "MessagePayload.json",
			set:     with(triage, "event.user", fakeBotUser, "event.text", "relayed", "event.ts", "1700000007.000100", "event.thread_ts", "1700000000.000001"),
			discard: desk.DropOwnMessage,
		},
		{
			name:    "edit of own card",
			sample:  "MessageChangedPayload.json",
			set:     with(triage, "event.subtype", "message_changed", "event.user", nil, "event.message", map[string]any{"type": "message", "user": fakeBotUser, "bot_id": fakeBotID, "text": "#1", "ts": "1700000000.000001"}),
			discard: desk.DropOwnMessage,
		},
		{
			name:   "another bot's message in a DM",
			sample: "MessageBotPayload.json",
			set: with(dm, "event.subtype", "bot_message", "event.user", nil, "event.bot_id", "B0ZAPIER", "event.username", "Zapier",
				"event.icons", nil, "event.thread_ts", nil, "event.text", "new lead", "event.ts", "1700000009.000100", "event.event_ts", "1700000009.000100"),
			want: &desk.Event{Kind: desk.CustomerMessage, Channel: "D0CUST", Message: "1700000009.000100", Text: "new lead",
				User: desk.User{ID: "B0ZAPIER", Name: "Zapier", IsBot: true}, At: time.Unix(1700000009, 100000).UTC()},
		},
		{
			name:   "another app's reply in a ticket's thread",
			sample: "MessagePayload.json",
			set: with(triage, "event.user", "U0JIRABOT", "event.bot_id", "B0JIRA", "event.bot_profile", map[string]any{"id": "B0JIRA", "name": "Jira", "app_id": "A0JIRA"},
				"event.text", "issue DESK-1 created", "event.ts", "1700000010.000100", "event.thread_ts", "1700000000.000001"),
			want: &desk.Event{Kind: desk.AgentReply, Channel: fakeTriage, Message: "1700000010.000100", Thread: "1700000000.000001",
				Text: "issue DESK-1 created", User: desk.User{ID: "U0JIRABOT", Name: "Jira", IsBot: true}},
		},
		{
			name:   "another app's edit in a ticket's thread",
			sample: "MessageChangedPayload.json",
			set: with(triage, "event.subtype", "message_changed", "event.user", nil,
				"event.message", map[string]any{"type": "message", "user": "U0JIRABOT", "bot_id": "B0JIRA", "text": "issue DESK-1 closed", "ts": "1700000010.000100", "thread_ts": "1700000000.000001"},
				"event.previous_message", map[string]any{"type": "message", "user": "U0JIRABOT", "bot_id": "B0JIRA", "text": "issue DESK-1 created", "ts": "1700000010.000100", "thread_ts": "1700000000.000001"}),
			want: &desk.Event{Kind: desk.AgentEdit, Channel: fakeTriage, Message: "1700000010.000100", Thread: "1700000000.000001",
				Text: "issue DESK-1 closed", User: desk.User{ID: "U0JIRABOT", IsBot: true}},
		},
		{
			name:    "own bot_message with a customised name",
			sample:  "MessageBotPayload.json",
			set:     with(triage, "event.subtype", "bot_message", "event.user", nil, "event.bot_id", fakeBotID, "event.username", "Jane Doe", "event.icons", nil, "event.text", "relayed", "event.ts", "1700000011.000100", "event.thread_ts", "1700000000.000001"),
			discard: desk.DropOwnMessage,
		},
		{
			name:   "own card deleted",
			sample: "MessageDeletedPayload.json",
			set: with(triage, "event.subtype", "message_deleted", "event.user", nil, "event.deleted_ts", "1700000000.000001", "event.event_ts", "1700000012.000100",
				"event.previous_message", map[string]any{"type": "message", "user": fakeBotUser, "bot_id": fakeBotID, "text": "#1 · Jane", "ts": "1700000000.000001"}),
			want: &desk.Event{Kind: desk.ThreadDeleted, Channel: fakeTriage, Message: "1700000000.000001", Thread: "1700000000.000001",
				User: desk.User{ID: fakeBotUser}, At: time.Unix(1700000012, 100000).UTC()},
		},
		{
			name:   "own card with replies deleted (tombstone)",
			sample: "MessageChangedPayload.json",
			set: with(triage, "event.subtype", "message_changed", "event.user", nil, "event.hidden", true, "event.event_ts", "1700000013.000100",
				"event.message", map[string]any{"type": "message", "subtype": "tombstone", "user": "USLACKBOT", "hidden": true, "text": "This message was deleted.",
					"ts": "1700000000.000001", "thread_ts": "1700000000.000001", "reply_count": 2},
				"event.previous_message", map[string]any{"type": "message", "user": fakeBotUser, "bot_id": fakeBotID, "text": "#1 · Jane",
					"ts": "1700000000.000001", "thread_ts": "1700000000.000001", "reply_count": 2}),
			want: &desk.Event{Kind: desk.ThreadDeleted, Channel: fakeTriage, Message: "1700000000.000001", Thread: "1700000000.000001",
				User: desk.User{ID: fakeBotUser}, At: time.Unix(1700000013, 100000).UTC()},
		},
		{
			name:   "own reply deleted in a ticket's thread",
			sample: "MessageDeletedPayload.json",
			set: with(triage, "event.subtype", "message_deleted", "event.user", nil, "event.deleted_ts", "1700000014.000100",
				"event.previous_message", map[string]any{"type": "message", "user": fakeBotUser, "bot_id": fakeBotID, "text": "relayed", "ts": "1700000014.000100", "thread_ts": "1700000000.000001"}),
			discard: desk.DropOwnMessage,
		},
		{
			name:   "own message deleted in another channel",
			sample: "MessageDeletedPayload.json",
			set: with(triage, "event.channel", "C0GENERAL", "event.subtype", "message_deleted", "event.user", nil, "event.deleted_ts", "1700000015.000100",
				"event.previous_message", map[string]any{"type": "message", "user": fakeBotUser, "bot_id": fakeBotID, "text": "hello", "ts": "1700000015.000100"}),
			discard: desk.DropOwnMessage,
		},
		{
			name:   "an agent's top-level message with replies deleted",
			sample: "MessageChangedPayload.json",
			set: with(triage, "event.subtype", "message_changed", "event.user", nil,
				"event.message", map[string]any{"type": "message", "subtype": "tombstone", "user": "USLACKBOT", "text": "This message was deleted.", "ts": "1700000016.000100", "thread_ts": "1700000016.000100"},
				"event.previous_message", map[string]any{"type": "message", "user": "UAGENT", "text": "anyone?", "ts": "1700000016.000100", "thread_ts": "1700000016.000100"}),
			discard: desk.DropNotInThread,
		},
		{
			name:   "customer message with replies deleted (tombstone)",
			sample: "MessageChangedPayload.json",
			set: with(dm, "event.subtype", "message_changed", "event.user", nil,
				"event.message", map[string]any{"type": "message", "subtype": "tombstone", "user": "USLACKBOT", "text": "This message was deleted.", "ts": "1700000017.000100", "thread_ts": "1700000017.000100"},
				"event.previous_message", map[string]any{"type": "message", "user": "U1", "text": "help", "ts": "1700000017.000100", "thread_ts": "1700000017.000100"}),
			want: &desk.Event{Kind: desk.CustomerDelete, Channel: "D0CUST", Message: "1700000017.000100", User: desk.User{ID: "U1"}},
		},
		{
			name:    "unfurl only",
			sample:  "MessageChangedPayload.json",
			set:     with(dm, "event.subtype", "message_changed", "event.user", nil, "event.message", map[string]any{"type": "message", "user": "U1", "text": "see https://x", "ts": "1"}, "event.previous_message", map[string]any{"type": "message", "user": "U1", "text": "see https://x", "ts": "1"}),
			discard: desk.DropUnchanged,
		},
		{
			name:    "channel join",
			sample:  "MessageChannelJoinPayload.json",
			set:     with(triage, "event.subtype", "channel_join", "event.text", "<@UAGENT> has joined", "event.ts", "1700000008.000100"),
			discard: desk.DropSystemMessage,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeSlack(t)
			in := newIngester()
			a := newTestAdapter(t, fake, in)
			calls := fake.callCount()
			eventID := fmt.Sprintf("Ev%04d", i)
			w := postEvent(t, a, messageEvent(t, tt.sample, eventID, tt.set))
			if w.Code != 200 {
				t.Fatalf("status: got %d %s, want 200", w.Code, w.Body)
			}
			events, discarded := in.got()
			if tt.want == nil {
				if len(events) != 0 || len(discarded) != 1 || discarded[0] != tt.discard {
					t.Fatalf("got events %+v, discarded %v; want discard %q", events, discarded, tt.discard)
				}
			} else {
				if len(events) != 1 {
					t.Fatalf("got events %+v, discarded %v; want one event", events, discarded)
				}
				got := events[0]
				want := *tt.want
				want.ID, want.Platform = eventID, "slack"
				if want.At.IsZero() {
					want.At = got.At
				}
				if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
					t.Errorf("event:\n got %+v\nwant %+v", got, want)
				}
			}
			if got := fake.callCount(); got != calls {
				t.Errorf("handling an event called the Web API %d times", got-calls)
			}
		})
	}
}

func TestEventsSignature(t *testing.T) {
	fake := newFakeSlack(t)
	in := newIngester()
	a := newTestAdapter(t, fake, in)
	body := mustJSON(t, messageEvent(t, "MessagePayload.json", "EvSig", map[string]any{
		"event.channel": "D0CUST", "event.channel_type": "im", "event.user": "U1", "event.text": "hi", "event.ts": "1700000001.000100",
	}))
	tests := []struct {
		name   string
		mutate func(*http.Request)
		secret string
		at     time.Time
	}{
		{"wrong secret", nil, "not-the-secret", time.Now()},
		{"missing signature", func(r *http.Request) { r.Header.Del("X-Slack-Signature") }, testSecret, time.Now()},
		{"missing timestamp", func(r *http.Request) { r.Header.Del("X-Slack-Request-Timestamp") }, testSecret, time.Now()},
		{"garbage signature", func(r *http.Request) { r.Header.Set("X-Slack-Signature", "v0=zz") }, testSecret, time.Now()},
		{"stale timestamp", nil, testSecret, time.Now().Add(-6 * time.Minute)},
		{"future timestamp", nil, testSecret, time.Now().Add(6 * time.Minute)},
		{"tampered body", func(r *http.Request) {
			r.Body = http.NoBody
			r.Body = httptest.NewRequest("POST", "/", strings.NewReader(strings.Replace(string(body), `"hi"`, `"ho"`, 1))).Body
		}, testSecret, time.Now()},
	}
	handlers := map[string]http.Handler{
		"/slack/events":        a.EventsHandler(),
		"/slack/interactivity": a.InteractivityHandler(),
		"/slack/commands":      a.CommandsHandler(),
	}
	for _, tt := range tests {
		for path, h := range handlers {
			t.Run(tt.name+" "+path, func(t *testing.T) {
				r := signedRequest(t, path, "application/json", body, tt.secret, tt.at)
				if tt.mutate != nil {
					tt.mutate(r)
				}
				if w := serve(h, r); w.Code != http.StatusUnauthorized {
					t.Errorf("status: got %d, want 401", w.Code)
				}
			})
		}
	}
	if events, discarded := in.got(); len(events)+len(discarded) != 0 {
		t.Errorf("rejected requests reached the ingester: %v %v", events, discarded)
	}
}

func TestEventsRetryKeepsEventID(t *testing.T) {
	fake := newFakeSlack(t)
	in := newIngester()
	a := newTestAdapter(t, fake, in)
	body := mustJSON(t, messageEvent(t, "MessagePayload.json", "Ev123RETRY", map[string]any{
		"event.channel": "D0CUST", "event.channel_type": "im", "event.user": "U1", "event.text": "hi", "event.ts": "1700000001.000100",
	}))
	for i, retry := range []string{"", "1", "2"} {
		r := signedRequest(t, "/slack/events", "application/json", body, testSecret, time.Now())
		if retry != "" {
			r.Header.Set("X-Slack-Retry-Num", retry)
			r.Header.Set("X-Slack-Retry-Reason", "http_timeout")
		}
		if w := serve(a.EventsHandler(), r); w.Code != 200 {
			t.Fatalf("delivery %d: status %d", i, w.Code)
		}
	}
	events, _ := in.got()
	if len(events) != 3 {
		t.Fatalf("events: got %d, want 3 (deduplication is the core's)", len(events))
	}
	for _, ev := range events {
		if ev.ID != "Ev123RETRY" {
			t.Errorf("event ID: got %q, want the envelope's event_id", ev.ID)
		}
	}
}

func TestEventsIngestFailureIs500(t *testing.T) {
	fake := newFakeSlack(t)
	in := newIngester()
	in.failWith(errStoreDown)
	a := newTestAdapter(t, fake, in)
	w := postEvent(t, a, messageEvent(t, "MessagePayload.json", "EvFail", map[string]any{
		"event.channel": "D0CUST", "event.channel_type": "im", "event.user": "U1", "event.text": "hi", "event.ts": "1700000001.000100",
	}))
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status: got %d, want 500 so that Slack retries", w.Code)
	}
}

func TestEventsMalformed(t *testing.T) {
	fake := newFakeSlack(t)
	in := newIngester()
	a := newTestAdapter(t, fake, in)
	tests := []struct {
		name, body string
		want       int
	}{
		{"not JSON", `{"type":`, 400},
		{"unknown envelope", `{"type":"mystery"}`, 400},
		{"callback without event_id", `{"type":"event_callback","event":{"type":"message"}}`, 400},
		{"message of the wrong shape", `{"type":"event_callback","event_id":"Ev1","event":{"type":"message","text":42}}`, 400},
		{"other event type", `{"type":"event_callback","event_id":"Ev2","event":{"type":"reaction_added","user":"U1"}}`, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(a.EventsHandler(), signedRequest(t, "/slack/events", "application/json", []byte(tt.body), testSecret, time.Now()))
			if w.Code != tt.want {
				t.Errorf("status: got %d %q, want %d", w.Code, w.Body, tt.want)
			}
		})
	}
	if events, discarded := in.got(); len(events) != 0 || len(discarded) != 1 || discarded[0] != desk.DropUnsupported {
		t.Errorf("got events %v, discarded %v", events, discarded)
	}
	r := httptest.NewRequest(http.MethodGet, "/slack/events", nil)
	if w := serve(a.EventsHandler(), r); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: got %d, want 405", w.Code)
	}
	big := signedRequest(t, "/slack/events", "application/json", []byte(`{"type":"event_callback","pad":"`+strings.Repeat("x", maxBody)+`"}`), testSecret, time.Now())
	if w := serve(a.EventsHandler(), big); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: got %d, want 413", w.Code)
	}
}

func postInteraction(t *testing.T, a *Adapter, payload map[string]any) *httptest.ResponseRecorder {
	t.Helper()
	body := url.Values{"payload": {string(mustJSON(t, payload))}}.Encode()
	return serve(a.InteractivityHandler(), signedRequest(t, "/slack/interactivity", "application/x-www-form-urlencoded", []byte(body), testSecret, time.Now()))
}

func TestInteractivity(t *testing.T) {
	fake := newFakeSlack(t)
	in := newIngester()
	a := newTestAdapter(t, fake, in)

	t.Run("block action", func(t *testing.T) {
		w := postInteraction(t, a, sample(t, "app-backend/interactive-components/BlockActionPayload.json", map[string]any{
			"type": "block_actions", "trigger_id": "trig.123", "response_url": "https://hooks.slack.com/actions/T1/1/abc",
			"user":                 map[string]any{"id": "UAGENT", "username": "ann", "name": "ann"},
			"channel":              map[string]any{"id": fakeTriage, "name": "triage"},
			"container":            map[string]any{"type": "message", "message_ts": "1700000000.000001", "channel_id": fakeTriage},
			"message.ts":           "1700000000.000001",
			"message.thread_ts":    nil,
			"actions.0.action_id":  "claim",
			"actions.0.block_id":   "b1",
			"actions.0.value":      "12",
			"actions.0.type":       "button",
			"actions.0.action_ts":  "1700000050.000200",
			"actions.0.confirm":    nil,
			"view":                 nil,
			"state":                nil,
			"message.blocks":       nil,
			"message.attachments":  nil,
			"message.files":        nil,
			"message.file":         nil,
			"message.bot_profile":  nil,
			"app_unfurl":           nil,
			"message.metadata":     nil,
			"message.root":         nil,
			"container.thread_ts":  nil,
			"container.view_id":    nil,
			"container.message_id": nil,
		}))
		if w.Code != 200 {
			t.Fatalf("status %d %s", w.Code, w.Body)
		}
		events, _ := in.got()
		if len(events) != 1 {
			t.Fatalf("events: %+v", events)
		}
		got := events[0]
		want := desk.Event{ID: "trig.123", Platform: "slack", Kind: desk.ActionPressed, At: time.Unix(1700000050, 200000).UTC(),
			User: desk.User{ID: "UAGENT", Name: "ann"}, Channel: fakeTriage, Message: "1700000000.000001",
			Action: "claim", Value: "12", Trigger: "trig.123", Reply: "https://hooks.slack.com/actions/T1/1/abc"}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("event:\n got %+v\nwant %+v", got, want)
		}
	})

	t.Run("view submission", func(t *testing.T) {
		w := postInteraction(t, a, sample(t, "app-backend/views/ViewSubmissionPayload.json", map[string]any{
			"type": "view_submission", "trigger_id": "trig.456",
			"user":                  map[string]any{"id": "UAGENT", "name": "ann"},
			"view.callback_id":      "tag",
			"view.private_metadata": "12",
			"view.blocks":           nil,
			"view.state": map[string]any{"values": map[string]any{
				"category": map[string]any{"category": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "hardware", "text": map[string]any{"type": "plain_text", "text": "hardware"}}}},
				"tags": map[string]any{"tags": map[string]any{"type": "multi_static_select", "selected_options": []any{
					map[string]any{"value": "printer", "text": map[string]any{"type": "plain_text", "text": "printer"}},
					map[string]any{"value": "fire", "text": map[string]any{"type": "plain_text", "text": "fire"}}}}},
				"note": map[string]any{"note": map[string]any{"type": "plain_text_input", "value": "smells of smoke"}},
			}},
		}))
		if w.Code != 200 || w.Body.Len() != 0 {
			t.Fatalf("response: got %d %q, want an empty 200 that closes the modal", w.Code, w.Body)
		}
		events, _ := in.got()
		got := events[len(events)-1]
		if got.Kind != desk.FormSubmitted || got.ID != "trig.456" || got.Action != "tag" || got.Value != "12" || got.User.ID != "UAGENT" {
			t.Errorf("event: %+v", got)
		}
		want := map[string]string{"category": "hardware", "tags": "printer,fire", "note": "smells of smoke"}
		if fmt.Sprint(got.Form) != fmt.Sprint(want) {
			t.Errorf("form: got %v, want %v", got.Form, want)
		}
	})

	t.Run("view submission refused for what was entered", func(t *testing.T) {
		in.mu.Lock()
		in.err = &desk.FormError{Fields: map[string]string{"category": "“hardware” is not a category"}}
		in.mu.Unlock()
		defer func() { in.mu.Lock(); in.err = nil; in.mu.Unlock() }()
		w := postInteraction(t, a, sample(t, "app-backend/views/ViewSubmissionPayload.json", map[string]any{
			"type": "view_submission", "trigger_id": "trig.789", "user": map[string]any{"id": "UAGENT", "name": "ann"},
			"view.callback_id": "tag", "view.private_metadata": "12", "view.blocks": nil,
		}))
		var body struct {
			ResponseAction string            `json:"response_action"`
			Errors         map[string]string `json:"errors"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 200 || body.ResponseAction != "errors" || body.Errors["category"] == "" {
			t.Errorf("response: %d %q (%v), want 200 with response_action errors naming the category", w.Code, w.Body, err)
		}
	})

	t.Run("view closed", func(t *testing.T) {
		before, discardedBefore := in.got()
		w := postInteraction(t, a, sample(t, "app-backend/views/ViewClosedPayload.json", map[string]any{"view.blocks": nil, "user": map[string]any{"id": "UAGENT"}}))
		after, discardedAfter := in.got()
		if w.Code != 200 || len(after) != len(before) || len(discardedAfter) != len(discardedBefore) {
			t.Errorf("view_closed: got %d, %d new events", w.Code, len(after)-len(before))
		}
	})

	t.Run("malformed", func(t *testing.T) {
		for _, body := range []string{"payload=%7Bnot+json", "nopayload=1", "payload=%7B%7D"} {
			r := signedRequest(t, "/slack/interactivity", "application/x-www-form-urlencoded", []byte(body), testSecret, time.Now())
			if w := serve(a.InteractivityHandler(), r); w.Code != 400 {
				t.Errorf("%s: got %d, want 400", body, w.Code)
			}
		}
	})

	t.Run("ingest failure", func(t *testing.T) {
		in.failWith(errStoreDown)
		defer in.failWith(nil)
		w := postInteraction(t, a, map[string]any{"type": "block_actions", "trigger_id": "t9", "user": map[string]any{"id": "U1"},
			"actions": []any{map[string]any{"action_id": "claim", "block_id": "b", "value": "1", "type": "button"}}})
		if w.Code != 500 {
			t.Errorf("status: got %d, want 500", w.Code)
		}
	})
}

func TestCommands(t *testing.T) {
	fake := newFakeSlack(t)
	in := newIngester()
	a := newTestAdapter(t, fake, in)
	s := sample(t, "app-backend/slash-commands/SlashCommandPayload.json", map[string]any{
		"command": "/desk", "text": " claim 12 ", "channel_id": fakeTriage, "user_id": "UAGENT", "user_name": "ann",
		"response_url": "https://hooks.slack.com/commands/T1/2/xyz", "trigger_id": "trig.789", "team_id": "T1",
	})
	form := url.Values{}
	for k, v := range s {
		form.Set(k, fmt.Sprint(v))
	}
	body := []byte(form.Encode())
	w := serve(a.CommandsHandler(), signedRequest(t, "/slack/commands", "application/x-www-form-urlencoded", body, testSecret, time.Now()))
	if w.Code != 200 || w.Body.Len() != 0 {
		t.Fatalf("response: got %d %q, want an empty 200", w.Code, w.Body)
	}
	events, _ := in.got()
	if len(events) != 1 {
		t.Fatalf("events: %+v", events)
	}
	got := events[0]
	if got.Kind != desk.CommandRun || got.ID != "trig.789" || got.Text != "claim 12" || got.Channel != fakeTriage ||
		got.User.ID != "UAGENT" || got.Reply != "https://hooks.slack.com/commands/T1/2/xyz" || got.Trigger != "trig.789" {
		t.Errorf("event: %+v", got)
	}

	form.Del("trigger_id")
	body = []byte(form.Encode())
	for range 2 {
		serve(a.CommandsHandler(), signedRequest(t, "/slack/commands", "application/x-www-form-urlencoded", body, testSecret, time.Now()))
	}
	events, _ = in.got()
	if len(events) != 3 || !strings.HasPrefix(events[1].ID, "sha256:") || events[1].ID != events[2].ID {
		t.Errorf("without trigger_id, the same request must get the same ID: %+v", events[1:])
	}

	in.failWith(errStoreDown)
	w = serve(a.CommandsHandler(), signedRequest(t, "/slack/commands", "application/x-www-form-urlencoded", body, testSecret, time.Now()))
	if w.Code != 500 {
		t.Errorf("ingest failure: got %d, want 500", w.Code)
	}
	ssl := signedRequest(t, "/slack/commands", "application/x-www-form-urlencoded", []byte("ssl_check=1&token=x"), testSecret, time.Now())
	in.failWith(nil)
	if w := serve(a.CommandsHandler(), ssl); w.Code != 200 {
		t.Errorf("ssl_check: got %d, want 200", w.Code)
	}
	if events, _ := in.got(); len(events) != 3 {
		t.Errorf("ssl_check was ingested")
	}
	bad := signedRequest(t, "/slack/commands", "application/x-www-form-urlencoded", []byte("text=hi"), testSecret, time.Now())
	if w := serve(a.CommandsHandler(), bad); w.Code != 400 {
		t.Errorf("form without command: got %d, want 400", w.Code)
	}
}

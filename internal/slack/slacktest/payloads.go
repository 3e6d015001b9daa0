package slacktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Sign returns the headers Slack adds to a request it sends now: X-Slack-Request-Timestamp and
// X-Slack-Signature, "v0=" + hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)).
func Sign(secret string, body []byte) http.Header { return SignAt(secret, body, time.Now()) }

// SignAt is Sign for a request sent at a given time (a stale one, say).
func SignAt(secret string, body []byte, at time.Time) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// NewRequest builds a POST of body to target signed with secret at the given time, with the
// content type Slack uses for it: JSON for the Events API, a form for everything else.
func NewRequest(target, secret string, body []byte, at time.Time) (*http.Request, error) {
	r, err := http.NewRequest(http.MethodPost, target, strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	ctype := "application/x-www-form-urlencoded"
	if json.Valid(body) {
		ctype = "application/json"
	}
	r.Header.Set("Content-Type", ctype)
	r.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	for k, v := range SignAt(secret, body, at) {
		r.Header[k] = v
	}
	return r, nil
}

// Sample loads a real payload shape from the shared samples (specs/slack/samples/<name>) as a
// template: the anonymised empty strings are dropped (Slack sends real values there) and set
// holds the test's values by dotted path ("event.channel", "actions.0.value"); nil deletes.
func (s *Server) Sample(name string, set map[string]any) map[string]any {
	s.t.Helper()
	return Sample(s.t, s.specs.dir, name, set)
}

// Sample is Server.Sample without a server: specsDir is the folder SpecsDir returns.
func Sample(t testing.TB, specsDir, name string, set map[string]any) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(specsDir, "slack", "samples", name))
	if err != nil {
		t.Fatalf("slacktest: read sample %s: %v", name, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("slacktest: parse sample %s: %v", name, err)
	}
	pruneEmpty(m)
	for _, path := range keys(set) {
		if err := setPath(m, strings.Split(path, "."), set[path]); err != nil {
			t.Fatalf("slacktest: sample %s: %s: %v", name, path, err)
		}
	}
	return m
}

// eventCallback is an Events API envelope around a message event built on the sample file.
func (s *Server) eventCallback(file, eventID string, set map[string]any) []byte {
	s.t.Helper()
	base := map[string]any{
		"token": "verification-token-unused", "team_id": TeamID, "api_app_id": "A1",
		"type": "event_callback", "event_id": eventID, "event_time": time.Now().Unix(),
		"authed_users": nil, "authed_teams": nil, "event_context": nil, "enterprise_id": nil,
		"authorizations": []any{map[string]any{"team_id": TeamID, "user_id": BotUser, "is_bot": true, "is_enterprise_install": false}},
		"event.team":     TeamID, "event.bot_id": nil, "event.bot_profile": nil, "event.blocks": nil,
		"event.attachments": nil, "event.files": nil, "event.metadata": nil, "event.edited": nil,
		"event.client_msg_id": nil,
	}
	for k, v := range set {
		base[k] = v
	}
	return mustJSON(s.t, s.Sample("events/"+file, base))
}

// MessageEvent is the Events API callback Slack sends for a new message m (see UserMessage),
// with files shared in it (see AddFile). channelType is "im" for a DM, "channel" for a public
// channel.
func (s *Server) MessageEvent(eventID string, m Message, channelType string, files ...File) []byte {
	s.t.Helper()
	set := map[string]any{
		"event.channel": m.Channel, "event.channel_type": channelType, "event.user": m.User,
		"event.text": m.Text, "event.ts": m.TS, "event.event_ts": m.TS,
		"event.client_msg_id": randomHex(32), "event.parent_user_id": nil, "event.thread_ts": nil,
	}
	if m.Thread != "" {
		set["event.thread_ts"] = m.Thread
	}
	file := "MessagePayload.json"
	if len(files) > 0 {
		file = "MessageFileSharePayload.json"
		set["event.subtype"] = "file_share"
		set["event.files"] = s.filesJSON(files)
		set["event.upload"] = false
	}
	return s.eventCallback(file, eventID, set)
}

// EditEvent is the callback for m's text being changed to text.
func (s *Server) EditEvent(eventID string, m Message, text, channelType string) []byte {
	s.t.Helper()
	now := s.tsNow()
	msg := func(t string, edited bool) map[string]any {
		out := map[string]any{"type": "message", "user": m.User, "text": t, "ts": m.TS, "team": TeamID}
		if m.Thread != "" {
			out["thread_ts"] = m.Thread
		}
		if edited {
			out["edited"] = map[string]any{"user": m.User, "ts": now}
		}
		return out
	}
	return s.eventCallback("MessageChangedPayload.json", eventID, map[string]any{
		"event.channel": m.Channel, "event.channel_type": channelType, "event.ts": now, "event.event_ts": now,
		"event.message": msg(text, true), "event.previous_message": msg(m.Text, false),
	})
}

// DeleteEvent is the callback for m being deleted.
func (s *Server) DeleteEvent(eventID string, m Message, channelType string) []byte {
	s.t.Helper()
	now := s.tsNow()
	prev := map[string]any{"type": "message", "user": m.User, "text": m.Text, "ts": m.TS, "team": TeamID}
	if m.Thread != "" {
		prev["thread_ts"] = m.Thread
	}
	return s.eventCallback("MessageDeletedPayload.json", eventID, map[string]any{
		"event.channel": m.Channel, "event.channel_type": channelType, "event.ts": now, "event.event_ts": now,
		"event.deleted_ts": m.TS, "event.previous_message": prev,
	})
}

// deletionEvent is the callback Slack sends about the deletion of before, a message that had
// replies (see delete.go): message_deleted with it in previous_message, or message_changed from
// it to the tombstone left in its place.
func (s *Server) deletionEvent(eventID string, before Message, replies int, tombstoned bool) []byte {
	s.t.Helper()
	now := s.tsNow()
	set := map[string]any{
		"event.channel": before.Channel, "event.channel_type": channelTypeOf(before.Channel), "event.ts": now, "event.event_ts": now,
		"event.hidden": true, "event.previous_message": eventMessage(before, replies),
	}
	if tombstoned {
		set["event.message"] = tombstoneJSON(before.TS, replies)
		return s.eventCallback("MessageChangedPayload.json", eventID, set)
	}
	set["event.deleted_ts"] = before.TS
	return s.eventCallback("MessageDeletedPayload.json", eventID, set)
}

// eventMessage is m as events show it (in previous_message, say): its author, the app's bot
// fields when the app posted it, and its thread (a root with replies has thread_ts = ts).
func eventMessage(m Message, replies int) map[string]any {
	out := map[string]any{"type": "message", "user": m.User, "text": m.Text, "ts": m.TS, "team": TeamID}
	if m.BotID != "" {
		out["bot_id"], out["app_id"] = m.BotID, "A1"
		out["bot_profile"] = map[string]any{"id": m.BotID, "app_id": "A1", "name": "Threadesk", "deleted": false, "team_id": TeamID}
	}
	switch {
	case m.Thread != "":
		out["thread_ts"] = m.Thread
	case replies > 0:
		out["thread_ts"], out["reply_count"] = m.TS, replies
	}
	return out
}

func channelTypeOf(channel string) string {
	if strings.HasPrefix(channel, "D") {
		return "im"
	}
	return "channel"
}

// echoEvent is the callback Slack sends the app about its own change e.
func (s *Server) echoEvent(e echo) []byte {
	s.mu.Lock()
	s.nextID++
	id := fmt.Sprintf("EvEcho%05d", s.nextID)
	s.mu.Unlock()
	now := s.tsNow()
	channelType := channelTypeOf(e.m.Channel)
	profile := map[string]any{"id": BotID, "app_id": "A1", "name": "Threadesk", "deleted": false, "team_id": TeamID,
		"icons": map[string]any{"image_36": "https://avatars.example/app_36.png"}}
	msg := func(text string) map[string]any {
		out := map[string]any{"type": "message", "user": BotUser, "bot_id": BotID, "app_id": "A1", "text": text, "ts": e.m.TS, "team": TeamID, "bot_profile": profile}
		if e.m.Thread != "" {
			out["thread_ts"] = e.m.Thread
		}
		return out
	}
	switch e.kind {
	case "changed":
		edited := msg(e.m.Text)
		edited["edited"] = map[string]any{"user": BotUser, "ts": now}
		return s.eventCallback("MessageChangedPayload.json", id, map[string]any{
			"event.channel": e.m.Channel, "event.channel_type": channelType, "event.ts": now, "event.event_ts": now,
			"event.message": edited, "event.previous_message": msg(e.prevText),
		})
	case "deleted":
		return s.deletionEvent(id, e.m, e.replies, e.tombstone)
	}
	set := map[string]any{
		"event.channel": e.m.Channel, "event.channel_type": channelType, "event.user": BotUser, "event.bot_id": BotID,
		"event.bot_profile": profile, "event.app_id": "A1", "event.text": e.m.Text, "event.ts": e.m.TS, "event.event_ts": e.m.TS,
		"event.parent_user_id": nil, "event.thread_ts": nil,
	}
	if e.m.Thread != "" {
		set["event.thread_ts"] = e.m.Thread
	}
	file := "MessagePayload.json"
	if len(e.m.Files) > 0 {
		file = "MessageFileSharePayload.json"
		set["event.subtype"] = "file_share"
		var files []any
		for _, f := range e.m.Files {
			files = append(files, map[string]any{"id": f, "mode": "hosted"})
		}
		set["event.files"] = files
	}
	return s.eventCallback(file, id, set)
}

// BlockAction is the block_actions payload of user clicking the button actionID with value on
// message m (as the fake keeps it, blocks included), with a fresh trigger_id and response_url.
func (s *Server) BlockAction(user User, m Message, actionID, value string) map[string]any {
	s.t.Helper()
	var blocks any
	if len(m.Blocks) > 0 {
		_ = json.Unmarshal(m.Blocks, &blocks)
	}
	message := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "user": m.User, "team": TeamID}
	if m.BotID != "" {
		message["bot_id"] = m.BotID
	}
	if blocks != nil {
		message["blocks"] = blocks
	}
	container := map[string]any{"type": "message", "message_ts": m.TS, "channel_id": m.Channel, "is_ephemeral": false}
	if m.Thread != "" {
		message["thread_ts"], container["thread_ts"] = m.Thread, m.Thread
	}
	now := s.tsNow()
	return s.Sample("app-backend/interactive-components/BlockActionPayload.json", map[string]any{
		"type": "block_actions", "trigger_id": s.Trigger(), "response_url": s.ResponseURL(),
		"user":       map[string]any{"id": user.ID, "username": user.Name, "name": user.Name, "team_id": TeamID},
		"team":       map[string]any{"id": TeamID, "domain": "test"},
		"channel":    map[string]any{"id": m.Channel, "name": m.Channel},
		"container":  container,
		"message":    message,
		"enterprise": nil, "view": nil, "state": nil, "app_unfurl": nil, "api_app_id": "A1",
		"token": "verification-token-unused",
		"actions": []any{map[string]any{
			"type": "button", "action_id": actionID, "block_id": "b" + randomHex(4), "value": value,
			"text": map[string]any{"type": "plain_text", "text": actionID, "emoji": true}, "action_ts": now,
		}},
	})
}

// ViewSubmission is the view_submission payload of user submitting the modal v (as opened
// with views.open) with answers by field (block_id): the state values take the shape of each
// field's element (plain_text_input value, static_select selected_option, users_select
// selected_user, multi_static_select selected_options from a comma-separated answer).
func (s *Server) ViewSubmission(user User, v View, answers map[string]string) map[string]any {
	s.t.Helper()
	values := map[string]any{}
	blocks, _ := v.View["blocks"].([]any)
	for _, b := range blocks {
		block, _ := b.(map[string]any)
		blockID, _ := block["block_id"].(string)
		el, _ := block["element"].(map[string]any)
		actionID, _ := el["action_id"].(string)
		typ, _ := el["type"].(string)
		answer, given := answers[blockID]
		value := map[string]any{"type": typ}
		switch typ {
		case "static_select":
			value["selected_option"] = nil
			if given && answer != "" {
				value["selected_option"] = map[string]any{"value": answer, "text": map[string]any{"type": "plain_text", "text": answer, "emoji": true}}
			}
		case "multi_static_select":
			var opts []any
			for _, a := range strings.Split(answer, ",") {
				if a = strings.TrimSpace(a); a != "" {
					opts = append(opts, map[string]any{"value": a, "text": map[string]any{"type": "plain_text", "text": a, "emoji": true}})
				}
			}
			value["selected_options"] = opts
		case "users_select":
			value["selected_user"] = nil
			if given && answer != "" {
				value["selected_user"] = answer
			}
		default:
			value["value"] = nil
			if given {
				value["value"] = answer
			}
		}
		values[blockID] = map[string]any{actionID: value}
	}
	view := map[string]any{}
	for k, val := range v.View {
		view[k] = val
	}
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	s.mu.Unlock()
	view["id"], view["team_id"], view["app_id"], view["bot_id"] = fmt.Sprintf("V%05d", id), TeamID, "A1", BotID
	view["state"] = map[string]any{"values": values}
	view["hash"] = randomHex(16)
	return s.Sample("app-backend/views/ViewSubmissionPayload.json", map[string]any{
		"type": "view_submission", "trigger_id": s.Trigger(),
		"user":       map[string]any{"id": user.ID, "username": user.Name, "name": user.Name, "team_id": TeamID},
		"team":       map[string]any{"id": TeamID, "domain": "test"},
		"view":       view,
		"enterprise": nil, "function_data": nil, "interactivity": nil, "bot_access_token": nil,
		"api_app_id": "A1", "token": "verification-token-unused",
	})
}

// SlashCommand is the form Slack posts when user runs command with text in channel, with a
// fresh trigger_id and response_url.
func (s *Server) SlashCommand(user User, channel, command, text string) url.Values {
	s.t.Helper()
	m := s.Sample("app-backend/slash-commands/SlashCommandPayload.json", map[string]any{
		"token": "verification-token-unused", "team_id": TeamID, "team_domain": "test", "api_app_id": "A1",
		"channel_id": channel, "channel_name": channel, "user_id": user.ID, "user_name": user.Name,
		"command": command, "text": text, "response_url": s.ResponseURL(), "trigger_id": s.Trigger(),
		"enterprise_id": nil, "enterprise_name": nil,
	})
	form := url.Values{}
	for k, v := range m {
		switch x := v.(type) {
		case string:
			form.Set(k, x)
		default:
			form.Set(k, fmt.Sprint(x))
		}
	}
	return form
}

// Form encodes an interaction payload the way Slack posts it: payload=<JSON>.
func Form(payload map[string]any) []byte {
	b, _ := json.Marshal(payload)
	return []byte(url.Values{"payload": {string(b)}}.Encode())
}

// filesJSON renders shared files as a file_share event lists them.
func (s *Server) filesJSON(files []File) []any {
	var out []any
	for _, f := range files {
		out = append(out, map[string]any{
			"id": f.ID, "created": time.Now().Unix(), "timestamp": time.Now().Unix(), "name": f.Name, "title": f.Name,
			"mimetype": f.Mimetype, "filetype": strings.TrimPrefix(filepath.Ext(f.Name), "."), "pretty_type": f.Mimetype,
			"user": "", "mode": "hosted", "editable": false, "is_external": false, "external_type": "",
			"size": len(f.Data), "url_private": f.URLPrivate, "url_private_download": f.URLPrivate + "?download=1",
			"permalink": "https://test.slack.com/files/" + f.ID, "is_public": false, "display_as_bot": false,
		})
	}
	return out
}

func (s *Server) tsNow() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newTS()
}

func pruneEmpty(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if str, ok := e.(string); ok && str == "" {
				delete(x, k)
				continue
			}
			x[k] = pruneEmpty(e)
		}
	case []any:
		out := x[:0]
		for _, e := range x {
			if str, ok := e.(string); ok && str == "" {
				continue
			}
			out = append(out, pruneEmpty(e))
		}
		return out
	}
	return v
}

func setPath(node any, path []string, v any) error {
	switch x := node.(type) {
	case map[string]any:
		if len(path) == 1 {
			if v == nil {
				delete(x, path[0])
			} else {
				x[path[0]] = v
			}
			return nil
		}
		next, ok := x[path[0]]
		if !ok || next == nil {
			next = map[string]any{}
			x[path[0]] = next
		}
		return setPath(next, path[1:], v)
	case []any:
		i, err := strconv.Atoi(path[0])
		if err != nil || i < 0 || i >= len(x) {
			return fmt.Errorf("bad index %q", path[0])
		}
		if len(path) == 1 {
			x[i] = v
			return nil
		}
		return setPath(x[i], path[1:], v)
	}
	return fmt.Errorf("%q is not in an object or array", path[0])
}

func mustJSON(t interface{ Fatalf(string, ...any) }, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("slacktest: encode payload: %v", err)
	}
	return b
}

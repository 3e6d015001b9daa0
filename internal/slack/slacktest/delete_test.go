package slacktest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// call makes one Web API call with the bot token and returns the decoded answer.
func call(t *testing.T, s *Server, method string, args url.Values) map[string]any {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, s.APIURL()+method, strings.NewReader(args.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", "Bearer "+BotToken)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatalf("%s: answer is not JSON: %v", method, err)
	}
	return answer
}

// event decodes an Events API callback's inner event.
func event(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var cb struct {
		Type    string         `json:"type"`
		EventID string         `json:"event_id"`
		Event   map[string]any `json:"event"`
	}
	if err := json.Unmarshal(body, &cb); err != nil || cb.Type != "event_callback" || cb.EventID == "" {
		t.Fatalf("not an event callback (%v): %s", err, body)
	}
	return cb.Event
}

// TestDeletedThreadRoot: a deleted thread root behaves as on Slack, and every answer the fake
// gives is one its method's reference lists. Without replies the root disappears
// (message_deleted); with replies it leaves a tombstone (message_changed). Either way
// chat.update answers message_not_found and chat.postMessage still takes a reply (it lists no
// error for a deleted thread); conversations.replies answers thread_not_found once nothing is
// left of the thread.
func TestDeletedThreadRoot(t *testing.T) {
	s := New(t, SpecsDir(t))
	card := func() string {
		t.Helper()
		a := call(t, s, "chat.postMessage", url.Values{"channel": {Triage}, "text": {"#1 · Jane"}})
		ts, _ := a["ts"].(string)
		if a["ok"] != true || ts == "" {
			t.Fatalf("chat.postMessage: %v", a)
		}
		return ts
	}
	refusedWith := func(method string, a map[string]any, code string) {
		t.Helper()
		if a["ok"] != false || a["error"] != code {
			t.Errorf("%s: got %v, want %s", method, a, code)
		}
		if !s.specs.knownError(method, code) {
			t.Errorf("%s: %s is not in its reference", method, code)
		}
	}
	afterDeletion := func(ts string, thread string) {
		t.Helper()
		refusedWith("chat.update", call(t, s, "chat.update", url.Values{"channel": {Triage}, "ts": {ts}, "text": {"#1 · open"}}), "message_not_found")
		refusedWith("reactions.add", call(t, s, "reactions.add", url.Values{"channel": {Triage}, "timestamp": {ts}, "name": {"memo"}}), "message_not_found")
		if a := call(t, s, "chat.postMessage", url.Values{"channel": {Triage}, "thread_ts": {ts}, "text": {"relayed"}}); a["ok"] != true {
			t.Errorf("chat.postMessage into the deleted thread: got %v, want ok (Slack lists no error for it)", a)
		}
		replies := call(t, s, "conversations.replies", url.Values{"channel": {Triage}, "ts": {ts}})
		switch thread {
		case "gone":
			refusedWith("conversations.replies", replies, "thread_not_found")
		case "tombstone":
			msgs, _ := replies["messages"].([]any)
			root, _ := msgs[0].(map[string]any)
			if replies["ok"] != true || root["subtype"] != "tombstone" || root["text"] != TombstoneText || root["ts"] != ts {
				t.Errorf("conversations.replies of a tombstoned thread: %v", replies)
			}
		}
	}

	t.Run("without replies", func(t *testing.T) {
		ts := card()
		ev := event(t, s.DeleteMessage("EvDel1", Triage, ts))
		prev, _ := ev["previous_message"].(map[string]any)
		if ev["subtype"] != "message_deleted" || ev["channel"] != Triage || ev["deleted_ts"] != ts ||
			prev["ts"] != ts || prev["bot_id"] != BotID || prev["user"] != BotUser || prev["thread_ts"] != nil {
			t.Errorf("event: %v", ev)
		}
		// The reply taken into the deleted root leaves a thread without a root: nothing to list.
		afterDeletion(ts, "")
		if m, _ := s.Message(Triage, ts); !m.Deleted || m.Tombstone {
			t.Errorf("message: %+v, want deleted without a tombstone", m)
		}
	})

	t.Run("never replied to", func(t *testing.T) {
		ts := card()
		s.DeleteMessage("EvDel2", Triage, ts)
		refusedWith("conversations.replies", call(t, s, "conversations.replies", url.Values{"channel": {Triage}, "ts": {ts}}), "thread_not_found")
	})

	t.Run("with replies", func(t *testing.T) {
		ts := card()
		s.UserMessage(Triage, "UAGENT", "on it", ts)
		ev := event(t, s.DeleteMessage("EvDel3", Triage, ts))
		msg, _ := ev["message"].(map[string]any)
		prev, _ := ev["previous_message"].(map[string]any)
		if ev["subtype"] != "message_changed" || ev["channel"] != Triage || msg["subtype"] != "tombstone" || msg["ts"] != ts ||
			msg["text"] != TombstoneText || prev["ts"] != ts || prev["thread_ts"] != ts || prev["bot_id"] != BotID {
			t.Errorf("event: %v", ev)
		}
		afterDeletion(ts, "tombstone")
	})

	t.Run("deleted by the app", func(t *testing.T) {
		echoes := make(chan []byte, 10)
		s.OnEvent(func(body []byte) { echoes <- body })
		ts := card()
		s.UserMessage(Triage, "UAGENT", "on it", ts)
		if a := call(t, s, "chat.delete", url.Values{"channel": {Triage}, "ts": {ts}}); a["ok"] != true {
			t.Fatalf("chat.delete: %v", a)
		}
		deadline := time.After(5 * time.Second)
		for {
			select {
			case body := <-echoes:
				ev := event(t, body)
				if ev["subtype"] != "message_changed" {
					continue // the echo of the card's post
				}
				if msg, _ := ev["message"].(map[string]any); msg["subtype"] != "tombstone" || msg["ts"] != ts {
					t.Errorf("echo of the deletion: %v", ev)
				}
				return
			case <-deadline:
				t.Fatal("no echo of the deletion")
			}
		}
	})
}

package slacktest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestCheckCall makes sure the fake's check of every call can fail.
func TestCheckCall(t *testing.T) {
	dir := SpecsDir(t)
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
			got := strings.Join(CheckCall(t, dir, tt.method, tt.args, tt.bearer), "; ")
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCheckJSONBody makes sure the fake's check of a JSON call can fail.
func TestCheckJSONBody(t *testing.T) {
	dir := SpecsDir(t)
	tests := []struct {
		name, method string
		args         map[string]string
		want         string
	}{
		{"a method that reads JSON", "views.open", map[string]string{"trigger_id": "1", "view": "{}"}, ""},
		{"a method not known to", "users.info", map[string]string{"user": "U1"}, "json_input_supported"},
		{"a token in the body", "chat.postMessage", map[string]string{"token": "xoxb", "channel": "C1"}, "Authorization header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(CheckJSONBody(t, dir, tt.method, tt.args), "; ")
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckBlocks(t *testing.T) {
	tests := []struct{ name, blocks, want string }{
		{"absent", "", ""},
		{"valid", `[{"type":"section","text":{"type":"mrkdwn","text":"x"}},{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"plain_text","text":"A"}},{"type":"button","action_id":"b","text":{"type":"plain_text","text":"B"}}]}]`, ""},
		{"not an array", `{"type":"section"}`, "not a JSON array"},
		{"unknown type", `[{"type":"sections"}]`, "unknown type"},
		{"repeated action", `[{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"plain_text","text":"A"}},{"type":"button","action_id":"a","text":{"type":"plain_text","text":"B"}}]}]`, "repeats action_id"},
		{"long button", `[{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"plain_text","text":"` + strings.Repeat("x", 76) + `"}}]}]`, "over 75"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkBlocks(tt.blocks)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPostLimit(t *testing.T) {
	s := New(t, SpecsDir(t))
	s.SetPostLimit(1, 2)
	post := func(channel string) int {
		r, _ := http.NewRequest(http.MethodPost, s.APIURL()+"chat.postMessage", strings.NewReader("channel="+channel+"&text=hi"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", "Bearer "+BotToken)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") != "1" {
			t.Errorf("429 without Retry-After: 1")
		}
		return resp.StatusCode
	}
	var got []int
	for range 3 {
		got = append(got, post(Triage))
	}
	got = append(got, post("DU1")) // another channel has its own allowance
	if want := []int{200, 200, 429, 200}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("statuses: got %v, want %v", got, want)
	}
	time.Sleep(1100 * time.Millisecond)
	if got := post(Triage); got != 200 {
		t.Errorf("after a second: got %d, want 200", got)
	}
	if got := s.RateLimited(); got != 1 {
		t.Errorf("RateLimited: got %d, want 1", got)
	}
}

func TestSign(t *testing.T) {
	// The example of Slack's documentation on verifying requests.
	body := []byte("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
	h := SignAt("8f742231b10e8888abcd99yyyzzz85a5", body, time.Unix(1531420618, 0))
	if got, want := h.Get("X-Slack-Signature"), "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"; got != want {
		t.Errorf("signature: got %s, want %s", got, want)
	}
	if got := h.Get("X-Slack-Request-Timestamp"); got != "1531420618" {
		t.Errorf("timestamp: got %s", got)
	}
}

// TestUserLocale: users.info and users.list tell a user's locale only when asked with
// include_locale=true, which defaults to false (as Slack's method reference says).
func TestUserLocale(t *testing.T) {
	s := New(t, SpecsDir(t))
	s.AddUser(User{ID: "U0RU00001", Name: "ivan", Locale: "ru-RU"})
	call := func(method, args string) string {
		t.Helper()
		r, _ := http.NewRequest(http.MethodPost, s.APIURL()+method, strings.NewReader(args))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", "Bearer "+BotToken)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body strings.Builder
		if _, err := io.Copy(&body, resp.Body); err != nil {
			t.Fatal(err)
		}
		return body.String()
	}
	tests := []struct {
		method, args string
		want         bool
	}{
		{"users.info", "user=U0RU00001", false},
		{"users.info", "user=U0RU00001&include_locale=false", false},
		{"users.info", "user=U0RU00001&include_locale=true", true},
		{"users.list", "limit=10", false},
		{"users.list", "limit=10&include_locale=true", true},
	}
	for _, tt := range tests {
		body := call(tt.method, tt.args)
		if !strings.Contains(body, `"ok":true`) {
			t.Fatalf("%s %s: %s", tt.method, tt.args, body)
		}
		if got := strings.Contains(body, `"locale":"ru-RU"`); got != tt.want {
			t.Errorf("%s %s: locale given %v, want %v: %s", tt.method, tt.args, got, tt.want, body)
		}
	}
}

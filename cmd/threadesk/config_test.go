package main

import (
	"net"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// settings are every environment variable Config and setupConfig read, from their tags;
// clearEnv unsets them all so that a test sees only what it sets, whatever the developer's
// shell exports.
var settings = func() []string {
	var names []string
	for _, d := range append(settingDocs(Config{}), settingDocs(setupConfig{})...) {
		names = append(names, d.Name)
	}
	return names
}()

// clearEnv unsets every setting for the rest of the test (t.Setenv restores them afterwards).
// Unset matters: envconfig applies a default only to a variable that is not set at all.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, k := range settings {
		t.Setenv(k, "")
		if err := os.Unsetenv(k); err != nil {
			t.Fatal(err)
		}
	}
}

// setEnv clears the environment, then sets env.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	clearEnv(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	clearEnv(t)
	c, err := LoadConfig()
	if err != nil {
		t.Fatalf("LoadConfig with nothing set: %v", err)
	}
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"HTTPAddr", c.HTTPAddr, ":8080"},
		{"InternalNotePrefix", c.InternalNotePrefix, "//"},
		{"DeskCommand", c.DeskCommand, "/desk"},
		{"SlackAPIURL", c.SlackAPIURL, "https://slack.com/api/"},
		{"RedisURL", c.RedisURL, ""},
		{"RedisPrefix", c.RedisPrefix, "td:"},
		{"InstanceName", c.InstanceName, defaultInstanceName()},
		{"QueueShards", c.QueueShards, 32},
		{"DeliveryGiveUpAfter", c.DeliveryGiveUpAfter, 10 * time.Minute},
		{"ShutdownTimeout", c.ShutdownTimeout, 25 * time.Second},
		{"MaxFileMB", c.MaxFileMB, int64(100)},
		{"LogLevel", c.LogLevel, "info"},
		{"Leads", len(c.Leads), 0},
		{"Sandbox()", c.Sandbox(), true},
		{"SlackEnabled()", c.SlackEnabled(), false},
		{"MattermostEnabled()", c.MattermostEnabled(), false},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %#v, want %#v", tc.name, tc.got, tc.want)
		}
	}
}

func TestLoadConfigLeads(t *testing.T) {
	for _, tc := range []struct {
		name, env string
		want      []string
	}{
		{"one", "U123", []string{"U123"}},
		{"ids and handles", "U123,ada.lovelace,W999", []string{"U123", "ada.lovelace", "W999"}},
		// Blanks are kept here; the core trims them when it compares (see TestLeadsSetting).
		{"blanks around commas", "U123, ada.lovelace", []string{"U123", " ada.lovelace"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setEnv(t, map[string]string{"LEADS": tc.env})
			c, err := LoadConfig()
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if got := c.Leads; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Leads = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLoadConfigCheck runs LoadConfig on whole environments: the ones that cannot work are
// refused with a message naming the setting to fix; the others load.
func TestLoadConfigCheck(t *testing.T) {
	slack := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s3cret", "SLACK_TRIAGE_CHANNEL": "C1", "REDIS_URL": "redis://127.0.0.1:1"}
	mattermost := map[string]string{"MATTERMOST_URL": "https://mm.example", "MATTERMOST_TOKEN": "tok", "MATTERMOST_TEAM": "acme",
		"MATTERMOST_TRIAGE_CHANNEL": "triage", "PUBLIC_URL": "https://desk.example", "REDIS_URL": "redis://127.0.0.1:1"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := make(map[string]string, len(base)+len(kv)/2)
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "<unset>" {
				delete(m, kv[i])
				continue
			}
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantErr []string // substrings of the error; nil means the settings load
		sandbox bool
	}{
		{name: "nothing set runs the sandbox", env: nil, sandbox: true},
		{name: "sandbox on a real Redis", env: map[string]string{"REDIS_URL": "redis://127.0.0.1:1"}, sandbox: true},
		{name: "slack complete", env: slack},
		{name: "slack in socket mode without signing secret", env: with(slack, "SLACK_SIGNING_SECRET", "<unset>", "SLACK_APP_TOKEN", "xapp-1")},
		{name: "slack without signing secret or app token", env: with(slack, "SLACK_SIGNING_SECRET", "<unset>"),
			wantErr: []string{"SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"}},
		{name: "slack without triage channel", env: with(slack, "SLACK_TRIAGE_CHANNEL", "<unset>"), wantErr: []string{"SLACK_TRIAGE_CHANNEL"}},
		{name: "slack without REDIS_URL", env: with(slack, "REDIS_URL", "<unset>"), wantErr: []string{"REDIS_URL", "REDIS_EPHEMERAL"}},
		{name: "slack on ephemeral Redis", env: with(slack, "REDIS_URL", "<unset>", "REDIS_EPHEMERAL", "true")},
		{name: "mattermost complete", env: mattermost},
		{name: "mattermost without REDIS_URL", env: with(mattermost, "REDIS_URL", "<unset>"), wantErr: []string{"REDIS_URL"}},
		{name: "mattermost on ephemeral Redis", env: with(mattermost, "REDIS_URL", "<unset>", "REDIS_EPHEMERAL", "true")},
		{name: "mattermost without team", env: with(mattermost, "MATTERMOST_TEAM", "<unset>"), wantErr: []string{"MATTERMOST_TEAM"}},
		{name: "mattermost without triage channel", env: with(mattermost, "MATTERMOST_TRIAGE_CHANNEL", "<unset>"), wantErr: []string{"MATTERMOST_TRIAGE_CHANNEL"}},
		{name: "mattermost without PUBLIC_URL", env: with(mattermost, "PUBLIC_URL", "<unset>")},
		{name: "mattermost URL without token", env: with(mattermost, "MATTERMOST_TOKEN", "<unset>"),
			wantErr: []string{"MATTERMOST_URL", "MATTERMOST_TOKEN"}, sandbox: true},
		{name: "bad LOG_LEVEL", env: map[string]string{"LOG_LEVEL": "loud"}, wantErr: []string{"LOG_LEVEL", "loud"}, sandbox: true},
		{name: "LOG_LEVEL debug", env: map[string]string{"LOG_LEVEL": "debug"}, sandbox: true},
		{name: "empty note prefix", env: map[string]string{"INTERNAL_NOTE_PREFIX": ""}, wantErr: []string{"INTERNAL_NOTE_PREFIX"}, sandbox: true},
		{name: "command without slash", env: map[string]string{"DESK_COMMAND": "desk"}, wantErr: []string{"DESK_COMMAND"}, sandbox: true},
		{name: "no queue shards", env: map[string]string{"QUEUE_SHARDS": "0"}, wantErr: []string{"QUEUE_SHARDS"}, sandbox: true},
		{name: "unreadable duration", env: map[string]string{"SHUTDOWN_TIMEOUT": "soon"}, wantErr: []string{"SHUTDOWN_TIMEOUT"}, sandbox: true},
		{name: "negative duration", env: map[string]string{"SHUTDOWN_TIMEOUT": "-1s"}, wantErr: []string{"SHUTDOWN_TIMEOUT"}, sandbox: true},
		{name: "bad LOG_FORMAT", env: map[string]string{"LOG_FORMAT": "xml"}, wantErr: []string{"LOG_FORMAT", "xml"}, sandbox: true},
		{name: "LOG_FORMAT json", env: map[string]string{"LOG_FORMAT": "json"}, sandbox: true},
		{name: "PUBLIC_URL not a URL", env: map[string]string{"PUBLIC_URL": "notaurl"}, wantErr: []string{"PUBLIC_URL", "notaurl"}, sandbox: true},
		{name: "no file size", env: map[string]string{"MAX_FILE_MB": "-5"}, wantErr: []string{"MAX_FILE_MB"}, sandbox: true},
		{name: "negative post rate", env: with(slack, "SLACK_POST_RATE", "-1"), wantErr: []string{"SLACK_POST_RATE"}},
		{name: "REDIS_URL redis", env: map[string]string{"REDIS_URL": "redis://localhost:6379/0"}, sandbox: true},
		{name: "REDIS_URL rediss with password", env: map[string]string{"REDIS_URL": "rediss://u:p@redis.example:6380"}, sandbox: true},
		{name: "REDIS_URL without scheme", env: map[string]string{"REDIS_URL": "localhost:6379"},
			wantErr: []string{"REDIS_URL", "write redis://localhost:6379"}, sandbox: true},
		{name: "REDIS_URL of another scheme", env: map[string]string{"REDIS_URL": "http://localhost:6379"},
			wantErr: []string{"REDIS_URL", `"http"`, "redis://"}, sandbox: true},
		{name: "REDIS_URL with a bad database", env: map[string]string{"REDIS_URL": "redis://localhost:6379/one"},
			wantErr: []string{"REDIS_URL", "redis://[user:password@]host:port/db"}, sandbox: true},
		{name: "REDIS_URL sentinel", env: with(slack, "REDIS_URL", "redis-sentinel://u:p@s1:26379,s2:26379/0?master=mymaster&sentinel_password=sp")},
		{name: "REDIS_URL sentinel over TLS", env: with(slack, "REDIS_URL", "rediss-sentinel://s1:26379?master=mymaster")},
		{name: "REDIS_URL sentinel without master", env: with(slack, "REDIS_URL", "redis-sentinel://s1:26379,s2:26379/0"),
			wantErr: []string{"REDIS_URL names no master", "?master=NAME"}},
		{name: "REDIS_URL cluster", env: with(slack, "REDIS_URL", "redis-cluster://:p@n1:7000,n2:7001,n3:7002")},
		{name: "REDIS_URL cluster over TLS", env: with(slack, "REDIS_URL", "rediss-cluster://n1:7000,n2:7001")},
		{name: "REDIS_URL cluster with a database", env: with(slack, "REDIS_URL", "redis-cluster://n1:7000,n2:7001/2"),
			wantErr: []string{"REDIS_URL names database \"2\"", "only database 0"}},
		{name: "REDIS_URL cluster with a bad host", env: with(slack, "REDIS_URL", "redis-cluster://n1:7000,n2:x"),
			wantErr: []string{"REDIS_URL names host \"n2:x\"", "port"}},
		{name: "MATTERMOST_URL without scheme", env: with(mattermost, "MATTERMOST_URL", "mm.example"),
			wantErr: []string{"MATTERMOST_URL", "https://mm.example"}},
		{name: "empty command", env: map[string]string{"DESK_COMMAND": ""}, wantErr: []string{"DESK_COMMAND", "/desk"}, sandbox: true},
		{name: "every problem at once", env: with(mattermost, "REDIS_URL", "<unset>", "MATTERMOST_TEAM", "<unset>", "LOG_LEVEL", "x"),
			wantErr: []string{"REDIS_URL", "MATTERMOST_TEAM", "LOG_LEVEL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setEnv(t, tc.env)
			c, err := LoadConfig()
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("LoadConfig: %v", err)
				}
			} else {
				if err == nil {
					t.Fatalf("LoadConfig accepted %v, want an error naming %q", tc.env, tc.wantErr)
				}
				for _, want := range tc.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not name %s", err, want)
					}
				}
			}
			if got := c.Sandbox(); got != tc.sandbox {
				t.Errorf("Sandbox() = %v, want %v", got, tc.sandbox)
			}
		})
	}
}

// TestConfigSandboxOnlyWithoutPlatform checks Sandbox() on its own: any configured platform
// turns the sandbox off.
func TestConfigSandboxOnlyWithoutPlatform(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Config
		want bool
	}{
		{"nothing", Config{}, true},
		{"slack", Config{SlackBotToken: "xoxb-1"}, false},
		{"mattermost", Config{MattermostURL: "https://mm.example", MattermostToken: "t"}, false},
		{"both", Config{SlackBotToken: "xoxb-1", MattermostURL: "https://mm.example", MattermostToken: "t"}, false},
		{"mattermost URL alone is no platform", Config{MattermostURL: "https://mm.example"}, true},
		{"slack signing secret alone is no platform", Config{SlackSigningSecret: "s"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.Sandbox(); got != tc.want {
				t.Errorf("Sandbox() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestConfigBaseURL(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4321}
	for _, tc := range []struct {
		name, public, want string
	}{
		{"listen address", "", "http://localhost:4321"},
		{"public URL", "https://desk.example", "https://desk.example"},
		{"public URL trailing slash", "https://desk.example/", "https://desk.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Config{PublicURL: tc.public}).BaseURL(addr); got != tc.want {
				t.Errorf("BaseURL = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPaceSetting(t *testing.T) {
	for in, want := range map[float64]float64{0: -1, 1: 1, 0.5: 0.5} {
		if got := paceSetting(in); got != want {
			t.Errorf("paceSetting(%v) = %v, want %v", in, got, want)
		}
	}
}

// TestLoadConfigReportsEveryProblem sets several settings that cannot be read at once: the
// error names each of them, in plain words with what to write instead, without envconfig's
// internals, and a value that could not be read is not reported a second time.
func TestLoadConfigReportsEveryProblem(t *testing.T) {
	setEnv(t, map[string]string{
		"QUEUE_SHARDS":     "abc",
		"REDIS_URL":        "localhost:6379",
		"SHUTDOWN_TIMEOUT": "soon",
		"REDIS_EPHEMERAL":  "yes",
		"SLACK_POST_RATE":  "fast",
		"LOG_LEVEL":        "loud",
	})
	_, err := LoadConfig()
	if err == nil {
		t.Fatal("LoadConfig accepted unreadable settings")
	}
	msg := err.Error()
	for _, want := range []string{
		`QUEUE_SHARDS="abc" is not a whole number: write one, such as 32`,
		"REDIS_URL has no scheme: write redis://localhost:6379",
		`SHUTDOWN_TIMEOUT="soon" is not a duration`, "such as 25s",
		`REDIS_EPHEMERAL="yes" is not true or false`,
		`SLACK_POST_RATE="fast" is not a number`,
		`LOG_LEVEL="loud"`,
		"threadesk -h",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	for _, not := range []string{"envconfig", "converting", "invalid URL scheme", "between 1 and 1024", "out of range"} {
		if strings.Contains(msg, not) {
			t.Errorf("error contains %q:\n%s", not, msg)
		}
	}
	if got := strings.Count(msg, "\n  - "); got != 6 {
		t.Errorf("%d problems listed, want 6:\n%s", got, msg)
	}
}

// TestRedisURLProblemHidesPassword checks that a REDIS_URL problem never repeats the password.
func TestRedisURLProblemHidesPassword(t *testing.T) {
	for _, raw := range []string{"admin:s3cret@localhost:6379", "redis://admin:s3cret@localhost:6379/nodb", "redis-sentinel://:s3cret@h1:26379",
		"redis-sentinel://admin:s3cret@h1:26379,h2:x?master=m", "redis-cluster://admin:s3cret@n1:7000/1", "redis-cluster://admin:s3cr%zzet@n1:7000", "s3cret"} {
		got := redisURLProblem(raw)
		if got == "" {
			t.Errorf("%q: no problem reported", raw)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("%q: problem repeats the password: %s", raw, got)
		}
	}
}

// TestInstanceNameDefaultsToHostName: unset, INSTANCE_NAME is the host name, so that replicas
// on different machines are different consumers of the queue without being told; set, it is
// what was set.
func TestInstanceNameDefaultsToHostName(t *testing.T) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "threadesk"
	}
	for _, tc := range []struct {
		name, env, want string
	}{
		{"unset", "<unset>", host},
		{"blank", "", host},
		{"set", "desk-2", "desk-2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			if tc.env != "<unset>" {
				t.Setenv("INSTANCE_NAME", tc.env)
			}
			c, err := LoadConfig()
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if c.InstanceName != tc.want {
				t.Errorf("InstanceName = %q, want %q", c.InstanceName, tc.want)
			}
		})
	}
}

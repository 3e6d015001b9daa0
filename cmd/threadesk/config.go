package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/threadesk/threadesk/internal/kb"
	"github.com/threadesk/threadesk/internal/policy"
	"github.com/threadesk/threadesk/internal/redisstore"
)

// Config is every setting of Threadesk, read from the environment by envconfig. Its tags are
// the one table of the settings: the name, the default and the meaning (desc) that
// `threadesk -h` prints and that the README's Settings tables repeat (a test holds them to
// it). The names in the first block are the product's fixed outside contract.
type Config struct {
	HTTPAddr  string `envconfig:"HTTP_ADDR" default:":8080" desc:"listen address. Unset with no platform configured: the sandbox, which has no sign-in, listens on 127.0.0.1:8080 (this machine only)"`
	PublicURL string `envconfig:"PUBLIC_URL" desc:"where platforms and browsers reach the app, an http:// or https:// URL; Mattermost's slash command, buttons and dialogs call it back. Unset: http://localhost:<port of HTTP_ADDR>"`
	RedisURL  string `envconfig:"REDIS_URL" desc:"where Redis is: redis://[user:password@]host:port/db (rediss:// for TLS), Sentinel redis-sentinel://[user:password@]host1:port,host2:port/db?master=NAME or Cluster redis-cluster://[user:password@]host1:port,host2:port (see Redis: one server, Sentinel or Cluster). Unset with no platform configured: an embedded in-memory Redis (the sandbox). Unset with a platform: refused, unless REDIS_EPHEMERAL=true"`

	SlackBotToken      string `envconfig:"SLACK_BOT_TOKEN" desc:"xoxb-…; enables the Slack app"`
	SlackAppToken      string `envconfig:"SLACK_APP_TOKEN" desc:"xapp-…; when set, Slack events arrive over Socket Mode"`
	SlackSigningSecret string `envconfig:"SLACK_SIGNING_SECRET" desc:"verifies Slack's HTTP requests; required unless Socket Mode"`
	SlackTriageChannel string `envconfig:"SLACK_TRIAGE_CHANNEL" desc:"channel ID (C…) or name of the triage channel"`
	SlackAPIURL        string `envconfig:"SLACK_API_URL" default:"https://slack.com/api/" desc:"Web API base URL (GovSlack, tests)"`

	MattermostURL           string `envconfig:"MATTERMOST_URL" desc:"server URL; with MATTERMOST_TOKEN enables the Mattermost app"`
	MattermostToken         string `envconfig:"MATTERMOST_TOKEN" desc:"the bot account's access token"`
	MattermostTeam          string `envconfig:"MATTERMOST_TEAM" desc:"team name"`
	MattermostTriageChannel string `envconfig:"MATTERMOST_TRIAGE_CHANNEL" desc:"channel name or ID in that team"`
	MattermostCommandToken  string `envconfig:"MATTERMOST_COMMAND_TOKEN" desc:"token(s), comma-separated, that Mattermost sends with the slash command"`

	InternalNotePrefix  string        `envconfig:"INTERNAL_NOTE_PREFIX" default:"//" desc:"a thread reply starting with it is an internal note"`
	DeskCommand         string        `envconfig:"DESK_COMMAND" default:"/desk" desc:"the slash command; on Slack, change the manifest's slash command to match"`
	Leads               []string      `envconfig:"LEADS" desc:"comma-separated user IDs or usernames allowed the lead commands (stats)"`
	KBPath              string        `envconfig:"KB_PATH" desc:"path of the knowledge-base file (YAML, see Knowledge base), checked at start; unset: no suggestions"`
	DashboardSessionTTL time.Duration `envconfig:"DASHBOARD_SESSION_TTL" default:"12h" desc:"how long a dashboard sign-in lasts"`
	Retention           Days          `envconfig:"RETENTION" desc:"how long what was written on a closed ticket is kept, such as 365d or 90d (days, or h, m, s): then its transcript, mirrored-message links and texts are forgotten, its numbers kept for statistics. Unset: forever"`
	DeskConfig          string        `envconfig:"DESK_CONFIG" desc:"path of the desk policy file (YAML): categories and questions of the first-line bot, business hours, SLA targets, auto-close, the rating question, canned replies; threadesk check-config checks it. Unset: none of them, the desk as without the file"`

	// Threadesk's own settings.

	// Categories are the choices of the Tag form's category.
	Categories []string `envconfig:"CATEGORIES" default:"General,Billing,Technical,Account" desc:"the choices of the Tag form's category, comma-separated"`

	// RedisEphemeral lets a platform run on the embedded, in-memory Redis (tickets are
	// forgotten on restart); without it a platform with no REDIS_URL refuses to start.
	RedisEphemeral bool   `envconfig:"REDIS_EPHEMERAL" default:"false" desc:"allow a platform on the embedded, in-memory Redis (everything is forgotten on restart)"`
	RedisPrefix    string `envconfig:"REDIS_PREFIX" default:"td:" desc:"prefix of every key. On Redis Cluster it is a hash tag (one without is wrapped in one: td: becomes {td}:): the installation's keys share its slot, each queue shard's own keys go under a tag of their own ({td/q3}:), the queue's indexes under {td/ix}:, and each ticket's transcript and each message's link under a partition's ({td/p<0–1023>}:)"`
	// InstanceName names this process in the queue's consumer groups; it must stay the same
	// across restarts so that the events a crashed process held are picked up again. Unset, it
	// is the host name (LoadConfig fills it in), which tells the replicas of one app apart.
	InstanceName string `envconfig:"INSTANCE_NAME" desc:"this process's consumer name in the queue; keep it stable across restarts and different for each replica. Unset: the host name (threadesk when there is none)"`
	QueueShards  int    `envconfig:"QUEUE_SHARDS" default:"32" desc:"queue shards (parallel workers), 1 to 1024; keep it fixed for an installation"`
	// ShardLease is how long a replica's hold on a queue shard lasts unless renewed: how soon
	// the shards of a replica that died move to the others.
	ShardLease time.Duration `envconfig:"SHARD_LEASE" default:"15s" desc:"how long a replica holds a queue shard unless it renews it (every third of it): how soon a dead replica's shards are taken over (1s to 10m)"`

	SlackPostRate          float64 `envconfig:"SLACK_POST_RATE" default:"1" desc:"posts per second per Slack channel (0 = unpaced)"`
	SlackPostBurst         int     `envconfig:"SLACK_POST_BURST" default:"4" desc:"posts in a burst per Slack channel"`
	MattermostPostRate     float64 `envconfig:"MATTERMOST_POST_RATE" default:"10" desc:"posts per second per Mattermost channel (0 = unpaced)"`
	MattermostPostBurst    int     `envconfig:"MATTERMOST_POST_BURST" default:"10" desc:"posts in a burst per Mattermost channel"`
	MattermostRequestRate  float64 `envconfig:"MATTERMOST_REQUEST_RATE" default:"10" desc:"API requests per second of the bot's token, all replicas together: the server's rate limit (RateLimitSettings.PerSec; 0 = unpaced, for a server with rate limiting off)"`
	MattermostRequestBurst int     `envconfig:"MATTERMOST_REQUEST_BURST" default:"100" desc:"API requests in a burst of the bot's token (RateLimitSettings.MaxBurst)"`

	DeliveryGiveUpAfter time.Duration `envconfig:"DELIVERY_GIVE_UP_AFTER" default:"10m" desc:"how long a delivery is retried before it is marked failed"`
	MaxFileMB           int64         `envconfig:"MAX_FILE_MB" default:"100" desc:"largest file relayed, in MB; a larger one is not relayed and is reported to its author"`
	ShutdownTimeout     time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"25s" desc:"how long a stop waits for deliveries in flight"`

	MetricsToken string `envconfig:"METRICS_TOKEN" desc:"when set, GET /metrics answers only requests with Authorization: Bearer and this token (others 401). Unset: /metrics is open"`

	// PprofAddr serves Go's profiler on a listener of its own, never on HTTP_ADDR: the load
	// benchmark (cmd/loadrun -profile) reads the relay's CPU profile there.
	PprofAddr string `envconfig:"PPROF_ADDR" desc:"listen address of Go's profiler (net/http/pprof, /debug/pprof/), for load runs; keep it on loopback (127.0.0.1:6060). Unset: off"`

	LogLevel  string `envconfig:"LOG_LEVEL" default:"info" desc:"debug, info, warn or error"`
	LogFormat string `envconfig:"LOG_FORMAT" default:"text" desc:"text or json. Logs never contain message bodies or tokens"`

	// httpAddrSet records that HTTP_ADDR was in the environment, so that ListenAddr can tell
	// the operator's choice from the default.
	httpAddrSet bool

	// retentionEvery is how often retention looks (relay.Options.RetentionEvery; 0: an hour).
	// Not a setting: tests that run the program in-process shorten it.
	retentionEvery time.Duration
}

// defaultHTTPAddr is HTTP_ADDR's default, where the platforms' endpoints listen.
const defaultHTTPAddr = ":8080"

// SandboxAddr is where the sandbox listens when the operator did not set HTTP_ADDR: this
// machine only, because the sandbox has no sign-in and anyone who reaches it can act as anyone.
const SandboxAddr = "127.0.0.1:8080"

// LoadConfig reads the settings from the environment and checks them. Its error lists every
// problem at once, each naming its setting and what would be right.
func LoadConfig() (Config, error) {
	var c Config
	problems := readEnv(&c)
	// An empty HTTP_ADDR (a blank line in an env file) is no choice: the default applies.
	if c.HTTPAddr == "" {
		c.HTTPAddr = defaultHTTPAddr
	}
	if c.InstanceName == "" {
		c.InstanceName = defaultInstanceName()
	}
	v, ok := os.LookupEnv("HTTP_ADDR")
	c.httpAddrSet = ok && v != ""
	unread := make(map[string]bool, len(problems))
	for _, p := range problems {
		unread[p.setting] = true
	}
	// A setting that could not be read was left at zero: checking that zero would only
	// report it a second time.
	for _, p := range c.problems() {
		if !unread[p.setting] {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return c, settingsError{problems, "threadesk -h"}
	}
	return c, nil
}

// SlackEnabled reports whether the Slack app is configured.
func (c Config) SlackEnabled() bool { return c.SlackBotToken != "" }

// MattermostEnabled reports whether the Mattermost app is configured.
func (c Config) MattermostEnabled() bool { return c.MattermostURL != "" && c.MattermostToken != "" }

// Sandbox reports whether the built-in sandbox runs: when no platform is configured.
func (c Config) Sandbox() bool { return !c.SlackEnabled() && !c.MattermostEnabled() }

// ListenAddr is the address the HTTP server listens on: HTTP_ADDR, except that the sandbox
// listens on SandboxAddr (this machine only) unless the operator chose an address. An HTTPAddr
// other than the default counts as chosen even without the environment (a Config built in code).
func (c Config) ListenAddr() string {
	if c.Sandbox() && !c.httpAddrSet && c.HTTPAddr == defaultHTTPAddr {
		return SandboxAddr
	}
	return c.HTTPAddr
}

// Check reports every setting that cannot work, naming each and what would be right.
func (c Config) Check() error {
	if problems := c.problems(); len(problems) > 0 {
		return settingsError{problems, "threadesk -h"}
	}
	return nil
}

// problems lists the settings that were read but cannot work, or do not work together.
func (c Config) problems() []problem {
	var ps []problem
	add := func(setting, format string, args ...any) {
		ps = append(ps, problem{setting, fmt.Sprintf(format, args...)})
	}
	if c.SlackEnabled() {
		if c.SlackSigningSecret == "" && c.SlackAppToken == "" {
			add("SLACK_SIGNING_SECRET", "SLACK_SIGNING_SECRET is required to verify Slack's requests: copy it from the app's Basic Information page (or set SLACK_APP_TOKEN for Socket Mode)")
		}
		if c.SlackTriageChannel == "" {
			add("SLACK_TRIAGE_CHANNEL", "SLACK_TRIAGE_CHANNEL is required with SLACK_BOT_TOKEN: write the triage channel's ID (C…) or name")
		}
	}
	switch {
	case c.MattermostURL != "" && c.MattermostToken == "":
		add("MATTERMOST_TOKEN", "MATTERMOST_URL is set but MATTERMOST_TOKEN is not: set both (threadesk mattermost-setup prints them), or neither")
	case c.MattermostURL == "" && c.MattermostToken != "":
		add("MATTERMOST_URL", "MATTERMOST_TOKEN is set but MATTERMOST_URL is not: set both, or neither")
	}
	if c.MattermostEnabled() {
		if c.MattermostTeam == "" {
			add("MATTERMOST_TEAM", "MATTERMOST_TEAM is required with MATTERMOST_URL: write the team's name")
		}
		if c.MattermostTriageChannel == "" {
			add("MATTERMOST_TRIAGE_CHANNEL", "MATTERMOST_TRIAGE_CHANNEL is required with MATTERMOST_URL: write the triage channel's name or ID")
		}
	}
	if !c.Sandbox() && c.RedisURL == "" && !c.RedisEphemeral {
		add("REDIS_URL", "REDIS_URL is required when a platform is configured: without it tickets are forgotten on restart (set REDIS_EPHEMERAL=true to accept that)")
	}
	if text := redisURLProblem(c.RedisURL); text != "" {
		add("REDIS_URL", "%s", text)
	}
	for _, u := range []struct{ setting, value string }{
		{"PUBLIC_URL", c.PublicURL}, {"SLACK_API_URL", c.SlackAPIURL}, {"MATTERMOST_URL", c.MattermostURL},
	} {
		if text := httpURLProblem(u.setting, u.value); text != "" {
			add(u.setting, "%s", text)
		}
	}
	if c.QueueShards < 1 || c.QueueShards > 1024 {
		add("QUEUE_SHARDS", "QUEUE_SHARDS=%d is out of range: write a number from 1 to 1024", c.QueueShards)
	}
	if c.Retention < 0 || (c.Retention > 0 && time.Duration(c.Retention) < time.Hour) {
		add("RETENTION", "RETENTION=%s is too short: write at least 1h, such as 365d, or unset it to keep everything", time.Duration(c.Retention))
	}
	if c.ShardLease < time.Second || c.ShardLease > 10*time.Minute {
		add("SHARD_LEASE", "SHARD_LEASE=%s is out of range: write a duration from 1s to 10m, such as 15s", c.ShardLease)
	}
	if c.InternalNotePrefix == "" {
		add("INTERNAL_NOTE_PREFIX", "INTERNAL_NOTE_PREFIX is empty, which would make every reply a note: write a prefix such as //, or unset it")
	}
	switch {
	case strings.TrimSpace(c.DeskCommand) == "":
		add("DESK_COMMAND", "DESK_COMMAND is empty: write a command such as /desk, or unset it")
	case !strings.HasPrefix(c.DeskCommand, "/"):
		add("DESK_COMMAND", "DESK_COMMAND=%q does not start with /: write /%s", c.DeskCommand, strings.TrimSpace(c.DeskCommand))
	}
	if c.KBPath != "" {
		if _, err := kb.Load(c.KBPath, "en"); err != nil {
			add("KB_PATH", "KB_PATH names a knowledge base that cannot be used; fix it, or unset KB_PATH:\n      %s", strings.ReplaceAll(err.Error(), "\n", "\n      "))
		}
	}
	if _, err := c.logLevel(); err != nil {
		add("LOG_LEVEL", "%s", err.Error())
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		add("LOG_FORMAT", "LOG_FORMAT=%q is not text or json", c.LogFormat)
	}
	if c.DeskConfig != "" {
		if _, err := policy.Load(c.DeskConfig); err != nil {
			add("DESK_CONFIG", "%s", deskConfigProblem(c.DeskConfig, err))
		}
	}
	if c.MaxFileMB < 1 {
		add("MAX_FILE_MB", "MAX_FILE_MB=%d is too small: write a size in MB of at least 1", c.MaxFileMB)
	}
	for _, d := range []struct {
		setting string
		value   time.Duration
	}{{"DELIVERY_GIVE_UP_AFTER", c.DeliveryGiveUpAfter}, {"SHUTDOWN_TIMEOUT", c.ShutdownTimeout}} {
		if d.value <= 0 {
			add(d.setting, "%s=%s is not positive: write a duration such as 30s or 10m", d.setting, d.value)
		}
	}
	for _, r := range []struct {
		setting string
		value   float64
	}{
		{"SLACK_POST_RATE", c.SlackPostRate}, {"SLACK_POST_BURST", float64(c.SlackPostBurst)},
		{"MATTERMOST_POST_RATE", c.MattermostPostRate}, {"MATTERMOST_POST_BURST", float64(c.MattermostPostBurst)},
		{"MATTERMOST_REQUEST_RATE", c.MattermostRequestRate}, {"MATTERMOST_REQUEST_BURST", float64(c.MattermostRequestBurst)},
	} {
		if r.value < 0 {
			add(r.setting, "%s=%v is negative: write 0 (unpaced) or more", r.setting, r.value)
		}
	}
	return ps
}

func (c Config) logLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("LOG_LEVEL=%q is not debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}

// BaseURL is where people reach the app: PUBLIC_URL, or the listen address on localhost.
func (c Config) BaseURL(listening net.Addr) string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	port := "8080"
	if a, ok := listening.(*net.TCPAddr); ok {
		port = fmt.Sprint(a.Port)
	}
	return "http://localhost:" + port
}

// redisURLProblem says what is wrong with a REDIS_URL, or "" when it can be used (or is
// unset). The store reads it the same way (redisstore.ParseURL), in every form: one server,
// Sentinel or Cluster. It never repeats a password the URL may hold.
func redisURLProblem(raw string) string {
	if raw == "" {
		return ""
	}
	if _, err := redisstore.ParseURL(raw); err != nil {
		return "REDIS_URL " + err.Error()
	}
	return ""
}

// defaultInstanceName is INSTANCE_NAME when it is unset: the host name, which is stable
// across restarts on a machine or a StatefulSet's pod and differs between replicas.
func defaultInstanceName() string {
	if h, err := os.Hostname(); err == nil && strings.TrimSpace(h) != "" {
		return h
	}
	return "threadesk"
}

// httpURLProblem says what is wrong with a setting that must be an http:// or https:// URL,
// or "" when it is one (or is unset).
func httpURLProblem(setting, raw string) string {
	if raw == "" {
		return ""
	}
	if !strings.Contains(raw, "://") {
		return fmt.Sprintf("%s=%q has no scheme: write https://%s", setting, raw, raw)
	}
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%s=%q is not an http:// or https:// URL: write it like https://host.example.com", setting, raw)
	}
	return ""
}

// A problem is one thing wrong with the settings, in plain words that name the setting and
// what would be right.
type problem struct {
	setting string
	text    string
}

// settingsError is every problem found in the settings, reported together, and the command
// whose help describes the settings.
type settingsError struct {
	problems []problem
	help     string
}

func (e settingsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the settings need fixing (%s describes every setting):", e.help)
	for _, p := range e.problems {
		b.WriteString("\n  - ")
		b.WriteString(p.text)
	}
	return b.String()
}

// readEnv fills spec, a pointer to a struct of settings tagged for envconfig, from the
// environment. envconfig stops at the first setting it cannot read; here it reads one field
// at a time (through a struct of that field alone, with its tags), so that every unreadable
// setting is reported, each in plain words. A required setting that is unset or blank is a
// problem too.
func readEnv(spec any) []problem {
	v := reflect.ValueOf(spec).Elem()
	var problems []problem
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name := f.Tag.Get("envconfig")
		if name == "" {
			continue
		}
		one := reflect.New(reflect.StructOf([]reflect.StructField{{Name: f.Name, Type: f.Type, Tag: f.Tag}}))
		err := envconfig.Process("", one.Interface())
		var parseErr *envconfig.ParseError
		switch {
		case errors.As(err, &parseErr):
			problems = append(problems, problem{name, unreadable(name, parseErr.Value, f)})
			continue
		case err != nil:
			// The only other error envconfig gives for one field: a required one is unset.
			problems = append(problems, problem{name, fmt.Sprintf("%s is required but not set: %s", name, f.Tag.Get("desc"))})
			continue
		}
		got := one.Elem().Field(0)
		if f.Tag.Get("required") == "true" && got.Kind() == reflect.String && strings.TrimSpace(got.String()) == "" {
			problems = append(problems, problem{name, fmt.Sprintf("%s is required but not set: %s", name, f.Tag.Get("desc"))})
			continue
		}
		v.Field(i).Set(got)
	}
	return problems
}

// unreadable says, for a value that does not parse as field f's type, what to write instead.
func unreadable(name, value string, f reflect.StructField) string {
	example := ""
	if def := f.Tag.Get("default"); def != "" {
		example = fmt.Sprintf(", such as %s (the default)", def)
	}
	if f.Type == reflect.TypeFor[Days]() {
		return fmt.Sprintf("%s=%q is not a duration: write a number of days such as 365d, or of hours, minutes or seconds (12h, 30m)", name, value)
	}
	switch f.Type.Kind() {
	case reflect.Int64:
		if f.Type == reflect.TypeFor[time.Duration]() {
			return fmt.Sprintf("%s=%q is not a duration: write a number and a unit (ms, s, m or h)%s", name, value, example)
		}
		return fmt.Sprintf("%s=%q is not a whole number: write one%s", name, value, example)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprintf("%s=%q is not a whole number: write one%s", name, value, example)
	case reflect.Float32, reflect.Float64:
		return fmt.Sprintf("%s=%q is not a number: write one%s", name, value, example)
	case reflect.Bool:
		return fmt.Sprintf("%s=%q is not true or false: write one of them%s", name, value, example)
	}
	return fmt.Sprintf("%s=%q cannot be read as %s%s", name, value, f.Type, example)
}

// A settingDoc is one setting as `threadesk -h` shows it, from the struct tags.
type settingDoc struct {
	Name, Default, Meaning string
	Required               bool
}

// settingDocs lists the settings of spec, a struct (or a pointer to one) tagged for envconfig,
// in the struct's order.
func settingDocs(spec any) []settingDoc {
	t := reflect.TypeOf(spec)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var docs []settingDoc
	for i := range t.NumField() {
		f := t.Field(i)
		if name := f.Tag.Get("envconfig"); name != "" {
			docs = append(docs, settingDoc{Name: name, Default: f.Tag.Get("default"), Meaning: f.Tag.Get("desc"),
				Required: f.Tag.Get("required") == "true"})
		}
	}
	return docs
}

// printSettings writes docs as `threadesk -h` shows them: each setting with its default on one
// line, its meaning wrapped and indented below.
func printSettings(w io.Writer, docs []settingDoc) {
	for _, d := range docs {
		switch {
		case d.Required:
			fmt.Fprintf(w, "  %s (required)\n", d.Name)
		case d.Default != "":
			fmt.Fprintf(w, "  %s (default %s)\n", d.Name, d.Default)
		default:
			fmt.Fprintf(w, "  %s\n", d.Name)
		}
		for _, line := range wrap(d.Meaning, 100-6) {
			fmt.Fprintf(w, "      %s\n", line)
		}
	}
}

// wrap breaks text into lines of at most width characters, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case len([]rune(line))+1+len([]rune(word)) > width:
			lines = append(lines, line)
			line = word
		default:
			line += " " + word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// Days is a duration that may also be written in whole days, as people count retention:
// 365d, 30d, as well as Go's 12h or 90m.
type Days time.Duration

// Decode implements envconfig.Decoder.
func (d *Days) Decode(s string) error {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 || days > 100*365 {
			return fmt.Errorf("%q is not a number of days", s)
		}
		*d = Days(time.Duration(days) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Days(v)
	return nil
}

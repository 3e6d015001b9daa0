package redisstore

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestParseURL reads every REDIS_URL form into the client options it stands for.
func TestParseURL(t *testing.T) {
	type want struct {
		mode            Mode
		addrs           []string
		master          string
		db              int
		user, pass      string
		sentinelPass    string
		tls, skipVerify bool
		dialTimeout     time.Duration
	}
	tests := []struct {
		name, url string
		want      want
	}{
		{"redis", "redis://localhost:6379/0",
			want{mode: Single, addrs: []string{"localhost:6379"}}},
		{"redis with user, database", "redis://app:s3cret@cache.internal:6380/3",
			want{mode: Single, addrs: []string{"cache.internal:6380"}, db: 3, user: "app", pass: "s3cret"}},
		{"rediss", "rediss://:s3cret@redis.example:6380",
			want{mode: Single, addrs: []string{"redis.example:6380"}, pass: "s3cret", tls: true}},
		{"unix socket", "unix:///run/redis.sock?db=2",
			want{mode: Single, addrs: []string{"/run/redis.sock"}, db: 2}},
		{"sentinel", "redis-sentinel://s1:26379,s2:26380/2?master=mymaster",
			want{mode: Sentinel, addrs: []string{"s1:26379", "s2:26380"}, master: "mymaster", db: 2}},
		{"sentinel with the master's password and the sentinels'",
			"redis-sentinel://app:s3cret@s1:26379,s2,10.0.0.3:5000/0?master=desk&sentinel_password=s3ntinel",
			want{mode: Sentinel, addrs: []string{"s1:26379", "s2:26379", "10.0.0.3:5000"}, master: "desk",
				user: "app", pass: "s3cret", sentinelPass: "s3ntinel"}},
		{"sentinel without a path, with a go-redis option", "redis-sentinel://s1?master=m&dial_timeout=2s",
			want{mode: Sentinel, addrs: []string{"s1:26379"}, master: "m", dialTimeout: 2 * time.Second}},
		{"sentinel over TLS", "rediss-sentinel://s1:26379,s2:26379?master=m",
			want{mode: Sentinel, addrs: []string{"s1:26379", "s2:26379"}, master: "m", tls: true}},
		{"cluster", "redis-cluster://n1:7000,n2:7001,n3:7002",
			want{mode: Cluster, addrs: []string{"n1:7000", "n2:7001", "n3:7002"}}},
		{"cluster with a password and a default port", "redis-cluster://:s3cret@n1:7000,n2/",
			want{mode: Cluster, addrs: []string{"n1:7000", "n2:6379"}, pass: "s3cret"}},
		{"cluster over TLS, unverified", "rediss-cluster://n1:7000,n2:7001?skip_verify=true",
			want{mode: Cluster, addrs: []string{"n1:7000", "n2:7001"}, tls: true, skipVerify: true}},
		{"cluster on IPv6", "redis-cluster://[::1]:7000,[::1]",
			want{mode: Cluster, addrs: []string{"[::1]:7000", "[::1]:6379"}}},
		{"scheme in capitals", "REDIS-CLUSTER://n1:7000",
			want{mode: Cluster, addrs: []string{"n1:7000"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, err := ParseURL(tt.url)
			if err != nil {
				t.Fatalf("ParseURL(%s): %v", tt.url, err)
			}
			var got want
			got.mode, got.addrs, got.master = target.Mode, target.Addrs, target.Master
			switch {
			case target.single != nil:
				o := target.single
				got.db, got.user, got.pass, got.tls, got.dialTimeout = o.DB, o.Username, o.Password, o.TLSConfig != nil, o.DialTimeout
			case target.failover != nil:
				o := target.failover
				got.db, got.user, got.pass, got.sentinelPass, got.tls, got.dialTimeout = o.DB, o.Username, o.Password, o.SentinelPassword, o.TLSConfig != nil, o.DialTimeout
				if o.MasterName != target.Master {
					t.Errorf("MasterName %q, Master %q", o.MasterName, target.Master)
				}
				if got.tls && o.TLSConfig.ServerName != "" {
					t.Errorf("TLS ServerName %q: each host must be checked by its own name", o.TLSConfig.ServerName)
				}
			case target.cluster != nil:
				o := target.cluster
				got.user, got.pass, got.tls, got.dialTimeout = o.Username, o.Password, o.TLSConfig != nil, o.DialTimeout
				if got.tls {
					got.skipVerify = o.TLSConfig.InsecureSkipVerify
					if o.TLSConfig.ServerName != "" {
						t.Errorf("TLS ServerName %q: each node must be checked by its own name", o.TLSConfig.ServerName)
					}
				}
			}
			wantEqual(t, tt.url, got, tt.want)
			if s := target.String(); strings.Contains(s, "s3cret") || strings.Contains(s, "s3ntinel") {
				t.Errorf("String() = %q shows a password", s)
			}
			for _, a := range tt.want.addrs {
				if !strings.Contains(target.String(), a) {
					t.Errorf("String() = %q does not name host %s", target.String(), a)
				}
			}
			c := target.NewClient()
			defer c.Close()
			_, isCluster := c.(*redis.ClusterClient)
			if isCluster != (tt.want.mode == Cluster) {
				t.Errorf("client is %T for mode %s", c, tt.want.mode)
			}
		})
	}
}

// TestParseURLErrors: each URL that cannot work gets an error saying what is wrong and what
// to write, and never the password.
func TestParseURLErrors(t *testing.T) {
	tests := []struct {
		name, url string
		want      []string
	}{
		{"no scheme", "localhost:6379", []string{"no scheme", "redis://localhost:6379"}},
		{"no scheme, with a password", "app:s3cret@localhost:6379", []string{"no scheme", "redis://user:password@localhost:6379"}},
		{"another scheme", "http://app:s3cret@cache:6379", []string{`"http"`, "redis://", "redis-sentinel://", "redis-cluster://"}},
		{"redis, bad database", "redis://app:s3cret@cache:6379/one", []string{"redis://[user:password@]host:port/db"}},
		{"redis, bad port", "redis://app:s3cret@cache:63x9", []string{"redis://[user:password@]host:port/db"}},
		{"sentinel without master", "redis-sentinel://app:s3cret@s1:26379,s2:26379/0", []string{"no master", "?master=NAME"}},
		{"sentinel, bad database", "redis-sentinel://app:s3cret@s1:26379/zero?master=m", []string{`database "zero"`, "/0"}},
		{"sentinel, empty host", "redis-sentinel://app:s3cret@s1:26379,,s2?master=m", []string{"empty entry", "host1:port,host2:port"}},
		{"sentinel, bad port", "redis-sentinel://app:s3cret@s1:sentinel?master=m", []string{`"s1:sentinel"`, "port"}},
		{"sentinel, port out of range", "redis-sentinel://s1:99999?master=m", []string{`"s1:99999"`, "1 to 65535"}},
		{"sentinel, no host", "redis-sentinel://app:s3cret@/0?master=m", []string{"no host"}},
		{"sentinel, no host name", "redis-sentinel://:26379?master=m", []string{`":26379"`, "no name"}},
		{"sentinel, password as a parameter", "redis-sentinel://s1?master=m&password=s3cret", []string{"parameter password", "before the @"}},
		{"sentinel, unknown parameter", "redis-sentinel://s1?master=m&colour=blue", []string{"colour", "redis-sentinel://[user:password@]host1:port,host2:port/db?master=NAME"}},
		{"cluster, a database", "redis-cluster://app:s3cret@n1:7000/3", []string{`database "3"`, "only database 0"}},
		{"cluster, bad option", "redis-cluster://app:s3cret@n1:7000?dial_timeout=soon", []string{"dial_timeout", "redis-cluster://[user:password@]host1:port,host2:port"}},
		{"cluster, addr parameter", "redis-cluster://n1:7000?addr=n2:7001", []string{"parameter addr", "host1:port,host2:port"}},
		{"cluster, bad escape in the password", "redis-cluster://app:s3cr%zzet@n1:7000", []string{"user and password that cannot be read", "percent-encode"}},
		{"cluster, IPv6 without brackets", "redis-cluster://::1:7000", []string{`"::1:7000"`, "[::1]:6379"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseURL(tt.url)
			if err == nil {
				t.Fatalf("ParseURL(%s) succeeded, want an error", tt.url)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cr") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

func TestHashTag(t *testing.T) {
	tests := []struct {
		prefix string
		has    bool
		tagged string
	}{
		{"td:", false, "{td}:"},
		{"td", false, "{td}"},
		{"test:1:2:", false, "{test:1:2}:"},
		{"{td}:", true, ""},
		{"app:{td}:", true, ""},
		{"{}td:", false, "{{}td}:"},
		{"{td:", false, "{{td}:"},
		{"td}{:", false, "{td}{}:"},
	}
	for _, tt := range tests {
		if got := hasHashTag(tt.prefix); got != tt.has {
			t.Errorf("hasHashTag(%q) = %t, want %t", tt.prefix, got, tt.has)
		}
		if tt.has {
			continue
		}
		got := withHashTag(tt.prefix)
		if got != tt.tagged {
			t.Errorf("withHashTag(%q) = %q, want %q", tt.prefix, got, tt.tagged)
		}
		if !hasHashTag(got) {
			t.Errorf("withHashTag(%q) = %q has no hash tag", tt.prefix, got)
		}
	}
	// The keys under a tagged prefix share one slot whatever follows it, but for a queue
	// shard's own keys, which share the shard's.
	k := keys{prefix: withHashTag("td:")}
	if !slices.Equal(slotTags(k.ticket(1), k.seen("slack", "Ev}{1"), k.outbox(3), k.legacyQueue(3), k.customer("mattermost", "u{x}").key, k.customer("mattermost", "u{x}").legacy), []string{"td"}) {
		t.Errorf("keys under %q do not share the tag td", k.prefix)
	}
	if got := slotTags(k.queue(3), k.lease(3), k.dedupe(3, "slack", "Ev}{1")); !slices.Equal(got, []string{"td/q3"}) {
		t.Errorf("shard 3's keys under %q have the tags %q, want td/q3", k.prefix, got)
	}
	if got := slotTags("rate:"+k.pace("slack", "C1"), k.paceHold("slack", "C1")); !slices.Equal(got, []string{"td/c:slack:C1"}) {
		t.Errorf("channel C1's pace keys under %q have the tags %q, want td/c:slack:C1", k.prefix, got)
	}
	if !k.shardsApart() || k.queue(3) != "{td/q3}:q:3" {
		t.Errorf("shard 3's stream under %q is %s", k.prefix, k.queue(3))
	}
	// Without a tag a shard's keys are the installation's, named as before.
	plain := keys{prefix: "td:"}
	if plain.pace("slack", "C1") != "td:pace:slack:C1" || plain.paceHold("slack", "C1") != "td:hold:slack:C1" {
		t.Errorf("channel C1's pace keys under td: are %s, %s", plain.pace("slack", "C1"), plain.paceHold("slack", "C1"))
	}
	if plain.shardsApart() || plain.queue(3) != "td:q:3" || plain.queue(3) != plain.legacyQueue(3) || plain.dedupe(3, "slack", "E1") != plain.seen("slack", "E1") {
		t.Errorf("shard 3's keys under td: are %s, %s", plain.queue(3), plain.dedupe(3, "slack", "E1"))
	}
}

// slotTags returns the distinct Cluster hash tags of keys (the part Redis hashes).
func slotTags(keys ...string) []string {
	var tags []string
	for _, k := range keys {
		if tag := slotTag(k); !slices.Contains(tags, tag) {
			tags = append(tags, tag)
		}
	}
	return tags
}

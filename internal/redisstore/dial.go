package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Mode is how Threadesk reaches Redis: one server, a master found through Sentinel, or a
// Cluster.
type Mode string

// The modes of a REDIS_URL, named by its scheme.
const (
	Single   Mode = "single"   // redis://, rediss://, unix://
	Sentinel Mode = "sentinel" // redis-sentinel://, rediss-sentinel://
	Cluster  Mode = "cluster"  // redis-cluster://, rediss-cluster://
)

// URLForms is how a REDIS_URL is written, for messages that say what would be right.
const URLForms = "redis://[user:password@]host:port/db (rediss:// for TLS), " +
	"redis-sentinel://[user:password@]host1:port,host2:port/db?master=NAME or " +
	"redis-cluster://[user:password@]host1:port,host2:port"

// Target is a parsed REDIS_URL: what to connect to and how. Its String never contains the
// password.
type Target struct {
	Mode Mode
	// Addrs are the hosts the URL names: the server, the sentinels or the cluster nodes that
	// the client asks first for the others.
	Addrs []string
	// Master is the name of the Sentinel master set (Sentinel only).
	Master string

	single   *redis.Options
	failover *redis.FailoverOptions
	cluster  *redis.ClusterOptions
}

// String names the target for logs and errors: its mode and hosts, never a password.
func (t *Target) String() string {
	hosts := strings.Join(t.Addrs, ",")
	switch t.Mode {
	case Sentinel:
		return fmt.Sprintf("sentinel master %q via %s", t.Master, hosts)
	case Cluster:
		return "cluster " + hosts
	}
	return hosts
}

// SetPoolSize raises the client's connection pool (per server, on a Cluster per node) to at
// least n.
func (t *Target) SetPoolSize(n int) {
	switch {
	case t.single != nil && t.single.PoolSize < n:
		t.single.PoolSize = n
	case t.failover != nil && t.failover.PoolSize < n:
		t.failover.PoolSize = n
	case t.cluster != nil && t.cluster.PoolSize < n:
		t.cluster.PoolSize = n
	}
}

// asCluster is the Cluster target of a one-server URL that names a node of a Redis Cluster:
// that node is the seed the client asks for the others, with the URL's user, password, TLS and
// timeouts.
func (t *Target) asCluster() (*Target, error) {
	o := t.single
	if o == nil {
		return nil, errors.New("names no single server")
	}
	if o.DB != 0 {
		return nil, fmt.Errorf("names database %d of a Redis Cluster node, but a Cluster has only database 0: write /0 or no path", o.DB)
	}
	c := &redis.ClusterOptions{
		Addrs: []string{o.Addr}, Username: o.Username, Password: o.Password, TLSConfig: o.TLSConfig,
		ClientName: o.ClientName, Protocol: o.Protocol, MaxRetries: o.MaxRetries,
		MinRetryBackoff: o.MinRetryBackoff, MaxRetryBackoff: o.MaxRetryBackoff,
		DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
		PoolFIFO: o.PoolFIFO, PoolSize: o.PoolSize, PoolTimeout: o.PoolTimeout,
		MinIdleConns: o.MinIdleConns, MaxIdleConns: o.MaxIdleConns, MaxActiveConns: o.MaxActiveConns,
		ConnMaxIdleTime: o.ConnMaxIdleTime, ConnMaxLifetime: o.ConnMaxLifetime,
	}
	if c.TLSConfig != nil {
		c.TLSConfig = c.TLSConfig.Clone()
		c.TLSConfig.ServerName = "" // each node's connection checks that node's name
	}
	return &Target{Mode: Cluster, Addrs: c.Addrs, cluster: c}, nil
}

// clusterStateReload is how often a Cluster client asks for the slots' masters again. A
// redirection makes it ask at once; a master that died answers none, so without this the
// client would keep dialing it after the Cluster promoted its replica.
const clusterStateReload = 2 * time.Second

// clusterNode reports whether the server rdb talks to is a node of a Redis Cluster (INFO
// cluster says cluster_enabled:1). A server that does not answer INFO is taken for none.
func clusterNode(ctx context.Context, rdb redis.UniversalClient) bool {
	info, err := rdb.Info(ctx, "cluster").Result()
	return err == nil && strings.Contains(info, "cluster_enabled:1")
}

// sentinelNotServer says, when the server rdb talks to is a Redis Sentinel rather than a data
// server (INFO server says redis_mode:sentinel), what to write instead, with the names of the
// masters it monitors; "" otherwise.
func sentinelNotServer(ctx context.Context, rdb redis.UniversalClient, t *Target) string {
	info, err := rdb.Info(ctx, "server").Result()
	if err != nil || !strings.Contains(info, "redis_mode:sentinel") {
		return ""
	}
	var names []string
	if masters, err := rdb.Do(ctx, "SENTINEL", "MASTERS").Slice(); err == nil {
		for _, m := range masters {
			if fields, ok := m.([]any); ok {
				for i := 0; i+1 < len(fields); i += 2 {
					if fields[i] == "name" {
						names = append(names, fmt.Sprint(fields[i+1]))
					}
				}
			} else if fields, ok := m.(map[any]any); ok {
				names = append(names, fmt.Sprint(fields["name"]))
			}
		}
	}
	monitors, master := "no master", "NAME"
	if len(names) > 0 {
		monitors = strings.Join(names, ", ")
	}
	if len(names) == 1 {
		master = names[0]
	}
	return fmt.Sprintf("names a Redis Sentinel, not a server (it monitors %s): write redis-sentinel://%s/0?master=%s",
		monitors, strings.Join(t.Addrs, ","), master)
}

// NewClient returns a go-redis client of the target: a Client on one server, a failover
// Client that follows Sentinel's master, or a ClusterClient. It does not connect yet.
//
// Its commands honour their context's deadline (ContextTimeoutEnabled): a caller that must
// answer in time, as ingest must before the platform gives up, is not held for the client's
// read timeout and its retries when Redis hangs.
func (t *Target) NewClient() redis.UniversalClient {
	switch t.Mode {
	case Sentinel:
		o := *t.failover
		o.ContextTimeoutEnabled = true
		return redis.NewFailoverClient(&o)
	case Cluster:
		o := *t.cluster
		o.ContextTimeoutEnabled = true
		if o.ClusterStateReloadInterval == 0 {
			// How long the client may keep sending to a master the Cluster has replaced
			// (go-redis's default is a minute).
			o.ClusterStateReloadInterval = clusterStateReload
		}
		return redis.NewClusterClient(&o)
	}
	o := *t.single
	o.ContextTimeoutEnabled = true
	return redis.NewClient(&o)
}

// ParseURL reads a REDIS_URL in any of its forms (URLForms). Its errors say what is wrong and
// what to write instead, never repeating the URL's password; each completes a sentence whose
// subject is the URL ("REDIS_URL " + err.Error()).
//
// Sentinel URLs carry the master's user and password (as Threadesk's commands need them);
// the sentinels' own, when they have one, go in the sentinel_password (and sentinel_username)
// parameter. Other query parameters are go-redis's (dial_timeout, pool_size, skip_verify…).
func ParseURL(raw string) (*Target, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		// "localhost:6379" or "redis:6379": a host and port without the scheme. Anything
		// else is not repeated: it may be a password pasted in the wrong place.
		hp := withoutUserinfo(raw)
		if _, port, err := net.SplitHostPort(hp[strings.LastIndex(hp, "@")+1:]); err == nil && port != "" && strings.Trim(port, "0123456789") == "" {
			return nil, fmt.Errorf("has no scheme: write redis://%s (or rediss:// for TLS)", hp)
		}
		return nil, errors.New("has no scheme: write redis://host:port/db (or rediss:// for TLS)")
	}
	switch strings.ToLower(scheme) {
	case "redis", "rediss", "unix":
		o, err := redis.ParseURL(raw)
		if err != nil {
			return nil, fmt.Errorf("cannot be read (%v): write it like redis://[user:password@]host:port/db", urlReason(err))
		}
		return &Target{Mode: Single, Addrs: []string{o.Addr}, single: o}, nil
	case "redis-sentinel", "rediss-sentinel":
		return parseSentinel(scheme, rest)
	case "redis-cluster", "rediss-cluster":
		return parseCluster(scheme, rest)
	}
	return nil, fmt.Errorf("has scheme %q, which Threadesk does not read: write %s", scheme, URLForms)
}

// multiHost is a URL with several hosts, taken apart: go-redis's own parsers take one host
// and the others as addr parameters.
type multiHost struct {
	user  *url.Userinfo
	hosts []string
	path  string
	query url.Values
	tls   bool
}

// splitMultiHost reads scheme://[user:password@]host1:port,host2:port[/path][?query], giving
// hosts without a port defaultPort.
func splitMultiHost(scheme, rest, defaultPort string) (multiHost, error) {
	var m multiHost
	m.tls = strings.HasPrefix(strings.ToLower(scheme), "rediss")
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		u, err := url.Parse("x://" + authority[:i] + "@h")
		if err != nil {
			return m, errors.New("has a user and password that cannot be read: percent-encode characters such as @ : / ? # % in them")
		}
		m.user = u.User
		authority = authority[i+1:]
	}
	if strings.TrimSpace(authority) == "" {
		return m, fmt.Errorf("names no host: write %s://host1:port,host2:port", scheme)
	}
	for h := range strings.SplitSeq(authority, ",") {
		addr, err := hostPort(h, defaultPort)
		if err != nil {
			return m, err
		}
		m.hosts = append(m.hosts, addr)
	}
	u, err := url.Parse("x://h" + tail)
	if err != nil {
		return m, fmt.Errorf("has a path or query that cannot be read (%v)", urlReason(err))
	}
	m.path, m.query = u.Path, u.Query()
	return m, nil
}

// hostPort checks one host[:port] of a host list and adds the default port when it has none.
func hostPort(h, defaultPort string) (string, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return "", errors.New("has an empty entry in its host list: write host1:port,host2:port")
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		// No port at all (a bare name, or an IPv6 address in brackets without one).
		host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), defaultPort
		if strings.ContainsAny(host, "[]") || (strings.Contains(host, ":") && !strings.HasPrefix(h, "[")) {
			return "", fmt.Errorf("names host %q, which is not host:port (write an IPv6 address in brackets, [::1]:6379)", h)
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("names host %q, which has no valid port: write host:port with a port from 1 to 65535", h)
	}
	if host == "" {
		return "", fmt.Errorf("names host %q, which has no name: write host:port", h)
	}
	return net.JoinHostPort(host, port), nil
}

// goRedisURL writes m as the URL go-redis's parsers read: the first host in the authority,
// the others as addr parameters, without user and password (set on the options afterwards).
func (m multiHost) goRedisURL(path string) string {
	q := url.Values{}
	for k, vs := range m.query {
		q[k] = vs
	}
	for _, h := range m.hosts[1:] {
		q.Add("addr", h)
	}
	scheme := "redis"
	if m.tls {
		scheme = "rediss"
	}
	u := url.URL{Scheme: scheme, Host: m.hosts[0], Path: path, RawQuery: q.Encode()}
	return u.String()
}

func parseSentinel(scheme, rest string) (*Target, error) {
	m, err := splitMultiHost(scheme, rest, "26379")
	if err != nil {
		return nil, err
	}
	master := m.query.Get("master")
	if master == "" {
		return nil, errors.New("names no master: add ?master=NAME, the name the sentinels monitor it by (sentinel monitor NAME …)")
	}
	sentinelUser, sentinelPass := m.query.Get("sentinel_username"), m.query.Get("sentinel_password")
	for _, k := range []string{"addr", "master_name", "username", "password", "sentinel_addr"} {
		if m.query.Has(k) {
			return nil, fmt.Errorf("has parameter %s, which is not read here: write the sentinels as host1:port,host2:port, the master's user and password before the @, the master's name as master=NAME", k)
		}
	}
	for _, k := range []string{"master", "sentinel_username", "sentinel_password"} {
		m.query.Del(k)
	}
	db := strings.Trim(m.path, "/")
	if db != "" {
		if n, err := strconv.Atoi(db); err != nil || n < 0 {
			return nil, fmt.Errorf("names database %q, which is not a number: write /0, /1…", db)
		}
	}
	m.query.Set("master_name", master)
	o, err := redis.ParseFailoverURL(m.goRedisURL("/" + db))
	if err != nil {
		return nil, fmt.Errorf("cannot be read (%v): write it like redis-sentinel://[user:password@]host1:port,host2:port/db?master=NAME", urlReason(err))
	}
	if m.user != nil {
		o.Username = m.user.Username()
		o.Password, _ = m.user.Password()
	}
	o.SentinelUsername, o.SentinelPassword = sentinelUser, sentinelPass
	if o.TLSConfig != nil {
		// Each connection checks its own host's certificate (the sentinels and whichever
		// server is master), not the first sentinel's name.
		o.TLSConfig.ServerName = ""
	}
	return &Target{Mode: Sentinel, Addrs: o.SentinelAddrs, Master: master, failover: o}, nil
}

func parseCluster(scheme, rest string) (*Target, error) {
	m, err := splitMultiHost(scheme, rest, "6379")
	if err != nil {
		return nil, err
	}
	if db := strings.Trim(m.path, "/"); db != "" && db != "0" {
		return nil, fmt.Errorf("names database %q, but a Cluster has only database 0: write no path", db)
	}
	for _, k := range []string{"addr", "username", "password", "db"} {
		if m.query.Has(k) {
			return nil, fmt.Errorf("has parameter %s, which is not read here: write the nodes as host1:port,host2:port and the user and password before the @", k)
		}
	}
	// go-redis reads skip_verify for one server and Sentinel, not for a Cluster.
	skipVerify := false
	if v := m.query.Get("skip_verify"); m.query.Has("skip_verify") {
		if skipVerify, err = strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("has skip_verify=%q, which is not true or false", v)
		}
		m.query.Del("skip_verify")
	}
	o, err := redis.ParseClusterURL(m.goRedisURL(""))
	if err != nil {
		return nil, fmt.Errorf("cannot be read (%v): write it like redis-cluster://[user:password@]host1:port,host2:port", urlReason(err))
	}
	if m.user != nil {
		o.Username = m.user.Username()
		o.Password, _ = m.user.Password()
	}
	if o.TLSConfig != nil {
		o.TLSConfig.ServerName = "" // each node's connection checks that node's name
		o.TLSConfig.InsecureSkipVerify = skipVerify
	}
	return &Target{Mode: Cluster, Addrs: o.Addrs, cluster: o}, nil
}

// urlReason is err without the URL that url.Error repeats, password included.
func urlReason(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// withoutUserinfo replaces the user and password of a URL without a scheme by placeholders.
func withoutUserinfo(raw string) string {
	if i := strings.LastIndex(raw, "@"); i >= 0 {
		return "user:password@" + raw[i+1:]
	}
	return raw
}

// ownConn returns a connection of rdb's own (nil on a client that has none to give, a
// Cluster's), so that WAIT, which is about the writes of the connection it is sent on, counts
// the replicas that have what was sent on it. The caller closes it.
func ownConn(rdb redis.UniversalClient) *redis.Conn {
	if c, ok := rdb.(interface{ Conn() *redis.Conn }); ok {
		return c.Conn()
	}
	return nil
}

// replicated waits up to timeout until n replicas have the writes sent on conn (WAIT) and
// returns how many had them, with an error when fewer did.
func replicated(ctx context.Context, conn *redis.Conn, n int, timeout time.Duration) (int64, error) {
	got, err := conn.Wait(ctx, n, timeout).Result()
	if err == nil && got < int64(n) {
		err = fmt.Errorf("WAIT timed out after %v", timeout)
	}
	return got, err
}

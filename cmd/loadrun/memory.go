package main

import (
	"context"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// memory is what Redis holds for the relay, measured key by key with MEMORY USAGE.
type memory struct {
	tickets      int     // open tickets sampled
	perTicket    float64 // ticket hash + customer pointer + thread index, bytes per ticket
	hash, cust   float64 // the parts of perTicket
	thread       float64
	transcript   float64 // tx:<n> list bytes per entry
	entries      int     // transcript entries sampled
	link         float64 // link:… bytes per message
	seen         float64 // seen:… dedupe marker bytes per event (expires after 72 h)
	linkN, seenN int
	// handled is the bytes of an event's handled mark when it is a key apart from the dedupe
	// marker (a hash-tagged prefix: the marker is in the queue shard's slot), 0 otherwise.
	handled       float64
	handledN      int
	usedMemory    int64 // INFO used_memory at the time of the measurement
	transcriptFmt string
}

// measureMemory samples up to n open tickets under prefix and sums MEMORY USAGE (SAMPLES 0,
// exact) of each ticket's own keys; transcripts, links and dedupe markers are per-message
// costs and reported apart.
func measureMemory(ctx context.Context, addr, prefix string, n int) (memory, error) {
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	usage := func(key string) (int64, error) {
		v, err := rdb.MemoryUsage(ctx, key, 0).Result()
		if err != nil {
			return 0, fmt.Errorf("MEMORY USAGE %s: %w", key, err)
		}
		return v, nil
	}
	var m memory
	tickets, err := scanKeys(ctx, rdb, prefix+"t:*", n)
	if err != nil {
		return m, err
	}
	var hash, cust, thread, hist, entries int64
	for _, key := range tickets {
		f, err := rdb.HGetAll(ctx, key).Result()
		if err != nil {
			return m, fmt.Errorf("read %s: %w", key, err)
		}
		if f["st"] == "closed" {
			continue
		}
		h, err := usage(key)
		if err != nil {
			return m, err
		}
		c, err := pointerShare(ctx, rdb, prefix, "cu", f["pf"], f["cu"])
		if err != nil {
			return m, err
		}
		th, err := pointerShare(ctx, rdb, prefix, "th", f["pf"], f["th"])
		if err != nil {
			return m, err
		}
		hk := prefix + "tx:" + f["id"]
		hb, err := usage(hk)
		if err != nil {
			return m, err
		}
		elems, err := rdb.LRange(ctx, hk, 0, -1).Result()
		if err != nil {
			return m, fmt.Errorf("LRANGE %s: %w", hk, err)
		}
		var e int64
		for _, v := range elems {
			if !strings.HasPrefix(v, "\x02") { // not a link record (internal/redisstore/transcript.go)
				e++
			}
		}
		hash, cust, thread, hist, entries = hash+h, cust+c, thread+th, hist+hb, entries+e
		m.tickets++
	}
	if m.tickets == 0 {
		return m, fmt.Errorf("no open ticket under %st:*", prefix)
	}
	t := float64(m.tickets)
	m.hash, m.cust, m.thread = float64(hash)/t, float64(cust)/t, float64(thread)/t
	m.perTicket = m.hash + m.cust + m.thread
	m.entries = int(entries)
	if entries > 0 {
		m.transcript = float64(hist) / float64(entries)
	}
	m.transcriptFmt = fmt.Sprintf("%.1f entries per ticket", float64(entries)/t)

	avg := func(pattern string) (float64, int, error) {
		keys, err := scanKeys(ctx, rdb, pattern, n)
		if err != nil || len(keys) == 0 {
			return 0, 0, err
		}
		var sum int64
		for _, k := range keys {
			v, err := usage(k)
			if err != nil {
				return 0, 0, err
			}
			sum += v
		}
		return float64(sum) / float64(len(keys)), len(keys), nil
	}
	if m.link, m.linkN, err = avg(prefix + "link:*"); err != nil {
		return m, err
	}
	if m.seen, m.seenN, err = avg(prefix + "seen:*"); err != nil {
		return m, err
	}
	if end := strings.IndexByte(prefix, '}'); end > 0 && strings.Contains(prefix[:end], "{") {
		// On a Cluster the dedupe markers are the shards' ({td/q3}:seen:…) and the prefix's
		// own seen:… keys are the handled marks.
		shard, shardN, err := avg(prefix[:end] + "/q*" + prefix[end:] + "seen:*")
		if err != nil {
			return m, err
		}
		if shardN > 0 {
			m.handled, m.handledN = m.seen, m.seenN
			m.seen, m.seenN = shard, shardN
		}
	}
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return m, fmt.Errorf("INFO memory: %w", err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			fmt.Sscan(v, &m.usedMemory)
		}
	}
	return m, nil
}

// scanKeys returns up to n keys matching pattern.
func scanKeys(ctx context.Context, rdb *redis.Client, pattern string, n int) ([]string, error) {
	var out []string
	iter := rdb.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) && len(out) < n {
		out = append(out, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("SCAN %s: %w", pattern, err)
	}
	return out, nil
}

// commandStats reads INFO commandstats: calls per command since the last CONFIG RESETSTAT.
func commandStats(ctx context.Context, rdb *redis.Client) (map[string]int64, error) {
	info, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, fmt.Errorf("INFO commandstats: %w", err)
	}
	out := map[string]int64{}
	for _, line := range strings.Split(info, "\r\n") {
		name, rest, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":calls=")
		if !ok || !strings.HasPrefix(line, "cmdstat_") {
			continue
		}
		calls, _, _ := strings.Cut(rest, ",")
		var n int64
		if _, err := fmt.Sscan(calls, &n); err == nil && name != "info" && name != "config|resetstat" {
			out[name] = n
		}
	}
	return out, nil
}

// pointerShare is the MEMORY USAGE of a ticket pointer's bucket hash (keys.go in
// internal/redisstore: the bucket is the CRC-32 of the field modulo 1024) over the pointers
// it holds: one pointer's share.
func pointerShare(ctx context.Context, rdb *redis.Client, prefix, kind, platform, field string) (int64, error) {
	key := prefix + kind + ":" + platform + ":" + strconv.Itoa(int(crc32.ChecksumIEEE([]byte(field))%1024))
	v, err := rdb.MemoryUsage(ctx, key, 0).Result()
	if err != nil {
		return 0, fmt.Errorf("MEMORY USAGE %s: %w", key, err)
	}
	n, err := rdb.HLen(ctx, key).Result()
	if err != nil || n == 0 {
		return 0, fmt.Errorf("HLEN %s: %d, %v", key, n, err)
	}
	return v / n, nil
}

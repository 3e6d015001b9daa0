package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/redisstore"
)

func TestZZBreakdown(t *testing.T) {
	if os.Getenv("BREAKDOWN") == "" {
		t.Skip()
	}
	ctx := context.Background()
	dir := t.TempDir()
	rs, addr, err := startRedis(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.stop(5 * time.Second)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	store, err := redisstore.Open(ctx, "redis://"+addr, redisstore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	time.Sleep(200 * time.Millisecond)
	o := scaleOptions{tickets: 5000, messages: 1, closed: 0, writers: 4, short: true}
	before, _ := usedMemory(ctx, rdb)
	nkBefore, _ := rdb.DBSize(ctx).Result()
	h := newHistory(o)
	if err := h.load(ctx, store, 4, io.Discard); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	after, _ := usedMemory(ctx, rdb)
	nk, _ := rdb.DBSize(ctx).Result()
	type agg struct{ n, bytes int64 }
	m := map[string]*agg{}
	iter := rdb.Scan(ctx, 0, "*", 10000).Iterator()
	var sum int64
	for iter.Next(ctx) {
		k := iter.Val()
		v, _ := rdb.MemoryUsage(ctx, k, 0).Result()
		cls := k
		parts := strings.Split(k, ":")
		if len(parts) > 2 {
			cls = strings.Join(parts[:2], ":")
			if parts[1] == "ix" || parts[1] == "st" || parts[1] == "fact" {
				cls = strings.Join(parts[:3], ":")
			}
		}
		if strings.HasPrefix(k, "td:w:") {
			n, _ := rdb.SCard(ctx, k).Result()
			if n == 1 {
				cls = "td:w: (1 member)"
			}
		}
		if m[cls] == nil {
			m[cls] = &agg{}
		}
		m[cls].n++
		m[cls].bytes += v
		sum += v
	}
	var names []string
	for k := range m {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return m[names[i]].bytes > m[names[j]].bytes })
	for _, k := range names {
		enc, _ := rdb.ObjectEncoding(ctx, strings.TrimSuffix(k, " (1 member)")).Result()
		fmt.Printf("%-30s keys %6d  bytes %9d  per ticket %7.1f %s\n", k, m[k].n, m[k].bytes, float64(m[k].bytes)/5000, enc)
	}
	fmt.Printf("used_memory grew %d: %.1f per ticket; keys %d->%d; MEMORY USAGE sum %d (%.1f per ticket); rest %.1f per ticket\n",
		after-before, float64(after-before)/5000, nkBefore, nk, sum, float64(sum)/5000, float64(after-before-sum)/5000)
	info, _ := rdb.Info(ctx, "memory").Result()
	for _, l := range strings.Split(info, "\r\n") {
		if strings.HasPrefix(l, "used_memory_overhead") || strings.HasPrefix(l, "used_memory_dataset") {
			fmt.Println(l)
		}
	}
	st, _ := rdb.Do(ctx, "MEMORY", "STATS").Result()
	fmt.Printf("%v\n", st)
}

func TestZZDump(t *testing.T) {
	if os.Getenv("BREAKDOWN") == "" {
		t.Skip()
	}
	ctx := context.Background()
	dir := t.TempDir()
	rs, addr, err := startRedis(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.stop(5 * time.Second)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	store, err := redisstore.Open(ctx, "redis://"+addr, redisstore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	o := scaleOptions{tickets: 50, messages: 1, closed: 0, writers: 1, short: true}
	h := newHistory(o)
	if err := h.load(ctx, store, 1, io.Discard); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	keys, _ := rdb.Keys(ctx, "*").Result()
	sort.Strings(keys)
	for _, k := range keys {
		if strings.Contains(k, ":40") || strings.HasSuffix(k, ":40") || strings.Contains(k, "400000040") || strings.Contains(k, "500000040") {
			typ, _ := rdb.Type(ctx, k).Result()
			v, _ := rdb.MemoryUsage(ctx, k, 0).Result()
			fmt.Printf("%s (%s, %d)\n", k, typ, v)
			switch typ {
			case "hash":
				m, _ := rdb.HGetAll(ctx, k).Result()
				for f, val := range m {
					fmt.Printf("   %s = %q\n", f, val)
				}
			case "string":
				s, _ := rdb.Get(ctx, k).Result()
				fmt.Printf("   %q\n", s)
			case "set":
				s, _ := rdb.SMembers(ctx, k).Result()
				fmt.Printf("   %q\n", s)
			case "list":
				s, _ := rdb.LRange(ctx, k, 0, -1).Result()
				fmt.Printf("   %q\n", s)
			}
		}
	}
	for _, k := range keys {
		if strings.HasPrefix(k, "td:w:") || strings.HasPrefix(k, "td:fact") {
			fmt.Print(k, " ")
		}
	}
	f, _ := rdb.ZRange(ctx, "td:fact:created", 0, 2).Result()
	fmt.Printf("\n%q\n", f)
}

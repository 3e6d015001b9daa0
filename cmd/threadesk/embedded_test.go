package main

import (
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// TestEmbeddedRedisKeysExpire: the embedded Redis's keys lapse as time passes (a sign-in
// link, a lease), which miniredis does only when told how much time went by.
func TestEmbeddedRedisKeysExpire(t *testing.T) {
	mr := miniredis.RunT(t)
	if err := mr.Set("k", "v"); err != nil {
		t.Fatal(err)
	}
	mr.SetTTL("k", 300*time.Millisecond)
	stop := keepTime(mr)
	defer stop()
	time.Sleep(100 * time.Millisecond)
	if !mr.Exists("k") {
		t.Fatal("the key lapsed before its 300ms")
	}
	deadline := time.Now().Add(3 * time.Second)
	for mr.Exists("k") {
		if time.Now().After(deadline) {
			t.Fatal("a key with a TTL of 300ms still exists after 3s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

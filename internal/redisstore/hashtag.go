package redisstore

import "strings"

// hasHashTag reports whether every key under prefix hashes by the same Cluster hash tag: the
// prefix holds a '{' and, after it, a '}' with something in between. Redis Cluster then
// hashes only that part of each key, so all of them are in one slot.
func hasHashTag(prefix string) bool {
	open := strings.IndexByte(prefix, '{')
	if open < 0 {
		return false
	}
	end := strings.IndexByte(prefix[open+1:], '}')
	return end > 0
}

// withHashTag makes prefix a hash tag: "td:" becomes "{td}:", "td" becomes "{td}". Setting
// REDIS_PREFIX to the result names the same keys.
func withHashTag(prefix string) string {
	if base, ok := strings.CutSuffix(prefix, ":"); ok && base != "" {
		return "{" + base + "}:"
	}
	return "{" + prefix + "}"
}

// slotTag is the part of key Redis Cluster hashes to find its slot: what is between the first
// '{' and the first '}' after it, when that is not empty; otherwise the whole key.
func slotTag(key string) string {
	if open := strings.IndexByte(key, '{'); open >= 0 {
		if end := strings.IndexByte(key[open+1:], '}'); end > 0 {
			return key[open+1 : open+1+end]
		}
	}
	return key
}

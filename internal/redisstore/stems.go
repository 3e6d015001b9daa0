package redisstore

import "sync"

// stems remembers the stems of the words seen lately: people write the same few thousand
// words over and over, and Snowball's stemming of each was 3 % of a busy relay's CPU (every
// message's words are indexed). The cache is bounded: past maxStems words it starts afresh.
var stems = stemCache{m: map[string]string{}}

// maxStems bounds the words stems remembers (a few hundred kilobytes).
const maxStems = 8192

type stemCache struct {
	mu sync.RWMutex
	m  map[string]string
}

// stem is stemWord(w), remembered.
func (c *stemCache) stem(w string) string {
	c.mu.RLock()
	s, ok := c.m[w]
	c.mu.RUnlock()
	if ok {
		return s
	}
	s = stemWord(w)
	c.mu.Lock()
	if len(c.m) >= maxStems {
		c.m = make(map[string]string, maxStems)
	}
	c.m[w] = s
	c.mu.Unlock()
	return s
}

package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Secret returns the named installation secret, creating 32 random bytes the first time; SET NX
// makes every process that races to create it end up with the same one.
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	key := s.keys.secret(name)
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("make secret %s: %w", name, err)
	}
	if err := s.rdb.SetNX(ctx, key, fresh, 0).Err(); err != nil {
		return nil, fmt.Errorf("store secret %s: %w", name, err)
	}
	b, err := s.rdb.Get(ctx, key).Bytes()
	if err != nil {
		return nil, fmt.Errorf("read secret %s: %w", name, err)
	}
	return b, nil
}

// cursorScript sets a cursor to ARGV[1] unless it is already further.
var cursorScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
`)

// Cursor returns a named high-water mark, 0 if never saved.
func (s *Store) Cursor(ctx context.Context, name string) (int64, error) {
	v, err := s.rdb.Get(ctx, s.keys.cursor(name)).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read cursor %s: %w", name, err)
	}
	return v, nil
}

// SaveCursor moves a named high-water mark forward to v; a smaller v changes nothing.
func (s *Store) SaveCursor(ctx context.Context, name string, v int64) error {
	if err := cursorScript.Run(ctx, s.rdb, []string{s.keys.cursor(name)}, v).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("save cursor %s: %w", name, err)
	}
	return nil
}

package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// indexNames are the beginnings, after the prefix, of the keys that are the index slot's on
// Cluster (keys.ixp).
var indexNames = []string{"st:", "ix:", "w:", "nb:", "fact:", "changes", "closed", "closedver", "nbver"}

// moveBatch is how many keys one step of moveLegacyIndexes copies.
const moveBatch = 200

// moveLegacyIndexes moves, on Cluster, the index keys that stores before 2026-12-07 kept in
// the installation's slot into the index slot, once: a store that finds the old index version
// key (<p>ixver) copies every index key to its new name (DUMP, RESTORE) a batch at a time,
// deletes the old ones, and the version key last, so that a start cut off half way does it
// again. A key that exists under its new name already keeps it (a replica of this version
// wrote it): the old copy is dropped.
func (s *Store) moveLegacyIndexes(ctx context.Context) error {
	if !s.keys.indexApart() {
		return nil
	}
	oldVersion := s.keys.prefix + "ixver"
	if n, err := s.rdb.Exists(ctx, oldVersion).Result(); err != nil || n == 0 {
		if err != nil {
			return fmt.Errorf("look for indexes in the installation's slot: %w", err)
		}
		return nil
	}
	cc, ok := s.rdb.(*redis.ClusterClient)
	if !ok {
		return nil
	}
	node, err := cc.MasterForKey(ctx, oldVersion)
	if err != nil {
		return fmt.Errorf("find the master of the installation's slot: %w", err)
	}
	moved := 0
	var cursor uint64
	for {
		var batch []string
		batch, cursor, err = node.Scan(ctx, cursor, globEscape(s.keys.prefix)+"*", moveBatch).Result()
		if err != nil {
			return fmt.Errorf("list the old index keys: %w", err)
		}
		var olds []string
		for _, k := range batch {
			rest := strings.TrimPrefix(k, s.keys.prefix)
			for _, name := range indexNames {
				if strings.HasPrefix(rest, name) {
					olds = append(olds, k)
					break
				}
			}
		}
		if err := s.moveKeys(ctx, node, olds); err != nil {
			return err
		}
		moved += len(olds)
		if cursor == 0 {
			break
		}
	}
	if err := s.moveKeys(ctx, node, []string{oldVersion}); err != nil {
		return err
	}
	s.log.Info("Redis Cluster: moved the indexes into a slot of their own", "keys", moved, "to", s.keys.ixp())
	return nil
}

// moveKeys copies keys of the installation's slot (on node) to their names in the index slot
// and deletes them.
func (s *Store) moveKeys(ctx context.Context, node *redis.Client, olds []string) error {
	if len(olds) == 0 {
		return nil
	}
	dumps := make([]*redis.StringCmd, len(olds))
	if _, err := node.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range olds {
			dumps[i] = p.Dump(ctx, k)
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("read the old index keys: %w", err)
	}
	restores := make([]*redis.StatusCmd, len(olds))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range olds {
			if d := dumps[i].Val(); d != "" {
				restores[i] = p.Restore(ctx, s.keys.ixp()+strings.TrimPrefix(k, s.keys.prefix), 0, d)
			}
		}
		return nil
	}); err != nil {
		for _, r := range restores {
			if r != nil && r.Err() != nil && !redis.HasErrorPrefix(r.Err(), "BUSYKEY") {
				return fmt.Errorf("copy the old index keys: %w", r.Err())
			}
		}
	}
	if err := node.Unlink(ctx, olds...).Err(); err != nil {
		return fmt.Errorf("delete the old index keys: %w", err)
	}
	return nil
}

package redisstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster stores before 2026-12-07 kept the index slot's keys (keys.ixp) in the installation's
// slot, under the prefix. A Cluster store that finds no <ixp>ixmoved moves what cannot be
// rebuilt, once, in the background (startOnce: one process at a time, under <ixp>ixmovejob):
// the statistics facts and the closed index are merged into their new keys (ZADD, a chunk at
// a time: facts recorded since the upgrade stay), and every old index key is deleted. The
// status, filter, sort and word sets are not moved: the index slot has no version yet
// (<ixp>ixver), so the backfill rebuilds them from the tickets (index.go), as for any store
// whose indexes are older than its tickets. The old change feed is dropped: the dashboards
// follow the new one. Until the move is done the statistics lack the older facts, as the
// queue lacks the older tickets until the backfill is done. The walk of the installation's
// master (SCAN) grows with its keys: about 28 s among six million.

// movedVersion is the value of <ixp>ixmoved once the old index keys are moved.
const movedVersion = "1"

// legacyIndexNames are the beginnings, after the prefix, of the keys that were the indexes'
// in the installation's slot; mergedNames those of them whose content is merged, not rebuilt.
var (
	legacyIndexNames = []string{"st:", "ix:", "w:", "nb:", "fact:", "changes", "closed", "nbver", "ixver", "ixjob", "nbjob", "tmp:"}
	mergedNames      = []string{"fact:", "closed"}
)

// moveBatch is how many keys one SCAN step looks at, and how many members one merge step
// copies.
const moveBatch = 1000

// startMoveLegacyIndexes moves the index keys of an older Cluster store (see above); nothing
// off Cluster.
func (s *Store) startMoveLegacyIndexes(ctx context.Context) error {
	if !s.keys.indexApart() {
		return nil
	}
	_, err := s.startOnce(ctx, "the move of the indexes into their slot", s.keys.ixp()+"ixmoved", movedVersion, s.keys.ixp()+"ixmovejob", s.moveLegacyIndexes)
	return err
}

// moveLegacyIndexes walks the installation's master for old index keys, merges those that
// cannot be rebuilt and deletes them all.
func (s *Store) moveLegacyIndexes(ctx context.Context) error {
	cc, ok := s.rdb.(*redis.ClusterClient)
	if !ok {
		return nil
	}
	start := time.Now()
	node, err := cc.MasterForKey(ctx, s.keys.prefix)
	if err != nil {
		return fmt.Errorf("find the master of the installation's slot: %w", err)
	}
	moved := 0
	var cursor uint64
	for {
		var batch []string
		batch, cursor, err = node.Scan(ctx, cursor, globEscape(s.keys.prefix)+"*", moveBatch).Result()
		if err != nil {
			s.log.Warn("list the old index keys; the next start tries again", "err", err)
			return err
		}
		for _, k := range batch {
			rest := strings.TrimPrefix(k, s.keys.prefix)
			if !hasAnyPrefix(rest, legacyIndexNames) {
				continue
			}
			if hasAnyPrefix(rest, mergedNames) {
				if err := s.mergeLegacy(ctx, node, k, s.keys.ixp()+rest); err != nil {
					s.log.Warn("move an old index key; the next start tries again", "key", k, "err", err)
					return err
				}
			}
			if err := node.Unlink(ctx, k).Err(); err != nil {
				return fmt.Errorf("delete the old index key %s: %w", k, err)
			}
			moved++
		}
		if cursor == 0 {
			break
		}
	}
	// The slot moved to another master meanwhile: what the walk missed is there.
	if now, err := cc.MasterForKey(ctx, s.keys.prefix); err != nil || now.Options().Addr != node.Options().Addr {
		s.log.Warn("the installation's slot moved while its old index keys were moved; the next start looks again")
		return fmt.Errorf("the installation's slot moved during the walk")
	}
	if moved > 0 {
		s.log.Info("Redis Cluster: moved the indexes of an older version into their slot", "keys", moved, "to", s.keys.ixp(), "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// mergeLegacy adds the members of the old sorted set (or string) key on node to the key to,
// keeping what to holds already.
func (s *Store) mergeLegacy(ctx context.Context, node *redis.Client, key, to string) error {
	kind, err := node.Type(ctx, key).Result()
	if err != nil {
		return err
	}
	switch kind {
	case "string": // closedver
		v, err := node.Get(ctx, key).Result()
		if err != nil {
			return err
		}
		return s.rdb.SetNX(ctx, to, v, 0).Err()
	case "zset":
		for from := int64(0); ; from += moveBatch {
			zs, err := node.ZRangeWithScores(ctx, key, from, from+moveBatch-1).Result()
			if err != nil || len(zs) == 0 {
				return err
			}
			if err := s.rdb.ZAddNX(ctx, to, zs...).Err(); err != nil {
				return err
			}
		}
	}
	return nil // nothing of another type was written under these names
}

// hasAnyPrefix reports whether s begins with one of prefixes.
func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

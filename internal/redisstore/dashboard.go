package redisstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// changesKept is about how many ticket changes the changes stream keeps (MAXLEN ~): enough
// for a dashboard that lost its connection for a while to catch up on what it missed.
const changesKept = 100000

// hashed is what the keys of secrets (sign-in tokens, session IDs) are made of: their SHA-256,
// so that whoever reads the database (a dump, a replica, a debugging session) cannot use them.
func hashed(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// storedSession is a session as kept: the session, and the revocation generation of its
// person when it started.
type storedSession struct {
	desk.Session
	Gen int64 `json:"g"`
}

// Signin returns whom a sign-in token is for, leaving it usable.
func (s *Store) Signin(ctx context.Context, token string) (desk.Person, error) {
	b, err := s.rdb.Get(ctx, s.keys.signin(hashed(token))).Bytes()
	if errors.Is(err, redis.Nil) {
		return desk.Person{}, notFound("sign-in token")
	}
	if err != nil {
		return desk.Person{}, fmt.Errorf("read sign-in token: %w", err)
	}
	var p desk.Person
	if err := json.Unmarshal(b, &p); err != nil {
		return desk.Person{}, fmt.Errorf("decode sign-in token: %w", err)
	}
	return p, nil
}

// StartSession uses a sign-in token up (GETDEL: of two browsers redeeming it at once, one
// gets it) and starts a session for its person.
func (s *Store) StartSession(ctx context.Context, token string, ttl time.Duration) (string, desk.Session, error) {
	b, err := s.rdb.GetDel(ctx, s.keys.signin(hashed(token))).Bytes()
	if errors.Is(err, redis.Nil) {
		return "", desk.Session{}, notFound("sign-in token")
	}
	if err != nil {
		return "", desk.Session{}, fmt.Errorf("use sign-in token: %w", err)
	}
	var ss storedSession
	if err := json.Unmarshal(b, &ss.Person); err != nil {
		return "", desk.Session{}, fmt.Errorf("decode sign-in token: %w", err)
	}
	if ss.Gen, err = s.generation(ctx, ss.Platform, ss.UserID); err != nil {
		return "", desk.Session{}, err
	}
	ss.Started = time.Now()
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", desk.Session{}, fmt.Errorf("make session ID: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(raw)
	v, err := json.Marshal(ss)
	if err != nil {
		return "", desk.Session{}, fmt.Errorf("encode session: %w", err)
	}
	if err := s.rdb.Set(ctx, s.keys.session(hashed(id)), v, ttl).Err(); err != nil {
		return "", desk.Session{}, fmt.Errorf("start session: %w", err)
	}
	return id, ss.Session, nil
}

// Session returns a session unless it ended, expired, or its person's sessions were revoked
// after it started.
func (s *Store) Session(ctx context.Context, id string) (desk.Session, error) {
	b, err := s.rdb.Get(ctx, s.keys.session(hashed(id))).Bytes()
	if errors.Is(err, redis.Nil) {
		return desk.Session{}, notFound("session")
	}
	if err != nil {
		return desk.Session{}, fmt.Errorf("read session: %w", err)
	}
	var ss storedSession
	if err := json.Unmarshal(b, &ss); err != nil {
		return desk.Session{}, fmt.Errorf("decode session: %w", err)
	}
	gen, err := s.generation(ctx, ss.Platform, ss.UserID)
	if err != nil {
		return desk.Session{}, err
	}
	if gen != ss.Gen {
		return desk.Session{}, notFound("session (revoked)")
	}
	return ss.Session, nil
}

// EndSession ends a session (signing out); ending one that does not exist is no error.
func (s *Store) EndSession(ctx context.Context, id string) error {
	if err := s.rdb.Del(ctx, s.keys.session(hashed(id))).Err(); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// generation is a person's session generation: a revoke moves it on, and a session counts only
// while it is the one the session started with.
func (s *Store) generation(ctx context.Context, platform, userID string) (int64, error) {
	n, err := s.rdb.Get(ctx, s.keys.sessionGen(platform, userID)).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read session generation: %w", err)
	}
	return n, nil
}

// TicketChanges reads the changes stream after seq, waiting up to block when there are none.
func (s *Store) TicketChanges(ctx context.Context, after string, count int, block time.Duration) ([]desk.TicketChange, error) {
	if after == "" {
		after = "$"
	}
	if block <= 0 {
		block = -1 // XREAD without BLOCK
	}
	res, err := s.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{s.keys.changes(), after}, Count: int64(count), Block: block}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ticket changes: %w", err)
	}
	var out []desk.TicketChange
	for _, st := range res {
		for _, m := range st.Messages {
			v, _ := m.Values["t"].(string)
			n, _ := strconv.ParseInt(v, 10, 64)
			out = append(out, desk.TicketChange{Seq: m.ID, Ticket: desk.TicketID(n)})
		}
	}
	return out, nil
}

// LastTicketChange returns the newest change's seq ("0-0" when there has been none).
func (s *Store) LastTicketChange(ctx context.Context) (string, error) {
	res, err := s.rdb.XRevRangeN(ctx, s.keys.changes(), "+", "-", 1).Result()
	if err != nil {
		return "", fmt.Errorf("read the last ticket change: %w", err)
	}
	if len(res) == 0 {
		return "0-0", nil
	}
	return res[0].ID, nil
}

// changed returns the command that records a change of ticket id in the changes stream.
func (s *Store) changed(id desk.TicketID) []any {
	return []any{"XADD", s.keys.changes(), "MAXLEN", "~", changesKept, "*", "t", strconv.FormatInt(int64(id), 10)}
}

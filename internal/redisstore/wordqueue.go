package redisstore

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// The words of history entries (what customers and agents write) are most of a busy desk's
// index writes: a short message has nine. They are not written by the transaction that appends
// the entry. Apply hands them to the store's word queue once that transaction is in, and the
// batcher sends the queue at the front of its next batch, merged: one SADD per word with every
// ticket that has it, whatever the number of messages. On a quiet desk, a lone message's words
// go 50 ms later in a batch of their own (the batcher is nudged), so another process's search
// made a moment later finds them; a search made by this process (QueryTickets) sends the queue
// before it reads. Whatever is sent after Apply returned
// (an erasure that takes a ticket out of the word sets, a reindex) runs after the words, so
// words never come back after being removed.
//
// Crash safety: the entry's transaction adds the ticket's number to <p>ix:wpend (one SADD
// instead of one per word), and the batch that writes the words takes it out. A store that
// starts on a server where that set is not empty indexes those tickets' histories again, in
// the background (recoverWords): the words of a process that stopped between the two are
// written then, and only searches made meanwhile miss them.

// wordsPending names <p>ix:wpend, after the prefix's "ix:".
const wordsPending = "wpend"

// wordQueue holds the words waiting for the next batch.
type wordQueue struct {
	mu      sync.Mutex
	words   map[string][]string // word → numbers of the tickets that have it
	tickets []string            // numbers of the tickets whose words are queued
}

// add queues the words of ticket id.
func (q *wordQueue) add(id desk.TicketID, words []string) {
	member := strconv.FormatInt(int64(id), 10)
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.words == nil {
		q.words = map[string][]string{}
	}
	for _, w := range words {
		if !slices.Contains(q.words[w], member) {
			q.words[w] = append(q.words[w], member)
		}
	}
	if !slices.Contains(q.tickets, member) {
		q.tickets = append(q.tickets, member)
	}
}

// put merges words and tickets into the queue (words taken by a batch that failed). q.mu is
// held.
func (q *wordQueue) put(words map[string][]string, tickets []string) {
	if q.words == nil {
		q.words = map[string][]string{}
	}
	for w, ids := range words {
		for _, id := range ids {
			if !slices.Contains(q.words[w], id) {
				q.words[w] = append(q.words[w], id)
			}
		}
	}
	for _, id := range tickets {
		if !slices.Contains(q.tickets, id) {
			q.tickets = append(q.tickets, id)
		}
	}
}

// take empties the queue and returns what it held.
func (q *wordQueue) take() (map[string][]string, []string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	words, tickets := q.words, q.tickets
	q.words, q.tickets = nil, nil
	return words, tickets
}

// empty reports whether nothing is queued.
func (q *wordQueue) empty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.tickets) == 0
}

// queueWords is the batcher's hook: it adds the queued words' commands to the batch about to
// be sent (before its operations) and returns how many it added, and what to do with the
// outcome: words of a batch that failed are queued again for the next one.
func (s *Store) queueWords(p redis.Pipeliner) (int, func(ok bool)) {
	words, tickets := s.words.take()
	if len(tickets) == 0 {
		return 0, nil
	}
	ctx := context.Background()
	names := make([]string, 0, len(words))
	for w := range words {
		names = append(names, w)
	}
	sort.Strings(names) // the same order for every batch: easier to read in MONITOR
	sets := make([]string, 0, len(names))
	ids := make([][]string, 0, len(names))
	for _, w := range names {
		sets = append(sets, s.keys.word(w))
		ids = append(ids, words[w])
	}
	n := s.addNumbers(ctx, p, sets, ids)
	args := make([]any, 0, 2+len(tickets))
	args = append(args, "SREM", s.keys.index(wordsPending))
	for _, id := range tickets {
		args = append(args, id)
	}
	p.Do(ctx, args...)
	return n + 1, func(ok bool) {
		if ok {
			return
		}
		s.words.mu.Lock()
		defer s.words.mu.Unlock()
		s.words.put(words, tickets)
	}
}

// flushWords sends the words queued by this process, if any, and returns once they are
// written (or ctx ends).
func (s *Store) flushWords(ctx context.Context) error {
	if s.words.empty() {
		return nil
	}
	if err := s.batch.do(ctx, s.keys.index(wordsPending), func(redis.Pipeliner) {}); err != nil {
		return fmt.Errorf("write the search words waiting: %w", err)
	}
	return nil
}

// wordsRecoveryBatch is how many tickets recoverWords indexes per step.
const wordsRecoveryBatch = 100

// recoverWords indexes again the history words of the tickets in <p>ix:wpend (see above),
// a batch of tickets per step, and takes them out of it.
func (s *Store) recoverWords(ctx context.Context) (int, error) {
	done := 0
	for {
		ids, err := s.rdb.SRandMemberN(ctx, s.keys.index(wordsPending), wordsRecoveryBatch).Result()
		if err != nil {
			return done, fmt.Errorf("read the tickets whose words may be missing: %w", err)
		}
		if len(ids) == 0 {
			return done, nil
		}
		if err := s.drainTranscripts(ctx); err != nil {
			return done, err // the tickets stay listed: their words are written at the next try
		}
		hist := make([]historyRead, len(ids))
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range ids {
				n, _ := strconv.ParseInt(id, 10, 64)
				hist[i] = s.readHistory(ctx, p, desk.TicketID(n))
			}
			return nil
		})
		if err != nil {
			return done, fmt.Errorf("read the histories of tickets whose words may be missing: %w", err)
		}
		var cmds [][]any
		for i, id := range ids {
			n, _ := strconv.ParseInt(id, 10, 64)
			cmds = append(cmds, s.wordCommands(desk.TicketID(n), historyWords(nil, s.entries(hist[i])))...)
			cmds = append(cmds, []any{"SREM", s.keys.index(wordsPending), id})
		}
		if err := s.applyScripted(ctx, cmds); err != nil {
			return done, fmt.Errorf("index the words of %d tickets again: %w", len(ids), err)
		}
		done += len(ids)
	}
}

// startWordRecovery runs recoverWords in the background when <p>ix:wpend is not empty as the
// store starts: a process stopped between an entry's transaction and its words.
func (s *Store) startWordRecovery(ctx context.Context) error {
	n, err := s.rdb.SCard(ctx, s.keys.index(wordsPending)).Result()
	if err != nil {
		return fmt.Errorf("look for search words a stopped process left unwritten: %w", err)
	}
	if n == 0 {
		return nil
	}
	s.goTask(func(ctx context.Context) {
		start := time.Now()
		done, err := s.recoverWords(ctx)
		if err != nil {
			s.log.Warn("index again the words a stopped process left unwritten; the next start tries again", "tickets", done, "err", err)
			return
		}
		s.log.Info("indexed again the words a stopped process left unwritten", "tickets", done, "took", time.Since(start).Round(time.Millisecond))
	})
	return nil
}

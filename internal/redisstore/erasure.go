package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// Erasure (/desk export, /desk forget): a customer's tickets are found from their customer
// pointer (keys.customer), which names the latest, and each ticket's Previous, which
// names the closed one before it. Forgetting takes what RETENTION takes (erase) and the
// customer's identity too, in one atomic step.

// factKinds are every kind of statistics fact, for an export to look through.
var factKinds = []desk.FactKind{
	desk.FactCreated, desk.FactFirstResponse, desk.FactResolved, desk.FactRating,
	desk.FactSuggested, desk.FactDeflected, desk.FactIntakeDone, desk.FactIntakeTimeout,
	desk.FactArticleSent, desk.FactCannedSent,
}

// customerTickets returns the customer's tickets, newest first: the one the pointer names and
// the chain of Previous tickets that are the same customer's.
func (s *Store) customerTickets(ctx context.Context, platform, userID string) ([]desk.Ticket, error) {
	t, err := s.CustomerTicket(ctx, platform, userID)
	if err != nil {
		return nil, err
	}
	out := []desk.Ticket{t}
	for t.Previous > 0 && len(out) < 100000 {
		prev, err := s.Ticket(ctx, t.Previous)
		if errors.Is(err, desk.ErrNotFound) {
			break
		}
		if err != nil {
			return nil, err
		}
		if prev.Platform != platform || prev.Customer.ID != userID || slices.ContainsFunc(out, func(o desk.Ticket) bool { return o.ID == prev.ID }) {
			break // another's ticket (or one forgotten already): the chain ends here
		}
		out = append(out, prev)
		t = prev
	}
	return out, nil
}

// ticketLinks returns the links recorded for a ticket's mirrored messages on a platform.
func (s *Store) ticketLinks(ctx context.Context, platform string, id desk.TicketID) ([]desk.Link, error) {
	names, err := s.linkNames(ctx, id)
	if err != nil {
		return nil, err
	}
	var srcs []desk.MessageRef
	var reads [][]*redis.StringCmd // each link's keys' values, in namedKeys' order
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, name := range names {
			pf, src, ok := linkOfName(name)
			if !ok || pf != platform {
				continue // a join record, or another platform's link: not this ticket's
			}
			srcs = append(srcs, src)
			reads = append(reads, getNamed(ctx, p, s.keys.namedKeys(name)))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read the links of ticket %s: %w", id, err)
	}
	var out []desk.Link
	for i, vals := range reads {
		b, err := firstValue(vals)
		if errors.Is(err, redis.Nil) {
			continue // gone since: deleted with its message
		}
		if err != nil {
			return nil, fmt.Errorf("read the links of ticket %s: %w", id, err)
		}
		l, err := decodeLink(srcs[i], b)
		if err != nil {
			return nil, fmt.Errorf("decode a link of ticket %s: %w", id, err)
		}
		out = append(out, l)
	}
	return out, nil
}

// linkJoins returns the joins the links name, each once, in the links' order; one gone since
// (erased with its last message) is left out.
func (s *Store) linkJoins(ctx context.Context, platform string, links []desk.Link) ([]desk.Join, error) {
	var out []desk.Join
	seen := map[string]bool{}
	for _, l := range links {
		if l.Join == "" || seen[l.Join] {
			continue
		}
		seen[l.Join] = true
		j, err := s.Join(ctx, platform, l.Join)
		switch {
		case errors.Is(err, desk.ErrNotFound):
			continue
		case err != nil:
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// CustomerData returns everything stored about a customer (desk.Store).
func (s *Store) CustomerData(ctx context.Context, platform, userID string) (desk.CustomerData, error) {
	c := desk.CustomerData{Platform: platform, UserID: userID}
	if err := s.drainTranscripts(ctx); err != nil {
		return c, fmt.Errorf("read the tickets of customer %s/%s: %w", platform, userID, err)
	}
	tickets, err := s.customerTickets(ctx, platform, userID)
	if err != nil {
		return c, fmt.Errorf("read the tickets of customer %s/%s: %w", platform, userID, err)
	}
	oldest := time.Now()
	ids := map[desk.TicketID]int{}
	for i, t := range tickets {
		td := desk.TicketData{Ticket: t}
		if td.Transcript, err = s.Transcript(ctx, t.ID); err != nil {
			return c, err
		}
		if td.Links, err = s.ticketLinks(ctx, platform, t.ID); err != nil {
			return c, err
		}
		if td.Joins, err = s.linkJoins(ctx, platform, td.Links); err != nil {
			return c, err
		}
		if td.Held, err = s.Held(ctx, t.ID); err != nil {
			return c, err
		}
		if !t.CreatedAt.IsZero() && t.CreatedAt.Before(oldest) {
			oldest = t.CreatedAt
		}
		ids[t.ID] = i
		c.Tickets = append(c.Tickets, td)
	}
	// Facts are kept by time: those since the oldest ticket opened are read and sorted out.
	for _, kind := range factKinds {
		facts, err := s.Facts(ctx, kind, oldest.Add(-time.Minute), farFuture)
		if err != nil {
			return c, err
		}
		for _, f := range facts {
			if i, ok := ids[f.Ticket]; ok {
				c.Tickets[i].Facts = append(c.Tickets[i].Facts, f)
			}
		}
	}
	return c, nil
}

// farFuture is a time after every fact.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// Forget erases a customer's data (desk.Store).
func (s *Store) Forget(ctx context.Context, platform, userID string, lead desk.User, at time.Time) (desk.ForgetReport, error) {
	var rep desk.ForgetReport
	what := fmt.Sprintf("forget customer %s/%s", platform, userID)
	if err := s.drainTranscripts(ctx); err != nil {
		return rep, fmt.Errorf("%s: %w", what, err)
	}
	tickets, err := s.customerTickets(ctx, platform, userID)
	if err != nil {
		return rep, fmt.Errorf("%s: %w", what, err)
	}
	for _, t := range tickets {
		if t.Status != desk.StatusClosed {
			return rep, desk.Errorf(desk.ECONFLICT, "%s: ticket %s is %s", what, t.ID, t.Status)
		}
	}
	entry := desk.Entry{At: at, Kind: desk.EntryForgotten, Author: lead.ID, Name: lead.Label()}
	var cmds [][]any
	for _, t := range tickets {
		kept := t
		kept.Subject, kept.RatingComment, kept.Answers, kept.Question = "", "", nil, 0
		kept.Customer, kept.DMChannel, kept.OpenedBy = desk.User{}, "", ""
		kept.RatingMessage, kept.BotMessage = desk.MessageRef{}, desk.MessageRef{}
		more, entries, links, err := s.erase(ctx, t, kept, entry)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", what, err)
		}
		cmds = append(cmds, more...)
		rep.Tickets = append(rep.Tickets, t.ID)
		rep.Entries += entries
		rep.Links += links
	}
	// The customer's pointer goes if it points at a ticket forgotten here (or at none): a
	// ticket the customer opened since the list was read keeps it, and the conversation its
	// thread. These commands go first: on Cluster the ticket a pointer names is a key not
	// declared, which a slot migration could refuse, and nothing is written before that.
	cust := s.keys.customer(platform, userID)
	hdel, del := []any{"TD.HUNPOINT", cust.key, cust.field, s.keys.ticketBase()}, []any{"TD.UNPOINT", cust.legacy, s.keys.ticketBase()}
	for _, id := range rep.Tickets {
		n := strconv.FormatInt(int64(id), 10)
		hdel, del = append(hdel, n), append(del, n)
	}
	cmds = append([][]any{hdel, del}, cmds...)
	if err := s.applyScripted(ctx, cmds); err != nil {
		return desk.ForgetReport{}, fmt.Errorf("%s: %w", what, err)
	}
	return rep, nil
}

// erase returns the commands that forget what was written on ticket t, which is then saved as
// kept: its words leave the search index, its links, held messages and history go, the
// history gets entry alone, and the ticket leaves the closed index (nothing is left for
// RETENTION to forget). It counts the history entries and links it removes.
func (s *Store) erase(ctx context.Context, t, kept desk.Ticket, entry desk.Entry) (cmds [][]any, entries, links int, err error) {
	id := t.ID
	history, err := s.Transcript(ctx, id)
	if err != nil {
		return nil, 0, 0, err
	}
	linkNames, err := s.linkNames(ctx, id)
	if err != nil {
		return nil, 0, 0, err
	}
	// The words the ticket is found by: its own fields' and its history's.
	_, _, words := s.keys.ticketIndex(t)
	words = historyWords(words, history)
	for _, w := range words {
		cmds = append(cmds, s.numberRemove(s.keys.word(w), int64(id)))
	}
	save, err := s.prepare(desk.SaveTicket{Ticket: kept})
	if err != nil {
		return nil, 0, 0, err
	}
	cmds = append(cmds, save...) // puts back the words the kept ticket is still found by
	links = 0
	for _, name := range linkNames {
		for _, key := range s.keys.namedKeys(name) {
			cmds = append(cmds, []any{"DEL", key})
		}
		if isLinkName(name) {
			links++ // not a join record, which the records name too
		}
	}
	cmds = append(cmds,
		[]any{"DEL", s.keys.ticketLinks(id)},
		[]any{"DEL", s.keys.held(id)},
		[]any{"DEL", s.keys.history(id)},
	)
	for _, key := range s.transcriptLists(id) {
		cmds = append(cmds, []any{"DEL", key}) // on Cluster the partition's through its log, after what came before
	}
	cmds = append(cmds,
		s.appendCommand(id, entry),
		[]any{"ZREM", s.keys.closed(), strconv.FormatInt(int64(id), 10)},
		s.changed(id),
	)
	return cmds, len(history), links, nil
}

// linkNames returns the names (keys without their prefix, keys.linkRecord) of the links and
// joins recorded for a ticket's mirrored messages, sorted, each once: those its transcript
// lists' link records name and those of the set older stores kept.
func (s *Store) linkNames(ctx context.Context, id desk.TicketID) ([]string, error) {
	var set *redis.StringSliceCmd
	var lists []*redis.StringSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		set = p.SMembers(ctx, s.keys.ticketLinks(id))
		for _, key := range s.transcriptLists(id) {
			lists = append(lists, p.LRange(ctx, key, 0, -1))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the links of ticket %s: %w", id, err)
	}
	var names []string
	for _, key := range set.Val() {
		if name, ok := strings.CutPrefix(key, s.keys.prefix); ok && name != "" {
			names = append(names, name)
		}
	}
	for _, l := range lists {
		for _, v := range l.Val() {
			if name, ok := strings.CutPrefix(v, string(rune(linkMark))); ok && name != "" {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

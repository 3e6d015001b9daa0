package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/threadesk/threadesk/internal/desk"
)

// The fields of a ticket hash. Only non-empty values are stored, to keep an open ticket small,
// under names of one or two letters: a hash is one listpack, and its field names were a
// quarter of an open ticket's bytes under their long names. Stores before 2026-12-07 wrote
// the long names (legacyFields); a ticket is read under either, the short name first, and
// every save rewrites it under the short ones.
const (
	fID          = "id"
	fPlatform    = "pf"
	fStatus      = "st"
	fPriority    = "pr"
	fCategory    = "ca"
	fTags        = "tg" // JSON array
	fAssignee    = "as"
	fCustID      = "cu"
	fCustName    = "cn"
	fCustDisplay = "cd"
	fCustAvatar  = "cv"
	fCustProfile = "cp"
	fCustBot     = "cb" // "1" when the customer is a bot
	fDM          = "dm"
	fTriage      = "tr"
	fThread      = "th"
	fPrevious    = "pv"
	fCreated     = "cr" // times: unix milliseconds
	fFirstResp   = "fr"
	fResolved    = "rs"
	fClosed      = "cl"
	fActivity    = "ac"
	fHeard       = "hd" // platform time of the newest customer message relayed
	fTold        = "td" // platform time of the newest agent reply relayed
	fSubject     = "su"
	fRating      = "ra"
	fRatingNote  = "rn"
	fAssignName  = "an"
	fOpenedBy    = "ob" // the ID of the event that opened the ticket
	fRatingMsg   = "rm" // "<channel> <message ID>" of the rating question
	fStage       = "sg" // the intake's stage
	fQuestion    = "qu" // the intake question asked
	fAnswers     = "aw" // JSON array of the intake's answers
	fSuggested   = "sd" // JSON array of the articles suggested
	fDeflected   = "df" // the article that solved the question
	fLanguage    = "la" // the customer's language
	fBotMsg      = "bm" // "<channel> <message ID>" of the bot's last question
	fResolvedBy  = "rb"
	fCustZone    = "tz" // the customer's time zone
	fClocks      = "sl" // JSON array of the SLA clocks
	fOutOfHours  = "oh" // "1" when the request came in out of hours
	fAwayUntil   = "au" // until when the out-of-hours reply said the team is away
)

// legacyFields are the names stores before 2026-12-07 gave the fields, by today's name. No
// legacy name is another field's short name.
var legacyFields = map[string]string{
	fPlatform: "platform", fStatus: "status", fPriority: "priority", fCategory: "category",
	fTags: "tags", fAssignee: "assignee", fCustID: "cust", fCustName: "cust_name",
	fCustDisplay: "cust_display", fCustAvatar: "cust_avatar", fCustProfile: "cust_profile",
	fCustBot: "cust_bot", fTriage: "triage", fThread: "thread", fPrevious: "prev",
	fCreated: "created", fFirstResp: "first_response", fResolved: "resolved", fClosed: "closed",
	fActivity: "activity", fHeard: "heard", fTold: "told", fSubject: "subject", fRating: "rating",
	fRatingNote: "rating_note", fAssignName: "assignee_name", fOpenedBy: "opened_by",
	fRatingMsg: "rating_msg", fStage: "stage", fQuestion: "question", fAnswers: "answers",
	fSuggested: "suggested", fDeflected: "deflected", fLanguage: "lang", fBotMsg: "bot_msg",
	fResolvedBy: "resolved_by", fCustZone: "cust_tz", fClocks: "sla", fOutOfHours: "ooh",
	fAwayUntil: "away_until",
}

// openScript returns the customer's active ticket or creates one, atomically, with its
// indexes.
//
// KEYS[1] the customer pointers' bucket, KEYS[2] ticket counter, KEYS[3] the customer's
// pointer as older stores kept it (a string, read when the bucket has none, deleted once the
// bucket has it), KEYS[4] and KEYS[5] the thread pointers' bucket and the old thread pointer
// when ARGV[2] is "1", then (off Cluster) the index sets the new ticket joins or (on
// Cluster) the index log and its sequence key, declared;
// ARGV[1] ticket key base, ARGV[3] n, ARGV[4] the customer's field in the bucket, ARGV[5] the
// thread's, ARGV[6] the base of the number sets' bucket keys (numberset.go), ARGV[7] the index
// of the new ticket's status, ARGV[8] to ARGV[11] the index log, its sequence key, the mark
// known carried out and the floor of new seqs on Cluster (projector.args; "" elsewhere: the
// index sets are written here; luaLogFlush), then for each of the n index
// sets its key and its score as base and coefficient of the number (base "" for a number
// set, and the set's key after the index prefix instead of a coefficient), then field/value
// pairs of the new ticket without id and prev. The ticket's key is the one key the script
// makes itself, from the number it reads or takes: it cannot be named in advance (see keys.go
// on Cluster). Returns {0, HGETALL of the active ticket} or {1, new number, previous number
// or "", then each log's entry and first page (luaLogFlush's reply)}.
//
// The counter only grows; should it ever be behind the tickets (a restored backup), numbers
// whose hash exists are skipped rather than overwritten.
var openScript = redis.NewScript(luaExec + `
local cur = redis.call('HGET', KEYS[1], ARGV[4]) or redis.call('GET', KEYS[3])
local prev = ''
if cur then
  local key = ARGV[1] .. cur
  if redis.call('EXISTS', key) == 1 then
    local st = redis.call('HGET', key, '` + fStatus + `') or redis.call('HGET', key, '` + legacyFields[fStatus] + `')
    if st ~= '` + string(desk.StatusClosed) + `' then
      return {0, redis.call('HGETALL', key)}
    end
    prev = cur
  end
end
local id, key
repeat
  id = redis.call('INCR', KEYS[2])
  key = ARGV[1] .. id
until redis.call('EXISTS', key) == 0
local fields = {'` + fID + `', id}
if prev ~= '' then
  fields[#fields + 1] = '` + fPrevious + `'
  fields[#fields + 1] = prev
end
local thread = ARGV[2] == '1'
local n = tonumber(ARGV[3])
local first = 12 + 3 * n
for i = first, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
redis.call('HSET', key, unpack(fields))
redis.call('HSET', KEYS[1], ARGV[4], id)
redis.call('DEL', KEYS[3])
if thread then
  redis.call('HSET', KEYS[4], ARGV[5], id)
  redis.call('DEL', KEYS[5])
end
local logged, txlogged = {}, {}
local logKeys, txKeys = {ARGV[8], ARGV[9], ARGV[10], ARGV[11]}, nil
local function ix(cmd) -- a command on the index slot's keys
  if ARGV[8] ~= '' then
    logged[#logged + 1] = cmd
  else
    exec(cmd)
  end
end
local sid = tostring(id)
ix({'ZADD', ARGV[7], sid, sid})
for i = 0, n - 1 do
  local set, base, x = ARGV[12 + 3 * i], ARGV[13 + 3 * i], ARGV[14 + 3 * i]
  if base == '' then
    ix({'TD.NADD', set, ARGV[6] .. math.floor(id / ` + strconv.Itoa(numberSpan) + `) .. ':' .. x, sid})
  else
    ix({'ZADD', set, string.format('%.0f', tonumber(base) + tonumber(x) * id), sid})
  end
end
` + luaLogFlush + `
return reply({1, id, prev})
`)

// followScript reads the ticket a pointer names, in one round trip.
//
// KEYS[1] the pointer's bucket, KEYS[2] the pointer as older stores kept it (a string key);
// ARGV[1] ticket key base, ARGV[2] the pointer's field in the bucket. Returns the HGETALL of
// the ticket, or nil when the pointer is missing.
var followScript = redis.NewScript(`
local id = redis.call('HGET', KEYS[1], ARGV[2]) or redis.call('GET', KEYS[2])
if not id then
  return false
end
return redis.call('HGETALL', ARGV[1] .. id)
`)

// OpenTicket returns the customer's ticket on t.Platform unless it is closed or missing, and
// then creates t with the next number, Previous set to the closed ticket, and points the
// customer at it. t.ID and t.Previous are ignored; an empty t.Status becomes new.
func (s *Store) OpenTicket(ctx context.Context, t desk.Ticket) (desk.Ticket, bool, error) {
	if t.Platform == "" || t.Customer.ID == "" {
		return desk.Ticket{}, false, desk.Errorf(desk.EINVALID, "a ticket needs a platform and a customer")
	}
	t.ID, t.Previous = 0, 0
	if t.Status == "" {
		t.Status = desk.StatusNew
	}
	// Nearly every message belongs to a ticket that is already open: find it with the small
	// read script first, and send the whole new ticket only when one has to be made (the
	// opening script checks again, atomically).
	if cur, err := s.CustomerTicket(ctx, t.Platform, t.Customer.ID); err == nil && cur.Status != desk.StatusClosed {
		return cur, false, nil
	} else if err != nil && !errors.Is(err, desk.ErrNotFound) {
		return desk.Ticket{}, false, fmt.Errorf("open ticket for %s/%s: %w", t.Platform, t.Customer.ID, err)
	}
	cust := s.keys.customer(t.Platform, t.Customer.ID)
	keys := []string{cust.key, s.keys.seq(), cust.legacy}
	thread, threadField := "0", ""
	if t.ThreadID != "" {
		th := s.keys.thread(t.Platform, t.ThreadID)
		keys = append(keys, th.key, th.legacy)
		thread, threadField = "1", th.field
	}
	// The new ticket's indexes: its number is the script's to take, so each sort score goes
	// as a base and the number's coefficient.
	filters, sorts, words := s.keys.ticketIndex(t)
	var sets []string
	var scores []any
	for _, f := range filters {
		sets = append(sets, s.keys.index(f))
		scores = append(scores, s.keys.index(f), "", strings.TrimPrefix(s.keys.index(f), s.keys.ixp()))
	}
	for _, o := range sorts {
		if o.remove {
			continue // a new ticket is in no sort set yet
		}
		sets = append(sets, o.key)
		scores = append(scores, o.key, strconv.FormatInt(o.base, 10), strconv.FormatInt(o.coef, 10))
	}
	for _, w := range words {
		sets = append(sets, s.keys.word(w))
		scores = append(scores, s.keys.word(w), "", strings.TrimPrefix(s.keys.word(w), s.keys.ixp()))
	}
	log := []any{"", "", "0", "0"} // the index log's key, sequence key, mark and floor
	if s.keys.indexApart() {
		log = s.proj.args()
		keys = append(keys, s.keys.indexLog(), s.keys.indexLogSeq()) // declared: see commandKeys
	} else {
		keys = append(append(keys, s.keys.status(t.Status)), sets...)
	}
	args := append(append([]any{s.keys.ticketBase(), thread, len(scores) / 3, cust.field, threadField, s.keys.bucketBase(),
		s.keys.status(t.Status)}, log...), scores...)
	fields := encodeTicket(t)
	args = append(args, fields...)
	args = append(args, indexList(fields, filters)...)
	res, err := openScript.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return desk.Ticket{}, false, fmt.Errorf("open ticket for %s/%s: %w", t.Platform, t.Customer.ID, err)
	}
	if len(res) == 2 {
		cur, err := decodeTicket(res[1])
		if err != nil {
			return desk.Ticket{}, false, fmt.Errorf("open ticket for %s/%s: read active ticket: %w", t.Platform, t.Customer.ID, err)
		}
		return cur, false, nil
	}
	if len(res) < 4 {
		return desk.Ticket{}, false, fmt.Errorf("open ticket for %s/%s: unexpected script reply of %d items", t.Platform, t.Customer.ID, len(res))
	}
	id, _ := res[1].(int64)
	prev, _ := res[2].(string)
	c, err := commitFrom(append([]any{int64(1)}, res[3:]...))
	if err != nil {
		return desk.Ticket{}, false, fmt.Errorf("open ticket for %s/%s: %w", t.Platform, t.Customer.ID, err)
	}
	s.projectNow(ctx, c)
	t.ID = desk.TicketID(id)
	if prev != "" {
		n, err := strconv.ParseInt(prev, 10, 64)
		if err != nil {
			return desk.Ticket{}, false, fmt.Errorf("open ticket for %s/%s: previous ticket %q: %w", t.Platform, t.Customer.ID, prev, err)
		}
		t.Previous = desk.TicketID(n)
	}
	return normalize(t), true, nil
}

// normalize returns t as reading it back from its hash would: times in UTC milliseconds.
func normalize(t desk.Ticket) desk.Ticket {
	pairs := encodeTicket(t)
	m := make(map[string]string, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		m[pairs[i].(string)] = pairs[i+1].(string)
	}
	n, err := ticketFromMap(m)
	if err != nil {
		return t // cannot happen: encodeTicket writes what ticketFromMap reads
	}
	return n
}

// Ticket returns a ticket by number.
func (s *Store) Ticket(ctx context.Context, id desk.TicketID) (desk.Ticket, error) {
	m, err := s.rdb.HGetAll(ctx, s.keys.ticket(id)).Result()
	if err != nil {
		return desk.Ticket{}, fmt.Errorf("read ticket %s: %w", id, err)
	}
	if len(m) == 0 {
		return desk.Ticket{}, notFound("ticket " + id.String())
	}
	t, err := ticketFromMap(m)
	if err != nil {
		return desk.Ticket{}, fmt.Errorf("read ticket %s: %w", id, err)
	}
	return t, nil
}

// CustomerTicket returns the ticket the customer's pointer names, whatever its status.
func (s *Store) CustomerTicket(ctx context.Context, platform, userID string) (desk.Ticket, error) {
	what := fmt.Sprintf("ticket of customer %s/%s", platform, userID)
	return s.follow(ctx, s.keys.customer(platform, userID), what)
}

// ThreadTicket returns the ticket whose card roots the thread.
func (s *Store) ThreadTicket(ctx context.Context, platform, threadID string) (desk.Ticket, error) {
	what := fmt.Sprintf("ticket of thread %s/%s", platform, threadID)
	return s.follow(ctx, s.keys.thread(platform, threadID), what)
}

// follow reads the ticket a pointer key names.
func (s *Store) follow(ctx context.Context, p pointer, what string) (desk.Ticket, error) {
	res, err := s.runScript(ctx, followScript, []string{p.key, p.legacy}, s.keys.ticketBase(), p.field).Result()
	if errors.Is(err, redis.Nil) {
		return desk.Ticket{}, notFound(what)
	}
	if err != nil {
		return desk.Ticket{}, fmt.Errorf("read %s: %w", what, err)
	}
	if a, ok := res.([]any); ok && len(a) == 0 {
		return desk.Ticket{}, notFound(what) // the pointer outlived its ticket
	}
	t, err := decodeTicket(res)
	if err != nil {
		return desk.Ticket{}, fmt.Errorf("read %s: %w", what, err)
	}
	return t, nil
}

// maxValue is the longest value a ticket hash field holds. Redis keeps a small hash as one
// compact listpack only while every value is at most hash-max-listpack-value (64 bytes by
// default); one longer value (an avatar URL) turns it into a hash table about three times the
// size. Longer values are therefore split into pieces: the field holds the first 64 bytes and
// fields "<field>~1", "<field>~2", … the rest.
const maxValue = 64

// pieceSep joins a field's name and a piece number.
const pieceSep = "~"

// encodeTicket returns the non-empty fields of t as field/value pairs for HSET, long values
// split into pieces of maxValue bytes.
func encodeTicket(t desk.Ticket) []any {
	var out []any
	str := func(f, v string) {
		for i := 0; v != ""; i++ {
			n := min(len(v), maxValue)
			name := f
			if i > 0 {
				name = f + pieceSep + strconv.Itoa(i)
			}
			out = append(out, name, v[:n])
			v = v[n:]
		}
	}
	num := func(f string, n int64) {
		if n != 0 {
			out = append(out, f, strconv.FormatInt(n, 10))
		}
	}
	tm := func(f string, v time.Time) {
		if !v.IsZero() {
			num(f, v.UnixMilli())
		}
	}
	num(fID, int64(t.ID))
	str(fPlatform, t.Platform)
	str(fStatus, string(t.Status))
	str(fPriority, string(t.Priority))
	str(fCategory, t.Category)
	if len(t.Tags) > 0 {
		b, _ := json.Marshal(t.Tags) // a []string always encodes
		str(fTags, string(b))
	}
	str(fAssignee, t.Assignee)
	str(fAssignName, t.AssigneeName)
	str(fCustID, t.Customer.ID)
	str(fCustName, t.Customer.Name)
	str(fCustDisplay, t.Customer.DisplayName)
	str(fCustAvatar, t.Customer.AvatarURL)
	str(fCustProfile, t.Customer.ProfileURL)
	if t.Customer.IsBot {
		str(fCustBot, "1")
	}
	str(fDM, t.DMChannel)
	str(fTriage, t.TriageChannel)
	str(fThread, t.ThreadID)
	num(fPrevious, int64(t.Previous))
	tm(fCreated, t.CreatedAt)
	tm(fFirstResp, t.FirstResponseAt)
	tm(fResolved, t.ResolvedAt)
	tm(fClosed, t.ClosedAt)
	tm(fActivity, t.LastActivityAt)
	tm(fHeard, t.HeardAt)
	tm(fTold, t.ToldAt)
	str(fSubject, t.Subject)
	num(fRating, int64(t.Rating))
	str(fRatingNote, t.RatingComment)
	str(fOpenedBy, t.OpenedBy)
	if t.RatingMessage.ID != "" {
		str(fRatingMsg, encodeRef(t.RatingMessage))
	}
	str(fStage, string(t.Stage))
	num(fQuestion, int64(t.Question))
	if len(t.Answers) > 0 {
		b, _ := json.Marshal(t.Answers) // plain strings always encode
		str(fAnswers, string(b))
	}
	if len(t.Suggested) > 0 {
		b, _ := json.Marshal(t.Suggested)
		str(fSuggested, string(b))
	}
	str(fDeflected, t.Deflected)
	str(fResolvedBy, t.ResolvedBy)
	str(fLanguage, t.Language)
	if t.BotMessage.ID != "" {
		str(fBotMsg, encodeRef(t.BotMessage))
	}
	str(fCustZone, t.Customer.TimeZone)
	if len(t.Clocks) > 0 {
		b, _ := json.Marshal(t.Clocks) // times, durations and names always encode
		str(fClocks, string(b))
	}
	if t.OutOfHours {
		str(fOutOfHours, "1")
	}
	tm(fAwayUntil, t.AwayUntil)
	return out
}

// decodeTicket reads a ticket from a script's HGETALL reply (a flat field/value list).
func decodeTicket(v any) (desk.Ticket, error) {
	a, ok := v.([]any)
	if !ok || len(a)%2 != 0 {
		return desk.Ticket{}, fmt.Errorf("ticket reply is %T of odd length", v)
	}
	m := make(map[string]string, len(a)/2)
	for i := 0; i < len(a); i += 2 {
		k, _ := a[i].(string)
		val, _ := a[i+1].(string)
		m[k] = val
	}
	return ticketFromMap(m)
}

// ticketFromMap reads a ticket from its hash. Unknown fields are ignored, so that a newer
// version may add some.
func ticketFromMap(m map[string]string) (desk.Ticket, error) {
	joinPieces(m)
	for f, old := range legacyFields {
		if _, ok := m[f]; !ok {
			if v, ok := m[old]; ok {
				m[f] = v
			}
		}
	}
	var t desk.Ticket
	var errs []error
	num := func(f string) int64 {
		v, ok := m[f]
		if !ok {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("field %s: %w", f, err))
		}
		return n
	}
	tm := func(f string) time.Time {
		if n := num(f); n != 0 {
			return time.UnixMilli(n).UTC()
		}
		return time.Time{}
	}
	t.ID = desk.TicketID(num(fID))
	t.Platform = m[fPlatform]
	t.Status = desk.Status(m[fStatus])
	t.Priority = desk.Priority(m[fPriority])
	t.Category = m[fCategory]
	if v := m[fTags]; v != "" {
		if err := json.Unmarshal([]byte(v), &t.Tags); err != nil {
			errs = append(errs, fmt.Errorf("field %s: %w", fTags, err))
		}
	}
	t.Assignee = m[fAssignee]
	t.AssigneeName = m[fAssignName]
	t.Customer = desk.User{
		ID:          m[fCustID],
		Name:        m[fCustName],
		DisplayName: m[fCustDisplay],
		AvatarURL:   m[fCustAvatar],
		ProfileURL:  m[fCustProfile],
		IsBot:       m[fCustBot] == "1",
		TimeZone:    m[fCustZone],
	}
	t.DMChannel = m[fDM]
	t.TriageChannel = m[fTriage]
	t.ThreadID = m[fThread]
	t.Previous = desk.TicketID(num(fPrevious))
	t.CreatedAt = tm(fCreated)
	t.FirstResponseAt = tm(fFirstResp)
	t.ResolvedAt = tm(fResolved)
	t.ClosedAt = tm(fClosed)
	t.LastActivityAt = tm(fActivity)
	t.HeardAt = tm(fHeard)
	t.ToldAt = tm(fTold)
	t.Subject = m[fSubject]
	t.Rating = int(num(fRating))
	t.RatingComment = m[fRatingNote]
	t.OpenedBy = m[fOpenedBy]
	t.RatingMessage = decodeRef(m[fRatingMsg])
	t.Stage = desk.Stage(m[fStage])
	t.Question = int(num(fQuestion))
	for f, v := range map[string]any{fAnswers: &t.Answers, fSuggested: &t.Suggested, fClocks: &t.Clocks} {
		if s := m[f]; s != "" {
			if err := json.Unmarshal([]byte(s), v); err != nil {
				errs = append(errs, fmt.Errorf("field %s: %w", f, err))
			}
		}
	}
	t.Deflected = m[fDeflected]
	t.ResolvedBy = m[fResolvedBy]
	t.Language = m[fLanguage]
	t.BotMessage = decodeRef(m[fBotMsg])
	t.OutOfHours = m[fOutOfHours] == "1"
	t.AwayUntil = tm(fAwayUntil)
	if err := errors.Join(errs...); err != nil {
		return desk.Ticket{}, fmt.Errorf("decode ticket: %w", err)
	}
	return t, nil
}

// encodeRef writes a message reference as "<channel> <message ID>"; neither contains a space.
func encodeRef(r desk.MessageRef) string { return r.Channel + " " + r.ID }

func decodeRef(v string) desk.MessageRef {
	channel, id, _ := strings.Cut(v, " ")
	return desk.MessageRef{Channel: channel, ID: id}
}

// joinPieces puts the values encodeTicket split back together, in place.
func joinPieces(m map[string]string) {
	for f, v := range m {
		if strings.Contains(f, pieceSep) {
			continue
		}
		var b strings.Builder
		for i := 1; ; i++ {
			p, ok := m[f+pieceSep+strconv.Itoa(i)]
			if !ok {
				break
			}
			if i == 1 {
				b.WriteString(v)
			}
			b.WriteString(p)
		}
		if b.Len() > 0 {
			m[f] = b.String()
		}
	}
}

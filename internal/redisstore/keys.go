// Package redisstore keeps Threadesk's state in Redis: it implements desk.Store on go-redis.
//
// This file is the whole key schema, and the only place that builds key strings. Every key
// starts with Options.Prefix (default "td:"), so that several installations or tests can share
// one server.
//
// On Redis Cluster the prefix is a hash tag ("{td}:"; a Store on a ClusterClient wraps a
// prefix that has none, and logs it), so Cluster hashes only the tag. Which keys share a slot,
// and why:
//
//   - A queue shard's own keys (its stream, its lease and, on Cluster, the dedupe markers of
//     the events recorded in it) are under the shard's tag, "{td/q<shard>}:" (shardPrefix),
//     so that the shards, and the ingest's and workers' traffic on them, spread over the
//     masters. So are a channel's pace and hold, under "{td/c:<platform>:<channel>}:", one key
//     at a time. enqueueScript writes an event's dedupe marker and its stream together; the
//     lease scripts touch the lease alone. (On one server or Sentinel under a tag the dedupe
//     marker stays the installation's "seen:" key, so an event is recorded once whatever
//     shard it is routed to.) Without a tag in the prefix (one server, Sentinel) these
//     keys are the installation's, named "<p>q:<shard>" and so on as always.
//
//   - On Cluster the queue's indexes are in a slot of their own, the index slot, under
//     "{td/ix}:" (<i> below; keys.ixp): the status, filter, sort and word sets and their
//     buckets, the facts, the change feed, the closed index and what versions them. The
//     queries intersect those sets in Redis, so they share one slot; apart from the tickets,
//     they and the tickets are on two masters. Off Cluster <i> is <p>, whatever the tags.
//     (Cluster stores before 2026-12-07 kept them under <p>: the facts and closed index are
//     merged into the new keys once, the sets rebuilt, the old keys deleted; movelegacy.go.)
//
//   - Every other key is in the installation's slot. Apply's changes are one MULTI/EXEC or,
//     guarded by an event, one script (applyOnceScript, which declares every key it writes):
//     a ticket, its transcript, links and pointers, the outbox and the event's handled mark
//     ("seen:…" = "h") change together, and with them, off Cluster, the indexes, facts and
//     change feed (on Cluster the transcript's changes go through the transcript log, below). On Cluster the changes to the index slot are appended, in the same script,
//     to the index log (<p>ixlog), and carried into the index slot after, each entry once
//     (project.go). Some scripts
//     reach keys they cannot be given in KEYS, because the keys depend on what the script
//     reads: openScript the new ticket's hash (its number comes from the counter) and, off
//     Cluster, its number sets' buckets, followScript the ticket a pointer names, dueScript
//     and doneScript each due timer's hash, the apply scripts the filter sets (and buckets) a
//     ticket's hash names (on Cluster they log the commands instead), queryScript the number
//     sets' buckets and the facts' day sets, splitScript the buckets of the numbers it moves.
//     Redis runs a script on keys it was not given only when they are in the slot of the
//     keys it was given.
//
//   - What crosses the slots: on Cluster the acknowledgement of a queue entry (XACK, XDEL) is
//     sent just after the changes it acknowledges, in the shard's slot; the handled mark, in
//     the changes, makes a redelivery after a crash in between a no-op that is acknowledged
//     then (Apply). A single server or Sentinel takes it in the changes' transaction, as
//     before, whatever the tags. A timer's event is recorded in its shard as Enqueue
//     records one, then the timer is removed (FireDue): a crash in between records it
//     again, which its dedupe marker drops. The index log's entries are carried into the
//     index slot after the commit that wrote them (project.go). The operations of many
//     goroutines go to Redis as one MULTI/EXEC per batch, with a batcher per slot on Cluster
//     (batch.go).
//
//   - On Cluster a ticket's transcript, most of what a ticket holds, is in the slot of the
//     ticket's partition, "{td/p<number mod 1024>}:" (<t> below; keys.part), and a mirrored
//     message's link in its message's partition (<l> below: the CRC-32 of the message's
//     channel and ID mod 1024, as a reader knows the message, not its ticket), so that they
//     spread over the masters. A commit raises the count of each transcript's writes
//     (<p>txv:…) and appends its commands on partitions' keys, as one entry, to the
//     transcript log (<p>txlog), in the same atomic step; they are then carried into the
//     partitions, each partition's in the log's order and once (<t>txdone), by the committing
//     process before Apply returns, or by any replica's look for what a crash left
//     (project.go). Readers that must see every write (an export, an erasure, retention)
//     carry the log out first, and a link or a transcript is read again after the log is
//     carried out when the log has entries the reader has not seen carried out; retention's atomic step
//     compares the count, not the list. Off Cluster <t> and <l> are <p>.
//
// The tickets' hashes, joins and pointers, and the outboxes and timers, are still in
// the installation's slot: the commit of a step reads and writes them together (spreading
// them too is designed in docs/cluster-spread.md, not built).
//
//	key pattern                               type    what                                    lifetime
//	----------------------------------------  ------  --------------------------------------  ------------------------------
//	<s>q:<shard>                              stream  queue shard: one entry per event, field  until acknowledged (XACK+XDEL)
//	                                                  "e" = the JSON-encoded desk.Event;
//	                                                  consumer group "threadesk"; <s> is the
//	                                                  shard's prefix: <p> without a hash tag,
//	                                                  "{<tag>/q<shard>}:" with one (stores
//	                                                  before 2026-12-07 kept the stream at
//	                                                  <p>q:<shard> under a tag too: its
//	                                                  entries are moved once, at start)
//	<s>seen:<platform>:<event ID>             string  on Cluster: "1", the event was enqueued   Options.DedupeTTL (72h)
//	                                                  in the shard (dedupe)
//	<p>seen:<platform>:<event ID>             string  "1": the event was enqueued (dedupe, but Options.DedupeTTL (72h)
//	                                                  on Cluster); on Cluster "w<shard>": the
//	                                                  shard that read it first handles it
//	                                                  (claimScript); "h": its changes were
//	                                                  applied (Apply's once-only guard,
//	                                                  apply.go)
//	<p>seq                                    string  ticket counter; INCR only, never reset   forever
//	<p>t:<ticket number>                      hash    the ticket, non-empty fields only, under  forever
//	                                                  one- or two-letter names (the f…
//	                                                  constants in ticket.go; hashes written
//	                                                  before 2026-12-07 have long names, still
//	                                                  read); times are unix milliseconds, tags
//	                                                  a JSON array; values over 64 bytes split
//	                                                  into fields "<field>", "<field>~1", … so
//	                                                  the hash stays a compact listpack (under
//	                                                  1 KB); field "ix" lists its filter sets
//	                                                  only when they cannot be derived from
//	                                                  its fields (index.go)
//	<p>cu:<platform>:<bucket>                 hash    customer pointers: field user ID, value  forever; a field moved only
//	                                                  the number of the customer's latest      by OpenTicket
//	                                                  ticket; bucket = CRC-32 (IEEE) of the
//	                                                  user ID mod 1024 (pointerBuckets)
//	<p>th:<platform>:<bucket>                 hash    thread pointers: field thread root ID,   forever
//	                                                  value the number of the ticket whose
//	                                                  card roots it; bucket as for cu:
//	<p>cust:<platform>:<user ID>,             string  the pointers as stores before 2026-12-07  until the pointer is written
//	<p>thread:<platform>:<thread root ID>             kept them, one key each: followed when    again (then deleted)
//	                                                  the bucket has no field
//	<l>link:<platform>:<channel>:<message ID> string  what a source message was mirrored as:   until DropLink
//	                                                  ticket, kind, parts, files and the join
//	                                                  it went in (join.go), in the versioned
//	                                                  binary encoding of link.go (version byte
//	                                                  0x01; about 35 bytes for a message and
//	                                                  its copy); JSON {"t":…,"k":…,"p":[…]} as
//	                                                  stores before 2026-12-07 wrote it is
//	                                                  still read. <l> is <p> off Cluster; on
//	                                                  Cluster the partition of the message,
//	                                                  "{td/p<CRC-32 of "<channel>:<message
//	                                                  ID>" mod 1024>}:" (keys.link), where
//	                                                  <p>link:… as older versions wrote it is
//	                                                  still read when it has none
//	<p>join:<platform>:<first event ID>       string  JSON desk.Join: what a joined post        until RETENTION, with the
//	                                                  carries (join.go)                        links (named in tx:<ticket>)
//	<t>tx:<ticket number>                     list    the ticket's transcript, oldest first:   forever (RETENTION and
//	                                                  one element per entry, in the versioned  /desk forget leave one entry)
//	                                                  binary encoding of transcript.go
//	                                                  (version byte 0x01, varints, strings
//	                                                  with their length: a message is its
//	                                                  text and about 35 bytes, its author's
//	                                                  ID and name included); and link records
//	                                                  (byte 0x02, then the key of one of the
//	                                                  ticket's links or joins, no prefix),
//	                                                  which readers of the transcript skip
//	<p>tx:<ticket number>                     list    on Cluster, the transcript as stores     until erased or expired; no
//	                                                  before 2026-12-07 kept it there (read    longer written
//	                                                  before <t>tx:<n>)
//	<p>txlog                                  list    on Cluster, the transcripts' changes     until carried out (project.go)
//	                                                  committed and not yet carried into the
//	                                                  partitions: "<seq>|<JSON commands>"
//	<p>txseq                                  string  the transcript log's last seq            forever
//	<t>txdone                                 string  the seq of the last transcript log entry forever
//	                                                  carried into the partition
//	<p>txv:<ticket number / 128>              hash    on Cluster, field the ticket number:     forever
//	                                                  how many commits wrote its transcript
//	                                                  (retention's guard, retention.go)
//	<p>h:<ticket number>                      stream  the transcript as stores before          until erased or expired; no
//	                                                  2026-12-06 wrote it (read first, before  longer written
//	                                                  tx:<n>): fields at (unix ms), kind,
//	                                                  author, name, text, files (JSON)
//	<i>st:<status>                            zset    ticket numbers in that status, scored by  while in that status
//	                                                  number (so oldest first)
//	<i>ix:pf:<platform>, ix:pri:<priority>,   set     the queue's filter sets: numbers of the   while the ticket has the value
//	ix:cat:<category>, ix:tag:<tag>,                  tickets with that value (category and     (a save derives them from the
//	ix:asg:<user ID>, ix:unassigned, ix:ooh           tag lower-cased); number sets: the first  hash's fields, or reads its
//	                                                  512 here, the rest in buckets (nb:). The  field "ix"; see index.go)
//	                                                  normal priority (and no priority) has
//	                                                  no set: its tickets are those in no
//	                                                  other priority's (older stores'
//	                                                  ix:pri:normal is deleted)
//	<i>ix:act                                 zset    every ticket, scored by its last         forever
//	                                                  activity (ms): the queue's activity order
//	<i>ix:due                                 zset    the tickets with an SLA clock running or  while the clock runs
//	                                                  breached, scored for the SLA's order
//	                                                  (index.go); the others follow them by
//	                                                  number. The order by priority has no
//	                                                  set: the ix:pri:… sets give it (query.go;
//	                                                  older stores' ix:prio is deleted)
//	<i>w:<word>                               set     numbers of the tickets whose subject,     forever (only grows)
//	                                                  names, tags or history have the word
//	                                                  (stemmed, lower case; words.go); a
//	                                                  number set, as the filter sets
//	<i>nb:<n / 512>:<set's key after <i>>     set     a number set's bucket: the numbers from   while it has a number
//	                                                  (n / 512)·512 to the next multiple of
//	                                                  512 added once the set's own key held
//	                                                  512 (numberset.go); each number is in
//	                                                  one of the key and its bucket, so both
//	                                                  stay intsets (Redis's default
//	                                                  set-max-intset-entries is 512)
//	<i>ix:wpend                               set     numbers of the tickets whose history      until the words are written
//	                                                  words wait in a process's word queue      (wordqueue.go)
//	<i>tmp:<random>:<n>                       any     a query's intermediate result (query.go)  deleted by the query; 1 minute
//	<i>ixver                                  string  the version of the indexes' layout        forever
//	<i>ixjob                                  string  the process rebuilding old tickets'       30 minutes, or until done
//	                                                  indexes (backfill, index.go)
//	<i>nbver                                  string  "1" once the number sets an older         forever
//	                                                  version wrote as one key past 512 are
//	                                                  split into buckets (numberset.go)
//	<i>nbjob                                  string  the process splitting them                30 minutes, or until done
//	<p>secret:<name>                          string  32 random bytes (an installation secret)  forever
//	<p>cursor:<name>                          string  a high-water mark (integer), only grows   forever
//	<i>fact:<kind>:<day>                      zset    the statistics facts of a kind recorded   forever
//	                                                  on one UTC day (day = unix ms divided by
//	                                                  86,400,000, rounded down; facts.go),
//	                                                  scored by unix ms; member
//	                                                  "ticket|agent|value[|subject]". A day
//	                                                  of up to 128 facts of a kind stays a
//	                                                  compact listpack (about 29 bytes a fact
//	                                                  against 149 in one set of every day)
//	<i>fact:<kind>:days                       zset    the days that have a fact of the kind:    forever
//	                                                  member and score the day number; the
//	                                                  readers of a period find its day keys
//	                                                  here, never by walking the calendar
//	<i>fact:<kind>                            zset    every fact of a kind in one set, as       forever; no longer written
//	                                                  stores before the day keys (2026-12-07)
//	                                                  kept them: still read beside the day
//	                                                  keys, never written
//	<p>ob:<shard>                             hash    a queue shard's outbox: field            until its tasks are done
//	                                                  "<platform>/<event ID>", value the JSON
//	                                                  desk.Outbox of that event's tasks
//	<p>timers                                 zset    the scheduler: timer IDs scored by the    until fired or cancelled
//	                                                  unix ms they are due at
//	<p>timer:<timer ID>                       hash    a timer's event: fields n (its queue      until fired or cancelled
//	                                                  shard's number), e (the JSON-encoded
//	                                                  event); stores before 2026-12-07 wrote
//	                                                  q (the shard's stream key, still read)
//	                                                  and s instead of n
//	<p>ans:<platform>:<event ID>              string  the answer to an event from a source     10 minutes
//	                                                  that waits for one (the dashboard)
//	<p>held:<ticket number>                   list    JSON events a ticket's intake holds back  until relayed (DropHeld)
//	                                                  (the customer's messages during it)
//	<p>signin:<sha256 of token>              string  JSON desk.Person a dashboard sign-in      10 minutes (desk.SigninTTL);
//	                                                  link is for                              GETDEL when used
//	<p>sess:<sha256 of session ID>            string  JSON dashboard session: person, start,   DASHBOARD_SESSION_TTL
//	                                                  revocation generation "g"
//	<p>sgen:<platform>:<user ID>              string  a person's session generation; a revoke  forever
//	                                                  INCRs it, ending every older session
//	<i>changes                                stream  one entry per ticket change (field t,     about the last 100,000
//	                                                  the number): the dashboard's live feed   (XADD MAXLEN ~)
//	<i>closed                                 zset    closed tickets' numbers, scored by the   until RETENTION forgets what
//	                                                  unix ms they closed at (retention.go)    was written on them
//	<i>closedver                              string  "1" once every closed ticket is in       forever
//	                                                  <p>closed
//	<p>tl:<ticket number>                     set     the link keys of the ticket's mirrored   until RETENTION, with them;
//	                                                  messages, as stores before 2026-12-07    no longer written (link
//	                                                  kept them: still read and deleted        records in tx:<n> instead)
//	<s>lease:<shard>                          string  the name (INSTANCE_NAME) of the process  SHARD_LEASE, renewed by its
//	                                                  that handles the queue shard (lease.go)  holder a few times per lease
//	<p>replicas                               zset    names of the processes alive, scored by  entries past their time are
//	                                                  the unix ms their heartbeat lapses at    removed by the next heartbeat
//	<p>rtok                                   hash    INSTANCE_NAME → random token of the      forever (one field a name)
//	                                                  process that last said it was alive
//	                                                  under it: two processes with one name
//	                                                  are told apart (lease.go)
//	<p>ixlog                                  list    on Cluster, the index slot's changes     until carried out (project.go)
//	                                                  committed and not yet carried out: one
//	                                                  element "<seq>|<JSON commands>" a commit
//	<p>ixseq                                  string  the index log's last seq                 forever
//	<i>ixdone                                 string  the seq of the last index log entry      forever
//	                                                  carried out
//	<i>ixmoved                                string  "1" once an older Cluster store's index  forever
//	                                                  keys under <p> are moved (movelegacy.go)
//	<i>ixmovejob                              string  the process moving them                  30 minutes, or until done
//	rate:<c>pace:<platform>:<channel>         string  GCRA state of the posts into a channel,   until the rate's bucket is
//	                                                  shared by the replicas (redis_rate); <c>  full again (PX)
//	                                                  is <p> without a hash tag, and
//	                                                  "{<tag>/c:<platform>:<channel>}:" with
//	                                                  one (before 2026-12-07 <p>: that state
//	                                                  is left to lapse)
//	<c>hold:<platform>:<channel>              string  "1": the channel's posts wait, as a      the Retry-After (PX)
//	                                                  platform's Retry-After asked (HoldPace)
//
// Components other than the last of a key (platform, channel) must not contain ':'; platform
// names and the platforms' channel IDs never do. The Lua scripts that follow a pointer to a
// ticket or a timer build its key as ticketBase() .. number or timerBase() .. ID, and the query
// script a day's facts key as factDayBase() .. day: the one place outside this file that joins
// a key, with the base it is given from here.
package redisstore

import (
	"hash/crc32"
	"strconv"
	"strings"

	"github.com/threadesk/threadesk/internal/desk"
)

// keys builds every key of the schema above under one prefix.
type keys struct {
	prefix string
	// ix starts the index slot's keys on Redis Cluster (indexApart): the prefix with "/ix"
	// added to its tag. "" elsewhere: they are the installation's, under prefix.
	ix string
}

// ixp starts the keys of the index slot: the queue's status, filter, sort and word sets,
// their buckets, the facts, the change feed and the closed index, with what versions them.
func (k keys) ixp() string {
	if k.ix != "" {
		return k.ix
	}
	return k.prefix
}

// indexApart reports whether the index slot's keys are in a slot other than the
// installation's (Redis Cluster): the changes to them then go through the index log
// (project.go).
func (k keys) indexApart() bool { return k.ix != "" && k.ix != k.prefix }

// inIndex reports whether key is one of the index slot's on Cluster (indexApart).
func (k keys) inIndex(key string) bool { return k.indexApart() && strings.HasPrefix(key, k.ix) }

// indexLog is the list of the index slot's changes committed with the installation's and not
// yet carried into the index slot (project.go), in the installation's slot.
func (k keys) indexLog() string { return k.prefix + "ixlog" }

// indexLogSeq is the sequence number of the index log's last entry.
func (k keys) indexLogSeq() string { return k.prefix + "ixseq" }

// indexDone is the sequence number of the last index log entry carried out, in the index
// slot.
func (k keys) indexDone() string { return k.ixp() + "ixdone" }

// shardPrefix starts the keys of a queue shard's own: its stream, its lease and the dedupe
// markers of its events. Under a hash tag it is the prefix with "/q<shard>" added to the tag
// ("{td}:" becomes "{td/q3}:"), so that on Redis Cluster each shard has a slot of its own and
// the shards spread over the masters; under a prefix without a tag it is the prefix itself.
func (k keys) shardPrefix(shard int) string { return k.apart("q" + strconv.Itoa(shard)) }

// apart is the prefix of keys that are used alone or with each other, never with the
// installation's other keys: under a hash tag, the prefix with "/<name>" added to the tag, a
// slot of their own on Redis Cluster; the prefix itself without a tag.
func (k keys) apart(name string) string {
	end := k.tagEnd()
	if end < 0 {
		return k.prefix
	}
	return k.prefix[:end] + "/" + name + k.prefix[end:]
}

// shardsApart reports whether the queue shards' own keys are in slots other than the
// installation's (the prefix has a hash tag), so that no transaction may hold both.
func (k keys) shardsApart() bool { return k.shardPrefix(0) != k.prefix }

// queue is the stream of one queue shard.
func (k keys) queue(shard int) string { return k.shardPrefix(shard) + "q:" + strconv.Itoa(shard) }

// legacyQueue is the stream of a queue shard as stores before 2026-12-07 named it under a hash
// tag (in the installation's slot); the same key as queue without a tag. Its entries are moved
// to queue's once (moveLegacyQueues).
func (k keys) legacyQueue(shard int) string { return k.prefix + "q:" + strconv.Itoa(shard) }

// dedupe is the marker of an event recorded in a queue shard on Cluster: "1" (Enqueue; see
// Store.dedupeKey). Without a hash tag it is the same key as seen.
func (k keys) dedupe(shard int, platform, eventID string) string {
	return k.shardPrefix(shard) + "seen:" + platform + ":" + eventID
}

// seen is the mark of an event handled: "h" (Apply's once-only guard, in the installation's
// slot with the changes it guards).
func (k keys) seen(platform, eventID string) string {
	return k.prefix + "seen:" + platform + ":" + eventID
}

// seq is the ticket counter.
func (k keys) seq() string { return k.prefix + "seq" }

// ticketBase is the part of a ticket key before the number; scripts append the number to it.
func (k keys) ticketBase() string { return k.prefix + "t:" }

// ticket is the hash of one ticket.
func (k keys) ticket(id desk.TicketID) string {
	return k.ticketBase() + strconv.FormatInt(int64(id), 10)
}

// pointer is a field of a bucket hash that holds a ticket number, and the string key that held
// it in stores before 2026-12-07 (still read, and deleted when the pointer is written).
type pointer struct{ key, field, legacy string }

// pointerBuckets is how many hashes share one kind of pointer of a platform. A pointer's
// bucket is the CRC-32 (IEEE) of its field modulo pointerBuckets, fixed for good: a store of
// up to about 130,000 customers keeps every bucket a listpack (up to 128 fields), about 20
// bytes a pointer against 127 for a string key of its own (its key, value and the keyspace's
// entry).
const pointerBuckets = 1024

func (k keys) bucketed(kind, platform, field string) string {
	return k.prefix + kind + ":" + platform + ":" + strconv.Itoa(int(crc32.ChecksumIEEE([]byte(field))%pointerBuckets))
}

// customer points at the customer's latest ticket on a platform.
func (k keys) customer(platform, userID string) pointer {
	return pointer{key: k.bucketed("cu", platform, userID), field: userID, legacy: k.prefix + "cust:" + platform + ":" + userID}
}

// thread points at the ticket whose card roots a thread.
func (k keys) thread(platform, threadID string) pointer {
	return pointer{key: k.bucketed("th", platform, threadID), field: threadID, legacy: k.prefix + "thread:" + platform + ":" + threadID}
}

// set returns the commands that point p at ticket id.
func (p pointer) set(id string) [][]any {
	return [][]any{{"HSET", p.key, p.field, id}, {"DEL", p.legacy}}
}

// link holds what one source message was mirrored as. On Cluster (partsApart) it is in the
// partition of its message, the CRC-32 (IEEE) of "<channel>:<message ID>" mod
// transcriptParts, so that the links spread over the masters as the transcripts do (a reader
// knows the message, not its ticket); elsewhere the installation's key.
func (k keys) link(platform string, src desk.MessageRef) string {
	if k.partsApart() {
		n := crc32.ChecksumIEEE([]byte(src.Channel+":"+src.ID)) % transcriptParts
		return k.apart("p"+strconv.Itoa(int(n))) + linkName(platform, src)
	}
	return k.legacyLink(platform, src)
}

// legacyLink is a link in the installation's slot, where Cluster stores before 2026-12-07
// kept them too (still read when the partition's is missing, and deleted with it): the same
// key as link off Cluster.
func (k keys) legacyLink(platform string, src desk.MessageRef) string {
	return k.prefix + linkName(platform, src)
}

// linkName is a link's key after its prefix, as a ticket's link records name it.
func linkName(platform string, src desk.MessageRef) string {
	return "link:" + platform + ":" + src.Channel + ":" + src.ID
}

// isLinkName says whether a link record's name is a link's (and not a join record's).
func isLinkName(name string) bool { return strings.HasPrefix(name, "link:") }

// linkOfName returns the platform and source message a link's name names.
func linkOfName(name string) (platform string, src desk.MessageRef, ok bool) {
	rest, ok := strings.CutPrefix(name, "link:")
	if !ok {
		return "", src, false
	}
	platform, rest, ok1 := strings.Cut(rest, ":")
	src.Channel, src.ID, ok = strings.Cut(rest, ":")
	return platform, src, ok1 && ok
}

// namedKeys returns the keys a link record's name may be stored under: a link's partition
// key and the installation's (on Cluster), a join record's key.
func (k keys) namedKeys(name string) []string {
	if platform, src, ok := linkOfName(name); ok && k.partsApart() {
		return []string{k.link(platform, src), k.legacyLink(platform, src)}
	}
	return []string{k.prefix + name}
}

// statusBase is the part of a status index key before the status.
func (k keys) statusBase() string { return k.ixp() + "st:" }

// status is the index of the tickets in one status.
func (k keys) status(s desk.Status) string { return k.statusBase() + string(s) }

// index is one of the queue's filter or sort sets, by its name after "ix:" (index.go).
func (k keys) index(name string) string { return k.ixp() + "ix:" + name }

// word is the set of the tickets that have a search word.
func (k keys) word(w string) string { return k.ixp() + "w:" + w }

// temp is a query's intermediate result.
func (k keys) temp(id string) string { return k.ixp() + "tmp:" + id }

// indexVersion holds the version of the indexes' layout.
func (k keys) indexVersion() string { return k.ixp() + "ixver" }

// splitVersion is set once the number sets an older version wrote as one key are split
// (numberset.go).
func (k keys) splitVersion() string { return k.ixp() + "nbver" }

// splitLease names the process splitting them.
func (k keys) splitLease() string { return k.ixp() + "nbjob" }

// backfillLease names the process rebuilding the indexes of old tickets.
func (k keys) backfillLease() string { return k.ixp() + "ixjob" }

// fact is the time-ordered set of every fact of one kind, as stores before the day keys kept
// them: still read (Facts, the query script), never written.
func (k keys) fact(kind desk.FactKind) string { return k.ixp() + "fact:" + string(kind) }

// factDayBase is the part of a day's fact key before the day number; the query script appends
// the day to it.
func (k keys) factDayBase(kind desk.FactKind) string { return k.fact(kind) + ":" }

// factDay is the time-ordered set of the facts of one kind recorded on one UTC day (factDayOf).
func (k keys) factDay(kind desk.FactKind, day int64) string {
	return k.factDayBase(kind) + strconv.FormatInt(day, 10)
}

// factDays is the sorted set of the days that have a fact of one kind, each scored by itself.
func (k keys) factDays(kind desk.FactKind) string { return k.factDayBase(kind) + "days" }

// secret holds one installation secret.
func (k keys) secret(name string) string { return k.prefix + "secret:" + name }

// cursor holds one high-water mark.
func (k keys) cursor(name string) string { return k.prefix + "cursor:" + name }

// outbox is a queue shard's outbox.
func (k keys) outbox(shard int) string { return k.prefix + "ob:" + strconv.Itoa(shard) }

// timers is the scheduler's sorted set of due times.
func (k keys) timers() string { return k.prefix + "timers" }

// timerBase is the part of a timer key before its ID; the firing script appends it.
func (k keys) timerBase() string { return k.prefix + "timer:" }

// timer holds one timer's event.
func (k keys) timer(id string) string { return k.timerBase() + id }

// answer holds the answer to one event.
func (k keys) answer(platform, eventID string) string {
	return k.prefix + "ans:" + platform + ":" + eventID
}

// held is the list of a ticket's held messages.
func (k keys) held(id desk.TicketID) string {
	return k.prefix + "held:" + strconv.FormatInt(int64(id), 10)
}

// transcriptParts is how many slots the transcripts spread over on Redis Cluster: a ticket's
// is in partition number mod transcriptParts, fixed for good.
const transcriptParts = 1024

// partsApart reports whether the transcripts are in the ticket partitions' slots, apart from
// the installation's (Redis Cluster, as the index slot): the changes to them then go through
// the transcript log (project.go).
func (k keys) partsApart() bool { return k.indexApart() }

// part starts the keys of a ticket's partition on Cluster: the prefix with "/p<number mod
// transcriptParts>" added to its tag ("{td}:" becomes "{td/p37}:").
func (k keys) part(id desk.TicketID) string {
	return k.apart("p" + strconv.FormatInt(int64(id)%transcriptParts, 10))
}

// transcript is the list of a ticket's transcript entries (transcript.go): in its partition
// on Cluster (partsApart), the installation's key elsewhere.
func (k keys) transcript(id desk.TicketID) string {
	if k.partsApart() {
		return k.part(id) + "tx:" + strconv.FormatInt(int64(id), 10)
	}
	return k.legacyTranscript(id)
}

// legacyTranscript is the transcript list in the installation's slot, where Cluster stores
// before 2026-12-07 kept it too (still read before the partition's, and erased): the same key
// as transcript off Cluster.
func (k keys) legacyTranscript(id desk.TicketID) string {
	return k.prefix + "tx:" + strconv.FormatInt(int64(id), 10)
}

// partOf returns the partition prefix of a key in a ticket partition's slot (transcript), and
// whether it is one.
func (k keys) partOf(key string) (string, bool) {
	if !k.partsApart() {
		return "", false
	}
	end := k.tagEnd()
	if end < 0 {
		return "", false
	}
	start := k.prefix[:end] + "/p" // the prefix up to its tag's '}', as apart builds it
	if !strings.HasPrefix(key, start) {
		return "", false
	}
	n := 0
	for n < len(key)-len(start) && key[len(start)+n] >= '0' && key[len(start)+n] <= '9' {
		n++
	}
	p := key[:len(start)+n] + k.prefix[end:]
	return p, n > 0 && strings.HasPrefix(key, p)
}

// tagEnd is the index of the '}' that closes the prefix's hash tag (as apart finds it), or -1
// when it has none.
func (k keys) tagEnd() int {
	open := strings.IndexByte(k.prefix, '{')
	if open < 0 {
		return -1
	}
	end := strings.IndexByte(k.prefix[open+1:], '}')
	if end <= 0 {
		return -1
	}
	return end + open + 1
}

// transcriptLog is the list of the changes to transcripts committed with the installation's
// and not yet carried into the partitions (project.go), in the installation's slot.
func (k keys) transcriptLog() string { return k.prefix + "txlog" }

// transcriptLogSeq is the sequence number of the transcript log's last entry.
func (k keys) transcriptLogSeq() string { return k.prefix + "txseq" }

// transcriptDone is the sequence number of the last transcript log entry carried into a
// partition, in the partition (prefix from part).
func (k keys) transcriptDone(part string) string { return part + "txdone" }

// transcriptWrites counts, in the installation's slot, the changes committed to a ticket's
// transcript on Cluster (field: the number), so that retention can tell, in its atomic step,
// that the transcript it read has not changed since; 128 tickets of consecutive numbers share
// a hash, which stays a listpack.
func (k keys) transcriptWrites(id desk.TicketID) string {
	return k.prefix + "txv:" + strconv.FormatInt(int64(id)/128, 10)
}

// history is the transcript stream of a ticket as older stores wrote it: still read, erased
// and expired, never written.
func (k keys) history(id desk.TicketID) string {
	return k.prefix + "h:" + strconv.FormatInt(int64(id), 10)
}

// signin holds a sign-in token's person, by the token's hash.
func (k keys) signin(hash string) string { return k.prefix + "signin:" + hash }

// session holds a dashboard session, by its ID's hash.
func (k keys) session(hash string) string { return k.prefix + "sess:" + hash }

// sessionGen is a person's session generation.
func (k keys) sessionGen(platform, userID string) string {
	return k.prefix + "sgen:" + platform + ":" + userID
}

// changes is the stream of ticket changes.
func (k keys) changes() string { return k.ixp() + "changes" }

// lease names the process that handles a queue shard.
func (k keys) lease(shard int) string {
	return k.shardPrefix(shard) + "lease:" + strconv.Itoa(shard)
}

// legacyLease is a queue shard's lease as stores before 2026-12-07 named it under a hash tag
// (the same key as lease without a tag): a replica of such a version holds the shard.
func (k keys) legacyLease(shard int) string { return k.prefix + "lease:" + strconv.Itoa(shard) }

// LeaseKey is the key of a queue shard's lease under prefix (REDIS_PREFIX, with the hash tag
// a Cluster adds): its value names the replica that handles the shard, for tools and tests
// that watch the shards' holders.
func LeaseKey(prefix string, shard int) string { return keys{prefix: prefix}.lease(shard) }

// closed is the closed index: closed tickets' numbers scored by when they closed, until
// RETENTION forgets what was written on them (retention.go).
func (k keys) closed() string { return k.ixp() + "closed" }

// closedVersion marks the closed index complete (retention.go).
func (k keys) closedVersion() string { return k.ixp() + "closedver" }

// join is the record of a joined post.
func (k keys) join(platform, id string) string {
	return k.prefix + "join:" + platform + ":" + id
}

// ticketLinks is the set of the link keys of a ticket's mirrored messages as stores before
// 2026-12-07 kept them: still read and deleted, no longer written (a link record in the
// ticket's transcript list instead, linkRecord).
func (k keys) ticketLinks(id desk.TicketID) string {
	return k.prefix + "tl:" + strconv.FormatInt(int64(id), 10)
}

// linkRecord is the element of a ticket's transcript list that names the key of one of its
// links or joins (transcript.go): linkMark, then the key without its prefix (the
// installation's, or on Cluster a link's partition's): its name.
func (k keys) linkRecord(key string) string {
	if part, ok := k.partOf(key); ok {
		return string(rune(linkMark)) + strings.TrimPrefix(key, part)
	}
	return string(rune(linkMark)) + strings.TrimPrefix(key, k.prefix)
}

// replicaTokens holds, by INSTANCE_NAME, the token of the process that last said it was alive
// under that name (lease.go's selfCheck).
func (k keys) replicaTokens() string { return k.prefix + "rtok" }

// replicas is the set of processes alive.
func (k keys) replicas() string { return k.prefix + "replicas" }

// pace is the GCRA state of the posts into a platform's channel, shared by every replica;
// redis_rate puts its own "rate:" before it. Under a hash tag it has the channel's own slot
// (apart), as the busiest channels' posts would otherwise all ask the installation's master.
func (k keys) pace(platform, channel string) string {
	return k.apart("c:"+platform+":"+channel) + "pace:" + platform + ":" + channel
}

// paceHold is a channel's hold from a platform's Retry-After, shared by the replicas, in the
// channel's slot.
func (k keys) paceHold(platform, channel string) string {
	return k.apart("c:"+platform+":"+channel) + "hold:" + platform + ":" + channel
}

package redisstore

import (
	"strconv"
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
)

// TestPartitionKeys: on Cluster a transcript's and a link's keys are found to be in their
// partition, and no other key is, whatever the prefix around its hash tag (a '/' or a '}'
// outside the tag included).
func TestPartitionKeys(t *testing.T) {
	for _, prefix := range []string{"{td}:", "{td}:a/b:", "x}{td}:", "{a/b}:", "{td}"} {
		k := keys{prefix: prefix}
		k.ix = k.apart("ix")
		src := desk.MessageRef{Channel: "C1:x", ID: "1710000000.000100"}
		for _, id := range []desk.TicketID{1, 5, 1023, 1024, 123456} {
			if part, ok := k.partOf(k.transcript(id)); !ok || part != k.part(id) {
				t.Errorf("prefix %q: partOf(%s) = %q, %v; want %q", prefix, k.transcript(id), part, ok, k.part(id))
			}
			if counter, field := (&Store{keys: k}).transcriptCounter([]any{"RPUSH", k.transcript(id)}); counter != k.transcriptWrites(id) || field != strconv.FormatInt(int64(id), 10) {
				t.Errorf("prefix %q: the counter of %s = %q %q", prefix, k.transcript(id), counter, field)
			}
		}
		link := k.link("slack", src)
		part, ok := k.partOf(link)
		if !ok {
			t.Errorf("prefix %q: link key %s is in no partition", prefix, link)
		}
		if name := k.linkRecord(link)[1:]; name != linkName("slack", src) || k.namedKeys(name)[0] != link || part+name != link {
			t.Errorf("prefix %q: link %s recorded as %q, found again as %q", prefix, link, name, k.namedKeys(name))
		}
		if counter, _ := (&Store{keys: k}).transcriptCounter([]any{"SET", link}); counter != "" {
			t.Errorf("prefix %q: a link has a transcript counter %q", prefix, counter)
		}
		for _, other := range []string{k.legacyTranscript(5), k.queue(3), k.index("act"), k.ticket(5), k.legacyLink("slack", src), k.apart("p") + "tx:5", k.apart("px") + "tx:5"} {
			if part, ok := k.partOf(other); ok {
				t.Errorf("prefix %q: %s taken for a key of partition %q", prefix, other, part)
			}
		}
	}
	if _, ok := (keys{prefix: "{td}:"}).partOf("{td/p1}:tx:1"); ok {
		t.Error("a key taken for a partition's off Cluster")
	}
}

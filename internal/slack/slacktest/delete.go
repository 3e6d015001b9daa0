package slacktest

// What a Slack workspace does when a message is deleted, by the app (chat.delete) or by a person
// in Slack's client (DeleteMessage). A message without replies disappears, and Slack sends
// message_deleted with the message as it was in previous_message. A thread's root that still
// has replies cannot disappear without taking its thread along, so Slack leaves a placeholder,
// a tombstone ("This message was deleted.", subtype "tombstone", by USLACKBOT), and reports the
// deletion as message_changed from the message to the tombstone. Either way the message is
// gone for the Web API: chat.update and reactions.add answer message_not_found, while
// chat.postMessage still takes replies under its ts (its reference lists no error for a
// deleted thread), and conversations.replies answers thread_not_found once nothing is left.

// TombstoneText is what Slack shows in place of a deleted thread root that had replies.
const TombstoneText = "This message was deleted."

// tombstoneUser is the author Slack gives a tombstone.
const tombstoneUser = "USLACKBOT"

// DeleteMessage has someone delete a message in Slack's client (an admin deleting a ticket's
// card, say) and returns the Events API callback Slack sends the app about it: message_deleted,
// or message_changed to a tombstone when the message was a thread's root with replies left.
// The test fails when the message does not exist or was deleted before.
func (s *Server) DeleteMessage(eventID, channel, ts string) []byte {
	s.t.Helper()
	s.mu.Lock()
	m := s.find(channel, ts)
	if m == nil || m.Deleted {
		s.mu.Unlock()
		s.t.Fatalf("slacktest: DeleteMessage: no message %s in %s", ts, channel)
	}
	before, replies := m.clone(), s.replyCount(m)
	tombstoned := s.remove(m)
	s.mu.Unlock()
	return s.deletionEvent(eventID, before, replies, tombstoned)
}

// remove deletes m as Slack does and reports whether it became a tombstone; s.mu is held.
func (s *Server) remove(m *Message) (tombstoned bool) {
	m.Deleted = true
	m.Tombstone = m.Thread == "" && s.replyCount(m) > 0
	return m.Tombstone
}

// replyCount counts the replies of m that are not deleted; s.mu is held.
func (s *Server) replyCount(m *Message) int {
	n := 0
	for _, r := range s.messages {
		if r.Channel == m.Channel && r.Thread == m.TS && !r.Deleted {
			n++
		}
	}
	return n
}

// tombstoneJSON is a tombstone as Slack shows it in events and in conversations.history and
// conversations.replies.
func tombstoneJSON(ts string, replies int) map[string]any {
	return map[string]any{
		"type": "message", "subtype": "tombstone", "text": TombstoneText, "user": tombstoneUser, "hidden": true,
		"ts": ts, "thread_ts": ts, "reply_count": replies,
	}
}

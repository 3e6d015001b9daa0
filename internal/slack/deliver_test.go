package slack

import (
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
)

// TestMalformedEventsAcknowledged: an event the core refuses as malformed is acknowledged
// (Slack's retries could not change the answer); one the core could not record is not.
func TestMalformedEventsAcknowledged(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"recorded", nil, 200},
		{"invalid", desk.Errorf(desk.EINVALID, "event has no user"), 200},
		{"too large", desk.Errorf(desk.ETOOLARGE, "message text is larger than 163840 bytes"), 200},
		{"store down", desk.Errorf(desk.EUNAVAILABLE, "cannot record the event now"), 500},
		{"other failure", errStoreDown, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeSlack(t)
			in := newIngester()
			in.failWith(tt.err)
			a := newTestAdapter(t, fake, in)
			w := postEvent(t, a, dmEvent(t, "EvM1", "hello"))
			if w.Code != tt.want {
				t.Errorf("got %d, want %d", w.Code, tt.want)
			}
		})
	}
}

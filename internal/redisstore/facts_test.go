package redisstore

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// dayAt is hours h into the UTC day d days after 2025-03-10, in whole milliseconds.
func dayAt(d int, h float64) time.Time {
	return time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d).Add(time.Duration(h * float64(time.Hour)))
}

// wantFacts checks that Facts of kind in [from, to) gives want, whole and in order.
func wantFacts(t *testing.T, s *Store, what string, kind desk.FactKind, from, to time.Time, want ...desk.Fact) {
	t.Helper()
	got, err := s.Facts(ctxT(t), kind, from, to)
	if err != nil {
		t.Fatalf("%s: Facts: %v", what, err)
	}
	if want == nil {
		want = []desk.Fact{}
	}
	wantEqual(t, what, got, want)
}

func TestFactDayOf(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		want int64
	}{
		{"the epoch", time.UnixMilli(0), 0},
		{"a millisecond before the end of the first day", time.UnixMilli(dayMillis - 1), 0},
		{"midnight starts the next day", time.UnixMilli(dayMillis), 1},
		{"a millisecond before the epoch", time.UnixMilli(-1), -1},
		{"the day before the epoch, its midnight", time.UnixMilli(-dayMillis), -1},
		{"two days before the epoch, its last millisecond", time.UnixMilli(-dayMillis - 1), -2},
		{"2025-03-10, late", dayAt(0, 23.99), 20157},
		{"the zero time", time.Time{}, -719162},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := factDayOf(tt.at.UnixMilli()); got != tt.want {
				t.Errorf("factDayOf(%s) = %d, want %d", tt.at.Format(time.RFC3339Nano), got, tt.want)
			}
		})
	}
}

// testFactsByDay: facts recorded over several UTC days go in one set per day and kind, the
// day named in the kind's days index; Facts gives them back oldest first whatever order they
// were recorded in, and a period gives its own facts only (a midnight belongs to the day it
// starts). A query's period of opening reads the openings of its days.
func testFactsByDay(t *testing.T, open opener) {
	s, rdb := open(t, Options{})
	ctx := ctxT(t)
	created := func(id desk.TicketID, at time.Time) desk.Fact {
		return desk.Fact{Kind: desk.FactCreated, At: at, Ticket: id}
	}
	// In time order; recorded in another.
	facts := []desk.Fact{
		created(1, dayAt(0, 9)),
		created(2, dayAt(0, 23.5)),
		created(3, dayAt(1, 0)),
		created(4, dayAt(2, 10)),
		created(5, dayAt(3, 0)),
		created(6, dayAt(7, 1)),
	}
	resolved := desk.Fact{Kind: desk.FactResolved, At: dayAt(1, 5), Ticket: 1, Agent: "U_AGENT", Value: 3600, Subject: "high"}
	var changes []desk.Change
	for _, i := range []int{4, 0, 5, 2, 1, 3} {
		changes = append(changes, desk.SaveTicket{Ticket: queueTicket(facts[i].Ticket, desk.StatusOpen, nil)}, desk.RecordFact{Fact: facts[i]})
	}
	apply(t, s, append(changes, desk.RecordFact{Fact: resolved})...)

	wantFacts(t, s, "every day", desk.FactCreated, dayAt(-30, 0), farFuture, facts...)
	wantFacts(t, s, "days 1 and 2", desk.FactCreated, dayAt(1, 0), dayAt(3, 0), facts[2], facts[3])
	wantFacts(t, s, "the end of day 0", desk.FactCreated, dayAt(0, 12), dayAt(1, 0), facts[1])
	wantFacts(t, s, "the first millisecond of day 3", desk.FactCreated, dayAt(3, 0), dayAt(3, 0).Add(time.Millisecond), facts[4])
	wantFacts(t, s, "days without facts", desk.FactCreated, dayAt(4, 0), dayAt(7, 0))
	wantFacts(t, s, "before the first", desk.FactCreated, time.Time{}, dayAt(0, 9))
	wantFacts(t, s, "another kind", desk.FactResolved, dayAt(0, 0), dayAt(2, 0), resolved)

	// The layout: one set per day with facts, named in the days index; nothing in the single
	// set of older stores.
	d0 := factDayOf(dayAt(0, 0).UnixMilli())
	var wantDays []string
	for _, d := range []int64{0, 1, 2, 3, 7} {
		wantDays = append(wantDays, strconv.FormatInt(d0+d, 10))
	}
	if got := rdb.ZRange(ctx, s.keys.factDays(desk.FactCreated), 0, -1).Val(); !slices.Equal(got, wantDays) {
		t.Errorf("days of the openings = %q, want %q", got, wantDays)
	}
	if got, want := rdb.ZRange(ctx, s.keys.factDay(desk.FactCreated, d0), 0, -1).Val(), []string{"1||0", "2||0"}; !slices.Equal(got, want) {
		t.Errorf("openings of day 0 = %q, want %q", got, want)
	}
	if got, want := rdb.ZRange(ctx, s.keys.factDay(desk.FactResolved, d0+1), 0, -1).Val(), []string{"1|U_AGENT|3600|high"}; !slices.Equal(got, want) {
		t.Errorf("resolutions of day 1 = %q, want %q", got, want)
	}
	if n := rdb.Exists(ctx, s.keys.fact(desk.FactCreated), s.keys.fact(desk.FactResolved)).Val(); n != 0 {
		t.Errorf("%d single sets of facts written, want none", n)
	}

	all := desk.Statuses
	wantQuery(t, s, "opened on days 1 and 2", desk.TicketQuery{Statuses: all, OpenedFrom: dayAt(1, 0), OpenedTo: dayAt(3, 0)}, 4, 3)
	wantQuery(t, s, "opened from the end of day 0 to day 7", desk.TicketQuery{Statuses: all, OpenedFrom: dayAt(0, 12), OpenedTo: dayAt(7, 0)}, 5, 4, 3, 2)
	wantQuery(t, s, "opened from day 2", desk.TicketQuery{Statuses: all, OpenedFrom: dayAt(2, 0)}, 6, 5, 4)
	wantQuery(t, s, "opened before day 1", desk.TicketQuery{Statuses: all, OpenedTo: dayAt(1, 0)}, 2, 1)
	wantQuery(t, s, "opened on days without openings", desk.TicketQuery{Statuses: all, OpenedFrom: dayAt(4, 0), OpenedTo: dayAt(7, 0)})

	// A period reads only its days' sets: a stray opening planted by hand in day 5's set,
	// scored within day 1 (which the store never writes), is not seen by a period of days
	// 1 and 2.
	stray := s.keys.factDay(desk.FactCreated, d0+5)
	apply(t, s, desk.SaveTicket{Ticket: queueTicket(9, desk.StatusOpen, nil)})
	for _, c := range [][]any{
		{"ZADD", stray, dayAt(1, 6).UnixMilli(), "9||0"},
		{"ZADD", s.keys.factDays(desk.FactCreated), d0 + 5, d0 + 5},
	} {
		if err := rdb.Do(ctx, c...).Err(); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
	}
	wantFacts(t, s, "days 1 and 2 beside a stray opening", desk.FactCreated, dayAt(1, 0), dayAt(3, 0), facts[2], facts[3])
	wantQuery(t, s, "opened on days 1 and 2 beside a stray opening", desk.TicketQuery{Statuses: all, OpenedFrom: dayAt(1, 0), OpenedTo: dayAt(3, 0)}, 4, 3)
}

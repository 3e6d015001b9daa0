package desk_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	deskfile "github.com/threadesk/threadesk/internal/policy"
)

// officeHours is Monday to Friday, 09:00-17:00 UTC. t0 is Monday 2 November 2026, 09:00.
var officeHours = func() *deskfile.Hours {
	h := &deskfile.Hours{Location: time.UTC}
	for d := time.Monday; d <= time.Friday; d++ {
		h.Week[d] = []deskfile.Window{{Start: 9 * time.Hour, End: 17 * time.Hour}}
	}
	return h
}()

// slaPolicy holds normal tickets to a first response in 4h and a next one in 2h, resolution in
// 16h, in business hours; urgent ones to 30m / 1h / 4h in calendar time; reminders at 75%.
var slaPolicy = desk.Policy{Hours: officeHours, Zone: time.UTC, SLA: desk.SLA{RemindAt: 0.75, Targets: map[desk.Priority]desk.SLATarget{
	desk.PriorityNormal: {FirstResponse: 4 * time.Hour, NextResponse: 2 * time.Hour, Resolution: 16 * time.Hour, BusinessHours: true},
	desk.PriorityUrgent: {FirstResponse: 30 * time.Minute, NextResponse: time.Hour, Resolution: 4 * time.Hour},
}}}

// at takes step s by a on tk at when, failing the test on a refusal.
func at(t *testing.T, tk desk.Ticket, when time.Time, s desk.Step, a desk.Actor, p desk.Policy) desk.Outcome {
	t.Helper()
	o, err := tk.Take(s, a, when, p)
	if err != nil {
		t.Fatalf("%s by %s at %s: %v", s.Kind, a.Label(), when, err)
	}
	return o
}

// timers lists an outcome's timer effects as name@time (cancel:name for a cancel).
func timers(o desk.Outcome) []string {
	var out []string
	for _, e := range o.Effects {
		if e.Kind != desk.EffectTimer {
			continue
		}
		if e.At.IsZero() {
			out = append(out, "cancel:"+e.Timer)
		} else {
			out = append(out, e.Timer+"@"+e.At.Format("Mon 15:04"))
		}
	}
	slices.Sort(out)
	return out
}

func clock(t *testing.T, tk desk.Ticket, k desk.SLAKind) desk.SLAClock {
	t.Helper()
	c, ok := tk.Clock(k)
	if !ok {
		t.Fatalf("ticket has no %s clock: %+v", k, tk.Clocks)
	}
	return c
}

func newTicket(at time.Time, pr desk.Priority) desk.Ticket {
	return desk.Ticket{ID: 7, Platform: "fake", Status: desk.StatusNew, Priority: pr, Customer: customer, DMChannel: "D1",
		TriageChannel: "C1", ThreadID: "T1", CreatedAt: at, LastActivityAt: at}
}

// TestClocksCountBusinessHours: a normal ticket opened on Friday at 15:00 is due a first
// response on Monday at 11:00 (two hours on Friday, two on Monday), reminded at 10:00; its
// resolution clock runs 16 business hours; the first reply meets the first-response target.
func TestClocksCountBusinessHours(t *testing.T) {
	friday := t0.Add(4*24*time.Hour + 6*time.Hour) // Friday 15:00
	o := desk.Open(newTicket(friday, desk.PriorityNormal), friday, slaPolicy)
	want := []string{"sla_breach:first_response@Mon 11:00", "sla_breach:resolution@Tue 15:00",
		"sla_remind:first_response@Mon 10:00", "sla_remind:resolution@Tue 11:00"}
	if got := timers(o); !slices.Equal(got, want) {
		t.Errorf("timers at opening: %q, want %q", got, want)
	}
	if !o.Clocks || clock(t, o.Ticket, desk.SLAFirstResponse).State(friday) != desk.SLAOnTrack {
		t.Errorf("clocks %+v", o.Ticket.Clocks)
	}
	monday := friday.Add(3*24*time.Hour - 4*time.Hour) // Monday 11:00 minus an hour is 10:00
	if got := clock(t, o.Ticket, desk.SLAFirstResponse).State(monday.Add(-time.Minute)); got != desk.SLAAtRisk {
		t.Errorf("at Monday 10:59: %s, want at risk", got)
	}
	answered := at(t, o.Ticket, monday.Add(-30*time.Minute), desk.Step{Kind: desk.StepRespond}, agentA, slaPolicy)
	c := clock(t, answered.Ticket, desk.SLAFirstResponse)
	if !c.Done || c.Breached || c.Elapsed != 3*time.Hour+30*time.Minute || c.State(monday) != desk.SLAMet {
		t.Errorf("after the reply: %+v", c)
	}
	if got := timers(answered); !slices.Equal(got, []string{"cancel:sla_breach:first_response", "cancel:sla_remind:first_response"}) {
		t.Errorf("timers after the reply: %q", got)
	}
	if got := effects(answered); !strings.Contains(got, "fact:sla_met=first_response:normal") {
		t.Errorf("effects %s, want the met target recorded", got)
	}
}

// TestClocksPauseWhileWaitingOnTheCustomer: pending pauses every running clock and cancels
// its timers; the customer's answer resumes them from where they were, and starts the
// next-response clock; the agent's next reply meets it.
func TestClocksPauseWhileWaitingOnTheCustomer(t *testing.T) {
	o := desk.Open(newTicket(t0, desk.PriorityNormal), t0, slaPolicy)
	answered := at(t, o.Ticket, t0.Add(time.Hour), desk.Step{Kind: desk.StepRespond}, agentA, slaPolicy)
	pending := at(t, answered.Ticket, t0.Add(2*time.Hour), desk.Step{Kind: desk.StepPending}, agentA, slaPolicy)
	r := clock(t, pending.Ticket, desk.SLAResolution)
	if r.Running() || r.Elapsed != 2*time.Hour || r.State(t0) != desk.SLAPaused {
		t.Errorf("resolution clock while pending: %+v", r)
	}
	if got := timers(pending); !slices.Contains(got, "cancel:sla_breach:resolution") {
		t.Errorf("pending: timers %q", got)
	}
	// The customer answers the next day at 10:00: 14 business hours are left of 16.
	back := t0.Add(25 * time.Hour)
	wrote := at(t, pending.Ticket, back, desk.Step{Kind: desk.StepWrote}, cust, slaPolicy)
	r = clock(t, wrote.Ticket, desk.SLAResolution)
	if !r.Running() || !r.Due.Equal(back.Add(24*time.Hour+6*time.Hour)) {
		t.Errorf("resolution due %s, want Wednesday 16:00", r.Due)
	}
	next := clock(t, wrote.Ticket, desk.SLANextResponse)
	if !next.Running() || !next.Due.Equal(back.Add(2*time.Hour)) {
		t.Errorf("next response: %+v, want due at 12:00", next)
	}
	// More messages from the customer keep the same clock.
	again := at(t, wrote.Ticket, back.Add(time.Hour), desk.Step{Kind: desk.StepWrote}, cust, slaPolicy)
	if again.Clocks || len(timers(again)) != 0 {
		t.Errorf("a second message moved the clocks: %q", timers(again))
	}
	replied := at(t, again.Ticket, back.Add(90*time.Minute), desk.Step{Kind: desk.StepRespond}, agentA, slaPolicy)
	if c := clock(t, replied.Ticket, desk.SLANextResponse); !c.Done || c.Breached {
		t.Errorf("next response after the reply: %+v", c)
	}
	resolved := at(t, replied.Ticket, back.Add(2*time.Hour), desk.Step{Kind: desk.StepResolve}, agentA, slaPolicy)
	if c := clock(t, resolved.Ticket, desk.SLAResolution); !c.Done || c.Elapsed != 4*time.Hour {
		t.Errorf("resolution when resolved: %+v", c)
	}
	if len(resolved.Ticket.Clocks) != 3 {
		t.Errorf("clocks: %+v", resolved.Ticket.Clocks)
	}
}

// TestMessagesThatMoveAClockRefreshTheCard: messages refresh the card only when they change
// what it shows. On an open ticket the customer's message starts the next-response clock and
// the agent's answer meets it, neither changing the status: both refresh the card; a second
// message from the customer, which moves no clock, does not.
func TestMessagesThatMoveAClockRefreshTheCard(t *testing.T) {
	hasCard := func(o desk.Outcome) bool {
		return slices.ContainsFunc(o.Effects, func(e desk.Effect) bool { return e.Kind == desk.EffectCard })
	}
	o := desk.Open(newTicket(t0, desk.PriorityNormal), t0, slaPolicy)
	answered := at(t, o.Ticket, t0.Add(time.Hour), desk.Step{Kind: desk.StepRespond}, agentA, slaPolicy)
	wrote := at(t, answered.Ticket, t0.Add(2*time.Hour), desk.Step{Kind: desk.StepWrote}, cust, slaPolicy)
	if wrote.Changed() || !wrote.Clocks || !hasCard(wrote) {
		t.Errorf("the customer's message starting the next response: status changed %v, clocks %v, effects %s; want the card refreshed", wrote.Changed(), wrote.Clocks, effects(wrote))
	}
	again := at(t, wrote.Ticket, t0.Add(150*time.Minute), desk.Step{Kind: desk.StepWrote}, cust, slaPolicy)
	if again.Clocks || hasCard(again) {
		t.Errorf("a second message: clocks %v, effects %s; want no card refresh", again.Clocks, effects(again))
	}
	replied := at(t, again.Ticket, t0.Add(3*time.Hour), desk.Step{Kind: desk.StepRespond}, agentA, slaPolicy)
	if !replied.Clocks || !hasCard(replied) || slices.IndexFunc(replied.Effects, func(e desk.Effect) bool { return e.Kind == desk.EffectCard }) != 0 {
		t.Errorf("the answer meeting the next response: effects %s, want the card refreshed first", effects(replied))
	}
	plain := at(t, replied.Ticket, t0.Add(200*time.Minute), desk.Step{Kind: desk.StepRespond}, agentA, slaPolicy)
	if hasCard(plain) {
		t.Errorf("another answer: effects %s, want no card refresh", effects(plain))
	}
}

// TestSLATimersFireOnce: the reminder and the breach each fire once, only as the timer and only
// at their time; each marks the clock, refreshes the card, and has the reminder or alert sent;
// a reminder or breach of a clock that stopped is stale.
func TestSLATimersFireOnce(t *testing.T) {
	o := desk.Open(newTicket(t0, desk.PriorityUrgent), t0, slaPolicy)
	remind := desk.TimerStep("sla_remind:first_response")
	if remind.Kind != desk.StepSLARemind || remind.SLA != desk.SLAFirstResponse {
		t.Fatalf("TimerStep: %+v", remind)
	}
	refusedAt(t, o.Ticket, t0.Add(22*time.Minute), remind, desk.TimerActor, desk.RefuseStale) // early: re-planned later
	refusedAt(t, o.Ticket, t0.Add(23*time.Minute), remind, agentA, desk.RefuseNotAgent)
	reminded := at(t, o.Ticket, t0.Add(23*time.Minute), remind, desk.TimerActor, slaPolicy)
	e := reminded.Effects
	if len(e) != 3 || e[0].Kind != desk.EffectCard || e[1].Kind != desk.EffectSLA || e[1].Alert || e[1].SLA != desk.SLAFirstResponse ||
		!e[1].At.Equal(t0.Add(30*time.Minute)) || e[2].Fact.Kind != desk.FactSLAReminder || e[2].Fact.Subject != "first_response" {
		t.Errorf("reminder effects %+v", e)
	}
	if en := reminded.Entries; len(en) != 1 || en[0].Author != "timer" || en[0].Text != "first_response at risk" {
		t.Errorf("reminder history %+v", en)
	}
	refusedAt(t, reminded.Ticket, t0.Add(24*time.Minute), remind, desk.TimerActor, desk.RefuseStale)

	breach := desk.TimerStep("sla_breach:first_response")
	breached := at(t, reminded.Ticket, t0.Add(30*time.Minute), breach, desk.TimerActor, slaPolicy)
	if e := breached.Effects; len(e) != 3 || !e[1].Alert || e[2].Fact.Kind != desk.FactSLAAlert {
		t.Errorf("breach effects %+v", e)
	}
	c := clock(t, breached.Ticket, desk.SLAFirstResponse)
	if !c.Breached || c.State(t0.Add(31*time.Minute)) != desk.SLABreached {
		t.Errorf("after the breach: %+v", c)
	}
	refusedAt(t, breached.Ticket, t0.Add(31*time.Minute), breach, desk.TimerActor, desk.RefuseStale)
	// The late reply stops the clock as breached, and says so in the statistics.
	late := at(t, breached.Ticket, t0.Add(40*time.Minute), desk.Step{Kind: desk.StepClaim}, agentA, slaPolicy)
	if got := effects(late); !strings.Contains(got, "fact:sla_breached=first_response:urgent") {
		t.Errorf("late reply: %s", got)
	}
	refusedAt(t, late.Ticket, t0.Add(41*time.Minute), breach, desk.TimerActor, desk.RefuseStale)
}

// TestPriorityReplansClocks: raising the priority re-plans the running clocks against the new
// targets, counting what ran; a priority without targets drops them.
func TestPriorityReplansClocks(t *testing.T) {
	o := desk.Open(newTicket(t0, desk.PriorityNormal), t0, slaPolicy)
	urgent := at(t, o.Ticket, t0.Add(20*time.Minute), desk.Step{Kind: desk.StepPriority, Priority: desk.PriorityUrgent}, agentA, slaPolicy)
	c := clock(t, urgent.Ticket, desk.SLAFirstResponse)
	if c.Target != 30*time.Minute || c.Business || !c.Due.Equal(t0.Add(30*time.Minute)) || !c.RemindAt.Equal(t0.Add(22*time.Minute+30*time.Second)) {
		t.Errorf("re-planned: %+v", c)
	}
	if got := timers(urgent); !slices.Contains(got, "sla_breach:first_response@Mon 09:30") {
		t.Errorf("timers %q", got)
	}
	// Past its share already: the reminder is not planned in the past, the breach is now.
	late := at(t, o.Ticket, t0.Add(40*time.Minute), desk.Step{Kind: desk.StepPriority, Priority: desk.PriorityUrgent}, agentA, slaPolicy)
	if c := clock(t, late.Ticket, desk.SLAFirstResponse); !c.Due.Equal(t0.Add(40*time.Minute)) || !c.RemindAt.IsZero() {
		t.Errorf("re-planned past its target: %+v", c)
	}
	low := at(t, o.Ticket, t0.Add(20*time.Minute), desk.Step{Kind: desk.StepPriority, Priority: desk.PriorityLow}, agentA, slaPolicy)
	if len(low.Ticket.Clocks) != 0 || !slices.Contains(timers(low), "cancel:sla_breach:resolution") {
		t.Errorf("low priority has no targets: clocks %+v timers %q", low.Ticket.Clocks, timers(low))
	}
}

// TestOutOfHoursReply: a request that comes in on Saturday is marked out of hours and the
// customer is told the team is back on Monday at 09:00, once however often they write until
// then; a message in the next closed period is answered again; nothing is said in hours.
func TestOutOfHoursReply(t *testing.T) {
	saturday := t0.Add(5*24*time.Hour + time.Hour) // Saturday 10:00
	o := desk.Open(newTicket(saturday, desk.PriorityNormal), saturday, slaPolicy)
	monday := t0.Add(7 * 24 * time.Hour)
	if !o.Ticket.OutOfHours || !o.Ticket.AwayUntil.Equal(monday) {
		t.Errorf("ticket %+v", o.Ticket)
	}
	away := slices.IndexFunc(o.Effects, func(e desk.Effect) bool { return e.Notice == desk.NoticeAway })
	if away < 0 || !o.Effects[away].At.Equal(monday) {
		t.Fatalf("effects %+v, want the out-of-hours reply", o.Effects)
	}
	again := at(t, o.Ticket, saturday.Add(time.Hour), desk.Step{Kind: desk.StepWrote}, cust, slaPolicy)
	if strings.Contains(effects(again), "notify") {
		t.Errorf("a second message the same weekend: %s", effects(again))
	}
	evening := monday.Add(10 * time.Hour) // Monday 19:00
	later := at(t, again.Ticket, evening, desk.Step{Kind: desk.StepWrote}, cust, slaPolicy)
	if !strings.Contains(effects(later), "notify") || !later.Ticket.AwayUntil.Equal(monday.Add(24*time.Hour)) {
		t.Errorf("Monday evening: %s, away until %s", effects(later), later.Ticket.AwayUntil)
	}
	in := at(t, later.Ticket, monday.Add(24*time.Hour+time.Hour), desk.Step{Kind: desk.StepWrote}, cust, slaPolicy)
	if strings.Contains(effects(in), "notify") {
		t.Errorf("in hours: %s", effects(in))
	}
	if o := desk.Open(newTicket(t0, desk.PriorityNormal), t0, slaPolicy); o.Ticket.OutOfHours || strings.Contains(effects(o), "notify") {
		t.Errorf("a request in hours: %+v", o)
	}
	if o := desk.Open(newTicket(saturday, desk.PriorityNormal), saturday, desk.Policy{}); o.Ticket.OutOfHours || o.Clocks {
		t.Errorf("a desk without hours or SLA: %+v", o)
	}
}

// refusedAt checks that s by a on tk at when is refused for reason want under slaPolicy.
func refusedAt(t *testing.T, tk desk.Ticket, when time.Time, s desk.Step, a desk.Actor, want desk.RefusalReason) {
	t.Helper()
	_, err := tk.Take(s, a, when, slaPolicy)
	r, ok := err.(*desk.Refusal)
	if !ok || r.Reason != want {
		t.Errorf("%s by %s at %s: %v, want refused %s", s.Kind, a.Label(), when.Format("15:04"), err, want)
	}
}

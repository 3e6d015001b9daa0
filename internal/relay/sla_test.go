package relay_test

import (
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/policy"
	"github.com/threadesk/threadesk/internal/relay"
)

// slaDesk holds normal tickets to a first response in 40 minutes and a resolution in 8 hours,
// calendar time, with reminders at 75%, in office hours Monday to Friday 09:00-17:00 UTC.
func slaDesk(t *testing.T) *deskHarness {
	t.Helper()
	hours := &policy.Hours{Location: time.UTC}
	for d := time.Monday; d <= time.Friday; d++ {
		hours.Week[d] = []policy.Window{{Start: 9 * time.Hour, End: 17 * time.Hour}}
	}
	p := desk.Policy{Hours: hours, Zone: time.UTC, SLA: desk.SLA{RemindAt: 0.75, Targets: map[desk.Priority]desk.SLATarget{
		desk.PriorityNormal: {FirstResponse: 40 * time.Minute, Resolution: 8 * time.Hour, BusinessHours: true},
	}}}
	return newDesk(t, func(o *relay.Options) {
		o.Policy = func() desk.Policy { return p }
		o.TimerTick = time.Second
	})
}

// appSays are the app's own messages in a channel's thread (or its top level), oldest first.
func (d *deskHarness) appSays(channel, thread string) []string {
	var out []string
	for _, m := range d.p.Messages(channel, thread) {
		if m.As == "" && m.Ephemeral == "" && m.Card == nil {
			out = append(out, m.Text)
		}
	}
	return out
}

// TestSLAReminderAndBreachOnce: with two processes, the reminder at 30 of 40 minutes and the
// breach at 40 each go into the ticket's thread once; the breach also goes to the leads in the
// triage channel; the card shows the target's state as it changes; the agent's reply stops
// the clock.
func TestSLAReminderAndBreachOnce(t *testing.T) {
	d := slaDesk(t)
	tk := d.open("U1")
	d.drain()
	if got := field(d.card(tk), "SLA"); got != "first response: due Nov 2 09:40 UTC · on track\nresolution: due Nov 2 17:00 UTC · on track" {
		t.Errorf("card at opening: %q", got)
	}
	d.runSecond()
	d.clock.Advance(29 * time.Minute)
	d.advanceUntil(func() bool { return count(d.appSays("C-TRIAGE", tk.ThreadID), "⏰") > 0 })
	if got := d.appSays("C-TRIAGE", tk.ThreadID); len(got) != 1 || got[0] != "⏰ Ticket #1: first response is due Nov 2 09:40 UTC, 10m left." {
		t.Errorf("thread after the reminder: %q", got)
	}
	if got := field(d.card(tk), "SLA"); !strings.HasPrefix(got, "first response: due Nov 2 09:40 UTC · at risk") {
		t.Errorf("card after the reminder: %q", got)
	}
	d.clock.Advance(9 * time.Minute)
	d.advanceUntil(func() bool { return count(d.appSays("C-TRIAGE", tk.ThreadID), "🚨") > 0 })
	d.clock.Advance(time.Hour)
	time.Sleep(100 * time.Millisecond)
	d.drain()
	thread := d.appSays("C-TRIAGE", tk.ThreadID)
	if count(thread, "⏰") != 1 || count(thread, "🚨") != 1 || !strings.Contains(thread[1], "missed its first response target of 40m") {
		t.Errorf("thread: %q, want one reminder and one alert", thread)
	}
	leads := d.appSays("C-TRIAGE", "")
	if len(leads) != 1 || !strings.HasPrefix(leads[0], "🚨 @A1 Ticket #1 (") || !strings.HasSuffix(leads[0], "nobody looks after it.") {
		t.Errorf("triage channel: %q, want one alert naming the lead", leads)
	}
	if got := field(d.card(tk), "SLA"); !strings.HasPrefix(got, "first response: due Nov 2 09:40 UTC · breached") {
		t.Errorf("card after the breach: %q", got)
	}
	if got := d.command("A2", "C-TRIAGE", "status"); !strings.HasSuffix(got, "\nSLA: 1 breached, 0 at risk. Next to breach: #1, resolution due Nov 2 17:00 UTC (in 6h).") {
		t.Errorf("status: %q", got)
	}
	if got := d.command("A2", "C-TRIAGE", "list"); !strings.HasSuffix(got, " · first response: SLA breached") {
		t.Errorf("list: %q", got)
	}
	_ = d.press("A2", "C-TRIAGE", tk.ThreadID, "claim", "1")
	d.drain()
	got := d.ticket(tk.ID)
	if c, _ := got.Clock(desk.SLAFirstResponse); !c.Done || !c.Breached {
		t.Errorf("first response after the claim: %+v", c)
	}
	if f := field(d.card(tk), "SLA"); !strings.HasPrefix(f, "first response: breached\nresolution: due") {
		t.Errorf("card after the claim: %q", f)
	}
	if got := d.command("A2", "C-TRIAGE", "list"); !strings.HasSuffix(got, " · resolution due Nov 2 17:00 UTC, on track") {
		t.Errorf("list after the claim: %q", got)
	}
	stats := d.command("A1", "C-TRIAGE", "stats")
	if !strings.Contains(stats, "\nSLA, met/breached: first response normal 0/1 (0%), median 1h40m, p90 1h40m / 40m\nSLA by agent, met/breached: «Agent A2» 0/1") {
		t.Errorf("stats: %q", stats)
	}
}

// TestOutOfHoursReplyAndCard: a customer who writes at 18:00 on Monday is told the team is back
// tomorrow at 09:00, once for that evening; the card says the request came in out of hours.
func TestOutOfHoursReplyAndCard(t *testing.T) {
	d := slaDesk(t)
	d.clock.Advance(9 * time.Hour) // Monday 18:00
	tk := d.open("U1")
	d.ingest(say("U1", "m-more", "and another thing"))
	d.drain()
	away := count(d.notices("U1"), "Our team is away right now; we are back tomorrow at 09:00 (UTC)")
	if away != 1 {
		t.Errorf("notices %q, want one out-of-hours reply", d.notices("U1"))
	}
	if got := field(d.card(tk), "Came in"); got != "out of hours" {
		t.Errorf("card: came in %q", got)
	}
	// Business time: the 40 minutes run from 09:00 tomorrow.
	if got := field(d.card(tk), "SLA"); !strings.HasPrefix(got, "first response: due Nov 3 09:40 UTC") {
		t.Errorf("card: %q", got)
	}
}

package relay_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/relay"
)

// TestSLAMetricsCountEachReminderAndBreachOnce: threadesk_sla_reminders_total and
// threadesk_sla_breaches_total count one reminder and one breach per clock that reaches them,
// labelled by platform and target, and nothing for a clock met in time. Ticket 1 is never
// answered: its first response and its resolution each get a reminder and a breach. Ticket 2
// is answered at once (its first response met: nothing counted) and its customer writes
// again: its next response and its resolution each get a reminder and a breach. Long after
// the breaches the counts have not moved.
func TestSLAMetricsCountEachReminderAndBreachOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	p := desk.Policy{Zone: time.UTC, SLA: desk.SLA{RemindAt: 0.75, Targets: map[desk.Priority]desk.SLATarget{
		desk.PriorityNormal: {FirstResponse: 40 * time.Minute, NextResponse: 20 * time.Minute, Resolution: 2 * time.Hour},
	}}}
	d := newDesk(t, func(o *relay.Options) {
		o.Policy = func() desk.Policy { return p }
		o.TimerTick = time.Second
		o.Registerer = reg
	})
	const names = "threadesk_sla_reminders_total threadesk_sla_breaches_total"
	families := strings.Fields(names)
	check := func(when, want string) {
		t.Helper()
		d.drain()
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), families...); err != nil {
			t.Errorf("%s: %v", when, err)
		}
	}
	const (
		remindersHelp = "# HELP threadesk_sla_reminders_total SLA reminders sent into tickets' threads, by platform and target.\n# TYPE threadesk_sla_reminders_total counter\n"
		breachesHelp  = "# HELP threadesk_sla_breaches_total SLA targets breached (each alerted once), by platform and target.\n# TYPE threadesk_sla_breaches_total counter\n"
	)

	// 09:00: ticket 1 opens; ticket 2 opens, is answered, and its customer writes again.
	t1 := d.open("U1")
	t2 := d.open("U2")
	d.ingest(reply("A1", t2.ThreadID, nextID("r"), "Which version do you run?"))
	d.drain()
	d.ingest(say("U2", nextID("m"), "version 2.1"))
	d.drain()
	if c, _ := d.ticket(t2.ID).Clock(desk.SLANextResponse); !c.Running() {
		t.Fatalf("ticket 2's next response clock is %+v after its customer wrote again, want it running", c)
	}
	check("at opening", "")

	// Reminders and breaches, each awaited in its ticket's thread before the counts are read:
	// the next response at 09:15 (reminder) and 09:20 (breach), the first response at 09:30
	// and 09:40, both resolutions at 10:30 and 11:00.
	wait := func(tk desk.Ticket, what string, at time.Time) {
		t.Helper()
		if ahead := at.Sub(d.clock.Now()) - time.Second; ahead > 0 {
			d.clock.Advance(ahead)
		}
		d.advanceUntil(func() bool {
			for _, s := range d.appSays("C-TRIAGE", tk.ThreadID) {
				if strings.Contains(s, what) {
					return true
				}
			}
			return false
		})
	}
	t0 := d.clock.Now()
	wait(t2, "next response is due", t0.Add(15*time.Minute))
	check("after the next response's reminder", remindersHelp+`threadesk_sla_reminders_total{platform="fake",target="next_response"} 1
`)
	wait(t2, "missed its next response target", t0.Add(20*time.Minute))
	wait(t1, "first response is due", t0.Add(30*time.Minute))
	wait(t1, "missed its first response target", t0.Add(40*time.Minute))
	check("after the first response's breach", remindersHelp+`threadesk_sla_reminders_total{platform="fake",target="first_response"} 1
threadesk_sla_reminders_total{platform="fake",target="next_response"} 1
`+breachesHelp+`threadesk_sla_breaches_total{platform="fake",target="first_response"} 1
threadesk_sla_breaches_total{platform="fake",target="next_response"} 1
`)
	wait(t1, "resolution is due", t0.Add(90*time.Minute))
	wait(t2, "resolution is due", t0.Add(90*time.Minute))
	wait(t1, "missed its resolution target", t0.Add(2*time.Hour))
	wait(t2, "missed its resolution target", t0.Add(2*time.Hour))

	// Long after: nothing more is counted.
	d.clock.Advance(6 * time.Hour)
	time.Sleep(100 * time.Millisecond)
	d.advanceUntil(func() bool { return true })
	const all = remindersHelp + `threadesk_sla_reminders_total{platform="fake",target="first_response"} 1
threadesk_sla_reminders_total{platform="fake",target="next_response"} 1
threadesk_sla_reminders_total{platform="fake",target="resolution"} 2
` + breachesHelp + `threadesk_sla_breaches_total{platform="fake",target="first_response"} 1
threadesk_sla_breaches_total{platform="fake",target="next_response"} 1
threadesk_sla_breaches_total{platform="fake",target="resolution"} 2
`
	check("at the end", all)

	// The counts are the reminders and alerts the threads show: one of each per clock.
	for _, c := range []struct {
		tk   desk.Ticket
		want []string
	}{
		{t1, []string{"first response is due", "missed its first response target", "resolution is due", "missed its resolution target"}},
		{t2, []string{"next response is due", "missed its next response target", "resolution is due", "missed its resolution target"}},
	} {
		var got []string
		for _, s := range d.appSays("C-TRIAGE", c.tk.ThreadID) {
			if strings.HasPrefix(s, "⏰") || strings.HasPrefix(s, "🚨") {
				got = append(got, s)
			}
		}
		if len(got) != len(c.want) {
			t.Errorf("ticket %s's thread has the reminders and alerts %q, want one each of %q", c.tk.ID, got, c.want)
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("ticket %s's thread: %q, want %q in turn", c.tk.ID, got, c.want)
				break
			}
		}
	}
}

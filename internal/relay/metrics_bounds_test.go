package relay

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/threadesk/threadesk/internal/desk"
)

// TestMetricLabelsBounded: values from outside that become labels (a platform's error codes,
// an event's platform, kind or drop reason, names from the desk's files) cannot grow the
// number of series without end: unknown values of a closed set, and new values of an open set
// past its first few, are counted as "other".
func TestMetricLabelsBounded(t *testing.T) {
	m := newMetrics()
	reg := prometheus.NewRegistry()
	if err := reg.Register(m.EventsIn); err != nil {
		t.Fatal(err)
	}
	for _, c := range []prometheus.Collector{m.Dropped, m.Retries, m.Deferred, m.Tasks, m.Deliveries, m.Latency} {
		reg.MustRegister(c)
	}
	facts := counterVec(prometheus.CounterOpts{Name: "threadesk_test_facts_total", Help: "test"}, boundedLabels([]string{"platform", "article"})...)
	reg.MustRegister(facts)
	for i := range 5000 {
		m.EventsIn.WithLabelValues(fmt.Sprint("platform", i), fmt.Sprint("kind", i)).Inc()
		m.Dropped.WithLabelValues("slack", fmt.Sprint("subtype_", i)).Inc()
		m.Retries.WithLabelValues("slack", fmt.Sprint("error_code_", i)).Inc()
		m.Deferred.WithLabelValues(fmt.Sprint("platform", i)).Inc()
		m.Tasks.WithLabelValues("slack", fmt.Sprint("kind", i), fmt.Sprint("result", i)).Inc()
		m.Deliveries.WithLabelValues("slack", fmt.Sprint("result", i)).Inc()
		m.Latency.WithLabelValues(fmt.Sprint("platform", i)).Observe(1)
		facts.WithLabelValues("slack", fmt.Sprint("article-", i)).Inc()
	}
	m.EventsIn.WithLabelValues("slack", "customer.message").Inc()
	m.Dropped.WithLabelValues("slack", "system_message").Inc()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	limits := map[string]int{
		"threadesk_events_in_total":          maxPlatforms * 2, // known kinds, one of them seen, and other
		"threadesk_events_dropped_total":     2,                // system_message and other
		"threadesk_platform_retries_total":   maxReasons + 1,
		"threadesk_events_deferred_total":    maxPlatforms + 1,
		"threadesk_tasks_total":              (64 + 1) * (16 + 1),
		"threadesk_deliveries_total":         16 + 1,
		"threadesk_delivery_latency_seconds": maxPlatforms + 1,
		"threadesk_test_facts_total":         maxNames + 1,
	}
	for _, f := range families {
		limit, ok := limits[f.GetName()]
		if !ok {
			continue
		}
		delete(limits, f.GetName())
		other := false
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				other = other || l.GetValue() == otherLabel
			}
		}
		if n := len(f.GetMetric()); n > limit || !other {
			t.Errorf("%s: %d series (other among them: %v), want at most %d with other", f.GetName(), n, other, limit)
		}
	}
	for name := range limits {
		t.Errorf("%s not gathered", name)
	}
}

// TestTicketsActiveByStatus: threadesk_tickets_active has one series per waiting status, and
// -1 in each when the store cannot be read.
func TestTicketsActiveByStatus(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want map[string]float64
	}{
		{"read", nil, map[string]float64{"new": 2, "open": 3, "pending": 4}},
		{"store down", errors.New("down"), map[string]float64{"new": -1, "open": -1, "pending": -1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			reg.MustRegister(newActiveTickets(func(context.Context) (map[desk.Status]int64, error) {
				return map[desk.Status]int64{desk.StatusNew: 2, desk.StatusOpen: 3, desk.StatusPending: 4, desk.StatusResolved: 9, desk.StatusClosed: 7}, tt.err
			}))
			families, err := reg.Gather()
			if err != nil || len(families) != 1 {
				t.Fatalf("gathered %d families, %v", len(families), err)
			}
			got := map[string]float64{}
			for _, m := range families[0].GetMetric() {
				got[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("threadesk_tickets_active = %v, want %v", got, tt.want)
			}
		})
	}
}

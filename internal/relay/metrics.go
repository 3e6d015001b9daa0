package relay

import (
	"context"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/threadesk/threadesk/internal/desk"
)

// Metrics are the relay's Prometheus metrics. Every event the relay or an adapter drops on
// purpose is counted in Dropped under a named reason.
type Metrics struct {
	EventsIn   *prometheus.CounterVec   // events recorded, by platform and kind
	Dropped    *prometheus.CounterVec   // events dropped on purpose, by platform and reason
	Deliveries *prometheus.CounterVec   // platform sends, by platform and result
	Latency    *prometheus.HistogramVec // from recording an event to its delivery, by platform
	Retries    *prometheus.CounterVec   // retried platform calls, by platform and reason
	Deferred   *prometheus.CounterVec   // queued events left for a process that runs their platform
	Tasks      *prometheus.CounterVec   // outbox tasks carried out, by platform, kind and result
	Timers     prometheus.Counter       // timers fired by this process
	Replicas   prometheus.Gauge         // replicas alive on the store, as this one last saw
	ShardsHeld prometheus.Gauge         // queue shards this replica holds the lease of
	Expired    prometheus.Counter       // closed tickets whose texts RETENTION forgot
}

func newMetrics() *Metrics {
	return &Metrics{
		EventsIn: counterVec(prometheus.CounterOpts{
			Name: "threadesk_events_in_total",
			Help: "Inbound events durably recorded, by platform and kind.",
		}, platformLabel(), oneOf("kind", desk.EventKind.Valid)),
		Dropped: counterVec(prometheus.CounterOpts{
			Name: "threadesk_events_dropped_total",
			Help: "Events dropped on purpose, by platform and named reason.",
		}, platformLabel(), oneOf("reason", func(r desk.DropReason) bool { return slices.Contains(desk.DropReasons, r) })),
		Deliveries: counterVec(prometheus.CounterOpts{
			Name: "threadesk_deliveries_total",
			Help: "Messages sent to a platform, by result (ok, reconciled, failed).",
		}, platformLabel(), capped("result", 16)),
		Latency: prometheus.V2.NewHistogramVec(prometheus.HistogramVecOpts{HistogramOpts: prometheus.HistogramOpts{
			Name:    "threadesk_delivery_latency_seconds",
			Help:    "Time from recording an inbound event to its delivery on the other side.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, VariableLabels: prometheus.ConstrainedLabels{platformLabel()}}),
		// The reason is the platform's error code, which the platform chooses: the first
		// maxReasons seen are kept, later new ones counted as "other".
		Retries: counterVec(prometheus.CounterOpts{
			Name: "threadesk_platform_retries_total",
			Help: "Platform calls retried, by platform and reason (rate_limited, or the error).",
		}, platformLabel(), capped("reason", maxReasons)),
		Deferred: counterVec(prometheus.CounterOpts{
			Name: "threadesk_events_deferred_total",
			Help: "Queued events of a platform this process does not run, left queued for one that does.",
		}, platformLabel()),
		Tasks: counterVec(prometheus.CounterOpts{
			Name: "threadesk_tasks_total",
			Help: "Tasks carried out after a recorded change (notices, card updates, answers), by platform, kind and result.",
		}, platformLabel(), capped("kind", 64), capped("result", 16)),
		Timers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "threadesk_timers_fired_total",
			Help: "Timers this process moved into the queue when they came due.",
		}),
		Replicas: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "threadesk_replicas",
			Help: "Replicas of the app alive on this Redis, as this one last saw.",
		}),
		ShardsHeld: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "threadesk_queue_shards_held",
			Help: "Queue shards this replica handles (holds the lease of).",
		}),
		Expired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "threadesk_tickets_expired_total",
			Help: "Closed tickets whose transcript and texts were forgotten after RETENTION.",
		}),
	}
}

// register adds the metrics, and a queue depth gauge read from the store at scrape time, to reg.
func (m *Metrics) register(reg prometheus.Registerer, depth func(context.Context) (int64, error)) error {
	queue := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "threadesk_queue_depth",
		Help: "Inbound events recorded and not yet fully handled (queued, or with tasks still to carry out).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := depth(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	for _, c := range []prometheus.Collector{m.EventsIn, m.Dropped, m.Deliveries, m.Latency, m.Retries, m.Deferred, m.Tasks, m.Timers, m.Replicas, m.ShardsHeld, m.Expired, queue} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Every label of the relay's metrics whose value is not a constant of the code is bounded, so
// that no input (a platform's error code, an event's platform or kind, a name read from a file)
// can make the number of series grow without end: a value outside the label's known set, or
// beyond the first few distinct values where the set is open, is counted as "other".
const (
	otherLabel   = "other"
	maxPlatforms = 8    // platforms in one queue: today slack, mattermost and sandbox
	maxReasons   = 64   // distinct retry reasons (platforms' error codes) per process
	maxNames     = 1000 // distinct names from the desk's files per label (articles, categories)
	maxLabelLen  = 100
)

// counterVec is prometheus.NewCounterVec with constrained labels.
func counterVec(opts prometheus.CounterOpts, labels ...prometheus.ConstrainedLabel) *prometheus.CounterVec {
	return prometheus.V2.NewCounterVec(prometheus.CounterVecOpts{CounterOpts: opts, VariableLabels: prometheus.ConstrainedLabels(labels)})
}

// boundedLabels bounds the labels of a counter of facts: the platform, and names that come
// from the desk's files (articles, categories, canned replies), which an operator may change
// at every reload.
func boundedLabels(names []string) []prometheus.ConstrainedLabel {
	labels := make([]prometheus.ConstrainedLabel, len(names))
	for i, name := range names {
		labels[i] = capped(name, maxNames)
		if name == "platform" {
			labels[i] = platformLabel()
		}
	}
	return labels
}

func platformLabel() prometheus.ConstrainedLabel { return capped("platform", maxPlatforms) }

// oneOf is a label whose values are a closed set of the code's: any other value is "other".
func oneOf[T ~string](name string, known func(T) bool) prometheus.ConstrainedLabel {
	return prometheus.ConstrainedLabel{Name: name, Constraint: func(v string) string {
		if known(T(v)) {
			return v
		}
		return otherLabel
	}}
}

// capped is a label whose values are an open set: the first n distinct values (valid UTF-8 of
// at most maxLabelLen bytes) are kept as they are, and any value after them is "other".
func capped(name string, n int) prometheus.ConstrainedLabel {
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
	)
	return prometheus.ConstrainedLabel{Name: name, Constraint: func(v string) string {
		if len(v) > maxLabelLen || !utf8.ValidString(v) {
			return otherLabel
		}
		mu.Lock()
		defer mu.Unlock()
		if seen[v] {
			return v
		}
		if len(seen) >= n {
			return otherLabel
		}
		seen[v] = true
		return v
	}}
}

// activeTickets is threadesk_tickets_active{status}: the tickets waiting on agents or on their
// customers now, one series per status (new, open, pending), read from the store once per
// scrape. When the store cannot be read, each is -1.
type activeTickets struct {
	desc  *prometheus.Desc
	count func(context.Context) (map[desk.Status]int64, error)
}

// activeStatuses are the statuses threadesk_tickets_active counts: a resolved ticket waits on
// no one, one in intake is still with the first-line bot.
var activeStatuses = []desk.Status{desk.StatusNew, desk.StatusOpen, desk.StatusPending}

func newActiveTickets(count func(context.Context) (map[desk.Status]int64, error)) *activeTickets {
	return &activeTickets{
		desc: prometheus.NewDesc("threadesk_tickets_active",
			"Tickets new, open or pending now, by status.", []string{"status"}, nil),
		count: count,
	}
}

func (a *activeTickets) Describe(ch chan<- *prometheus.Desc) { ch <- a.desc }

func (a *activeTickets) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := a.count(ctx)
	for _, s := range activeStatuses {
		v := float64(c[s])
		if err != nil {
			v = -1
		}
		ch <- prometheus.MustNewConstMetric(a.desc, prometheus.GaugeValue, v, string(s))
	}
}

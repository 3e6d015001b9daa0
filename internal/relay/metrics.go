package relay

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
		EventsIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "threadesk_events_in_total",
			Help: "Inbound events durably recorded, by platform and kind.",
		}, []string{"platform", "kind"}),
		Dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "threadesk_events_dropped_total",
			Help: "Events dropped on purpose, by platform and named reason.",
		}, []string{"platform", "reason"}),
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "threadesk_deliveries_total",
			Help: "Messages sent to a platform, by result (ok, reconciled, failed).",
		}, []string{"platform", "result"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "threadesk_delivery_latency_seconds",
			Help:    "Time from recording an inbound event to its delivery on the other side.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"platform"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "threadesk_platform_retries_total",
			Help: "Platform calls retried, by platform and reason (rate_limited, or the error).",
		}, []string{"platform", "reason"}),
		Deferred: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "threadesk_events_deferred_total",
			Help: "Queued events of a platform this process does not run, left queued for one that does.",
		}, []string{"platform"}),
		Tasks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "threadesk_tasks_total",
			Help: "Tasks carried out after a recorded change (notices, card updates, answers), by platform, kind and result.",
		}, []string{"platform", "kind", "result"}),
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

package relay_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/relay"
)

// labelled records each metric registered with it and its labels.
type labelled struct{ labels map[string][]string }

var descParts = regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)

func (d *labelled) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(ch); close(ch) }()
	for desc := range ch {
		m := descParts.FindStringSubmatch(desc.String())
		if m == nil {
			continue
		}
		var labels []string
		for _, l := range strings.Split(m[2], ",") {
			if l = strings.TrimSuffix(strings.TrimPrefix(l, "c("), ")"); l != "" {
				labels = append(labels, l)
			}
		}
		d.labels[m[1]] = labels
	}
	return nil
}
func (d *labelled) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = d.Register(c)
	}
}
func (d *labelled) Unregister(prometheus.Collector) bool { return true }

// TestReadmeMetricLabels: the README names every metric with the labels it has, no more and
// no fewer: `name{a,b}` for one with labels a and b, `name` alone for one without.
func TestReadmeMetricLabels(t *testing.T) {
	reg := &labelled{labels: map[string][]string{}}
	newHarness(t, desk.Limits{}, func(o *relay.Options) { o.Registerer = reg })
	doc := readme(t)
	for name, want := range reg.labels {
		mentions := regexp.MustCompile("`"+regexp.QuoteMeta(name)+`(\{[^}]*\})?`+"`").FindAllStringSubmatch(doc, -1)
		if len(mentions) == 0 {
			t.Errorf("README does not name the metric %s", name)
			continue
		}
		for _, m := range mentions {
			var got []string
			if m[1] != "" {
				got = strings.Split(strings.Trim(m[1], "{}"), ",")
			}
			slices.Sort(got)
			w := slices.Sorted(slices.Values(want))
			if !slices.Equal(got, w) {
				t.Errorf("README writes %s, the metric's labels are %v", m[0], want)
			}
		}
	}
}

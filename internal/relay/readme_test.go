package relay_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/relay"
)

// describing records the names of the metrics registered with it.
type describing struct{ names []string }

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (d *describing) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(ch); close(ch) }()
	for desc := range ch {
		if m := fqName.FindStringSubmatch(desc.String()); m != nil {
			d.names = append(d.names, m[1])
		}
	}
	return nil
}
func (d *describing) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = d.Register(c)
	}
}
func (d *describing) Unregister(prometheus.Collector) bool { return true }

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadmeNamesEveryMetric: an operator finds every metric the core exports in the README.
func TestReadmeNamesEveryMetric(t *testing.T) {
	reg := &describing{}
	newHarness(t, desk.Limits{}, func(o *relay.Options) { o.Registerer = reg })
	if len(reg.names) < 10 {
		t.Fatalf("only %d metrics described: %v", len(reg.names), reg.names)
	}
	doc := readme(t)
	for _, name := range reg.names {
		if !strings.Contains(doc, "`"+name) {
			t.Errorf("README does not name the metric %s", name)
		}
	}
}

// TestReadmeListsEveryCommand: every subcommand of the agents' reference has a row in the
// README's table of commands.
func TestReadmeListsEveryCommand(t *testing.T) {
	doc := readme(t)
	subs := 0
	for _, line := range strings.Split(catalog.English[catalog.Usage], "\n") {
		forms, ok := strings.CutPrefix(line, "• ")
		if !ok {
			continue
		}
		forms, _, _ = strings.Cut(forms, " — ")
		for _, form := range strings.Split(forms, " · ") {
			sub := strings.Fields(form)[0]
			subs++
			if !strings.Contains(doc, "| `/desk "+sub) && !strings.Contains(doc, ", `/desk "+sub) {
				t.Errorf("README's table of commands has no row for /desk %s", sub)
			}
		}
	}
	if subs < 15 {
		t.Errorf("only %d subcommands found in the reference", subs)
	}
}

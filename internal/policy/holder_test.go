package policy_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/policy"
)

// writeFile writes text to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestHolderReload changes the file under a Holder: a valid file replaces the policy; an
// invalid one, or one that is gone, leaves the old policy in place and says why.
func TestHolderReload(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "desk.yaml", "language: en\ncategories: [{name: Billing}]\n")
	h, err := policy.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if h.Path() != path || h.Policy().Language != policy.English {
		t.Fatalf("Open: path %q, policy %+v", h.Path(), h.Policy())
	}

	writeFile(t, dir, "desk.yaml", "language: ru\ncategories: [{name: Billing}, {name: Account}]\n")
	p, err := h.Reload()
	if err != nil {
		t.Fatalf("Reload of a valid file: %v", err)
	}
	if p != h.Policy() || h.Policy().Language != policy.Russian || len(h.Policy().Categories) != 2 {
		t.Errorf("after Reload the policy is %+v", h.Policy())
	}

	valid := h.Policy()
	writeFile(t, dir, "desk.yaml", "language: de\nintake: {timeout: soon}\n")
	p, err = h.Reload()
	var pe *policy.Error
	if !errors.As(err, &pe) || p != nil {
		t.Fatalf("Reload of an invalid file = %v, %v; want a *policy.Error", p, err)
	}
	if len(pe.Problems) != 2 || !strings.Contains(err.Error(), path+":1: language:") || !strings.Contains(err.Error(), path+":2: intake.timeout:") {
		t.Errorf("Reload's error does not list both problems with the file and line:\n%v", err)
	}
	if h.Policy() != valid {
		t.Errorf("an invalid file replaced the policy: %+v", h.Policy())
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Reload(); err == nil || !strings.Contains(err.Error(), "desk.yaml") {
		t.Errorf("Reload of a missing file: %v", err)
	}
	if h.Policy() != valid {
		t.Errorf("a missing file replaced the policy: %+v", h.Policy())
	}
}

// TestHolderOpen checks Open without a file (Default, nothing to reload) and with an invalid
// one (refused, so the desk does not start on it).
func TestHolderOpen(t *testing.T) {
	h, err := policy.Open("")
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Policy(); got.Intake.Enabled || got.Hours != nil || got.Satisfaction.Ask != policy.AskOnResolve {
		t.Errorf("without a file the policy is %+v, want Default", got)
	}
	if _, err := h.Reload(); !errors.Is(err, policy.ErrNoFile) {
		t.Errorf("Reload without a file: %v, want ErrNoFile", err)
	}

	bad := writeFile(t, t.TempDir(), "desk.yaml", "colour: red\n")
	if h, err := policy.Open(bad); err == nil || h != nil {
		t.Errorf("Open of an invalid file = %v, %v", h, err)
	}

	p := policy.Default()
	if h := policy.NewHolder(p); h.Policy() != p || h.Path() != "" {
		t.Errorf("NewHolder holds %p, path %q; want %p and none", h.Policy(), h.Path(), p)
	}
}

// TestHolderConcurrent reads the policy from many goroutines while it is reloaded, valid and
// invalid in turn (the race detector watches): every read sees a whole policy, one of the
// valid files'.
func TestHolderConcurrent(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "desk.yaml", "categories: [{name: A}]\n")
	h, err := policy.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				p := h.Policy()
				if n := len(p.Categories); n != 1 && n != 2 {
					t.Errorf("read a policy with %d categories", n)
					return
				}
			}
		}()
	}
	var reloaders sync.WaitGroup
	for range 2 {
		reloaders.Add(1)
		go func() {
			defer reloaders.Done()
			for range 20 {
				_, _ = h.Reload()
			}
		}()
	}
	texts := []string{"categories: [{name: A}, {name: B}]\n", "categories: [{name: A}, {name: a}]\n", "categories: [{name: A}]\n"}
	for i := range 30 {
		// Write a new file and rename it over the old one, as editors and config managers do,
		// so that a reload never reads half a file.
		tmp := writeFile(t, dir, "next.yaml", texts[i%len(texts)])
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
		_, _ = h.Reload()
	}
	reloaders.Wait()
	close(stop)
	readers.Wait()
	if n := len(h.Policy().Categories); n != 1 && n != 2 {
		t.Errorf("final policy has %d categories", n)
	}
}

// TestDesk: what the engine's rules read of a policy: the file's categories and questions for
// the bot and the Tag form, its language, its intake and auto-close of resolved tickets; without
// a file, the settings' categories and nothing else.
func TestDesk(t *testing.T) {
	p, err := policy.Load("../../manifests/desk.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := p.Desk([]string{"General"})
	if len(d.Intake.Categories) != len(p.Categories) || len(d.Categories) != len(p.Categories) || !d.Intake.Enabled ||
		d.Intake.Timeout != p.Intake.Timeout || d.ResolvedClose != p.AutoClose.ResolvedClose || d.Language != string(p.Language) {
		t.Errorf("desk policy %+v from %+v", d, p)
	}
	for i, c := range p.Categories {
		dc := d.Intake.Categories[i]
		if dc.Name != c.Name || len(dc.Questions) != len(c.Questions) {
			t.Errorf("category %d: %+v, want %+v", i, dc, c)
		}
		for j, q := range c.Questions {
			if dq := dc.Questions[j]; dq.ID != q.ID || dq.Ask != q.Ask || dq.Required != q.Required || len(dq.Choices) != len(q.Choices) {
				t.Errorf("question %s: %+v", q.ID, dq)
			}
		}
	}
	if d.PendingNudge != 3*24*time.Hour || d.PendingResolve != 7*24*time.Hour || len(d.Canned) != len(p.Canned) ||
		d.Rating.Ask != desk.RatingOnResolve || d.Rating.RemindAfter != 24*time.Hour ||
		d.Rating.Question["ru"] != p.Satisfaction.Question[policy.Russian] || d.Rating.Question["en"] == "" {
		t.Errorf("auto-close, canned replies and rating: %+v", d)
	}
	if d.Hours == nil || d.Zone != p.Hours.Location || d.SLA.RemindAt != p.SLA.RemindAt || len(d.SLA.Targets) != len(p.SLA.Targets) {
		t.Errorf("hours and SLA: %+v", d)
	}
	for pr, want := range p.SLA.Targets {
		if got := d.SLA.For(pr); got.FirstResponse != want.FirstResponse || got.NextResponse != want.NextResponse ||
			got.Resolution != want.Resolution || got.BusinessHours != want.BusinessHours {
			t.Errorf("SLA of %s: %+v, want %+v", pr, got, want)
		}
	}
	none := policy.Default().Desk([]string{"General", "Billing"})
	if none.Intake.Enabled || none.ResolvedClose != 0 || none.PendingNudge != 0 || none.Rating.RemindAfter != 0 || len(none.Categories) != 2 ||
		none.Hours != nil || len(none.SLA.Targets) != 0 {
		t.Errorf("without a file: %+v", none)
	}
}

package sandbox

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/threadesk/threadesk/internal/desk"
)

// A file over the sandbox's own limit is refused in the page, before any upload, with its
// name and the limit; the text typed stays and goes out without it.
func TestPageRefusesFilesOverTheLimit(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxUpload = 10 << 20 })
	f.user(t, "Ada", RoleCustomer)
	p, _ := openPage(t, f)
	q := strconv.Quote
	pane := `[data-testid="dm-pane"][data-selected="true"] `
	dir := t.TempDir()
	big := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(big, make([]byte, 10<<20+1), 0o644); err != nil {
		t.Fatal(err)
	}
	toasts := `[...document.querySelectorAll('[data-testid="error"]')].map(e => e.firstChild.textContent).join(" | ")`

	p.Do("attach a file over 10 MB", chromedp.SetUploadFiles(chromedp.CSS(pane+`[data-testid="dm-file"]`), []string{big}))
	p.WaitFor("the refusal", toasts+` !== ""`)
	if got, want := p.Eval(toasts), "big.bin is larger than the 10 MB the sandbox accepts."; got != want {
		t.Errorf("toast = %q, want %q", got, want)
	}
	if got := p.Eval(`document.querySelector(` + q(pane+`[data-testid="dm-file"]`) + `).files.length + "/" + document.querySelector(` + q(pane+`.attach .names`) + `).textContent`); got != "0/" {
		t.Errorf("after the refusal the file input holds %s (count/name), want it empty", got)
	}
	p.Do("send the text",
		chromedp.SendKeys(chromedp.CSS(pane+`[data-testid="dm-input"]`), "the bill is attached"),
		chromedp.Click(chromedp.CSS(pane+`[data-testid="dm-send"]`)),
	)
	if ev := f.event(t, desk.CustomerMessage); ev.Text != "the bill is attached" || len(ev.Files) != 0 {
		t.Errorf("sent %+v, want the text without the file", ev)
	}

	// Two files each under the limit but over it together are refused at sending, the text kept.
	half := filepath.Join(dir, "half.bin")
	if err := os.WriteFile(half, make([]byte, 6<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.bin")
	if err := os.WriteFile(other, make([]byte, 6<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	p.Do("dismiss the toast", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('[data-testid="error"]').forEach(e => e.remove())`))
	p.Do("attach two files of 6 MB", chromedp.SetUploadFiles(chromedp.CSS(pane+`[data-testid="dm-file"]`), []string{half, other}))
	p.WaitFor("the refusal", toasts+` !== ""`)
	if got, want := p.Eval(toasts), "The files together are larger than the 10 MB the sandbox accepts in one message."; got != want {
		t.Errorf("toast = %q, want %q", got, want)
	}
	if n := len(f.ing.Events()); n != 1 {
		t.Errorf("%d events, want only the text message", n)
	}
}

package browsertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/threadesk/threadesk/internal/browsertest"
)

func TestNewDrivesAPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><p id="out"></p><script>document.getElementById("out").textContent = "ran " + (1 + 1);</script>`)
	}))
	t.Cleanup(srv.Close)

	ctx := browsertest.New(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	got, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("out")))
	if err != nil {
		t.Fatalf("read text: %v", err)
	}
	if want := "ran 2"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
}

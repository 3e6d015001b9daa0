package dashboard

import (
	"html"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestQueueLinksKeepTheFilter: the queue's Previous and Next page links and its CSV link, as
// the page writes them, lead to the same filter, each at its page.
func TestQueueLinksKeepTheFilter(t *testing.T) {
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	href := regexp.MustCompile(`<a href="([^"]*)"[^>]*data-testid="(prev|next|csv)"`)
	for _, tt := range []struct {
		name  string
		query string
		total int
		want  map[string]string // link: its address, absent when the page has none
	}{
		{"no filter, one page", "", 10, map[string]string{"csv": "/dashboard/tickets.csv"}},
		{"no filter, first of two", "", 60, map[string]string{"next": "/dashboard?page=2", "csv": "/dashboard/tickets.csv"}},
		{"no filter, second of two", "page=2", 60, map[string]string{"prev": "/dashboard", "csv": "/dashboard/tickets.csv"}},
		{"a filter, middle page", "status=new&status=pending&unassigned=1&q=a+%26+b%3D&page=2", 160, map[string]string{
			"prev": "/dashboard?q=a+%26+b%3D&status=new&status=pending&unassigned=1",
			"next": "/dashboard?page=3&q=a+%26+b%3D&status=new&status=pending&unassigned=1",
			"csv":  "/dashboard/tickets.csv?q=a+%26+b%3D&status=new&status=pending&unassigned=1",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			f := readFilter(q)
			data := queueData{Filter: f, Total: tt.total, Page: f.Page}
			data.Prev, data.Next, data.CSV = f.links(tt.total)
			var b strings.Builder
			if err := d.pages["en"].ExecuteTemplate(&b, "queue-rows", page{Data: data}); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, m := range href.FindAllStringSubmatch(b.String(), -1) {
				got[m[2]] = html.UnescapeString(m[1])
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("links %q, want %q", got, tt.want)
			}
			// Each link reads back as the same filter.
			for name, link := range got {
				u, err := url.Parse(link)
				if err != nil {
					t.Fatal(err)
				}
				back := readFilter(u.Query())
				back.Page = f.Page
				if !reflect.DeepEqual(back, f) {
					t.Errorf("the %s link %s reads as %+v, want %+v", name, link, back, f)
				}
			}
		})
	}
}

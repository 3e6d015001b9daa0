package dashboard

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// fileHref is the dashboard's address of a file in a ticket's history.
func fileHref(id desk.TicketID, fileID string) string {
	return "/dashboard/tickets/" + strconv.FormatInt(int64(id), 10) + "/files/" + url.PathEscape(fileID)
}

// file streams a file of a ticket's history from its platform, fetched with the app's own
// credentials: only to a signed-in agent (signedIn), and only a file that the ticket's
// transcript records, so that the route cannot fetch any other file the app can see. It is
// always a download (Content-Disposition: attachment, no sniffing): a customer's file is
// hostile input and must never render as a page of the dashboard's origin.
func (d *Dashboard) file(w http.ResponseWriter, r *http.Request) {
	id, err := ticketID(r)
	if err != nil {
		d.fail(w, r, desk.Errorf(desk.ENOTFOUND, "%s", d.text(catalog.DashNoSuchFile)))
		return
	}
	t, history, ok := d.ticketWithHistory(w, r, id)
	if !ok {
		return
	}
	want := r.PathValue("file")
	var f *desk.File
	for _, e := range history {
		for i := range e.Files {
			if e.Files[i].ID == want {
				f = &e.Files[i]
			}
		}
	}
	p, ok := d.platform(t.Platform)
	if f == nil || !ok {
		d.fail(w, r, desk.Errorf(desk.ENOTFOUND, "%s", d.text(catalog.DashNoSuchFile)))
		return
	}
	body, err := p.Download(r.Context(), *f)
	if errors.Is(err, desk.ErrNotFound) {
		d.fail(w, r, desk.Errorf(desk.ENOTFOUND, "%s", d.text(catalog.DashNoSuchFile)))
		return
	}
	if err != nil {
		d.log.Warn("fetch a file of a ticket", "platform", t.Platform, "ticket", int64(id), "file", f.ID, "err", err)
		d.fail(w, r, desk.Errorf(desk.EUNAVAILABLE, "%s", d.text(catalog.DashFileFailed)))
		return
	}
	defer body.Close()
	name := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, f.Name)
	if name == "" {
		name = "file"
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	if _, err := io.Copy(w, body); err != nil {
		d.log.Warn("send a file of a ticket", "platform", t.Platform, "ticket", int64(id), "file", f.ID, "err", err)
	}
}

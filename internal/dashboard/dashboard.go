// Package dashboard is the agents' web dashboard: sign-in through a link the chat app sends
// (/desk dashboard), the live queue of active tickets with filters and search, each ticket's
// whole history with the same actions as the buttons in chat, and CSV export.
//
// It holds no rules of its own: steps go to the ticket engine as events from the dashboard
// (desk.SourceDashboard), with the signed-in person as actor, so the card, the customer's
// notice and the history follow exactly as for a click in chat. Who may see it is the chat
// rule, asked of the platform at every request: agents (members of the triage channel), and
// among them the leads.
package dashboard

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/relay"
	"github.com/threadesk/threadesk/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Desk is what the dashboard asks of the ticket engine (relay.Relay).
type Desk interface {
	// Person says who someone is now, and whether they are an agent and a lead.
	Person(ctx context.Context, platform, userID string) (u desk.User, agent, lead bool, err error)
	// Do hands a step to the engine and returns its answer.
	Do(ctx context.Context, ev desk.Event) (string, error)
	// Stats computes the statistics of a period.
	Stats(ctx context.Context, from, to time.Time) (*relay.Stats, error)
}

// Languager is what a Desk may also tell: the desk's language (the policy's `language`, "en"
// or "ru"), which the pages are written in. Without it they are in English.
type Languager interface {
	Language() string
}

// Platforms is what a Desk may also give: the chat platforms by name, which the ticket page
// asks for the link to a ticket's thread (desk.Permalinker) and for the files in its history.
type Platforms interface {
	Platform(name string) (desk.Platform, bool)
}

// Options configure a Dashboard.
type Options struct {
	Store desk.Store
	Desk  Desk
	// PublicURL is where browsers reach the app; an https URL makes the session cookie
	// Secure and __Host- prefixed.
	PublicURL string
	// SessionTTL is how long a sign-in lasts (DASHBOARD_SESSION_TTL). Default 12h.
	SessionTTL time.Duration
	Logger     *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Dashboard serves the pages under /dashboard.
type Dashboard struct {
	opts    Options
	log     *slog.Logger
	pages   map[string]*template.Template // by language
	langs   map[string]*lang
	links   permalinks
	handler http.Handler
	live    *hub
	secure  bool
}

// New returns the dashboard. Close stops its live feed.
func New(opts Options) (*Dashboard, error) {
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	// The pages are parsed once, and each language's copy calls that language's catalog.
	langs := map[string]*lang{}
	for _, code := range catalog.Languages() {
		langs[code] = &lang{code: code, c: catalog.For(code), now: opts.Now}
	}
	base, err := template.New("").Funcs(funcs(langs["en"])).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for code, l := range langs {
		if pages[code], err = base.Clone(); err != nil {
			return nil, err
		}
		pages[code].Funcs(funcs(l))
	}
	u, _ := url.Parse(opts.PublicURL)
	d := &Dashboard{opts: opts, log: opts.Logger, pages: pages, langs: langs, secure: u != nil && u.Scheme == "https"}
	d.live = newHub(opts.Store, d.log)
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /dashboard/static/", http.StripPrefix("/dashboard/static/", cacheStatic(http.FileServerFS(static))))
	mux.HandleFunc("GET /dashboard/signin", d.signinPage)
	mux.HandleFunc("POST /dashboard/signin", d.signin)
	mux.HandleFunc("POST /dashboard/signout", d.signout)
	mux.HandleFunc("GET /dashboard", d.signedIn(d.queue))
	mux.HandleFunc("GET /dashboard/{$}", d.signedIn(d.queue))
	mux.HandleFunc("GET /dashboard/tickets.csv", d.signedIn(d.queueCSV))
	mux.HandleFunc("GET /dashboard/tickets/{id}", d.signedIn(d.ticket))
	mux.HandleFunc("POST /dashboard/tickets/{id}/{step}", d.signedIn(d.step))
	mux.HandleFunc("GET /dashboard/tickets/{id}/files/{file}", d.signedIn(d.file))
	mux.HandleFunc("GET /dashboard/events", d.signedIn(d.events))
	mux.HandleFunc("GET /dashboard/stats", d.signedIn(d.stats))
	mux.HandleFunc("GET /dashboard/stats.csv", d.signedIn(d.statsCSV))
	mux.HandleFunc("/dashboard/", func(w http.ResponseWriter, r *http.Request) {
		d.fail(w, r, desk.Errorf(desk.ENOTFOUND, "%s", d.text(catalog.DashNoSuchPage)))
	})
	// Every state-changing request must come from the dashboard's own pages: a form posted
	// from another site is refused (Sec-Fetch-Site, Origin).
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.fail(w, r, desk.Errorf(desk.EFORBIDDEN, "%s", d.text(catalog.DashCrossSite)))
	}))
	d.handler = headers(cop.Handler(mux))
	return d, nil
}

// Handler serves /dashboard and everything under it.
func (d *Dashboard) Handler() http.Handler { return d.handler }

// Close ends the live streams and the feed behind them.
func (d *Dashboard) Close() { d.live.close() }

// headers sets what every dashboard response carries: a strict Content-Security-Policy (only
// the app's own scripts, styles and connections; no frames), no caching of pages with ticket
// data, and no Referer (a sign-in link's token must not leave in one).
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		if !strings.HasPrefix(r.URL.Path, "/dashboard/static/") {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

// cacheStatic lets browsers keep the bundled scripts and styles for an hour.
func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// page is what every page template gets.
type page struct {
	Title  string
	Viewer *viewer
	Flash  string
	Error  string
	Data   any
}

// language is the language of the pages: the desk's, when the Desk tells it and the catalog
// has it; else English.
func (d *Dashboard) language() *lang {
	if l, ok := d.opts.Desk.(Languager); ok {
		if code, ok := catalog.Match(l.Language()); ok && d.langs[code] != nil {
			return d.langs[code]
		}
	}
	return d.langs["en"]
}

// text is a catalog text in the pages' language; kv are its arguments as name, value pairs.
func (d *Dashboard) text(id string, kv ...any) string { return d.language().t(id, kv...) }

// render writes page name with status, in the desk's language.
func (d *Dashboard) render(w http.ResponseWriter, status int, name string, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The pages whose title is their name are named in the desk's language.
	switch name {
	case "queue.html":
		p.Title = d.text(catalog.DashQueue)
	case "stats.html":
		p.Title = d.text(catalog.DashStatistics)
	}
	w.Header().Set("Content-Language", d.language().code)
	w.WriteHeader(status)
	if err := d.pages[d.language().code].ExecuteTemplate(w, name, p); err != nil {
		d.log.Error("render dashboard page", "page", name, "err", err)
	}
}

// fail answers a request that cannot be served with a page saying why: the domain error's own
// message for a refusal, a fixed sentence for a failure on the app's side (its cause is for
// the logs).
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := web.Status(err)
	msg := desk.ErrorMessage(err)
	switch {
	case status == http.StatusServiceUnavailable:
		msg = d.text(catalog.DashUnavailable)
	case status >= 500:
		msg = d.text(catalog.DashFailed)
	}
	if status >= 500 {
		d.log.Error("dashboard request failed", "path", r.URL.Path, "err", err)
	}
	d.render(w, status, "error.html", page{Title: "Threadesk", Error: msg})
}

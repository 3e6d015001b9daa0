package sandbox

import (
	"embed"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

// Limits of what the page may send.
const (
	maxJSONBody  = 256 << 10 // one API request without a file
	maxInputText = 40000     // runes in one message, as on Slack; more than MaxText, so splitting shows
	maxName      = 64        // runes in a person's name
	maxCommand   = 4000      // runes of slash-command arguments
	// ingestTimeout bounds one hand-over to the ingester, so that a stuck store shows in the
	// page as an error instead of a spinner.
	ingestTimeout = 10 * time.Second
)

//go:embed web
var webFS embed.FS

// Handler serves the page, its live stream, its files and its JSON API, all under /sandbox.
// Mount it for both "/sandbox" and "/sandbox/". State-changing requests from other origins are
// refused (http.CrossOriginProtection), so that no web page can act in the sandbox.
func (s *Sandbox) Handler() http.Handler {
	static, err := fs.Sub(webFS, "web")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sandbox", s.servePage)
	mux.Handle("GET /sandbox/{$}", http.RedirectHandler("/sandbox", http.StatusMovedPermanently))
	mux.Handle("GET /sandbox/static/", http.StripPrefix("/sandbox/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /sandbox/stream", s.serveStream)
	mux.HandleFunc("GET /sandbox/files/{id}", s.serveFile)
	mux.HandleFunc("GET /sandbox/api/state", s.serveState)
	mux.HandleFunc("POST /sandbox/api/users", s.createUser)
	mux.HandleFunc("POST /sandbox/api/messages", s.sendMessage)
	mux.HandleFunc("POST /sandbox/api/messages/{id}/edit", s.editMessage)
	mux.HandleFunc("POST /sandbox/api/messages/{id}/delete", s.deleteMessage)
	mux.HandleFunc("POST /sandbox/api/messages/{id}/retry", s.retryMessage)
	mux.HandleFunc("POST /sandbox/api/actions", s.pressAction)
	mux.HandleFunc("POST /sandbox/api/forms/{id}/submit", s.submitForm)
	mux.HandleFunc("POST /sandbox/api/forms/{id}/cancel", s.cancelForm)
	mux.HandleFunc("POST /sandbox/api/commands", s.runCommand)
	mux.HandleFunc("/sandbox/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, apiErr(http.StatusNotFound, desk.ENOTFOUND, "no such API route"))
	})
	return http.NewCrossOriginProtection().Handler(mux)
}

func (s *Sandbox) servePage(w http.ResponseWriter, r *http.Request) {
	page, err := webFS.ReadFile("web/index.html")
	if err != nil {
		writeError(w, apiErr(http.StatusInternalServerError, desk.EINTERNAL, "page missing"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(page)
}

func (s *Sandbox) serveState(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	snap := s.snapshot()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, snap)
}

// serveFile serves a shared file. Only raster images are shown inline; anything else is a
// download, so that an uploaded page or script never runs with the sandbox's origin.
func (s *Sandbox) serveFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f, ok := s.files[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		writeError(w, apiErr(http.StatusNotFound, desk.ENOTFOUND, "no such file"))
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	switch f.MimeType {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		h.Set("Content-Type", f.MimeType)
		h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": f.Name}))
	default:
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	}
	h.Set("Content-Length", strconv.Itoa(len(f.data)))
	_, _ = w.Write(f.data)
}

// apiError is a refused API request: its HTTP status and the JSON body
// {"error": message, "code": desk code, "fields": {field: problem}}.
type apiError struct {
	Status  int               `json:"-"`
	Code    string            `json:"code"`
	Message string            `json:"error"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func apiErr(status int, code, msg string) *apiError {
	return &apiError{Status: status, Code: code, Message: msg}
}

func invalid(msg string) *apiError { return apiErr(http.StatusBadRequest, desk.EINVALID, msg) }

// decodeJSON reads one JSON object of at most maxJSONBody bytes, with no unknown fields.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) *apiError {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return apiErr(http.StatusUnsupportedMediaType, desk.EINVALID, "send application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("bad JSON: more than one value")
	}
	return nil
}

func bodyError(err error) *apiError {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return apiErr(http.StatusRequestEntityTooLarge, desk.ETOOLARGE, "request body too large")
	}
	return invalid("bad request body: " + err.Error())
}

func writeError(w http.ResponseWriter, e *apiError) { writeJSON(w, e.Status, e) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// actAs takes the locks a page action holds (ingestMu, so that events reach the ingester in
// the order they happened, then mu) and resolves the acting user. For an unknown user it
// answers the request, releases both and reports false; otherwise the caller releases mu, and
// ingestMu once the event is ingested.
func (s *Sandbox) actAs(w http.ResponseWriter, id string) (*user, bool) {
	s.ingestMu.Lock()
	s.mu.Lock()
	u, e := s.knownUser(id)
	if e != nil {
		s.mu.Unlock()
		s.ingestMu.Unlock()
		writeError(w, e)
		return nil, false
	}
	return u, true
}

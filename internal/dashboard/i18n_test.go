package dashboard_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/dashboard"
	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/redisstore"
	"github.com/threadesk/threadesk/internal/redistest"
)

// langDesk is fakeDesk that also tells the desk's language and gives its platforms, as the
// relay does.
type langDesk struct {
	*fakeDesk
	lang      string
	platforms map[string]desk.Platform
}

func (d *langDesk) Language() string { return d.lang }

func (d *langDesk) Platform(name string) (desk.Platform, bool) {
	p, ok := d.platforms[name]
	return p, ok
}

// filePlatform is a platform that links threads and keeps files; any other call panics (the
// dashboard makes none).
type filePlatform struct {
	desk.Platform
	name  string
	files map[string][]byte
	asked []string
}

func (p *filePlatform) Name() string { return p.name }

func (p *filePlatform) Permalink(_ context.Context, channel, id string) (string, error) {
	return "https://chat.example.com/archives/" + channel + "/p" + strings.ReplaceAll(id, ".", ""), nil
}

func (p *filePlatform) Download(_ context.Context, f desk.File) (io.ReadCloser, error) {
	p.asked = append(p.asked, f.ID)
	b, ok := p.files[f.ID]
	if !ok {
		return nil, &desk.DeliveryError{Op: "download", Kind: desk.FailNotFound, Err: desk.ErrNotFound}
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// setupLang is setup's desk in language lang: ticket #1 on slack, with a thread and a history
// whose customer sent a file (F1) and whose status changed; ticket #2 on mattermost with a file
// of its own (F2); a signed-in agent A1 on slack.
func setupLang(t *testing.T, lang string) (http.Handler, *http.Cookie, *filePlatform) {
	t.Helper()
	st, err := redisstore.New(redistest.Client(t), redisstore.Options{Prefix: redistest.Prefix(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	if err := st.Apply(ctx,
		desk.SaveTicket{Ticket: desk.Ticket{ID: 1, Platform: "slack", Status: desk.StatusOpen, Customer: desk.User{ID: "U1", DisplayName: "Ада"},
			Subject: "Счёт", CreatedAt: now.Add(-3 * time.Hour), LastActivityAt: now, TriageChannel: "C1", ThreadID: "1700000000.000100"}},
		desk.SaveTicket{Ticket: desk.Ticket{ID: 2, Platform: "mattermost", Status: desk.StatusNew, Customer: desk.User{ID: "u9"}, Subject: "другая", CreatedAt: now}},
		desk.AppendEntry{Ticket: 1, Entry: desk.Entry{At: now, Kind: "customer", Author: "U1", Name: "Ада", Text: "вот счёт",
			Files: []desk.File{{ID: "F1", Name: "счёт <1>.pdf", MimeType: "application/pdf", Size: 2048, URL: "https://files.example.com/F1"}}}},
		desk.AppendEntry{Ticket: 1, Entry: desk.Entry{At: now, Kind: "status", Author: "A1", Name: "Агент", Text: "new → open"}},
		desk.AppendEntry{Ticket: 2, Entry: desk.Entry{At: now, Kind: "customer", Author: "u9", Text: "x", Files: []desk.File{{ID: "F2", Name: "other.txt"}}}},
		desk.PutSignin{Token: "tok", Person: desk.Person{Platform: "slack", UserID: "A1", Name: "A1"}},
		desk.PutSignin{Token: "tok2", Person: desk.Person{Platform: "slack", UserID: "A1", Name: "A1"}},
	); err != nil {
		t.Fatal(err)
	}
	slack := &filePlatform{name: "slack", files: map[string][]byte{"F1": []byte("%PDF-1.4 <html><script>alert(1)</script>")}}
	mm := &filePlatform{name: "mattermost", files: map[string][]byte{"F2": []byte("theirs")}}
	f := &langDesk{fakeDesk: &fakeDesk{agents: map[string]bool{"slack/A1": true}}, lang: lang,
		platforms: map[string]desk.Platform{"slack": slack, "mattermost": mm}}
	d, err := dashboard.New(dashboard.Options{Store: st, Desk: f, PublicURL: "https://desk.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	res := serve(d.Handler(), "POST", "/dashboard/signin", url.Values{"token": {"tok"}}, nil).Result()
	if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) != 1 {
		t.Fatalf("sign-in: %d %v", res.StatusCode, res.Cookies())
	}
	return d.Handler(), res.Cookies()[0], slack
}

// visibleText is what a page shows: its text without tags, scripts and attributes.
func visibleText(page string) string {
	page = regexp.MustCompile(`(?s)<script.*?</script>`).ReplaceAllString(page, " ")
	page = regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(page, " ")
	// Runs of ASCII white space are one space; a non-breaking one stays as written.
	return strings.TrimSpace(regexp.MustCompile(`[ \t\r\n]+`).ReplaceAllString(html.UnescapeString(page), " "))
}

// TestPagesInTheDesksLanguage renders every page in Russian and in English: each shows its
// key labels in the desk's language, and none of the other language's.
func TestPagesInTheDesksLanguage(t *testing.T) {
	pages := []struct {
		name, method, path string
		signedIn           bool
		status             int
		ru, en             []string
	}{
		{"signedout", "GET", "/dashboard", false, http.StatusUnauthorized,
			[]string{"Панель Threadesk", "Чтобы войти, выполните команду", "Перейти к содержимому"},
			[]string{"Threadesk dashboard", "To sign in, run", "Skip to content"}},
		{"signin", "GET", "/dashboard/signin?token=tok2", false, http.StatusOK,
			[]string{"Вход в Threadesk", "Ссылка выдана пользователю A1", "Войти как A1"},
			[]string{"Sign in to Threadesk", "This link was made for A1", "Sign in as A1"}},
		{"queue", "GET", "/dashboard?status=new&status=open", true, http.StatusOK,
			[]string{"Очередь", "Статистика", "Выйти", "Поиск", "Применить", "Сбросить", "2 заявки", "Скачать CSV", "Тема", "Клиент",
				"Исполнитель", "в работе", "новая", "обычный", "без исполнителя", "Страница 1", "3\u00a0ч"},
			[]string{"Queue", "Statistics", "Sign out", "Search", "Apply", "Clear", "2 tickets", "Download CSV", "Subject", "Customer",
				"Assignee", "open", "new", "normal", "unassigned", "Page 1", "3h"}},
		{"ticket", "GET", "/dashboard/tickets/1", true, http.StatusOK,
			[]string{"← Очередь", "Действия", "История", "Взять в работу", "Назначить", "Открыть ветку заявки (Slack)", "новая → в работе",
				"счёт <1>.pdf", "(2\u00a0КБ)", "Последняя активность", "Платформа"},
			[]string{"← Queue", "Actions", "History", "Claim", "Assign to", "Open the thread in Slack", "new → open",
				"счёт <1>.pdf", "(2 KB)", "Last activity", "Platform"}},
		{"stats", "GET", "/dashboard/stats?period=30d", true, http.StatusOK,
			[]string{"Статистика", "последние 30 дней", "Период", "открыто", "решено", "удовлетворённость (оценок: 0)", "Динамика",
				"Открытые заявки по категориям", "Скачать CSV"},
			[]string{"Statistics", "the last 30 days", "Period", "opened", "resolved", "satisfaction (0 ratings)", "Over time",
				"Opened by category", "Download CSV"}},
		{"error", "GET", "/dashboard/nowhere", false, http.StatusNotFound,
			[]string{"Такой страницы нет.", "Вернуться к очереди"},
			[]string{"There is no such page.", "Back to the queue"}},
		{"no ticket", "GET", "/dashboard/tickets/99", true, http.StatusNotFound,
			[]string{"Заявки #99 нет."},
			[]string{"There is no ticket #99."}},
		{"signed out", "POST", "/dashboard/signout", true, http.StatusOK,
			[]string{"Вы вышли из панели."},
			[]string{"You are signed out."}},
	}
	for _, lang := range []string{"ru", "en"} {
		t.Run(lang, func(t *testing.T) {
			h, c, _ := setupLang(t, lang)
			for _, p := range pages {
				t.Run(p.name, func(t *testing.T) {
					var cookie *http.Cookie
					if p.signedIn {
						cookie = c
					}
					req := serve(h, p.method, p.path, nil, cookie)
					if req.Code != p.status {
						t.Fatalf("%d, want %d", req.Code, p.status)
					}
					body := req.Body.String()
					if !strings.Contains(body, `<html lang="`+lang+`">`) {
						t.Errorf("the page is not marked lang=%q", lang)
					}
					text := visibleText(body)
					want, other := p.ru, p.en
					if lang == "en" {
						want, other = p.en, p.ru
					}
					for _, s := range want {
						if !strings.Contains(text, s) {
							t.Errorf("no %q on the page:\n%s", s, text)
						}
					}
					for _, s := range other {
						if s == "счёт <1>.pdf" || s == "Платформа" && lang == "ru" {
							continue
						}
						if regexp.MustCompile(`(^|[^\pL])` + regexp.QuoteMeta(s) + `($|[^\pL])`).MatchString(text) {
							t.Errorf("%q of the other language on the page:\n%s", s, text)
						}
					}
				})
			}
		})
	}
}

// TestFiles: a file of a ticket's history is fetched through the dashboard only: never
// without a session, only a file the ticket's transcript records (not another ticket's), and
// always as a download the browser will not sniff or render.
func TestFiles(t *testing.T) {
	h, c, slack := setupLang(t, "en")
	if rec := serve(h, "GET", "/dashboard/tickets/1/files/F1", nil, nil); rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), "PDF") {
		t.Errorf("no session: %d %q", rec.Code, rec.Body.String())
	}
	for _, path := range []string{"/dashboard/tickets/1/files/F2", "/dashboard/tickets/1/files/F9", "/dashboard/tickets/99/files/F1", "/dashboard/tickets/x/files/F1"} {
		if rec := serve(h, "GET", path, nil, c); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, rec.Code)
		}
	}
	if len(slack.asked) != 0 {
		t.Errorf("the platform was asked for %v before any file of the ticket", slack.asked)
	}
	rec := serve(h, "GET", "/dashboard/tickets/1/files/F1", nil, c)
	if rec.Code != http.StatusOK || rec.Body.String() != "%PDF-1.4 <html><script>alert(1)</script>" {
		t.Fatalf("the file: %d %q", rec.Code, rec.Body.String())
	}
	hd := rec.Header()
	if got := hd.Get("Content-Disposition"); !strings.HasPrefix(got, "attachment;") || !strings.Contains(got, "filename*=utf-8''%D1%81%D1%87%D1%91%D1%82") {
		t.Errorf("Content-Disposition %q", got)
	}
	if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("headers %v", hd)
	}
	if !strings.Contains(hd.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("CSP %q", hd.Get("Content-Security-Policy"))
	}
	// The ticket page links the file through the dashboard, never the platform's own address.
	page := serve(h, "GET", "/dashboard/tickets/1", nil, c).Body.String()
	if !strings.Contains(page, `href="/dashboard/tickets/1/files/F1"`) || strings.Contains(page, "files.example.com") {
		t.Errorf("the ticket page's file link:\n%s", page)
	}
	if !strings.Contains(page, `href="https://chat.example.com/archives/C1/p1700000000000100"`) {
		t.Errorf("the ticket page has no link to the thread:\n%s", page)
	}
}

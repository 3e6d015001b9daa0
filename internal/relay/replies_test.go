package relay_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/relay"
)

var cannedReplies = []desk.Canned{
	{Name: "restart", Text: "Hi {customer}, please restart the app. {agent}, {ticket}", Set: desk.Changes{Status: desk.StatusPending, Tags: []string{"needs-info"}}},
	{Name: "fixed", Text: "Fixed, {customer}.", Set: desk.Changes{Status: desk.StatusResolved, Priority: desk.PriorityHigh}},
}

// replyDesk is a desk with canned replies, articles and its own metrics registry.
func replyDesk(t *testing.T) (*deskHarness, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	d := newDesk(t, func(o *relay.Options) {
		p := desk.Policy{Canned: cannedReplies}
		o.Policy = func() desk.Policy { return p }
		o.Articles = testArticles
		o.Registerer = reg
	})
	return d, reg
}

// relayed are the messages posted in channel (and thread) as someone, oldest first.
func (d *deskHarness) relayed(channel, thread string) []string {
	var out []string
	for _, m := range d.p.Messages(channel, thread) {
		if m.As != "" {
			out = append(out, m.As+": "+m.Text)
		}
	}
	return out
}

func TestSendArticle(t *testing.T) {
	d, reg := replyDesk(t)
	tk := d.open("U1")
	got := d.command("A1", "C-TRIAGE", "send "+fmt.Sprint(int64(tk.ID))+" reset-password")
	if !strings.Contains(got, "Sent article reset-password to the customer of ticket "+tk.ID.String()) {
		t.Errorf("answer %q", got)
	}
	d.drain()
	want := "Agent A1: Reset your password\nOpen the sign-in page and choose Forgot password."
	if dm := d.relayed("D-U1", ""); !slices.Equal(dm, []string{want}) {
		t.Errorf("the customer got %q, want the article as the agent's reply", dm)
	}
	if th := d.relayed("C-TRIAGE", tk.ThreadID); len(th) != 2 || th[1] != want {
		t.Errorf("the thread shows %q, want what the customer got", th)
	}
	after := d.ticket(tk.ID)
	if after.Status != desk.StatusOpen || after.FirstResponseAt.IsZero() || after.Assignee != "A1" {
		t.Errorf("after the article: %s, first response %v, assignee %q; want it the agent's answer", after.Status, after.FirstResponseAt, after.Assignee)
	}
	if n := metric(t, reg, "threadesk_replies_sent_total", "platform=fake", "name=reset-password", "kind=article"); n != 1 {
		t.Errorf("articles sent counted %v, want 1", n)
	}
	s, err := d.relay.Stats(context.Background(), d.clock.Now().Add(-time.Hour), d.clock.Now().Add(time.Second))
	if err != nil || s.Bot.ArticlesSent["reset-password"] != 1 {
		t.Errorf("statistics count %v articles sent (%v)", s.Bot.ArticlesSent, err)
	}
}

func TestCannedReply(t *testing.T) {
	d, reg := replyDesk(t)
	tk := d.open("U1")
	n := fmt.Sprint(int64(tk.ID))
	got := d.command("A2", "C-TRIAGE", "reply "+n+" RESTART")
	if !strings.Contains(got, "Sent the canned reply restart to the customer of ticket "+tk.ID.String()+"; the ticket is pending") {
		t.Errorf("answer %q", got)
	}
	d.drain()
	want := "Agent A2: Hi Customer U1, please restart the app. Agent A2, " + tk.ID.String()
	if dm := d.relayed("D-U1", ""); !slices.Equal(dm, []string{want}) {
		t.Errorf("the customer got %q, want %q", dm, want)
	}
	after := d.ticket(tk.ID)
	if after.Status != desk.StatusPending || !slices.Equal(after.Tags, []string{"needs-info"}) || after.Assignee != "A2" {
		t.Errorf("after the reply: %s %v %q; want pending, needs-info, A2's", after.Status, after.Tags, after.Assignee)
	}
	// The pending notice follows the reply in the customer's DM.
	if notes := d.notices("U1"); len(notes) == 0 || !strings.Contains(notes[len(notes)-1], "waiting") {
		t.Errorf("the customer's notices: %q", notes)
	}

	// A resolving reply: the rating question follows the reply.
	d.command("A2", "C-TRIAGE", "reply "+n+" fixed")
	d.drain()
	after = d.ticket(tk.ID)
	if after.Status != desk.StatusResolved || after.Priority != desk.PriorityHigh || after.RatingMessage.ID == "" {
		t.Errorf("after fixed: %s %s rating message %q", after.Status, after.Priority, after.RatingMessage.ID)
	}
	if n := metric(t, reg, "threadesk_replies_sent_total", "platform=fake", "name=restart", "kind=canned"); n != 1 {
		t.Errorf("canned replies sent counted %v, want 1", n)
	}
	s, _ := d.relay.Stats(context.Background(), d.clock.Now().Add(-time.Hour), d.clock.Now().Add(time.Second))
	if s.Bot.CannedSent["restart"] != 1 || s.Bot.CannedSent["fixed"] != 1 {
		t.Errorf("statistics count %v canned replies", s.Bot.CannedSent)
	}
	text := d.command("A1", "C-TRIAGE", "stats")
	if !strings.Contains(text, "Sent by agents: 0 articles, 2 canned replies (fixed 1 · restart 1)") {
		t.Errorf("/desk stats lacks the canned replies:\n%s", text)
	}
}

// TestRefusedRepliesSendNothing checks every way a send or reply is refused: the agent is
// told why, and the customer gets nothing.
func TestRefusedRepliesSendNothing(t *testing.T) {
	d, _ := replyDesk(t)
	tk := d.open("U1")
	n := fmt.Sprint(int64(tk.ID))
	for _, tt := range []struct{ by, text, want string }{
		{"A1", "reply " + n + " restrat", "There is no canned reply «restrat». The desk has: restart, fixed."},
		{"A1", "send " + n + " nope", "There is no article «nope»; /desk kb search WORDS finds one."},
		{"A1", "send 999 reset-password", "no ticket #999"},
		{"A1", "send " + n, "Usage: /desk send N ARTICLE-ID"},
		{"A1", "reply reset-password", "Usage: /desk reply N NAME"},
		{"U2", "send " + n + " reset-password", "is for support agents"},
	} {
		if got := d.command(tt.by, "C-TRIAGE", tt.text); !strings.Contains(strings.ToLower(got), strings.ToLower(tt.want)) {
			t.Errorf("%s: answer %q, want %q", tt.text, got, tt.want)
		}
	}
	d.drain()
	if dm := d.relayed("D-U1", ""); len(dm) != 0 {
		t.Errorf("the customer got %q", dm)
	}
	if got := d.ticket(tk.ID); got.Status != desk.StatusNew || !got.FirstResponseAt.IsZero() {
		t.Errorf("a refused reply changed the ticket: %s", got.Status)
	}
}

func TestKnowledgeBaseCommands(t *testing.T) {
	d, _ := replyDesk(t)
	got := d.command("A1", "C-TRIAGE", "kb search forgot my password")
	if !strings.Contains(got, "• reset-password — Reset your password (en)") || !strings.Contains(got, "«forgot my password»") {
		t.Errorf("kb search answered %q", got)
	}
	if got := d.command("A1", "C-TRIAGE", "kb search weather"); !strings.Contains(got, "No article answers") {
		t.Errorf("kb search for nothing answered %q", got)
	}
	got = d.command("A1", "C-TRIAGE", "kb show reset-password")
	if !strings.Contains(got, "reset-password (en, password): Reset your password\nOpen the sign-in page") {
		t.Errorf("kb show answered %q", got)
	}
	if got := d.command("A1", "C-TRIAGE", "kb list"); !strings.Contains(got, "Usage: /desk kb search words… | kb show ID") {
		t.Errorf("kb list answered %q", got)
	}

	// Without a knowledge base, the agent is told so.
	none := newDesk(t)
	if got := none.command("A1", "C-TRIAGE", "kb search password"); got != catalog.Default.Text(catalog.KBNotLoaded, nil) {
		t.Errorf("kb search without a base answered %q", got)
	}
}

// metric is the value of the counter name in reg with the labels given ("name=value"), 0 when
// it was never counted.
func metric(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var got []string
			for _, l := range m.GetLabel() {
				got = append(got, l.GetName()+"="+l.GetValue())
			}
			if slices.Equal(got, slices.Sorted(slices.Values(labels))) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestReplyForm: the card's Reply… button opens a form offering the articles suggested for the
// request and the canned replies; its submission sends the article as /desk send does; neither
// or both chosen is refused on the form; a customer cannot open it, nor a forged submission
// by someone who is not an agent send anything.
func TestReplyForm(t *testing.T) {
	d, _ := replyDesk(t)
	d.ingest(say("U1", nextID("m"), "I forgot my password"))
	tk := d.ticketOf("U1")
	if got := buttons(d.card(tk)); !slices.Contains(got, "reply") {
		t.Fatalf("card buttons %v, want Reply…", got)
	}
	if err := d.press("A1", "C-TRIAGE", tk.ThreadID, "reply", "1"); err != nil {
		t.Fatalf("open the reply form: %v", err)
	}
	forms := d.p.Forms()
	if len(forms) != 1 || forms[0].ID != "reply" || forms[0].Context != "1" || len(forms[0].Fields) != 2 {
		t.Fatalf("forms opened = %+v", forms)
	}
	article, canned := forms[0].Fields[0], forms[0].Fields[1]
	if article.Kind != "select" || !slices.Equal(article.Options, []string{"reset-password — Reset your password"}) ||
		canned.Kind != "select" || !slices.Equal(canned.Options, []string{"restart", "fixed"}) {
		t.Errorf("fields %+v", forms[0].Fields)
	}
	for _, values := range []map[string]string{{}, {"article": article.Options[0], "canned": "restart"}} {
		err := d.relay.Ingest(context.Background(), desk.Event{ID: nextID("form"), Platform: "fake", Kind: desk.FormSubmitted,
			User: desk.User{ID: "A1"}, Action: "reply", Value: "1", Form: values})
		var fe *desk.FormError
		if !errors.As(err, &fe) || fe.Fields["article"] != "Choose one: an article or a canned reply." {
			t.Errorf("reply form %v: %v, want it refused on the form", values, err)
		}
	}
	// A forged submission by a customer sends nothing.
	d.submit("U1", "reply", "1", map[string]string{"canned": "restart"})
	d.drain()
	if dm := d.relayed("D-U1", ""); len(dm) != 0 {
		t.Errorf("a customer's submission sent %q", dm)
	}
	d.submit("A1", "reply", "1", map[string]string{"article": article.Options[0]})
	d.drain()
	want := "Agent A1: Reset your password\nOpen the sign-in page and choose Forgot password."
	if dm := d.relayed("D-U1", ""); !slices.Equal(dm, []string{want}) {
		t.Errorf("the customer got %q, want the article as the agent's reply", dm)
	}
	_ = d.press("U1", "D-U1", "x", "reply", "1")
	if n := len(d.p.Forms()); n != 1 {
		t.Errorf("a customer opened a reply form")
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/mattermost/mattermosttest"
)

// The first-line bot on Mattermost, end to end: the built binary, started with a desk policy
// (DESK_CONFIG) and a knowledge base (KB_PATH), against the fake Mattermost of
// mattermosttest, which sends the app WebSocket events when people post and calls its
// /mattermost/actions and /mattermost/command as the server does when they click and type.

// TestMattermostBot runs the bot's stories, each on a binary and a server of its own; the
// binary is built once.
func TestMattermostBot(t *testing.T) {
	bin := buildBinary(t)
	t.Run("IntakeToAgents", func(t *testing.T) { t.Parallel(); testMattermostBotIntakeToAgents(t, bin) })
	t.Run("Solved", func(t *testing.T) { t.Parallel(); testMattermostBotSolved(t, bin) })
	t.Run("Russian", func(t *testing.T) { t.Parallel(); testMattermostBotRussian(t, bin) })
	t.Run("KnowledgeCommands", func(t *testing.T) { t.Parallel(); testMattermostBotKnowledgeCommands(t, bin) })
}

// testMattermostBotIntakeToAgents: the customer's first DM is answered with the article the
// knowledge base has for it, as an interactive message whose buttons call the app's
// /mattermost/actions with a signed context (a forged one is refused), and nothing reaches the
// triage channel; "I still need a person" leads to the categories, a category to its
// question, the typed answer to the ticket: its card shows the request, the answer and the
// article suggested, and the customer's messages follow in its thread, in order, each marked
// delivered in the DM.
func testMattermostBotIntakeToAgents(t *testing.T, bin string) {
	m := startMattermostBot(t, bin)
	w := m.w
	carol := w.Customer
	dm := w.DM(w.Bot.Id, carol.Id)

	first := w.UserPost(carol.Id, dm.Id, "", "my invoice is wrong")
	suggestions := mmBotPost(t, w, dm.Id, botHuman)
	if got, want := mmBotActions(suggestions), []string{"solved=1:find-invoices " + botSolved, "human=1 " + botHuman}; !slices.Equal(got, want) {
		t.Errorf("suggestion buttons: got %q, want %q", got, want)
	}
	text := mmAttachmentText(suggestions)
	for _, want := range []string{botInvoiceTitle, botInvoiceBody, botStillNeed} {
		if !strings.Contains(text, want) {
			t.Errorf("the suggestions say %q, want them to contain %q", text, want)
		}
	}
	for _, att := range suggestions.Attachments() {
		for _, b := range att.Actions {
			c := b.Integration.Context
			if b.Type != model.PostActionTypeButton || b.Integration.URL != m.url("/mattermost/actions") || c["sig"] == "" || c["sig"] == nil {
				t.Errorf("button %q: type %q, URL %q, context %v: want a button calling %s with a signed context", b.Name, b.Type, b.Integration.URL, c, m.url("/mattermost/actions"))
			}
		}
	}
	mmNoTriage(t, w, "while the bot suggests articles")

	// A click whose context was tampered with (another action and value under the same
	// signature) is refused, and changes nothing: the customer goes on below as if it had
	// never come, which a "that solved it" taken would have made impossible.
	human := mmBotAction(t, suggestions, botHuman)
	forged := maps.Clone(human.Integration.Context)
	forged["value"] = "1:find-invoices"
	forged["action"] = "solved"
	body, _ := json.Marshal(model.PostActionIntegrationRequest{UserId: carol.Id, ChannelId: dm.Id, PostId: suggestions.Id,
		TriggerId: mattermosttest.NewID(), Type: model.PostActionTypeButton, Context: forged})
	if got := m.post("/mattermost/actions", body); got != http.StatusForbidden {
		t.Errorf("a forged action context: got %d, want 403", got)
	}

	// "I still need a person": the suggestions keep their text, with the choice in place of
	// their buttons, and the categories are offered.
	m.click(carol.Id, suggestions, botHuman)
	categories := mmBotPost(t, w, dm.Id, "Billing")
	if got, want := mmBotActions(categories), []string{"category=1:Billing Billing", "category=1:Technical Technical", "skip=1 Skip"}; !slices.Equal(got, want) {
		t.Errorf("category buttons: got %q, want %q", got, want)
	}
	if text := mmAttachmentText(categories); !strings.Contains(text, "Billing — Invoices, payments, refunds") {
		t.Errorf("the categories message says %q, want each category with its description", text)
	}
	mmEventually(t, "the choice in place of the suggestions' buttons", func() (bool, string) {
		p := w.Post(suggestions.Id)
		text := mmAttachmentText(p)
		return strings.Contains(text, botInvoiceTitle) && strings.HasSuffix(text, "\n✔ "+botHuman) && len(mmBotActions(p)) == 0,
			fmt.Sprintf("%q %v", text, mmBotActions(p))
	})
	if got := w.Post(suggestions.Id).Attachments(); len(got) == 0 {
		t.Fatalf("the suggestions lost their attachment")
	}

	// The category: its question is asked.
	m.click(carol.Id, categories, "Billing")
	w.waitPost(t, dm.Id, "", botInvoiceAsk)
	mmNoTriage(t, w, "while the bot asks its question")

	// The typed answer: the ticket reaches the agents.
	answer := w.UserPost(carol.Id, dm.Id, "", "INV-42")
	card := w.card(t, 1)
	if got := mmAttachmentText(card); !strings.Contains(got, "my invoice is wrong") {
		t.Errorf("the card's text is %q, want the request's words", got)
	}
	for label, want := range map[string]string{"Category": "Billing", "Status": "new", botInvoiceAsk: "INV-42", botSuggested: botInvoiceHint} {
		if got := mmCardField(card, label); got != want {
			t.Errorf("card field %q = %q, want %q", label, got, want)
		}
	}
	mmEventually(t, "the customer's two messages in the thread, in order", func() (bool, string) {
		var got []string
		for _, p := range w.botPosts(w.Triage.Id, card.Id) {
			if strings.HasPrefix(p.Message, "**Carol Customer:** ") {
				got = append(got, p.Message)
			}
		}
		return slices.Equal(got, []string{"**Carol Customer:** my invoice is wrong", "**Carol Customer:** INV-42"}), fmt.Sprintf("%q", got)
	})
	w.waitReaction(t, first.Id, "white_check_mark")
	w.waitReaction(t, answer.Id, "white_check_mark")
	w.waitPost(t, dm.Id, "", "Thanks, we have received your message and opened ticket #1. An agent will answer here.")
	if got := mmRoots(w); len(got) != 1 {
		t.Errorf("triage channel: %d root posts, want the one card", len(got))
	}
}

// testMattermostBotSolved: a customer for whom the article was enough clicks "That solved it":
// the bot thanks them, and the request never reaches the triage channel.
func testMattermostBotSolved(t *testing.T, bin string) {
	m := startMattermostBot(t, bin)
	w := m.w
	// The first customer's request reaches the agents (they skip the categories), so the
	// channel is known to work.
	carolDM := w.DM(w.Bot.Id, w.Customer.Id)
	w.UserPost(w.Customer.Id, carolDM.Id, "", "do you have a dark mode?")
	m.click(w.Customer.Id, mmBotPost(t, w, carolDM.Id, "Skip"), "Skip")
	w.card(t, 1)

	dave, dm := w.customer("dave", "Dave", "Second")
	w.UserPost(dave.Id, dm.Id, "", "where is my invoice")
	suggestions := mmBotPost(t, w, dm.Id, botSolved)
	if got, want := mmBotActions(suggestions), []string{"solved=2:find-invoices " + botSolved, "human=2 " + botHuman}; !slices.Equal(got, want) {
		t.Fatalf("suggestion buttons: got %q, want %q", got, want)
	}
	m.click(dave.Id, suggestions, botSolved)
	w.waitPost(t, dm.Id, "", botThanks)
	mmEventually(t, "the choice in place of the suggestions' buttons", func() (bool, string) {
		p := w.Post(suggestions.Id)
		text := mmAttachmentText(p)
		return strings.HasSuffix(text, "\n✔ "+botSolved) && len(mmBotActions(p)) == 0, fmt.Sprintf("%q %v", text, mmBotActions(p))
	})

	// Give a card every chance to appear: none does, and the customer was told no number.
	time.Sleep(time.Second)
	roots := mmRoots(w)
	for _, p := range roots {
		for _, att := range p.Attachments() {
			if strings.Contains(att.Title, "Dave") {
				t.Errorf("a solved request reached the triage channel: %q", att.Title)
			}
		}
	}
	if len(roots) != 1 {
		t.Errorf("triage channel: %d root posts, want only the first customer's card", len(roots))
	}
	for _, p := range w.botPosts(dm.Id, "") {
		if strings.Contains(p.Message, "opened ticket") {
			t.Errorf("the customer whose question was solved was told of a ticket: %q", p.Message)
		}
	}
}

// testMattermostBotRussian: a customer whose Mattermost locale is "ru" meets the bot in
// Russian, buttons included; the agents' card stays in the desk's English.
func testMattermostBotRussian(t *testing.T, bin string) {
	m := startMattermostBot(t, bin)
	w := m.w
	ivan, dm := w.customer("ivan", "Иван", "Петров")
	w.SetLocale(ivan.Id, "ru")

	w.UserPost(ivan.Id, dm.Id, "", "Я забыл пароль и не могу войти")
	suggestions := mmBotPost(t, w, dm.Id, botHumanRU)
	if got, want := mmBotActions(suggestions), []string{"solved=1:reset-password-ru " + botSolvedRU, "human=1 " + botHumanRU}; !slices.Equal(got, want) {
		t.Errorf("suggestion buttons: got %q, want %q", got, want)
	}
	text := mmAttachmentText(suggestions)
	for _, want := range []string{"Как сбросить пароль?", botStillNeedRU} {
		if !strings.Contains(text, want) {
			t.Errorf("the suggestions say %q, want them to contain %q", text, want)
		}
	}

	m.click(ivan.Id, suggestions, botHumanRU)
	greeting := mmBotPost(t, w, dm.Id, botSkipRU)
	if text := mmAttachmentText(greeting); !strings.HasPrefix(text, botGreetingRU+", Иван Петров!") {
		t.Errorf("the categories are offered with %q, want a Russian greeting", text)
	}
	m.click(ivan.Id, greeting, botSkipRU)
	card := w.card(t, 1)
	if got := mmCardField(card, botSuggested); got != "Как сбросить пароль? (reset-password-ru)" {
		t.Errorf("card field %q = %q: the agents read English labels, the article by its title", botSuggested, got)
	}
	mmEventually(t, "the ticket's number, in Russian", func() (bool, string) {
		msgs := mmMessages(w.botPosts(dm.Id, ""))
		return slices.ContainsFunc(msgs, func(s string) bool { return strings.Contains(s, "открыли заявку #1") }), fmt.Sprintf("%q", msgs)
	})
}

// testMattermostBotKnowledgeCommands: an agent finds an article with /desk kb search and sends
// it with /desk send N ID, then sends a canned reply with /desk reply N NAME: each reaches the
// customer's DM as the agent's reply and the ticket's thread as the agent's, the canned reply
// sets its status, and the command is answered privately.
func testMattermostBotKnowledgeCommands(t *testing.T, bin string) {
	m := startMattermostBot(t, bin)
	w := m.w
	carol, alex := w.Customer, w.Agent
	dm := w.DM(w.Bot.Id, carol.Id)

	// Nothing in the knowledge base answers this: the bot offers the categories straight
	// away, and a category without questions hands the ticket over.
	w.UserPost(carol.Id, dm.Id, "", "do you have a dark mode?")
	categories := mmBotPost(t, w, dm.Id, "Technical")
	if slices.ContainsFunc(mmBotActions(categories), func(s string) bool { return strings.HasPrefix(s, "solved=") }) {
		t.Errorf("articles were suggested for a question none answers: %v", mmBotActions(categories))
	}
	m.click(carol.Id, categories, "Technical")
	card := w.card(t, 1)

	m.run(alex.Id, w.Triage.Id, "kb search where are my invoices", "• find-invoices — Where can I find my invoices? (en)")

	m.run(alex.Id, w.Triage.Id, "send 1 find-invoices", "Sent article find-invoices to the customer of ticket #1.")
	mmBotReplied(t, w, dm.Id, card.Id, "**Alex the Agent:** ", botInvoiceTitle, botInvoiceBody)

	m.run(alex.Id, w.Triage.Id, "reply 1 restart", "Sent the canned reply restart to the customer of ticket #1; the ticket is pending.")
	mmBotReplied(t, w, dm.Id, card.Id, "**Alex the Agent:** ", "Hi Carol Customer, please restart the app and tell me if it helps.")
	mmEventually(t, "the card pending, Alex its assignee", func() (bool, string) {
		now := w.Post(card.Id)
		got := mmCardField(now, "Status") + " " + mmCardField(now, "Assignee")
		return got == "pending Alex the Agent", got
	})

	// A customer may not send articles.
	m.run(carol.Id, dm.Id, "send 1 find-invoices", "for support agents")
}

// mattermostBot is the built binary talking to a fake Mattermost.
type mattermostBot struct {
	*botBinary
	w *mmWorld
}

// startMattermostBot starts a fake Mattermost with the usual cast and the binary on it, with
// the bot's desk files, and waits for the binary's WebSocket.
func startMattermostBot(t *testing.T, bin string) *mattermostBot {
	t.Helper()
	w := mmNewWorld(t)
	deskConfig, kbPath := botDeskFiles(t)
	dialled := w.Dialled()
	b := startBotBinary(t, bin, map[string]string{
		"MATTERMOST_URL":            w.URL,
		"MATTERMOST_TOKEN":          mattermosttest.BotToken,
		"MATTERMOST_TEAM":           "support",
		"MATTERMOST_TRIAGE_CHANNEL": "triage",
		"MATTERMOST_COMMAND_TOKEN":  mmCommandToken,
		"DESK_CONFIG":               deskConfig,
		"KB_PATH":                   kbPath,
	})
	mmEventually(t, "the binary's WebSocket", func() (bool, string) {
		return w.Dialled() > dialled && w.SocketCount() > 0, fmt.Sprintf("%d sockets", w.SocketCount())
	})
	return &mattermostBot{botBinary: b, w: w}
}

// post sends a JSON body to one of the binary's endpoints, as anyone on the network could,
// and returns the status.
func (m *mattermostBot) post(path string, body []byte) int {
	m.t.Helper()
	resp, err := m.client.Post(m.url(path), "application/json", strings.NewReader(string(body)))
	if err != nil {
		m.t.Fatalf("POST %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// click has user press the button named name on post p through the fake server, which calls
// the button's integration URL with its context, and wants it accepted.
func (m *mattermostBot) click(user string, p *model.Post, name string) {
	m.t.Helper()
	b := mmBotAction(m.t, p, name)
	res, err := m.w.Click(context.Background(), user, p.Id, b.Id)
	if err != nil || res.Status != http.StatusOK {
		m.t.Fatalf("click %q on %s: %+v, %v", name, p.Id, res, err)
	}
}

// run has user run /desk text in channel through the fake server and waits for the private
// answer the binary posts to the command's response URL, which must contain want.
func (m *mattermostBot) run(user, channel, text, want string) {
	m.t.Helper()
	before := len(m.w.CommandResponses())
	status, _, err := m.w.RunCommand(context.Background(), mattermosttest.Command{
		URL: m.url("/mattermost/command"), Token: mmCommandToken, Trigger: "/desk", UserID: user, Channel: channel, Text: text,
	})
	if err != nil || status != http.StatusOK {
		m.t.Fatalf("/desk %s: %d, %v", text, status, err)
	}
	cr := m.w.hook(m.t, before+1)
	if cr.ResponseType != model.CommandResponseTypeEphemeral || !strings.Contains(cr.Text, want) {
		m.t.Errorf("/desk %s answered %s %q, want an ephemeral answer containing %q", text, cr.ResponseType, cr.Text, want)
	}
}

// mmBotPost waits for the bot's post in channel with a button named name.
func mmBotPost(t *testing.T, w *mmWorld, channel, name string) *model.Post {
	t.Helper()
	var found *model.Post
	mmEventually(t, "a post with the button "+name, func() (bool, string) {
		posts := w.botPosts(channel, "")
		for _, p := range posts {
			for _, b := range mmBotActions(p) {
				if strings.HasSuffix(b, " "+name) {
					found = p
					return true, ""
				}
			}
		}
		var texts []string
		for _, p := range posts {
			texts = append(texts, p.Message+mmAttachmentText(p))
		}
		return false, fmt.Sprintf("%q", texts)
	})
	return found
}

// mmBotActions lists a post's buttons as "action=value name", from their contexts.
func mmBotActions(p *model.Post) []string {
	var out []string
	for _, att := range p.Attachments() {
		for _, b := range att.Actions {
			var c map[string]any
			if b.Integration != nil {
				c = b.Integration.Context
			}
			out = append(out, fmt.Sprintf("%v=%v %s", c["action"], c["value"], b.Name))
		}
	}
	return out
}

// mmBotAction is the button of a post named name.
func mmBotAction(t *testing.T, p *model.Post, name string) *model.PostAction {
	t.Helper()
	for _, att := range p.Attachments() {
		for _, b := range att.Actions {
			if b.Name == name && b.Integration != nil {
				return b
			}
		}
	}
	t.Fatalf("post %s has no button %q: %q", p.Id, name, mmBotActions(p))
	return nil
}

// mmAttachmentText is the text of a post's attachments.
func mmAttachmentText(p *model.Post) string {
	var parts []string
	for _, att := range p.Attachments() {
		parts = append(parts, att.Text)
	}
	return strings.Join(parts, "\n")
}

// mmRoots is the triage channel's root posts: the cards.
func mmRoots(w *mmWorld) []*model.Post {
	var out []*model.Post
	for _, p := range w.ChannelPosts(w.Triage.Id) {
		if p.RootId == "" {
			out = append(out, p)
		}
	}
	return out
}

// mmNoTriage fails the test if anything was posted in the triage channel.
func mmNoTriage(t *testing.T, w *mmWorld, when string) {
	t.Helper()
	if got := w.ChannelPosts(w.Triage.Id); len(got) != 0 {
		t.Errorf("%s, the triage channel has %d posts: %q", when, len(got), mmMessages(got))
	}
}

// mmBotReplied waits for one bot post in the customer's DM and one in the ticket's thread
// that start with prefix (the agent's name) and contain every one of parts.
func mmBotReplied(t *testing.T, w *mmWorld, dm, root, prefix string, parts ...string) {
	t.Helper()
	matching := func(posts []*model.Post) int {
		n := 0
		for _, p := range posts {
			ok := strings.HasPrefix(p.Message, prefix)
			for _, part := range parts {
				ok = ok && strings.Contains(p.Message, part)
			}
			if ok {
				n++
			}
		}
		return n
	}
	mmEventually(t, fmt.Sprintf("%.40q in the DM and the thread", parts[0]), func() (bool, string) {
		inDM, inThread := w.botPosts(dm, ""), w.botPosts(w.Triage.Id, root)
		return matching(inDM) == 1 && matching(inThread) == 1, fmt.Sprintf("DM %q; thread %q", mmMessages(inDM), mmMessages(inThread))
	})
}

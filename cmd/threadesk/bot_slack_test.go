package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

// The first-line bot on Slack, end to end: the built binary, started with a desk policy
// (DESK_CONFIG) and a knowledge base (KB_PATH), driven by the fake Slack of slacktest with
// signed Events API callbacks, block_actions payloads and slash commands, its own messages
// delivered back to it as Slack does.

// TestSlackBot runs the bot's stories, each on a binary and a workspace of its own; the binary
// is built once.
func TestSlackBot(t *testing.T) {
	bin := buildBinary(t)
	t.Run("IntakeToAgents", func(t *testing.T) { t.Parallel(); testSlackBotIntakeToAgents(t, bin) })
	t.Run("Solved", func(t *testing.T) { t.Parallel(); testSlackBotSolved(t, bin) })
	t.Run("Russian", func(t *testing.T) { t.Parallel(); testSlackBotRussian(t, bin) })
	t.Run("KnowledgeCommands", func(t *testing.T) { t.Parallel(); testSlackBotKnowledgeCommands(t, bin) })
}

// testSlackBotIntakeToAgents: the customer's first DM is answered with the article the
// knowledge base has for it, as Block Kit buttons, and nothing reaches the triage channel;
// "I still need a person" leads to the categories, a category to its question, the typed
// answer to the ticket: its card shows the request, the answer and the article suggested, and
// the customer's messages follow in its thread, in order, each marked delivered in the DM.
func testSlackBotIntakeToAgents(t *testing.T, bin string) {
	s := startSlackBot(t, bin, 1)
	cust := slackCustomer(1)
	dm := slackDM(cust)

	first := s.say("EvBotA1", cust, dm, "", "my invoice is wrong")
	suggestions := slackBotMessage(t, s.fake, dm, botHuman)
	if got, want := slackBotButtons(t, suggestions), []string{"solved=1:find-invoices " + botSolved, "human=1 " + botHuman}; !slices.Equal(got, want) {
		t.Errorf("suggestion buttons: got %q, want %q", got, want)
	}
	text := slackSectionText(t, suggestions)
	for _, want := range []string{botInvoiceTitle, botInvoiceBody, botStillNeed} {
		if !strings.Contains(text, want) {
			t.Errorf("the suggestions say %q, want them to contain %q", text, want)
		}
	}
	slackNoTriage(t, s.fake, "while the bot suggests articles")

	// "I still need a person": the suggestions keep their text, with the choice in place of
	// their buttons, and the categories are offered (Slack wants action_ids unique within a
	// block: the second category's carries a suffix).
	s.click(cust, suggestions, botHuman)
	categories := slackBotMessage(t, s.fake, dm, "Billing")
	if got, want := slackBotButtons(t, categories), []string{"category=1:Billing Billing", "category~1=1:Technical Technical", "skip=1 Skip"}; !slices.Equal(got, want) {
		t.Errorf("category buttons: got %q, want %q", got, want)
	}
	if text := slackSectionText(t, categories); !strings.Contains(text, "Billing — Invoices, payments, refunds") {
		t.Errorf("the categories message says %q, want each category with its description", text)
	}
	slackEventually(t, "the choice in place of the suggestions' buttons", func() (bool, string) {
		m, _ := s.fake.Message(dm, suggestions.TS)
		return strings.Contains(m.Text, botInvoiceTitle) && strings.HasSuffix(m.Text, "\n✔ "+botHuman) && len(slackButtons(t, m)) == 0,
			fmt.Sprintf("%q %v", m.Text, slackButtons(t, m))
	})

	// The category: its question is asked.
	s.click(cust, categories, "Billing")
	slackEventually(t, "the category's question", func() (bool, string) {
		return len(slackWithText(slackFromApp(s.fake, dm), botInvoiceAsk)) == 1, slackTexts(s.fake.Messages(dm))
	})
	slackNoTriage(t, s.fake, "while the bot asks its question")

	// The typed answer: the ticket reaches the agents.
	answer := s.say("EvBotA2", cust, dm, "", "INV-42")
	card := slackCard(t, s.fake, cust)
	if got := slackSectionText(t, card); !strings.Contains(got, "my invoice is wrong") {
		t.Errorf("the card's text is %q, want the request's words", got)
	}
	for label, want := range map[string]string{"Category": "Billing", "Status": "new", botInvoiceAsk: "INV-42", botSuggested: botInvoiceHint} {
		if got := slackField(t, card, label); got != want {
			t.Errorf("card field %q = %q, want %q", label, got, want)
		}
	}
	slackEventually(t, "the customer's two messages in the thread, in order", func() (bool, string) {
		var got []string
		for _, m := range slackReplies(s.fake, slacktest.Triage, card.TS) {
			if m.Username == cust.DisplayName {
				got = append(got, m.Text)
			}
		}
		return slices.Equal(got, []string{"my invoice is wrong", "INV-42"}), fmt.Sprintf("%q", got)
	})
	slackEventually(t, "both messages marked delivered, and the ticket's number in the DM", func() (bool, string) {
		a, _ := s.fake.Message(dm, first.TS)
		b, _ := s.fake.Message(dm, answer.TS)
		opened := slackWithText(slackFromApp(s.fake, dm), "Thanks, we have received your message and opened ticket #1. An agent will answer here.")
		return slices.Equal(a.Reactions, []string{"white_check_mark"}) && slices.Equal(b.Reactions, []string{"white_check_mark"}) && len(opened) == 1,
			fmt.Sprintf("marks %v %v; DM %s", a.Reactions, b.Reactions, slackTexts(s.fake.Messages(dm)))
	})
	if got := slackTopLevel(s.fake); len(got) != 1 {
		t.Errorf("triage channel: %d top-level messages, want the one card: %s", len(got), slackTexts(got))
	}
}

// testSlackBotSolved: a customer for whom the article was enough clicks "That solved it": the
// bot thanks them, and the request never reaches the triage channel.
func testSlackBotSolved(t *testing.T, bin string) {
	s := startSlackBot(t, bin, 2)
	// The first customer's request reaches the agents (they skip the categories), so the
	// channel is known to work.
	one := slackCustomer(1)
	s.say("EvBotS1", one, slackDM(one), "", "do you have a dark mode?")
	s.click(one, slackBotMessage(t, s.fake, slackDM(one), "Skip"), "Skip")
	slackCard(t, s.fake, one)

	cust := slackCustomer(2)
	dm := slackDM(cust)
	s.say("EvBotS2", cust, dm, "", "where is my invoice")
	suggestions := slackBotMessage(t, s.fake, dm, botSolved)
	if got, want := slackBotButtons(t, suggestions), []string{"solved=2:find-invoices " + botSolved, "human=2 " + botHuman}; !slices.Equal(got, want) {
		t.Fatalf("suggestion buttons: got %q, want %q", got, want)
	}
	s.click(cust, suggestions, botSolved)
	slackEventually(t, "the bot's thanks, and the choice in place of the buttons", func() (bool, string) {
		m, _ := s.fake.Message(dm, suggestions.TS)
		thanks := slackWithText(slackFromApp(s.fake, dm), botThanks)
		return len(thanks) == 1 && strings.HasSuffix(m.Text, "\n✔ "+botSolved) && len(slackButtons(t, m)) == 0,
			fmt.Sprintf("DM %s; suggestions now %q %v", slackTexts(s.fake.Messages(dm)), m.Text, slackButtons(t, m))
	})

	// Give a card every chance to appear: none does, and the customer was told no number.
	time.Sleep(time.Second)
	for _, m := range slackTopLevel(s.fake) {
		if strings.Contains(m.Text, cust.DisplayName) {
			t.Errorf("a solved request reached the triage channel: %q", m.Text)
		}
	}
	if got := len(slackTopLevel(s.fake)); got != 1 {
		t.Errorf("triage channel: %d top-level messages, want only the first customer's card: %s", got, slackTexts(slackTopLevel(s.fake)))
	}
	if got := slackContaining(slackFromApp(s.fake, dm), "opened ticket"); len(got) != 0 {
		t.Errorf("the customer whose question was solved was told of a ticket: %s", slackTexts(got))
	}
}

// testSlackBotRussian: a customer whose Slack locale is ru-RU (users.info with include_locale)
// meets the bot in Russian, buttons included; the agents' card stays in the desk's English.
func testSlackBotRussian(t *testing.T, bin string) {
	s := startSlackBot(t, bin, 0)
	cust := slackCustomer(3)
	cust.Locale = "ru-RU"
	s.fake.AddUser(cust)
	dm := slackDM(cust)

	s.say("EvBotR1", cust, dm, "", "Я забыл пароль и не могу войти")
	suggestions := slackBotMessage(t, s.fake, dm, botHumanRU)
	if got, want := slackBotButtons(t, suggestions), []string{"solved=1:reset-password-ru " + botSolvedRU, "human=1 " + botHumanRU}; !slices.Equal(got, want) {
		t.Errorf("suggestion buttons: got %q, want %q", got, want)
	}
	text := slackSectionText(t, suggestions)
	for _, want := range []string{"Как сбросить пароль?", botStillNeedRU} {
		if !strings.Contains(text, want) {
			t.Errorf("the suggestions say %q, want them to contain %q", text, want)
		}
	}
	if slices.ContainsFunc(s.fake.Calls("users.info"), func(c slacktest.Call) bool {
		return c.Args["user"] == cust.ID && c.Args["include_locale"] != "true"
	}) {
		t.Errorf("users.info was asked about the customer without include_locale=true")
	}

	s.click(cust, suggestions, botHumanRU)
	greeting := slackBotMessage(t, s.fake, dm, botSkipRU)
	if text := slackSectionText(t, greeting); !strings.HasPrefix(text, botGreetingRU+", Customer 3!") {
		t.Errorf("the categories are offered with %q, want a Russian greeting", text)
	}
	s.click(cust, greeting, botSkipRU)
	card := slackCard(t, s.fake, cust)
	if got := slackField(t, card, botSuggested); got != "Как сбросить пароль? (reset-password-ru)" {
		t.Errorf("card field %q = %q: the agents read English labels, the article by its title", botSuggested, got)
	}
	slackEventually(t, "the ticket's number, in Russian", func() (bool, string) {
		return len(slackContaining(slackFromApp(s.fake, dm), "открыли заявку #1")) == 1, slackTexts(s.fake.Messages(dm))
	})
}

// testSlackBotKnowledgeCommands: an agent finds an article with /desk kb search and sends it
// with /desk send N ID, then sends a canned reply with /desk reply N NAME: each reaches the
// customer's DM as the agent's reply and the ticket's thread as the agent's, the canned reply
// sets its status, and the command is answered privately.
func testSlackBotKnowledgeCommands(t *testing.T, bin string) {
	s := startSlackBot(t, bin, 1)
	cust := slackCustomer(1)
	dm := slackDM(cust)

	// Nothing in the knowledge base answers this: the bot offers the categories straight
	// away, and a category without questions hands the ticket over.
	s.say("EvBotK1", cust, dm, "", "do you have a dark mode?")
	categories := slackBotMessage(t, s.fake, dm, "Technical")
	if slackHasButtons(t, categories, "solved") {
		t.Errorf("articles were suggested for a question none answers: %v", slackButtons(t, categories))
	}
	s.click(cust, categories, "Technical")
	card := slackCard(t, s.fake, cust)

	s.run(slackAnn, slacktest.Triage, "kb search where are my invoices", "• find-invoices — Where can I find my invoices? (en)")

	s.run(slackAnn, slacktest.Triage, "send 1 find-invoices", "Sent article find-invoices to the customer of ticket #1.")
	slackBotReplied(t, s.fake, dm, card.TS, slackAnn, botInvoiceTitle, botInvoiceBody)

	s.run(slackAnn, slacktest.Triage, "reply 1 restart", "Sent the canned reply restart to the customer of ticket #1; the ticket is pending.")
	slackBotReplied(t, s.fake, dm, card.TS, slackAnn, "Hi Customer 1, please restart the app and tell me if it helps.")
	slackEventually(t, "the card pending, Ann its assignee", func() (bool, string) {
		now := slackCardNow(s.fake, card)
		got := slackField(t, now, "Status") + " " + slackField(t, now, "Assignee")
		return got == "pending Ann", got
	})

	// A customer may not send articles.
	s.run(cust, dm, "send 1 find-invoices", "for support agents")
}

// slackBot is the built binary talking to a fake Slack.
type slackBot struct {
	*botBinary
	fake *slacktest.Server
}

// startSlackBot starts a workspace with customers 1..customers and the binary on it, with the
// bot's desk files, and has the fake deliver the app's own messages back to it.
func startSlackBot(t *testing.T, bin string, customers int) *slackBot {
	t.Helper()
	fake := slackWorkspace(t, customers)
	deskConfig, kbPath := botDeskFiles(t)
	b := startBotBinary(t, bin, map[string]string{
		"SLACK_BOT_TOKEN":      slacktest.BotToken,
		"SLACK_SIGNING_SECRET": slackSecret,
		"SLACK_TRIAGE_CHANNEL": "#triage",
		"SLACK_API_URL":        fake.APIURL(),
		"SLACK_POST_RATE":      "0",
		"DESK_CONFIG":          deskConfig,
		"KB_PATH":              kbPath,
	})
	s := &slackBot{botBinary: b, fake: fake}
	fake.OnEvent(func(body []byte) {
		if b.stopped.Load() {
			return
		}
		if got := s.post("/slack/events", body); got != http.StatusOK && !b.stopped.Load() {
			t.Errorf("echo of the app's own message: got %d, want 200", got)
		}
	})
	return s
}

// post sends body to path signed as Slack signs it, and returns the status (0 when the
// request failed).
func (s *slackBot) post(path string, body []byte) int {
	r, err := slacktest.NewRequest(s.url(path), slackSecret, body, time.Now())
	if err != nil {
		return 0
	}
	resp, err := s.client.Do(r)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// must sends body to path and fails the test unless it is acknowledged.
func (s *slackBot) must(path string, body []byte) {
	s.t.Helper()
	if got := s.post(path, body); got != http.StatusOK {
		s.t.Fatalf("POST %s: got %d, want 200", path, got)
	}
}

// say records a message of user in the fake and delivers its event.
func (s *slackBot) say(eventID string, user slacktest.User, channel, thread, text string) slacktest.Message {
	s.t.Helper()
	m := s.fake.UserMessage(channel, user.ID, text, thread)
	s.must("/slack/events", s.fake.MessageEvent(eventID, m, slackChannelType(channel)))
	return m
}

// click has user press the button labelled label on message m: the block_actions payload of
// that button's action_id and value, signed.
func (s *slackBot) click(user slacktest.User, m slacktest.Message, label string) {
	s.t.Helper()
	for _, b := range slackBlocks(s.t, m) {
		if b["type"] != "actions" {
			continue
		}
		for _, e := range b["elements"].([]any) {
			el := e.(map[string]any)
			if text, _ := el["text"].(map[string]any); text["text"] == label {
				s.must("/slack/interactivity", slacktest.Form(s.fake.BlockAction(user, m, el["action_id"].(string), el["value"].(string))))
				return
			}
		}
	}
	s.t.Fatalf("message %s has no button %q: %q", m.TS, label, slackBotButtons(s.t, m))
}

// run has user run /desk text in channel and waits for the private answer on the command's
// response_url, which must contain want.
func (s *slackBot) run(user slacktest.User, channel, text, want string) {
	s.t.Helper()
	form := s.fake.SlashCommand(user, channel, "/desk", text)
	s.must("/slack/commands", []byte(form.Encode()))
	slackEventually(s.t, "the answer to /desk "+text, func() (bool, string) {
		for _, r := range s.fake.Responses() {
			if r.URL == form.Get("response_url") {
				body := fmt.Sprint(r.Body["text"])
				return r.Body["response_type"] == "ephemeral" && strings.Contains(body, want), fmt.Sprintf("%v: %q", r.Body["response_type"], body)
			}
		}
		return false, "no answer yet"
	})
}

// slackBotMessage waits for the app's message in channel with a button labelled label.
func slackBotMessage(t *testing.T, fake *slacktest.Server, channel, label string) slacktest.Message {
	t.Helper()
	var found slacktest.Message
	slackEventually(t, "a message with the button "+label, func() (bool, string) {
		for _, m := range slackFromApp(fake, channel) {
			for _, b := range slackBotButtons(t, m) {
				if strings.HasSuffix(b, " "+label) {
					found = m
					return true, ""
				}
			}
		}
		return false, slackTexts(fake.Messages(channel))
	})
	return found
}

// slackBotButtons lists a message's Block Kit buttons as "action_id=value label", failing the
// test on an element of an actions block that is not a button.
func slackBotButtons(t *testing.T, m slacktest.Message) []string {
	t.Helper()
	var out []string
	for _, b := range slackBlocks(t, m) {
		if b["type"] != "actions" {
			continue
		}
		for _, e := range b["elements"].([]any) {
			el := e.(map[string]any)
			text, _ := el["text"].(map[string]any)
			if el["type"] != "button" || text["type"] != "plain_text" {
				t.Errorf("message %s: an actions element %v is not a button with a plain_text label", m.TS, el)
			}
			out = append(out, fmt.Sprintf("%v=%v %v", el["action_id"], el["value"], text["text"]))
		}
	}
	return out
}

// slackSectionText is the text of a message's first section block.
func slackSectionText(t *testing.T, m slacktest.Message) string {
	t.Helper()
	for _, b := range slackBlocks(t, m) {
		if text, ok := b["text"].(map[string]any); ok && b["type"] == "section" {
			return fmt.Sprint(text["text"])
		}
	}
	return ""
}

// slackTopLevel is the triage channel's messages that are not thread replies: the cards.
func slackTopLevel(fake *slacktest.Server) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range fake.Messages(slacktest.Triage) {
		if m.Thread == "" || m.Thread == m.TS {
			out = append(out, m)
		}
	}
	return out
}

// slackNoTriage fails the test if anything was posted in the triage channel.
func slackNoTriage(t *testing.T, fake *slacktest.Server, when string) {
	t.Helper()
	if got := fake.Messages(slacktest.Triage); len(got) != 0 {
		t.Errorf("%s, the triage channel has %d messages: %s", when, len(got), slackTexts(got))
	}
	if got := fake.Calls("chat.postMessage"); slices.ContainsFunc(got, func(c slacktest.Call) bool { return c.Args["channel"] == slacktest.Triage }) {
		t.Errorf("%s, the app posted in the triage channel", when)
	}
}

// slackBotReplied waits for one message of agent's (under the agent's name) in the
// customer's DM and one in the ticket's thread, each containing every one of parts.
func slackBotReplied(t *testing.T, fake *slacktest.Server, dm, thread string, agent slacktest.User, parts ...string) {
	t.Helper()
	containing := func(msgs []slacktest.Message) []slacktest.Message {
		for _, part := range parts {
			msgs = slackContaining(msgs, part)
		}
		return msgs
	}
	slackEventually(t, fmt.Sprintf("%.40q in the DM and the thread", parts[0]), func() (bool, string) {
		inDM := containing(slackFromApp(fake, dm))
		inThread := containing(slackReplies(fake, slacktest.Triage, thread))
		ok := len(inDM) == 1 && len(inThread) == 1 && inDM[0].Username == agent.DisplayName && inThread[0].Username == agent.DisplayName
		return ok, fmt.Sprintf("DM %s; thread %s", slackTexts(fake.Messages(dm)), slackTexts(fake.Thread(slacktest.Triage, thread)))
	})
}

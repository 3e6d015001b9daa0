package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/mattermost"
)

// A customer's DM opens a ticket with a card in the triage channel; messages go both ways with
// their authors' names and delivery marks; notes stay; edits, deletions and files are mirrored
// both ways; a reply as long as Mattermost allows arrives whole.
func TestMattermostConversation(t *testing.T) {
	w := mmNewWorld(t)
	mmStart(t, w, mmConfig(t, w))
	dm := w.DM(w.Bot.Id, w.Customer.Id)

	first := w.UserPost(w.Customer.Id, dm.Id, "", "My printer is on fire")
	card := w.card(t, 1)
	if got, want := mmCardFieldRaw(card, "Customer"), "[Carol Customer]("+w.URL+"/support/messages/@carol)"; got != want {
		t.Errorf("card's customer field = %q, want a link to the customer: %q", got, want)
	}
	if got, want := card.Attachments()[0].Title, "Ticket #1 · Carol Customer"; got != want {
		t.Errorf("card title = %q, want %q", got, want)
	}
	if got := mmCardField(card, "Status"); got != "new" {
		t.Errorf("card status = %q, want new", got)
	}
	copyFirst := w.waitPost(t, w.Triage.Id, card.Id, "**Carol Customer:** My printer is on fire")
	w.waitPost(t, dm.Id, "", "Thanks, we have received your message and opened ticket #1. An agent will answer here.")
	w.waitReaction(t, first.Id, "white_check_mark")

	// The agent's reply reaches the DM with the agent's name, and is marked delivered.
	reply := w.UserPost(w.Agent.Id, w.Triage.Id, card.Id, "Please step away from it.")
	copyReply := w.waitPost(t, dm.Id, "", "**Alex the Agent:** Please step away from it.")
	w.waitReaction(t, reply.Id, "white_check_mark")
	if got := copyReply.GetProp("override_username"); got != "Alex the Agent" {
		t.Errorf("override_username = %v, want the agent's name", got)
	}

	// Mattermost's rate limit answers 429 once: the reply still arrives, once.
	w.RateLimit(1)
	w.UserPost(w.Agent.Id, w.Triage.Id, card.Id, "Rate limited, but here.")
	w.waitPost(t, dm.Id, "", "**Alex the Agent:** Rate limited, but here.")

	// A note stays in the channel, marked.
	note := w.UserPost(w.Agent.Id, w.Triage.Id, card.Id, "// customer sounds calm")
	w.waitReaction(t, note.Id, "memo")

	// Edits both ways.
	w.UserEdit(first.Id, "My printer is on fire!!")
	w.waitPost(t, w.Triage.Id, card.Id, "**Carol Customer:** My printer is on fire!!")
	w.UserEdit(reply.Id, "Please step away from it, now.")
	w.waitPost(t, dm.Id, "", "**Alex the Agent:** Please step away from it, now.")

	// Files both ways, byte for byte.
	fromCustomer := bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 0, 1, 2, 0xff}, 4096)
	fileC := w.AddFile(w.Customer.Id, dm.Id, "smoke.png", fromCustomer)
	w.UserPostFiles(w.Customer.Id, dm.Id, "", "a photo", fileC)
	fromAgent := []byte("step 1: unplug it\x00\x01\x02")
	fileA := w.AddFile(w.Agent.Id, w.Triage.Id, "steps.txt", fromAgent)
	w.UserPostFiles(w.Agent.Id, w.Triage.Id, card.Id, "", fileA)
	mmWaitFile(t, w, w.Triage.Id, card.Id, "smoke.png", fromCustomer)
	mmWaitFile(t, w, dm.Id, "", "steps.txt", fromAgent)

	// Deletions both ways.
	w.UserDelete(first.Id)
	mmEventually(t, "the customer's deleted message gone from the thread", func() (bool, string) {
		p := w.Post(copyFirst.Id)
		return p.DeleteAt != 0, p.Message
	})
	w.UserDelete(reply.Id)
	mmEventually(t, "the agent's deleted reply gone from the DM", func() (bool, string) {
		p := w.Post(copyReply.Id)
		return p.DeleteAt != 0, p.Message
	})

	// A reply of 16,383 characters, the most Mattermost takes, arrives whole: in parts that
	// each fit, which together are the reply.
	var b strings.Builder
	for i := 0; b.Len() < 16383; i++ {
		fmt.Fprintf(&b, "word%d ", i)
	}
	long := b.String()[:16383]
	before := len(w.botPosts(dm.Id, ""))
	w.UserPost(w.Agent.Id, w.Triage.Id, card.Id, long)
	var parts []*model.Post
	mmEventually(t, "the long reply in the DM", func() (bool, string) {
		parts = w.botPosts(dm.Id, "")[before:]
		// Cut at spaces: the parts, with the space each cut fell on, are the reply.
		texts := make([]string, len(parts))
		for i, p := range parts {
			texts[i] = strings.TrimPrefix(p.Message, "**Alex the Agent:** ")
		}
		got := strings.Join(texts, " ")
		return got == long, fmt.Sprintf("%d parts, %d bytes", len(parts), len(got))
	})
	for _, p := range parts {
		if n := len([]rune(p.Message)); n > 16383 || !strings.HasPrefix(p.Message, "**Alex the Agent:** ") {
			t.Errorf("part of %d runes starting %.30q", n, p.Message)
		}
	}

	// Nothing leaked the other way: the DM holds only the app's messages to the customer,
	// never the note.
	for _, p := range w.ChannelPosts(dm.Id) {
		if strings.Contains(p.Message, "calm") {
			t.Errorf("the note reached the customer: %q", p.Message)
		}
	}
}

// mmWaitFile waits for a bot post carrying a file of that name in channel (thread), and checks
// its bytes.
func mmWaitFile(t *testing.T, w *mmWorld, channel, root, name string, want []byte) {
	t.Helper()
	mmEventually(t, "file "+name, func() (bool, string) {
		for _, p := range w.botPosts(channel, root) {
			for _, id := range p.FileIds {
				w.Mu.Lock()
				fi := w.FileInfos[id]
				w.Mu.Unlock()
				if fi != nil && fi.Name == name {
					if got := w.FileData(id); !bytes.Equal(got, want) {
						t.Fatalf("file %s has %d bytes, different from the %d sent", name, len(got), len(want))
					}
					return true, ""
				}
			}
		}
		return false, ""
	})
}

// Triage from Mattermost: the Claim button, the Tag dialog, /desk commands, a refused click
// answered where the agent sees it, resolution with the satisfaction question and its comment;
// forged requests and wrong command tokens change nothing.
func TestMattermostTriage(t *testing.T) {
	w := mmNewWorld(t)
	app := mmStart(t, w, mmConfig(t, w))
	ctx := context.Background()
	dm := w.DM(w.Bot.Id, w.Customer.Id)
	w.UserPost(w.Customer.Id, dm.Id, "", "I was charged twice")
	card := w.card(t, 1)

	// Claim.
	w.click(t, w.Agent.Id, card, "claim", "1")
	mmEventually(t, "the card to show the claim", func() (bool, string) {
		c := w.Post(card.Id)
		return mmCardField(c, "Status") == "open" && mmCardField(c, "Assignee") == "Alex the Agent", mmCardField(c, "Status") + " " + mmCardField(c, "Assignee")
	})
	w.waitPost(t, dm.Id, "", "Alex the Agent is now looking after your ticket #1.")

	// The claimed card offers no Claim any more (Mattermost takes no click on a button a post
	// no longer has; a refused step reaching an agent as a DM from the bot is the adapter's
	// test).
	for _, a := range w.Post(card.Id).Attachments()[0].Actions {
		if a.Integration != nil && a.Integration.Context["action"] == "claim" {
			t.Errorf("a claimed card still offers Claim")
		}
	}

	// Tag dialog: category, tags and priority.
	w.click(t, w.Agent.Id, w.Post(card.Id), "tag", "1")
	d := w.dialog(t, 1)
	if d.Dialog.CallbackId != "tag" || len(d.Dialog.Elements) != 3 || d.URL != app.Config.PublicURL+"/mattermost/dialogs" {
		t.Fatalf("tag dialog = %+v", d)
	}
	status, body, err := w.SubmitDialog(ctx, w.Agent.Id, d, map[string]any{"category": "Billing", "tags": "refund, vip", "priority": "high"})
	if err != nil || status != 200 {
		t.Fatalf("submit tag dialog: %d %s %v", status, body, err)
	}
	mmEventually(t, "the card to show the tags", func() (bool, string) {
		c := w.Post(card.Id)
		got := []string{mmCardField(c, "Category"), mmCardField(c, "Tags"), mmCardField(c, "Priority")}
		return slices.Equal(got, []string{"Billing", "refund, vip", "high"}), strings.Join(got, " | ")
	})

	// Assign… opens a person picker; the pick and /desk assign @name both find the agent.
	w.click(t, w.Agent.Id, w.Post(card.Id), "assign", "1")
	ad := w.dialog(t, 2)
	if el := ad.Dialog.Elements[0]; ad.Dialog.CallbackId != "assign" || el.DataSource != "users" || el.Default != w.Agent.Id {
		t.Fatalf("assign dialog = %+v", ad.Dialog)
	}
	if status, body, err := w.SubmitDialog(ctx, w.Agent.Id, ad, map[string]any{"agent": w.Admin.Id}); err != nil || status != 200 {
		t.Fatalf("submit assign dialog: %d %s %v", status, body, err)
	}
	mmEventually(t, "the card to show the admin", func() (bool, string) {
		a := mmCardField(w.Post(card.Id), "Assignee")
		return a == "Ada Admin", a
	})
	app.command(w.Admin.Id, w.Triage.Id, "assign 1 @alex")
	mmEventually(t, "the card to show the agent again", func() (bool, string) {
		a := mmCardField(w.Post(card.Id), "Assignee")
		return a == "Alex the Agent", a
	})

	// /desk commands answer privately through the response URL.
	if status, _ := app.command(w.Agent.Id, w.Triage.Id, "show 1"); status != 200 {
		t.Fatalf("/desk show: %d", status)
	}
	if cr := w.hook(t, 2); cr.ResponseType != "ephemeral" || !strings.Contains(cr.Text, "#1") || !strings.Contains(cr.Text, "Billing") {
		t.Errorf("/desk show 1 answered %+v", cr)
	}
	app.command(w.Agent.Id, w.Triage.Id, "priority 1 urgent")
	mmEventually(t, "priority urgent", func() (bool, string) {
		p := mmCardField(w.Post(card.Id), "Priority")
		return p == "urgent", p
	})
	app.command(w.Agent.Id, w.Triage.Id, "list")
	if cr := w.hook(t, 4); !strings.Contains(cr.Text, "#1") {
		t.Errorf("/desk list answered %q", cr.Text)
	}
	// A customer is no agent.
	app.command(w.Customer.Id, dm.Id, "resolve 1")
	if cr, want := w.hook(t, 5), catalog.Default.Text(catalog.NotAnAgent, map[string]any{"Command": "/desk resolve"}); cr.Text != want {
		t.Errorf("/desk resolve by a customer answered %q, want %q", cr.Text, want)
	}

	// Forged and unauthenticated requests are refused and change nothing.
	before := app.ticket(1)
	hooks := len(w.CommandResponses())
	if status, _ := app.commandWith("wrong-token", w.Agent.Id, w.Triage.Id, "close 1"); status != http.StatusUnauthorized {
		t.Errorf("command with a wrong token: %d, want 401", status)
	}
	if status, _ := app.commandWith("", w.Agent.Id, w.Triage.Id, "close 1"); status != http.StatusUnauthorized {
		t.Errorf("command without a token: %d, want 401", status)
	}
	forged, _ := json.Marshal(model.PostActionIntegrationRequest{UserId: w.Agent.Id, ChannelId: w.Triage.Id, PostId: card.Id, TriggerId: "t1",
		Context: map[string]any{"action": "close", "value": "1", "ticket": "", "sig": "AAAA"}})
	if status := app.post("/mattermost/actions", "application/json", nil, forged); status != http.StatusForbidden {
		t.Errorf("forged action: %d, want 403", status)
	}
	unsigned, _ := json.Marshal(model.PostActionIntegrationRequest{UserId: w.Agent.Id, ChannelId: w.Triage.Id, PostId: card.Id, TriggerId: "t2",
		Context: map[string]any{"action": "close", "value": "1"}})
	if status := app.post("/mattermost/actions", "application/json", nil, unsigned); status != http.StatusForbidden {
		t.Errorf("unsigned action: %d, want 403", status)
	}
	// A real button's context replayed with another action.
	ctxClaim := w.Post(card.Id).Attachments()[0].Actions[0].Integration.Context
	ctxClaim["action"] = "close"
	replayed, _ := json.Marshal(model.PostActionIntegrationRequest{UserId: w.Agent.Id, ChannelId: w.Triage.Id, PostId: card.Id, TriggerId: "t3", Context: ctxClaim})
	if status := app.post("/mattermost/actions", "application/json", nil, replayed); status != http.StatusForbidden {
		t.Errorf("altered action: %d, want 403", status)
	}
	forgedDialog, _ := json.Marshal(model.SubmitDialogRequest{CallbackId: "tag", State: "eyJmIjoidGFnIiwiYyI6IjEifQ.AAAA", UserId: w.Agent.Id, ChannelId: w.Triage.Id,
		Submission: map[string]any{"category": "General", "tags": "", "priority": "low"}})
	if status := app.post("/mattermost/dialogs", "application/json", nil, forgedDialog); status != http.StatusForbidden {
		t.Errorf("forged dialog: %d, want 403", status)
	}
	form := url.Values{"user_id": {w.Agent.Id}, "channel_id": {w.Triage.Id}, "text": {"close 1"}, "token": {"wrong-token"}}
	if status := app.post("/mattermost/command", "application/x-www-form-urlencoded", nil, []byte(form.Encode())); status != http.StatusUnauthorized {
		t.Errorf("command with a wrong form token: %d, want 401", status)
	}
	// Something the app does handle, to be sure the refusals above were not merely slow.
	app.command(w.Agent.Id, w.Triage.Id, "show 1")
	w.hook(t, hooks+1)
	after := app.ticket(1)
	if after.Status != before.Status || after.Priority != before.Priority || after.Category != before.Category || !slices.Equal(after.Tags, before.Tags) {
		t.Errorf("forged requests changed the ticket: %+v → %+v", before, after)
	}
	if got := len(w.CommandResponses()); got != hooks+1 {
		t.Errorf("%d command answers after the refused ones, want %d", got, hooks+1)
	}

	// Resolve: the customer is told and asked for a rating in their DM.
	w.click(t, w.Agent.Id, w.Post(card.Id), "resolve", "1")
	w.waitPost(t, dm.Id, "", "Ticket #1 is resolved. If anything is still wrong, just reply here and it will be reopened.")
	var question *model.Post
	mmEventually(t, "the rating question", func() (bool, string) {
		for _, p := range w.botPosts(dm.Id, "") {
			if len(p.Attachments()) > 0 && strings.Contains(p.Attachments()[0].Text, "How satisfied") {
				question = p
				return true, ""
			}
		}
		return false, ""
	})
	if n := len(question.Attachments()[0].Actions); n != 5 {
		t.Fatalf("rating question has %d buttons, want 5", n)
	}
	w.click(t, w.Customer.Id, question, "rate", "1:4")
	mmEventually(t, "the thanks in place of the question", func() (bool, string) {
		q := w.Post(question.Id)
		atts := q.Attachments()
		return len(atts) == 1 && atts[0].Text == "Thank you! You rated ticket #1 4/5." && len(atts[0].Actions) == 1, fmt.Sprintf("%+v", atts)
	})
	mmEventually(t, "the rating on the card", func() (bool, string) {
		r := mmCardField(w.Post(card.Id), "Satisfaction")
		return r == "4/5", r
	})

	// The comment button opens a dialog for the customer; the comment lands on the card.
	w.click(t, w.Customer.Id, w.Post(question.Id), "comment", "1")
	cd := w.dialog(t, 3)
	if cd.Dialog.CallbackId != "comment" || cd.Dialog.Elements[0].Type != "textarea" {
		t.Fatalf("comment dialog = %+v", cd.Dialog)
	}
	if status, body, err := w.SubmitDialog(ctx, w.Customer.Id, cd, map[string]any{"comment": "Fast and kind"}); err != nil || status != 200 {
		t.Fatalf("submit comment: %d %s %v", status, body, err)
	}
	mmEventually(t, "the comment on the card", func() (bool, string) {
		r := mmCardField(w.Post(card.Id), "Satisfaction")
		return r == "4/5: “Fast and kind”", r
	})
	if got := app.ticket(1); got.Rating != 4 || got.RatingComment != "Fast and kind" || got.Status != desk.StatusResolved || got.Assignee != w.Agent.Id {
		t.Errorf("ticket = %+v", got)
	}
}

// mmCustomerCopies returns the customer messages mirrored into a ticket's thread, in order,
// without the author prefix.
func mmCustomerCopies(w *mmWorld, card *model.Post, name string) []string {
	var out []string
	for _, p := range w.botPosts(w.Triage.Id, card.Id) {
		if text, ok := strings.CutPrefix(p.Message, "**"+name+":** "); ok {
			out = append(out, text)
		}
	}
	return out
}

// mmTicketCards returns the card of every ticket in the triage channel, by customer name.
func mmTicketCards(t *testing.T, w *mmWorld) map[string][]*model.Post {
	t.Helper()
	cards := map[string][]*model.Post{}
	for _, p := range w.ChannelPosts(w.Triage.Id) {
		if p.RootId != "" || p.UserId != w.Bot.Id || len(p.Attachments()) == 0 {
			continue
		}
		customer := mmCardField(p, "Customer")
		cards[customer] = append(cards[customer], p)
	}
	return cards
}

// mmWaitMirrored waits until every customer's thread holds exactly want (customer name →
// messages in order), each once, and checks there is one ticket per customer.
func mmWaitMirrored(t *testing.T, w *mmWorld, want map[string][]string) {
	t.Helper()
	mmEventually(t, "every message mirrored once, in order", func() (bool, string) {
		cards := mmTicketCards(t, w)
		for name, msgs := range want {
			if len(cards[name]) != 1 {
				return false, fmt.Sprintf("%s has %d cards", name, len(cards[name]))
			}
			got := mmCustomerCopies(w, cards[name][0], name)
			if !slices.Equal(got, msgs) {
				return false, fmt.Sprintf("%s: %q", name, got)
			}
		}
		return true, ""
	})
	cards := mmTicketCards(t, w)
	if len(cards) != len(want) {
		t.Errorf("%d customers have cards, want %d", len(cards), len(want))
	}
	for name := range want {
		if n := len(cards[name]); n != 1 {
			t.Errorf("%s has %d tickets, want 1", name, n)
		}
	}
}

// Twenty customers write ten messages each at the same time: each gets one ticket, and each
// thread holds that customer's messages exactly once, in the order written.
func TestMattermostConcurrentCustomers(t *testing.T) {
	w := mmNewWorld(t)
	cfg := mmConfig(t, w)
	// 20 cards and 200 messages share the triage channel: Mattermost's default 10 posts per
	// second would make this test take half a minute; the pacing is not what it is about.
	cfg.MattermostPostRate, cfg.MattermostPostBurst = 500, 100
	mmStart(t, w, cfg)

	const customers, messages = 20, 10
	want := map[string][]string{}
	type person struct {
		user *model.User
		dm   *model.Channel
	}
	var people []person
	for i := range customers {
		u, dm := w.customer(fmt.Sprintf("cust%02d", i), "Customer", fmt.Sprintf("%02d", i))
		people = append(people, person{u, dm})
		for j := range messages {
			want[fmt.Sprintf("Customer %02d", i)] = append(want[fmt.Sprintf("Customer %02d", i)], fmt.Sprintf("c%02d message %d", i, j))
		}
	}
	done := make(chan struct{})
	for i, p := range people {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := range messages {
				w.UserPost(p.user.Id, p.dm.Id, "", fmt.Sprintf("c%02d message %d", i, j))
			}
		}()
	}
	for range people {
		<-done
	}
	mmWaitMirrored(t, w, want)
	for _, p := range people {
		if acks := len(w.botPosts(p.dm.Id, "")); acks != 1 {
			t.Errorf("%s got %d messages from the app, want the one acknowledgement", p.user.Username, acks)
		}
	}
}

// The WebSocket drops and stays down while customers and agents write, edit and delete: once
// it is back, everything is mirrored exactly once.
func TestMattermostWebSocketDrop(t *testing.T) {
	w := mmNewWorld(t)
	mmStart(t, w, mmConfig(t, w))
	dm := w.DM(w.Bot.Id, w.Customer.Id)
	w.UserPost(w.Customer.Id, dm.Id, "", "before the drop")
	card := w.card(t, 1)
	w.waitPost(t, w.Triage.Id, card.Id, "**Carol Customer:** before the drop")
	early := w.UserPost(w.Agent.Id, w.Triage.Id, card.Id, "an early answer")
	earlyCopy := w.waitPost(t, dm.Id, "", "**Alex the Agent:** an early answer")

	dialled := w.Dialled()
	w.DropSockets(true)
	mmEventually(t, "a refused reconnect", func() (bool, string) { return w.Dialled() > dialled, "" })

	var sent []string
	for i := range 5 {
		msg := fmt.Sprintf("while away %d", i)
		w.UserPost(w.Customer.Id, dm.Id, "", msg)
		sent = append(sent, msg)
	}
	w.UserPost(w.Agent.Id, w.Triage.Id, card.Id, "answer while away")
	w.UserEdit(early.Id, "an early answer, edited while away")
	w.UserDelete(sent0(t, w, dm.Id, "while away 0"))
	w.AllowSockets()

	mmEventually(t, "the WebSocket back", func() (bool, string) { return w.SocketCount() == 1, "" })
	w.waitPost(t, dm.Id, "", "**Alex the Agent:** answer while away")
	mmEventually(t, "the edit mirrored", func() (bool, string) {
		m := w.Post(earlyCopy.Id).Message
		return m == "**Alex the Agent:** an early answer, edited while away", m
	})
	mmWaitMirrored(t, w, map[string][]string{"Carol Customer": append([]string{"before the drop"}, sent[1:]...)})

	// And the live path works again; an event the server sends twice has one effect.
	after := w.UserPost(w.Customer.Id, dm.Id, "", "after")
	w.Emit(model.WebsocketEventPosted, after)
	w.UserPost(w.Customer.Id, dm.Id, "", "last")
	mmWaitMirrored(t, w, map[string][]string{"Carol Customer": append(append([]string{"before the drop"}, sent[1:]...), "after", "last")})
	if got := mmMessages(w.botPosts(dm.Id, "")); len(got) != 3 {
		t.Errorf("DM holds %q, want the acknowledgement and two answers", got)
	}
}

// sent0 returns the ID of the customer's post with that message in a channel.
func sent0(t *testing.T, w *mmWorld, channel, msg string) string {
	t.Helper()
	for _, p := range w.ChannelPosts(channel) {
		if p.Message == msg && p.UserId != w.Bot.Id {
			return p.Id
		}
	}
	t.Fatalf("no post %q", msg)
	return ""
}

// The program is stopped in the middle of a burst and started again on the same Redis while
// customers keep writing: the catch-up and the durable queue deliver everything exactly once,
// in order.
func TestMattermostRestartDuringBurst(t *testing.T) {
	w := mmNewWorld(t)
	cfg := mmConfig(t, w)
	cfg.MattermostPostRate, cfg.MattermostPostBurst = 500, 100
	first := mmStart(t, w, cfg)

	const customers, messages = 5, 16
	want := map[string][]string{}
	type person struct {
		user *model.User
		dm   *model.Channel
	}
	var people []person
	for i := range customers {
		u, dm := w.customer(fmt.Sprintf("burst%d", i), "Burst", fmt.Sprint(i))
		people = append(people, person{u, dm})
	}
	// Each customer writes ten messages, the first third of the burst stops the program while
	// the writing goes on, and the last six of each are written while no program runs.
	written := make(chan struct{}, customers*messages)
	stopped := make(chan struct{})
	done := make(chan struct{})
	for i, p := range people {
		name := fmt.Sprintf("Burst %d", i)
		for j := range messages {
			want[name] = append(want[name], fmt.Sprintf("b%d-%02d", i, j))
		}
		go func() {
			defer func() { done <- struct{}{} }()
			for j := range messages {
				if j == messages-6 {
					<-stopped
				}
				w.UserPost(p.user.Id, p.dm.Id, "", fmt.Sprintf("b%d-%02d", i, j))
				written <- struct{}{}
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	for range customers * messages / 3 {
		<-written
	}
	if err := first.close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	mmEventually(t, "the stopped program's WebSocket closed", func() (bool, string) { return w.SocketCount() == 0, "" })
	mirrored := 0
	for name, cards := range mmTicketCards(t, w) {
		mirrored += len(mmCustomerCopies(w, cards[0], name))
	}
	close(stopped)
	for range people {
		<-done
	}
	if mirrored >= customers*(messages-6) {
		t.Logf("all %d messages written before the stop were mirrored before it", mirrored)
	}
	second := mmStart(t, w, cfg)
	mmWaitMirrored(t, w, want)
	for _, p := range people {
		if acks := len(w.botPosts(p.dm.Id, "")); acks != 1 {
			t.Errorf("%s got %d messages from the app, want the one acknowledgement", p.user.Username, acks)
		}
	}
	if depth, err := second.Store.QueueDepth(context.Background()); err != nil || depth != 0 {
		t.Errorf("queue depth = %d, %v; want 0", depth, err)
	}
}

// TestMattermostDeletedCardGetsANewCard: an admin deletes a ticket's card (Mattermost deletes
// its replies with it): the post_deleted event tells the app, and the customer's next message
// opens a new card for the same ticket, where agents' replies reach the customer again.
func TestMattermostDeletedCardGetsANewCard(t *testing.T) {
	w := mmNewWorld(t)
	mmStart(t, w, mmConfig(t, w))
	dm := w.DM(w.Bot.Id, w.Customer.Id)
	w.UserPost(w.Customer.Id, dm.Id, "", "first words")
	card := w.card(t, 1)
	w.waitPost(t, w.Triage.Id, card.Id, "**Carol Customer:** first words")
	w.DeleteAs(card.Id, w.Admin.Id)
	w.UserPost(w.Customer.Id, dm.Id, "", "are you there?")
	var next *model.Post
	mmEventually(t, "a new card for ticket #1", func() (bool, string) {
		for _, p := range w.ChannelPosts(w.Triage.Id) {
			if p.RootId == "" && p.Id != card.Id && p.DeleteAt == 0 && strings.HasPrefix(fmt.Sprint(p.GetProp(mattermost.PropKey)), "card:1") {
				next = p
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d posts in triage", len(w.ChannelPosts(w.Triage.Id)))
	})
	w.waitPost(t, w.Triage.Id, next.Id, "**Carol Customer:** are you there?")
	w.UserPost(w.Agent.Id, w.Triage.Id, next.Id, "yes, here")
	w.waitPost(t, dm.Id, "", "**Alex the Agent:** yes, here")
	for _, p := range w.botPosts(dm.Id, "") {
		if strings.Contains(p.Message, "could not be passed on") {
			t.Errorf("failure notice in the DM: %q", p.Message)
		}
	}
}

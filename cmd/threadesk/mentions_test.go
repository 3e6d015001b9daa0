package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/threadesk/threadesk/internal/slack/slacktest"
)

// The end-to-end tests of mentions and markup: whatever people write or call themselves, the
// app's posts ping nobody and link nowhere, and read as they wrote them.

const wj = "\u2060" // the invisible word joiner that makes a mention or a link inert

// On Slack, a customer's message with every mention form reaches the thread inert but
// readable (a person mentioned by ID shown by name), under a name that pings nobody; their
// markup-laden name is quoted on the card; an agent's reply mentioning people reaches the DM
// inert too.
func TestSlackMentionsPingNobody(t *testing.T) {
	t.Parallel()
	fake := slackWorkspace(t, 0)
	cust := slacktest.User{ID: "U0EVE0001", Name: "eve", DisplayName: "Eve <!here> http://evil.example", Image: "https://avatars.example/eve_72.png"}
	fake.AddUser(cust)
	app := startSlackApp(t, fake, slackConfig(t, fake))
	app.echo()
	dm := slackDM(cust)

	app.say("EvM01", cust, dm, "", "<!channel> <!here|here> <!subteam^S0LEADS|@leads> <@"+slackAnn.ID+"> and <@"+slackBob.ID+"|bob>: help")
	var card slacktest.Message
	slackEventually(t, "the ticket card", func() (bool, string) {
		for _, m := range fake.Messages(slacktest.Triage) {
			if m.Thread == "" && m.BotID == slacktest.BotID && len(m.Blocks) > 0 {
				card = m
				return true, ""
			}
		}
		return false, slackTexts(fake.Messages(slacktest.Triage))
	})
	quotedName := "Eve &lt;!here&gt; http:" + wj + "//evil.example"
	if want := "Ticket #1 · " + quotedName; card.Text != want {
		t.Errorf("card text %q, want the name quoted: %q", card.Text, want)
	}
	if got, want := slackField(t, card, "Customer"), "|"+quotedName+">"; !strings.HasSuffix(got, want) {
		t.Errorf("card's customer %q, want a link labelled with the quoted name", got)
	}
	if header := slackBlocks(t, card)[0]["text"].(map[string]any)["text"]; header != "Ticket #1 · Eve <!here> http:"+wj+"//evil.example" {
		t.Errorf("card header %q, want the name as typed (plain text)", header)
	}
	inert := "@" + wj + "channel @" + wj + "here @" + wj + "leads @" + wj + "Ann and @" + wj + "bob: help"
	var mirrored slacktest.Message
	slackEventually(t, "the customer's message in the thread, inert", func() (bool, string) {
		got := slackWithText(slackReplies(fake, slacktest.Triage, card.TS), inert)
		if len(got) != 1 {
			return false, slackTexts(fake.Thread(slacktest.Triage, card.TS))
		}
		mirrored = got[0]
		return true, ""
	})
	if want := "Eve @" + wj + "here http:" + wj + "//evil.example"; mirrored.Username != want {
		t.Errorf("mirrored under %q, want %q", mirrored.Username, want)
	}

	app.say("EvM02", slackAnn, slacktest.Triage, card.TS, "<!everyone> cc <@"+slackBob.ID+">, done")
	slackEventually(t, "the agent's reply in the DM, inert", func() (bool, string) {
		got := slackWithText(slackFromApp(fake, dm), "@"+wj+"everyone cc @"+wj+"Bob, done")
		return len(got) == 1, slackTexts(fake.Messages(dm))
	})
}

// On Mattermost, a customer's @mentions reach the thread inert but readable, under a name
// that pings nobody and links nowhere; the name is quoted on the card; an agent's @mentions
// reach the DM inert too.
func TestMattermostMentionsPingNobody(t *testing.T) {
	w := mmNewWorld(t)
	eve, dm := w.customer("eve", "@here", "[pay](http://evil.example)")
	mmStart(t, w, mmConfig(t, w))

	w.UserPost(eve.Id, dm.Id, "", "@channel @all help, ask @alex")
	card := w.card(t, 1)
	quotedName := "@" + wj + "here [pay]" + wj + "(http:" + wj + "//evil.example)"
	if got, want := card.Attachments()[0].Title, "Ticket #1 · "+quotedName; got != want {
		t.Errorf("card title %q, want %q", got, want)
	}
	if got, want := mmCardFieldRaw(card, "Customer"), fmt.Sprintf("[@%shere (pay)%s(http:%s//evil.example)](%s/support/messages/@eve)", wj, wj, wj, w.URL); got != want {
		t.Errorf("card's customer %q, want %q", got, want)
	}
	mirrored := w.waitPost(t, w.Triage.Id, card.Id, "**@"+wj+"here \\[pay\\]"+wj+"(http:"+wj+"//evil.example):** @"+wj+"channel @"+wj+"all help, ask @"+wj+"alex")
	if got := mirrored.GetProp("override_username"); got != quotedName {
		t.Errorf("override_username %q, want %q", got, quotedName)
	}

	w.UserPost(w.Agent.Id, w.Triage.Id, card.Id, "@here thanks @eve")
	w.waitPost(t, dm.Id, "", "**Alex the Agent:** @"+wj+"here thanks @"+wj+"eve")
}

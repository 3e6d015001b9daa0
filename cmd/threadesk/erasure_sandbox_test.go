package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/redistest"
	"github.com/threadesk/threadesk/internal/sandbox"
)

// erasureSandbox is the sandbox's state as the erasure test reads it: who speaks, the
// buttons of the private answers and the files shared.
type erasureSandbox struct {
	Messages []struct {
		ID      string `json:"id"`
		Channel string `json:"channel"`
		Thread  string `json:"thread"`
		FromApp bool   `json:"fromApp"`
		As      *struct {
			DisplayName string `json:"displayName"`
		} `json:"as"`
		Text      string `json:"text"`
		Ephemeral string `json:"ephemeral"`
		Deleted   bool   `json:"deleted"`
		Card      *struct {
			Title   string `json:"title"`
			Actions []struct {
				ID    string `json:"id"`
				Label string `json:"label"`
				Value string `json:"value"`
			} `json:"actions"`
		} `json:"card"`
		Files []struct {
			Name     string `json:"name"`
			MimeType string `json:"mimeType"`
			URL      string `json:"url"`
		} `json:"files"`
	} `json:"messages"`
}

func (a *app) erasureState() erasureSandbox {
	a.t.Helper()
	status, _, body := a.get("/sandbox/api/state")
	var s erasureSandbox
	if err := json.Unmarshal(body, &s); status != http.StatusOK || err != nil {
		a.t.Fatalf("the sandbox's state: %d %v", status, err)
	}
	return s
}

// TestSandboxExportAndForget drives the program through the sandbox's API: two customers
// write, an agent answers one and closes the ticket; a lead's /desk export puts into the
// lead's DM a JSON file with that customer's messages and nothing of the other; /desk forget
// answers privately with a Forget/Cancel confirmation, Cancel keeps everything, Forget deletes
// the app's copies of the customer's messages in the triage thread, empties the ticket's
// history but for the forgetting (who, when), shows the card without the name and reports
// what it did; /desk show then tells nothing of the conversation, and the other customer's
// ticket is untouched.
func TestSandboxExportAndForget(t *testing.T) {
	prefix := redistest.Prefix(t)
	a := startAppWith(t, map[string]string{"REDIS_PREFIX": prefix}, withRetention)
	ctx := context.Background()
	var lena sbUser
	a.mustPost("/sandbox/api/users", map[string]any{"name": "Lena Lead", "role": "agent", "lead": true}, http.StatusCreated, &lena)
	ann := a.user("Ann Agent", "agent")
	ada := a.user("Ada Lovelace", "customer")
	cy := a.user("Cy Other", "customer")

	// Ada's ticket (#1) with two messages and an answer; Cy's (#2) stays open.
	a.say(ada, "my invoice 4711 is wrong", "")
	card := a.cardOf("Ada Lovelace")
	a.say(ada, "it was billed twice", "")
	a.say(ann, "we are refunding one of them", card.ID)
	a.say(cy, "the secret of Cy", "")
	a.cardOf("Cy Other")
	a.waitText("the second copy in the thread", sandbox.TriageChannel, card.ID, "it was billed twice")
	if got := a.command(ann, "/desk close 1"); !strings.Contains(got, "#1") {
		t.Fatalf("/desk close 1 = %q", got)
	}
	eventually(t, "#1 closed", func() (bool, string) {
		tk, err := a.Store.Ticket(ctx, 1)
		return err == nil && tk.Status == desk.StatusClosed, fmt.Sprintf("%s %v", tk.Status, err)
	})
	copies := a.copiesIn(card.ID, "Ada Lovelace")
	if len(copies) != 2 {
		t.Fatalf("copies of Ada's messages in #1's thread = %d, want 2", len(copies))
	}

	// Export: a file in Lena's DM, Ada's and nobody else's.
	if got, want := a.command(lena, "/desk export @ada.lovelace"), "The export of Ada Lovelace (1 ticket) is in your direct messages with the app."; got != want {
		t.Errorf("/desk export = %q, want %q", got, want)
	}
	data := a.fileIn(lena.DM, "application/json")
	checkExport(t, data, sandbox.Name, ada.ID, []int64{1},
		[]string{"customer:my invoice 4711 is wrong", "customer:it was billed twice", "agent:we are refunding one of them", "exported:"},
		[]string{cy.ID, "secret", "Cy Other"})

	// Forget: a private confirmation with two buttons; Cancel changes nothing.
	got := a.command(lena, "/desk forget @ada.lovelace")
	for _, want := range []string{"Forget Ada Lovelace?", "1 ticket (#1)", "2 copies"} {
		if !strings.Contains(got, want) {
			t.Errorf("confirmation = %q, want %q in it", got, want)
		}
	}
	if got := a.pressPrivate(lena, "Cancel"); got != "Nothing about Ada Lovelace was forgotten." {
		t.Errorf("Cancel = %q", got)
	}
	if h, err := a.Store.Transcript(ctx, 1); err != nil || len(h) < 4 {
		t.Fatalf("after Cancel, #1's history = %d entries (%v); want it kept", len(h), err)
	}
	a.command(lena, "/desk forget @ada.lovelace")
	got = a.pressPrivate(lena, "Forget")
	if want := "Forgot Ada Lovelace: 1 ticket (#1)"; !strings.Contains(got, want) || !strings.Contains(got, "2 copies deleted") {
		t.Errorf("report = %q, want %q and 2 copies deleted", got, want)
	}

	// The copies are gone from the thread, the card no longer names Ada, the history is
	// the forgetting alone, and nothing of the conversation is told by /desk show.
	s := a.erasureState()
	for _, c := range copies {
		for _, m := range s.Messages {
			if m.ID == c && (!m.Deleted || m.Text != "") {
				t.Errorf("copy %s: deleted %v, text %q", c, m.Deleted, m.Text)
			}
		}
	}
	eventually(t, "#1's card without Ada's name", func() (bool, string) {
		for _, m := range a.erasureState().Messages {
			if m.ID == card.ID && m.Card != nil {
				return !strings.Contains(m.Card.Title, "Ada") && strings.Contains(m.Card.Title, "(forgotten)"), m.Card.Title
			}
		}
		return false, "no card"
	})
	h, err := a.Store.Transcript(ctx, 1)
	if err != nil || len(h) != 1 || h[0].Kind != desk.EntryForgotten || h[0].Author != lena.ID || h[0].Text != "" {
		t.Errorf("#1's history after forget = %+v (%v); want one forgotten entry by Lena, without text", h, err)
	}
	if _, err := a.Store.CustomerTicket(ctx, sandbox.Name, ada.ID); desk.ErrorCode(err) != desk.ENOTFOUND {
		t.Errorf("Ada is still known: %v", err)
	}
	show := a.command(ann, "/desk show 1")
	for _, gone := range []string{"4711", "billed", "refunding", "Ada"} {
		if strings.Contains(show, gone) {
			t.Errorf("/desk show 1 after forget tells %q: %q", gone, show)
		}
	}
	if got := a.command(lena, "/desk export @ada.lovelace"); got != "Nothing is stored about Ada Lovelace." {
		t.Errorf("/desk export after forget = %q", got)
	}

	// Cy's ticket and its thread are as they were.
	if tk, err := a.Store.CustomerTicket(ctx, sandbox.Name, cy.ID); err != nil || tk.ID != 2 {
		t.Errorf("Cy's ticket = %+v, %v; want #2", tk, err)
	}
	if h, _ := a.Store.Transcript(ctx, 2); len(h) == 0 || h[0].Text != "the secret of Cy" {
		t.Errorf("Cy's history changed: %+v", h)
	}
	if show := a.command(ann, "/desk show 2"); !strings.Contains(show, "the secret of Cy") {
		t.Errorf("/desk show 2 = %q, want Cy's message", show)
	}

	// Retention: Cy's ticket, closed "two hours ago" with RETENTION=1h, is forgotten; its
	// card and the ticket's numbers stay.
	if got := a.command(ann, "/desk close 2"); !strings.Contains(got, "#2") {
		t.Fatalf("/desk close 2 = %q", got)
	}
	eventually(t, "#2 closed", func() (bool, string) {
		tk, err := a.Store.Ticket(ctx, 2)
		return err == nil && tk.Status == desk.StatusClosed, fmt.Sprintf("%s %v", tk.Status, err)
	})
	backdateClose(t, prefix, 2)
	expiredEventually(t, a.Store, 2)
	if show := a.command(ann, "/desk show 2"); strings.Contains(show, "the secret of Cy") || !strings.Contains(show, "#2") {
		t.Errorf("/desk show 2 after retention = %q", show)
	}
	a.cardOf("Cy Other") // the platform keeps what it shows
}

// cardOf waits for the ticket card in triage that names customer and returns it.
func (a *app) cardOf(customer string) sbMessage {
	a.t.Helper()
	var card sbMessage
	eventually(a.t, "the card of "+customer, func() (bool, string) {
		cards := a.state().find(func(m sbMessage) bool {
			return m.Channel == sandbox.TriageChannel && m.Thread == "" && m.Card != nil && strings.Contains(m.Card.Title, customer)
		})
		if len(cards) == 0 {
			return false, "none"
		}
		card = cards[0]
		return true, ""
	})
	return card
}

// copiesIn returns the IDs of the app's live copies in a triage thread of what customer wrote.
func (a *app) copiesIn(thread, customer string) []string {
	a.t.Helper()
	var out []string
	for _, m := range a.state().Messages {
		if m.Channel == sandbox.TriageChannel && m.Thread == thread && m.FromApp && !m.Deleted && m.asName() == customer {
			out = append(out, m.ID)
		}
	}
	return out
}

// fileIn waits for a file of mimeType the app shared in channel and returns its bytes.
func (a *app) fileIn(channel, mimeType string) []byte {
	a.t.Helper()
	var url string
	eventually(a.t, "a "+mimeType+" file in "+channel, func() (bool, string) {
		for _, m := range a.erasureState().Messages {
			for _, f := range m.Files {
				if m.Channel == channel && m.FromApp && f.MimeType == mimeType {
					url = f.URL
					return true, ""
				}
			}
		}
		return false, "none"
	})
	status, _, body := a.get(url)
	if status != http.StatusOK {
		a.t.Fatalf("GET %s: %d", url, status)
	}
	return body
}

// pressPrivate clicks, as u, the button labelled label on the newest private answer to u that
// has it, and returns the private answer the click gets.
func (a *app) pressPrivate(u sbUser, label string) string {
	a.t.Helper()
	var msg, action, value string
	answers := 0
	for _, m := range a.erasureState().Messages {
		if m.Ephemeral != u.ID {
			continue
		}
		answers++
		if m.Card == nil {
			continue
		}
		for _, b := range m.Card.Actions {
			if b.Label == label {
				msg, action, value = m.ID, b.ID, b.Value
			}
		}
	}
	if msg == "" {
		a.t.Fatalf("no private answer to %s with a %s button", u.Name, label)
	}
	a.mustPost("/sandbox/api/actions", map[string]string{"user": u.ID, "message": msg, "action": action, "value": value}, http.StatusOK, nil)
	var answer string
	eventually(a.t, "the answer to "+label, func() (bool, string) {
		var got []string
		for _, m := range a.erasureState().Messages {
			if m.Ephemeral == u.ID {
				got = append(got, m.Text)
			}
		}
		if len(got) <= answers {
			return false, "no answer"
		}
		answer = got[len(got)-1]
		return true, ""
	})
	return answer
}

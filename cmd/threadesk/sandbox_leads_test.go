package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/threadesk/threadesk/internal/catalog"
)

// TestSandboxLeads: an agent added in the sandbox as a lead may run /desk stats with LEADS
// unset; an agent who is not a lead is told the command is for leads; LEADS still counts.
func TestSandboxLeads(t *testing.T) {
	a := startApp(t, map[string]string{"LEADS": "cleo"})
	var bob sbUser
	a.mustPost("/sandbox/api/users", map[string]any{"name": "Bob", "role": "agent", "lead": true}, http.StatusCreated, &bob)
	dee := a.user("Dee", "agent")
	cleo := a.user("Cleo", "agent")
	notALead := catalog.Default.Text(catalog.NotALead, map[string]any{"Command": "/desk stats"})

	answer := func(u sbUser) string {
		t.Helper()
		a.mustPost("/sandbox/api/commands", map[string]string{"user": u.ID, "text": "/desk stats"}, http.StatusOK, nil)
		var text string
		eventually(t, "the answer to "+u.Name, func() (bool, string) {
			got := a.state().find(func(m sbMessage) bool { return m.Ephemeral == u.ID })
			if len(got) == 0 {
				return false, "no answer"
			}
			text = got[0].Text
			return true, ""
		})
		return text
	}
	if got := answer(bob); got == notALead || !strings.Contains(got, "Satisfaction") {
		t.Errorf("Bob (added as a lead) got %q, want the statistics", got)
	}
	if got := answer(dee); got != notALead {
		t.Errorf("Dee (an agent, no lead) got %q, want %q", got, notALead)
	}
	if got := answer(cleo); got == notALead {
		t.Errorf("Cleo (in LEADS) got %q, want the statistics", got)
	}
}

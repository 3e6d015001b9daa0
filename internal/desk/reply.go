package desk

import (
	"strings"
	"time"
)

// Canned is a canned reply: a text an agent sends with /desk reply NAME, from the desk policy
// file.
type Canned struct {
	Name string
	// Text may hold the placeholders {customer}, {agent} and {ticket}; see Fill.
	Text string
	// Set is what sending the reply also changes on the ticket; its zero value changes nothing.
	Set Changes
}

// Changes is what a canned reply sets on its ticket besides answering.
type Changes struct {
	Status   Status   // "" leaves it; one of open, pending, resolved, closed
	Tags     []string // tags to add; "-tag" removes one, as with /desk tag
	Priority Priority // "" leaves it
}

// Empty reports whether c changes nothing.
func (c Changes) Empty() bool { return c.Status == "" && len(c.Tags) == 0 && c.Priority == "" }

// Placeholders are the names a canned reply's text may hold in braces.
var Placeholders = []string{"customer", "agent", "ticket"}

// Values fill the placeholders of a text.
type Values struct {
	Customer string // the customer's name
	Agent    string // the agent's name
	Ticket   string // the ticket's number as people see it, such as #12
}

// Fill returns text with its placeholders replaced by v.
func Fill(text string, v Values) string {
	return strings.NewReplacer("{customer}", v.Customer, "{agent}", v.Agent, "{ticket}", v.Ticket).Replace(text)
}

// CannedReply returns the canned reply called name, in any letter case, if there is one.
func (p Policy) CannedReply(name string) (Canned, bool) {
	for _, c := range p.Canned {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Canned{}, false
}

// Reply decides an agent's reply that reached the customer together with changes (a canned
// reply's Set): the response first, then the tags, the priority and the status, each an
// outcome of its own in that order. A change the ticket already has is left out, so that a
// "pending" reply to a pending ticket is just a reply.
func (t Ticket) Reply(c Changes, a Actor, now time.Time, p Policy) ([]Outcome, error) {
	steps := []Step{{Kind: StepRespond}}
	if len(c.Tags) > 0 {
		steps = append(steps, Step{Kind: StepTag, Tags: c.Tags})
	}
	if c.Priority != "" {
		steps = append(steps, Step{Kind: StepPriority, Priority: c.Priority})
	}
	var outs []Outcome
	for _, s := range steps {
		o, err := t.Take(s, a, now, p)
		if err != nil {
			return nil, err
		}
		outs, t = append(outs, o), o.Ticket
	}
	if s, ok := t.statusStep(c.Status); ok {
		o, err := t.Take(s, a, now, p)
		if err != nil {
			return nil, err
		}
		outs = append(outs, o)
	}
	return outs, nil
}

// statusStep is the step that gives t the status want, if t does not have it already.
func (t Ticket) statusStep(want Status) (Step, bool) {
	if want == "" || want == t.Status {
		return Step{}, false
	}
	switch want {
	case StatusOpen:
		return Step{Kind: StepReopen}, true
	case StatusPending:
		return Step{Kind: StepPending}, true
	case StatusResolved:
		return Step{Kind: StepResolve}, true
	case StatusClosed:
		return Step{Kind: StepClose}, true
	}
	return Step{}, false
}

package sandbox

// This file holds the sandbox's people: adding them from the page, and finding them.

import (
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/threadesk/threadesk/internal/desk"
)

// createUser is POST /sandbox/api/users {"name": "Ada", "role": "customer"|"agent", "lead":
// true|false} → 201 user. A lead is an agent whose ID is one of LeadIDs.
func (s *Sandbox) createUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string `json:"name"`
		Role Role   `json:"role"`
		Lead bool   `json:"lead"`
	}
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	name := strings.TrimSpace(req.Name)
	switch {
	case name == "":
		writeError(w, invalid("name is required"))
		return
	case utf8.RuneCountInString(name) > maxName:
		writeError(w, invalid("name is longer than 64 characters"))
		return
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		writeError(w, invalid("name contains control characters"))
		return
	case req.Role != RoleCustomer && req.Role != RoleAgent:
		writeError(w, invalid(`role must be "customer" or "agent"`))
		return
	case req.Lead && req.Role != RoleAgent:
		writeError(w, invalid("only an agent can be a lead"))
		return
	}
	s.mu.Lock()
	var id string
	if req.Lead {
		if s.leads == MaxLeads {
			s.mu.Unlock()
			writeError(w, apiErr(http.StatusConflict, desk.ECONFLICT, "The sandbox has room for "+strconv.Itoa(MaxLeads)+" leads; add this person as an agent."))
			return
		}
		s.leads++
		id = s.leadID(s.leads)
	} else {
		id = s.newID("u")
	}
	u := &user{ID: id, Name: name, Handle: s.uniqueHandle(name), Role: req.Role, Lead: req.Lead}
	u.DM = "D-" + u.ID
	s.users[u.ID] = u
	s.userSeq = append(s.userSeq, u.ID)
	s.channels[u.DM] = u.ID
	v := viewUser(u)
	s.publish("user", v)
	s.mu.Unlock()
	s.log.Info("sandbox user created", "user", u.ID, "role", u.Role, "lead", u.Lead)
	writeJSON(w, http.StatusCreated, v)
}

// uniqueHandle turns a name into a handle no one else has ("Ada Lovelace" → "ada.lovelace",
// then "ada.lovelace2"). Callers hold mu.
func (s *Sandbox) uniqueHandle(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ' || r == '.':
			if b.Len() > 0 && !strings.HasSuffix(b.String(), ".") {
				b.WriteByte('.')
			}
		}
	}
	base := strings.Trim(b.String(), ".")
	if base == "" {
		base = "user"
	}
	taken := func(h string) bool {
		for _, u := range s.users {
			if u.Handle == h {
				return true
			}
		}
		return false
	}
	h := base
	for n := 2; taken(h); n++ {
		h = base + strconv.Itoa(n)
	}
	return h
}

// knownUser returns the user with ID id. Callers hold mu.
func (s *Sandbox) knownUser(id string) (*user, *apiError) {
	if id == "" {
		return nil, invalid("user is required")
	}
	u, ok := s.users[id]
	if !ok {
		return nil, apiErr(http.StatusNotFound, desk.ENOTFOUND, "no such user")
	}
	return u, nil
}

// isAgent reports whether id is the ID of an agent. Callers hold mu.
func (s *Sandbox) isAgent(id string) bool {
	u, ok := s.users[id]
	return ok && u.Role == RoleAgent
}

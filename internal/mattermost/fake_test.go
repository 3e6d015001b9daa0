package mattermost

import (
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/threadesk/threadesk/internal/mattermost/mattermosttest"
)

// The adapter's tests run against the spec-checked fake server of package mattermosttest.

type fakeMM = mattermosttest.Server

const (
	botToken   = mattermosttest.BotToken
	adminToken = mattermosttest.AdminToken
)

func newFakeMM(t *testing.T) *fakeMM {
	t.Helper()
	return mattermosttest.New(t, "")
}

// world is the usual cast of the fake.
type world struct {
	triage, other   *model.Channel
	bot, admin      *model.User
	customer, agent *model.User
	teamID          string
}

func seed(f *fakeMM) world {
	w := f.Seed()
	return world{
		triage: w.Triage, other: w.Other,
		bot: w.Bot, admin: w.Admin, customer: w.Customer, agent: w.Agent,
		teamID: w.TeamID,
	}
}

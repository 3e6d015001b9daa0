// Package mattermosttest is an in-memory Mattermost server for tests: the REST API v4 routes
// Threadesk uses, every request checked against the published OpenAPI description so that the
// fake cannot drift from the real API, and the WebSocket API with the events a real server
// sends when people post, edit and delete. It also plays the server's part towards the app:
// it calls button integration URLs, submits dialogs and runs slash commands the way Mattermost
// does, so that tests can drive a Threadesk process exactly as a real installation would.
package mattermosttest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gorilla/websocket"
	"github.com/mattermost/mattermost/server/public/model"
)

// SpecPath finds the Mattermost OpenAPI description: the repository root (the nearest
// directory above the working directory with a go.mod) + "/../shared/specs/mattermost/openapi.yaml".
func SpecPath(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("find the Mattermost spec: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "specs", "mattermost", "openapi.yaml")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("find the Mattermost spec: no go.mod above the working directory")
		}
		dir = parent
	}
}

var (
	specMu   sync.Mutex
	specDocs = map[string]*openapi3.T{}
)

// loadSpec reads a spec once per path. The whole document is not validated: one schema
// (KnownUsers) is an array without items, which would fail it; requests are validated route by
// route.
func loadSpec(t testing.TB, path string) *openapi3.T {
	t.Helper()
	specMu.Lock()
	defer specMu.Unlock()
	if doc, ok := specDocs[path]; ok {
		return doc
	}
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err == nil {
		err = fixSpec(doc)
	}
	if err != nil {
		t.Fatalf("load Mattermost OpenAPI spec %s: %v", path, err)
	}
	specDocs[path] = doc
	return doc
}

// fixSpec corrects the description where it contradicts the server: the post update and patch
// routes describe props as a string, but the server decodes them into a map
// (model.PostPatch.Props is a *StringInterface) and refuses a string, as POST /posts, which
// describes them as an object, shows.
func fixSpec(doc *openapi3.T) error {
	for _, route := range []struct{ path, method string }{
		{"/api/v4/posts/{post_id}/patch", http.MethodPut},
		{"/api/v4/posts/{post_id}", http.MethodPut},
	} {
		op := doc.Paths.Find(route.path).GetOperation(route.method)
		if op == nil || op.RequestBody == nil {
			return fmt.Errorf("spec has no %s %s body to correct", route.method, route.path)
		}
		schema := op.RequestBody.Value.Content.Get("application/json").Schema.Value
		props := schema.Properties["props"]
		if props == nil || !props.Value.Type.Is("string") {
			return fmt.Errorf("spec's %s %s props changed; review fixSpec", route.method, route.path)
		}
		schema.Properties["props"] = openapi3.NewSchemaRef("", openapi3.NewObjectSchema())
	}
	return nil
}

// Server is an in-memory Mattermost server. Create it with New; the helpers lock Mu
// themselves. Tests that read or change the state fields directly must hold Mu, and the
// methods named …Locked expect it held.
type Server struct {
	// URL is the server's address, the MATTERMOST_URL of the app under test.
	URL string
	// HTTP is the underlying test server (to cut client connections, for example).
	HTTP *httptest.Server

	t      testing.TB
	router routers.Router
	client *http.Client // for the calls the server makes to the app

	// Mu guards every field below.
	Mu        sync.Mutex
	lastMilli int64
	// Failures are requests the real server would not have accepted from the app (a route or
	// body the API description does not have); each fails the test at its end.
	Failures []string
	// Calls lists "METHOD /route" of every API request, in order (route as in the spec).
	Calls []string

	Users       map[string]*model.User
	Tokens      map[string]string // access token → user ID
	Teams       map[string]*model.Team
	TeamMembers map[string]map[string]bool // team ID → user IDs
	Channels    map[string]*model.Channel
	Members     map[string]map[string]bool // channel ID → user IDs
	Posts       map[string]*model.Post
	Reactions   []*model.Reaction
	Files       map[string][]byte
	FileInfos   map[string]*model.FileInfo
	// Dialogs are the dialogs the app opened, in order.
	Dialogs []model.OpenDialogRequest
	// Hooks are the bodies the app posted to command response URLs, in order.
	Hooks []model.CommandResponse
	// Ephemerals are the ephemeral posts the app made (POST /posts/ephemeral) and the
	// ephemeral texts of its answers to button clicks, in order.
	Ephemerals []Ephemeral
	Bots       map[string]*model.Bot
	Commands   map[string]*model.Command
	UserTokens map[string][]*model.UserAccessToken

	// RateLimited answers the next n POST /posts with 429, as a server with rate limiting on.
	RateLimited int
	// UsernameOverride is the server's EnablePostUsernameOverride, as its client
	// configuration tells.
	UsernameOverride bool
	// MaxFileSize is the server's FileSettings.MaxFileSize in bytes: a larger upload is
	// refused with 413. Zero takes any size.
	MaxFileSize int64
	// Busy answers the next n requests of a route ("GET /users/{user_id}") with 429 and
	// Retry-After: 1.
	Busy map[string]int
	// RefuseSockets refuses WebSocket connections (503) while set.
	RefuseSockets  bool
	SocketsDialled int                        // WebSocket connection attempts, refused ones included
	sockets        map[*websocket.Conn]string // connection → user ID
	triggers       map[string]trigger         // trigger IDs the server gave out
}

// Ephemeral is a post only one user sees.
type Ephemeral struct {
	UserID    string
	ChannelID string
	RootID    string
	Message   string
}

// trigger is what a trigger ID stands for: who clicked or typed where, and when.
type trigger struct {
	user, channel string
	at            time.Time
}

// TriggerTTL is how long a trigger ID may open a dialog, as in Mattermost.
const TriggerTTL = 3 * time.Second

// MaxPostRunes is the longest post message Mattermost accepts.
const MaxPostRunes = model.PostMessageMaxRunesV2

// The access tokens of the seeded bot and admin.
const (
	BotToken   = "bot-token-0123456789"
	AdminToken = "admin-token-0123456789"
)

// NewID makes an ID the way Mattermost does (26 lowercase letters and digits).
func NewID() string { return model.NewId() }

func newID() string { return model.NewId() }

// New starts an empty fake server checked against the spec at specPath ("" finds it with
// SpecPath). It stops when the test ends; requests the real server would refuse then fail the
// test. Seed adds the usual cast.
func New(t testing.TB, specPath string) *Server {
	t.Helper()
	if specPath == "" {
		specPath = SpecPath(t)
	}
	f := &Server{
		t:           t,
		client:      &http.Client{Timeout: 30 * time.Second},
		Users:       map[string]*model.User{},
		Tokens:      map[string]string{},
		Teams:       map[string]*model.Team{},
		TeamMembers: map[string]map[string]bool{},
		Channels:    map[string]*model.Channel{},
		Members:     map[string]map[string]bool{},
		Posts:       map[string]*model.Post{},
		Files:       map[string][]byte{},
		FileInfos:   map[string]*model.FileInfo{},
		Bots:        map[string]*model.Bot{},
		Commands:    map[string]*model.Command{},
		UserTokens:  map[string][]*model.UserAccessToken{},
		sockets:     map[*websocket.Conn]string{},
		triggers:    map[string]trigger{},
	}
	// The router needs the server's URL, and must be in place before the server serves: a
	// request from another process (the built binary) gives the race detector no other
	// ordering between this write and the handler's read.
	f.HTTP = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.URL = "http://" + f.HTTP.Listener.Addr().String()
	doc := *loadSpec(t, specPath)
	doc.Servers = openapi3.Servers{{URL: f.URL}}
	router, err := gorillamux.NewRouter(&doc)
	if err != nil {
		f.HTTP.Close()
		t.Fatalf("build OpenAPI router: %v", err)
	}
	f.router = router
	f.HTTP.Start()
	if f.HTTP.URL != f.URL {
		t.Fatalf("the fake's URL is %s, want %s", f.HTTP.URL, f.URL)
	}
	t.Cleanup(func() {
		f.Mu.Lock()
		for c := range f.sockets {
			c.Close()
		}
		f.Mu.Unlock()
		f.HTTP.CloseClientConnections()
		f.HTTP.Close()
		f.Mu.Lock()
		defer f.Mu.Unlock()
		for _, msg := range f.Failures {
			t.Errorf("fake Mattermost: %s", msg)
		}
	})
	return f
}

// World is the usual cast of the fake, made by Seed.
type World struct {
	Team            *model.Team
	Triage, Other   *model.Channel
	Bot, Admin      *model.User
	Customer, Agent *model.User
	TeamID          string
}

// Seed adds a team "support", a bot "threadesk" (token BotToken), an admin "admin" (token
// AdminToken), a customer "carol" (Carol Customer), an agent "alex" (nickname "Alex the
// Agent"), the triage channel "triage" (bot, agent and admin in it) and "town-square".
func (f *Server) Seed() World {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	var w World
	team := &model.Team{Id: newID(), Name: "support", DisplayName: "Support", Type: model.TeamOpen}
	f.Teams[team.Id] = team
	w.Team, w.TeamID = team, team.Id
	w.Bot = f.AddUserLocked("threadesk", "", "", true, BotToken)
	w.Admin = f.AddUserLocked("admin", "Ada", "Admin", false, AdminToken)
	w.Admin.Roles = "system_user system_admin"
	w.Customer = f.AddUserLocked("carol", "Carol", "Customer", false, "")
	w.Agent = f.AddUserLocked("alex", "", "", false, "")
	w.Agent.Nickname = "Alex the Agent"
	f.Bots[w.Bot.Id] = &model.Bot{UserId: w.Bot.Id, Username: w.Bot.Username, OwnerId: w.Admin.Id}
	for _, u := range []*model.User{w.Bot, w.Admin, w.Customer, w.Agent} {
		f.AddTeamMemberLocked(team.Id, u.Id)
	}
	w.Triage = f.AddChannelLocked(team.Id, "triage", model.ChannelTypeOpen, w.Bot.Id, w.Agent.Id, w.Admin.Id)
	w.Other = f.AddChannelLocked(team.Id, "town-square", model.ChannelTypeOpen, w.Bot.Id, w.Agent.Id, w.Customer.Id)
	return w
}

// AddUser adds a person (or, with bot, a bot account) to the server and to the given teams;
// a non-empty token lets them call the API.
func (f *Server) AddUser(name, first, last string, bot bool, token string, teams ...string) *model.User {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	u := f.AddUserLocked(name, first, last, bot, token)
	for _, t := range teams {
		f.AddTeamMemberLocked(t, u.Id)
	}
	c := *u
	return &c
}

// AddUserLocked is AddUser without teams, with Mu held.
func (f *Server) AddUserLocked(name, first, last string, bot bool, token string) *model.User {
	u := &model.User{Id: newID(), Username: name, FirstName: first, LastName: last, IsBot: bot, Roles: "system_user", CreateAt: f.NowLocked()}
	f.Users[u.Id] = u
	if token != "" {
		f.Tokens[token] = u.Id
	}
	return u
}

// AddTeamMemberLocked puts a user in a team.
func (f *Server) AddTeamMemberLocked(teamID, userID string) {
	if f.TeamMembers[teamID] == nil {
		f.TeamMembers[teamID] = map[string]bool{}
	}
	f.TeamMembers[teamID][userID] = true
}

// AddChannel creates a channel with the given members.
func (f *Server) AddChannel(teamID, name string, typ model.ChannelType, members ...string) *model.Channel {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return f.AddChannelLocked(teamID, name, typ, members...).DeepCopy()
}

// AddChannelLocked is AddChannel with Mu held.
func (f *Server) AddChannelLocked(teamID, name string, typ model.ChannelType, members ...string) *model.Channel {
	ch := &model.Channel{Id: newID(), TeamId: teamID, Name: name, DisplayName: name, Type: typ, CreateAt: f.NowLocked()}
	f.Channels[ch.Id] = ch
	f.Members[ch.Id] = map[string]bool{}
	for _, m := range members {
		f.Members[ch.Id][m] = true
	}
	return ch
}

// SetMember adds a user to a channel or, with in false, removes them.
func (f *Server) SetMember(channelID, userID string, in bool) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if in {
		f.Members[channelID][userID] = true
	} else {
		delete(f.Members[channelID], userID)
	}
}

// SetRoles replaces a user's system roles, such as "system_user system_admin".
func (f *Server) SetRoles(userID, roles string) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Users[userID].Roles = roles
}

// SetLocale sets a user's language, the locale of their account settings ("en", "ru"), which
// GET /users/{user_id} tells.
func (f *Server) SetLocale(userID, locale string) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Users[userID].Locale = locale
}

// SetTimezone sets a user's time zone as the Mattermost client does when the user keeps the
// automatic one ("America/New_York"): GET /users/{user_id} tells it in the user's timezone map,
// {useAutomaticTimezone: "true", automaticTimezone: zone, manualTimezone: ""}.
func (f *Server) SetTimezone(userID, zone string) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Users[userID].Timezone = model.StringMap{"useAutomaticTimezone": "true", "automaticTimezone": zone, "manualTimezone": ""}
}

// NowLocked is a strictly increasing millisecond clock, so every change has its own time.
func (f *Server) NowLocked() int64 {
	ms := max(time.Now().UnixMilli(), f.lastMilli+1)
	f.lastMilli = ms
	return ms
}

// Failf records a request the real server would not have accepted; it fails the test.
func (f *Server) Failf(format string, args ...any) {
	f.Mu.Lock()
	f.Failures = append(f.Failures, fmt.Sprintf(format, args...))
	f.Mu.Unlock()
}

// serve validates a request against the spec and dispatches it.
func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/api/v4/websocket":
		// The WebSocket endpoint is not part of the REST description.
		f.serveSocket(w, r)
		return
	case strings.HasPrefix(r.URL.Path, "/hooks/commands/"):
		// Command response URLs are not part of the REST API either.
		f.serveHook(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.Failf("read body of %s %s: %v", r.Method, r.URL.Path, err)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := f.router.FindRoute(r)
	if err != nil {
		f.Failf("%s %s: no such route in the Mattermost API: %v", r.Method, r.URL.Path, err)
		appError(w, http.StatusNotFound, "api.context.404.app_error")
		return
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			AuthenticationFunc: func(_ context.Context, ai *openapi3filter.AuthenticationInput) error {
				if scheme, _, _ := strings.Cut(ai.RequestValidationInput.Request.Header.Get("Authorization"), " "); !strings.EqualFold(scheme, "Bearer") {
					return fmt.Errorf("no bearer token")
				}
				return nil
			},
		},
	}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		f.Failf("%s %s does not match the Mattermost API: %v", r.Method, r.URL.String(), err)
		appError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	f.Mu.Lock()
	f.Calls = append(f.Calls, r.Method+" "+route.Path)
	_, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	user := f.Tokens[token]
	f.Mu.Unlock()
	if user == "" {
		appError(w, http.StatusUnauthorized, "api.context.session_expired.app_error")
		return
	}
	f.handle(w, r, route.Path, params, body, user)
}

func appError(w http.ResponseWriter, status int, id string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(model.AppError{Id: id, Message: id, StatusCode: status})
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// handle implements the routes the adapter and Setup use. route is the spec's path template.
func (f *Server) handle(w http.ResponseWriter, r *http.Request, route string, p map[string]string, body []byte, me string) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	key := r.Method + " " + strings.TrimPrefix(route, "/api/v4")
	if f.Busy[key] > 0 {
		f.Busy[key]--
		w.Header().Set("Retry-After", "1")
		appError(w, http.StatusTooManyRequests, "api.context.rate_limit.app_error")
		return
	}
	switch key {
	case "GET /system/ping":
		reply(w, 200, map[string]string{"status": "OK"})

	case "GET /config/client":
		if r.URL.Query().Get("format") != "old" {
			appError(w, http.StatusNotImplemented, "api.config.client.old_format.app_error")
			return
		}
		reply(w, 200, map[string]string{"Version": "10.5.0", "EnablePostUsernameOverride": strconv.FormatBool(f.UsernameOverride)})

	case "GET /users/{user_id}":
		id := p["user_id"]
		if id == "me" {
			id = me
		}
		u, ok := f.Users[id]
		if !ok {
			appError(w, 404, "app.user.missing_account.const")
			return
		}
		reply(w, 200, u)

	case "GET /users/username/{username}":
		for _, u := range f.Users {
			if u.Username == p["username"] {
				reply(w, 200, u)
				return
			}
		}
		appError(w, 404, "app.user.get_by_username.app_error")

	case "GET /teams/name/{name}":
		for _, t := range f.Teams {
			if t.Name == p["name"] && f.TeamMembers[t.Id][me] {
				reply(w, 200, t)
				return
			}
		}
		appError(w, 404, "app.team.get_by_name.missing.app_error")

	case "GET /channels/{channel_id}":
		ch, ok := f.Channels[p["channel_id"]]
		if !ok {
			appError(w, 404, "app.channel.get.existing.app_error")
			return
		}
		if !f.Members[ch.Id][me] && ch.Type != model.ChannelTypeOpen {
			appError(w, 403, "api.context.permissions.app_error")
			return
		}
		reply(w, 200, ch)

	case "GET /teams/{team_id}/channels/name/{channel_name}":
		for _, ch := range f.Channels {
			if ch.TeamId == p["team_id"] && ch.Name == p["channel_name"] {
				reply(w, 200, ch)
				return
			}
		}
		appError(w, 404, "app.channel.get_by_name.missing.app_error")

	case "GET /channels/{channel_id}/members/{user_id}":
		if !f.Members[p["channel_id"]][p["user_id"]] {
			appError(w, 404, "app.channel.get_member.missing.app_error")
			return
		}
		reply(w, 200, model.ChannelMember{ChannelId: p["channel_id"], UserId: p["user_id"]})

	case "GET /users/{user_id}/teams/{team_id}/channels":
		var out []*model.Channel
		for _, ch := range f.Channels {
			if f.Members[ch.Id][p["user_id"]] && (ch.TeamId == p["team_id"] || ch.TeamId == "") {
				out = append(out, ch)
			}
		}
		reply(w, 200, out)

	case "POST /posts":
		if f.RateLimited > 0 {
			f.RateLimited--
			w.Header().Set("X-Ratelimit-Limit", "10")
			w.Header().Set("X-Ratelimit-Remaining", "0")
			w.Header().Set("X-Ratelimit-Reset", "3")
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte("limit exceeded\n"))
			return
		}
		var post model.Post
		if err := json.Unmarshal(body, &post); err != nil {
			appError(w, 400, "api.context.invalid_body_param.app_error")
			return
		}
		if !f.Members[post.ChannelId][me] {
			appError(w, 403, "api.context.permissions.app_error")
			return
		}
		if utf8.RuneCountInString(post.Message) > MaxPostRunes {
			appError(w, 400, "model.post.is_valid.message_length.app_error")
			return
		}
		if post.RootId != "" {
			if root, ok := f.Posts[post.RootId]; !ok || root.ChannelId != post.ChannelId || root.DeleteAt != 0 {
				appError(w, 400, "api.post.create_post.root_id.app_error")
				return
			}
		}
		post.UserId = me
		created := f.CreatePostLocked(&post)
		reply(w, 201, created)

	case "POST /posts/ephemeral":
		var pe model.PostEphemeral
		if err := json.Unmarshal(body, &pe); err != nil || pe.Post == nil {
			appError(w, 400, "api.context.invalid_body_param.app_error")
			return
		}
		// Only system admins have create_post_ephemeral, as the API description says.
		if !strings.Contains(f.Users[me].Roles, "system_admin") {
			appError(w, 403, "api.context.permissions.app_error")
			return
		}
		post := pe.Post.Clone()
		post.Id, post.UserId, post.CreateAt, post.Type = newID(), me, f.NowLocked(), model.PostTypeEphemeral
		f.Ephemerals = append(f.Ephemerals, Ephemeral{UserID: pe.UserID, ChannelID: post.ChannelId, RootID: post.RootId, Message: post.Message})
		reply(w, 201, post)

	case "PUT /posts/{post_id}/patch":
		post, ok := f.Posts[p["post_id"]]
		if !ok || post.DeleteAt != 0 {
			appError(w, 404, "app.post.get.app_error")
			return
		}
		var patch model.PostPatch
		if err := json.Unmarshal(body, &patch); err != nil {
			appError(w, 400, "api.context.invalid_body_param.app_error")
			return
		}
		if patch.Message != nil && utf8.RuneCountInString(*patch.Message) > MaxPostRunes {
			appError(w, 400, "model.post.is_valid.message_length.app_error")
			return
		}
		post.Patch(&patch)
		post.EditAt = f.NowLocked()
		post.UpdateAt = post.EditAt
		f.BroadcastLocked(model.WebsocketEventPostEdited, post)
		reply(w, 200, post)

	case "DELETE /posts/{post_id}":
		post, ok := f.Posts[p["post_id"]]
		if !ok || post.DeleteAt != 0 {
			appError(w, 404, "app.post.get.app_error")
			return
		}
		f.DeletePostAsLocked(post, me)
		reply(w, 200, map[string]string{"status": "OK"})

	case "POST /reactions":
		var re model.Reaction
		if err := json.Unmarshal(body, &re); err != nil {
			appError(w, 400, "api.context.invalid_body_param.app_error")
			return
		}
		post, ok := f.Posts[re.PostId]
		if !ok || re.UserId != me {
			appError(w, 400, "api.context.invalid_body_param.app_error")
			return
		}
		re.CreateAt = f.NowLocked()
		post.UpdateAt = re.CreateAt // as Mattermost does: reactions touch the post
		post.HasReactions = true
		f.Reactions = append(f.Reactions, &re)
		reply(w, 201, re)

	case "DELETE /users/{user_id}/posts/{post_id}/reactions/{emoji_name}":
		user := p["user_id"]
		if user == "me" {
			user = me
		}
		if user != me {
			appError(w, 403, "api.context.permissions.app_error")
			return
		}
		if _, ok := f.Posts[p["post_id"]]; !ok {
			appError(w, 404, "app.post.get.app_error")
			return
		}
		f.Reactions = slices.DeleteFunc(f.Reactions, func(re *model.Reaction) bool {
			return re.PostId == p["post_id"] && re.UserId == user && re.EmojiName == p["emoji_name"]
		})
		reply(w, 200, map[string]string{"status": "OK"})

	case "GET /posts/{post_id}/thread":
		root, ok := f.Posts[p["post_id"]]
		if !ok {
			appError(w, 404, "app.post.get.app_error")
			return
		}
		list := model.NewPostList()
		for _, post := range f.SortedPostsLocked(root.ChannelId) {
			if (post.Id == root.Id || post.RootId == root.Id) && post.DeleteAt == 0 {
				list.AddPost(post)
				list.AddOrder(post.Id)
			}
		}
		reply(w, 200, list)

	case "GET /channels/{channel_id}/posts":
		ch := p["channel_id"]
		if !f.Members[ch][me] {
			appError(w, 403, "api.context.permissions.app_error")
			return
		}
		list := model.NewPostList()
		q := r.URL.Query()
		if s := q.Get("since"); s != "" {
			// As the server does: at most 1000 of the posts changed since, picked in no
			// order of time (its query has a LIMIT and no ORDER BY; here: by ID), then
			// sorted by creation. The client fills the holes.
			since, _ := strconv.ParseInt(s, 10, 64)
			var changed []*model.Post
			for _, post := range f.SortedPostsLocked(ch) {
				if post.UpdateAt > since {
					changed = append(changed, post)
				}
			}
			if len(changed) > SincePageMax {
				slices.SortFunc(changed, func(a, b *model.Post) int { return strings.Compare(a.Id, b.Id) })
				changed = changed[:SincePageMax]
				slices.SortStableFunc(changed, func(a, b *model.Post) int { return cmp.Compare(a.CreateAt, b.CreateAt) })
			}
			for _, post := range changed {
				list.AddPost(post)
				list.AddOrder(post.Id)
			}
			reply(w, 200, list)
			return
		}
		// A page of the channel's posts, newest first (replies included, deleted ones not).
		page, perPage := 0, 60
		if s := q.Get("page"); s != "" {
			page, _ = strconv.Atoi(s)
		}
		if s := q.Get("per_page"); s != "" {
			perPage, _ = strconv.Atoi(s)
		}
		perPage = min(max(perPage, 1), 200)
		posts := slices.DeleteFunc(f.SortedPostsLocked(ch), func(p *model.Post) bool { return p.DeleteAt != 0 })
		slices.Reverse(posts)
		from := min(max(page, 0)*perPage, len(posts))
		for _, post := range posts[from:min(from+perPage, len(posts))] {
			list.AddPost(post)
			list.AddOrder(post.Id)
		}
		reply(w, 200, list)

	case "POST /channels/direct":
		var ids []string
		if err := json.Unmarshal(body, &ids); err != nil || len(ids) != 2 {
			appError(w, 400, "api.context.invalid_body_param.app_error")
			return
		}
		if _, ok := f.Users[ids[1]]; !ok {
			appError(w, 400, "api.channel.create_direct_channel.invalid_user.app_error")
			return
		}
		name := model.GetDMNameFromIds(ids[0], ids[1])
		for _, ch := range f.Channels {
			if ch.Name == name {
				reply(w, 201, ch)
				return
			}
		}
		reply(w, 201, f.AddChannelLocked("", name, model.ChannelTypeDirect, ids[0], ids[1]))

	case "POST /actions/dialogs/open":
		var req model.OpenDialogRequest
		if err := json.Unmarshal(body, &req); err != nil || req.TriggerId == "" || req.URL == "" {
			appError(w, 400, "api.context.invalid_body_param.app_error")
			return
		}
		// Triggers this server gave out live TriggerTTL and belong to the one who clicked;
		// others (made up by unit tests) are taken as fresh, except "expired".
		tr, issued := f.triggers[req.TriggerId]
		if req.TriggerId == "expired" || (issued && time.Since(tr.at) > TriggerTTL) {
			appError(w, 400, "interactive_message.decode_trigger_id.expired")
			return
		}
		if issued && tr.user == "" {
			appError(w, 400, "interactive_message.decode_trigger_id.signature_decode_failed")
			return
		}
		f.Dialogs = append(f.Dialogs, req)
		reply(w, 200, map[string]string{"status": "OK"})

	case "POST /files":
		f.uploadLocked(w, r, body, me)

	case "GET /files/{file_id}":
		data, ok := f.Files[p["file_id"]]
		if !ok {
			appError(w, 404, "app.file_info.get.app_error")
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(data)

	default:
		if !f.handleSetupLocked(w, key, p, body, me) {
			f.Failures = append(f.Failures, "the fake does not implement "+key)
			appError(w, 501, "fake.not_implemented")
		}
	}
}

func (f *Server) uploadLocked(w http.ResponseWriter, r *http.Request, body []byte, me string) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		appError(w, 400, "api.file.upload_file.bad_parse.app_error")
		return
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var channel, name string
	var data []byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			appError(w, 400, "api.file.upload_file.bad_parse.app_error")
			return
		}
		b, _ := io.ReadAll(part)
		switch part.FormName() {
		case "channel_id":
			channel = string(b)
		case "files":
			name, data = part.FileName(), b
		}
	}
	if !f.Members[channel][me] || name == "" {
		appError(w, 403, "api.context.permissions.app_error")
		return
	}
	if f.MaxFileSize > 0 && int64(len(data)) > f.MaxFileSize {
		appError(w, http.StatusRequestEntityTooLarge, "api.file.upload_file.too_large_detailed.app_error")
		return
	}
	fi := &model.FileInfo{Id: newID(), CreatorId: me, ChannelId: channel, Name: name, Size: int64(len(data)), MimeType: http.DetectContentType(data), CreateAt: f.NowLocked()}
	f.Files[fi.Id] = data
	f.FileInfos[fi.Id] = fi
	reply(w, 201, model.FileUploadResponse{FileInfos: []*model.FileInfo{fi}})
}

// SortedPostsLocked returns a channel's posts, deleted ones included, oldest first.
func (f *Server) SortedPostsLocked(channel string) []*model.Post {
	var out []*model.Post
	for _, p := range f.Posts {
		if p.ChannelId == channel {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *model.Post) int {
		return cmp.Or(cmp.Compare(a.CreateAt, b.CreateAt), strings.Compare(a.Id, b.Id))
	})
	return out
}

// SincePageMax is how many posts the server returns at most for a channel's posts changed
// since a time.
const SincePageMax = 1000

// CreatePostLocked stores a new post (its UserId set by the caller) and sends the posted
// event, as the server does for any post. Like the server, it marks a bot account's post with
// the from_bot prop.
func (f *Server) CreatePostLocked(post *model.Post) *model.Post {
	post.Id = newID()
	post.CreateAt = f.NowLocked()
	post.UpdateAt = post.CreateAt
	if u := f.Users[post.UserId]; u != nil && u.IsBot {
		post.AddProp(model.PostPropsFromBot, "true")
	}
	if len(post.FileIds) > 0 {
		post.Metadata = &model.PostMetadata{}
		for _, id := range post.FileIds {
			if fi := f.FileInfos[id]; fi != nil {
				fi.PostId = post.Id
				post.Metadata.Files = append(post.Metadata.Files, fi)
			}
		}
	}
	f.Posts[post.Id] = post
	ch := f.Channels[post.ChannelId]
	ch.LastPostAt = post.CreateAt
	if post.RootId == "" {
		ch.LastRootPostAt = post.CreateAt
	}
	f.BroadcastLocked(model.WebsocketEventPosted, post)
	return post
}

// DeletePostLocked deletes a post as its author would (see DeletePostAsLocked).
func (f *Server) DeletePostLocked(post *model.Post) { f.DeletePostAsLocked(post, post.UserId) }

// DeletePostAsLocked marks a post deleted by a user and sends the post_deleted event, as
// Mattermost does: it records who deleted it in the post's deleteBy prop, deletes a root's
// replies with it (at the same time, without events of their own), and sends the event with
// the post as it was before the deletion, telling who deleted it (delete_by) only to system
// admins.
func (f *Server) DeletePostAsLocked(post *model.Post, by string) {
	before := post.Clone()
	now := f.NowLocked()
	for _, p := range f.Posts {
		if p == post || (post.RootId == "" && p.RootId == post.Id && p.DeleteAt == 0) {
			p.DeleteAt, p.UpdateAt = now, now
			p.AddProp(model.PostPropsDeleteBy, by)
		}
	}
	f.broadcastLocked(model.WebsocketEventPostDeleted, before, map[string]any{"delete_by": by})
}

// UserPost writes a post as a person would in the client (a thread reply when rootID is set);
// the server sends the posted event to the members' WebSockets.
func (f *Server) UserPost(userID, channelID, rootID, text string) *model.Post {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return f.CreatePostLocked(&model.Post{UserId: userID, ChannelId: channelID, RootId: rootID, Message: text}).Clone()
}

// UserPostFiles writes a post with files (added with AddFile) as a person would.
func (f *Server) UserPostFiles(userID, channelID, rootID, text string, fileIDs ...string) *model.Post {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return f.CreatePostLocked(&model.Post{UserId: userID, ChannelId: channelID, RootId: rootID, Message: text, FileIds: fileIDs}).Clone()
}

// UserEdit changes a post's message as its author would, with the post_edited event.
func (f *Server) UserEdit(postID, text string) *model.Post {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	post := f.Posts[postID]
	post.Message = text
	post.EditAt = f.NowLocked()
	post.UpdateAt = post.EditAt
	f.BroadcastLocked(model.WebsocketEventPostEdited, post)
	return post.Clone()
}

// UserDelete deletes a post as its author would, with the post_deleted event.
func (f *Server) UserDelete(postID string) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.DeletePostLocked(f.Posts[postID])
}

// DeleteAs deletes a post as another user (an admin, say) would, with the post_deleted event.
func (f *Server) DeleteAs(postID, userID string) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.DeletePostAsLocked(f.Posts[postID], userID)
}

// AddFile stores a file as if a user had uploaded it into a channel, for a post to carry.
func (f *Server) AddFile(userID, channelID, name string, data []byte) string {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	fi := &model.FileInfo{Id: newID(), CreatorId: userID, ChannelId: channelID, Name: name, Size: int64(len(data)), MimeType: http.DetectContentType(data), CreateAt: f.NowLocked()}
	f.Files[fi.Id] = bytes.Clone(data)
	f.FileInfos[fi.Id] = fi
	return fi.Id
}

// FileData returns a stored file's bytes, or nil.
func (f *Server) FileData(fileID string) []byte {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return bytes.Clone(f.Files[fileID])
}

// DM returns (creating it) the direct channel between two users.
func (f *Server) DM(a, b string) *model.Channel {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	name := model.GetDMNameFromIds(a, b)
	for _, ch := range f.Channels {
		if ch.Name == name {
			return ch.DeepCopy()
		}
	}
	return f.AddChannelLocked("", name, model.ChannelTypeDirect, a, b).DeepCopy()
}

// Post returns a copy of a post (deleted ones too), or nil.
func (f *Server) Post(id string) *model.Post {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if p, ok := f.Posts[id]; ok {
		return p.Clone()
	}
	return nil
}

// ChannelPosts returns copies of a channel's posts that are not deleted, oldest first.
func (f *Server) ChannelPosts(channelID string) []*model.Post {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	var out []*model.Post
	for _, p := range f.SortedPostsLocked(channelID) {
		if p.DeleteAt == 0 {
			out = append(out, p.Clone())
		}
	}
	return out
}

// Thread returns copies of the replies under a root post that are not deleted, oldest first.
func (f *Server) Thread(rootID string) []*model.Post {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	root, ok := f.Posts[rootID]
	if !ok {
		return nil
	}
	var out []*model.Post
	for _, p := range f.SortedPostsLocked(root.ChannelId) {
		if p.RootId == rootID && p.DeleteAt == 0 {
			out = append(out, p.Clone())
		}
	}
	return out
}

// ReactionsOn returns the emoji names of the reactions on a post, in order.
func (f *Server) ReactionsOn(postID string) []string {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	var out []string
	for _, r := range f.Reactions {
		if r.PostId == postID {
			out = append(out, r.EmojiName)
		}
	}
	return out
}

// OpenedDialogs returns the dialogs the app opened, in order.
func (f *Server) OpenedDialogs() []model.OpenDialogRequest {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return slices.Clone(f.Dialogs)
}

// CommandResponses returns what the app posted to command response URLs, in order.
func (f *Server) CommandResponses() []model.CommandResponse {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return slices.Clone(f.Hooks)
}

// EphemeralPosts returns the ephemeral posts the app made, in order.
func (f *Server) EphemeralPosts() []Ephemeral {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return slices.Clone(f.Ephemerals)
}

// RateLimit answers the next n POST /posts with 429 and Retry-After.
func (f *Server) RateLimit(n int) {
	f.Mu.Lock()
	f.RateLimited = n
	f.Mu.Unlock()
}

// CallCount counts the API requests whose "METHOD /route" starts with prefix.
func (f *Server) CallCount(prefix string) int {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	n := 0
	for _, c := range f.Calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// --- WebSocket ---

var upgrader = websocket.Upgrader{}

func (f *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	refuse := f.RefuseSockets
	f.SocketsDialled++
	f.Mu.Unlock()
	if refuse {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	// The client authenticates with its first message.
	var req model.WebSocketRequest
	if err := conn.ReadJSON(&req); err != nil || req.Action != string(model.WebsocketAuthenticationChallenge) {
		conn.Close()
		return
	}
	token, _ := req.Data["token"].(string)
	f.Mu.Lock()
	user := f.Tokens[token]
	if user == "" || f.RefuseSockets {
		f.Mu.Unlock()
		conn.Close()
		return
	}
	f.sockets[conn] = user
	resp, _ := model.NewWebSocketResponse(model.StatusOk, req.Seq, nil).ToJSON()
	_ = conn.WriteMessage(websocket.TextMessage, resp)
	hello, _ := model.NewWebSocketEvent(model.WebsocketEventHello, "", "", user, nil, "").ToJSON()
	_ = conn.WriteMessage(websocket.TextMessage, hello)
	f.Mu.Unlock()
	go func() {
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				f.Mu.Lock()
				delete(f.sockets, conn)
				f.Mu.Unlock()
				conn.Close()
				return
			}
		}
	}()
}

// BroadcastLocked sends a post event to the sockets of the channel's members.
func (f *Server) BroadcastLocked(event model.WebsocketEventType, post *model.Post) {
	f.broadcastLocked(event, post, nil)
}

// broadcastLocked is BroadcastLocked with sensitive data added for system admins' sockets
// only, as Mattermost sends it.
func (f *Server) broadcastLocked(event model.WebsocketEventType, post *model.Post, sensitive map[string]any) {
	ch := f.Channels[post.ChannelId]
	raw, _ := json.Marshal(post)
	ev := model.NewWebSocketEvent(event, ch.TeamId, ch.Id, "", nil, "")
	ev.Add("post", string(raw))
	if event == model.WebsocketEventPosted {
		ev.Add("channel_type", string(ch.Type))
		ev.Add("channel_name", ch.Name)
		if u := f.Users[post.UserId]; u != nil {
			ev.Add("sender_name", "@"+u.Username)
		}
	}
	msg, _ := ev.ToJSON()
	adminMsg := msg
	if len(sensitive) > 0 {
		for k, v := range sensitive {
			ev.Add(k, v)
		}
		adminMsg, _ = ev.ToJSON()
	}
	for conn, user := range f.sockets {
		if f.Members[ch.Id][user] {
			m := msg
			if u := f.Users[user]; u != nil && slices.Contains(strings.Fields(u.Roles), model.SystemAdminRoleId) {
				m = adminMsg
			}
			_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_ = conn.WriteMessage(websocket.TextMessage, m)
		}
	}
}

// Emit sends a post event again as the server would, for example to show a redelivery.
func (f *Server) Emit(event model.WebsocketEventType, post *model.Post) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.BroadcastLocked(event, post)
}

// DropSockets cuts every WebSocket connection, and with refuse keeps refusing new ones until
// AllowSockets.
func (f *Server) DropSockets(refuse bool) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.RefuseSockets = refuse
	for conn := range f.sockets {
		conn.Close()
		delete(f.sockets, conn)
	}
}

// AllowSockets accepts WebSocket connections again.
func (f *Server) AllowSockets() {
	f.Mu.Lock()
	f.RefuseSockets = false
	f.Mu.Unlock()
}

// SocketCount is the number of open WebSocket connections.
func (f *Server) SocketCount() int {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return len(f.sockets)
}

// Dialled is the number of WebSocket connection attempts so far, refused ones included.
func (f *Server) Dialled() int {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return f.SocketsDialled
}

// serveHook records a command response.
func (f *Server) serveHook(w http.ResponseWriter, r *http.Request) {
	var cr model.CommandResponse
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&cr) != nil {
		f.Failf("bad command response request %s %s", r.Method, r.URL.Path)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.Mu.Lock()
	f.Hooks = append(f.Hooks, cr)
	f.Mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// handleSetupLocked implements the admin routes Setup uses; it reports whether key was one.
func (f *Server) handleSetupLocked(w http.ResponseWriter, key string, p map[string]string, body []byte, me string) bool {
	admin := strings.Contains(f.Users[me].Roles, "system_admin")
	decode := func(v any) bool {
		if err := json.Unmarshal(body, v); err != nil {
			appError(w, 400, "api.context.invalid_body_param.app_error")
			return false
		}
		return true
	}
	switch key {
	case "POST /bots", "POST /bots/{bot_user_id}/enable", "POST /users/{user_id}/tokens", "POST /teams/{team_id}/members",
		"POST /channels/{channel_id}/members", "POST /channels", "GET /commands", "POST /commands", "PUT /commands/{command_id}":
		if !admin {
			appError(w, 403, "api.context.permissions.app_error")
			return true
		}
	}
	switch key {
	case "POST /bots":
		var bot model.Bot
		if !decode(&bot) {
			return true
		}
		for _, u := range f.Users {
			if u.Username == bot.Username {
				appError(w, 400, "app.user.save.username_exists.app_error")
				return true
			}
		}
		u := f.AddUserLocked(bot.Username, "", "", true, "")
		bot.UserId, bot.OwnerId, bot.CreateAt = u.Id, me, u.CreateAt
		f.Bots[u.Id] = &bot
		reply(w, 201, bot)
	case "GET /bots/{bot_user_id}":
		bot, ok := f.Bots[p["bot_user_id"]]
		if !ok {
			appError(w, 404, "store.sql_bot.get.missing.app_error")
			return true
		}
		reply(w, 200, bot)
	case "POST /bots/{bot_user_id}/enable":
		bot, ok := f.Bots[p["bot_user_id"]]
		if !ok {
			appError(w, 404, "store.sql_bot.get.missing.app_error")
			return true
		}
		bot.DeleteAt = 0
		reply(w, 200, bot)
	case "POST /users/{user_id}/tokens":
		var req model.UserAccessToken
		if !decode(&req) {
			return true
		}
		if _, ok := f.Users[p["user_id"]]; !ok {
			appError(w, 404, "app.user.missing_account.const")
			return true
		}
		tok := &model.UserAccessToken{Id: newID(), Token: newID(), UserId: p["user_id"], Description: req.Description, IsActive: true}
		f.Tokens[tok.Token] = tok.UserId
		f.UserTokens[tok.UserId] = append(f.UserTokens[tok.UserId], tok)
		reply(w, 200, tok)
	case "POST /teams/{team_id}/members":
		var tm model.TeamMember
		if !decode(&tm) {
			return true
		}
		f.AddTeamMemberLocked(p["team_id"], tm.UserId)
		reply(w, 201, tm)
	case "POST /channels/{channel_id}/members":
		var req struct {
			UserID string `json:"user_id"`
		}
		if !decode(&req) {
			return true
		}
		ch, ok := f.Channels[p["channel_id"]]
		if !ok || !f.TeamMembers[ch.TeamId][req.UserID] {
			appError(w, 403, "api.channel.add_user.to.channel.failed.deleted.app_error")
			return true
		}
		f.Members[ch.Id][req.UserID] = true
		reply(w, 201, model.ChannelMember{ChannelId: ch.Id, UserId: req.UserID})
	case "POST /channels":
		var ch model.Channel
		if !decode(&ch) {
			return true
		}
		reply(w, 201, f.AddChannelLocked(ch.TeamId, ch.Name, ch.Type, me))
	case "GET /commands":
		var out []*model.Command
		for _, c := range f.Commands {
			out = append(out, c)
		}
		reply(w, 200, out)
	case "POST /commands":
		var c model.Command
		if !decode(&c) {
			return true
		}
		c.Id, c.Token, c.CreatorId, c.CreateAt = newID(), newID(), me, f.NowLocked()
		f.Commands[c.Id] = &c
		reply(w, 201, c)
	case "PUT /commands/{command_id}":
		var c model.Command
		if !decode(&c) {
			return true
		}
		old, ok := f.Commands[p["command_id"]]
		if !ok {
			appError(w, 404, "app.command.getcommand.no_command.app_error")
			return true
		}
		c.Token = old.Token
		f.Commands[c.Id] = &c
		reply(w, 200, c)
	default:
		return false
	}
	return true
}

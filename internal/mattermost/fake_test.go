package mattermost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gorilla/websocket"
	"github.com/mattermost/mattermost/server/public/model"
)

// The fake Mattermost server below speaks the REST API v4 and the WebSocket API well enough
// for the adapter, and checks every REST request against the published OpenAPI description
// (../../../shared/specs), so that the fake cannot drift from the real API: a request to a
// route the spec does not have, or one the spec's route would refuse, fails the test.

var specPath = filepath.Join("..", "..", "..", "shared", "specs", "mattermost", "openapi.yaml")

var (
	specOnce sync.Once
	specDoc  *openapi3.T
	specErr  error
)

// loadSpec reads the spec once. The whole document is not validated: one schema (KnownUsers)
// is an array without items, which would fail it; requests are validated route by route.
func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		specDoc, specErr = loader.LoadFromFile(specPath)
		if specErr == nil {
			specErr = fixSpec(specDoc)
		}
	})
	if specErr != nil {
		t.Fatalf("load Mattermost OpenAPI spec: %v", specErr)
	}
	return specDoc
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

// fakeMM is an in-memory Mattermost server.
type fakeMM struct {
	t      *testing.T
	srv    *httptest.Server
	router routers.Router

	mu        sync.Mutex
	lastMilli int64
	failures  []string
	calls     []string // "METHOD /path" of every API request, in order

	users    map[string]*model.User
	tokens   map[string]string // access token → user ID
	teams    map[string]*model.Team
	teamMem  map[string]map[string]bool // team ID → user IDs
	channels map[string]*model.Channel
	members  map[string]map[string]bool // channel ID → user IDs
	posts    map[string]*model.Post
	reacts   []*model.Reaction
	files    map[string][]byte
	infos    map[string]*model.FileInfo
	dialogs  []model.OpenDialogRequest
	hooks    []model.CommandResponse // bodies posted to command response URLs
	bots     map[string]*model.Bot
	commands map[string]*model.Command
	uaTokens map[string][]*model.UserAccessToken

	// Failure injection.
	rateLimited    int // answer the next n POST /posts with 429
	refuseSockets  bool
	sockets        map[*websocket.Conn]string // connection → user ID
	socketsDialled int
}

const (
	botToken   = "bot-token-0123456789"
	adminToken = "admin-token-0123456789"
)

func newID() string { return model.NewId() }

// newFakeMM starts a fake server with a team "support", a triage channel "triage" with the bot
// in it, a bot account, an admin, a customer and an agent.
func newFakeMM(t *testing.T) *fakeMM {
	t.Helper()
	f := &fakeMM{
		t:        t,
		users:    map[string]*model.User{},
		tokens:   map[string]string{},
		teams:    map[string]*model.Team{},
		teamMem:  map[string]map[string]bool{},
		channels: map[string]*model.Channel{},
		members:  map[string]map[string]bool{},
		posts:    map[string]*model.Post{},
		files:    map[string][]byte{},
		infos:    map[string]*model.FileInfo{},
		bots:     map[string]*model.Bot{},
		commands: map[string]*model.Command{},
		uaTokens: map[string][]*model.UserAccessToken{},
		sockets:  map[*websocket.Conn]string{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	doc := *loadSpec(t)
	doc.Servers = openapi3.Servers{{URL: f.srv.URL}}
	router, err := gorillamux.NewRouter(&doc)
	if err != nil {
		t.Fatalf("build OpenAPI router: %v", err)
	}
	f.router = router
	t.Cleanup(func() {
		f.mu.Lock()
		for c := range f.sockets {
			c.Close()
		}
		f.mu.Unlock()
		f.srv.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, msg := range f.failures {
			t.Errorf("fake Mattermost: %s", msg)
		}
	})
	return f
}

// world is the usual cast of the fake.
type world struct {
	team, triage, other *model.Channel
	bot, admin          *model.User
	customer, agent     *model.User
	teamID              string
}

func (f *fakeMM) seed() world {
	f.mu.Lock()
	defer f.mu.Unlock()
	var w world
	team := &model.Team{Id: newID(), Name: "support", DisplayName: "Support", Type: model.TeamOpen}
	f.teams[team.Id] = team
	w.teamID = team.Id
	w.bot = f.addUserLocked("threadesk", "", "", true, botToken)
	w.admin = f.addUserLocked("admin", "Ada", "Admin", false, adminToken)
	w.admin.Roles = "system_user system_admin"
	w.customer = f.addUserLocked("carol", "Carol", "Customer", false, "")
	w.agent = f.addUserLocked("alex", "", "", false, "")
	w.agent.Nickname = "Alex the Agent"
	f.bots[w.bot.Id] = &model.Bot{UserId: w.bot.Id, Username: w.bot.Username, OwnerId: w.admin.Id}
	for _, u := range []*model.User{w.bot, w.admin, w.customer, w.agent} {
		f.teamMemberLocked(team.Id, u.Id)
	}
	w.triage = f.addChannelLocked(team.Id, "triage", model.ChannelTypeOpen, w.bot.Id, w.agent.Id, w.admin.Id)
	w.other = f.addChannelLocked(team.Id, "town-square", model.ChannelTypeOpen, w.bot.Id, w.agent.Id, w.customer.Id)
	return w
}

func (f *fakeMM) addUserLocked(name, first, last string, bot bool, token string) *model.User {
	u := &model.User{Id: newID(), Username: name, FirstName: first, LastName: last, IsBot: bot, Roles: "system_user", CreateAt: f.nowLocked()}
	f.users[u.Id] = u
	if token != "" {
		f.tokens[token] = u.Id
	}
	return u
}

func (f *fakeMM) teamMemberLocked(teamID, userID string) {
	if f.teamMem[teamID] == nil {
		f.teamMem[teamID] = map[string]bool{}
	}
	f.teamMem[teamID][userID] = true
}

func (f *fakeMM) addChannelLocked(teamID, name string, typ model.ChannelType, members ...string) *model.Channel {
	ch := &model.Channel{Id: newID(), TeamId: teamID, Name: name, DisplayName: name, Type: typ, CreateAt: f.nowLocked()}
	f.channels[ch.Id] = ch
	f.members[ch.Id] = map[string]bool{}
	for _, m := range members {
		f.members[ch.Id][m] = true
	}
	return ch
}

// nowLocked is a strictly increasing millisecond clock, so every change has its own time.
func (f *fakeMM) nowLocked() int64 {
	ms := max(time.Now().UnixMilli(), f.lastMilli+1)
	f.lastMilli = ms
	return ms
}

func (f *fakeMM) failf(format string, args ...any) {
	f.mu.Lock()
	f.failures = append(f.failures, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

// serve validates a request against the spec and dispatches it.
func (f *fakeMM) serve(w http.ResponseWriter, r *http.Request) {
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
		f.failf("read body of %s %s: %v", r.Method, r.URL.Path, err)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := f.router.FindRoute(r)
	if err != nil {
		f.failf("%s %s: no such route in the Mattermost API: %v", r.Method, r.URL.Path, err)
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
		f.failf("%s %s does not match the Mattermost API: %v", r.Method, r.URL.String(), err)
		appError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+route.Path)
	_, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	user := f.tokens[token]
	f.mu.Unlock()
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
func (f *fakeMM) handle(w http.ResponseWriter, r *http.Request, route string, p map[string]string, body []byte, me string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := r.Method + " " + strings.TrimPrefix(route, "/api/v4")
	switch key {
	case "GET /system/ping":
		reply(w, 200, map[string]string{"status": "OK"})

	case "GET /users/{user_id}":
		id := p["user_id"]
		if id == "me" {
			id = me
		}
		u, ok := f.users[id]
		if !ok {
			appError(w, 404, "app.user.missing_account.const")
			return
		}
		reply(w, 200, u)

	case "GET /users/username/{username}":
		for _, u := range f.users {
			if u.Username == p["username"] {
				reply(w, 200, u)
				return
			}
		}
		appError(w, 404, "app.user.get_by_username.app_error")

	case "GET /teams/name/{name}":
		for _, t := range f.teams {
			if t.Name == p["name"] && f.teamMem[t.Id][me] {
				reply(w, 200, t)
				return
			}
		}
		appError(w, 404, "app.team.get_by_name.missing.app_error")

	case "GET /channels/{channel_id}":
		ch, ok := f.channels[p["channel_id"]]
		if !ok {
			appError(w, 404, "app.channel.get.existing.app_error")
			return
		}
		if !f.members[ch.Id][me] && ch.Type != model.ChannelTypeOpen {
			appError(w, 403, "api.context.permissions.app_error")
			return
		}
		reply(w, 200, ch)

	case "GET /teams/{team_id}/channels/name/{channel_name}":
		for _, ch := range f.channels {
			if ch.TeamId == p["team_id"] && ch.Name == p["channel_name"] {
				reply(w, 200, ch)
				return
			}
		}
		appError(w, 404, "app.channel.get_by_name.missing.app_error")

	case "GET /channels/{channel_id}/members/{user_id}":
		if !f.members[p["channel_id"]][p["user_id"]] {
			appError(w, 404, "app.channel.get_member.missing.app_error")
			return
		}
		reply(w, 200, model.ChannelMember{ChannelId: p["channel_id"], UserId: p["user_id"]})

	case "GET /users/{user_id}/teams/{team_id}/channels":
		var out []*model.Channel
		for _, ch := range f.channels {
			if f.members[ch.Id][p["user_id"]] && (ch.TeamId == p["team_id"] || ch.TeamId == "") {
				out = append(out, ch)
			}
		}
		reply(w, 200, out)

	case "POST /posts":
		if f.rateLimited > 0 {
			f.rateLimited--
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
		if !f.members[post.ChannelId][me] {
			appError(w, 403, "api.context.permissions.app_error")
			return
		}
		if post.RootId != "" {
			if root, ok := f.posts[post.RootId]; !ok || root.ChannelId != post.ChannelId {
				appError(w, 400, "api.post.create_post.root_id.app_error")
				return
			}
		}
		post.UserId = me
		created := f.createPostLocked(&post)
		reply(w, 201, created)

	case "POST /posts/ephemeral":
		var pe model.PostEphemeral
		if err := json.Unmarshal(body, &pe); err != nil || pe.Post == nil {
			appError(w, 400, "api.context.invalid_body_param.app_error")
			return
		}
		post := pe.Post.Clone()
		post.Id, post.UserId, post.CreateAt, post.Type = newID(), me, f.nowLocked(), model.PostTypeEphemeral
		f.hooks = append(f.hooks, model.CommandResponse{ResponseType: "ephemeral:" + pe.UserID, Text: post.Message, ChannelId: post.ChannelId})
		reply(w, 201, post)

	case "PUT /posts/{post_id}/patch":
		post, ok := f.posts[p["post_id"]]
		if !ok || post.DeleteAt != 0 {
			appError(w, 404, "app.post.get.app_error")
			return
		}
		var patch model.PostPatch
		if err := json.Unmarshal(body, &patch); err != nil {
			appError(w, 400, "api.context.invalid_body_param.app_error")
			return
		}
		post.Patch(&patch)
		post.EditAt = f.nowLocked()
		post.UpdateAt = post.EditAt
		f.broadcastLocked(model.WebsocketEventPostEdited, post)
		reply(w, 200, post)

	case "DELETE /posts/{post_id}":
		post, ok := f.posts[p["post_id"]]
		if !ok || post.DeleteAt != 0 {
			appError(w, 404, "app.post.get.app_error")
			return
		}
		f.deletePostLocked(post)
		reply(w, 200, map[string]string{"status": "OK"})

	case "POST /reactions":
		var re model.Reaction
		if err := json.Unmarshal(body, &re); err != nil {
			appError(w, 400, "api.context.invalid_body_param.app_error")
			return
		}
		post, ok := f.posts[re.PostId]
		if !ok || re.UserId != me {
			appError(w, 400, "api.context.invalid_body_param.app_error")
			return
		}
		re.CreateAt = f.nowLocked()
		post.UpdateAt = re.CreateAt // as Mattermost does: reactions touch the post
		post.HasReactions = true
		f.reacts = append(f.reacts, &re)
		reply(w, 201, re)

	case "GET /posts/{post_id}/thread":
		root, ok := f.posts[p["post_id"]]
		if !ok {
			appError(w, 404, "app.post.get.app_error")
			return
		}
		list := model.NewPostList()
		for _, post := range f.sortedPostsLocked(root.ChannelId) {
			if (post.Id == root.Id || post.RootId == root.Id) && post.DeleteAt == 0 {
				list.AddPost(post)
				list.AddOrder(post.Id)
			}
		}
		reply(w, 200, list)

	case "GET /channels/{channel_id}/posts":
		ch := p["channel_id"]
		if !f.members[ch][me] {
			appError(w, 403, "api.context.permissions.app_error")
			return
		}
		list := model.NewPostList()
		q := r.URL.Query()
		if s := q.Get("since"); s != "" {
			since, _ := strconv.ParseInt(s, 10, 64)
			for _, post := range f.sortedPostsLocked(ch) {
				if post.UpdateAt > since {
					list.AddPost(post)
					list.AddOrder(post.Id)
				}
			}
			reply(w, 200, list)
			return
		}
		perPage := 60
		if s := q.Get("per_page"); s != "" {
			perPage, _ = strconv.Atoi(s)
		}
		posts := f.sortedPostsLocked(ch)
		slices.Reverse(posts)
		for _, post := range posts {
			if post.DeleteAt != 0 || len(list.Order) >= perPage {
				continue
			}
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
		if _, ok := f.users[ids[1]]; !ok {
			appError(w, 400, "api.channel.create_direct_channel.invalid_user.app_error")
			return
		}
		name := model.GetDMNameFromIds(ids[0], ids[1])
		for _, ch := range f.channels {
			if ch.Name == name {
				reply(w, 201, ch)
				return
			}
		}
		reply(w, 201, f.addChannelLocked("", name, model.ChannelTypeDirect, ids[0], ids[1]))

	case "POST /actions/dialogs/open":
		var req model.OpenDialogRequest
		if err := json.Unmarshal(body, &req); err != nil || req.TriggerId == "" || req.URL == "" {
			appError(w, 400, "api.context.invalid_body_param.app_error")
			return
		}
		if req.TriggerId == "expired" {
			appError(w, 400, "interactive_message.decode_trigger_id.expired")
			return
		}
		f.dialogs = append(f.dialogs, req)
		reply(w, 200, map[string]string{"status": "OK"})

	case "POST /files":
		f.uploadLocked(w, r, body, me)

	case "GET /files/{file_id}":
		data, ok := f.files[p["file_id"]]
		if !ok {
			appError(w, 404, "app.file_info.get.app_error")
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(data)

	default:
		if !f.handleSetupLocked(w, key, p, body, me) {
			f.failures = append(f.failures, "the fake does not implement "+key)
			appError(w, 501, "fake.not_implemented")
		}
	}
}

func (f *fakeMM) uploadLocked(w http.ResponseWriter, r *http.Request, body []byte, me string) {
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
		if err == io.EOF {
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
	if !f.members[channel][me] || name == "" {
		appError(w, 403, "api.context.permissions.app_error")
		return
	}
	fi := &model.FileInfo{Id: newID(), CreatorId: me, ChannelId: channel, Name: name, Size: int64(len(data)), MimeType: http.DetectContentType(data), CreateAt: f.nowLocked()}
	f.files[fi.Id] = data
	f.infos[fi.Id] = fi
	reply(w, 201, model.FileUploadResponse{FileInfos: []*model.FileInfo{fi}})
}

func (f *fakeMM) sortedPostsLocked(channel string) []*model.Post {
	var out []*model.Post
	for _, p := range f.posts {
		if p.ChannelId == channel {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *model.Post) int { return int(a.CreateAt - b.CreateAt) })
	return out
}

func (f *fakeMM) createPostLocked(post *model.Post) *model.Post {
	post.Id = newID()
	post.CreateAt = f.nowLocked()
	post.UpdateAt = post.CreateAt
	if len(post.FileIds) > 0 {
		post.Metadata = &model.PostMetadata{}
		for _, id := range post.FileIds {
			if fi := f.infos[id]; fi != nil {
				fi.PostId = post.Id
				post.Metadata.Files = append(post.Metadata.Files, fi)
			}
		}
	}
	f.posts[post.Id] = post
	ch := f.channels[post.ChannelId]
	ch.LastPostAt = post.CreateAt
	if post.RootId == "" {
		ch.LastRootPostAt = post.CreateAt
	}
	f.broadcastLocked(model.WebsocketEventPosted, post)
	return post
}

func (f *fakeMM) deletePostLocked(post *model.Post) {
	// Like Mattermost, the event carries the post as it was before the deletion.
	before := post.Clone()
	post.DeleteAt = f.nowLocked()
	post.UpdateAt = post.DeleteAt
	f.broadcastLocked(model.WebsocketEventPostDeleted, before)
}

// userPost writes a post as a person would in the client.
func (f *fakeMM) userPost(userID, channelID, rootID, text string) *model.Post {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.createPostLocked(&model.Post{UserId: userID, ChannelId: channelID, RootId: rootID, Message: text}).Clone()
}

func (f *fakeMM) userEdit(postID, text string) *model.Post {
	f.mu.Lock()
	defer f.mu.Unlock()
	post := f.posts[postID]
	post.Message = text
	post.EditAt = f.nowLocked()
	post.UpdateAt = post.EditAt
	f.broadcastLocked(model.WebsocketEventPostEdited, post)
	return post.Clone()
}

func (f *fakeMM) userDelete(postID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deletePostLocked(f.posts[postID])
}

// dm returns (creating it) the direct channel between two users.
func (f *fakeMM) dm(a, b string) *model.Channel {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := model.GetDMNameFromIds(a, b)
	for _, ch := range f.channels {
		if ch.Name == name {
			return ch
		}
	}
	return f.addChannelLocked("", name, model.ChannelTypeDirect, a, b)
}

func (f *fakeMM) post(id string) *model.Post {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.posts[id]; ok {
		return p.Clone()
	}
	return nil
}

func (f *fakeMM) callCount(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// --- WebSocket ---

var upgrader = websocket.Upgrader{}

func (f *fakeMM) serveSocket(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	refuse := f.refuseSockets
	f.socketsDialled++
	f.mu.Unlock()
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
	f.mu.Lock()
	user := f.tokens[token]
	if user == "" {
		f.mu.Unlock()
		conn.Close()
		return
	}
	f.sockets[conn] = user
	resp, _ := model.NewWebSocketResponse(model.StatusOk, req.Seq, nil).ToJSON()
	_ = conn.WriteMessage(websocket.TextMessage, resp)
	hello, _ := model.NewWebSocketEvent(model.WebsocketEventHello, "", "", user, nil, "").ToJSON()
	_ = conn.WriteMessage(websocket.TextMessage, hello)
	f.mu.Unlock()
	go func() {
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				f.mu.Lock()
				delete(f.sockets, conn)
				f.mu.Unlock()
				conn.Close()
				return
			}
		}
	}()
}

// broadcastLocked sends a post event to the sockets of the channel's members.
func (f *fakeMM) broadcastLocked(event model.WebsocketEventType, post *model.Post) {
	ch := f.channels[post.ChannelId]
	raw, _ := json.Marshal(post)
	ev := model.NewWebSocketEvent(event, ch.TeamId, ch.Id, "", nil, "")
	ev.Add("post", string(raw))
	if event == model.WebsocketEventPosted {
		ev.Add("channel_type", string(ch.Type))
		ev.Add("channel_name", ch.Name)
		ev.Add("sender_name", "@"+f.users[post.UserId].Username)
	}
	msg, _ := ev.ToJSON()
	for conn, user := range f.sockets {
		if f.members[ch.Id][user] {
			_ = conn.WriteMessage(websocket.TextMessage, msg)
		}
	}
}

// dropSockets cuts every WebSocket connection, and with refuse keeps refusing new ones.
func (f *fakeMM) dropSockets(refuse bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuseSockets = refuse
	for conn := range f.sockets {
		conn.Close()
		delete(f.sockets, conn)
	}
}

func (f *fakeMM) allowSockets() {
	f.mu.Lock()
	f.refuseSockets = false
	f.mu.Unlock()
}

func (f *fakeMM) socketCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sockets)
}

// serveHook records a command response.
func (f *fakeMM) serveHook(w http.ResponseWriter, r *http.Request) {
	var cr model.CommandResponse
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&cr) != nil {
		f.failf("bad command response request %s %s", r.Method, r.URL.Path)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.hooks = append(f.hooks, cr)
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// handleSetupLocked implements the admin routes Setup uses; it reports whether key was one.
func (f *fakeMM) handleSetupLocked(w http.ResponseWriter, key string, p map[string]string, body []byte, me string) bool {
	admin := strings.Contains(f.users[me].Roles, "system_admin")
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
		for _, u := range f.users {
			if u.Username == bot.Username {
				appError(w, 400, "app.user.save.username_exists.app_error")
				return true
			}
		}
		u := f.addUserLocked(bot.Username, "", "", true, "")
		bot.UserId, bot.OwnerId, bot.CreateAt = u.Id, me, u.CreateAt
		f.bots[u.Id] = &bot
		reply(w, 201, bot)
	case "GET /bots/{bot_user_id}":
		bot, ok := f.bots[p["bot_user_id"]]
		if !ok {
			appError(w, 404, "store.sql_bot.get.missing.app_error")
			return true
		}
		reply(w, 200, bot)
	case "POST /bots/{bot_user_id}/enable":
		bot, ok := f.bots[p["bot_user_id"]]
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
		if _, ok := f.users[p["user_id"]]; !ok {
			appError(w, 404, "app.user.missing_account.const")
			return true
		}
		tok := &model.UserAccessToken{Id: newID(), Token: newID(), UserId: p["user_id"], Description: req.Description, IsActive: true}
		f.tokens[tok.Token] = tok.UserId
		f.uaTokens[tok.UserId] = append(f.uaTokens[tok.UserId], tok)
		reply(w, 200, tok)
	case "POST /teams/{team_id}/members":
		var tm model.TeamMember
		if !decode(&tm) {
			return true
		}
		f.teamMemberLocked(p["team_id"], tm.UserId)
		reply(w, 201, tm)
	case "POST /channels/{channel_id}/members":
		var req struct {
			UserID string `json:"user_id"`
		}
		if !decode(&req) {
			return true
		}
		ch, ok := f.channels[p["channel_id"]]
		if !ok || !f.teamMem[ch.TeamId][req.UserID] {
			appError(w, 403, "api.channel.add_user.to.channel.failed.deleted.app_error")
			return true
		}
		f.members[ch.Id][req.UserID] = true
		reply(w, 201, model.ChannelMember{ChannelId: ch.Id, UserId: req.UserID})
	case "POST /channels":
		var ch model.Channel
		if !decode(&ch) {
			return true
		}
		reply(w, 201, f.addChannelLocked(ch.TeamId, ch.Name, ch.Type, me))
	case "GET /commands":
		var out []*model.Command
		for _, c := range f.commands {
			out = append(out, c)
		}
		reply(w, 200, out)
	case "POST /commands":
		var c model.Command
		if !decode(&c) {
			return true
		}
		c.Id, c.Token, c.CreatorId, c.CreateAt = newID(), newID(), me, f.nowLocked()
		f.commands[c.Id] = &c
		reply(w, 201, c)
	case "PUT /commands/{command_id}":
		var c model.Command
		if !decode(&c) {
			return true
		}
		old, ok := f.commands[p["command_id"]]
		if !ok {
			appError(w, 404, "app.command.getcommand.no_command.app_error")
			return true
		}
		c.Token = old.Token
		f.commands[c.Id] = &c
		reply(w, 200, c)
	default:
		return false
	}
	return true
}

// addFile stores a file as if a user had uploaded it, for a post to carry.
func (f *fakeMM) addFile(userID, channelID, name string, data []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	fi := &model.FileInfo{Id: newID(), CreatorId: userID, ChannelId: channelID, Name: name, Size: int64(len(data)), MimeType: "text/plain", CreateAt: f.nowLocked()}
	f.files[fi.Id] = data
	f.infos[fi.Id] = fi
	return fi.Id
}

// userPostFiles writes a post with files as a person would.
func (f *fakeMM) userPostFiles(userID, channelID, text string, fileIDs ...string) *model.Post {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.createPostLocked(&model.Post{UserId: userID, ChannelId: channelID, Message: text, FileIds: fileIDs}).Clone()
}

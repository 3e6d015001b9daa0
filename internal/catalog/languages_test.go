package catalog_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"text/template/parse"
	"unicode/utf8"

	"github.com/threadesk/threadesk/internal/catalog"
)

// tables are the shipped languages' tables, by code.
var tables = map[string]map[string]string{"en": catalog.English, "ru": catalog.Russian}

func TestLanguages(t *testing.T) {
	if got := catalog.Languages(); !slices.Equal(got, []string{"en", "ru"}) {
		t.Errorf("Languages() = %v, want [en ru]", got)
	}
	if len(tables) != len(catalog.Languages()) {
		t.Errorf("the tests know %d tables, the catalog ships %d languages: add the new one to tables", len(tables), len(catalog.Languages()))
	}
	args := map[string]any{"Ticket": "#3"}
	ru := catalog.For("ru").Text(catalog.StepClosed, args)
	en := catalog.For("en").Text(catalog.StepClosed, args)
	if ru != "Заявка #3 закрыта." || en != "#3 is closed." {
		t.Fatalf("For(ru) says %q, For(en) says %q", ru, en)
	}
	if catalog.For("en") != catalog.Default {
		t.Errorf("For(en) is not the Default catalog")
	}
	tests := []struct {
		locale string
		code   string // "" for a language the catalog does not ship
		text   string // what For(locale) says
	}{
		{"ru", "ru", ru}, {"ru-RU", "ru", ru}, {"ru_RU", "ru", ru}, {" RU ", "ru", ru},
		{"en", "en", en}, {"en-US", "en", en}, {"en_GB", "en", en},
		{"de-DE", "", en}, {"", "", en}, {"russian", "", en}, {"r", "", en},
	}
	for _, tt := range tests {
		code, ok := catalog.Match(tt.locale)
		if code != tt.code || ok != (tt.code != "") {
			t.Errorf("Match(%q) = %q, %v; want %q", tt.locale, code, ok, tt.code)
		}
		if got := catalog.For(tt.locale).Text(catalog.StepClosed, args); got != tt.text {
			t.Errorf("For(%q) says %q, want %q", tt.locale, got, tt.text)
		}
	}
}

// TestEveryIDHasAText: every message ID declared in catalog.go has an English text, and English
// has no text under an ID that is not declared (which no code could ask for).
func TestEveryIDHasAText(t *testing.T) {
	// The IDs are declared in catalog.go, and the dashboard's in dashboard.go.
	var decls []ast.Decl
	for _, name := range []string{"catalog.go", "dashboard.go"} {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		decls = append(decls, f.Decls...)
	}
	declared := map[string]string{} // ID → constant name
	for _, d := range decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			for i, name := range v.Names {
				if lit, ok := v.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					id, _ := strconv.Unquote(lit.Value)
					declared[id] = name.Name
				}
			}
		}
	}
	if len(declared) < 50 {
		t.Fatalf("found only %d message IDs in catalog.go", len(declared))
	}
	for id, name := range declared {
		if _, ok := catalog.English[id]; !ok {
			t.Errorf("%s (%q) has no English text", name, id)
		}
	}
	for id := range catalog.English {
		if _, ok := declared[id]; !ok {
			t.Errorf("English has a text for %q, which no constant declares", id)
		}
	}
}

// TestLanguagesComplete: every language has every message, and no message English lacks.
func TestLanguagesComplete(t *testing.T) {
	for lang, table := range tables {
		for id := range catalog.English {
			if strings.TrimSpace(table[id]) == "" {
				t.Errorf("%s: message %q is missing", lang, id)
			}
		}
		for id := range table {
			if _, ok := catalog.English[id]; !ok {
				t.Errorf("%s: message %q is not in English", lang, id)
			}
		}
	}
}

// TestSameArguments: a translation uses exactly the arguments the English text uses: one it
// adds is not given (the text would render as its ID), one it leaves out is information lost.
func TestSameArguments(t *testing.T) {
	for lang, table := range tables {
		for id, text := range table {
			en, ok := catalog.English[id]
			if !ok {
				continue // TestLanguagesComplete
			}
			want, got := fields(t, id, en), fields(t, id, text)
			for f := range got {
				if !want[f] {
					t.Errorf("%s %s uses .%s, which English does not", lang, id, f)
				}
			}
			for f := range want {
				if !got[f] {
					t.Errorf("%s %s leaves out .%s", lang, id, f)
				}
			}
		}
	}
}

// fields is the set of arguments (.Name) a text uses, anywhere in it.
func fields(t *testing.T, id, text string) map[string]bool {
	t.Helper()
	tmpl, err := template.New(id).Funcs(template.FuncMap{"plural": func(any, ...string) string { return "" }}).Parse(text)
	if err != nil {
		t.Fatalf("parse %s: %v", id, err)
	}
	set := map[string]bool{}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.ChainNode:
			walk(n.Node)
		case *parse.FieldNode:
			set[n.Ident[0]] = true
		}
	}
	walk(tmpl.Tree.Root)
	return set
}

// samples are arguments for every message, as the engine gives them: several sets where a text
// has branches, so that each branch is rendered.
var samples = map[string][]map[string]any{
	catalog.BotGreeting:      {{"Name": "Анна", "Categories": "• Billing — Invoices\n• Account"}},
	catalog.BotQuestion:      {{"Ask": "Which plan?"}},
	catalog.BotQuestionAgain: {{"Ask": "Which plan?", "Choices": true}, {"Ask": "Invoice number?", "Choices": false}},
	catalog.BotArticle:       {{"Title": "Reset your password", "Body": "Open the sign-in page…"}},
	catalog.BotStillNeed:     {nil},
	catalog.BotThanks:        {nil},
	catalog.BotConfirm:       {nil},
	catalog.BotChose:         {{"Choice": "Billing"}},
	catalog.BotOver:          {nil},
	catalog.ButtonSkip:       {nil},
	catalog.ButtonSolved:     {nil},
	catalog.ButtonHuman:      {nil},
	catalog.ButtonWantTicket: {nil},
	catalog.ButtonNoTicket:   {nil},
	catalog.CardSuggested:    {nil},
	catalog.TicketInIntake:   {{"Ticket": "#12"}},
	catalog.Reloaded:         {{"Summary": "4 categories"}},
	catalog.ReloadFailed:     {{"Problems": "desk.yaml:3: language", "Summary": "4 categories"}, {"Problems": "x", "Summary": ""}},
	catalog.ReloadNothing:    {nil},
	catalog.DashboardLink:    {{"URL": "https://desk.example.com/dashboard/signin?token=x"}},
	catalog.DashboardOff:     {nil},
	catalog.DashboardRevoked: {{"User": "@ann"}},

	catalog.ForgetConfirm:      {{"User": "@oleg", "Tickets": 2, "Numbers": "#3, #5", "Messages": 21, "Copies": 11}, {"User": "@oleg", "Tickets": 1, "Numbers": "#3", "Messages": 1, "Copies": 0}},
	catalog.ForgetCancelled:    {{"User": "@oleg"}},
	catalog.ForgetDone:         {{"User": "@oleg", "Tickets": 2, "Numbers": "#3, #5", "Messages": 21, "Copies": 11}, {"User": "@oleg", "Tickets": 1, "Numbers": "#3", "Messages": 1, "Copies": 0}},
	catalog.ForgetFailed:       {{"Count": 2, "Numbers": "#3", "Reason": "cant_delete_message"}},
	catalog.ForgetActive:       {{"User": "@oleg", "Numbers": "#5", "Command": "/desk"}},
	catalog.ForgetNotYours:     {{"Command": "/desk"}},
	catalog.NothingStored:      {{"User": "@oleg"}},
	catalog.ExportReady:        {{"User": "@oleg", "Tickets": 2}},
	catalog.ExportCaption:      {{"User": "@oleg", "Tickets": 1}},
	catalog.ExportAsText:       {{"Reason": "missing_scope"}},
	catalog.ButtonForget:       {nil},
	catalog.ButtonCancel:       {nil},
	catalog.CustomerForgotten:  {nil},
	catalog.RatingReminder:     {{"Ticket": "#12"}},
	catalog.NoticeNudge:        {{"Ticket": "#12"}},
	catalog.NoticeAutoResolved: {{"Ticket": "#12"}},
	catalog.KBFound:            {{"Query": "сброс пароля", "Lines": "• reset-password — Как сбросить пароль (ru)", "Command": "/desk"}},
	catalog.KBLine:             {{"ID": "reset-password", "Title": "Как сбросить пароль", "Lang": "ru"}},
	catalog.KBNone:             {{"Query": "погода", "Command": "/desk"}},
	catalog.KBArticle: {
		{"ID": "reset-password", "Lang": "ru", "Category": "Account", "Title": "Как сбросить пароль", "Body": "Нажмите «Забыли пароль?»", "Command": "/desk"},
		{"ID": "billing-faq", "Lang": "ru", "Category": "", "Title": "Оплата", "Body": "…", "Command": "/desk"},
	},
	catalog.KBUnknown:     {{"ID": "nope", "Command": "/desk"}},
	catalog.KBNotLoaded:   {nil},
	catalog.CannedUnknown: {{"Name": "restrat", "Names": "restart, fixed"}, {"Name": "restart", "Names": ""}},
	catalog.SentArticle:   {{"ID": "reset-password", "Ticket": "#12"}},
	catalog.SentCanned:    {{"Name": "restart", "Ticket": "#12", "Status": "pending"}},
	catalog.NoDMChannel:   {{"Ticket": "#12"}},
	catalog.NoticeAway:    {{"When": "on Monday 7 December at 09:00", "Zone": "Europe/Moscow", "Holiday": ""}, {"When": "tomorrow at 09:00", "Zone": "Europe/Moscow", "Holiday": "New Year"}},
	catalog.SLAReminder:   {{"Mention": "@ann", "Ticket": "#12", "Target": "first response", "Due": "Dec 7 14:30 MSK", "Left": "15m"}, {"Mention": "", "Ticket": "#12", "Target": "resolution", "Due": "Dec 7 14:30 MSK", "Left": "1h"}},
	catalog.SLABreached:   {{"Mention": "@ann", "Ticket": "#12", "Target": "first response", "Goal": "30m"}, {"Mention": "", "Ticket": "#12", "Target": "resolution", "Goal": "4h"}},
	catalog.SLALeads: {
		{"Leads": "@lead", "Ticket": "#12", "Target": "first response", "Goal": "30m", "Subject": "VPN is down", "Assignee": "Ann"},
		{"Leads": "", "Ticket": "#12", "Target": "resolution", "Goal": "4h", "Subject": "", "Assignee": ""},
	},
	catalog.SLAFirstResponse:   {nil},
	catalog.SLANextResponse:    {nil},
	catalog.SLAResolution:      {nil},
	catalog.SLAOnTrack:         {nil},
	catalog.SLAAtRisk:          {nil},
	catalog.SLABreachedState:   {nil},
	catalog.SLAPaused:          {nil},
	catalog.SLAMet:             {nil},
	catalog.CardSLA:            {nil},
	catalog.CardSLAClock:       {{"Target": "first response", "Due": "Dec 7 14:30 MSK", "State": "at risk"}, {"Target": "resolution", "Due": "", "State": "paused"}},
	catalog.CardOutOfHours:     {nil},
	catalog.CardOutOfHoursIs:   {nil},
	catalog.StatsSLA:           {{"Targets": "first response urgent 9/1 (90%), median 12m, p90 28m / 30m", "Agents": "Ann 8/1"}, {"Targets": "resolution normal 1/0 (100%), median 2h, p90 2h", "Agents": ""}},
	catalog.StatsMedian:        {nil},
	catalog.QueueSLA:           {{"Breached": 1, "AtRisk": 2, "Next": "#12", "Target": "first response", "Due": "Dec 7 14:30 MSK", "Left": "15m"}, {"Breached": 0, "AtRisk": 0, "Next": ""}},
	catalog.ListSLA:            {{"Target": "first response", "Due": "Dec 7 14:30 MSK", "State": "at risk"}},
	catalog.ListSLABreached:    {{"Target": "first response"}},
	catalog.TicketOpened:       {{"Ticket": "#12"}},
	catalog.TicketReopened:     {{"Ticket": "#12"}},
	catalog.CardTitle:          {{"Ticket": "#12", "Customer": "Анна Петрова"}},
	catalog.CardStatus:         {nil},
	catalog.CardPriority:       {nil},
	catalog.CardCategory:       {nil},
	catalog.CardTags:           {nil},
	catalog.CardAssignee:       {nil},
	catalog.CardCustomer:       {nil},
	catalog.CardPrevious:       {nil},
	catalog.CardUnassigned:     {nil},
	catalog.CardNone:           {nil},
	catalog.CardContext:        {{"Opened": "Nov 25 15:04", "Activity": "Nov 25 16:30"}},
	catalog.DeliveryFailedDM:   {{"Reason": "triage_channel_unavailable"}},
	catalog.DeliveryFailedNote: {{"Reason": "channel_not_found"}},
	catalog.WithdrawFailed:     {{"Reason": "cant_delete_message"}},
	catalog.CardPostedAgain:    {nil},
	catalog.CardDeleted:        {nil},
	catalog.FileTooLarge:       {{"Name": "отчёт.pdf", "Limit": "100 MB"}},
	catalog.FileFailed:         {{"Name": "screenshot.png", "Reason": "upload_failed"}},
	catalog.MessageLate:        {{"Time": "Dec 6 14:03:05 UTC"}},

	catalog.CardRating: {nil},
	catalog.CardRated:  {{"Score": 4, "Comment": ""}, {"Score": 5, "Comment": "Быстро и понятно"}},

	catalog.ButtonClaim:   {nil},
	catalog.ButtonAssign:  {nil},
	catalog.ButtonTag:     {nil},
	catalog.ButtonPending: {nil},
	catalog.ButtonResolve: {nil},
	catalog.ButtonReopen:  {nil},
	catalog.ButtonClose:   {nil},
	catalog.ButtonComment: {nil},

	catalog.FormTagTitle:      {{"Ticket": "#123456"}},
	catalog.FormAssignTitle:   {{"Ticket": "#123456"}},
	catalog.FormCommentTitle:  {{"Ticket": "#123456"}},
	catalog.FormSave:          {nil},
	catalog.FormCategory:      {nil},
	catalog.FormTags:          {nil},
	catalog.FormTagsHint:      {nil},
	catalog.FormPriority:      {nil},
	catalog.FormAgent:         {nil},
	catalog.FormComment:       {nil},
	catalog.FormSubmitComment: {nil},
	catalog.FormCloseTitle:    {{"Ticket": "#123456"}},
	catalog.FormCloseSubmit:   {nil},
	catalog.FormCloseNote:     {nil},
	catalog.FormCloseHint:     {nil},
	catalog.FormReplyTitle:    {{"Ticket": "#12"}},
	catalog.FormReplySubmit:   {nil},
	catalog.FormArticle:       {nil},
	catalog.FormArticleHint:   {{"Command": "/desk"}},
	catalog.FormCanned:        {nil},
	catalog.FormReplyOne:      {nil},
	catalog.ButtonReply:       {nil},

	// Notices are given the ticket and the agent, whichever they use.
	catalog.NoticeClaimed:    {{"Ticket": "#12", "Agent": "Мария"}},
	catalog.NoticeResolved:   {{"Ticket": "#12", "Agent": "Мария"}},
	catalog.NoticeClosed:     {{"Ticket": "#12", "Agent": ""}},
	catalog.NoticePending:    {{"Ticket": "#12", "Agent": "Мария"}},
	catalog.RatingQuestion:   {{"Ticket": "#12"}},
	catalog.RatingThanks:     {{"Ticket": "#12", "Score": 4}},
	catalog.RatingCommented:  {{"Ticket": "#12"}},
	catalog.RatingNotAllowed: {{"Ticket": "#12"}},

	catalog.Done:          {{"What": "Заявка #12 решена."}},
	catalog.NotAnAgent:    {{"Command": "/desk claim"}, {"Command": "claim", "Ticket": "#12", "Status": "new", "Value": ""}},
	catalog.NotALead:      {{"Command": "/desk stats"}},
	catalog.NoSuchTicket:  {{"Ticket": "#0"}},
	catalog.TicketClosed:  {{"Ticket": "#12", "Status": "closed", "Value": ""}},
	catalog.AlreadyStatus: {{"Ticket": "#12", "Status": "resolved", "Value": ""}},
	catalog.CannotReopen:  {{"Ticket": "#12", "Status": "open", "Value": ""}},
	catalog.ClosedStays:   {{"Ticket": "#12", "Status": "closed", "Value": ""}},
	catalog.UserNotAgent:  {{"User": "Олег"}, {"User": "(nobody)"}},
	catalog.UnknownUser:   {{"User": "@oleg"}},
	catalog.BadPriority:   {{"Value": "срочно", "Choices": "low, normal, high, urgent"}},
	catalog.BadCategory:   {{"Value": "Оплата", "Choices": "Billing, Account, Bug"}},
	catalog.Usage:         {{"Command": "/desk"}},
	catalog.UsageOf:       {{"Command": "/desk", "Usage": "claim N"}},
	catalog.CustomerHelp:  {{"Command": "/desk"}},
	catalog.UnknownSub:    {{"Command": "/desk", "Sub": "clam"}},
	catalog.UnknownCmd:    {{"Name": "/help", "Command": "/desk"}},
	catalog.NothingFound:  {nil},
	catalog.FormFailed:    {{"Reason": "expired_trigger_id"}},

	// Step answers are all given the same arguments.
	catalog.StepClaimed:     {stepArgs},
	catalog.StepAssigned:    {stepArgs},
	catalog.StepTagged:      {stepArgs, {"Ticket": "#12", "Agent": "", "Category": "нет", "Tags": "нет", "Priority": "normal"}},
	catalog.StepPriority:    {stepArgs},
	catalog.StepPending:     {stepArgs},
	catalog.StepResolved:    {stepArgs},
	catalog.StepReopened:    {stepArgs},
	catalog.StepClosed:      {stepArgs},
	catalog.AlreadyYours:    {{"Ticket": "#12", "Status": "open", "Value": ""}},
	catalog.AlreadyAssigned: {{"Ticket": "#12", "Status": "open", "Value": "Мария", "Agent": "Мария"}},

	// Without an oldest new ticket the engine gives neither its customer nor its age.
	catalog.QueueStatus: {
		queueArgs(nil),
		queueArgs(map[string]any{"Oldest": "#7", "Customer": "Анна Петрова", "Age": "3h"}),
	},
	catalog.ListLine: {
		{"Ticket": "#12", "Status": "open", "Priority": "high", "Customer": "Анна", "Assignee": "Мария", "Age": "5m", "Subject": "Не приходит счёт"},
		{"Ticket": "#13", "Status": "new", "Priority": "normal", "Customer": "Олег", "Assignee": "не назначен", "Age": "<1m", "Subject": ""},
	},
	catalog.ListMore:    {{"More": 7}},
	catalog.FindMore:    {nil},
	catalog.ShowTags:    {{"Category": "Billing", "Tags": "invoice, refund"}},
	catalog.ShowRating:  {{"Score": 3, "Comment": ""}, {"Score": 2, "Comment": "Долго ждал"}},
	catalog.ShowEntry:   {{"At": "2026-11-25 15:04", "Name": "Анна", "Kind": "customer", "Text": "Здравствуйте!"}},
	catalog.PeriodToday: {nil},
	catalog.PeriodDays:  {{"Days": "7"}, {"Days": "1"}, {"Days": "21"}},
	catalog.StatsText: {
		statsArgs(nil),
		statsArgs(map[string]any{"Ratings": 3, "Average": "4.3", "R4": 2, "R5": 1, "Categories": "Billing 2 · нет 1",
			"Agents": []string{"Мария: …", "Олег: …"}}),
	},
	catalog.StatsAgent: {{"Name": "Мария", "Responses": 4, "Median": "12m30s", "Resolved": 3, "Satisfaction": "4.5/5"}},
	catalog.NoData:     {nil},
	catalog.StatsBot: {
		botArgs(nil),
		botArgs(map[string]any{"Categories": "Billing 2/1 · нет 0/1", "Articles": "reset-password 3/1", "Sent": "2fa 1 · restart 2"}),
	},
}

func botArgs(more map[string]any) map[string]any {
	args := map[string]any{"Done": 2, "TimedOut": 2, "Categories": "", "Shown": 3, "Deflected": 1, "Articles": "",
		"ArticlesSent": 1, "CannedSent": 2, "Sent": ""}
	maps.Copy(args, more)
	return args
}

var stepArgs = map[string]any{"Ticket": "#12", "Agent": "Мария", "Category": "Billing", "Tags": "invoice, refund", "Priority": "high"}

func queueArgs(more map[string]any) map[string]any {
	args := map[string]any{"Active": 5, "New": 2, "Open": 2, "Pending": 1, "Unassigned": 3, "Resolved": 4, "Closed": 10,
		"Urgent": 1, "High": 0, "Normal": 4, "Low": 0, "Oldest": ""}
	maps.Copy(args, more)
	return args
}

func statsArgs(more map[string]any) map[string]any {
	args := map[string]any{"Period": "сегодня", "Opened": 3, "New": 1, "Open": 1, "Pending": 0, "Resolved": 1, "Closed": 0,
		"FRMedian": "4m", "FRP90": "20m", "FRCount": 2, "ResMedian": "2h0m0s", "ResP90": "–", "ResCount": 1,
		"Ratings": 0, "Average": "0.0", "R1": 0, "R2": 0, "R3": 0, "R4": 0, "R5": 0, "Categories": "", "Agents": []string(nil)}
	maps.Copy(args, more)
	return args
}

// TestEveryTextRenders renders every message of every language with its sample arguments: a
// text that fails (a function given the wrong type, a branch that needs an argument not given)
// would render as its ID.
func TestEveryTextRenders(t *testing.T) {
	for id := range catalog.English {
		if len(samples[id]) == 0 {
			t.Errorf("no sample arguments for %q: add them to samples", id)
		}
	}
	for _, lang := range catalog.Languages() {
		c := catalog.For(lang)
		for id, sets := range samples {
			for _, args := range sets {
				got := c.Text(id, args)
				if got == id || strings.Contains(got, "<no value>") || strings.TrimSpace(got) == "" {
					t.Errorf("%s %s with %v renders %q", lang, id, args, got)
				}
			}
		}
	}
}

// TestRussianIsTranslated: no Russian text is the English one left as it was, unless English
// has no words of its own (only arguments and signs).
func TestRussianIsTranslated(t *testing.T) {
	action := regexp.MustCompile(`\{\{.*?\}\}`)
	latin := regexp.MustCompile(`[A-Za-z]`)
	for id, en := range catalog.English {
		if catalog.Russian[id] == en && latin.MatchString(action.ReplaceAllString(en, "")) {
			t.Errorf("ru %s is the English text: %q", id, en)
		}
	}
}

// TestRussianNumbersAgree: in Russian a noun after a number takes one of three forms, so a
// number is never followed by a plain word, only by {{plural}} (or stands after a colon or a
// dash, where nothing agrees with it).
func TestRussianNumbersAgree(t *testing.T) {
	numberThenWord := regexp.MustCompile(`\{\{\.(\w+)\}\} +([а-яёА-ЯЁ]+)`)
	for id, text := range catalog.Russian {
		for _, m := range numberThenWord.FindAllStringSubmatch(text, -1) {
			for _, args := range samples[id] {
				if isNumber(args[m[1]]) {
					t.Errorf("ru %s: the number .%s is followed by %q without {{plural}}", id, m[1], m[2])
					break
				}
			}
		}
	}
}

func isNumber(v any) bool {
	switch v := v.(type) {
	case int, int64:
		return true
	case string:
		_, err := strconv.Atoi(v)
		return err == nil
	}
	return false
}

// TestPluralForms renders every text that counts something with the numbers whose forms differ:
// Russian has one form for 1, 21 (not 11, 111), one for 2–4, 22 (not 12–14), one for the rest.
func TestPluralForms(t *testing.T) {
	numbers := []int{1, 2, 5, 11, 21, 22, 25, 111}
	ruForm := map[int]int{1: 0, 2: 1, 5: 2, 11: 2, 21: 0, 22: 1, 25: 2, 111: 2}
	enForm := map[int]int{1: 0, 2: 1, 5: 1, 11: 1, 21: 1, 22: 1, 25: 1, 111: 1}
	tests := []struct {
		lang  string
		id    string
		args  func(n int) map[string]any
		forms []string // the text around n in each form, %d for n
	}{
		{"ru", catalog.ListMore, func(n int) map[string]any { return map[string]any{"More": n} },
			[]string{"… и ещё %d заявка", "… и ещё %d заявки", "… и ещё %d заявок"}},
		{"ru", catalog.PeriodDays, func(n int) map[string]any { return map[string]any{"Days": strconv.Itoa(n)} },
			[]string{"последний %d день", "последние %d дня", "последние %d дней"}},
		{"ru", catalog.StatsAgent, func(n int) map[string]any {
			return map[string]any{"Name": "Мария", "Responses": n, "Median": "1m", "Resolved": n, "Satisfaction": "–"}
		}, []string{"Мария: %d первый ответ (", "Мария: %d первых ответа (", "Мария: %d первых ответов ("}},
		{"ru", catalog.QueueStatus, func(n int) map[string]any { return queueArgs(map[string]any{"Active": n}) },
			[]string{"В очереди %d активная заявка:", "В очереди %d активные заявки:", "В очереди %d активных заявок:"}},
		{"ru", catalog.StatsText, func(n int) map[string]any { return statsArgs(map[string]any{"FRCount": n}) },
			[]string{"p90 20m (%d заявка)", "p90 20m (%d заявки)", "p90 20m (%d заявок)"}},
		{"ru", catalog.StatsText, func(n int) map[string]any { return statsArgs(map[string]any{"ResCount": n}) },
			[]string{"p90 – (%d заявка)", "p90 – (%d заявки)", "p90 – (%d заявок)"}},
		{"ru", catalog.StatsText, func(n int) map[string]any { return statsArgs(map[string]any{"Ratings": n, "Average": "4.0"}) },
			[]string{"4.0/5 по %d оценке (", "4.0/5 по %d оценкам (", "4.0/5 по %d оценкам ("}},
		{"ru", catalog.StatsBot, func(n int) map[string]any { return botArgs(map[string]any{"Done": n}) },
			[]string{"Бот первой линии: %d опрос завершён,", "Бот первой линии: %d опроса завершено,", "Бот первой линии: %d опросов завершено,"}},
		{"ru", catalog.StatsBot, func(n int) map[string]any { return botArgs(map[string]any{"CannedSent": n}) },
			[]string{"%d шаблонный ответ", "%d шаблонных ответа", "%d шаблонных ответов"}},
		{"ru", catalog.StatsBot, func(n int) map[string]any { return botArgs(map[string]any{"ArticlesSent": n}) },
			[]string{"Отправили агенты: %d статью,", "Отправили агенты: %d статьи,", "Отправили агенты: %d статей,"}},
		{"en", catalog.StatsBot, func(n int) map[string]any { return botArgs(map[string]any{"Shown": n}) },
			[]string{"shown %d time,", "shown %d times,"}},
		{"en", catalog.StatsBot, func(n int) map[string]any { return botArgs(map[string]any{"CannedSent": n}) },
			[]string{"%d canned reply", "%d canned replies"}},
		{"en", catalog.PeriodDays, func(n int) map[string]any { return map[string]any{"Days": strconv.Itoa(n)} },
			[]string{"the last %d day", "the last %d days"}},
		{"en", catalog.StatsAgent, func(n int) map[string]any {
			return map[string]any{"Name": "Ann", "Responses": n, "Median": "1m", "Resolved": n, "Satisfaction": "–"}
		}, []string{"Ann: %d first response (", "Ann: %d first responses ("}},
		{"en", catalog.StatsText, func(n int) map[string]any { return statsArgs(map[string]any{"FRCount": n}) },
			[]string{"p90 20m (%d ticket)", "p90 20m (%d tickets)"}},
		{"en", catalog.StatsText, func(n int) map[string]any { return statsArgs(map[string]any{"ResCount": n}) },
			[]string{"p90 – (%d ticket)", "p90 – (%d tickets)"}},
		{"en", catalog.StatsText, func(n int) map[string]any { return statsArgs(map[string]any{"Ratings": n, "Average": "4.0"}) },
			[]string{"4.0/5 from %d rating (", "4.0/5 from %d ratings ("}},
	}
	for _, tt := range tests {
		form := ruForm
		if tt.lang == "en" {
			form = enForm
		}
		for _, n := range numbers {
			got := catalog.For(tt.lang).Text(tt.id, tt.args(n))
			want := fmt.Sprintf(tt.forms[form[n]], n)
			if tt.id == catalog.PeriodDays {
				if got != want {
					t.Errorf("%s %s %d = %q, want %q", tt.lang, tt.id, n, got, want)
				}
			} else if !strings.Contains(got, want) {
				t.Errorf("%s %s %d = %q, want it to contain %q", tt.lang, tt.id, n, got, want)
			}
		}
	}
}

// TestFormsFitSlack: Slack cuts a form's title and its submit button after 24 characters (with
// a six-digit ticket number), and a button's text after 75.
func TestFormsFitSlack(t *testing.T) {
	limits := map[string]int{
		catalog.FormTagTitle: 24, catalog.FormAssignTitle: 24, catalog.FormCommentTitle: 24, catalog.FormCloseTitle: 24,
		catalog.FormSave: 24, catalog.FormSubmitComment: 24, catalog.FormCloseSubmit: 24,
		catalog.ButtonClaim: 75, catalog.ButtonAssign: 75, catalog.ButtonTag: 75, catalog.ButtonPending: 75,
		catalog.ButtonResolve: 75, catalog.ButtonReopen: 75, catalog.ButtonClose: 75, catalog.ButtonComment: 75,
	}
	for _, lang := range catalog.Languages() {
		for id, limit := range limits {
			if got := catalog.For(lang).Text(id, map[string]any{"Ticket": "#123456"}); utf8.RuneCountInString(got) > limit {
				t.Errorf("%s %s = %q: %d characters, Slack shows %d", lang, id, got, utf8.RuneCountInString(got), limit)
			}
		}
	}
}

// TestCommandsAreNotTranslated: the command reference lists the same commands with the same
// syntax in every language, in the same order; only what each does is translated.
func TestCommandsAreNotTranslated(t *testing.T) {
	syntax := func(lang string) []string {
		help := catalog.For(lang).Text(catalog.Usage, map[string]any{"Command": "/desk"})
		var out []string
		for _, l := range strings.Split(help, "\n")[1:] {
			cmd, _, _ := strings.Cut(l, " — ")
			out = append(out, cmd)
		}
		return out
	}
	en := syntax("en")
	for _, lang := range catalog.Languages() {
		if got := syntax(lang); !slices.Equal(got, en) {
			t.Errorf("%s help lists\n%s\nwant\n%s", lang, strings.Join(got, "\n"), strings.Join(en, "\n"))
		}
		// Every text that tells the person to run help says it as it is typed.
		for _, id := range []string{catalog.UnknownSub, catalog.UnknownCmd} {
			if got := catalog.For(lang).Text(id, samples[id][0]); !strings.Contains(got, "/desk help") {
				t.Errorf("%s %s = %q, want the command /desk help as it is typed", lang, id, got)
			}
		}
	}
}

package catalog

import "maps"

// The agents' dashboard's texts: every label of its pages, in the desk's language. They live
// in the same tables as the chat's texts (English and Russian below are merged into English
// and Russian), so a language is still one table per file and no change to logic.
//
// Names of statuses, priorities, steps, sorts, periods and history kinds are looked up by
// the value they name: "dash.status.new", "dash.priority.urgent", "dash.step.claim",
// "dash.kind.note", and so on (see the dashboard's names).
const (
	DashSkip        = "dash.skip"
	DashNavLabel    = "dash.nav"
	DashQueue       = "dash.queue"
	DashStatistics  = "dash.statistics"
	DashLead        = "dash.lead"
	DashSignOut     = "dash.sign_out"
	DashBackToQueue = "dash.back"
	DashQueueLink   = "dash.queue_link" // "← Queue"

	DashTitleSignIn    = "dash.title.signin"
	DashTitleSignedOut = "dash.title.signedout"
	DashSignedOutHead  = "dash.signedout.head"
	DashSignedOutPre   = "dash.signedout.pre"  // before the command
	DashSignedOutPost  = "dash.signedout.post" // after the command
	DashSignInHead     = "dash.signin.head"
	DashSignInPre      = "dash.signin.pre"    // before the person's name
	DashSignInPost     = "dash.signin.post"   // after it
	DashSignInAs       = "dash.signin.as"     // {{.Name}}
	DashLinkUnknown    = "dash.link_unknown"  // {{.Command}}
	DashLinkNoToken    = "dash.link_no_token" // {{.Command}}
	DashSignedOut      = "dash.signed_out"
	DashSessionEnded   = "dash.session_ended"
	DashAgentsOnly     = "dash.agents_only"

	DashNoSuchPage   = "dash.no_page"
	DashCrossSite    = "dash.cross_site"
	DashUnavailable  = "dash.unavailable"
	DashFailed       = "dash.failed"
	DashNoSuchTicket = "dash.no_ticket"   // {{.Ticket}} ("" when the number itself is not one)
	DashNoSuchAction = "dash.no_action"   //
	DashFormStale    = "dash.form_stale"  //
	DashElsewhere    = "dash.elsewhere"   // {{.Ticket}} {{.Platform}}: the viewer signed in from another platform
	DashLeadsOnly    = "dash.leads_only"  // another agent's statistics
	DashBadPriority  = "dash.bad_prio"    // {{.Value}}
	DashBadPeriod    = "dash.bad_period"  // {{.Value}}
	DashBadDates     = "dash.bad_dates"   // from/to are not dates, from first
	DashNoSuchFile   = "dash.no_file"     // a file that is not in the ticket's history
	DashFileFailed   = "dash.file_failed" // the platform would not give the file

	DashFilterLabel  = "dash.filter.label"
	DashSearch       = "dash.search"
	DashSearchHint   = "dash.search.hint"
	DashStatus       = "dash.status" // the label; DashStatus+"."+status the names
	DashPriority     = "dash.priority"
	DashAny          = "dash.any"
	DashCategory     = "dash.category"
	DashTag          = "dash.tag"
	DashMine         = "dash.mine"
	DashUnassigned   = "dash.unassigned"
	DashOutOfHours   = "dash.ooh"
	DashCameInOOH    = "dash.ooh.title"
	DashSort         = "dash.sort" // the label; DashSort+"."+order the names
	DashApply        = "dash.apply"
	DashClear        = "dash.clear"
	DashTickets      = "dash.tickets"   // {{.N}}: the word after a count of tickets, "tickets"
	DashTruncated    = "dash.truncated" // {{.N}}: only the newest N were searched
	DashDownloadCSV  = "dash.csv"
	DashNumber       = "dash.col.number"
	DashSubject      = "dash.col.subject"
	DashCustomer     = "dash.col.customer"
	DashTags         = "dash.col.tags"
	DashAssignee     = "dash.col.assignee"
	DashAge          = "dash.col.age"
	DashActivity     = "dash.col.activity"
	DashSLA          = "dash.col.sla"
	DashNoSubject    = "dash.no_subject"
	DashNoneMatch    = "dash.none_match"
	DashPages        = "dash.pages"
	DashPrevPage     = "dash.prev"
	DashNextPage     = "dash.next"
	DashPageN        = "dash.page" // {{.N}}
	DashLive         = "dash.live"
	DashUpdated      = "dash.updated" // {{.Time}}
	DashRetrying     = "dash.retrying"
	DashReconnecting = "dash.reconnecting"

	// Durations, written short (45s, 12m, 3h, 2d): {{.N}}.
	DashSeconds = "dash.unit.s"
	DashMinutes = "dash.unit.m"
	DashHours   = "dash.unit.h"
	DashDays    = "dash.unit.d"
	// An SLA target's state in the queue: {{.Target}} and, when due, {{.Left}}.
	DashSLABreached = "dash.sla.breached"
	DashSLADueIn    = "dash.sla.due_in"
	DashSLAPaused   = "dash.sla.paused"
	DashSLAClock    = "dash.sla.clock" // {{.Target}} {{.State}}
	DashSLADue      = "dash.sla.due"   // {{.When}}
	DashSLAAfter    = "dash.sla.after" // {{.Span}}

	DashTicketLabel  = "dash.ticket.label"
	DashNone         = "dash.none"
	DashPlatform     = "dash.platform"
	DashOpened       = "dash.opened"
	DashFirstReply   = "dash.first_response"
	DashResolved     = "dash.resolved"
	DashLastActivity = "dash.last_activity"
	DashRating       = "dash.rating"
	DashFollows      = "dash.follows"
	DashIntake       = "dash.intake"
	DashSuggested    = "dash.suggested"
	DashSolvedBy     = "dash.solved_by" // {{.Article}}
	DashThread       = "dash.thread"    // {{.Platform}}: the link to the ticket's thread
	DashSandbox      = "dash.sandbox"   // the sandbox's name, as a platform
	DashActions      = "dash.actions"
	DashAssignTo     = "dash.assign_to"
	DashAgentHint    = "dash.agent_hint"
	DashAssign       = "dash.assign"
	DashSet          = "dash.set"
	DashSave         = "dash.save"
	DashRepliesHint  = "dash.replies_hint"
	DashActThere     = "dash.act_there" // {{.Platform}}
	DashHistory      = "dash.history"
	DashNote         = "dash.note"
	DashNothingYet   = "dash.nothing_yet"
	DashFiles        = "dash.files"
	DashBytes        = "dash.bytes" // {{.N}}: a file's size
	DashKB           = "dash.kb"
	DashMB           = "dash.mb"

	DashPeriodFilters = "dash.period_filters"
	DashPeriod        = "dash.period" // the label; DashPeriod+"."+period the names
	DashPeriodCustom  = "dash.period.custom"
	DashAll           = "dash.all"
	DashEveryone      = "dash.everyone"
	DashWholeDesk     = "dash.whole_desk"
	DashAgent         = "dash.agent"
	DashShow          = "dash.show"
	DashFrom          = "dash.from"
	DashTo            = "dash.to"
	DashCustom        = "dash.custom"
	DashTotals        = "dash.totals"
	DashOpenedN       = "dash.opened_n" // {{.N}}: the label under a count of opened tickets
	DashResolvedN     = "dash.resolved_n"
	DashInQueue       = "dash.in_queue"
	DashFRTile        = "dash.fr_tile"  // {{.P90}}
	DashResTile       = "dash.res_tile" // {{.P90}}
	DashSatTile       = "dash.sat_tile" // {{.N}} ratings
	DashOverTime      = "dash.over_time"
	DashChartVolume   = "dash.chart.volume"
	DashChartTimes    = "dash.chart.times"
	DashChartHours    = "dash.chart.hours"
	DashTableSeries   = "dash.table.series"
	DashTableHours    = "dash.table.hours"
	DashHour          = "dash.hour"
	DashDay           = "dash.day"
	DashColOpened     = "dash.col.opened"
	DashColResolved   = "dash.col.resolved"
	DashColFR         = "dash.col.fr"
	DashColRes        = "dash.col.res"
	DashColSat        = "dash.col.sat"
	DashColFirstResps = "dash.col.first_responses"
	DashColSLA        = "dash.col.sla_met"
	DashSatisfaction  = "dash.satisfaction"
	DashScore         = "dash.score"
	DashRatings       = "dash.ratings"
	DashComments      = "dash.comments"
	DashYourComments  = "dash.your_comments"
	DashByCategory    = "dash.by_category"
	DashColTickets    = "dash.col.tickets"
	DashAgents        = "dash.agents"
	DashYou           = "dash.you"
	DashSLAAttain     = "dash.sla_attainment"
	DashTarget        = "dash.target"
	DashMet           = "dash.met"
	DashBreached      = "dash.breached"
	DashMetPct        = "dash.met_pct"
	DashDeflected     = "dash.deflected"
	DashArticle       = "dash.article"
	DashDeflections   = "dash.deflections"
	DashChartResolved = "dash.chart.resolved" // the charts' series
	DashChartFR       = "dash.chart.fr"
	DashChartRes      = "dash.chart.res"
	DashChartSat      = "dash.chart.satisfaction" // satisfaction per hour or day, with how many ratings
	DashChartSLA      = "dash.chart.sla"          // the share of SLA targets met per hour or day
	DashTableSat      = "dash.table.satisfaction"
	DashTableSLA      = "dash.table.sla"
	DashAverage       = "dash.average" // the average rating, a column and a chart's series
	DashOpenedFrom    = "dash.opened_from"
	DashOpenedTo      = "dash.opened_to"
	DashPeriodInQueue = "dash.period_in_queue" // the title of a count's link to its tickets

	DashStatusIntake   = "dash.status.intake"
	DashStatusNew      = "dash.status.new"
	DashStatusOpen     = "dash.status.open"
	DashStatusPending  = "dash.status.pending"
	DashStatusResolved = "dash.status.resolved"
	DashStatusClosed   = "dash.status.closed"
	DashPriorityLow    = "dash.priority.low"
	DashPriorityNormal = "dash.priority.normal"
	DashPriorityHigh   = "dash.priority.high"
	DashPriorityUrgent = "dash.priority.urgent"
	DashSortNumber     = "dash.sort.number"
	DashSortActivity   = "dash.sort.activity"
	DashSortAge        = "dash.sort.age"
	DashSortPriority   = "dash.sort.priority"
	DashSortDue        = "dash.sort.due"
	DashPeriodToday    = "dash.period.today"
	DashPeriod7        = "dash.period.7d"
	DashPeriod30       = "dash.period.30d"
	DashPeriod90       = "dash.period.90d"
	DashStepClaim      = "dash.step.claim"
	DashStepPending    = "dash.step.pending"
	DashStepResolve    = "dash.step.resolve"
	DashStepReopen     = "dash.step.reopen"
	DashStepClose      = "dash.step.close"
	DashStepAssign     = "dash.step.assign"
	DashStepTag        = "dash.step.tag"
	DashStepPriority   = "dash.step.priority"
	DashKindCustomer   = "dash.kind.customer"
	DashKindAgent      = "dash.kind.agent"
	DashKindStatus     = "dash.kind.status"
	DashKindEdit       = "dash.kind.edit"
	DashKindDelete     = "dash.kind.delete"
	DashKindSystem     = "dash.kind.system"
	DashKindIntake     = "dash.kind.intake"
	DashKindAction     = "dash.kind.action"
	DashKindSLA        = "dash.kind.sla"
	DashKindRating     = "dash.kind.rating"
	DashKindExpired    = "dash.kind.expired"
	DashUnitHour       = "dash.unit_by.hour"
	DashUnitDay        = "dash.unit_by.day"
)

// dashboardEnglish is the dashboard's part of the English table.
var dashboardEnglish = map[string]string{
	DashSkip:        "Skip to content",
	DashNavLabel:    "Dashboard",
	DashQueue:       "Queue",
	DashStatistics:  "Statistics",
	DashLead:        "lead",
	DashSignOut:     "Sign out",
	DashBackToQueue: "Back to the queue",
	DashQueueLink:   "← Queue",

	DashTitleSignIn:    "Sign in",
	DashTitleSignedOut: "Signed out",
	DashSignedOutHead:  "Threadesk dashboard",
	DashSignedOutPre:   "To sign in, run",
	DashSignedOutPost:  "in Slack or Mattermost (or in the sandbox's triage channel). The app answers with a link for you only, which works once, within 10 minutes.",
	DashSignInHead:     "Sign in to Threadesk",
	DashSignInPre:      "This link was made for",
	DashSignInPost:     ". It works once.",
	DashSignInAs:       "Sign in as {{.Name}}",
	DashLinkUnknown:    "This sign-in link is unknown, used or expired. Run {{.Command}} in chat for a new one.",
	DashLinkNoToken:    "The sign-in form has no token. Run {{.Command}} in chat for a new link.",
	DashSignedOut:      "You are signed out.",
	DashSessionEnded:   "Your session has ended.",
	DashAgentsOnly:     "The dashboard is for support agents: members of the triage channel.",

	DashNoSuchPage:   "There is no such page.",
	DashCrossSite:    "This request came from another site and was refused.",
	DashUnavailable:  "The desk cannot be reached right now; try again in a moment.",
	DashFailed:       "Something went wrong on our side; try again.",
	DashNoSuchTicket: "{{if .Ticket}}There is no ticket {{.Ticket}}.{{else}}There is no such ticket.{{end}}",
	DashNoSuchAction: "There is no such action.",
	DashFormStale:    "The form is incomplete; reload the page and try again.",
	DashElsewhere:    "{{.Ticket}} lives on {{.Platform}}: act on it there, or sign in from {{.Platform}}.",
	DashLeadsOnly:    "Only leads see another agent's statistics.",
	DashBadPriority:  "There is no priority “{{.Value}}”.",
	DashBadPeriod:    "There is no period “{{.Value}}”; choose today, 7d, 30d or 90d.",
	DashBadDates:     "Give from and to as dates, from first (YYYY-MM-DD).",
	DashNoSuchFile:   "This ticket has no such file.",
	DashFileFailed:   "The file could not be fetched from the chat platform; try again.",

	DashFilterLabel:  "Filter the queue",
	DashSearch:       "Search",
	DashSearchHint:   "words in subject, customer, tags…",
	DashStatus:       "Status",
	DashPriority:     "Priority",
	DashAny:          "any",
	DashCategory:     "Category",
	DashTag:          "Tag",
	DashMine:         "mine",
	DashUnassigned:   "unassigned",
	DashOutOfHours:   "out of hours",
	DashCameInOOH:    "came in out of hours",
	DashSort:         "Sort",
	DashApply:        "Apply",
	DashClear:        "Clear",
	DashTickets:      "{{plural .N \"ticket\" \"tickets\"}}",
	DashTruncated:    "(the newest {{.N}} searched)",
	DashDownloadCSV:  "Download CSV",
	DashNumber:       "#",
	DashSubject:      "Subject",
	DashCustomer:     "Customer",
	DashTags:         "Tags",
	DashAssignee:     "Assignee",
	DashAge:          "Age",
	DashActivity:     "Activity",
	DashSLA:          "SLA",
	DashNoSubject:    "(no subject)",
	DashNoneMatch:    "No tickets match.",
	DashPages:        "Pages",
	DashPrevPage:     "← Previous page",
	DashNextPage:     "Next page →",
	DashPageN:        "Page {{.N}}",
	DashLive:         "live",
	DashUpdated:      "updated {{.Time}}",
	DashRetrying:     "could not update; retrying",
	DashReconnecting: "reconnecting…",

	DashSeconds:     "{{.N}}s",
	DashMinutes:     "{{.N}}m",
	DashHours:       "{{.N}}h",
	DashDays:        "{{.N}}d",
	DashSLABreached: "{{.Target}} breached",
	DashSLADueIn:    "{{.Target}} due in {{.Left}}",
	DashSLAPaused:   "{{.Target}} paused",
	DashSLAClock:    "{{.Target}}: {{.State}}",
	DashSLADue:      "due {{.When}}",
	DashSLAAfter:    "after {{.Span}}",

	DashTicketLabel:  "Ticket",
	DashNone:         "none",
	DashPlatform:     "Platform",
	DashOpened:       "Opened",
	DashFirstReply:   "First response",
	DashResolved:     "Resolved",
	DashLastActivity: "Last activity",
	DashRating:       "Rating",
	DashFollows:      "Follows",
	DashIntake:       "Intake",
	DashSuggested:    "Articles suggested",
	DashSolvedBy:     "solved by {{.Article}}",
	DashThread:       "Open the thread in {{.Platform}}",
	DashSandbox:      "the sandbox",
	DashActions:      "Actions",
	DashAssignTo:     "Assign to",
	DashAgentHint:    "@agent",
	DashAssign:       "Assign",
	DashSet:          "Set",
	DashSave:         "Save",
	DashRepliesHint:  "Replies to the customer are written in the ticket's thread in chat.",
	DashActThere:     "This ticket lives on {{.Platform}}: act on it there.",
	DashHistory:      "History",
	DashNote:         "internal note",
	DashNothingYet:   "Nothing yet.",
	DashFiles:        "Files",
	DashBytes:        "{{.N}} B",
	DashKB:           "{{.N}} KB",
	DashMB:           "{{.N}} MB",

	DashPeriodFilters: "Period and filters",
	DashPeriod:        "Period",
	DashPeriodCustom:  "{{.From}} – {{.To}}",
	DashAll:           "all",
	DashEveryone:      "everyone",
	DashWholeDesk:     "the whole desk",
	DashAgent:         "Agent",
	DashShow:          "Show",
	DashFrom:          "From",
	DashTo:            "To",
	DashCustom:        "Custom",
	DashTotals:        "Totals",
	DashOpenedN:       "opened",
	DashResolvedN:     "resolved",
	DashInQueue:       "These tickets in the queue",
	DashFRTile:        "first response (median; p90 {{.P90}})",
	DashResTile:       "resolution (median; p90 {{.P90}})",
	DashSatTile:       "satisfaction ({{.N}} {{plural .N \"rating\" \"ratings\"}})",
	DashOverTime:      "Over time",
	DashChartVolume:   "Tickets opened and resolved",
	DashChartTimes:    "Median first response and resolution",
	DashChartHours:    "Tickets opened by hour of day",
	DashTableSeries:   "The numbers over time as a table",
	DashTableHours:    "Tickets opened by hour of day as a table",
	DashHour:          "Hour",
	DashDay:           "Day",
	DashColOpened:     "Opened",
	DashColResolved:   "Resolved",
	DashColFR:         "Median first response",
	DashColRes:        "Median resolution",
	DashColSat:        "Satisfaction (ratings)",
	DashColFirstResps: "First responses",
	DashColSLA:        "SLA met / breached",
	DashSatisfaction:  "Satisfaction",
	DashScore:         "Score",
	DashRatings:       "Ratings",
	DashComments:      "Comments",
	DashYourComments:  "Comments on your tickets",
	DashByCategory:    "Opened by category",
	DashColTickets:    "Tickets",
	DashAgents:        "Agents",
	DashYou:           "You",
	DashSLAAttain:     "SLA attainment",
	DashTarget:        "Target",
	DashMet:           "Met",
	DashBreached:      "Breached",
	DashMetPct:        "Met %",
	DashDeflected:     "Questions the knowledge base answered",
	DashArticle:       "Article",
	DashDeflections:   "Deflections",
	DashChartResolved: "Resolved",
	DashChartFR:       "First response",
	DashChartRes:      "Resolution",
	DashChartSat:      "Average satisfaction and ratings",
	DashChartSLA:      "SLA targets met, %",
	DashTableSat:      "Satisfaction over time as a table",
	DashTableSLA:      "SLA attainment over time as a table",
	DashAverage:       "Average rating",
	DashOpenedFrom:    "Opened from",
	DashOpenedTo:      "Opened to",
	DashPeriodInQueue: "These tickets in the queue: opened in this period",

	DashStatusIntake:   "intake",
	DashStatusNew:      "new",
	DashStatusOpen:     "open",
	DashStatusPending:  "pending",
	DashStatusResolved: "resolved",
	DashStatusClosed:   "closed",
	DashPriorityLow:    "low",
	DashPriorityNormal: "normal",
	DashPriorityHigh:   "high",
	DashPriorityUrgent: "urgent",
	DashSortNumber:     "number",
	DashSortActivity:   "activity",
	DashSortAge:        "age",
	DashSortPriority:   "priority",
	DashSortDue:        "due",
	DashPeriodToday:    "today",
	DashPeriod7:        "7d",
	DashPeriod30:       "30d",
	DashPeriod90:       "90d",
	DashStepClaim:      "Claim",
	DashStepPending:    "Pending",
	DashStepResolve:    "Resolve",
	DashStepReopen:     "Reopen",
	DashStepClose:      "Close",
	DashStepAssign:     "assign",
	DashStepTag:        "tag",
	DashStepPriority:   "priority",
	DashKindCustomer:   "customer",
	DashKindAgent:      "agent",
	DashKindStatus:     "status",
	DashKindEdit:       "edit",
	DashKindDelete:     "delete",
	DashKindSystem:     "system",
	DashKindIntake:     "intake",
	DashKindAction:     "action",
	DashKindSLA:        "sla",
	DashKindRating:     "rating",
	DashKindExpired:    "history removed after the retention period (RETENTION)",
	DashUnitHour:       "by the hour",
	DashUnitDay:        "by the day",
}

// dashboardRussian is the dashboard's part of the Russian table. The labels are short, as on
// any Russian web page: nouns for columns and fields, infinitives or imperatives for buttons.
var dashboardRussian = map[string]string{
	DashSkip:        "Перейти к содержимому",
	DashNavLabel:    "Панель",
	DashQueue:       "Очередь",
	DashStatistics:  "Статистика",
	DashLead:        "руководитель",
	DashSignOut:     "Выйти",
	DashBackToQueue: "Вернуться к очереди",
	DashQueueLink:   "← Очередь",

	DashTitleSignIn:    "Вход",
	DashTitleSignedOut: "Вы вышли",
	DashSignedOutHead:  "Панель Threadesk",
	DashSignedOutPre:   "Чтобы войти, выполните команду",
	DashSignedOutPost:  "в Slack или Mattermost (или в канале поддержки в песочнице). Приложение пришлёт ссылку, которую видите только вы; она сработает один раз в течение 10 минут.",
	DashSignInHead:     "Вход в Threadesk",
	DashSignInPre:      "Ссылка выдана пользователю",
	DashSignInPost:     " и сработает только один раз.",
	DashSignInAs:       "Войти как {{.Name}}",
	DashLinkUnknown:    "Эта ссылка для входа неизвестна, уже использована или устарела. Выполните в чате {{.Command}}, чтобы получить новую.",
	DashLinkNoToken:    "В форме входа нет токена. Выполните в чате {{.Command}}, чтобы получить новую ссылку.",
	DashSignedOut:      "Вы вышли из панели.",
	DashSessionEnded:   "Сеанс завершён.",
	DashAgentsOnly:     "Панель доступна только агентам поддержки — участникам канала поддержки.",

	DashNoSuchPage:   "Такой страницы нет.",
	DashCrossSite:    "Запрос пришёл с другого сайта и отклонён.",
	DashUnavailable:  "Служба поддержки сейчас недоступна; попробуйте чуть позже.",
	DashFailed:       "Что-то пошло не так на нашей стороне; попробуйте ещё раз.",
	DashNoSuchTicket: "{{if .Ticket}}Заявки {{.Ticket}} нет.{{else}}Такой заявки нет.{{end}}",
	DashNoSuchAction: "Такого действия нет.",
	DashFormStale:    "Форма заполнена не полностью; обновите страницу и попробуйте снова.",
	DashElsewhere:    "Заявка {{.Ticket}} ведётся на другой платформе ({{.Platform}}): работайте с ней там или войдите через {{.Platform}}.",
	DashLeadsOnly:    "Статистику другого агента видят только руководители.",
	DashBadPriority:  "Приоритета «{{.Value}}» нет.",
	DashBadPeriod:    "Периода «{{.Value}}» нет; выберите today, 7d, 30d или 90d.",
	DashBadDates:     "Укажите даты «с» и «по» (ГГГГ-ММ-ДД), сначала более раннюю.",
	DashNoSuchFile:   "В этой заявке нет такого файла.",
	DashFileFailed:   "Не удалось получить файл с платформы; попробуйте ещё раз.",

	DashFilterLabel:  "Фильтр очереди",
	DashSearch:       "Поиск",
	DashSearchHint:   "слова из темы, имени клиента, тегов…",
	DashStatus:       "Статус",
	DashPriority:     "Приоритет",
	DashAny:          "любой",
	DashCategory:     "Категория",
	DashTag:          "Тег",
	DashMine:         "мои",
	DashUnassigned:   "без исполнителя",
	DashOutOfHours:   "в нерабочее время",
	DashCameInOOH:    "поступила в нерабочее время",
	DashSort:         "Сортировка",
	DashApply:        "Применить",
	DashClear:        "Сбросить",
	DashTickets:      "{{plural .N \"заявка\" \"заявки\" \"заявок\"}}",
	DashTruncated:    "(поиск только по последним заявкам: {{.N}})",
	DashDownloadCSV:  "Скачать CSV",
	DashNumber:       "№",
	DashSubject:      "Тема",
	DashCustomer:     "Клиент",
	DashTags:         "Теги",
	DashAssignee:     "Исполнитель",
	DashAge:          "Возраст",
	DashActivity:     "Активность",
	DashSLA:          "Сроки SLA",
	DashNoSubject:    "(без темы)",
	DashNoneMatch:    "Подходящих заявок нет.",
	DashPages:        "Страницы",
	DashPrevPage:     "← Предыдущая страница",
	DashNextPage:     "Следующая страница →",
	DashPageN:        "Страница {{.N}}",
	DashLive:         "обновляется автоматически",
	DashUpdated:      "обновлено в {{.Time}}",
	DashRetrying:     "не удалось обновить; пробуем снова",
	DashReconnecting: "переподключение…",

	// Short units take no plural ending; a non-breaking space keeps them with the number.
	DashSeconds:     "{{.N}}\u00a0с",
	DashMinutes:     "{{.N}}\u00a0мин",
	DashHours:       "{{.N}}\u00a0ч",
	DashDays:        "{{.N}}\u00a0дн.",
	DashSLABreached: "{{.Target}}: нарушен",
	DashSLADueIn:    "{{.Target}}: осталось {{.Left}}",
	DashSLAPaused:   "{{.Target}}: на паузе",
	DashSLAClock:    "{{.Target}}: {{.State}}",
	DashSLADue:      "срок — {{.When}}",
	DashSLAAfter:    "за {{.Span}}",

	DashTicketLabel:  "Заявка",
	DashNone:         "нет",
	DashPlatform:     "Платформа",
	DashOpened:       "Открыта",
	DashFirstReply:   "Первый ответ",
	DashResolved:     "Решена",
	DashLastActivity: "Последняя активность",
	DashRating:       "Оценка",
	DashFollows:      "Продолжает заявку",
	DashIntake:       "Ответы боту",
	DashSuggested:    "Предложенные статьи",
	DashSolvedBy:     "вопрос решила статья {{.Article}}",
	DashThread:       "Открыть ветку заявки ({{.Platform}})",
	DashSandbox:      "песочница",
	DashActions:      "Действия",
	DashAssignTo:     "Назначить",
	DashAgentHint:    "@агент",
	DashAssign:       "Назначить",
	DashSet:          "Задать",
	DashSave:         "Сохранить",
	DashRepliesHint:  "Клиенту отвечают в ветке заявки в чате.",
	DashActThere:     "Заявка ведётся на другой платформе ({{.Platform}}): работайте с ней там.",
	DashHistory:      "История",
	DashNote:         "внутренняя заметка",
	DashNothingYet:   "Пока ничего.",
	DashFiles:        "Файлы",
	DashBytes:        "{{.N}}\u00a0Б",
	DashKB:           "{{.N}}\u00a0КБ",
	DashMB:           "{{.N}}\u00a0МБ",

	DashPeriodFilters: "Период и фильтры",
	DashPeriod:        "Период",
	DashPeriodCustom:  "{{.From}} — {{.To}}",
	DashAll:           "все",
	DashEveryone:      "все агенты",
	DashWholeDesk:     "вся поддержка",
	DashAgent:         "Агент",
	DashShow:          "Показать",
	DashFrom:          "С",
	DashTo:            "По",
	DashCustom:        "За эти даты",
	DashTotals:        "Итоги",
	DashOpenedN:       "открыто",
	DashResolvedN:     "решено",
	DashInQueue:       "Эти заявки в очереди",
	DashFRTile:        "первый ответ (медиана; p90 — {{.P90}})",
	DashResTile:       "решение (медиана; p90 — {{.P90}})",
	DashSatTile:       "удовлетворённость (оценок: {{.N}})",
	DashOverTime:      "Динамика",
	DashChartVolume:   "Открытые и решённые заявки",
	DashChartTimes:    "Медиана первого ответа и решения",
	DashChartHours:    "Открытые заявки по часам суток",
	DashTableSeries:   "Динамика в виде таблицы",
	DashTableHours:    "Открытые заявки по часам суток в виде таблицы",
	DashHour:          "Час",
	DashDay:           "День",
	DashColOpened:     "Открыто",
	DashColResolved:   "Решено",
	DashColFR:         "Медиана первого ответа",
	DashColRes:        "Медиана решения",
	DashColSat:        "Удовлетворённость (оценок)",
	DashColFirstResps: "Первые ответы",
	DashColSLA:        "SLA выполнен / нарушен",
	DashSatisfaction:  "Удовлетворённость",
	DashScore:         "Оценка",
	DashRatings:       "Оценок",
	DashComments:      "Комментарии",
	DashYourComments:  "Комментарии к вашим заявкам",
	DashByCategory:    "Открытые заявки по категориям",
	DashColTickets:    "Заявок",
	DashAgents:        "Агенты",
	DashYou:           "Вы",
	DashSLAAttain:     "Выполнение SLA",
	DashTarget:        "Цель",
	DashMet:           "Выполнено",
	DashBreached:      "Нарушено",
	DashMetPct:        "Выполнено, %",
	DashDeflected:     "Вопросы, которые решила база знаний",
	DashArticle:       "Статья",
	DashDeflections:   "Решено вопросов",
	DashChartResolved: "Решено",
	DashChartFR:       "Первый ответ",
	DashChartRes:      "Решение",
	DashChartSat:      "Средняя оценка и число оценок",
	DashChartSLA:      "Выполнено целей SLA, %",
	DashTableSat:      "Удовлетворённость по времени в виде таблицы",
	DashTableSLA:      "Выполнение SLA по времени в виде таблицы",
	DashAverage:       "Средняя оценка",
	DashOpenedFrom:    "Открыты с",
	DashOpenedTo:      "Открыты по",
	DashPeriodInQueue: "Эти заявки в очереди: открытые за этот период",

	DashStatusIntake:   "опрос ботом",
	DashStatusNew:      "новая",
	DashStatusOpen:     "в работе",
	DashStatusPending:  "ждём клиента",
	DashStatusResolved: "решена",
	DashStatusClosed:   "закрыта",
	DashPriorityLow:    "низкий",
	DashPriorityNormal: "обычный",
	DashPriorityHigh:   "высокий",
	DashPriorityUrgent: "срочный",
	DashSortNumber:     "по номеру",
	DashSortActivity:   "по активности",
	DashSortAge:        "сначала старые",
	DashSortPriority:   "по приоритету",
	DashSortDue:        "по сроку SLA",
	DashPeriodToday:    "сегодня",
	DashPeriod7:        "7 дней",
	DashPeriod30:       "30 дней",
	DashPeriod90:       "90 дней",
	DashStepClaim:      "Взять в работу",
	DashStepPending:    "Ждём клиента",
	DashStepResolve:    "Решено",
	DashStepReopen:     "Открыть снова",
	DashStepClose:      "Закрыть",
	DashStepAssign:     "назначение",
	DashStepTag:        "теги",
	DashStepPriority:   "приоритет",
	DashKindCustomer:   "клиент",
	DashKindAgent:      "агент",
	DashKindStatus:     "статус",
	DashKindEdit:       "правка",
	DashKindDelete:     "удаление",
	DashKindSystem:     "система",
	DashKindIntake:     "опрос",
	DashKindAction:     "действие",
	DashKindSLA:        "SLA",
	DashKindRating:     "оценка",
	DashKindExpired:    "история удалена по истечении срока хранения (RETENTION)",
	DashUnitHour:       "по часам",
	DashUnitDay:        "по дням",
}

// merge is a language's table with the dashboard's part added.
func merge(chat, dashboard map[string]string) map[string]string {
	out := make(map[string]string, len(chat)+len(dashboard))
	maps.Copy(out, chat)
	maps.Copy(out, dashboard)
	return out
}

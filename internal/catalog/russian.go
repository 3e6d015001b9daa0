package catalog

// Russian is the Russian table: every message English has, written the way a Russian support
// team writes to customers (polite «вы», short) and to each other. Ticket is «заявка»
// throughout. Where a name or a value is inserted, the sentence is built so that it stands in
// the nominative (after a colon or a dash, or as the subject), since an inserted word cannot
// change its ending; where a number precedes a noun, the noun takes the plural form for it.
// Commands and their syntax (`claim N`, `low|normal|high|urgent`) stay as they are typed.
var Russian = merge(map[string]string{
	TicketOpened:       "Спасибо! Мы получили ваше сообщение и открыли заявку {{.Ticket}}. Специалист ответит вам прямо здесь.",
	TicketReopened:     "Заявка {{.Ticket}} снова открыта — специалист ответит вам здесь.",
	CardTitle:          "Заявка {{.Ticket}} · {{.Customer}}",
	CardStatus:         "Статус",
	CardPriority:       "Приоритет",
	CardCategory:       "Категория",
	CardTags:           "Теги",
	CardAssignee:       "Исполнитель",
	CardCustomer:       "Клиент",
	CardPrevious:       "Предыдущая заявка",
	CardUnassigned:     "не назначен",
	CardNone:           "нет",
	CardContext:        "Открыта {{.Opened}} · последняя активность {{.Activity}} (UTC)",
	DeliveryFailedDM:   "Извините, не получилось передать ваше сообщение в поддержку ({{.Reason}}). Пожалуйста, отправьте его ещё раз.",
	DeliveryFailedNote: "⚠️ Не доставлено клиенту: {{.Reason}}",
	WithdrawFailed:     "⚠️ Ответ стал заметкой, но отозвать копию, которую уже получил клиент, не удалось: {{.Reason}}",
	CardPostedAgain:    "Карточку заявки удалили; опубликована новая.",
	CardDeleted:        "Карточку заявки удалили; новая появится, когда клиент напишет снова.",
	FileTooLarge:       "Файл {{.Name}} не передан: он больше {{.Limit}}.",
	FileFailed:         "Не удалось передать файл {{.Name}}: {{.Reason}}",
	MessageLate:        "⏱ Написано {{.Time}}; пришло позже следующих сообщений.",

	CardRating: "Оценка",
	CardRated:  "{{.Score}}/5{{if .Comment}}: «{{.Comment}}»{{end}}",

	ButtonClaim:   "Взять в работу",
	ButtonAssign:  "Назначить…",
	ButtonTag:     "Теги…",
	ButtonReply:   "Ответить…",
	ButtonPending: "Ждём клиента",
	ButtonResolve: "Решено",
	ButtonReopen:  "Открыть снова",
	ButtonClose:   "Закрыть",
	ButtonComment: "Добавить комментарий",

	// Slack cuts a form's title and its button after 24 characters.
	FormTagTitle:      "Теги заявки {{.Ticket}}",
	FormAssignTitle:   "Назначить заявку {{.Ticket}}",
	FormCommentTitle:  "Отзыв о заявке {{.Ticket}}",
	FormSave:          "Сохранить",
	FormCategory:      "Категория",
	FormTags:          "Теги",
	FormTagsHint:      "Через запятую или пробел",
	FormPriority:      "Приоритет",
	FormAgent:         "Исполнитель",
	FormComment:       "Комментарий",
	FormSubmitComment: "Отправить",
	FormCloseTitle:    "Закрыть заявку {{.Ticket}}?",
	FormCloseSubmit:   "Закрыть заявку",
	FormCloseNote:     "Заметка для агентов",
	FormCloseHint:     "Необязательно. Клиенту сообщим, что заявка закрыта; его следующее сообщение откроет новую заявку.",
	FormReplyTitle:    "Ответ по заявке {{.Ticket}}",
	FormReplySubmit:   "Отправить",
	FormArticle:       "Статья базы знаний",
	FormArticleHint:   "ID статьи; найти её поможет {{.Command}} kb search СЛОВА.",
	FormCanned:        "Шаблонный ответ",
	FormReplyOne:      "Выберите что-то одно: статью или шаблонный ответ.",

	NoticeClaimed:      "Вашей заявкой {{.Ticket}} теперь занимается {{.Agent}}.",
	NoticeResolved:     "Заявка {{.Ticket}} решена. Если что-то всё ещё не так, просто ответьте здесь, и мы откроем её снова.",
	NoticeClosed:       "Заявка {{.Ticket}} закрыта. Если понадобится помощь, пишите сюда в любое время — мы откроем новую.",
	NoticePending:      "Мы ждём вашего ответа по заявке {{.Ticket}} — напишите здесь, когда будет удобно.",
	RatingQuestion:     "Насколько хорошо мы помогли вам с заявкой {{.Ticket}}? Оцените от 1 (совсем плохо) до 5 (отлично).",
	RatingReminder:     "И последнее о заявке {{.Ticket}}: насколько хорошо мы вам помогли? Оцените от 1 (совсем плохо) до 5 (отлично).",
	NoticeNudge:        "Заявка {{.Ticket}} ждёт вашего ответа. Напишите сюда, когда будет удобно; если вопрос уже не актуален, заявка закроется сама.",
	NoticeAutoResolved: "Заявка {{.Ticket}} решена, так как мы не получили от вас ответа. Если помощь всё ещё нужна, просто ответьте здесь, и мы откроем её снова.",
	RatingThanks:       "Спасибо! Ваша оценка по заявке {{.Ticket}}: {{.Score}}/5.",
	RatingCommented:    "Спасибо за комментарий к заявке {{.Ticket}}.",
	RatingNotAllowed:   "Заявку {{.Ticket}} сейчас нельзя оценить.",

	Done:          "✅ {{.What}}",
	NotAnAgent:    "Команда {{.Command}} — только для сотрудников поддержки (участников канала заявок). Чтобы получить помощь, просто напишите свой вопрос здесь.",
	NotALead:      "Команда {{.Command}} доступна только руководителям (настройка LEADS).",
	NoSuchTicket:  "Заявка {{.Ticket}} не найдена.",
	TicketClosed:  "Заявка {{.Ticket}} закрыта; если клиент напишет снова, откроется новая заявка.",
	AlreadyStatus: "Заявка {{.Ticket}} уже в статусе {{.Status}}.",
	CannotReopen:  "Заявка {{.Ticket}} в статусе {{.Status}}; открыть снова можно только заявку, которая ждёт клиента или уже решена.",
	ClosedStays:   "Заявка {{.Ticket}} закрыта и останется закрытой: когда клиент напишет снова, откроется новая заявка со ссылкой на эту.",
	UserNotAgent:  "{{.User}} — не агент (агенты — это участники канала заявок; бот агентом быть не может).",
	UnknownUser:   "Пользователь {{.User}} не найден.",
	BadPriority:   "Приоритета «{{.Value}}» нет; можно выбрать: {{.Choices}}.",
	BadCategory:   "Категории «{{.Value}}» нет; можно выбрать: {{.Choices}}.",
	// One command a line, as in English; the commands and their syntax are not translated.
	Usage: `Формат: {{.Command}} ПОДКОМАНДА. Подкоманды:
• help — эта справка
• status — сводка по очереди
• list [new|open|pending|resolved|closed|mine|unassigned] — активные заявки или заявки с указанным статусом
• show N — заявка N и её недавняя история
• claim N — взять заявку N в работу
• assign N @agent — передать заявку N агенту
• tag N tag… — добавить теги (-tag убирает тег)
• priority N low|normal|high|urgent — задать приоритет заявки N
• pending N — заявка N ждёт ответа клиента
• resolve N · reopen N · close N — решить, снова открыть или закрыть заявку N
• find words… — искать заявки
• kb search words… · kb show ID — база знаний
• send N ID — отправить клиенту заявки N статью ID как ваш ответ
• reply N NAME — отправить клиенту заявки N шаблонный ответ NAME
• dashboard — ссылка для входа в веб-панель
• stats [today|7d|30d|90d] — статистика (для руководителей)
• reload — перечитать файлы службы (для руководителей)
• dashboard revoke @agent — выйти из веб-панели за агента на всех устройствах (для руководителей)
• export @user — файл JSON со всем, что хранится о клиенте (для руководителей)
• forget @user — удалить данные клиента после подтверждения (для руководителей)`,
	UsageOf:      "Формат: {{.Command}} {{.Usage}}",
	CustomerHelp: "Напишите свой вопрос здесь, и наша поддержка ответит вам в этом диалоге. Команда {{.Command}} — для сотрудников поддержки.",
	UnknownSub:   "Неизвестная подкоманда «{{.Sub}}». Попробуйте {{.Command}} help.",
	UnknownCmd:   "Неизвестная команда {{.Name}}: это приложение отвечает на {{.Command}}. Попробуйте {{.Command}} help.",
	NothingFound: "Заявок не найдено.",
	FormFailed:   "Не удалось открыть форму ({{.Reason}}). Нажмите, пожалуйста, ещё раз.",

	StepClaimed:     "Вы взяли заявку {{.Ticket}} в работу.",
	StepAssigned:    "Исполнитель заявки {{.Ticket}}: {{.Agent}}.",
	StepTagged:      "Заявка {{.Ticket}}: категория {{.Category}}, теги {{.Tags}}, приоритет {{.Priority}}.",
	StepPriority:    "Приоритет заявки {{.Ticket}}: {{.Priority}}.",
	StepPending:     "Заявка {{.Ticket}} ждёт ответа клиента.",
	StepResolved:    "Заявка {{.Ticket}} решена.",
	StepReopened:    "Заявка {{.Ticket}} снова открыта.",
	StepClosed:      "Заявка {{.Ticket}} закрыта.",
	AlreadyYours:    "Заявка {{.Ticket}} уже у вас.",
	AlreadyAssigned: "У заявки {{.Ticket}} уже есть исполнитель: {{.Agent}}.",

	QueueStatus: `В очереди {{.Active}} {{plural .Active "активная заявка" "активные заявки" "активных заявок"}}: новых — {{.New}}, в работе — {{.Open}}, ждут клиента — {{.Pending}}; без исполнителя — {{.Unassigned}}. Решённых — {{.Resolved}}, закрытых — {{.Closed}}.
По приоритету: срочных — {{.Urgent}}, высоких — {{.High}}, обычных — {{.Normal}}, низких — {{.Low}}.
{{if .Oldest}}Дольше всех ждёт первого ответа заявка {{.Oldest}} (клиент: {{.Customer}}) — уже {{.Age}}.{{else}}Первого ответа никто не ждёт.{{end}}`,
	ListLine:    "{{.Ticket}} [{{.Status}}, {{.Priority}}] {{.Customer}} · {{.Assignee}} · {{.Age}} назад{{if .Subject}} · {{.Subject}}{{end}}",
	ListMore:    `… и ещё {{.More}} {{plural .More "заявка" "заявки" "заявок"}}`,
	FindMore:    "… и другие: добавьте слова, чтобы сузить поиск.",
	ShowTags:    "Категория: {{.Category}}; теги: {{.Tags}}",
	ShowRating:  "Оценка {{.Score}}/5{{if .Comment}}: «{{.Comment}}»{{end}}",
	ShowEntry:   "{{.At}} {{.Name}} ({{.Kind}}): {{.Text}}",
	PeriodToday: "сегодня",
	PeriodDays:  `{{plural .Days "последний" "последние" "последние"}} {{.Days}} {{plural .Days "день" "дня" "дней"}}`,
	StatsText: `Статистика за {{.Period}}
Открыто заявок: {{.Opened}} · сейчас новых — {{.New}}, в работе — {{.Open}}, ждут клиента — {{.Pending}}, решённых — {{.Resolved}}, закрытых — {{.Closed}}
Время первого ответа: медиана {{.FRMedian}}, p90 {{.FRP90}} ({{.FRCount}} {{plural .FRCount "заявка" "заявки" "заявок"}})
Время решения: медиана {{.ResMedian}}, p90 {{.ResP90}} ({{.ResCount}} {{plural .ResCount "заявка" "заявки" "заявок"}})
{{if .Ratings}}Удовлетворённость: {{.Average}}/5 по {{.Ratings}} {{plural .Ratings "оценке" "оценкам" "оценкам"}} (1★ {{.R1}} · 2★ {{.R2}} · 3★ {{.R3}} · 4★ {{.R4}} · 5★ {{.R5}}){{else}}Удовлетворённость: оценок нет{{end}}{{if .Categories}}
По категориям: {{.Categories}}{{end}}{{range .Agents}}
• {{.}}{{end}}`,
	StatsAgent: `{{.Name}}: {{.Responses}} {{plural .Responses "первый ответ" "первых ответа" "первых ответов"}} (медиана {{.Median}}), решено заявок — {{.Resolved}}, средняя оценка — {{.Satisfaction}}`,
	NoData:     "–",
	StatsBot: `Бот первой линии: {{.Done}} {{plural .Done "опрос завершён" "опроса завершено" "опросов завершено"}}, без ответа клиента — {{.TimedOut}}{{if .Categories}} (по категориям, завершено/без ответа: {{.Categories}}){{end}}
Статьи: показаны {{.Shown}} {{plural .Shown "раз" "раза" "раз"}}, решили {{.Deflected}} {{plural .Deflected "вопрос" "вопроса" "вопросов"}}{{if .Articles}} (показана/решила: {{.Articles}}){{end}}
Отправили агенты: {{.ArticlesSent}} {{plural .ArticlesSent "статью" "статьи" "статей"}}, {{.CannedSent}} {{plural .CannedSent "шаблонный ответ" "шаблонных ответа" "шаблонных ответов"}}{{if .Sent}} ({{.Sent}}){{end}}`,

	BotGreeting:      "Здравствуйте, {{.Name}}! С чем связан ваш вопрос?\n{{.Categories}}",
	BotQuestion:      "{{.Ask}}",
	BotQuestionAgain: "{{.Ask}} ({{if .Choices}}пожалуйста, выберите один из ответов{{else}}пожалуйста, напишите ответ{{end}})",
	BotArticle:       "{{.Title}}\n{{.Body}}",
	BotStillNeed:     "Если это не помогло, вам ответит специалист.",
	BotThanks:        "Рады, что помогло! Пишите сюда, если понадобится что-то ещё.",
	BotConfirm:       "Вы — агент этой службы поддержки. Открыть заявку от вашего имени как от клиента?",
	BotChose:         "✔ {{.Choice}}",
	BotOver:          "На этот вопрос уже ответили. Напишите сюда, если нужно что-то ещё.",
	ButtonSkip:       "Пропустить",
	ButtonSolved:     "Это помогло",
	ButtonHuman:      "Нужен специалист",
	ButtonWantTicket: "Открыть заявку",
	ButtonNoTicket:   "Нет, спасибо",
	CardSuggested:    "Предложенные статьи",
	TicketInIntake:   "С клиентом по заявке {{.Ticket}} пока говорит бот первой линии; она появится в канале заявок, когда клиент ответит.",
	Reloaded:         "Файлы перечитаны: {{.Summary}}",
	ReloadFailed:     "В файлах есть ошибки, поэтому там ничего не изменилось: служба работает по-прежнему.\n{{.Problems}}{{if .Summary}}\nСейчас действует: {{.Summary}}{{end}}",
	ReloadNothing:    "Перечитывать нечего: DESK_CONFIG и KB_PATH не заданы.",

	DashboardLink:    "Ваша ссылка для входа в веб-панель, только для вас: {{.URL}}\nОна сработает один раз в течение 10 минут.",
	DashboardOff:     "Это приложение не открывает веб-панель.",
	DashboardRevoked: "Все сеансы веб-панели пользователя {{.User}} завершены; войти снова можно по новой ссылке.",

	ForgetConfirm:     `Забыть {{.User}}? Из хранилища службы будут удалены {{.Tickets}} {{plural .Tickets "заявка" "заявки" "заявок"}} ({{.Numbers}}) с {{.Messages}} {{plural .Messages "сообщением" "сообщениями" "сообщениями"}} истории, а также {{.Copies}} {{plural .Copies "копия" "копии" "копий"}} сообщений клиента в ветках канала поддержки. Номера заявок и обезличенная статистика останутся. Отменить это нельзя.`,
	ForgetCancelled:   "Данные {{.User}} не удалены.",
	ForgetDone:        `Данные {{.User}} удалены: заявок — {{.Tickets}} ({{.Numbers}}), сообщений в истории — {{.Messages}}; копий в ветках канала поддержки удалено — {{.Copies}}.`,
	ForgetFailed:      `Не удалось удалить {{.Count}} {{plural .Count "копию" "копии" "копий"}} в ветках заявок {{.Numbers}} ({{.Reason}}): удалите их вручную.`,
	ForgetActive:      "У {{.User}} есть активная заявка ({{.Numbers}}): сначала закройте её ({{.Command}} close N), потом удаляйте данные.",
	ForgetNotYours:    "Подтвердить может только руководитель, который это запросил; выполните {{.Command}} forget снова.",
	NothingStored:     "О {{.User}} ничего не хранится.",
	ExportReady:       `Выгрузка данных {{.User}} (заявок — {{.Tickets}}) в ваших личных сообщениях с приложением.`,
	ExportCaption:     `Всё, что хранится о {{.User}} (заявок — {{.Tickets}}), в формате JSON.`,
	ExportAsText:      "Файл загрузить не удалось ({{.Reason}}); JSON идёт ниже текстом.",
	ButtonForget:      "Удалить данные",
	ButtonCancel:      "Отмена",
	CustomerForgotten: "(данные удалены)",

	KBFound:       "Статьи по запросу «{{.Query}}», сначала лучшие:\n{{.Lines}}\n{{.Command}} kb show ID покажет статью; {{.Command}} send N ID отправит её клиенту заявки N.",
	KBLine:        "• {{.ID}} — {{.Title}} ({{.Lang}})",
	KBNone:        "Ни одна статья не отвечает на «{{.Query}}» достаточно точно. Попробуйте другие слова; {{.Command}} kb show ID покажет известную вам статью.",
	KBArticle:     "{{.ID}} ({{.Lang}}{{if .Category}}, {{.Category}}{{end}}): {{.Title}}\n{{.Body}}\n\n{{.Command}} send N {{.ID}} отправит её клиенту заявки N.",
	KBUnknown:     "Статьи {{.ID}} нет; {{.Command}} kb search СЛОВА найдёт нужную.",
	KBNotLoaded:   "База знаний не загружена: администратор указывает файл статей в KB_PATH.",
	CannedUnknown: "Шаблонного ответа {{.Name}} нет.{{if .Names}} Есть такие: {{.Names}}.{{else}} Их пока нет: шаблонные ответы задаются в разделе canned файла службы (DESK_CONFIG).{{end}}",
	SentArticle:   "Статья {{.ID}} отправлена клиенту заявки {{.Ticket}}.",
	SentCanned:    "Шаблонный ответ {{.Name}} отправлен клиенту заявки {{.Ticket}}; статус заявки — {{.Status}}.",
	NoDMChannel:   "У заявки {{.Ticket}} нет переписки с клиентом, куда можно написать.",

	NoticeAway:       "Спасибо за сообщение. Сейчас мы не работаем{{if .Holiday}} ({{.Holiday}}){{end}}; вернёмся {{.When}} ({{.Zone}}) и тогда ответим вам.",
	SLAReminder:      "⏰ {{if .Mention}}{{.Mention}} {{end}}Заявка {{.Ticket}}: {{.Target}} — срок {{.Due}}, осталось {{.Left}}.",
	SLABreached:      "🚨 {{if .Mention}}{{.Mention}} {{end}}Заявка {{.Ticket}}: {{.Target}} — срок ({{.Goal}}) нарушен.",
	SLALeads:         "🚨 {{if .Leads}}{{.Leads}} {{end}}Заявка {{.Ticket}}{{if .Subject}} ({{.Subject}}){{end}}: {{.Target}} — срок ({{.Goal}}) нарушен; {{if .Assignee}}ею занимается {{.Assignee}}.{{else}}ею никто не занимается.{{end}}",
	SLAFirstResponse: "первый ответ",
	SLANextResponse:  "следующий ответ",
	SLAResolution:    "решение",
	SLAOnTrack:       "в срок",
	SLAAtRisk:        "под угрозой",
	SLABreachedState: "нарушен",
	SLAPaused:        "на паузе",
	SLAMet:           "выполнен",
	CardSLA:          "Сроки (SLA)",
	CardSLAClock:     "{{.Target}}: {{if .Due}}срок {{.Due}} · {{end}}{{.State}}",
	CardOutOfHours:   "Поступила",
	CardOutOfHoursIs: "в нерабочее время",
	StatsSLA:         "SLA, выполнено/нарушено: {{.Targets}}{{if .Agents}}\nSLA по сотрудникам, выполнено/нарушено: {{.Agents}}{{end}}",
	StatsMedian:      "медиана",
	QueueSLA:         "SLA: нарушено {{.Breached}}, под угрозой {{.AtRisk}}.{{if .Next}} Ближайшее нарушение: {{.Next}}, {{.Target}} — срок {{.Due}} (через {{.Left}}).{{end}}",
	ListSLA:          " · {{.Target}} — срок {{.Due}}, {{.State}}",
	ListSLABreached:  " · {{.Target}}: SLA нарушен",
}, dashboardRussian)

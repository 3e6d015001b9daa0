// Threadesk sandbox page. Plain JavaScript, no build step, no external assets. Text from people
// and from the app is only ever put into the page as text nodes (never innerHTML).
//
// Test hooks (stable for browser tests; values are attributes, never layout):
//   connection                      [data-state] = connecting | live | reconnecting
//   errors > error                  one toast per failed request; its text is the server's error
//   customer-name, customer-create  create a customer (input, button); agent-name, agent-create likewise
//   agent-lead                      checkbox: the agent added is also a lead (may run /desk stats)
//   customer-tab, agent-tab         [data-user-id][data-user-name][aria-selected] pick who is played;
//                                   an agent's [data-lead="true"] with a lead-badge when a lead
//   dm-pane                         [data-user-id][data-user-name][data-selected="true" when shown]
//     dm-messages > message, dm-input, dm-file (file input), dm-send
//   triage > threads > thread       [data-thread-id] = native ID of the root message
//     thread-root > message         the root (usually the ticket card)
//     thread-replies > message      replies, oldest first
//     thread-input, thread-file, thread-send
//   triage-new                      "N new tickets below ↓": threads that arrived while the triage
//                                   list was scrolled up; a click scrolls to the first of them
//   triage-ephemeral > message      top-level answers only the selected agent sees
//   triage-input, triage-send       top-level box of the triage channel (commands, or ignored messages)
//   agent-dm-messages > message     what the app sent the selected agent by DM (read-only)
//   agent-dashboard                 button: signs the selected agent in to the web dashboard in a new
//                                   tab ([data-state] = idle | asking while it waits for the link);
//                                   it runs "/desk dashboard" as them and opens the link answered
//   agent-dashboard-link            that link, shown only when the browser blocked the new tab
//   message   [data-message-id][data-author (user ID, "" for the app)][data-from-app="true|false"]
//             [data-marks="delivered failed note", space-separated][data-ephemeral="true|false"]
//             [data-deleted][data-edited][data-failed]
//     message-author, message-text, message-marks, message-file (link), message-error,
//     message-retry, message-edit, message-delete, message-edit-input, message-edit-save,
//     message-edit-cancel, ephemeral-dismiss
//     card [data-message-id] > card-title (absent when the card has none), card-text,
//          card-field [data-label] (dd = value), card-button [data-action][data-value]
//          [data-style] (disabled while its click is being sent), card-context
//   form-overlay [data-form-id][data-form-kind = desk.Form.ID][data-user-id]
//     form > form-title, form-field [data-field-id][data-kind] > form-input (input/textarea/select),
//     form-field-error, form-error, form-submit, form-cancel
//     A "user" field is a select of the agents: option value = user ID, text "Name (@handle)".
// Cards with buttons work wherever they are: in the triage channel for agents, in a DM for its
// customer (the rating question). Answers only one person sees (command answers, refusals) show
// in that person's DM pane, in the thread of the card clicked, or under the triage channel.
// Typing "/desk …" (the configured command) in any message box runs the command instead of
// posting. Enter sends; Shift+Enter starts a new line.
(() => {
  'use strict';

  const state = {
    triage: 'triage', command: '/desk', maxText: 4000, maxUpload: 0,
    users: new Map(), messages: new Map(), order: [], forms: new Map(),
  };
  const ui = {
    customer: sessionStorage.getItem('sandbox.customer') || '',
    agent: sessionStorage.getItem('sandbox.agent') || '',
    dismissed: new Set(),
    editing: null, // {id, draft}
    panes: new Map(), // customer ID -> pane elements
    threads: new Map(), // root ID -> thread elements
    formShown: '', formDirty: false, formErrors: {}, formMessage: '',
    knownRoots: new Set(), // thread roots the agent has had the chance to see
    unseenRoots: [], // roots that arrived below while the triage list was scrolled up
  };
  const $ = (id) => document.getElementById(id);

  // ---- what a reload keeps ----
  // Dismissed answers and drafts (message boxes, an edit, an open form) are kept in the tab's
  // sessionStorage under the server's instance: a reload brings them back, while a restarted
  // server (another instance, whose people and messages are new) finds none of the old ones,
  // which are removed.
  const kept = { key: '', drafts: {} };
  const keptPrefix = 'sandbox.instance.';

  function loadKept(instance) {
    for (let i = sessionStorage.length - 1; i >= 0; i--) {
      const k = sessionStorage.key(i);
      if (k && k.startsWith(keptPrefix) && k !== keptPrefix + instance) sessionStorage.removeItem(k);
    }
    kept.key = keptPrefix + instance;
    let v = null;
    try { v = JSON.parse(sessionStorage.getItem(kept.key) || 'null'); } catch (e) { /* start afresh */ }
    kept.drafts = (v && typeof v.drafts === 'object' && v.drafts) || {};
    ui.dismissed = new Set((v && Array.isArray(v.dismissed)) ? v.dismissed : []);
  }

  function saveKept() {
    if (!kept.key) return;
    try {
      sessionStorage.setItem(kept.key, JSON.stringify({ dismissed: [...ui.dismissed], drafts: kept.drafts }));
    } catch (e) { /* storage full or off: drafts live only in the page */ }
  }

  function draft(key) { return kept.drafts[key]; }

  function setDraft(key, value) {
    if (value === undefined || value === null || value === '') delete kept.drafts[key];
    else kept.drafts[key] = value;
    saveKept();
  }

  function dismiss(id) {
    ui.dismissed.add(id);
    saveKept();
    schedule();
  }

  // h builds an element: attrs set attributes (on* keys add listeners), children are nodes or
  // strings (added as text).
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'value') el.value = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      el.append(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return el;
  }

  // ---- talking to the server ----

  function showError(text) {
    const toast = h('div', { class: 'toast', 'data-testid': 'error' },
      h('span', {}, text),
      h('button', { type: 'button', class: 'link', 'aria-label': 'Dismiss', onclick: () => toast.remove() }, '×'));
    $('errors').append(toast);
    setTimeout(() => toast.remove(), 10000);
  }

  async function api(path, body) {
    const opts = { method: 'POST', headers: {} };
    if (body instanceof FormData) {
      opts.body = body;
    } else {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch('/sandbox/api/' + path, opts);
    } catch (e) {
      showError('The sandbox server cannot be reached: ' + e.message);
      throw e;
    }
    let data = null;
    try { data = await res.json(); } catch (e) { /* not JSON */ }
    if (data && data.message && data.message.id) upsertMessage(data.message);
    if (!res.ok) {
      const err = new Error((data && data.error) || ('HTTP ' + res.status));
      err.status = res.status;
      err.data = data || {};
      if (!(data && data.fields)) showError(err.message);
      throw err;
    }
    return data;
  }

  // upsertMessage keeps the newest copy of a message: an API answer can arrive after the
  // stream already told of a later change.
  function upsertMessage(m) {
    const old = state.messages.get(m.id);
    if (old && old.rev > m.rev) return;
    if (!old) state.order.push(m.id);
    state.messages.set(m.id, m);
    schedule();
  }

  // newInstance forgets everything drawn for an earlier run of the server: after a restart none
  // of its people, messages or forms exist any more, and a pane left standing would offer a
  // composer for someone the server no longer knows.
  function newInstance(instance) {
    state.instance = instance;
    for (const p of ui.panes.values()) p.root.remove();
    ui.panes.clear();
    for (const t of ui.threads.values()) t.el.remove();
    ui.threads.clear();
    ui.formShown = ''; ui.formErrors = {}; ui.formMessage = '';
    ui.knownRoots = new Set(); ui.unseenRoots = []; ui.rootsDrawn = false;
    for (const k of Object.keys(tabKeys)) delete tabKeys[k];
    loadKept(instance);
    const e = draft('edit');
    ui.editing = e && e.id ? { id: e.id, draft: e.draft, focus: false } : null;
    $('triage-input').value = draft('triage') || '';
  }

  let stream = null;
  // connect opens the live stream. Every snapshot (the first, and one after each reconnection)
  // replaces the page's state, and the page is drawn again from it. The browser reconnects by
  // itself after a dropped connection, but gives up when the server answers with an error (as
  // one shutting down may): then the page tries again itself.
  function connect() {
    const es = new EventSource('/sandbox/stream');
    stream = es;
    const conn = $('connection');
    es.onopen = () => { conn.dataset.state = 'live'; conn.textContent = 'live'; };
    es.onerror = () => {
      conn.dataset.state = 'reconnecting'; conn.textContent = 'reconnecting…';
      if (es.readyState === EventSource.CLOSED && stream === es) setTimeout(connect, 1000);
    };
    es.addEventListener('snapshot', (e) => {
      const s = JSON.parse(e.data);
      if (s.instance !== state.instance) newInstance(s.instance);
      drawn.clear(); // every message is a new copy now
      state.triage = s.triage; state.command = s.command; state.notePrefix = s.notePrefix; state.maxText = s.maxText; state.maxUpload = s.maxUpload;
      state.users = new Map(s.users.map((u) => [u.id, u]));
      state.messages = new Map(s.messages.map((m) => [m.id, m]));
      state.order = s.messages.map((m) => m.id);
      state.forms = new Map(s.forms.map((f) => [f.id, f]));
      // Drafts of forms closed while the page was away go.
      for (const k of Object.keys(kept.drafts)) {
        if (k.startsWith('form:') && !state.forms.has(k.slice(5))) setDraft(k, '');
      }
      for (const el of document.querySelectorAll('.cmd-name')) el.textContent = state.command;
      for (const el of document.querySelectorAll('.note-prefix')) el.textContent = s.notePrefix;
      $('triage-input').placeholder = state.command + ' help — or a top-level message (the app ignores those)';
      for (const el of document.querySelectorAll('[data-testid="thread-input"]')) el.placeholder = 'Reply in thread (' + s.notePrefix + ' for an internal note)';
      conn.dataset.state = 'live'; conn.textContent = 'live';
      schedule();
    });
    es.addEventListener('user', (e) => { const u = JSON.parse(e.data); state.users.set(u.id, u); schedule(); });
    es.addEventListener('message', (e) => upsertMessage(JSON.parse(e.data)));
    es.addEventListener('form', (e) => { const f = JSON.parse(e.data); state.forms.set(f.id, f); schedule(); });
    es.addEventListener('form_closed', (e) => {
      const id = JSON.parse(e.data).id;
      state.forms.delete(id);
      setDraft('form:' + id, '');
      schedule();
    });
  }

  // ---- actions ----

  function isCommand(text) {
    const t = text.trim();
    return t === state.command || t.startsWith(state.command + ' ');
  }

  // send posts text (and files) as userID, under thread when given, or runs the command.
  async function send(userID, text, fileInput, thread) {
    const files = fileInput ? Array.from(fileInput.files) : [];
    if (!text.trim() && files.length === 0) return false;
    if (isCommand(text) && files.length === 0) {
      await api('commands', { user: userID, text: text.trim() });
      return true;
    }
    if (files.length > 0) {
      const problem = uploadProblem(files);
      if (problem) {
        // Refused before uploading: the text stays in the box, the files are taken off.
        showError(problem);
        fileInput.value = '';
        fileInput.dispatchEvent(new Event('change'));
        return false;
      }
      const fd = new FormData();
      fd.append('user', userID);
      fd.append('text', text);
      if (thread) fd.append('thread', thread);
      for (const f of files) fd.append('file', f, f.name);
      try {
        await api('messages', fd);
      } finally {
        fileInput.value = '';
        fileInput.dispatchEvent(new Event('change'));
      }
      return true;
    }
    const body = { user: userID, text: text };
    if (thread) body.thread = thread;
    try {
      await api('messages', body);
    } catch (e) {
      // A 503 left the message in the pane, flagged; anything else was refused outright.
      if (e.status === 503) return true;
      throw e;
    }
    return true;
  }

  // composer wires a textarea and button: Enter sends, Shift+Enter is a new line.
  // What is typed is kept as the draft draftKey until it is sent.
  function composer(form, input, fileInput, who, thread, draftKey) {
    const submit = async (ev) => {
      if (ev) ev.preventDefault();
      const userID = who();
      if (!userID) return;
      // The draft goes as the message leaves (a reload meanwhile must not bring it back), and
      // comes back if the message is refused.
      const text = input.value;
      setDraft(draftKey, '');
      let sent = false;
      try {
        sent = await send(userID, text, fileInput, thread);
      } catch (e) { /* shown already */ }
      if (sent) input.value = '';
      else setDraft(draftKey, input.value);
    };
    if (draft(draftKey)) input.value = draft(draftKey);
    input.addEventListener('input', () => setDraft(draftKey, input.value));
    form.addEventListener('submit', submit);
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) submit(ev);
    });
  }

  async function press(userID, m, a) {
    try { await api('actions', { user: userID, message: m.id, action: a.id, value: a.value }); } catch (e) { /* shown */ }
  }

  async function createUser(role, input, lead) {
    const name = input.value.trim();
    if (!name) { input.focus(); return; }
    try {
      const body = { name: name, role: role };
      if (lead && lead.checked) body.lead = true;
      const u = await api('users', body);
      state.users.set(u.id, u);
      select(role, u.id);
      input.value = '';
      if (lead) lead.checked = false;
    } catch (e) { /* shown */ }
  }

  function select(role, id) {
    if (role === 'customer') { ui.customer = id; sessionStorage.setItem('sandbox.customer', id); }
    else { ui.agent = id; sessionStorage.setItem('sandbox.agent', id); }
    stopEditing();
  }

  // startEditing and stopEditing open and close the edit box of a message, keeping its draft.
  function startEditing(m) {
    ui.editing = { id: m.id, draft: m.text, focus: true };
    setDraft('edit', { id: m.id, draft: m.text });
    schedule();
  }

  function stopEditing() {
    ui.editing = null;
    setDraft('edit', '');
    schedule();
  }

  // ---- rendering ----

  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    queueMicrotask(() => { pending = false; render(); });
  }

  function people(role) { return [...state.users.values()].filter((u) => u.role === role); }

  function label(m) {
    if (m.as) return m.as.displayName || m.as.name || m.as.id;
    if (m.fromApp) return 'Threadesk';
    const u = state.users.get(m.author);
    return u ? u.name : m.author;
  }

  // sizeText writes a number of bytes as the server does in its refusals ("10 MB", "1.5 KB").
  function sizeText(n) {
    const unit = (size, name) => (n % size === 0 ? String(n / size) : (n / size).toFixed(1)) + ' ' + name;
    if (n >= 1024 * 1024) return unit(1024 * 1024, 'MB');
    if (n >= 1024) return unit(1024, 'KB');
    return n + ' bytes';
  }

  // uploadProblem says why files cannot be sent (one larger than the sandbox accepts, or all of
  // them together), or returns '' when they can. The limit comes with the server's state.
  function uploadProblem(files) {
    if (!state.maxUpload) return '';
    const limit = sizeText(state.maxUpload);
    const big = files.find((f) => f.size > state.maxUpload);
    if (big) return big.name + ' is larger than the ' + limit + ' the sandbox accepts.';
    if (files.reduce((n, f) => n + f.size, 0) > state.maxUpload) return 'The files together are larger than the ' + limit + ' the sandbox accepts in one message.';
    return '';
  }

  function formatSize(n) {
    if (n < 1024) return n + ' B';
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KB';
    return (n / 1024 / 1024).toFixed(1) + ' MB';
  }

  // renderCard draws a card: title, text, fields in a two-column grid (short fields side by
  // side), buttons styled as the app asks, and the context line.
  function renderCard(m, viewer) {
    const c = m.card;
    return h('div', { class: 'card', 'data-testid': 'card', 'data-message-id': m.id },
      c.title ? h('div', { class: 'card-title', 'data-testid': 'card-title' }, c.title) : null,
      c.text ? h('div', { class: 'card-text', 'data-testid': 'card-text' }, c.text) : null,
      c.fields.length ? h('dl', { class: 'card-fields' }, c.fields.map((f) =>
        h('div', { class: 'card-field' + (f.short ? ' short' : ''), 'data-testid': 'card-field', 'data-label': f.label },
          h('dt', {}, f.label), h('dd', {}, f.value)))) : null,
      c.actions.length ? h('div', { class: 'card-actions' }, c.actions.map((a) => {
        const b = h('button', {
          type: 'button', class: 'card-button' + (a.style ? ' ' + a.style : ''), 'data-testid': 'card-button',
          'data-action': a.id, 'data-value': a.value, 'data-style': a.style || '',
          disabled: !viewer,
        }, a.label);
        b.addEventListener('click', async () => {
          b.disabled = true; // one click at a time; the card is redrawn when the app changes it
          b.classList.add('busy');
          try { await press(viewer, m, a); } finally { b.disabled = false; b.classList.remove('busy'); }
        });
        return b;
      })) : null,
      c.context ? h('div', { class: 'card-context', 'data-testid': 'card-context' }, c.context) : null);
  }

  // renderMessage draws one message as viewer (the user ID being played) sees it.
  function renderMessage(m, viewer) {
    const own = !m.fromApp && m.author === viewer;
    const note = m.marks.includes('note');
    const cls = ['msg'];
    if (m.fromApp) cls.push('app');
    if (own) cls.push('own');
    if (note) cls.push('note');
    if (m.ephemeral) cls.push('ephemeral');
    if (m.deleted) cls.push('deleted');
    if (m.error) cls.push('failed');
    const marks = h('span', { class: 'marks', 'data-testid': 'message-marks' },
      m.marks.includes('delivered') ? h('span', { class: 'mark-delivered', title: 'Delivered' }, '✓') : null,
      m.marks.includes('failed') ? h('span', { class: 'mark-failed', title: 'Not delivered' }, '⚠') : null);
    const at = new Date(m.at);
    const meta = h('div', { class: 'meta' },
      h('span', { class: 'author', 'data-testid': 'message-author' }, label(m)),
      m.fromApp ? h('span', { class: 'badge' }, m.as ? 'via app' : 'APP') : null,
      h('time', { datetime: m.at, title: at.toLocaleString() }, at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })),
      m.edited && !m.deleted ? h('span', { class: 'edited' }, '(edited)') : null,
      own && !m.deleted && !(ui.editing && ui.editing.id === m.id) ? h('span', { class: 'tools' },
        h('button', { type: 'button', class: 'link', 'data-testid': 'message-edit', onclick: () => startEditing(m) }, 'Edit'),
        h('button', { type: 'button', class: 'link', 'data-testid': 'message-delete', onclick: () => change(viewer, m, 'delete', {}) }, 'Delete')) : null,
      marks);
    const el = h('div', {
      class: cls.join(' '), 'data-testid': 'message', 'data-message-id': m.id, 'data-author': m.author || '',
      'data-from-app': String(m.fromApp), 'data-marks': m.marks.join(' '), 'data-ephemeral': String(!!m.ephemeral),
      'data-deleted': String(m.deleted), 'data-edited': String(m.edited), 'data-failed': String(!!m.error),
    }, meta);
    if (note) el.append(h('div', { class: 'note-label', 'data-testid': 'note-label' }, 'Internal note · not sent to the customer'));
    if (m.ephemeral) {
      el.append(h('div', { class: 'eph-label' }, 'Only visible to you · ',
        h('button', { type: 'button', class: 'link', 'data-testid': 'ephemeral-dismiss', onclick: () => dismiss(m.id) }, 'Dismiss')));
    }
    if (m.deleted) {
      el.append(h('div', { class: 'text', 'data-testid': 'message-text' }, 'This message was deleted.'));
    } else if (ui.editing && ui.editing.id === m.id && own) {
      const input = h('textarea', { 'data-testid': 'message-edit-input', rows: 2, 'aria-label': 'Edit message', value: ui.editing.draft });
      input.addEventListener('input', () => {
        ui.editing.draft = input.value;
        setDraft('edit', { id: m.id, draft: input.value });
      });
      const save = () => change(viewer, m, 'edit', { text: input.value }).then((ok) => { if (ok) stopEditing(); });
      input.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' && !ev.shiftKey) { ev.preventDefault(); save(); }
        if (ev.key === 'Escape') stopEditing();
      });
      el.append(h('div', { class: 'edit' }, input, h('div', { class: 'buttons' },
        h('button', { type: 'button', class: 'primary', 'data-testid': 'message-edit-save', onclick: save }, 'Save'),
        h('button', { type: 'button', 'data-testid': 'message-edit-cancel', onclick: stopEditing }, 'Cancel'))));
      if (ui.editing.focus) {
        ui.editing.focus = false;
        queueMicrotask(() => { input.focus(); input.setSelectionRange(input.value.length, input.value.length); });
      }
    } else if (m.text && !m.card) {
      el.append(h('div', { class: 'text', 'data-testid': 'message-text' }, m.text));
    }
    if (m.card && !m.deleted) el.append(renderCard(m, viewer));
    if (m.files.length && !m.deleted) {
      el.append(h('div', { class: 'files' }, m.files.map((f) => h('a', {
        class: 'file', 'data-testid': 'message-file', href: f.url, target: '_blank', rel: 'noopener', 'data-file-id': f.id,
      }, /^image\/(png|jpeg|gif|webp)$/.test(f.mimeType) ? h('img', { src: f.url, alt: f.name }) : null,
      f.name + ' (' + formatSize(f.size) + ')'))));
    }
    if (m.error) {
      el.append(h('div', { class: 'error', 'data-testid': 'message-error' }, '⚠ ' + m.error + ' ',
        own ? h('button', { type: 'button', class: 'link', 'data-testid': 'message-retry', onclick: () => change(viewer, m, 'retry', {}) }, 'Retry') : null));
    }
    return el;
  }

  async function change(userID, m, what, extra) {
    try {
      await api('messages/' + encodeURIComponent(m.id) + '/' + what, Object.assign({ user: userID }, extra));
      return true;
    } catch (e) {
      return e.status === 503; // the change is in the sandbox, flagged; the app may take it on retry
    }
  }

  function visibleTo(m, viewer) {
    return !m.ephemeral || (m.ephemeral === viewer && !ui.dismissed.has(m.id));
  }

  // messageEl returns the element of m as viewer sees it, reusing the one drawn before when
  // nothing it shows changed: elements that stay put keep focus, selection and what is typed,
  // and tests holding a reference to one do not lose it.
  const drawn = new Map(); // message ID + "|" + viewer -> {m, editing, el}
  function messageEl(m, viewer) {
    const key = m.id + '|' + viewer;
    const editing = !!(ui.editing && ui.editing.id === m.id);
    const c = drawn.get(key);
    if (c && c.m === m && c.editing === editing) return c.el;
    const el = renderMessage(m, viewer);
    drawn.set(key, { m, editing, el });
    return el;
  }

  // setChildren puts nodes into parent, touching the DOM only when they differ.
  function setChildren(parent, nodes) {
    const cur = parent.children;
    if (cur.length === nodes.length && nodes.every((n, i) => cur[i] === n)) return;
    parent.replaceChildren(...nodes);
  }

  // follow keeps a scrolling list at its bottom for as long as the person leaves it there: when
  // the list grows (a new message, an image that loads late, a card drawn again taller) it
  // scrolls along; once they scroll up, it stays where they put it. onBottom runs when they
  // reach the bottom.
  function follow(list, onBottom) {
    list.dataset.pinned = 'true';
    list.scrolledTo = list.scrollTop;
    list.addEventListener('scroll', () => {
      if (measure(list) && onBottom) onBottom();
    });
    // An image grows its message when it arrives; load events do not bubble, so catch them on
    // the way down.
    list.addEventListener('load', () => stick(list), true);
  }

  // measure notes whether a list is at its bottom where it is scrolled to now.
  function measure(list) {
    const bottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.dataset.pinned = String(bottom);
    list.scrolledTo = list.scrollTop;
    return bottom;
  }

  // pinned reports whether a followed list is pinned to its bottom. Scrolling is reported a
  // frame late: when the list is not where it was last seen, the person moved it, so it is
  // measured now; when it is, it is pinned if it was, however much it grew meanwhile.
  function pinned(list) {
    if (list.scrollTop !== list.scrolledTo) measure(list);
    return list.dataset.pinned === 'true';
  }

  // stick scrolls a followed list to its bottom if it is pinned there.
  function stick(list) {
    if (!pinned(list)) return;
    list.scrollTop = list.scrollHeight;
    list.scrolledTo = list.scrollTop;
  }

  // keepScroll fills a followed list, staying at the bottom if it was there.
  function keepScroll(list, nodes) {
    setChildren(list, nodes);
    stick(list);
  }

  // renderNewBelow shows, while the triage list is scrolled up, how many threads arrived below.
  function renderNewBelow() {
    const b = $('triage-new');
    const n = ui.unseenRoots.length;
    b.hidden = n === 0;
    if (n === 0) return;
    const tickets = ui.unseenRoots.every((id) => { const m = state.messages.get(id); return !!(m && m.card); });
    const word = tickets ? 'ticket' : 'thread';
    b.textContent = n + ' new ' + word + (n === 1 ? '' : 's') + ' below ↓';
  }

  // jumpToNew scrolls the triage list to the first thread that arrived unseen.
  function jumpToNew() {
    const box = $('threads');
    const t = ui.threads.get(ui.unseenRoots[0]);
    ui.unseenRoots = [];
    if (t) box.scrollTop += t.el.getBoundingClientRect().top - box.getBoundingClientRect().top;
    renderNewBelow();
  }

  const tabKeys = {};
  function renderTabs(role, nav, selected) {
    const key = selected + '|' + people(role).map((u) => u.id + (u.lead ? '*' : '')).join(',');
    if (tabKeys[role] === key) return;
    tabKeys[role] = key;
    nav.replaceChildren(...people(role).map((u) => h('button', {
      type: 'button', class: 'tab', role: 'tab', 'data-testid': role + '-tab', 'data-user-id': u.id,
      'data-user-name': u.name, 'aria-selected': String(u.id === selected), 'data-lead': String(!!u.lead),
      title: '@' + u.handle + (u.lead ? ' · lead' : ''),
      onclick: () => select(role, u.id),
    }, u.name, ' ', h('span', { class: 'handle' }, '@' + u.handle),
    u.lead ? h('span', { class: 'lead', 'data-testid': 'lead-badge' }, 'lead') : null)));
  }

  // attach wraps a file input in a small "Attach" button that names the chosen files.
  function attach(file) {
    const names = h('span', { class: 'names' });
    file.addEventListener('change', () => {
      const problem = uploadProblem(Array.from(file.files));
      if (problem) {
        // Said as soon as the files are chosen, not after a long upload; the choice is undone.
        showError(problem);
        file.value = '';
      }
      const n = file.files.length;
      names.textContent = n === 0 ? '' : n === 1 ? file.files[0].name : n + ' files';
    });
    return h('label', { class: 'attach', title: 'Attach files' }, 'Attach', names, file);
  }

  function dmPane(u) {
    let p = ui.panes.get(u.id);
    if (p) return p;
    const list = h('div', { class: 'messages', 'data-testid': 'dm-messages' });
    follow(list);
    const input = h('textarea', { 'data-testid': 'dm-input', rows: 2, placeholder: 'Message the app — or ' + state.command + ' help', 'aria-label': 'Message the app as ' + u.name });
    const file = h('input', { type: 'file', multiple: true, 'data-testid': 'dm-file', 'aria-label': 'Attach files' });
    const form = h('form', { class: 'composer', 'data-testid': 'dm-composer' }, input, attach(file),
      h('button', { type: 'submit', 'data-testid': 'dm-send' }, 'Send'));
    composer(form, input, file, () => u.id, '', 'dm:' + u.id);
    const root = h('div', { class: 'pane', 'data-testid': 'dm-pane', 'data-user-id': u.id, 'data-user-name': u.name },
      h('div', { class: 'pane-title' }, 'Direct messages · ' + u.name + ' and Threadesk'), list, form);
    $('dm-panes').append(root);
    p = { root, list, input };
    ui.panes.set(u.id, p);
    return p;
  }

  function threadBox(rootID) {
    let t = ui.threads.get(rootID);
    if (t) return t;
    const root = h('div', { class: 'root', 'data-testid': 'thread-root' });
    const replies = h('div', { class: 'replies messages', 'data-testid': 'thread-replies' });
    const input = h('textarea', { 'data-testid': 'thread-input', rows: 1, placeholder: 'Reply in thread (' + (state.notePrefix || '//') + ' for an internal note)', 'aria-label': 'Reply in thread' });
    const file = h('input', { type: 'file', multiple: true, 'data-testid': 'thread-file', 'aria-label': 'Attach files' });
    const form = h('form', { class: 'composer', 'data-testid': 'thread-composer' }, input, attach(file),
      h('button', { type: 'submit', 'data-testid': 'thread-send' }, 'Reply'));
    composer(form, input, file, () => ui.agent, rootID, 'thread:' + rootID);
    const el = h('article', { class: 'thread', 'data-testid': 'thread', 'data-thread-id': rootID }, root, replies, form);
    $('threads').append(el);
    t = { el, root, replies };
    ui.threads.set(rootID, t);
    return t;
  }

  function render() {
    const active = document.activeElement;
    if (ui.editing && active && active.dataset && active.dataset.testid === 'message-edit-input') ui.editing.focus = true;
    const editInput = ui.editing && ui.editing.focus ? active : null;
    const customers = people('customer');
    const agents = people('agent');
    if (!state.users.has(ui.customer)) ui.customer = customers.length ? customers[0].id : '';
    if (!state.users.has(ui.agent)) ui.agent = agents.length ? agents[0].id : '';
    renderTabs('customer', $('customer-tabs'), ui.customer);
    renderTabs('agent', $('agent-tabs'), ui.agent);
    $('no-customer').hidden = customers.length > 0;
    $('no-agent').hidden = agents.length > 0;
    $('triage').hidden = !ui.agent;

    const msgs = state.order.map((id) => state.messages.get(id));

    // Customers: one DM pane each, only the selected one shown; the panes of people the server
    // does not know (any more) go.
    for (const [id, p] of ui.panes) {
      if (!customers.some((u) => u.id === id)) { p.root.remove(); ui.panes.delete(id); }
    }
    for (const u of customers) {
      const p = dmPane(u);
      const shown = u.id === ui.customer;
      // A pane shown again may have lost its scroll position while hidden: that is no scroll
      // of the person's, so it keeps following if it was.
      const reshown = shown && p.root.hidden;
      p.root.hidden = !shown;
      if (reshown) p.list.scrolledTo = p.list.scrollTop;
      p.root.dataset.selected = String(shown);
      if (shown) keepScroll(p.list, msgs.filter((m) => m.channel === u.dm && visibleTo(m, u.id)).map((m) => messageEl(m, u.id)));
    }

    // Agents: the triage channel, one thread per top-level message, as the selected agent sees it.
    const agent = state.users.get(ui.agent);
    renderDashboard(agent);
    if (!agent) {
      for (const t of ui.threads.values()) t.el.remove();
      ui.threads.clear();
    }
    if (agent) {
      const triage = msgs.filter((m) => m.channel === state.triage && visibleTo(m, agent.id));
      const roots = triage.filter((m) => !m.thread && !m.ephemeral);
      const rootIDs = new Set(roots.map((m) => m.id));
      for (const [id, t] of ui.threads) if (!rootIDs.has(id)) { t.el.remove(); ui.threads.delete(id); }
      const box = $('threads');
      roots.forEach((r, i) => {
        const t = threadBox(r.id);
        // Move a thread only when out of order: moving a focused box would blur it.
        if (box.children[i] !== t.el) box.insertBefore(t.el, box.children[i] || null);
        setChildren(t.root, [messageEl(r, agent.id)]);
        setChildren(t.replies, triage.filter((m) => m.thread === r.id).map((m) => messageEl(m, agent.id)));
      });
      // Threads that arrive while the list is scrolled up are announced, not scrolled to.
      for (const r of roots) {
        if (ui.knownRoots.has(r.id)) continue;
        ui.knownRoots.add(r.id);
        if (ui.rootsDrawn && !pinned(box)) ui.unseenRoots.push(r.id);
      }
      ui.rootsDrawn = true;
      ui.unseenRoots = ui.unseenRoots.filter((id) => rootIDs.has(id));
      stick(box);
      renderNewBelow();
      // A link to a thread (#thread-ID, as the dashboard's ticket page gives) brings that
      // thread into view, once per link.
      const linked = decodeURIComponent((location.hash.match(/^#thread-(.+)$/) || [])[1] || '');
      if (linked && ui.linked !== linked && ui.threads.has(linked)) {
        ui.linked = linked;
        const el = ui.threads.get(linked).el;
        el.classList.add('linked');
        el.scrollIntoView({ block: 'center' });
      }
      setChildren($('triage-ephemeral'), triage.filter((m) => !m.thread && m.ephemeral).map((m) => messageEl(m, agent.id)));
      const dms = msgs.filter((m) => m.channel === agent.dm && visibleTo(m, agent.id));
      $('agent-dm').hidden = dms.length === 0;
      setChildren($('agent-dm-messages'), dms.map((m) => messageEl(m, agent.id)));
    }
    // A reused edit box that was moved lost focus; give it back.
    if (editInput && editInput.isConnected && document.activeElement !== editInput) {
      ui.editing.focus = false;
      editInput.focus();
    }

    renderForm();
  }

  // formValues reads what is entered in the form on screen, by field ID.
  function formValues() {
    const out = {};
    for (const el of $('form-overlay').querySelectorAll('[data-testid="form-input"]')) {
      out[el.name] = el.multiple ? [...el.selectedOptions].map((o) => o.value).join(',') : el.value;
    }
    return out;
  }

  // renderForm shows the first open form of the agent or customer being played. It is drawn
  // again only when it changes (a new form, errors to show, the agents a person picker offers),
  // keeping what was entered.
  function renderForm() {
    const overlay = $('form-overlay');
    const f = [...state.forms.values()].find((x) => x.user === ui.agent || x.user === ui.customer);
    if (!f) {
      overlay.hidden = true;
      overlay.replaceChildren();
      ui.formShown = '';
      return;
    }
    const agentsKey = people('agent').map((u) => u.id + ':' + u.name).join(',');
    if (ui.formShown === f.id && !ui.formDirty && ui.formAgents === agentsKey) return; // keep what is typed
    // What was entered: on the form drawn before, or, the first time it is drawn (after a
    // reload), the draft kept for it.
    const entered = ui.formShown === f.id ? formValues() : (draft('form:' + f.id) || null);
    ui.formDirty = false;
    ui.formAgents = agentsKey;
    if (ui.formShown !== f.id) { ui.formErrors = {}; ui.formMessage = ''; }
    ui.formShown = f.id;
    const who = state.users.get(f.user);
    const fields = f.fields.map((ff) => {
      let input;
      const common = { 'data-testid': 'form-input', name: ff.id, id: 'form-' + ff.id };
      const initial = ff.value ? ff.value.split(',').map((v) => v.trim()) : [];
      if (ff.kind === 'user') {
        // A person picker: the agents by name; the value is the user ID, as on Slack.
        input = h('select', common,
          h('option', { value: '' }, ff.optional ? '(nobody)' : 'Choose an agent…'),
          people('agent').map((u) => h('option', { value: u.id, selected: initial.includes(u.id), 'data-handle': u.handle }, u.name + ' (@' + u.handle + ')')));
      } else if (ff.kind === 'select' || ff.kind === 'multiselect') {
        input = h('select', Object.assign({ multiple: ff.kind === 'multiselect' }, common),
          ff.kind === 'select' ? h('option', { value: '' }, ff.optional ? '(none)' : 'Choose…') : null,
          ff.options.map((o) => h('option', { value: o, selected: initial.includes(o) }, o)));
      } else if (ff.kind === 'textarea') {
        input = h('textarea', Object.assign({ rows: 3, value: ff.value }, common));
      } else {
        input = h('input', Object.assign({ type: 'text', value: ff.value }, common));
      }
      return h('label', { 'data-testid': 'form-field', 'data-field-id': ff.id, 'data-kind': ff.kind, for: 'form-' + ff.id },
        h('span', {}, ff.label, ff.optional ? h('span', { class: 'optional' }, ' (optional)') : null),
        input,
        ff.hint ? h('span', { class: 'hint' }, ff.hint) : null,
        ui.formErrors[ff.id] ? h('span', { class: 'field-error', 'data-testid': 'form-field-error' }, ui.formErrors[ff.id]) : null);
    });
    const submit = async (ev) => {
      ev.preventDefault();
      const values = formValues();
      try {
        await api('forms/' + encodeURIComponent(f.id) + '/submit', { user: f.user, values: values });
        setDraft('form:' + f.id, '');
      } catch (e) {
        ui.formErrors = (e.data && e.data.fields) || {};
        ui.formMessage = e.message;
        ui.formDirty = true;
        render(); // shows the errors and puts the values back
      }
    };
    const cancel = async () => {
      try {
        await api('forms/' + encodeURIComponent(f.id) + '/cancel', { user: f.user });
        setDraft('form:' + f.id, '');
      } catch (e) { /* shown */ }
    };
    const modal = h('form', { class: 'modal', 'data-testid': 'form', onsubmit: submit },
      h('h3', { 'data-testid': 'form-title' }, f.title),
      h('p', { class: 'for' }, 'Shown to ' + (who ? who.name : f.user)),
      fields,
      ui.formMessage ? h('div', { class: 'form-error', 'data-testid': 'form-error' }, ui.formMessage) : null,
      h('div', { class: 'buttons' },
        h('button', { type: 'button', 'data-testid': 'form-cancel', onclick: cancel }, 'Cancel'),
        h('button', { type: 'submit', class: 'primary', 'data-testid': 'form-submit' }, f.submit || 'Submit')));
    const keepDraft = () => setDraft('form:' + f.id, formValues());
    modal.addEventListener('input', keepDraft);
    modal.addEventListener('change', keepDraft);
    overlay.replaceChildren(modal);
    if (entered) {
      for (const [id, v] of Object.entries(entered)) {
        const el = document.getElementById('form-' + id);
        if (!el) continue;
        if (el.multiple) for (const o of el.options) o.selected = v.split(',').includes(o.value);
        else if (el.tagName !== 'SELECT' || [...el.options].some((o) => o.value === v)) el.value = v;
      }
    }
    overlay.dataset.formId = f.id;
    overlay.dataset.formKind = f.formId;
    overlay.dataset.userId = f.user;
    overlay.hidden = false;
  }

  // ---- the dashboard ----
  // The Dashboard button signs the agent being played in to the web dashboard as a person does
  // in chat: it runs "/desk dashboard" as them and opens the private sign-in link the app answers
  // with (that answer also shows under the triage channel, as any command's does). The new tab
  // is opened at the click, so that no popup blocker stops it, and sent to the link when the
  // answer comes; should the browser block it all the same, the link is offered beside the
  // button instead.
  const signinLink = /https?:\/\/[^\s<>|"]+\/dashboard\/signin\?token=[^\s<>|"]+/;
  const dashboardWait = 15000;

  // answerTo waits for the first message the app shows only to userID that is not among
  // before, and returns it (null after dashboardWait).
  function answerTo(userID, before) {
    return new Promise((resolve) => {
      const started = Date.now();
      const look = () => {
        const id = state.order.find((i) => {
          const m = state.messages.get(i);
          return !before.has(i) && m && m.fromApp && m.ephemeral === userID;
        });
        if (id) resolve(state.messages.get(id));
        else if (Date.now() - started > dashboardWait) resolve(null);
        else setTimeout(look, 100);
      };
      look();
    });
  }

  async function openDashboard() {
    const agent = state.users.get(ui.agent);
    const button = $('agent-dashboard');
    const offered = $('agent-dashboard-link');
    if (!agent || button.dataset.state === 'asking') return;
    offered.hidden = true;
    const before = new Set(state.order);
    const tab = window.open('', '_blank');
    if (tab) {
      try {
        tab.document.title = 'Threadesk dashboard';
        tab.document.body.textContent = 'Asking Threadesk for a sign-in link for ' + agent.name + '…';
      } catch (e) { /* a browser that gave the tab another origin: it stays blank meanwhile */ }
    }
    button.dataset.state = 'asking';
    button.disabled = true;
    try {
      await api('commands', { user: agent.id, text: state.command + ' dashboard' });
      const answer = await answerTo(agent.id, before);
      const link = answer && (answer.text.match(signinLink) || [])[0];
      if (!link) {
        if (tab) tab.close();
        showError(answer ? 'No sign-in link for ' + agent.name + ': ' + answer.text : 'The app did not answer ' + state.command + ' dashboard in time.');
        return;
      }
      if (tab && !tab.closed) {
        tab.opener = null;
        tab.location.href = link;
      } else {
        offered.href = link;
        offered.textContent = 'Sign-in link for ' + agent.name + ' ↗';
        offered.dataset.userId = agent.id;
        offered.hidden = false;
      }
    } catch (e) {
      if (tab) tab.close(); // the refusal is shown
    } finally {
      button.dataset.state = 'idle';
      button.disabled = false;
    }
  }

  // renderDashboard names the agent the button signs in, and drops a link offered for another.
  function renderDashboard(agent) {
    const button = $('agent-dashboard');
    const label = agent ? 'Open the dashboard signed in as ' + agent.name : '';
    if (button.getAttribute('aria-label') !== label) button.setAttribute('aria-label', label);
    const offered = $('agent-dashboard-link');
    if (!offered.hidden && (!agent || offered.dataset.userId !== agent.id)) offered.hidden = true;
  }

  $('agent-dashboard').dataset.state = 'idle';
  $('agent-dashboard').addEventListener('click', openDashboard);
  $('agent-dashboard-link').addEventListener('click', () => { setTimeout(() => { $('agent-dashboard-link').hidden = true; }, 0); });
  $('customer-create').addEventListener('submit', (ev) => { ev.preventDefault(); createUser('customer', $('customer-name')); });
  $('agent-create').addEventListener('submit', (ev) => { ev.preventDefault(); createUser('agent', $('agent-name'), $('agent-lead')); });
  composer($('triage-composer'), $('triage-input'), null, () => ui.agent, '', 'triage');
  follow($('threads'), () => { if (ui.unseenRoots.length) { ui.unseenRoots = []; renderNewBelow(); } });
  $('triage-new').addEventListener('click', jumpToNew);
  connect();
})();

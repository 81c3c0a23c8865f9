// The manager dashboard: reads the JSON API of the same origin (the HttpOnly cookie carries the
// token), renders with textContent only (mail content is never parsed as HTML). No external network.
// Three views chosen by the URL hash: the overview (#), an account (#account=acme.com) and a
// thread (#thread=<id>), so a finding links to its thread and the browser's Back works.
'use strict';
const I18N = {
  en: { title: 'Interlocutor — manager dashboard', stalled: 'Stalled deals, by risk', account: 'Account', risk: 'Risk',
        reason: 'Reason', since: 'Since', suggestion: 'Suggestion', awaiting: 'Awaiting their reply', rank: '#',
        awaiting_mine: 'Awaiting my reply', days: 'Business days', chasers: 'Unanswered', next: 'Next follow-up',
        from: 'From', subject: 'Subject', aic: 'All-in-copy threads', recipients: 'Recipients', accounts: 'Accounts',
        none: 'Nothing to show', loaded: 'messages', escalate: 'escalate', last: 'Last activity', people: 'People',
        warnings: 'Warnings', filter: 'Filter', filter_hint: 'account, person, subject…', timeline: 'Messages per week (in / out)',
        stakeholders: 'Stakeholders', person: 'Person', role: 'Role', title_col: 'Title', exchanges: 'Two-way exchanges',
        strength: 'Relationship (1–5)', findings: 'Findings', kind: 'Kind', detail: 'Detail', inbound: 'in', outbound: 'out',
        primary: 'primary contact', no_stall: 'Not stalled.', thread: 'Thread', back: 'Back',
        rep: 'Rep', all_reps: 'all reps', previous: 'Previous', next_page: 'Next', of: 'of', all_accounts: 'all accounts', over_chasing: 'chased 3 times or more: change the approach',
        reasons: { budget: 'budget', technical: 'technical', champion_hesitant: 'hesitant champion',
                   consensus_impossible: 'no consensus', not_urgent: 'not urgent', unknown: 'unknown' },
        roles: { decision_maker: 'decision maker', signatory: 'signatory', prescriber: 'technical prescriber',
                 end_user: 'end user', influencer: 'influencer', unknown: 'unknown' },
        kinds: { awaiting_reply: 'awaiting their reply', awaiting_my_reply: 'awaiting my reply', all_in_copy: 'all in copy',
                 insists_on_cc: 'insists on staying in copy', stalled_deal: 'stalled deal', many_internal_contacts: 'many internal contacts' },
        warn: { single_threaded: 'single-threaded account', no_decision_maker: 'no decision maker engaged' } },
  fr: { title: 'Interlocutor — tableau de bord manager', stalled: 'Dossiers qui s’enlisent, par risque', account: 'Compte',
        risk: 'Risque', reason: 'Cause', since: 'Depuis', suggestion: 'Suggestion', awaiting: 'En attente de leur réponse', rank: 'N°',
        awaiting_mine: 'En attente de ma réponse', days: 'Jours ouvrés', chasers: 'Sans réponse', next: 'Prochaine relance',
        from: 'De', subject: 'Objet', aic: 'Conversations tout-en-copie', recipients: 'Destinataires', accounts: 'Comptes',
        none: 'Rien à signaler', loaded: 'messages', escalate: 'escalader', last: 'Dernière activité', people: 'Personnes',
        warnings: 'Alertes', filter: 'Filtrer', filter_hint: 'compte, personne, objet…', timeline: 'Messages par semaine (reçus / envoyés)',
        stakeholders: 'Interlocuteurs', person: 'Personne', role: 'Rôle', title_col: 'Fonction', exchanges: 'Échanges aller-retour',
        strength: 'Relation (1–5)', findings: 'Constats', kind: 'Type', detail: 'Détail', inbound: 'reçus', outbound: 'envoyés',
        primary: 'contact principal', no_stall: 'Pas d’enlisement.', thread: 'Conversation', back: 'Retour',
        rep: 'Commercial', all_reps: 'tous les commerciaux', previous: 'Précédents', next_page: 'Suivants', of: 'sur', all_accounts: 'tous les comptes', over_chasing: 'relancé 3 fois ou plus : changer d’approche',
        reasons: { budget: 'budget', technical: 'technique', champion_hesitant: 'champion hésitant',
                   consensus_impossible: 'consensus impossible', not_urgent: 'pas urgent', unknown: 'inconnue' },
        roles: { decision_maker: 'décideur', signatory: 'signataire', prescriber: 'prescripteur technique',
                 end_user: 'utilisateur', influencer: 'influenceur', unknown: 'inconnu' },
        kinds: { awaiting_reply: 'en attente de leur réponse', awaiting_my_reply: 'en attente de ma réponse', all_in_copy: 'tout-en-copie',
                 insists_on_cc: 'veut rester en copie', stalled_deal: 'dossier enlisé', many_internal_contacts: 'trop d’interlocuteurs internes' },
        warn: { single_threaded: 'un seul interlocuteur engagé', no_decision_maker: 'aucun décideur engagé' } },
};
let lang = localStorage.getItem('ilc_lang') || (navigator.language || 'en').slice(0, 2);
if (!I18N[lang]) lang = 'en';
let data = null;
const pages = {};  // account -> /v1/accounts/{account}, thread id -> /v1/threads/{id}
// The overview's finding tables: each shows one page of its kind, in the API's order (stalled
// deals by risk, the awaiting ones by business days waited), with previous/next and the count. On
// a large store a kind holds tens of thousands of findings: the page never asks for all of them.
const SECTIONS = [
  { key: 'stalled', kind: 'stalled_deal', sort: 'risk' },
  { key: 'awaiting', kind: 'awaiting_reply', sort: 'waiting_business_days' },
  { key: 'mine', kind: 'awaiting_my_reply', sort: 'waiting_business_days' },
  { key: 'aic', kind: 'all_in_copy', sort: '' },
];
const PAGE = 50;  // rows per page; #per=N (1 to 500) in the hash for another size
// The overview's filters live in the URL hash (#rep=…&org=…&q=…&stalled=50…) so that a link
// reproduces the view, pages included; the rep and the account are the API's own filters
// (/v1/findings?rep=&account=), the filter box filters the rows of the pages shown.
const filters = { rep: '', org: '', q: '', per: PAGE, offsets: {} };
function overviewHash() {
  const p = new URLSearchParams();
  for (const k of ['rep', 'org', 'q']) if (filters[k]) p.set(k, filters[k]);
  if (filters.per !== PAGE) p.set('per', filters.per);
  for (const s of SECTIONS) if (filters.offsets[s.key]) p.set(s.key, filters.offsets[s.key]);
  return '#' + p.toString();
}
function firstPages() { filters.offsets = {}; }
function query(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) p.set(k, v);
  const s = p.toString();
  return s ? '?' + s : '';
}

function t(k) { return I18N[lang][k] || k; }
function tr(group, k) { return (I18N[lang][group] || {})[k] || k; }
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
function link(text, hash) { const a = el('a', text); a.href = '#' + hash; return a; }
function accountLink(acc) { return acc ? link(acc, 'account=' + encodeURIComponent(acc)) : ''; }
function threadLink(text, id) { return id ? link(text || '—', 'thread=' + encodeURIComponent(id)) : text; }
function row(tbody, cells, sortKeys) {
  const r = el('tr');
  cells.forEach((c, i) => {
    const td = el('td');
    if (c instanceof Node) td.appendChild(c); else td.textContent = c ?? '';
    if (sortKeys && sortKeys[i] !== undefined) td.dataset.sort = sortKeys[i];
    r.appendChild(td);
  });
  tbody.appendChild(r);
  return r;
}
function empty(tbody, n) { const r = el('tr', undefined, 'empty'); const td = el('td', t('none')); td.colSpan = n; r.appendChild(td); tbody.appendChild(r); }
function riskCell(r) { return el('span', String(r), 'risk ' + (r >= 70 ? 'high' : r >= 40 ? 'mid' : 'low')); }
function repName(f) { return f.rep_name || f.rep || ''; }
function day(iso) { return (iso || '').slice(0, 10); }
function matches(...fields) {
  const q = filters.q.trim().toLowerCase();
  return !q || fields.some(f => String(f ?? '').toLowerCase().includes(q));
}
async function get(path) {
  const r = await fetch(path, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } });
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
  return r.json();
}

// Click a column header to sort by it; click again to reverse.
function sortable(table) {
  table.querySelectorAll('th').forEach((th, i) => {
    th.addEventListener('click', () => {
      const dir = th.dataset.dir === 'asc' ? 'desc' : 'asc';
      table.querySelectorAll('th').forEach(h => delete h.dataset.dir);
      th.dataset.dir = dir;
      const num = th.dataset.type === 'num';
      const rows = [...table.tBodies[0].rows].filter(r => !r.classList.contains('empty'));
      const key = r => { const c = r.cells[i]; const v = c.dataset.sort ?? c.textContent; return num ? parseFloat(v) || 0 : v.toLowerCase(); };
      rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * (dir === 'asc' ? 1 : -1));
      for (const r of rows) table.tBodies[0].appendChild(r);
    });
  });
}

function renderOverview() {
  // Rows come back in their default order: drop the sort arrows that no longer apply.
  document.querySelectorAll('#overview th[data-dir]').forEach(h => delete h.dataset.dir);
  // Each table is one page of its kind, already in order (the API's ?sort=).
  const f = data.findings;
  for (const s of SECTIONS) renderPager(s);
  const stalled = f.stalled.findings, first = f.stalled.offset;
  let tb = document.querySelector('#stalled tbody'); tb.replaceChildren();
  stalled.forEach((s, i) => {
    if (!matches(s.account, s.reason, s.suggestion)) return;
    const r = row(tb, [String(first + i + 1), accountLink(s.account), riskCell(s.risk),
                       tr('reasons', s.reason) + (s.escalate ? ' — ' + t('escalate') : ''), day(s.since), s.suggestion],
                  [first + i + 1, undefined, s.risk]);
    r.dataset.account = s.account; r.dataset.risk = s.risk;
  });
  if (!tb.rows.length) empty(tb, 6);
  tb = document.querySelector('#awaiting tbody'); tb.replaceChildren();
  const aw = f.awaiting.findings;
  // The account opens the account page, the subject the thread: two links, each saying where it goes.
  for (const a of aw)
    if (matches(a.account, a.subject, a.rep, a.rep_name, ...(a.recipients || []))) {
      const r = row(tb, [accountLink(a.account), threadLink(a.subject || t('thread'), a.thread_id), repName(a), a.waiting_business_days,
                         a.unanswered_count + (a.over_chasing ? ' ⚠' : ''), a.next_follow_up],
                    [undefined, undefined, undefined, a.waiting_business_days, a.unanswered_count]);
      r.dataset.thread = a.thread_id;
      if (a.over_chasing) r.title = t('over_chasing');
    }
  if (!tb.rows.length) empty(tb, 6);
  tb = document.querySelector('#awaiting_mine tbody'); tb.replaceChildren();
  const mine = f.mine.findings;
  for (const a of mine)
    if (matches(a.account, a.from, a.subject, a.rep, a.rep_name))
      row(tb, [a.from, threadLink(a.subject, a.thread_id), repName(a), a.waiting_business_days], [undefined, undefined, undefined, a.waiting_business_days]);
  if (!tb.rows.length) empty(tb, 4);
  tb = document.querySelector('#aic tbody'); tb.replaceChildren();
  for (const a of f.aic.findings)
    if (matches(a.account, ...(a.recipients || []))) {
      // The subject names the thread: "Thread" alone did not say which one.
      const c = el('span'); c.append(accountLink(a.account), el('br'), threadLink(a.subject || t('thread'), a.thread_id));
      row(tb, [c, (a.recipients || []).join(', '), a.suggestion]);
    }
  if (!tb.rows.length) empty(tb, 3);
  tb = document.querySelector('#accounts tbody'); tb.replaceChildren();
  for (const a of data.accounts.accounts)
    if ((!filters.rep || a.rep === filters.rep) && (!filters.org || a.account === filters.org) &&
        matches(a.account, ...a.stakeholders.map(s => s.name + ' ' + s.address)))
      // Risk is scored for stalled deals only: another account shows "—", not a reassuring 0.
      row(tb, [accountLink(a.account), a.stalled ? riskCell(a.risk) : '—', a.people, day(a.last_activity), a.warnings.map(w => tr('warn', w)).join(', ')],
          [undefined, a.risk, a.people]);
  if (!tb.rows.length) empty(tb, 5);
  document.body.dataset.filtered = data.findings.rep || '';
}

// Under a table: previous / next and which rows of how many ("51–100 of 7,124"). A page is a
// hash change (#awaiting=50), so Back returns to the previous page and a link keeps it.
function renderPager(s) {
  const page = data.findings[s.key];
  const box = document.getElementById('pager-' + s.key);
  box.replaceChildren();
  box.dataset.total = page.total; box.dataset.offset = page.offset; box.dataset.count = page.count;
  const to = page.offset + page.count, from = page.count ? page.offset + 1 : 0;
  const go = offset => () => { filters.offsets[s.key] = offset; location.hash = overviewHash(); };
  const prev = el('button', '‹ ' + t('previous'), 'prev'), next = el('button', t('next_page') + ' ›', 'next');
  prev.type = next.type = 'button';
  prev.disabled = page.offset === 0; next.disabled = to >= page.total;
  prev.addEventListener('click', go(Math.max(0, page.offset - filters.per)));
  next.addEventListener('click', go(page.offset + filters.per));
  const n = x => x.toLocaleString(lang);
  box.append(prev, el('span', `${n(from)}–${n(to)} ${t('of')} ${n(page.total)}`, 'range'), next);
  box.hidden = page.total <= filters.per && page.offset === 0;  // one page: nothing to turn
}

// Bars of messages in (blue) and out (grey) per week, drawn as inline SVG at 1:1 scale. Quiet
// weeks are drawn empty: the silence is what a manager looks for.
function timeline(sparse) {
  const ns = 'http://www.w3.org/2000/svg';
  const box = document.getElementById('timeline'); box.replaceChildren();
  if (!sparse.length) { box.textContent = t('none'); return; }
  const weeks = [];
  const byWeek = new Map(sparse.map(w => [w.week, w]));
  for (let d = new Date(sparse[0].week + 'T00:00:00Z'), end = new Date(sparse[sparse.length - 1].week + 'T00:00:00Z'); d <= end; d.setUTCDate(d.getUTCDate() + 7)) {
    const k = d.toISOString().slice(0, 10);
    weeks.push(byWeek.get(k) || { week: k, in: 0, out: 0 });
  }
  const max = Math.max(1, ...weeks.map(w => Math.max(w.in, w.out)));
  const bw = 10, step = 2 * bw + 8, h = 110, left = 30, W = left + weeks.length * step + 10;
  const every = Math.max(1, Math.ceil(44 / step));
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', W); svg.setAttribute('height', h + 40); svg.setAttribute('role', 'img');
  const add = (tag, attrs, text) => { const e = document.createElementNS(ns, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; svg.appendChild(e); return e; };
  const tip = (e, text) => { const ti = document.createElementNS(ns, 'title'); ti.textContent = text; e.appendChild(ti); };
  add('text', { x: left - 6, y: 14, class: 'axis', 'text-anchor': 'end' }, String(max));
  add('text', { x: left - 6, y: h, class: 'axis', 'text-anchor': 'end' }, '0');
  add('line', { x1: left, y1: h + 0.5, x2: W, y2: h + 0.5, class: 'base' });
  weeks.forEach((w, i) => {
    const x = left + 4 + i * step;
    const hi = Math.round(w.in / max * (h - 10)), ho = Math.round(w.out / max * (h - 10));
    tip(add('rect', { x, y: h - hi, width: bw, height: hi, class: 'in' }), `${w.week}: ${w.in} ${t('inbound')}`);
    tip(add('rect', { x: x + bw, y: h - ho, width: bw, height: ho, class: 'out' }), `${w.week}: ${w.out} ${t('outbound')}`);
    if (i % every === 0) add('text', { x: x + bw, y: h + 14, class: 'axis', 'text-anchor': 'middle' }, w.week.slice(5));
  });
  add('rect', { x: left + 4, y: h + 26, width: 10, height: 10, class: 'in' }); add('text', { x: left + 18, y: h + 35, class: 'axis' }, t('inbound'));
  add('rect', { x: left + 80, y: h + 26, width: 10, height: 10, class: 'out' }); add('text', { x: left + 94, y: h + 35, class: 'axis' }, t('outbound'));
  box.appendChild(svg);
}

function renderAccount(acc) {
  const a = pages['a:' + acc];
  const title = document.getElementById('account-title');
  title.replaceChildren(el('span', acc));
  if (a.stalled) title.append(' — ' + t('risk') + ' ', riskCell(a.risk));
  const rep = data && data.reps.reps.find(r => r.address === a.rep);
  if (a.rep) title.append(el('span', ` · ${t('rep')}: ${(rep && rep.name) || a.rep}`, 'addr'));
  const st = document.getElementById('account-stall');
  st.textContent = a.stalled ? `${t('reason')}: ${tr('reasons', a.stalled.reason)}${a.stalled.escalate ? ' — ' + t('escalate') : ''} · ${t('since')} ${day(a.stalled.since)} · ${a.stalled.suggestion}`
                             : t('no_stall') + ' ' + t('last') + ': ' + day(a.last_activity);
  const wb = document.getElementById('account-warnings'); wb.replaceChildren();
  for (const w of a.warnings) wb.appendChild(el('span', tr('warn', w), 'tag warn'));
  timeline(a.timeline);
  const tb = document.querySelector('#stakeholders tbody'); tb.replaceChildren();
  for (const s of a.stakeholders) {
    const who = el('span'); who.append(el('span', s.name || s.address, s.primary ? 'primary' : ''), ' ', el('span', s.address, 'addr'));
    if (s.primary) who.append(' ', el('span', t('primary'), 'tag'));
    const best = Math.max(0, ...s.strength.map(x => x.strength));
    const r = row(tb, [who, tr('roles', s.role), s.title, s.two_way_exchanges, el('span', '●'.repeat(best) + '○'.repeat(5 - best), 'strength')],
                  [s.name || s.address, undefined, undefined, s.two_way_exchanges, best]);
    r.dataset.address = s.address; r.dataset.role = s.role; r.dataset.primary = s.primary;
  }
  if (!a.stakeholders.length) empty(tb, 5);
  const fb = document.querySelector('#account-findings tbody'); fb.replaceChildren();
  for (const f of a.findings) {
    const detail = f.suggestion || (f.recipients || []).join(', ');
    row(fb, [threadLink(tr('kinds', f.kind), f.thread_id), detail]);
  }
  if (!fb.rows.length) empty(fb, 2);
}

function renderThread(id) {
  const th = pages['t:' + id];
  const msgs = th.messages;
  document.getElementById('thread-title').textContent = msgs.length ? msgs[0].subject : id;
  const box = document.getElementById('messages'); box.replaceChildren();
  for (const m of msgs) {
    const d = el('article', undefined, 'msg ' + m.direction + (m.automated ? ' automated' : ''));
    const h = el('div', undefined, 'head');
    h.append(el('strong', m.from.name || m.from.address), ' ', el('span', '<' + m.from.address + '>', 'addr'), ' → ',
             el('span', m.to.concat(m.cc).map(x => x.address).join(', '), 'addr'), ' ', el('span', m.date.replace('T', ' ').slice(0, 16), 'date'));
    d.append(h, el('div', m.subject, 'subj'), el('pre', m.new_text, 'body'));
    box.appendChild(d);
  }
}

async function route() {
  const h = new URLSearchParams(location.hash.slice(1));
  // The overview's filters only act on the overview: elsewhere they are hidden, not misleading.
  const show = id => { for (const m of document.querySelectorAll('main')) m.hidden = m.id !== id; document.body.dataset.view = id; };
  try {
    if (h.has('account')) {
      const acc = h.get('account');
      const [page, found] = await Promise.all([get('/v1/accounts/' + encodeURIComponent(acc) + query({ lang })),
                                               get('/v1/findings' + query({ account: acc, lang }))]);
      page.findings = found.findings;
      pages['a:' + acc] = page;
      show('account'); renderAccount(acc);
    } else if (h.has('thread')) {
      const id = h.get('thread');
      pages['t:' + id] = await get('/v1/threads/' + encodeURIComponent(id));
      show('thread'); renderThread(id);
    } else {
      // The overview: its filters come from the hash (a shared link), then the findings for them.
      filters.rep = h.get('rep') || ''; filters.org = h.get('org') || ''; filters.q = h.get('q') || '';
      const per = Number(h.get('per'));
      filters.per = Number.isInteger(per) && per >= 1 && per <= 500 ? per : PAGE;
      filters.offsets = {};
      for (const s of SECTIONS) {
        const o = Number(h.get(s.key));
        if (Number.isInteger(o) && o > 0) filters.offsets[s.key] = o;
      }
      syncControls();
      show('overview');
      if (data) { await loadFindings(); renderOverview(); }
    }
  } catch (e) {
    setStatus(e.message, true);
  }
}

function setStatus(text, bad) { const s = document.getElementById('status'); s.textContent = text; s.className = bad ? 'error' : ''; }

function render() {
  document.documentElement.lang = lang;
  document.getElementById('lang').textContent = lang === 'fr' ? 'EN' : 'FR';
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of document.querySelectorAll('[data-i18n-placeholder]')) e.placeholder = t(e.dataset.i18nPlaceholder);
  if (!data) return;
  setStatus(data.health.messages + ' ' + t('loaded'));
  // data-shown tells (tests, too) that the view is drawn in this language with the service's texts.
  route().then(() => { document.body.dataset.shown = lang; });
}

// The selectors show the current filters; a rep or account the store does not know (an old
// link) is kept as an option so the view still says what it filters on.
function syncControls() {
  const fill = (sel, items, value) => {
    const first = sel.options[0];
    sel.replaceChildren(first);
    const values = new Set(items.map(i => i.value));
    if (value && !values.has(value)) items = [...items, { value, label: value }];
    for (const i of items) { const o = el('option', i.label); o.value = i.value; sel.appendChild(o); }
    sel.value = value;
  };
  if (data) {
    fill(document.getElementById('rep'), data.reps.reps.map(r => ({ value: r.address, label: r.name ? `${r.name} <${r.address}>` : r.address })), filters.rep);
    fill(document.getElementById('org'), [...data.accounts.accounts].sort((a, b) => a.account.localeCompare(b.account))
                                           .map(a => ({ value: a.account, label: a.account })), filters.org);
  }
  const box = document.getElementById('filter');
  if (box.value !== filters.q) box.value = filters.q;
  for (const a of document.querySelectorAll('#home, a.back')) a.href = overviewHash();
}

// The findings for the current rep / account filters and language, from the API: one page of
// each table's kind ({lang, count, total, offset, limit, findings}).
async function loadFindings() {
  const rep = filters.rep;
  const answers = await Promise.all(SECTIONS.map(s => get('/v1/findings' + query({
    kind: s.kind, rep, account: filters.org, lang, sort: s.sort, limit: filters.per, offset: filters.offsets[s.key] }))));
  const found = { rep };
  SECTIONS.forEach((s, i) => { found[s.key] = answers[i]; });
  data.findings = found;
}

async function load() {
  try {
    const [health, reps, accounts] = await Promise.all([get('/v1/health'), get('/v1/reps'), get('/v1/accounts' + query({ lang }))]);
    data = { health, reps, accounts, findings: null };  // route() fetches the findings for its filters
    document.body.dataset.ready = '1';
  } catch (e) {
    setStatus(e.message, true);
    return;
  }
  render();
}

// A filter change on the overview rewrites the hash in place (no history entry per keystroke);
// from another view it goes back to the overview with that filter.
function setFilter(key, value) {
  filters[key] = value;
  if (key !== 'q') firstPages();  // another rep or account: its lists start at their first page
  const onOverview = !document.getElementById('overview').hidden;
  if (!onOverview) { location.hash = overviewHash(); return; }
  history.replaceState(null, '', overviewHash());
  document.getElementById('home').href = overviewHash();
  if (key === 'q') { if (data && data.findings) renderOverview(); return; }
  if (data) loadFindings().then(renderOverview, e => setStatus(e.message, true));
}

document.getElementById('lang').addEventListener('click', () => {
  lang = lang === 'fr' ? 'en' : 'fr';
  localStorage.setItem('ilc_lang', lang);
  // The suggestions are written by the service: fetch them again in the new language.
  load();
});
document.getElementById('filter').addEventListener('input', e => setFilter('q', e.target.value));
document.getElementById('rep').addEventListener('change', e => setFilter('rep', e.target.value));
document.getElementById('org').addEventListener('change', e => setFilter('org', e.target.value));
window.addEventListener('hashchange', route);
document.querySelectorAll('table.sortable').forEach(sortable);
render();
load();
setInterval(load, 60000);

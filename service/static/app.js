// The manager dashboard: reads the JSON API of the same origin (the HttpOnly cookie carries the
// token), renders with textContent only (mail content is never parsed as HTML). No external network.
'use strict';
const I18N = {
  en: { title: 'Interlocutor — manager dashboard', stalled: 'Stalled deals, by risk', account: 'Account', risk: 'Risk',
        reason: 'Reason', since: 'Since', suggestion: 'Suggestion', awaiting: 'Awaiting their reply',
        awaiting_mine: 'Awaiting my reply', days: 'Business days', chasers: 'Unanswered', next: 'Next follow-up',
        from: 'From', subject: 'Subject', aic: 'All-in-copy threads', recipients: 'Recipients',
        accounts: 'Accounts and stakeholders', none: 'Nothing to show', loaded: 'messages', escalate: 'escalate',
        last: 'last activity', reasons: { budget: 'budget', technical: 'technical', champion_hesitant: 'hesitant champion',
        consensus_impossible: 'no consensus', not_urgent: 'not urgent', unknown: 'unknown' } },
  fr: { title: 'Interlocutor — tableau de bord manager', stalled: 'Dossiers qui s’enlisent, par risque', account: 'Compte',
        risk: 'Risque', reason: 'Cause', since: 'Depuis', suggestion: 'Suggestion', awaiting: 'En attente de leur réponse',
        awaiting_mine: 'En attente de ma réponse', days: 'Jours ouvrés', chasers: 'Sans réponse', next: 'Prochaine relance',
        from: 'De', subject: 'Objet', aic: 'Conversations tout-en-copie', recipients: 'Destinataires',
        accounts: 'Comptes et interlocuteurs', none: 'Rien à signaler', loaded: 'messages', escalate: 'escalader',
        last: 'dernière activité', reasons: { budget: 'budget', technical: 'technique', champion_hesitant: 'champion hésitant',
        consensus_impossible: 'consensus impossible', not_urgent: 'pas urgent', unknown: 'inconnue' } },
};
let lang = localStorage.getItem('ilc_lang') || (navigator.language || 'en').slice(0, 2);
if (!I18N[lang]) lang = 'en';
let data = null;

function t(k) { return I18N[lang][k] || k; }
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
function row(tbody, cells) { const tr = el('tr'); for (const c of cells) { const td = el('td'); if (c instanceof Node) td.appendChild(c); else td.textContent = c ?? ''; tr.appendChild(td); } tbody.appendChild(tr); }
function empty(tbody, n) { const tr = el('tr'); const td = el('td', t('none')); td.colSpan = n; tr.appendChild(td); tbody.appendChild(tr); }
function riskCell(r) { return el('span', String(r), 'risk ' + (r >= 70 ? 'high' : r >= 40 ? 'mid' : 'low')); }
async function get(path) {
  const r = await fetch(path, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } });
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
  return r.json();
}

function render() {
  document.documentElement.lang = lang;
  document.getElementById('lang').textContent = lang === 'fr' ? 'EN' : 'FR';
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  if (!data) return;
  const f = data.findings.findings;
  const stalled = f.filter(x => x.kind === 'stalled_deal').sort((a, b) => b.risk - a.risk);
  let tb = document.querySelector('#stalled tbody'); tb.replaceChildren();
  for (const s of stalled) row(tb, [s.account, riskCell(s.risk), (I18N[lang].reasons[s.reason] || s.reason) + (s.escalate ? ' — ' + t('escalate') : ''), (s.since || '').slice(0, 10), s.suggestion]);
  if (!stalled.length) empty(tb, 5);
  tb = document.querySelector('#awaiting tbody'); tb.replaceChildren();
  const aw = f.filter(x => x.kind === 'awaiting_reply').sort((a, b) => b.waiting_business_days - a.waiting_business_days);
  for (const a of aw) row(tb, [a.account, a.waiting_business_days, a.unanswered_count + (a.over_chasing ? ' ⚠' : ''), a.next_follow_up]);
  if (!aw.length) empty(tb, 4);
  tb = document.querySelector('#awaiting_mine tbody'); tb.replaceChildren();
  const mine = f.filter(x => x.kind === 'awaiting_my_reply').sort((a, b) => b.waiting_business_days - a.waiting_business_days);
  for (const a of mine) row(tb, [a.from, a.subject, a.waiting_business_days]);
  if (!mine.length) empty(tb, 3);
  tb = document.querySelector('#aic tbody'); tb.replaceChildren();
  const aic = f.filter(x => x.kind === 'all_in_copy');
  for (const a of aic) row(tb, [a.account, (a.recipients || []).join(', '), a.suggestion]);
  if (!aic.length) empty(tb, 3);
  const box = document.getElementById('accounts'); box.replaceChildren();
  for (const a of data.accounts.accounts) {
    const d = el('div', undefined, 'account');
    const h = el('h3', a.account + ' — ' + t('risk') + ' ' + a.risk + ' — ' + t('last') + ' ' + (a.last_activity || '').slice(0, 10));
    d.appendChild(h);
    for (const w of a.warnings) d.appendChild(el('span', w, 'tag'));
    const ul = el('ul');
    for (const s of a.stakeholders) ul.appendChild(el('li', (s.name || s.address) + ' <' + s.address + '> — ' + s.role + (s.title ? ' (' + s.title + ')' : ''), s.primary ? 'primary' : ''));
    d.appendChild(ul);
    box.appendChild(d);
  }
}

async function load() {
  const status = document.getElementById('status');
  try {
    const [health, findings, accounts] = await Promise.all([get('/v1/health'), get('/v1/findings'), get('/v1/accounts')]);
    data = { findings, accounts };
    status.textContent = health.messages + ' ' + t('loaded');
    status.className = '';
  } catch (e) {
    status.textContent = e.message;
    status.className = 'error';
  }
  render();
}

document.getElementById('lang').addEventListener('click', () => {
  lang = lang === 'fr' ? 'en' : 'fr';
  localStorage.setItem('ilc_lang', lang);
  render();
});
render();
load();
setInterval(load, 60000);

// Drives the dashboard in headless Chromium and checks it against `interlocutor analyze` output.
// Usage: node dashboard.test.mjs LOGIN_URL ANALYZE_JSON ARTIFACTS_DIR CHROMIUM WORK_DIR ANALYZE_FR_JSON
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';

const [url, analyzePath, artifacts, chromiumPath, work, analyzeFrPath] = process.argv.slice(2);
const require = createRequire(work + '/');
const { chromium } = require('playwright-core');
const analysis = JSON.parse(readFileSync(analyzePath, 'utf8'));
const analysisFr = JSON.parse(readFileSync(analyzeFrPath, 'utf8'));

// The expected ranking: analyze's stalled deals by risk, ties kept in analyze's order (a stable sort, as the page does).
const stalled = analysis.findings.filter(f => f.kind === 'stalled_deal').sort((a, b) => b.risk - a.risk);
assert.ok(stalled.length >= 2, 'the dev corpus has stalled deals to rank');

const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  // External network must never be asked for: every request stays on the service's origin.
  const origin = new URL(url).origin;
  const foreign = [];
  page.on('request', r => { if (!r.url().startsWith(origin)) foreign.push(r.url()); });

  // The login link swaps the token for a cookie and drops it from the address bar.
  await page.goto(url);
  assert.equal(new URL(page.url()).search, '', 'the token left the URL');
  await page.waitForSelector('body[data-ready="1"]');
  await page.waitForSelector('#stalled tbody tr[data-account]');

  // 1. The stalled-deal ranking matches analyze, in order, with the same risks.
  const rows = await page.$$eval('#stalled tbody tr[data-account]', trs => trs.map(r => ({ account: r.dataset.account, risk: Number(r.dataset.risk), text: r.textContent })));
  assert.deepEqual(rows.map(r => [r.account, r.risk]), stalled.map(s => [s.account, s.risk]), 'stalled ranking = analyze');
  for (let i = 0; i < rows.length; i++) assert.ok(rows[i].text.includes(stalled[i].suggestion.slice(0, 30)), 'suggestion shown for ' + rows[i].account);
  await page.screenshot({ path: `${artifacts}/dashboard-overview-en.png`, fullPage: true });

  // Sorting by a header and filtering by an account work on the real table.
  await page.click('#stalled th:nth-child(3)');  // risk, ascending
  const asc = await page.$$eval('#stalled tbody tr[data-account]', trs => trs.map(r => Number(r.dataset.risk)));
  assert.deepEqual(asc, [...asc].sort((a, b) => a - b), 'sorted by risk ascending');
  await page.fill('#filter', stalled[0].account);
  const filtered = await page.$$eval('#stalled tbody tr[data-account]', trs => trs.map(r => r.dataset.account));
  assert.deepEqual([...new Set(filtered)], [stalled[0].account], 'the filter keeps one account');
  await page.fill('#filter', '');

  // The account selector: the API's ?account= filter. The awaiting table then holds exactly
  // analyze's awaiting_reply findings of that account, and the hash carries the choice.
  // Polls in node: the page's CSP forbids the eval that page.waitForFunction(fn, arg) relies on.
  const until = async (pg, fn, arg) => {
    for (let i = 0; i < 200; i++) { if (await pg.evaluate(fn, arg)) return; await new Promise(r => setTimeout(r, 50)); }
    throw new Error('timed out waiting for ' + fn.toString().slice(0, 120) + ' ' + arg);
  };
  const awaitingRows = () => page.$$eval('#awaiting tbody tr:not(.empty)', trs => trs.map(r => r.dataset.thread));
  const waitRows = async n => until(page, n => document.querySelectorAll('#awaiting tbody tr:not(.empty)').length === n, n);
  const awaited = analysis.findings.filter(f => f.kind === 'awaiting_reply');
  const byAccount = new Map();
  for (const f of awaited) byAccount.set(f.account, (byAccount.get(f.account) || 0) + 1);
  const [busy] = [...byAccount.entries()].sort((a, b) => b[1] - a[1])[0];
  await page.selectOption('#org', busy);
  await until(page, a => location.hash.includes('org=' + encodeURIComponent(a)), busy);
  await waitRows(byAccount.get(busy));
  assert.deepEqual((await awaitingRows()).sort(), awaited.filter(f => f.account === busy).map(f => f.thread_id).sort(), 'account filter = analyze');
  const stalledShown = await page.$$eval('#stalled tbody tr[data-account]', trs => trs.map(r => r.dataset.account));
  assert.ok(stalledShown.every(a => a === busy), 'the stalled table keeps the chosen account only');
  await page.selectOption('#org', '');
  await waitRows(awaited.length);

  // The rep selector: every awaiting finding belongs to exactly one rep, so the reps' tables
  // together are analyze's awaiting_reply findings, each once; the owner is one of the reps.
  const reps = await page.$$eval('#rep option', os => os.map(o => o.value).filter(Boolean));
  assert.ok(reps.includes('isabelle.charpentier@ardentis.fr'), 'the owner is a rep: ' + reps);
  const perRep = [], repCount = new Map();
  for (const r of reps) {
    await page.selectOption('#rep', r);
    await until(page, r => location.hash.includes('rep=' + encodeURIComponent(r)) && document.body.dataset.filtered === r, r);
    const mine = await awaitingRows();
    perRep.push(...mine);
    repCount.set(r, mine.length);
  }
  assert.deepEqual(perRep.sort(), awaited.map(f => f.thread_id).sort(), 'the reps split analyze\'s awaiting findings');
  // A link reproduces the view: open the hash of a filtered overview in a fresh page.
  const colleague = reps.find(r => r !== 'isabelle.charpentier@ardentis.fr') || reps[0];
  await page.selectOption('#rep', colleague);
  await until(page, r => document.body.dataset.filtered === r, colleague);
  const colleagueRows = (await awaitingRows()).sort();
  const link = page.url();
  const page2 = await context.newPage();
  await page2.goto(link);
  await until(page2, r => document.body.dataset.filtered === r, colleague);
  assert.equal(await page2.inputValue('#rep'), colleague, 'the link restores the rep selector');
  assert.deepEqual((await page2.$$eval('#awaiting tbody tr:not(.empty)', trs => trs.map(r => r.dataset.thread))).sort(), colleagueRows);
  await page2.screenshot({ path: `${artifacts}/dashboard-overview-rep.png`, fullPage: true });
  await page2.close();
  await page.selectOption('#rep', '');
  await waitRows(awaited.length);

  // Paging: three rows a table (#per=3). The stalled table's pages are analyze's ranking cut in
  // threes and numbered on; the awaiting table's, analyze's awaiting findings by business days
  // waited (a stable sort, as the API's ?sort=); the pager says which rows of how many; the hash
  // keeps each table's page with the filters, so a link reopens the same page, and Back returns
  // to the previous one; another rep starts every table at its first page.
  {
    const pg = await context.newPage();
    pg.on('pageerror', e => errors.push(String(e)));
    const pagerOf = (p, key) => p.$eval('#pager-' + key, b => ({ total: Number(b.dataset.total), offset: Number(b.dataset.offset),
                                                                 count: Number(b.dataset.count), hidden: b.hidden, text: b.textContent }));
    const stalledPage = p => p.$$eval('#stalled tbody tr[data-account]', trs => trs.map(r => [r.cells[0].textContent, r.dataset.account, Number(r.dataset.risk)]));
    const awaitingPage = p => p.$$eval('#awaiting tbody tr:not(.empty)', trs => trs.map(r => r.dataset.thread));
    const atOffset = (p, key, n) => until(p, ([k, n]) => { const b = document.querySelector('#pager-' + k); return b && b.dataset.offset === n; }, [key, String(n)]);
    await pg.goto(origin + '/#per=3');
    await atOffset(pg, 'stalled', 0);
    let pager = await pagerOf(pg, 'stalled');
    assert.equal(pager.total, stalled.length, 'the pager counts every stalled deal');
    assert.equal(pager.count, 3);
    assert.equal(pager.hidden, false, 'more than one page: the pager shows');
    assert.ok(pager.text.includes('1–3') && pager.text.includes('of ' + stalled.length), pager.text);
    assert.deepEqual(await stalledPage(pg), stalled.slice(0, 3).map((s, i) => [String(i + 1), s.account, s.risk]), 'first page = analyze 1-3');
    await pg.click('#pager-stalled button.next');
    await atOffset(pg, 'stalled', 3);
    assert.ok(new URL(pg.url()).hash.includes('stalled=3'), 'the page is in the hash: ' + pg.url());
    assert.deepEqual(await stalledPage(pg), stalled.slice(3, 6).map((s, i) => [String(i + 4), s.account, s.risk]), 'second page = analyze 4-6');

    const byWait = [...awaited].sort((a, b) => b.waiting_business_days - a.waiting_business_days).map(f => f.thread_id);
    pager = await pagerOf(pg, 'awaiting');
    assert.equal(pager.total, awaited.length, 'the pager counts every awaiting finding');
    assert.deepEqual(await awaitingPage(pg), byWait.slice(0, 3), 'awaiting page 1 by business days');
    await pg.click('#pager-awaiting button.next');
    await atOffset(pg, 'awaiting', 3);
    assert.deepEqual(await awaitingPage(pg), byWait.slice(3, 6), 'awaiting page 2 by business days');
    assert.ok(/stalled=3/.test(pg.url()) && /awaiting=3/.test(pg.url()), 'both pages in the hash: ' + pg.url());
    await pg.click('#pager-awaiting button.prev');
    await atOffset(pg, 'awaiting', 0);
    assert.deepEqual(await awaitingPage(pg), byWait.slice(0, 3), 'previous: page 1 again');
    await pg.evaluate(() => history.back());
    await atOffset(pg, 'awaiting', 3);
    assert.equal(await pg.$eval('#pager-awaiting button.prev', b => b.disabled), false);

    // The rep filter pages too, and stays in the URL with the page.
    const busiest = [...repCount.entries()].sort((a, b) => b[1] - a[1])[0][0];
    assert.ok(repCount.get(busiest) > 3, 'a rep with more than one page of awaiting findings');
    await pg.selectOption('#rep', busiest);
    await until(pg, r => document.body.dataset.filtered === r, busiest);
    const h = new URL(pg.url()).hash;
    assert.ok(h.includes('rep=') && h.includes('per=3') && !h.includes('awaiting=') && !h.includes('stalled='), 'another rep starts at the first pages: ' + h);
    pager = await pagerOf(pg, 'awaiting');
    assert.equal(pager.total, repCount.get(busiest), "the pager counts the rep's awaiting findings");
    await pg.click('#pager-awaiting button.next');
    await atOffset(pg, 'awaiting', 3);
    const repPage2 = await awaitingPage(pg);
    assert.equal(repPage2.length, Math.min(3, repCount.get(busiest) - 3));
    const pagedLink = pg.url();
    assert.ok(pagedLink.includes('rep=') && pagedLink.includes('awaiting=3'), pagedLink);
    await pg.screenshot({ path: `${artifacts}/dashboard-overview-paged.png`, fullPage: true });
    const pg2 = await context.newPage();
    await pg2.goto(pagedLink);
    await until(pg2, r => document.body.dataset.filtered === r, busiest);
    await atOffset(pg2, 'awaiting', 3);
    assert.equal(await pg2.inputValue('#rep'), busiest, 'the paged link restores the rep');
    assert.deepEqual(await awaitingPage(pg2), repPage2, 'the paged link shows the same page');
    await pg2.close();
    await pg.close();
  }

  // French: the headings and the suggestion texts, as `analyze --lang fr` writes them.
  await page.click('#lang');
  await page.waitForSelector('body[data-shown="fr"]');
  assert.equal(await page.textContent('main#overview h2'), 'Dossiers qui s’enlisent, par risque');
  const stalledFr = analysisFr.findings.filter(f => f.kind === 'stalled_deal').sort((a, b) => b.risk - a.risk);
  assert.notEqual(stalledFr[0].suggestion, stalled[0].suggestion, 'analyze --lang fr writes another text');
  const frRows = await page.$$eval('#stalled tbody tr[data-account]', trs => trs.map(r => [r.dataset.account, r.textContent]));
  assert.ok(frRows.length === stalledFr.length, 'all stalled deals in French');
  for (const s of stalledFr) assert.ok(frRows.find(r => r[0] === s.account)[1].includes(s.suggestion), 'French suggestion for ' + s.account);
  await page.screenshot({ path: `${artifacts}/dashboard-overview-fr.png`, fullPage: true });
  await page.click('#lang');
  await page.waitForSelector('body[data-shown="en"]');

  // 2. The top account's page: stakeholders (role, primary) and risk as analyze has them.
  const top = stalled[0];
  await page.click(`#stalled tbody tr[data-account="${top.account}"] a`);
  await page.waitForSelector('main#account:not([hidden]) #stakeholders tbody tr');
  assert.match(await page.textContent('#account-title'), new RegExp(String(top.risk)));
  assert.ok((await page.textContent('#account-stall')).includes(top.suggestion.slice(0, 30)), 'the account page shows the suggestion');
  const shown = await page.$$eval('#stakeholders tbody tr[data-address]', trs => trs.map(r => [r.dataset.address, r.dataset.role, r.dataset.primary === 'true']));
  const expected = analysis.stakeholders.filter(s => s.account === top.account).map(s => [s.address, s.role, s.primary]);
  const key = a => a[0];
  assert.deepEqual([...shown].sort((a, b) => key(a).localeCompare(key(b))), [...expected].sort((a, b) => key(a).localeCompare(key(b))), 'stakeholders = analyze');
  const bars = await page.$$eval('#timeline rect.in, #timeline rect.out', r => r.length);
  assert.ok(bars >= 4, 'the timeline has bars');
  await page.screenshot({ path: `${artifacts}/dashboard-account.png`, fullPage: true });

  // 3. A finding links to its thread, whose messages show.
  const threadLink = await page.$('#account-findings a[href^="#thread="]') || (await page.goto(origin + '/#'), await page.$('#awaiting tbody a[href^="#thread="]'));
  assert.ok(threadLink, 'a finding links to its thread');
  await threadLink.click();
  await page.waitForSelector('main#thread:not([hidden]) article.msg');
  assert.ok((await page.$$('article.msg')).length >= 1);
  await page.screenshot({ path: `${artifacts}/dashboard-thread.png`, fullPage: true });

  assert.deepEqual(errors, [], 'no script error in the page');
  assert.deepEqual(foreign, [], 'no request outside the service');
  console.log(`ok: ${rows.length} stalled deals ranked as analyze, paged by 3; ${shown.length} stakeholders of ${top.account}; screenshots in ${artifacts}`);
} catch (e) {
  failed = true;
  console.error('FAIL:', e.message);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);

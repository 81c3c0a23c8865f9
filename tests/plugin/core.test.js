// Unit tests of the extension's logic (plugin/thunderbird/lib/core.js) with node's test runner.
// The `browser` object here is a fake, and only here: the end-to-end test (e2e.py) runs the same
// code in a real Thunderbird against the real service.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");

const EXT = path.resolve(__dirname, "../../plugin/thunderbird");
const IlcCore = require(path.join(EXT, "lib/core.js"));

// Timers that only move when the test says so.
function fake_timers() {
  let now = 0, next = 1;
  const due = new Map();
  return {
    now: () => now,
    setTimeout(fn, ms) { const id = next++; due.set(id, { fn, at: now + ms }); return id; },
    clearTimeout(id) { due.delete(id); },
    setInterval(fn, ms) { const id = next++; due.set(id, { fn, at: now + ms, every: ms }); return id; },
    clearInterval(id) { due.delete(id); },
    pending: () => due.size,
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        let first = null;
        for (const [id, t] of due) if (t.at <= end && (!first || t.at < first[1].at)) first = [id, t];
        if (!first) break;
        const [id, t] = first;
        now = t.at;
        if (t.every) t.at += t.every; else due.delete(id);
        t.fn();
        await flush();
      }
      now = end;
      await flush();
    },
  };
}

async function flush() {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

function fake_browser({ settings = {}, details = {}, native, lang = "en-US", related = {} } = {}) {
  const store = Object.assign({}, settings);
  const badges = {};
  const calls = { popup: 0 };
  const b = {
    storage: { local: {
      async get(keys) { const o = {}; for (const k of keys) if (k in store) o[k] = JSON.parse(JSON.stringify(store[k])); return o; },
      async set(o) { Object.assign(store, JSON.parse(JSON.stringify(o))); },
    } },
    compose: {
      async getComposeDetails(tabId) {
        if (!(tabId in details)) throw new Error("Invalid tab ID: " + tabId);
        return details[tabId];
      },
    },
    composeAction: {
      async setBadgeText({ tabId, text }) { badges[tabId] = text; },
      async setBadgeBackgroundColor() {},
      async openPopup() { calls.popup++; },
    },
    messages: { async get(id) { if (!(id in related)) throw new Error("no message " + id); return related[id]; } },
    runtime: {
      async sendNativeMessage(name, msg) {
        if (!native) throw new Error("No such native application " + name);
        return native(name, msg);
      },
    },
    i18n: { getUILanguage: () => lang },
  };
  return { browser: b, store, badges, calls };
}

// A fake service: routes by method + path, records every request.
function fake_service(routes) {
  const requests = [];
  const fetch = async (url, init = {}) => {
    const u = new URL(url);
    const body = init.body ? JSON.parse(init.body) : undefined;
    requests.push({ method: init.method || "GET", path: u.pathname, search: u.search, headers: init.headers, body });
    const r = routes(init.method || "GET", u.pathname, body, u);
    if (r instanceof Error) throw r;
    return { status: r.status, ok: r.status >= 200 && r.status < 300, json: async () => r.json };
  };
  return { fetch, requests };
}

const PAIRED = { url: "127.0.0.1:9999", token: "secret" };
const REPLY = {
  from: "Isabelle <isabelle@ardentis.fr>", to: ["A <a@acme.com>"], cc: ["b@acme.com", "C <C@Acme.com>", { id: "contact1", type: "contact" }],
  bcc: [], subject: "Re: Projet", plainTextBody: "Bonjour", type: "reply", relatedMessageId: 7,
};
const TWO = { suggestions: [
  { code: "all_in_copy", severity: "warning", message: "4 people of acme.com in copy", alternatives: [] },
  { code: "recap_due", severity: "info", message: "recap", alternatives: [] },
] };
function healthy(method, p, body) {
  if (p === "/v1/health") return { status: 200, json: { status: "ok", messages: 10 } };
  if (p === "/v1/compose/check") return { status: 200, json: TWO };
  if (p === "/v1/sent") return { status: 202, json: { recorded: true } };
  return { status: 404, json: { error: { status: 404 } } };
}

function make(opts = {}, routes = healthy) {
  const fb = fake_browser(Object.assign({ settings: PAIRED, details: { 5: REPLY }, related: { 7: { headerMessageId: "<orig@acme.com>" } } }, opts));
  const svc = fake_service(routes);
  const timers = fake_timers();
  const ilc = IlcCore.create(fb.browser, { fetch: svc.fetch, timers, now: timers.now, log: () => {} });
  return Object.assign({ ilc, svc, timers }, fb);
}

test("a draft is sent bare: addresses without names, lower case, Message-ID without brackets", async () => {
  const t = make();
  const view = await t.ilc.check_now(5);
  assert.equal(view.state, "ok");
  const req = t.svc.requests.find((r) => r.path === "/v1/compose/check");
  assert.equal(req.method, "POST");
  assert.equal(req.headers.Authorization, "Bearer secret");
  assert.deepEqual(req.body.to, ["a@acme.com"]);
  assert.deepEqual(req.body.cc, ["b@acme.com", "c@acme.com"]);
  assert.equal(req.body.from, "isabelle@ardentis.fr");
  assert.equal(req.body.in_reply_to, "orig@acme.com");
  assert.equal(req.body.lang, "en");
  assert.equal(t.badges[5], "2");
  assert.equal(view.suggestions.length, 2);
});

test("French UI asks for French advice", async () => {
  const t = make({ lang: "fr-FR" });
  await t.ilc.check_now(5);
  assert.equal(t.svc.requests.find((r) => r.path === "/v1/compose/check").body.lang, "fr");
});

test("UI states: not paired, service not running, token refused, store empty, analysis running", async () => {
  let t = make({ settings: {} });
  assert.equal((await t.ilc.check_now(5)).state, "not_paired");
  assert.equal(t.badges[5], "!");
  assert.equal(t.svc.requests.length, 0, "no request without a pairing");

  t = make({}, () => new TypeError("NetworkError when attempting to fetch resource."));
  assert.equal((await t.ilc.check_now(5)).state, "not_running");

  t = make({}, () => ({ status: 403, json: { error: { message: "wrong token" } } }));
  assert.equal((await t.ilc.check_now(5)).state, "not_paired");

  t = make({}, (m, p) => p === "/v1/health" ? { status: 200, json: { status: "ok", messages: 0 } } : { status: 200, json: { suggestions: [] } });
  assert.equal((await t.ilc.check_now(5)).state, "store_empty");

  t = make({}, () => ({ status: 503, json: { error: { message: "loading" } } }));
  assert.equal((await t.ilc.check_now(5)).state, "analysis_running");
});

test("polling: a changed draft is checked once after the debounce, an unchanged one never again", async () => {
  const t = make();
  await t.ilc.start_polling(5);
  await flush();
  assert.equal(t.svc.requests.filter((r) => r.path === "/v1/compose/check").length, 0, "debounced, not sent at once");
  await t.timers.advance(500);
  assert.equal(t.svc.requests.filter((r) => r.path === "/v1/compose/check").length, 1);
  await t.timers.advance(10000);
  assert.equal(t.svc.requests.filter((r) => r.path === "/v1/compose/check").length, 1, "unchanged draft: no new request");
  // The rep types a fifth person into Cc.
  t.browser.compose.getComposeDetails = async () => Object.assign({}, REPLY, { cc: REPLY.cc.concat(["e@acme.com"]) });
  await t.timers.advance(1500);
  await t.timers.advance(500);
  const checks = t.svc.requests.filter((r) => r.path === "/v1/compose/check");
  assert.equal(checks.length, 2);
  assert.ok(checks[1].body.cc.includes("e@acme.com"));
  t.ilc.stop_polling(5);
  assert.equal(t.timers.pending(), 0, "closing the tab stops every timer");
});

test("a closed compose tab stops its own polling", async () => {
  const t = make();
  await t.ilc.start_polling(5);
  delete t.browser.compose.getComposeDetails;
  t.browser.compose.getComposeDetails = async () => { throw new Error("Invalid tab ID: 5"); };
  await t.timers.advance(3000);
  assert.equal(t.timers.pending(), 0);
  assert.equal(t.ilc.tabs.has(5), false);
});

test("don't show again for this thread hides the advice and the badge, and can be undone", async () => {
  const t = make();
  const v = await t.ilc.check_now(5);
  assert.equal(v.thread_key, "id:orig@acme.com");
  await t.ilc.mute_thread(v.thread_key, true);
  const muted = await t.ilc.check_now(5);
  assert.equal(muted.muted, true);
  assert.equal(muted.suggestions.length, 0);
  assert.equal(muted.hidden, 2);
  assert.equal(t.badges[5], "");
  assert.deepEqual(t.store.muted_threads, { "id:orig@acme.com": true });
  await t.ilc.mute_thread(v.thread_key, false);
  assert.equal((await t.ilc.check_now(5)).suggestions.length, 2);
});

test("sending is never blocked by default; with the option, a warning asks once", async () => {
  let t = make();
  assert.deepEqual(await t.ilc.on_before_send({ id: 5, windowId: 1 }, REPLY), {});
  t = make({ settings: Object.assign({ confirm_high: true }, PAIRED) });
  assert.deepEqual(await t.ilc.on_before_send({ id: 5, windowId: 1 }, REPLY), { cancel: true });
  assert.equal(t.calls.popup, 1, "the popup opens to show why");
  assert.deepEqual(await t.ilc.on_before_send({ id: 5, windowId: 1 }, REPLY), {}, "the second Send goes through");
  // Info-level advice alone never stops a send.
  t = make({ settings: Object.assign({ confirm_high: true }, PAIRED) }, (m, p) =>
    p === "/v1/compose/check" ? { status: 200, json: { suggestions: [TWO.suggestions[1]] } } : healthy(m, p));
  assert.deepEqual(await t.ilc.on_before_send({ id: 5, windowId: 1 }, REPLY), {});
});

test("onAfterSend reports the sent message to POST /v1/sent", async () => {
  const t = make();
  await t.ilc.check_now(5);
  const body = await t.ilc.on_after_send({ id: 5 }, { mode: "sendNow", messages: [{ headerMessageId: "new@ardentis.fr", date: "2026-11-12T09:00:00Z" }] });
  const req = t.svc.requests.find((r) => r.path === "/v1/sent");
  assert.ok(req, "POST /v1/sent was made");
  assert.deepEqual(req.body, body);
  assert.equal(body.message_id, "<new@ardentis.fr>");
  assert.equal(body.in_reply_to, "<orig@acme.com>");
  assert.deepEqual(body.references, ["<orig@acme.com>"]);
  assert.equal(body.date, "2026-11-12T09:00:00.000Z");
  // Drafts saved, or failed sends, are not reported.
  assert.equal(await t.ilc.on_after_send({ id: 5 }, { mode: "draft", messages: [] }), null);
  assert.equal(await t.ilc.on_after_send({ id: 5 }, { mode: "sendNow", error: "SMTP down", messages: [] }), null);
  assert.equal(t.svc.requests.filter((r) => r.path === "/v1/sent").length, 1);
});

test("pairing through the native host stores the URL and token; a missing host is a clear error", async () => {
  let t = make({ settings: {}, native: (name, msg) => {
    assert.equal(name, "interlocutor");
    assert.equal(msg.type, "get_service");
    return { url: "http://127.0.0.1:4321/", token: "tok", running: true };
  } });
  const r = await t.ilc.pair_native();
  assert.equal(r.ok, true);
  assert.equal(t.store.url, "http://127.0.0.1:4321/");
  assert.equal(t.store.token, "tok");
  t = make({ settings: {} });
  const bad = await t.ilc.pair_native();
  assert.equal(bad.ok, false);
  assert.equal(bad.error, "native_host_missing");
  t = make({ settings: {}, native: () => ({ error: "cannot read the token file" }) });
  const half = await t.ilc.pair_native();
  assert.equal(half.error, "native_host_incomplete");
  assert.match(half.detail, /token file/);
});

test("message display: known message, unknown message, service down", async () => {
  const msg = { message_id: "m@acme.com", thread_id: "t1", awaiting: { kind: "awaiting_their_reply", business_days: 4, chasers: 2 }, stakeholders: [] };
  let t = make({}, (m, p, b, u) => {
    if (p === "/v1/message") return u.searchParams.get("message_id") === "m@acme.com" ? { status: 200, json: msg } : { status: 404, json: { error: "unknown" } };
    return healthy(m, p);
  });
  assert.deepEqual(await t.ilc.message_state("<m@acme.com>"), { state: "ok", message: msg });
  assert.equal((await t.ilc.message_state("<other@acme.com>")).state, "unknown_message");
  t = make({}, () => new TypeError("NetworkError"));
  assert.equal((await t.ilc.message_state("<m@acme.com>")).state, "not_running");
});

test("helpers: URLs, Message-IDs, addresses", () => {
  assert.equal(IlcCore.normalize_url("127.0.0.1:8765"), "http://127.0.0.1:8765/");
  assert.equal(IlcCore.normalize_url(" http://localhost:1/ "), "http://localhost:1/");
  assert.equal(IlcCore.bare_id(" <a@b> "), "a@b");
  assert.equal(IlcCore.address_of("\"Doe, J\" <J.Doe@X.com>"), "j.doe@x.com");
  assert.equal(IlcCore.thread_key({ subject: "RE: TR: Offre" }), "subject:offre");
});

test("manifest: MV3, loopback host permissions, compose and display actions", () => {
  const m = JSON.parse(fs.readFileSync(path.join(EXT, "manifest.json"), "utf8"));
  assert.equal(m.manifest_version, 3);
  assert.deepEqual(m.host_permissions.sort(), ["http://127.0.0.1/*", "http://localhost/*"]);
  for (const p of ["compose", "messagesRead", "storage", "nativeMessaging"]) assert.ok(m.permissions.includes(p), p);
  for (const f of [m.compose_action.default_popup, m.message_display_action.default_popup, m.options_ui.page, ...m.background.scripts])
    assert.ok(fs.existsSync(path.join(EXT, f)), f + " exists");
});

test("locales: en and fr have the same keys, and every key the code uses exists", () => {
  const en = JSON.parse(fs.readFileSync(path.join(EXT, "_locales/en/messages.json"), "utf8"));
  const fr = JSON.parse(fs.readFileSync(path.join(EXT, "_locales/fr/messages.json"), "utf8"));
  assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
  const used = new Set();
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(js|html|json)$/.test(e.name) && !p.includes("_locales")) {
        const s = fs.readFileSync(p, "utf8");
        for (const m of s.matchAll(/data-i18n="([A-Za-z_]+)"|IlcUi\.t\("([A-Za-z_]+[A-Za-z])"|__MSG_([A-Za-z_]+)__/g)) used.add(m[1] || m[2] || m[3]);
      }
    }
  };
  walk(EXT);
  for (const st of IlcCore.STATES) { used.add("state_" + st); used.add("hint_" + st); }
  for (const c of ["all_in_copy", "insists_on_cc_dropped", "over_chasing", "many_internal_contacts", "sensitive_topic_direct", "recap_due"]) used.add("code_" + c);
  assert.ok(used.size > 20);
  for (const k of used) assert.ok(k in en, "missing key " + k);
});

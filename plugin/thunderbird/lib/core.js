// The extension's logic, kept free of globals so node's test runner can drive it with a fake
// `browser` object. The background script, the popups and the options page all use it.
"use strict";

/* exported IlcCore */
var IlcCore = (() => {
  // Settings live in storage.local; these are the values before any pairing.
  const DEFAULTS = {
    url: "",                 // the service, e.g. http://127.0.0.1:8765/
    token: "",               // the per-install secret of `interlocutor serve`
    confirm_high: false,     // ask once before sending a draft with a warning (off: advice is soft)
    poll_ms: 1500,           // Thunderbird fires no event when a recipient is typed, so we poll
    debounce_ms: 400,        // a draft must stay unchanged this long before the service is asked
    muted_threads: {},       // thread key -> true: "don't show this again for this thread"
  };
  const NATIVE_HOST = "interlocutor";
  const REQUEST_TIMEOUT_MS = 4000;

  // The UI states the popups show, besides "ok".
  const STATES = ["ok", "not_paired", "not_running", "unauthorized", "store_empty", "analysis_running", "error"];

  class ServiceError extends Error {
    constructor(state, detail) {
      super(detail || state);
      this.state = state;
    }
  }

  function normalize_url(url) {
    let u = String(url || "").trim();
    if (!u) return "";
    if (!/^https?:\/\//i.test(u)) u = "http://" + u;
    if (!u.endsWith("/")) u += "/";
    return u;
  }

  // Message-IDs travel bare (SPEC "Normalization"), whatever Thunderbird hands us.
  function bare_id(id) {
    return String(id || "").trim().replace(/^</, "").replace(/>$/, "");
  }

  // "Name <a@b>" -> "a@b"; Thunderbird's compose details give recipients in that form.
  function address_of(recipient) {
    const s = String(recipient || "").trim();
    const m = s.match(/<([^<>]+)>\s*$/);
    return (m ? m[1] : s).trim().toLowerCase();
  }

  // compose details can hold strings or {id, type} contact references; we keep plain addresses.
  function address_list(v) {
    if (!v) return [];
    const arr = Array.isArray(v) ? v : [v];
    return arr.filter((x) => typeof x === "string" && x.includes("@")).map(address_of);
  }

  function ui_lang(browser) {
    try {
      const l = browser.i18n.getUILanguage() || "en";
      return l.toLowerCase().startsWith("fr") ? "fr" : "en";
    } catch (_) {
      return "en";
    }
  }

  // The thread a draft belongs to, for muting: the message it answers, else its subject.
  function thread_key(draft) {
    if (draft.in_reply_to) return "id:" + draft.in_reply_to;
    const subj = String(draft.subject || "").replace(/^\s*((re|fwd?|tr|aw|wg|sv|réf)\s*:\s*)+/i, "").trim().toLowerCase();
    return "subject:" + subj;
  }

  function draft_signature(draft) {
    return JSON.stringify([draft.from, draft.to, draft.cc, draft.bcc, draft.subject, draft.in_reply_to, draft.body]);
  }

  function create(browser, deps = {}) {
    const fetch_fn = deps.fetch || ((...a) => fetch(...a));
    // The timer functions are called unbound, so they are wrapped (a bare reference to the
    // window's setInterval throws "called on an object that does not implement interface Window").
    const timers = deps.timers || {
      setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (id) => clearTimeout(id),
      setInterval: (f, ms) => setInterval(f, ms), clearInterval: (id) => clearInterval(id),
    };
    const now = deps.now || (() => Date.now());
    const tabs = new Map();   // tabId -> per-compose-tab state
    const log = deps.log || ((...a) => console.log("interlocutor:", ...a));

    async function settings() {
      const got = await browser.storage.local.get(Object.keys(DEFAULTS));
      const s = Object.assign({}, DEFAULTS, got);
      s.url = normalize_url(s.url);
      return s;
    }

    async function save_settings(patch) {
      if (patch.url !== undefined) patch.url = normalize_url(patch.url);
      await browser.storage.local.set(patch);
    }

    // One request to the service; every failure becomes a ServiceError with a UI state.
    async function api(path, { method = "GET", body, auth = true } = {}) {
      const s = await settings();
      if (!s.url || (auth && !s.token)) throw new ServiceError("not_paired");
      const headers = { Accept: "application/json" };
      if (auth) headers.Authorization = "Bearer " + s.token;
      if (body !== undefined) headers["Content-Type"] = "application/json";
      let resp;
      const ctrl = typeof AbortController !== "undefined" ? new AbortController() : null;
      const timer = ctrl ? timers.setTimeout(() => ctrl.abort(), REQUEST_TIMEOUT_MS) : null;
      try {
        resp = await fetch_fn(s.url + path.replace(/^\//, ""), {
          method, headers, body: body === undefined ? undefined : JSON.stringify(body),
          signal: ctrl ? ctrl.signal : undefined,
        });
      } catch (e) {
        throw new ServiceError("not_running", String(e && e.message || e));
      } finally {
        if (timer !== null) timers.clearTimeout(timer);
      }
      let json = null;
      try {
        json = await resp.json();
      } catch (_) {
        json = null;
      }
      if (resp.status === 401 || resp.status === 403) throw new ServiceError("unauthorized", json && json.error && json.error.message);
      if (resp.status === 503) throw new ServiceError("analysis_running");
      if (resp.status === 404) return { status: 404, json };
      if (!resp.ok) throw new ServiceError("error", (json && json.error && json.error.message) || "HTTP " + resp.status);
      return { status: resp.status, json };
    }

    // The service's own state: running, loading, or holding an empty store.
    async function service_state() {
      try {
        const h = await api("v1/health", { auth: false });
        const j = h.json || {};
        if (j.status && j.status !== "ok") return j.status === "loading" ? "analysis_running" : "error";
        if (j.messages === 0) return "store_empty";
        return "ok";
      } catch (e) {
        return e instanceof ServiceError ? e.state : "error";
      }
    }

    // Pairing without copy-paste: the native host answers {url, token}.
    async function pair_native() {
      let answer;
      try {
        answer = await browser.runtime.sendNativeMessage(NATIVE_HOST, { type: "get_service" });
      } catch (e) {
        return { ok: false, error: "native_host_missing", detail: String(e && e.message || e) };
      }
      if (!answer || !answer.url || !answer.token) {
        return { ok: false, error: "native_host_incomplete", detail: answer && answer.error ? answer.error : "" };
      }
      await save_settings({ url: answer.url, token: answer.token });
      return { ok: true, url: normalize_url(answer.url), running: answer.running !== false };
    }

    // The draft as POST /v1/compose/check wants it, from compose.getComposeDetails.
    async function draft_of(details) {
      const draft = {
        from: address_of(details.from),
        to: address_list(details.to),
        cc: address_list(details.cc),
        bcc: address_list(details.bcc),
        subject: String(details.subject || ""),
        body: String(details.plainTextBody || details.body || "").slice(0, 20000),
        lang: ui_lang(browser),
      };
      // A reply: the Message-ID it answers comes from the related message (Thunderbird's compose
      // details carry no References header).
      if (details.relatedMessageId && (details.type === "reply" || details.type === "forward" || !details.type)) {
        try {
          const m = await browser.messages.get(details.relatedMessageId);
          if (m && m.headerMessageId && details.type !== "forward") draft.in_reply_to = bare_id(m.headerMessageId);
        } catch (e) {
          log("related message unavailable", String(e));
        }
      }
      if (!draft.from) delete draft.from;
      if (!draft.in_reply_to) delete draft.in_reply_to;
      return draft;
    }

    function tab_state(tabId) {
      let t = tabs.get(tabId);
      if (!t) {
        t = { interval: null, debounce: null, pending_sig: null, checked_sig: null, draft: null,
              state: "checking", suggestions: [], muted: false, confirmed: false, checked_at: 0 };
        tabs.set(tabId, t);
      }
      return t;
    }

    async function set_badge(tabId, t) {
      let text = "";
      if (t.state === "ok") text = !t.muted && t.suggestions.length ? String(t.suggestions.length) : "";
      else if (t.state !== "checking") text = "!";
      const warn = t.state === "ok" && t.suggestions.some((s) => s.severity === "warning");
      try {
        await browser.composeAction.setBadgeText({ tabId, text });
        await browser.composeAction.setBadgeBackgroundColor({ tabId, color: warn ? "#c0392b" : "#607080" });
      } catch (e) {
        // The tab closed while we were asking the service: nothing to show any more.
      }
    }

    // Ask the service about the draft now (the popup and onBeforeSend use this directly).
    async function check_now(tabId, details) {
      const t = tab_state(tabId);
      const d = details || await browser.compose.getComposeDetails(tabId);
      const draft = await draft_of(d);
      t.draft = draft;
      const sig = draft_signature(draft);
      const s = await settings();
      t.muted = !!s.muted_threads[thread_key(draft)];
      if (draft.to.length + draft.cc.length + draft.bcc.length === 0) {
        t.state = "ok";
        t.suggestions = [];
      } else {
        try {
          const r = await api("v1/compose/check", { method: "POST", body: draft });
          t.suggestions = (r.json && r.json.suggestions) || [];
          t.state = "ok";
        } catch (e) {
          t.state = e instanceof ServiceError ? e.state : "error";
          t.error = String(e && e.message || e);
          t.suggestions = [];
          if (t.state === "not_running" || t.state === "error") {
            // The compose check failed: tell apart an empty store from a service that is down.
          } else if (t.state === "unauthorized") {
            t.state = "not_paired";
          }
        }
      }
      if (t.state === "ok" && t.suggestions.length === 0) {
        const st = await service_state();
        if (st === "store_empty" || st === "analysis_running") t.state = st;
      }
      t.checked_sig = sig;
      t.checked_at = now();
      await set_badge(tabId, t);
      return view_of(t);
    }

    function view_of(t) {
      return {
        state: t.state,
        muted: t.muted,
        suggestions: t.muted ? [] : t.suggestions,
        hidden: t.muted ? t.suggestions.length : 0,
        thread_key: t.draft ? thread_key(t.draft) : null,
        error: t.state === "ok" ? "" : (t.error || ""),
      };
    }

    // One polling tick: only a draft that changed and then stayed the same for debounce_ms is sent.
    async function tick(tabId) {
      const t = tabs.get(tabId);
      if (!t) return;
      let details;
      try {
        details = await browser.compose.getComposeDetails(tabId);
      } catch (e) {
        stop_polling(tabId);
        return;
      }
      const sig = draft_signature(await draft_of(details));
      if (sig === t.checked_sig || sig === t.pending_sig) return;
      t.pending_sig = sig;
      if (t.debounce !== null) timers.clearTimeout(t.debounce);
      const s = await settings();
      t.debounce = timers.setTimeout(async () => {
        t.debounce = null;
        t.pending_sig = null;
        if (!tabs.has(tabId)) return;
        try {
          await check_now(tabId);
        } catch (e) {
          log("check failed", String(e));
        }
      }, s.debounce_ms);
    }

    async function start_polling(tabId) {
      const t = tab_state(tabId);
      if (t.interval !== null) return;
      const s = await settings();
      t.interval = timers.setInterval(() => tick(tabId).catch((e) => log("tick failed", String(e))), s.poll_ms);
      tick(tabId).catch((e) => log("tick failed", String(e)));
    }

    function stop_polling(tabId) {
      const t = tabs.get(tabId);
      if (!t) return;
      if (t.interval !== null) timers.clearInterval(t.interval);
      if (t.debounce !== null) timers.clearTimeout(t.debounce);
      tabs.delete(tabId);
    }

    async function mute_thread(key, muted) {
      const s = await settings();
      const m = Object.assign({}, s.muted_threads);
      if (muted) m[key] = true;
      else delete m[key];
      await browser.storage.local.set({ muted_threads: m });
      for (const [tabId, t] of tabs) {
        if (t.draft && thread_key(t.draft) === key) {
          t.muted = !!muted;
          await set_badge(tabId, t);
        }
      }
    }

    // Advice is soft: sending goes on unless the user asked to confirm warnings, and then only
    // once per compose tab (the second Send goes through).
    async function on_before_send(tab, details) {
      const s = await settings();
      if (!s.confirm_high) return {};
      const t = tab_state(tab.id);
      if (t.confirmed) return {};
      let view;
      try {
        view = await check_now(tab.id, details);
      } catch (e) {
        return {};
      }
      if (view.state !== "ok" || !view.suggestions.some((x) => x.severity === "warning")) return {};
      t.confirmed = true;
      t.confirm_pending = true;
      try {
        await browser.composeAction.openPopup({ windowId: tab.windowId });
      } catch (e) {
        log("could not open the popup", String(e));
      }
      return { cancel: true };
    }

    // compose.onAfterSend: tell the service what left, so the next check counts it as a chaser.
    async function on_after_send(tab, sendInfo) {
      if (!sendInfo || sendInfo.mode !== "sendNow" || sendInfo.error) return null;
      const t = tabs.get(tab.id);
      let draft = t && t.draft;
      const msg = (sendInfo.messages || [])[0];
      if (!msg || !msg.headerMessageId) return null;
      if (!draft) {
        try {
          draft = await draft_of(await browser.compose.getComposeDetails(tab.id));
        } catch (_) {
          return null;
        }
      }
      const body = {
        message_id: "<" + bare_id(msg.headerMessageId) + ">",
        in_reply_to: draft.in_reply_to ? "<" + draft.in_reply_to + ">" : "",
        references: draft.in_reply_to ? ["<" + draft.in_reply_to + ">"] : [],
        from: draft.from || "",
        to: draft.to, cc: draft.cc,
        subject: draft.subject,
        date: new Date(msg.date || now()).toISOString(),
      };
      try {
        await api("v1/sent", { method: "POST", body });
      } catch (e) {
        log("could not report the sent message", String(e));
      }
      return body;
    }

    // The message display action: the thread's state for a displayed message.
    async function message_state(header_message_id) {
      try {
        const r = await api("v1/message?message_id=" + encodeURIComponent(bare_id(header_message_id)));
        if (r.status === 404) {
          const st = await service_state();
          return { state: st === "ok" ? "unknown_message" : st };
        }
        return { state: "ok", message: r.json };
      } catch (e) {
        return { state: e instanceof ServiceError ? (e.state === "unauthorized" ? "not_paired" : e.state) : "error",
                 error: String(e && e.message || e) };
      }
    }

    // Requests from the popups and the options page.
    async function on_message(msg) {
      switch (msg && msg.type) {
        case "compose_view": {
          const t = tabs.get(msg.tabId);
          const view = await check_now(msg.tabId);
          if (t && t.confirm_pending) {
            view.confirm_pending = true;
            t.confirm_pending = false;
          }
          return view;
        }
        case "mute_thread":
          await mute_thread(msg.key, msg.muted);
          return check_now(msg.tabId);
        case "message_state":
          return message_state(msg.message_id);
        case "pair_native":
          return pair_native();
        case "service_state":
          return { state: await service_state(), settings: await settings() };
        default:
          return undefined;
      }
    }

    return {
      settings, save_settings, api, service_state, pair_native, draft_of, check_now, tick,
      start_polling, stop_polling, mute_thread, on_before_send, on_after_send, message_state,
      on_message, tabs,
    };
  }

  return { create, DEFAULTS, STATES, ServiceError, normalize_url, bare_id, address_of, thread_key, NATIVE_HOST };
})();

if (typeof module !== "undefined" && module.exports) module.exports = IlcCore;

// The compose action popup: the suggestions for the draft of this compose tab.
"use strict";
/* global IlcUi */

async function render() {
  IlcUi.localize(document);
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  const view = await browser.runtime.sendMessage({ type: "compose_view", tabId: tab.id });
  const root = document.getElementById("content");
  root.replaceChildren();
  root.dataset.state = view.state;
  if (view.state !== "ok") {
    root.append(IlcUi.state_box(view.state, view.error));
    return;
  }
  if (view.confirm_pending) {
    const c = document.createElement("p");
    c.className = "confirm";
    c.textContent = IlcUi.t("confirmSend");
    root.append(c);
  }
  const list = document.createElement("ul");
  list.id = "suggestions";
  for (const s of view.suggestions) {
    const li = document.createElement("li");
    li.className = "suggestion " + (s.severity || "info");
    li.dataset.code = s.code;
    const code = document.createElement("div");
    code.className = "code";
    code.textContent = IlcUi.t("code_" + s.code);
    const msg = document.createElement("div");
    msg.className = "message";
    msg.textContent = s.message;
    li.append(code, msg);
    if (Array.isArray(s.alternatives) && s.alternatives.length) {
      const alts = document.createElement("ul");
      alts.className = "alternatives";
      for (const a of s.alternatives) {
        const ai = document.createElement("li");
        const label = a.label || a.topic || "";
        const shown = (a.to || []).filter((x) => !label.includes(x));
        ai.textContent = "→ " + label + (shown.length ? " (" + shown.join(", ") + ")" : "");
        alts.append(ai);
      }
      li.append(alts);
    }
    list.append(li);
  }
  if (!view.suggestions.length) {
    const p = document.createElement("p");
    p.className = "none";
    p.textContent = view.muted ? IlcUi.t("mutedThread", [String(view.hidden)]) : IlcUi.t("noAdvice");
    root.append(p);
  } else {
    root.append(list);
  }
  if (view.thread_key && (view.suggestions.length || view.muted)) {
    const b = document.createElement("button");
    b.id = "mute";
    b.textContent = IlcUi.t(view.muted ? "unmuteThread" : "muteThread");
    b.addEventListener("click", async () => {
      await browser.runtime.sendMessage({ type: "mute_thread", key: view.thread_key, muted: !view.muted, tabId: tab.id });
      render();
    });
    root.append(b);
  }
}

render().catch((e) => {
  document.getElementById("content").textContent = String(e);
  console.error("interlocutor popup:", e);
});

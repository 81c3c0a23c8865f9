// The message display action popup: where the thread of the displayed message stands.
"use strict";
/* global IlcUi */

function row(dl, label, value) {
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  dd.textContent = value;
  dl.append(dt, dd);
}

async function render() {
  IlcUi.localize(document);
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  // Manifest V3 has only getDisplayedMessages (a MessageList); V2 had getDisplayedMessage.
  const list = await browser.messageDisplay.getDisplayedMessages(tab.id);
  const shown = list && (Array.isArray(list) ? list[0] : (list.messages || [])[0]);
  const root = document.getElementById("content");
  root.replaceChildren();
  if (!shown) {
    root.textContent = IlcUi.t("noMessage");
    return;
  }
  const r = await browser.runtime.sendMessage({ type: "message_state", message_id: shown.headerMessageId });
  root.dataset.state = r.state;
  if (r.state !== "ok") {
    root.append(IlcUi.state_box(r.state, r.error));
    return;
  }
  const m = r.message;
  const dl = document.createElement("dl");
  if (m.account) row(dl, IlcUi.t("account"), m.account);
  if (m.awaiting) {
    const a = m.awaiting;
    const key = a.kind === "awaiting_our_reply" ? "awaitingOurReply" : "awaitingTheirReply";
    row(dl, IlcUi.t(key), IlcUi.t("businessDays", [String(a.business_days)]) +
        (a.chasers ? " · " + IlcUi.t("chasers", [String(a.chasers)]) : ""));
  } else {
    row(dl, IlcUi.t("awaitingTheirReply"), IlcUi.t("nothingAwaited"));
  }
  if (m.stall) {
    row(dl, IlcUi.t("stallRisk"), Math.round(m.stall.risk * 100) + " % · " + m.stall.reason);
    if (m.stall.suggested_action) row(dl, IlcUi.t("suggestedAction"), m.stall.suggested_action);
  }
  for (const p of m.stakeholders || []) {
    row(dl, (p.primary ? "★ " : "") + (p.name || p.email), IlcUi.t("role_" + (p.role || "unknown")) + " · " + p.email);
  }
  root.append(dl);
}

render().catch((e) => {
  document.getElementById("content").textContent = String(e);
  console.error("interlocutor display:", e);
});

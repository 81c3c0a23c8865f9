// Options: pairing through the native host, or the service URL and token typed by hand.
"use strict";
/* global IlcUi, IlcCore */

async function show_state() {
  const r = await browser.runtime.sendMessage({ type: "service_state" });
  const el = document.getElementById("status");
  el.dataset.state = r.state;
  el.textContent = IlcUi.t("state_" + r.state) + " — " + IlcUi.t("hint_" + r.state);
  document.getElementById("url").value = r.settings.url;
  document.getElementById("token").value = r.settings.token;
  document.getElementById("confirm_high").checked = !!r.settings.confirm_high;
}

document.getElementById("pair").addEventListener("click", async () => {
  const r = await browser.runtime.sendMessage({ type: "pair_native" });
  if (!r.ok) document.getElementById("status").textContent = IlcUi.t("pairFailed") + " " + (r.detail || r.error);
  else await show_state();
});

document.getElementById("form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  await browser.storage.local.set({
    url: IlcCore.normalize_url(document.getElementById("url").value),
    token: document.getElementById("token").value.trim(),
    confirm_high: document.getElementById("confirm_high").checked,
  });
  await show_state();
});

IlcUi.localize(document);
show_state().catch((e) => console.error("interlocutor options:", e));

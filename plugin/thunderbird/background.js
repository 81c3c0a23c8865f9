// Event page: every listener is registered at the top level so Thunderbird can wake the page
// (Manifest V3 suspends it when idle) and still deliver the event.
"use strict";
/* global IlcCore */

const ilc = IlcCore.create(browser);

// A compose tab is watched from the moment it exists until it closes.
browser.tabs.onCreated.addListener((tab) => {
  if (tab.type === "messageCompose") ilc.start_polling(tab.id);
});
browser.tabs.onRemoved.addListener((tabId) => ilc.stop_polling(tabId));
// After a wake-up the page has no timers left: any compose event restarts the watch.
browser.compose.onComposeStateChanged.addListener((tab) => ilc.start_polling(tab.id));
browser.compose.onBeforeSend.addListener((tab, details) => ilc.on_before_send(tab, details));
browser.compose.onAfterSend.addListener((tab, sendInfo) => ilc.on_after_send(tab, sendInfo));
browser.runtime.onMessage.addListener((msg) => ilc.on_message(msg));

// Compose tabs already open when the page (re)starts.
browser.tabs.query({ type: "messageCompose" }).then((list) => {
  for (const tab of list) ilc.start_polling(tab.id);
}).catch((e) => console.error("interlocutor: cannot list compose tabs", e));

// First run: try to pair through the native host; the options page is the fallback.
browser.runtime.onInstalled.addListener(async () => {
  const s = await ilc.settings();
  if (s.url && s.token) return;
  const r = await ilc.pair_native();
  console.log("interlocutor: native pairing", r.ok ? "done" : r.error);
});

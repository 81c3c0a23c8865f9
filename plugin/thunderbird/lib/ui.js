// What the popups share: localized strings and the text of each UI state.
"use strict";
/* exported IlcUi */
var IlcUi = (() => {
  function t(key, subs) {
    return browser.i18n.getMessage(key, subs) || key;
  }
  function localize(root) {
    for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  }
  // Each state other than "ok" has a title and a hint telling the user what to do.
  function state_box(state, detail) {
    const box = document.createElement("div");
    box.className = "state state-" + state;
    box.dataset.state = state;
    const h = document.createElement("strong");
    h.textContent = t("state_" + state);
    const p = document.createElement("p");
    p.textContent = t("hint_" + state);
    box.append(h, p);
    if (detail) {
      const d = document.createElement("small");
      d.textContent = detail;
      box.append(d);
    }
    if (state === "not_paired" || state === "unauthorized") {
      const b = document.createElement("button");
      b.textContent = t("openOptions");
      b.addEventListener("click", () => browser.runtime.openOptionsPage());
      box.append(b);
    }
    return box;
  }
  return { t, localize, state_box };
})();

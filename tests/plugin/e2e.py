#!/usr/bin/env python3
"""End-to-end test of the Thunderbird extension (issue 6).

Real peers only: the dev corpus ingested by the real `interlocutor`, the real `interlocutor serve`
on a free port, the real Thunderbird (Debian package) headless with a fresh profile and the built
.xpi side-loaded, paired through the real native host (`interlocutor native-host --install`).
Thunderbird is driven through Marionette like a user: replies are opened on real messages of the
dev mailbox (copied into Local Folders), recipients are typed and removed in the compose window,
and the compose action popup is opened and read. The threads are chosen from
`interlocutor analyze --format json` at test time.

usage: e2e.py --interlocutor BIN --xpi FILE --corpus DIR --out DIR
Exit code 0 when every check passed; screenshots and logs stay in --out.
"""
import argparse
import base64
import json
import os
import shutil
import sys
import time
import traceback
import urllib.request

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mn  # noqa: E402
import tbenv  # noqa: E402

BUTTON = "#interlocutor_interlocutor_dev-composeAction-toolbarbutton"

# Read in chrome context: the compose windows and what their pills and our badge show.
COMPOSE_STATE_JS = """
const out = [];
for (const w of Services.wm.getEnumerator("msgcompose")) {
  // A window still loading has no subject field yet.
  if (!w.document.getElementById("msgSubject")) continue;
  const b = w.document.querySelector("%s");
  out.push({pills: [...w.document.querySelectorAll("mail-address-pill")].map(p => p.emailAddress.toLowerCase()),
            subject: w.document.getElementById("msgSubject").value,
            badge: b ? (b.getAttribute("badge") || "") : null});
}
return out;
""" % BUTTON

# Finds a message of Local Folders by Message-ID (the folders are parsed on first access) and opens
# a reply to it, as the Reply / Reply All buttons do.
OPEN_REPLY_JS = """
const [mid, replyAll] = arguments;
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const root = MailServices.accounts.localFoldersServer.rootFolder;
const deadline = Date.now() + 60000;
let found = null;
while (!found && Date.now() < deadline) {
  for (const f of root.subFolders) {
    try {
      const hdr = f.msgDatabase.getMsgHdrForMessageID(mid);
      if (hdr) { found = [f, hdr]; break; }
    } catch (e) { try { f.updateFolder(null); } catch (e2) {} }
  }
  if (!found) await new Promise(r => setTimeout(r, 300));
}
if (!found) return null;
const [f, hdr] = found;
const identity = MailServices.accounts.defaultAccount.defaultIdentity;
MailServices.compose.OpenComposeWindow(null, hdr, f.getUriForMsg(hdr),
    replyAll ? Ci.nsIMsgCompType.ReplyAll : Ci.nsIMsgCompType.Reply, Ci.nsIMsgCompFormat.Default, identity, null, null);
return f.name;
"""

# Shows a message of Local Folders in the 3-pane tab, then clicks our message display action.
DISPLAY_MESSAGE_JS = OPEN_REPLY_JS.split("const identity")[0] + """
const { MailUtils } = ChromeUtils.importESModule("resource:///modules/MailUtils.sys.mjs");
// A message tab, as a double click opens it (the 3-pane's message pane may be hidden in a fresh profile).
MailUtils.displayMessage(hdr);
const win = Services.wm.getMostRecentWindow("mail:3pane");
const until = Date.now() + 20000;
let about = null;
while (Date.now() < until) {
  about = win.gTabmail.currentAboutMessage;
  if (about && about.gMessage && about.gMessage.messageId == mid) break;
  await new Promise(r => setTimeout(r, 200));
}
if (!about || !about.gMessage || about.gMessage.messageId != mid) return "message not displayed";
let btn = null;
while (Date.now() < until && !(btn = about.document.getElementById("interlocutor_interlocutor_dev-messageDisplayAction-toolbarbutton")))
  await new Promise(r => setTimeout(r, 200));
if (!btn) return "no message display action button";
// Action buttons react to a left mousedown (ExtensionToolbarButtons.sys.mjs), as under a real click.
btn.dispatchEvent(new about.MouseEvent("mousedown", {button: 0, bubbles: true, cancelable: true}));
return "ok";
"""

READ_DISPLAY_POPUP_JS = """
const win = Services.wm.getMostRecentWindow("mail:3pane");
const about = win.gTabmail.currentAboutMessage;
const b = [win.document, about && about.document].filter(Boolean)
  .map(d => d.querySelector("browser[webextension-view-type='popup']")).find(Boolean);
if (!b) return null;
return await new Promise((res) => {
  const mm = b.messageManager;
  mm.addMessageListener("ilc:display", (msg) => res(msg.data));
  mm.loadFrameScript("data:,sendAsyncMessage('ilc:display', {" +
    "text: content.document.body.innerText, state: content.document.getElementById('content').dataset.state})", false);
  setTimeout(() => res(null), 5000);
});
"""

# The popup runs in the extension process: a frame script reads its rendered DOM.
READ_POPUP_JS = """
const b = document.querySelector("browser[webextension-view-type='popup']");
if (!b) return null;
return await new Promise((res) => {
  const mm = b.messageManager;
  mm.addMessageListener("ilc:popup", (msg) => res(msg.data));
  mm.loadFrameScript("data:,sendAsyncMessage('ilc:popup', {" +
    "text: content.document.body.innerText," +
    "codes: [...content.document.querySelectorAll('li.suggestion')].map(e => e.dataset.code)," +
    "state: content.document.getElementById('content').dataset.state})", false);
  setTimeout(() => res(null), 5000);
});
"""

SNAPSHOT_POPUP_JS = """
const b = document.querySelector("browser[webextension-view-type='popup']");
if (!b) return null;
const bmp = await b.browsingContext.currentWindowGlobal.drawSnapshot(null, 1, "white");
const c = document.createElementNS("http://www.w3.org/1999/xhtml", "canvas");
c.width = bmp.width; c.height = bmp.height;
c.getContext("2d").drawImage(bmp, 0, 0);
return c.toDataURL("image/png");
"""

CLOSE_COMPOSE_JS = """
for (const w of Services.wm.getEnumerator("msgcompose")) {
  w.gContentChanged = false; w.gAutoSaveKickedIn = false;
  if (w.gMsgCompose) w.gMsgCompose.bodyModified = false;
  w.close();
}
"""

CONSOLE_JS = """
return Services.console.getMessageArray()
  .map(x => String(x.message || x.errorMessage || x) + (x.sourceName ? "  @" + x.sourceName + ":" + x.lineNumber : ""))
  .filter(t => t.includes("interlocutor@interlocutor.dev") || t.includes("moz-extension://"));
"""


class E2E:
    def __init__(self, a):
        self.a = a
        self.t0 = time.monotonic()
        self.passed = 0
        self.failed = 0
        self.m = None
        self.env = None
        self.db = None
        self.smtp = None

    def log(self, msg):
        tbenv.log(self.t0, msg)

    def check(self, what, ok, detail=""):
        if ok:
            self.passed += 1
            self.log("PASS " + what + (" (%s)" % detail if detail else ""))
        else:
            self.failed += 1
            self.log("FAIL " + what + (" (%s)" % detail if detail else ""))
        return ok

    # --- service -----------------------------------------------------------------------------
    def api(self, path):
        req = urllib.request.Request(self.url + path.lstrip("/"), headers={"Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def served(self, path):
        """How many requests to `path` the service has logged."""
        try:
            with open(os.path.join(os.path.dirname(self.db), "serve.log")) as f:
                return sum(1 for line in f if path in line)
        except OSError:
            return 0

    def compose_checks(self):
        """How many compose checks the service has answered (its request log)."""
        try:
            with open(os.path.join(os.path.dirname(self.db), "serve.log")) as f:
                return sum(1 for line in f if "/v1/compose/check" in line)
        except OSError:
            return 0

    # --- Thunderbird -------------------------------------------------------------------------
    def element(self, css):
        e = self.m.cmd("WebDriver:FindElement", {"using": "css selector", "value": css})
        return list(e.values())[0] if isinstance(e, dict) else e

    def switch_to(self, windowtype, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for h in self.m.cmd("WebDriver:GetWindowHandles"):
                self.m.cmd("WebDriver:SwitchToWindow", {"handle": h})
                if self.m.script("return document.documentElement.getAttribute('windowtype');") == windowtype:
                    return h
            time.sleep(0.3)
        raise RuntimeError("no %s window" % windowtype)

    def wait_compose(self, pred, timeout=20):
        """Polls the compose window until pred(state) holds; returns the last state."""
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            lst = self.m.script(COMPOSE_STATE_JS)
            st = lst[0] if lst else None
            if st and pred(st):
                return st
            time.sleep(0.3)
        return st

    def reply(self, message_id, reply_all=True):
        # The 3-pane first: the compose window we were in may be gone (sent, closed).
        self.switch_to("mail:3pane")
        self.m.script(CLOSE_COMPOSE_JS)
        folder = self.m.script(OPEN_REPLY_JS, [message_id, reply_all], timeout_ms=90000)
        if folder is None:
            raise RuntimeError("message %s not found in Local Folders" % message_id)
        self.switch_to("msgcompose")
        return self.wait_compose(lambda s: s["pills"], 20)

    def type_cc(self, addresses):
        self.m.script('showAndFocusAddressRow("addressRowCc");')
        field = self.element("#ccAddrInput")
        for a in addresses:
            self.m.cmd("WebDriver:ElementSendKeys", {"id": field, "text": a + "\ue007"})

    def remove_pill(self, address):
        # Click selects the pill, then the pill context menu's Delete command removes it.
        pill = self.m.script("""
          const [a] = arguments;
          return [...document.querySelectorAll("mail-address-pill")].find(p => p.emailAddress.toLowerCase() == a) || null;""",
                             [address])
        if not pill:
            return False
        self.m.cmd("WebDriver:ElementClick", {"id": list(pill.values())[0]})
        self.m.script("deleteSelectedPillsOnCommand();")
        return True

    def popup(self, shot_name=None):
        """Opens the compose action popup like a click and reads what it shows."""
        self.m.cmd("WebDriver:ElementClick", {"id": self.element(BUTTON)})
        deadline = time.monotonic() + 15
        view = None
        while time.monotonic() < deadline:
            view = self.m.script(READ_POPUP_JS)
            if view and view.get("state") not in (None, "checking"):
                break
            time.sleep(0.3)
        if shot_name:
            self.screenshot(shot_name)
        # Escape closes the panel, as a user would.
        self.m.script("""for (const p of document.querySelectorAll("panel")) if (p.state == "open") p.hidePopup();""")
        return view or {}

    def screenshot(self, name):
        try:
            png = self.m.cmd("WebDriver:TakeScreenshot", {"full": False})
            with open(os.path.join(self.a.out, name + "-compose.png"), "wb") as f:
                f.write(base64.b64decode(png))
            url = self.m.script(SNAPSHOT_POPUP_JS)
            if url:
                with open(os.path.join(self.a.out, name + "-popup.png"), "wb") as f:
                    f.write(base64.b64decode(url.split(",", 1)[1]))
        except Exception as e:  # a screenshot is an artifact, never the verdict
            self.log("screenshot %s failed: %s" % (name, e))

    # --- the run -----------------------------------------------------------------------------
    def prepare_store(self, env):
        a = self.a
        self.db = os.path.join(self.work, "store", "interlocutor.db")
        os.makedirs(os.path.dirname(self.db))
        mboxes = [os.path.join(a.corpus, "mbox", n + ".mbox") for n in ("INBOX", "Sent", "Archives")]
        tbenv.run([a.interlocutor, "ingest", *mboxes, "--db", self.db, "--me", tbenv.OWNER[0], "--me", tbenv.OWNER[1],
                   "--internal-domain", "ardentis.fr", "--quiet"], env=env)
        r = tbenv.run([a.interlocutor, "analyze", "--db", self.db, *tbenv.DEV_SETTINGS, "--holidays",
                       os.path.join(a.corpus, "holidays.txt"), "--format", "json"], env=env)
        self.analysis = json.loads(r.stdout)
        r = tbenv.run([a.interlocutor, "threads", "--db", self.db, "--format", "json"], env=env)
        self.threads = {t["id"]: t for t in json.loads(r.stdout)["threads"]}

    def pick_one_to_one(self):
        """A thread no finding mentions, whose latest message came from one external person to
        the owner alone, with no cue in it: a plain reply there deserves no advice."""
        mentioned = set()
        for f in self.analysis["findings"]:
            for k in ("thread_id", "message_id", "first_unanswered"):
                if f.get(k):
                    mentioned.add(f[k])
            mentioned.update(f.get("group_messages", []))
            mentioned.update(f.get("evidence", []) if isinstance(f.get("evidence"), list) else [])
        owners = set(tbenv.OWNER)
        for tid, t in sorted(self.threads.items()):
            if tid in mentioned or any(m in mentioned for m in t["message_ids"]) or t["size"] < 2:
                continue
            th = self.api("v1/threads/" + urllib.request.quote(tid, safe=""))
            last = th["messages"][-1]
            frm = last["from"]["address"].lower()
            to = [x["address"].lower() if isinstance(x, dict) else str(x).lower() for x in last["to"]]
            cc = last["cc"]
            if frm in owners or frm.endswith("@ardentis.fr") or last.get("automated") or cc or to != [tbenv.OWNER[0]]:
                continue
            r = tbenv.run([self.a.interlocutor, "inspect", "--db", self.db, "--message-id", last["message_id"],
                           "--format", "json"], env=self.env)
            if json.loads(r.stdout).get("cues"):
                continue
            return last["message_id"], frm
        return None, None

    def run(self):
        a = self.a
        self.work = os.path.join(a.out, "work")
        shutil.rmtree(self.work, ignore_errors=True)
        home = os.path.join(self.work, "home")
        os.makedirs(home)
        env = dict(os.environ, HOME=home, TMPDIR=self.work, XDG_CONFIG_HOME=home + "/.config",
                   XDG_DATA_HOME=home + "/.local/share", XDG_CACHE_HOME=home + "/.cache",
                   MOZ_CRASHREPORTER_DISABLE="1", LANG="en_US.UTF-8", LC_ALL="en_US.UTF-8")
        env.pop("DISPLAY", None)
        self.env = env
        tb_version = tbenv.run(["thunderbird", "--version"], env=env).stdout.strip()
        self.log("using " + tb_version)
        self.prepare_store(env)
        self.log("store ready: %d findings, %d threads" % (len(self.analysis["findings"]), len(self.threads)))
        serve = tb = None
        try:
            serve, self.url, self.token = tbenv.start_service(a.interlocutor, self.db, a.corpus, env, a.out)
            port = int(self.url.rstrip("/").rsplit(":", 1)[1])
            self.log("service on " + self.url)
            r = tbenv.run([a.interlocutor, "native-host", "--install", "--db", self.db, "--port", str(port)], env=env)
            self.check("native host manifest installed", r.returncode == 0, r.stdout.strip().splitlines()[0])
            self.smtp = tbenv.SmtpSink()
            prof = tbenv.make_profile(self.work, a.xpi, a.corpus, self.smtp.port)
            tb, mport = tbenv.start_thunderbird(prof, env, a.out)
            self.m = mn.Marionette(mport)
            self.m.cmd("WebDriver:NewSession", {"capabilities": {}})
            self.m.cmd("Marionette:SetContext", {"value": "chrome"})
            self.log("marionette session on port %d" % mport)
            self.scenarios()
        except Exception:
            self.failed += 1
            self.log("FAIL unexpected error:\n" + traceback.format_exc())
        finally:
            if self.m:
                try:
                    self.m.script(CLOSE_COMPOSE_JS)
                    self.m.cmd("Marionette:Quit", {"flags": ["eForceQuit"]})
                except Exception:
                    pass
                self.m.close()
            if tb:
                try:
                    tb.wait(10)  # Marionette:Quit lets Thunderbird exit by itself
                except Exception:
                    pass
                tbenv.stop(tb)
            tbenv.stop(serve)
            if self.smtp:
                self.smtp.close()
            if a.uninstall_host and self.env and self.db:
                tbenv.run([a.interlocutor, "native-host", "--uninstall", "--db", self.db], env=self.env, check=False)
        self.log("%d passed, %d failed" % (self.passed, self.failed))
        return 0 if self.failed == 0 and self.passed > 0 else 1

    def scenarios(self):
        m = self.m
        active = m.script("""
          const { AddonManager } = ChromeUtils.importESModule("resource://gre/modules/AddonManager.sys.mjs");
          const a = await AddonManager.getAddonByID("interlocutor@interlocutor.dev");
          return a ? {active: a.isActive, mv: a.manifestVersion || null, version: a.version} : null;""")
        self.check("side-loaded add-on is active", bool(active and active["active"]), str(active))

        # Pairing: the background asked the native host on install; storage.local holds the result.
        deadline = time.monotonic() + 20
        stored = {}
        while time.monotonic() < deadline:
            stored = m.script("""
              const { ExtensionParent } = ChromeUtils.importESModule("resource://gre/modules/ExtensionParent.sys.mjs");
              const { ExtensionStorageIDB } = ChromeUtils.importESModule("resource://gre/modules/ExtensionStorageIDB.sys.mjs");
              const ext = ExtensionParent.GlobalManager.getExtension("interlocutor@interlocutor.dev");
              const db = await ExtensionStorageIDB.open(ExtensionStorageIDB.getStoragePrincipal(ext));
              return await db.get(["url", "token"]);""")
            if stored.get("token"):
                break
            time.sleep(0.5)
        self.check("paired through the native host (url and token in storage)",
                   stored.get("url") == self.url and stored.get("token") == self.token, stored.get("url", "no url"))

        f = self.analysis["findings"]
        # 1. all-in-copy: a reply to the thread's latest group mail, with all its recipients.
        aic = [x for x in f if x["kind"] == "all_in_copy" and len(x.get("recipients", [])) >= 5]
        if self.check("analyze found an all-in-copy thread with 5+ recipients", bool(aic)):
            x = aic[0]
            st = self.reply(x["group_messages"][-1])
            missing = [r for r in x["recipients"] if r.lower() not in st["pills"]]
            self.type_cc(missing)
            st = self.wait_compose(lambda s: all(r.lower() in s["pills"] for r in x["recipients"]), 15)
            self.check("the reply holds the thread's %d recipients" % len(x["recipients"]),
                       all(r.lower() in st["pills"] for r in x["recipients"]), ", ".join(st["pills"]))
            st = self.wait_compose(lambda s: s["badge"] not in ("", None, "!"), 20)
            self.check("compose action badge counts the suggestions", st and st["badge"].isdigit() and int(st["badge"]) >= 1,
                       "badge=%r" % (st and st["badge"]))
            view = self.popup("all-in-copy")
            self.check("popup shows all-in-copy advice", "all_in_copy" in view.get("codes", []), str(view.get("codes")))
            direct = [r for r in x["recipients"] if r in view.get("text", "")]
            self.check("the advice names direct contacts of the account", len(direct) >= 1, ", ".join(direct[:3]))
            self.check("badge equals the number of suggestions listed",
                       st and st["badge"] == str(len(view.get("codes", []))), "%s vs %s" % (st and st["badge"], view.get("codes")))

        # 2. A person who insists on staying in copy is removed from the recipients.
        ins = [x for x in f if x["kind"] == "insists_on_cc"]
        if self.check("analyze found a person who insists on cc", bool(ins)):
            x = ins[0]
            who = x["address"].lower()
            last = self.threads[x["thread_id"]]["message_ids"][-1]
            st = self.reply(last)
            if who not in st["pills"]:
                self.type_cc([who])
                st = self.wait_compose(lambda s: who in s["pills"], 15)
            before = self.popup()
            self.check("no dropped-contact warning while %s is in copy" % who,
                       before.get("state") == "ok" and "insists_on_cc_dropped" not in before.get("codes", []),
                       str(before.get("codes")))
            self.check("the pill of %s was removed" % who, self.remove_pill(who))
            self.wait_compose(lambda s: who not in s["pills"], 10)
            deadline = time.monotonic() + 20
            view = {}
            while time.monotonic() < deadline:
                view = self.popup("insists-on-cc")
                if "insists_on_cc_dropped" in view.get("codes", []):
                    break
                time.sleep(1)
            self.check("removing them shows the insists-on-cc warning", "insists_on_cc_dropped" in view.get("codes", []),
                       str(view.get("codes")))
            self.check("the warning names them", who in view.get("text", "").lower() or
                       any(p in view.get("text", "") for p in who.split("@")[0].split(".")), who)

        # 3. A third chaser: a reply to a thread already holding two unanswered mails.
        aic_threads = {x["thread_id"] for x in f if x["kind"] == "all_in_copy"}
        chase = [x for x in f if x["kind"] == "awaiting_reply" and x["unanswered_count"] == 2]
        chase.sort(key=lambda x: x["thread_id"] in aic_threads)
        if self.check("analyze found a thread with two unanswered chasers", bool(chase)):
            x = chase[0]
            self.reply(x["message_id"])
            st = self.wait_compose(lambda s: s["badge"] not in ("", None), 20)
            view = self.popup("over-chasing")
            self.check("a third chaser shows over-chasing", "over_chasing" in view.get("codes", []), str(view.get("codes")))

        # 3b. A chaser really sent (SMTP on loopback) is reported by compose.onAfterSend, so the
        # next reply in that thread is already the third unanswered mail.
        once = [x for x in f if x["kind"] == "awaiting_reply" and x["unanswered_count"] == 1]
        if self.check("analyze found a thread with one unanswered mail", bool(once)):
            x = once[0]
            self.reply(x["message_id"])
            view = self.popup()
            self.check("a second mail is not over-chasing yet", view.get("state") == "ok" and
                       "over_chasing" not in view.get("codes", []), str(view.get("codes")))
            sent0, n_smtp = self.served("/v1/sent"), len(self.smtp.messages)
            m.script("goDoCommand('cmd_sendNow');")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and self.served("/v1/sent") <= sent0:
                time.sleep(0.3)
            self.check("Thunderbird sent the chaser over SMTP", len(self.smtp.messages) > n_smtp)
            self.check("compose.onAfterSend reported it: POST /v1/sent", self.served("/v1/sent") > sent0)
            self.reply(x["message_id"])
            view = self.popup("after-send")
            self.check("the next reply in that thread is over-chasing", "over_chasing" in view.get("codes", []),
                       str(view.get("codes")))

        # 3c. The message display action: the thread state of a displayed message (GET /v1/message).
        if chase:
            x = chase[0]
            self.switch_to("mail:3pane")
            m.script(CLOSE_COMPOSE_JS)
            r = m.script(DISPLAY_MESSAGE_JS, [x["message_id"], True], timeout_ms=90000)
            self.check("a message of the chased thread is displayed and the display action clicked", r == "ok", str(r))
            deadline = time.monotonic() + 15
            view = None
            while time.monotonic() < deadline:
                view = m.script(READ_DISPLAY_POPUP_JS)
                if view and view.get("state") not in (None, "checking"):
                    break
                time.sleep(0.3)
            view = view or {}
            self.check("the display popup shows the thread state from GET /v1/message",
                       view.get("state") == "ok" and x["account"] in view.get("text", ""), view.get("text", "")[:160].replace("\n", " | "))
            self.check("it shows the wait in business days and the chasers",
                       "business days" in view.get("text", "") and "chasers" in view.get("text", ""))
            try:
                png = m.cmd("WebDriver:TakeScreenshot", {"full": False})
                with open(os.path.join(self.a.out, "message-display.png"), "wb") as fh:
                    fh.write(base64.b64decode(png))
            except Exception as e:
                self.log("screenshot failed: %s" % e)
            m.script("""for (const w of Services.wm.getEnumerator(null)) for (const p of w.document.querySelectorAll("panel")) if (p.state == "open") p.hidePopup();""")

        # 4. A normal one-to-one reply: no advice at all.
        mid, who = self.pick_one_to_one()
        if self.check("found a plain one-to-one thread without findings", bool(mid), str(who)):
            n0 = self.compose_checks()
            st = self.reply(mid, reply_all=False)
            self.check("the reply goes to that one person", st["pills"] == [who], str(st["pills"]))
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and self.compose_checks() <= n0:
                time.sleep(0.3)
            self.check("the open compose tab was checked without any click (polling)", self.compose_checks() > n0)
            time.sleep(1)
            st = self.wait_compose(lambda s: True, 2)
            view = self.popup("one-to-one")
            self.check("a one-to-one reply gets no advice", view.get("state") == "ok" and view.get("codes") == []
                       and st["badge"] == "", "state=%s codes=%s badge=%r" % (view.get("state"), view.get("codes"), st["badge"]))

        # 4b. Typing a recipient long after the event page's idle timeout (3 s here) is still seen.
        if mid:
            time.sleep(8)
            n0 = self.compose_checks()
            self.type_cc([who.replace("@", "+cc@")])
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.compose_checks() <= n0:
                time.sleep(0.3)
            self.check("a recipient typed after 8 s idle is checked without any click", self.compose_checks() > n0)

        # 5. The browser console: no manifest warning, no error of the extension.
        m.script(CLOSE_COMPOSE_JS)
        self.switch_to("mail:3pane")
        msgs = m.script(CONSOLE_JS)
        bad = [t for t in msgs if "Reading manifest" in t or "Error" in t or "Warning" in t]
        with open(os.path.join(self.a.out, "console.txt"), "w") as fh:
            fh.write("\n".join(msgs))
        self.check("no manifest warning or extension error in the console", not bad, "; ".join(bad[:3]))
        with open(os.path.join(self.a.out, "thunderbird.stdout")) as fh:
            js_errors = [ln for ln in fh if "JavaScript error: moz-extension://" in ln]
        self.check("no uncaught JavaScript error of the extension on stdout", not js_errors, "".join(js_errors[:2]).strip())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--interlocutor", required=True)
    p.add_argument("--xpi", required=True)
    p.add_argument("--corpus", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--uninstall-host", action="store_true", default=True)
    a = p.parse_args()
    a.out = os.path.abspath(a.out)
    os.makedirs(a.out, exist_ok=True)
    for prog in ("thunderbird", "zip"):
        if not shutil.which(prog):
            print("FAIL: %s is not installed (scripts/setup.sh installs it)" % prog)
            return 1
    for path in (a.interlocutor, a.xpi, os.path.join(a.corpus, "mbox", "INBOX.mbox")):
        if not os.path.exists(path):
            print("FAIL: %s is missing" % path)
            return 1
    return E2E(a).run()


if __name__ == "__main__":
    sys.exit(main())

"""Starting the real peers of the end-to-end test: `interlocutor serve` on the dev corpus and a
headless Thunderbird with a fresh profile and the side-loaded .xpi (recipes measured in
../shared/notes/thunderbird-e2e.md). Every process is started here and stopped by its own PID."""
import json
import os
import re
import shutil
import signal
import subprocess
import time

EXT_ID = "interlocutor@interlocutor.dev"
OWNER = ["isabelle.charpentier@ardentis.fr", "icharpentier@ardentis.fr"]
DEV_SETTINGS = ["--now", "2026-11-12T10:00:00+01:00", "--tz", "Europe/Paris"]

USER_JS = """
user_pref("xpinstall.signatures.required", false);
user_pref("extensions.autoDisableScopes", 0);
user_pref("extensions.enabledScopes", 15);
user_pref("devtools.console.stdout.chrome", true);
user_pref("devtools.console.stdout.content", true);
user_pref("browser.dom.window.dump.enabled", true);
user_pref("marionette.port", 0);
// A short idle timeout for the MV3 event page, so the test covers a suspended background.
user_pref("extensions.background.idle.timeout", 3000);
user_pref("mail.provider.suppress_dialog_on_startup", true);
user_pref("mailnews.start_page.enabled", false);
user_pref("mail.shell.checkDefaultClient", false);
user_pref("mail.rights.version", 1);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.policy.dataSubmissionPolicyBypassNotification", true);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("app.update.disabledForTesting", true);
user_pref("extensions.update.enabled", false);
user_pref("extensions.getAddons.cache.enabled", false);
user_pref("mail.instrumentation.postUrl", "");
user_pref("mail.spotlight.firstRunDone", true);
user_pref("mail.winsearch.firstRunDone", true);
user_pref("browser.region.network.url", "");
user_pref("browser.region.update.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("toolkit.telemetry.server", "");
user_pref("app.normandy.api_url", "");
user_pref("mail.accountmanager.accounts", "account1,account2");
user_pref("mail.accountmanager.defaultaccount", "account1");
user_pref("mail.accountmanager.localfoldersserver", "server2");
user_pref("mail.account.account1.server", "server1");
user_pref("mail.account.account1.identities", "id1");
user_pref("mail.account.account2.server", "server2");
user_pref("mail.server.server1.type", "pop3");
user_pref("mail.server.server1.hostname", "127.0.0.1");
user_pref("mail.server.server1.port", 1110);
user_pref("mail.server.server1.login_at_startup", false);
user_pref("mail.server.server1.check_new_mail", false);
user_pref("mail.server.server1.download_on_biff", false);
user_pref("mail.server.server1.authMethod", 3);
user_pref("mail.server.server1.socketType", 0);
user_pref("mail.server.server1.userName", "isabelle");
user_pref("mail.server.server1.name", "Ardentis");
user_pref("mail.server.server1.directory-rel", "[ProfD]Mail/ardentis");
user_pref("mail.server.server2.type", "none");
user_pref("mail.server.server2.hostname", "Local Folders");
user_pref("mail.server.server2.userName", "nobody");
user_pref("mail.server.server2.name", "Local Folders");
user_pref("mail.server.server2.directory-rel", "[ProfD]Mail/Local Folders");
user_pref("mail.identity.id1.fullName", "Isabelle Charpentier");
user_pref("mail.identity.id1.useremail", "isabelle.charpentier@ardentis.fr");
user_pref("mail.identity.id1.valid", true);
user_pref("mail.identity.id1.reply_on_top", 1);
user_pref("mail.identity.id1.smtpServer", "smtp1");
user_pref("mail.smtpservers", "smtp1");
user_pref("mail.smtp.defaultserver", "smtp1");
user_pref("mail.smtpserver.smtp1.hostname", "127.0.0.1");
user_pref("mail.smtpserver.smtp1.port", %(smtp_port)d);
user_pref("mail.smtpserver.smtp1.authMethod", 1);
user_pref("mail.smtpserver.smtp1.try_ssl", 0);
"""


def log(t0, msg):
    print("[%7.2fs] %s" % (time.monotonic() - t0, msg), flush=True)


def run(cmd, env=None, check=True):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if check and r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stderr[-2000:]))
    return r


def make_profile(work, xpi, corpus, smtp_port):
    """A fresh profile: one POP3 account that never polls (so compose windows open), the dev
    mailbox as Local Folders mbox files (so replies have a related message), the side-loaded xpi."""
    prof = os.path.join(work, "profile")
    shutil.rmtree(prof, ignore_errors=True)
    os.makedirs(os.path.join(prof, "extensions"))
    with open(os.path.join(prof, "user.js"), "w") as f:
        f.write(USER_JS % {"smtp_port": smtp_port})
    shutil.copy(xpi, os.path.join(prof, "extensions", EXT_ID + ".xpi"))
    local = os.path.join(prof, "Mail", "Local Folders")
    os.makedirs(local)
    for name in ("INBOX", "Sent", "Archives"):
        shutil.copy(os.path.join(corpus, "mbox", name + ".mbox"), os.path.join(local, name.capitalize() if name != "INBOX" else "Inbox"))
    return prof


def start_service(exe, db, corpus, env, out_dir):
    """`interlocutor serve` on a free port; returns (process, url, token)."""
    logf = open(os.path.join(out_dir, "serve.stdout"), "w")
    p = subprocess.Popen([exe, "serve", "--db", db, "--port", "0", *DEV_SETTINGS,
                          "--holidays", os.path.join(corpus, "holidays.txt")],
                         stdout=subprocess.PIPE, stderr=logf, text=True, env=env)
    url = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        logf.write(line)
        m = re.search(r"http://127\.0\.0\.1:\d+/", line)
        if m:
            url = m.group(0)
            break
    if not url:
        stop(p)
        raise RuntimeError("interlocutor serve printed no URL (see serve.stdout)")
    token = open(os.path.join(os.path.dirname(db), "token")).read().strip()
    return p, url, token


def start_thunderbird(prof, env, out_dir, headless=True):
    port_file = os.path.join(prof, "MarionetteActivePort")
    if os.path.exists(port_file):
        os.remove(port_file)
    args = ["thunderbird"]
    if headless:
        args.append("--headless")
    args += ["-profile", prof, "-no-remote", "--marionette", "-remote-allow-system-access"]
    out = open(os.path.join(out_dir, "thunderbird.stdout"), "w")
    p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise RuntimeError("thunderbird exited with %d (see thunderbird.stdout)" % p.returncode)
        if os.path.exists(port_file):
            txt = open(port_file).read().strip()
            if txt.isdigit():
                return p, int(txt)
        time.sleep(0.1)
    stop(p)
    raise RuntimeError("thunderbird wrote no MarionetteActivePort within 60 s")


def stop(p, grace=15):
    """SIGTERM, then SIGKILL after `grace` seconds: only this PID (and, for Thunderbird, its own
    session's children)."""
    if p is None or p.poll() is not None:
        return
    try:
        p.send_signal(signal.SIGTERM)
        p.wait(grace)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)


class SmtpSink:
    """A minimal SMTP server on loopback that accepts every mail (so Thunderbird really sends and
    compose.onAfterSend fires) and keeps what it received."""

    def __init__(self):
        import socketserver
        import threading
        sink = self
        self.messages = []

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                w = self.wfile.write
                w(b"220 sink ESMTP\r\n")
                data = None
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    if data is not None:
                        if line in (b".\r\n", b".\n"):
                            sink.messages.append(b"".join(data))
                            data = None
                            w(b"250 2.0.0 queued\r\n")
                        else:
                            data.append(line[1:] if line.startswith(b"..") else line)
                        continue
                    verb = line[:4].upper()
                    if verb in (b"EHLO", b"HELO"):
                        w(b"250-sink\r\n250 8BITMIME\r\n")
                    elif verb == b"DATA":
                        data = []
                        w(b"354 end with .\r\n")
                    elif verb == b"QUIT":
                        w(b"221 bye\r\n")
                        return
                    else:
                        w(b"250 ok\r\n")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

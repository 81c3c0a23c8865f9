"""A throw-away Dovecot for tests: its config, its Maildir's owner, start and stop.

Shared by tests/imap/imap_dovecot_test.py (and imap_changes_test.py through it) and
tests/threading/dovecot_threads.py, so that the one way we run a real Dovecot is written once:
one passwd-file user, IMAP on 127.0.0.1 on free ports, every directory and the log inside the
test's temporary folder, every other protocol's listener off. Python stdlib only.
"""
import os
import pwd
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mbox_messages(data):
    """Raw messages of an mbox's bytes: a "From " line after a blank line (or at the start) begins one."""
    current, prev_blank = None, True
    for line in data.splitlines(keepends=True):
        if prev_blank and line.startswith(b"From "):
            if current is not None:
                yield b"".join(current)
            current = []
        elif current is not None:
            current.append(line)
        prev_blank = line.strip(b"\r\n") == b""
    if current is not None:
        yield b"".join(current)


def mail_user(requested):
    """The system user owning the mail: `requested` when run as root (Dovecot refuses root), else us."""
    return requested if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


def give_to(user, tmp, *tops):
    """Dovecot's processes run as `user` and its auth process reads tmp/passwd: make the folder
    searchable and, under root, hand every file below `tops` to that user."""
    os.chmod(tmp, 0o755)
    if os.geteuid() != 0:
        return
    pw = pwd.getpwnam(user)
    for top in tops:
        os.chown(top, pw.pw_uid, pw.pw_gid)
        for root, dirs, files in os.walk(top):
            for name in dirs + files:
                os.chown(os.path.join(root, name), pw.pw_uid, pw.pw_gid)


def write_config(tmp, user, password, *, imap_port, imaps_port=None, special_use=False, written_by="a test"):
    """tmp/dovecot.conf and tmp/passwd (user "tester", mail in tmp/Maildir, home tmp/home).

    With `imaps_port`, TLS is required (tmp/server.pem and tmp/server.key), plain-text login is
    refused outside TLS, and IMAPS listens there besides STARTTLS on `imap_port`; without it, plain
    IMAP only. `special_use` adds the \\Sent and \\Drafts folders (Maildir++ separator ".")."""
    pw = pwd.getpwnam(user)
    with open(os.path.join(tmp, "passwd"), "w") as f:
        f.write(f"tester:{{PLAIN}}{password}:{pw.pw_uid}:{pw.pw_gid}::{tmp}/home\n")
    if imaps_port:
        tls = f"""ssl = required
ssl_cert = <{tmp}/server.pem
ssl_key = <{tmp}/server.key
disable_plaintext_auth = yes
auth_mechanisms = plain login
"""
        imaps = f"""    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes"""
    else:
        tls = """ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
"""
        imaps = "    port = 0"
    namespace = """namespace inbox {
  inbox = yes
  separator = .
  mailbox Sent {
    special_use = \\Sent
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = create
  }
}
""" if special_use else ""
    conf = os.path.join(tmp, "dovecot.conf")
    with open(conf, "w") as f:
        f.write(f"""# Written by {written_by} (tests/support/dovecot.py) for one run.
protocols = imap
listen = 127.0.0.1
base_dir = {tmp}/run
state_dir = {tmp}/state
log_path = {tmp}/dovecot.log
info_log_path = {tmp}/dovecot.log
{tls}mail_location = maildir:{tmp}/Maildir
first_valid_uid = {min(pw.pw_uid, 500)}
{namespace}passdb {{
  driver = passwd-file
  args = {tmp}/passwd
}}
userdb {{
  driver = passwd-file
  args = {tmp}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
{imaps}
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = 0
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0600
  }}
}}
""")
    return conf


def start(dovecot, conf, connect, fail):
    """Runs `dovecot -F -c conf` as a child and waits until `connect()` succeeds (at most 10 s).
    `fail(message)` is called (and must not return) when Dovecot exits or never listens.
    Returns (process, whatever connect returned)."""
    proc = subprocess.Popen([dovecot, "-F", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            return proc, connect()
        except OSError:
            if proc.poll() is not None:
                fail("dovecot exited: " + proc.stderr.read().decode(errors="replace"))
            time.sleep(0.1)
    stop(proc)
    fail("dovecot did not listen; see " + os.path.join(os.path.dirname(conf), "dovecot.log"))


def stop(proc):
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()

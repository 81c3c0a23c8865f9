#!/usr/bin/env python3
"""IMAP sync against a real Dovecot on loopback (docs/IMAP.md, issue 8).

  imap_dovecot_test.py --cli build/interlocutor --tool build/tests/imap/imap_tool --corpora ../shared/corpora

Makes a temporary folder with a test CA and a server certificate (openssl), a second "rogue" CA,
a Maildir++ holding ../shared/corpora/dev/maildir (INBOX, Sent, Archives) and lists/open-iscsi
(folder open-iscsi), a dovecot.conf of its own (passwd-file user, imaps and STARTTLS on free
ports, \\Sent and \\Drafts special-use), runs `dovecot -F`, and checks with the real CLI:

  1. a full `ingest imaps://...` stores the same messages (header fields, new text, quotes,
     signatures, cues) and the same threads and findings as `ingest` of the same mail as files;
  2. a second sync fetches nothing; 3. mail appended to the server shows up in the next sync;
  4. a recreated folder (new UIDVALIDITY) is read again without duplicates;
  5. an interrupted sync resumes; 6. imap:// with STARTTLS works;
  7. a wrong password, a certificate not signed by the given CA, a server that closes the
     connection mid-FETCH and a malformed FETCH answer each fail with a clear message and leave
     the store as it was (same counts, integrity_check ok);
  8. a digest written by `interlocutor digest` is APPENDed to Drafts and fetched back identical.

Exits 1 on the first failed check; dovecot is stopped and the folder removed even then.
A missing dovecot or openssl is a failure, not a skip. Python stdlib only.
"""
import argparse
import imaplib
import json
import os
import re
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # the import below must not leave a __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import dovecot  # noqa: E402  (tests/support/dovecot.py: config, owner, start/stop)
from dovecot import free_port  # noqa: E402,F401  (imap_changes_test uses base.free_port)

PASSWORD = "s3cret-pw"
ME = ["--me", "isabelle.charpentier@ardentis.fr", "--me", "icharpentier@ardentis.fr", "--internal-domain", "ardentis.fr"]
ANALYZE = ["--now", "2026-11-12T10:00:00+01:00", "--tz", "Europe/Paris"]
COLUMNS = ("message_id, in_reply_to, refs, subject, date, date_source, automated, automated_reason, expects_reply, "
           "attachment_count, body_from_html, is_report, new_text, quoted, signature, signature_name, "
           "signature_title, cues, lang")

failures = 0


def check(cond, what, detail=""):
    global failures
    print(("ok   " if cond else "FAIL ") + what + (("\n     " + detail) if (detail and not cond) else ""))
    if not cond:
        failures += 1
        raise SystemExit(1)


def run(cmd, env=None, expect_ok=True):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=240)
    if expect_ok and r.returncode != 0:
        check(False, "command succeeds: " + " ".join(cmd[:3]), r.stdout[-2000:] + r.stderr[-2000:])
    return r


def make_certs(tmp):
    def ossl(*a):
        subprocess.run(["openssl", *a], check=True, capture_output=True, cwd=tmp)
    for ca in ("ca", "rogue"):
        ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN=Interlocutor test {ca} CA",
             "-keyout", f"{ca}.key", "-out", f"{ca}.pem")
    with open(os.path.join(tmp, "san.ext"), "w") as f:
        f.write("subjectAltName=DNS:127.0.0.1,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr")
    ossl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
         "-extfile", "san.ext", "-out", "server.pem")
    # Signed by the trusted CA, but for another host name: the host name check must refuse it.
    with open(os.path.join(tmp, "other.ext"), "w") as f:
        f.write("subjectAltName=DNS:other.example\nbasicConstraints=CA:FALSE\n")
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=other.example", "-keyout", "other.key", "-out", "other.csr")
    ossl("x509", "-req", "-in", "other.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
         "-extfile", "other.ext", "-out", "other.pem")


def split_mbox(path):
    """Raw messages of an mbox file."""
    with open(path, "rb") as f:
        yield from dovecot.mbox_messages(f.read())


def make_maildir(tmp, corpora, user, bulk_dir=None):
    md = os.path.join(tmp, "Maildir")
    shutil.copytree(os.path.join(corpora, "dev", "maildir"), md)  # copy2 keeps mtimes: same date fallbacks
    # The corpora are read-only; Dovecot needs to write its index files and tmp/ folders.
    for root, dirs, files in os.walk(md):
        os.chmod(root, 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    for sub in ("", ".Sent", ".Archives"):
        os.makedirs(os.path.join(md, sub, "tmp"), exist_ok=True)
    src = os.path.join(corpora, "lists", "open-iscsi", "cur")
    dst = os.path.join(md, ".open-iscsi")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(dst, sub), exist_ok=True)
    for i, name in enumerate(sorted(os.listdir(src))):
        shutil.copy2(os.path.join(src, name), os.path.join(dst, "cur", f"{1000000000 + i}.M{i}P1.test:2,S"))
    if bulk_dir:
        dst = os.path.join(md, ".bulk")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(dst, sub), exist_ok=True)
        n = 0
        for name in sorted(os.listdir(bulk_dir)):
            path = os.path.join(bulk_dir, name)
            if not os.path.isfile(path) or not open(path, "rb").read(5) == b"From ":
                continue
            for raw in split_mbox(path):
                n += 1
                with open(os.path.join(dst, "cur", f"{2000000000 + n}.M{n}P2.bench:2,S"), "wb") as f:
                    f.write(raw)
    os.makedirs(os.path.join(tmp, "home"), exist_ok=True)
    dovecot.give_to(user, tmp, md, os.path.join(tmp, "home"))


def write_config(tmp, user, imaps_port, imap_port):
    return dovecot.write_config(tmp, user, PASSWORD, imap_port=imap_port, imaps_port=imaps_port, special_use=True,
                                written_by="tests/imap/imap_dovecot_test.py")


def start_dovecot(args, conf, imaps_port, tmp):
    """Dovecot as a child, once it answers IMAPS with the test CA's certificate."""
    sslctx = ssl.create_default_context(cafile=os.path.join(tmp, "ca.pem"))
    proc, _ = dovecot.start(args.dovecot, conf,
                            lambda: imaplib.IMAP4_SSL("127.0.0.1", imaps_port, ssl_context=sslctx).logout(),
                            lambda why: check(False, "dovecot starts", why))
    return proc, sslctx


def fake_server(tmp, mode, cert="server"):
    """A one-connection IMAP server on TLS (the test CA's certificate) that misbehaves at UID FETCH."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(tmp, cert + ".pem"), os.path.join(tmp, cert + ".key"))
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    lsock.settimeout(60)
    port = lsock.getsockname()[1]

    def serve():
        try:
            conn, _ = lsock.accept()
            tls = ctx.wrap_socket(conn, server_side=True)
            f = tls.makefile("rb")
            tls.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake ready\r\n")
            while True:
                line = f.readline()
                if not line:
                    break
                tag, _, cmd = line.decode().strip().partition(" ")
                up = cmd.upper()
                if up.startswith("AUTHENTICATE"):
                    tls.sendall(b"+ \r\n")
                    f.readline()
                    tls.sendall(f"{tag} OK [CAPABILITY IMAP4rev1] logged in\r\n".encode())
                elif up.startswith("LIST"):
                    tls.sendall(f'* LIST (\\HasNoChildren) "." INBOX\r\n{tag} OK done\r\n'.encode())
                elif up.startswith("EXAMINE"):
                    tls.sendall(f"* 3 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n* OK [UIDNEXT 4] ok\r\n"
                                f"{tag} OK [READ-ONLY] done\r\n".encode())
                elif up.startswith("UID SEARCH"):
                    tls.sendall(f"* SEARCH 1 2 3\r\n{tag} OK done\r\n".encode())
                elif up.startswith("UID FETCH"):
                    if mode == "close":
                        tls.sendall(b"* 1 FETCH (UID 1 BODY[HEADER] {500}\r\nFrom: someone@example.com\r\nSubj")
                        tls.close()
                        break
                    tls.sendall(f'* 1 FETCH (UID 1 BODY[HEADER] "never closed\r\n{tag} OK done\r\n'.encode())
                elif up.startswith("LOGOUT"):
                    tls.sendall(f"* BYE bye\r\n{tag} OK done\r\n".encode())
                    break
                else:
                    tls.sendall(f"{tag} OK done\r\n".encode())
        except Exception as e:  # the client hanging up first is fine
            print("     (fake server:", e, ")")
        finally:
            lsock.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return port, t


def store_state(db):
    con = sqlite3.connect(db)
    try:
        n = con.execute("SELECT count(*) FROM messages").fetchone()[0]
        src = con.execute("SELECT path, last_uid, uidvalidity FROM sources ORDER BY path").fetchall()
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()
    return n, src, integrity


def rows(db):
    con = sqlite3.connect(db)
    try:
        return {r[0]: r for r in con.execute(f"SELECT {COLUMNS} FROM messages")}
    finally:
        con.close()


def thread_sets(cli, db):
    out = run([cli, "threads", "--db", db, "--format", "json"]).stdout
    return {frozenset(t["message_ids"]) for t in json.loads(out)["threads"]}


def findings(cli, db):
    out = json.loads(run([cli, "analyze", "--db", db, "--format", "json", *ANALYZE]).stdout)
    def clean(x):
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items() if "thread_id" not in k and k != "id"}
        if isinstance(x, list):
            return [clean(v) for v in x]
        return x
    return sorted(json.dumps(clean(f), sort_keys=True) for f in out["findings"])


def sync(cli, db, url, env, extra=(), expect_ok=True):
    r = run([cli, "ingest", url, "--db", db, "--format", "json", "--quiet", *extra], env=env, expect_ok=expect_ok)
    return r, (json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else None)


def bench(args, tmp, url, env):
    """Median wall times of a full sync into an empty store, of an empty incremental sync, and of
    `ingest` of the same mail as files (the Maildir Dovecot serves), printed as a Markdown table."""
    def median(xs):
        xs = sorted(xs)
        return xs[len(xs) // 2]
    full, inc, files = [], [], []
    summary = None
    for k in range(args.runs):
        db = os.path.join(tmp, f"bench{k}.db")
        t0 = time.time()
        _, summary = sync(args.cli, db, url, env, ME)
        full.append(time.time() - t0)
        for _ in range(2):
            t0 = time.time()
            _, s2 = sync(args.cli, db, url, env)
            inc.append(time.time() - t0)
            check(s2["fetched"] == 0, "incremental sync fetched nothing")
        fdb = os.path.join(tmp, f"files{k}.db")
        t0 = time.time()
        run([args.cli, "ingest", os.path.join(tmp, "Maildir"), "--db", fdb, "--quiet", *ME])
        files.append(time.time() - t0)
    n, mb = summary["fetched"], summary["bytes"] / 1048576
    folders = len(summary["folders"])
    print(f"\n| figure | value |\n|---|---|")
    print(f"| messages on the server | {n} in {folders} folders |")
    print(f"| full sync (median of {args.runs}) | {median(full):.2f} s, {n / median(full):.0f} msg/s, {mb:.1f} MB received |")
    print(f"| empty incremental sync (median of {len(inc)}) | {median(inc) * 1000:.0f} ms |")
    print(f"| ingest of the same Maildir from files (median of {args.runs}) | {median(files):.2f} s, "
          f"{n / median(files):.0f} msg/s |")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--corpora", required=True)
    ap.add_argument("--dovecot", default="/usr/sbin/dovecot")
    ap.add_argument("--user", default="nobody")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--bench", action="store_true",
                    help="measure instead of testing: full sync msgs/s, empty incremental sync time (bench/imap_bench.sh)")
    ap.add_argument("--bench-mbox-dir", help="with --bench: also load every mbox file of this folder (folder 'bulk')")
    ap.add_argument("--runs", type=int, default=3, help="with --bench: runs per figure (median)")
    args = ap.parse_args()
    for prog in (args.dovecot, shutil.which("openssl") or "openssl"):
        check(os.path.exists(prog) or shutil.which(prog) is not None, f"{prog} is installed (CI installs it)")
    user = dovecot.mail_user(args.user)
    tmp = tempfile.mkdtemp(prefix="ilc-imap-")
    proc = None
    try:
        make_certs(tmp)
        make_maildir(tmp, args.corpora, user, args.bench_mbox_dir if args.bench else None)
        imaps_port, imap_port = free_port(), free_port()
        conf = write_config(tmp, user, imaps_port, imap_port)
        proc, sslctx = start_dovecot(args, conf, imaps_port, tmp)
        env = dict(os.environ, ILC_IMAP_PASSWORD=PASSWORD, ILC_IMAP_CA=os.path.join(tmp, "ca.pem"), HOME=tmp)
        url = f"imaps://tester@127.0.0.1:{imaps_port}/"
        cli = args.cli

        if args.bench:
            return bench(args, tmp, url, env)

        # 1. IMAP store == file store.
        db_imap, db_files = os.path.join(tmp, "imap.db"), os.path.join(tmp, "files.db")
        t0 = time.time()
        _, s1 = sync(cli, db_imap, url, env, ME)
        took = time.time() - t0
        # The files are read in the sync's folder order (Archives, INBOX, Sent, open-iscsi): where
        # a person's display name is spelled two ways, the first message stored picks it.
        run([cli, "ingest", os.path.join(args.corpora, "dev", "maildir", ".Archives"),
             os.path.join(args.corpora, "dev", "maildir"),
             os.path.join(args.corpora, "lists", "open-iscsi", "cur"), "--db", db_files, "--quiet", *ME])
        a, b = rows(db_imap), rows(db_files)
        check(s1["fetched"] == 570 + 1233, f"full sync fetched every message ({s1['fetched']} in {took:.1f} s)",
              json.dumps(s1)[:1500])
        check(set(a) == set(b), f"same Message-IDs from IMAP and from files ({len(a)} vs {len(b)})",
              f"only imap: {sorted(set(a) - set(b))[:5]} only files: {sorted(set(b) - set(a))[:5]}")
        diff = [k for k in a if a[k] != b[k]]
        detail = ""
        if diff:
            cols = COLUMNS.split(", ")
            x, y = a[diff[0]], b[diff[0]]
            detail = diff[0] + ": " + "; ".join(f"{c}: imap={x[i]!r:.200} files={y[i]!r:.200}"
                                                for i, c in enumerate(cols) if x[i] != y[i])
        check(not diff, f"every stored field equal (headers, dates, new text, quotes, signature, cues): "
                        f"{len(diff)} differ", detail)
        check(thread_sets(cli, db_imap) == thread_sets(cli, db_files), "same threads (threads --format json)")
        fa, fb = findings(cli, db_imap), findings(cli, db_files)
        check(fa == fb and len(fa) > 0, f"same findings (analyze --format json, {len(fa)} findings)",
              f"only imap: {sorted(set(fa) - set(fb))[:2]}\n     only files: {sorted(set(fb) - set(fa))[:2]}")
        sent = [f for f in s1["folders"] if f["sent"]]
        check([f["name"] for f in sent] == ["Sent"], "the \\Sent special-use folder is marked sent")

        # 1b. An interrupted sync (killed after its second batch) resumes and ends equal.
        db_resume = os.path.join(tmp, "resume.db")
        r = run([cli, "ingest", url, "--db", db_resume, "--quiet", *ME],
                env=dict(env, ILC_TESTING_FAULTS="1", ILC_TEST_ABORT_AFTER_BATCHES="2"), expect_ok=False)
        partial = store_state(db_resume)[0]
        check(r.returncode == 75 and 0 < partial < len(a), f"sync killed after 2 batches ({partial} stored)",
              r.stderr[-500:])
        _, s5 = sync(cli, db_resume, url, env, ME)
        check(set(rows(db_resume)) == set(a) and s5["fetched"] == s1["fetched"] - partial,
              f"the next sync resumes: fetched only the rest ({s5['fetched']}), same messages as one full sync",
              json.dumps(s5)[:600])

        # 1c. A message the parsers throw on (the fault hook stands in for such a bug) is skipped
        # and reported; every other message is stored.
        con = sqlite3.connect(db_files)
        try:
            marker = con.execute("SELECT subject FROM messages WHERE length(subject) > 12 ORDER BY id LIMIT 1").fetchone()[0]
            hit = {r[0] for r in con.execute("SELECT message_id FROM messages WHERE instr(subject, ?) > 0", (marker,))}
        finally:
            con.close()
        db_fault = os.path.join(tmp, "fault.db")
        _, s6 = sync(cli, db_fault, url, dict(env, ILC_TESTING_FAULTS="1", ILC_TEST_THROW_ON_SUBJECT=marker), ME)
        check(set(rows(db_fault)) == set(a) - hit and s6["skipped"] >= len(hit) > 0,
              f"a message that throws is skipped and reported ({s6['skipped']} skipped), the others stored",
              json.dumps(s6)[:600])

        # 2. Nothing new: nothing fetched.
        t0 = time.time()
        _, s2 = sync(cli, db_imap, url, env)
        check(s2["fetched"] == 0 and s2["stored"] == 0, f"second sync fetches nothing ({time.time() - t0:.2f} s)",
              json.dumps(s2))

        # 3. New mail appended on the server shows up. A real message from another corpus.
        before = store_state(db_imap)[0]
        newmail_src = os.path.join(args.corpora, "lists", "open-iscsi", "cur")
        raw = open(os.path.join(args.corpora, "dev", "eml", "INBOX", sorted(os.listdir(
            os.path.join(args.corpora, "dev", "eml", "INBOX")))[0]), "rb").read()
        raw = raw.replace(b"Message-ID: <", b"Message-ID: <imap-test-new.", 1).replace(b"Message-Id: <", b"Message-Id: <imap-test-new.", 1)
        box = imaplib.IMAP4_SSL("127.0.0.1", imaps_port, ssl_context=sslctx)
        box.login("tester", PASSWORD)
        typ, _ = box.append("INBOX", None, None, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        check(typ == "OK", "APPEND of a new message to INBOX (imaplib)")
        _, s3 = sync(cli, db_imap, url, env)
        check(s3["fetched"] == 1 and s3["stored"] == 1 and store_state(db_imap)[0] == before + 1,
              "appended mail shows up in the next sync (1 fetched, 1 stored)", json.dumps(s3)[:800])

        # 4. Recreate open-iscsi (new UIDVALIDITY) with 40 of its messages: read again, no duplicates.
        box.delete("open-iscsi")
        box.create("open-iscsi")
        for name in sorted(os.listdir(newmail_src))[:40]:
            data = open(os.path.join(newmail_src, name), "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            box.append("open-iscsi", None, None, data)
        box.logout()
        count_before = store_state(db_imap)[0]
        _, s4 = sync(cli, db_imap, url, env)
        f4 = [f for f in s4["folders"] if f["name"] == "open-iscsi"][0]
        check(f4["uidvalidity_changed"] and f4["fetched"] == 40 and f4["stored"] == 0 and f4["duplicates"] == 40
              and store_state(db_imap)[0] == count_before,
              "UIDVALIDITY change: folder read again, 40 duplicates, no new rows", json.dumps(f4))
        _, s4b = sync(cli, db_imap, url, env)
        check(s4b["fetched"] == 0, "and the sync after it fetches nothing")

        # 6. imap:// with STARTTLS (INBOX only).
        _, s6 = sync(cli, db_imap, f"imap://tester@127.0.0.1:{imap_port}/INBOX", env)
        check(s6 is not None and len(s6["folders"]) == 1 and s6["folders"][0]["fetched"] == 225
              and s6["stored"] == 0, "imap:// with STARTTLS reads INBOX (225 messages, all already stored)")

        # 7. Errors: clear message, exit code 1, store unchanged.
        state = store_state(db_imap)
        r, _ = sync(cli, db_imap, url, dict(env, ILC_IMAP_PASSWORD="wrong"), expect_ok=False)
        check(r.returncode != 0 and "refused" in r.stderr and "wrong" not in r.stderr + r.stdout
              and store_state(db_imap) == state, "wrong password: clear error, password not shown, store unchanged",
              r.stderr)
        print("     " + r.stderr.strip().splitlines()[0])
        r, _ = sync(cli, db_imap, url, dict(env, ILC_IMAP_CA=os.path.join(tmp, "rogue.pem")), expect_ok=False)
        check(r.returncode != 0 and "certificate" in r.stderr and store_state(db_imap) == state,
              "certificate not signed by the given CA: clear TLS error, store unchanged", r.stderr)
        print("     " + r.stderr.strip().splitlines()[0])
        r, _ = sync(cli, db_imap, url, dict(env, ILC_IMAP_CA=""), ["--imap-ca", os.path.join(tmp, "rogue.pem")],
                    expect_ok=False)
        check(r.returncode != 0 and "certificate" in r.stderr, "--imap-ca with the wrong CA fails the same way", r.stderr)
        print("     " + r.stderr.strip().splitlines()[0])
        port, t = fake_server(tmp, "close", cert="other")
        r, _ = sync(cli, db_imap, f"imaps://tester@127.0.0.1:{port}/", env, expect_ok=False)
        t.join(30)
        check(r.returncode != 0 and "is not for the host name '127.0.0.1'" in r.stderr and store_state(db_imap) == state,
              "certificate of the trusted CA for another host name: TLS error, store unchanged", r.stderr)
        print("     " + r.stderr.strip().splitlines()[0])
        for mode, words in (("close", "closed the connection during UID FETCH"), ("malformed", "malformed IMAP response")):
            port, t = fake_server(tmp, mode)
            r, _ = sync(cli, db_imap, f"imaps://tester@127.0.0.1:{port}/", env, expect_ok=False)
            t.join(30)
            check(r.returncode != 0 and words in r.stderr and store_state(db_imap) == state,
                  f"fake server ({mode} mid-FETCH): '{words}', store unchanged and intact", r.stderr)
            print("     " + r.stderr.strip().splitlines()[0])
        check(store_state(db_imap)[2] == "ok", "store integrity_check ok after the failures")

        # 8. A digest from the CLI goes to Drafts and comes back identical.
        digest = os.path.join(tmp, "digest.eml")
        # Through the CLI itself: digest --drafts writes the file and APPENDs the same bytes.
        r = run([cli, "digest", "--db", db_files, "--account", "roux-associes.fr", "--week", "2026-W45",
                 "--now", "2026-11-12T10:00:00+01:00", "--tz", "Europe/Paris", "--out", digest,
                 "--drafts", f"imaps://tester@127.0.0.1:{imaps_port}/Drafts"], env=env)
        m = re.search(r"\(UID (\d+)\)", r.stderr)
        uid = int(m.group(1)) if m else 0
        box = imaplib.IMAP4_SSL("127.0.0.1", imaps_port, ssl_context=sslctx)
        box.login("tester", PASSWORD)
        box.select("Drafts", readonly=True)
        typ, data = box.uid("FETCH", str(uid), "(FLAGS BODY.PEEK[])")
        box.logout()
        got = next((d[1] for d in data if isinstance(d, tuple)), b"")
        flags = b" ".join(d[0] for d in data if isinstance(d, tuple))
        want = open(digest, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        check(uid > 0 and got == want and b"\\Draft" in flags,
              f"digest APPENDed to Drafts (UID {uid}, {len(want)} bytes) and fetched back identical, \\Draft set",
              f"got {len(got)} bytes, flags {flags!r}")

        # 9. The service's ingest trigger syncs a configured IMAP source (POST /v1/ingest).
        db_serve = os.path.join(tmp, "serve.db")
        src = f"imaps://tester@127.0.0.1:{imaps_port}/INBOX"
        serve = subprocess.Popen([cli, "serve", "--db", db_serve, "--port", "0", "--source", src,
                                  "--me", "isabelle.charpentier@ardentis.fr"],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            url = None
            deadline = time.time() + 60
            while time.time() < deadline and url is None:
                line = serve.stdout.readline()
                if not line:
                    break
                m = re.search(r"listening on (http://\S+?)/?$", line.strip())
                if m:
                    url = m.group(1)
            check(url is not None, "serve started with an IMAP --source")
            token = open(os.path.join(tmp, "token")).read().strip()
            import urllib.request

            def call(method, path, body=None):
                req = urllib.request.Request(url + path, method=method, data=body,
                                             headers={"Authorization": "Bearer " + token,
                                                      "Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=30) as resp:
                    return resp.status, json.loads(resp.read() or b"{}")

            status, _ = call("POST", "/v1/ingest", b"{}")
            check(status == 202, f"POST /v1/ingest accepted ({status})")
            state = {}
            deadline = time.time() + 120
            while time.time() < deadline:
                _, state = call("GET", "/v1/ingest")
                if not state.get("running") and (state.get("summary") or state.get("error")):
                    break
                time.sleep(0.3)
            summary = state.get("summary") or {}
            stored = summary.get("stored", 0)
            check(stored > 0 and not summary.get("source_errors"),
                  f"the service synced the IMAP folder: {stored} messages stored", json.dumps(state)[:400])
            health = {}
            deadline = time.time() + 30
            while time.time() < deadline:
                _, health = call("GET", "/v1/health")
                if health.get("messages", 0) == stored:
                    break
                time.sleep(0.3)
            check(health.get("messages", 0) == stored, f"the reloaded service sees them ({health.get('messages')})",
                  json.dumps(health)[:300])
        finally:
            serve.terminate()
            try:
                serve.wait(timeout=15)
            except subprocess.TimeoutExpired:
                serve.kill()
        return 0
    except SystemExit as e:
        return 1 if e.code else 0
    finally:
        dovecot.stop(proc)
        if args.keep or failures:
            print("dovecot log and stores kept in", tmp)
        if not args.keep and not failures:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

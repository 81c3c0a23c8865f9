#!/usr/bin/env python3
"""Flag changes and removals of already-stored messages, against a real Dovecot (docs/IMAP.md).

  imap_changes_test.py --cli build/interlocutor --tool build/tests/imap/imap_tool --corpora ../shared/corpora

Runs Dovecot twice on loopback, set up as imap_dovecot_test.py does (test CA, passwd-file user,
corpora/dev/maildir as INBOX, Sent, Archives): once as configured by default (CONDSTORE and
QRESYNC advertised) and once with `imap_capability` stripped of them. In each, INBOX (224 real
messages of the dev corpus) is synced with the real CLI, then imaplib changes the mailbox as a
mail client would (sets \\Seen \\Answered, removes \\Seen, expunges), and the next syncs must:

  - with CONDSTORE: report exactly the changed messages (their Message-IDs and flags before and
    after), by UID FETCH (CHANGEDSINCE), and nothing when nothing changed;
  - without CONDSTORE: report no flag change on a default sync (it stays cheap) but all of them
    with ILC_IMAP_FULL_FLAGS=1;
  - in both: report the expunged UID as "removed on server" with its Message-ID, record it in
    the store's issue list, keep the stored message, and leave a second sync quiet;
  - `imap_tool changes DB` (imap::server_changes) gives the current server flags of the changed
    messages and the removals.

Exits 1 on the first failed check; Dovecot is stopped and the folders removed even then.
A missing dovecot or openssl is a failure, not a skip. Python stdlib only.
"""
import argparse
import imaplib
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile

sys.dont_write_bytecode = True  # the import below must not leave a __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imap_dovecot_test as base  # noqa: E402  (shared set-up: certificates, Maildir, dovecot.conf)
from imap_dovecot_test import check, run, sync, ME, PASSWORD  # noqa: E402

# Dovecot 2.3's default capability list without CONDSTORE and QRESYNC: a server that has no
# mod-sequences, as many hosted servers still are.
NO_CONDSTORE = ("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES "
                "THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE "
                "UIDPLUS LIST-EXTENDED I18NLEVEL=1 ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS "
                "BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY LITERAL+ NOTIFY SPECIAL-USE")


def start_dovecot(args, condstore):
    user = base.dovecot.mail_user(args.user)
    tmp = tempfile.mkdtemp(prefix="ilc-imap-changes-")
    base.make_certs(tmp)
    base.make_maildir(tmp, args.corpora, user)
    imaps_port, imap_port = base.free_port(), base.free_port()
    conf = base.write_config(tmp, user, imaps_port, imap_port)
    if not condstore:
        with open(conf, "a") as f:
            f.write(f"protocol imap {{\n  imap_capability = {NO_CONDSTORE}\n}}\n")
    proc, sslctx = base.start_dovecot(args, conf, imaps_port, tmp)
    return tmp, proc, imaps_port, sslctx


stop = base.dovecot.stop


def mailbox(port, sslctx):
    box = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=sslctx)
    box.login("tester", PASSWORD)
    typ, _ = box.select("INBOX")
    check(typ == "OK", "imaplib selects INBOX read-write")
    return box


def server_flags(box):
    """UID -> set of flags, as the server has them now."""
    typ, data = box.uid("FETCH", "1:*", "(FLAGS)")
    out = {}
    for d in data:
        line = d.decode() if isinstance(d, bytes) else d[0].decode()
        m = re.search(r"UID (\d+)", line)
        f = re.search(r"FLAGS \(([^)]*)\)", line)
        if m and f:
            out[int(m.group(1))] = set(f.group(1).split())
    return out


def stored(db, path, uid):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT message_id, flags FROM messages WHERE source_path=? AND source_offset=?",
                           (path, uid)).fetchone()
    finally:
        con.close()


def count(db, sql, *params):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchone()[0]
    finally:
        con.close()


def changes(args, db):
    return json.loads(run([args.tool, "changes", db]).stdout)


def folder(summary):
    check(summary is not None and len(summary["folders"]) == 1, "the sync summary has one folder (INBOX)")
    return summary["folders"][0]


def scenario(args, condstore):
    label = "CONDSTORE" if condstore else "no CONDSTORE"
    print(f"--- Dovecot with {label}")
    tmp, proc = None, None
    try:
        tmp, proc, port, sslctx = start_dovecot(args, condstore)
        env = dict(os.environ, ILC_IMAP_PASSWORD=PASSWORD, ILC_IMAP_CA=os.path.join(tmp, "ca.pem"), HOME=tmp)
        env.pop("ILC_IMAP_FULL_FLAGS", None)
        url = f"imaps://tester@127.0.0.1:{port}/INBOX"
        db = os.path.join(tmp, "imap.db")
        cli = args.cli

        inbox = os.path.join(args.corpora, "dev", "maildir")
        n_inbox = sum(len(os.listdir(os.path.join(inbox, sub))) for sub in ("cur", "new"))
        _, s1 = sync(cli, db, url, env, ME)
        f1 = folder(s1)
        check(f1["fetched"] == n_inbox and f1["condstore"] == condstore,
              f"[{label}] first sync stores INBOX ({f1['fetched']} of {n_inbox} fetched, condstore={f1['condstore']})",
              json.dumps(f1)[:600])
        path = f1["path"]
        _, s2 = sync(cli, db, url, env)
        f2 = folder(s2)
        check(s2["fetched"] == 0 and not f2["flag_changes"] and not f2["removed"]
              and f2["flag_check"] == ("condstore" if condstore else "none"),
              f"[{label}] second sync: nothing fetched, no change, flag check '{f2['flag_check']}'", json.dumps(f2)[:600])

        # A mail client reads and answers one message, marks another unread, expunges a third.
        box = mailbox(port, sslctx)
        flags = server_flags(box)
        check(len(flags) == n_inbox, f"[{label}] imaplib sees the {n_inbox} messages")
        unanswered = sorted(u for u, fl in flags.items() if "\\Answered" not in fl and "\\Deleted" not in fl)
        seen_only = sorted(u for u, fl in flags.items() if "\\Seen" in fl and u not in unanswered[:1])
        check(len(unanswered) >= 3 and len(seen_only) >= 2, f"[{label}] the corpus has messages to change")
        a, b, c = unanswered[0], seen_only[0], unanswered[-1]
        check(len({a, b, c}) == 3, f"[{label}] three distinct messages picked (UIDs {a}, {b}, {c})")
        box.uid("STORE", str(a), "+FLAGS", "(\\Seen \\Answered)")
        box.uid("STORE", str(b), "-FLAGS", "(\\Seen)")
        box.uid("STORE", str(c), "+FLAGS", "(\\Deleted)")
        typ, _ = box.uid("EXPUNGE", str(c))  # RFC 4315 UID EXPUNGE: only c, whatever else is \Deleted
        check(typ == "OK", f"[{label}] UID EXPUNGE {c}")
        box.logout()
        id_a, id_b, id_c = (stored(db, path, u)[0] for u in (a, b, c))
        before_rows = count(db, "SELECT count(*) FROM messages")

        _, s3 = sync(cli, db, url, env)
        f3 = folder(s3)
        got = {ch["message_id"]: ch for ch in f3["flag_changes"]}
        if condstore:
            check(set(got) == {id_a, id_b} and "replied" in got[id_a]["after"] and "seen" in got[id_a]["after"]
                  and "replied" not in got[id_a]["before"] and "seen" in got[id_b]["before"]
                  and "seen" not in got[id_b]["after"] and f3["flag_check"] == "condstore",
                  f"[{label}] next sync reports exactly the 2 flag changes (CHANGEDSINCE): {id_a} +seen +replied, "
                  f"{id_b} -seen", json.dumps(f3)[:1500])
        else:
            check(not got and f3["flag_check"] == "none",
                  f"[{label}] a default sync does not read flags (stays cheap): no flag change reported",
                  json.dumps(f3)[:1500])
        check([r["uid"] for r in f3["removed"]] == [c] and f3["removed"][0]["message_id"] == id_c
              and s3["removed"] == 1,
              f"[{label}] the expunged UID {c} is reported removed on server, with its Message-ID", json.dumps(f3)[:1500])
        check(count(db, "SELECT count(*) FROM messages") == before_rows
              and count(db, "SELECT count(*) FROM messages WHERE message_id=?", id_c) == 1,
              f"[{label}] the removed message stays in the store ({before_rows} rows)")
        check(count(db, "SELECT count(*) FROM ingest_issues WHERE code='removed_on_server' AND offset=? "
                        "AND message_id=?", c, id_c) == 1,
              f"[{label}] the removal is in the store's issue list (code removed_on_server)")

        if not condstore:
            _, s3b = sync(cli, db, url, dict(env, ILC_IMAP_FULL_FLAGS="1"))
            f3b = folder(s3b)
            got = {ch["message_id"]: ch for ch in f3b["flag_changes"]}
            check(set(got) == {id_a, id_b} and "replied" in got[id_a]["after"] and "seen" not in got[id_b]["after"]
                  and f3b["flag_check"] == "full" and not f3b["removed"],
                  f"[{label}] with ILC_IMAP_FULL_FLAGS=1 (--imap-full-flags) the 2 flag changes are found",
                  json.dumps(f3b)[:1500])

        ch = changes(args, db)
        # The server's flags are written into the stored rows (1 = seen, 2 = replied), so no
        # overlay remains; the removal is kept aside.
        fa = count(db, "SELECT flags FROM messages WHERE message_id=?", id_a)
        fb = count(db, "SELECT flags FROM messages WHERE message_id=?", id_b)
        check(fa & 1 and fa & 2 and not fb & 1 and not ch["flags"]
              and [r["message_id"] for r in ch["removed"]] == [id_c],
              f"[{label}] the stored rows carry the server's new flags (a={fa}, b={fb}); the removal is kept",
              json.dumps(ch)[:800])

        _, s4 = sync(cli, db, url, dict(env, ILC_IMAP_FULL_FLAGS="1"))
        f4 = folder(s4)
        check(not f4["flag_changes"] and not f4["removed"] and s4["fetched"] == 0,
              f"[{label}] the sync after it reports nothing again", json.dumps(f4)[:800])

        # Undo the change of `a` and expunge one more, then read the text summary a person sees.
        box = mailbox(port, sslctx)
        box.uid("STORE", str(a), "-FLAGS", "(\\Answered)")
        if "\\Seen" not in flags[a]:
            box.uid("STORE", str(a), "-FLAGS", "(\\Seen)")
        d = unanswered[1]
        box.uid("STORE", str(d), "+FLAGS", "(\\Deleted)")
        box.uid("EXPUNGE", str(d))
        box.logout()
        r = run([cli, "ingest", url, "--db", db, "--quiet"], env=dict(env, ILC_IMAP_FULL_FLAGS="1"))
        check("flags changed: 1" in r.stdout and "removed on server: 1" in r.stdout
              and f"UID {a} <{id_a}>: flags" in r.stdout,
              f"[{label}] text summary: 'flags changed: 1' (UID {a} back as stored), 'removed on server: 1'", r.stdout)
        print("     " + "\n     ".join(r.stdout.strip().splitlines()))
        ch = changes(args, db)
        fa = count(db, "SELECT flags FROM messages WHERE message_id=?", id_a)
        check(not fa & 2 and not ch["flags"] and len(ch["removed"]) == 2,
              f"[{label}] the undone change is back in the stored row (a={fa}); 2 removals kept",
              json.dumps(ch)[:800])
        check(count(db, "PRAGMA integrity_check") == "ok", f"[{label}] store integrity_check ok")
        return 0
    finally:
        stop(proc)
        if tmp and not base.failures and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp:
            print("dovecot log and store kept in", tmp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--corpora", required=True)
    ap.add_argument("--dovecot", default="/usr/sbin/dovecot")
    ap.add_argument("--user", default="nobody")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    for prog in (args.dovecot, shutil.which("openssl") or "openssl"):
        check(os.path.exists(prog) or shutil.which(prog) is not None, f"{prog} is installed (CI installs it)")
    try:
        scenario(args, condstore=True)
        scenario(args, condstore=False)
    except SystemExit as e:
        return 1 if e.code else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

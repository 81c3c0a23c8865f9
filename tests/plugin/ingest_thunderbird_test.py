#!/usr/bin/env python3
"""`interlocutor ingest --thunderbird` through the real command line: HOME points at a folder
holding a Thunderbird profile tree filled with the dev corpus (mbox Local Folders and a maildir
IMAP cache). Checks the first ingest, that a second one reads nothing again, that mail appended
to a folder is picked up incrementally, and the clear error without any profile."""
import argparse
import json
import os
import shutil
import subprocess
import sys

failed = 0


def check(what, ok, detail=""):
    global failed
    print(("PASS " if ok else "FAIL ") + what + (" (%s)" % detail if detail else ""), flush=True)
    if not ok:
        failed += 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--interlocutor", required=True)
    p.add_argument("--corpus", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    shutil.rmtree(a.out, ignore_errors=True)
    home = os.path.join(a.out, "home")
    prof = os.path.join(home, ".thunderbird", "x1y2.default-release")
    local = os.path.join(prof, "Mail", "Local Folders")
    os.makedirs(local)
    with open(os.path.join(home, ".thunderbird", "profiles.ini"), "w") as f:
        f.write("[Profile0]\nName=default-release\nIsRelative=1\nPath=x1y2.default-release\nDefault=1\n\n"
                "[General]\nStartWithLastProfile=1\nVersion=2\n")
    shutil.copy(os.path.join(a.corpus, "mbox", "INBOX.mbox"), os.path.join(local, "Inbox"))
    open(os.path.join(local, "Inbox.msf"), "w").write("// mork index, not mail\n")
    shutil.copytree(os.path.join(a.corpus, "maildir", ".Sent"), os.path.join(prof, "ImapMail", "imap.ardentis.fr", "Sent"))
    db = os.path.join(a.out, "store", "s.db")
    os.makedirs(os.path.dirname(db))
    env = dict(os.environ, HOME=home)
    cmd = [a.interlocutor, "ingest", "--thunderbird", "--db", db, "--format", "json", "--quiet",
           "--me", "isabelle.charpentier@ardentis.fr", "--me", "icharpentier@ardentis.fr"]

    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=100)
    check("first ingest --thunderbird exits 0", r.returncode == 0, r.stderr.strip()[-300:])
    s = json.loads(r.stdout) if r.returncode == 0 else {"sources": [], "read": 0}
    kinds = sorted(src["kind"] for src in s["sources"])
    check("both stores found: the mbox Inbox and the maildir Sent", kinds == ["maildir", "mbox"], str(kinds))
    check("every message read (Inbox 224 + Sent 247)", s["read"] == 224 + 247, str(s["read"]))
    check("no .msf index read as mail", not any(src["path"].endswith(".msf") for src in s["sources"]))

    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=100)
    s2 = json.loads(r.stdout) if r.returncode == 0 else {"read": -1, "sources": []}
    check("a second run reads nothing again", r.returncode == 0 and s2["read"] == 0,
          "read=%s unchanged=%s" % (s2["read"], [src.get("unchanged") for src in s2["sources"]]))

    # Thunderbird appends new mail at the end of the mbox: only that part is read.
    with open(os.path.join(a.corpus, "mbox", "Sent.mbox"), "rb") as f:
        data = f.read()
    second = data.find(b"\nFrom ", 1)
    with open(os.path.join(local, "Inbox"), "ab") as f:
        f.write(data[:second + 1])
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=100)
    s3 = json.loads(r.stdout) if r.returncode == 0 else {"read": -1, "stored": -1}
    check("mail appended to a folder is read incrementally", s3["read"] == 1, "read=%s stored=%s" % (s3["read"], s3["stored"]))

    empty_home = os.path.join(a.out, "empty-home")
    os.makedirs(empty_home)
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, HOME=empty_home), timeout=100)
    check("without any Thunderbird profile: exit 1 with a clear message",
          r.returncode == 1 and "profiles.ini" in r.stderr and "Traceback" not in r.stderr, r.stderr.strip()[:200])

    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Compare our threads with a real Dovecot's THREAD REFS / THREAD REFERENCES answers.

  dovecot_threads.py --ours OURS.json [--min-f1 0.995] [--min-f1-references F] [--algorithm refs|references|both] PATH...

PATH is an mbox (plain or .gz), a Maildir (or any folder of message files) or one message file.
The script makes a temporary Maildir with those messages, writes its own dovecot.conf (one
passwd-file user, IMAP on 127.0.0.1 on a free port, no TLS, every directory and the log in the
temporary folder), runs `/usr/sbin/dovecot -F -c CONF` as a child, logs in with imaplib, runs
`UID THREAD REFS UTF-8 ALL` and `UID THREAD REFERENCES UTF-8 ALL`, maps UIDs to Message-IDs, and
prints pairwise precision / recall / F1 of OURS.json ({"threads":[{"id","message_ids":[...]}]},
what `interlocutor threads --format json` and tests/threading/thread_json_tool print) against
each answer, and every difference. Exits 1 when an F1 is under its minimum. Python stdlib only.
"""
import argparse
import gzip
import imaplib
import itertools
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def read_messages(path):
    """Yields raw messages (bytes) of an mbox, a folder of files or one file."""
    if os.path.isdir(path):
        for root, _dirs, files in sorted(os.walk(path)):
            for name in sorted(files):
                yield from read_messages(os.path.join(root, name))
        return
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if not data.startswith(b"From "):
        yield data
        return
    # mbox: a "From " line at the start or after a blank line begins a message.
    current = None
    prev_blank = True
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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp, port, user):
    conf = os.path.join(tmp, "dovecot.conf")
    pw = pwd.getpwnam(user)
    with open(os.path.join(tmp, "passwd"), "w") as f:
        f.write(f"tester:{{PLAIN}}secret:{pw.pw_uid}:{pw.pw_gid}::{tmp}/home\n")
    with open(conf, "w") as f:
        f.write(f"""# Written by tests/threading/dovecot_threads.py for one comparison run.
protocols = imap
listen = 127.0.0.1
base_dir = {tmp}/run
state_dir = {tmp}/state
log_path = {tmp}/dovecot.log
info_log_path = {tmp}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{tmp}/Maildir
first_valid_uid = {min(pw.pw_uid, 500)}
passdb {{
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
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
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


def make_maildir(tmp, paths, user):
    md = os.path.join(tmp, "Maildir")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    n = 0
    for path in paths:
        for raw in read_messages(path):
            n += 1
            # Name order is delivery order, so Dovecot's UIDs follow the input order.
            with open(os.path.join(md, "cur", f"{1000000000 + n}.M{n}P1.test:2,S"), "wb") as f:
                f.write(raw)
    os.makedirs(os.path.join(tmp, "home"), exist_ok=True)
    pw = pwd.getpwnam(user)
    # Dovecot's auth process (its own user) reads the passwd file: the folder must be searchable.
    os.chmod(tmp, 0o755)
    if os.geteuid() == 0:
        for top in (md, os.path.join(tmp, "home")):
            os.chown(top, pw.pw_uid, pw.pw_gid)
            for root, dirs, files in os.walk(top):
                for name in dirs + files:
                    os.chown(os.path.join(root, name), pw.pw_uid, pw.pw_gid)
    return n


def parse_thread(data):
    """IMAP THREAD answer -> list of threads, each a list of UIDs (any tree shape)."""
    text = b" ".join(x for x in data if x).decode()
    threads, depth, cur = [], 0, []
    for tok in re.findall(r"\(|\)|\d+", text):
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
            if depth == 0:
                threads.append(cur)
                cur = []
        elif depth > 0:
            cur.append(int(tok))
    return threads


def pairs(groups):
    out = set()
    for g in groups:
        for a, b in itertools.combinations(sorted(set(g)), 2):
            out.add((a, b))
    return out


def compare(name, ours, theirs, all_ids, show):
    """Pairwise precision/recall/F1 of our grouping against theirs, on the ids both know."""
    ours = [[i for i in g if i in all_ids] for g in ours]
    p_ours, p_theirs = pairs(ours), pairs(theirs)
    tp = len(p_ours & p_theirs)
    precision = tp / len(p_ours) if p_ours else 1.0
    recall = tp / len(p_theirs) if p_theirs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"{name}: ours {len([g for g in ours if g])} threads, dovecot {len(theirs)} threads, "
          f"pairs ours {len(p_ours)} dovecot {len(p_theirs)} common {tp}: "
          f"precision {precision:.4f} recall {recall:.4f} F1 {f1:.4f}")
    ours_of = {i: frozenset(g) for g in ours for i in g}
    theirs_of = {i: frozenset(g) for g in theirs for i in g}
    seen = set()
    for i in sorted(all_ids):
        a, b = ours_of.get(i, frozenset([i])), theirs_of.get(i, frozenset([i]))
        if a != b and (a, b) not in seen:
            seen.add((a, b))
            if show:
                print(f"  differ: ours {sorted(a)}\n          dovecot {sorted(b)}")
    return f1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--ours", required=True, help="our threads JSON")
    ap.add_argument("--min-f1", type=float, default=0.0, help="least F1 against THREAD REFS")
    ap.add_argument("--min-f1-references", type=float, default=0.0,
                    help="least F1 against THREAD REFERENCES (it merges roots by subject, we do not)")
    ap.add_argument("--algorithm", choices=["refs", "references", "both"], default="both")
    ap.add_argument("--dovecot", default="/usr/sbin/dovecot")
    ap.add_argument("--user", default="nobody", help="system user owning the mail when run as root")
    ap.add_argument("--quiet", action="store_true", help="do not list every difference")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()

    user = args.user if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    tmp = tempfile.mkdtemp(prefix="ilc-dovecot-")
    proc = None
    try:
        n = make_maildir(tmp, args.paths, user)
        port = free_port()
        conf = write_config(tmp, port, user)
        proc = subprocess.Popen([args.dovecot, "-F", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        imap = None
        for _ in range(100):
            try:
                imap = imaplib.IMAP4("127.0.0.1", port)
                break
            except OSError:
                if proc.poll() is not None:
                    sys.exit("dovecot exited: " + proc.stderr.read().decode(errors="replace"))
                time.sleep(0.1)
        if imap is None:
            sys.exit("dovecot did not listen; see " + os.path.join(tmp, "dovecot.log"))
        imap.login("tester", "secret")
        typ, data = imap.select("INBOX", readonly=True)
        if typ != "OK" or int(data[0]) != n:
            sys.exit(f"INBOX holds {data} messages, expected {n}")
        typ, data = imap.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        id_of = {}
        for item in data:
            if not isinstance(item, tuple):
                continue
            m = re.search(rb"UID (\d+)", item[0])
            ids = re.findall(rb"<([^>]*)>", item[1])
            if m:
                id_of[int(m.group(1))] = ids[0].decode(errors="replace").replace(" ", "") if ids else ""
        with open(args.ours) as f:
            ours = [t["message_ids"] for t in json.load(f)["threads"]]
        # Messages are compared by Message-ID; ones without one, or with a duplicate, cannot be
        # told apart by id and are left out of the pairs on both sides.
        counts = {}
        for v in id_of.values():
            counts[v] = counts.get(v, 0) + 1
        known = {v for v, c in counts.items() if v and c == 1}
        ok = True
        algos = ["REFS", "REFERENCES"] if args.algorithm == "both" else [args.algorithm.upper()]
        for algo in algos:
            typ, data = imap.uid("THREAD", algo, "UTF-8", "ALL")
            if typ != "OK":
                print(f"{algo}: not supported: {data}")
                ok = False
                continue
            theirs = [[id_of[u] for u in t if id_of.get(u) in known] for t in parse_thread(data)]
            theirs = [t for t in theirs if t]
            f1 = compare(algo, ours, theirs, known, not args.quiet)
            least = args.min_f1 if algo == "REFS" else args.min_f1_references
            if f1 < least:
                ok = False
                print(f"{algo}: F1 {f1:.4f} is under the minimum {least}")
        imap.logout()
        return 0 if ok else 1
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if args.keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

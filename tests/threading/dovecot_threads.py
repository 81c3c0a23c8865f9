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
import re
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True  # the import below must not leave a __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import dovecot  # noqa: E402  (tests/support/dovecot.py: config, owner, start/stop)


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
    yield from dovecot.mbox_messages(data)


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
    dovecot.give_to(user, tmp, md, os.path.join(tmp, "home"))
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

    user = dovecot.mail_user(args.user)
    tmp = tempfile.mkdtemp(prefix="ilc-dovecot-")
    proc = None
    try:
        n = make_maildir(tmp, args.paths, user)
        port = dovecot.free_port()
        conf = dovecot.write_config(tmp, user, "secret", imap_port=port,
                                    written_by="tests/threading/dovecot_threads.py")
        proc, imap = dovecot.start(args.dovecot, conf, lambda: imaplib.IMAP4("127.0.0.1", port), sys.exit)
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
        dovecot.stop(proc)
        if args.keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

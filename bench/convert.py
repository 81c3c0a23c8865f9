#!/usr/bin/env python3
"""Turns one mailbox format into the other, so that every tool of the benchmark reads the same mail.

    bench/convert.py mbox-to-maildir IN.mbox OUT_MAILDIR   (one file per message in OUT/cur)
    bench/convert.py maildir-to-mbox IN_MAILDIR OUT.mbox   (cur/ and new/, sorted by file name)
    bench/convert.py concat-mbox OUT.mbox IN.mbox...       (files joined, a blank line between)

notmuch and mu only index Maildirs; Dovecot and Interlocutor read both. Messages are copied byte
for byte (mboxrd ">From " quoting is added or removed), so the counts agree across tools.
"""
import os
import re
import sys

FROM_QUOTED = re.compile(rb"^>+From ")


def mbox_to_maildir(src, md):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    n, cur, prev_blank = 0, None, True

    def flush(msg):
        nonlocal n
        if msg is None:
            return
        n += 1
        with open(os.path.join(md, "cur", "%d.M%dP1.bench:2,S" % (1000000000 + n, n)), "wb") as f:
            f.write(b"".join(msg))

    with open(src, "rb") as f:
        for line in f:
            if prev_blank and line.startswith(b"From "):
                flush(cur)
                cur = []
            elif cur is not None:
                # mboxrd: one level of ">From " quoting belongs to the container, not the message.
                cur.append(line[1:] if FROM_QUOTED.match(line) else line)
            prev_blank = line.strip(b"\r\n") == b""
    flush(cur)
    return n


def maildir_to_mbox(md, dst):
    names = []
    for sub in ("cur", "new"):
        d = os.path.join(md, sub)
        if os.path.isdir(d):
            names += [os.path.join(d, x) for x in os.listdir(d)]
    names.sort()
    with open(dst, "wb") as out:
        for p in names:
            data = open(p, "rb").read()
            out.write(b"From bench@localhost Thu Jan  1 00:00:00 1970\n")
            for line in data.splitlines(keepends=True):
                out.write(b">" + line if FROM_QUOTED.match(line) or line.startswith(b"From ") else line)
            if not data.endswith(b"\n"):
                out.write(b"\n")
            out.write(b"\n")
    return len(names)


def concat(dst, srcs):
    with open(dst, "wb") as out:
        for s in srcs:
            with open(s, "rb") as f:
                while True:
                    b = f.read(1 << 20)
                    if not b:
                        break
                    out.write(b)
            out.write(b"\n")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    mode = sys.argv[1]
    if mode == "mbox-to-maildir":
        print(mbox_to_maildir(sys.argv[2], sys.argv[3]))
    elif mode == "maildir-to-mbox":
        print(maildir_to_mbox(sys.argv[2], sys.argv[3]))
    elif mode == "concat-mbox":
        concat(sys.argv[2], sys.argv[3:])
    else:
        sys.exit("convert.py: unknown mode " + mode)


if __name__ == "__main__":
    main()

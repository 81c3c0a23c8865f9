#!/usr/bin/env python3
"""Every generated message is accepted by real mail indexers (SPEC "Weekly summary mail", issue
7): `notmuch insert` into a temporary notmuch database, then found again by its Message-ID and
by its subject, with notmuch's own reading of From, To and Subject; then `mu index` of the same
maildir finds each one by Message-ID. Usage: notmuch_accept.py INTERLOCUTOR CORPORA_DIR"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from digest_fixture import Fixture, run


def main():
    binary, corpora = sys.argv[1], sys.argv[2]
    for tool in ("notmuch", "mu"):
        if shutil.which(tool) is None:
            sys.exit("FAIL: %s is not installed (apt-get install notmuch maildir-utils)" % tool)
    with tempfile.TemporaryDirectory(prefix="ilc-notmuch-") as tmp:
        fx = Fixture(binary, corpora, tmp)
        digests = fx.digests()
        maildir = os.path.join(tmp, "mail")
        os.makedirs(maildir)
        cfg = os.path.join(tmp, "notmuch-config")
        with open(cfg, "w") as f:
            f.write("[database]\npath=%s\n[user]\nname=Test\nprimary_email=test@example.org\n"
                    "[new]\ntags=new\n[maildir]\nsynchronize_flags=true\n" % maildir)
        env = dict(os.environ, NOTMUCH_CONFIG=cfg, HOME=tmp)
        run(["notmuch", "new"], env=env)
        for path, msg in digests:
            mid = str(msg["Message-ID"]).strip().strip("<>")
            with open(path, "rb") as f:
                r = subprocess.run(["notmuch", "insert", "--folder=Drafts", "--create-folder", "+digest"],
                                   stdin=f, env=env, capture_output=True, timeout=60)
            if r.returncode != 0:
                sys.exit("FAIL: notmuch insert %s: %s" % (path, r.stderr.decode()))
            found = run(["notmuch", "search", "--output=messages", "id:" + mid], env=env).split()
            if found != ["id:" + mid]:
                sys.exit("FAIL: notmuch search id:%s found %r" % (mid, found))
            subject = str(msg["Subject"])
            # Search by the subject's words (notmuch decodes the RFC 2047 encoded-words).
            words = [w for w in subject.replace("—", " ").split() if w.isalnum() and len(w) > 2]
            query = "subject:(" + " ".join(words) + ")"
            found = run(["notmuch", "search", "--output=messages", query], env=env).split()
            if "id:" + mid not in found:
                sys.exit("FAIL: notmuch search %r did not find %s" % (query, mid))
            shown = json.loads(run(["notmuch", "show", "--format=json", "--body=false", "id:" + mid], env=env))
            headers = shown[0][0][0]["headers"]
            if headers["Subject"] != subject:
                sys.exit("FAIL: notmuch reads Subject %r, expected %r" % (headers["Subject"], subject))
            for h in ("From", "To"):
                for a in msg[h].addresses:
                    if a.addr_spec not in headers.get(h, ""):
                        sys.exit("FAIL: notmuch %s %r lacks %s" % (h, headers.get(h), a.addr_spec))
            tags = run(["notmuch", "search", "--output=tags", "id:" + mid], env=env).split()
            if "digest" not in tags:
                sys.exit("FAIL: tags %r" % tags)
            print("notmuch OK: %s  %s" % (mid, subject))
        # mu on the same maildir, with its own database.
        muhome = os.path.join(tmp, "mu")
        run(["mu", "init", "--muhome=" + muhome, "--maildir=" + maildir], env=env)
        run(["mu", "index", "--muhome=" + muhome], env=env)
        for path, msg in digests:
            mid = str(msg["Message-ID"]).strip().strip("<>")
            out = run(["mu", "find", "--muhome=" + muhome, "--fields=i s", "msgid:" + mid], env=env)
            if mid not in out:
                sys.exit("FAIL: mu find msgid:%s gave %r" % (mid, out))
            print("mu OK: %s" % out.strip())
        print("OK: %d digests accepted by notmuch and mu" % len(digests))


if __name__ == "__main__":
    main()

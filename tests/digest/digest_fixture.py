"""Shared by the digest's peer tests (notmuch/mu acceptance, Chromium screenshot): ingests the
dev corpus with the real CLI into a temporary store and writes real digests from it, with a
config file that names accounts and maps the team's reps (docs/CONFIG.md)."""
import email
import email.policy
import json
import os
import subprocess
import sys

NOW = "2026-11-12T10:00:00+01:00"
OWNERS = ["isabelle.charpentier@ardentis.fr", "icharpentier@ardentis.fr"]
MANAGER = "marc.moreau@ardentis.fr"


def run(cmd, **kw):
    """Runs a command with a time limit; a hang is a failure, not a stuck test."""
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=kw.pop("timeout", 120), **kw)
    if r.returncode != 0:
        sys.exit("FAIL: %s exited %d\n%s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r.stdout


def display_name(account):
    """A name as a person would write it, non-ASCII on purpose (RFC 2047 in the subject)."""
    label = account.split(".")[0].replace("-", " ").title()
    return label + " & Associés"


class Fixture:
    def __init__(self, binary, corpora, tmp):
        self.bin, self.dev, self.tmp = binary, os.path.join(corpora, "dev"), tmp
        self.db = os.path.join(tmp, "dev.db")
        mbox = [os.path.join(self.dev, "mbox", f) for f in ("INBOX.mbox", "Sent.mbox", "Archives.mbox")]
        args = [self.bin, "ingest", *mbox, "--db", self.db, "--internal-domain", "ardentis.fr"]
        for o in OWNERS:
            args += ["--me", o]
        run(args)
        analysis = json.loads(run(self.common(["analyze", "--format", "json"])))
        # Accounts by activity: the digests are written for the busiest ones.
        count = {}
        for s in analysis["stakeholders"]:
            count[s["account"]] = count.get(s["account"], 0) + 1
        self.accounts = sorted(count, key=lambda a: (-count[a], a))
        if not self.accounts:
            sys.exit("FAIL: analyze found no account in the dev corpus")
        self.config = os.path.join(tmp, "interlocutor.conf")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write("managers = [%s]\n\n[accounts]\n" % MANAGER)
            for a in self.accounts[:6]:
                f.write("%s = %s\n" % (a, display_name(a)))
            f.write("\n[reps]\nIsabelle Charpentier = %s\n" % ", ".join(OWNERS))
            f.write("Vincent Poirier = vincent.poirier@ardentis.fr\n")

    def common(self, verb_args):
        return [self.bin, *verb_args, "--db", self.db, "--now", NOW, "--tz", "Europe/Paris",
                "--holidays", os.path.join(self.dev, "holidays.txt")]

    def write(self, name, extra):
        """Writes one digest with the config file; returns (path, parsed message)."""
        out = os.path.join(self.tmp, name)
        run(self.common(["digest", *extra, "--config", self.config, "--out", out]))
        with open(out, "rb") as f:
            msg = email.message_from_bytes(f.read(), policy=email.policy.default)
        return out, msg

    def digests(self, count=3):
        """Weekly digests of the busiest accounts (fr and en) and the team digest."""
        out = []
        for i, account in enumerate(self.accounts[:count]):
            lang = "fr" if i % 2 == 0 else "en"
            path, msg = self.write("weekly-%s-%s.eml" % (account, lang),
                                   ["--account", account, "--week", "2026-W46", "--lang", lang])
            word = "semaine" if lang == "fr" else "week"
            expected = "%s — %s — %s 46" % ("Point hebdomadaire" if lang == "fr" else "Weekly update",
                                             display_name(account), word)
            if str(msg["Subject"]) != expected:
                sys.exit("FAIL: %s: subject %r, expected %r" % (path, str(msg["Subject"]), expected))
            out.append((path, msg))
        out.append(self.write("team-en.eml", ["--team", "--week", "2026-W46", "--lang", "en"]))
        return out


def html_part(msg):
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            return part.get_content()
    sys.exit("FAIL: no text/html part")

#!/usr/bin/env python3
"""Checks a generated .eml with Python's email package (policy=default): no defect on any part
or header, multipart/alternative text/plain + text/html, CRLF only, lines of at most 78 bytes.
Prints SUBJECT/FROM/TO lines as Python decoded them, then OK, or the problems and exits 1."""
import email
import email.policy
import sys

data = open(sys.argv[1], "rb").read()
bad = []
if b"\n" in data.replace(b"\r\n", b""):
    bad.append("bare LF or CR")
for n, line in enumerate(data.split(b"\r\n")):
    if len(line) > 78:
        bad.append("line %d has %d bytes" % (n + 1, len(line)))
msg = email.message_from_bytes(data, policy=email.policy.default)
for part in msg.walk():
    for d in part.defects:
        bad.append("part %s: %r" % (part.get_content_type(), d))
    for k, v in part.items():
        for d in getattr(v, "defects", ()):
            bad.append("header %s: %r" % (k, d))
    if not part.is_multipart():
        part.get_content()
for h in ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version"):
    if msg[h] is None:
        bad.append("missing " + h)
if msg.get_content_type() != "multipart/alternative":
    bad.append("top type " + msg.get_content_type())
else:
    types = [p.get_content_type() for p in msg.iter_parts()]
    if types != ["text/plain", "text/html"]:
        bad.append("parts " + repr(types))
print("SUBJECT:" + str(msg["Subject"]))
print("FROM:" + ",".join(a.addr_spec for a in msg["From"].addresses))
print("TO:" + ",".join(a.addr_spec for a in msg["To"].addresses))
if bad:
    print("\n".join(bad))
    sys.exit(1)
print("OK")

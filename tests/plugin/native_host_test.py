#!/usr/bin/env python3
"""`interlocutor native-host`: the native-messaging protocol (32-bit native-endian length + JSON)
as Thunderbird speaks it, its refusals of bad input, and --install/--uninstall of the manifest.
The pairing itself, with a real Thunderbird, is checked by e2e.py."""
import argparse
import json
import os
import shutil
import socket
import struct
import subprocess
import sys

failed = 0


def check(what, ok, detail=""):
    global failed
    print(("PASS " if ok else "FAIL ") + what + (" (%s)" % detail if detail else ""), flush=True)
    failed += 0 if ok else 1


def frame(obj_bytes):
    return struct.pack("=I", len(obj_bytes)) + obj_bytes


def answers(out):
    res = []
    while len(out) >= 4:
        n = struct.unpack("=I", out[:4])[0]
        res.append(json.loads(out[4:4 + n]))
        out = out[4 + n:]
    return res


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--interlocutor", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    shutil.rmtree(a.out, ignore_errors=True)
    os.makedirs(a.out)
    tok = os.path.join(a.out, "token")
    with open(tok, "w") as f:
        f.write("0123abcd\n")
    # A listening socket stands for the running service; the host only checks that it listens.
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    host = [a.interlocutor, "native-host", "--port", str(port), "--token-file", tok,
            "/some/manifest.json", "interlocutor@interlocutor.dev"]  # the arguments Thunderbird passes

    r = subprocess.run(host, input=frame(b'{"type":"get_service"}') + frame(b'[1]') + frame(b'{}'),
                       capture_output=True, timeout=20)
    got = answers(r.stdout)
    check("two answers to two objects, an error for a non-object, exit 0 at EOF", r.returncode == 0 and len(got) == 3, str(got))
    if len(got) == 3:
        check("the answer carries url, token and running", got[0] == {"url": "http://127.0.0.1:%d/" % port,
                                                                     "token": "0123abcd", "running": True}, str(got[0]))
        check("a non-object request gets a clear error", "error" in got[1] and "object" in got[1]["error"], str(got[1]))
    srv.close()
    r = subprocess.run(host, input=frame(b"{}"), capture_output=True, timeout=20)
    check("a stopped service is reported as not running", answers(r.stdout)[0].get("running") is False, str(answers(r.stdout)))

    r = subprocess.run(host, input=struct.pack("=I", 0x7fffffff) + b"{", capture_output=True, timeout=20)
    check("an absurd length is refused without reading it", r.returncode == 1 and "refused" in answers(r.stdout)[0]["error"])
    r = subprocess.run(host, input=struct.pack("=I", 50) + b'{"type"', capture_output=True, timeout=20)
    check("a truncated request ends with exit 1 and a message", r.returncode == 1 and b"truncated" in r.stderr, r.stderr.decode()[:100])
    r = subprocess.run([a.interlocutor, "native-host", "--token-file", os.path.join(a.out, "none")], input=frame(b"{}"),
                       capture_output=True, timeout=20)
    check("a missing token file is named in the answer", "token file" in answers(r.stdout)[0].get("error", ""), str(answers(r.stdout)))

    d = os.path.join(a.out, "hosts")
    db = os.path.join(a.out, "data", "interlocutor.db")
    os.makedirs(os.path.dirname(db))
    with open(os.path.join(a.out, "data", "token"), "w") as f:
        f.write("feed\n")
    r = subprocess.run([a.interlocutor, "native-host", "--install", "--dir", d, "--db", db, "--port", "9123"],
                       capture_output=True, text=True, timeout=20)
    mf = os.path.join(d, "interlocutor.json")
    ok = r.returncode == 0 and os.path.exists(mf)
    check("--install writes the host manifest", ok, r.stderr[:200])
    if ok:
        m = json.load(open(mf))
        check("the manifest names the host, stdio, our extension and an executable launcher",
              m["name"] == "interlocutor" and m["type"] == "stdio" and m["allowed_extensions"] == ["interlocutor@interlocutor.dev"]
              and os.access(m["path"], os.X_OK), str(m))
        r2 = subprocess.run([m["path"], mf, "interlocutor@interlocutor.dev"], input=frame(b"{}"), capture_output=True, timeout=20)
        got = answers(r2.stdout)
        check("the launcher answers with the installed port and the store's token",
              got and got[0].get("url") == "http://127.0.0.1:9123/" and got[0].get("token") == "feed", str(got))
    r = subprocess.run([a.interlocutor, "native-host", "--uninstall", "--dir", d, "--db", db], capture_output=True, timeout=20)
    check("--uninstall removes it", r.returncode == 0 and not os.path.exists(mf))
    r = subprocess.run([a.interlocutor, "native-host", "--install", "--uninstall"], capture_output=True, timeout=20)
    check("--install with --uninstall is a usage error", r.returncode == 2)
    r = subprocess.run([a.interlocutor, "native-host", "--port", "99999"], capture_output=True, timeout=20)
    check("a bad port is a usage error", r.returncode == 2 and b"port" in r.stderr)
    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

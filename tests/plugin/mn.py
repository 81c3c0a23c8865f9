"""A minimal Marionette client (python3 stdlib only): no geckodriver is available offline.

Wire format: each packet is "<length>:<JSON>"; a command is [0, id, name, params] and its answer
[1, id, error, result]. Chrome-context scripts need Thunderbird started with
--marionette -remote-allow-system-access.
"""
import json
import socket
import time


class MarionetteError(Exception):
    pass


class Marionette:
    def __init__(self, port, host="127.0.0.1", timeout=60.0, connect_within=30.0):
        deadline = time.monotonic() + connect_within
        while True:
            try:
                self.sock = socket.create_connection((host, port), timeout=timeout)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.buf = b""
        self.next_id = 1
        self.hello = self._read()

    def _read(self):
        while b":" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise MarionetteError("connection closed")
            self.buf += chunk
        head, rest = self.buf.split(b":", 1)
        n = int(head)
        while len(rest) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise MarionetteError("connection closed")
            rest += chunk
        self.buf = rest[n:]
        return json.loads(rest[:n])

    def cmd(self, name, params=None):
        mid = self.next_id
        self.next_id += 1
        data = json.dumps([0, mid, name, params or {}]).encode()
        self.sock.sendall(str(len(data)).encode() + b":" + data)
        while True:
            msg = self._read()
            if msg[0] == 1 and msg[1] == mid:
                break
        if msg[2]:
            raise MarionetteError("%s: %s" % (name, msg[2].get("message", msg[2])))
        res = msg[3]
        if isinstance(res, dict) and set(res.keys()) == {"value"}:
            return res["value"]
        return res

    def script(self, body, args=None, timeout_ms=30000):
        """Runs a chrome or content script as the body of an async function (so it may await;
        `arguments` is the args list); the returned Promise is awaited."""
        wrapped = "return (async () => {\n" + body + "\n})();"
        return self.cmd("WebDriver:ExecuteScript", {"script": wrapped, "args": args or [],
                                                    "scriptTimeout": timeout_ms})

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

#!/usr/bin/env python3
"""Renders the HTML part of real digests (dev corpus, config with account names and reps) in
headless Chromium and saves PNG screenshots as test artifacts in OUT_DIR (issue 7). Checks that
each screenshot has the page's size, is not blank (a share of dark "ink" pixels like text has)
and that the HTML is self-contained: no script, no remote resource, as a mail client shows it.
Usage: html_screenshot.py INTERLOCUTOR CORPORA_DIR OUT_DIR"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

from digest_fixture import Fixture, html_part


def png_pixels(path):
    """A small PNG reader (8-bit RGB/RGBA, not interlaced, as Chromium writes): (w, h, rows)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("FAIL: %s is not a PNG" % path)
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                sys.exit("FAIL: unexpected PNG format depth=%d type=%d" % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    binary, corpora, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("FAIL: chromium is not installed (apt-get install chromium)")
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ilc-shot-") as tmp:
        fx = Fixture(binary, corpora, tmp)
        for path, msg in fx.digests(count=2):
            html = html_part(msg)
            lower = html.lower()
            for bad in ("<script", "src=\"http", "href=\"http", "@import", "url("):
                if bad in lower:
                    sys.exit("FAIL: %s: the HTML part holds %r (mail clients block it)" % (path, bad))
            name = os.path.splitext(os.path.basename(path))[0]
            page = os.path.join(out_dir, name + ".html")
            with open(page, "w", encoding="utf-8") as f:
                f.write(html)
            png = os.path.join(out_dir, name + ".png")
            if os.path.exists(png):
                os.remove(png)
            profile = os.path.join(tmp, "chromium-profile")
            r = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                "--no-first-run", "--user-data-dir=" + profile, "--window-size=900,1400",
                                "--screenshot=" + png, "file://" + page],
                               capture_output=True, text=True, timeout=90)
            if r.returncode != 0 or not os.path.exists(png):
                sys.exit("FAIL: chromium exited %d without %s\n%s" % (r.returncode, png, r.stderr[-2000:]))
            w, h, bpp, rows = png_pixels(png)
            if (w, h) != (900, 1400):
                sys.exit("FAIL: %s is %dx%d, expected 900x1400" % (png, w, h))
            ink = sum(1 for row in rows for x in range(0, len(row), bpp) if sum(row[x:x + 3]) < 300)
            share = ink / (w * h)
            # Text on a white page: some ink, far from all of it (a blank or a black page fails).
            if not 0.003 < share < 0.3:
                sys.exit("FAIL: %s has %.2f%% dark pixels: blank or broken rendering" % (png, share * 100))
            print("OK: %s %dx%d, %.2f%% ink" % (png, w, h, share * 100))


if __name__ == "__main__":
    main()

#!/bin/bash
# `web-ext lint` on the built Thunderbird extension (issue 11): no errors allowed. web-ext comes
# from npm, pinned by the committed package.json/package-lock.json, installed into the build dir
# (git-ignored) on the first run and again whenever the lock file changes.
# Warnings are printed, not failed: addons-linter knows Firefox's APIs, so Thunderbird's own
# (compose, messageDisplay, composeAction) come out as "unsupported API" warnings.
#
# usage: xpi_lint.sh XPI NPM_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
xpi=$1
npm_dir=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in node npm python3; do command -v "$tool" >/dev/null || fail "'$tool' is not installed (scripts/setup.sh --test)"; done
[ -f "$xpi" ] || fail "no extension at $xpi (built by the ilc_xpi target)"

mkdir -p "$npm_dir"
if ! cmp -s "$here/package-lock.json" "$npm_dir/package-lock.json" || [ ! -x "$npm_dir/node_modules/.bin/web-ext" ]; then
    cp "$here/package.json" "$here/package-lock.json" "$npm_dir/"
    (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci (web-ext) failed"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# web-ext lints a source folder: unpack the .xpi exactly as Thunderbird would read it.
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$xpi" "$tmp/ext"
[ -f "$tmp/ext/manifest.json" ] || fail "the .xpi has no manifest.json at its root"
"$npm_dir/node_modules/.bin/web-ext" lint --source-dir "$tmp/ext" --output json --no-config-discovery >"$tmp/lint.json" 2>"$tmp/lint.err" || true
python3 - "$tmp/lint.json" "$tmp/lint.err" <<'PY'
import json, sys
try:
    report = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit("FAIL: web-ext lint gave no JSON report: " + open(sys.argv[2]).read()[-2000:])
for kind in ("errors", "warnings", "notices"):
    for m in report.get(kind, []):
        print(f"{kind[:-1]}: {m.get('code')} {m.get('file') or ''}: {m.get('message')}")
print("summary:", report.get("summary"))
if report["summary"]["errors"] != 0 or report.get("errors"):
    sys.exit(f"FAIL: web-ext lint reports {report['summary']['errors']} error(s)")
print("PASS: web-ext lint, no errors")
PY

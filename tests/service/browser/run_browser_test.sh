#!/usr/bin/env bash
# The dashboard in a real browser: ingests the dev corpus into a temp store, starts the real
# `interlocutor serve` on a free loopback port, drives Debian's headless Chromium with
# playwright-core (installed here from package.json/package-lock.json into WORK_DIR, git-ignored),
# compares what the page shows with `interlocutor analyze --format json`, saves screenshots in
# ARTIFACTS. Everything started is stopped on exit, failure included.
# Usage: run_browser_test.sh INTERLOCUTOR_BIN CORPORA_DIR WORK_DIR ARTIFACTS_DIR
set -euo pipefail
BIN=$1 CORPORA=$2 WORK=$3 ARTIFACTS=$4
HERE=$(cd "$(dirname "$0")" && pwd)
CHROMIUM=${ILC_CHROMIUM:-/usr/bin/chromium}
# CI installs every peer: a missing one is a failure, not a skip.
for tool in node npm "$CHROMIUM"; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
done

mkdir -p "$WORK" "$ARTIFACTS"
cp "$HERE/package.json" "$HERE/package-lock.json" "$WORK/"
if [ ! -d "$WORK/node_modules/playwright-core" ]; then
  (cd "$WORK" && npm ci --no-audit --no-fund >npm.log 2>&1) || { cat "$WORK/npm.log" >&2; exit 1; }
fi

TMP=$(mktemp -d /tmp/ilc-browser-XXXXXX)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

DEV=$CORPORA/dev
SETTINGS=(--now 2026-11-12T10:00:00+01:00 --tz Europe/Paris --holidays "$DEV/holidays.txt" --manager marc.moreau@ardentis.fr)
"$BIN" ingest "$DEV/mbox/INBOX.mbox" "$DEV/mbox/Sent.mbox" "$DEV/mbox/Archives.mbox" --db "$TMP/dev.db" \
  --me isabelle.charpentier@ardentis.fr --me icharpentier@ardentis.fr --internal-domain ardentis.fr >/dev/null
"$BIN" analyze --db "$TMP/dev.db" "${SETTINGS[@]}" --format json >"$TMP/analyze.json"
# The same analysis with French suggestions: the dashboard's FR switch must show these texts.
"$BIN" analyze --db "$TMP/dev.db" "${SETTINGS[@]}" --lang fr --format json >"$TMP/analyze-fr.json"

"$BIN" serve --db "$TMP/dev.db" --port 0 --open "${SETTINGS[@]}" >"$TMP/serve.out" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  grep -q "Press Ctrl-C" "$TMP/serve.out" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/serve.out" >&2; exit 1; }
  sleep 0.2
done
URL=$(sed -n 's/^  dashboard: //p' "$TMP/serve.out")
[ -n "$URL" ] || { echo "FAIL: serve printed no dashboard URL" >&2; cat "$TMP/serve.out" >&2; exit 1; }

NODE_PATH="$WORK/node_modules" node "$HERE/dashboard.test.mjs" "$URL" "$TMP/analyze.json" "$ARTIFACTS" "$CHROMIUM" "$WORK" "$TMP/analyze-fr.json"

kill -TERM "$SERVER_PID"
wait "$SERVER_PID"   # a clean stop exits 0; set -e fails the test otherwise
SERVER_PID=
echo "PASS: screenshots in $ARTIFACTS"

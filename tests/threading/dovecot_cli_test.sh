#!/bin/sh
# The real CLI against a real Dovecot (issue 12): `interlocutor ingest` the given sources into a
# temporary store, `interlocutor threads --format json`, then tests/threading/dovecot_threads.py
# compares those threads with Dovecot's `UID THREAD REFS UTF-8 ALL` (F1 asserted) and
# `UID THREAD REFERENCES UTF-8 ALL` (printed only), listing every difference.
#   dovecot_cli_test.sh INTERLOCUTOR DOVECOT_THREADS_PY MIN_F1 SOURCE...
set -eu
bin=$1; py=$2; min=$3; shift 3
[ -x "$bin" ] || { echo "not an executable: $bin" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ilc-cli-dovecot.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$bin" ingest --quiet --db "$work/db" "$@" >"$work/ingest.txt"
echo "ingest: $(tr '\n' ' ' <"$work/ingest.txt")"
"$bin" threads --db "$work/db" --format json >"$work/threads.json"
python3 "$py" --min-f1 "$min" --ours "$work/threads.json" "$@"

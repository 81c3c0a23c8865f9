#!/usr/bin/env bash
# IMAP sync benchmark against a local Dovecot (the one tests/imap/imap_dovecot_test.py starts:
# test CA, imaps on loopback, the dev corpus + lists/open-iscsi + every enron-mbox file in a
# folder 'bulk'). Prints a table: messages/s of a full sync into an empty store, the time of an
# empty incremental sync, and `ingest` of the same Maildir from files for comparison.
#
#   bench/imap_bench.sh [--build DIR] [--runs N] [--small]
#
# --small leaves enron-mbox out (1,800 messages, a few seconds). Use a Release build for figures.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-release runs=3 small=0
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --small) small=1; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in python3 openssl /usr/sbin/dovecot; do
  command -v $tool >/dev/null || { echo "$tool is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done
bin=$build/interlocutor
[ -x "$bin" ] || { echo "no $bin: cmake --build $build --target interlocutor" >&2; exit 1; }
corpora=$(cd .. && pwd)/shared/corpora
extra=()
[ "$small" = 1 ] || extra=(--bench-mbox-dir "$corpora/enron-mbox")
echo "imap bench: $bin, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
python3 tests/imap/imap_dovecot_test.py --bench --runs "$runs" --cli "$bin" --tool /bin/true --corpora "$corpora" "${extra[@]}"

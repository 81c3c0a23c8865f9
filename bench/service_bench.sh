#!/usr/bin/env bash
# Service benchmark: wrk on loopback against POST /v1/compose/check and GET /v1/findings of a
# real `interlocutor serve` over a store of >= 100,000 messages (bench/gen_corpus.py, cached like
# bench/run.sh does), reporting requests/s and p50/p99 latency. Results: bench/SERVICE.md.
#
#   bench/service_bench.sh [--messages N] [--duration SECONDS] [--connections C] [--threads T] [--build DIR]
#
# The store and the generated mbox are cached in $ILC_BENCH_CACHE (default /var/tmp/interlocutor-bench),
# so only the first run pays for generating and ingesting. Use a Release build for figures
# (default build-service-rel: cmake -B build-service-rel -DCMAKE_BUILD_TYPE=Release; --target interlocutor).
set -euo pipefail
cd "$(dirname "$0")/.."
messages=100000 duration=20 connections=16 threads=2 build=build-service-rel
while [ $# -gt 0 ]; do
  case $1 in
    --messages) messages=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in wrk jq python3; do command -v $tool >/dev/null || { echo "$tool is missing (scripts/setup.sh installs it)" >&2; exit 1; }; done
bin=$build/interlocutor
[ -x "$bin" ] || { echo "no $bin: cmake --build $build --target interlocutor" >&2; exit 1; }

cache=${ILC_BENCH_CACHE:-/var/tmp/interlocutor-bench}
mkdir -p "$cache"
gen=$cache/gen-$messages-seed1-$(sha1sum bench/gen_corpus.py | cut -c1-8).mbox
if [ ! -s "$gen" ]; then
  echo "generating $messages messages into $gen" >&2
  python3 bench/gen_corpus.py --messages "$messages" --seed 1 --out "$gen.tmp" && mv "$gen.tmp" "$gen"
fi
db=$cache/service-$(basename "$gen" .mbox).db
if [ ! -s "$db" ]; then
  echo "ingesting into $db" >&2
  /usr/bin/time -f "ingest: %e s, %M KiB max RSS" "$bin" ingest "$gen" --db "$db.tmp" >/dev/null
  for f in "$db.tmp"*; do mv "$f" "${f/.db.tmp/.db}"; done
fi

# The generated mailbox is a sales team's (vendeo.fr) without a sent folder: name the owners as
# bench/run.sh does, so the analysis has a rep to analyze for.
owners=$(grep -a -o -m 5000 '^From: .*<[^>]*@vendeo\.fr>' "$gen" | sed 's/.*<\(.*\)>/--me \1/' | sort -u | tr '\n' ' ')

work=$(mktemp -d /tmp/ilc-service-bench-XXXXXX)
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

start=$(date +%s.%N)
# shellcheck disable=SC2086
"$bin" serve --db "$db" --port 0 --token-file "$work/token" --log-file "$work/serve.log" $owners --internal-domain vendeo.fr \
  >"$work/out" 2>&1 &
server=$!
until grep -q "Press Ctrl-C" "$work/out"; do
  kill -0 $server 2>/dev/null || { cat "$work/out" >&2; exit 1; }
  sleep 0.2
done
load_s=$(echo "$(date +%s.%N) - $start" | bc)
url=$(sed -n 's/^interlocutor serve: listening on //p' "$work/out")
export ILC_TOKEN=$(cat "$work/token")
rss_kib=$(awk '/VmRSS/{print $2}' /proc/$server/status)
health=$(curl -s "${url}v1/health")
n=$(echo "$health" | jq .messages)
[ "$n" -ge 100000 ] || [ "$messages" -lt 100000 ] || { echo "store holds only $n messages" >&2; exit 1; }

# A realistic draft: the group of the first all-in-copy finding, replying in its thread (so the
# check finds the thread, its group, its insists_on_cc and its chasers), else any account's people.
curl -s -H "Authorization: Bearer $ILC_TOKEN" "${url}v1/findings?kind=all_in_copy" >"$work/aic.json"
jq '{from: "", to: .findings[0].recipients, cc: [], subject: "Re: proposition",
     in_reply_to: .findings[0].group_messages[-1], body: "Bonjour à tous, pourriez-vous me confirmer le planning ?", lang: "fr"}' \
   "$work/aic.json" >"$work/draft.json"
export ILC_DRAFT=$work/draft.json
codes=$(curl -s -H "Authorization: Bearer $ILC_TOKEN" -H "Content-Type: application/json" --data-binary @"$ILC_DRAFT" \
        "${url}v1/compose/check" | jq -c '[.suggestions[].code]')
findings_bytes=$(curl -s -H "Authorization: Bearer $ILC_TOKEN" "${url}v1/findings" | wc -c)

run() {  # name, wrk args...
  local name=$1; shift
  local line
  line=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$@" | grep '^ILC ')
  printf '| %s | %s |\n' "$name" "$(echo "$line" | sed 's/^ILC //; s/ /, /g')"
}
echo "# interlocutor serve on $n messages ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F))"
echo "# load+analyze at start: ${load_s%.*} s; server RSS after load: $((rss_kib / 1024)) MiB; draft suggestions: $codes; /v1/findings body: $findings_bytes bytes"
echo "# wrk -t$threads -c$connections -d${duration}s"
echo "| request | figures |"
echo "|---|---|"
run "POST /v1/compose/check" -s bench/wrk/compose_check.lua "${url}v1/compose/check"
run "GET /v1/findings?kind=stalled_deal" -s bench/wrk/get.lua "${url}v1/findings?kind=stalled_deal"
run "GET /v1/findings (all)" -s bench/wrk/get.lua "${url}v1/findings"
run "GET /v1/health (no token)" -s bench/wrk/get.lua "${url}v1/health"
kill -TERM $server; wait $server; server=

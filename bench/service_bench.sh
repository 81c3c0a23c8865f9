#!/usr/bin/env bash
# Service benchmark: wrk on loopback against POST /v1/compose/check, GET /v1/findings and the
# account page of a real `interlocutor serve` over a store of >= 100,000 messages
# (bench/gen_corpus.py, cached like bench/run.sh does), reporting the start-up time, the peak and
# steady resident memory, requests/s and p50/p99 latency. Results: bench/SERVICE.md.
#
#   bench/service_bench.sh [--messages N] [--duration SECONDS] [--connections C] [--threads T] [--build DIR]
#                          [--db STORE]
#
# --db serves an existing store (with its owners recorded, e.g. a copy of the 1M store of
# bench/README.md) instead of generating and ingesting one; serve writes a lock file beside it.
#
# The store and the generated mbox are cached in $ILC_BENCH_CACHE (default /var/tmp/interlocutor-bench),
# so only the first run pays for generating and ingesting. Use a Release build for figures
# (default build-service-rel: cmake -B build-service-rel -DCMAKE_BUILD_TYPE=Release; --target interlocutor).
set -euo pipefail
cd "$(dirname "$0")/.."
# 8 connections: serve answers on 8 HTTP threads, a keep-alive connection holds one (see below).
messages=100000 duration=20 connections=8 threads=2 build=build-service-rel db=
while [ $# -gt 0 ]; do
  case $1 in
    --messages) messages=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --db) db=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in wrk jq python3; do command -v $tool >/dev/null || { echo "$tool is missing (scripts/setup.sh installs it)" >&2; exit 1; }; done
bin=$build/interlocutor
[ -x "$bin" ] || { echo "no $bin: cmake --build $build --target interlocutor" >&2; exit 1; }

owners=
if [ -z "$db" ]; then
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
owners="$(grep -a -o -m 5000 '^From: .*<[^>]*@vendeo\.fr>' "$gen" | sed 's/.*<\(.*\)>/--me \1/' | sort -u | tr '\n' ' ') --internal-domain vendeo.fr"
fi

work=$(mktemp -d /tmp/ilc-service-bench-XXXXXX)
server=
rss() { awk -v k="$1:" '$1 == k {print int($2 / 1024)}' /proc/$server/status; }  # MiB
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

start=$(date +%s.%N)
# shellcheck disable=SC2086
"$bin" serve --db "$db" --port 0 --token-file "$work/token" --log-file "$work/serve.log" $owners \
  >"$work/out" 2>&1 &
server=$!
until grep -q "Press Ctrl-C" "$work/out"; do
  kill -0 $server 2>/dev/null || { cat "$work/out" >&2; exit 1; }
  sleep 0.2
done
load_s=$(echo "$(date +%s.%N) - $start" | bc)
url=$(sed -n 's/^interlocutor serve: listening on //p' "$work/out")
export ILC_TOKEN=$(cat "$work/token")
sleep 2  # steady state: what the snapshot keeps, the load and the analysis released
peak_mib=$(rss VmHWM) rss_mib=$(rss VmRSS)
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
findings_bytes=$(curl -s -H "Authorization: Bearer $ILC_TOKEN" "${url}v1/findings" | wc -c)  # the first page (500)
# (.total: a service before paging answered every finding, without it.)
findings_total=$(curl -s -H "Authorization: Bearer $ILC_TOKEN" "${url}v1/findings?limit=0" | jq '.total // (.findings | length)')
awaiting_total=$(curl -s -H "Authorization: Bearer $ILC_TOKEN" "${url}v1/findings?kind=awaiting_reply&limit=0" | jq '.total // (.findings | length)')
# A deep page of the dashboard's awaiting table (50 rows, by business days): the middle of the list.
deep=$(( awaiting_total / 100 * 50 ))
# The account page of the riskiest account (the dashboard's first row): its summary, then its findings.
account=$(curl -s -H "Authorization: Bearer $ILC_TOKEN" "${url}v1/accounts" | jq -r '.accounts[0].account')
# The compose check at a steady ~1,000 requests/s (wrk2's constant rate is not in Debian): each of
# 8 connections waits 8 ms after an answer before its next request. 8, not more: serve has 8
# HTTP threads (ServiceOptions::max_threads) and a keep-alive connection holds one, so a 9th
# connection waits for a free thread and its requests are never sent.
cat >"$work/compose_rate.lua" <<'LUA'
dofile("bench/wrk/compose_check.lua")
function delay() return 8 end
LUA

run() {  # name, wrk args...
  local name=$1; shift
  local line
  line=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$@" | grep '^ILC ')
  printf '| %s | %s |\n' "$name" "$(echo "$line" | sed 's/^ILC //; s/ /, /g')"
}
echo "# interlocutor serve on $n messages ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F))"
echo "# load+analyze at start (to the first answer): ${load_s%.*} s; peak RSS (the load and the analysis): $peak_mib MiB; steady RSS after start: $rss_mib MiB"
echo "# draft suggestions: $codes; /v1/findings: $findings_total findings, first page of 500 $findings_bytes bytes; account page: $account"
echo "# wrk -t$threads -c$connections -d${duration}s unless said"
echo "| request | figures |"
echo "|---|---|"
line=$(wrk -t2 -c8 -d"${duration}s" --latency -s "$work/compose_rate.lua" "${url}v1/compose/check" | grep '^ILC ')
printf '| %s | %s |\n' "POST /v1/compose/check at ~1,000 req/s (-t2 -c8, 8 ms apart)" "$(echo "$line" | sed 's/^ILC //; s/ /, /g')"
run "POST /v1/compose/check (as fast as it goes)" -s bench/wrk/compose_check.lua "${url}v1/compose/check"
run "GET /v1/accounts/{account} (account page)" -s bench/wrk/get.lua "${url}v1/accounts/$account"
run "GET /v1/findings?account={account} (account page)" -s bench/wrk/get.lua "${url}v1/findings?account=$account"
run "GET /v1/findings?kind=stalled_deal" -s bench/wrk/get.lua "${url}v1/findings?kind=stalled_deal"
run "GET /v1/accounts (dashboard start)" -s bench/wrk/get.lua "${url}v1/accounts"
run "GET /v1/findings (first page: 500)" -s bench/wrk/get.lua "${url}v1/findings"
run "GET /v1/findings?kind=awaiting_reply&sort=waiting_business_days&limit=50&offset=$deep (dashboard page)" -s bench/wrk/get.lua \
  "${url}v1/findings?kind=awaiting_reply&sort=waiting_business_days&limit=50&offset=$deep"
run "GET /v1/findings?limit=1000&offset=$(( findings_total / 2 )) (largest page)" -s bench/wrk/get.lua "${url}v1/findings?limit=1000&offset=$(( findings_total / 2 ))"
run "GET /v1/health (no token)" -s bench/wrk/get.lua "${url}v1/health"
echo "# RSS after the runs: $(rss VmRSS) MiB"
kill -TERM $server; wait $server; server=

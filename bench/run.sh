#!/usr/bin/env bash
# Ingest benchmark: messages/s, MB/s and peak RSS of `interlocutor ingest` on ../shared/corpora/enron-mbox,
# then on a 4x larger mbox made by repeating it with rewritten Message-IDs, to show that peak
# memory does not grow with the mailbox (streaming). Release build in build-release/.
#   bench/run.sh            full run (median of 3)
#   bench/run.sh --smoke    one quick run on a small input, for the test command
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0; [ "${1:-}" = "--smoke" ] && smoke=1
runs=3; [ $smoke = 1 ] && runs=1
if [ ! -f build-release/CMakeCache.txt ]; then
  cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DILC_BUILD_TESTS=OFF >/dev/null
fi
cmake --build build-release -j"$(nproc)" --target interlocutor >/dev/null
bin=$PWD/build-release/interlocutor
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

corpus=../shared/corpora/enron-mbox
if [ $smoke = 1 ]; then
  files=$(ls "$corpus"/enron.allen-p.* | head -5)
else
  files=$(ls "$corpus"/enron.*)
fi
# One input file: the corpus concatenated (x1), and x4 with ids made unique per copy.
for f in $files; do cat "$f"; echo; done > "$work/x1.mbox"
python3 - "$work/x1.mbox" "$work/x4.mbox" $([ $smoke = 1 ] && echo 2 || echo 4) <<'PY'
import sys, re
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, 'rb').read()
with open(dst, 'wb') as out:
    for k in range(n):
        out.write(re.sub(rb'(?im)^(message-id:\s*<?)', rb'\g<1>copy%d.' % k, data))
        out.write(b'\n')
PY

measure() {  # measure NAME FILE -> prints one table row (median wall time of $runs)
  local name=$1 file=$2 best=() rss=() msgs=0
  for i in $(seq $runs); do
    rm -f "$work/db"*
    /usr/bin/time -f "%e %M" -o "$work/time" "$bin" ingest --quiet --format json --db "$work/db" "$file" >"$work/sum.json"
    read -r secs kb <"$work/time"
    best+=("$secs"); rss+=("$kb")
    msgs=$(python3 -c "import json;print(json.load(open('$work/sum.json'))['read'])")
  done
  local med; med=$(printf '%s\n' "${best[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  local maxrss; maxrss=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
  local mb; mb=$(python3 -c "import os;print(os.path.getsize('$file')/1048576)")
  local dbmb; dbmb=$(du -cm "$work"/db* | tail -1 | cut -f1)
  python3 -c "
s=$med; m=$msgs; mb=$mb
print('| %-22s | %8d | %7.1f | %7.2f | %9.0f | %7.1f | %7.0f | %6s |' % ('$name', m, mb, s, m/s if s else 0, mb/s if s else 0, $maxrss/1024, '$dbmb'))"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "| input                  | messages |      MB |  wall s |    msg/s |    MB/s | RSS MB | db MB |"
echo "|------------------------|----------|---------|---------|----------|---------|--------|-------|"
measure "enron-mbox x1" "$work/x1.mbox"
measure "enron-mbox x4 (unique)" "$work/x4.mbox"

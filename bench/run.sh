#!/usr/bin/env bash
# Benchmark: messages/s, MB/s and peak RSS of `interlocutor ingest` on ../shared/corpora/enron-mbox,
# then on a 4x larger mbox made by repeating it with rewritten Message-IDs, to show that peak
# memory does not grow with the mailbox (streaming); `threads` and `analyze` time and RSS on a
# ~170,000-message store (x9, ids and references rewritten per copy); `notmuch new` and `mu index`
# on the same Maildir (ratios). Release build in build-release/.
#   bench/run.sh            full run (median of 3)
#   bench/run.sh --smoke    one quick run on a small input, for the test command
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0; [ "${1:-}" = "--smoke" ] && smoke=1
runs=3; [ $smoke = 1 ] && runs=1
# ILC_BENCH_BUILD_DIR reuses an existing build (the test command's smoke run uses build/ so CI
# does not compile everything a third time); figures for bench/README.md come from Release.
bdir=${ILC_BENCH_BUILD_DIR:-build-release}
if [ ! -f "$bdir/CMakeCache.txt" ]; then
  cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DILC_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$bdir" -j"$(nproc)" --target interlocutor >/dev/null
bin=$PWD/$bdir/interlocutor
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

# --- Threads and analyze on a large store (~170,000 messages: the corpus 9 times). Each copy gets
# its own Message-IDs AND its own References / In-Reply-To ids, so its threads stay separate.
big=$([ $smoke = 1 ] && echo 3 || echo 9)
python3 - "$work/x1.mbox" "$work/xbig.mbox" "$big" <<'PY'
import sys, re
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(src, 'rb').read().split(b'\n')
idhdr = re.compile(rb'(?i)^(message-id|in-reply-to|references)\s*:')
with open(dst, 'wb') as out:
    for k in range(n):
        tag = b'<copy%d.' % k
        in_headers, in_id = False, False
        for line in lines:
            if line.startswith(b'From '):
                in_headers, in_id = True, False
            elif in_headers and line.strip(b'\r') == b'':
                in_headers, in_id = False, False
            elif in_headers:
                if line[:1] in (b' ', b'\t'):
                    pass                      # a folded line continues the previous header
                else:
                    in_id = bool(idhdr.match(line))
                if in_id:
                    line = line.replace(b'<', tag)
            out.write(line + b'\n')
PY
rm -f "$work/db"*
# The concatenated mbox has no folder names to infer the owner from: the seven Enron users are it.
owners="--me phillip.allen@enron.com --me darron.giron@enron.com --me michelle.lokay@enron.com --me debra.perlingiere@enron.com --me dutch.quigley@enron.com --me elizabeth.sager@enron.com --me kimberly.watson@enron.com"
/usr/bin/time -f "%e %M" -o "$work/time" "$bin" ingest --quiet --format json --db "$work/big.db" $owners "$work/xbig.mbox" >"$work/sum.json"
read -r isecs ikb <"$work/time"
bigmsgs=$(python3 -c "import json;print(json.load(open('$work/sum.json'))['stored'])")
now=$(sqlite3 "$work/big.db" "select strftime('%Y-%m-%dT%H:%M:%SZ', max(date), 'unixepoch') from messages where date < strftime('%s','2003-01-01')" 2>/dev/null || echo 2002-06-01T00:00:00Z)
/usr/bin/time -f "%e %M" -o "$work/time" "$bin" threads --db "$work/big.db" --format json >"$work/threads.json"
read -r tsecs tkb <"$work/time"
nthreads=$(python3 -c "import json;print(len(json.load(open('$work/threads.json'))['threads']))")
/usr/bin/time -f "%e %M" -o "$work/time" "$bin" analyze --db "$work/big.db" --now "$now" --tz UTC --format json >"$work/analyze.json"
read -r asecs akb <"$work/time"
nfind=$(python3 -c "import json;print(len(json.load(open('$work/analyze.json'))['findings']))")
echo
echo "| on enron-mbox x$big (unique ids and references) | messages | wall s | RSS MB | output |"
echo "|---|---|---|---|---|"
echo "| ingest   | $bigmsgs | $isecs | $((ikb / 1024)) | store |"
echo "| threads --format json | $bigmsgs | $tsecs | $((tkb / 1024)) | $nthreads threads |"
echo "| analyze --format json (--now $now) | $bigmsgs | $asecs | $((akb / 1024)) | $nfind findings |"
rm -f "$work/big.db"* "$work/xbig.mbox" "$work/threads.json" "$work/analyze.json"

# --- Peers on the same mail in the same run: `notmuch new` and `mu index` index a Maildir, so the
# x1 mbox is written out as a Maildir once and all three tools read that same Maildir.
if command -v notmuch >/dev/null && command -v mu >/dev/null; then
  python3 - "$work/x1.mbox" "$work/Maildir" <<'PY'
import sys, os
src, md = sys.argv[1], sys.argv[2]
for sub in ('cur', 'new', 'tmp'):
    os.makedirs(os.path.join(md, sub), exist_ok=True)
n, cur = 0, None
def flush(msg):
    global n
    if msg is None: return
    n += 1
    with open(os.path.join(md, 'cur', '%d.M%dP1.bench:2,S' % (1000000000 + n, n)), 'wb') as f:
        f.write(b''.join(msg))
prev_blank = True
with open(src, 'rb') as f:
    for line in f:
        if prev_blank and line.startswith(b'From '):
            flush(cur); cur = []
        elif cur is not None:
            cur.append(line)
        prev_blank = line.strip(b'\r\n') == b''
flush(cur)
PY
  nmd=$(ls "$work/Maildir/cur" | wc -l)
  mdmb=$(du -sm "$work/Maildir" | cut -f1)
  peer() {  # peer NAME COMMAND... -> "secs kb" (median of $runs, cold index each time)
    local name=$1; shift; local t=() r=()
    for i in $(seq $runs); do
      rm -rf "$work/peer"; mkdir -p "$work/peer/nm"
      [ "$name" = mu ] && mu init --quiet --muhome "$work/peer" --maildir "$work/Maildir" >/dev/null 2>&1 || true
      /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>&1 || { echo "$name failed" >&2; }
      read -r s k < <(tail -1 "$work/time"); t+=("$s"); r+=("$k")
    done
    echo "$(printf '%s\n' "${t[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p") $(printf '%s\n' "${r[@]}" | sort -n | tail -1)"
  }
  cat >"$work/notmuch-config" <<CONF
[database]
path=$work/peer/nm
mail_root=$work/Maildir
[user]
name=Bench
primary_email=bench@example.org
[new]
tags=
[maildir]
synchronize_flags=false
CONF
  read -r ours_s ours_k < <(peer interlocutor "$bin" ingest --quiet --db "$work/peer/db" "$work/Maildir")
  read -r nm_s nm_k < <(peer notmuch env NOTMUCH_CONFIG="$work/notmuch-config" notmuch new --quiet)
  read -r mu_s mu_k < <(peer mu mu index --quiet --muhome "$work/peer")
  echo
  echo "Same Maildir ($nmd messages, $mdmb MB), cold index each run, median of $runs:"
  echo "| tool | wall s | msg/s | RSS MB | time vs interlocutor |"
  echo "|---|---|---|---|---|"
  python3 - "$nmd" "$ours_s" "$ours_k" "$nm_s" "$nm_k" "$mu_s" "$mu_k" \
    "interlocutor ingest|notmuch new ($(notmuch --version | cut -d' ' -f2))|mu index ($(mu --version | head -1 | awk '{print $NF}'))" <<'PY'
import sys
n = int(sys.argv[1]); vals = sys.argv[2:8]; names = sys.argv[8].split('|')
ours = float(vals[0])
for i, name in enumerate(names):
    s, k = float(vals[2 * i]), int(vals[2 * i + 1])
    print('| %s | %.2f | %.0f | %.0f | %.2fx |' % (name, s, n / s if s else 0, k / 1024, s / ours if ours else 0))
PY
  rm -rf "$work/Maildir" "$work/peer"
else
  echo "notmuch or mu not installed: peer comparison skipped"
fi

#!/usr/bin/env bash
# Ingest benchmark: Interlocutor against notmuch, mu and Dovecot's header index on the same mail,
# in the same run, interleaved (run 1 of every tool, then run 2 of every tool, ...), then
# `threads`/`analyze` on the largest store. Prints one table (bench/table.py). See bench/README.md.
#
#   bench/run.sh                         lists + enron + generated 100k, median of 3 (Release build)
#   bench/run.sh --sizes 100k,1m         generated corpora to add (k/m suffixes), default 100k
#   bench/run.sh --runs 5 --no-peers     more runs; Interlocutor only
#   bench/run.sh --smoke                 small inputs, one run each, every step: for the test command
#
# ILC_BENCH_BUILD_DIR reuses an existing build (the test command's smoke uses build/ so CI does not
# compile a third time); figures for bench/README.md come from the Release build in build-release/.
# ILC_BENCH_CACHE keeps generated corpora between runs (default /var/tmp/interlocutor-bench, readable by the Dovecot user): the
# generator is deterministic, so a cached file is the same bytes as a fresh one.
set -euo pipefail
export LC_NUMERIC=C  # EPOCHREALTIME and awk read a decimal point
cd "$(dirname "$0")/.."
. bench/dovecot_instance.sh
root=$PWD
smoke=0 runs=3 sizes=100k peers=1
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1; runs=1; sizes=500 ;;
    --runs) runs=$2; shift ;;
    --sizes) sizes=$2; shift ;;
    --no-peers) peers=0 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

bdir=${ILC_BENCH_BUILD_DIR:-build-release}
if [ ! -f "$bdir/CMakeCache.txt" ]; then
  cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DILC_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$bdir" -j"$(nproc)" --target interlocutor >/dev/null
bin=$root/$bdir/interlocutor
for tool in python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 1; }
done
if [ $peers = 1 ]; then
  # The peers are Debian packages that scripts/setup.sh installs; a missing one is a failure, not a skip.
  for tool in notmuch mu doveadm dovecot; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
  done
fi

work=$(mktemp -d)
chmod 755 "$work"  # Dovecot reads the mbox as an unprivileged user
cache=${ILC_BENCH_CACHE:-/var/tmp/interlocutor-bench}
mkdir -p "$cache"; chmod 755 "$cache" 2>/dev/null || true
dovecot_conf=
cleanup() {
  [ -n "$dovecot_conf" ] && doveadm -c "$dovecot_conf" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
results=$work/results.tsv; : >"$results"

# --- corpora: NAME MBOX MAILDIR (both forms of the same messages) ------------------------------
corpora=()
add_corpus() { corpora+=("$1"); }
prepare_from_mbox() {  # NAME MBOX
  local name=$1 mbox=$2
  python3 bench/convert.py mbox-to-maildir "$mbox" "$work/$name.maildir" >/dev/null
  [ "$mbox" = "$work/$name.mbox" ] || ln -sf "$mbox" "$work/$name.mbox"
  add_corpus "$name"
}
shared=$root/../shared/corpora
if [ $smoke = 1 ]; then
  python3 bench/convert.py concat-mbox "$work/enron-5.mbox" $(ls "$shared"/enron-mbox/enron.allen-p.* | head -5)
  prepare_from_mbox enron-5 "$work/enron-5.mbox"
else
  # Mailing lists: every Maildir under lists/ with enough mail to time (linux-s390, usrp-users
  # and the like when present; open-iscsi in the shared set).
  for d in "$shared"/lists/*/; do
    [ -d "$d/cur" ] || [ -d "$d/new" ] || continue
    n=$(find "$d"/cur "$d"/new -maxdepth 1 -type f 2>/dev/null | wc -l || true)
    [ "$n" -ge 500 ] || continue
    name=list-$(basename "$d")
    python3 bench/convert.py maildir-to-mbox "$d" "$work/$name.mbox" >/dev/null
    prepare_from_mbox "$name" "$work/$name.mbox"
  done
  python3 bench/convert.py concat-mbox "$work/enron.mbox" "$shared"/enron-mbox/enron.*
  prepare_from_mbox enron "$work/enron.mbox"
fi
IFS=, read -ra size_list <<<"$sizes"
for size in "${size_list[@]}"; do
  n=${size,,}; n=${n/k/000}; n=${n/m/000000}
  gen=$cache/gen-$n-seed1-$(sha1sum bench/gen_corpus.py | cut -c1-8).mbox
  if [ ! -s "$gen" ]; then
    echo "generating $n messages into $gen" >&2
    python3 bench/gen_corpus.py --messages "$n" --seed 1 --out "$gen.tmp" && mv "$gen.tmp" "$gen"
  fi
  prepare_from_mbox "gen-$size" "$gen"
done

# --- Dovecot: a test-owned instance (no protocols, only the auth service doveadm needs) -------
if [ $peers = 1 ]; then
  start_bench_dovecot "$work/dovecot"
fi

# --- one measurement: TOOL KIND CORPUS RUN STORE_PATH COMMAND... -> a results line -----------
measure() {
  local tool=$1 kind=$2 corpus=$3 run=$4 store=$5; shift 5
  local input=$work/$corpus.$kind msgs inbytes t0 t1 secs kb
  # Wall time from bash's microsecond clock: /usr/bin/time's %e has 10 ms steps, 12 % of an
  # 80 ms ingest. The interval includes /usr/bin/time's own start (~1 ms), the same for every tool.
  t0=$EPOCHREALTIME
  if ! /usr/bin/time -f "%M" -o "$work/time" "$@" >"$work/out" 2>"$work/err"; then
    echo "run.sh: $tool failed on $corpus:" >&2; tail -5 "$work/err" >&2; exit 1
  fi
  t1=$EPOCHREALTIME
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  read -r kb < <(tail -1 "$work/time")
  msgs=$(cat "$work/$corpus.count")
  inbytes=$(du -sbL "$input" | cut -f1)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$corpus" "$tool" "$kind" "$run" "$secs" "$kb" \
    "$(du -scb $store 2>/dev/null | tail -1 | cut -f1)" "$msgs" "$inbytes" >>"$results"
}

for corpus in "${corpora[@]}"; do
  ls "$work/$corpus.maildir/cur" | wc -l >"$work/$corpus.count"
  echo "== $corpus: $(cat "$work/$corpus.count") messages, $(du -shL "$work/$corpus.mbox" | cut -f1)" >&2
  for run in $(seq "$runs"); do
    # Interlocutor on the mbox, then the same store re-ingested unchanged (incremental), then on the Maildir.
    rm -rf "$work/ilc"; mkdir -p "$work/ilc"
    measure "interlocutor ingest" mbox "$corpus" "$run" "$work/ilc/db*" \
      "$bin" ingest --quiet --db "$work/ilc/db" "$work/$corpus.mbox"
    measure "re-ingest, unchanged" mbox "$corpus" "$run" "$work/ilc/db*" \
      "$bin" ingest --quiet --db "$work/ilc/db" "$work/$corpus.mbox"
    rm -rf "$work/ilc"; mkdir -p "$work/ilc"
    measure "interlocutor ingest" maildir "$corpus" "$run" "$work/ilc/db*" \
      "$bin" ingest --quiet --db "$work/ilc/db" "$work/$corpus.maildir"
    [ $peers = 1 ] || continue
    # Dovecot's header index of the same mbox, from an empty index each run.
    rm -rf "$dv/idx" "$dv/home/mail"; mkdir -p "$dv/idx" "$dv/home/mail"
    chown -R "$dvuid:$dvgid" "$dv/idx" "$dv/home" 2>/dev/null || true
    measure "doveadm index" mbox "$corpus" "$run" "$dv/idx" \
      doveadm -c "$dv/dovecot.conf" -o "mail_location=mbox:$dv/home/mail:INBOX=$work/$corpus.mbox:INDEX=$dv/idx" \
      index -u bench INBOX
    rm -rf "$work/nm"; mkdir -p "$work/nm"
    cat >"$work/notmuch-config" <<CONF
[database]
path=$work/nm
mail_root=$work/$corpus.maildir
[user]
name=Bench
primary_email=bench@example.org
[new]
tags=
[maildir]
synchronize_flags=false
CONF
    measure "notmuch new" maildir "$corpus" "$run" "$work/nm" \
      env NOTMUCH_CONFIG="$work/notmuch-config" notmuch new --quiet
    rm -rf "$work/mu"
    mu init --quiet --muhome "$work/mu" --maildir "$work/$corpus.maildir" >/dev/null
    measure "mu index" maildir "$corpus" "$run" "$work/mu" mu index --quiet --muhome "$work/mu"
  done
  rm -rf "$work/nm" "$work/mu" "$work/$corpus.maildir/new"
done

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB, $(date -u +%F)"
python3 bench/table.py "$results"

# --- threads and analyze on the largest corpus's store -----------------------------------------
big=${corpora[-1]}
rm -rf "$work/ilc"; mkdir -p "$work/ilc"
# The owner: the generated mailboxes' sales team (vendeo.fr), else the seven Enron users.
owners=$(grep -a -o -m 5000 '^From: .*<[^>]*@vendeo\.fr>' "$work/$big.mbox" | sed 's/.*<\(.*\)>/--me \1/' | sort -u | tr '\n' ' ')
[ -n "$owners" ] || owners="--me phillip.allen@enron.com --me darron.giron@enron.com --me michelle.lokay@enron.com --me debra.perlingiere@enron.com --me dutch.quigley@enron.com --me elizabeth.sager@enron.com --me kimberly.watson@enron.com"
"$bin" ingest --quiet --db "$work/ilc/db" $owners "$work/$big.mbox" >/dev/null
echo
echo "| on $big ($(cat "$work/$big.count") messages) | wall s | peak RSS MB | output |"
echo "|---|---|---|---|"
/usr/bin/time -f "%e %M" -o "$work/time" "$bin" threads --db "$work/ilc/db" --format json >"$work/threads.json"
read -r s kb <"$work/time"
echo "| threads --format json | $s | $((kb / 1024)) | $(python3 -c "import json,sys;print(len(json.load(open(sys.argv[1]))['threads']))" "$work/threads.json") threads |"
now=$(python3 -c "import json,sys,datetime;d=max(t.get('last_date',0) for t in json.load(open(sys.argv[1]))['threads']);print(datetime.datetime.utcfromtimestamp(d).strftime('%Y-%m-%dT%H:%M:%SZ'))" "$work/threads.json")
/usr/bin/time -f "%e %M" -o "$work/time" "$bin" analyze --db "$work/ilc/db" --now "$now" --tz UTC --format json >"$work/analyze.json"
read -r s kb <"$work/time"
echo "| analyze --format json (--now $now) | $s | $((kb / 1024)) | $(python3 -c "import json,sys;print(len(json.load(open(sys.argv[1]))['findings']))" "$work/analyze.json") findings |"

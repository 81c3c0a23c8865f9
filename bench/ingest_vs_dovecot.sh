#!/usr/bin/env bash
# Full ingest against Dovecot's `doveadm index` only, on the same mboxes, interleaved (run 1 of both
# tools, then run 2, ...): the issue-13 target "ingest at least as fast as doveadm index". Faster
# than bench/run.sh (no Maildir, no notmuch/mu) so it can be rerun after each change.
#
#   bench/ingest_vs_dovecot.sh [--runs N] [--bin PATH]... [--corpora gen-100k,enron,list-open-iscsi]
#
# Several --bin give an A/B in the same run (old and new binary interleaved with doveadm). Prints one
# line per run: corpus, tool, wall s, user s, sys s, peak RSS MB; then the median wall per tool and its
# ratio to doveadm's (>= 1.00x: doveadm is slower, the target is met). The Dovecot instance is the
# one bench/run.sh writes (no protocols; under root it reads the mbox as nobody).
# ILC_BENCH_CACHE (default /var/tmp/interlocutor-bench) holds the generated corpus and the prepared mboxes.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/dovecot_instance.sh
root=$PWD
runs=3 bins=() corpora_arg=gen-100k,enron,list-open-iscsi
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift ;;
    --bin) bins+=("$(realpath "$2")"); shift ;;
    --corpora) corpora_arg=$2; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "ingest_vs_dovecot.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ ${#bins[@]} -gt 0 ] || bins=("$root/build-release/interlocutor")
for tool in doveadm dovecot python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "ingest_vs_dovecot.sh: $tool is required" >&2; exit 1; }
done

cache=${ILC_BENCH_CACHE:-/var/tmp/interlocutor-bench}
shared=$root/../shared/corpora
work=$(mktemp -d); chmod 755 "$work"
dovecot_conf=
cleanup() {
  [ -n "$dovecot_conf" ] && doveadm -c "$dovecot_conf" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- corpora: one mbox each, prepared once into the cache ------------------------------------
mbox_of() {  # NAME -> path of its mbox (made on first use)
  local name=$1 out
  case $name in
    gen-*)
      local n=${name#gen-}; n=${n/k/000}; n=${n/m/000000}
      out=$cache/gen-$n-seed1-$(sha1sum bench/gen_corpus.py | cut -c1-8).mbox
      if [ ! -s "$out" ]; then
        python3 bench/gen_corpus.py --messages "$n" --seed 1 --out "$out.tmp" >&2 && mv "$out.tmp" "$out"
      fi ;;
    enron)
      out=$cache/ingest-enron.mbox
      [ -s "$out" ] || python3 bench/convert.py concat-mbox "$out" "$shared"/enron-mbox/enron.* >/dev/null ;;
    list-*)
      out=$cache/ingest-$name.mbox
      [ -s "$out" ] || python3 bench/convert.py maildir-to-mbox "$shared/lists/${name#list-}" "$out" >/dev/null ;;
    *) echo "ingest_vs_dovecot.sh: unknown corpus $name" >&2; exit 2 ;;
  esac
  chmod 644 "$out" 2>/dev/null || true
  echo "$out"
}

# --- Dovecot: the bench/run.sh instance ---------------------------------------------------------
start_bench_dovecot "$work/dovecot"

results=$work/results.tsv; : >"$results"
measure() {  # CORPUS TOOL COMMAND...
  local corpus=$1 tool=$2; shift 2
  if ! /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err"; then
    echo "ingest_vs_dovecot.sh: $tool failed on $corpus:" >&2; tail -5 "$work/err" >&2; exit 1
  fi
  read -r e u s kb < <(tail -1 "$work/time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$corpus" "$tool" "$e" "$u" "$s" "$((kb / 1024))" | tee -a "$results"
}

IFS=, read -ra corpora <<<"$corpora_arg"
printf 'corpus\ttool\twall_s\tuser_s\tsys_s\trss_MB\n'
for corpus in "${corpora[@]}"; do
  mbox=$(mbox_of "$corpus")
  for run in $(seq "$runs"); do
    for i in "${!bins[@]}"; do
      rm -rf "$work/ilc"; mkdir -p "$work/ilc"
      measure "$corpus" "interlocutor#$i" "${bins[$i]}" ingest --quiet --db "$work/ilc/db" "$mbox"
    done
    rm -rf "$dv/idx" "$dv/home/mail"; mkdir -p "$dv/idx" "$dv/home/mail"
    chown -R "$dvuid:$dvgid" "$dv/idx" "$dv/home" 2>/dev/null || true
    measure "$corpus" doveadm doveadm -c "$dv/dovecot.conf" \
      -o "mail_location=mbox:$dv/home/mail:INBOX=$mbox:INDEX=$dv/idx" index -u bench INBOX
  done
done

echo
for i in "${!bins[@]}"; do echo "interlocutor#$i = ${bins[$i]}"; done
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
by = {}
for c, t, e, u, s, kb in rows:
    by.setdefault(c, {}).setdefault(t, []).append((float(e), float(u) + float(s)))
print("| corpus | tool | runs | wall s (median) | user+sys s (median) | doveadm wall / tool wall |")
print("|---|---|---|---|---|---|")
for c, tools in by.items():
    dv = statistics.median(w for w, _ in tools.get("doveadm", [(float("nan"), 0)]))
    for t, xs in tools.items():
        w = statistics.median(x for x, _ in xs)
        cpu = statistics.median(x for _, x in xs)
        print(f"| {c} | {t} | {len(xs)} | {w:.2f} | {cpu:.2f} | {dv / w:.2f}x |")
PY

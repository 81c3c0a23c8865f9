#!/usr/bin/env bash
# Runs every libFuzzer harness of BUILD_DIR for SECONDS each, seeded from ../shared/corpora/torture
# (a copy: libFuzzer writes new inputs into its first corpus dir). Crashes fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-fuzz}; secs=${2:-20}
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
# Small files only: the seed corpus is mail, not the 10 MB oddities.
find ../shared/corpora/torture -type f -size -64k \( -name '*.eml' -o -name '*.msg' -o -name '*.txt' -o -name '*.mbox' \) \
  | grep -v -i spamscope | head -400 | while read -r f; do cp "$f" "$seeds/$(echo "$f" | md5sum | cut -c1-16)"; done
status=0
for h in "$dir"/fuzz_*; do
  [ -x "$h" ] || continue
  name=$(basename "$h")
  work=$(mktemp -d)
  if "$h" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 "$work" "$seeds" \
        >"$dir/$name.log" 2>&1; then
    echo "fuzz: $name ok ($(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$dir/$name.log" | awk '{print $2}')" \
         "runs in ${secs}s)"
  else
    echo "fuzz: $name FAILED"; tail -30 "$dir/$name.log"; status=1
  fi
  rm -rf "$work"
done
exit $status

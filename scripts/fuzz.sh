#!/usr/bin/env bash
# Runs every libFuzzer harness of BUILD_DIR for SECONDS each, seeded from ../shared/corpora/torture
# (a copy: libFuzzer writes new inputs into its first corpus dir). Crashes and leaks fail the run.
# A fixed seed (ILC_FUZZ_SEED, default 1) keeps the test command repeatable; long fuzzing
# sessions vary it: ILC_FUZZ_SEED=$RANDOM scripts/fuzz.sh build-fuzz 600.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-fuzz}; secs=${2:-20}
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
# Small files only: the seed corpus is mail, not the 10 MB oddities.
# (No `head` in a pipeline: under pipefail its SIGPIPE to the writer would abort the script.)
if [ -d ../shared/corpora/torture ]; then
  n=0
  while IFS= read -r f; do
    case "$f" in *[Ss]pam[Ss]cope*) continue ;; esac
    cp "$f" "$seeds/$(printf '%s' "$f" | md5sum | cut -c1-16)"
    n=$((n + 1)); [ "$n" -ge 400 ] && break
  done < <(find ../shared/corpora/torture -type f -size -64k \( -name '*.eml' -o -name '*.msg' -o -name '*.txt' -o -name '*.mbox' \) | sort)
else
  echo "fuzz: ../shared/corpora/torture not found, starting from an empty corpus"
fi
status=0
found=0
while IFS= read -r h; do
  found=1
  name=$(basename "$h")
  work=$(mktemp -d)
  if "$h" -seed="${ILC_FUZZ_SEED:-1}" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 "$work" "$seeds" \
        >"$dir/$name.log" 2>&1; then
    echo "fuzz: $name ok ($(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$dir/$name.log" | awk '{print $2}')" \
         "runs in ${secs}s)"
  else
    echo "fuzz: $name FAILED"; tail -30 "$dir/$name.log"; status=1
  fi
  rm -rf "$work"
done < <(find "$dir" -type f -name 'fuzz_*' ! -name '*.*' -perm -u+x | sort)
[ $found -eq 1 ] || { echo "fuzz: no harness built in $dir"; status=1; }
exit $status

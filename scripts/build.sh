#!/usr/bin/env bash
# Configures and builds Interlocutor. Usage: scripts/build.sh [BUILD_DIR] [extra cmake args...]
# Prints nothing on success but a one-line summary; on failure, the end of the compiler output.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}; shift || true
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$dir"
log="$dir/build.log"
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$log" 2>&1 || { cat "$log"; exit 1; }
fi
start=$(date +%s)
if ! cmake --build "$dir" -j"$jobs" >"$log" 2>&1; then
  grep -E "error|Error" -A3 "$log" | head -60
  echo "build failed: see $log" >&2
  exit 1
fi
echo "build: $dir ready in $(( $(date +%s) - start )) s" >&2

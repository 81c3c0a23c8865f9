#!/bin/sh
# bench/team_bench.sh [--reps N] [--messages M] [--queries Q]: N simulated reps publish M messages'
# worth of team data each, concurrently, into a real PostgreSQL cluster started for the run
# (tests/team/with_pg.sh), while a manager queries the team service; prints publish times and
# query p50/p99. Defaults are small (5 x 2,000); docs/TEAM.md has the 50 x 20,000 figures.
# ILC_BENCH_BUILD_DIR selects the build (default build-release, configured here if missing).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ILC_BENCH_BUILD_DIR:-$root/build-release}
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target team_bench -j2 >/dev/null
ILC_PG_MAX_CONNECTIONS=${ILC_PG_MAX_CONNECTIONS:-200} \
    "$root/tests/team/with_pg.sh" sh -c '"$0" --team "$ILC_TEAM_PG_URL" "$@"' "$build/tests/team/team_bench" "$@"

#!/usr/bin/env bash
# core/text regression and cost check (issue 13): dumps every understand() decision on the dev
# mailbox, the Enron mboxes and the open-iscsi list, prints its sha256 and the time spent in
# understand(). Run it before and after a change to core/text: the hashes must be identical.
#   bench/text_profile.sh [BUILD_DIR] [OUT_FILE]
# With ILC_CALLGRIND=1 it also runs the dev mailbox under callgrind and prints the instruction
# count of understand() and its callees (inclusive).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
out="${2:-/tmp/ilc-text-dump.txt}"
corpora="$(cd "$here/../shared/corpora" && pwd)"
tool="$build/tests/text/text_dump"
if [[ ! -x "$tool" ]]; then
    echo "text_profile: $tool missing; build it: cmake --build $build --target text_dump" >&2
    exit 1
fi
sources=("$corpora"/dev/mbox/*.mbox "$corpora"/enron-mbox/enron.* "$corpora/lists/open-iscsi")
"$tool" "${sources[@]}" > "$out"
sha256sum "$out"
if [[ "${ILC_CALLGRIND:-0}" == 1 ]]; then
    cg="$(mktemp /tmp/ilc-text-cg.XXXXXX)"
    valgrind --tool=callgrind --callgrind-out-file="$cg" "$tool" "$corpora"/dev/mbox/*.mbox > /dev/null 2>&1
    total=$(callgrind_annotate "$cg" 2>/dev/null | awk '/PROGRAM TOTALS/ {print $1}')
    understand=$(callgrind_annotate --inclusive=yes "$cg" 2>/dev/null | awk '/ilc::text::understand\(/ && !n {print $1; n = 1}')
    echo "callgrind (dev mbox): program $total Ir, understand() inclusive $understand Ir"
    rm -f "$cg"
fi

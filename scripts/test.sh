#!/usr/bin/env bash
# Every test: the Catch2 suites through ctest (unit, corpora, integration), the parsers again
# under AddressSanitizer + UndefinedBehaviorSanitizer, the libFuzzer harnesses briefly, and a
# benchmark smoke run. Ends with ctest's "N tests passed, M failed" lines.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc 2>/dev/null || echo 2)
scripts/setup.sh --test

echo "== build"
scripts/build.sh build

echo "== sanitizer build (ASan + UBSan)"
if [ ! -f build-asan/CMakeCache.txt ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DILC_SANITIZE=ON >/dev/null
fi
cmake --build build-asan -j"$jobs" --target test_parsers --target test_text >build-asan.log 2>&1 || { tail -40 build-asan.log; exit 1; }

echo "== fuzz harnesses (clang libFuzzer, ${ILC_FUZZ_SECONDS:=20} s each)"
if [ ! -f build-fuzz/CMakeCache.txt ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DILC_FUZZ=ON -DILC_BUILD_TESTS=OFF >/dev/null
fi
fuzz_targets=$(ls tests/fuzz/fuzz_*.cpp | xargs -n1 basename | sed 's/\.cpp$//' | sed 's/^/--target /' | xargs)
cmake --build build-fuzz -j"$jobs" $fuzz_targets >build-fuzz.log 2>&1 || { tail -40 build-fuzz.log; exit 1; }

echo "== tests"
status=0
ctest --test-dir build --output-on-failure -j"$jobs" 2>&1 | tee build/ctest.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
echo "== tests under sanitizers"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -R '^(test_parsers|test_text)$' || status=1
echo "== fuzzing"
scripts/fuzz.sh build-fuzz "$ILC_FUZZ_SECONDS" || status=1
echo "== benchmark smoke (figures only, no timing asserts)"
ILC_BENCH_BUILD_DIR=build bench/run.sh --smoke || status=1
echo "== summary"
grep -E "tests passed|tests failed" build/ctest.log || true
[ $status -eq 0 ] && echo "all suites passed" || echo "SOME SUITES FAILED"
exit $status

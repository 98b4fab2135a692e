#!/usr/bin/env bash
# test.sh — builds w2s twice (Release, and ASan+UBSan) and runs the whole ctest suite on both.
# Benchmarks are built (so they keep compiling) but not run: speed lives in docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

# ctest in the given build dir, with its arguments. A skipped test (exit 77, or a skipped
# cmocka case) is "not run", never "passed": with CI set, where everything must run, a skipped
# test fails the whole run.
run_ctest() {
  local dir=$1
  shift
  local log
  log=$(mktemp)
  (cd "$dir" && ctest --output-on-failure -j "$jobs" "$@") 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" = 0 ] && [ -n "${CI:-}" ] && grep -q '\*\*\*Skipped\|(Skipped)' "$log"; then
    echo "test.sh: tests were skipped in CI, where every test must run:"
    grep '\*\*\*Skipped\|(Skipped)' "$log"
    rc=1
  fi
  rm -f "$log"
  return "$rc"
}

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$jobs"
run_ctest build

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DW2S_SANITIZE=ON -DW2S_BUILD_BENCH=OFF
cmake --build build-asan -j "$jobs"
# Under sanitizers, tests that only cross-check against external programs (labelled "external")
# add no coverage of our memory safety, so they run once, above; the script tests that drive
# w2s itself run in both passes.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_ctest build-asan -LE external

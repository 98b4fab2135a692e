#!/usr/bin/env bash
# test.sh — builds w2s twice (Release, and ASan+UBSan) and runs the whole ctest suite on both.
# Benchmarks are built (so they keep compiling) but not run: speed lives in docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs")

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DW2S_SANITIZE=ON -DW2S_BUILD_BENCH=OFF
cmake --build build-asan -j "$jobs"
# Under sanitizers, tests that only cross-check against external programs (labelled "external")
# add no coverage of our memory safety, so they run once, above; the script tests that drive
# w2s itself run in both passes.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j "$jobs" -LE external)

#!/usr/bin/env bash
# test_neon_qemu.sh — the AArch64 kernels, tested on this x86 host: cross-builds the kernel
# layers and their tests (cmake/aarch64-toolchain.cmake, -DW2S_KERNELS_ONLY=ON) into
# $W2S_BUILD_DIR/aarch64 and runs that ctest under qemu-aarch64 -cpu max, once per active level.
# Not a speed test (emulation). The one thing to know: -cpu max exposes dotprod and bf16, so
# the detected level is neon_bf16 and the tests that sweep w2s_isa_supported() cover every
# NEON level; the W2S_ISA=neon / neon_dotprod runs cover code that follows w2s_isa_active().
set -euo pipefail

src=${W2S_SOURCE_DIR:?W2S_SOURCE_DIR not set (run through ctest)}
build=${W2S_BUILD_DIR:?W2S_BUILD_DIR not set (run through ctest)}/aarch64

for tool in aarch64-linux-gnu-gcc qemu-aarch64 cmake ninja; do
  command -v "$tool" >/dev/null || { echo "test_neon_qemu: $tool not found; run scripts/setup.sh" >&2; exit 1; }
done
# qemu runs the binaries with the multiarch arm64 glibc (see the toolchain file).
for f in /usr/lib/aarch64-linux-gnu/pkgconfig/cmocka.pc /lib/ld-linux-aarch64.so.1; do
  [[ -e $f ]] || { echo "test_neon_qemu: $f missing (arm64 multiarch libraries); run scripts/setup.sh" >&2; exit 1; }
done

start=$SECONDS
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$src/cmake/aarch64-toolchain.cmake" -DW2S_KERNELS_ONLY=ON >/dev/null
cmake --build "$build" -j2
echo "test_neon_qemu: cross build $((SECONDS - start)) s"

# Emulated OpenMP threads that spin while waiting cost real host cores; _mt tests only need
# the threads to exist.
export OMP_WAIT_POLICY=passive
# The GEMM tests loop over every level w2s_isa_supported() admits and name each level's kernel,
# so under the detected neon_bf16 they already cover neon and neon_dotprod; a forced lower level
# would repeat them bit for bit at ~1 min of emulation each. The forced runs skip them.
sweeps_all_levels='^test_gemm'
# test_neon_dispatch checks that qemu's CPU is detected as neon_bf16 (so the sweeps above reach
# every NEON kernel) and that each forced W2S_ISA level is the active one.
export W2S_EXPECT_ISA=neon_bf16
cd "$build"
for level in neon_bf16 neon_dotprod neon; do
  t0=$SECONDS
  log="$build/ctest_$level.log"
  exclude=()
  [[ $level == neon_bf16 ]] || exclude=(-E "$sweeps_all_levels")
  if ! W2S_ISA=$level ctest -j2 --output-on-failure -V "${exclude[@]}" >"$log" 2>&1; then
    grep -E "Failed|FAILED|\*\*\*|error" "$log" | head -40 >&2 || true
    echo "test_neon_qemu: ctest failed with W2S_ISA=$level (full log: $log)" >&2
    exit 1
  fi
  echo "test_neon_qemu: W2S_ISA=$level: $(grep -E '% tests passed' "$log") ($((SECONDS - t0)) s)"
done
echo "test_neon_qemu: total $((SECONDS - start)) s"

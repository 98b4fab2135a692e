#!/usr/bin/env bash
# setup.sh — installs everything w2s needs on Debian 12 (run as root). Idempotent.
# Build: gcc/cmake/ninja, oneDNN, hwloc, Google Benchmark, jansson (JSON), PCRE2 (Unicode
# regex for the GPT-2 tokenizer), GNU libmicrohttpd (w2s serve), OpenMPI (runs across machines
# under mpirun/srun; its mpirun also runs the MPI tests), cmocka (tests). Tests: Debian's
# python3-torch (cross-checks), node/npm (the reference GPT-2 encoder), the aarch64 cross compiler, its arm64 libraries and
# qemu-user (NEON kernels), clang + libFuzzer (short fuzz runs), Chromium (the profile page
# is checked in a real headless browser). Benchmarks: OpenBLAS (OpenMP build), so the PyTorch
# fp32 baseline runs at its best rather than on Debian's reference BLAS; wrk loads w2s serve. Demo:
# dataset-fashion-mnist.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

native=(build-essential cmake ninja-build pkg-config git
        libdnnl-dev libhwloc-dev libbenchmark-dev libjansson-dev libpcre2-dev libcmocka-dev zlib1g-dev
        libmicrohttpd-dev wrk libopenmpi-dev openmpi-bin
        python3 python3-torch python3-numpy python3-onnx python3-pytest python3-pip python3-setuptools
        libopenblas0-openmp dataset-fashion-mnist
        gcc-aarch64-linux-gnu qemu-user clang libclang-rt-14-dev chromium)
arm64=(libcmocka-dev:arm64 libgomp1:arm64)

missing() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
fi
todo=$(missing "${native[@]}" "${arm64[@]}")
# Node.js may come from another source (e.g. NodeSource's nodejs bundles npm, and Debian's npm
# conflicts with it): install Debian's only when the commands are absent.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  todo="$todo nodejs npm"
fi
if [ -n "$todo" ]; then
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq $todo
fi
echo "setup: all dependencies installed"

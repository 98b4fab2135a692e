# common.sh — sourced by the shell tests (tests/*/test_*.sh, run by ctest with W2S_BIN,
# W2S_BUILD_DIR and W2S_SOURCE_DIR set): the failure helper, the fixture generator and the
# scratch directory most of them work in.
fail() { echo "FAIL: $*" >&2; exit 1; }
PROBE="$W2S_BUILD_DIR/tests/probe_w2s_fixture"

# Runs the command, which must fail with exactly one line on stderr containing the pattern (the
# CLI's error convention). usage: expect_error PATTERN COMMAND...
expect_error() {
    local pat="$1"; shift
    if "$@" > /dev/null 2> err.txt; then fail "succeeded: $*"; fi
    [ "$(wc -l < err.txt)" = 1 ] || { cat err.txt; fail "not one line: $*"; }
    grep -q -- "$pat" err.txt || { cat err.txt; fail "message lacks '$pat': $*"; }
    echo "error ok: $(cat err.txt)"
}

# T = a new scratch directory, removed at exit, made the working directory. For tests whose
# exit trap has nothing else to do (the others set T and their own trap).
scratch_dir() {
  T=$(mktemp -d)
  trap 'rm -rf "$T"' EXIT
  cd "$T"
}

# The tiny weak/strong pair the protocol tests train, and data.jsonl for them: weak 1 layer,
# C 16; strong 2 layers, C 32; vocabulary 64, context 32; N examples from seed S.
tiny_pair() {  # N S
  "$PROBE" model weak 1 2 16 64 32 1
  "$PROBE" model strong 2 2 32 64 32 2
  "$PROBE" data data.jsonl "$1" 64 "$2"
}

# A briefly trained tiny classifier, model.safetensors (2 layers, C 32, vocabulary 64), and
# data.jsonl of N examples from seed 7 it was trained on, for the labeling tests.
tiny_classifier() {  # N EPOCHS
  "$PROBE" model m 2 2 32 64 32 1
  "$PROBE" data data.jsonl "$1" 64 7
  "$W2S_BIN" train --model m --data data.jsonl --out model.safetensors --lr 1e-3 --epochs "$2" --quiet > /dev/null
}

# Like scratch_dir, in /dev/shm where it exists (fsync costs nothing there), for tests that run
# w2s in the background: the exit trap also kills the process whose id is in $pid.
scratch_dir_bg() {
  T=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
  pid=""
  trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$T"' EXIT
  cd "$T"
}

# Exits with an install hint when Debian's dataset-fashion-mnist is missing (the demo tests).
require_fashion_mnist() {
  [ -r /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] ||
    fail "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)"
}

# The demo tests' start: Fashion-MNIST present, tmp = a scratch directory removed at exit.
demo_scratch() {
  require_fashion_mnist
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
}

# common.sh — sourced by the shell tests (tests/*/test_*.sh, run by ctest with W2S_BIN,
# W2S_BUILD_DIR and W2S_SOURCE_DIR set): the failure helper, the fixture generator and the
# scratch directory most of them work in.
fail() { echo "FAIL: $*" >&2; exit 1; }
PROBE="$W2S_BUILD_DIR/tests/probe_w2s_fixture"

# T = a new scratch directory, removed at exit, made the working directory. For tests whose
# exit trap has nothing else to do (the others set T and their own trap).
scratch_dir() {
  T=$(mktemp -d)
  trap 'rm -rf "$T"' EXIT
  cd "$T"
}

# Exits with an install hint when Debian's dataset-fashion-mnist is missing (the demo tests).
require_fashion_mnist() {
  [ -r /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] ||
    fail "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)"
}

# test_fuzz_short.sh — CI's short fuzz pass: every tests/fuzz/fuzz_*.c target for W2S_FUZZ_SECONDS
# (default 20) seconds each through scripts/fuzz, from its generated seed corpus, in a fresh
# directory. A crash, leak, sanitizer report or broken invariant fails the test. The targets
# bring their own sanitizers (-fsanitize=fuzzer,address,undefined), so this .sh is labelled
# "external" and the ASan pass skips it. Skipped (exit 77, ctest's SKIP_RETURN_CODE) where
# clang's libFuzzer runtime is missing (Debian: clang + libclang-rt-14-dev).
set -eu
CC=${CLANG:-clang}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }' > "$T/probe.c"
if ! "$CC" -fsanitize=fuzzer "$T/probe.c" -o "$T/probe" 2> "$T/probe.err"; then
    echo "SKIPPED: $CC cannot build a libFuzzer binary ($(head -1 "$T/probe.err"))"
    exit 77
fi
W2S_FUZZ_DIR="$T/fuzz" bash "$W2S_SOURCE_DIR/scripts/fuzz" "${W2S_FUZZ_SECONDS:-20}"

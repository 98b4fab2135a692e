# test_cli_opts.sh — every `w2s` subcommand reads its options the same way (runtime/api/cli_opts.c):
# --help / -h print the usage on stdout and exit 0; an unknown or abbreviated option, a missing
# value, a bad number (junk, out of range, negative, past 64 bits), a value given to a flag or a
# positional argument is one line "w2s <cmd>: ... (see w2s <cmd> --help)" on stderr, exit 2,
# nothing on stdout; "--name=value" works and an option given twice keeps its last value.
# Needs no model files: every case stops before any work.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
scratch_dir

# usage_error "message part" cmd args...: exit 2, one stderr line in the common format, no stdout.
usage_error() {
    local want=$1 cmd=$2
    shift 2
    local rc=0
    "$W2S_BIN" "$@" > out.txt 2> err.txt || rc=$?
    [ "$rc" = 2 ] || { cat err.txt; fail "w2s $*: exit $rc, expected 2"; }
    [ ! -s out.txt ] || fail "w2s $*: wrote to stdout: $(cat out.txt)"
    [ "$(wc -l < err.txt)" = 1 ] || { cat err.txt; fail "w2s $*: not one line"; }
    grep -qF -- "w2s $cmd: $want" err.txt || fail "w2s $*: expected 'w2s $cmd: $want', got: $(cat err.txt)"
    grep -qF -- "(see w2s $cmd --help)" err.txt || fail "w2s $*: no help pointer: $(cat err.txt)"
}

# Every subcommand, with one of its options that takes a value.
while IFS=: read -r cmd opt; do
    # shellcheck disable=SC2086  # "bench train" is two words on purpose
    "$W2S_BIN" $cmd --help > help.txt 2> help.err || fail "w2s $cmd --help failed"
    grep -q "^usage: w2s $cmd" help.txt || fail "w2s $cmd --help: $(head -1 help.txt)"
    [ ! -s help.err ] || fail "w2s $cmd --help wrote to stderr"
    "$W2S_BIN" $cmd -h | cmp -s - help.txt || fail "w2s $cmd -h differs from --help"
    usage_error "unknown option '--bogus'" "$cmd" $cmd --bogus
    usage_error "unknown option '-x'" "$cmd" $cmd -x
    usage_error "$opt needs a value" "$cmd" $cmd "$opt"
    usage_error "unexpected argument 'extra'" "$cmd" $cmd extra
done << 'EOF'
bench train:--batch
bench label:--batch
bench pipeline:--batch
demo:--out
eval:--model
info:--weak
label:--model
pretrain:--data
profile:--batch
run:--weak
sweep:--models
tokenize:--vocab
train:--data
EOF

# Numbers: junk, below the range, negative, a sign, past 64 bits, above the range.
for v in x 0 -1 +5 " 5" 5x 99999999999999999999 18446744073709551616; do
    usage_error "bad value '--batch $v': expected an integer >= 1" train train --batch "$v"
done
usage_error "bad value '--batch 4097': expected an integer from 1 to 4096" label label --batch 4097
usage_error "bad value '--threads 0': expected an integer from 1 to 4096" eval eval --threads 0
usage_error "bad value '--lr 0': expected a number in (0, 1]" train train --lr 0
usage_error "bad value '--lr 1e-50': expected a number in (0, 1]" run run --lr 1e-50
usage_error "bad value '--lr nan': expected a number in [1e-12, 10]" pretrain pretrain --lr nan
usage_error "bad value '--head-std 1000': expected a number in (0, 1000)" "bench label" bench label --head-std 1000
usage_error "bad value '--precision fp16': expected bf16 or fp32" train train --precision fp16
usage_error "bad value '--precision int4': expected int8, bf16 or fp32" label label --precision int4
usage_error "bad value '--plan x': expected auto, split or interleaved" "bench pipeline" bench pipeline --plan x
usage_error "bad value '--seeds 1,,2': expected 1 to 64 comma-separated integers" demo demo --seeds 1,,2
usage_error "bad value '--task foo': expected pullover-coat, upper-body or classes" demo demo --task foo
usage_error "--group takes distinct Fashion-MNIST classes 0..9, got 2 twice" demo demo --group 4,2,2
usage_error "--group takes distinct Fashion-MNIST classes 0..9, got 10 twice or out of range" demo demo --group 10
usage_error "bad value '--threshold median': expected batch, running or argmax" demo demo --threshold median
usage_error "bad value '--seeds 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16'" run run --seeds 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16
usage_error "bad value '--losses xent,xent'" run run --losses xent,xent
usage_error "bad value '--loss foo': expected xent, logconf or product" train train --loss foo
usage_error "bad value '--betas 0.9'" pretrain pretrain --betas 0.9
# The whole name, the value where it belongs.
usage_error "unknown option '--mod'" train train --mod m
usage_error "unknown option '--he'" eval eval --he
usage_error "--quiet takes no value, got '--quiet=1'" label label --quiet=1
usage_error "bad value '--batch 0'" train train --batch=0
# What each command checks after reading its options keeps the same format.
usage_error "--model, --data and --out are required" train train --model m --data d
usage_error "--weak and --strong go together" info info --weak gpt2
usage_error "--weak is chosen by the sweep" sweep sweep --models a,b --weak a --out o
# `w2s --profile <cmd>`: main.c takes --profile off before dispatch (its report goes to stdout).
rc=0
W2S_PROFILE_DIR="$T" "$W2S_BIN" --profile info --bogus > /dev/null 2> err.txt || rc=$?
[ "$rc" = 2 ] && grep -q "^w2s info: unknown option '--bogus'" err.txt || fail "--profile info --bogus: $rc $(cat err.txt)"

# "--name=value", and the last of two values wins (a released name needs no files).
plan=$(HWLOC_SYNTHETIC="pack:1 [numa] core:2 pu:1" "$W2S_BIN" info --weak=nope --weak gpt2 --strong=gpt2-medium)
echo "$plan" | grep -q "w2s run gpt2 -> gpt2-medium:" || fail "--name=value / last value: $plan"
echo "cli options ok"

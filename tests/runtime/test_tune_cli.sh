# test_tune_cli.sh — `w2s tune` stores its choice for this CPU and every later command uses it:
# `w2s info` names the configuration and where it came from (built-in, then the wisdom file);
# a corrupt wisdom file is ignored with a note on stderr and the built-in choice stays; a bad
# --arch is one error line.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
scratch_dir
export XDG_CACHE_HOME="$T/cache"
"$W2S_BIN" info > info0.txt
grep -q "^gemm from: built-in for " info0.txt || fail "no built-in source: $(cat info0.txt)"
grep -q "^gemm f32 " info0.txt || fail "no f32 configuration shown"
"$W2S_BIN" tune --reps 1 > tune.txt || fail "w2s tune failed: $(cat tune.txt)"
cat tune.txt
grep -q "<- chosen" tune.txt || fail "no choice printed"
stored=$(sed -n 's/^stored: //p' tune.txt)
[ -f "$stored" ] || fail "no wisdom file at '$stored'"
case "$stored" in "$XDG_CACHE_HOME"/w2s/*) ;; *) fail "wisdom stored outside \$XDG_CACHE_HOME/w2s: $stored" ;; esac
secs=$(sed -n 's/^tuned in \([0-9.]*\) s$/\1/p' tune.txt)
"$W2S_BIN" info > info1.txt 2> err1.txt
grep -q "^gemm from: wisdom $stored (w2s tune --arch gpt2, " info1.txt || fail "stored choice not used: $(cat info1.txt)"
[ ! -s err1.txt ] || fail "notes on a valid wisdom file: $(cat err1.txt)"
# The chosen f32 configuration is the one info shows.
chosen=$(grep "^f32 .*<- chosen" tune.txt | awk '{print $2, $3, $4, $5, $6}')
grep -q "^gemm f32   $chosen\$" info1.txt || fail "info shows another f32 configuration than '$chosen'"
echo '{"format": "w2s-gemm-wisdom", "configs": ' > "$stored"
"$W2S_BIN" info > info2.txt 2> err2.txt
grep -q "ignoring $stored: not a wisdom file" err2.txt || fail "no note for a corrupt file: $(cat err2.txt)"
grep -q "^gemm from: built-in for " info2.txt || fail "corrupt file not ignored: $(cat info2.txt)"
rm "$stored"
if "$W2S_BIN" tune --arch gpt9 > /dev/null 2> err3.txt; then fail "--arch gpt9 accepted"; fi
[ "$(wc -l < err3.txt)" -le 2 ] || fail "bad --arch is not one error line: $(cat err3.txt)"
echo "tuned in $secs s"

# test_info_topology.sh — `w2s info` shows the topology and the default placement, runs
# OpenMP with a brief spin before sleeping unless the user chose a wait policy
# (team_wait_policy_apply re-executes the program once), honours the process affinity (taskset confines placement) and hwloc's
# HWLOC_SYNTHETIC (a preview of another machine).
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
scratch_dir
out=$(env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT "$W2S_BIN" info)
echo "$out"
echo "$out" | grep -q "wait policy brief spin (GOMP_SPINCOUNT=1000" || fail "default run does not spin briefly"
echo "$out" | grep -q "^topology:  this machine" || fail "no topology section"
echo "$out" | grep -q "^placement: " || fail "no placement section"
echo "$out" | grep -q "ring slots on node" || fail "no ring node"
OMP_WAIT_POLICY=active "$W2S_BIN" info | grep -q "wait policy active" || fail "user's OMP_WAIT_POLICY overridden"
GOMP_SPINCOUNT=1000 "$W2S_BIN" info | grep -q "wait policy spin GOMP_SPINCOUNT" || fail "user's GOMP_SPINCOUNT overridden"
OMP_WAIT_POLICY=passive "$W2S_BIN" info | grep -q "wait policy passive" || fail "user's passive overridden"
# One allowed PU: a 1-core machine as far as placement is concerned.
first=$(taskset -pc $$ | sed 's/.*: //; s/[-,].*//')
one=$(taskset -c "$first" "$W2S_BIN" info)
echo "$one" | grep -q "1 cores" || fail "taskset -c $first not honoured: $one"
echo "$one" | grep -q "sequential (only 1 core)" || fail "1-core placement is not sequential"
# hwloc's HWLOC_SYNTHETIC previews another machine: whole NUMA nodes, one PU per core.
syn=$(HWLOC_SYNTHETIC="pack:2 [numa] core:8 pu:2" "$W2S_BIN" info)
echo "$syn" | grep -q "^topology:  HWLOC_SYNTHETIC=pack:2 \[numa\] core:8 pu:2 (not this machine" || fail "synthetic source: $syn"
echo "$syn" | grep -q "label: 8 threads on 8 cores, PUs 0,2,4,6,8,10,12,14, memory on node 0" || fail "synthetic placement: $syn"
echo "$syn" | grep -q "ring slots on node 1" || fail "synthetic ring node: $syn"
# The plan w2s run would use for a pair: 2 cores cannot split gpt2 -> gpt2-medium without
# idling one (estimated gain 0.56), 8 can (1 + 7 cores, gain 0.98).
two=$(HWLOC_SYNTHETIC="pack:1 [numa] core:2 pu:1" "$W2S_BIN" info --weak gpt2 --strong gpt2-medium)
echo "$two" | grep -q "w2s run gpt2 -> gpt2-medium: 124M -> 355M parameters.* gain 0.56" || fail "pair plan header: $two"
echo "$two" | grep -q "^placement: interleaved" || fail "2-core pair plan is not interleaved: $two"
eight=$(HWLOC_SYNTHETIC="pack:1 [numa] core:8 pu:1" "$W2S_BIN" info --weak gpt2 --strong gpt2-medium)
echo "$eight" | grep -q "gain 0.98" || fail "8-core gain: $eight"
echo "$eight" | grep -q "label: 1 thread on 1 core, PUs 0," || fail "8-core pair plan: $eight"
echo "$eight" | grep -q "train: 7 threads on 7 cores, PUs 1-7," || fail "8-core pair plan: $eight"
"$W2S_BIN" info --weak gpt2 2> half.err > /dev/null && fail "--weak alone accepted"
grep -q "go together" half.err || fail "--weak alone: $(cat half.err)"
"$W2S_BIN" info --weak gpt2 --strong /nonexistent 2> bad.err > /dev/null && fail "missing strong model accepted"
grep -q "/nonexistent" bad.err || fail "missing model not named: $(cat bad.err)"
echo "ok"

# test_info_topology.sh — `w2s info` shows the topology and the default placement, runs
# OpenMP passive unless the user chose a wait policy (team_wait_policy_apply re-executes
# the program once), honours the process affinity (taskset confines placement) and hwloc's
# HWLOC_SYNTHETIC (a preview of another machine).
set -eu
out=$(env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT "$W2S_BIN" info)
echo "$out"
fail() { echo "FAIL: $*" >&2; exit 1; }
echo "$out" | grep -q "wait policy passive" || fail "default run is not passive"
echo "$out" | grep -q "^topology:  this machine" || fail "no topology section"
echo "$out" | grep -q "^placement: " || fail "no placement section"
echo "$out" | grep -q "ring slots on node" || fail "no ring node"
OMP_WAIT_POLICY=active "$W2S_BIN" info | grep -q "wait policy active" || fail "user's OMP_WAIT_POLICY overridden"
GOMP_SPINCOUNT=1000 "$W2S_BIN" info | grep -q "wait policy spin GOMP_SPINCOUNT" || fail "user's GOMP_SPINCOUNT overridden"
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
echo "ok"

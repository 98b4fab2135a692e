# test_mpi_demo.sh — `mpirun -np 2 w2s demo --quick --seeds 0,1` (1 thread per rank): the seeds
# run on both ranks (each pretrains its own seed's bodies into the shared cache), rank 0
# alone prints the table and writes one results set, results.json records the world, and a
# one-process run on one core from the warm cache gives exactly the same figures.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
. "$W2S_SOURCE_DIR/tests/support/mpi.sh"
require_fashion_mnist
scratch_dir
$MPIRUN -np 2 "$W2S_BIN" demo --quick --seeds 0,1 --out two --cache-dir cache > two.txt 2> two.err \
    || { cat two.err; fail "2-rank demo"; }
grep -q "2 ranks, seeds shared out" two.err || { cat two.err; fail "the demo did not say how it shared the seeds"; }
[ "$(grep -c "^w2s demo:" two.txt)" = 1 ] || { cat two.txt; fail "the table was not printed exactly once"; }
[ "$(ls two | sort | tr '\n' ' ')" = "report.html results.json results_summary.json " ] || { ls two; fail "unexpected files in the results set"; }
taskset -c 0 "$W2S_BIN" demo --quick --seeds 0,1 --out one --cache-dir cache --quiet > one.txt || fail "one-process demo"
/usr/bin/python3 - <<'PY' || fail "the 2-rank demo differs from one process"
import json
a, b = json.load(open("one/results.json")), json.load(open("two/results.json"))
w = b["world"]
assert w["ranks"] == 2 and w["threads_per_rank"] == [1, 1] and w["parallel"] == "tasks", w
assert len(w["rank_hosts"]) == 2 and w["launcher"] == "mpirun", w
assert a["world"]["ranks"] == 1 and "parallel" not in a["world"], a["world"]
assert [s["seed"] for s in b["seeds"]] == [0, 1], b["seeds"]
for sa, sb in zip(a["seeds"], b["seeds"]):
    assert not sb["weak_body"]["cached"] and not sb["strong_body"]["cached"], "2-rank run reused bodies"
    assert sa["weak_body"]["cached"] and sa["strong_body"]["cached"], "one-process run did not reuse the ranks' bodies"
    for k in ("weak", "ceiling", "xent", "logconf", "pgr_xent", "pgr_logconf"):
        assert sa[k] == sb[k], (sa["seed"], k, sa[k], sb[k])
assert a["stats"] == b["stats"], (a["stats"], b["stats"])
print("ok: 2 seeds on 2 ranks equal one process's, world recorded")
PY
echo "ok"

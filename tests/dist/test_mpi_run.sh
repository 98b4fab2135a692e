# test_mpi_run.sh — `w2s run` of two tiny GPT-2s under mpirun -np 2 (1 thread per rank):
# --parallel data is bit-identical between two 2-rank runs and within RUN_ACC_TOL / RUN_LOSS_RTOL
# of one process, and results.json records the world (ranks, hosts, threads per rank);
# --parallel tasks (seeds on different ranks) gives exactly one process's numbers in one
# results set; a 2-rank run whose rank 1 is killed mid-training fails, and its
# rerun resumes to the uninterrupted 2-rank numbers; auto says what it picked; a 2-rank sweep
# writes one process's sweep.json; w2s info shows both ranks; w2s eval refuses mpirun.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
. "$W2S_SOURCE_DIR/tests/support/mpi.sh"
CHECK="/usr/bin/python3 $W2S_SOURCE_DIR/tests/runtime/w2s_results_check.py"
T=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$T"' EXIT
cd "$T"
"$PROBE" model weak 1 2 16 64 32 1
"$PROBE" model strong 2 2 32 64 32 2
"$PROBE" data data.jsonl 400 64 7
ARGS="--weak weak --strong strong --data data.jsonl --n-train 300 --n-test 100 --seeds 0,1 --lr 1e-3 --batch 16
      --minibatch 4 --ckpt-every 1 --quiet"

"$W2S_BIN" run $ARGS --out one > /dev/null || fail "one-process run"
for r in a b; do
    $MPIRUN -np 2 "$W2S_BIN" run $ARGS --parallel data --out data_$r > data_$r.txt 2> data_$r.err \
        || { cat data_$r.err; fail "2-rank data-parallel run"; }
done
$CHECK check data_a
$CHECK same data_a data_b
# Data parallelism changes only the order the two ranks' gradient shares are summed in: each
# model's final loss stays within 1e-3 relative of one process's, and the test accuracies
# (100 examples) within 2 examples, well inside seed-to-seed spread (> 5 points here).
/usr/bin/python3 - <<'PY' || fail "data-parallel run differs from one process"
import json
RUN_ACC_TOL, RUN_LOSS_RTOL = 0.02, 1e-3
a, b = json.load(open("one/results.json")), json.load(open("data_a/results.json"))
def models(r):
    for s in r["seeds"]:
        yield (s["seed"], "weak"), s["weak"]
        yield (s["seed"], "ceiling"), s["ceiling"]
        for loss, st in s["students"].items():
            yield (s["seed"], loss), st
ma, mb = dict(models(a)), dict(models(b))
assert ma.keys() == mb.keys() and ma, (ma.keys(), mb.keys())
for k in ma:
    x, y = ma[k], mb[k]
    assert abs(x["accuracy"] - y["accuracy"]) <= RUN_ACC_TOL, (k, x, y)
    assert abs(x["final_loss"] - y["final_loss"]) <= RUN_LOSS_RTOL * abs(x["final_loss"]), (k, x, y)
print(f"ok: {len(ma)} models within tolerance of one process")
w = b["world"]
assert w["ranks"] == 2 and w["threads_per_rank"] == [1, 1] and w["parallel"] == "data", w
assert w["launcher"] == "mpirun" and len(w["rank_hosts"]) == 2 and w["hosts"], w
assert a["world"]["ranks"] == 1 and a["world"]["launcher"] == "none", a["world"]
PY

# ---- tasks: seed 0 on rank 0, seed 1 on rank 1, one results set equal to one process's
$MPIRUN -np 2 "$W2S_BIN" run $ARGS --parallel tasks --out tasks > /dev/null 2> tasks.err || { cat tasks.err; fail "tasks run"; }
$CHECK same one tasks
$MPIRUN -np 2 "$W2S_BIN" run ${ARGS% --quiet} --parallel auto --out auto > /dev/null 2> auto.err || { cat auto.err; fail "auto run"; }
grep -q -- "--parallel tasks (a seed per rank" auto.err || { cat auto.err; fail "auto did not say it picked tasks"; }

# ---- sweep: every pair's run shares its seeds over the ranks; rank 0 alone writes the sweep,
# which equals one process's; a command that runs as one process refuses mpirun
SWEEP="--models weak,strong --data data.jsonl --n-train 200 --n-test 80 --seeds 0,1 --losses xent --lr 1e-3
       --batch 16 --epochs 1 --quiet"
"$W2S_BIN" sweep $SWEEP --out sweep1 2> /dev/null || fail "one-process sweep"
$MPIRUN -np 2 "$W2S_BIN" sweep $SWEEP --out sweep2 2> sweep2.err || { cat sweep2.err; fail "2-rank sweep"; }
/usr/bin/python3 - <<'PY' || fail "the 2-rank sweep differs from one process"
import json
a, b = json.load(open("sweep1/sweep.json")), json.load(open("sweep2/sweep.json"))
assert len(a["pairs"]) == len(b["pairs"]) == 3, (a["pairs"], b["pairs"])
assert [p["results_summary"] for p in a["pairs"]] == [p["results_summary"] for p in b["pairs"]], (a, b)
PY
# w2s info shows the world: one line per rank, from rank 0 only
$MPIRUN -np 2 "$W2S_BIN" info > info.txt 2> info.err || { cat info.err; fail "w2s info on 2 ranks"; }
grep -q "^world: *2 ranks, launched by mpirun" info.txt || { cat info.txt; fail "w2s info does not show the world"; }
[ "$(grep -c "^  rank [01] .*cores 1 .*1 threads" info.txt)" = 2 ] || { cat info.txt; fail "w2s info lacks a rank's line"; }
[ "$(grep -c "^cpu:" info.txt)" = 1 ] || fail "w2s info printed by more than rank 0"
if $MPIRUN -np 2 "$W2S_BIN" eval --help > /dev/null 2> eval.err; then fail "eval ran under mpirun"; fi
grep -q "run it without mpirun/srun" eval.err || { cat eval.err; fail "eval's refusal does not say why"; }

# ---- rank 1 killed (SIGKILL) while a model trains ends the job; the rerun resumes to the same
# numbers. Rank 1 records its pid before it becomes w2s (exec keeps it).
cat > rank.sh <<SH
#!/bin/sh
[ "\$OMPI_COMM_WORLD_RANK" = 1 ] && echo \$\$ > rank1.pid
exec "$W2S_BIN" "\$@"
SH
chmod +x rank.sh
$MPIRUN -np 2 ./rank.sh run $ARGS --parallel data --out killed > /dev/null 2> killed.err &
pid=$!
# Any training checkpoint after seed 0's weak model: the ceiling or a student is mid-training
# (each trains for 18 steps of ~5-100 ms, every one checkpointed: --ckpt-every 1).
mid_training() { compgen -G "killed/seed0/[cs]*/train.ckpt" > /dev/null || compgen -G "killed/seed1/*/train.ckpt" > /dev/null; }
for _ in $(seq 6000); do
    mid_training && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
done
mid_training || { cat killed.err; fail "no training checkpoint seen before the run ended"; }
[ -s rank1.pid ] || fail "rank 1 did not record its pid"
kill -9 "$(cat rank1.pid)"
if wait "$pid"; then fail "the job went on after rank 1 was killed"; fi
pid=""
[ ! -e killed/results.json ] || [ "$(/usr/bin/python3 -c 'import json; print(len(json.load(open("killed/results.json"))["seeds"]))')" != 2 ] \
    || fail "the run finished before rank 1 was killed"
$MPIRUN -np 2 "$W2S_BIN" run ${ARGS% --quiet} --parallel data --out killed > /dev/null 2> resume.err \
    || { cat resume.err; fail "resumed 2-rank run"; }
grep -q ", resumed)" resume.err || { cat resume.err; fail "the rerun did not resume a training checkpoint"; }
$CHECK same data_a killed
echo "ok"

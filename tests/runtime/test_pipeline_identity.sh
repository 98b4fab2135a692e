# test_pipeline_identity.sh — `w2s run` pipelined (the default: the first student trains while
# train2 is labeled) gives bit-identical weak labels, student weights and accuracies to
# `--no-pipeline`, on tiny generated fixtures. Bit-identity holds at equal student thread
# counts: this test runs with OMP_NUM_THREADS=1 and --label-cores 1 --train-cores 1, so the
# sequential student (1 OpenMP thread) and the pipelined one (a 1-thread train team) match.
# Cases: batch 32 over 150 train2 examples (a partial last slot, 2 epochs wrap into the kept
# labels), and batch 7 with minibatch 3 (many slots, recomputed minibatches), fp32 labels; and
# the automatic plan, which interleaves the stages on every core here (the tiny labeler would
# idle its core of a 1 + 1 split: estimated gain 0.53).
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
CORES=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)  # nproc alone obeys OMP_NUM_THREADS
if [ "$CORES" -lt 2 ]; then echo "SKIP: the pipeline needs 2 cores, this process may use $CORES"; exit 77; fi
export OMP_NUM_THREADS=1
scratch_dir
tiny_pair 400 7
BASE="--weak weak --strong strong --data data.jsonl --n-train 300 --n-test 100 --seeds 0 --lr 1e-3 --save-models"

# Compares the pipelined run in $1 with the sequential one in $2: label files and student
# weights byte for byte, then every step's numbers except wall times.
same() {
    for f in weak_labels.jsonl labels.safetensors student_xent/model.safetensors \
             student_logconf/model.safetensors student_product/model.safetensors ceiling/model.safetensors; do
        cmp -s "$1/seed0/$f" "$2/seed0/$f" || fail "$f differs between pipelined $1 and sequential $2"
    done
    /usr/bin/python3 - "$1" "$2" <<'PY' || fail "step records differ"
import json, sys
a, b = sys.argv[1], sys.argv[2]
for step in ["weak", "ceiling", "student_xent", "student_logconf", "student_product"]:
    x = json.load(open(f"{a}/seed0/{step}/step.json"))
    y = json.load(open(f"{b}/seed0/{step}/step.json"))
    for k in ["key", "accuracy", "auroc", "final_loss", "steps", "n_train"]:
        if x.get(k) != y.get(k):
            sys.exit(f"{step}.{k}: pipelined {x.get(k)} vs sequential {y.get(k)}")
sa, sb = json.load(open(f"{a}/results_summary.json")), json.load(open(f"{b}/results_summary.json"))
if sa != sb:
    sys.exit(f"summaries differ: {sa} vs {sb}")
PY
}

run_case() { # name, extra options
    "$W2S_BIN" run $BASE $2 --label-cores 1 --train-cores 1 --out "pipe_$1" > "pipe_$1.txt" 2> "pipe_$1.err" \
        || { cat "pipe_$1.err"; fail "$1: pipelined run failed"; }
    grep -q "pipelined with student_[a-z]* (override: label 1 thread, train 1;" "pipe_$1.err" \
        || { cat "pipe_$1.err"; fail "$1: the run did not pipeline"; }
    "$W2S_BIN" run $BASE $2 --no-pipeline --out "seq_$1" > "seq_$1.txt" 2> "seq_$1.err" \
        || { cat "seq_$1.err"; fail "$1: --no-pipeline run failed"; }
    grep -q "pipelined" "seq_$1.err" && fail "$1: --no-pipeline pipelined"
    same "pipe_$1" "seq_$1"
}

run_case b32 ""
run_case b7 "--batch 7 --minibatch 3 --label-precision fp32 --losses logconf,xent,product"

"$W2S_BIN" run $BASE --out auto_b32 > auto_b32.txt 2> auto_b32.err || { cat auto_b32.err; fail "auto: run failed"; }
grep -q "pipelined with student_xent (interleaved (every core, stages taking turns): label 1 thread, train 1;" \
    auto_b32.err || { cat auto_b32.err; fail "auto: the stages were not interleaved"; }
same auto_b32 seq_b32

# A rerun of the pipelined output reuses every step (6), including the pipelined ones.
"$W2S_BIN" run $BASE --out pipe_b32 > /dev/null 2> rerun.err || { cat rerun.err; fail "rerun failed"; }
[ "$(grep -c ': reused' rerun.err)" = 6 ] || { cat rerun.err; fail "rerun did not reuse the 6 steps"; }
grep -q pipelined rerun.err && fail "rerun pipelined although labels and student were reused"

# Labels reused, first student gone: it trains from the kept labels (no pipeline needed).
rm -r pipe_b32/seed0/student_xent
"$W2S_BIN" run $BASE --out pipe_b32 > /dev/null 2> rerun2.err || { cat rerun2.err; fail "rerun 2 failed"; }
grep -q "labels: reused" rerun2.err || fail "labels not reused"
same pipe_b32 seq_b32

# A train-stage failure stops both stages and is reported once, naming the stage.
mkdir -p broken/seed0 && touch broken/seed0/student_xent
timeout 120 "$W2S_BIN" run $BASE --quiet --label-cores 1 --train-cores 1 --out broken > /dev/null 2> broken.err \
    && fail "a student step that cannot write its directory succeeded"
[ $? -ne 124 ] || fail "the pipeline hung after a train-stage failure"
grep -q "train stage: broken/seed0/student_xent is not a directory" broken.err || { cat broken.err; fail "train-stage error"; }
[ ! -e broken/seed0/labels.safetensors ] || fail "labels recorded after a failed pipeline"

mkdir -p broken_auto/seed0 && touch broken_auto/seed0/student_xent
timeout 120 "$W2S_BIN" run $BASE --quiet --out broken_auto > /dev/null 2> broken_auto.err \
    && fail "interleaved: a student step that cannot write its directory succeeded"
grep -q "broken_auto/seed0/student_xent is not a directory" broken_auto.err || { cat broken_auto.err; fail "interleaved: error"; }
[ ! -e broken_auto/seed0/labels.safetensors ] || fail "labels recorded after a failed interleaved transfer"

# Bad overrides fail with one line (when the pipeline is planned, after the weak model).
"$W2S_BIN" run $BASE --quiet --label-cores 2 --train-cores 2 --out bad > /dev/null 2> bad.err && fail "4 cores on 2 accepted"
[ "$(wc -l < bad.err)" = 1 ] && grep -q "train cores requested" bad.err || { cat bad.err; fail "bad override: more than one line"; }
echo "pipelined == sequential: labels, weights, accuracies (OMP_NUM_THREADS=1, 1+1 cores and interleaved)"

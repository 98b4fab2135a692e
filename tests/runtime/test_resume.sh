# test_resume.sh — a `w2s run` killed with SIGKILL during student training and rerun with the
# same command ends with the same numbers as an uninterrupted run (timings excluded): finished
# steps are reused and the interrupted student resumes from its last checkpoint, bit-exactly,
# learning curve (--eval-every) included: the points before the kill come from the checkpoint.
# W2S_TEST_THREADS (default 1) sets --threads; test_resume_mt.sh runs it with 2.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
CHECK="/usr/bin/python3 $W2S_SOURCE_DIR/tests/runtime/w2s_results_check.py"
scratch_dir_bg
tiny_pair 700 11
ARGS="--weak weak --strong strong --data data.jsonl --n-train 600 --n-test 100 --seeds 3 --lr 1e-3 --batch 16
      --minibatch 4 --epochs 3 --losses xent,logconf --ckpt-every 1 --eval-every 5 --threads ${W2S_TEST_THREADS:-1}"

"$W2S_BIN" run $ARGS --out a > /dev/null 2> a.err || { cat a.err; fail "uninterrupted run failed"; }
$CHECK check a

# Start the same run, kill it once the logconf student has written a checkpoint.
"$W2S_BIN" run $ARGS --out b > /dev/null 2> b1.err &
pid=$!
ckpt=b/seed3/student_logconf/train.ckpt
for _ in $(seq 1 3000); do
    [ -e "$ckpt" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
done
[ -e "$ckpt" ] || { cat b1.err; fail "no student checkpoint appeared before the run ended"; }
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=""
[ ! -e b/seed3/student_logconf/step.json ] || fail "the student finished before the kill"
[ ! -e b/results.json ] || fail "results.json written before the run finished"

"$W2S_BIN" run $ARGS --out b > /dev/null 2> b2.err || { cat b2.err; fail "rerun failed"; }
cat b2.err | grep -v "steps/s" || true
grep -q "seed 3 weak: reused" b2.err || fail "weak step not reused"
grep -q "seed 3 ceiling: reused" b2.err || fail "ceiling not reused"
grep -q "student_logconf: test accuracy .*resumed" b2.err || fail "student did not resume from its checkpoint"
/usr/bin/python3 -c "
import json; r = json.load(open('b/results.json'))
assert r['seeds'][0]['students']['logconf']['resumed_step'] > 0, r['seeds'][0]['students']['logconf']" || fail "resumed_step"
$CHECK check b
$CHECK same a b
echo "ok"

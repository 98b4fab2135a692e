# test_run_stages.sh — `w2s run`'s per-stage settings (issue #22): --weak-lr/--strong-lr/
# --transfer-lr equal to --lr reuse its steps; a changed --transfer-lr/--transfer-epochs redoes
# only the students, with the steps those epochs give; --eval-every records a learning curve
# whose last point is the model's final accuracy without changing any trained number;
# --optimizer adamw changes training; --aux-coef 0 makes logconf the xent student; every
# resolved setting is in results.json; bad combinations give one line. Default learning
# rates: the reference's rule by model size, and the students take the ceiling's (--strong-lr).
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
CHECK="/usr/bin/python3 $W2S_SOURCE_DIR/tests/runtime/w2s_results_check.py"
scratch_dir
tiny_pair 400 7
BASE="--weak weak --strong strong --data data.jsonl --n-train 300 --n-test 100"

# ---- the shorthand and the per-stage options are the same run
"$W2S_BIN" run $BASE --lr 1e-3 --out a > /dev/null 2> a.err || { cat a.err; fail "run a"; }
$CHECK check a
"$W2S_BIN" run $BASE --weak-lr 1e-3 --strong-lr 1e-3 --transfer-lr 1e-3 --out a > /dev/null 2> a2.err ||
    { cat a2.err; fail "run a2"; }
[ "$(grep -c ': reused' a2.err)" = 6 ] || { cat a2.err; fail "per-stage lrs equal to --lr did not reuse the 6 steps"; }

# ---- students only: weak, labels and ceiling reused; students redone with their own epochs
"$W2S_BIN" run $BASE --lr 1e-3 --transfer-lr 5e-4 --transfer-epochs 1 --out a > /dev/null 2> b.err ||
    { cat b.err; fail "run b"; }
for step in "seed 0 weak" "seed 0 labels" "seed 0 ceiling"; do
    grep -q "$step: reused" b.err || { cat b.err; fail "$step not reused after a students-only change"; }
done
grep -q "student_xent: reused" b.err && fail "students reused after --transfer-lr changed"
$CHECK check a
/usr/bin/python3 - <<'PY' || fail "per-stage settings"
import json
r = json.load(open("a/results.json"))
res, s = r["config"]["resolved"], r["seeds"][0]
assert res["lr_weak"] == 1e-3 and res["lr_strong"] == 1e-3 and res["lr_transfer"] == 5e-4, res
assert res["epochs_gt"] == 2 and res["epochs_transfer"] == 1 and res["optimizer"] == "adam", res
assert res["aux_coef"] == 0.5 and res["aux_warmup"] == 0.1, res
# train1 = train2 = 150 examples, batch 32: floor(150 * epochs / 32) steps
assert s["weak"]["steps"] == 9 and s["ceiling"]["steps"] == 9, s
for loss in ("xent", "logconf", "product"):
    assert s["students"][loss]["steps"] == 4, (loss, s["students"][loss]["steps"])
PY

# ---- a learning curve changes no trained number; its last point is the final evaluation
"$W2S_BIN" run $BASE --lr 1e-3 --out plain > /dev/null 2>&1 || fail "run plain"
"$W2S_BIN" run $BASE --lr 1e-3 --eval-every 2 --out curve > /dev/null 2> c.err || { cat c.err; fail "run curve"; }
grep -q ': reused' c.err && fail "--eval-every reused steps recorded without a curve"
/usr/bin/python3 - <<'PY' || fail "learning curve"
import json
p, c = json.load(open("plain/results.json"))["seeds"][0], json.load(open("curve/results.json"))["seeds"][0]
def models(s):
    yield "weak", s["weak"]; yield "ceiling", s["ceiling"]
    for k, v in s["students"].items(): yield k, v
for (name, mp), (_, mc) in zip(models(p), models(c)):
    assert "curve" not in mp, name
    for k in ("accuracy", "auroc", "final_loss", "steps"):
        assert mp[k] == mc[k], (name, k, mp[k], mc[k])
    pts = mc["curve"]
    want = list(range(2, mc["steps"] + 1, 2))
    if mc["steps"] % 2: want.append(mc["steps"])
    assert [q["step"] for q in pts] == want, (name, pts)
    assert pts[-1]["accuracy"] == mc["accuracy"], (name, pts[-1], mc["accuracy"])
    assert all(0 <= q["accuracy"] <= 1 and q["loss"] > 0 for q in pts), pts
html = open("curve/report.html").read()
assert html.count('class="curve"') == 5, html.count('class="curve"')
assert 'class="curve"' not in open("plain/report.html").read()
PY
# A rerun reads the curves back from the step records.
"$W2S_BIN" run $BASE --lr 1e-3 --eval-every 2 --out curve > /dev/null 2> c2.err || fail "curve rerun"
[ "$(grep -c ': reused' c2.err)" = 6 ] || { cat c2.err; fail "curve rerun did not reuse"; }
/usr/bin/python3 -c "
import json, sys
s = json.load(open('curve/results.json'))['seeds'][0]
sys.exit(0 if len(s['weak']['curve']) == 5 and len(s['students']['xent']['curve']) == 5 else 1)" ||
    fail "reused steps lost their curves"

# ---- the optimizer and the confidence loss's settings act
"$W2S_BIN" run $BASE --lr 1e-3 --optimizer adamw --weight-decay 0.5 --losses xent --out w > /dev/null 2>&1 ||
    fail "adamw run"
"$W2S_BIN" run $BASE --lr 1e-3 --aux-coef 0 --losses xent,logconf --out aux > /dev/null 2>&1 || fail "aux run"
/usr/bin/python3 - <<'PY' || fail "optimizer / aux-coef"
import json
p = json.load(open("plain/results.json"))["seeds"][0]
w = json.load(open("w/results.json"))
assert w["config"]["resolved"]["optimizer"] == "adamw" and w["config"]["resolved"]["weight_decay"] == 0.5
assert w["seeds"][0]["weak"]["final_loss"] != p["weak"]["final_loss"], "weight decay changed nothing"
a = json.load(open("aux/results.json"))
assert a["config"]["resolved"]["aux_coef"] == 0
st = a["seeds"][0]["students"]
# aux_coef 0: logconf's target is the weak label itself, so it trains exactly the xent student
assert st["logconf"]["final_loss"] == st["xent"]["final_loss"] and st["logconf"]["accuracy"] == st["xent"]["accuracy"], st
assert st["xent"]["accuracy"] == p["students"]["xent"]["accuracy"]
PY

# ---- default rates: by model size (tiny models: C <= 1024, 5e-5), students follow --strong-lr
"$W2S_BIN" run --weak weak --strong strong --data data.jsonl --n-train 100 --n-test 50 --epochs 1 --losses xent \
    --out d1 > /dev/null 2> d1.err || { cat d1.err; fail "default-lr run"; }
"$W2S_BIN" run --weak weak --strong strong --data data.jsonl --n-train 100 --n-test 50 --epochs 1 --losses xent \
    --strong-lr 2e-3 --out d2 > /dev/null 2> d2.err || { cat d2.err; fail "--strong-lr run"; }
/usr/bin/python3 - <<'PY' || fail "default learning rates"
import json
d1 = json.load(open("d1/results.json"))["config"]["resolved"]
assert (d1["lr_weak"], d1["lr_strong"], d1["lr_transfer"]) == (5e-5, 5e-5, 5e-5), d1
d2 = json.load(open("d2/results.json"))["config"]["resolved"]
assert (d2["lr_weak"], d2["lr_strong"], d2["lr_transfer"]) == (5e-5, 2e-3, 2e-3), d2
PY

# ---- errors: one line
expect_error "needs --optimizer adamw" "$W2S_BIN" run $BASE --weight-decay 0.1 --out e1
expect_error "optimizer" "$W2S_BIN" run $BASE --optimizer sgd --out e1
expect_error "transfer-lr" "$W2S_BIN" run $BASE --transfer-lr 0 --out e1
expect_error "curve points" "$W2S_BIN" run $BASE --eval-every 1 --epochs 30 --out e1
"$W2S_BIN" run --help | grep -q -- "--transfer-epochs" || fail "--help lacks the per-stage options"
echo ok

# test_run_sanity.sh — `w2s run`'s sanity warnings (issue #22), each in stderr, results.json's
# "warnings", report.html and after the stdout table: weak and strong the same model, weak
# larger than strong, a test file overlapping the training data, examples longer than max_ctx,
# a constant predictor (flagged in the table), a stage no better than the majority class with a
# learning rate to try, and a ceiling-weak gap within the test set's standard error (PGR flagged).
# Also the student-supervisor agreement of results.json and report.html, against the saved
# models' own predictions (`w2s label`) on the test file.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
scratch_dir
tiny_pair 400 7
BASE="--data data.jsonl --n-train 300 --n-test 100 --lr 1e-3 --losses xent --epochs 1"

# has_warning OUT PATTERN: the warning is in results.json, report.html and the stdout table
has_warning() {
    /usr/bin/python3 - "$1" "$2" <<'PY' || fail "warning '$2' missing from $1"
import json, sys, html
out, pat = sys.argv[1], sys.argv[2]
w = json.load(open(f"{out}/results.json"))["warnings"]
assert any(pat in x for x in w), w
page = html.unescape(open(f"{out}/report.html").read())
assert any(x in page for x in w if pat in x), "not on the page"
assert any(pat in l for l in open(f"{out}.txt") if l.startswith("warning: ")), "not after the table"
PY
}

"$W2S_BIN" run --weak strong --strong strong $BASE --out same > same.txt 2> same.err || { cat same.err; fail "same"; }
grep -q "^warning: weak and strong are the same model" same.err || { cat same.err; fail "no warning on stderr"; }
has_warning same "weak and strong are the same model"

"$W2S_BIN" run --weak strong --strong weak $BASE --out larger > larger.txt 2>/dev/null || fail "larger"
has_warning larger "is larger than the strong one"

head -n 50 data.jsonl > test.jsonl
"$W2S_BIN" run --weak weak --strong strong $BASE --test test.jsonl --n-test 50 --out overlap > overlap.txt 2>/dev/null ||
    fail "overlap"
has_warning overlap "50 of 50 examples of test.jsonl also occur in data.jsonl"

"$W2S_BIN" run --weak weak --strong strong $BASE --n-train 150 --n-test 50 --max-ctx 8 --out long > long.txt 2>/dev/null ||
    fail "long"
/usr/bin/python3 - <<'PY' || fail "dropped count"
import json
r = json.load(open("long/results.json"))
n = r["config"]["resolved"]["dropped_too_long"]
assert n > 0 and any(f"{n} examples are longer than max_ctx 8" in w for w in r["warnings"]), (n, r["warnings"])
PY

# Every test example the same tokens: every model answers one class.
for i in $(seq 1 40); do echo "{\"input_ids\": [5, 6, 7], \"hard_label\": $((i % 2))}"; done > const.jsonl
"$W2S_BIN" run --weak weak --strong strong $BASE --test const.jsonl --n-test 40 --out const > const.txt 2>/dev/null || fail "const"
has_warning const "seed 0 weak predicts class"
has_warning const "a constant predictor"
grep -q "| weak (one class!)" const.txt || { cat const.txt; fail "constant predictor not flagged in the table"; }
/usr/bin/python3 - <<'PY' || fail "predicts_one_class"
import json
s = json.load(open("const/results.json"))["seeds"][0]
for m in (s["weak"], s["ceiling"], s["students"]["xent"]):
    assert m["predicts_one_class"] in (0, 1) and m["accuracy"] == 0.5, m
PY

# A clean-looking run: every warning that applies, and only those (recomputed here).
"$W2S_BIN" run --weak weak --strong strong $BASE --seeds 0,1 --losses xent,logconf --out gap > gap.txt 2>/dev/null ||
    fail "gap"
/usr/bin/python3 - <<'PY' || fail "stage / gap warnings disagree with the numbers"
import json, math
r = json.load(open("gap/results.json"))
s = json.load(open("gap/results_summary.json"))
w, c, n = s["weak_acc"], s["strong_acc"], r["config"]["resolved"]["n_test"]
se = math.sqrt(w * (1 - w) / n + c * (1 - c) / n)
noisy = c > w and c - w < se
assert noisy, "fixture: this run's gap should be within the standard error"
assert any("within the test set's standard error" in x for x in r["warnings"]) == noisy
tab = open("gap.txt").read()
assert ("(!)" in tab) == noisy and "gap within SE" in open("gap/report.html").read()
data = [json.loads(l)["hard_label"] for l in open("data.jsonl")]
for sd in r["seeds"]:
    for name, m in [("weak", sd["weak"]), ("ceiling", sd["ceiling"])] + \
            [("student " + k, v) for k, v in sd["students"].items()]:
        flagged = any(x.startswith(f"seed {sd['seed']} {name}:") or x.startswith(f"seed {sd['seed']} {name} predicts")
                      for x in r["warnings"])
        if m["accuracy"] < 0.5:  # below any majority share of a binary test set
            assert flagged and any("try --" in x for x in r["warnings"]), (sd["seed"], name, m["accuracy"])
PY

# ---- student-supervisor agreement: each saved model's test predictions (w2s label, fp32 as the
# run's evaluation) against the weak model's, equal to results.json's and shown in report.html
"$PROBE" data test.jsonl 100 64 8
"$W2S_BIN" run --weak weak --strong strong --data data.jsonl --test test.jsonl --lr 1e-3 --losses xent,logconf \
    --precision fp32 --save-models --out agree > /dev/null 2> agree.err || { cat agree.err; fail "agreement run"; }
for m in weak ceiling student_xent student_logconf; do
    "$W2S_BIN" label --model "agree/seed0/$m" --data test.jsonl --out "$m.jsonl" --precision fp32 --quiet > /dev/null ||
        fail "labeling test.jsonl with $m"
done
/usr/bin/python3 - <<'PY' || fail "student-supervisor agreement"
import json
def preds(p):
    return [max(range(len(s)), key=s.__getitem__) for s in (json.loads(l)["soft_label"] for l in open(p))]
r = json.load(open("agree/results.json"))["seeds"][0]
w = preds("weak.jsonl")
assert "agreement_with_weak" not in r["weak"], r["weak"]
html = open("agree/report.html").read()
assert "agreement with weak" in html
for name, m in (("ceiling", r["ceiling"]), ("student_xent", r["students"]["xent"]),
                ("student_logconf", r["students"]["logconf"])):
    p = preds(name + ".jsonl")
    want = sum(a == b for a, b in zip(p, w)) / len(w)
    assert m["agreement_with_weak"] == want, (name, m["agreement_with_weak"], want)
    assert "<td>%.4f</td>" % want in html, (name, want)
PY
echo ok

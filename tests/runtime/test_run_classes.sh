# test_run_classes.sh — `w2s run` classes are explicit (issue #22): the inferred count is
# printed; one stray `"hard_label": 2` in a binary set, or an unused label value, is an error
# naming the lines, not a silent 3-class run; --n-classes 2 rejects the stray line by number,
# --n-classes 3 trains three classes on purpose.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
scratch_dir
tiny_pair 400 7
BASE="--weak weak --strong strong --lr 1e-3 --losses xent --epochs 1"


# ---- the clean binary set: the inferred count is printed with the class sizes
"$W2S_BIN" run $BASE --data data.jsonl --out ok > ok.txt 2> ok.err || { cat ok.err; fail "clean run"; }
grep -q "data: 400 examples in 2 classes, inferred" ok.txt || { cat ok.txt; fail "inferred count not printed"; }

# ---- one stray label on line 123
awk 'NR == 123 { sub(/"hard_label": *[0-9]+/, "\"hard_label\": 2") } { print }' data.jsonl > stray.jsonl
grep -c '"hard_label": 2' stray.jsonl | grep -qx 1 || fail "fixture: the stray line was not made"
expect_error "stray.jsonl: hard_label 2 on 1 of 400 examples (under 1%: line 123)" \
    "$W2S_BIN" run $BASE --data stray.jsonl --out e1
[ ! -e e1 ] || fail "an output directory was made for the refused run"
expect_error "stray.jsonl:123" "$W2S_BIN" run $BASE --data stray.jsonl --n-classes 2 --out e2

# ---- an unused label value below the largest
sed 's/"hard_label": *1/"hard_label": 2/' data.jsonl > gap.jsonl
expect_error "no example has hard_label 1 but labels go up to 2" "$W2S_BIN" run $BASE --data gap.jsonl --out e3

# ---- the stray class on purpose: --n-classes 3 trains three classes
"$W2S_BIN" run $BASE --data stray.jsonl --n-classes 3 --out three > three.txt 2> three.err ||
    { cat three.err; fail "--n-classes 3 run"; }
grep -q "inferred" three.txt && fail "an explicit --n-classes was reported as inferred"
/usr/bin/python3 -c "
import json, sys
r = json.load(open('three/results.json'))
sys.exit(0 if r['n_classes'] == 3 and r['config']['resolved']['n_classes'] == 3 else 1)" || fail "n_classes not 3"
/usr/bin/python3 -c "
import json, sys
r = json.load(open('ok/results.json'))
sys.exit(0 if r['n_classes'] == 2 else 1)" || fail "clean run not binary"
expect_error "n-classes" "$W2S_BIN" run $BASE --data data.jsonl --n-classes 1 --out e4
echo ok

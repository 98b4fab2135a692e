# test_run_classes.sh — `w2s run` classes are explicit (issue #22): the inferred count is
# printed; one stray `"hard_label": 2` in a binary set, or an unused label value, is an error
# naming the lines, not a silent 3-class run; --n-classes 2 rejects the stray line by number,
# --n-classes 3 trains three classes on purpose; a model's id2label (config.json) gives the
# count without --n-classes. Also: --quiet silences progress, not the results table.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
scratch_dir
tiny_pair 400 7
BASE="--weak weak --strong strong --lr 1e-3 --losses xent --epochs 1"


# ---- the clean binary set: the inferred count is printed with the class sizes
"$W2S_BIN" run $BASE --data data.jsonl --out ok > ok.txt 2> ok.err || { cat ok.err; fail "clean run"; }
grep -q "data: 400 examples in 2 classes, inferred" ok.txt || { cat ok.txt; fail "inferred count not printed"; }

# ---- --quiet: no progress on stderr, the same results table on stdout
"$W2S_BIN" run $BASE --data data.jsonl --out ok --quiet > q.txt 2> q.err || { cat q.err; fail "quiet run"; }
[ ! -s q.err ] || { cat q.err; fail "--quiet printed progress"; }
grep '^| ' ok.txt > table_ok.txt
grep '^| ' q.txt > table_q.txt
grep -q '^| weak ' table_q.txt && grep -q '^| ceiling ' table_q.txt && grep -q '^| xent ' table_q.txt ||
    { cat q.txt; fail "--quiet silenced the results table"; }
cmp -s table_ok.txt table_q.txt || { diff table_ok.txt table_q.txt; fail "--quiet changed the table"; }

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

# ---- a classification model's id2label gives the count (here 3 on binary data: class 2 unused)
cp -r strong strong3
/usr/bin/python3 - <<'PY'
import json
c = json.load(open("strong3/config.json"))
c["id2label"] = {"0": "no", "1": "yes", "2": "maybe"}
json.dump(c, open("strong3/config.json", "w"))
PY
"$W2S_BIN" run --weak weak --strong strong3 --lr 1e-3 --losses xent --epochs 1 --data data.jsonl --out lab \
    > lab.txt 2> lab.err || { cat lab.err; fail "id2label run"; }
grep -q "data: 400 examples in 3 classes, from strong3/config.json's id2label" lab.txt ||
    { cat lab.txt; fail "the id2label count was not printed"; }
/usr/bin/python3 -c "
import json, sys
r = json.load(open('lab/results.json'))
sys.exit(0 if r['n_classes'] == 3 else 1)" || fail "id2label did not give 3 classes"
# a label outside the model's label set is the data's error, naming where K came from
awk 'NR == 9 { sub(/"hard_label": *[0-9]+/, "\"hard_label\": 3") } { print }' data.jsonl > four.jsonl
expect_error "3 classes from strong3/config.json's id2label" \
    "$W2S_BIN" run --weak weak --strong strong3 --lr 1e-3 --losses xent --epochs 1 --data four.jsonl --out e5
# --n-classes wins over id2label
"$W2S_BIN" run --weak weak --strong strong3 --lr 1e-3 --losses xent --epochs 1 --data data.jsonl --n-classes 2 \
    --out lab2 > lab2.txt 2> lab2.err || { cat lab2.err; fail "--n-classes over id2label"; }
grep -q "id2label" lab2.txt && fail "--n-classes 2 still took id2label's count"
echo ok

# test_protocol.sh — `w2s run` end to end on tiny random-init "pretrained" GPT-2 directories
# and generated pre-tokenized data: every output file exists and is consistent (PGR recomputed
# from the accuracies, summary = means), a rerun reuses every step with identical numbers, a
# JSON config file is equivalent to the options, a changed option recomputes; `w2s train` and
# `w2s eval`; error paths print one line and exit non-zero.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
CHECK="/usr/bin/python3 $W2S_SOURCE_DIR/tests/runtime/w2s_results_check.py"
scratch_dir
tiny_pair 400 7
"$PROBE" model strong80 2 2 32 80 32 2
ARGS="--weak weak --strong strong --data data.jsonl --n-train 300 --n-test 100 --seeds 0,1 --lr 1e-3 --ckpt-every 2"

# ---- the whole protocol, then its consistency
"$W2S_BIN" run $ARGS --out out > run1.txt 2> run1.err || { cat run1.err; fail "w2s run failed"; }
cat run1.txt
for f in results.json results_summary.json report.html seed0/weak_labels.jsonl seed1/weak_labels.jsonl \
         seed0/weak/model.safetensors seed0/weak/step.json seed0/ceiling/step.json \
         seed0/student_xent/step.json seed0/student_logconf/step.json seed0/student_product/step.json; do
    [ -s "out/$f" ] || fail "missing out/$f"
done
$CHECK check out
grep -q '"label_precision": "int8"' out/results.json || fail "labels not int8 by default"

# ---- rerun: every step reused, same numbers
"$W2S_BIN" run $ARGS --out out > run2.txt 2> run2.err || { cat run2.err; fail "rerun failed"; }
[ "$(grep -c ': reused' run2.err)" = 12 ] || { cat run2.err; fail "rerun did not reuse the 12 steps"; }
$CHECK same out out
cp -r out out_before
"$W2S_BIN" run $ARGS --out out 2>/dev/null >/dev/null
$CHECK same out_before out

# ---- the same options from a config file reuse the same steps; CLI options override it
cat > cfg.json <<'CFG'
{"weak": "weak", "strong": "strong", "data": "data.jsonl", "n_train": 300, "n-test": 100,
 "seeds": [0, 1], "lr": 0.002, "ckpt-every": 2, "losses": ["xent", "logconf", "product"], "quiet": true}
CFG
"$W2S_BIN" run --config cfg.json --lr 1e-3 --out out 2> cfg.err > /dev/null || { cat cfg.err; fail "--config run failed"; }
[ "$(grep -c ': reused' cfg.err)" = 0 ] || fail "--quiet from the config file ignored"
$CHECK same out_before out
grep -q '"config": "cfg.json"' out/results.json || fail "config file not recorded"

# ---- a changed option recomputes what depends on it (students only for --losses changes nothing else)
"$W2S_BIN" run $ARGS --losses xent --epochs 1 --out out > /dev/null 2> run3.err || { cat run3.err; fail "changed run failed"; }
grep -q ': reused' run3.err && { cat run3.err; fail "steps reused after --epochs changed"; }
$CHECK check out

# ---- w2s train / w2s eval
"$W2S_BIN" train --model strong --data data.jsonl --out model.safetensors --lr 1e-3 --epochs 1 --loss logconf --quiet > train.json
grep -q '"steps": 12' train.json || fail "train: $(cat train.json)"
[ ! -e model.safetensors.ckpt ] || fail "train left its checkpoint"
"$W2S_BIN" eval --model model.safetensors --data data.jsonl --predictions pred.jsonl > eval.json
cat eval.json
/usr/bin/python3 - <<'PY' || fail "eval output"
import json
e = json.load(open("eval.json"))
assert e["examples"] == 400 and 0 <= e["accuracy"] <= 1 and 0 <= e["auroc"] <= 1, e
p = [json.loads(l) for l in open("pred.jsonl")]
assert len(p) == 400 and all(len(x["soft_label"]) == 2 and "gt_label" in x for x in p)
acc = sum(x["hard_label"] == x["gt_label"] for x in p) / 400
assert abs(acc - e["accuracy"]) < 1e-12, (acc, e["accuracy"])
PY
# The weak model saved by the run evaluates to its recorded accuracy on the whole file as a check of eval's path.
"$W2S_BIN" eval --model out_before/seed0/weak/model.safetensors --data data.jsonl > /dev/null || fail "eval of the run's weak model"

# ---- text data through the strong directory's tokenizer (byte-level vocab.json + merges.txt)
"$PROBE" model tweak 1 2 16 256 16 1
"$PROBE" model tstrong 2 2 32 256 16 2
"$PROBE" tokenizer tstrong
"$PROBE" textdata text.jsonl 300 5
"$W2S_BIN" run --weak tweak --strong tstrong --data text.jsonl --n-train 240 --n-test 60 --lr 1e-3 --losses xent,product \
    --precision fp32 --label-precision fp32 --out tout > /dev/null 2> tout.err || { cat tout.err; fail "text run failed"; }
$CHECK check tout
grep -q '"txt"' tout/seed0/weak_labels.jsonl || fail "weak labels lost the text field"
grep -q '"label_precision": "fp32"' tout/results.json || fail "label_precision fp32"
"$PROBE" model tsmall 1 2 16 200 16 1
"$PROBE" tokenizer tsmall

# ---- errors: one line on stderr, non-zero exit
expect_error "weak model nope" "$W2S_BIN" run --weak nope --strong strong --data data.jsonl --out e1
expect_error "missing.jsonl" "$W2S_BIN" run --weak weak --strong strong --data missing.jsonl --out e1
grep -v '"hard_label": 1' data.jsonl > oneclass.jsonl
expect_error "only one class" "$W2S_BIN" run --weak weak --strong strong --data oneclass.jsonl --n-train 100 --n-test 20 --out e2
expect_error "vocab_size" "$W2S_BIN" run --weak weak --strong strong80 --data data.jsonl --out e3
expect_error "--losses" "$W2S_BIN" run $ARGS --losses xent,bogus --out e4
expect_error "unknown option" "$W2S_BIN" run $ARGS --bogus 1 --out e4
expect_error "exceed" "$W2S_BIN" run --weak weak --strong strong --data data.jsonl --n-train 400 --n-test 100 --out e5
echo '{"input_ids": [1, 2, 99], "hard_label": 0}' > badid.jsonl
expect_error "badid.jsonl:1" "$W2S_BIN" run --weak weak --strong strong --data badid.jsonl --out e6
expect_error "tokenizer and model files do not match" "$W2S_BIN" run --weak tsmall --strong tsmall --data text.jsonl --out e7
expect_error "no tokenizer" "$W2S_BIN" run --weak weak --strong strong --data text.jsonl --out e8
mkdir mixed && cp strong/config.json mixed/ && cp weak/model.safetensors mixed/
expect_error "model and config files do not match" "$W2S_BIN" run --weak weak --strong mixed --data data.jsonl --out e10
[ ! -e e10/seed0/weak ] || fail "the weak model was trained before the strong model's files were checked"
expect_error "precision" "$W2S_BIN" run $ARGS --precision fp16 --out e9
expect_error "label-precision" "$W2S_BIN" run $ARGS --label-precision int4 --out e9
long=$(printf 'd%.0s' $(seq 5000))
expect_error "--out path too long (5000 bytes" "$W2S_BIN" run $ARGS --out "$long"
[ ! -e e1 ] && [ ! -e e3 ] && [ ! -e e7 ] || fail "an output directory was created for a failed run"
"$W2S_BIN" run --help | grep -q -- "--weak DIR" || fail "--help"
echo "ok"

# test_label.sh — `w2s label` batch mode on a briefly trained tiny classifier: output lines in
# input order with every input field, soft_label summing to 1, the input label kept as gt_label;
# int8 agrees with fp32 (--check-fp32) and fp32 labels equal `w2s eval --predictions --precision
# fp32`; int8 labels are byte-identical for any --batch (batch independence through the CLI);
# text input through a tokenizer; every kind of bad input is an error naming FILE:LINE that
# leaves an existing output untouched, or is skipped and counted with --skip-bad.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
scratch_dir
tiny_classifier 300 2

# ---- labels, order, fields, fp32 agreement
"$W2S_BIN" label --model model.safetensors --data data.jsonl --out lab.jsonl --check-fp32 --quiet > sum.json
cat sum.json
/usr/bin/python3 - <<'PY' || fail "labels"
import json
inp = [json.loads(l) for l in open("data.jsonl")]
out = [json.loads(l) for l in open("lab.jsonl")]
s = json.load(open("sum.json"))
assert len(out) == len(inp) == s["examples"] == 300, (len(out), s)
for a, b in zip(inp, out):
    assert b["input_ids"] == a["input_ids"] and b["id"] == a["id"], (a, b)
    assert b["gt_label"] == a["hard_label"]
    p = b["soft_label"]
    assert len(p) == 2 and abs(sum(p) - 1) < 1e-6 and min(p) >= 0, p
    assert b["hard_label"] == max(range(2), key=lambda k: p[k])
c = s["fp32_check"]
# issue #4's bounds (the C test tests/models/test_gpt2_int8.c states why these values)
assert c["argmax_agreement"] >= 0.995 and c["mean_abs_dp"] <= 0.01, c
assert s["precision"] == "int8" and s["skipped_bad"] == 0
PY

# ---- --out - writes the same labels to standard output (the summary to stderr), no file "-"
"$W2S_BIN" label --model model.safetensors --data data.jsonl --out - --quiet > lab_stdout.jsonl 2> sum_stdout.json
cmp lab.jsonl lab_stdout.jsonl || fail "--out - differs from --out FILE"
grep -q '"out": "-"' sum_stdout.json || fail "--out -: summary not on stderr: $(cat sum_stdout.json)"
[ ! -e ./- ] || fail "--out - wrote a file named -"
"$W2S_BIN" eval --model model.safetensors --data data.jsonl --predictions - > pred_stdout.jsonl 2> eval_sum.json
[ "$(wc -l < pred_stdout.jsonl)" = 300 ] && grep -q '"accuracy"' eval_sum.json || fail "eval --predictions -"
if "$W2S_BIN" train --model model.safetensors --data data.jsonl --out - --epochs 1 --quiet > /dev/null 2> train_err.txt; then
    fail "train --out - succeeded"
fi
grep -q "a model needs a file" train_err.txt || fail "train --out -: $(cat train_err.txt)"

# ---- fp32 labels = w2s eval's fp32 predictions; bf16 runs
"$W2S_BIN" label --model model.safetensors --data data.jsonl --out lab32.jsonl --precision fp32 --batch 5 --quiet > /dev/null
"$W2S_BIN" eval --model model.safetensors --data data.jsonl --predictions pred.jsonl --precision fp32 > /dev/null
/usr/bin/python3 - <<'PY' || fail "fp32 labels differ from w2s eval"
import json
a = [json.loads(l) for l in open("lab32.jsonl")]
b = [json.loads(l) for l in open("pred.jsonl")]
assert len(a) == len(b)
for x, y in zip(a, b):
    assert x["hard_label"] == y["hard_label"], (x, y)
    assert all(abs(p - q) <= 1e-5 for p, q in zip(x["soft_label"], y["soft_label"])), (x, y)
PY
"$W2S_BIN" label --model model.safetensors --data data.jsonl --out lab16.jsonl --precision bf16 --check-fp32 --quiet \
    | grep -q '"precision": "bf16"' || fail "bf16 run"

# ---- batch independence: same bytes for any batch size (lengths 2..12 mix in every batch)
for b in 1 3 16; do
    "$W2S_BIN" label --model model.safetensors --data data.jsonl --out "lab_b$b.jsonl" --batch $b --quiet > /dev/null
    cmp -s lab.jsonl "lab_b$b.jsonl" || fail "int8 labels with --batch $b differ from --batch 8"
done

# ---- text through a tokenizer (byte-level: every byte a token) on a model with V >= 256
"$PROBE" model mt 1 2 32 256 32 3
"$PROBE" tokenizer mt
"$PROBE" textdata text.jsonl 40 5
"$W2S_BIN" train --model mt --data text.jsonl --out mt/model_cls.safetensors --lr 1e-3 --epochs 1 --quiet > /dev/null
"$W2S_BIN" label --model mt/model_cls.safetensors --data text.jsonl --out tlab.jsonl --quiet > /dev/null
[ "$(wc -l < tlab.jsonl)" = 40 ] || fail "text labels"
grep -q '"txt"' tlab.jsonl || fail "text field not kept"

# ---- bad input: FILE:LINE errors, old output kept; --skip-bad counts and goes on
head -5 data.jsonl > bad.jsonl
echo '{"input_ids": [1, 2,' >> bad.jsonl                                    # line 6: malformed
echo '{"input_ids": [1, 2], "hard_label": 7}' >> bad.jsonl                   # line 7: label out of range
echo '{"input_ids": [1, 2], "hard_label": "1"}' >> bad.jsonl                 # line 8: label not an integer
echo '{"hard_label": 1}' >> bad.jsonl                                        # line 9: no text
echo '{"txt": "", "hard_label": 1}' >> bad.jsonl                             # line 10: empty text
/usr/bin/python3 -c 'print({"input_ids": list(range(33))}.__repr__().replace("'"'"'", "\""))' >> bad.jsonl  # line 11: too long
echo '{"input_ids": [3, 4]}' >> bad.jsonl                                   # line 12: fine, unlabeled
echo keep > out.jsonl
check_err() {  # $1 = line number expected in the message, $2 = file
    if "$W2S_BIN" label --model model.safetensors --data "$2" --out out.jsonl --quiet > /dev/null 2> err.txt; then
        fail "bad line $1 accepted"
    fi
    grep -q "$2:$1:" err.txt || { cat err.txt; fail "error does not name $2:$1"; }
    [ "$(cat out.jsonl)" = keep ] || fail "failed run touched the output"
}
check_err 6 bad.jsonl
for n in 7 8 9 10 11; do
    { head -5 data.jsonl; sed -n "${n}p" bad.jsonl; } > bad1.jsonl
    check_err 6 bad1.jsonl
done
"$W2S_BIN" label --model model.safetensors --data bad.jsonl --out out.jsonl --skip-bad --quiet > skip.json
/usr/bin/python3 - <<'PY' || fail "--skip-bad: $(cat skip.json)"
import json
s = json.load(open("skip.json"))
assert s["examples"] == 6 and s["skipped_bad"] == 5 and s["skipped_too_long"] == 1, s
out = [json.loads(l) for l in open("out.jsonl")]
assert len(out) == 6 and out[-1]["input_ids"] == [3, 4] and "gt_label" not in out[-1]
PY

# ---- usage errors
"$W2S_BIN" label --model model.safetensors --data data.jsonl 2> /dev/null && fail "missing --out accepted"
"$W2S_BIN" label --model model.safetensors --data data.jsonl --out x.jsonl --precision int4 2> /dev/null && fail "int4 accepted"
"$W2S_BIN" label --model m --data data.jsonl --out x.jsonl 2> err.txt && fail "headless model accepted"
grep -q "classification head" err.txt || fail "headless model message: $(cat err.txt)"
"$W2S_BIN" label --help | grep -q -- "--stream" || fail "help"
echo "test_label: ok"

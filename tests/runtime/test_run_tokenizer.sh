# test_run_tokenizer.sh — tokenizer and model plumbing of `w2s run` (issue #22): --tokenizer DIR
# for models without one; the error for text without a tokenizer names --tokenizer and the
# file:line once; every saved model is a Hugging Face directory (config.json, weights,
# tokenizer) that `label` and `eval` open with no other flag; a hub name gets a download hint;
# openai/weak-to-strong's "lm.transformer.*" checkpoints load to the same predictions;
# pytorch_model.bin gets the conversion command.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
scratch_dir
"$PROBE" model tweak 1 2 16 256 16 1
"$PROBE" model tstrong 2 2 32 256 16 2
mkdir tok && "$PROBE" tokenizer tok
"$PROBE" textdata text.jsonl 300 5
[ ! -e tstrong/vocab.json ] && [ ! -e tweak/vocab.json ] || fail "fixture: the models carry a tokenizer"
RUN="--weak tweak --strong tstrong --data text.jsonl --n-train 240 --n-test 60 --lr 1e-3 --losses xent --epochs 1"


# ---- text without a tokenizer: one line naming --tokenizer, file:line once
expect_error "--tokenizer DIR" "$W2S_BIN" run $RUN --out e1
[ "$(grep -o 'text.jsonl:1:' err.txt | wc -l)" = 1 ] || fail "file:line not printed exactly once: $(cat err.txt)"
expect_error "--tokenizer DIR" "$W2S_BIN" train --model tstrong --data text.jsonl --out x.safetensors
[ "$(grep -o 'text.jsonl:1:' err.txt | wc -l)" = 1 ] || fail "train: file:line not printed once: $(cat err.txt)"
expect_error "not a directory holding vocab.json" "$W2S_BIN" run $RUN --tokenizer tweak --out e2

# ---- --tokenizer DIR, and complete saved model directories
"$W2S_BIN" run $RUN --tokenizer tok --save-models --out out > /dev/null 2> run.err || { cat run.err; fail "run --tokenizer"; }
for step in weak ceiling student_xent; do
    for f in config.json model.safetensors vocab.json merges.txt; do
        [ -s "out/seed0/$step/$f" ] || fail "out/seed0/$step/$f missing: not a complete model directory"
    done
done
"$W2S_BIN" eval --model out/seed0/student_xent --data text.jsonl > ev_dir.json || fail "eval of a saved directory"
"$W2S_BIN" eval --model out/seed0/student_xent/model.safetensors --data text.jsonl > ev_file.json ||
    fail "eval of a saved file"
"$W2S_BIN" label --model out/seed0/weak --data text.jsonl --out lab.jsonl --precision fp32 > /dev/null ||
    fail "label of a saved directory with no flags"
[ "$(wc -l < lab.jsonl)" = 300 ] || fail "label wrote $(wc -l < lab.jsonl) lines"
/usr/bin/python3 - <<'PY' || fail "saved models"
import json
a, b = json.load(open("ev_dir.json")), json.load(open("ev_file.json"))
assert a["accuracy"] == b["accuracy"] and a["examples"] == 300, (a, b)
cfg = json.load(open("out/seed0/weak/config.json"))
assert cfg["num_labels"] == 2 and cfg["n_layer"] == 1, cfg
PY
# The tokenizer files' content is part of the step keys: `touch` keeps every step, an edit
# redoes them and says why.
touch tok/merges.txt tok/vocab.json
"$W2S_BIN" run $RUN --tokenizer tok --save-models --out out > /dev/null 2> rerun.err || fail "rerun"
[ "$(grep -c ': reused' rerun.err)" = 4 ] || { cat rerun.err; fail "rerun after touch did not reuse"; }
sed -i 's/^#version: 0.2$/#version: 0.2 (edited)/' tok/merges.txt
"$W2S_BIN" run $RUN --tokenizer tok --out out > /dev/null 2> rerun2.err || fail "rerun after an edit"
grep -q ': reused' rerun2.err && fail "steps reused after the tokenizer's files changed"
grep -q "seed 0 weak: redone: the data's content changed" rerun2.err || { cat rerun2.err; fail "no reason given"; }

# ---- hub names
expect_error "huggingface-cli download gpt2 --local-dir models/gpt2" \
    "$W2S_BIN" run --weak gpt2 --strong gpt2-medium --data text.jsonl --out e3
expect_error "not the Hugging Face hub" "$W2S_BIN" eval --model openai-community/gpt2 --data text.jsonl

# ---- openai/weak-to-strong names: the body under "lm.transformer."
mkdir w2sref
cp out/seed0/student_xent/config.json out/seed0/student_xent/vocab.json out/seed0/student_xent/merges.txt w2sref/
/usr/bin/python3 - <<'PY' || fail "renaming fixture"
import json, struct
raw = open("out/seed0/student_xent/model.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
h = json.loads(raw[8:8 + n])
meta = h.pop("__metadata__", None)
renamed = {("lm." + k if k.startswith("transformer.") else k): v for k, v in h.items()}
assert any(k.startswith("lm.transformer.h.0.") for k in renamed) and "score.weight" in renamed
if meta: renamed["__metadata__"] = {"format": "pt"}
text = json.dumps(renamed).encode()
text += b" " * ((8 - len(text) % 8) % 8)
open("w2sref/model.safetensors", "wb").write(struct.pack("<Q", len(text)) + text + raw[8 + n:])
PY
"$W2S_BIN" eval --model w2sref --data text.jsonl --predictions p_ref.jsonl > ev_ref.json || fail "lm.transformer.* load"
"$W2S_BIN" eval --model out/seed0/student_xent --data text.jsonl --predictions p_own.jsonl > /dev/null
cmp -s p_ref.jsonl p_own.jsonl || fail "lm.transformer.* checkpoint predicts differently"

# ---- pytorch_model.bin: the conversion command
mkdir binmodel && cp w2sref/config.json binmodel/ && echo "not read" > binmodel/pytorch_model.bin
expect_error "python3 scripts/convert_to_safetensors.py binmodel" "$W2S_BIN" eval --model binmodel --data text.jsonl
"$W2S_BIN" run --help | grep -q -- "--tokenizer DIR" || fail "--help lacks --tokenizer"
echo ok

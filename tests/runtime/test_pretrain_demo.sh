#!/usr/bin/env bash
# test_pretrain_demo.sh — `w2s pretrain --demo weak|strong|mid --quick` warms the cache of
# `w2s demo --quick --bootstrap`: a second call reuses the body, `w2s demo` then pretrains
# nothing and computes no features (all three bodies cached, no new cache file), and --out
# writes the body as a checkpoint that `w2s pretrain --init` continues (its untied 266-output LM
# head kept, a target outside it refused at its line). Cost: the quick strong body's pretraining, ~20 s.
set -euo pipefail
: "${W2S_BIN:?}"
. "$W2S_SOURCE_DIR/tests/support/common.sh"
demo_scratch
cd "$tmp"
field() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

"$W2S_BIN" pretrain --demo weak --quick --seed 3 --cache-dir cache --quiet > weak1.json
"$W2S_BIN" pretrain --demo weak --quick --seed 3 --cache-dir cache --quiet --out weak.safetensors > weak2.json
"$W2S_BIN" pretrain --demo strong --quick --seed 3 --cache-dir cache --quiet > strong.json
"$W2S_BIN" pretrain --demo mid --quick --seed 3 --cache-dir cache --quiet > mid.json
[ "$(field weak1.json cached)" = False ] && [ "$(field weak2.json cached)" = True ]
[ "$(field strong.json cached)" = False ] && [ "$(field mid.json cached)" = False ]
[ "$(field weak1.json checkpoint)" = "$(field weak2.json checkpoint)" ]
ls cache > before.txt

"$W2S_BIN" demo --quick --bootstrap --seeds 3 --cache-dir cache --out demo --quiet > demo.txt
ls cache > after.txt
cmp before.txt after.txt
/usr/bin/python3 - <<'PY'
import json
r = json.load(open("demo/results.json"))
s = r["seeds"][0]
for body, src in (("weak_body", "weak1.json"), ("strong_body", "strong.json"), ("mid_body", "mid.json")):
    b, p = s[body], json.load(open(src))
    assert b["cached"] and b["features_cached"], (body, b)
    assert b["checkpoint"] == p["checkpoint"], (b["checkpoint"], p["checkpoint"])
    assert b["steps"] == p["steps"] and abs(b["train_loss"] - p["train_loss"]) < 1e-9, (b, p)
    assert abs(b["test_lm_loss"] - p["test_loss"]) < 1e-9 and abs(b["caption_acc"] - p["caption_acc"]) < 1e-9, (b, p)
print(f"demo reused the three pretrained bodies: weak {s['weak']:.3f} ceiling {s['ceiling']:.3f}")
PY

# The written body is a checkpoint with the demo's untied LM head (266 outputs of 267 rows):
# --init keeps it. Targets must be < 266; BOS (266) may only be an input.
/usr/bin/python3 - <<'PY'
import random
r = random.Random(0)
with open("img.jsonl", "w") as f:
    for i in range(64):
        f.write('{"input_ids": [266, %s]}\n' % ", ".join(str(r.randrange(256)) for _ in range(20)))
with open("bos.jsonl", "w") as f:
    f.write('{"input_ids": [266, 1, 2]}\n{"input_ids": [1, 266]}\n')
PY
"$W2S_BIN" pretrain --init weak.safetensors --data img.jsonl --out cont.safetensors --steps 3 --batch 8 --quiet > cont.json
[ "$(field cont.json sequences)" = 64 ]
set +e
"$W2S_BIN" pretrain --init weak.safetensors --data bos.jsonl --out x.safetensors --steps 3 2> err.txt
rc=$?
set -e
[ $rc -ne 0 ] && [ "$(wc -l < err.txt)" = 1 ] && grep -q "bos.jsonl:2: input_ids\[1\] = 266 cannot be predicted" err.txt
echo "pretrain --demo ok"

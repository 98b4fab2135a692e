# progressions.sh — sourced by the pretraining tests: write_progressions writes, in the current
# folder, config.json (a tiny GPT-2: 2 layers, d = 32, vocab 64, 24 positions) and data.jsonl,
# 512 sequences of 2..20 tokens with a rule a model can learn: start s, stride k in 1..3,
# token t = (s + k t) mod 64. After two tokens the rest is determined, so a model that learns
# the rule gets far below ln 64. Each line also has an "id" (pretraining ignores it).
write_progressions() {
    cat > config.json <<'EOF'
{"model_type": "gpt2", "n_layer": 2, "n_head": 2, "n_embd": 32, "vocab_size": 64, "n_positions": 24}
EOF
    /usr/bin/python3 - <<'PY'
import random
r = random.Random(1)
with open("data.jsonl", "w") as f:
    for i in range(512):
        n, k, s = r.randint(2, 20), r.randint(1, 3), r.randrange(64)
        f.write('{"input_ids": [%s], "id": %d}\n' % (", ".join(str((s + k * t) % 64) for t in range(n)), i))
PY
}

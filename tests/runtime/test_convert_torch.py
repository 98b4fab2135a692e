"""test_convert_torch.py — scripts/convert_to_safetensors.py with PyTorch: a trained w2s
classifier saved as a PyTorch state dict (pytorch_model.bin, with the tied-storage and causal
mask buffers of a Hugging Face GPT-2 file) converts to a model.safetensors that `w2s eval`
reads to exactly the predictions of the original; before conversion, eval names the command.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import torch

W2S, BUILD, SRC = os.environ["W2S_BIN"], os.environ["W2S_BUILD_DIR"], os.environ["W2S_SOURCE_DIR"]
PROBE = os.path.join(BUILD, "tests", "probe_w2s_fixture")


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    h = json.loads(raw[8:8 + n])
    meta = h.pop("__metadata__", {})
    dt = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}
    out = {}
    for k, v in h.items():
        a, b = v["data_offsets"]
        buf = bytearray(raw[8 + n + a:8 + n + b])
        out[k] = torch.frombuffer(buf, dtype=dt[v["dtype"]]).reshape(v["shape"]).clone()
    return out, meta


def main():
    t = tempfile.mkdtemp()
    try:
        os.chdir(t)
        run(PROBE, "model", "m", "2", "2", "32", "64", "32", "1")
        run(PROBE, "data", "data.jsonl", "200", "64", "7")
        run(W2S, "train", "--model", "m", "--data", "data.jsonl", "--out", "model.safetensors", "--lr", "1e-3",
            "--epochs", "2", "--quiet")
        tensors, meta = read_safetensors("model.safetensors")
        os.mkdir("bin")
        with open("bin/config.json", "w") as f:
            f.write(meta["w2s_config"])
        # as a Hugging Face GPT-2 file: the causal-mask buffers, and lm_head sharing wte's storage
        tensors["transformer.h.0.attn.bias"] = torch.ones(1, 1, 32, 32, dtype=torch.bool)
        tensors["lm_head.weight"] = tensors["transformer.wte.weight"]
        torch.save(tensors, "bin/pytorch_model.bin")
        r = subprocess.run([W2S, "eval", "--model", "bin", "--data", "data.jsonl"], capture_output=True, text=True)
        assert r.returncode != 0 and "scripts/convert_to_safetensors.py bin" in r.stderr, r.stderr
        run(sys.executable, os.path.join(SRC, "scripts", "convert_to_safetensors.py"), "bin")
        run(W2S, "eval", "--model", "bin", "--data", "data.jsonl", "--predictions", "p_bin.jsonl")
        run(W2S, "eval", "--model", "model.safetensors", "--data", "data.jsonl", "--predictions", "p_own.jsonl")
        a, b = open("p_bin.jsonl").read(), open("p_own.jsonl").read()
        assert a == b and len(a.splitlines()) == 200, "converted model predicts differently"
        print("ok: pytorch_model.bin converted; predictions identical")
    finally:
        shutil.rmtree(t)


if __name__ == "__main__":
    main()

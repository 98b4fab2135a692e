#!/usr/bin/env python3
# convert_to_safetensors.py — DIR/pytorch_model.bin (a PyTorch state dict, as older Hugging Face
# GPT-2 uploads and openai/weak-to-strong save them) to DIR/model.safetensors, which w2s reads.
# Uses the caller's PyTorch only (no safetensors package): the format is a little-endian u64
# header length, a JSON header of {name: {dtype, shape, data_offsets}} and the raw tensor bytes.
# Not a general converter: tensors are written as F32, F16 or BF16 as stored; others are refused.
#   usage: python3 scripts/convert_to_safetensors.py DIR
import json
import os
import struct
import sys

DTYPES = {"float32": "F32", "float16": "F16", "bfloat16": "BF16"}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python3 scripts/convert_to_safetensors.py DIR  (DIR holds pytorch_model.bin)")
    d = sys.argv[1]
    src, dst = os.path.join(d, "pytorch_model.bin"), os.path.join(d, "model.safetensors")
    try:
        import torch
    except ImportError:
        sys.exit("convert_to_safetensors: needs PyTorch (pip install torch, or apt install python3-torch)")
    state = torch.load(src, map_location="cpu")
    if not isinstance(state, dict):
        sys.exit(f"{src}: not a state dict (got {type(state).__name__})")
    header, blobs, offset, seen = {}, [], 0, {}
    for name in sorted(state):
        t = state[name]
        if not torch.is_tensor(t):
            continue
        kind = str(t.dtype).replace("torch.", "")
        if kind not in DTYPES:
            if name.endswith((".attn.bias", ".attn.masked_bias")):
                continue  # GPT-2's causal-mask buffers, not weights
            sys.exit(f"{src}: tensor {name} has dtype {kind}; only float32, float16 and bfloat16 convert")
        # Tied tensors (lm_head and wte) share storage: each name gets its own bytes.
        raw = t.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": DTYPES[kind], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
        seen[name] = True
    if not seen:
        sys.exit(f"{src}: no floating-point tensors")
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = dst + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, dst)
    print(f"wrote {dst}: {len(seen)} tensors, {offset} bytes")


if __name__ == "__main__":
    main()

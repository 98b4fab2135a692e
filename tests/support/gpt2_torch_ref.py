"""gpt2_torch_ref.py — shared by the PyTorch cross-checks (tests/*/test_*_torch.py): a minimal
safetensors reader/writer (struct + json, so the tests need no safetensors package) and an
independent float64 GPT-2 with Hugging Face semantics, written from the GPT-2 paper and HF's
modeling_gpt2, not from w2s's code.
"""
import json
import math
import struct

import torch

DT = {"F32": (torch.float32, 4), "I32": (torch.int32, 4)}


def st_write(path, tensors, metadata=None):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        t = t.contiguous()
        dt = {torch.float32: "F32", torch.int32: "I32"}[t.dtype]
        b = t.numpy().tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def st_read(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        dt, size = DT[e["dtype"]]
        a, b = e["data_offsets"]
        buf = bytearray(data[8 + n + a:8 + n + b])
        out[name] = torch.frombuffer(buf, dtype=dt).reshape(e["shape"]).clone() if b > a else \
            torch.zeros(e["shape"], dtype=dt)
    return out, meta


# ---- the reference model (float64), HF GPT-2 semantics

def gpt2_param_shapes(L, C, V, P):
    """Body tensor names (GPT2Model, no prefix) → shapes; Conv1D weights are (in, out)."""
    shapes = {"wte.weight": (V, C), "wpe.weight": (P, C), "ln_f.weight": (C,), "ln_f.bias": (C,)}
    for i in range(L):
        for n, s in [("ln_1.weight", (C,)), ("ln_1.bias", (C,)), ("attn.c_attn.weight", (C, 3 * C)),
                     ("attn.c_attn.bias", (3 * C,)), ("attn.c_proj.weight", (C, C)), ("attn.c_proj.bias", (C,)),
                     ("ln_2.weight", (C,)), ("ln_2.bias", (C,)), ("mlp.c_fc.weight", (C, 4 * C)),
                     ("mlp.c_fc.bias", (4 * C,)), ("mlp.c_proj.weight", (4 * C, C)), ("mlp.c_proj.bias", (C,))]:
            shapes[f"h.{i}.{n}"] = s
    return shapes


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def reference(p, cfg, tokens, lengths, targets, dlogits, lm_mode):
    L, C, NH = cfg["n_layer"], cfg["n_embd"], cfg["n_head"]
    B, T = tokens.shape
    hs = C // NH
    pos = torch.arange(T)
    real = pos[None, :] < lengths[:, None]
    tok = torch.where(real, tokens, torch.zeros_like(tokens)).long()
    x = p["wte.weight"][tok] + p["wpe.weight"][pos][None]
    ln = lambda v, w, b: torch.nn.functional.layer_norm(v, (C,), w, b, 1e-5)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for i in range(L):
        g = lambda n: p[f"h.{i}.{n}"]
        h = ln(x, g("ln_1.weight"), g("ln_1.bias"))
        qkv = h @ g("attn.c_attn.weight") + g("attn.c_attn.bias")
        q, k, v = qkv.split(C, dim=2)
        q, k, v = [t.view(B, T, NH, hs).transpose(1, 2) for t in (q, k, v)]
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hs)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + y @ g("attn.c_proj.weight") + g("attn.c_proj.bias")
        h = ln(x, g("ln_2.weight"), g("ln_2.bias"))
        x = x + gelu_new(h @ g("mlp.c_fc.weight") + g("mlp.c_fc.bias")) @ g("mlp.c_proj.weight") \
            + g("mlp.c_proj.bias")
    f = ln(x, p["ln_f.weight"], p["ln_f.bias"])
    last = f[torch.arange(B), lengths.long() - 1]
    cls = last @ p["score.weight"].T
    loss = (cls * dlogits).sum()
    lm_loss = torch.zeros((), dtype=torch.float64)
    if lm_mode != "none":
        w = p["wte.weight"] if lm_mode == "tied" else p["lm_head.weight"]
        logits = f @ w.T
        sel = (targets >= 0) & real
        lm_loss = torch.nn.functional.cross_entropy(logits[sel], targets[sel].long())
        loss = loss + lm_loss
    return loss, cls, lm_loss, f

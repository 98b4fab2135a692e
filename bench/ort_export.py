#!/usr/bin/python3
"""ort_export.py — exports a w2s GPT-2 classifier to ONNX for the ONNX Runtime comparison
(bench/serve_compare.py): MODEL.fp32.onnx and MODEL.int8.onnx, inputs input_ids and
attention_mask (B, T) int64 (right padding), output logits (B, K) of each row's last real token,
as `w2s label` computes them. Not part of w2s and not run by CI: a baseline for a measurement.
The one thing to know: the int8 model is the fp32 graph with every linear layer's MatMul (weight
initializer) rewritten into DynamicQuantizeLinear → MatMulInteger → Cast → Mul(x_scale ·
w_scale[col]) (+ bias), the pattern ONNX Runtime fuses into DynamicQuantizeMatMul: s8 weights per
output column as w2s quantizes them, but u8 activations per tensor (ONNX's dynamic quantization)
where w2s quantizes per token; the head stays f32 in both.
usage: bench/ort_export.py CHECKPOINT OUT_DIR [--check] [--w2s BIN]
  --check  also labels 24 examples (1..128 tokens) with `w2s label --precision fp32|int8` and
           with ONNX Runtime from node (bench/ort_bench.js --logits; needs its npm package,
           see there), compares the log-odds, and checks that ORT fused every int8 matmul.
Runs with Debian's python3 (torch, numpy, onnx: python3-torch python3-numpy python3-onnx).
"""
import argparse
import json
import math
import os
import random
import struct
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
HEAD = "score_t"  # the head's initializer name: kept f32, as w2s keeps it


def read_checkpoint(path):
    """A w2s checkpoint (safetensors, HF GPT-2 names): {name without 'transformer.': f32 array}, config."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    meta = header.pop("__metadata__", {})
    if "w2s_config" not in meta:
        sys.exit(f"ort_export: {path}: no w2s_config in the safetensors metadata (hint: a w2s classifier "
                 f"checkpoint, from `w2s train`)")
    cfg = json.loads(meta["w2s_config"])
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    out = {}
    for name, e in header.items():
        if e["dtype"] != "F32":
            sys.exit(f"ort_export: {path}: tensor {name} is {e['dtype']} (hint: expected F32)")
        a, b = e["data_offsets"]
        out[name.removeprefix("transformer.")] = np.array(raw[a:b].view(np.float32).reshape(e["shape"]))
    if "score.weight" not in out:
        sys.exit(f"ort_export: {path}: no score.weight (hint: a classifier, not a pretrained LM)")
    return out, cfg


class Gpt2Classifier(torch.nn.Module):
    """GPT-2 (HF semantics, gelu_new, causal attention) + a linear head on the last real token."""

    def __init__(self, p, cfg):
        super().__init__()
        self.L, self.C, self.NH = cfg["n_layer"], cfg["n_embd"], cfg["n_head"]
        self.eps = cfg.get("layer_norm_epsilon", 1e-5)
        for name, a in p.items():
            if name == "score.weight":
                self.register_parameter(HEAD, torch.nn.Parameter(torch.from_numpy(a.T.copy())))  # (C, K)
            else:
                self.register_parameter(name.replace(".", "_"), torch.nn.Parameter(torch.from_numpy(a)))
        P = cfg["n_positions"]
        self.register_buffer("causal", torch.tril(torch.ones(P, P, dtype=torch.bool)).view(1, 1, P, P))

    def g(self, name):
        return getattr(self, name.replace(".", "_"))

    def ln(self, x, name):
        return torch.nn.functional.layer_norm(x, (self.C,), self.g(name + ".weight"), self.g(name + ".bias"), self.eps)

    def forward(self, input_ids, attention_mask):
        B, T = input_ids.shape
        C, NH = self.C, self.NH
        hs = C // NH
        x = self.g("wte.weight")[input_ids] + self.g("wpe.weight")[:T]
        causal = self.causal[:, :, :T, :T]
        for i in range(self.L):
            h = self.ln(x, f"h.{i}.ln_1")
            qkv = h @ self.g(f"h.{i}.attn.c_attn.weight") + self.g(f"h.{i}.attn.c_attn.bias")
            q, k, v = qkv.split(C, dim=2)
            q, k, v = [t.reshape(B, T, NH, hs).transpose(1, 2) for t in (q, k, v)]
            att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hs))
            att = att.masked_fill(~causal, float("-inf")).softmax(-1)
            y = (att @ v).transpose(1, 2).reshape(B, T, C)
            x = x + (y @ self.g(f"h.{i}.attn.c_proj.weight") + self.g(f"h.{i}.attn.c_proj.bias"))
            h = self.ln(x, f"h.{i}.ln_2")
            u = h @ self.g(f"h.{i}.mlp.c_fc.weight") + self.g(f"h.{i}.mlp.c_fc.bias")
            u = 0.5 * u * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (u + 0.044715 * u * u * u)))
            x = x + (u @ self.g(f"h.{i}.mlp.c_proj.weight") + self.g(f"h.{i}.mlp.c_proj.bias"))
        # Right padding: the last real token of row b is at sum(mask[b]) - 1; causal attention
        # means no real token ever sees a pad, so the mask needs no other use.
        last = (attention_mask.sum(1) - 1).view(B, 1, 1).expand(B, 1, C)
        f = self.ln(torch.gather(x, 1, last).squeeze(1), "ln_f")
        return f @ getattr(self, HEAD)


def export_fp32(p, cfg, path):
    m = Gpt2Classifier(p, cfg).eval()
    ids = torch.zeros(2, 8, dtype=torch.int64)
    mask = torch.ones(2, 8, dtype=torch.int64)
    with torch.no_grad():
        torch.onnx.export(m, (ids, mask), path, input_names=["input_ids", "attention_mask"],
                          output_names=["logits"], opset_version=17, do_constant_folding=True,
                          dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                        "logits": {0: "batch"}})


def quant_s8_per_column(w):
    """w (K, N) f32 → q (K, N) s8, scale (N): symmetric per output column, rint half-even, as w2s."""
    amax = np.abs(w).max(axis=0)
    scale = np.where(amax < 127 * np.finfo(np.float32).tiny, np.float32(1), amax / np.float32(127)).astype(np.float32)
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    return q, scale


def quantize_int8(src, dst):
    """Rewrites every MatMul whose B is a 2-D weight initializer (all but the head) into ORT's
    dynamic-quantization pattern; returns the number rewritten."""
    model = onnx.load(src)
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    nodes, done = [], 0
    for node in g.node:
        w = inits.get(node.input[1]) if node.op_type == "MatMul" else None
        if w is None or len(w.dims) != 2 or w.name == HEAD:
            nodes.append(node)
            continue
        q, scale = quant_s8_per_column(numpy_helper.to_array(w))
        g.initializer.remove(w)
        g.initializer.extend([numpy_helper.from_array(q, w.name + "_s8"),
                              numpy_helper.from_array(scale, w.name + "_scale")])
        x, y, t = node.input[0], node.output[0], f"q{done}"
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [x], [t + "_x", t + "_xs", t + "_xz"], name=t + "_dql"),
            helper.make_node("MatMulInteger", [t + "_x", w.name + "_s8", t + "_xz"], [t + "_i32"], name=t + "_mmi"),
            helper.make_node("Cast", [t + "_i32"], [t + "_f"], to=TensorProto.FLOAT, name=t + "_cast"),
            helper.make_node("Mul", [t + "_xs", w.name + "_scale"], [t + "_s"], name=t + "_scale"),
            helper.make_node("Mul", [t + "_f", t + "_s"], [y], name=t + "_mul"),
        ]
        done += 1
    del g.node[:]
    g.node.extend(nodes)
    del g.value_info[:]  # shapes of rewritten edges are inferred again by ORT
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    return done


def check(ckpt, out_dir, stem, w2s, n_layer):
    """Labels the same examples with w2s and ORT (one at a time); prints the log-odds differences."""
    node_dir = os.path.join(HERE, "node_modules", "onnxruntime-node")
    if not os.path.isdir(node_dir):
        sys.exit("ort_export: --check needs onnxruntime-node (hint: see bench/ort_bench.js's header)")
    rnd = random.Random(5)
    tmp = tempfile.mkdtemp(prefix="ort_export.")
    data = os.path.join(tmp, "in.jsonl")
    lens = [1, 2, 7, 16, 31, 64, 100, 128] + [rnd.randint(1, 128) for _ in range(16)]
    with open(data, "w") as f:
        for n in lens:
            f.write(json.dumps({"input_ids": [rnd.randrange(50257) for _ in range(n)]}) + "\n")
    ok, odds = True, {}
    # log-odds of class k against class 0: what softmax keeps from the logits.
    lo = lambda v: [v[k] - v[0] for k in range(1, len(v))]
    for prec, tol in (("fp32", 1e-4), ("int8", 0.05)):  # tolerance: a fraction of the largest |log-odds|
        out = os.path.join(tmp, f"w2s_{prec}.jsonl")
        subprocess.run([w2s, "label", "--model", ckpt, "--data", data, "--out", out, "--precision", prec,
                        "--quiet"], check=True, capture_output=True)
        ref = odds[prec] = [lo([math.log(p) for p in json.loads(line)["soft_label"]]) for line in open(out)]
        onnx_path = os.path.join(out_dir, f"{stem}.{prec}.onnx")
        opt = os.path.join(tmp, f"opt_{prec}.onnx")
        got = subprocess.run(["node", os.path.join(HERE, "ort_bench.js"), "--logits", onnx_path, data,
                              "--optimized", opt], check=True, capture_output=True, text=True).stdout
        ort_odds = [lo(json.loads(line)) for line in got.splitlines()]
        maxdiff = lambda a, b: max(abs(x - y) for u, v in zip(a, b) for x, y in zip(u, v))
        diff, scale = maxdiff(ref, ort_odds), max(abs(x) for v in ort_odds for x in v)
        agree = sum((max(r) > 0) == (max(l) > 0) for r, l in zip(ref, ort_odds))
        ops = {}
        for n in onnx.load(opt, load_external_data=False).graph.node:
            ops[n.op_type] = ops.get(n.op_type, 0) + 1
        fused = ops.get("DynamicQuantizeMatMul", 0)
        print(f"check {prec}: {len(lens)} examples of 1..128 tokens, max |log-odds w2s - ORT| {diff:.2e} "
              f"= {diff / scale:.2e} of the largest |log-odds| {scale:.3g} (tolerance {tol:g} of it), "
              f"prediction agreement {agree}/{len(lens)}"
              + (f"; w2s int8 - w2s fp32 for scale: {maxdiff(ref, odds['fp32']):.2e}; ORT fused "
                 f"{fused}/{4 * n_layer} int8 matmuls into DynamicQuantizeMatMul "
                 f"({ops.get('MatMulInteger', 0)} MatMulInteger left)" if prec == "int8" else ""))
        ok &= diff <= tol * scale and (prec != "int8" or fused == 4 * n_layer)
    if not ok:
        sys.exit("ort_export: check failed")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("out_dir")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--w2s", default=os.path.join(HERE, "..", "build", "w2s"))
    o = ap.parse_args()
    os.makedirs(o.out_dir, exist_ok=True)
    stem = os.path.splitext(os.path.basename(o.checkpoint))[0]
    p, cfg = read_checkpoint(o.checkpoint)
    fp32 = os.path.join(o.out_dir, f"{stem}.fp32.onnx")
    export_fp32(p, cfg, fp32)
    n = quantize_int8(fp32, os.path.join(o.out_dir, f"{stem}.int8.onnx"))
    print(f"ort_export: wrote {fp32} and {stem}.int8.onnx ({n} int8 matmuls)")
    if o.check:
        check(o.checkpoint, o.out_dir, stem, o.w2s, cfg["n_layer"])


if __name__ == "__main__":
    main()

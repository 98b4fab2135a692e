#!/usr/bin/python3
"""torch_label.py — the PyTorch baseline of `w2s bench label`: the labeling forward of GPT-2.

Not a reference for correctness (tests/models/ are). A GPT-2 classifier (pre-LN, tanh-GELU,
2-class head on the last token; Linear layers so quantize_dynamic applies to them) on random
weights and tokens, forward only under torch.no_grad(), in fp32, under bf16 autocast, or with
torch.ao.quantization.quantize_dynamic (s8 weights, dynamic u8 activations; the oneDNN x86
engine, since this torch build ships no fbgemm). Prints one JSON line with the fields of
`w2s bench label`: tokens/s at the median batch time, p50/p99 batch latency in ms, and the
median process CPU time per batch (all threads).
Run with Debian's /usr/bin/python3. The environment is fixed before torch loads:
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset, OMP_WAIT_POLICY=PASSIVE for 2+ threads.

  bench/torch_label.py [--arch gpt2] [--batch 8] [--seq 128] [--precision fp32|bf16|int8]
                       [--threads 2] [--iters 20] [--warmup 2]
"""
import argparse
import json
import math
import sys
import time

from torch_baseline import ARCHS, CLASSES, POSITIONS, VOCAB, fix_environment


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--arch", default="gpt2", choices=sorted(ARCHS))
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "int8"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--warmup", type=int, default=2)
    return p.parse_args()


ARGS = parse()
fix_environment(ARGS.threads)

import torch  # noqa: E402  (after the environment is fixed)
import torch.nn.functional as F  # noqa: E402


class Block(torch.nn.Module):
    def __init__(self, NH, C):
        super().__init__()
        self.NH = NH
        self.ln1, self.ln2 = torch.nn.LayerNorm(C), torch.nn.LayerNorm(C)
        self.attn, self.proj = torch.nn.Linear(C, 3 * C), torch.nn.Linear(C, C)
        self.fc, self.fcproj = torch.nn.Linear(C, 4 * C), torch.nn.Linear(4 * C, C)

    def forward(self, x, mask):
        B, T, C = x.shape
        hs = C // self.NH
        q, k, v = self.attn(self.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.NH, hs).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        att = att.masked_fill(mask[:T, :T], float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.proj(y)
        return x + self.fcproj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT2Classifier(torch.nn.Module):
    def __init__(self, L, NH, C):
        super().__init__()
        self.wte = torch.nn.Embedding(VOCAB, C)
        self.wpe = torch.nn.Embedding(POSITIONS, C)
        self.blocks = torch.nn.ModuleList(Block(NH, C) for _ in range(L))
        self.lnf = torch.nn.LayerNorm(C)
        self.score = torch.nn.Linear(C, CLASSES, bias=False)
        self.register_buffer("mask", torch.ones(POSITIONS, POSITIONS, dtype=torch.bool).triu(1))
        for p in self.parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02)

    def forward(self, idx):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for b in self.blocks:
            x = b(x, self.mask)
        return self.score(self.lnf(x[:, -1]))  # all sequences are full length: last = T-1


def main():
    torch.set_num_threads(ARGS.threads)
    torch.manual_seed(0)
    L, NH, C = ARCHS[ARGS.arch]
    model = GPT2Classifier(L, NH, C).eval()
    if ARGS.precision == "int8":
        torch.backends.quantized.engine = "onednn"
        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    idx = torch.randint(0, VOCAB, (ARGS.batch, ARGS.seq))
    times, cpu = [], []
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=ARGS.precision == "bf16"):
        for it in range(ARGS.warmup + ARGS.iters):
            t0, c0 = time.perf_counter(), time.process_time()
            model(idx)
            if it >= ARGS.warmup:
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
    times.sort()
    cpu.sort()
    n = len(times)
    pct = lambda q: times[min(n, max(1, math.ceil(q * n))) - 1]  # nearest rank, as w2s
    p50, p99 = pct(0.5), pct(0.99)
    print(json.dumps({"bench": "label", "impl": "torch", "torch": torch.__version__, "arch": ARGS.arch,
                      "batch": ARGS.batch, "seq": ARGS.seq, "precision": ARGS.precision,
                      "threads": ARGS.threads, "iters": ARGS.iters,
                      "tokens_per_s": round(ARGS.batch * ARGS.seq / p50, 1),
                      "p50_ms": round(1e3 * p50, 3), "p99_ms": round(1e3 * p99, 3),
                      "cpu_p50_ms": round(1e3 * cpu[(n - 1) // 2], 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

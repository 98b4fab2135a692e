#!/usr/bin/python3
"""torch_train.py — the PyTorch baseline of `w2s bench train`: same GPT-2, same step.

Not a reference for correctness (tests/models/test_gpt2_torch.py is). A GPT-2 (HF layout:
Conv1D weights [in, out], pre-LN, tanh-GELU, 2-class head at the last token) trained on
random tokens: forward, cross-entropy, backward, Adam — in fp32 or under bf16 autocast —
timed like w2s (median ms/step after warm-up), printing one JSON line with the same fields.
Run with Debian's /usr/bin/python3 (python3-torch). The environment is fixed before torch
loads: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset, OMP_WAIT_POLICY=PASSIVE for 2+ threads
(spinning OpenMP workers otherwise steal the cores they share with the main thread).

  bench/torch_train.py [--arch gpt2] [--batch 8] [--seq 128] [--precision fp32|bf16]
                       [--threads 2] [--steps 5] [--warmup 1]
"""
import argparse
import json
import math
import statistics
import sys
import time

from torch_baseline import ARCHS, CLASSES, POSITIONS, VOCAB, fix_environment
# Same constants as runtime/cli/cmd_bench.c (2 Zen 5 cores): fp32 and bf16 peaks in GFLOP/s.
PEAK_2C = {"fp32": 515.0, "bf16": 1030.0}


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--arch", default="gpt2", choices=sorted(ARCHS))
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--precision", default="bf16", choices=["fp32", "bf16"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    return p.parse_args()


ARGS = parse()
fix_environment(ARGS.threads)

import torch  # noqa: E402  (after the environment is fixed)
import torch.nn.functional as F  # noqa: E402


class GPT2(torch.nn.Module):
    def __init__(self, L, NH, C):
        super().__init__()
        self.L, self.NH, self.C = L, NH, C
        P = torch.nn.Parameter
        n = lambda *s, sd=0.02: P(torch.randn(*s) * sd)
        z = lambda *s: P(torch.zeros(*s))
        o = lambda *s: P(torch.ones(*s))
        sr = 0.02 / math.sqrt(2 * L)
        self.wte, self.wpe = n(VOCAB, C), n(POSITIONS, C)
        self.blocks = torch.nn.ParameterList()
        for _ in range(L):
            self.blocks.extend([o(C), z(C), n(C, 3 * C), z(3 * C), n(C, C, sd=sr), z(C),
                                o(C), z(C), n(C, 4 * C), z(4 * C), n(4 * C, C, sd=sr), z(C)])
        self.lnfw, self.lnfb = o(C), z(C)
        self.score = z(CLASSES, C)

    def forward(self, tokens, lengths):
        B, T = tokens.shape
        C, NH = self.C, self.NH
        hs = C // NH
        x = self.wte[tokens] + self.wpe[:T][None]
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        for i in range(self.L):
            l1w, l1b, aw, ab, pw, pb, l2w, l2b, fw, fb, mw, mb = self.blocks[12 * i:12 * i + 12]
            h = F.layer_norm(x, (C,), l1w, l1b, 1e-5)
            q, k, v = torch.addmm(ab, h.view(B * T, C), aw).view(B, T, 3 * C).split(C, dim=2)
            q, k, v = [t.reshape(B, T, NH, hs).transpose(1, 2) for t in (q, k, v)]
            att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hs))
            att = att.masked_fill(~mask, float("-inf")).softmax(-1)
            y = (att @ v).transpose(1, 2).reshape(B * T, C)
            x = x + torch.addmm(pb, y, pw).view(B, T, C)
            h = F.layer_norm(x, (C,), l2w, l2b, 1e-5)
            f = F.gelu(torch.addmm(fb, h.view(B * T, C), fw), approximate="tanh")
            x = x + torch.addmm(mb, f, mw).view(B, T, C)
        x = F.layer_norm(x, (C,), self.lnfw, self.lnfb, 1e-5)
        last = x[torch.arange(B), lengths - 1]
        return last @ self.score.T


def main():
    torch.set_num_threads(ARGS.threads)
    torch.manual_seed(1)
    L, NH, C = ARCHS[ARGS.arch]
    model = GPT2(L, NH, C)
    opt = torch.optim.Adam(model.parameters(), lr=1e-5, betas=(0.9, 0.999), eps=1e-8)
    B, T = ARGS.batch, ARGS.seq
    tokens = torch.randint(0, VOCAB, (B, T))
    lengths = torch.full((B,), T)
    labels = torch.arange(B) % 2
    bf16 = ARGS.precision == "bf16"
    times, fwd, bwd, opt_t, cpu = [], [], [], [], []
    for it in range(ARGS.warmup + ARGS.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=False)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(tokens, lengths)
        loss = F.cross_entropy(logits.float(), labels)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        if it >= ARGS.warmup:
            cpu.append(time.process_time() - c0)
            times.append(t3 - t0)
            fwd.append(t1 - t0)
            bwd.append(t2 - t1)
            opt_t.append(t3 - t2)
    n_params = sum(p.numel() for p in model.parameters())
    # 6·N per token with N = parameters used in matmuls (embedding lookups excluded), as w2s.
    n_matmul = n_params - model.wte.numel() - model.wpe.numel()
    step = statistics.median(times)
    flops = 6.0 * n_matmul * B * T
    peak = PEAK_2C[ARGS.precision] * min(ARGS.threads, 2) / 2.0
    print(json.dumps({
        "bench": "train", "impl": "torch", "arch": ARGS.arch, "batch": B, "seq": T,
        "precision": ARGS.precision, "threads": ARGS.threads, "steps": ARGS.steps, "params": n_params,
        "tokens_per_s": round(B * T / step, 1), "ms_per_step": round(1e3 * step, 1),
        "fwd_ms": round(1e3 * statistics.median(fwd), 1), "bwd_ms": round(1e3 * statistics.median(bwd), 1),
        "opt_ms": round(1e3 * statistics.median(opt_t), 1),
        "cpu_ms_per_step": round(1e3 * statistics.median(cpu), 1), "gflops": round(flops / step * 1e-9, 1),
        "peak_gflops": peak, "mfu": round(flops / step * 1e-9 / peak, 4),
        "torch": torch.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""demo_reference.py — an independent PyTorch implementation of the demo recipe (docs/DEMO.md), written
from docs/DEMO.md alone and sharing no code with w2s, to tell a bug in `w2s demo` from seed spread.

Its random streams differ from w2s's, so the same seed gives different bodies and splits: compare
distributions over many seeds, never single seeds. It prints one JSON line per seed, then each
figure's mean and std; `--compare w2s-demo/results.json` adds w2s's seeds and Welch's t, and
each side's lead of the confidence loss (PGR difference on the mean, seeds where it is ahead).
fp32 throughout (w2s pretrains in bf16); about 9 s per seed with --weak-only, 135 s with both
bodies, on 2 threads. Usage:
  scripts/demo_reference.py [--seeds 0,1,2] [--task pullover-coat|upper-body] [--weak-only] [--threads 2]
                            [--compare RESULTS_JSON]
"""
import argparse
import gzip
import itertools
import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"
BOS, VOCAB_OUT, VOCAB_IN, T = 266, 266, 267, 50
# docs/DEMO.md "Data and splits": each binary task is a group of Fashion-MNIST classes.
TASKS = {"pullover-coat": (2, 4), "upper-body": (0, 2, 4, 6)}  # upper-body: T-shirt/top, Pullover, Coat, Shirt
FIGURES = ("weak", "ceiling", "xent", "logconf", "pgr_xent", "pgr_logconf")


# ---- data (docs/DEMO.md "Data and splits", "Tokens")

def read_idx(path):
    raw = gzip.open(path, "rb").read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def image_tokens(images):
    """(N, 28, 28) u8 → (N, 49) tokens: 2×2 sums, 4 levels, one token per 2×2 block of levels."""
    sums = images.reshape(-1, 14, 2, 14, 2).astype(np.int32).sum((2, 4))
    lv = ((4 * sums) >> 10).reshape(-1, 7, 2, 7, 2)
    tok = 64 * lv[:, :, 0, :, 0] + 16 * lv[:, :, 0, :, 1] + 4 * lv[:, :, 1, :, 0] + lv[:, :, 1, :, 1]
    return tok.reshape(-1, 49)


def sequences(tokens, classes):
    """Inputs [BOS, t1..t49] and targets [t1..t49, caption] as int64 tensors (N, 50)."""
    inputs = np.concatenate([np.full((len(tokens), 1), BOS), tokens], 1)
    targets = np.concatenate([tokens, (256 + classes.astype(np.int64))[:, None]], 1)
    return torch.tensor(inputs), torch.tensor(targets)


class DemoData:
    def __init__(self, data_dir, task):
        def load(split):
            images = read_idx(os.path.join(data_dir, f"{split}-images-idx3-ubyte.gz"))
            labels = read_idx(os.path.join(data_dir, f"{split}-labels-idx1-ubyte.gz"))
            return image_tokens(images), labels
        train_tok, train_cls = load("train")
        test_tok, test_cls = load("t10k")
        perm = np.random.RandomState(0).permutation(len(train_cls))  # one fixed permutation
        pool, probe = perm[:50000], perm[50000:]
        self.pool_in, self.pool_tgt = sequences(train_tok[pool], train_cls[pool])
        self.probe_in, _ = sequences(train_tok[probe], train_cls[probe])
        self.test_in, self.test_tgt = sequences(test_tok, test_cls)
        self.probe_y = torch.tensor(np.isin(train_cls[probe], TASKS[task]).astype(np.int64))
        self.test_y = torch.tensor(np.isin(test_cls, TASKS[task]).astype(np.int64))


# ---- model (docs/DEMO.md "Models")

class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d, eps=1e-5), nn.LayerNorm(d, eps=1e-5)
        self.qkv, self.attn_proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.mlp_proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):  # x (B, T, C)
        B, T_, C = x.shape
        q, k, v = (a.view(B, T_, self.heads, C // self.heads).transpose(1, 2)
                   for a in self.qkv(self.ln1(x)).split(C, 2))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // self.heads)
        att = att.masked_fill(torch.ones(T_, T_, dtype=torch.bool).triu(1), float("-inf"))
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T_, C)
        x = x + self.attn_proj(y)
        return x + self.mlp_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self, layers, d, heads):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(VOCAB_IN, d), nn.Embedding(T, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d, eps=1e-5)
        self.lm_head = nn.Linear(d, VOCAB_OUT, bias=False)
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif ".ln" in name or name.startswith("ln_f"):
                nn.init.ones_(p)
            elif name.endswith("proj.weight"):  # residual projections
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * layers))
            else:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, idx):  # idx (B, T) → logits (B, T, V), final-LayerNorm output (B, T, C)
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x)
        h = self.ln_f(x)
        return self.lm_head(h), h


# ---- pretraining (docs/DEMO.md "Pretraining")

def pretrain(data, seed, layers, d, heads, steps, lr, batch=64, warmup=30):
    torch.manual_seed(seed * 2 + (layers > 1))
    model = Gpt(layers, d, heads)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95), eps=1e-8)
    gen = torch.Generator().manual_seed(seed)
    n = len(data.pool_in)
    order, pos = torch.randperm(n, generator=gen), 0
    for step in range(steps):
        if step < warmup:
            cur = lr * (step + 1) / warmup
        else:
            frac = (step - warmup) / (steps - warmup)
            cur = 0.1 * lr + 0.5 * (1 + math.cos(math.pi * frac)) * 0.9 * lr
        for group in opt.param_groups:
            group["lr"] = cur
        if pos + batch > n:
            order, pos = torch.randperm(n, generator=gen), 0
        rows = order[pos:pos + batch]
        pos += batch
        logits, _ = model(data.pool_in[rows])
        loss = F.cross_entropy(logits.reshape(-1, VOCAB_OUT), data.pool_tgt[rows].reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return model


@torch.no_grad()
def evaluate(model, data):
    """Test LM loss, caption accuracy, and position-49 features of the probe pool and test."""
    loss_sum, correct, test_feat, probe_feat = 0.0, 0, [], []
    for i in range(0, len(data.test_in), 1000):
        logits, h = model(data.test_in[i:i + 1000])
        tgt = data.test_tgt[i:i + 1000]
        loss_sum += F.cross_entropy(logits.reshape(-1, VOCAB_OUT), tgt.reshape(-1), reduction="sum").item()
        correct += (logits[:, T - 1].argmax(-1) == tgt[:, T - 1]).sum().item()
        test_feat.append(h[:, T - 1])
    for i in range(0, len(data.probe_in), 1000):
        probe_feat.append(model(data.probe_in[i:i + 1000])[1][:, T - 1])
    n = len(data.test_in)
    return loss_sum / (n * T), correct / n, torch.cat(probe_feat), torch.cat(test_feat)


# ---- probes (docs/DEMO.md "Probes")

def train_probe(x, y, seed, loss, epochs=20, batch=64):
    """Head on standardized x (N, C) against target probabilities y (N, 2); returns predict(x')."""
    mean, std = x.mean(0), x.std(0) + 1e-5
    x = (x - mean) / std
    head = nn.Linear(x.shape[1], 2)
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)
    opt = torch.optim.AdamW(head.parameters(), lr=1e-2, betas=(0.9, 0.999), weight_decay=0.0)
    n = len(x)
    total = epochs * ((n + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, total)
    gen = torch.Generator().manual_seed(seed + 1000)
    step = 0
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for i in range(0, n, batch):
            rows = order[i:i + batch]
            z, target = head(x[rows]), y[rows]
            if loss == "logconf":
                alpha = 0.75 * min(1.0, step / total / 0.2)
                p0 = z.softmax(-1)[:, 0].detach()
                threshold = torch.quantile(p0, target[:, 1].mean())
                hard = torch.stack([p0 >= threshold, p0 < threshold], 1).float()
                target = (1 - alpha) * target + alpha * hard
            opt.zero_grad()
            (-(target * z.log_softmax(-1)).sum(-1).mean()).backward()
            opt.step()
            sched.step()
            step += 1
    return lambda x_new: head((x_new - mean) / std).softmax(-1).detach()


def accuracy(probs, labels):
    return (probs.argmax(-1) == labels).float().mean().item()


def run_seed(data, seed, weak_only):
    t0 = time.time()
    weak = pretrain(data, seed, 1, 32, 2, 300, 3e-3)
    weak_lm, weak_cap, weak_probe, weak_test = evaluate(weak, data)
    split = torch.randperm(len(data.probe_y), generator=torch.Generator().manual_seed(seed))
    a, b = split[:len(split) // 2], split[len(split) // 2:]
    onehot = lambda y: F.one_hot(y, 2).float()
    weak_head = train_probe(weak_probe[a], onehot(data.probe_y[a]), seed, "xent")
    r = {"seed": seed, "weak_lm_loss": weak_lm, "weak_caption_acc": weak_cap,
         "weak": accuracy(weak_head(weak_test), data.test_y)}
    if not weak_only:
        strong = pretrain(data, seed, 4, 128, 4, 500, 2e-3)
        strong_lm, strong_cap, strong_probe, strong_test = evaluate(strong, data)
        r.update(strong_lm_loss=strong_lm, strong_caption_acc=strong_cap)
        weak_soft = weak_head(weak_probe[b])
        for name, target, loss in (("ceiling", onehot(data.probe_y[b]), "xent"),
                                   ("xent", weak_soft, "xent"), ("logconf", weak_soft, "logconf")):
            r[name] = accuracy(train_probe(strong_probe[b], target, seed, loss)(strong_test), data.test_y)
        for loss in ("xent", "logconf"):
            r["pgr_" + loss] = (r[loss] - r["weak"]) / (r["ceiling"] - r["weak"])
    r["seconds"] = time.time() - t0
    return r


# ---- summary

def welch_t(a, b):
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    return (statistics.mean(a) - statistics.mean(b)) / math.sqrt(va + vb) if va + vb > 0 else float("nan")


def summarize(ref, w2s):
    cols = "| figure | this script (n={}) | w2s demo (n={}) | Welch t |".format(len(ref), len(w2s))
    print(cols + "\n|---|---|---|---|")
    for key in FIGURES:
        a = [r[key] for r in ref if key in r]
        if not a:
            continue
        b = [r[key] for r in w2s if r.get(key) is not None]
        fmt = lambda v: "{:.3f} ± {:.3f}".format(statistics.mean(v), statistics.stdev(v)) if len(v) > 1 else \
            ("{:.3f}".format(v[0]) if v else "-")
        t = "{:+.2f}".format(welch_t(a, b)) if len(a) > 1 and len(b) > 1 else "-"
        print("| {} | {} | {} | {} |".format(key, fmt(a), fmt(b), t))
    for name, seeds in (("this script", ref), ("w2s demo", w2s)):
        if seeds and all(s.get("pgr_logconf") is not None for s in seeds):
            px, pl = [s["pgr_xent"] for s in seeds], [s["pgr_logconf"] for s in seeds]
            print("{}: PGR logconf − xent {:+.3f} on the mean; logconf ≥ xent on {} of {} seeds".format(
                name, statistics.mean(pl) - statistics.mean(px), sum(b >= a for a, b in zip(px, pl)), len(seeds)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    ap.add_argument("--task", choices=sorted(TASKS), default="pullover-coat", help="the binary task (docs/DEMO.md)")
    ap.add_argument("--weak-only", action="store_true", help="pretrain and probe the weak body only")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data-dir", default=DATA_DIR)
    ap.add_argument("--compare", metavar="RESULTS_JSON", action="append", default=[],
                    help="a `w2s demo` results.json to compare with (repeatable)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if not os.path.exists(os.path.join(args.data_dir, "train-images-idx3-ubyte.gz")):
        sys.exit(f"demo_reference.py: no Fashion-MNIST in {args.data_dir} (apt-get install dataset-fashion-mnist)")
    w2s = []
    for path in args.compare:
        with open(path) as f:
            w2s += json.load(f)["seeds"]
    data = DemoData(args.data_dir, args.task)
    ref = []
    for seed in (int(s) for s in args.seeds.split(",")):
        ref.append(run_seed(data, seed, args.weak_only))
        print(json.dumps(ref[-1]), flush=True)
    summarize(ref, w2s)


if __name__ == "__main__":
    main()

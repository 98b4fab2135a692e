"""test_probe_torch.py — w2s's linear-probe training (runtime/train/probe.c) vs an independent PyTorch probe.

The PyTorch side is written from docs/DEMO.md "Probes", not from probe.c: features standardized
with the training split's mean and unbiased std (+1e-5); head nn.Linear(d, k) (with bias),
zero-initialized; torch.optim.AdamW(lr 1e-2, betas (0.9, 0.999), eps 1e-8, weight_decay 0);
CosineAnnealingLR to 0 over all steps, no warm-up; batches of 64 (last one smaller);
soft cross-entropy, or logconf with alpha = 0.75 * min(1, s / 0.2) and the batch-quantile
hardening of docs/PROTOCOL.md. w2s runs through the probe_probe_train program (stdin/stdout
JSON), which also reports the batch orders it used so both sides visit the same batches.
The recipe's knobs are checked to matter: a probe without bias, or with another learning
rate, must land far outside the tolerance.
"""
import json
import math
import os
import subprocess
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from losses_torch import logconf_target  # noqa: E402
from probes import probe_path  # noqa: E402

# Both sides train in fp32 with different summation orders and exp/log; after 100-200 Adam
# steps the weights (size ~0.3-0.8) agree to ~1e-7 (measured). 1e-5 leaves two orders of
# margin for that rounding drift; a recipe change (no bias, another LR) moves them by >2e-3.
TOL_W_ABS = 1e-5
# How far a recipe change must move the weights for the comparison to count as able to fail.
POWER_FACTOR = 20
# Standardization statistics: both computed in double and rounded to fp32.
TOL_STATS_REL = 1e-6


def make_case(seed, n, d, k, soft):
    """Class clusters with per-feature offsets and scales (so standardization matters)."""
    g = torch.Generator().manual_seed(seed)
    cls = torch.randint(0, k, (n,), generator=g)
    centers = torch.randn(k, d, generator=g)
    x = centers[cls] + 1.5 * torch.randn(n, d, generator=g)
    x = x * torch.exp(torch.randn(d, generator=g)) + 3 * torch.randn(d, generator=g)
    if soft:  # a noisy "weak supervisor": softmax of a perturbed linear rule
        y = torch.softmax(x @ torch.randn(d, k, generator=g) * 0.3 + torch.randn(n, k, generator=g), -1)
    else:
        y = F.one_hot(cls, k).float()
    # Round-trip through the JSON text both sides read, so they see identical fp32 inputs.
    x = [float("%.9g" % v) for v in x.flatten().tolist()]
    y = [float("%.9g" % v) for v in y.flatten().tolist()]
    return x, y


def torch_probe(x, y, loss, orders, lr=1e-2, bias=True, batch=64):
    x64 = x.double()
    mean, std = x64.mean(0), x64.std(0) + 1e-5  # unbiased, as torch.std
    xs = (x - mean.float()) * (1.0 / std).float()
    n, d = x.shape
    head = torch.nn.Linear(d, y.shape[1], bias=bias)
    torch.nn.init.zeros_(head.weight)
    if bias:
        torch.nn.init.zeros_(head.bias)
    opt = torch.optim.AdamW(head.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    total = math.ceil(n / batch) * len(orders)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=0.0)
    step = 0
    for order in orders:
        order = torch.tensor(order)
        for s0 in range(0, n, batch):
            idx = order[s0:s0 + batch]
            z = head(xs[idx])
            tgt = y[idx] if loss == "xent" else logconf_target(z, y[idx], step / total, aux_coef=0.75, warmup_frac=0.2)
            l = -(tgt * F.log_softmax(z, -1)).sum(-1).mean()
            opt.zero_grad()
            l.backward()
            opt.step()
            sched.step()
            step += 1
    b = head.bias.detach() if bias else torch.zeros(y.shape[1])
    return head.weight.detach(), b, mean.float(), (1.0 / std).float()


def main():
    cases = [  # (seed, n, d, k, soft labels, loss, first epoch in order, epochs)
        (0, 640, 16, 2, False, "xent", False, 20),
        (1, 650, 16, 2, True, "xent", True, 20),
        (2, 650, 16, 2, True, "logconf", True, 20),
        (3, 300, 8, 2, True, "logconf", False, 20),
        (4, 400, 12, 3, False, "xent", False, 10),
        (5, 400, 12, 3, True, "logconf", False, 10),
    ]
    failures = 0
    for seed, n, d, k, soft, loss, in_order, epochs in cases:
        xl, yl = make_case(seed, n, d, k, soft)
        req = dict(n=n, d=d, k=k, x=xl, y=yl, loss=loss, seed=1000 + seed, epochs=epochs,
                   first_epoch_in_order=in_order)
        out = subprocess.run([probe_path("probe_probe_train")], input=json.dumps(req), capture_output=True, text=True, check=False)
        if out.returncode != 0:
            sys.exit("probe_probe_train failed: " + out.stderr)
        got = json.loads(out.stdout)
        orders = got["orders"]
        assert len(orders) == epochs and all(sorted(o) == list(range(n)) for o in orders)
        assert (orders[0] == list(range(n))) == in_order
        x, y = torch.tensor(xl).view(n, d), torch.tensor(yl).view(n, k)
        w, b, mean, inv_std = torch_probe(x, y, loss, orders)
        gw, gb = torch.tensor(got["w"]).view(k, d), torch.tensor(got["b"])
        dw = max((gw - w).abs().max().item(), (gb - b).abs().max().item())
        ds = max(((torch.tensor(got["mean"]) - mean).abs() / mean.abs().clamp(min=1e-3)).max().item(),
                 ((torch.tensor(got["inv_std"]) - inv_std).abs() / inv_std).max().item())
        # The comparison can fail: the recipe's knobs move the weights far beyond TOL_W_ABS.
        w_nb, _, _, _ = torch_probe(x, y, loss, orders, bias=False)
        w_lr, _, _, _ = torch_probe(x, y, loss, orders, lr=3e-3)
        power = min((w_nb - w).abs().max().item(), (w_lr - w).abs().max().item())
        ok = dw <= TOL_W_ABS and ds <= TOL_STATS_REL and power > POWER_FACTOR * TOL_W_ABS
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} seed {seed} n={n} d={d} k={k} soft={soft} {loss} in_order={in_order}: "
              f"max |w diff| {dw:.3g} (tol {TOL_W_ABS}), stats rel {ds:.3g}, |w| max {w.abs().max().item():.3g}, "
              f"recipe-change diff {power:.3g}")
    if failures:
        sys.exit(f"{failures} of {len(cases)} probe trainings differ from PyTorch")


if __name__ == "__main__":
    main()

"""test_loss_torch.py — w2s's xent / logconf / product vs an independent PyTorch implementation.

The PyTorch side is written from docs/PROTOCOL.md (torch.quantile for logconf's threshold,
autograd with .detach()ed targets for the gradients), not from runtime/train/loss.c. w2s is driven
through the probe_loss program (stdin/stdout JSON). Random batches, binary and multi-class,
hard and soft labels, several seeds, plus batches with duplicated rows so the threshold
lands exactly on tied probabilities. Also checks that, past the warm-up, the DESIGN formulas
agree with the reference's own code (openai/weak-to-strong weak_to_strong/loss.py logic).
"""
import json
import os
import subprocess
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from losses_torch import logconf, product, xent  # noqa: E402
from probes import probe_path  # noqa: E402

# Both sides compute in fp32 with different exp/log implementations and summation orders:
# a few ulps of a loss of size ~1-10 and of gradients of size ~1/B.
TOL_LOSS_REL = 1e-5
TOL_GRAD_ABS = 2e-6


def reference_logconf(logits, labels, step_frac, aux_coef=0.5, warmup_frac=0.1):
    # The reference's coefficient schedule (jumps at warmup_frac), otherwise the same maths.
    coef = (1.0 if step_frac > warmup_frac else step_frac) * aux_coef
    preds = torch.softmax(logits, dim=-1)
    threshold = torch.quantile(preds[:, 0], torch.mean(labels, dim=0)[1])
    strong = torch.cat([(preds[:, 0] >= threshold)[:, None], (preds[:, 0] < threshold)[:, None]], 1)
    target = labels * (1 - coef) + strong.detach() * coef
    return F.cross_entropy(logits, target, reduction="none").mean()


def torch_value_grad(fn, z, y, B, K, **kw):
    """Loss and flat gradient of fn at flat fp32 inputs z, y of shape (B, K)."""
    zt = torch.tensor(z, dtype=torch.float32).reshape(B, K).requires_grad_(True)
    yt = torch.tensor(y, dtype=torch.float32).reshape(B, K)
    loss = fn(zt, yt, **kw)
    loss.backward()
    return loss.item(), zt.grad.flatten().tolist()


def make_batch(gen, B, K, soft, dup):
    z = torch.randn(B, K, generator=gen) * 2.0
    if dup:  # duplicated rows: exact ties among p[:, 0], so the threshold may sit on a tie
        z[B // 2:] = z[: B - B // 2].clone()
        if K > 2:  # and ties for the maximum inside rows: argmax must pick the lowest index
            top = z[::3].max(dim=1).values
            z[::3, 1] = top
            z[::3, 2] = top
    if soft:
        y = torch.rand(B, K, generator=gen) + 0.01
        y = y / y.sum(dim=1, keepdim=True)
    else:
        y = F.one_hot(torch.randint(0, K, (B,), generator=gen), K).float()
    # Round-trip through the JSON text both sides read, so they see identical fp32 inputs.
    z = [float("%.9g" % v) for v in z.flatten().tolist()]
    y = [float("%.9g" % v) for v in y.flatten().tolist()]
    return z, y


def main():
    cases, expect = [], []
    for seed in range(8):
        gen = torch.Generator().manual_seed(seed)
        for K in (2, 3, 5):
            for soft in (False, True):
                B = [32, 7, 1, 16][seed % 4]
                z, y = make_batch(gen, B, K, soft, dup=seed % 2 == 1)
                for step in (0.0, 0.04, 0.1, 0.6):
                    base = dict(B=B, K=K, z=z, y=y, step_frac=step)
                    cases.append(dict(base, loss="logconf"))
                    expect.append(("logconf", torch_value_grad(logconf, z, y, B, K, step_frac=step)))
                cases.append(dict(B=B, K=K, z=z, y=y, loss="xent"))
                expect.append(("xent", torch_value_grad(xent, z, y, B, K)))
                cases.append(dict(B=B, K=K, z=z, y=y, loss="product"))
                expect.append(("product", torch_value_grad(product, z, y, B, K)))
                if K == 2:  # past warm-up the DESIGN ramp equals the reference's schedule
                    r = torch_value_grad(reference_logconf, z, y, B, K, step_frac=0.6)
                    d = torch_value_grad(logconf, z, y, B, K, step_frac=0.6)
                    assert abs(r[0] - d[0]) <= TOL_LOSS_REL * max(1.0, abs(r[0])), (r[0], d[0])
                    assert max(abs(a - b) for a, b in zip(r[1], d[1])) <= TOL_GRAD_ABS
    out = subprocess.run([probe_path("probe_loss")], input=json.dumps({"cases": cases}), capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        sys.exit("probe_loss failed: " + out.stderr)
    results = json.loads(out.stdout)["results"]
    assert len(results) == len(cases)

    failures = 0
    worst_loss = worst_grad = 0.0
    for i, (c, (name, (want_loss, want_grad)), got) in enumerate(zip(cases, expect, results)):
        dl = abs(got["loss"] - want_loss) / max(1.0, abs(want_loss))
        dg = max(abs(a - b) for a, b in zip(got["dz"], want_grad))
        worst_loss, worst_grad = max(worst_loss, dl), max(worst_grad, dg)
        if dl > TOL_LOSS_REL or dg > TOL_GRAD_ABS:
            failures += 1
            print(f"case {i} {name} B={c['B']} K={c['K']} step={c.get('step_frac')}: loss w2s "
                  f"{got['loss']!r} torch {want_loss!r}, max |dz diff| {dg:.3g}")
    print(f"{len(cases)} cases, worst relative loss diff {worst_loss:.3g}, "
          f"worst gradient diff {worst_grad:.3g}")
    if failures:
        sys.exit(f"{failures} of {len(cases)} cases differ from PyTorch")


if __name__ == "__main__":
    main()

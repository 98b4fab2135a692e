"""test_train_torch.py — a whole `w2s train` run against the same fine-tuning in float64 PyTorch.

The per-step pieces have their own cross-checks (gradients: test_gpt2_torch.py; losses:
test_loss_torch.py; Adam: test_optim.c). This one checks how runtime/train/trainer.c puts them
together, as trainer.h documents it: the zero-initialized head on each sequence's last real
token; batches that run through the data in file order and wrap into the next epoch
(floor(n · epochs / batch) steps); the loss over the WHOLE batch even when it is processed in
minibatches (logconf's threshold is a batch statistic); Adam (0.9, 0.999, eps 1e-8) with the
LR cosine-annealed to 0 without warm-up; and, with --linear-probe, a body left bit-identical.
Every final parameter of w2s (fp32) is compared with the reference's.
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import zlib

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from gpt2_torch_ref import gpt2_param_shapes, reference, st_read, st_write  # noqa: E402
from losses_torch import logconf, xent  # noqa: E402

W2S = os.environ.get("W2S_BIN", "build/w2s")
# |w2s − torch| ≤ TOL_PARAM · max(|initial value| of the tensor, LR). w2s runs fp32 against a
# float64 reference; Adam divides each gradient by its own RMS, so a gradient that is pure
# rounding noise in both can still move its weight by up to LR per step in different directions.
# Measured: at most 2.3e-4 of the scale. A wrong piece of the recipe moves weights by whole LR
# steps: the power cases below land 0.22–2.9 of the scale away, and each must fail.
TOL_PARAM = 1e-2
L, C, NH, V, P, K = 2, 32, 4, 50, 16, 2
N, BATCH, EPOCHS, LR = 21, 8, 2, 3e-3


def make_model(d, gen):
    cfg = {"model_type": "gpt2", "n_layer": L, "n_head": NH, "n_embd": C, "vocab_size": V, "n_positions": P,
           "n_ctx": P, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"}
    params = {}
    for name, shape in gpt2_param_shapes(L, C, V, P).items():
        if name.endswith("weight") and len(shape) == 1:
            params[name] = 1.0 + 0.1 * torch.randn(shape, generator=gen)
        else:
            params[name] = (0.1 if len(shape) == 1 else 0.2) * torch.randn(shape, generator=gen)
    os.makedirs(d)
    st_write(os.path.join(d, "model.safetensors"), {"transformer." + n: t for n, t in params.items()})
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f)
    return cfg, params


def make_data(path, gen):
    """N examples of 1..P tokens with soft labels (and the hard label of their argmax)."""
    rows = []
    for _ in range(N):
        n = int(torch.randint(1, P + 1, (1,), generator=gen))
        ids = torch.randint(0, V, (n,), generator=gen).tolist()
        p1 = float(torch.rand((), generator=gen))
        rows.append({"input_ids": ids, "soft_label": [1.0 - p1, p1], "hard_label": int(p1 > 0.5)})
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    # Targets as w2s reads them: fp32 text → fp32.
    targets = torch.tensor([r["soft_label"] for r in rows], dtype=torch.float32).double()
    return [r["input_ids"] for r in rows], targets


def batches(wrap):
    """Rows of each step: trainer.h's chained epochs (wrap), or epochs that restart at row 0 with
    a short last batch (not w2s's order: a power check only)."""
    if wrap:
        return [[(s * BATCH + i) % N for i in range(BATCH)] for s in range(N * EPOCHS // BATCH)]
    return [list(range(i, min(i + BATCH, N))) for _ in range(EPOCHS) for i in range(0, N, BATCH)]


def train_reference(cfg, params, ids, targets, loss, linear_probe, cosine=True, wrap=True, loss_rows=None):
    """The fine-tuning trainer.h describes, in float64. cosine/wrap off, or the loss taken over
    chunks of loss_rows examples instead of the whole batch: power checks only."""
    p = {n: t.double().clone().requires_grad_(not linear_probe) for n, t in params.items()}
    p["score.weight"] = torch.zeros(K, C, dtype=torch.float64, requires_grad=True)
    trained = [p["score.weight"]] if linear_probe else list(p.values())
    opt = torch.optim.Adam(trained, lr=LR, betas=(0.9, 0.999), eps=1e-8)
    steps = batches(wrap)
    total = len(steps)
    for step, rows in enumerate(steps):
        for g in opt.param_groups:
            g["lr"] = LR * 0.5 * (1 + math.cos(math.pi * step / total)) if cosine else LR
        T = max(len(ids[r]) for r in rows)
        tokens = torch.zeros(len(rows), T, dtype=torch.int64)
        for i, r in enumerate(rows):
            tokens[i, :len(ids[r])] = torch.tensor(ids[r])
        lengths = torch.tensor([len(ids[r]) for r in rows])
        _, logits, _, _ = reference(p, cfg, tokens, lengths, None, torch.zeros(len(rows), K, dtype=torch.float64),
                                    "none")
        y, chunk = targets[rows], loss_rows or len(rows)
        value = 0
        for i in range(0, len(rows), chunk):  # example-weighted mean of the chunks' mean losses
            z, t = logits[i:i + chunk], y[i:i + chunk]
            value = value + (logconf(z, t, step / total) if loss == "logconf" else xent(z, t)) * len(z) / len(rows)
        opt.zero_grad()
        value.backward()
        opt.step()
    return {n: t.detach() for n, t in p.items()}


def compare(got, want, initial):
    worst, bad = 0.0, []
    for n, t in want.items():
        g = got.get(n if n == "score.weight" else "transformer." + n)
        if g is None:
            bad.append(f"{n} missing")
            continue
        scale = max(initial[n].abs().max().item() if n in initial else 0.0, LR)
        err = (g.double() - t).abs().max().item() / scale
        worst = max(worst, err)
        if not err <= TOL_PARAM:
            bad.append(f"{n}: max error {err:.3g} of its scale")
    return worst, bad


def run_case(tmp, name, loss, minibatch, linear_probe=False):
    gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    d = os.path.join(tmp, name)
    cfg, params = make_model(d, gen)
    data = os.path.join(tmp, name + ".jsonl")
    ids, targets = make_data(data, gen)
    out = os.path.join(tmp, name + ".safetensors")
    cmd = [W2S, "train", "--model", d, "--data", data, "--out", out, "--loss", loss, "--epochs", str(EPOCHS),
           "--batch", str(BATCH), "--minibatch", str(minibatch), "--lr", str(LR), "--precision", "fp32",
           "--threads", "1", "--quiet"] + (["--linear-probe"] if linear_probe else [])
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"[{name}] w2s train failed ({r.returncode}):\n{r.stderr}")
        return False
    got, _ = st_read(out)
    ok = True
    want = train_reference(cfg, params, ids, targets, loss, linear_probe)
    worst, bad = compare(got, want, params)
    for line in bad:
        print(f"[{name}] MISMATCH {line}")
    ok &= not bad
    if linear_probe:  # the body, bit for bit as loaded
        for n, t in params.items():
            if not torch.equal(got["transformer." + n], t):
                print(f"[{name}] --linear-probe changed {n}")
                ok = False
    # Power: the same run with one piece of the recipe changed must fail the comparison.
    alternatives = [("constant LR", {"cosine": False}), ("no wrap into the next epoch", {"wrap": False}),
                    ("the other loss", {"loss": "xent" if loss == "logconf" else "logconf"})]
    if loss == "logconf" and minibatch < BATCH:
        alternatives.append(("logconf's threshold per minibatch", {"loss_rows": minibatch}))
    for what, kw in alternatives:
        args = {"loss": loss, "cosine": True, "wrap": True, "loss_rows": None}
        args.update(kw)
        alt = train_reference(cfg, params, ids, targets, args["loss"], linear_probe, args["cosine"], args["wrap"],
                              args["loss_rows"])
        _, alt_bad = compare(got, alt, params)
        if not alt_bad:
            print(f"[{name}] the comparison cannot tell '{what}' apart")
            ok = False
    print(f"[{name}] {'ok' if ok else 'FAILED'}: worst error {worst:.3g} of the scale (tolerance {TOL_PARAM})")
    return ok


def main():
    torch.set_num_threads(1)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        ok &= run_case(tmp, "logconf_minibatch3", "logconf", 3)
        ok &= run_case(tmp, "xent_whole_batch", "xent", BATCH)
        ok &= run_case(tmp, "logconf_linear_probe", "logconf", 5, linear_probe=True)
    print("all ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

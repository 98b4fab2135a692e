"""test_gpt2_torch.py — w2s GPT-2 against an independent PyTorch GPT-2 (float64, tests/support/gpt2_torch_ref.py).

Writes tiny random GPT-2 checkpoints as Hugging Face directories (config.json +
model.safetensors, written with struct + json), runs tests/models/probe_gpt2.c on a padded
batch, and compares classification logits, the LM loss, the final features and EVERY
parameter gradient with the autograd gradients of the same loss (llm.c's test_gpt2 idea,
but exiting non-zero on mismatch). Also checks that the probe's re-saved checkpoint holds
bit-identical tensors. Cases: untied LM head (VO < V) with "transformer." names, tied LM
head with bare GPT2Model names, bf16 matmuls (looser tolerance).
"""
import json
import os
import subprocess
import sys
import tempfile
import zlib

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from gpt2_torch_ref import gpt2_param_shapes, reference, st_read, st_write  # noqa: E402

# Relative tolerances: |w2s - torch| <= TOL * max|torch| per tensor (+ tiny absolute floor).
# fp32: w2s runs f32 through ~20 kernels vs a float64 reference; observed ~1.5e-6, so 2e-5
# still catches any real bug (a wrong term is O(1) relative). bf16: operands rounded to 8 bits of
# mantissa (2^-9 ≈ 2e-3 relative per product), accumulated over a few layers → 5e-2.
TOL = {"fp32": 2e-5, "bf16": 5e-2}
ABS_FLOOR = 1e-7

BUILD = os.environ.get("W2S_BUILD_DIR", "build")
PROBE = os.path.join(BUILD, "tests", "probe_gpt2")


# ---- one case

def run_case(tmp, name, lm_mode, precision, prefix):
    torch.manual_seed(zlib.crc32(name.encode()))  # stable across runs (str hash is salted)
    L, C, NH, V, P, K, B, T = 2, 32, 4, 50, 16, 3, 3, 11
    VO = V - 3 if lm_mode == "untied" else V
    cfg = {"model_type": "gpt2", "n_layer": L, "n_head": NH, "n_embd": C, "vocab_size": V,
           "n_positions": P, "n_ctx": P, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new",
           "num_labels": K}
    shapes = gpt2_param_shapes(L, C, V, P)
    params = {}
    for n, s in shapes.items():
        if n.endswith("ln_1.weight") or n.endswith("ln_2.weight") or n == "ln_f.weight":
            params[n] = 1.0 + 0.1 * torch.randn(s)
        elif len(s) == 1:
            params[n] = 0.1 * torch.randn(s)
        else:
            params[n] = 0.2 * torch.randn(s)
    params["score.weight"] = 0.3 * torch.randn(K, C)
    if lm_mode == "untied":
        params["lm_head.weight"] = 0.2 * torch.randn(VO, C)
    files = {}
    for n, t in params.items():
        head = n in ("score.weight", "lm_head.weight")
        files[("transformer." if prefix and not head else "") + n] = t.float()
    for i in range(L):  # HF buffers the loader must ignore
        files[("transformer." if prefix else "") + f"h.{i}.attn.bias"] = torch.tril(torch.ones(P, P)).float()
    d = os.path.join(tmp, name)
    os.makedirs(d)
    st_write(os.path.join(d, "model.safetensors"), files, {"format": "pt"})
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f)

    lengths = torch.tensor([T, 6, 1], dtype=torch.int32)
    tokens = torch.randint(0, V, (B, T), dtype=torch.int32)
    targets = torch.randint(0, VO, (B, T), dtype=torch.int32)
    targets[torch.rand(B, T) < 0.2] = -1
    for b in range(B):  # pads: garbage ids and targets the model must never read
        tokens[b, lengths[b]:] = 10 ** 6
        targets[b, lengths[b]:] = 10 ** 6
    dlogits = torch.randn(B, K)
    batch = {"tokens": tokens, "lengths": lengths, "dlogits": dlogits}
    if lm_mode != "none":
        batch["targets"] = targets
    st_write(os.path.join(d, "batch.safetensors"), batch,
             {"lm_mode": lm_mode, "lm_vocab": str(VO if lm_mode == "untied" else 0), "precision": precision})
    out_path, save_path = os.path.join(d, "out.safetensors"), os.path.join(d, "resaved.safetensors")
    r = subprocess.run([PROBE, d, os.path.join(d, "batch.safetensors"), out_path, save_path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(f"[{name}] probe failed:\n{r.stdout}{r.stderr}")
        return False

    ref = {n: t.double().requires_grad_(True) for n, t in params.items()}
    loss, cls, lm_loss, feats = reference(ref, cfg, tokens, lengths, targets, dlogits.double(), lm_mode)
    loss.backward()
    got, _ = st_read(out_path)
    tol = TOL[precision]
    ok = True
    worst = 0.0

    def check(what, a, b):
        nonlocal ok, worst
        b = b.detach().double()
        err = (a.double() - b).abs().max().item()
        scale = b.abs().max().item()
        worst = max(worst, err / (scale + ABS_FLOOR))
        if not err <= tol * scale + ABS_FLOOR:
            print(f"[{name}] MISMATCH {what}: max err {err:.3g}, max |ref| {scale:.3g}")
            ok = False

    check("cls_logits", got["cls_logits"], cls)
    if lm_mode != "none":
        check("lm_loss", got["lm_loss"][0], lm_loss)
    real = torch.arange(T)[None, :] < lengths[:, None]
    check("lnf (real positions)", got["lnf"][real], feats[real])
    n_grads = 0
    for n, t in ref.items():
        g = got.get("grad." + n)
        if g is None:
            print(f"[{name}] MISSING grad.{n}")
            ok = False
            continue
        check("grad " + n, g, t.grad)
        n_grads += 1
    # The re-saved checkpoint holds the loaded tensors bit for bit, under HF names.
    resaved, meta = st_read(save_path)
    for n, t in params.items():
        key = n if n in ("score.weight", "lm_head.weight") else "transformer." + n
        if key not in resaved or not torch.equal(resaved[key], t.float()):
            print(f"[{name}] re-saved checkpoint differs at {key}")
            ok = False
    if json.loads(meta["w2s_config"])["n_layer"] != L:
        print(f"[{name}] re-saved checkpoint metadata lacks the config")
        ok = False
    print(f"[{name}] {'ok' if ok else 'FAILED'}: {n_grads} gradients, loss {loss.item():.6f}, "
          f"worst relative error {worst:.3g} (tolerance {tol})")
    return ok


def main():
    if not os.path.exists(PROBE):
        print(f"probe not built: {PROBE}")
        return 1
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        ok &= run_case(tmp, "untied_fp32", "untied", "fp32", prefix=True)
        ok &= run_case(tmp, "tied_fp32", "tied", "fp32", prefix=False)
        ok &= run_case(tmp, "cls_only_fp32", "none", "fp32", prefix=True)
        ok &= run_case(tmp, "untied_bf16", "untied", "bf16", prefix=True)
    print("all ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

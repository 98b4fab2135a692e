"""losses_torch.py — docs/PROTOCOL.md's losses in PyTorch, written from docs/PROTOCOL.md and not from
runtime/train/loss.c, for the cross-checks (test_loss_torch, test_train_torch, test_probe_torch): xent, logconf
(linear ramp, torch.quantile threshold in the binary case, argmax hardening otherwise) and
product. Each takes logits z (B, K) and target probabilities y (B, K) and returns the mean loss.
"""
import torch
import torch.nn.functional as F


def xent(z, t):
    return -(t * F.log_softmax(z, dim=-1)).sum(-1).mean()


def logconf_target(z, y, step_frac, aux_coef=0.5, warmup_frac=0.1):
    """(1 − α)·y + α·hardened predictions, no gradient (docs/PROTOCOL.md defaults; the demo's probes
    use aux_coef 0.75, warmup_frac 0.2)."""
    alpha = aux_coef * min(1.0, step_frac / warmup_frac) if warmup_frac > 0 else aux_coef
    p = torch.softmax(z, dim=-1)
    K = z.shape[1]
    if K == 2:
        thr = torch.quantile(p[:, 0], y[:, 1].mean())
        yhat = torch.stack([p[:, 0] >= thr, p[:, 0] < thr], dim=1).float()
    else:
        yhat = F.one_hot(p.argmax(dim=1), K).float()  # torch.argmax: first maximal index
    return ((1 - alpha) * y + alpha * yhat).detach()


def logconf(z, y, step_frac, aux_coef=0.5, warmup_frac=0.1):
    return xent(z, logconf_target(z, y, step_frac, aux_coef, warmup_frac))


def product(z, y, alpha=1.0, beta=1.0):
    p = torch.softmax(z, dim=-1)
    target = p.pow(beta) * y.pow(alpha)
    target = (target / target.sum(dim=-1, keepdim=True)).detach()
    return xent(z, target)

"""torch_baseline.py — what the PyTorch baselines (torch_label.py, torch_train.py) share: the
GPT-2 shapes they build and the environment fix that must run before torch is imported.

PyTorch at its best on this machine: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (which the
environment may export) slow its fp32 GEMMs, and spinning OpenMP workers steal the cores they
share with the main thread, so both are unset / made passive here.
"""
import os

ARCHS = {"gpt2": (12, 12, 768), "gpt2-medium": (24, 16, 1024), "gpt2-large": (36, 20, 1280),
         "gpt2-xl": (48, 25, 1600)}  # name: (layers, heads, n_embd)
VOCAB, POSITIONS, CLASSES = 50257, 1024, 2


def fix_environment(threads):
    """Call before `import torch`: libgomp and OpenBLAS read these when they load."""
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        os.environ.pop(k, None)
    if threads >= 2:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    os.environ["OMP_NUM_THREADS"] = str(threads)

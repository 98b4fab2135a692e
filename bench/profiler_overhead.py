#!/usr/bin/python3
"""profiler_overhead.py — what `--profile` costs a whole process: runs `w2s bench train` (or
`w2s bench label`) with and without W2S_PROFILE=1, in a random order within each repetition,
and prints the on/off ratios of the per-step wall and CPU times (medians of the pair ratios and
ratio of the medians). A pair runs back to back, so slow drift of a shared machine cancels.

Usage: bench/profiler_overhead.py BUILD_DIR/w2s [--mode train|label] [--threads 2] [--reps 12]
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import tempfile


def run(w2s, mode, threads, profiled, profile_dir):
    if mode == "train":
        cmd = [w2s, "bench", "train", "--arch", "gpt2", "--batch", "8", "--seq", "128",
               "--precision", "bf16", "--threads", str(threads), "--steps", "3", "--warmup", "1"]
        keys = ("ms_per_step", "cpu_ms_per_step")
    else:
        cmd = [w2s, "bench", "label", "--arch", "gpt2", "--batch", "8", "--seq", "128",
               "--precision", "int8", "--threads", str(threads), "--iters", "9", "--warmup", "1"]
        keys = ("p50_ms", "cpu_p50_ms")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    env.pop("W2S_PROFILE", None)
    if profiled:
        env.update(W2S_PROFILE="1", W2S_PROFILE_DIR=profile_dir)
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    d = json.loads(out.strip().splitlines()[-1])
    return d[keys[0]], d[keys[1]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("w2s")
    ap.add_argument("--mode", choices=["train", "label"], default="train")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=12)
    ap.add_argument("--seed", type=int, default=1, help="seeds the on/off order")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    pairs = []
    with tempfile.TemporaryDirectory() as profile_dir:
        for r in range(a.reps):
            order = [False, True]
            rng.shuffle(order)
            got = {p: run(a.w2s, a.mode, a.threads, p, profile_dir) for p in order}
            pairs.append((got[False], got[True]))
            print(f"rep {r + 1}: off {got[False][0]:.1f} ms, on {got[True][0]:.1f} ms", flush=True)
    for i, name in ((0, "wall"), (1, "cpu")):
        off = [p[0][i] for p in pairs]
        on = [p[1][i] for p in pairs]
        ratios = [b / a for a, b in zip(off, on)]
        print(f"{name}: on/off median of pair ratios {statistics.median(ratios):.4f}, "
              f"ratio of medians {statistics.median(on) / statistics.median(off):.4f}, "
              f"min/min {min(on) / min(off):.4f} ({len(pairs)} pairs; off median {statistics.median(off):.1f} ms)")


if __name__ == "__main__":
    main()

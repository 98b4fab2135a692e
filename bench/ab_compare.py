#!/usr/bin/env python3
"""ab_compare.py — is a build slower than another? Runs the same benchmarks from two build
folders (A, the reference, and B) interleaved — A, B, A, B, ... — so a neighbour taking a core
hits both alike, then prints B/A per benchmark as the median of the per-round ratios.

Benchmarks: gemm_bench's w2s kernels (f32, bf16, s8 on GPT-2 small's shapes at M = 32 and
512), `w2s bench train` (GPT-2 small, bf16, 8×128) and `w2s bench label` (int8, 8×128).
usage: bench/ab_compare.py BUILD_A BUILD_B [--rounds N] [--threads T]
Nothing here runs PyTorch, so the OPENBLAS_* variables do not matter.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

GEMM_FILTER = r"BM_gemm_w2s_.*/(32|512)/"


def gemm(build, threads, pattern):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([os.path.join(build, "bench", "gemm_bench"), f"--benchmark_filter={pattern}",
                          "--benchmark_min_time=0.2", "--benchmark_format=json"],
                         capture_output=True, text=True, check=True, env=env).stdout
    return {b["name"]: b["real_time"] for b in json.loads(out)["benchmarks"]}  # time: lower is better


def gemm_names(build):
    out = subprocess.run([os.path.join(build, "bench", "gemm_bench"), f"--benchmark_filter={GEMM_FILTER}",
                          "--benchmark_list_tests=true"], capture_output=True, text=True, check=True).stdout
    return out.split()


def w2s_bench(build, what, threads):
    args = [os.path.join(build, "w2s"), "bench", what, "--threads", str(threads)]
    args += ["--steps", "5"] if what == "train" else ["--iters", "20"]
    line = subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    return {f"w2s bench {what} tokens/s": json.loads(line)["tokens_per_s"]}  # higher is better


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    o = ap.parse_args()
    ratios = {}  # name -> [B speed / A speed per round]
    names = gemm_names(o.a)
    for r in range(o.rounds):
        # One benchmark at a time, A then B (B then A on odd rounds), so a pair is seconds apart.
        for n in names:
            pattern = "^" + n.replace("/", "\\/") + "$"
            first, second = (o.a, o.b) if r % 2 == 0 else (o.b, o.a)
            t1, t2 = gemm(first, o.threads, pattern)[n], gemm(second, o.threads, pattern)[n]
            ta, tb = (t1, t2) if r % 2 == 0 else (t2, t1)
            ratios.setdefault(n, []).append(ta / tb)
        for what in ("train", "label"):
            a, b = w2s_bench(o.a, what, o.threads), w2s_bench(o.b, what, o.threads)
            for k in a:
                ratios.setdefault(k, []).append(b[k] / a[k])
        print(f"round {r + 1}/{o.rounds} done", file=sys.stderr)
    print(f"{'benchmark':58s} {'B/A speed (median)':>18s}  rounds")
    for k, v in ratios.items():
        print(f"{k:58s} {statistics.median(v):18.3f}  {' '.join(f'{x:.3f}' for x in v)}")
    all_gemm = [statistics.median(v) for k, v in ratios.items() if k.startswith("BM_")]
    print(f"{'GEMM shapes, median of medians':58s} {statistics.median(all_gemm):18.3f}")


if __name__ == "__main__":
    main()

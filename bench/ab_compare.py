#!/usr/bin/env python3
"""ab_compare.py — is a build slower than another? Runs the same benchmarks from two build
folders (A, the reference, and B) interleaved — A, B, A, B, ... — so a neighbour taking a core
hits both alike, then prints B/A per benchmark as the median of the per-round ratios.

Benchmarks: gemm_bench's w2s kernels (f32, bf16, s8 on GPT-2 small's shapes at M = 32 and
512), `w2s bench train` (GPT-2 small, bf16, 8×128) and `w2s bench label` (int8, 8×128), and
the whole commands as a user runs them (process start, model load, data, output file):
`w2s label` (int8) of 256 examples of 128 tokens and `w2s train` (bf16) of 64 such examples,
on a GPT-2 small classifier made once with build A (`w2s pretrain --arch gpt2` for 1 step,
then `w2s train` for 1 step).
usage: bench/ab_compare.py BUILD_A BUILD_B [--rounds N] [--threads T] [--no-cli]
Nothing here runs PyTorch, so the OPENBLAS_* variables do not matter.
"""
import argparse
import json
import os
import statistics
import random
import resource
import subprocess
import sys
import tempfile
import time

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


def write_examples(path, n, length, seed):
    rnd = random.Random(seed)
    with open(path, "w") as f:
        for _ in range(n):
            ids = [rnd.randrange(50257) for _ in range(length)]
            f.write(json.dumps({"input_ids": ids, "hard_label": ids[-1] % 2}) + "\n")


def make_classifier(build, tmp, threads):
    """A GPT-2 small classifier (random body, one training step): what `w2s label` needs."""
    w2s = os.path.join(build, "w2s")
    lm, cls = os.path.join(tmp, "lm.safetensors"), os.path.join(tmp, "cls.safetensors")
    write_examples(os.path.join(tmp, "pre.jsonl"), 8, 64, 1)
    q = dict(capture_output=True, check=True, env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
    subprocess.run([w2s, "pretrain", "--arch", "gpt2", "--data", os.path.join(tmp, "pre.jsonl"), "--out", lm,
                    "--steps", "1", "--batch", "8", "--quiet"], **q)
    subprocess.run([w2s, "train", "--model", lm, "--data", os.path.join(tmp, "pre.jsonl"), "--out", cls,
                    "--epochs", "1", "--batch", "8", "--quiet"], **q)
    return cls


def cli_run(build, what, tmp, model, threads):
    """Wall and CPU (user + system) seconds of one whole `w2s label` or `w2s train` process.
    On a shared machine the CPU time is the steadier of the two: a neighbour taking a core
    stretches the wall clock but not the work done."""
    w2s = os.path.join(build, "w2s")
    if what == "label":
        args = [w2s, "label", "--model", model, "--data", os.path.join(tmp, "label.jsonl"),
                "--out", os.path.join(tmp, "labels.jsonl"), "--batch", "8"]
    else:
        args = [w2s, "train", "--model", model, "--data", os.path.join(tmp, "train.jsonl"),
                "--out", os.path.join(tmp, "trained.safetensors"), "--epochs", "1", "--batch", "8"]
    r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(args + ["--threads", str(threads), "--quiet"], capture_output=True, check=True)
    r1, t1 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    return t1 - t0, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-cli", action="store_true", help="skip the whole-command timings")
    o = ap.parse_args()
    ratios = {}  # name -> [B speed / A speed per round]
    names = gemm_names(o.a)
    tmp = tempfile.TemporaryDirectory(prefix="ab_compare.")
    if not o.no_cli:
        model = make_classifier(o.a, tmp.name, o.threads)
        write_examples(os.path.join(tmp.name, "label.jsonl"), 256, 128, 2)
        write_examples(os.path.join(tmp.name, "train.jsonl"), 64, 128, 3)
    for r in range(o.rounds):
        # One benchmark at a time, A then B (B then A on odd rounds), so a pair is seconds apart.
        for n in names:
            pattern = "^" + n + "$"
            first, second = (o.a, o.b) if r % 2 == 0 else (o.b, o.a)
            t1, t2 = gemm(first, o.threads, pattern)[n], gemm(second, o.threads, pattern)[n]
            ta, tb = (t1, t2) if r % 2 == 0 else (t2, t1)
            ratios.setdefault(n, []).append(ta / tb)
        for what in ("train", "label"):
            a, b = w2s_bench(o.a, what, o.threads), w2s_bench(o.b, what, o.threads)
            for k in a:
                ratios.setdefault(k, []).append(b[k] / a[k])
        for what in () if o.no_cli else ("label", "train"):
            first, second = (o.a, o.b) if r % 2 == 0 else (o.b, o.a)
            t1, t2 = cli_run(first, what, tmp.name, model, o.threads), cli_run(second, what, tmp.name, model, o.threads)
            ta, tb = (t1, t2) if r % 2 == 0 else (t2, t1)
            ratios.setdefault(f"w2s {what} (whole process, wall)", []).append(ta[0] / tb[0])
            ratios.setdefault(f"w2s {what} (whole process, CPU time)", []).append(ta[1] / tb[1])
        print(f"round {r + 1}/{o.rounds} done", file=sys.stderr)
    print(f"{'benchmark':58s} {'B/A speed (median)':>18s}  rounds")
    for k, v in ratios.items():
        print(f"{k:58s} {statistics.median(v):18.3f}  {' '.join(f'{x:.3f}' for x in v)}")
    all_gemm = [statistics.median(v) for k, v in ratios.items() if k.startswith("BM_")]
    print(f"{'GEMM shapes, median of medians':58s} {statistics.median(all_gemm):18.3f}")


if __name__ == "__main__":
    main()

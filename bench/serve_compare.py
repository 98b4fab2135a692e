#!/usr/bin/python3
"""serve_compare.py — `w2s serve` against ONNX Runtime and against w2s's own kernels, in one
interleaved run (docs/PERFORMANCE.md, "w2s serve against ONNX Runtime"). Each round measures, in
an order rotated from round to round so a busy neighbour hits every item alike:
  (a) ORT int8 and fp32 from node (bench/ort_bench.js): 8×128 tokens/s, one 64-token p50;
  (b) `w2s bench label` (the int8 kernels alone, no HTTP): 8×128 tokens/s, 1×64 p50; and the
      fp32 1×64 p50, against ORT fp32's (the single-example fp32 bar of docs/PERFORMANCE.md);
  (c) `w2s serve`: one 64-token POST /predict at a time, p50 over HTTP (bench/serve_latency.py);
  (d) `w2s serve` under 32 connections, inputs of 16..128 tokens (bench/serve_load.sh), against
      `w2s bench label` at batch 8 on the same mix (tokens/s at 5 lengths spread over 16..128,
      combined as the mix's total tokens over its total time); also both per CPU second of w2s
      alone (the server's process; bench label's), which leaves out the load client's share.
Then it prints every figure's median over the rounds and the ratios of the issue's bars, each the
median of its per-round ratios. Not run by CI: a measurement you run and report.
usage: bench/serve_compare.py MODEL [--rounds 3] [--threads 2] [--load-seconds 30] [--onnx DIR] [--single]
  MODEL is a w2s GPT-2 classifier checkpoint; DIR/<stem>.{int8,fp32}.onnx are exported by
  bench/ort_export.py when missing (default DIR: MODEL's directory). Needs onnxruntime-node
  (see bench/ort_bench.js), wrk and a Release build (W2S_BIN, default build/w2s).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MIX = (16, 44, 72, 100, 128)  # the load mix's lengths (uniform 16..128), evenly spread


def last_json(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"serve_compare: {' '.join(cmd)} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def ort(o, prec):
    r = last_json(["node", os.path.join(HERE, "ort_bench.js"), os.path.join(o.onnx, f"{o.stem}.{prec}.onnx"),
                   "--threads", str(o.threads), "--iters", "10", "--single-iters", "30"])
    return {f"ORT {prec} 8x128 tok/s": r["tokens_per_s"], f"ORT {prec} 1x64 p50 ms": r["single_p50_ms"]}


def bench_label(o, batch, seq, iters, precision="int8"):
    return last_json([o.w2s, "bench", "label", "--threads", str(o.threads), "--batch", str(batch),
                      "--seq", str(seq), "--iters", str(iters), "--precision", precision])


def kernels(o):
    return {"w2s bench label 8x128 tok/s": bench_label(o, 8, 128, 10)["tokens_per_s"],
            "w2s bench label 1x64 p50 ms": bench_label(o, 1, 64, 30)["p50_ms"],
            "w2s bench label fp32 1x64 p50 ms": bench_label(o, 1, 64, 30, "fp32")["p50_ms"]}


def kernels_mix(o):
    # Per-length batch throughput, combined over the mix: tokens Σ L over time Σ L / tps(L).
    # Also per CPU second (all threads): bench label's median process CPU time per batch.
    r = {L: bench_label(o, 8, L, 10) for L in MIX}
    tpc = {L: 8 * L / (r[L]["cpu_p50_ms"] / 1e3) for L in MIX}
    return {"w2s bench label 8x(16..128) tok/s": sum(MIX) / sum(L / r[L]["tokens_per_s"] for L in MIX),
            "w2s bench label 8x(16..128) tok per CPU-s": sum(MIX) / sum(L / tpc[L] for L in MIX)}


def serve_single(o):
    p = subprocess.Popen([o.w2s, "serve", "--model", o.model, "--port", "0", "--threads", str(o.threads)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()  # "w2s serve: listening on http://127.0.0.1:PORT", once loaded
        m = re.search(r"listening on http://[\d.]+:(\d+)", line)
        if not m:
            sys.exit(f"serve_compare: w2s serve did not start:\n{line}{p.stderr.read()}")
        r = last_json([sys.executable, os.path.join(HERE, "serve_latency.py"), m.group(1), "64", "40"])
    finally:
        p.terminate()
        p.wait()
    return {"w2s serve 1x64 p50 ms": r["p50_ms"]}


def serve_load(o):
    env = dict(os.environ, W2S_BIN=o.w2s, WARMUP="5s")
    r = last_json([os.path.join(HERE, "serve_load.sh"), o.model, f"{o.load_seconds}s", "32", "--",
                   "--threads", str(o.threads)], env=env)
    if r["non_2xx"] or r["socket_errors"]:
        print(f"serve_compare: the load run had {r['non_2xx']} non-2xx answers and {r['socket_errors']} "
              f"socket errors", file=sys.stderr)
    return {"w2s serve 32 conn tok/s": r["tokens_per_s"], "w2s serve 32 conn p50 ms": r["p50_ms"],
            "w2s serve 32 conn p99 ms": r["p99_ms"], "w2s serve mean batch inputs": r["mean_batch_inputs"],
            "w2s serve 32 conn tok per server CPU-s": r["tokens_per_s"] * r["seconds"] / r["server_cpu_s"]}


def int8_peak(w2s):
    """All-core int8 peak in GOP/s from `w2s info --peak` (its line, and the figure)."""
    out = subprocess.run([w2s, "info", "--peak"], capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if re.match(r"\s*int8\s", ln))
    info = dict(ln.split(":", 1) for ln in open("/proc/cpuinfo").read().split("\n\n")[0].splitlines() if ":" in ln)
    info = {k.strip(): v.strip() for k, v in info.items()}
    cpu = f"{info.get('model name', '?')} (family {info.get('cpu family', '?')} model {info.get('model', '?')})"
    return float(re.findall(r"([\d.]+) GOP/s", line)[-1]), line.strip(), cpu


def int8_gop(T, L=12, C=768):
    """Int8 products of one T-token GPT-2 small forward as w2s runs it: every layer's four linears
    on all T rows, except the last layer's attention projection and MLP, which only the last
    token reaches (the head reads one row)."""
    per_row = C * 3 * C + C * C + 2 * C * 4 * C
    return 2 * (L * T * per_row - (T - 1) * (C * C + 2 * C * 4 * C)) / 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--load-seconds", type=int, default=30)
    ap.add_argument("--onnx")
    ap.add_argument("--single", action="store_true",
                    help="only the one-example items (ORT int8 and fp32, w2s bench label, w2s serve 1x64): "
                         "more rounds in the same time for the single-request bars")
    o = ap.parse_args()
    o.model = os.path.abspath(o.model)
    o.stem = os.path.splitext(os.path.basename(o.model))[0]
    o.onnx = o.onnx or os.path.dirname(o.model)
    o.w2s = os.environ.get("W2S_BIN", os.path.join(HERE, "..", "build", "w2s"))
    os.environ["OMP_NUM_THREADS"] = str(o.threads)
    if not all(os.path.exists(os.path.join(o.onnx, f"{o.stem}.{p}.onnx")) for p in ("int8", "fp32")):
        subprocess.run([sys.executable, os.path.join(HERE, "ort_export.py"), o.model, o.onnx], check=True)
    peak, peak_line, cpu = int8_peak(o.w2s)
    items = [lambda: ort(o, "int8"), lambda: ort(o, "fp32"), lambda: kernels(o), lambda: serve_single(o)]
    if not o.single:
        items += [lambda: serve_load(o), lambda: kernels_mix(o)]
    figs, ratios = {}, {}
    t0 = time.time()
    for r in range(o.rounds):
        got = {}
        for i in range(len(items)):
            got.update(items[(i + r) % len(items)]())
        for k, v in got.items():
            figs.setdefault(k, []).append(v)
        load_bars = {} if o.single else {
            "served tok/s / ORT int8 8x128 tok/s (bar >= 1.3)":
                got["w2s serve 32 conn tok/s"] / got["ORT int8 8x128 tok/s"],
            "served tok/s / bench label same mix (bar >= 0.8)":
                got["w2s serve 32 conn tok/s"] / got["w2s bench label 8x(16..128) tok/s"],
            "served / bench label, tokens per CPU-s (context)":
                got["w2s serve 32 conn tok per server CPU-s"] / got["w2s bench label 8x(16..128) tok per CPU-s"],
        }
        bars = {
            **load_bars,
            "served 1x64 p50 / ORT int8 1x64 p50 (bar <= 0.7)":
                got["w2s serve 1x64 p50 ms"] / got["ORT int8 1x64 p50 ms"],
            "served 1x64 p50 / 2x int8 products at peak (bar <= 1)":
                got["w2s serve 1x64 p50 ms"] / (2e3 * int8_gop(64) / peak),
            "w2s bench label 8x128 / ORT int8 8x128 (context)":
                got["w2s bench label 8x128 tok/s"] / got["ORT int8 8x128 tok/s"],
            "w2s bench label 1x64 p50 / ORT int8 1x64 p50 (context)":
                got["w2s bench label 1x64 p50 ms"] / got["ORT int8 1x64 p50 ms"],
            "w2s bench label fp32 1x64 p50 / ORT fp32 1x64 p50 (bar <= 1)":
                got["w2s bench label fp32 1x64 p50 ms"] / got["ORT fp32 1x64 p50 ms"],
        }
        for k, v in bars.items():
            ratios.setdefault(k, []).append(v)
        print(f"round {r + 1}/{o.rounds} done ({time.time() - t0:.0f} s, load average "
              f"{os.getloadavg()[0]:.2f})", file=sys.stderr)
    print(f"CPU: {cpu}; {o.threads} threads; {peak_line}")
    print(f"one 64-token forward: {int8_gop(64):.2f} GOP of int8 products, {1e3 * int8_gop(64) / peak:.2f} ms at "
          f"the int8 peak; load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'figure':56s} {'median':>10s}  rounds")
    for k, v in figs.items():
        print(f"{k:56s} {statistics.median(v):10.2f}  {' '.join(f'{x:.2f}' for x in v)}")
    print(f"{'ratio (median of per-round ratios)':56s} {'median':>10s}  rounds")
    for k, v in ratios.items():
        print(f"{k:56s} {statistics.median(v):10.3f}  {' '.join(f'{x:.3f}' for x in v)}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""compare_gemm.py — runs bench/gemm_bench (w2s vs oneDNN, interleaved, repeated) and prints a
markdown table: shape, ours, oneDNN (median GFLOP/s), ratio, % of peak.

Usage: OMP_NUM_THREADS=2 bench/compare_gemm.py BUILD_DIR/bench/gemm_bench [--reps 5]
       [--filter REGEX] [--min-time 0.2] [--peak-f32 515] [--peak-bf16 1030] [--peak-s8 2060]
When `w2s tune` stored a configuration other than the built-in one, gemm_bench also times the
built-in one (BM_gemm_w2sbuiltin_*) in the same run: two more columns, before and after tuning.
Peaks are GFLOP/s for the whole run (default: 2 Zen 5 cores). Medians over repetitions; the
`min` column ratio uses each side's best repetition, which is less sensitive to a noisy machine.
"""
import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile

ap = argparse.ArgumentParser()
ap.add_argument("bench")
ap.add_argument("--reps", type=int, default=5)
ap.add_argument("--filter", default="BM_gemm")
ap.add_argument("--min-time", default="0.2")
ap.add_argument("--peak-f32", type=float, default=515.0)
ap.add_argument("--peak-bf16", type=float, default=1030.0)
ap.add_argument("--peak-s8", type=float, default=2060.0)
ap.add_argument("--threads", type=int, default=0, help="pass --threads=N to the benchmark")
ap.add_argument("--cpu", action="store_true",
                help="rate from CPU time of all threads divided by the thread count, instead of "
                     "wall time (a loaded machine steals wall time from both sides unevenly; "
                     "spin-waits still count)")
args = ap.parse_args()

with tempfile.NamedTemporaryFile(suffix=".json") as out:
    cmd = [args.bench, f"--benchmark_filter={args.filter}",
           f"--benchmark_repetitions={args.reps}", "--benchmark_enable_random_interleaving=true",
           f"--benchmark_min_time={args.min_time}", f"--benchmark_out={out.name}",
           "--benchmark_out_format=json", "--benchmark_report_aggregates_only=false"]
    if args.threads:
        cmd.append(f"--threads={args.threads}")
    if args.cpu:
        cmd.append("--process-cpu")
    print("$", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    data = json.load(open(out.name))

threads = int(data["context"].get("omp_threads", "1"))
runs = {}
for b in data["benchmarks"]:
    if b.get("run_type") != "iteration" or "flops" not in b:
        continue
    m = re.match(r"BM_gemm_(w2sbuiltin|w2s|onednn)_(\w+)/(\d+)/(\d+)/(\d+)", b["name"])
    if not m:
        continue
    impl, dt, M, N, K = m.group(1), m.group(2), *map(int, m.groups()[2:])
    unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ns")]
    rate = 2.0 * M * N * K * threads / (b["cpu_time"] * unit) / 1e9 if args.cpu else b["flops"] / 1e9
    runs.setdefault((dt, M, N, K), {}).setdefault(impl, []).append(rate)

peak = {"f32": args.peak_f32, "bf16": args.peak_bf16, "s8": args.peak_s8}
print(f"{threads} OpenMP threads; {data['context'].get('num_cpus')} cpus visible; reps {args.reps}; "
      f"GFLOP/s medians ({'CPU time of all threads / threads' if args.cpu else 'wall time'})\n")
# w2sbuiltin: the built-in GEMM configuration, timed in the same run when `w2s tune` stored
# another one (then "w2s" is the tuned one): the before/after columns.
builtin = any("w2sbuiltin" in r for r in runs.values())
for k in ("source", "f32", "bf16", "s8"):
    key = "gemm_config_source" if k == "source" else "gemm_" + k
    if key in data["context"]:
        print(f"{key}: {data['context'][key]}" + (f" (built-in: {data['context'][key + '_builtin']})"
                                                    if key + "_builtin" in data["context"] else ""))
print()
extra = " built-in | built-in ratio |" if builtin else ""
print("| dtype | M | N | K | w2s | oneDNN | ratio | ratio (best) | w2s % peak |" + extra)
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if builtin else ""))
for (dt, M, N, K), r in sorted(runs.items(), key=lambda x: (["f32", "bf16", "s8"].index(x[0][0]), x[0][1], x[0][3], x[0][2])):
    ours, base = r.get("w2s"), r.get("onednn")
    o = statistics.median(ours) if ours else float("nan")
    d = statistics.median(base) if base else float("nan")
    best = max(ours) / max(base) if ours and base else float("nan")
    row = f"| {dt} | {M} | {N} | {K} | {o:.1f} | {d:.1f} | {o / d:.2f} | {best:.2f} | {100 * o / peak[dt]:.0f}% |"
    if builtin:
        bi = statistics.median(r["w2sbuiltin"]) if r.get("w2sbuiltin") else float("nan")
        row += f" {bi:.1f} | {bi / d:.2f} |"
    print(row)

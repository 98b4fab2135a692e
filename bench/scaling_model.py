#!/usr/bin/env python3
"""scaling_model.py — the data-parallel cost model of docs/SCALING.md: predicted parallel
efficiency of one training step of a GPT-2 student over p nodes, and the global batch each
needs for >= 90%. Prints the doc's tables; every input is an argument with the doc's default.

Per step, for P parameters, global batch B sequences of T tokens, p nodes:
  compute  = 6 P B T / (p F)            F = node training rate (model FLOP/s, 6PN convention)
  optimizer= P * opt_bytes / mem_bw      Adam + bf16 repack, replicated on every node
  comm     = 2 (p-1)/p * 4P / beta       gradient bytes (f32) a rank sends and receives
           + latency                     ring: alpha * log2(p) per bucket (the issue's model);
                                         w2s as built: alpha * 2 (p-1) per bucket (all-to-all,
                                         then all-gather), buckets of 2^22 floats
  step     = compute + optimizer + comm            (w2s as built: no overlap)
           = compute + optimizer + max(0, comm - 2/3 compute)   (bucketed, overlapped with
             the backward pass, as PyTorch DDP and Horovod do; the backward is 4 of the 6 PN)
  efficiency = one node's step on the whole batch / (p * step)
usage: bench/scaling_model.py [--node-gflops F] [--mem-gbs M] [--seq T] [--batch B]
"""
import argparse
import math

MODELS = (("gpt2", 124.4e6), ("gpt2-medium", 354.8e6), ("gpt2-large", 774.0e6))
# name, line rate (Gb/s), alpha (s): TCP over Ethernet for 10/25 Gb/s, RDMA (InfiniBand/RoCE) for 100.
NETS = (("10 Gb/s TCP", 10, 30e-6), ("25 Gb/s TCP", 25, 20e-6), ("100 Gb/s RDMA", 100, 3e-6))
NODES = (2, 4, 8, 16, 32, 64)
BUCKET_FLOATS = 1 << 22


def step_time(P, B, T, p, a, net, overlap, ring):
    _, gbps, alpha = net
    beta = gbps * 1e9 / 8 * a.link_eff
    compute = 6 * P * B * T / (p * a.node_gflops * 1e9)
    opt = P * a.opt_bytes / (a.mem_gbs * 1e9)
    if p == 1:
        return compute + opt
    buckets = math.ceil(P / BUCKET_FLOATS)
    lat = alpha * (math.log2(p) if ring else 2 * (p - 1)) * buckets
    comm = 2 * (p - 1) / p * 4 * P / beta + lat
    exposed = max(0.0, comm - 2 / 3 * compute) if overlap else comm
    return compute + opt + exposed


def efficiency(P, B, T, p, a, net, overlap, ring):
    return step_time(P, B, T, 1, a, net, overlap, ring) / (p * step_time(P, B, T, p, a, net, overlap, ring))


def min_batch(P, T, p, a, net, overlap, ring, target=0.9):
    """Smallest global batch (sequences) with efficiency >= target, or None below 1M."""
    b = max(p, 1)
    while b <= 1 << 20:
        if efficiency(P, b, T, p, a, net, overlap, ring) >= target:
            lo, hi = b // 2, b
            while hi - lo > 1:  # refine between the last failing and the first passing power of 2
                mid = (lo + hi) // 2
                lo, hi = (lo, mid) if efficiency(P, mid, T, p, a, net, overlap, ring) >= target else (mid, hi)
            return max(hi, p)
        b *= 2
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--node-gflops", type=float, default=5000.0,
                    help="node training rate, model GFLOP/s (default 5000: 64 cores at ~78 each)")
    ap.add_argument("--mem-gbs", type=float, default=200.0, help="node memory bandwidth for the optimizer, GB/s")
    ap.add_argument("--opt-bytes", type=float, default=36.0,
                    help="bytes the optimizer moves per parameter (f32 w, g, m, v read+written, bf16 packs)")
    ap.add_argument("--link-eff", type=float, default=0.9, help="fraction of the line rate an allreduce gets")
    ap.add_argument("--seq", type=int, default=512, help="tokens per sequence")
    ap.add_argument("--batch", type=int, default=32, help="global batch (sequences) of the efficiency table")
    a = ap.parse_args()
    T, B = a.seq, a.batch
    print(f"node {a.node_gflops:.0f} GFLOP/s, optimizer {a.opt_bytes:.0f} B/param at {a.mem_gbs:.0f} GB/s, "
          f"links at {a.link_eff:.0%} of line rate, T = {T}")
    P0 = MODELS[0][1]
    # Every term above is proportional to P (the latency too: buckets = P / 2^22), so the
    # efficiency is the same for the three models; their step times and memory differ.
    for name, P in MODELS[1:]:
        for net in NETS:
            for p in NODES:
                for overlap, ring in ((False, False), (True, True)):
                    e0 = efficiency(P0, B, T, p, a, net, overlap, ring)
                    assert abs(efficiency(P, B, T, p, a, net, overlap, ring) - e0) < 0.01, (name, net, p)
    for overlap, ring, title in ((False, False, "w2s as built (allreduce after the backward, no overlap)"),
                                 (True, True, "ring allreduce overlapped with the backward (DDP-style)")):
        print(f"\n{title}\n\nefficiency at a global batch of {B} x {T} tokens (gpt2, gpt2-medium, gpt2-large alike):\n")
        print("| network | " + " | ".join(f"{p} nodes" for p in NODES) + " |")
        print("|---|" + "---:|" * len(NODES))
        for net in NETS:
            print(f"| {net[0]} | " + " | ".join(f"{efficiency(P0, B, T, p, a, net, overlap, ring):.2f}" for p in NODES) + " |")
        print(f"\nsmallest global batch (sequences of {T}) for >= 90% efficiency:\n")
        print("| network | " + " | ".join(f"{p} nodes" for p in NODES) + " |")
        print("|---|" + "---:|" * len(NODES))
        for net in NETS:
            cells = [min_batch(P0, T, p, a, net, overlap, ring) for p in NODES]
            print(f"| {net[0]} | " + " | ".join("-" if c is None else str(c) for c in cells) + " |")
    net = NETS[1]
    print(f"\nstep time at a global batch of {B} x {T} ({net[0]}, as built), and memory per node\n")
    print("| model | params | 1 node | " + " | ".join(f"{p} nodes" for p in NODES) + " | weights+grads+Adam |")
    print("|---|---:|---:|" + "---:|" * len(NODES) + "---:|")
    for name, P in MODELS:
        cells = [f"{step_time(P, B, T, p, a, net, False, False):.2f} s" for p in NODES]
        print(f"| {name} | {P / 1e6:.0f}M | {step_time(P, B, T, 1, a, net, False, False):.2f} s | " + " | ".join(cells) +
              f" | {16 * P / 2**30:.1f} GiB |")

if __name__ == "__main__":
    main()

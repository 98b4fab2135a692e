#!/usr/bin/env bash
# overlap_measure.sh — docs/SCALING.md's overlap figures: the same 2-rank data-parallel training
# steps (1 thread per rank) with the gradient sum blocking (after the backward) and overlapped
# (buckets started during it), W2S_ALLREDUCE=blocking|overlap, alternating which goes first
# round by round so a neighbour's load hits both alike; prints each run's JSON line, then the
# medians and the per-round ratio of whole-step times. Not a CI step: it takes minutes.
# usage: bench/overlap_measure.sh BUILD_DIR [ROUNDS] [-- w2s bench train options]
# (default options: --arch gpt2 --batch 4 --seq 64 --steps 3)
set -euo pipefail
W2S="$1/w2s"
ROUNDS=${2:-5}
shift $(( $# >= 2 ? 2 : 1 ))
[ "${1:-}" = "--" ] && shift
OPTS=${*:-"--arch gpt2 --batch 4 --seq 64 --steps 3"}
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
"$W2S" info --peak | grep -iE "^cpu|peak" || true
run() {
    W2S_ALLREDUCE=$1 OMP_NUM_THREADS=1 mpirun --allow-run-as-root --oversubscribe -np 2 "$W2S" bench train $OPTS \
        --threads 1 | sed "s/^/$1 /" | tee -a "$LOG"
}
for r in $(seq "$ROUNDS"); do
    echo "round $r"
    if [ $((r % 2)) = 1 ]; then run blocking; run overlap; else run overlap; run blocking; fi
done
/usr/bin/python3 - "$LOG" <<'PY'
import json, statistics, sys
runs = {"blocking": [], "overlap": []}
for line in open(sys.argv[1]):
    tag, js = line.split(" ", 1)
    runs[tag].append(json.loads(js))
med = lambda tag, k: statistics.median(r[k] for r in runs[tag])
for tag in runs:
    print(f"{tag:9s} ms/step {med(tag, 'ms_per_step'):8.1f}  comm ms after backward {med(tag, 'comm_ms'):7.1f}  "
          f"bwd ms {med(tag, 'bwd_ms'):8.1f}  cpu ms/step {med(tag, 'cpu_ms_per_step'):8.1f}")
ratios = [o["ms_per_step"] / b["ms_per_step"] for b, o in zip(runs["blocking"], runs["overlap"])]
print(f"overlap / blocking ms per step: median {statistics.median(ratios):.3f} over {len(ratios)} rounds "
      f"(each {min(ratios):.3f}..{max(ratios):.3f})")
PY
